//! The scale set: 1500 (or 6000) generated packages per release with realistic dependency
//! fan-out and payload, for benchmarks and planner stress tests.
//!
//! The same package lines exist in every major with major-specific versions, so a scale root of
//! one release upgrades to the next. Between majors about 3% of the lines are renamed, 2% are
//! removed and 1% are split, all without Obsoletes (as in the small set), so that the gap that
//! package-evolution data fills exists at scale too. Everything is derived from the line index
//! and the major: the same arguments give the same packages.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::release::Release;
use crate::spec::{Dep, DepOp, FileSpec, PackageSpec, Signing};

const WORDS: &[&str] = &[
    "alpha", "bolt", "cedar", "delta", "ember", "flint", "garnet", "harbor", "iris", "jade",
    "kelp", "lumen", "maple", "nectar", "onyx", "pulse", "quartz", "raven", "sable", "tundra",
    "umber", "vortex", "willow", "xenon", "yarrow", "zephyr",
];

/// What happens to a scale line when it crosses into `major`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evolution {
    /// Same name, new version.
    Kept,
    /// The line is called `<name>-ng` from this major on.
    Renamed,
    /// The line no longer exists from this major on.
    Removed,
    /// The line becomes `<name>-core` + `<name>-tools` from this major on.
    Split,
}

/// Fate of line `i` when going from `major - 1` to `major`.
pub fn evolution(i: usize, major: u32) -> Evolution {
    // hubs (the first 5%) never evolve away: everything depends on them
    if i < 75 {
        return Evolution::Kept;
    }
    let mut rng = ChaCha8Rng::seed_from_u64((i as u64) << 8 | u64::from(major));
    match rng.gen_range(0..100) {
        0..=2 => Evolution::Renamed,
        3..=4 => Evolution::Removed,
        5 => Evolution::Split,
        _ => Evolution::Kept,
    }
}

/// Base name of line `i` (before any evolution).
pub fn line_name(i: usize) -> String {
    let a = WORDS[i % WORDS.len()];
    let b = WORDS[(i / WORDS.len()) % WORDS.len()];
    if i < 75 {
        format!("lib{a}{b}{i}")
    } else {
        format!("sc-{a}-{b}-{i}")
    }
}

/// The names line `i` has in `major`, following the evolution since EL7 (empty once removed).
pub fn names_in_major(i: usize, major: u32) -> Vec<String> {
    let mut names = vec![line_name(i)];
    for m in 8..=major {
        names = match evolution(i, m) {
            Evolution::Kept => names,
            Evolution::Renamed => names.into_iter().map(|n| format!("{n}-ng")).collect(),
            Evolution::Removed => Vec::new(),
            Evolution::Split => names
                .into_iter()
                .flat_map(|n| [format!("{n}-core"), format!("{n}-tools")])
                .collect(),
        };
    }
    names
}

