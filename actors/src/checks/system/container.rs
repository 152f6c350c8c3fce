//! `container_check`: leapfrog is not running inside a container. An in-place upgrade replaces
//! the kernel and reboots into an upgrade environment; a container has neither its own kernel
//! nor its own boot.

use crate::finding::Finding;
use crate::model::CheckInput;
use crate::registry::{ActorInfo, ActorKind, Check, FindingInfo, Level};

const ID: &str = "container_check";
const KEY: &str = "system.in-container";
const TITLE: &str = "Running inside a container";

/// The check.
pub const CHECK: Check = Check {
    info: ActorInfo {
        id: ID,
        kind: ActorKind::Check,
        description: "Inhibits when the host facts say the system runs inside a container (docker, podman, lxc, systemd-nspawn, OpenVZ, ...).",
        reads: &["host.container"],
        produces: &[KEY],
    },
    findings: &[FindingInfo {
        key: KEY,
        level: Level::Inhibitor,
        title: TITLE,
    }],
    run,
};

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !input.host.known() {
        return Vec::new();
    }
    let Some(kind) = input
        .host
        .container
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    else {
        return Vec::new();
    };
    vec![
        Finding::inhibitor(
            KEY,
            ID,
            TITLE,
            format!(
                "This system runs inside a container ({kind}). An in-place upgrade installs and boots a new \
                 kernel and reboots into an upgrade environment; a container shares the host's kernel and \
                 has no boot of its own, so the upgrade cannot run there."
            ),
        )
        .hint(
            "Upgrade containers by rebuilding them from an image of the target release (update the base \
             image in the Containerfile or template) and moving their data over. Run leapfrog on the \
             virtual machine or physical host itself.",
        )
        .related("container", [kind.to_string()])
        .groups(&["sanity"]),
    ]
}
