//! `hardware_scanner`: data about hardware support in the target: leapp's
//! `device_driver_deprecation_data.json` when the host carries it.
//!
//! The file (leapp's "DDDD", `provided_data_streams` 2.0/3.0) is an object with a `data` list;
//! every entry has `device_type` (`pci`, `cpu`, or `driver`), `device_id`, `device_name`,
//! `driver_name`, `available_in_rhel` and `maintained_in_rhel` (lists of majors) and
//! `deprecation_announced`. Two kinds of entries matter here:
//!
//! - **driver entries**: a `driver_name` with an empty `device_id`: the kernel module as a
//!   whole (e.g. `pata_acpi` available in 7 only);
//! - **PCI entries**: `device_type` `pci` with a `device_id` `0xVVVV:0xDDDD`: one device the
//!   driver stops supporting. Ids with subsystem parts (`0xVVVV:0xDDDD:0xSSSS:0xssss`) are kept
//!   out: host facts do not carry subsystem ids, and matching on vendor:device alone would
//!   flag every card of a family.
//!
//! CPU entries (`device_type` `cpu`) are not used: no x86_64 entry of the data marks a CPU as
//! unavailable, and the aarch64/ppc64le/s390x ids need facts the host collector does not read.
//!
//! Only the entries relevant to this host are kept: driver entries of loaded modules and PCI
//! entries of present devices (nothing when host facts are unknown). A file that is not the
//! expected shape is an error of this scanner, naming the file and the entry.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::facts::hardware::{DriverSupport, HardwareFacts, PciSupport};
use crate::host::HostFacts;
use crate::model::{Env, Facts};
use crate::registry::Scanner;

use super::read_text;

/// Where the driver deprecation data is looked for, in order.
pub const DRIVER_DATA_PATHS: &[&str] = &[
    "/etc/leapfrog/files/device_driver_deprecation_data.json",
    "/etc/leapp/files/device_driver_deprecation_data.json",
];

/// The scanner.
pub const SCANNER: Scanner = Scanner::new(
    "hardware_scanner",
    "Reads leapp's device driver deprecation data (drivers and PCI ids removed or deprecated per release) and keeps the entries of the host's loaded modules and PCI devices.",
    &[
        "/etc/leapfrog/files/device_driver_deprecation_data.json",
        "/etc/leapp/files/device_driver_deprecation_data.json",
        "host.loaded_modules",
        "host.pci_devices",
    ],
    &["facts.hardware"],
    run,
);

/// A kernel module name the way `/proc/modules` writes it (`3w-9xxx` is loaded as `3w_9xxx`).
pub fn module_name(name: &str) -> String {
    name.trim().replace('-', "_")
}

/// A PCI vendor or device id as 4 lowercase hex digits (`0x212` -> `0212`); `None` when it
/// is not hex or longer than 4 digits.
pub fn pci_hex(id: &str) -> Option<String> {
    let s = id.trim();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    (!s.is_empty() && s.len() <= 4 && s.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| format!("{:0>4}", s.to_ascii_lowercase()))
}

/// One entry of the data file, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataEntry {
    /// `device_type`.
    pub device_type: String,
    /// `device_id`.
    pub device_id: String,
    /// `device_name`.
    pub device_name: String,
    /// `driver_name`.
    pub driver_name: String,
    /// `available_in_rhel`.
    pub available_in: Vec<u32>,
    /// `maintained_in_rhel`.
    pub maintained_in: Vec<u32>,
    /// `deprecation_announced`.
    pub deprecation_announced: String,
}

/// The parsed data file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriverData {
    /// `provided_data_streams`.
    pub streams: Vec<String>,
    /// `data`.
    pub entries: Vec<DataEntry>,
}

