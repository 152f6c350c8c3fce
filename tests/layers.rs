//! The root crate's modules form layers (`src/lib.rs` documents them): a module uses only
//! modules of its own layer or below, and the modules of one layer do not use each other in a
//! cycle. This test reads the sources (code, not comments) for `crate::MODULE` and
//! `super::MODULE` paths of top-level modules and fails on an upward or cyclic use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first; every top-level module of `src/` must be in one.
const LAYERS: &[&[&str]] = &[
    &["workspace", "document", "exit", "logging"],
    &["rpmdb", "fetch", "snapshot", "manifest"],
    &["boot"],
    &["assess", "plan", "inventory", "data_check"],
    &["transaction", "download"],
    &["apply"],
    &["offline", "upgrade", "status", "cancel"],
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`src/plan/events.rs` -> `plan`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The top-level modules `text` names as `crate::X` (comments skipped; `#[cfg(test)]`
/// modules included: tests must respect the layers too).
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let tail = &rest[i + "crate::".len()..];
            let name: String = tail
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `$crate::` in macros names the same things
            if !name.is_empty() && name != "json_document" {
                out.insert(name);
            }
            rest = tail;
        }
    }
    out
}

#[test]
fn modules_use_only_their_layer_and_below_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for f in &files {
        let module = module_of(&src, f);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(layer) = layer_of(&module) else {
            problems.push(format!("{module} ({}) is in no layer", f.display()));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for used in uses(&text) {
            if used == module {
                continue;
            }
            match layer_of(&used) {
                None => problems.push(format!("{}: uses unknown module {used}", f.display())),
                Some(l) if l > layer => problems.push(format!(
                    "{}: {module} (layer {layer}) uses {used} (layer {l}), a layer above it",
                    f.display()
                )),
                Some(_) => {
                    graph.entry(module.clone()).or_default().insert(used);
                }
            }
        }
    }
    // no cycle among the modules (upward uses are already refused; same-layer ones may not
    // go round)
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        problems: &mut Vec<String>,
    ) {
        if let Some(i) = path.iter().position(|p| p == n) {
            problems.push(format!("cycle: {} -> {n}", path[i..].join(" -> ")));
            return;
        }
        if !done.insert(n.to_string()) {
            return;
        }
        path.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            visit(m, graph, path, done, problems);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        visit(n, &graph, &mut Vec::new(), &mut done, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(graph.len() > 10, "the scan found too little: {graph:?}");
}

#[test]
fn the_scan_sees_uses_and_skips_comments() {
    let text = "use crate::plan::PlanDocument;\n// crate::cli is named in a comment\nlet x = crate::boot::arm(ws); // crate::apply\n";
    let found = uses(text);
    assert_eq!(
        found,
        ["boot", "plan"].into_iter().map(String::from).collect()
    );
}
