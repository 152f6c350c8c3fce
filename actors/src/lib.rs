//! leapfrog's actors: scanners that read facts from a root and checks that turn facts into
//! findings (info, low, medium, high, or inhibitor).
//!
//! This crate is the home of the actor registry and of one file per actor; it is filled by the
//! assessment issue (`leapfrog preupgrade`). Until then the fact readers live in the `leapfrog`
//! crate's `facts` module, from which the scanners will be built.
