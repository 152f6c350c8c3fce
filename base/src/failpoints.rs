//! Named failpoints for crash tests, driven by the `LEAPFROG_FAILPOINTS` environment variable.
//!
//! The variable holds comma-separated entries:
//!
//! - `name`: the failpoint returns [`FailpointError::Triggered`] every time it is reached;
//! - `name=N` (N ≥ 1): it returns the error the N-th time it is reached (earlier hits pass);
//! - `name=panic`, `name=abort`, `name=exit:K`, `name=kill`: the first hit panics, aborts the
//!   process, exits it with code K, or sends SIGKILL to the process itself (what crash tests use:
//!   no destructor, no buffered write, no `atexit` runs). `ACTION@N` applies the action at the
//!   N-th hit instead.
//! - `name=sleep:S`: the first hit pauses S seconds, then goes on: a window in which a test kills
//!   the machine from outside (the VM power-cut test after the transaction).
//!
//! In the upgrade initramfs, `leapfrog.failpoints=SPEC` on the kernel command line sets the
//! variable (the dracut module's hook passes it on).
//!
//! Three names are not fired here but read by the code that acts on them, through [`foreign`]:
//! `actor-panic=<actor id>` (`leapfrog-actors`: that actor panics), `rpm-after-element=N` or
//! `kill@N` (the executor hands it to `rpm-sys`, which aborts or SIGKILLs the process after the
//! N-th transaction element) and `rpm-skip-diskspace-check` (the executor tells `rpm-sys` to
//! ignore rpm's disk-space problems). `rpm-sys` itself reads no environment variable: it takes
//! both as parameters. Every name is in [`KNOWN`]; an unknown name or a malformed entry is an
//! error (a typo must not silently disarm a crash test).
//!
//! The variable is parsed once per process, here, and nowhere else.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock, PoisonError};

/// The environment variable.
pub const ENV: &str = crate::env::FAILPOINTS;

/// Every failpoint name, with where it fires. `docs/executor.md` has the same table.
pub const KNOWN: &[(&str, &str)] = &[
    (
        "actor-panic",
        "leapfrog-actors: the actor with the given id panics (value: actor id)",
    ),
    (
        "rpm-after-element",
        "rpm-sys: the process aborts (N) or is SIGKILLed (kill@N) after the N-th transaction element",
    ),
    (
        "state-before-rename",
        "state.json written to its temporary file, not yet renamed over the old one",
    ),
    (
        "state-after-rename",
        "state.json renamed into place, directory not yet fsynced",
    ),
    (
        "rpm-skip-diskspace-check",
        "rpm-sys: a real run ignores rpm's disk-space check (no value; tests fill the disk mid-transaction)",
    ),
    ("lock-acquired", "the run lock is held and its pid written"),
    (
        "post-rpmdb-convert",
        "before the rpm database is rebuilt/moved for the target",
    ),
    (
        "post-rpmdb-moved",
        "the EL10 database directory moved, /var/lib/rpm symlink not yet created",
    ),
    ("post-modules", "before the module state files are written"),
    (
        "post-boot-entry",
        "before grubenv's saved_entry is rewritten",
    ),
    ("post-selinux", "before /.autorelabel is created"),
    (
        "stage-grub-cfg",
        "upgrade: before leapfrog's menu entry is written into an EL7 grub.cfg",
    ),
    (
        "unstage-grub-cfg",
        "cancel/offline/rollback: before leapfrog's menu entry is cut out of an EL7 grub.cfg",
    ),
    (
        "verify-before",
        "before the verification of the upgraded root",
    ),
    ("snapshot-before", "apply: before the snapshot is taken"),
    (
        "snapshot-after",
        "apply: the snapshot is taken, state not yet updated",
    ),
    (
        "transaction-before",
        "apply: phase applying recorded, before the rpmdb is made writable and the RPM transaction starts",
    ),
    (
        "transaction-after",
        "apply: the RPM transaction is complete, state not yet updated",
    ),
    (
        "done-before",
        "apply: verified, before the phase done is recorded",
    ),
    (
        "rollback-before",
        "rollback: phase rolling-back recorded, before the snapshot is restored",
    ),
    (
        "snapshot-restore-entry",
        "snapshot restore: each restored or removed entry of a journal/btrfs restore (use @N)",
    ),
    (
        "rollback-after",
        "rollback: restored, state not yet updated",
    ),
    (
        "commit-before-release",
        "commit: before the snapshot is released",
    ),
];

