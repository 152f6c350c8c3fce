//! `rpm_signature_digest_check`: no installed package is signed with a SHA-1 (or weaker)
//! digest when upgrading to EL9 or later. EL9's DEFAULT crypto policy makes rpm and dnf reject
//! such signatures, so these packages can neither be verified nor handled by the upgrade
//! transaction.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "rpm_signature_digest_check";

const SHA1_SIGNATURE: FindingInfo = FindingInfo {
    key: "packages.sha1-signature",
    level: Level::Inhibitor,
    title: "Packages are signed with SHA-1, which EL9 and later reject",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Blocks upgrades to EL9 and later while packages signed with a SHA-1 (or MD5) digest are installed: the target's default crypto policy rejects those signatures.",
    &["facts.rpm", "facts.release", "target"],
    &[SHA1_SIGNATURE],
    run,
);

/// Whether an rpm signature algorithm (`RSA/SHA1`) uses a digest EL9 rejects.
pub fn weak_digest(algorithm: &str) -> bool {
    algorithm
        .rsplit('/')
        .next()
        .is_some_and(|hash| hash.eq_ignore_ascii_case("SHA1") || hash.eq_ignore_ascii_case("MD5"))
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !input.upgrading_to_at_least(9) {
        return Vec::new();
    }
    let Some(rpm) = input.facts.rpm.get() else {
        return Vec::new();
    };
    let weak: Vec<(String, String)> = rpm
        .real()
        .filter_map(|p| {
            let algorithm = rpm.signature_algorithm(p)?;
            weak_digest(algorithm).then(|| {
                let key = p.signature_key_id.as_deref().unwrap_or("unknown key");
                (p.nevra(), format!("{} ({algorithm}, key {key})", p.nevra()))
            })
        })
        .collect();
    if weak.is_empty() {
        return Vec::new();
    }
    let target = input.target.map_or_else(
        || "the target".to_string(),
        |t| format!("{} {}", t.name, t.major),
    );
    let lines: Vec<&String> = weak.iter().map(|(_, l)| l).collect();
    vec![
        Finding::of(
            &SHA1_SIGNATURE,
            ID,
            format!(
                "These packages are signed with a SHA-1 digest. The DEFAULT crypto policy of {target} rejects SHA-1 signatures, so rpm and dnf cannot verify them during or after the upgrade:\n{}",
                bullet_list(&lines, 20)
            ),
        )
        .hint("Replace them with builds signed with SHA-256 or stronger (ask the vendor; re-sign your own packages with `rpmsign --addsign --define '_gpg_digest_algo sha256'`), or remove them before the upgrade.")
        .related("package", weak.iter().map(|(n, _)| n.clone()))
        .groups(&["security"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::weak_digest;

    #[test]
    fn weak_digests() {
        assert!(weak_digest("RSA/SHA1"));
        assert!(weak_digest("DSA/SHA1"));
        assert!(weak_digest("RSA/MD5"));
        assert!(!weak_digest("RSA/SHA256"));
        assert!(!weak_digest("EdDSA/SHA512"));
        assert!(!weak_digest(""));
    }
}
