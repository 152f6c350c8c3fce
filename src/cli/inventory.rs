//! `leapfrog inventory`: show what is installed in a root.

use std::io::{self, Write};

use anyhow::Context as _;
use clap::Args;

use super::GlobalArgs;
use crate::exit::ExitCode;
use crate::inventory::Inventory;

/// Options of `leapfrog inventory`.
#[derive(Debug, Clone, Args)]
pub struct InventoryArgs {
    /// Also list every installed package (NEVRA) in the text output; the JSON output always
    /// has them
    #[arg(long)]
    pub packages: bool,
}

/// Runs `leapfrog inventory`.
///
/// # Errors
///
/// When the inventory cannot be taken or the output cannot be written.
pub fn run(global: &GlobalArgs, args: &InventoryArgs) -> anyhow::Result<ExitCode> {
    let ws = global.workspace()?;
    let inventory = Inventory::gather(&ws).with_context(|| {
        format!(
            "cannot take the inventory of the root {}",
            ws.root().display()
        )
    })?;
    global.printer().document(&inventory, |out| {
        let mut bytes = Vec::new();
        render(&inventory, args.packages, &mut bytes).map_err(|_| std::fmt::Error)?;
        out.push_str(&String::from_utf8_lossy(&bytes));
        Ok(())
    })?;
    Ok(ExitCode::Ok)
}

const LABEL: usize = 16;

/// Writes the human-readable summary of an inventory.
///
/// # Errors
///
/// When writing fails.
pub fn render(inv: &Inventory, packages: bool, out: &mut impl Write) -> io::Result<()> {
    let os = &inv.os_release;
    writeln!(out, "{:<LABEL$}{}", "Root", inv.root.display())?;
    writeln!(out, "{:<LABEL$}{}", "Release", os.pretty_name)?;
    let mut details = format!("id {}, version {}", os.id, os.version_id);
    if let Some(platform) = &os.platform_id {
        details.push_str(&format!(", platform {platform}"));
    }
    if !os.id_like.is_empty() {
        details.push_str(&format!(", like {}", os.id_like.join(" ")));
    }
    writeln!(out, "{:<LABEL$}{details}", "")?;
    if let Some(text) = &inv.redhat_release {
        writeln!(out, "{:<LABEL$}{text}", "redhat-release")?;
    }

    let db = &inv.rpmdb;
    let mut location = format!("{} ({})", db.dbpath, db.backend);
    if db.resolved_dbpath != db.dbpath {
        location.push_str(&format!(", really {}", db.resolved_dbpath));
    }
    writeln!(out, "{:<LABEL$}{location}", "RPM database")?;
    writeln!(
        out,
        "{:<LABEL$}rpm {} ({})",
        "read with",
        inv.librpm.version_text,
        inv.librpm.opened.display()
    )?;

    writeln!(out, "{:<LABEL$}{} installed", "Packages", inv.package_count)?;
    let key_label = |key: &crate::inventory::KeyCount| match &key.key_id {
        Some(id) if key.imported => format!("signed by {id} (key imported)"),
        Some(id) => format!("signed by {id}"),
        None => "unsigned".to_owned(),
    };
    let vendor_label = |vendor: &crate::inventory::VendorCount| {
        format!("vendor {}", vendor.vendor.as_deref().unwrap_or("(none)"))
    };
    let rows: Vec<(String, usize)> = inv
        .signature_keys
        .iter()
        .map(|k| (key_label(k), k.packages))
        .chain(inv.vendors.iter().map(|v| (vendor_label(v), v.packages)))
        .collect();
    let width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    for (label, count) in &rows {
        writeln!(out, "  {label:<width$}  {count:>6}")?;
    }
    if !inv.imported_keys.is_empty() {
        writeln!(
            out,
            "{:<LABEL$}{}",
            "Imported keys",
            inv.imported_keys.join(", ")
        )?;
    }

    writeln!(out, "{:<LABEL$}{}", "Kernels", inv.kernels.len())?;
    for kernel in &inv.kernels {
        let entries = if kernel.boot_entries.is_empty() {
            "no boot entry".to_owned()
        } else {
            format!("boot entry {}", kernel.boot_entries.join(", "))
        };
        writeln!(out, "  {}  ({entries})", kernel.nevra)?;
    }
    writeln!(out, "{:<LABEL$}{}", "Boot entries", inv.boot_entries.len())?;
    for entry in &inv.boot_entries {
        writeln!(
            out,
            "  {}  {}  {}",
            entry.file,
            entry.title.as_deref().unwrap_or("(no title)"),
            entry.linux.as_deref().unwrap_or("(no linux)")
        )?;
    }

    let layout = match (&inv.boot_layout, &inv.boot_layout_error) {
        (Some(setup), _) => setup.summary(),
        (None, Some(why)) => format!("not usable for the upgrade: {why}"),
        (None, None) => "unknown".to_owned(),
    };
    writeln!(out, "{:<LABEL$}{layout}", "Boot layout")?;

    let enabled = inv.repositories.iter().filter(|r| r.enabled).count();
    writeln!(
        out,
        "{:<LABEL$}{} ({enabled} enabled)",
        "Repositories",
        inv.repositories.len()
    )?;
    let id_width = inv
        .repositories
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(0);
    for repo in &inv.repositories {
        let source = repo
            .baseurl
            .first()
            .map(|url| format!("baseurl {url}"))
            .or_else(|| repo.metalink.as_ref().map(|url| format!("metalink {url}")))
            .or_else(|| {
                repo.mirrorlist
                    .as_ref()
                    .map(|url| format!("mirrorlist {url}"))
            })
            .unwrap_or_else(|| "(no baseurl, metalink or mirrorlist)".to_owned());
        writeln!(
            out,
            "  {:<8}  {:<id_width$}  {}  {source}",
            if repo.enabled { "enabled" } else { "disabled" },
            repo.id,
            repo.name.as_deref().unwrap_or(&repo.id),
        )?;
    }

    if !inv.problems.is_empty() {
        writeln!(out, "{:<LABEL$}{}", "Problems", inv.problems.len())?;
        for problem in &inv.problems {
            writeln!(out, "  {problem}")?;
        }
    }

    if packages {
        writeln!(out, "Installed packages")?;
        for package in &inv.packages {
            writeln!(out, "  {}", package.nevra())?;
        }
    }
    Ok(())
}
