use super::{DriftContext, DriftRule};
use crate::finding::{Finding, Severity};

pub const RULE: DriftRule = DriftRule {
    name: "drift-group-path",
    severity: Severity::Error,
    summary: "a declared group that exists at a path outside the connector's scope",
    doc: include_str!("../../../rules/drift-group-path.md"),
    check,
};

fn check(cx: &DriftContext, out: &mut Vec<Finding>) {
    for (declared, live) in cx.existing() {
        let Some(patterns) = declared.scope() else {
            continue;
        };
        if patterns
            .iter()
            .any(|p| p.matches(Some(&live.path), &declared.name))
        {
            continue;
        }
        let scope: Vec<String> = patterns
            .iter()
            .map(|p| format!("{}{}", p.path, p.name))
            .collect();
        out.push(
            cx.finding(
                &RULE,
                declared.loc.clone(),
                format!(
                    "the group `{}` exists at `{}{}` ({}), outside the connector's scope ({}): Sym cannot manage its members",
                    declared.name,
                    live.path,
                    declared.name,
                    live.arn,
                    scope.join(", ")
                ),
            )
            .label("outside the connector's scope")
            .resource(&declared.target.address)
            .help("recreate the group under the connector's path, or widen the connector's `group_config`"),
        );
    }
}
