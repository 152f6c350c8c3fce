//! The planner: decides the fate of every installed package.
//!
//! Today this is the package-evolution stage ([`events`]): PES events applied to an installed
//! set. Repository mapping to target repo ids is done by the `plan` verb with leapp's repomap;
//! [`depsolve`] solves the whole upgrade with libsolv (module streams filtered by [`modules`]);
//! download and the test transaction come next (see the open planner issue).

pub mod depsolve;
pub mod events;
pub mod fates;
pub mod space;
pub mod modules;

/// The name of a package from an `rpm -qa` line (`name-[epoch:]version-release[.arch]`).
pub fn name_from_nevra(line: &str) -> Option<&str> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (rest, _release) = line.rsplit_once('-')?;
    let (name, _version) = rest.rsplit_once('-')?;
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_from_rpm_qa_lines() {
        assert_eq!(
            super::name_from_nevra("openssl-libs-1:1.1.1k-12.el8_9.x86_64"),
            Some("openssl-libs")
        );
        assert_eq!(
            super::name_from_nevra("python3-dnf-plugin-versionlock-4.0.21-25.el8.noarch"),
            Some("python3-dnf-plugin-versionlock")
        );
        assert_eq!(
            super::name_from_nevra("gpg-pubkey-c21ad6ea-5f4f3b2d"),
            Some("gpg-pubkey")
        );
        assert_eq!(super::name_from_nevra("# comment"), None);
        assert_eq!(super::name_from_nevra("nodashes"), None);
    }
}
