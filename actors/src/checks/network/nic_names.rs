//! `nic_names_check`: the host does not depend on kernel-assigned NIC names (`eth0`, `eth1`,
//! ...) while it has several physical NICs — those names follow probe order, which a new
//! kernel and udev may change, so the NICs can swap names and configurations after the upgrade.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::host::NetInterface;
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "nic_names_check";

const KERNEL_NIC_NAMES: FindingInfo = FindingInfo {
    key: "network.kernel-nic-names",
    level: Level::Inhibitor,
    title: "Several physical NICs use kernel-assigned names (ethN)",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Inhibits when the host has more than one physical NIC and any of them carries a kernel-assigned ethN name, which may change with the target's kernel and udev.",
    &["host.network_interfaces", "host.kernel_cmdline"],
    &[KERNEL_NIC_NAMES],
    run,
);

/// Whether `name` is a kernel-assigned name (`eth` followed by digits only).
pub fn is_kernel_name(name: &str) -> bool {
    name.strip_prefix("eth")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn describe(nic: &NetInterface) -> String {
    let mut s = nic.name.clone();
    let mut extra = Vec::new();
    if let Some(mac) = &nic.mac {
        extra.push(format!("MAC {mac}"));
    }
    if let Some(driver) = &nic.driver {
        extra.push(format!("driver {driver}"));
    }
    if !extra.is_empty() {
        s.push_str(&format!(" ({})", extra.join(", ")));
    }
    s
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !input.host.known() {
        return Vec::new();
    }
    let physical: Vec<&NetInterface> = input
        .host
        .network_interfaces
        .iter()
        .filter(|n| n.physical)
        .collect();
    let kernel_named: Vec<&NetInterface> = physical
        .iter()
        .copied()
        .filter(|n| is_kernel_name(&n.name))
        .collect();
    if physical.len() < 2 || kernel_named.is_empty() {
        return Vec::new();
    }
    let cmdline = input.host.kernel_cmdline.as_deref().unwrap_or("");
    let ifnames_off = cmdline
        .split_whitespace()
        .any(|a| a == "net.ifnames=0" || a == "biosdevname=0");
    let listed: Vec<String> = kernel_named.iter().map(|n| describe(n)).collect();
    let mut summary = format!(
        "This host has {} physical network interfaces and these use kernel-assigned names:\n{}\n\
         Kernel names are handed out in the order the drivers find the devices. The target's \
         kernel and udev may probe them in another order or give them predictable names, so after \
         the upgrade the interfaces can swap names and come up with each other's configuration (or \
         none), leaving the host unreachable.",
        physical.len(),
        bullet_list(&listed, 20)
    );
    if ifnames_off {
        summary.push_str(
            "\nThe kernel command line disables predictable names (net.ifnames=0 or biosdevname=0), which is why the kernel names are in use.",
        );
    }
    let links: Vec<String> = kernel_named
        .iter()
        .enumerate()
        .filter_map(|(i, n)| {
            n.mac.as_ref().map(|mac| {
                format!(
                    "/etc/systemd/network/70-net{i}.link: [Match] MACAddress={mac} [Link] Name=net{i}   (was {})",
                    n.name
                )
            })
        })
        .collect();
    let mut hint = String::from(
        "Give every NIC a persistent name bound to its MAC address, outside the kernel's ethN namespace, \
         and update the network configuration to use it before upgrading. For example, one systemd \
         link file per NIC:\n",
    );
    if links.is_empty() {
        hint.push_str("/etc/systemd/network/70-net0.link: [Match] MACAddress=<mac of eth0> [Link] Name=net0\n");
    } else {
        hint.push_str(&links.join("\n"));
        hint.push('\n');
    }
    hint.push_str(
        "(or the udev rule SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"<mac>\", NAME=\"net0\" in \
         /etc/udev/rules.d/70-persistent-net.rules). Then rename the connection profiles (DEVICE= in \
         ifcfg files, interface-name= in NetworkManager keyfiles, or `nmcli connection modify <profile> \
         connection.interface-name net0`), rebuild the initramfs with `dracut -f` so it carries the \
         link files, reboot and check that every interface came up under its new name.",
    );
    vec![
        Finding::of(&KERNEL_NIC_NAMES, ID, summary)
            .hint(hint)
            .related(
                "network-interface",
                kernel_named.iter().map(|n| n.name.clone()),
            )
            .groups(&["network"]),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn kernel_names() {
        for n in ["eth0", "eth12"] {
            assert!(super::is_kernel_name(n), "{n}");
        }
        for n in ["eth", "ens3", "eth0.100", "ethx", "veth0", "net0"] {
            assert!(!super::is_kernel_name(n), "{n}");
        }
    }
}
