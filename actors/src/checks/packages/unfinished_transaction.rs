//! `unfinished_transaction_check`: yum (EL7) has no unfinished transaction, i.e. no
//! `/var/lib/yum/transaction-all.*` journal of a transaction that was interrupted. dnf (EL8+)
//! does not keep such journals, so files left there on later releases are ignored.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "unfinished_transaction_check";

const UNFINISHED_TRANSACTION: FindingInfo = FindingInfo {
    key: "packages.unfinished-transaction",
    level: Level::Inhibitor,
    title: "An interrupted yum transaction was never completed",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Blocks the upgrade while yum (EL7) has unfinished transactions in /var/lib/yum.",
    &["facts.package_manager", "facts.release"],
    &[UNFINISHED_TRANSACTION],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if input.source_major().is_none_or(|m| m > 7) {
        return Vec::new();
    }
    let Some(pm) = input.facts.package_manager.get() else {
        return Vec::new();
    };
    if pm.unfinished_transactions.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::of(
            &UNFINISHED_TRANSACTION,
            ID,
            format!(
                "yum recorded transactions that were interrupted before they finished; the rpm database may hold half-installed or duplicate packages:\n{}",
                bullet_list(&pm.unfinished_transactions, 10)
            ),
        )
        .hint("Finish the transactions with `yum-complete-transaction` (yum-utils), or drop their journals with the command below; then look for duplicate packages with `package-cleanup --dupes`.")
        .command(["yum-complete-transaction", "--cleanup-only"])
        .related("file", pm.unfinished_transactions.iter().cloned())
        .groups(&["sanity"]),
    ]
}
