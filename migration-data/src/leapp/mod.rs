//! Importers for ELevate/Leapp `leapp-data` as installed on hosts under `/etc/leapp/files`.

pub mod pes;
pub mod repofile;
pub mod repomap;
pub mod vendors;
