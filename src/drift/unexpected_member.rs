use super::{DeclaredGroup, DriftContext, DriftRule};
use crate::finding::{Finding, Severity};
use crate::live::LiveGroup;

pub const RULE: DriftRule = DriftRule {
    name: "drift-unexpected-member",
    severity: Severity::Error,
    summary:
        "a member of a declared group with neither an `[[allow]]` entry nor an active Sym grant",
    doc: include_str!("../../rules/drift-unexpected-member.md"),
    check,
};

/// A member of a declared group whom nothing allows there: what remediation removes.
pub struct Unexpected<'c, 'a> {
    pub declared: &'c DeclaredGroup<'a>,
    pub group: &'a LiveGroup,
    pub user: &'a str,
}

/// Every unexpected member of every declared group that exists.
pub fn unexpected<'c, 'a>(cx: &'c DriftContext<'a>) -> impl Iterator<Item = Unexpected<'c, 'a>> {
    cx.existing().flat_map(move |(declared, group)| {
        group
            .members
            .iter()
            .filter(move |u| !cx.allowed(u, &declared.name))
            .map(move |user| Unexpected {
                declared,
                group,
                user,
            })
    })
}

/// The finding for one unexpected member.
pub fn finding(cx: &DriftContext, member: &Unexpected) -> Finding {
    let Unexpected {
        declared,
        group,
        user,
    } = member;
    cx.finding(
                    &RULE,
                    declared.loc.clone(),
                    format!(
                        "user `{user}` is a member of `{}` ({}) without an active Sym grant or an [[allow]] entry",
                        declared.name, group.arn
                    ),
                )
                .label("standing access")
                .resource(&declared.target.address)
                .help("remove the user from the group (`symguard remediate`), or allow them with an [[allow]] entry and a reason")
}

fn check(cx: &DriftContext, out: &mut Vec<Finding>) {
    out.extend(unexpected(cx).map(|member| finding(cx, &member)));
}
