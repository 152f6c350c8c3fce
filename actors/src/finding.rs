//! What a check reports: a finding with a stable key, a severity or an inhibitor flag, a title,
//! a summary naming the offending objects, and a remediation.

use serde::{Deserialize, Serialize};

/// How serious a finding is (leapp's report severities).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For the record.
    Info,
    /// Worth knowing.
    Low,
    /// Should be looked at before upgrading.
    Medium,
    /// Likely to break something after the upgrade.
    High,
}

impl Severity {
    /// Lowercase name, as in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// How a kind of finding is classified: one of the [`Severity`]s, or an inhibitor. A [`Finding`]
/// carries its level as the report does, as a `severity` and an `inhibitor` flag
/// ([`Level::severity`], [`Level::is_inhibitor`]).
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
    /// Blocks the upgrade (reported with high severity).
    Inhibitor,
}

impl Level {
    /// The severity findings of this level are reported with (`high` for an inhibitor).
    pub const fn severity(self) -> Severity {
        match self {
            Level::Info => Severity::Info,
            Level::Low => Severity::Low,
            Level::Medium => Severity::Medium,
            Level::High | Level::Inhibitor => Severity::High,
        }
    }

    /// Whether findings of this level block the upgrade.
    pub const fn is_inhibitor(self) -> bool {
        matches!(self, Level::Inhibitor)
    }
}

/// A kind of finding a check can produce, declared once as a constant of the check: its stable
/// key, level and title. The check names it in [`crate::registry::Check::findings`] (which is
/// also what the catalogue lists) and builds its findings from it with [`Finding::of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FindingInfo {
    /// Stable key (`domain.what`), what `--waive` names.
    pub key: &'static str,
    /// Level.
    pub level: Level,
    /// Title of every finding of this kind.
    pub title: &'static str,
}

/// How to fix a finding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    /// What to do, in words.
    pub hint: String,
    /// The exact command, when there is one (argv form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
}

/// Something a finding is about (a package, a file, a kernel module...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// `package`, `file`, `directory`, `kernel-driver`, `pci-device`, `repository`, ...
    pub scheme: String,
    /// The object.
    pub title: String,
}

impl Resource {
    /// A resource.
    pub fn new(scheme: &str, title: impl Into<String>) -> Self {
        Self {
            scheme: scheme.to_string(),
            title: title.into(),
        }
    }
}

/// A question a human must answer before the upgrade (recorded in the answerfile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Answerfile section (the check's scope), e.g. `sshd_root_login`.
    pub section: String,
    /// Key in the section, e.g. `keep_password_login`.
    pub key: String,
    /// What is asked.
    pub prompt: String,
    /// Accepted answers.
    pub choices: Vec<String>,
}

impl Question {
    /// `section.key`, the name used by `leapfrog answer --section`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.section, self.key)
    }
}

/// One result of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable key of the finding (e.g. `storage.nfs-in-fstab`); what `--waive` names.
    pub key: String,
    /// Id of the actor that produced it.
    pub actor: String,
    /// Severity.
    pub severity: Severity,
    /// Blocks the upgrade until fixed, answered or waived.
    pub inhibitor: bool,
    /// One line.
    pub title: String,
    /// What was found, naming the offending objects.
    pub summary: String,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Remediation>,
    /// Objects involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Resource>,
    /// Report groups (leapp's tags: `boot`, `network`, `repository`, `security`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The question behind this finding, when it is an unanswered question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<Question>,
    /// Set when the user waived this inhibitor (`--waive KEY` or the waiver file).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub waived: bool,
}