/// What an armed failpoint does when it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Return [`FailpointError::Triggered`] to the caller.
    Error,
    /// `panic!`.
    Panic,
    /// `std::process::abort()`.
    Abort,
    /// `std::process::exit(K)`.
    Exit(i32),
    /// SIGKILL to the process itself.
    Kill,
    /// Pause this many seconds, then go on.
    Sleep(u64),
    /// Read by the code that acts on it through [`foreign`] (`actor-panic`,
    /// `rpm-after-element`, `rpm-skip-diskspace-check`); never fires here.
    Foreign(String),
}

/// One armed failpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Armed {
    /// What it does.
    pub action: Action,
    /// Fire at this hit (1-based); `None`: at every hit for [`Action::Error`], the first hit for
    /// the others.
    pub at_hit: Option<u64>,
}

/// A failpoint that fired, or a bad `LEAPFROG_FAILPOINTS`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FailpointError {
    /// An armed failpoint fired with the `Error` action.
    #[error("failpoint {name} triggered (hit {hit})")]
    Triggered {
        /// Its name.
        name: String,
        /// Which hit.
        hit: u64,
    },
    /// The variable cannot be parsed.
    #[error("invalid {ENV} entry {entry:?}: {reason}")]
    Invalid {
        /// The entry.
        entry: String,
        /// What is wrong.
        reason: String,
    },
}

/// The armed failpoints and how often each was reached.
#[derive(Debug, Default)]
pub struct Registry {
    armed: BTreeMap<String, Armed>,
    hits: Mutex<BTreeMap<String, u64>>,
}

