//! The LVM backend: a snapshot logical volume of the volume holding the root.
//!
//! - Thick (classic) volumes get a copy-on-write snapshot sized by [`SizePolicy`]: a share of
//!   the origin (default 20 %), at least a floor (default 1 GiB), at most the origin size,
//!   rounded up to whole extents; the volume group must have that many free extents.
//! - Thin volumes get a thin snapshot (no size: it allocates from the pool).
//! - Restore is `lvconvert --merge`: with the origin mounted (the usual case) the merge starts
//!   at the next activation of the volume, that is the next boot; [`RestoreReport::pending_reboot`]
//!   says so.
//!
//! The development machines have no device-mapper: these commands run for real only inside a
//! VM; tests here cover the report parsing, the size policy and the command lines.

use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::{Record, RestoreReport, Scope, SnapshotBackend, SnapshotError, run};

/// A volume group from `vgs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VgInfo {
    /// Name.
    pub name: String,
    /// Extent size in bytes.
    pub extent_size: u64,
    /// Free extents.
    pub free_extents: u64,
}

/// A logical volume from `lvs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LvInfo {
    /// Volume group.
    pub vg: String,
    /// Volume name.
    pub lv: String,
    /// Size in bytes.
    pub size: u64,
    /// Segment type (`linear`, `striped`, `thin`, ...).
    pub segtype: String,
}

impl LvInfo {
    /// Whether the volume is thin-provisioned.
    pub fn is_thin(&self) -> bool {
        self.segtype == "thin"
    }
}

/// How big a thick snapshot is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizePolicy {
    /// Share of the origin size, in percent.
    pub percent: u64,
    /// Lower bound in bytes.
    pub min_bytes: u64,
}

impl Default for SizePolicy {
    fn default() -> Self {
        SizePolicy {
            percent: 20,
            min_bytes: 1 << 30,
        }
    }
}

/// What restore and release need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LvmRecord {
    /// Volume group.
    pub vg: String,
    /// Origin volume.
    pub origin: String,
    /// Snapshot volume.
    pub snapshot: String,
    /// Extents reserved (thick), none for thin.
    pub extents: Option<u64>,
}

fn parse_err(what: &str, why: impl std::fmt::Display) -> SnapshotError {
    SnapshotError::Command {
        command: what.to_string(),
        detail: format!("unexpected report: {why}"),
    }
}

fn rows<'a>(
    v: &'a serde_json::Value,
    key: &str,
    what: &str,
) -> Result<&'a Vec<serde_json::Value>, SnapshotError> {
    v.get("report")
        .and_then(|r| r.get(0))
        .and_then(|r| r.get(key))
        .and_then(|r| r.as_array())
        .ok_or_else(|| parse_err(what, format!("no report[0].{key} array")))
}

fn field<'a>(row: &'a serde_json::Value, name: &str, what: &str) -> Result<&'a str, SnapshotError> {
    row.get(name)
        .and_then(|v| v.as_str())
        .ok_or_else(|| parse_err(what, format!("field {name} missing")))
}

fn number(row: &serde_json::Value, name: &str, what: &str) -> Result<u64, SnapshotError> {
    let s = field(row, name, what)?;
    s.trim().trim_end_matches(['B', 'b']).parse().map_err(|_| {
        parse_err(
            what,
            format!("field {name} is {s:?}, not a number of bytes"),
        )
    })
}

/// The arguments of the `vgs` call whose output [`parse_vgs`] reads.
pub const VGS_ARGS: &[&str] = &[
    "--reportformat",
    "json",
    "--units",
    "b",
    "--nosuffix",
    "-o",
    "vg_name,vg_extent_size,vg_free_count",
];

/// The arguments of the `lvs` call whose output [`parse_lvs`] reads (device path appended).
pub const LVS_ARGS: &[&str] = &[
    "--reportformat",
    "json",
    "--units",
    "b",
    "--nosuffix",
    "-o",
    "vg_name,lv_name,lv_size,segtype",
];