impl Finding {
    /// A finding of `severity` from `actor` under `key`, for findings that are not a check's
    /// (checks use [`Finding::of`] with a declared [`FindingInfo`]).
    pub fn new(
        key: &str,
        actor: &str,
        severity: Severity,
        title: impl Into<String>,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            key: key.to_string(),
            actor: actor.to_string(),
            severity,
            inhibitor: false,
            title: title.into(),
            summary: summary.into(),
            remediation: None,
            related: Vec::new(),
            groups: Vec::new(),
            question: None,
            waived: false,
        }
    }

    /// A finding of the kind `info` from `actor`: key, severity, inhibitor flag and title are
    /// the declared ones.
    pub fn of(info: &FindingInfo, actor: &str, summary: impl Into<String>) -> Self {
        let mut f = Self::new(info.key, actor, info.level.severity(), info.title, summary);
        f.inhibitor = info.level.is_inhibitor();
        f
    }

    /// Whether this finding is of the kind `info`: its key, severity, inhibitor flag and title.
    pub fn is_of(&self, info: &FindingInfo) -> bool {
        self.key == info.key
            && self.severity == info.level.severity()
            && self.inhibitor == info.level.is_inhibitor()
            && self.title == info.title
    }

    /// An inhibitor (always high severity), for findings that are not a check's (the runner's
    /// actor errors, the planner's); checks use [`Finding::of`].
    pub fn inhibitor(
        key: &str,
        actor: &str,
        title: impl Into<String>,
        summary: impl Into<String>,
    ) -> Self {
        let mut f = Self::new(key, actor, Severity::High, title, summary);
        f.inhibitor = true;
        f
    }

    /// Adds a remediation hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.remediation.get_or_insert_with(Default::default).hint = hint.into();
        self
    }

    /// Adds the exact command that fixes it.
    pub fn command<S: Into<String>>(mut self, argv: impl IntoIterator<Item = S>) -> Self {
        self.remediation
            .get_or_insert_with(Default::default)
            .command = Some(argv.into_iter().map(Into::into).collect());
        self
    }

    /// Adds related resources.
    pub fn related(
        mut self,
        scheme: &str,
        titles: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.related
            .extend(titles.into_iter().map(|t| Resource::new(scheme, t)));
        self
    }

    /// Adds report groups.
    pub fn groups(mut self, groups: &[&str]) -> Self {
        self.groups.extend(groups.iter().map(|g| g.to_string()));
        self
    }

    /// A finding of the kind `info` (an inhibitor) for an unanswered question; its remediation
    /// is the `leapfrog answer` command.
    pub fn unanswered(
        info: &FindingInfo,
        actor: &str,
        summary: impl Into<String>,
        question: Question,
    ) -> Self {
        let example = question.choices.first().cloned().unwrap_or_default();
        let name = question.name();
        let mut f = Self::of(info, actor, summary)
            .hint(format!(
                "{} Answer with one of: {}.",
                question.prompt,
                question.choices.join(", ")
            ))
            .command([
                "leapfrog".to_string(),
                "answer".to_string(),
                "--section".to_string(),
                format!("{name}={example}"),
            ])
            .groups(&["question"]);
        f.question = Some(question);
        f
    }

    /// Whether this finding blocks the upgrade (an inhibitor that was not waived).
    pub fn blocks(&self) -> bool {
        self.inhibitor && !self.waived
    }
}

/// Formats a list of objects for a summary: `- a\n- b`, at most `limit` then `... and N more`.
pub fn bullet_list<S: AsRef<str>>(items: &[S], limit: usize) -> String {
    let mut out: Vec<String> = items
        .iter()
        .take(limit)
        .map(|i| format!("- {}", i.as_ref()))
        .collect();
    if items.len() > limit {
        out.push(format!("... and {} more", items.len() - limit));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_and_blocking() {
        let f = Finding::inhibitor("k", "a", "t", "s")
            .hint("do it")
            .command(["dnf", "remove", "x"])
            .related("package", ["x"]);
        assert!(f.blocks() && f.severity == Severity::High);
        assert_eq!(
            f.remediation.as_ref().unwrap().command.as_ref().unwrap(),
            &["dnf", "remove", "x"]
        );
        let mut w = f.clone();
        w.waived = true;
        assert!(!w.blocks());
        assert!(!Finding::new("k", "a", Severity::Low, "t", "s").blocks());
    }

    #[test]
    fn findings_of_a_declared_kind() {
        const LOCKED: FindingInfo = FindingInfo {
            key: "d.locked",
            level: Level::Inhibitor,
            title: "Locked",
        };
        const NOTE: FindingInfo = FindingInfo {
            key: "d.note",
            level: Level::Low,
            title: "Note",
        };
        let f = Finding::of(&LOCKED, "a", "s");
        assert_eq!(f, Finding::inhibitor("d.locked", "a", "Locked", "s"));
        assert!(f.is_of(&LOCKED) && !f.is_of(&NOTE));
        let n = Finding::of(&NOTE, "a", "s");
        assert_eq!(n, Finding::new("d.note", "a", Severity::Low, "Note", "s"));
        let mut other_title = n.clone();
        other_title.title = "Other".into();
        assert!(!other_title.is_of(&NOTE));
        let mut raised = n;
        raised.severity = Severity::High;
        assert!(!raised.is_of(&NOTE));
        assert_eq!(Level::Inhibitor.severity(), Severity::High);
        assert!(Level::Inhibitor.is_inhibitor() && !Level::High.is_inhibitor());
    }

    #[test]
    fn bullet_list_truncates() {
        assert_eq!(bullet_list(&["a", "b"], 5), "- a\n- b");
        assert_eq!(bullet_list(&["a", "b", "c"], 2), "- a\n- b\n... and 1 more");
    }
}
