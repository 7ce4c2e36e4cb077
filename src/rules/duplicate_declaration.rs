use super::{Context, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "duplicate-declaration",
    severity: Severity::Error,
    summary:
        "a resource, data source, module, variable, output or local declared twice in one module",
    doc: include_str!("../../rules/duplicate-declaration.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for decls in &cx.model.decls {
        for (address, loc, first) in decls.duplicates.iter().cloned() {
            out.push(
                cx.finding(
                    &RULE,
                    loc,
                    format!("`{address}` is declared again; Terraform refuses a module that declares a name twice"),
                )
                .label("declared again")
                .related(first, "first declared here")
                .help("remove one declaration or rename it; symguard checks the first one"),
            );
        }
    }
}

fixture_test!();
