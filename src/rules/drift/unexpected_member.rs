use super::provenance::{self, actor_phrase, channel_phrase, Class, Member};
use super::{DriftContext, DriftRule};
use crate::finding::{Finding, Severity};

pub const RULE: DriftRule = DriftRule {
    name: "drift-unexpected-member",
    severity: Severity::Error,
    summary: "a member of a declared group that neither an `[[allow]]` entry, an active Sym grant nor Sym's connector role put there",
    doc: include_str!("../../../rules/drift-unexpected-member.md"),
    check,
};

/// The finding for a member whom nothing allows, who was added outside Sym or whose
/// addition is not in the events read; `None` for any other member.
pub fn finding(cx: &DriftContext, member: &Member) -> Option<Finding> {
    let Member {
        declared,
        group,
        user,
        class,
    } = member;
    let (group_name, arn) = (&declared.name, &group.arn);
    let message = match class {
        Class::NotRead => format!(
            "user `{user}` is a member of `{group_name}` ({arn}) without an active Sym grant or an [[allow]] entry"
        ),
        Class::OutsideSym { added } => format!(
            "user `{user}` was added to `{group_name}` ({arn}) outside Sym: by {} {} at {} (CloudTrail event {}), and no [[allow]] entry covers them",
            actor_phrase(&added.actor),
            channel_phrase(
                provenance::channel(added.user_agent.as_deref()),
                added.user_agent.as_deref()
            ),
            added.time,
            added.id
        ),
        Class::Unknown {
            since,
            maybe_sym_grant,
        } => {
            let unknown = format!(
                "user `{user}` is a member of `{group_name}` ({arn}) with no addition in the CloudTrail events read: they were added before {since}, the oldest event read"
            );
            match maybe_sym_grant {
                None => format!(
                    "{unknown}, and neither an active Sym grant nor an [[allow]] entry covers them"
                ),
                Some(access) => format!(
                    "{unknown}; the flows reaching the group allow {access}, so this may be a Sym grant made before then and still active, and remediate keeps them"
                ),
            }
        }
        Class::Allowed(_) | Class::ActiveGrant { .. } | Class::OverdueGrant { .. } => {
            return None
        }
    };
    let help = match class {
        Class::Unknown {
            maybe_sym_grant: Some(_),
            ..
        } => "read events further back (`--cloudtrail s3://BUCKET/PREFIX` with `--lookback`, or `--grants`) to tell, or allow them with an [[allow]] entry and a reason",
        _ => "remove the user from the group (`symguard remediate`), or allow them with an [[allow]] entry and a reason",
    };
    let finding = cx
        .finding(&RULE, declared.loc.clone(), message)
        .label("standing access")
        .resource(&declared.target.address)
        .help(help);
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
