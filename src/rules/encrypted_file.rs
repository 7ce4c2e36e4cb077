use super::{unread_file, Context, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "encrypted-file",
    severity: Severity::Note,
    summary: "a Terraform file encrypted with git-crypt, which symguard cannot read",
    doc: include_str!("../../rules/encrypted-file.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for dir in &cx.model.dirs {
        for path in &dir.encrypted_files {
            out.push(
                unread_file(cx, &RULE, path, |display| format!("`{display}` is encrypted with git-crypt: symguard cannot read it, so its values are unknown, and rules that report something missing skip `{}`", dir.display))
                .help("run symguard where the repository is unlocked (`git-crypt unlock`) to have the file checked"),
            );
        }
    }
}

fixture_test!();
