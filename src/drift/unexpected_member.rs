use super::{DriftContext, DriftRule};
use crate::finding::{Finding, Severity};

pub const RULE: DriftRule = DriftRule {
    name: "drift-unexpected-member",
    severity: Severity::Error,
    summary:
        "a member of a declared group with neither an `[[allow]]` entry nor an active Sym grant",
    doc: include_str!("../../rules/drift-unexpected-member.md"),
    check,
};

fn check(cx: &DriftContext, out: &mut Vec<Finding>) {
    for (declared, live) in cx.existing() {
        for user in live
            .members
            .iter()
            .filter(|u| !cx.allowed(u, &declared.name))
        {
            out.push(
                cx.finding(
                    &RULE,
                    declared.loc.clone(),
                    format!(
                        "user `{user}` is a member of `{}` ({}) without an active Sym grant or an [[allow]] entry",
                        declared.name, live.arn
                    ),
                )
                .label("standing access")
                .resource(&declared.target.address)
                .help("remove the user from the group (`symguard remediate`), or allow them with an [[allow]] entry and a reason"),
            );
        }
    }
}
