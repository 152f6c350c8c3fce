//! `authconfig_check`: EL8 replaces authconfig by authselect; authentication set up with
//! authconfig must be re-selected as an authselect profile.

use crate::finding::{Finding, Severity};
use crate::model::CheckInput;
use crate::registry::{ActorInfo, ActorKind, Check, FindingInfo, Level};

const ID: &str = "authconfig_check";
const KEY: &str = "legacy.authconfig-to-authselect";

/// The check.
pub const CHECK: Check = Check {
    info: ActorInfo {
        id: ID,
        kind: ActorKind::Check,
        description: "Warns that authconfig is replaced by authselect from EL8.",
        reads: &["facts.rpm", "facts.release", "target"],
        produces: &[KEY],
    },
    findings: &[FindingInfo {
        key: KEY,
        level: Level::Medium,
        title: "authconfig is replaced by authselect",
    }],
    run,
};

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
        Finding::new(
            KEY,
            ID,
            Severity::Medium,
            "authconfig is replaced by authselect",
            "The authconfig package is installed. EL8 manages PAM and nsswitch with authselect; the upgrade installs authselect-compat, but a configuration made with authconfig must be selected again as an authselect profile.",
        )
        .hint("After the upgrade, select the matching profile (sssd or winbind, with the features you used).")
        .command(["authselect", "select", "sssd", "--force"])
        .related("package", ["authconfig"])
        .groups(&["authentication", "security"]),
    ]
}
