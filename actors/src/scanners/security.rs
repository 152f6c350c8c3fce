//! `security_scanner`: SELinux mode, sshd settings, PAM modules in use, the crypto policy (and
//! custom policy definitions) and firewalld options.

use std::collections::BTreeMap;

use crate::facts::kv;
use crate::facts::security::{SecurityFacts, SshdConfig};
use crate::model::{Env, Facts};
use crate::registry::Scanner;

use super::{list, read_text};

/// Where locally defined crypto policies live.
pub const CUSTOM_POLICY_DIR: &str = "/etc/crypto-policies/policies";

/// The scanner.
pub const SCANNER: Scanner = Scanner::new(
    "security_scanner",
    "Reads the SELinux mode, sshd settings, PAM modules in use, the crypto policy and firewalld options.",
    &[
        "/etc/selinux/config",
        "/etc/ssh/sshd_config",
        "/etc/pam.d",
        "/etc/crypto-policies/config",
        CUSTOM_POLICY_DIR,
        "/etc/firewalld/firewalld.conf",
    ],
    &["facts.security"],
    run,
);

/// Reads the settings of an sshd_config text.
pub fn parse_sshd(text: &str) -> SshdConfig {
    let mut c = SshdConfig {
        present: true,
        ..Default::default()
    };
    let mut in_match = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut it = line.splitn(2, |ch: char| ch.is_whitespace() || ch == '=');
        let key = it.next().unwrap_or("").to_ascii_lowercase();
        let value = it
            .next()
            .unwrap_or("")
            .trim()
            .trim_start_matches('=')
            .trim()
            .to_string();
        match key.as_str() {
            "match" => in_match = true,
            "include" => c.includes.push(value),
            "permitrootlogin" if in_match => c.permit_root_login_in_match = true,
            "permitrootlogin" if c.permit_root_login.is_none() => {
                c.permit_root_login = Some(value.to_ascii_lowercase())
            }
            _ => {}
        }
    }
    c
}

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let selinux = read_text(&env.root, "/etc/selinux/config")?
        .and_then(|t| kv::parse(&t).get("SELINUX").map(|v| v.to_ascii_lowercase()));
    let mut sshd = read_text(&env.root, "/etc/ssh/sshd_config")?
        .map(|t| parse_sshd(&t))
        .unwrap_or_default();
    if sshd.present {
        sshd.mtime = env
            .root
            .resolve_host("/etc/ssh/sshd_config")
            .ok()
            .and_then(|p| std::fs::metadata(p).ok())
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs());
    }
    let mut pam_modules: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in list(&env.root, "/etc/pam.d", |_| true)? {
        let file = path.display().to_string();
        let Some(text) = read_text(&env.root, &file)? else {
            continue;
        };
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            for word in line.split_whitespace() {
                let module = word.rsplit('/').next().unwrap_or(word);
                if module.starts_with("pam_") && module.ends_with(".so") {
                    let files = pam_modules
                        .entry(module.trim_end_matches(".so").to_string())
                        .or_default();
                    if !files.contains(&file) {
                        files.push(file.clone());
                    }
                }
            }
        }
    }
    let crypto_policy = read_text(&env.root, "/etc/crypto-policies/config")?.and_then(|t| {
        t.lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
    });
    let mut custom_crypto_policies: Vec<String> =
        list(&env.root, CUSTOM_POLICY_DIR, |n| n.ends_with(".pol"))?
            .iter()
            .map(|p| p.display().to_string())
            .collect();
    custom_crypto_policies.extend(
        list(&env.root, &format!("{CUSTOM_POLICY_DIR}/modules"), |n| {
            n.ends_with(".pmod")
        })?
        .iter()
        .map(|p| p.display().to_string()),
    );
    let firewalld_allow_zone_drifting = read_text(&env.root, "/etc/firewalld/firewalld.conf")?
        .and_then(|t| kv::parse(&t).get("AllowZoneDrifting").cloned());
    facts.security.set(SecurityFacts {
        selinux,
        sshd,
        pam_modules,
        crypto_policy,
        custom_crypto_policies,
        firewalld_allow_zone_drifting,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn sshd_first_value_wins_and_match_blocks_are_noted() {
        let c = super::parse_sshd(
            "# x\nPermitRootLogin yes\npermitrootlogin no\nMatch User bob\n  PermitRootLogin no\n",
        );
        assert_eq!(c.permit_root_login.as_deref(), Some("yes"));
        assert!(c.permit_root_login_in_match);
        let c = super::parse_sshd("#PermitRootLogin yes\nInclude /etc/ssh/sshd_config.d/*.conf\n");
        assert_eq!(c.permit_root_login, None);
        assert_eq!(c.includes, ["/etc/ssh/sshd_config.d/*.conf"]);
    }
}
