//! leapfrog's menu entry in a `grub.cfg` of menu entries (EL7, [`super::BootLayout::GrubCfg`]):
//! written the way `grub2-mkconfig`/`grubby` write an entry, from the root's **default entry**
//! (the one GRUB boots when nothing is chosen): its lines that select the boot filesystem
//! (`insmod`, `set root=...`, the `search --fs-uuid` block) are kept, its kernel and initrd
//! lines (`linux16`/`linuxefi`/`linux`, `initrd16`/`initrdefi`/`initrd`) name the upgrade kernel
//! and initramfs instead, with the upgrade command line. The entry's id is `leapfrog-upgrade`
//! (`$menuentry_id_option 'leapfrog-upgrade'`, or `--id`), what grubenv's `next_entry` selects.
//!
//! The entry is appended at the end of the file (the numbers of the existing entries, which a
//! numeric `saved_entry` may use, do not change) between a [`BEGIN`] and an [`END`] line, and
//! [`remove`] cuts exactly those lines: the file is afterwards byte for byte what it was.

use leapfrog_actors::facts::grub_cfg::{
    GrubCfg, INITRD_COMMANDS, LINUX_COMMANDS, MenuEntry, split_words,
};

use crate::workspace::ENTRY_ID;

/// The first line of leapfrog's block.
pub const BEGIN: &str =
    "### BEGIN leapfrog-upgrade: the one-shot entry of `leapfrog upgrade`, removed by leapfrog ###";
/// The first line of leapfrog's block when the file did not end with a newline: the newline
/// before this line was added by leapfrog and goes with the block.
pub const BEGIN_AFTER_ADDED_NEWLINE: &str = "### BEGIN leapfrog-upgrade: the one-shot entry of `leapfrog upgrade`, removed by leapfrog (with the newline before this line) ###";
/// The last line of leapfrog's block.
pub const END: &str = "### END leapfrog-upgrade ###";

/// The upgrade entry's kernel, initrd and command line, as GRUB sees them.
#[derive(Debug, Clone)]
pub struct UpgradeEntry<'a> {
    /// Menu title.
    pub title: &'a str,
    /// The kernel image, relative to the default entry's root device.
    pub kernel: &'a str,
    /// The initramfs, likewise.
    pub initrd: &'a str,
    /// The kernel command line.
    pub options: &'a str,
}

/// The directory GRUB sees `/boot` of the root as, from the default entry's kernel path:
/// `/vmlinuz-...` (a separate `/boot`) gives ``, `/boot/vmlinuz-...` gives `/boot`.
pub fn boot_prefix(default: &MenuEntry) -> Option<String> {
    let path = &default.linux.as_ref()?.path;
    let (dir, _) = path.rsplit_once('/')?;
    Some(dir.to_string())
}

