//! Storage facts ([`crate::model::Facts::storage`], filled by `storage_scanner`): fstab and
//! crypttab.

use serde::Serialize;

/// One fstab line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FstabEntry {
    /// Device, `UUID=`, `LABEL=` or remote source.
    pub source: String,
    /// Mount point.
    pub target: String,
    /// Filesystem type.
    pub fstype: String,
    /// Options.
    pub options: Vec<String>,
    /// 1-based line number.
    pub line: usize,
}

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
