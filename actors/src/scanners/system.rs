//! `system_scanner`: control panels, absolute symlinks at the top of the root, leftovers of
//! other upgrade tools, and initialized database data directories.

use crate::facts::system::{CONTROL_PANELS, DataDir, SystemFacts};
use crate::model::{Env, Facts};
use crate::registry::Scanner;

use super::read_text;

/// Leftovers of leapp / ELevate that are looked for.
pub const LEAPP_LEFTOVERS: &[&str] = &["/var/lib/leapp", "/etc/leapp", "/root/tmp_leapp_py3"];

/// The default PostgreSQL data directory of the distribution's `postgresql-server`.
pub const PGSQL_DATA_DIR: &str = "/var/lib/pgsql/data";

/// The default data directory of MariaDB and MySQL servers.
pub const MYSQL_DATA_DIR: &str = "/var/lib/mysql";

/// The scanner.
pub const SCANNER: Scanner = Scanner::new(
    "system_scanner",
    "Looks for control panels, absolute symlinks directly under /, leftovers of leapp or ELevate and initialized PostgreSQL/MariaDB/MySQL data directories.",
    &[
        "/usr/local/cpanel",
        "/usr/local/psa",
        "/usr/local/directadmin",
        "/",
        "/var/lib/leapp",
        "/etc/leapp",
        "/root/tmp_leapp_py3",
        PGSQL_DATA_DIR,
        MYSQL_DATA_DIR,
    ],
    &["facts.system"],
    run,
);

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let control_panels = CONTROL_PANELS
        .iter()
        .filter(|(_, p)| env.root.is_file(p))
        .map(|(n, _)| n.to_string())
        .collect();
    let mut absolute_root_symlinks = Vec::new();
    let top = env.root.path();
    let entries = std::fs::read_dir(top).map_err(|e| format!("listing {}: {e}", top.display()))?;
    for e in entries.flatten() {
        let p = e.path();
        if let Ok(target) = std::fs::read_link(&p)
            && target.is_absolute()
        {
            absolute_root_symlinks.push((
                format!("/{}", e.file_name().to_string_lossy()),
                target.display().to_string(),
            ));
        }
    }
    absolute_root_symlinks.sort();
    let exists = |p: &str| env.root.resolve_host(p).is_ok_and(|h| h.exists());
    let is_dir = |p: &str| env.root.resolve_host(p).is_ok_and(|h| h.is_dir());
    let leapp_leftovers = LEAPP_LEFTOVERS
        .iter()
        .filter(|p| exists(p))
        .map(|p| p.to_string())
        .collect();
    // The version files are informative: an unreadable one does not fail the scan.
    let first_line = |p: &str| -> Option<String> {
        read_text(&env.root, p).ok().flatten().and_then(|t| {
            t.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_string)
        })
    };
    let postgresql_data = if env.root.is_file(format!("{PGSQL_DATA_DIR}/PG_VERSION")) {
        Some(DataDir {
            path: PGSQL_DATA_DIR.to_string(),
            version: first_line(&format!("{PGSQL_DATA_DIR}/PG_VERSION")),
        })
    } else {
        None
    };
    let mysql_data = if is_dir(&format!("{MYSQL_DATA_DIR}/mysql")) {
        Some(DataDir {
            path: MYSQL_DATA_DIR.to_string(),
            version: first_line(&format!("{MYSQL_DATA_DIR}/mysql_upgrade_info")),
        })
    } else {
        None
    };
    facts.system.set(SystemFacts {
        control_panels,
        absolute_root_symlinks,
        leapp_leftovers,
        postgresql_data,
        mysql_data,
    });
    Ok(())
}
