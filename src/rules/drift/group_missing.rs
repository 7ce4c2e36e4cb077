use super::{DriftContext, DriftRule};
use crate::finding::{Finding, Severity};

pub const RULE: DriftRule = DriftRule {
    name: "drift-group-missing",
    severity: Severity::Error,
    summary: "a declared target group that does not exist in IAM",
    doc: include_str!("../../../rules/drift-group-missing.md"),
    check,
};

fn check(cx: &DriftContext, out: &mut Vec<Finding>) {
    for declared in cx.declared.iter().filter(|d| {
        cx.account(d)
            .is_some_and(|a| a.missing_groups.contains(&d.name))
    }) {
        out.push(
            cx.finding(
                &RULE,
                declared.loc.clone(),
                format!(
                    "the IAM group `{}` of `{}` does not exist in account {}",
                    declared.name,
                    declared.target.address,
                    cx.account_id(&declared.account)
                ),
            )
            .label("no such group")
            .resource(&declared.target.address)
            .help("create the group (apply the Terraform that declares it), or fix the name if it was renamed"),
        );
    }
}
