use super::{DriftContext, DriftRule};
use crate::duration;
use crate::finding::{Finding, Severity};
use crate::live::aws::assumable_role_names;
use crate::model::{value_loc, FlowDurations, TargetRef};

pub const RULE: DriftRule = DriftRule {
    name: "drift-session-length",
    severity: Severity::Warning,
    summary: "a role a group may assume has a live `MaxSessionDuration` that differs from the flows' longest duration",
    doc: include_str!("../../../rules/drift-session-length.md"),
    check,
};

fn check(cx: &DriftContext, out: &mut Vec<Finding>) {
    for (_, flow) in cx.model.instances("sym_flow") {
        let FlowDurations::Bounded(longest, value, attr) = FlowDurations::of(flow) else {
            continue;
        };
        let Some((_, strategy)) = cx.model.flow_strategy(flow) else {
            continue;
        };
        let mut seen = Vec::new();
        for target in cx.model.strategy_targets(strategy) {
            let TargetRef::Resource(_, target, _) = target else {
                continue;
            };
            let Some(declared) = cx
                .declared
                .iter()
                .find(|d| d.target.address == target.address)
            else {
                continue;
            };
            let Some(account) = cx.account(declared) else {
                continue;
            };
            let Some(group) = account.groups.get(&declared.name) else {
                continue;
            };
            for role_name in assumable_role_names(group) {
                let Some(role) = account.roles.get(&role_name) else {
                    continue;
                };
                if seen.contains(&role_name) || role.max_session_duration == longest {
                    continue;
                }
                seen.push(role_name.clone());
                let (access, session) = (
                    duration::format(longest),
                    duration::format(role.max_session_duration),
                );
                let consequence = if longest > role.max_session_duration {
                    "users are logged out and must re-authenticate during their access"
                } else {
                    "users keep the escalated role after Sym removes them"
                };
                out.push(
                    cx.finding(
                        &RULE,
                        value_loc(attr, value),
                        format!(
                            "access lasts up to {access} but the live role `{role_name}` ({}) keeps sessions for {session}: {consequence}",
                            role.arn
                        ),
                    )
                    .label("differs from the live session length")
                    .resource(&flow.address)
                    .help(format!("align the two: offer durations up to {session}, or set the role's MaxSessionDuration to {access}")),
                );
            }
        }
    }
}
