use super::{unread_file, Context, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "json-syntax",
    severity: Severity::Note,
    summary: "a Terraform file in JSON syntax (`*.tf.json`), which symguard does not read",
    doc: include_str!("../../rules/json-syntax.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for dir in &cx.model.dirs {
        for path in &dir.json_files {
            out.push(
                unread_file(cx, &RULE, path, |display| format!("`{display}` is in Terraform's JSON syntax, which symguard does not read: its declarations are not checked, and rules that report something missing skip `{}`", dir.display))
                .help("write the file in HCL syntax (`.tf`) to have it checked, or check the plan (`symguard check --plan`), which has every value"),
            );
        }
    }
}

fixture_test!();
