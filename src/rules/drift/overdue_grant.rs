use super::provenance::{self, Access, Class, Member};
use super::{DriftContext, DriftRule};
use crate::duration;
use crate::finding::{Finding, Severity};

pub const RULE: DriftRule = DriftRule {
    name: "drift-overdue-grant",
    severity: Severity::Error,
    summary: "a member Sym's connector role added longer ago than the longest access the flows allow (plus `[drift] grace`): de-escalation did not happen",
    doc: include_str!("../../../rules/drift-overdue-grant.md"),
    check,
};

/// The finding for an overdue Sym grant, at the duration that bounds it; `None` for any
/// other member.
pub fn finding(cx: &DriftContext, member: &Member) -> Option<Finding> {
    let Member {
        declared,
        group,
        user,
        class: Class::OverdueGrant { added, ended },
    } = member
    else {
        return None;
    };
    let Some(Access::Bounded { seconds, flow, loc }) = cx.access(declared) else {
        return None;
    };
    let role = added.actor.role_arn.as_deref().unwrap_or_default();
    let message = format!(
        "user `{user}` was added to `{}` ({}) by Sym's connector role `{role}` at {} (CloudTrail event {}), and the access should have ended at {}: `{}` allows at most {}, and the {} of grace are over",
        declared.name,
        group.arn,
        added.time,
        added.id,
        humantime::format_rfc3339_seconds(*ended),
        flow.address,
        duration::format(*seconds),
        duration::format(cx.grace().as_secs()),
    );
    let finding = cx
        .finding(&RULE, loc.clone(), message)
        .label("the longest access")
        .resource(&declared.target.address)
        .related(declared.loc.clone(), "the group is declared here")
        .help("Sym's de-escalation did not remove the user: remove them (`symguard remediate`), then find out why the removal failed (the connector role's permissions, the flow's de-escalation)");
    Some(match provenance::provenance(cx, member) {
        Some(evidence) => finding.provenance(evidence),
        None => finding,
    })
}

fn check(cx: &DriftContext, out: &mut Vec<Finding>) {
    out.extend(provenance::members(cx).filter_map(|member| finding(cx, &member)));
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixtures() {
        insta::assert_snapshot!(crate::rules::drift::testing::fixture_report(
            super::RULE.name
        ));
    }
}
