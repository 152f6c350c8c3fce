//! Running the actors: scanners in parallel, then the target is resolved, then checks in
//! parallel. A scanner or check that fails or panics becomes an error finding naming the actor;
//! it never takes the run down. So does a check that produces a finding of a kind it does not
//! declare ([`crate::registry::Check::undeclared`]): the catalogue, the README's table and
//! waivers can rely on the declarations.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use serde::Serialize;

use crate::finding::Finding;
use crate::model::{Answers, CheckInput, Env, Facts};
use crate::registry::{self, ActorKind};
use crate::upgrade_paths::{self, Target, TargetSpec};

/// How one actor went.
#[derive(Debug, Clone, Serialize)]
pub struct ActorRun {
    /// Actor id.
    pub id: &'static str,
    /// Scanner or check (serialized as `phase`).
    #[serde(rename = "phase")]
    pub kind: ActorKind,
    /// Wall time in milliseconds.
    pub millis: f64,
    /// Why it failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of an assessment.
#[derive(Debug, Serialize)]
pub struct Assessment {
    /// The facts.
    pub facts: Facts,
    /// The resolved target.
    pub target: Option<Target>,
    /// Findings, inhibitors first, then by severity and key.
    pub findings: Vec<Finding>,
    /// Per-actor timings and errors.
    pub runs: Vec<ActorRun>,
}

impl Assessment {
    /// Findings that block the upgrade.
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.blocks())
    }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panicked".to_string())
}

/// Test hook: the failpoint `actor-panic=<actor id>` (repeatable) makes that actor panic, to prove that a
/// crashing actor is isolated. A malformed `LEAPFROG_FAILPOINTS` makes every actor panic with
/// the parse error: a typo must not silently disarm a test.
fn failpoints() -> Result<Option<String>, String> {
    leapfrog_base::failpoints::foreign("actor-panic").map_err(|e| e.to_string())
}

fn maybe_panic(failpoints: &Result<Option<String>, String>, id: &str) {
    match failpoints {
        Ok(Some(armed)) if armed.split(',').any(|a| a == id) => {
            panic!("failpoint actor-panic={id}")
        }
        Err(e) => panic!("{e}"),
        Ok(_) => {}
    }
}

fn actor_error(id: &str, kind: ActorKind, message: &str) -> Finding {
    Finding::inhibitor(
        &format!("actor-error.{id}"),
        id,
        format!("The {id} {} failed", kind.noun()),
        format!("leapfrog could not complete the assessment: actor {id} failed: {message}"),
    )
    .hint("Fix the cause named above (often an unreadable or corrupt file) and run `leapfrog preupgrade` again; report a bug if it persists.")
    .groups(&["error"])
}

/// Runs every scanner, resolves the target, runs every check, applies waivers.
pub fn assess(
    env: &Env,
    requested: Option<&TargetSpec>,
    answers: &Answers,
    waivers: &BTreeSet<String>,
) -> Assessment {
    let facts = Facts::default();
    let failpoints = failpoints();
    let failpoints = &failpoints;
    let mut runs = Vec::new();
    let mut findings = Vec::new();

    let scanner_results: Vec<(ActorRun, Option<Finding>)> = std::thread::scope(|s| {
        let handles: Vec<_> = registry::scanners()
            .iter()
            .map(|sc| {
                let facts = &facts;
                s.spawn(move || {
                    let t = Instant::now();
                    let res = catch_unwind(AssertUnwindSafe(|| {
                        maybe_panic(failpoints, sc.info.id);
                        (sc.run)(env, facts)
                    }))
                    .unwrap_or_else(|p| Err(format!("panicked: {}", panic_message(p))));
                    let run = ActorRun {
                        id: sc.info.id,
                        kind: ActorKind::Scanner,
                        millis: t.elapsed().as_secs_f64() * 1e3,
                        error: res.clone().err(),
                    };
                    (
                        run,
                        res.err()
                            .map(|e| actor_error(sc.info.id, ActorKind::Scanner, &e)),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .expect("scanner thread joins (panics are caught inside)")
            })
            .collect()
    });
    for (run, finding) in scanner_results {
        runs.push(run);
        findings.extend(finding);
    }

    let target = facts
        .release
        .get()
        .and_then(|r| Some((r.os.id.clone(), r.major?)))
        .and_then(|(id, major)| upgrade_paths::resolve(&id, major, requested));

    let input = CheckInput {
        facts: &facts,
        host: &env.host,
        target: target.as_ref(),
        answers,
    };
    let check_results: Vec<(ActorRun, Vec<Finding>)> = std::thread::scope(|s| {
        let handles: Vec<_> = registry::checks()
            .iter()
            .map(|c| {
                let input = &input;
                s.spawn(move || {
                    let t = Instant::now();
                    let res = catch_unwind(AssertUnwindSafe(|| {
                        maybe_panic(failpoints, c.info.id);
                        (c.run)(input)
                    }));
                    let millis = t.elapsed().as_secs_f64() * 1e3;
                    let res = res
                        .map_err(|p| format!("panicked: {}", panic_message(p)))
                        .and_then(|found| match c.undeclared(&found) {
                            None => Ok(found),
                            Some(f) => Err(format!(
                                "produced a finding it does not declare: {} ({}{}, {:?})",
                                f.key,
                                f.severity.as_str(),
                                if f.inhibitor { ", inhibitor" } else { "" },
                                f.title
                            )),
                        });
                    let run = ActorRun {
                        id: c.info.id,
                        kind: ActorKind::Check,
                        millis,
                        error: res.as_ref().err().cloned(),
                    };
                    match res {
                        Ok(found) => (run, found),
                        Err(msg) => {
                            let f = actor_error(c.info.id, ActorKind::Check, &msg);
                            (run, vec![f])
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .expect("check thread joins (panics are caught inside)")
            })
            .collect()
    });
    for (run, f) in check_results {
        runs.push(run);
        findings.extend(f);
    }
    for f in &mut findings {
        if f.inhibitor && waivers.contains(&f.key) {
            f.waived = true;
        }
    }
    findings.sort_by(|a, b| {
        b.blocks()
            .cmp(&a.blocks())
            .then(b.severity.cmp(&a.severity))
            .then(a.key.cmp(&b.key))
    });
    Assessment {
        facts,
        target,
        findings,
        runs,
    }
}
