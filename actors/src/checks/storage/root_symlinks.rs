//! `root_symlinks_check`: symlinks directly under `/` are relative.
//!
//! In the upgrade initramfs the system's root is mounted at `/sysroot`; an absolute link such
//! as `/snap -> /var/lib/snapd/snap` then points into the initramfs instead of the system, and
//! anything the transaction reaches through it (`/bin`, `/lib`, `/lib64` when a tool replaced
//! the distribution's relative links) is missing. The same link written relative
//! (`snap -> var/lib/snapd/snap`) works under both roots. The links come from the system
//! scanner (`SystemFacts::absolute_root_symlinks`).

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "root_symlinks_check";

const ABSOLUTE_ROOT_SYMLINKS: FindingInfo = FindingInfo {
    key: "storage.absolute-root-symlinks",
    level: Level::High,
    title: "Absolute symlinks in the root directory",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Looks for absolute symlinks directly under /, which break when the root is mounted at /sysroot in the upgrade initramfs; gives the ln -snf command that makes each relative.",
    &["facts.system"],
    &[ABSOLUTE_ROOT_SYMLINKS],
    run,
);

/// The relative form of an absolute `target` for a link directly under `/`.
pub fn relative_target(target: &str) -> String {
    let parts: Vec<&str> = target
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Quotes `s` for a POSIX shell when it needs it.
fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(system) = input.facts.system.get() else {
        return Vec::new();
    };
    let links = &system.absolute_root_symlinks;
    if links.is_empty() {
        return Vec::new();
    }
    let fixes: Vec<(String, String)> = links
        .iter()
        .map(|(link, target)| (link.clone(), relative_target(target)))
        .collect();
    let lines: Vec<String> = links
        .iter()
        .map(|(link, target)| format!("{link} -> {target}"))
        .collect();
    let commands: Vec<String> = fixes
        .iter()
        .map(|(link, rel)| format!("ln -snf {} {}", sh_quote(rel), sh_quote(link)))
        .collect();
    let command: Vec<String> = if let [(link, rel)] = fixes.as_slice() {
        vec!["ln".into(), "-snf".into(), rel.clone(), link.clone()]
    } else {
        vec!["sh".into(), "-c".into(), commands.join(" && ")]
    };
    vec![
        Finding::of(
            &ABSOLUTE_ROOT_SYMLINKS,
            ID,
            format!(
                "These symlinks directly under / have absolute targets:\n{}\nIn the upgrade initramfs the system is mounted at /sysroot, where absolute links point to the wrong place.",
                bullet_list(&lines, 20)
            ),
        )
        .hint(format!(
            "Replace them with relative links:\n{}",
            bullet_list(&commands, 20)
        ))
        .command(command)
        .related("file", links.iter().map(|(l, _)| l.clone()))
        .groups(&["filesystem"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_targets_and_quoting() {
        assert_eq!(relative_target("/usr/bin"), "usr/bin");
        assert_eq!(
            relative_target("//var/./lib/snapd/snap/"),
            "var/lib/snapd/snap"
        );
        assert_eq!(relative_target("/"), ".");
        assert_eq!(sh_quote("usr/bin"), "usr/bin");
        assert_eq!(sh_quote("/my dir"), "'/my dir'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
    }
}
