use super::{Context, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "strategy-integration",
    severity: Severity::Error,
    summary:
        "an `aws_iam` strategy whose `integration_id` is not a `permission_context` integration",
    doc: include_str!("../../rules/strategy-integration.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for (resource, strategy) in cx.model.sym("sym_strategy", "aws_iam") {
        let Some(attr) = strategy.body.attr("integration_id") else {
            out.push(
                cx.finding(&RULE, resource.loc.clone(), format!("`{}` has no `integration_id`", strategy.address))
                    .label("no integration_id")
                    .resource(&strategy.address)
                    .help("set `integration_id = sym_integration.<name>.id` for a `permission_context` integration"),
            );
            continue;
        };
        let Some((target, instance)) = cx.model.referenced(&attr.value) else {
            continue;
        };
        let problem = if target.kind != "sym_integration" {
            Some(format!(
                "refers to `{}`, a {}",
                instance.address, target.kind
            ))
        } else {
            match instance.body.attr("type").and_then(|a| a.value.as_str()) {
                Some("permission_context") | None => None,
                Some(other) => Some(format!(
                    "refers to `{}`, an integration of type `{other}`",
                    instance.address
                )),
            }
        };
        if let Some(problem) = problem {
            let mut finding = cx
                .finding(
                    &RULE,
                    attr.expr_loc.clone(),
                    format!("the `integration_id` of `{}` {problem}, not a `permission_context` integration", strategy.address),
                )
                .label("not a permission_context integration")
                .resource(&strategy.address)
                .help("an aws_iam strategy acts through the IAM connector: point it at the `sym_integration` of type `permission_context` whose settings come from the connector module");
            if let Some(type_attr) = instance.body.attr("type") {
                finding = finding.related(type_attr.expr_loc.clone(), "its type is set here");
            }
            out.push(finding);
        }
    }
}

fixture_test!();