fn majors(entry: &serde_json::Map<String, Value>, key: &str, i: usize) -> Result<Vec<u32>, String> {
    let bad = || format!("entry {i}: `{key}` is not a list of major release numbers");
    let Some(v) = entry.get(key) else {
        return Ok(Vec::new());
    };
    let list = v.as_array().ok_or_else(bad)?;
    let mut out = Vec::with_capacity(list.len());
    for m in list {
        let n = match m {
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(bad)?;
        out.push(n);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn text(entry: &serde_json::Map<String, Value>, key: &str, i: usize) -> Result<String, String> {
    match entry.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.trim().to_string()),
        Some(_) => Err(format!("entry {i}: `{key}` is not a string")),
    }
}

/// Parses the data file. Errors say what is wrong and where (the entry's index in `data`).
pub fn parse_driver_data(text_: &str) -> Result<DriverData, String> {
    let v: Value = serde_json::from_str(text_).map_err(|e| format!("not valid JSON: {e}"))?;
    let obj = v
        .as_object()
        .ok_or("not a JSON object with a `data` list")?;
    let data = obj
        .get("data")
        .and_then(Value::as_array)
        .ok_or("has no `data` list")?;
    let streams = match obj.get("provided_data_streams") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|s| s.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or("`provided_data_streams` is not a list of strings")?,
        None => Vec::new(),
        Some(_) => return Err("`provided_data_streams` is not a list of strings".into()),
    };
    let mut entries = Vec::with_capacity(data.len());
    for (i, e) in data.iter().enumerate() {
        let e = e
            .as_object()
            .ok_or_else(|| format!("entry {i} is not an object"))?;
        let entry = DataEntry {
            device_type: text(e, "device_type", i)?.to_ascii_lowercase(),
            device_id: text(e, "device_id", i)?,
            device_name: text(e, "device_name", i)?,
            driver_name: text(e, "driver_name", i)?,
            available_in: majors(e, "available_in_rhel", i)?,
            maintained_in: majors(e, "maintained_in_rhel", i)?,
            deprecation_announced: text(e, "deprecation_announced", i)?,
        };
        if !e.contains_key("available_in_rhel") {
            return Err(format!("entry {i}: no `available_in_rhel`"));
        }
        if entry.device_type.is_empty() {
            return Err(format!("entry {i}: no `device_type`"));
        }
        entries.push(entry);
    }
    Ok(DriverData { streams, entries })
}

/// The `vvvv:dddd` of a PCI entry's `device_id`; `None` for other shapes (subsystem ids,
/// garbage).
pub fn pci_entry_id(device_id: &str) -> Option<String> {
    let parts: Vec<&str> = device_id.split(':').collect();
    match parts.as_slice() {
        [v, d] => Some(format!("{}:{}", pci_hex(v)?, pci_hex(d)?)),
        _ => None,
    }
}