/// Parses `vgs` JSON output (see [`VGS_ARGS`]).
pub fn parse_vgs(json: &str) -> Result<Vec<VgInfo>, SnapshotError> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| parse_err("vgs", e))?;
    rows(&v, "vg", "vgs")?
        .iter()
        .map(|r| {
            Ok(VgInfo {
                name: field(r, "vg_name", "vgs")?.to_string(),
                extent_size: number(r, "vg_extent_size", "vgs")?,
                free_extents: number(r, "vg_free_count", "vgs")?,
            })
        })
        .collect()
}

/// Parses `lvs` JSON output (see [`LVS_ARGS`]).
pub fn parse_lvs(json: &str) -> Result<Vec<LvInfo>, SnapshotError> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| parse_err("lvs", e))?;
    rows(&v, "lv", "lvs")?
        .iter()
        .map(|r| {
            Ok(LvInfo {
                vg: field(r, "vg_name", "lvs")?.to_string(),
                lv: field(r, "lv_name", "lvs")?.to_string(),
                size: number(r, "lv_size", "lvs")?,
                segtype: field(r, "segtype", "lvs")?.to_string(),
            })
        })
        .collect()
}

/// Extents a thick snapshot of `origin` takes under `policy`, or why it does not fit in `vg`.
pub fn snapshot_extents(policy: SizePolicy, origin: &LvInfo, vg: &VgInfo) -> Result<u64, String> {
    if vg.extent_size == 0 {
        return Err(format!(
            "volume group {} reports an extent size of 0",
            vg.name
        ));
    }
    let share = origin.size / 100 * policy.percent + origin.size % 100 * policy.percent / 100;
    let bytes = share
        .max(policy.min_bytes)
        .min(origin.size.max(vg.extent_size));
    let extents = bytes.div_ceil(vg.extent_size);
    if extents > vg.free_extents {
        return Err(format!(
            "volume group {} has {} free extents of {} bytes, a snapshot of {}/{} ({} bytes) needs {extents} ({}% of the origin, at least {} bytes)",
            vg.name,
            vg.free_extents,
            vg.extent_size,
            origin.vg,
            origin.lv,
            origin.size,
            policy.percent,
            policy.min_bytes
        ));
    }
    Ok(extents)
}

/// `lvcreate` arguments for a snapshot named `name` of `origin` (`extents` for thick).
pub fn create_args(origin: &LvInfo, name: &str, extents: Option<u64>) -> Vec<String> {
    let mut args = vec![
        "lvcreate".to_string(),
        "--snapshot".into(),
        "--name".into(),
        name.to_string(),
    ];
    if let Some(n) = extents {
        args.push("--extents".into());
        args.push(n.to_string());
    }
    // Thin snapshots are created inactive-skippable; activate them so merge can find them.
    if extents.is_none() {
        args.push("--setactivationskip".into());
        args.push("n".into());
    }
    args.push(format!("{}/{}", origin.vg, origin.lv));
    args
}

/// `lvconvert --merge` arguments (poll every second instead of the default 15 s).
pub fn merge_args(rec: &LvmRecord) -> Vec<String> {
    vec![
        "lvconvert".into(),
        "--merge".into(),
        "--interval".into(),
        "1".into(),
        format!("{}/{}", rec.vg, rec.snapshot),
    ]
}

/// `lvremove` arguments.
pub fn remove_args(rec: &LvmRecord) -> Vec<String> {
    vec![
        "lvremove".into(),
        "--yes".into(),
        format!("{}/{}", rec.vg, rec.snapshot),
    ]
}

fn exec(args: &[String]) -> Result<String, SnapshotError> {
    let (prog, rest) = args.split_first().ok_or_else(|| SnapshotError::Command {
        command: String::new(),
        detail: "empty command".into(),
    })?;
    run(Command::new(prog).args(rest))
}

