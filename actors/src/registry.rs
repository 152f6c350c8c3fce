//! The actor catalogue: every scanner and check, with a stable id, its kind, what it reads and
//! produces, and a description. `leapfrog actors` prints it; the README's check table is
//! generated from it.

use serde::Serialize;

use crate::finding::Finding;
use crate::model::{CheckInput, Env, Facts};

/// What an actor is, which is also when it runs: scanners first, then checks. Serialized as the
/// phase of the assessment it belongs to (`"facts"`, `"checks"`), as `leapfrog actors --json`
/// and `report.json` always wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ActorKind {
    /// A scanner: reads the root and the host into typed facts.
    #[serde(rename = "facts")]
    Scanner,
    /// A check: turns facts into findings.
    #[serde(rename = "checks")]
    Check,
}

impl ActorKind {
    /// `scanner` or `check`, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            ActorKind::Scanner => "scanner",
            ActorKind::Check => "check",
        }
    }
}

/// How a finding a check can produce is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Blocks the upgrade.
    Inhibitor,
}

/// A finding a check can produce.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FindingInfo {
    /// Stable key.
    pub key: &'static str,
    /// Level.
    pub level: Level,
    /// Title.
    pub title: &'static str,
}

/// Identity of an actor.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ActorInfo {
    /// Stable id (`snake_case`).
    pub id: &'static str,
    /// Scanner or check (serialized as `phase`).
    #[serde(rename = "phase")]
    pub kind: ActorKind,
    /// One-line description for sysadmins.
    pub description: &'static str,
    /// Inputs: fact slots, host facts, files.
    pub reads: &'static [&'static str],
    /// Outputs: the fact slot (scanners) or finding keys (checks).
    pub produces: &'static [&'static str],
}

/// A scanner fills one fact slot.
#[derive(Debug, Clone, Copy)]
pub struct Scanner {
    /// Identity.
    pub info: ActorInfo,
    /// Reads from the environment into its slot of the facts.
    pub run: fn(&Env, &Facts) -> Result<(), String>,
}

/// A check produces findings.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Identity.
    pub info: ActorInfo,
    /// Findings it can produce.
    pub findings: &'static [FindingInfo],
    /// Looks at the facts.
    pub run: fn(&CheckInput<'_>) -> Vec<Finding>,
}

/// Every scanner.
pub fn scanners() -> &'static [Scanner] {
    crate::scanners::ALL
}

/// Every check.
pub fn checks() -> &'static [Check] {
    &crate::checks::ALL
}

/// The catalogue as one list (scanners first), for printing.
pub fn catalogue() -> Vec<ActorInfo> {
    scanners()
        .iter()
        .map(|s| s.info)
        .chain(checks().iter().map(|c| c.info))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_keys_are_unique_and_well_formed() {
        let mut ids: Vec<&str> = catalogue().iter().map(|a| a.id).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate actor id");
        for id in &ids {
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{id}"
            );
        }
        let mut keys: Vec<&str> = checks()
            .iter()
            .flat_map(|c| c.findings.iter().map(|f| f.key))
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate finding key");
        for c in checks() {
            assert!(!c.findings.is_empty(), "{} declares no findings", c.info.id);
            assert_eq!(c.info.kind, ActorKind::Check);
            for f in c.findings {
                assert!(
                    f.key.contains('.'),
                    "{}: key {} has no domain",
                    c.info.id,
                    f.key
                );
            }
        }
    }
}
