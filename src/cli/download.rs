//! `leapfrog download`: fetch and verify the packages of the plan, then prove the transaction
//! with rpm's test flag and check the disk space, before anything on the root changes.
//! Installation media of the plan (`plan --iso`) are mounted again from the recorded paths.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use leapfrog_actors::facts::rootfs::RootFs;
use leapfrog_actors::facts::rpmdb;
use rpm_sys::{EraseTarget, Transaction, TransactionFlags};

use super::GlobalArgs;
use crate::exit::ExitCode;
use crate::fetch::{self, DownloadRecord, Transport};
use crate::plan::document::PlanDocument;
use crate::plan::fates::Action;
use crate::plan::space::{self, SpaceRequest};

/// Options of `leapfrog download`.
#[derive(Debug, Clone, Args)]
pub struct DownloadArgs {
    /// Accept unsigned packages and packages signed by unknown keys (sizes and checksums are
    /// still verified)
    #[arg(long)]
    pub nogpgcheck: bool,
    /// Never use the network: only file:// repositories and local directories
    #[arg(long)]
    pub offline: bool,
    /// Packages downloaded at the same time
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub parallel: u16,
}

fn join_url(base: &str, location: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        location.trim_start_matches('/')
    )
}

/// Runs `leapfrog download`.
///
/// # Errors
///
/// Without a plan, when a package cannot be fetched or verified, or the test transaction cannot
/// be set up.
pub fn run(global: &GlobalArgs, args: &DownloadArgs) -> anyhow::Result<ExitCode> {
    let root = &global.root;
    let plan = PlanDocument::load(root)?;
    if plan.inhibited() {
        let titles = plan.inhibitor_titles();
        eprintln!(
            "The plan is blocked; resolve these and run `leapfrog plan` again:\n  - {}",
            titles.join("\n  - ")
        );
        return Ok(ExitCode::Inhibited);
    }
    let media = crate::plan::media::Mounted::mount(&plan.media)?;
    let transport = Transport {
        offline: args.offline,
        ..Transport::default()
    };
    let repos: BTreeMap<&str, &crate::plan::repos::TargetRepo> =
        plan.repos.iter().map(|r| (r.id.as_str(), r)).collect();

    // Keys of every repository a package comes from, fetched into the root's keyring directory.
    let incoming: Vec<&crate::plan::document::Element> = plan
        .transaction
        .iter()
        .filter(|e| !matches!(e.action, Action::Erase | Action::Obsoleted))
        .collect();
    let used: BTreeSet<&str> = incoming.iter().map(|e| e.repo.as_str()).collect();
    let mut key_urls: Vec<String> = Vec::new();
    let mut baseurls: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for id in &used {
        let repo = repos
            .get(id)
            .with_context(|| format!("the plan names repository {id} but does not define it"))?;
        for k in &repo.gpgkeys {
            let k = media.expand(k);
            if !key_urls.contains(&k) {
                key_urls.push(k);
            }
        }
        let urls = if repo.baseurls.is_empty() {
            match &repo.mirrorlist {
                Some(m) => fetch::resolve_mirrorlist(m, &transport)
                    .with_context(|| format!("cannot read the mirror list of {id}"))?,
                None => bail!("repository {id} has neither a baseurl nor a mirrorlist"),
            }
        } else {
            repo.baseurls.iter().map(|u| media.expand(u)).collect()
        };
        baseurls.insert(id, urls);
    }
    let keys = fetch::fetch_keys(&key_urls, &root.join(fetch::KEYS_DIR), &transport)
        .context("cannot fetch the target repositories' keys")?;
    if !args.nogpgcheck && keys.is_empty() && !incoming.is_empty() {
        bail!(
            "no target repository names a key (gpgkey=), so no package can be verified: add the keys to the target repositories or pass --nogpgcheck"
        );
    }

    let items: Vec<fetch::Item> = incoming
        .iter()
        .map(|e| {
            let location = e
                .location
                .as_deref()
                .with_context(|| format!("the plan has no file location for {}", e.nevra))?;
            Ok(fetch::Item {
                nevra: e.nevra.clone(),
                repo: e.repo.clone(),
                urls: baseurls
                    .get(e.repo.as_str())
                    .map(|b| b.iter().map(|u| join_url(u, location)).collect())
                    .unwrap_or_default(),
                checksum: e.checksum.clone(),
                size: Some(e.download_size).filter(|s| *s > 0),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let progress = !global.json && std::io::stderr().is_terminal();
    let opts = fetch::Options {
        parallel: usize::from(args.parallel),
        offline: args.offline,
        gpgcheck: !args.nogpgcheck,
        keys: keys.clone(),
        progress,
        transport: transport.clone(),
    };
    let dest = fetch::packages_dir(root);
    let report = fetch::download(&items, &dest, &opts).context("download failed")?;

    // The test transaction: every downloaded file against the root's rpm database.
    let rootfs =
        RootFs::new(root).with_context(|| format!("cannot use {} as the root", root.display()))?;
    let db = rpmdb::detect(&rootfs).context("cannot find the root's rpm database")?;
    let location = db.location();
    let mut tx = Transaction::new(root, &location).context("cannot start the test transaction")?;
    let path_of: BTreeMap<&str, &PathBuf> = report
        .packages
        .iter()
        .map(|p| (p.nevra.as_str(), &p.path))
        .collect();
    for e in &incoming {
        let path = path_of
            .get(e.nevra.as_str())
            .with_context(|| format!("{} was not downloaded", e.nevra))?;
        // Upgrade mode for every incoming package: rpm then also erases what it obsoletes;
        // installonly packages (kernels) are added beside the old ones by add_install itself.
        tx.add_install(path, true)
            .with_context(|| format!("cannot add {} to the test transaction", e.nevra))?;
    }
    for e in plan
        .transaction
        .iter()
        .filter(|e| e.action == Action::Erase)
    {
        tx.add_erase(EraseTarget::Label(&e.nevra))
            .with_context(|| format!("cannot add the removal of {}", e.nevra))?;
    }
    let run = tx
        .run(TransactionFlags::test())
        .context("the test transaction could not run")?;
    let estimate = space::estimate(root, &location, &SpaceRequest::from_elements(tx.elements()))
        .context("cannot estimate the disk space")?;
    let ready = run.problems.is_empty() && estimate.fits();
    let files = report
        .packages
        .iter()
        .filter_map(|p| {
            let rel = p.path.strip_prefix(&dest).ok()?;
            Some((p.nevra.clone(), rel.to_string_lossy().into_owned()))
        })
        .collect();
    let doc = DownloadRecord {
        plan_created: plan.created.clone(),
        packages: report.packages.len(),
        downloaded: report.downloaded,
        cached: report.cached,
        downloaded_bytes: report.downloaded_bytes,
        resumed_bytes: report.resumed_bytes,
        keys,
        gpgcheck: !args.nogpgcheck,
        files,
        test_transaction: run.problems.clone(),
        space: serde_json::to_value(&estimate)?,
        ready,
    };
    doc.save(root).context("cannot record the download")?;

    let mut out = std::io::stdout().lock();
    if global.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?).context("cannot write")?;
    } else {
        writeln!(
            out,
            "{} packages verified ({} downloaded, {} already here, {} received, {} resumed), signatures {}",
            doc.packages,
            doc.downloaded,
            doc.cached,
            space::human_bytes(doc.downloaded_bytes),
            space::human_bytes(doc.resumed_bytes),
            if args.nogpgcheck { "NOT checked (--nogpgcheck)" } else { "checked against the target keys" }
        )
        .context("cannot write")?;
        if run.problems.is_empty() {
            writeln!(out, "Test transaction: no problem").context("cannot write")?;
        } else {
            writeln!(out, "Test transaction: {} problem(s)", run.problems.len())
                .context("cannot write")?;
            for p in &run.problems {
                writeln!(out, "  - {p}").context("cannot write")?;
            }
        }
        writeln!(out, "{estimate}").context("cannot write")?;
        writeln!(
            out,
            "{}",
            if ready {
                "Ready: the packages are verified and the transaction fits."
            } else {
                "Not ready: fix the problems above, then run `leapfrog plan` and `leapfrog download` again."
            }
        )
        .context("cannot write")?;
    }
    Ok(if ready {
        ExitCode::Ok
    } else {
        ExitCode::Inhibited
    })
}
