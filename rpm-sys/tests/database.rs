//! Reads real rpm databases built on the fly with the system's rpm tools: `rpmbuild` makes two
//! tiny packages, `rpmsign` signs one with a throw-away gpg key, `rpm --root -i` installs them
//! into a sqlite database under `/var/lib/rpm`, `rpm --import` adds a `gpg-pubkey`, and
//! `db5.3_load` turns the same headers into an EL7/EL8-style BerkeleyDB `Packages` file.
//!
//! Needs (Debian): rpm, gnupg, db5.3-util. Everything runs with a private `HOME`/`GNUPGHOME`.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use rpm_sys::{DbBackend, DbLocation, InstalledPackage, RpmDatabase, RpmError};
use tempfile::TempDir;

const DBPATH: &str = "/var/lib/rpm";

struct Fixture {
    _dir: TempDir,
    /// A root with a sqlite database at /var/lib/rpm.
    sqlite_root: PathBuf,
    /// A root with only a BerkeleyDB `Packages` file at /var/lib/rpm.
    bdb_root: PathBuf,
    /// The long id of the key `hello` is signed with.
    key_id: String,
}

fn run(what: &str, command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what} ({command:?}): {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({command:?}): {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build_fixture)
}

fn build_fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path();
    let home = base.join("home");
    let gnupg = base.join("gnupg");
    let top = base.join("rpmbuild");
    fs::create_dir_all(&home).unwrap();
    fs::create_dir_all(&gnupg).unwrap();
    fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let tool = |program: &str| {
        let mut command = Command::new(program);
        command
            .env("HOME", &home)
            .env("GNUPGHOME", &gnupg)
            .env("LC_ALL", "C");
        command
    };

    let specs = [
        (
            "hello.spec",
            "Name: hello\nEpoch: 2\nVersion: 1.2.3\nRelease: 4.el9\nSummary: test\nLicense: MIT\n\
             Vendor: Leapfrog Test\nBuildArch: noarch\n%description\ntest\n%files\n",
        ),
        (
            "world.spec",
            "Name: world\nVersion: 0.9\nRelease: 1\nSummary: test\nLicense: MIT\n\
             %description\ntest\n%files\n",
        ),
    ];
    for (file, spec) in specs {
        let path = base.join(file);
        fs::write(&path, spec).unwrap();
        run(
            "rpmbuild",
            tool("rpmbuild")
                .arg("-bb")
                .arg("--quiet")
                .arg("--define")
                .arg(format!("_topdir {}", top.display()))
                .arg("--define")
                .arg("debug_package %{nil}")
                .arg(&path),
        );
    }
    let hello = top.join("RPMS/noarch/hello-1.2.3-4.el9.noarch.rpm");
    let world = fs::read_dir(top.join("RPMS"))
        .unwrap()
        .flat_map(|arch| fs::read_dir(arch.unwrap().path()).unwrap())
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("world-")
        })
        .expect("world rpm built");

    // Sign `hello` with a fresh key.
    run(
        "gpg --quick-gen-key",
        tool("gpg").args([
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            "Leapfrog Test <test@example.invalid>",
            "rsa2048",
            "sign",
            "never",
        ]),
    );
    let colons = run(
        "gpg --list-keys",
        tool("gpg").args(["--batch", "--with-colons", "--list-keys"]),
    );
    let key_id = colons
        .lines()
        .find(|line| line.starts_with("pub:"))
        .and_then(|line| line.split(':').nth(4))
        .expect("key id in gpg output")
        .to_ascii_lowercase();
    run(
        "rpmsign",
        tool("rpmsign")
            .args(["--define", "__gpg /usr/bin/gpg"])
            .args(["--define", "_gpg_name Leapfrog Test"])
            .arg("--addsign")
            .arg(&hello),
    );
    let public_key = base.join("key.asc");
    let armored = run(
        "gpg --export",
        tool("gpg").args(["--batch", "--armor", "--export"]),
    );
    fs::write(&public_key, armored).unwrap();
    let _ = tool("gpgconf").args(["--kill", "gpg-agent"]).status();

    // Install both into a root with the EL dbpath, and import the key.
    let sqlite_root = base.join("sqlite-root");
    fs::create_dir_all(&sqlite_root).unwrap();
    let rpm = |args: &[&OsStr]| {
        let mut command = tool("rpm");
        command
            .arg("--root")
            .arg(&sqlite_root)
            .args(["--define", &format!("_dbpath {DBPATH}")])
            .args(args);
        command
    };
    run(
        "rpm -i",
        &mut rpm(&[
            "-i".as_ref(),
            "--nodeps".as_ref(),
            "--noscripts".as_ref(),
            hello.as_os_str(),
            world.as_os_str(),
        ]),
    );
    run(
        "rpm --import",
        &mut rpm(&["--import".as_ref(), public_key.as_os_str()]),
    );

    // The same headers as a BerkeleyDB hash `Packages` file (keys: native-endian instance numbers).
    let bdb_root = base.join("bdb-root");
    let bdb_dir = bdb_root.join(DBPATH.trim_start_matches('/'));
    fs::create_dir_all(&bdb_dir).unwrap();
    let db = rusqlite::Connection::open(sqlite_root.join("var/lib/rpm/rpmdb.sqlite")).unwrap();
    let mut dump = String::new();
    let mut escaped = |bytes: &[u8]| {
        for byte in bytes {
            write!(dump, "\\{byte:02x}").unwrap();
        }
        dump.push('\n');
    };
    let mut statement = db.prepare("SELECT hnum, blob FROM Packages").unwrap();
    let rows = statement
        .query_map([], |row| {
            Ok((row.get::<_, u32>(0)?, row.get::<_, Vec<u8>>(1)?))
        })
        .unwrap();
    for row in rows {
        let (hnum, blob) = row.unwrap();
        escaped(&hnum.to_ne_bytes());
        escaped(&blob);
    }
    let dump_file = base.join("packages.txt");
    fs::write(&dump_file, dump).unwrap();
    run(
        "db5.3_load (install db5.3-util)",
        Command::new("db5.3_load")
            .args(["-T", "-t", "hash", "-f"])
            .arg(&dump_file)
            .arg(bdb_dir.join("Packages")),
    );

    Fixture {
        _dir: dir,
        sqlite_root,
        bdb_root,
        key_id,
    }
}

