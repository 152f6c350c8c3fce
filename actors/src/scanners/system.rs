//! `system_scanner`: control panels, absolute symlinks at the top of the root, and leftovers of
//! other upgrade tools.

use serde::Serialize;

use crate::model::{Env, Facts};
use crate::registry::{ActorInfo, Phase, Scanner};

/// Control panels and the paths that identify them.
pub const CONTROL_PANELS: &[(&str, &str)] = &[
    ("cPanel", "/usr/local/cpanel/cpanel"),
    ("Plesk", "/usr/local/psa/version"),
    ("DirectAdmin", "/usr/local/directadmin/directadmin"),
];

/// System-wide facts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SystemFacts {
    /// Control panels found.
    pub control_panels: Vec<String>,
    /// Symlinks directly under `/` whose target is absolute: `(link, target)`.
    pub absolute_root_symlinks: Vec<(String, String)>,
    /// Leftovers of leapp / ELevate (`/var/lib/leapp`, `/etc/leapp`).
    pub leapp_leftovers: Vec<String>,
}

/// The scanner.
pub const SCANNER: Scanner = Scanner {
    info: ActorInfo {
        id: "system_scanner",
        phase: Phase::Facts,
        description: "Looks for control panels, absolute symlinks directly under / and leftovers of leapp or ELevate.",
        reads: &[
            "/usr/local/cpanel",
            "/usr/local/psa",
            "/usr/local/directadmin",
            "/",
            "/var/lib/leapp",
            "/etc/leapp",
        ],
        produces: &["facts.system"],
    },
    run,
};

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let control_panels = CONTROL_PANELS
        .iter()
        .filter(|(_, p)| env.root.is_file(p))
        .map(|(n, _)| n.to_string())
        .collect();
    let mut absolute_root_symlinks = Vec::new();
    let top = env.root.path();
    let entries = std::fs::read_dir(top).map_err(|e| format!("listing {}: {e}", top.display()))?;
    for e in entries.flatten() {
        let p = e.path();
        if let Ok(target) = std::fs::read_link(&p)
            && target.is_absolute()
        {
            absolute_root_symlinks.push((
                format!("/{}", e.file_name().to_string_lossy()),
                target.display().to_string(),
            ));
        }
    }
    absolute_root_symlinks.sort();
    let leapp_leftovers = ["/var/lib/leapp", "/etc/leapp"]
        .iter()
        .filter(|p| env.root.path().join(p.trim_start_matches('/')).exists())
        .map(|p| p.to_string())
        .collect();
    facts.system.set(SystemFacts {
        control_panels,
        absolute_root_symlinks,
        leapp_leftovers,
    });
    Ok(())
}
