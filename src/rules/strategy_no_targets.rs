use super::{Context, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "strategy-no-targets",
    severity: Severity::Error,
    summary: "a strategy with an empty `targets` list",
    doc: include_str!("../../rules/strategy-no-targets.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for (resource, strategy) in cx.model.instances("sym_strategy") {
        let (loc, message) = match strategy.body.attr("targets") {
            None => (
                resource.loc.clone(),
                format!("`{}` has no `targets`", strategy.address),
            ),
            Some(attr) if attr.value.as_list().is_some_and(<[_]>::is_empty) => (
                attr.expr_loc.clone(),
                format!("`{}` has an empty `targets` list", strategy.address),
            ),
            Some(_) => continue,
        };
        out.push(
            cx.finding(
                &RULE,
                loc,
                format!("{message}: nobody can request access through it"),
            )
            .label("no targets")
            .resource(&strategy.address)
            .help("list the targets users may request, e.g. `targets = [sym_target.readonly.id]`"),
        );
    }
}

fixture_test!();