impl Registry {
    /// Parses a `LEAPFROG_FAILPOINTS` value (empty: nothing armed).
    ///
    /// # Errors
    ///
    /// An unknown name, a duplicate, an empty name, a zero or non-numeric hit count or an unknown
    /// action.
    pub fn parse(spec: &str) -> Result<Registry, FailpointError> {
        let mut armed = BTreeMap::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let invalid = |reason: String| FailpointError::Invalid {
                entry: entry.to_string(),
                reason,
            };
            let (name, value) = match entry.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (entry, None),
            };
            if !KNOWN.iter().any(|(k, _)| *k == name) {
                let names: Vec<&str> = KNOWN.iter().map(|(k, _)| *k).collect();
                return Err(invalid(format!(
                    "unknown failpoint {name:?} (known: {})",
                    names.join(", ")
                )));
            }
            let parsed = match (name, value) {
                ("actor-panic", Some(id)) if !id.is_empty() => Armed {
                    action: Action::Foreign(id.to_string()),
                    at_hit: None,
                },
                ("rpm-after-element", Some(n)) => {
                    parse_hit(n.strip_prefix("kill@").unwrap_or(n)).map_err(invalid)?;
                    Armed {
                        action: Action::Foreign(n.to_string()),
                        at_hit: None,
                    }
                }
                ("actor-panic" | "rpm-after-element", _) => {
                    return Err(invalid(format!("{name} needs a value ({name}=...)")));
                }
                ("rpm-skip-diskspace-check", None) => Armed {
                    action: Action::Foreign(String::new()),
                    at_hit: None,
                },
                ("rpm-skip-diskspace-check", Some(_)) => {
                    return Err(invalid(format!("{name} takes no value")));
                }
                (_, None) => Armed {
                    action: Action::Error,
                    at_hit: None,
                },
                (_, Some(v)) => parse_value(v).map_err(invalid)?,
            };
            // actor-panic may name several actors: their ids are collected, comma-separated
            if let (
                Some(Armed {
                    action: Action::Foreign(ids),
                    ..
                }),
                Action::Foreign(id),
            ) = (
                armed
                    .get_mut("actor-panic")
                    .filter(|_| name == "actor-panic"),
                &parsed.action,
            ) {
                ids.push(',');
                ids.push_str(id);
                continue;
            }
            if armed.insert(name.to_string(), parsed).is_some() {
                return Err(invalid(format!("{name} is armed twice")));
            }
        }
        Ok(Registry {
            armed,
            hits: Mutex::new(BTreeMap::new()),
        })
    }

    /// How `name` is armed, if it is.
    pub fn armed(&self, name: &str) -> Option<&Armed> {
        self.armed.get(name)
    }

    /// The value of a failpoint that another part of the program acts on (`actor-panic`,
    /// `rpm-after-element`; empty for the flag `rpm-skip-diskspace-check`), if it is armed.
    pub fn foreign(&self, name: &str) -> Option<&str> {
        match &self.armed.get(name)?.action {
            Action::Foreign(v) => Some(v),
            _ => None,
        }
    }

    /// Counts a hit of `name` and returns the action to perform now, if any.
    pub fn hit(&self, name: &str) -> Option<(Action, u64)> {
        let armed = self.armed.get(name)?;
        let mut hits = self.hits.lock().unwrap_or_else(PoisonError::into_inner);
        let count = hits.entry(name.to_string()).or_insert(0);
        *count += 1;
        let hit = *count;
        let fires = match (&armed.action, armed.at_hit) {
            (Action::Foreign(_), _) => false,
            (_, Some(n)) => hit == n,
            (Action::Error, None) => true,
            (_, None) => hit == 1,
        };
        fires.then(|| (armed.action.clone(), hit))
    }

    /// Reaches failpoint `name`: counts the hit and performs the action if it fires.
    ///
    /// # Errors
    ///
    /// [`FailpointError::Triggered`] when an `Error` failpoint fires.
    pub fn fail_point(&self, name: &str) -> Result<(), FailpointError> {
        debug_assert!(
            KNOWN.iter().any(|(k, _)| *k == name),
            "undeclared failpoint {name}"
        );
        let Some((action, hit)) = self.hit(name) else {
            return Ok(());
        };
        eprintln!("leapfrog: failpoint {name} reached (hit {hit}): {action:?}");
        match action {
            Action::Error => Err(FailpointError::Triggered {
                name: name.to_string(),
                hit,
            }),
            Action::Panic => panic!("failpoint {name} (hit {hit})"),
            Action::Abort => std::process::abort(),
            Action::Exit(code) => std::process::exit(code),
            Action::Kill => {
                let _ = nix::sys::signal::kill(nix::unistd::getpid(), nix::sys::signal::SIGKILL);
                // SIGKILL cannot be caught; should delivery be delayed, never continue.
                std::process::abort()
            }
            Action::Sleep(secs) => {
                std::thread::sleep(std::time::Duration::from_secs(secs));
                Ok(())
            }
            Action::Foreign(_) => Ok(()),
        }
    }
}

fn parse_hit(n: &str) -> Result<u64, String> {
    match n.parse::<u64>() {
        Ok(0) => Err("hit counts start at 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{n:?} is not a hit count")),
    }
}

fn parse_value(v: &str) -> Result<Armed, String> {
    if v.chars().all(|c| c.is_ascii_digit()) {
        return Ok(Armed {
            action: Action::Error,
            at_hit: Some(parse_hit(v)?),
        });
    }
    let (action, at_hit) = match v.split_once('@') {
        Some((a, n)) => (a, Some(parse_hit(n)?)),
        None => (v, None),
    };
    let action = match action {
        "error" => Action::Error,
        "panic" => Action::Panic,
        "abort" => Action::Abort,
        "kill" => Action::Kill,
        other => match (other.strip_prefix("exit:"), other.strip_prefix("sleep:")) {
            (Some(code), _) => Action::Exit(
                code.parse::<i32>()
                    .map_err(|_| format!("{code:?} is not an exit code"))?,
            ),
            (_, Some(secs)) => Action::Sleep(
                secs.parse::<u64>()
                    .map_err(|_| format!("{secs:?} is not a number of seconds"))?,
            ),
            _ => {
                return Err(format!(
                    "unknown action {other:?} (use N, error, panic, abort, exit:K, kill or sleep:S, optionally @N)"
                ));
            }
        },
    };
    Ok(Armed { action, at_hit })
}

