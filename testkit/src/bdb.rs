//! BerkeleyDB rpm databases for EL7/EL8 roots.
//!
//! Debian's rpm 4.18 can only write sqlite databases, but real EL7 and EL8 hosts keep a
//! BerkeleyDB `Packages` hash file. This module turns a root's `rpmdb.sqlite` into such a file:
//! the same header blobs, keyed by their instance number (a native-endian `u32`), plus the
//! record 0 that BerkeleyDB rpm databases use for the next instance number, and the index
//! databases (`Name`, `Basenames`, `Providename`, ...) from the sqlite index tables. It is written with
//! `db5.3_load` from a `db_dump`-format stream, so the result is a genuine BerkeleyDB file that
//! rpm's `bdb_ro` backend reads and `rpmdb --rebuilddb` converts back, exactly as on a real
//! EL8 -> EL9 upgrade.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Errors of the conversion.
#[derive(Debug, thiserror::Error)]
pub enum BdbError {
    /// The sqlite database could not be read.
    #[error("reading {path}: {source}")]
    Sqlite {
        /// Database file.
        path: PathBuf,
        /// Cause.
        source: rusqlite::Error,
    },
    /// db5.3_load failed.
    #[error("db5.3_load into {path} failed: {message} (install db5.3-util)")]
    Load {
        /// Target file.
        path: PathBuf,
        /// What it said.
        message: String,
    },
    /// Filesystem error.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

/// Reads every `(instance, header blob)` of an rpm sqlite database.
pub fn read_sqlite_headers(db: &Path) -> Result<Vec<(u32, Vec<u8>)>, BdbError> {
    let err = |source| BdbError::Sqlite {
        path: db.to_path_buf(),
        source,
    };
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(err)?;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(err)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .map_err(err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(err)
}

/// The `db_dump`-format text that `db5.3_load` reads, for a database of `kind` (`hash` for
/// `Packages`, `btree` for the indexes, as rpm creates them) holding `records`.
pub fn dump_records<'a>(
    kind: &str,
    records: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) -> String {
    let mut s = format!("VERSION=3\nformat=bytevalue\ntype={kind}\ndb_pagesize=4096\nHEADER=END\n");
    for (key, value) in records {
        let _ = write!(s, " {}\n {}\n", hex::encode(key), hex::encode(value));
    }
    s.push_str("DATA=END\n");
    s
}

/// The dump text of a `Packages` database holding `headers`, with its record 0 (the next
/// free instance number).
pub fn dump_text(headers: &[(u32, Vec<u8>)]) -> String {
    let max = headers.iter().map(|(n, _)| *n).max().unwrap_or(0);
    let counter = (0u32.to_ne_bytes(), (max + 1).to_ne_bytes());
    let keys: Vec<[u8; 4]> = headers.iter().map(|(n, _)| n.to_ne_bytes()).collect();
    let mut records: Vec<(&[u8], &[u8])> = vec![(&counter.0[..], &counter.1[..])];
    records.extend(
        keys.iter()
            .zip(headers)
            .map(|(k, (_, blob))| (&k[..], blob.as_slice())),
    );
    dump_records("hash", records)
}

/// One BerkeleyDB record: key bytes and value bytes.
pub type Record = (Vec<u8>, Vec<u8>);

/// Reads one index table of an rpm sqlite database as BerkeleyDB records: each key maps to
/// the concatenated native-endian `(instance, tag index)` pairs that rpm stores.
pub fn read_sqlite_index(db: &Path, table: &str) -> Result<Vec<Record>, BdbError> {
    let err = |source| BdbError::Sqlite {
        path: db.to_path_buf(),
        source,
    };
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(err)?;
    let sql = format!(
        "SELECT key, hnum, idx FROM '{}' ORDER BY key, hnum, idx",
        table.replace('\'', "")
    );
    let mut stmt = conn.prepare(&sql).map_err(err)?;
    let rows = stmt
        .query_map([], |r| {
            let key = match r.get_ref(0)? {
                rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                    t.to_vec()
                }
                rusqlite::types::ValueRef::Integer(i) => (i as u32).to_ne_bytes().to_vec(),
                _ => Vec::new(),
            };
            Ok((key, r.get::<_, u32>(1)?, r.get::<_, u32>(2)?))
        })
        .map_err(err)?;
    let mut out: Vec<Record> = Vec::new();
    for row in rows {
        let (key, hnum, idx) = row.map_err(err)?;
        match out.last_mut() {
            Some((k, v)) if *k == key => {
                v.extend(hnum.to_ne_bytes());
                v.extend(idx.to_ne_bytes());
            }
            _ => {
                let mut v = hnum.to_ne_bytes().to_vec();
                v.extend(idx.to_ne_bytes());
                out.push((key, v));
            }
        }
    }
    Ok(out)
}

fn index_tables(db: &Path) -> Result<Vec<String>, BdbError> {
    let err = |source| BdbError::Sqlite {
        path: db.to_path_buf(),
        source,
    };
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(err)?;
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'Packages'")
        .map_err(err)?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(err)?;
    let names: Vec<String> = names.collect::<Result<_, _>>().map_err(err)?;
    Ok(names
        .into_iter()
        .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect())
}

fn db_load(target: &Path, text: &str) -> Result<(), BdbError> {
    let load_err = |message: String| BdbError::Load {
        path: target.to_path_buf(),
        message,
    };
    let mut child = Command::new("db5.3_load")
        .arg(target)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| load_err(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| load_err(e.to_string()))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| load_err(e.to_string()))?;
    if !out.status.success() {
        return Err(load_err(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    Ok(())
}

/// Replaces the sqlite rpmdb in `dbdir` (an absolute directory on the host, e.g.
/// `ROOT/var/lib/rpm`) by a BerkeleyDB `Packages` file holding the same headers.
/// Returns the number of packages converted.
pub fn convert_to_bdb(dbdir: &Path) -> Result<usize, BdbError> {
    let sqlite = dbdir.join("rpmdb.sqlite");
    let headers = read_sqlite_headers(&sqlite)?;
    db_load(&dbdir.join("Packages"), &dump_text(&headers))?;
    // the index databases (Name, Basenames, Providename, ...) that real hosts carry
    for table in index_tables(&sqlite)? {
        let records = read_sqlite_index(&sqlite, &table)?;
        let text = dump_records(
            "btree",
            records.iter().map(|(k, v)| (k.as_slice(), v.as_slice())),
        );
        db_load(&dbdir.join(&table), &text)?;
    }
    for f in [
        "rpmdb.sqlite",
        "rpmdb.sqlite-shm",
        "rpmdb.sqlite-wal",
        ".rpm.lock",
    ] {
        let p = dbdir.join(f);
        if p.exists() {
            std::fs::remove_file(&p).map_err(|source| BdbError::Io {
                action: "removing",
                path: p.clone(),
                source,
            })?;
        }
    }
    Ok(headers.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_has_counter_record_and_hex_pairs() {
        let text = dump_text(&[(1, vec![0xde, 0xad]), (7, vec![0xbe])]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[5], format!(" {}", hex::encode(0u32.to_ne_bytes())));
        assert_eq!(
            lines[6],
            format!(" {}", hex::encode(8u32.to_ne_bytes())),
            "record 0 holds max instance + 1"
        );
        assert_eq!(lines[8], " dead");
        assert_eq!(lines.last().unwrap(), &"DATA=END");
    }

    #[test]
    fn missing_sqlite_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(convert_to_bdb(dir.path()).is_err());
    }
}
