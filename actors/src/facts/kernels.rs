//! Installed kernels and the boot entries that start them.
//!
//! EL8 and later split the kernel into `kernel` (a meta package) and `kernel-core` (the image);
//! EL7 has only `kernel`. Boot entries are Boot Loader Specification snippets in
//! `/boot/loader/entries/*.conf` (EL8 and later; EL7 roots have none).

use std::collections::BTreeSet;
use std::path::Path;

use rpm_sys::InstalledPackage;
use serde::{Deserialize, Serialize};

use super::ReadProblem;
use super::rootfs::RootFs;

/// Where BLS entries live.
pub const BLS_DIR: &str = "/boot/loader/entries";

/// An installed kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kernel {
    /// The package providing the kernel image: `kernel-core` (EL8+) or `kernel` (EL7).
    pub package: String,
    /// Its full NEVRA.
    pub nevra: String,
    /// `version-release.arch`, i.e. `uname -r` of the running kernel, and the `version` of its
    /// boot entry (e.g. `5.14.0-362.8.1.el9_3.x86_64`).
    pub kernel_release: String,
    /// When it was installed (seconds since the epoch).
    pub install_time: Option<u64>,
    /// File names (in [`BLS_DIR`]) of the boot entries for this kernel.
    pub boot_entries: Vec<String>,
}

/// A Boot Loader Specification entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootEntry {
    /// The file name, e.g. `<machine-id>-5.14.0-362.el9.x86_64.conf`.
    pub file: String,
    /// `title`.
    pub title: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `linux`: the kernel image, relative to the boot partition.
    pub linux: Option<String>,
    /// `initrd` lines.
    pub initrd: Vec<String>,
    /// `options` (may reference grubenv variables such as `$kernelopts` on EL8).
    pub options: Option<String>,
}

/// The installed kernels among `packages`, oldest first: every `kernel-core`, and every `kernel`
/// without a `kernel-core` of the same version (EL7, or a meta package whose core is missing).
/// `entries` are matched to kernels by their `version`.
pub fn installed_kernels(packages: &[InstalledPackage], entries: &[BootEntry]) -> Vec<Kernel> {
    let kernel_release = |p: &InstalledPackage| match &p.arch {
        Some(arch) => format!("{}-{}.{arch}", p.version, p.release),
        None => format!("{}-{}", p.version, p.release),
    };
    let cores: BTreeSet<String> = packages
        .iter()
        .filter(|p| p.name == "kernel-core")
        .map(kernel_release)
        .collect();
    let mut kernels: Vec<(&InstalledPackage, Kernel)> = packages
        .iter()
        .filter(|p| {
            p.name == "kernel-core" || (p.name == "kernel" && !cores.contains(&kernel_release(p)))
        })
        .map(|p| {
            let release = kernel_release(p);
            let boot_entries = entries
                .iter()
                .filter(|e| e.version.as_deref() == Some(release.as_str()))
                .map(|e| e.file.clone())
                .collect();
            let kernel = Kernel {
                package: p.name.clone(),
                nevra: p.nevra(),
                kernel_release: release,
                install_time: p.install_time,
                boot_entries,
            };
            (p, kernel)
        })
        .collect();
    kernels.sort_by(|(a, _), (b, _)| a.cmp_evr(b).then_with(|| a.name.cmp(&b.name)));
    kernels.into_iter().map(|(_, kernel)| kernel).collect()
}

/// Reads every `*.conf` in [`BLS_DIR`], sorted by file name. Unreadable files are reported as
/// problems and skipped.
pub fn read_boot_entries(root: &RootFs, problems: &mut Vec<ReadProblem>) -> Vec<BootEntry> {
    let files = match root.files_in(BLS_DIR, |name| name.ends_with(".conf")) {
        Ok(files) => files,
        Err(err) => {
            problems.push(ReadProblem::new(
                BLS_DIR,
                format!("cannot list boot entries: {err}"),
            ));
            return Vec::new();
        }
    };
    let mut entries = Vec::new();
    for path in files {
        match root.read_optional(&path) {
            Ok(Some(bytes)) => {
                let file = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                entries.push(parse_boot_entry(file, &String::from_utf8_lossy(&bytes)));
            }
            Ok(None) => {}
            Err(err) => problems.push(ReadProblem::new(
                Path::new(&path).display().to_string(),
                format!("cannot read boot entry: {err}"),
            )),
        }
    }
    entries
}

