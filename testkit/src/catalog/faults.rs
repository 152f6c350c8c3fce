//! The opt-in fault packages of the `faults` repository, for rollback tests: `failing-post`
//! (its `%post` exits 1) and `failing-pre` (its `%pre` exits 1). No repo file enables the
//! repository.

use super::sh_req;
use crate::release::Release;
use crate::spec::{DepWhen, FileSpec, PackageSpec, Signing};

/// `failing-post` and `failing-pre`.
pub(super) fn packages(rel: &Release) -> Vec<PackageSpec> {
    let el = rel.el();
    let fault = |name: &str, script: &str, stage: &str| {
        let mut p = PackageSpec::new(name, None, "1.0", &format!("1.{el}"), "noarch");
        p.vendor = rel.vendor.to_string();
        p.repo = "faults".into();
        p.signing = Signing::Key(rel.key.file.clone());
        p.summary = format!("Opt-in fault: its %{stage} fails (leapfrog testkit)");
        p = p
            .file(FileSpec::text(
                format!("/usr/share/testkit-faults/{name}"),
                "fault package\n",
            ))
            .requires(sh_req(if stage == "pre" {
                DepWhen::Pre
            } else {
                DepWhen::Post
            }));
        if stage == "pre" {
            p.scripts.pre = Some(script.to_string());
        } else {
            p.scripts.post = Some(script.to_string());
        }
        p
    };
    vec![
        fault(
            "failing-post",
            "echo \"post failing-post $* (failing on purpose)\" >> /var/log/testkit-scriptlets.log\nexit 1\n",
            "post",
        ),
        fault(
            "failing-pre",
            "echo \"pre failing-pre $* (failing on purpose)\" >> /var/log/testkit-scriptlets.log\nexit 1\n",
            "pre",
        ),
    ]
}
