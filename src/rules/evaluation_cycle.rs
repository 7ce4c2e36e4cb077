use super::{Context, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "evaluation-cycle",
    severity: Severity::Error,
    summary: "locals, module inputs and outputs, or module calls that depend on themselves",
    doc: include_str!("../../rules/evaluation-cycle.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for cycle in &cx.model.cycles {
        out.push(
            cx.finding(&RULE, cycle.loc.clone(), cycle.message.clone())
                .label("cycle")
                .help("break the cycle: Terraform cannot evaluate a value that depends on itself"),
        );
    }
}

fixture_test!();
