use super::{Context, Rule};
use crate::duration;
use crate::finding::{Finding, Severity};
use crate::model::{FlowDurations, TargetRef};

pub const RULE: Rule = Rule {
    name: "max-duration",
    severity: Severity::Error,
    summary: "a flow that allows a duration above the org's maximum for one of its targets (`[[policy.max_duration]]`)",
    doc: include_str!("../../rules/max-duration.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    if cx.config.max_durations.is_empty() {
        return;
    }
    for (_, flow) in cx.model.instances("sym_flow") {
        let Some((_, strategy)) = cx.model.flow_strategy(flow) else {
            continue;
        };
        // The strictest maximum over the flow's targets, and the target it comes from.
        let mut strictest: Option<(u64, String, &str)> = None;
        for target in cx.model.strategy_targets(strategy) {
            let TargetRef::Resource(_, target, _) = target else {
                continue;
            };
            let name = target.body.attr("name").and_then(|a| a.value.as_str());
            let group = target
                .body
                .attr("settings")
                .and_then(|s| s.value.as_map()?.get("iam_group")?.as_str());
            for policy in &cx.config.max_durations {
                let applies = name.into_iter().chain(group).any(|n| policy.applies_to(n));
                if applies
                    && strictest
                        .as_ref()
                        .is_none_or(|(max, _, _)| policy.max_seconds < *max)
                {
                    strictest = Some((policy.max_seconds, target.address.clone(), &policy.targets));
                }
            }
        }
        let Some((max, target, pattern)) = strictest else {
            continue;
        };
        let help = format!(
            "limit the duration's allowed_values to {} or less for targets matching `{pattern}`",
            duration::format(max)
        );
        match FlowDurations::of(flow) {
            FlowDurations::Bounded(longest, value, attr) if longest > max => out.push(
                                cx.finding_at_value(
                    &RULE,
                    attr,
                    value,
                    format!(
                        "`{}` allows {} of access to `{target}`, above the maximum of {} for targets matching `{pattern}`",
                        flow.address,
                        duration::format(longest),
                        duration::format(max)
                    ),
                )
                .label("above the maximum")
                .resource(&flow.address)
                .help(help),
            ),
            FlowDurations::Unbounded(field) => out.push(
                cx.finding(
                    &RULE,
                    field.block.loc.clone(),
                    format!(
                        "`{}` lets requesters choose any duration for `{target}`, whose maximum is {}",
                        flow.address,
                        duration::format(max)
                    ),
                )
                .label("no allowed_values")
                .resource(&flow.address)
                .help(help),
            ),
            _ => {}
        }
    }
}

fixture_test!();
