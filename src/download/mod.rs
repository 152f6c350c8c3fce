//! `leapfrog download` as a library call: [`download`] fetches and verifies the packages of the
//! plan (size, checksum and signature, through [`crate::fetch`]), proves the transaction with
//! rpm's test flag (filled by [`crate::transaction::fill`], as the real one will be) and checks
//! the disk space, then records all of it in `download.json` ([`DownloadRecord`]). Nothing in
//! the root changes except `var/lib/leapfrog`. Installation media of the plan (`plan --iso`)
//! are mounted again from the recorded paths.

pub mod record;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use rpm_sys::{Transaction, TransactionFlags};
use serde::Serialize;

pub use record::DownloadRecord;

use crate::document::Document as _;
use crate::fetch::{self, Transport};
use crate::plan::space::{self, SpaceEstimate, SpaceRequest};
use crate::plan::{PlanDocument, TargetRepo};
use crate::workspace::Workspace;

/// Options of [`download`].
#[derive(Debug, Clone)]
pub struct DownloadOptions {
    /// Accept unsigned packages and unknown keys (checksums are still verified).
    pub nogpgcheck: bool,
    /// Never use the network.
    pub offline: bool,
    /// Packages downloaded at the same time.
    pub parallel: usize,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        Self {
            nogpgcheck: false,
            offline: false,
            parallel: 4,
            progress: false,
        }
    }
}

/// What [`download`] did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum DownloadReport {
    /// The plan is blocked: nothing was downloaded.
    Blocked {
        /// The plan's inhibitors.
        inhibitors: Vec<String>,
    },
    /// The packages were fetched and verified and the test transaction ran; `record.ready`
    /// says whether the upgrade can go on.
    Verified {
        /// The record written to `download.json`.
        #[serde(flatten)]
        record: Box<DownloadRecord>,
        /// Where it was written.
        path: PathBuf,
    },
}

impl DownloadReport {
    /// Whether the packages are verified and the transaction fits.
    pub fn ready(&self) -> bool {
        matches!(self, DownloadReport::Verified { record, .. } if record.ready)
    }
}

fn join_url(base: &str, location: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        location.trim_start_matches('/')
    )
}

/// Where the incoming packages come from.
struct Sources {
    /// Base URLs of each repository the incoming packages come from.
    baseurls: BTreeMap<String, Vec<String>>,
    /// The key URLs of those repositories.
    key_urls: Vec<String>,
}

fn sources(
    plan: &PlanDocument,
    media: &crate::plan::media::Mounted,
    transport: &Transport,
) -> anyhow::Result<Sources> {
    let repos: BTreeMap<&str, &TargetRepo> =
        plan.repos.iter().map(|r| (r.id.as_str(), r)).collect();
    let used: BTreeSet<&str> = plan.incoming().map(|e| e.repo.as_str()).collect();
    let mut key_urls: Vec<String> = Vec::new();
    let mut baseurls = BTreeMap::new();
    for id in used {
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
                Some(m) => fetch::resolve_mirrorlist(m, transport)
                    .with_context(|| format!("cannot read the mirror list of {id}"))?,
                None => bail!("repository {id} has neither a baseurl nor a mirrorlist"),
            }
        } else {
            repo.baseurls.iter().map(|u| media.expand(u)).collect()
        };
        baseurls.insert(id.to_string(), urls);
    }
    Ok(Sources { baseurls, key_urls })
}

/// Downloads and verifies the packages of `plan`, runs the test transaction and the space
/// estimate, and writes `download.json`.
///
/// # Errors
///
/// When a package cannot be fetched or verified, the keys cannot be fetched, or the test
/// transaction cannot be set up. A blocked plan is not an error but
/// [`DownloadReport::Blocked`]; test-transaction problems or too little space are a record
/// that is not ready.
pub fn download(
    ws: &Workspace,
    plan: &PlanDocument,
    opts: &DownloadOptions,
) -> anyhow::Result<DownloadReport> {
    if plan.inhibited() {
        return Ok(DownloadReport::Blocked {
            inhibitors: plan
                .inhibitor_titles()
                .into_iter()
                .map(String::from)
                .collect(),
        });
    }
    let media = crate::plan::media::Mounted::mount(&plan.media)?;
    let transport = Transport {
        offline: opts.offline,
        ..Transport::default()
    };
    let Sources { baseurls, key_urls } = sources(plan, &media, &transport)?;
    let keys = fetch::fetch_keys(&key_urls, &ws.keys_dir(), &transport)
        .context("cannot fetch the target repositories' keys")?;
    let incoming = plan.incoming().count();
    if !opts.nogpgcheck && keys.is_empty() && incoming > 0 {
        bail!(
            "no target repository names a key (gpgkey=), so no package can be verified: add the keys to the target repositories or pass --nogpgcheck"
        );
    }

    let items: Vec<fetch::Item> = plan
        .incoming()
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
    let fetch_opts = fetch::Options {
        parallel: opts.parallel.max(1),
        offline: opts.offline,
        gpgcheck: !opts.nogpgcheck,
        keys: keys.clone(),
        progress: opts.progress,
        transport: transport.clone(),
    };
    let dest = ws.packages_dir();
    let fetched = fetch::download(&items, &dest, &fetch_opts).context("download failed")?;
    let files: BTreeMap<String, PathBuf> = fetched
        .packages
        .iter()
        .map(|p| (p.nevra.clone(), p.path.clone()))
        .collect();

    // The test transaction: the verified files against the root's rpm database, filled as the
    // executor fills the real one.
    let location = crate::rpmdb::location(ws)?;
    let mut tx =
        Transaction::new(ws.root(), &location).context("cannot start the test transaction")?;
    crate::transaction::fill(&mut tx, plan, &files)
        .context("cannot set up the test transaction")?;
    let run = tx
        .run(TransactionFlags::test())
        .context("the test transaction could not run")?;
    let estimate: SpaceEstimate =
        space::estimate(ws, &location, &SpaceRequest::from_elements(tx.elements()))
            .context("cannot estimate the disk space")?;
    let ready = run.problems.is_empty() && estimate.fits();
    let record = DownloadRecord {
        schema: record::SCHEMA.to_string(),
        plan_id: plan.plan_id.clone(),
        packages: fetched.packages.len(),
        downloaded: fetched.downloaded,
        cached: fetched.cached,
        downloaded_bytes: fetched.downloaded_bytes,
        resumed_bytes: fetched.resumed_bytes,
        keys,
        gpgcheck: !opts.nogpgcheck,
        files: fetched
            .packages
            .iter()
            .filter_map(|p| {
                let rel = p.path.strip_prefix(&dest).ok()?;
                Some((p.nevra.clone(), rel.to_string_lossy().into_owned()))
            })
            .collect(),
        test_transaction: run.problems.clone(),
        space: estimate,
        ready,
    };
    let path = record.save(ws).context("cannot record the download")?;
    Ok(DownloadReport::Verified {
        record: Box::new(record),
        path,
    })
}
