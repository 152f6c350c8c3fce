//! Choosing the librpm of a process: its own test binary (one process), since the choice is
//! made once per process.

use rpm_sys::{LibrpmSource, RpmError, librpm, use_librpm};

/// A chosen file that cannot be opened is an error naming it (no silent fallback to the host's
/// librpm), and the choice cannot be changed afterwards.
#[test]
fn a_chosen_librpm_stays_and_a_missing_one_is_an_error() {
    let missing = std::path::PathBuf::from("/nonexistent/leapfrog-test/librpm.so.3");
    use_librpm(LibrpmSource::File(missing.clone())).expect("the first choice");
    // Choosing the same again is fine.
    use_librpm(LibrpmSource::File(missing.clone())).expect("the same choice");
    let err = librpm().expect_err("the file does not exist");
    assert!(matches!(err, RpmError::Librpm { .. }), "{err}");
    assert!(err.to_string().contains(missing.to_str().unwrap()), "{err}");
    let err = use_librpm(LibrpmSource::Host).expect_err("switching librpm");
    assert!(err.to_string().contains("one librpm per process"), "{err}");
    // Every entry point reports the same error instead of panicking.
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("var/lib/rpm")).unwrap();
    std::fs::write(root.path().join("var/lib/rpm/rpmdb.sqlite"), b"").unwrap();
    let err = rpm_sys::RpmDatabase::open(
        root.path(),
        &rpm_sys::DbLocation::new("/var/lib/rpm", rpm_sys::DbBackend::Sqlite),
    )
    .expect_err("no librpm");
    assert!(err.to_string().contains("librpm"), "{err}");
}