fn global() -> &'static Result<Registry, FailpointError> {
    static REGISTRY: OnceLock<Result<Registry, FailpointError>> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::parse(&std::env::var(ENV).unwrap_or_default()))
}

/// Reaches the process-wide failpoint `name` (armed from `LEAPFROG_FAILPOINTS`, read once).
///
/// # Errors
///
/// [`FailpointError::Triggered`] when it fires with the `Error` action, or
/// [`FailpointError::Invalid`] when the variable is malformed (every failpoint then fails, so a
/// typo stops the run instead of silently disarming the test).
pub fn fail_point(name: &str) -> Result<(), FailpointError> {
    match global() {
        Ok(registry) => registry.fail_point(name),
        Err(e) => Err(e.clone()),
    }
}

/// The value of the process-wide failpoint `name` that another part of the program acts on
/// ([`Registry::foreign`]), read from `LEAPFROG_FAILPOINTS` once.
///
/// # Errors
///
/// [`FailpointError::Invalid`] when the variable is malformed.
pub fn foreign(name: &str) -> Result<Option<String>, FailpointError> {
    match global() {
        Ok(registry) => Ok(registry.foreign(name).map(str::to_string)),
        Err(e) => Err(e.clone()),
    }
}

/// What `rpm-after-element` asks for: after the N-th finished transaction element the process
/// aborts (`N`) or SIGKILLs itself (`kill@N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterElement {
    /// `rpm-after-element=N`.
    Abort(u64),
    /// `rpm-after-element=kill@N`.
    Kill(u64),
}

