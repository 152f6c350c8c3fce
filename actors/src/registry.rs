//! The actor catalogue: every scanner and check, with a stable id, its kind, what it reads and
//! produces, and a description. `leapfrog actors` prints it; the README's check table is
//! generated from it.

use serde::{Serialize, Serializer};

use crate::finding::{Finding, FindingInfo};
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

/// What an actor produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Produces {
    /// A scanner: the fact slots it fills (`facts.storage`).
    Facts(&'static [&'static str]),
    /// A check: the kinds of findings it can produce (listed by key).
    Findings(&'static [FindingInfo]),
}

impl Produces {
    /// The fact slots or finding keys, as the catalogue lists them.
    pub fn keys(&self) -> Vec<&'static str> {
        match self {
            Produces::Facts(slots) => slots.to_vec(),
            Produces::Findings(findings) => findings.iter().map(|f| f.key).collect(),
        }
    }
}

impl Serialize for Produces {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.keys().serialize(s)
    }
}

/// Identity of an actor. Serialized as `{id, phase, description, reads, produces}`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ActorInfo {
    /// Stable id (`snake_case`).
    pub id: &'static str,
    /// Scanner or check (serialized as `phase`), which follows from what it produces.
    #[serde(rename = "phase")]
    pub kind: ActorKind,
    /// One-line description for sysadmins.
    pub description: &'static str,
    /// Inputs: fact slots, host facts, files.
    pub reads: &'static [&'static str],
    /// Outputs: the fact slot (scanners) or the keys of the findings (checks), derived from
    /// [`Check::findings`] for checks.
    pub produces: Produces,
}

/// A scanner fills one fact slot.
#[derive(Debug, Clone, Copy)]
pub struct Scanner {
    /// Identity.
    pub info: ActorInfo,
    /// Reads from the environment into its slot of the facts.
    pub run: fn(&Env, &Facts) -> Result<(), String>,
}

impl Scanner {
    /// The scanner `id` that reads `reads` and fills the fact slots `produces` (`facts.<slot>`).
    pub const fn new(
        id: &'static str,
        description: &'static str,
        reads: &'static [&'static str],
        produces: &'static [&'static str],
        run: fn(&Env, &Facts) -> Result<(), String>,
    ) -> Self {
        Self {
            info: ActorInfo {
                id,
                kind: ActorKind::Scanner,
                description,
                reads,
                produces: Produces::Facts(produces),
            },
            run,
        }
    }
}

/// A check produces findings, only of the kinds it declares.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Identity; what it produces is derived from [`Check::findings`].
    pub info: ActorInfo,
    /// The kinds of findings it can produce, each a [`FindingInfo`] constant of the check.
    pub findings: &'static [FindingInfo],
    /// Looks at the facts; builds its findings with [`Finding::of`] from [`Check::findings`].
    pub run: fn(&CheckInput<'_>) -> Vec<Finding>,
}

impl Check {
    /// The check `id` that reads `reads` and can produce the kinds of findings `findings`.
    pub const fn new(
        id: &'static str,
        description: &'static str,
        reads: &'static [&'static str],
        findings: &'static [FindingInfo],
        run: fn(&CheckInput<'_>) -> Vec<Finding>,
    ) -> Self {
        Self {
            info: ActorInfo {
                id,
                kind: ActorKind::Check,
                description,
                reads,
                produces: Produces::Findings(findings),
            },
            findings,
            run,
        }
    }

    /// The first of `found` that is not of a kind this check declares (key, severity,
    /// inhibitor flag and title as declared), if any.
    pub fn undeclared<'f>(&self, found: &'f [Finding]) -> Option<&'f Finding> {
        found
            .iter()
            .find(|f| f.actor != self.info.id || !self.findings.iter().any(|i| f.is_of(i)))
    }
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
        for s in scanners() {
            assert_eq!(s.info.kind, ActorKind::Scanner);
            assert!(matches!(s.info.produces, Produces::Facts(p) if !p.is_empty()));
        }
        for c in checks() {
            assert!(!c.findings.is_empty(), "{} declares no findings", c.info.id);
            assert_eq!(c.info.kind, ActorKind::Check);
            assert_eq!(c.info.produces, Produces::Findings(c.findings));
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

    #[test]
    fn findings_of_undeclared_kinds_are_caught() {
        use crate::finding::{Level, Severity};
        const A: FindingInfo = FindingInfo {
            key: "t.a",
            level: Level::Low,
            title: "A",
        };
        const B: FindingInfo = FindingInfo {
            key: "t.b",
            level: Level::Inhibitor,
            title: "B",
        };
        fn run(_: &CheckInput<'_>) -> Vec<Finding> {
            Vec::new()
        }
        const C: Check = Check::new("t_check", "Tests.", &[], &[A], run);
        assert_eq!(C.info.produces.keys(), ["t.a"]);
        assert!(C.undeclared(&[Finding::of(&A, "t_check", "s")]).is_none());
        let found = [
            Finding::of(&A, "t_check", "s"),
            Finding::of(&B, "t_check", "s"),
        ];
        assert_eq!(C.undeclared(&found).map(|f| f.key.as_str()), Some("t.b"));
        assert!(
            C.undeclared(&[Finding::of(&A, "other_check", "s")])
                .is_some(),
            "another actor's finding"
        );
        let raised = Finding::new("t.a", "t_check", Severity::High, "A", "s");
        assert!(
            C.undeclared(&[raised]).is_some(),
            "declared key, other level"
        );
    }
}
