//! `target_gpg_keys_check`: the signing keys of the enabled target repositories that check
//! signatures exist.
//!
//! dnf reads `file://` `gpgkey` URLs on the machine it runs on, not inside its `--installroot`,
//! so those paths are host paths (the repositories scanner looks them up on the host; on a live
//! system they are the same files). Other URLs (`https://`) are fetched at upgrade time and are
//! not checked here. A repository without a `gpgcheck` setting counts as checking signatures
//! (the EL default in dnf.conf).

use crate::facts::repositories::file_url_path;
use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "target_gpg_keys_check";

const TARGET_KEY_MISSING: FindingInfo = FindingInfo {
    key: "repos.target-key-missing",
    level: Level::Inhibitor,
    title: "Signing keys of target repositories are missing",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Blocks the upgrade when enabled target repositories with gpgcheck name file:// keys that do not exist (host paths, as dnf reads them).",
    &["facts.repositories", "target"],
    &[TARGET_KEY_MISSING],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if input.target.is_none() {
        return Vec::new();
    }
    let Some(repos) = input.facts.repositories.get() else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    let mut paths = Vec::new();
    for repo in repos
        .target_repos
        .iter()
        .filter(|r| r.enabled && r.gpgcheck != Some(false))
    {
        for path in repo.gpgkey.iter().filter_map(|u| file_url_path(u)) {
            if repos.target_gpgkey_files.get(path) == Some(&false) {
                lines.push(format!("{} ({}): {path}", repo.id, repo.file));
                if !paths.iter().any(|p| p == path) {
                    paths.push(path.to_string());
                }
            }
        }
    }
    if lines.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::of(
            &TARGET_KEY_MISSING,
            ID,
            format!(
                "These enabled target repositories check signatures, but the key files they name do not exist, so no package from them could be verified (paths are on this host, where dnf reads them):\n{}",
                bullet_list(&lines, 20)
            ),
        )
        .hint("Put the distribution's or vendor's public key at that path, or correct the gpgkey URL in the repository file. Do not turn gpgcheck off.")
        .related("file", paths)
        .groups(&["repository", "security"]),
    ]
}
