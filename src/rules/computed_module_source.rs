use super::{Context, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "computed-module-source",
    severity: Severity::Note,
    summary: "a module call whose computed `source` (Terraform 1.15) does not resolve, so symguard cannot follow it",
    doc: include_str!("../../rules/computed-module-source.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for dir in &cx.model.dirs {
        for (name, loc) in &dir.computed_sources {
            out.push(
                cx.finding(
                    &RULE,
                    loc.clone(),
                    format!("the source of `module.{name}` is computed from a value symguard does not know, so it cannot follow it: the module it names is not checked, and rules that report something missing skip `{}`", dir.display),
                )
                .label("unknown source")
                .help("give the const variables the source uses a value (a default, a tfvars entry, `--var`), write the source as a literal string, or check the plan (`symguard check --plan`)"),
            );
        }
    }
}

fixture_test!();
