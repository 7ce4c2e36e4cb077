use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::source::{Loc, SourceFile};

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
            // Not read, so nothing of it is quoted: the finding names the file alone.
            let display = crate::load::display_path(path);
            let file = SourceFile::new(display.clone(), path.clone(), String::new());
            out.push(
                cx.finding(
                    &RULE,
                    Loc::new(&file, 0..0),
                    format!("`{display}` is in Terraform's JSON syntax, which symguard does not read: its declarations are not checked, and rules that report something missing skip `{}`", dir.display),
                )
                .help("write the file in HCL syntax (`.tf`) to have it checked, or check the plan (`symguard check --plan`), which has every value"),
            );
        }
    }
}

fixture_test!();
