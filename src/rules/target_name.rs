use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::model::value_loc;
use crate::rules::placeholder_value::placeholder;

pub const RULE: Rule = Rule {
    name: "target-name",
    severity: Severity::Note,
    summary: "a target whose `name` differs from its `iam_group` (Sym recommends the group name)",
    doc: include_str!("../../rules/target-name.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for (_, target) in cx.model.sym("sym_target", "aws_iam_group") {
        let (Some(name), Some(settings)) = (target.body.attr("name"), target.body.attr("settings"))
        else {
            continue;
        };
        let Some(group) = settings.value.as_map().and_then(|m| m.get("iam_group")) else {
            continue;
        };
        let (Some(name_text), Some(group_text)) = (name.value.as_str(), group.as_str()) else {
            continue;
        };
        // A placeholder is placeholder-value's to report, once.
        let placeholders = placeholder(name_text).or_else(|| placeholder(group_text));
        if name_text != group_text && !group_text.trim().is_empty() && placeholders.is_none() {
            out.push(
                cx.finding(
                    &RULE,
                    name.expr_loc.clone(),
                    format!(
                        "`{}` is named `{name_text}` but manages the IAM group `{group_text}`",
                        target.address
                    ),
                )
                .label("differs from the IAM group")
                .resource(&target.address)
                .related(value_loc(settings, group), "the IAM group is set here")
                .help(format!(
                    "name the target `{group_text}` so requests, logs and IAM agree"
                )),
            );
        }
    }
}

fixture_test!();
