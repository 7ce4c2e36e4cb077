use super::{Context, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "hcl-syntax",
    severity: Severity::Error,
    summary: "a Terraform file that does not parse",
    doc: include_str!("../../rules/hcl-syntax.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for file in cx.model.dirs.iter().flat_map(|d| d.all_files()) {
        if let Err(error) = &file.body {
            out.push(
                cx.finding(&RULE, error.loc.clone(), format!("this file does not parse: {}", error.message))
                    .label(error.message.clone())
                    .help("fix the syntax; until then, rules that look for something missing skip this directory"),
            );
        }
    }
}

fixture_test!();
