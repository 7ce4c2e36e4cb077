//! miette's graphical report, one per finding, then a summary line.

use super::{plural, Counts};
use crate::finding::{Finding, Severity};
use crate::remediate::apply::{Applied, Outcome};
use crate::remediate::Plan;
use crate::source::{Loc, SourceFile};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use std::fmt;
use std::sync::Arc;

/// Width of the rendered report; fixed so that output (and snapshots) do not depend on
/// the terminal.
const WIDTH: usize = 100;

/// A related location this many lines or fewer from the finding shares its snippet; a
/// farther one gets a snippet of its own instead of pulling every line between into view.
const NEARBY_LINES: usize = 6;

pub fn render(findings: &[Finding], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        // ARNs and paths stay whole, so they can be copied from the report.
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace);
    let mut out = String::new();
    for finding in findings {
        let diagnostic = FindingDiagnostic::new(finding);
        // Writing to a String cannot fail.
        let _ = handler.render_report(&mut out, &diagnostic);
        out.push('\n');
    }
    out
}

pub fn summary(findings: &[Finding], files: usize, resources: usize) -> String {
    let c = Counts::of(findings);
    format!(
        "symguard: {}, {}, {} in {} ({})\n",
        plural(c.errors, "error"),
        plural(c.warnings, "warning"),
        plural(c.notes, "note"),
        plural(files, "file"),
        plural(resources, "resource"),
    )
}

#[derive(Debug)]
struct FindingDiagnostic {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    source: Source,
    labels: Vec<LabeledSpan>,
    related: Vec<FindingDiagnostic>,
}

fn span(loc: &Loc) -> SourceSpan {
    (loc.span.start, loc.span.end.saturating_sub(loc.span.start)).into()
}

fn source(loc: &Loc) -> Source {
    Source(Arc::clone(&loc.file))
}

/// A finding's file as miette reads it. miette finds a span's lines by scanning the text
/// from the top; with 10,000 drift findings in one 250 KB file that took seconds. This
/// hands it only the lines around the span, found through the file's line index, and
/// shifts the result back: the same snippet, line numbers and gutter.
struct Source(Arc<SourceFile>);

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.display)
    }
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let file = &self.0;
        let (first_line, _) = file.line_col(span.offset());
        let (last_line, _) = file.line_col(span.offset() + span.len());
        // A line more than the context on each side, so the scan ends as it would in the
        // whole file.
        let window_line = first_line.saturating_sub(before + 1).max(1);
        let start = file.line_start(window_line);
        let end = file.line_start(last_line + after + 2);
        let window: &'a [u8] = &file.text.as_bytes()[start..end];
        let local = SourceSpan::new(span.offset().saturating_sub(start).into(), span.len());
        let contents = <[u8] as SourceCode>::read_span(window, &local, before, after)?;
        let lines_before = window_line - 1;
        Ok(Box::new(MietteSpanContents::new_named(
            file.display.clone(),
            contents.data(),
            SourceSpan::new(
                (contents.span().offset() + start).into(),
                contents.span().len(),
            ),
            contents.line() + lines_before,
            contents.column(),
            contents.line_count() + lines_before,
        )))
    }
}

impl FindingDiagnostic {
    fn new(finding: &Finding) -> FindingDiagnostic {
        let label = if finding.label.is_empty() {
            &finding.message
        } else {
            &finding.label
        };
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(label.clone()),
            span(&finding.loc),
        )];
        let mut related = Vec::new();
        for r in &finding.related {
            if r.loc.same_file(&finding.loc)
                && r.loc.start().0.abs_diff(finding.loc.start().0) <= NEARBY_LINES
            {
                labels.push(LabeledSpan::new_with_span(
                    Some(r.message.clone()),
                    span(&r.loc),
                ));
            } else {
                related.push(FindingDiagnostic {
                    message: r.message.clone(),
                    code: None,
                    severity: miette::Severity::Advice,
                    help: None,
                    source: source(&r.loc),
                    labels: vec![LabeledSpan::new_primary_with_span(None, span(&r.loc))],
                    related: Vec::new(),
                });
            }
        }
        FindingDiagnostic {
            message: finding.message.clone(),
            code: Some(finding.rule.clone()),
            severity: match finding.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Note => miette::Severity::Advice,
            },
            help: finding.help.clone(),
            source: source(&finding.loc),
            labels,
            related,
        }
    }
}

impl fmt::Display for FindingDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FindingDiagnostic {}

impl Diagnostic for FindingDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
    }
}

/// A remediation plan: one line per removal, with the finding that caused it.
pub fn plan(plan: &Plan) -> String {
    let mut out = format!(
        "remediation plan for account {}: {}\n",
        plan.account,
        plural(plan.removals.len(), "removal")
    );
    for removal in &plan.removals {
        out += &format!(
            "  remove `{}` from `{}` ({})\n      because {}:{}: {}\n",
            removal.user,
            removal.group,
            removal.group_arn,
            removal.finding.file,
            removal.finding.line,
            removal.finding.message
        );
    }
    out
}

/// What `remediate --apply` did, then the totals.
pub fn applied(applied: &[Applied]) -> String {
    let mut out = String::new();
    let (mut removed, mut absent, mut again, mut failed) = (0, 0, 0, 0);
    for a in applied {
        let what = match &a.outcome {
            Outcome::Removed => {
                removed += 1;
                "removed".to_string()
            }
            Outcome::AlreadyAbsent => {
                absent += 1;
                "skipped (already absent)".to_string()
            }
            Outcome::AddedAgain => {
                again += 1;
                "skipped (added again since the plan was made; see the audit log)".to_string()
            }
            Outcome::Failed(error) => {
                failed += 1;
                format!("FAILED: {error}")
            }
        };
        out += &format!(
            "  `{}` from `{}` in {}: {what}\n",
            a.user, a.group, a.account
        );
    }
    let again = match again {
        0 => String::new(),
        n => format!(", {n} skipped (added again)"),
    };
    out += &format!(
        "symguard remediate: {removed} removed, {absent} skipped (already absent){again}, {failed} failed\n"
    );
    out
}
