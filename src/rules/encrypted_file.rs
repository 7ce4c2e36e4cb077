use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::source::{Loc, SourceFile};

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
            // Nothing of it can be shown: the finding names the file alone.
            let display = crate::load::display_path(path);
            let file = SourceFile::new(display.clone(), path.clone(), String::new());
            out.push(
                cx.finding(
                    &RULE,
                    Loc::new(&file, 0..0),
                    format!("`{display}` is encrypted with git-crypt: symguard cannot read it, so its values are unknown, and rules that report something missing skip `{}`", dir.display),
                )
                .help("run symguard where the repository is unlocked (`git-crypt unlock`) to have the file checked"),
            );
        }
    }
}

fixture_test!();
