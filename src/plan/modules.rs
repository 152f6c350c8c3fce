//! Module-stream filtering: which modular packages of the target repositories the solver may
//! see.
//!
//! libsolv knows nothing of modules. Like libdnf, leapfrog hides every package that a module
//! stream lists as an artifact unless that stream is active, and hides non-modular packages
//! whose name an active stream provides. A stream is active when the caller enables it, or, for
//! a module the caller does not enable any stream of, when it is the module's default
//! (`modulemd-defaults`). Parsing is pure Rust (serde-saphyr); decompression goes through
//! libsolv's `solv_xfopen`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A module-metadata error.
#[derive(Debug, thiserror::Error)]
pub enum ModulesError {
    /// The file cannot be read or decompressed.
    #[error("cannot read module metadata {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: libsolv_sys::SolvError,
    },
    /// The YAML is invalid.
    #[error("invalid module metadata {}: {detail}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        detail: String,
    },
}

/// One module stream and its artifact packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// Module name.
    pub module: String,
    /// Stream name.
    pub stream: String,
    /// Artifact NEVRAs, normalised (`name-version-release.arch`, epoch only when not 0).
    pub artifacts: BTreeSet<String>,
}

/// The module metadata of a set of repositories.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleIndex {
    /// Every stream (several versions/contexts of a stream are merged).
    pub streams: Vec<Stream>,
    /// Default stream per module.
    pub defaults: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Doc {
    document: String,
    #[serde(default)]
    data: Data,
}

#[derive(Deserialize, Default)]
struct Data {
    name: Option<String>,
    stream: Option<serde_value::Scalar>,
    module: Option<String>,
    artifacts: Option<Artifacts>,
}

#[derive(Deserialize, Default)]
struct Artifacts {
    #[serde(default)]
    rpms: Vec<String>,
}

mod serde_value {
    use serde::Deserialize;

    /// A YAML scalar that may be written as a number (`stream: 10`).
    #[derive(Deserialize)]
    #[serde(untagged)]
    pub(super) enum Scalar {
        Text(String),
        Int(i64),
        Float(f64),
    }

    impl Scalar {
        pub(super) fn text(&self) -> String {
            match self {
                Scalar::Text(s) => s.clone(),
                Scalar::Int(i) => i.to_string(),
                Scalar::Float(f) => f.to_string(),
            }
        }
    }
}

/// `name-[epoch:]version-release.arch` with a `0:` epoch dropped.
pub fn normalise_nevra(nevra: &str) -> String {
    if let Some((name, rest)) = nevra.rsplit_once('-').and_then(|(nv, r)| {
        nv.rsplit_once('-')
            .map(|(n, v)| (n.to_owned(), format!("{v}-{r}")))
    }) && let Some(stripped) = rest.strip_prefix("0:")
    {
        return format!("{name}-{stripped}");
    }
    nevra.to_owned()
}

fn nevra_name(nevra: &str) -> &str {
    nevra
        .rsplit_once('-')
        .and_then(|(nv, _)| nv.rsplit_once('-'))
        .map_or(nevra, |(n, _)| n)
}