fn names(packages: &[InstalledPackage]) -> Vec<String> {
    packages.iter().map(InstalledPackage::nevra).collect()
}

fn check_fixture_packages(packages: &[InstalledPackage], key_id: &str) {
    assert_eq!(packages.len(), 3, "{:?}", names(packages));
    let [pubkey, hello, world] = packages else {
        unreachable!()
    };

    assert_eq!(hello.nevra(), "hello-2:1.2.3-4.el9.noarch");
    assert_eq!(hello.epoch, Some(2));
    assert_eq!(hello.vendor.as_deref(), Some("Leapfrog Test"));
    assert_eq!(hello.signature_key_id.as_deref(), Some(key_id));
    assert_eq!(
        hello.source_rpm.as_deref(),
        Some("hello-1.2.3-4.el9.src.rpm")
    );
    assert!(hello.install_time.is_some_and(|t| t > 1_600_000_000));
    assert_eq!(hello.size, Some(0));

    assert_eq!(world.name, "world");
    assert_eq!(world.epoch, None);
    assert_eq!(world.version, "0.9");
    assert_eq!(world.release, "1");
    assert!(world.arch.is_some());
    assert_eq!(
        world.nevra(),
        format!("world-0.9-1.{}", world.arch.as_deref().unwrap())
    );
    assert_eq!(world.vendor, None);
    assert_eq!(world.signature_key_id, None);

    assert_eq!(pubkey.name, "gpg-pubkey");
    assert_eq!(pubkey.arch, None);
    assert_eq!(pubkey.source_rpm, None);
    assert_eq!(pubkey.version, key_id[8..]);
    assert!(!pubkey.nevra().ends_with('.'));
}

#[test]
fn lists_packages_of_a_sqlite_database() {
    let fixture = fixture();
    let db = RpmDatabase::open(
        &fixture.sqlite_root,
        &DbLocation::new(DBPATH, DbBackend::Sqlite),
    )
    .expect("open sqlite rpmdb");
    assert_eq!(db.location().backend, DbBackend::Sqlite);
    let packages = db.installed_packages().expect("list packages");
    check_fixture_packages(&packages, &fixture.key_id);
    // Reading twice gives the same answer.
    assert_eq!(db.installed_packages().unwrap(), packages);
}

#[test]
fn lists_packages_of_a_berkeley_db_packages_file() {
    let fixture = fixture();
    let db = RpmDatabase::open(
        &fixture.bdb_root,
        &DbLocation::new(DBPATH, DbBackend::BdbReadOnly),
    )
    .expect("open bdb rpmdb");
    let packages = db.installed_packages().expect("list packages");
    check_fixture_packages(&packages, &fixture.key_id);
    // Read-only: nothing was added next to the Packages file.
    let files: Vec<_> = fs::read_dir(fixture.bdb_root.join("var/lib/rpm"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files, ["Packages"]);
}

#[test]
fn databases_can_be_used_from_several_threads() {
    let fixture = fixture();
    std::thread::scope(|scope| {
        for i in 0..8 {
            scope.spawn(move || {
                let (root, backend) = if i % 2 == 0 {
                    (&fixture.sqlite_root, DbBackend::Sqlite)
                } else {
                    (&fixture.bdb_root, DbBackend::BdbReadOnly)
                };
                let db = RpmDatabase::open(root, &DbLocation::new(DBPATH, backend)).unwrap();
                for _ in 0..5 {
                    assert_eq!(db.installed_packages().unwrap().len(), 3);
                }
            });
        }
    });
}

#[test]
fn packages_round_trip_through_json() {
    let fixture = fixture();
    let db = RpmDatabase::open(
        &fixture.sqlite_root,
        &DbLocation::new(DBPATH, DbBackend::Sqlite),
    )
    .unwrap();
    let packages = db.installed_packages().unwrap();
    let json = serde_json::to_string(&packages).unwrap();
    let back: Vec<InstalledPackage> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, packages);
    let location = serde_json::to_value(DbLocation::new(DBPATH, DbBackend::BdbReadOnly)).unwrap();
    assert_eq!(
        location,
        serde_json::json!({"dbpath": "/var/lib/rpm", "backend": "bdb_ro"})
    );
}

