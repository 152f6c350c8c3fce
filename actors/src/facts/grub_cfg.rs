//! `grub.cfg` as EL7's `grub2-mkconfig` and `grubby` write it (and EL8+ with `blscfg`): the menu
//! entries with their kernel and initrd lines, which entry GRUB boots by default, and whether
//! the file reads grubenv's one-shot `next_entry`. The only parser of this format in the
//! workspace; the boot layout ([`super::boot::read_setup`]) and `leapfrog upgrade`'s menu entry
//! on EL7 (`src/boot/grub_cfg.rs`) read through it.
//!
//! Facts the parser relies on (EL7 `grub.cfg`):
//!
//! - entries are `menuentry 'TITLE' [--class C]... [--unrestricted] [$menuentry_id_option
//!   'ID' | --id ID] {`, a body of one command per line, and a line `}`; `submenu` blocks hold
//!   entries the same way;
//! - the kernel is started by `linux16` (BIOS), `linuxefi` (UEFI, EL7) or `linux`, the initramfs
//!   by `initrd16`, `initrdefi` or `initrd`; the lines before them (`insmod`, `set root=...`, the
//!   `search --fs-uuid` block) select the filesystem the paths are relative to;
//! - the preamble loads grubenv (`load_env`) and sets `default` from `${next_entry}` once (then
//!   clears it), else from `${saved_entry}` (`GRUB_DEFAULT=saved`) or a fixed value;
//! - `default` names a top-level item by number, title or id, or a submenu item as
//!   `SUBMENU>ENTRY`; a value that names nothing means item 0.
//!
//! Parsing never fails: text that is not understood simply yields fewer entries.

use serde::{Deserialize, Serialize};

/// Commands that start a kernel.
pub const LINUX_COMMANDS: &[&str] = &["linux16", "linuxefi", "linux"];
/// Commands that load an initramfs.
pub const INITRD_COMMANDS: &[&str] = &["initrd16", "initrdefi", "initrd"];

/// A parsed `grub.cfg`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrubCfg {
    /// Menu entries in file order, those of submenus included.
    pub entries: Vec<MenuEntry>,
    /// Top-level menu items in order: `Entry(i)` is `entries[i]`, `Submenu` a submenu's title and
    /// id (what numeric `default` values count).
    pub items: Vec<MenuItem>,
    /// The `set default=` value that does not involve `next_entry` (the last one), as written
    /// (`${saved_entry}`, `0`, a title).
    pub default: Option<String>,
    /// The file runs `load_env`.
    pub loads_env: bool,
    /// A `set default=` takes `next_entry` (grubenv's one-shot selection is honoured).
    pub reads_next_entry: bool,
    /// The file runs `blscfg` (the menu comes from `/boot/loader/entries`).
    pub blscfg: bool,
    /// The file loads another configuration (`configfile`): an EFI stub pointing at the real one.
    pub configfile: Option<String>,
    /// `$menuentry_id_option` is defined (the ids of `grub2-mkconfig`'s entries).
    pub id_option_defined: bool,
}

/// A top-level item of the menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum MenuItem {
    /// `entries[index]`.
    Entry {
        /// Index into [`GrubCfg::entries`].
        index: usize,
    },
    /// A submenu.
    Submenu {
        /// Its title.
        title: String,
        /// Its id.
        id: Option<String>,
    },
}

/// One `menuentry`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuEntry {
    /// The title.
    pub title: String,
    /// `--id ID` or `$menuentry_id_option 'ID'`.
    pub id: Option<String>,
    /// The id is given through `$menuentry_id_option` (as `grub2-mkconfig` writes it).
    pub id_via_option: bool,
    /// `--unrestricted`: bootable without a password when GRUB has superusers.
    pub unrestricted: bool,
    /// The title of the submenu holding it.
    pub submenu: Option<String>,
    /// The body: the lines between the opening line and the closing `}`, as written.
    pub body: Vec<String>,
    /// The kernel line.
    pub linux: Option<KernelLine>,
    /// The initrd line.
    pub initrd: Option<InitrdLine>,
    /// 1-based line number of the `menuentry` line.
    pub line: usize,
}

/// `linux16 /vmlinuz-... ARGS`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelLine {
    /// `linux16`, `linuxefi` or `linux`.
    pub command: String,
    /// The kernel image, as GRUB sees it (relative to the entry's root device).
    pub path: String,
    /// The kernel command line.
    pub args: String,
}

/// `initrd16 /initramfs-... [MORE]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitrdLine {
    /// `initrd16`, `initrdefi` or `initrd`.
    pub command: String,
    /// The images.
    pub paths: Vec<String>,
}

