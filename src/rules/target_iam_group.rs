use super::{Context, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "target-iam-group",
    severity: Severity::Error,
    summary: "an `aws_iam_group` target without `settings.iam_group`, or with an empty one",
    doc: include_str!("../../rules/target-iam-group.md"),
    check,
};

const HELP: &str =
    "set `settings = { iam_group = \"<the IAM group's name>\" }`, e.g. `aws_iam_group.<name>.name`";

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for (resource, target) in cx.model.sym("sym_target", "aws_iam_group") {
        let finding = |loc, message: String| {
            cx.finding(&RULE, loc, message)
                .label("no IAM group")
                .resource(&target.address)
                .help(HELP)
        };
        let Some(settings) = target.body.attr("settings") else {
            out.push(finding(
                resource.loc.clone(),
                format!("`{}` has no `settings.iam_group`", target.address),
            ));
            continue;
        };
        let Some(map) = settings.value.as_map() else {
            continue;
        };
        match map.get("iam_group") {
            None => out.push(finding(
                settings.expr_loc.clone(),
                format!("the settings of `{}` have no `iam_group`", target.address),
            )),
            Some(group)
                if group.as_str().is_some_and(|g| g.trim().is_empty()) || group.is_null() =>
            {
                out.push(
                    cx.finding_at_value(
                        &RULE,
                        settings,
                        group,
                        format!("`{}` has an empty `settings.iam_group`", target.address),
                    )
                    .label("no IAM group")
                    .resource(&target.address)
                    .help(HELP),
                )
            }
            Some(_) => {}
        }
    }
}

fixture_test!();
