//! `container_check`: leapfrog is not running inside a container. An in-place upgrade replaces
//! the kernel and reboots into an upgrade environment; a container has neither its own kernel
//! nor its own boot.

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "container_check";

const IN_CONTAINER: FindingInfo = FindingInfo {
    key: "system.in-container",
    level: Level::Inhibitor,
    title: "Running inside a container",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Inhibits when the host facts say the system runs inside a container (docker, podman, lxc, systemd-nspawn, OpenVZ, ...).",
    &["host.container"],
    &[IN_CONTAINER],
    run,
);

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
        Finding::of(
            &IN_CONTAINER,
            ID,
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
