//! GitHub Actions workflow commands, so findings appear inline on the pull request:
//! `::error file=F,line=L,col=C,endLine=L,endColumn=C,title=symguard(rule)::message`.

use crate::finding::{Finding, Severity};

/// The message part: `%`, CR and LF escaped, as GitHub's toolkit does.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: additionally `:` and `,`, which separate properties.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let (line, column) = f.loc.start();
        let (end_line, end_column) = f.loc.end();
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            message = format!("{message}\nhelp: {help}");
        }
        out += &format!(
            "::{command} file={},line={line},col={column},endLine={end_line},endColumn={end_column},title={}::{}\n",
            escape_property(&f.loc.file.display),
            escape_property(&format!("symguard({})", f.rule)),
            escape_data(&message),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_github_documents() {
        assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(
            escape_property("100% a\r\nb: c, d"),
            "100%25 a%0D%0Ab%3A c%2C d"
        );
    }
}