/// The volume holding `root`, when it is an LVM logical volume.
fn root_volume(root: &Path) -> Result<(LvInfo, VgInfo), String> {
    let source = run(Command::new("findmnt")
        .args(["--noheadings", "--output", "SOURCE", "--target"])
        .arg(root))
    .map_err(|e| e.to_string())?;
    let source = source.trim().to_string();
    if !source.starts_with("/dev/mapper/") && !source.starts_with("/dev/dm-") {
        return Err(format!(
            "{} is on {source}, not a device-mapper volume",
            root.display()
        ));
    }
    let lvs = run(Command::new("lvs").args(LVS_ARGS).arg(&source)).map_err(|e| e.to_string())?;
    let lv = parse_lvs(&lvs)
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{source} is not an LVM logical volume"))?;
    let vgs = run(Command::new("vgs").args(VGS_ARGS).arg(&lv.vg)).map_err(|e| e.to_string())?;
    let vg = parse_vgs(&vgs)
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or_else(|| format!("volume group {} not reported", lv.vg))?;
    Ok((lv, vg))
}

/// Ok(why) when `root` is on an LVM volume that can be snapshotted, Err(why not).
pub(crate) fn probe(root: &Path) -> Result<String, String> {
    let (lv, vg) = root_volume(root)?;
    if lv.is_thin() {
        return Ok(format!(
            "{} is on thin volume {}/{}",
            root.display(),
            lv.vg,
            lv.lv
        ));
    }
    let n = snapshot_extents(SizePolicy::default(), &lv, &vg)?;
    Ok(format!(
        "{} is on {}/{} and the volume group has room for a {n}-extent snapshot",
        root.display(),
        lv.vg,
        lv.lv
    ))
}

pub(crate) fn take(scope: &Scope, created: String) -> Result<Record, SnapshotError> {
    let root = &scope.root;
    let (lv, vg) = root_volume(root).map_err(|why| SnapshotError::Unsupported {
        backend: SnapshotBackend::Lvm,
        root: root.clone(),
        why,
    })?;
    let extents = if lv.is_thin() {
        None
    } else {
        Some(
            snapshot_extents(SizePolicy::default(), &lv, &vg).map_err(|why| {
                SnapshotError::Unsupported {
                    backend: SnapshotBackend::Lvm,
                    root: root.clone(),
                    why,
                }
            })?,
        )
    };
    let name = format!("{}-leapfrog", lv.lv);
    exec(&create_args(&lv, &name, extents))?;
    let bytes = extents.map_or(lv.size, |n| n * vg.extent_size);
    Ok(Record {
        backend: SnapshotBackend::Lvm,
        id: format!("{}/{name}", lv.vg),
        store: Default::default(),
        root: root.clone(),
        created,
        entries: 1,
        bytes,
        lvm: Some(LvmRecord {
            vg: lv.vg.clone(),
            origin: lv.lv.clone(),
            snapshot: name,
            extents,
        }),
    })
}

fn lvm_of(rec: &Record) -> Result<&LvmRecord, SnapshotError> {
    rec.lvm.as_ref().ok_or_else(|| SnapshotError::Corrupt {
        store: rec.store.clone(),
        why: "an LVM snapshot record without its volume details".into(),
    })
}

pub(crate) fn restore(rec: &Record) -> Result<RestoreReport, SnapshotError> {
    let lvm = lvm_of(rec)?;
    let lvs = exec(
        &std::iter::once("lvs".to_string())
            .chain(LVS_ARGS.iter().map(|s| s.to_string()))
            .chain([format!("{}/{}", lvm.vg, lvm.snapshot)])
            .collect::<Vec<_>>(),
    )?;
    if parse_lvs(&lvs)?.is_empty() {
        return Err(SnapshotError::Corrupt {
            store: rec.store.clone(),
            why: format!("snapshot volume {}/{} does not exist", lvm.vg, lvm.snapshot),
        });
    }
    let out = exec(&merge_args(lvm))?;
    Ok(RestoreReport {
        restored: 1,
        pending_reboot: out.contains("next activation") || out.contains("Delaying merge"),
        ..Default::default()
    })
}

