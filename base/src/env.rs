//! Every `LEAPFROG_*` environment variable leapfrog reads or sets, declared once. Code names a
//! variable only through these constants; [`ALL`] documents them (`docs/environment.md` is
//! checked against it), and a test of this crate fails when a `LEAPFROG_*` name appears anywhere
//! in the workspace's sources without being declared here.

/// `--root`: the root filesystem to work on.
pub const ROOT: &str = "LEAPFROG_ROOT";
/// A `tracing` filter for the log on stderr (overrides `-v`).
pub const LOG: &str = "LEAPFROG_LOG";
/// Armed failpoints of the crash tests ([`crate::failpoints`]).
pub const FAILPOINTS: &str = "LEAPFROG_FAILPOINTS";
/// The dracut that builds the upgrade initramfs (default `dracut` from `PATH`).
pub const DRACUT: &str = "LEAPFROG_DRACUT";
/// The librpm file a process opens instead of the host's (`.../librpm.so.N`).
pub const LIBRPM: &str = "LEAPFROG_LIBRPM";
/// Building leapfrog: the libsolv source tree libsolv-sys builds (default
/// `~/.cache/leapfrog/src/libsolv-0.7.23`, fetched by `scripts/fetch-libsolv`).
pub const LIBSOLV_SRC: &str = "LEAPFROG_LIBSOLV_SRC";
/// Set by leapfrog for dracut: the leapfrog binary the `90leapfrog` module installs.
pub const BINARY: &str = "LEAPFROG_BINARY";
/// Tests only: marks the child process a crash test re-executes (value: what the child needs,
/// usually a root directory).
pub const TEST_CHILD: &str = "LEAPFROG_TEST_CHILD";
/// Tests only: a second value for the child process of a crash test (a file list or record).
pub const TEST_CHILD_ARG: &str = "LEAPFROG_TEST_CHILD_ARG";
/// Tests only: where `scripts/build-rpm-matrix` installs the librpm of every EL release.
pub const RPM_MATRIX: &str = "LEAPFROG_RPM_MATRIX";

/// Who a variable is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Operators and automation.
    Operator,
    /// Set by leapfrog itself for a program it runs.
    Internal,
    /// The test suite.
    Tests,
    /// Building leapfrog.
    Build,
}

/// One variable.
#[derive(Debug, Clone, Copy)]
pub struct EnvVar {
    /// Its name.
    pub name: &'static str,
    /// Who it is for.
    pub audience: Audience,
    /// What it does, for the documentation.
    pub doc: &'static str,
}

/// Every variable, in the order `docs/environment.md` lists them.
pub const ALL: &[EnvVar] = &[
    EnvVar {
        name: ROOT,
        audience: Audience::Operator,
        doc: "The root filesystem to work on, as `--root` (default `/`).",
    },
    EnvVar {
        name: LOG,
        audience: Audience::Operator,
        doc: "A `tracing` filter for the log on stderr (`info`, `leapfrog=debug`, ...); overrides `-v`.",
    },
    EnvVar {
        name: LIBRPM,
        audience: Audience::Operator,
        doc: "The librpm file (`.../librpm.so.N`, its `librpmio.so.N` beside it) leapfrog opens instead of the host's, which is the first of `librpm.so.10`, `.so.9`, `.so.8`, `.so.3` the dynamic loader finds. Any rpm from 4.11 (EL7) on; the test matrix runs each release's with it.",
    },
    EnvVar {
        name: LIBSOLV_SRC,
        audience: Audience::Build,
        doc: "The libsolv source tree `libsolv-sys` builds into leapfrog (default `~/.cache/leapfrog/src/libsolv-0.7.23`, which `scripts/fetch-libsolv` fills).",
    },
    EnvVar {
        name: DRACUT,
        audience: Audience::Operator,
        doc: "The dracut command `leapfrog upgrade` builds the upgrade initramfs with (default: `dracut` from `PATH`), e.g. a wrapper that runs the target userspace's dracut.",
    },
    EnvVar {
        name: FAILPOINTS,
        audience: Audience::Tests,
        doc: "Comma-separated failpoints for crash tests (`name`, `name=N`, `name=kill@N`, ...; see docs/executor.md). In the upgrade initramfs the kernel argument `leapfrog.failpoints=` sets it. Never set it on a production host.",
    },
    EnvVar {
        name: BINARY,
        audience: Audience::Internal,
        doc: "Set by `leapfrog upgrade` for dracut: the leapfrog binary the `90leapfrog` module copies into the initramfs.",
    },
    EnvVar {
        name: TEST_CHILD,
        audience: Audience::Tests,
        doc: "Marks the child process a crash test runs again and carries what it needs (a root).",
    },
    EnvVar {
        name: TEST_CHILD_ARG,
        audience: Audience::Tests,
        doc: "A second value for a crash test's child process (a package list, a snapshot record).",
    },
    EnvVar {
        name: RPM_MATRIX,
        audience: Audience::Tests,
        doc: "Where `scripts/build-rpm-matrix` installs upstream rpm 4.11.3, 4.14.3, 4.16.1.3 and 4.19.1.1 (one prefix per version, `<dir>/<version>/lib/librpm.so.N`; default `~/.cache/leapfrog/rpm-matrix`; see docs/testkit.md).",
    },
];

/// The Markdown table of [`ALL`], as `docs/environment.md` holds it.
pub fn markdown_table() -> String {
    let mut out = String::from("| variable | for | what it does |\n|---|---|---|\n");
    for v in ALL {
        let who = match v.audience {
            Audience::Operator => "operators",
            Audience::Internal => "leapfrog itself",
            Audience::Tests => "tests",
            Audience::Build => "building leapfrog",
        };
        out.push_str(&format!("| `{}` | {who} | {} |\n", v.name, v.doc));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name == "target" || name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                walk(&p, out);
            } else if ["rs", "sh", "md"]
                .iter()
                .any(|x| p.extension().is_some_and(|e| e == *x))
                // scripts without an extension (scripts/*, vm-tests/run)
                || p.extension().is_none()
            {
                out.push(p);
            }
        }
    }

    #[test]
    fn every_leapfrog_variable_in_the_workspace_is_declared_here() {
        let declared: BTreeSet<&str> = ALL.iter().map(|v| v.name).collect();
        assert_eq!(declared.len(), ALL.len(), "a variable is declared twice");
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut files = Vec::new();
        walk(workspace, &mut files);
        assert!(files.len() > 100, "the walk found {} files", files.len());
        let mut undeclared = BTreeSet::new();
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            let mut rest = text.as_str();
            while let Some(i) = rest.find("LEAPFROG_") {
                let tail = &rest[i..];
                let end = tail
                    .find(|c: char| !(c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()))
                    .unwrap_or(tail.len());
                let name = tail[..end].trim_end_matches('_');
                if name.len() > "LEAPFROG_".len() && !declared.contains(name) {
                    undeclared.insert(format!("{name} ({})", f.display()));
                }
                rest = &tail[end.max(1)..];
            }
        }
        assert!(
            undeclared.is_empty(),
            "undeclared LEAPFROG_* variables: {undeclared:?}"
        );
    }

    #[test]
    fn the_environment_page_lists_every_variable() {
        let page = include_str!("../../docs/environment.md");
        assert!(
            page.contains(&markdown_table()),
            "docs/environment.md is not current: paste this table into it:\n{}",
            markdown_table()
        );
    }
}