impl MenuEntry {
    /// Records a kernel or initrd line of the body (the first of each).
    fn read_command(&mut self, line: &str) {
        let words = split_words(line);
        match words.first().map(String::as_str) {
            Some(c) if LINUX_COMMANDS.contains(&c) && self.linux.is_none() => {
                if let Some(path) = words.get(1) {
                    // the arguments as written, after the command and the path
                    let args = line
                        .split_once(char::is_whitespace)
                        .map(|(_, rest)| rest.trim_start())
                        .and_then(|rest| rest.split_once(char::is_whitespace))
                        .map(|(_, args)| args.trim().to_string())
                        .unwrap_or_default();
                    self.linux = Some(KernelLine {
                        command: c.to_string(),
                        path: path.clone(),
                        args,
                    });
                }
            }
            Some(c) if INITRD_COMMANDS.contains(&c) && self.initrd.is_none() => {
                self.initrd = Some(InitrdLine {
                    command: c.to_string(),
                    paths: words[1..].to_vec(),
                });
            }
            _ => {}
        }
    }

    /// The entry can boot a kernel: it has a kernel line with a path and an initrd line.
    pub fn boots_a_kernel(&self) -> bool {
        self.linux.is_some() && self.initrd.as_ref().is_some_and(|i| !i.paths.is_empty())
    }
}

impl GrubCfg {
    /// Parses `grub.cfg` text.
    pub fn parse(text: &str) -> GrubCfg {
        let mut cfg = GrubCfg::default();
        // open blocks: Some(title) for a submenu, None for any other `{` block
        let mut blocks: Vec<Option<(String, Option<String>)>> = Vec::new();
        let mut current: Option<MenuEntry> = None;
        let mut depth_in_entry = 0usize;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if let Some(mut entry) = current.take() {
                if line == "}" && depth_in_entry == 0 {
                    if entry.submenu.is_none() {
                        cfg.items.push(MenuItem::Entry {
                            index: cfg.entries.len(),
                        });
                    }
                    cfg.entries.push(entry);
                    continue;
                }
                if line.ends_with('{') {
                    depth_in_entry += 1;
                } else if line == "}" {
                    depth_in_entry = depth_in_entry.saturating_sub(1);
                }
                entry.body.push(raw.to_string());
                entry.read_command(line);
                current = Some(entry);
                continue;
            }
            let words = split_words(line);
            let first = words.first().map(String::as_str);
            match first {
                Some("menuentry") if line.ends_with('{') => {
                    let (title, id, id_via_option, unrestricted) = entry_head(&words);
                    current = Some(MenuEntry {
                        title,
                        id,
                        id_via_option,
                        unrestricted,
                        submenu: blocks
                            .iter()
                            .rev()
                            .find_map(|b| b.as_ref().map(|s| s.0.clone())),
                        body: Vec::new(),
                        linux: None,
                        initrd: None,
                        line: n + 1,
                    });
                    depth_in_entry = 0;
                }
                Some("submenu") if line.ends_with('{') => {
                    let (title, id, _, _) = entry_head(&words);
                    if blocks.iter().all(Option::is_none) {
                        cfg.items.push(MenuItem::Submenu {
                            title: title.clone(),
                            id: id.clone(),
                        });
                    }
                    blocks.push(Some((title, id)));
                }
                _ if line.ends_with('{') => blocks.push(None),
                _ if line == "}" => {
                    blocks.pop();
                }
                Some("blscfg") => cfg.blscfg = true,
                Some("configfile") => cfg.configfile = words.get(1).cloned(),
                _ => {}
            }
            // `set default=...` and `menuentry_id_option=` may sit inside `if` blocks
            for stmt in line.split(';').map(str::trim) {
                let stmt_words = split_words(stmt);
                let assignment = match stmt_words.as_slice() {
                    [set, a, ..] if set == "set" => Some(a.as_str()),
                    [a, ..] => Some(a.as_str()),
                    [] => None,
                };
                let Some(assignment) = assignment else {
                    continue;
                };
                if let Some(value) = assignment.strip_prefix("default=") {
                    if value.contains("next_entry") {
                        cfg.reads_next_entry = true;
                    } else {
                        cfg.default = Some(value.to_string());
                    }
                } else if assignment.starts_with("menuentry_id_option=") {
                    cfg.id_option_defined = true;
                } else if stmt_words.first().is_some_and(|w| w == "load_env") {
                    cfg.loads_env = true;
                }
            }
        }
        cfg
    }

    /// The entry GRUB boots when nothing is chosen: `default` resolved (`${saved_entry}` with
    /// `saved_entry`), by number among the top-level items, by title or id, or as
    /// `SUBMENU>ENTRY`; item 0 when the value names no entry (as GRUB does). `None` without
    /// entries.
    pub fn default_entry(&self, saved_entry: Option<&str>) -> Option<&MenuEntry> {
        let value = match self.default.as_deref() {
            Some(v) if v.contains("saved_entry") => saved_entry.unwrap_or("0"),
            Some(v) => v,
            None => "0",
        };
        self.resolve(value.trim())
            .or_else(|| self.resolve("0"))
            .or_else(|| self.entries.iter().find(|e| e.submenu.is_none()))
    }

    fn resolve(&self, value: &str) -> Option<&MenuEntry> {
        if let Some((menu, rest)) = value.split_once('>') {
            let (title, id) = match self.item(menu)? {
                MenuItem::Submenu { title, id } => (title, id),
                MenuItem::Entry { .. } => return None,
            };
            let inside: Vec<&MenuEntry> = self
                .entries
                .iter()
                .filter(|e| e.submenu.as_deref() == Some(title.as_str()))
                .collect();
            let _ = id;
            return match rest.parse::<usize>() {
                Ok(i) => inside.get(i).copied(),
                Err(_) => inside
                    .into_iter()
                    .find(|e| e.title == rest || e.id.as_deref() == Some(rest)),
            };
        }
        match self.item(value)? {
            MenuItem::Entry { index } => self.entries.get(*index),
            MenuItem::Submenu { .. } => None,
        }
    }

    fn item(&self, value: &str) -> Option<&MenuItem> {
        if let Ok(i) = value.parse::<usize>() {
            return self.items.get(i);
        }
        self.items.iter().find(|item| match item {
            MenuItem::Entry { index } => self
                .entries
                .get(*index)
                .is_some_and(|e| e.title == value || e.id.as_deref() == Some(value)),
            MenuItem::Submenu { title, id } => title == value || id.as_deref() == Some(value),
        })
    }
}

