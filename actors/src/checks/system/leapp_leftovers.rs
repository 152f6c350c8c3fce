//! `leapp_leftovers_check`: no leftovers of an earlier leapp or ELevate run. Their state,
//! target userspace and packages can confuse the new upgrade and take gigabytes of space.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "leapp_leftovers_check";

/// Package names of leapp and ELevate.
pub fn is_leapp_package(name: &str) -> bool {
    matches!(
        name,
        "leapp"
            | "leapp-deps"
            | "leapp-repository"
            | "leapp-upgrade"
            | "python2-leapp"
            | "python3-leapp"
            | "elevate-release"
            | "leapp-upgrade-el7toel8-deps"
            | "leapp-upgrade-el8toel9-deps"
    ) || name.starts_with("leapp-upgrade-el")
        || name.starts_with("leapp-data-")
        || name.starts_with("leapp-repository-")
}

const LEAPP_LEFTOVERS: FindingInfo = FindingInfo {
    key: "system.leapp-leftovers",
    level: Level::Medium,
    title: "Leftovers of an earlier leapp or ELevate run",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Reports state and packages left by an earlier leapp or ELevate run (/var/lib/leapp, /etc/leapp, /root/tmp_leapp_py3, leapp packages).",
    &["facts.system", "facts.rpm"],
    &[LEAPP_LEFTOVERS],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(sys) = input.facts.system.get() else {
        return Vec::new();
    };
    let mut packages: Vec<String> = input
        .facts
        .rpm
        .get()
        .map(|r| {
            r.real()
                .filter(|p| is_leapp_package(&p.name))
                .map(|p| p.name.clone())
                .collect()
        })
        .unwrap_or_default();
    packages.sort();
    packages.dedup();
    if sys.leapp_leftovers.is_empty() && packages.is_empty() {
        return Vec::new();
    }
    let mut items: Vec<String> = sys
        .leapp_leftovers
        .iter()
        .map(|p| match p.as_str() {
            "/var/lib/leapp" => {
                format!("{p} (leapp's state database, scratch space and target userspace)")
            }
            "/etc/leapp" => format!("{p} (leapp's actors, answerfiles and data files)"),
            "/root/tmp_leapp_py3" => format!("{p} (leapp's temporary Python 3 runtime)"),
            _ => p.clone(),
        })
        .collect();
    items.extend(packages.iter().map(|p| format!("package {p}")));
    let dirs: Vec<String> = sys
        .leapp_leftovers
        .iter()
        .filter(|p| p.as_str() != "/etc/leapp")
        .cloned()
        .collect();
    let mut steps = Vec::new();
    if !packages.is_empty() {
        steps.push(format!(
            "remove the packages (`dnf remove {}`)",
            packages.join(" ")
        ));
    }
    if !dirs.is_empty() {
        steps.push(format!("delete `{}`", dirs.join("`, `")));
    }
    if sys.leapp_leftovers.iter().any(|p| p == "/etc/leapp") {
        steps.push(
            "empty /etc/leapp except what leapfrog should still read: it uses \
             /etc/leapp/files/device_driver_deprecation_data.json when /etc/leapfrog/files has none \
             (better move that file to /etc/leapfrog/files)"
                .to_string(),
        );
    }
    let hint = format!(
        "If no leapp or ELevate upgrade is in progress: {}.",
        steps.join("; ")
    );
    let mut f = Finding::of(
        &LEAPP_LEFTOVERS,
        ID,
        format!(
            "An earlier leapp or ELevate run left these behind:\n{}\nThey are not used by leapfrog, but \
             leapp's target userspace can take gigabytes, and a half-finished leapp run may still have its \
             upgrade boot entry or answers around.",
            bullet_list(&items, 20)
        ),
    )
    .hint(hint)
    .related("directory", sys.leapp_leftovers.iter().cloned())
    .related("package", packages.iter().cloned())
    .groups(&["sanity"]);
    if packages.is_empty() && !dirs.is_empty() {
        f = f.command(
            ["rm".to_string(), "-rf".to_string()]
                .into_iter()
                .chain(dirs),
        );
    }
    vec![f]
}