pub(crate) fn release(rec: &Record) -> Result<(), SnapshotError> {
    exec(&remove_args(lvm_of(rec)?)).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VGS: &str = r#"{"report":[{"vg":[{"vg_name":"almalinux","vg_extent_size":"4194304","vg_free_count":"1024"}]}]}"#;
    const LVS: &str = r#"{"report":[{"lv":[{"vg_name":"almalinux","lv_name":"root","lv_size":"10737418240","segtype":"linear"}]}]}"#;

    #[test]
    fn reports_parse() {
        let vg = parse_vgs(VGS).unwrap();
        assert_eq!(
            vg,
            vec![VgInfo {
                name: "almalinux".into(),
                extent_size: 4 << 20,
                free_extents: 1024
            }]
        );
        let lv = parse_lvs(LVS).unwrap();
        assert_eq!(lv[0].size, 10 << 30);
        assert!(!lv[0].is_thin());
        assert!(
            parse_vgs("{}")
                .unwrap_err()
                .to_string()
                .contains("report[0].vg")
        );
        let bad = VGS.replace("1024", "lots");
        assert!(
            parse_vgs(&bad)
                .unwrap_err()
                .to_string()
                .contains("not a number")
        );
        assert!(parse_lvs("not json").is_err());
    }

    #[test]
    fn size_policy() {
        let vg = &parse_vgs(VGS).unwrap()[0];
        let lv = &parse_lvs(LVS).unwrap()[0];
        // 20 % of 10 GiB = 2 GiB = 512 extents of 4 MiB.
        assert_eq!(snapshot_extents(SizePolicy::default(), lv, vg), Ok(512));
        // The 1 GiB floor for a small origin: 2 GiB origin -> 409.6 MiB -> floor 1 GiB.
        let small = LvInfo {
            size: 2 << 30,
            ..lv.clone()
        };
        assert_eq!(snapshot_extents(SizePolicy::default(), &small, vg), Ok(256));
        // Never more than the origin.
        let tiny = LvInfo {
            size: 100 << 20,
            ..lv.clone()
        };
        assert_eq!(snapshot_extents(SizePolicy::default(), &tiny, vg), Ok(25));
        // Not enough free extents.
        let full = VgInfo {
            free_extents: 100,
            ..vg.clone()
        };
        let err = snapshot_extents(SizePolicy::default(), lv, &full).unwrap_err();
        assert!(
            err.contains("has 100 free extents") && err.contains("needs 512"),
            "{err}"
        );
        let zero = VgInfo {
            extent_size: 0,
            ..vg.clone()
        };
        assert!(snapshot_extents(SizePolicy::default(), lv, &zero).is_err());
    }

    #[test]
    fn command_lines() {
        let lv = &parse_lvs(LVS).unwrap()[0];
        assert_eq!(
            create_args(lv, "root-leapfrog", Some(512)).join(" "),
            "lvcreate --snapshot --name root-leapfrog --extents 512 almalinux/root"
        );
        assert_eq!(
            create_args(lv, "root-leapfrog", None).join(" "),
            "lvcreate --snapshot --name root-leapfrog --setactivationskip n almalinux/root"
        );
        let rec = LvmRecord {
            vg: "almalinux".into(),
            origin: "root".into(),
            snapshot: "root-leapfrog".into(),
            extents: Some(512),
        };
        assert_eq!(
            merge_args(&rec).join(" "),
            "lvconvert --merge --interval 1 almalinux/root-leapfrog"
        );
        assert_eq!(
            remove_args(&rec).join(" "),
            "lvremove --yes almalinux/root-leapfrog"
        );
    }

    #[test]
    fn a_root_not_on_lvm_is_refused_with_a_reason() {
        let d = tempfile::tempdir().unwrap();
        let why = probe(d.path()).unwrap_err();
        assert!(!why.is_empty());
        let scope = Scope {
            root: d.path().to_path_buf(),
            paths: vec![],
            acknowledged: false,
        };
        let err = take(&scope, "now".into()).unwrap_err();
        assert!(
            matches!(
                err,
                SnapshotError::Unsupported {
                    backend: SnapshotBackend::Lvm,
                    ..
                }
            ),
            "{err}"
        );
    }
}
