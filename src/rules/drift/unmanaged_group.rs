use super::{connector_account, DriftContext, DriftRule};
use crate::finding::{Finding, Severity};

pub const RULE: DriftRule = DriftRule {
    name: "drift-unmanaged-group",
    severity: Severity::Warning,
    summary: "a live group inside the connector's `group_config` scope that no target declares",
    doc: include_str!("../../../rules/drift-unmanaged-group.md"),
    check,
};

fn check(cx: &DriftContext, out: &mut Vec<Finding>) {
    // A target may be declared in a file that did not parse or is not read (JSON syntax):
    // "no target declares it" would be a guess.
    if !cx.model.is_complete() {
        return;
    }
    for call in cx.model.calls.iter().filter(|c| c.is_connector()) {
        let Some(patterns) = call.group_config() else {
            continue;
        };
        let account = connector_account(cx.model, call);
        let Some(live) = cx.live.account(account.as_deref()) else {
            continue;
        };
        for group in &live.scoped_groups {
            let in_scope = patterns
                .iter()
                .any(|p| p.matches(Some(&group.path), &group.name));
            let declared = cx.all_declared.iter().any(|(name, declared_account)| {
                *name == group.name && cx.account_id(declared_account) == cx.account_id(&account)
            });
            let in_shard = cx.shard.is_none_or(|s| s.includes(&group.name));
            if in_scope && !declared && in_shard {
                let loc = call
                    .args
                    .attr("group_config")
                    .map_or(call.loc.clone(), |a| a.expr_loc.clone());
                out.push(
                    cx.finding(
                        &RULE,
                        loc,
                        format!(
                            "the group `{}{}` ({}) is inside the scope of `{}` but no target declares it: the connector may change its members",
                            group.path, group.name, group.arn, call.address
                        ),
                    )
                    .label("scope includes an undeclared group")
                    .resource(&call.address)
                    .help("declare a target for the group, move it out of the connector's path, or narrow `group_config`"),
                );
            }
        }
    }
}
