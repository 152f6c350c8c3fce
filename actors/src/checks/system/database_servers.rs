//! `database_servers_check`: PostgreSQL, MariaDB and MySQL servers whose data directory was
//! written by another major version than the target ships. The upgrade replaces the server
//! binaries but not the data: PostgreSQL refuses to start on an older cluster until it is
//! upgraded with `pg_upgrade`, MariaDB and MySQL need their upgrade step run.

use crate::facts::system::DataDir;
use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "database_servers_check";

const DATABASE_MAJOR_UPGRADE: FindingInfo = FindingInfo {
    key: "system.database-major-upgrade",
    level: Level::High,
    title: "A database server's data needs a major-version upgrade",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Reports PostgreSQL, MariaDB and MySQL servers with an initialized data directory whose data must be upgraded to the target's server version after the OS upgrade.",
    &["facts.rpm", "facts.system", "facts.release", "target"],
    &[DATABASE_MAJOR_UPGRADE],
    run,
);

/// The server version a major release installs by default: PostgreSQL.
pub fn default_postgresql(major: u32) -> Option<&'static str> {
    match major {
        7 => Some("9.2"),
        8 => Some("10"),
        9 => Some("13"),
        10 => Some("16"),
        _ => None,
    }
}

/// The server version a major release installs by default: MariaDB (`mariadb-server`).
pub fn default_mariadb(major: u32) -> Option<&'static str> {
    match major {
        7 => Some("5.5"),
        8 => Some("10.3"),
        9 => Some("10.5"),
        10 => Some("10.11"),
        _ => None,
    }
}

/// The server version a major release installs by default: MySQL (`mysql-server`).
pub fn default_mysql(major: u32) -> Option<&'static str> {
    match major {
        8 | 9 => Some("8.0"),
        10 => Some("8.4"),
        _ => None,
    }
}

/// The major version of a PostgreSQL version string (`9.2.24` -> `9.2`, `13.20` -> `13`).
pub fn pg_major(v: &str) -> String {
    let mut it = v.trim().split('.');
    let first = it.next().unwrap_or("");
    match first.parse::<u32>() {
        Ok(n) if n < 10 => format!("{first}.{}", it.next().unwrap_or("0")),
        _ => first.to_string(),
    }
}

/// The release series of a MariaDB/MySQL version string (`10.3.39-MariaDB` -> `10.3`).
pub fn series(v: &str) -> String {
    let v = v.trim();
    let v = v.split(['-', ' ']).next().unwrap_or(v);
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let (Some(rpm), Some(sys)) = (input.facts.rpm.get(), input.facts.system.get()) else {
        return Vec::new();
    };
    let (Some(source), Some(target)) = (input.source_major(), input.target_major()) else {
        return Vec::new();
    };
    if target <= source {
        return Vec::new();
    }
    let version_of = |name: &str| rpm.named(name).next().map(|p| p.version.clone());
    let mut out = Vec::new();

    if let (Some(data), Some(pkg_version)) = (&sys.postgresql_data, version_of("postgresql-server"))
    {
        let data_version = data
            .version
            .as_deref()
            .map(pg_major)
            .unwrap_or_else(|| pg_major(&pkg_version));
        let new = default_postgresql(target);
        if new.is_none_or(|n| n != data_version) {
            out.push(postgresql(data, &data_version, new, source, target));
        }
    }

    if let Some(data) = &sys.mysql_data {
        let distro = [
            ("mariadb-server", "MariaDB", default_mariadb(target)),
            ("mysql-server", "MySQL", default_mysql(target)),
        ];
        let mut reported = false;
        for (pkg, product, new) in distro {
            let Some(v) = version_of(pkg) else { continue };
            let old = data
                .version
                .as_deref()
                .map(series)
                .unwrap_or_else(|| series(&v));
            if new.is_none_or(|n| n != old) {
                out.push(mysql(data, pkg, product, &old, new, target));
            }
            reported = true;
        }
        if !reported {
            for (pkg, product) in [
                ("MariaDB-server", "MariaDB"),
                ("mysql-community-server", "MySQL"),
            ] {
                let Some(v) = version_of(pkg) else { continue };
                let old = data
                    .version
                    .as_deref()
                    .map(series)
                    .unwrap_or_else(|| series(&v));
                out.push(vendor(data, pkg, product, &old, target));
                break;
            }
        }
    }
    out
}

