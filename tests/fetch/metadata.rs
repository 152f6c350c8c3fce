//! Repository metadata: over HTTP with a warm cache, local repositories in place, mirrors that
//! fall back, a tampered data file, installation media mounted read-only.

use std::process::Command;

use leapfrog::fetch::{self, FetchError, RepoLocation};

use super::*;

#[test]
fn metadata_over_http_then_warm_cache_is_a_no_op() {
    let cache = tempfile::tempdir().unwrap();
    let loc = RepoLocation {
        id: "almalinux9-appstream".into(),
        baseurls: vec![http_base("appstream")],
    };
    let first = fetch::fetch_repo_metadata(&loc, cache.path(), false).unwrap();
    assert_eq!(first.dir, cache.path().join("almalinux9-appstream"));
    assert!(!first.in_place);
    assert_eq!(first.files, ["primary", "filelists", "other", "modules"]);
    assert_eq!(first.downloaded_files, 4);
    assert!(first.downloaded_bytes > 0);
    assert!(first.dir.join("repodata/repomd.xml").is_file());
    for kind in ["primary", "filelists", "other", "modules"] {
        let local = first.data_path(kind).unwrap();
        let original = repo_dir("appstream").join(&first.repomd.get(kind).unwrap().href);
        assert_eq!(
            std::fs::read(local).unwrap(),
            std::fs::read(original).unwrap()
        );
    }
    let second = fetch::fetch_repo_metadata(&loc, cache.path(), false).unwrap();
    assert_eq!(second.downloaded_files, 0, "warm cache downloads nothing");
    assert_eq!(second.downloaded_bytes, 0);
    assert_eq!(second.files, first.files);

    // A damaged cached file is noticed and fetched again.
    let primary = second.data_path("primary").unwrap();
    std::fs::write(&primary, b"damaged").unwrap();
    let third = fetch::fetch_repo_metadata(&loc, cache.path(), false).unwrap();
    assert_eq!(third.downloaded_files, 1);
    assert_ne!(std::fs::read(&primary).unwrap(), b"damaged");
}

#[test]
fn local_repositories_are_used_in_place_and_mirrors_fall_back() {
    let cache = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo_dir("baseos").display());
    let loc = RepoLocation {
        id: "baseos".into(),
        baseurls: vec![url],
    };
    let r = fetch::fetch_repo_metadata(&loc, cache.path(), true).unwrap();
    assert!(r.in_place);
    assert_eq!(r.dir, repo_dir("baseos"));
    assert_eq!(r.downloaded_files, 0);
    assert!(r.data_path("primary").unwrap().is_file());
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "nothing copied"
    );

    // A dead first mirror: the second one serves.
    let loc = RepoLocation {
        id: "baseos".into(),
        baseurls: vec![format!("{}/nowhere", server()), http_base("baseos")],
    };
    let r = fetch::fetch_repo_metadata(&loc, cache.path(), false).unwrap();
    assert_eq!(r.baseurl, http_base("baseos"));
    assert!(r.data_path("primary").is_some());

    // Every mirror dead: the error names them.
    let loc = RepoLocation {
        id: "baseos".into(),
        baseurls: vec![format!("{}/nowhere", server())],
    };
    let e = fetch::fetch_repo_metadata(&loc, cache.path(), false).unwrap_err();
    assert!(matches!(e, FetchError::Http { status: 404, .. }), "{e:?}");
    assert!(
        e.to_string().contains("/nowhere/repodata/repomd.xml"),
        "{e}"
    );
}

#[test]
fn metadata_with_a_tampered_data_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("baseos");
    copy(&repo_dir("baseos"), &dir);
    let filelists = std::fs::read_dir(dir.join("repodata"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("filelists.xml.gz"))
        .unwrap();
    let mut bytes = std::fs::read(&filelists).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&filelists, bytes).unwrap();
    let loc = RepoLocation {
        id: "baseos".into(),
        baseurls: vec![dir.display().to_string()],
    };
    let e = fetch::fetch_repo_metadata(&loc, tmp.path(), true).unwrap_err();
    assert!(matches!(e, FetchError::Checksum { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("filelists") && msg.contains("expected sha256:"),
        "{msg}"
    );
}

#[test]
fn installation_media_are_mounted_read_only_used_offline_and_unmounted_on_drop() {
    // A filesystem image holding the baseos repository stands in for an ISO: the same
    // `mount -o loop,ro` path.
    let tmp = tempfile::tempdir().unwrap();
    let content = tmp.path().join("content");
    std::fs::create_dir(&content).unwrap();
    copy(&repo_dir("baseos"), &content.join("BaseOS"));
    let image = tmp.path().join("media.img");
    let made = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext2", "-d"])
        .arg(&content)
        .arg(&image)
        .arg("16M")
        .status()
        .unwrap();
    assert!(made.success());

    let media = fetch::IsoMount::mount(&image).unwrap();
    let mount_point = media.path().to_path_buf();
    let loc = RepoLocation {
        id: "media-baseos".into(),
        baseurls: vec![media.url("BaseOS")],
    };
    let repo = fetch::fetch_repo_metadata(&loc, tmp.path(), true).unwrap();
    assert!(repo.in_place);
    assert!(repo.dir.starts_with(&mount_point));
    let bash = one("baseos", "bash", &media.url("BaseOS"));
    let mut o = opts(vec![distro_key()]);
    o.offline = true;
    let dest = tmp.path().join("packages");
    assert_eq!(fetch::download(&[bash], &dest, &o).unwrap().downloaded, 1);
    // Read-only.
    assert!(std::fs::write(mount_point.join("x"), b"x").is_err());
    drop(media);
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap();
    assert!(
        !mounts.contains(&*mount_point.to_string_lossy()),
        "still mounted"
    );
    assert!(!mount_point.exists(), "mount point left behind");

    // Not an image, not a file.
    let e = fetch::IsoMount::mount(&content.join("BaseOS/repodata/repomd.xml")).unwrap_err();
    assert!(matches!(e, FetchError::Mount { .. }), "{e:?}");
    assert!(e.to_string().contains("mount -o loop,ro failed"), "{e}");
    let e = fetch::IsoMount::mount(&content).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
}
