use super::{Context, Rule};
use crate::eval::Decls;
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
    for dir in &cx.model.dirs {
        for (address, loc, first) in Decls::collect(dir).duplicates {
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
