use super::{Context, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "computed-module-source",
    severity: Severity::Note,
    summary:
        "a module call whose `source` is computed (Terraform 1.15), which symguard does not follow",
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
                    format!("the source of `module.{name}` is computed, and symguard follows only literal sources: the module it names is not checked, and rules that report something missing skip `{}`", dir.display),
                )
                .label("computed source")
                .help("write the source as a literal string to have the module checked, or check the plan (`symguard check --plan`), which has every value"),
            );
        }
    }
}

fixture_test!();