/// Title, id, whether the id came through `$menuentry_id_option`, and `--unrestricted` of a
/// `menuentry`/`submenu` line's words.
fn entry_head(words: &[String]) -> (String, Option<String>, bool, bool) {
    let mut title = None;
    let mut id = None;
    let mut via_option = false;
    let mut unrestricted = false;
    let mut i = 1;
    while i < words.len() {
        let w = words[i].as_str();
        match w {
            "{" => break,
            "--unrestricted" => unrestricted = true,
            "--class" | "--users" | "--hotkey" => i += 1,
            "--id" => {
                id = words.get(i + 1).cloned();
                i += 1;
            }
            "$menuentry_id_option" | "${menuentry_id_option}" => {
                id = words.get(i + 1).cloned();
                via_option = true;
                i += 1;
            }
            _ if w.starts_with("--") => {}
            _ if title.is_none() => title = Some(w.to_string()),
            _ => {}
        }
        i += 1;
    }
    (title.unwrap_or_default(), id, via_option, unrestricted)
}

/// Splits a line into words the way GRUB's script does for what grub.cfg uses: whitespace
/// separates, single quotes keep everything literally, double quotes group, a trailing `{`
/// is a word of its own.
pub fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    cur.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                cur.push(e);
                            }
                        }
                        _ => cur.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    cur.push(e);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    use leapfrog_testkit::grub::{El7Firmware, el7_grub_cfg};

    const NEW: &str = "3.10.0-1160.119.1.el7.x86_64";
    const OLD: &str = "3.10.0-1160.el7.x86_64";

    /// An EL7 BIOS `grub.cfg` with two kernels, the newest first.
    pub(crate) fn el7_bios() -> String {
        el7_grub_cfg(&[NEW, OLD], El7Firmware::Bios, "")
    }

    #[test]
    fn entries_kernel_lines_and_the_preamble() {
        let cfg = GrubCfg::parse(&el7_bios());
        assert_eq!(cfg.entries.len(), 2);
        assert!(cfg.loads_env && cfg.reads_next_entry && cfg.id_option_defined);
        assert!(!cfg.blscfg);
        assert_eq!(cfg.default.as_deref(), Some("${saved_entry}"));
        let e = &cfg.entries[0];
        assert_eq!(
            e.title,
            "CentOS Linux (3.10.0-1160.119.1.el7.x86_64) 7 (Core)"
        );
        assert_eq!(
            e.id.as_deref(),
            Some("gnulinux-3.10.0-1160.119.1.el7.x86_64-advanced-7d3e")
        );
        assert!(e.id_via_option && e.unrestricted);
        let linux = e.linux.as_ref().unwrap();
        assert_eq!(linux.command, "linux16");
        assert_eq!(linux.path, "/vmlinuz-3.10.0-1160.119.1.el7.x86_64");
        assert!(linux.args.starts_with("root=/dev/mapper/centos-root ro"));
        assert!(linux.args.ends_with("LANG=en_US.UTF-8"));
        assert_eq!(
            e.initrd.as_ref().unwrap().paths,
            ["/initramfs-3.10.0-1160.119.1.el7.x86_64.img"]
        );
        // the if/else/fi of the search lines stays in the body, the closing brace does not
        assert_eq!(e.body.len(), 13);
        assert!(e.body[6].contains("if [ x$feature_platform_search_hint"));
        assert!(e.boots_a_kernel());
    }

    #[test]
    fn the_default_follows_saved_entry_by_title_id_number_or_falls_back_to_0() {
        let cfg = GrubCfg::parse(&el7_bios());
        let title = |s: Option<&str>| cfg.default_entry(s).map(|e| e.title.clone()).unwrap();
        assert!(title(Some("CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)")).contains("1160.el7"));
        assert!(title(Some("gnulinux-3.10.0-1160.el7.x86_64-advanced-7d3e")).contains("1160.el7"));
        assert!(title(Some("1")).contains("1160.el7"));
        assert!(title(Some("0")).contains("119.1"));
        assert!(title(Some("no such entry")).contains("119.1"));
        assert!(title(None).contains("119.1"));
        let fixed = GrubCfg::parse(&el7_bios().replace("\"${saved_entry}\"", "\"1\""));
        assert!(
            fixed
                .default_entry(Some("0"))
                .unwrap()
                .title
                .contains("1160.el7")
        );
    }

    #[test]
    fn submenus_are_one_item_and_reachable_with_a_path() {
        let text = "set default=\"Advanced>old\"\nmenuentry 'first' {\n linux /a\n initrd /b\n}\nsubmenu 'Advanced' $menuentry_id_option 'adv' {\n menuentry 'new' {\n  linux /n\n  initrd /ni\n }\n menuentry 'old' --id old {\n  linux /o\n  initrd /oi\n }\n}\nmenuentry 'last' {\n linux /l\n initrd /li\n}\n";
        let cfg = GrubCfg::parse(text);
        assert_eq!(cfg.entries.len(), 4);
        assert_eq!(cfg.items.len(), 3);
        assert_eq!(cfg.default_entry(None).unwrap().title, "old");
        let mut c2 = cfg.clone();
        c2.default = Some("2".into());
        assert_eq!(c2.default_entry(None).unwrap().title, "last");
        c2.default = Some("adv>0".into());
        assert_eq!(c2.default_entry(None).unwrap().title, "new");
        c2.default = Some("1".into()); // a submenu: GRUB's item 0 instead
        assert_eq!(c2.default_entry(None).unwrap().title, "first");
    }

    #[test]
    fn blscfg_stubs_and_garbage_never_panic() {
        let bls = GrubCfg::parse("insmod blscfg\nblscfg\n");
        assert!(bls.blscfg && bls.entries.is_empty());
        let stub = GrubCfg::parse(
            "search --no-floppy --fs-uuid --set=dev 1234\nset prefix=($dev)/grub2\nexport $prefix\nconfigfile $prefix/grub.cfg\n",
        );
        assert_eq!(stub.configfile.as_deref(), Some("$prefix/grub.cfg"));
        assert!(stub.default_entry(None).is_none());
        for text in [
            "",
            "}\n}\n{",
            "menuentry 'x' {\n}\n}\n",
            "menuentry {\nlinux\ninitrd\n",
            "menuentry 'unterminated",
            "set default=\nset default=\"\"",
            "\u{0}\u{ff}menuentry '\\",
        ] {
            let cfg = GrubCfg::parse(text);
            let _ = cfg.default_entry(Some(">>>"));
            let _ = cfg.default_entry(Some("99999999999999999999999"));
        }
        // an entry without an initrd cannot boot a kernel the way leapfrog needs
        let cfg = GrubCfg::parse("menuentry 'x' {\n linux16 /vmlinuz root=/dev/sda1\n}\n");
        assert!(!cfg.entries[0].boots_a_kernel());
    }

    #[test]
    fn words_follow_grub_quoting() {
        assert_eq!(
            split_words("menuentry 'A (b) 7' --class x $menuentry_id_option 'id-1' {"),
            [
                "menuentry",
                "A (b) 7",
                "--class",
                "x",
                "$menuentry_id_option",
                "id-1",
                "{"
            ]
        );
        assert_eq!(
            split_words("set default=\"${saved_entry}\""),
            ["set", "default=${saved_entry}"]
        );
        assert_eq!(split_words("  # comment"), Vec::<String>::new());
        assert_eq!(split_words("a\\ b c"), ["a b", "c"]);
    }
}