impl ModuleIndex {
    /// Parses one `modules.yaml` text (multi-document modulemd v2 and modulemd-defaults;
    /// other documents are ignored) into this index.
    ///
    /// # Errors
    ///
    /// When the YAML is malformed or a document misses its name or stream.
    pub fn add_yaml(&mut self, path: &Path, text: &str) -> Result<(), ModulesError> {
        let parse = |detail: String| ModulesError::Parse {
            path: path.to_path_buf(),
            detail,
        };
        let docs: Vec<Doc> = serde_saphyr::from_multiple(text).map_err(|e| parse(e.to_string()))?;
        for doc in docs {
            match doc.document.as_str() {
                "modulemd" => {
                    let (Some(name), Some(stream)) = (doc.data.name, doc.data.stream) else {
                        return Err(parse("a modulemd document without name or stream".into()));
                    };
                    let stream = stream.text();
                    let artifacts = doc
                        .data
                        .artifacts
                        .map(|a| a.rpms)
                        .unwrap_or_default()
                        .iter()
                        .filter(|n| !n.ends_with(".src"))
                        .map(|n| normalise_nevra(n))
                        .collect::<BTreeSet<_>>();
                    match self
                        .streams
                        .iter_mut()
                        .find(|s| s.module == name && s.stream == stream)
                    {
                        Some(s) => s.artifacts.extend(artifacts),
                        None => self.streams.push(Stream {
                            module: name,
                            stream,
                            artifacts,
                        }),
                    }
                }
                "modulemd-defaults" => {
                    let Some(module) = doc.data.module else {
                        return Err(parse("a modulemd-defaults document without module".into()));
                    };
                    if let Some(stream) = doc.data.stream {
                        self.defaults.insert(module, stream.text());
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Reads the `modules` metadata of the repository in `dir`, if its repomd.xml has one.
    ///
    /// # Errors
    ///
    /// When the file is listed but cannot be read, decompressed or parsed.
    pub fn add_repo(&mut self, dir: &Path) -> Result<(), ModulesError> {
        let repomd_path = dir.join("repodata/repomd.xml");
        let Ok(repomd) = std::fs::read_to_string(&repomd_path) else {
            return Ok(()); // the repository loader reports a missing repomd.xml
        };
        let Some(href) = libsolv_sys::repomd_location(&repomd, "modules") else {
            return Ok(());
        };
        let path = dir.join(href);
        let bytes = libsolv_sys::read_compressed(&path).map_err(|source| ModulesError::Read {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| ModulesError::Parse {
            path: path.clone(),
            detail: "not UTF-8".into(),
        })?;
        self.add_yaml(&path, &text)
    }

    /// The active streams (`module:stream`): each enabled one, and the default of every
    /// module none of whose streams is enabled. `enable` entries are `name:stream`.
    pub fn active(&self, enable: &[String]) -> BTreeSet<(String, String)> {
        let enabled: BTreeMap<&str, &str> =
            enable.iter().filter_map(|e| e.split_once(':')).collect();
        let modules: BTreeSet<&str> = self.streams.iter().map(|s| s.module.as_str()).collect();
        let mut active = BTreeSet::new();
        for module in modules {
            let stream = match enabled.get(module) {
                Some(s) => Some((*s).to_owned()),
                None => self.defaults.get(module).cloned(),
            };
            if let Some(stream) = stream {
                active.insert((module.to_owned(), stream));
            }
        }
        active
    }

    /// Decides for a package NEVRA of the repositories whether the solver may see it.
    pub fn filter(&self, enable: &[String]) -> ModuleFilter {
        let active = self.active(enable);
        let mut visible = BTreeSet::new();
        let mut hidden = BTreeSet::new();
        let mut active_names = BTreeSet::new();
        for s in &self.streams {
            if active.contains(&(s.module.clone(), s.stream.clone())) {
                visible.extend(s.artifacts.iter().cloned());
                active_names.extend(s.artifacts.iter().map(|a| nevra_name(a).to_owned()));
            } else {
                hidden.extend(s.artifacts.iter().cloned());
            }
        }
        ModuleFilter {
            active,
            visible,
            hidden,
            active_names,
        }
    }
}

/// The result of [`ModuleIndex::filter`].
#[derive(Debug, Clone, Default)]
pub struct ModuleFilter {
    /// The active streams.
    pub active: BTreeSet<(String, String)>,
    visible: BTreeSet<String>,
    hidden: BTreeSet<String>,
    active_names: BTreeSet<String>,
}

impl ModuleFilter {
    /// Whether the package is hidden: an artifact of inactive streams only, or a non-modular
    /// package whose name an active stream provides.
    pub fn hides(&self, nevra: &str, name: &str) -> bool {
        if self.visible.contains(nevra) {
            return false;
        }
        self.hidden.contains(nevra) || self.active_names.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = r#"---
document: modulemd
version: 2
data:
  name: postgresql
  stream: 10
  artifacts:
    rpms:
    - postgresql-0:10.23-1.module_el8.x86_64
    - postgresql-0:10.23-1.module_el8.src
...
---
document: modulemd
version: 2
data:
  name: postgresql
  stream: "13"
  artifacts:
    rpms:
    - postgresql-0:13.14-1.module_el8.x86_64
...
---
document: modulemd-defaults
version: 1
data:
  module: postgresql
  stream: "10"
...
"#;

    #[test]
    fn default_stream_is_active_unless_another_is_enabled() {
        let mut idx = ModuleIndex::default();
        idx.add_yaml(Path::new("m.yaml"), YAML).unwrap();
        assert_eq!(idx.streams.len(), 2);
        let f = idx.filter(&[]);
        assert!(!f.hides("postgresql-10.23-1.module_el8.x86_64", "postgresql"));
        assert!(f.hides("postgresql-13.14-1.module_el8.x86_64", "postgresql"));
        // a non-modular postgresql is hidden behind the active stream
        assert!(f.hides("postgresql-9.2-1.el7.x86_64", "postgresql"));
        assert!(!f.hides("bash-5.1-1.x86_64", "bash"));
        let f = idx.filter(&["postgresql:13".into()]);
        assert!(f.hides("postgresql-10.23-1.module_el8.x86_64", "postgresql"));
        assert!(!f.hides("postgresql-13.14-1.module_el8.x86_64", "postgresql"));
    }

    #[test]
    fn bad_yaml_is_an_error() {
        let mut idx = ModuleIndex::default();
        let err = idx
            .add_yaml(Path::new("m.yaml"), "document: modulemd\ndata: [1, 2\n")
            .unwrap_err();
        assert!(err.to_string().contains("m.yaml"), "{err}");
        let err = idx
            .add_yaml(
                Path::new("m.yaml"),
                "document: modulemd\ndata:\n  name: x\n",
            )
            .unwrap_err();
        assert!(err.to_string().contains("without name or stream"), "{err}");
    }

    #[test]
    fn epochs() {
        assert_eq!(normalise_nevra("a-b-0:1.0-1.x86_64"), "a-b-1.0-1.x86_64");
        assert_eq!(normalise_nevra("a-1:1.0-1.x86_64"), "a-1:1.0-1.x86_64");
    }
}