/// Parses the value of `rpm-after-element` (validated by [`Registry::parse`]).
pub fn after_element(value: &str) -> Option<AfterElement> {
    match value.trim().strip_prefix("kill@") {
        Some(n) => n.trim().parse().ok().map(AfterElement::Kill),
        None => value.trim().parse().ok().map(AfterElement::Abort),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_arms_nothing() {
        let r = Registry::parse("").unwrap();
        assert_eq!(r.fail_point("post-modules"), Ok(()));
        let r = Registry::parse(" , ").unwrap();
        assert!(r.armed("post-modules").is_none());
    }

    #[test]
    fn bare_name_fails_every_hit() {
        let r = Registry::parse("post-modules").unwrap();
        for hit in 1..=3 {
            assert_eq!(
                r.fail_point("post-modules"),
                Err(FailpointError::Triggered {
                    name: "post-modules".into(),
                    hit
                })
            );
        }
        assert_eq!(r.fail_point("post-selinux"), Ok(()));
    }

    #[test]
    fn count_fails_only_the_nth_hit() {
        let r = Registry::parse("verify-before=2").unwrap();
        assert_eq!(r.fail_point("verify-before"), Ok(()));
        assert!(matches!(
            r.fail_point("verify-before"),
            Err(FailpointError::Triggered { hit: 2, .. })
        ));
        assert_eq!(r.fail_point("verify-before"), Ok(()));
    }

    #[test]
    fn actions_parse() {
        let r = Registry::parse("post-modules=panic,post-selinux=abort,verify-before=exit:7,lock-acquired=kill@3,post-boot-entry=error@2").unwrap();
        assert_eq!(r.armed("post-modules").unwrap().action, Action::Panic);
        assert_eq!(r.armed("post-selinux").unwrap().action, Action::Abort);
        assert_eq!(r.armed("verify-before").unwrap().action, Action::Exit(7));
        assert_eq!(
            r.armed("lock-acquired").unwrap(),
            &Armed {
                action: Action::Kill,
                at_hit: Some(3)
            }
        );
        assert_eq!(r.hit("lock-acquired"), None);
        assert_eq!(r.hit("lock-acquired"), None);
        assert_eq!(r.hit("lock-acquired"), Some((Action::Kill, 3)));
        assert_eq!(r.hit("lock-acquired"), None);
    }

    #[test]
    fn sleep_pauses_then_goes_on() {
        let r = Registry::parse("verify-before=sleep:1").unwrap();
        assert_eq!(r.armed("verify-before").unwrap().action, Action::Sleep(1));
        let t = std::time::Instant::now();
        assert_eq!(r.fail_point("verify-before"), Ok(()));
        assert!(t.elapsed() >= std::time::Duration::from_secs(1));
        // the first hit only
        let t = std::time::Instant::now();
        assert_eq!(r.fail_point("verify-before"), Ok(()));
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
        for bad in [
            "verify-before=sleep:",
            "verify-before=sleep:x",
            "verify-before=sleep:-1",
        ] {
            let e = Registry::parse(bad).unwrap_err().to_string();
            assert!(e.contains("not a number of seconds"), "{bad}: {e}");
        }
    }

    #[test]
    #[should_panic(expected = "failpoint post-modules")]
    fn panic_action_panics() {
        let r = Registry::parse("post-modules=panic").unwrap();
        let _ = r.fail_point("post-modules");
    }

    #[test]
    fn foreign_names_are_accepted_and_never_fire_here() {
        let r = Registry::parse("actor-panic=os_release,rpm-after-element=5").unwrap();
        assert_eq!(
            r.armed("actor-panic").unwrap().action,
            Action::Foreign("os_release".into())
        );
        assert_eq!(r.fail_point("rpm-after-element"), Ok(()));
        assert_eq!(r.foreign("actor-panic"), Some("os_release"));
        let several = Registry::parse("actor-panic=a,actor-panic=b").unwrap();
        assert_eq!(several.foreign("actor-panic"), Some("a,b"));
        assert_eq!(
            r.foreign("rpm-after-element").and_then(after_element),
            Some(AfterElement::Abort(5))
        );
        assert_eq!(r.foreign("rpm-skip-diskspace-check"), None);
        let r = Registry::parse("rpm-after-element=kill@2,rpm-skip-diskspace-check").unwrap();
        assert_eq!(r.fail_point("rpm-after-element"), Ok(()));
        assert_eq!(
            r.foreign("rpm-after-element").and_then(after_element),
            Some(AfterElement::Kill(2))
        );
        assert_eq!(r.foreign("rpm-skip-diskspace-check"), Some(""));
        assert!(Registry::parse("rpm-after-element=kill@x").is_err());
        assert!(Registry::parse("rpm-skip-diskspace-check=1").is_err());
    }

    #[test]
    fn bad_entries_are_clear_errors() {
        for (spec, needle) in [
            ("post-modulez", "unknown failpoint \"post-modulez\""),
            ("post-modules=0", "hit counts start at 1"),
            ("post-modules=explode", "unknown action \"explode\""),
            ("post-modules=exit:x", "not an exit code"),
            ("post-modules=kill@x", "not a hit count"),
            ("post-modules,post-modules=2", "armed twice"),
            ("actor-panic", "needs a value"),
            ("rpm-after-element=many", "not a hit count"),
        ] {
            let e = Registry::parse(spec).unwrap_err().to_string();
            assert!(e.contains(needle), "{spec}: {e}");
            assert!(e.contains(ENV), "{e}");
        }
    }

    #[test]
    fn kill_action_kills_a_child_with_sigkill() {
        use std::os::unix::process::ExitStatusExt as _;
        if std::env::var_os(crate::env::TEST_CHILD).is_some() {
            let r = Registry::parse("post-selinux=kill").unwrap();
            let _ = r.fail_point("post-selinux");
            // not reached
            std::process::exit(0);
        }
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "failpoints::tests::kill_action_kills_a_child_with_sigkill",
                "--test-threads=1",
            ])
            .env(crate::env::TEST_CHILD, "1")
            .output()
            .unwrap()
            .status;
        assert_eq!(status.signal(), Some(9), "{status:?}");
    }

    #[test]
    fn every_known_name_is_documented() {
        let doc = include_str!("../../docs/executor.md");
        for (name, _) in KNOWN {
            assert!(doc.contains(&format!("`{name}`")), "{name} missing");
        }
    }
}
