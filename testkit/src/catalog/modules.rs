//! PostgreSQL and Node.js: non-modular where the release has them that way, module streams on
//! EL8 (`postgresql:10` and `nodejs:10` the defaults, `postgresql:13` and `nodejs:20` beside
//! them) and non-default streams on EL9 (`postgresql:15`, `nodejs:20`); the module metadata
//! and the streams of the default root.

use super::{Ctx, Line, sh_req};
use crate::spec::{Dep, DepOp, DepWhen, FileSpec, ModuleStream, PackageSpec, Signing};

const POSTGRES_PLAIN: Line = &[
    (7, None, "9.2.24", "9.el7_9"),
    (9, None, "13.20", "1.el9_5"),
    (10, None, "16.8", "1.el10"),
];
const NODEJS_PLAIN: Line = &[
    (9, Some(1), "16.20.2", "8.el9_4"),
    (10, Some(1), "22.13.1", "2.el10"),
];

/// PostgreSQL and Node.js, plain and as module streams.
pub(super) fn packages(c: &mut Ctx<'_>) {
    let rel = c.rel;
    let app = rel.appstream_repo();
    let major = rel.major;
    // PostgreSQL and Node.js: non-modular where the release has them that way, module streams on
    // EL8 (default stream 10 / 10) and extra streams on EL9.
    if let Some(p) = c.base("postgresql", POSTGRES_PLAIN, "x86_64", app) {
        postgres_pair(c, p, None);
    }
    if let Some(p) = c.base("nodejs", NODEJS_PLAIN, "x86_64", app) {
        let p = p.file(FileSpec::generated("/usr/bin/node", 0x0de, 16 * 1024));
        c.push(p);
    }
    if rel.repo(app).is_some_and(|r| r.modular) || major == 9 {
        for m in module_streams(major) {
            let mut p = PackageSpec::new(m.package, m.epoch, m.version, &m.release(), "x86_64");
            p.vendor = rel.vendor.to_string();
            p.signing = Signing::Key(c.key.clone());
            p.repo = app.to_string();
            p.module = Some(ModuleStream {
                name: m.module.into(),
                stream: m.stream.into(),
            });
            if m.module == "postgresql" {
                postgres_pair(c, p, m.context_seed.into());
            } else {
                p = p.file(FileSpec::generated(
                    "/usr/bin/node",
                    0x0de + u64::from(m.context_seed),
                    16 * 1024,
                ));
                c.push(p);
            }
        }
    }
}

struct ModuleDef {
    module: &'static str,
    stream: &'static str,
    package: &'static str,
    epoch: Option<u32>,
    version: &'static str,
    /// e.g. `module_el8.10.0+3858+6ad51f9f`
    release_tail: &'static str,
    context_seed: u32,
}

impl ModuleDef {
    fn release(&self) -> String {
        format!("1.{}", self.release_tail)
    }
}

fn module_streams(major: u32) -> Vec<ModuleDef> {
    match major {
        8 => vec![
            ModuleDef {
                module: "postgresql",
                stream: "10",
                package: "postgresql",
                epoch: None,
                version: "10.23",
                release_tail: "module_el8.10.0+3858+6ad51f9f",
                context_seed: 1,
            },
            ModuleDef {
                module: "postgresql",
                stream: "13",
                package: "postgresql",
                epoch: None,
                version: "13.20",
                release_tail: "module_el8.10.0+3961+4b3e4b2b",
                context_seed: 2,
            },
            ModuleDef {
                module: "nodejs",
                stream: "10",
                package: "nodejs",
                epoch: Some(1),
                version: "10.24.0",
                release_tail: "module_el8.3.0+2047+b07ac3d6",
                context_seed: 3,
            },
            ModuleDef {
                module: "nodejs",
                stream: "20",
                package: "nodejs",
                epoch: Some(1),
                version: "20.18.2",
                release_tail: "module_el8.10.0+3946+b4e8e9f7",
                context_seed: 4,
            },
        ],
        9 => vec![
            ModuleDef {
                module: "postgresql",
                stream: "15",
                package: "postgresql",
                epoch: None,
                version: "15.12",
                release_tail: "module_el9.6.0+42+3cb0a33a",
                context_seed: 5,
            },
            ModuleDef {
                module: "nodejs",
                stream: "20",
                package: "nodejs",
                epoch: Some(1),
                version: "20.19.1",
                release_tail: "module_el9.6.0+60+5c6e3e4f",
                context_seed: 6,
            },
        ],
        _ => Vec::new(),
    }
}

/// The default stream of each module on a release (EL8 only: EL9 streams are non-default).
pub fn module_defaults(major: u32) -> Vec<(&'static str, &'static str)> {
    if major == 8 {
        vec![("postgresql", "10"), ("nodejs", "10")]
    } else {
        Vec::new()
    }
}

/// Module name, stream and artifact NEVRAs of every module stream in `packages`.
pub fn module_index(packages: &[PackageSpec]) -> Vec<(ModuleStream, Vec<String>)> {
    let mut map: std::collections::BTreeMap<ModuleStream, Vec<String>> = Default::default();
    for p in packages {
        if let Some(m) = &p.module {
            map.entry(m.clone()).or_default().push(p.nevra_with_epoch());
        }
    }
    map.into_iter().collect()
}

fn postgres_pair(c: &mut Ctx<'_>, client: PackageSpec, seed: Option<u32>) {
    let seed = u64::from(seed.unwrap_or(0));
    let mut server = client.clone();
    server.name = "postgresql-server".into();
    let evr = client.evr();
    let client = client.file(FileSpec::generated(
        "/usr/bin/psql",
        0x9500 + seed,
        12 * 1024,
    ));
    server = server
        .file(FileSpec::generated(
            "/usr/bin/postgres",
            0x9501 + seed,
            24 * 1024,
        ))
        .file(FileSpec::dir("/var/lib/pgsql"))
        .requires(Dep::versioned("postgresql", DepOp::Eq, evr))
        .requires(sh_req(DepWhen::Pre))
        .requires(sh_req(DepWhen::Post))
        .requires(sh_req(DepWhen::Preun))
        .requires(sh_req(DepWhen::Postun))
        .with_logging_scriptlets();
    c.push(client);
    c.push(server);
}

pub(super) fn module_defaults_contains(p: &PackageSpec, m: &ModuleStream) -> bool {
    let major = if p.release.contains("el8") { 8 } else { 9 };
    module_defaults(major)
        .iter()
        .any(|(n, s)| *n == m.name && *s == m.stream)
}

/// Module streams enabled in the default root (`/etc/dnf/modules.d`).
pub fn default_root_modules(major: u32) -> Vec<(&'static str, &'static str)> {
    if major == 8 {
        vec![("postgresql", "10")]
    } else {
        Vec::new()
    }
}
