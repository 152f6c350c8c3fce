//! `leapfrog-testkit`: builds synthetic EL worlds and installed sandbox roots.
//!
//! This command line is an interface that scripts, benchmarks and external checks rely on:
//! keep its verbs and flags stable.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use leapfrog_testkit::{clone, nevra, pes, release, root, serve, world};

/// Build synthetic EL distributions (signed dnf repositories) and installed sandbox roots.
#[derive(Debug, Parser)]
#[command(name = "leapfrog-testkit", version, about)]
struct Cli {
    /// Print machine-readable JSON on stdout instead of a human summary.
    #[arg(long, global = true)]
    json: bool,
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the releases the testkit can build.
    Releases,
    /// Write every synthetic release as signed repositories under DIR/<release>/.
    World {
        /// Output directory (created; releases already in it are rebuilt).
        #[arg(long)]
        out: PathBuf,
        /// Scenario set only, or plus 1500 / 6000 generated packages per release.
        #[arg(long, value_enum, default_value = "small")]
        scale: world::Scale,
        /// Build only this release (repeatable; default: all).
        #[arg(long = "release", value_name = "RELEASE")]
        releases: Vec<String>,
        /// Static busybox used as the synthetic /bin/sh.
        #[arg(long, default_value = "/bin/busybox")]
        busybox: PathBuf,
    },
    /// Install a release's packages into a directory with the real rpm.
    Root {
        /// World directory built by `world`.
        #[arg(long)]
        world: PathBuf,
        /// Release to install (e.g. almalinux-8.10).
        #[arg(long)]
        release: String,
        /// Root directory to create (must not exist or be empty).
        #[arg(long)]
        out: PathBuf,
        /// Also describe this release's repositories in ROOT/etc/leapfrog/target.repos.d/testkit.repo.
        #[arg(long)]
        target: Option<String>,
        /// Install exactly the packages of this `rpm -qa` list (synthesising what the world lacks).
        #[arg(long, conflicts_with = "all_packages")]
        packages: Option<PathBuf>,
        /// Install the default set plus every scale package of the release.
        #[arg(long)]
        all_packages: bool,
        /// Leave a BerkeleyDB rpmdb, as real EL7/EL8 hosts have (default: sqlite).
        #[arg(long)]
        bdb: bool,
        /// Base URL of the world in the root's repo files (default file://<world>), e.g. the URL
        /// printed by `serve`.
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Build a world from a leapp PES events file: packages for every relevant event.
    PesWorld {
        /// PES events file (leapp's pes-events.json format).
        #[arg(long)]
        pes: PathBuf,
        /// Source release id.
        #[arg(long)]
        source: String,
        /// Target release id.
        #[arg(long)]
        target: String,
        /// Output world directory.
        #[arg(long)]
        out: PathBuf,
        /// An `rpm -qa` list: its versions are used for source packages, and names without any
        /// event get plain packages on both sides.
        #[arg(long)]
        installed: Option<PathBuf>,
        /// Static busybox used as the synthetic /bin/sh.
        #[arg(long, default_value = "/bin/busybox")]
        busybox: PathBuf,
    },
    /// Make a cheap copy of a pristine root.
    Clone {
        /// Pristine root.
        #[arg(long)]
        from: PathBuf,
        /// Destination (a new directory; for overlay, the directory that gets merged/ upper/ work/).
        #[arg(long)]
        to: PathBuf,
        /// How to copy.
        #[arg(long, value_enum, default_value = "copy")]
        method: clone::CloneMethod,
    },
    /// Serve a world over HTTP on 127.0.0.1 until interrupted.
    Serve {
        /// World directory.
        #[arg(long)]
        world: PathBuf,
        /// Port (0 picks a free one; the URL is printed).
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
}

fn print<T: serde::Serialize>(
    json: bool,
    value: &T,
    human: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        print!("{}", human());
    }
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let json = cli.json;
    match cli.command {
        Command::Releases => {
            let rels = release::all();
            print(json, &rels, || {
                rels.iter()
                    .map(|r| {
                        format!(
                            "{:<18} {} (rpmdb {}, {:?})\n",
                            r.id, r.pretty_name, r.dbpath, r.native_rpmdb
                        )
                    })
                    .collect()
            })
        }
        Command::World {
            out,
            scale,
            releases,
            busybox,
        } => {
            let mut opts = world::WorldOptions::new(&out, scale);
            opts.releases = releases;
            opts.busybox = busybox;
            let r = world::build_world(&opts)
                .with_context(|| format!("building the world in {}", out.display()))?;
            print(json, &r, || {
                format!(
                    "world {}: {} releases, {} packages in {:.1} s (keys {:.1} s, rpms {:.1} s, repodata {:.1} s)\n",
                    out.display(),
                    r.manifest.releases.len(),
                    r.packages,
                    r.total_seconds,
                    r.keys_seconds,
                    r.rpms_seconds,
                    r.repodata_seconds
                )
            })
        }
        Command::Root {
            world,
            release,
            out,
            target,
            packages,
            all_packages,
            bdb,
            base_url,
        } => {
            let mut opts = root::RootOptions::new(&world, &release, &out);
            opts.target = target;
            opts.bdb = bdb;
            opts.base_url = base_url;
            if all_packages {
                opts.packages = root::PackageSelection::All;
            }
            if let Some(list) = packages {
                let text = std::fs::read_to_string(&list)
                    .with_context(|| format!("reading {}", list.display()))?;
                let parsed = nevra::parse_list(&text)
                    .with_context(|| format!("parsing {}", list.display()))?;
                opts.packages = root::PackageSelection::List(parsed);
            }
            let r = root::build_root(&opts)
                .with_context(|| format!("creating the {release} root in {}", out.display()))?;
            print(json, &r, || {
                let mut s = format!(
                    "root {} ({}): {} packages, rpmdb {} ({}), {:.1} s\n",
                    r.root.display(),
                    r.release,
                    r.installed.len(),
                    r.dbpath,
                    r.rpmdb_backend,
                    r.seconds
                );
                if let Some(t) = &r.target_repo_file {
                    s.push_str(&format!("target repositories: {}\n", t.display()));
                }
                s
            })
        }
        Command::PesWorld {
            pes,
            source,
            target,
            out,
            installed,
            busybox,
        } => {
            let installed = match installed {
                Some(f) => {
                    let text = std::fs::read_to_string(&f)
                        .with_context(|| format!("reading {}", f.display()))?;
                    nevra::parse_list(&text).with_context(|| format!("parsing {}", f.display()))?
                }
                None => Vec::new(),
            };
            let opts = pes::PesWorldOptions {
                pes,
                source,
                target,
                out: out.clone(),
                installed,
                busybox,
            };
            let r = pes::build_pes_world(&opts)
                .with_context(|| format!("building the PES world in {}", out.display()))?;
            print(json, &r, || {
                format!(
                    "PES world {}: {} of {} events used; {} source and {} target packages synthesised, {} extra names; {:.1} s\n",
                    out.display(),
                    r.events_used,
                    r.events_total,
                    r.source_packages,
                    r.target_packages,
                    r.extra_names,
                    r.seconds
                )
            })
        }
        Command::Clone { from, to, method } => {
            let where_ = match method {
                clone::CloneMethod::Overlay => clone::overlay_root(&from, &to)
                    .context("mounting the overlay")?
                    .keep(),
                _ => {
                    clone::copy_root(&from, &to, method).context("copying the root")?;
                    to.clone()
                }
            };
            let v = serde_json::json!({ "root": where_, "method": method });
            print(json, &v, || format!("{}\n", where_.display()))
        }
        Command::Serve { world, port } => {
            let srv = serve::serve(&world, port)
                .with_context(|| format!("serving {}", world.display()))?;
            let v = serde_json::json!({ "url": srv.url });
            print(json, &v, || {
                format!("serving {} at {}\n", world.display(), srv.url)
            })?;
            use std::io::Write as _;
            std::io::stdout().flush()?;
            srv.wait();
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TESTKIT_LOG")
                .unwrap_or_else(|_| level.into()),
        )
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