/// Generates the scale packages of `rel` (`count` lines; fewer packages where lines were removed,
/// more where they were split).
pub fn scale_set(rel: &Release, count: usize) -> Vec<PackageSpec> {
    let major = rel.major;
    let el = rel.el();
    let mut out = Vec::with_capacity(count + count / 50);
    for i in 0..count {
        let names = names_in_major(i, major);
        if names.is_empty() {
            continue;
        }
        let mut rng = ChaCha8Rng::seed_from_u64((i as u64) << 16 | u64::from(major) << 4 | 0x5);
        let version = format!(
            "{}.{}.{}",
            major as usize + i % 7,
            (i * 7 + major as usize) % 23,
            rng.gen_range(0..9)
        );
        let release = format!("{}.{el}", rng.gen_range(1..30));
        // requirements on lower lines: hubs get most of the edges (realistic fan-in)
        let mut requires = Vec::new();
        if i > 0 {
            let edges = rng.gen_range(0..=6usize).min(i);
            for _ in 0..edges {
                let target = if rng.gen_bool(0.6) {
                    rng.gen_range(0..i.min(75))
                } else {
                    rng.gen_range(0..i)
                };
                let target_names = names_in_major(target, major);
                if let Some(t) = target_names.first() {
                    let dep = if target < 75 {
                        Dep::any(format!("{}.so.{}()(64bit)", line_name(target), major))
                    } else {
                        Dep::any(t.clone())
                    };
                    if !requires.contains(&dep) {
                        requires.push(dep);
                    }
                }
            }
        }
        for (k, name) in names.iter().enumerate() {
            let mut p = PackageSpec::new(
                name,
                None,
                &version,
                &release,
                if i % 9 == 0 { "noarch" } else { "x86_64" },
            );
            p.vendor = rel.vendor.to_string();
            p.signing = Signing::Key(rel.key.file.clone());
            p.repo = if i % 3 == 0 {
                rel.base_repo()
            } else {
                rel.appstream_repo()
            }
            .to_string();
            p.summary = format!("Scale package {name} (leapfrog testkit)");
            p.requires = requires.clone();
            if i < 75 {
                p = p.provides(Dep::any(format!("{}.so.{}()(64bit)", line_name(i), major)));
            }
            if names.len() > 1 && k == 1 {
                // the -tools half of a split needs its -core half
                let evr = p.evr();
                p = p.requires(Dep::versioned(names[0].clone(), DepOp::Eq, evr));
            }
            // payload: 1-6 files of 1 KiB to 185 KiB, log-distributed (about 60 KB per package compressed)
            let files = rng.gen_range(1..=6);
            for f in 0..files {
                let exp: f64 = rng.gen_range(10.0..17.5);
                let size = 2f64.powf(exp) as usize;
                let dir = match f % 3 {
                    0 => format!("/usr/share/{name}"),
                    1 => format!("/usr/lib64/{name}"),
                    _ => format!("/usr/libexec/{name}"),
                };
                p = p.file(FileSpec::generated(
                    format!("{dir}/file{f}"),
                    rng.r#gen(),
                    size,
                ));
            }
            if i % 5 == 0 {
                p = p.file(FileSpec::config(
                    format!("/etc/{name}.conf"),
                    format!("# {name} configuration\nenabled=1\n"),
                ));
            }
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release;

    #[test]
    fn scale_set_is_deterministic_and_sized() {
        let rel = release::by_id("almalinux-8.10").unwrap();
        let a = scale_set(&rel, 1500);
        let b = scale_set(&rel, 1500);
        assert_eq!(a.len(), b.len());
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.nvra() == y.nvra() && x.requires == y.requires)
        );
        assert!((1400..=1600).contains(&a.len()), "{}", a.len());
        let mut names: Vec<_> = a.iter().map(|p| &p.name).collect();
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len(), "names unique");
    }

    #[test]
    fn evolution_happens_between_majors() {
        let kinds: Vec<_> = (0..1500).map(|i| evolution(i, 9)).collect();
        let renamed = kinds.iter().filter(|k| **k == Evolution::Renamed).count();
        let removed = kinds.iter().filter(|k| **k == Evolution::Removed).count();
        let split = kinds.iter().filter(|k| **k == Evolution::Split).count();
        assert!(
            renamed > 20 && removed > 10 && split > 3,
            "{renamed} {removed} {split}"
        );
        let i = (75..1500)
            .find(|i| evolution(*i, 9) == Evolution::Renamed)
            .unwrap();
        assert_eq!(names_in_major(i, 9), vec![format!("{}-ng", line_name(i))]);
        assert!(
            names_in_major(i, 8).len() == 1 && names_in_major(i, 8)[0] == line_name(i)
                || evolution(i, 8) != Evolution::Kept
        );
    }

    #[test]
    fn dependencies_resolve_within_the_release() {
        let rel = release::by_id("almalinux-9.6").unwrap();
        let set = scale_set(&rel, 600);
        let mut provided: std::collections::HashSet<String> =
            set.iter().map(|p| p.name.clone()).collect();
        provided.extend(
            set.iter()
                .flat_map(|p| p.provides.iter().map(|d| d.name.clone())),
        );
        for p in &set {
            for r in &p.requires {
                assert!(
                    provided.contains(&r.name),
                    "{} requires {} which nothing provides",
                    p.name,
                    r.name
                );
            }
        }
    }
}
