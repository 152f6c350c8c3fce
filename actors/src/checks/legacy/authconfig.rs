//! `authconfig_check`: EL8 replaces authconfig by authselect; authentication set up with
//! authconfig must be re-selected as an authselect profile.

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "authconfig_check";

const AUTHCONFIG_TO_AUTHSELECT: FindingInfo = FindingInfo {
    key: "legacy.authconfig-to-authselect",
    level: Level::Medium,
    title: "authconfig is replaced by authselect",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Warns that authconfig is replaced by authselect from EL8.",
    &["facts.rpm", "facts.release", "target"],
    &[AUTHCONFIG_TO_AUTHSELECT],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !(input.source_major() == Some(7) && input.upgrading_to_at_least(8)) {
        return Vec::new();
    }
    let Some(rpm) = input.facts.rpm.get() else {
        return Vec::new();
    };
    if !rpm.has("authconfig") {
        return Vec::new();
    }
    vec![
        Finding::of(
            &AUTHCONFIG_TO_AUTHSELECT,
            ID,
            "The authconfig package is installed. EL8 manages PAM and nsswitch with authselect; the upgrade installs authselect-compat, but a configuration made with authconfig must be selected again as an authselect profile.",
        )
        .hint("After the upgrade, select the matching profile (sssd or winbind, with the features you used).")
        .command(["authselect", "select", "sssd", "--force"])
        .related("package", ["authconfig"])
        .groups(&["authentication", "security"]),
    ]
}