fn open_err(root: &Path, dbpath: &str, backend: DbBackend) -> RpmError {
    RpmDatabase::open(root, &DbLocation::new(dbpath, backend)).expect_err("opening should fail")
}

#[test]
fn nonexistent_root_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("no-such-root");
    let err = open_err(&root, DBPATH, DbBackend::Sqlite);
    assert!(matches!(err, RpmError::Root { .. }), "{err:?}");
    assert!(err.to_string().contains("no-such-root"), "{err}");
}

#[test]
fn root_that_is_a_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("file");
    fs::write(&root, "").unwrap();
    let err = open_err(&root, DBPATH, DbBackend::Sqlite);
    assert!(matches!(err, RpmError::RootNotADirectory { .. }), "{err:?}");
}

#[test]
fn missing_database_is_an_error_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    for backend in [DbBackend::Sqlite, DbBackend::BdbReadOnly] {
        let err = open_err(dir.path(), DBPATH, backend);
        assert!(matches!(err, RpmError::DatabaseMissing { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(DBPATH), "{message}");
        assert!(
            message.contains(&*dir.path().to_string_lossy()),
            "{message}"
        );
        assert!(message.contains(backend.packages_file()), "{message}");
    }
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        0,
        "root was modified"
    );
}

#[test]
fn invalid_dbpaths_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    for dbpath in [
        "var/lib/rpm",
        "%{_var}/lib/rpm",
        "/var/../etc",
        "/var/lib\0/rpm",
        "",
    ] {
        let err = open_err(dir.path(), dbpath, DbBackend::Sqlite);
        assert!(
            matches!(err, RpmError::InvalidDbPath { .. }),
            "{dbpath:?}: {err:?}"
        );
    }
}

#[test]
fn corrupt_databases_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let dbdir = dir.path().join("var/lib/rpm");
    fs::create_dir_all(&dbdir).unwrap();

    fs::write(dbdir.join("rpmdb.sqlite"), "this is not a database\n").unwrap();
    let err = open_err(dir.path(), DBPATH, DbBackend::Sqlite);
    assert!(matches!(err, RpmError::Open { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(DBPATH) && message.contains("sqlite"),
        "{message}"
    );
    assert!(
        message.contains(&*dir.path().to_string_lossy()),
        "{message}"
    );

    fs::write(dbdir.join("Packages"), "nor is this\n").unwrap();
    let err = open_err(dir.path(), DBPATH, DbBackend::BdbReadOnly);
    assert!(matches!(err, RpmError::Open { .. }), "{err:?}");

    // An empty file is not a database either.
    fs::write(dbdir.join("Packages"), "").unwrap();
    let err = open_err(dir.path(), DBPATH, DbBackend::BdbReadOnly);
    assert!(matches!(err, RpmError::Open { .. }), "{err:?}");
}

#[test]
fn librpm_version_is_known() {
    assert!(rpm_sys::librpm_version().starts_with('4'));
}

#[test]
fn corrupt_headers_make_the_listing_fail() {
    let fixture = fixture();
    let dir = tempfile::tempdir().unwrap();
    let dbdir = dir.path().join("var/lib/rpm");
    fs::create_dir_all(&dbdir).unwrap();
    let db =
        rusqlite::Connection::open(fixture.sqlite_root.join("var/lib/rpm/rpmdb.sqlite")).unwrap();
    db.execute(
        "VACUUM INTO ?1",
        [dbdir.join("rpmdb.sqlite").to_str().unwrap()],
    )
    .unwrap();
    let copy = rusqlite::Connection::open(dbdir.join("rpmdb.sqlite")).unwrap();
    copy.execute(
        "UPDATE Packages SET blob = substr(blob, 1, 40) WHERE hnum = (SELECT min(hnum) FROM Packages)",
        [],
    )
    .unwrap();
    drop(copy);

    let db = RpmDatabase::open(dir.path(), &DbLocation::new(DBPATH, DbBackend::Sqlite)).unwrap();
    let err = db
        .installed_packages()
        .expect_err("a corrupt header must fail the listing");
    assert!(matches!(err, RpmError::Read { .. }), "{err:?}");
    eprintln!("{err}");
}