/// The `menuentry` block of the upgrade entry, modelled on `default` (see the module
/// documentation).
pub fn entry_text(cfg: &GrubCfg, default: &MenuEntry, entry: &UpgradeEntry<'_>) -> String {
    let title = entry.title.replace('\'', "");
    let id = if cfg.id_option_defined || default.id_via_option {
        format!("$menuentry_id_option '{ENTRY_ID}'")
    } else {
        format!("--id '{ENTRY_ID}'")
    };
    let unrestricted = if default.unrestricted {
        " --unrestricted"
    } else {
        ""
    };
    let mut out =
        format!("menuentry '{title}' --class gnu-linux --class os{unrestricted} {id} {{\n");
    for line in &default.body {
        let words = split_words(line.trim());
        let indent = &line[..line.len() - line.trim_start().len()];
        match words.first().map(String::as_str) {
            Some(c) if LINUX_COMMANDS.contains(&c) => {
                let options: Vec<String> = entry.options.split_whitespace().map(quote).collect();
                out.push_str(&format!(
                    "{indent}{c} {} {}\n",
                    quote(entry.kernel),
                    options.join(" ")
                ));
            }
            Some(c) if INITRD_COMMANDS.contains(&c) => {
                out.push_str(&format!("{indent}{c} {}\n", quote(entry.initrd)));
            }
            // the upgrade entry must never become the saved default
            Some("savedefault") => {}
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out.push_str("}\n");
    out
}

/// A word for GRUB's script: as it is when it has only characters GRUB takes literally, else in
/// single quotes (a `'` inside closes, escapes and reopens them), so that a kernel argument can
/// never become a command or a variable of `grub.cfg`.
pub fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-.,/=:+@%^~".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// `text` with the block holding `entry` appended (an earlier block of leapfrog replaced).
///
/// # Errors
///
/// An earlier block that cannot be removed (see [`remove`]).
pub fn insert(text: &str, entry: &str) -> Result<String, String> {
    let text = remove(text)?.unwrap_or_else(|| text.to_string());
    Ok(if text.is_empty() || text.ends_with('\n') {
        format!("{text}{BEGIN}\n{entry}{END}\n")
    } else {
        format!("{text}\n{BEGIN_AFTER_ADDED_NEWLINE}\n{entry}{END}\n")
    })
}

/// Whether `text` holds leapfrog's block.
pub fn contains(text: &str) -> bool {
    text.lines()
        .any(|l| l == BEGIN || l == BEGIN_AFTER_ADDED_NEWLINE)
}

/// `text` without leapfrog's block(s): exactly the text before [`insert`]; `None` when there
/// is none.
///
/// # Errors
///
/// A begin line without its end line (the file was edited by hand): nothing is guessed.
pub fn remove(text: &str) -> Result<Option<String>, String> {
    let mut out = text.to_string();
    let mut removed = false;
    loop {
        let mut begin: Option<(usize, bool, usize)> = None;
        let mut cut = None;
        let mut offset = 0;
        for (n, line) in out.split_inclusive('\n').enumerate() {
            let bare = line.strip_suffix('\n').unwrap_or(line);
            match begin {
                None if bare == BEGIN || bare == BEGIN_AFTER_ADDED_NEWLINE => {
                    begin = Some((offset, bare == BEGIN_AFTER_ADDED_NEWLINE, n + 1));
                }
                Some((start, joined, _)) if bare == END => {
                    let start = if joined && out[..start].ends_with('\n') {
                        start - 1
                    } else {
                        start
                    };
                    cut = Some((start, offset + line.len()));
                    break;
                }
                _ => {}
            }
            offset += line.len();
        }
        match (begin, cut) {
            (None, _) => break,
            (Some(_), Some((a, b))) => {
                out.replace_range(a..b, "");
                removed = true;
            }
            (Some((_, _, line)), None) => {
                return Err(format!(
                    "leapfrog's entry begins at line {line} but its end line {END:?} is missing: remove the entry by hand"
                ));
            }
        }
    }
    Ok(removed.then_some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    use leapfrog_testkit::grub::{El7Firmware, el7_grub_cfg};

    /// An EL7 BIOS `grub.cfg` whose entry also saves itself as the default (`savedefault`,
    /// `GRUB_SAVEDEFAULT=true`).
    fn el7_cfg() -> String {
        el7_grub_cfg(&["3.10.0-1160.el7.x86_64"], El7Firmware::Bios, "")
            .replace("\tlinux16", "\tsavedefault\n\tlinux16")
    }

    fn upgrade() -> UpgradeEntry<'static> {
        UpgradeEntry {
            title: "leapfrog offline upgrade",
            kernel: "/leapfrog/vmlinuz-upgrade",
            initrd: "/leapfrog/initramfs-upgrade.img",
            options: "root=/dev/mapper/centos-root rw leapfrog.upgrade=1",
        }
    }

    #[test]
    fn the_entry_boots_from_the_default_entrys_filesystem() {
        let cfg = GrubCfg::parse(&el7_cfg());
        let default = cfg.default_entry(None).unwrap();
        assert!(default.body.iter().any(|l| l.trim() == "savedefault"));
        assert_eq!(boot_prefix(default).as_deref(), Some(""));
        let text = entry_text(&cfg, default, &upgrade());
        assert_eq!(
            text,
            "menuentry 'leapfrog offline upgrade' --class gnu-linux --class os --unrestricted $menuentry_id_option 'leapfrog-upgrade' {
\tload_video
\tset gfxpayload=keep
\tinsmod gzio
\tinsmod part_msdos
\tinsmod xfs
\tset root='hd0,msdos1'
\tif [ x$feature_platform_search_hint = xy ]; then
\t  search --no-floppy --fs-uuid --set=root --hint='hd0,msdos1'  6c1f-boot
\telse
\t  search --no-floppy --fs-uuid --set=root 6c1f-boot
\tfi
\tlinux16 /leapfrog/vmlinuz-upgrade root=/dev/mapper/centos-root rw leapfrog.upgrade=1
\tinitrd16 /leapfrog/initramfs-upgrade.img
}
"
        );
        // the written file parses back: the entry is found by its id, as next_entry names it
        let written = insert(&el7_cfg(), &text).unwrap();
        let back = GrubCfg::parse(&written);
        let e = back.default_entry(Some(ENTRY_ID)).unwrap();
        assert_eq!(e.linux.as_ref().unwrap().path, "/leapfrog/vmlinuz-upgrade");
        assert_eq!(e.initrd.as_ref().unwrap().command, "initrd16");
        // the old default keeps its number and title
        assert_eq!(back.default_entry(Some("0")).unwrap().title, default.title);
    }

    #[test]
    fn uefi_commands_and_a_plain_id_follow_the_default_entry() {
        let cfg_text = "load_env\nset default=\"${next_entry}\"\nmenuentry 'CentOS' --id c {\n\tset root='hd0,gpt2'\n\tlinuxefi /boot/vmlinuz-3.10 root=UUID=1 ro\n\tinitrdefi /boot/initramfs-3.10.img\n}\n";
        let cfg = GrubCfg::parse(cfg_text);
        let default = cfg.default_entry(None).unwrap();
        assert_eq!(boot_prefix(default).as_deref(), Some("/boot"));
        let text = entry_text(&cfg, default, &upgrade());
        assert!(text.starts_with("menuentry 'leapfrog offline upgrade' --class gnu-linux --class os --id 'leapfrog-upgrade' {\n"), "{text}");
        assert!(text.contains("\tlinuxefi /leapfrog/vmlinuz-upgrade "));
        assert!(text.contains("\tinitrdefi /leapfrog/initramfs-upgrade.img\n"));
    }

    #[test]
    fn kernel_arguments_cannot_become_grub_script() {
        assert_eq!(quote("root=UUID=1a-2b"), "root=UUID=1a-2b");
        assert_eq!(
            quote("crashkernel=1G-4G:192M,4G-:256M"),
            "crashkernel=1G-4G:192M,4G-:256M"
        );
        assert_eq!(quote("a;reboot"), "'a;reboot'");
        assert_eq!(quote("x=$y"), "'x=$y'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        let cfg = GrubCfg::parse(&el7_cfg());
        let mut up = upgrade();
        up.options = "root=/dev/sda1 foo;reboot x=$y";
        let text = entry_text(&cfg, cfg.default_entry(None).unwrap(), &up);
        // parsed back as GRUB splits words: the arguments are words, not commands
        let back = GrubCfg::parse(&insert("", &text).unwrap());
        let linux = back.entries[0].linux.as_ref().unwrap();
        assert_eq!(linux.path, "/leapfrog/vmlinuz-upgrade");
        assert!(
            text.contains(" root=/dev/sda1 'foo;reboot' 'x=$y'\n"),
            "{text}"
        );
    }

    #[test]
    fn removal_gives_back_the_file_byte_for_byte() {
        let entry = entry_text(
            &GrubCfg::parse(&el7_cfg()),
            GrubCfg::parse(&el7_cfg()).default_entry(None).unwrap(),
            &upgrade(),
        );
        let cfg = el7_cfg();
        for original in [
            cfg.as_str(),
            "",
            "menuentry 'x' {\n}",
            "no newline at the end",
        ] {
            let with = insert(original, &entry).unwrap();
            assert!(contains(&with));
            assert!(!contains(original));
            assert_eq!(remove(&with).unwrap().as_deref(), Some(original));
            // staging again replaces the block, it does not add a second one
            let again = insert(&with, &entry).unwrap();
            assert_eq!(again, with);
            assert_eq!(remove(original).unwrap(), None);
        }
        // text added after the block by another tool stays
        let with = insert(&cfg, &entry).unwrap();
        let later = format!("{with}menuentry 'added later' {{\n}}\n");
        assert_eq!(
            remove(&later).unwrap().unwrap(),
            format!("{cfg}menuentry 'added later' {{\n}}\n")
        );
        // a block whose end was removed by hand is not guessed at
        let broken = with.replace(END, "");
        let e = remove(&broken).unwrap_err();
        assert!(e.contains("end line"), "{e}");
        assert!(insert(&broken, &entry).is_err());
    }
}
