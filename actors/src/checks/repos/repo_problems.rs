//! `repo_problems_check`: every repository file parses and its values are valid. Files that
//! cannot be read or parsed, invalid repository ids, invalid option values and undefined dnf
//! variables in enabled repositories are named with the reason.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "repo_problems_check";

/// Variables yum/dnf define themselves besides `releasever`, `basearch` and `arch` (which the
/// scanner substitutes): not reported as undefined.
const BUILTIN_VARIABLES: &[&str] = &["releasever_major", "releasever_minor", "uuid"];

const INVALID_CONFIG: FindingInfo = FindingInfo {
    key: "repos.invalid-config",
    level: Level::Medium,
    title: "Repository configuration is invalid",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Names repository files that cannot be read or parsed, invalid ids and values, and undefined variables in enabled repositories.",
    &["facts.repositories"],
    &[INVALID_CONFIG],
    run,
);

fn builtin(name: &str) -> bool {
    BUILTIN_VARIABLES.contains(&name)
        || ["YUM", "DNF"].iter().any(|p| {
            name.strip_prefix(p)
                .is_some_and(|d| d.len() == 1 && d.chars().all(|c| c.is_ascii_digit()))
        })
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(repos) = input.facts.repositories.get() else {
        return Vec::new();
    };
    let mut lines: Vec<String> = repos.problems.iter().map(ToString::to_string).collect();
    let mut files: Vec<String> = repos.problems.iter().map(|p| p.source.clone()).collect();
    for repo in repos
        .repos
        .iter()
        .chain(&repos.target_repos)
        .filter(|r| r.enabled)
    {
        let undefined: Vec<&str> = repo
            .undefined_variables
            .iter()
            .map(String::as_str)
            .filter(|v| !builtin(v))
            .collect();
        if !undefined.is_empty() {
            lines.push(format!(
                "{}: repository [{}] uses undefined variable(s) {}",
                repo.file,
                repo.id,
                undefined
                    .iter()
                    .map(|v| format!("${v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            files.push(repo.file.clone());
        }
    }
    if lines.is_empty() {
        return Vec::new();
    }
    files.sort();
    files.dedup();
    vec![
        Finding::of(
            &INVALID_CONFIG,
            ID,
            format!(
                "yum/dnf ignore or reject parts of these repository files, so the repositories may be missing or differ from what you expect during the upgrade:\n{}",
                bullet_list(&lines, 20)
            ),
        )
        .hint("Fix the syntax or the values named above (or remove files that are no longer used); define missing variables in /etc/dnf/vars (/etc/yum/vars on EL7).")
        .related("file", files)
        .groups(&["repository"]),
    ]
}
