use super::{DriftContext, DriftRule};
use crate::finding::{Finding, Severity};
use crate::model::iam::{json_statements, wildcard_match};

pub const RULE: DriftRule = DriftRule {
    name: "drift-connector-policy",
    severity: Severity::Error,
    summary: "the live connector role's policies do not allow adding and removing members of a declared group",
    doc: include_str!("../../../rules/drift-connector-policy.md"),
    check,
};

const ACTIONS: [&str; 2] = ["iam:AddUserToGroup", "iam:RemoveUserFromGroup"];

fn check(cx: &DriftContext, out: &mut Vec<Finding>) {
    for (declared, live) in cx.existing() {
        let Some(role_name) = declared.connector_role() else {
            continue;
        };
        // Only a role that exists is judged: a missing one is not this rule's to report.
        let Some(role) = cx.account(declared).and_then(|a| a.roles.get(&role_name)) else {
            continue;
        };
        // A group outside the connector's scope is drift-group-path's: the connector module
        // writes its policy from that scope, so it cannot cover the group either.
        if declared.scope().is_some_and(|scope| {
            !scope
                .iter()
                .any(|p| p.matches(Some(&live.path), &declared.name))
        }) {
            continue;
        }
        let statements: Vec<_> = role.policies.values().flat_map(json_statements).collect();
        let covers = |allow: bool, action: &str| {
            statements.iter().any(|s| {
                s.allow == allow
                    && s.allows_action(action)
                    && s.resources
                        .iter()
                        .filter_map(|r| r.as_str())
                        .any(|r| wildcard_match(r, &live.arn))
            })
        };
        let missing: Vec<&str> = ACTIONS
            .iter()
            .copied()
            .filter(|a| !covers(true, a) || covers(false, a))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let mut finding = cx
            .finding(
                &RULE,
                declared.loc.clone(),
                format!(
                    "the connector role `{role_name}` ({}) may not {} on `{}` ({})",
                    role.arn,
                    missing.join(" or "),
                    declared.name,
                    live.arn
                ),
            )
            .label("connector cannot manage this group")
            .resource(&declared.target.address)
            .help("re-apply the connector module with a `group_config` that covers the group, or fix the role's policy");
        if let Some(connector) = declared.connector {
            finding = finding.related(connector.loc.clone(), "the connector is declared here");
        }
        out.push(finding);
    }
}
