//! Storage facts ([`crate::model::Facts::storage`], filled by `storage_scanner`): fstab and
//! crypttab.

use serde::Serialize;

use super::fstab::FstabEntry;

/// Storage configuration.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StorageFacts {
    /// fstab entries.
    pub fstab: Vec<FstabEntry>,
    /// Names of crypttab mappings.
    pub crypttab: Vec<String>,
    /// fstab lines that could not be parsed (line number, text).
    pub invalid_fstab_lines: Vec<(usize, String)>,
}