/// The entries of `data` relevant to `host`: driver entries of loaded modules, PCI entries of
/// present devices.
pub fn relevant(data: &DriverData, host: &HostFacts) -> (Vec<DriverSupport>, Vec<PciSupport>) {
    let loaded: BTreeSet<String> = host.loaded_modules.iter().map(|m| module_name(m)).collect();
    let mut drivers: Vec<DriverSupport> = data
        .entries
        .iter()
        .filter(|e| e.device_id.is_empty() && !e.driver_name.is_empty())
        .filter(|e| loaded.contains(&module_name(&e.driver_name)))
        .map(|e| DriverSupport {
            driver: module_name(&e.driver_name),
            name: e.device_name.clone(),
            available_in: e.available_in.clone(),
            maintained_in: e.maintained_in.clone(),
            deprecation_announced: e.deprecation_announced.clone(),
        })
        .collect();
    drivers.sort_by(|a, b| a.driver.cmp(&b.driver));
    drivers.dedup();
    let mut pci = Vec::new();
    for e in &data.entries {
        if e.device_type != "pci" {
            continue;
        }
        let Some(id) = pci_entry_id(&e.device_id) else {
            continue;
        };
        for d in &host.pci_devices {
            let (Some(v), Some(dv)) = (pci_hex(&d.vendor), pci_hex(&d.device)) else {
                continue;
            };
            if format!("{v}:{dv}") == id {
                pci.push(PciSupport {
                    id: id.clone(),
                    address: d.address.clone(),
                    bound_driver: d.driver.clone(),
                    driver: e.driver_name.clone(),
                    name: e.device_name.clone(),
                    available_in: e.available_in.clone(),
                    maintained_in: e.maintained_in.clone(),
                });
            }
        }
    }
    pci.sort_by(|a, b| a.address.cmp(&b.address).then_with(|| a.id.cmp(&b.id)));
    pci.dedup();
    (drivers, pci)
}

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let driver_data_file = DRIVER_DATA_PATHS
        .iter()
        .find(|p| env.root.is_file(p))
        .map(|p| p.to_string());
    let mut out = HardwareFacts {
        driver_data_file: driver_data_file.clone(),
        ..Default::default()
    };
    if let Some(path) = &driver_data_file {
        let text = read_text(&env.root, path)?.unwrap_or_default();
        let data = parse_driver_data(&text)
            .map_err(|e| format!("{path} (device driver deprecation data) cannot be used: {e}"))?;
        out.data_streams = data.streams.clone();
        out.entries_total = data.entries.len();
        let (drivers, pci) = relevant(&data, &env.host);
        out.drivers = drivers;
        out.pci_devices = pci;
    }
    facts.hardware.set(out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::PciDevice;

    const SAMPLE: &str = r#"{"provided_data_streams": ["3.0"], "data": [
        {"available_in_rhel": [7, 8], "deprecation_announced": "", "device_id": "", "device_name": "d", "device_type": "pci", "driver_name": "dnet", "maintained_in_rhel": [7]},
        {"available_in_rhel": [7], "deprecation_announced": "", "device_id": "", "device_name": "", "device_type": "pci", "driver_name": "3w-9xxx", "maintained_in_rhel": []},
        {"available_in_rhel": [7], "deprecation_announced": "", "device_id": "", "device_name": "", "device_type": "pci", "driver_name": "3w-9xxx", "maintained_in_rhel": []},
        {"available_in_rhel": [7], "deprecation_announced": "", "device_id": "0x19a2:0x212", "device_name": "Emulex", "device_type": "pci", "driver_name": "be2iscsi", "maintained_in_rhel": [7]},
        {"available_in_rhel": ["7"], "deprecation_announced": "", "device_id": "0x9005:0x0285:0x9005:0x0291", "device_name": "x", "device_type": "pci", "driver_name": "aacraid", "maintained_in_rhel": [7]},
        {"available_in_rhel": [7, 8, 9, 10], "device_id": "x86_64:intel:5:*", "device_name": "c", "device_type": "cpu", "driver_name": "", "maintained_in_rhel": []}
    ]}"#;

    #[test]
    fn parses_and_keeps_what_the_host_has() {
        let data = parse_driver_data(SAMPLE).unwrap();
        assert_eq!(data.streams, ["3.0"]);
        assert_eq!(data.entries.len(), 6);
        assert_eq!(data.entries[4].available_in, [7]);
        let host = HostFacts {
            loaded_modules: vec!["3w_9xxx".into(), "xfs".into()],
            pci_devices: vec![
                PciDevice {
                    address: "0000:00:03.0".into(),
                    vendor: "19A2".into(),
                    device: "0212".into(),
                    driver: None,
                },
                PciDevice {
                    address: "0000:00:04.0".into(),
                    vendor: "9005".into(),
                    device: "0285".into(),
                    driver: Some("aacraid".into()),
                },
            ],
            ..Default::default()
        };
        let (drivers, pci) = relevant(&data, &host);
        assert_eq!(drivers.len(), 1);
        assert_eq!(drivers[0].driver, "3w_9xxx");
        assert_eq!(pci.len(), 1);
        assert_eq!(pci[0].id, "19a2:0212");
        assert_eq!(pci[0].driver, "be2iscsi");
    }

    #[test]
    fn ids_and_names() {
        assert_eq!(pci_hex("0x15B3").as_deref(), Some("15b3"));
        assert_eq!(pci_hex("0x212").as_deref(), Some("0212"));
        assert_eq!(pci_hex("0xzz"), None);
        assert_eq!(pci_hex("0x12345"), None);
        assert_eq!(pci_entry_id("0x1000:0x006E").as_deref(), Some("1000:006e"));
        assert_eq!(pci_entry_id("0x1:0x2:0x3:0x4"), None);
        assert_eq!(module_name("3w-sas"), "3w_sas");
    }

    #[test]
    fn corrupt_files_are_errors_naming_the_problem() {
        assert!(
            parse_driver_data("{ nope")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(parse_driver_data("[]").unwrap_err().contains("`data`"));
        assert!(
            parse_driver_data(r#"{"data": {}}"#)
                .unwrap_err()
                .contains("`data`")
        );
        let e =
            parse_driver_data(r#"{"data": [{"device_type": "pci", "available_in_rhel": [7]}, 3]}"#)
                .unwrap_err();
        assert!(e.contains("entry 1"), "{e}");
        let e = parse_driver_data(
            r#"{"data": [{"device_type": "pci", "driver_name": "x", "available_in_rhel": "7"}]}"#,
        )
        .unwrap_err();
        assert!(
            e.contains("entry 0") && e.contains("available_in_rhel"),
            "{e}"
        );
        let e = parse_driver_data(
            r#"{"data": [{"device_type": "pci", "driver_name": 5, "available_in_rhel": []}]}"#,
        )
        .unwrap_err();
        assert!(e.contains("driver_name"), "{e}");
        let e = parse_driver_data(r#"{"data": [{"device_type": "pci", "driver_name": "x"}]}"#)
            .unwrap_err();
        assert!(e.contains("available_in_rhel"), "{e}");
        assert!(parse_driver_data(r#"{"data": []}"#).is_ok());
    }
}
