//! Checks: one file per actor, grouped by domain. Each domain module lists its checks in
//! `CHECKS`; [`ALL`] is the whole catalogue.

use std::sync::LazyLock;

use crate::registry::Check;

pub mod boot;
pub mod hardware;
pub mod legacy;
pub mod network;
pub mod packages;
pub mod release;
pub mod repos;
pub mod security;
pub mod storage;
pub mod system;

/// Every check, by domain.
pub static ALL: LazyLock<Vec<Check>> = LazyLock::new(|| {
    [
        release::CHECKS,
        packages::CHECKS,
        repos::CHECKS,
        boot::CHECKS,
        storage::CHECKS,
        hardware::CHECKS,
        network::CHECKS,
        security::CHECKS,
        system::CHECKS,
        legacy::CHECKS,
    ]
    .concat()
});

#[cfg(test)]
mod tests {
    /// Checks read facts only: the types come from `facts`/`model`, never from a scanner.
    #[test]
    fn checks_do_not_import_from_scanners() {
        fn walk(dir: &std::path::Path, offenders: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, offenders);
                } else if std::fs::read_to_string(&p)
                    .unwrap()
                    .lines()
                    .any(|l| l.trim_start().starts_with("use crate::scanners"))
                {
                    offenders.push(p.display().to_string());
                }
            }
        }
        let mut offenders = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/checks"),
            &mut offenders,
        );
        assert!(offenders.is_empty(), "{offenders:?}");
    }
}
