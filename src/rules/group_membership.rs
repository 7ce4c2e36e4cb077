use super::{Context, Rule};
use crate::eval::{Attr, Instance, Value};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "group-membership",
    severity: Severity::Error,
    summary: "Terraform manages the members of an IAM group a `sym_target` escalates into",
    doc: include_str!("../../rules/group-membership.md"),
    check,
};

const HELP: &str = "let Sym own the membership of this group: remove it from the membership resource, and have people request access through the flow";

fn check(cx: &Context, out: &mut Vec<Finding>) {
    // Each target's IAM group, by name: IAM group names are unique regardless of case.
    let targets: Vec<(String, &Instance, &Attr)> = cx
        .model
        .sym("sym_target", "aws_iam_group")
        .filter_map(|(_, target)| {
            let settings = target.body.attr("settings")?;
            let group = settings.value.as_map()?.get("iam_group")?.as_str()?;
            Some((group.to_ascii_lowercase(), target, settings))
        })
        .collect();
    if targets.is_empty() {
        return;
    }
    // A finding when `value`, a group name in `attr` of `membership`, is a target's group.
    let finding = |attr: &Attr, value: &Value, membership: &Instance, what: &str, why: &str| {
        let name = value.as_str()?;
        let owners: Vec<_> = targets
            .iter()
            .filter(|(group, _, _)| *group == name.to_ascii_lowercase())
            .collect();
        if owners.is_empty() {
            return None;
        }
        let names = owners
            .iter()
            .map(|(_, t, _)| format!("`{}`", t.address))
            .collect::<Vec<_>>()
            .join(", ");
        let finding = cx
            .finding_at_value(
                &RULE,
                attr,
                value,
                format!(
                    "`{}` {what} `{name}`, the IAM group of {names}: {why}",
                    membership.address
                ),
            )
            .label("a group Sym escalates into")
            .resource(&membership.address)
            .help(HELP);
        Some(owners.iter().fold(finding, |f, (_, target, settings)| {
            f.related(
                settings.expr_loc.clone(),
                format!("`{}` escalates into `{name}`", target.address),
            )
        }))
    };
    for (_, membership) in cx.model.instances("aws_iam_group_membership") {
        let Some(group) = membership.body.attr("group") else {
            continue;
        };
        out.extend(finding(
            group,
            &group.value,
            membership,
            "sets the members of",
            "it is exclusive, so every apply removes whoever Sym escalated, and the users it lists have standing access",
        ));
    }
    for (_, membership) in cx.model.instances("aws_iam_user_group_membership") {
        let Some(groups) = membership.body.attr("groups") else {
            continue;
        };
        let user = membership
            .body
            .attr("user")
            .and_then(|a| a.value.as_str())
            .map_or("its user".to_string(), |u| format!("`{u}`"));
        for group in groups.value.as_list().unwrap_or_default() {
            out.extend(finding(
                groups,
                group,
                membership,
                &format!("puts {user} in"),
                "standing access to what Sym grants for a limited time",
            ));
        }
    }
}

fixture_test!();
