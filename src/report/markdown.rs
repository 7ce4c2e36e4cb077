//! A Markdown summary for `$GITHUB_STEP_SUMMARY`, a pull-request comment or an issue body.

use super::{plural, Counts};
use crate::finding::Finding;

/// Table cells: `|` would end the cell and a newline the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

pub fn render(findings: &[Finding], files: usize, resources: usize) -> String {
    let c = Counts::of(findings);
    let mut out = format!(
        "### symguard: {}, {}, {}\n\n{} checked ({}).\n\n",
        plural(c.errors, "error"),
        plural(c.warnings, "warning"),
        plural(c.notes, "note"),
        plural(files, "file"),
        plural(resources, "resource"),
    );
    if findings.is_empty() {
        out += "No findings.\n";
        return out;
    }
    out += "| severity | rule | location | message |\n|---|---|---|---|\n";
    for f in findings {
        let (line, column) = f.loc.start();
        out += &format!(
            "| {} | [{}]({}) | `{}:{line}:{column}` | {} |\n",
            f.severity.as_str(),
            f.rule,
            crate::catalogue::rule_doc_url(&f.rule),
            cell(&f.loc.file.display),
            cell(&f.message),
        );
    }
    out
}
