//! Depsolving the major upgrade with libsolv on synthetic worlds and roots (needs root: roots
//! are installed with the real rpm).

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use leapfrog::plan::depsolve::{
    self, Action, DepsolveError, DepsolveProblemKind, RepoSource, Request,
};

use common::*;

fn world() -> PathBuf {
    common::world(&["centos-7.9", "almalinux-8.10", "almalinux-9.6"])
}

/// A pristine root per (release, bdb), built once and never modified (depsolve only reads).
fn root(release: &str, bdb: bool) -> PathBuf {
    static ROOTS: OnceLock<Mutex<Vec<(String, bool, PathBuf)>>> = OnceLock::new();
    let roots = ROOTS.get_or_init(Default::default);
    let mut roots = roots.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, _, p)) = roots.iter().find(|(r, b, _)| r == release && *b == bdb) {
        return p.clone();
    }
    let out = install_root(
        &world(),
        &format!("root-{release}-{bdb}"),
        release,
        None,
        bdb,
    );
    roots.push((release.to_owned(), bdb, out.clone()));
    out
}

fn repos(release: &str, ids: &[&str]) -> Vec<RepoSource> {
    ids.iter()
        .map(|id| RepoSource {
            id: format!("{release}-{id}"),
            path: world().join(release).join(id),
            priority: 0,
        })
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn el8_to_el9() -> Request {
    Request {
        root: root("almalinux-8.10", false),
        arch: "x86_64".into(),
        repos: repos(
            "almalinux-9.6",
            &["baseos", "appstream", "extras", "epel", "mariadb"],
        ),
        install: strings(&["iptables-nft", "python3"]),
        remove: strings(&[
            "iptables",
            "iptables-arptables",
            "iptables-ebtables",
            "network-scripts",
            "platform-python",
        ]),
        ..Request::default()
    }
}

fn sha256(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn almalinux8_to_9_upgrades_merges_renames_and_keeps_old_kernels() {
    let req = el8_to_el9();
    let sol = depsolve::solve(&req).unwrap();
    assert!(sol.problems.is_empty(), "{:?}", sol.problems);
    let step = |name: &str| {
        sol.step(name)
            .unwrap_or_else(|| panic!("no step for {name}: {:#?}", sol.steps))
    };
    let bash = step("bash");
    assert_eq!(bash.action, Action::Upgrade);
    assert!(bash.nevra.contains(".el9"), "{}", bash.nevra);
    assert_eq!(bash.replaces, ["bash-4.4.20-5.el8.x86_64"]);
    assert_eq!(step("iptables-nft").action, Action::Install);
    assert_eq!(step("python3").action, Action::Install);
    // what `dnf distro-sync` leaves behind (testkit/tests/roots.rs
    // dnf_distro_sync_leaves_evolved_packages_behind) is erased here, as requested
    for name in &req.remove {
        let s = step(name);
        assert_eq!(s.action, Action::Erase, "{name}");
        assert!(s.requested && s.nevra.contains(".el8"), "{s:?}");
    }
    // the el9 kernel beside the el8 ones: no kernel is erased or replaced
    let kernel = step("kernel-core");
    assert_eq!(kernel.action, Action::Install);
    assert!(kernel.nevra.contains(".el9") && kernel.replaces.is_empty());
    assert!(
        !sol.steps
            .iter()
            .any(|s| s.name.starts_with("kernel") && s.action != Action::Install),
        "{:#?}",
        sol.steps
    );
    // no erasure the request did not ask for, nothing of el8 left that has a successor
    assert!(sol.steps.iter().all(|s| s.requested), "{:#?}", sol.steps);
    // every install exists in its repository with the recorded checksum and size
    for s in sol.steps.iter().filter(|s| s.action != Action::Erase) {
        let repo = req
            .repos
            .iter()
            .find(|r| r.id == s.repo)
            .expect("known repo");
        let file = repo.path.join(s.location.as_ref().expect("location"));
        let checksum = s.checksum.as_ref().expect("checksum");
        assert_eq!(checksum.algo, leapfrog::fetch::Algo::Sha256);
        assert_eq!(checksum.hex, sha256(&file), "{}", file.display());
        assert_eq!(s.download_size, std::fs::metadata(&file).unwrap().len());
    }
    assert!(bash.install_size > 0, "{bash:?}");
    // ordered: glibc before the packages that need it at install time
    let pos = |n: &str| sol.steps.iter().position(|s| s.name == n).unwrap();
    assert!(pos("filesystem") < pos("bash"), "{:#?}", sol.steps);
    // modules: EL9 has no default streams, PostgreSQL moves to the non-modular 13
    assert!(
        step("postgresql-server")
            .nevra
            .starts_with("postgresql-server-13.")
    );
    assert!(sol.module_streams.is_empty(), "{:?}", sol.module_streams);
}

#[test]
fn without_the_event_jobs_the_evolved_packages_stay_like_dnf_distro_sync() {
    let mut req = el8_to_el9();
    req.install.clear();
    req.remove.clear();
    let sol = depsolve::solve(&req).unwrap();
    assert!(sol.problems.is_empty(), "{:?}", sol.problems);
    for name in [
        "iptables",
        "network-scripts",
        "platform-python",
        "iptables-nft",
    ] {
        assert!(sol.step(name).is_none(), "{name}: {:?}", sol.step(name));
    }
    assert_eq!(sol.step("bash").unwrap().action, Action::Upgrade);
}

#[test]
fn centos7_bdb_root_to_almalinux8_uses_the_default_postgresql_stream() {
    let base = Request {
        root: root("centos-7.9", true),
        arch: "x86_64".into(),
        repos: repos(
            "almalinux-8.10",
            &["baseos", "appstream", "extras", "epel", "mariadb"],
        ),
        ..Request::default()
    };
    let sol = depsolve::solve(&base).unwrap();
    assert!(sol.problems.is_empty(), "{:?}", sol.problems);
    let pg = sol.step("postgresql-server").unwrap();
    assert_eq!(pg.action, Action::Upgrade);
    assert!(
        pg.nevra.starts_with("postgresql-server-10."),
        "{}",
        pg.nevra
    );
    assert!(pg.replaces[0].contains(".el7"), "{:?}", pg.replaces);
    assert!(sol.module_streams.contains(&"postgresql:10".to_owned()));
    assert!(sol.step("bash").unwrap().nevra.contains(".el8"));
    assert_eq!(
        sol.step("python3-dnf-plugin-versionlock").unwrap().replaces,
        ["yum-plugin-versionlock-1.1.31-54.el7_8.noarch"],
        "obsoletes"
    );

    // enabling the non-default stream picks it
    let mut req = base.clone();
    req.enable_streams = vec!["postgresql:13".into()];
    let sol = depsolve::solve(&req).unwrap();
    assert!(sol.problems.is_empty(), "{:?}", sol.problems);
    let pg = sol.step("postgresql-server").unwrap();
    assert!(
        pg.nevra.starts_with("postgresql-server-13."),
        "{}",
        pg.nevra
    );
    // a reset module goes back to its default stream
    req.reset_modules = vec!["postgresql".into()];
    let sol = depsolve::solve(&req).unwrap();
    let pg = sol.step("postgresql-server").unwrap();
    assert!(
        pg.nevra.starts_with("postgresql-server-10."),
        "{}",
        pg.nevra
    );

    // a malformed stream is a request error
    let mut req = base.clone();
    req.enable_streams = vec!["postgresql".into()];
    let err = depsolve::solve(&req).unwrap_err();
    assert!(err.to_string().contains("name:stream"), "{err}");
}

#[test]
fn a_kept_package_whose_dependency_disappears_is_a_problem_naming_both() {
    let mut req = el8_to_el9();
    req.repos.retain(|r| !r.id.ends_with("mariadb"));
    req.keep = strings(&["MariaDB-server"]);
    let sol = depsolve::solve(&req).unwrap();
    assert!(sol.steps.is_empty());
    let p = sol
        .problems
        .iter()
        .find(|p| p.kind == DepsolveProblemKind::MissingDependency)
        .unwrap_or_else(|| panic!("{:#?}", sol.problems));
    assert_eq!(p.missing.as_deref(), Some("libssl.so.1.1()(64bit)"));
    assert!(
        p.packages
            .contains(&"MariaDB-server-10.11.10-1.el8.x86_64".to_owned())
    );
    assert!(
        p.message.contains("libssl.so.1.1()(64bit)")
            && p.message.contains("MariaDB-server-10.11.10-1.el8.x86_64"),
        "{}",
        p.message
    );
    assert!(
        p.hint.contains("--drop") && p.hint.contains("MariaDB-server"),
        "{}",
        p.hint
    );

    // not kept: the solver erases it, and says it was not requested
    req.keep.clear();
    let sol = depsolve::solve(&req).unwrap();
    assert!(sol.problems.is_empty(), "{:?}", sol.problems);
    let s = sol.step("MariaDB-server").unwrap();
    assert_eq!(s.action, Action::Erase);
    assert!(!s.requested);
}

#[test]
fn an_install_target_missing_from_the_repositories_is_a_problem() {
    let mut req = el8_to_el9();
    req.install.push("no-such-package".into());
    let sol = depsolve::solve(&req).unwrap();
    assert_eq!(sol.problems.len(), 1, "{:?}", sol.problems);
    assert_eq!(sol.problems[0].kind, DepsolveProblemKind::UnknownPackage);
    assert!(sol.problems[0].message.contains("no-such-package"));
}

#[test]
fn corrupt_or_missing_repodata_is_an_error_naming_the_repository() {
    let bad = scratch().join("bad-repo");
    std::fs::create_dir_all(bad.join("repodata")).unwrap();
    let mut req = el8_to_el9();
    req.repos.push(RepoSource {
        id: "broken".into(),
        path: bad.clone(),
        priority: 0,
    });
    let err = depsolve::solve(&req).unwrap_err().to_string();
    assert!(
        err.contains("broken") && err.contains("repomd.xml"),
        "{err}"
    );

    // a repomd.xml naming a corrupt primary file
    std::fs::write(
        bad.join("repodata/repomd.xml"),
        r#"<repomd><data type="primary"><location href="repodata/primary.xml.gz"/></data></repomd>"#,
    )
    .unwrap();
    std::fs::write(
        bad.join("repodata/primary.xml.gz"),
        b"\x1f\x8bnot gzip at all",
    )
    .unwrap();
    let err = depsolve::solve(&req).unwrap_err().to_string();
    assert!(
        err.contains("broken") && err.contains("primary.xml.gz"),
        "{err}"
    );
}

#[test]
fn a_root_without_rpm_database_is_an_error() {
    let empty = scratch().join("empty-root");
    std::fs::create_dir_all(empty.join("etc")).unwrap();
    let mut req = el8_to_el9();
    req.root = empty;
    let err = depsolve::solve(&req).unwrap_err();
    assert!(matches!(err, DepsolveError::NoRpmdb { .. }), "{err}");
    assert!(err.to_string().contains("empty-root"), "{err}");
}

/// A package whose metadata states an md5 checksum cannot be verified: the plan is refused,
/// naming the package and the algorithm, instead of the checksum being dropped.
#[test]
fn a_package_with_an_md5_checksum_is_refused_not_dropped() {
    use std::io::{Read as _, Write as _};
    let src = world().join("almalinux-9.6/baseos/repodata");
    let repo = scratch().join("md5-baseos");
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(repo.join("repodata")).unwrap();
    let mut rewrote = 0;
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let to = repo.join("repodata").join(&name);
        if !name.ends_with("primary.xml.gz") {
            std::fs::copy(e.path(), &to).unwrap();
            continue;
        }
        let mut xml = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(e.path()).unwrap())
            .read_to_string(&mut xml)
            .unwrap();
        let mut out = String::new();
        let mut rest = xml.as_str();
        let open = r#"<checksum type="sha256" pkgid="YES">"#;
        while let Some(i) = rest.find(open) {
            out.push_str(&rest[..i]);
            let hex = &rest[i + open.len()..i + open.len() + 64];
            out.push_str(&format!(
                r#"<checksum type="md5" pkgid="YES">{}"#,
                &hex[..32]
            ));
            rest = &rest[i + open.len() + 64..];
            rewrote += 1;
        }
        out.push_str(rest);
        let mut gz =
            flate2::write::GzEncoder::new(std::fs::File::create(&to).unwrap(), Default::default());
        gz.write_all(out.as_bytes()).unwrap();
        gz.finish().unwrap();
    }
    assert!(
        rewrote > 0,
        "no sha256 checksum found in the primary metadata"
    );
    let mut req = el8_to_el9();
    for r in &mut req.repos {
        if r.id == "almalinux-9.6-baseos" {
            r.path = repo.clone();
        }
    }
    let err = depsolve::solve(&req).unwrap_err();
    assert!(matches!(err, DepsolveError::Checksum { .. }), "{err}");
    let msg = leapfrog::apply::chain(&err);
    assert!(
        msg.contains("(repository almalinux-9.6-baseos) cannot be verified"),
        "{msg}"
    );
    assert!(
        msg.contains(r#"checksum type "md5" is not supported"#),
        "{msg}"
    );
}