fn postgresql(data: &DataDir, old: &str, new: Option<&str>, source: u32, target: u32) -> Finding {
    let new_text = new.map_or_else(
        || format!("the EL{target} version"),
        |n| format!("PostgreSQL {n}"),
    );
    Finding::of(
        &DATABASE_MAJOR_UPGRADE,
        ID,
        format!(
            "postgresql-server is installed and its data directory {} holds a PostgreSQL {old} cluster. \
             The upgrade installs {new_text}, which refuses to start on a cluster of another major version; \
             the data must be converted after the OS upgrade.",
            data.path
        ),
    )
    .hint(format!(
        "Before upgrading, dump the databases (as postgres: `pg_dumpall > /var/lib/pgsql/pre-upgrade.sql`). \
         After the OS upgrade, `postgresql-setup --upgrade` (package postgresql-upgrade) converts the cluster in \
         place when it was written by the version that package carries (the previous major of the target's \
         server); it keeps the old data in /var/lib/pgsql/data-old. For an older cluster, either upgrade it \
         step by step on EL{source} first or create a new cluster with \
         `postgresql-setup --initdb` and restore the dump with `psql -f /var/lib/pgsql/pre-upgrade.sql postgres`. \
         Then run `vacuumdb --all --analyze-in-stages` as postgres.{}",
        if target == 9 {
            " EL9 also offers PostgreSQL 15 and 16 as module streams (postgresql:15, postgresql:16)."
        } else {
            ""
        }
    ))
    .command(["su", "-", "postgres", "-c", "pg_dumpall > /var/lib/pgsql/pre-upgrade.sql"])
    .related("package", ["postgresql-server"])
    .related("directory", [data.path.clone()])
    .groups(&["services"])
}

fn mysql(
    data: &DataDir,
    pkg: &str,
    product: &str,
    old: &str,
    new: Option<&str>,
    target: u32,
) -> Finding {
    let new_text = new.map_or_else(
        || format!("the EL{target} version"),
        |n| format!("{product} {n}"),
    );
    let step = if product == "MariaDB" {
        "run `mariadb-upgrade` (mysql_upgrade on older releases) once the server is up".to_string()
    } else {
        "start the server: MySQL 8 upgrades its data dictionary and system tables on the first start (check the \
         error log); before upgrading, `mysqlsh -- util checkForServerUpgrade` reports incompatibilities"
            .to_string()
    };
    Finding::of(
        &DATABASE_MAJOR_UPGRADE,
        ID,
        format!(
            "{pkg} is installed and its data directory {} holds {product} {old} data. The upgrade installs \
             {new_text}; the data must be upgraded after the OS upgrade before applications rely on it.",
            data.path
        ),
    )
    .hint(format!(
        "Before upgrading, back up every database (`mysqldump --all-databases --routines --events > \
         /root/pre-upgrade-all-databases.sql`). After the OS upgrade, {step}. Jumping several versions at once \
         is only supported where the {product} documentation says so; otherwise restore the dump into a fresh \
         data directory."
    ))
    .command(["sh", "-c", "mysqldump --all-databases --routines --events > /root/pre-upgrade-all-databases.sql"])
    .related("package", [pkg.to_string()])
    .related("directory", [data.path.clone()])
    .groups(&["services"])
}

fn vendor(data: &DataDir, pkg: &str, product: &str, old: &str, target: u32) -> Finding {
    Finding::of(
        &DATABASE_MAJOR_UPGRADE,
        ID,
        format!(
            "{pkg} ({product} {old}, from the vendor's repository) is installed and its data directory {} is \
             initialized. Which version the upgraded system runs depends on the vendor repository configured \
             for EL{target}; if its series differs from {old}, the data must be upgraded after the OS upgrade.",
            data.path
        ),
    )
    .hint(format!(
        "Point the vendor repository for EL{target} at the same {product} series ({old}) to keep the data as it \
         is, or plan the series upgrade. Back up every database before upgrading (`mysqldump --all-databases \
         --routines --events > /root/pre-upgrade-all-databases.sql`); after a series change run \
         {}.",
        if product == "MariaDB" { "`mariadb-upgrade`" } else { "the server once so it upgrades its data dictionary" }
    ))
    .command(["sh", "-c", "mysqldump --all-databases --routines --events > /root/pre-upgrade-all-databases.sql"])
    .related("package", [pkg.to_string()])
    .related("directory", [data.path.clone()])
    .groups(&["services"])
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions() {
        assert_eq!(super::pg_major("9.2.24"), "9.2");
        assert_eq!(super::pg_major("10"), "10");
        assert_eq!(super::pg_major("13.20"), "13");
        assert_eq!(super::series("10.3.39-MariaDB"), "10.3");
        assert_eq!(super::series("8.0.36"), "8.0");
        assert_eq!(super::series(""), "");
    }
}
