use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::model::{value_loc, TargetRef};

pub const RULE: Rule = Rule {
    name: "strategy-target-type",
    severity: Severity::Error,
    summary: "a target of an `aws_iam` strategy that is not a `sym_target` of type `aws_iam_group`",
    doc: include_str!("../../rules/strategy-target-type.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for (_, strategy) in cx.model.sym("sym_strategy", "aws_iam") {
        let Some(attr) = strategy.body.attr("targets") else {
            continue;
        };
        for target in cx.model.strategy_targets(strategy) {
            let TargetRef::Resource(resource, instance, value) = target else {
                continue;
            };
            let problem = if resource.kind != "sym_target" {
                format!(
                    "`{}` is a {}, not a sym_target",
                    instance.address, resource.kind
                )
            } else {
                match instance.body.attr("type").and_then(|a| a.value.as_str()) {
                    Some("aws_iam_group") | None => continue,
                    Some(other) => format!("`{}` is a target of type `{other}`", instance.address),
                }
            };
            let mut finding = cx
                .finding(
                    &RULE,
                    value_loc(attr, value),
                    format!("{problem}; the aws_iam strategy `{}` can only manage `aws_iam_group` targets", strategy.address),
                )
                .label("not an aws_iam_group target")
                .resource(&strategy.address)
                .help("list only `sym_target`s of type `aws_iam_group` here, or move this target to a strategy of its own type");
            if let Some(type_attr) = instance.body.attr("type") {
                finding =
                    finding.related(type_attr.expr_loc.clone(), "the target's type is set here");
            }
            out.push(finding);
        }
    }
}

fixture_test!();
