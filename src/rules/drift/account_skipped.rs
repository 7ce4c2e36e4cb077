use super::{DriftContext, DriftRule};
use crate::finding::{Finding, Severity};

pub const RULE: DriftRule = DriftRule {
    name: "drift-account-skipped",
    severity: Severity::Warning,
    summary: "an integration's account that was not read, so its groups were not compared",
    doc: include_str!("../../../rules/drift-account-skipped.md"),
    check,
};

fn check(cx: &DriftContext, out: &mut Vec<Finding>) {
    let mut reported: Vec<&str> = Vec::new();
    for declared in &cx.declared {
        let (Some(account), Some(integration)) = (&declared.account, declared.integration) else {
            continue;
        };
        if !cx.live.skipped_accounts.contains(account)
            || reported.contains(&integration.address.as_str())
        {
            continue;
        }
        reported.push(&integration.address);
        let groups: Vec<&str> = cx
            .declared
            .iter()
            .filter(|d| {
                d.integration
                    .is_some_and(|i| i.address == integration.address)
            })
            .map(|d| d.name.as_str())
            .collect();
        // The account was read from `external_id`, so the attribute is there.
        let Some(external_id) = integration.body.attr("external_id") else {
            continue;
        };
        out.push(
            cx.finding(
                &RULE,
                external_id.expr_loc.clone(),
                format!(
                    "account {account} of `{}` was not read (the credentials are for account {}), so {} was not compared: {}",
                    integration.address,
                    cx.live.account,
                    if groups.len() == 1 { "its group" } else { "its groups" },
                    groups.join(", ")
                ),
            )
            .label("not read")
            .resource(&integration.address)
            .help("pass --role-template 'arn:aws:iam::{account_id}:role/ROLE' to read every account, or run drift with this account's credentials"),
        );
    }
}
