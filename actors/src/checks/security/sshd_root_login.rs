//! `sshd_root_login_check`: root's SSH password login does not silently stop working. OpenSSH
//! on EL8 and later defaults `PermitRootLogin` to `prohibit-password`; EL7 defaulted to `yes`,
//! and EL8's packaged `sshd_config` still sets `PermitRootLogin yes` while EL9's does not. So root
//! loses password logins when going from EL7 with a locally edited `sshd_config` that does not set
//! the option (rpm keeps the edited file and the new default applies), or from EL8 with the
//! packaged, unedited file (rpm replaces it with EL9's). The check asks whether to keep password
//! logins, and records the answer.

use crate::finding::{Finding, FindingInfo, Level, Question};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "sshd_root_login_check";
/// Answerfile section of the question.
pub const SECTION: &str = "sshd_root_login";
/// Key of the question in its section.
pub const QUESTION_KEY: &str = "keep_password_login";
const CONFIG: &str = "/etc/ssh/sshd_config";

const SSHD_ROOT_PASSWORD_LOGIN: FindingInfo = FindingInfo {
    key: "security.sshd-root-password-login",
    level: Level::Inhibitor,
    title: "Root may lose SSH password login after the upgrade",
};

const SSHD_ROOT_LOGIN_ANSWERED: FindingInfo = FindingInfo {
    key: "security.sshd-root-login-answered",
    level: Level::Info,
    title: "Decision recorded for root's SSH password login",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Asks whether root keeps SSH password login when the upgrade changes the effective PermitRootLogin (EL7 with an edited sshd_config that does not set it, EL8 with the packaged sshd_config), and records the answer.",
    &[
        "facts.security",
        "facts.rpm",
        "facts.release",
        "target",
        "answers",
    ],
    &[SSHD_ROOT_PASSWORD_LOGIN, SSHD_ROOT_LOGIN_ANSWERED],
    run,
);

/// The question asked.
pub fn question() -> Question {
    Question {
        section: SECTION.to_string(),
        key: QUESTION_KEY.to_string(),
        prompt: "Should root keep logging in over SSH with a password after the upgrade? yes: leapfrog adds \
                 `PermitRootLogin yes` to /etc/ssh/sshd_config after the upgrade; no: the target's default \
                 (prohibit-password, keys only) applies."
            .to_string(),
        choices: vec!["yes".to_string(), "no".to_string()],
    }
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let (Some(sec), Some(rpm)) = (input.facts.security.get(), input.facts.rpm.get()) else {
        return Vec::new();
    };
    if !sec.sshd.present || !rpm.has("openssh-server") {
        return Vec::new();
    }
    let (Some(source), Some(target)) = (input.source_major(), input.target_major()) else {
        return Vec::new();
    };
    if target <= source {
        return Vec::new();
    }
    let installed = rpm
        .named("openssh-server")
        .filter_map(|p| p.install_time)
        .max();
    // Edited after its package was installed (rpm gives files the package's build time, long
    // before the install time); unknown when either time is missing.
    let modified = match (sec.sshd.mtime, installed) {
        (Some(m), Some(i)) => Some(m >= i),
        _ => None,
    };
    let value = sec.sshd.permit_root_login.as_deref();
    let why = match source {
        7 if value.is_none() && modified != Some(false) => format!(
            "{CONFIG} does not set PermitRootLogin, so root may log in with a password today (the EL7 \
             default is yes). The file has been edited{}, so rpm keeps it during the upgrade and OpenSSH's \
             EL{target} default applies: prohibit-password, which refuses root's password.",
            if modified.is_none() {
                " (or its state is unknown)"
            } else {
                ""
            }
        ),
        8 if value == Some("yes") && modified != Some(true) => format!(
            "{CONFIG} sets PermitRootLogin yes, as the EL8 package ships it, and has not been edited{} \
             since openssh-server was installed. rpm replaces an unedited configuration file with the \
             EL{target} one, which does not set PermitRootLogin, so OpenSSH's default applies: \
             prohibit-password, which refuses root's password.",
            if modified.is_none() {
                " (as far as leapfrog can tell)"
            } else {
                ""
            }
        ),
        _ => return Vec::new(),
    };
    let q = question();
    match input
        .answers
        .get(&q.name())
        .map(|a| a.trim().to_ascii_lowercase())
    {
        Some(a) if a == "yes" => vec![answered(
            "Answer yes: after the upgrade leapfrog adds `PermitRootLogin yes` to /etc/ssh/sshd_config, so root keeps \
             logging in over SSH with a password.",
        )],
        Some(a) if a == "no" => vec![answered(
            "Answer no: the target's default applies after the upgrade (PermitRootLogin prohibit-password): root can \
             log in over SSH with a key only. Make sure root has a working key in /root/.ssh/authorized_keys or \
             that another administrative user can log in.",
        )],
        other => {
            let mut summary = format!(
                "{why}\nIf you reach this host as root with a password, you would be locked out after the reboot."
            );
            if let Some(bad) = other {
                summary.push_str(&format!(
                    "\nThe answer given ({bad:?}) is not one of: {}.",
                    q.choices.join(", ")
                ));
            }
            vec![
                Finding::unanswered(&SSHD_ROOT_PASSWORD_LOGIN, ID, summary, q)
                    .related("file", [CONFIG])
                    .related("package", ["openssh-server"])
                    .groups(&["security", "authentication"]),
            ]
        }
    }
}

fn answered(what: &str) -> Finding {
    Finding::of(
        &SSHD_ROOT_LOGIN_ANSWERED,
        ID,
        format!("{what} (answerfile: {SECTION}.{QUESTION_KEY})"),
    )
    .related("file", [CONFIG])
    .groups(&["security", "authentication"])
}
