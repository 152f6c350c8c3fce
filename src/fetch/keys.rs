//! Small files a plan needs besides repodata and packages: the target repositories' public keys
//! and mirror lists.

use std::fs;
use std::path::{Path, PathBuf};

use super::FetchError;
use super::transport::Transport;

const ARMOR: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

/// Fetches every key location (`file://`, a path or `http://`) into `dest` and returns the
/// local files, in the order given (duplicates once). A file that is not an ASCII-armored
/// public key is refused.
///
/// # Errors
///
/// When a key cannot be fetched, is not a public key, or cannot be written.
pub fn fetch_keys(
    locations: &[String],
    dest: &Path,
    transport: &Transport,
) -> Result<Vec<PathBuf>, FetchError> {
    let mut out: Vec<PathBuf> = Vec::new();
    fs::create_dir_all(dest).map_err(|source| FetchError::Io {
        action: "create",
        path: dest.to_path_buf(),
        source,
    })?;
    for (i, url) in locations.iter().enumerate() {
        let (bytes, used) = transport.fetch_bytes(std::slice::from_ref(url), "public key")?;
        let text = String::from_utf8_lossy(&bytes);
        if !text.contains(ARMOR) {
            return Err(FetchError::UnsupportedUrl {
                url: used,
                reason: "not an ASCII-armored OpenPGP public key".into(),
            });
        }
        let base = url
            .rsplit('/')
            .next()
            .filter(|b| {
                !b.is_empty()
                    && b.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"-_.+".contains(&c))
                    && !b.starts_with('.')
            })
            .map_or_else(|| format!("key-{i}.asc"), str::to_string);
        let path = dest.join(base);
        if out.contains(&path) {
            continue;
        }
        fs::write(&path, &bytes).map_err(|source| FetchError::Io {
            action: "write",
            path: path.clone(),
            source,
        })?;
        out.push(path);
    }
    Ok(out)
}

/// Reads a dnf mirror list (one URL per line, `#` comments) and returns its base URLs.
///
/// # Errors
///
/// When the list cannot be fetched or names no URL.
pub fn resolve_mirrorlist(url: &str, transport: &Transport) -> Result<Vec<String>, FetchError> {
    let (bytes, used) = transport.fetch_bytes(&[url.to_string()], "mirror list")?;
    let urls: Vec<String> = String::from_utf8_lossy(&bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && l.contains("://"))
        .map(str::to_string)
        .collect();
    if urls.is_empty() {
        return Err(FetchError::UnsupportedUrl {
            url: used,
            reason: "the mirror list names no URL".into(),
        });
    }
    Ok(urls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_copied_and_non_keys_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("RPM-GPG-KEY-test");
        fs::write(
            &key,
            format!("{ARMOR}\n\nabc\n-----END PGP PUBLIC KEY BLOCK-----\n"),
        )
        .expect("write");
        let junk = dir.path().join("junk");
        fs::write(&junk, "<html>not found</html>").expect("write");
        let t = Transport {
            offline: true,
            ..Transport::default()
        };
        let dest = dir.path().join("keys");
        let got = fetch_keys(&[format!("file://{}", key.display())], &dest, &t).expect("key");
        assert_eq!(got, vec![dest.join("RPM-GPG-KEY-test")]);
        let err =
            fetch_keys(&[format!("file://{}", junk.display())], &dest, &t).expect_err("not a key");
        assert!(err.to_string().contains("public key"), "{err}");
        let err =
            fetch_keys(&["http://127.0.0.1:9/k".to_string()], &dest, &t).expect_err("offline");
        assert!(err.to_string().contains("offline"), "{err}");
    }

    #[test]
    fn mirror_lists() {
        let dir = tempfile::tempdir().expect("tempdir");
        let list = dir.path().join("mirrors");
        fs::write(
            &list,
            "# comment\nhttp://a.example/x/\n\nhttp://b.example/x/\n",
        )
        .expect("w");
        let t = Transport::default();
        let urls = resolve_mirrorlist(&format!("file://{}", list.display()), &t).expect("list");
        assert_eq!(urls, vec!["http://a.example/x/", "http://b.example/x/"]);
        fs::write(&list, "# nothing\n").expect("w");
        assert!(resolve_mirrorlist(&format!("file://{}", list.display()), &t).is_err());
    }
}