/// Parses a BLS snippet: `key value` lines, `#` comments. Unknown keys are ignored; for keys
/// that should appear once, the last occurrence wins.
pub fn parse_boot_entry(file: String, text: &str) -> BootEntry {
    let mut entry = BootEntry {
        file,
        title: None,
        version: None,
        linux: None,
        initrd: Vec::new(),
        options: None,
    };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once(char::is_whitespace)
            .map_or((line, ""), |(k, v)| (k, v.trim()));
        let value = value.to_owned();
        match key {
            "title" => entry.title = Some(value),
            "version" => entry.version = Some(value),
            "linux" => entry.linux = Some(value),
            "initrd" => entry
                .initrd
                .extend(value.split_whitespace().map(str::to_owned)),
            "options" => entry.options = Some(value),
            _ => {}
        }
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, version: &str, release: &str) -> InstalledPackage {
        InstalledPackage {
            name: name.into(),
            epoch: None,
            version: version.into(),
            release: release.into(),
            arch: Some("x86_64".into()),
            vendor: None,
            signature_key_id: None,
            install_time: Some(1),
            size: None,
            source_rpm: None,
        }
    }

    #[test]
    fn parses_a_bls_entry() {
        let entry = parse_boot_entry(
            "abc-5.14.0-362.el9.x86_64.conf".into(),
            "# comment\ntitle AlmaLinux (5.14.0-362.el9.x86_64) 9.3\nversion 5.14.0-362.el9.x86_64\n\
             linux /vmlinuz-5.14.0-362.el9.x86_64\ninitrd /initramfs-5.14.0-362.el9.x86_64.img $tuned_initrd\n\
             options root=/dev/mapper/rl-root ro\ngrub_users $grub_users\ngrub_arg --unrestricted\n\
             grub_class kernel\nlonely\n",
        );
        assert_eq!(
            entry.title.as_deref(),
            Some("AlmaLinux (5.14.0-362.el9.x86_64) 9.3")
        );
        assert_eq!(entry.version.as_deref(), Some("5.14.0-362.el9.x86_64"));
        assert_eq!(
            entry.linux.as_deref(),
            Some("/vmlinuz-5.14.0-362.el9.x86_64")
        );
        assert_eq!(
            entry.initrd,
            ["/initramfs-5.14.0-362.el9.x86_64.img", "$tuned_initrd"]
        );
        assert_eq!(
            entry.options.as_deref(),
            Some("root=/dev/mapper/rl-root ro")
        );
        let empty = parse_boot_entry("x.conf".into(), "\u{0}\u{1}garbage\n\n");
        assert_eq!(empty.title, None);
    }

    #[test]
    fn el8_kernels_are_the_core_packages() {
        let packages = [
            package("kernel", "4.18.0", "513.el8"),
            package("kernel", "4.18.0", "477.el8"),
            package("kernel-core", "4.18.0", "513.el8"),
            package("kernel-core", "4.18.0", "477.el8"),
            package("kernel-modules", "4.18.0", "513.el8"),
        ];
        let entries = [parse_boot_entry(
            "a.conf".into(),
            "version 4.18.0-513.el8.x86_64\n",
        )];
        let kernels = installed_kernels(&packages, &entries);
        let releases: Vec<_> = kernels.iter().map(|k| k.kernel_release.as_str()).collect();
        assert_eq!(releases, ["4.18.0-477.el8.x86_64", "4.18.0-513.el8.x86_64"]);
        assert!(kernels.iter().all(|k| k.package == "kernel-core"));
        assert!(kernels[0].boot_entries.is_empty());
        assert_eq!(kernels[1].boot_entries, ["a.conf"]);
    }

    #[test]
    fn el7_kernels_are_the_kernel_packages() {
        let packages = [
            package("kernel", "3.10.0", "1160.el7"),
            package("kernel-tools", "3.10.0", "1160.el7"),
        ];
        let kernels = installed_kernels(&packages, &[]);
        assert_eq!(kernels.len(), 1);
        assert_eq!(kernels[0].nevra, "kernel-3.10.0-1160.el7.x86_64");
    }
}
