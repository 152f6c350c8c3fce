//! Times `leapfrog::plan::depsolve::solve` of an AlmaLinux 8 root against AlmaLinux 9
//! repositories of a testkit world (not a test; run it by hand, as root for the root build):
//!
//! ```sh
//! cargo run --release -p leapfrog-testkit -- world --out /tmp/w1500 --scale 1500 \
//!     --release almalinux-8.10 --release almalinux-9.6
//! cargo run --release -p leapfrog-testkit -- root --world /tmp/w1500 \
//!     --release almalinux-8.10 --all-packages --out /tmp/r1500
//! cargo run --release --example depsolve_bench -- /tmp/w1500 /tmp/r1500
//! ```
//!
//! Prints the number of steps and problems and the wall time of each of five solves.

use std::path::PathBuf;
use std::time::Instant;

use leapfrog::plan::depsolve::{self, RepoSource, Request};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(world), Some(root)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: depsolve_bench WORLD ROOT");
    };
    let world = PathBuf::from(world);
    let req = Request {
        root: PathBuf::from(root),
        arch: "x86_64".into(),
        repos: ["baseos", "appstream", "extras", "epel", "mariadb"]
            .iter()
            .map(|id| RepoSource {
                id: (*id).to_owned(),
                path: world.join("almalinux-9.6").join(id),
                priority: 0,
            })
            .collect(),
        install: vec!["iptables-nft".into(), "python3".into()],
        remove: [
            "iptables",
            "iptables-arptables",
            "iptables-ebtables",
            "network-scripts",
            "platform-python",
        ]
        .map(String::from)
        .to_vec(),
        ..Request::default()
    };
    for run in 1..=5 {
        let start = Instant::now();
        let sol = depsolve::solve(&req)?;
        println!(
            "run {run}: {} steps, {} problems, {:.3} s",
            sol.steps.len(),
            sol.problems.len(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
