use super::{Context, Rule};
use crate::duration;
use crate::finding::{Finding, Severity};
use crate::model::{FlowDurations, TargetRef};

pub const RULE: Rule = Rule {
    name: "session-length",
    severity: Severity::Warning,
    summary: "the longest access a flow grants differs from the AWS session length users keep after escalation",
    doc: include_str!("../../rules/session-length.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for (_, flow) in model.instances("sym_flow") {
        let FlowDurations::Bounded(longest, value, attr) = FlowDurations::of(flow) else {
            continue;
        };
        // Only an `aws_iam` strategy leaves users with an AWS session after escalation.
        let Some((_, strategy)) = model
            .flow_strategy(flow)
            .filter(|(_, s)| s.body.attr("type").and_then(|a| a.value.as_str()) == Some("aws_iam"))
        else {
            continue;
        };
        let loc = crate::model::value_loc(attr, value);
        let mut compared_role = false;
        let mut seen = Vec::new();
        for target in model.strategy_targets(strategy) {
            let TargetRef::Resource(_, target, _) = target else {
                continue;
            };
            let Some(group) = target
                .body
                .attr("settings")
                .and_then(|s| s.value.as_map()?.get("iam_group")?.as_str())
            else {
                continue;
            };
            for role in model.assumable_roles(group) {
                compared_role = true;
                if seen.contains(&role.instance.address) {
                    continue;
                }
                seen.push(role.instance.address.clone());
                let Some(finding) = compare(
                    cx,
                    longest,
                    role.max_session_seconds,
                    &format!("role `{}`", role.instance.address),
                    loc.clone(),
                ) else {
                    continue;
                };
                out.push(
                    finding
                        .resource(&flow.address)
                        .related(
                            role.loc.clone(),
                            format!("the session length of `{}`", role.instance.address),
                        )
                        .related(
                            role.granted_by.clone(),
                            format!("members of `{group}` may assume it by this policy"),
                        ),
                );
            }
        }
        if compared_role {
            continue;
        }
        if let Some(session) = cx.config.aws_max_session {
            if let Some(finding) = compare(
                cx,
                longest,
                session,
                "`[session] aws_max_session` in symguard.toml",
                loc.clone(),
            ) {
                out.push(finding.resource(&flow.address));
            }
        }
    }
}

fn compare(
    cx: &Context,
    access: u64,
    session: u64,
    whose: &str,
    loc: crate::source::Loc,
) -> Option<Finding> {
    let (a, s) = (duration::format(access), duration::format(session));
    let (message, label) = if access > session {
        (
            format!("access lasts up to {a} but the AWS session of {whose} ends after {s}: users are logged out and must re-authenticate during their access"),
            "longer than the AWS session",
        )
    } else if access < session {
        (
            format!("access lasts up to {a} but the AWS session of {whose} lasts {s}: users keep the escalated role for up to {s} after Sym removes them"),
            "shorter than the AWS session",
        )
    } else {
        return None;
    };
    Some(cx.finding(&RULE, loc, message).label(label).help(format!(
        "align the two: offer durations up to {s}, or set the session length to {a}"
    )))
}

fixture_test!();
