//! `crypto_policy_check`: the system-wide crypto policy carries over. A custom policy or
//! subpolicy module (defined in `/etc/crypto-policies/policies`) is not part of the target's
//! crypto-policies package and must be recreated and re-checked there; LEGACY keeps weak
//! algorithms enabled.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "crypto_policy_check";

/// The policies every crypto-policies package ships.
pub const BUILTIN_POLICIES: &[&str] = &["DEFAULT", "LEGACY", "FUTURE", "FIPS"];

const CUSTOM_CRYPTO_POLICY: FindingInfo = FindingInfo {
    key: "security.custom-crypto-policy",
    level: Level::High,
    title: "A custom crypto policy is in use",
};

const LEGACY_CRYPTO_POLICY: FindingInfo = FindingInfo {
    key: "security.legacy-crypto-policy",
    level: Level::Low,
    title: "The LEGACY crypto policy is in use",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Reports a crypto policy or subpolicy module that is not built in (it must be recreated on the target) and the LEGACY policy.",
    &["facts.security", "facts.release", "target"],
    &[CUSTOM_CRYPTO_POLICY, LEGACY_CRYPTO_POLICY],
    run,
);

fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(sec) = input.facts.security.get() else {
        return Vec::new();
    };
    let Some(policy) = sec.crypto_policy.as_deref() else {
        return Vec::new();
    };
    let (Some(source), Some(target)) = (input.source_major(), input.target_major()) else {
        return Vec::new();
    };
    if target <= source {
        return Vec::new();
    }
    let mut parts = policy.split(':').map(str::trim);
    let base = parts.next().unwrap_or("");
    let modules: Vec<&str> = parts.filter(|m| !m.is_empty()).collect();
    let local = |name: &str, ext: &str| {
        sec.custom_crypto_policies
            .iter()
            .find(|p| p.ends_with(ext) && stem(p) == name)
            .cloned()
    };
    let mut custom = Vec::new();
    let mut files = Vec::new();
    if let Some(f) = local(base, ".pol") {
        custom.push(format!("policy {base} ({f})"));
        files.push(f);
    } else if !BUILTIN_POLICIES.contains(&base) {
        custom.push(format!("policy {base} (not a built-in policy)"));
    }
    for m in &modules {
        if let Some(f) = local(m, ".pmod") {
            custom.push(format!("subpolicy {m} ({f})"));
            files.push(f);
        }
    }
    let mut out = Vec::new();
    if !custom.is_empty() {
        out.push(
            Finding::of(
                &CUSTOM_CRYPTO_POLICY,
                ID,
                format!(
                    "/etc/crypto-policies/config selects {policy}, which uses definitions that are not part of \
                     the crypto-policies package:\n{}\nThe target's crypto-policies has a different syntax \
                     version and different defaults; a local definition written for EL{source} may fail to \
                     apply or enable other algorithms there, breaking TLS, SSH or signature verification.",
                    bullet_list(&custom, 10)
                ),
            )
            .hint(format!(
                "Keep a copy of the definitions, and after the upgrade recreate them against the EL{target} \
                 policy format (crypto-policies(7)), then apply and check them with `update-crypto-policies \
                 --set {policy}` and `update-crypto-policies --show`. Alternatively switch to a built-in \
                 policy before upgrading."
            ))
            .related("file", files)
            .related("package", ["crypto-policies"])
            .groups(&["security"]),
        );
    }
    if base == "LEGACY" {
        out.push(
            Finding::of(
                &LEGACY_CRYPTO_POLICY,
                ID,
                format!(
                    "/etc/crypto-policies/config selects {policy}. The upgraded system keeps it, so weak \
                     algorithms and short keys stay enabled on EL{target} too."
                ),
            )
            .hint(
                "If the LEGACY policy was only needed for old peers, switch back to DEFAULT after the \
                 upgrade and reboot.",
            )
            .command(["update-crypto-policies", "--set", "DEFAULT"])
            .related("file", ["/etc/crypto-policies/config"])
            .groups(&["security"]),
        );
    }
    out
}
