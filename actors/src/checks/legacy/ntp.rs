//! `ntp_check`: ntpd is gone from EL8; chrony replaces it and ntp's configuration is not
//! carried over by the package swap.

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "ntp_check";

const NTP_TO_CHRONY: FindingInfo = FindingInfo {
    key: "legacy.ntp-to-chrony",
    level: Level::Medium,
    title: "ntp is replaced by chrony",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Warns that ntp is replaced by chrony from EL8 and its configuration must be migrated.",
    &["facts.rpm", "facts.release", "target"],
    &[NTP_TO_CHRONY],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !(input.source_major() == Some(7) && input.upgrading_to_at_least(8)) {
        return Vec::new();
    }
    let Some(rpm) = input.facts.rpm.get() else {
        return Vec::new();
    };
    let found: Vec<&str> = ["ntp", "ntpdate"]
        .into_iter()
        .filter(|n| rpm.has(n))
        .collect();
    if found.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::of(
            &NTP_TO_CHRONY,
            ID,
            format!(
                "EL8 has no ntpd. These packages are installed and will be replaced by chrony (and ntpstat): {}. The servers and options in /etc/ntp.conf are not converted.",
                found.join(", ")
            ),
        )
        .hint("After the upgrade, put the servers of /etc/ntp.conf into /etc/chrony.conf (`server HOST iburst`) and enable chronyd.")
        .command(["systemctl", "enable", "--now", "chronyd"])
        .related("package", found)
        .related("file", ["/etc/ntp.conf"])
        .groups(&["services", "time management"]),
    ]
}
