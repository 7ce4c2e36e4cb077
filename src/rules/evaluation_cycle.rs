use super::{Context, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "evaluation-cycle",
    severity: Severity::Error,
    summary: "locals, resources, module inputs and outputs, or module calls that depend on themselves; where symguard's limits stop evaluation",
    doc: include_str!("../../rules/evaluation-cycle.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for cycle in &cx.model.cycles {
        let (label, help) = match cycle.limit {
            false => ("cycle", "break the cycle: Terraform cannot evaluate a value that depends on itself"),
            true => ("evaluation stops here", "symguard's limits keep a configuration from exhausting the machine; one this large is best checked through its plan (`symguard check --plan`)"),
        };
        out.push(
            cx.finding(&RULE, cycle.loc.clone(), cycle.message.clone())
                .label(label)
                .help(help),
        );
    }
}

fixture_test!();
