//! Writing dnf repositories: RPM files, repodata by `createrepo_c`, and module metadata
//! (`modules.yaml`, added with `modifyrepo_c`) for modular repositories.

use std::fmt::Write as _;

use sha2::Digest;
use std::path::Path;
use std::process::Command;

use crate::cmd::{self, CmdError};
use crate::spec::ModuleStream;

/// Fixed repodata revision and timestamp (2024-01-01), so repodata is reproducible.
const REVISION: &str = "1704067200";

/// Runs `createrepo_c` on `dir` (which holds a `Packages/` directory).
pub fn createrepo(dir: &Path) -> Result<(), CmdError> {
    cmd::run(
        Command::new("createrepo_c")
            .args([
                "--quiet",
                "--no-database",
                "--workers",
                "1",
                "--revision",
                REVISION,
                "--set-timestamp-to-revision",
            ])
            .arg(dir),
    )?;
    Ok(())
}

/// One module stream for `modules.yaml`.
#[derive(Debug, Clone)]
pub struct ModuleDoc {
    /// Name and stream.
    pub stream: ModuleStream,
    /// Artifact NEVRAs (`name-epoch:version-release.arch`).
    pub artifacts: Vec<String>,
    /// The platform stream it requires (`el8`).
    pub platform: String,
    /// The module version (a number derived from the release).
    pub version: u64,
}

/// Renders modulemd v2 documents for `docs` and modulemd-defaults v1 documents for `defaults`.
pub fn modules_yaml(docs: &[ModuleDoc], defaults: &[(&str, &str)]) -> String {
    let mut y = String::new();
    for d in docs {
        let name = &d.stream.name;
        let stream = &d.stream.stream;
        let pkgs: Vec<String> = d
            .artifacts
            .iter()
            .map(|a| {
                // name-epoch:version-release.arch -> name
                let no_arch = a.rsplit_once('.').map_or(a.as_str(), |(x, _)| x);
                let mut parts = no_arch.rsplitn(3, '-');
                let _release = parts.next();
                let _version = parts.next();
                parts.next().unwrap_or(no_arch).to_string()
            })
            .collect();
        let _ = write!(
            y,
            "---\ndocument: modulemd\nversion: 2\ndata:\n  name: {name}\n  stream: \"{stream}\"\n  version: {}\n  context: \"{}\"\n  arch: x86_64\n  summary: {name} {stream} module (leapfrog testkit)\n  description: >-\n    Synthetic module stream imitating {name}:{stream}.\n  license:\n    module:\n    - MIT\n  dependencies:\n  - buildrequires:\n      platform: [{}]\n    requires:\n      platform: [{}]\n  profiles:\n    common:\n      rpms:\n",
            d.version,
            hex::encode(&sha2::Sha256::digest(format!("{name}:{stream}").as_bytes())[..4]),
            d.platform,
            d.platform
        );
        let mut uniq = pkgs.clone();
        uniq.sort();
        uniq.dedup();
        for p in &uniq {
            let _ = writeln!(y, "      - {p}");
        }
        y.push_str("  api:\n    rpms:\n");
        for p in &uniq {
            let _ = writeln!(y, "    - {p}");
        }
        y.push_str("  artifacts:\n    rpms:\n");
        for a in &d.artifacts {
            let _ = writeln!(y, "    - {a}");
        }
        y.push_str("...\n");
    }
    for (module, stream) in defaults {
        let _ = write!(
            y,
            "---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: {module}\n  stream: \"{stream}\"\n  profiles:\n    \"{stream}\": [common]\n...\n"
        );
    }
    y
}

/// Adds `yaml` as the `modules` metadata of the repository at `dir`.
pub fn add_modules(dir: &Path, yaml: &str) -> Result<(), CmdError> {
    let file = dir.join("modules.yaml");
    std::fs::write(&file, yaml).map_err(|source| CmdError::Spawn {
        program: format!("write {}", file.display()),
        source,
    })?;
    cmd::run(
        Command::new("modifyrepo_c")
            .args(["--mdtype=modules", "--compress-type=gz"])
            .arg(&file)
            .arg(dir.join("repodata")),
    )?;
    std::fs::remove_file(&file).map_err(|source| CmdError::Spawn {
        program: format!("remove {}", file.display()),
        source,
    })?;
    // modifyrepo_c stamps the current time: pin every timestamp to the fixed revision
    let repomd = dir.join("repodata/repomd.xml");
    let io = |source| CmdError::Spawn {
        program: format!("rewrite {}", repomd.display()),
        source,
    };
    let text = std::fs::read_to_string(&repomd).map_err(io)?;
    std::fs::write(&repomd, pin_timestamps(&text)).map_err(io)?;
    Ok(())
}

/// Replaces the value of every `<timestamp>` element by [`REVISION`].
fn pin_timestamps(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<timestamp>") {
        let after = &rest[start + "<timestamp>".len()..];
        let Some(end) = after.find("</timestamp>") else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str("<timestamp>");
        out.push_str(REVISION);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_yaml_lists_artifacts_and_defaults() {
        let docs = vec![ModuleDoc {
            stream: ModuleStream {
                name: "postgresql".into(),
                stream: "10".into(),
            },
            artifacts: vec![
                "postgresql-0:10.23-1.module_el8.10.0+1+a.x86_64".into(),
                "postgresql-server-0:10.23-1.module_el8.10.0+1+a.x86_64".into(),
            ],
            platform: "el8".into(),
            version: 8100020240101,
        }];
        let y = modules_yaml(&docs, &[("postgresql", "10")]);
        assert!(y.contains("name: postgresql\n  stream: \"10\""));
        assert!(y.contains("      - postgresql-server\n"));
        assert!(y.contains("    - postgresql-server-0:10.23-1.module_el8.10.0+1+a.x86_64\n"));
        assert!(y.contains("document: modulemd-defaults"));
        assert_eq!(y.matches("---\n").count(), 2);
    }

    #[test]
    fn timestamps_are_pinned() {
        let x = "<a><timestamp>1795321184</timestamp><b/><timestamp>1</timestamp></a>";
        assert_eq!(
            pin_timestamps(x),
            format!(
                "<a><timestamp>{REVISION}</timestamp><b/><timestamp>{REVISION}</timestamp></a>"
            )
        );
        assert_eq!(
            pin_timestamps("<timestamp>unterminated"),
            "<timestamp>unterminated"
        );
    }
}
