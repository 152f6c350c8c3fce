//! In-process benchmark of the package-evolution stage: parse a leapp `pes-events.json` and apply
//! its events to a package list, as `leapfrog plan --events-only` does, without process start or
//! output. Run through `scripts/bench` (section 5), which measures the baseline in the same run.
//!
//! `cargo bench --bench event_stage -- PES_FILE NAMES_FILE SOURCE TARGET [ROUNDS]`
//! (SOURCE/TARGET as MAJOR.MINOR). Prints one JSON line: the median and minimum of the rounds,
//! each split into parse and apply.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use leapfrog::plan::events::{self, Installed};
use leapfrog_migration_data::leapp::pes;

fn version(s: &str) -> pes::Version {
    let (a, b) = s.split_once('.').expect("MAJOR.MINOR");
    pes::Version {
        major: a.parse().expect("major"),
        minor: b.parse().expect("minor"),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; skip flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if args.len() < 4 {
        eprintln!("usage: event_stage PES_FILE NAMES_FILE SOURCE TARGET [ROUNDS]");
        std::process::exit(2);
    }
    let pes_path = PathBuf::from(&args[0]);
    let names = std::fs::read_to_string(&args[1]).expect("names file");
    let installed: Vec<Installed> = names
        .lines()
        .filter_map(leapfrog::plan::name_from_nevra)
        .map(|n| Installed {
            name: n.to_string(),
            module_stream: None,
        })
        .collect();
    let (source, target) = (version(&args[2]), version(&args[3]));
    let rounds: usize = args.get(4).map_or(20, |r| r.parse().expect("rounds"));

    let (mut parse, mut apply, mut total) = (Vec::new(), Vec::new(), Vec::new());
    let mut touched = 0;
    for _ in 0..rounds {
        let t0 = Instant::now();
        let bytes = std::fs::read(&pes_path).expect("pes file");
        let file = pes::parse(&bytes, &pes_path).expect("pes parse");
        let t1 = Instant::now();
        let out = events::apply(&file.events, &installed, source, target, "x86_64");
        let t2 = Instant::now();
        touched = out.to_install.len() + out.to_remove.len();
        parse.push(t1 - t0);
        apply.push(t2 - t1);
        total.push(t2 - t0);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{{\"packages\":{},\"rounds\":{rounds},\"touched\":{touched},\"median_ms\":{:.2},\"min_ms\":{:.2},\"parse_median_ms\":{:.2},\"apply_median_ms\":{:.2}}}",
        installed.len(),
        ms(median(total.clone())),
        ms(*total.iter().min().expect("rounds > 0")),
        ms(median(parse)),
        ms(median(apply)),
    );
}
