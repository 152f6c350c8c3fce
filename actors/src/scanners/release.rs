//! `release_scanner`: the installed release from `/etc/os-release` and `/etc/redhat-release`.

use crate::facts::os_release;
use crate::facts::release::ReleaseFacts;
use crate::model::{Env, Facts};
use crate::registry::Scanner;

/// The scanner.
pub const SCANNER: Scanner = Scanner::new(
    "release_scanner",
    "Reads the installed release from /etc/os-release and /etc/redhat-release.",
    &["/etc/os-release", "/etc/redhat-release"],
    &["facts.release"],
    run,
);

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let os = os_release::read(&env.root).map_err(|e| e.to_string())?;
    let redhat_release = os_release::read_redhat_release(&env.root).map_err(|e| e.to_string())?;
    let version = os.version_id.clone();
    let mut parts = version.split('.');
    let major = parts.next().and_then(|m| m.parse().ok());
    let minor = parts
        .next()
        .and_then(|m| m.parse().ok())
        .or_else(|| redhat_release.as_deref().and_then(minor_from_release_text));
    facts.release.set(ReleaseFacts {
        os,
        redhat_release,
        major,
        minor,
    });
    Ok(())
}

/// The minor version in a release line such as `CentOS Linux release 7.9.2009 (Core)`.
pub fn minor_from_release_text(text: &str) -> Option<u32> {
    let word = text
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()) && w.contains('.'))?;
    word.split('.').nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn minor_from_release_lines() {
        assert_eq!(
            super::minor_from_release_text("CentOS Linux release 7.9.2009 (Core)"),
            Some(9)
        );
        assert_eq!(
            super::minor_from_release_text("AlmaLinux release 8.10 (Cerulean Leopard)"),
            Some(10)
        );
        assert_eq!(super::minor_from_release_text("garbage"), None);
    }
}
