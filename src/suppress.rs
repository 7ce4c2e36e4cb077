//! Suppressions written in the Terraform source, with a reason:
//!
//! ```hcl
//! # symguard:ignore target-name,orphan-target until=2027-03-31 -- migrating in Q1
//! resource "sym_target" "legacy" { ... }
//!
//! name = "x" # symguard:ignore placeholder-value -- filled in by the pipeline
//!
//! # symguard:ignore-file session-length -- this account's roles are managed elsewhere
//! ```
//!
//! A comment on a line of its own covers the block or attribute that starts on the next
//! code line; one after code covers the block or attribute that starts on its line (or, at
//! a closing `}`, the block that ends there). A suppression without a reason is reported
//! (`suppression-reason`); one that silences nothing is reported (`unused-suppression`);
//! one past its `until` date no longer silences.

use crate::finding::{Finding, RuleInfo, Severity};
use crate::source::{Loc, SourceFile};
use hcl_edit::structure::Body;
use hcl_edit::Span;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::SystemTime;

pub const REASON_RULE: &str = "suppression-reason";
pub const UNUSED_RULE: &str = "unused-suppression";

/// The two rules about suppressions themselves, for the catalogue.
pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        name: REASON_RULE,
        severity: Severity::Warning,
        summary: "a `symguard:ignore` comment without a `-- reason`",
        doc: include_str!("../rules/suppression-reason.md"),
    },
    RuleInfo {
        name: UNUSED_RULE,
        severity: Severity::Note,
        summary: "a `symguard:ignore` comment that silences nothing",
        doc: include_str!("../rules/unused-suppression.md"),
    },
];

#[derive(Debug)]
pub struct Suppression {
    /// The comment.
    pub loc: Loc,
    pub rules: Vec<String>,
    /// The lines covered; `None` for the whole file.
    pub lines: Option<RangeInclusive<usize>>,
    /// Silences until the end of this day (UTC).
    pub until: Option<SystemTime>,
    pub reason: Option<String>,
    /// A malformed comment: what is wrong with it.
    pub problem: Option<String>,
}

impl Suppression {
    fn covers(&self, finding: &Finding, now: SystemTime) -> bool {
        let line = finding.loc.start().0;
        finding.loc.file.display == self.loc.file.display
            && self.rules.contains(&finding.rule)
            && self.lines.as_ref().is_none_or(|l| l.contains(&line))
            && self.until.is_none_or(|until| now < until)
            && self.problem.is_none()
    }
}

const MARKER: &str = "symguard:ignore";

/// Every suppression comment of a file: its source, and its syntax tree when it parsed.
pub fn collect(source: &Arc<SourceFile>, body: Option<&Body>) -> Vec<Suppression> {
    let text = &source.text;
    // Most files have no suppression: skip mapping their items to lines.
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let items = match body {
        Some(body) => item_lines(body, source),
        None => Vec::new(),
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let number = index + 1;
        let offset = source.line_start(number);
        if let Some((comment_start, code_before)) = marker_comment(line) {
            let comment = &line[comment_start..];
            let span = offset + comment_start..offset + line.trim_end().len();
            let loc = Loc::new(source, span);
            let after = &comment[comment.find(MARKER).unwrap_or(0) + MARKER.len()..];
            let (whole_file, after) = match after.strip_prefix("-file") {
                Some(rest) => (true, rest),
                None => (false, after),
            };
            let covered = if whole_file {
                None
            } else if code_before {
                Some(trailing_scope(&items, number))
            } else {
                Some(next_item_scope(&items, &lines, number))
            };
            out.push(parse(after, loc, covered));
        }
    }
    out
}

/// Where a `# symguard:ignore` or `// symguard:ignore` comment starts on the line, and
/// whether code comes before it.
fn marker_comment(line: &str) -> Option<(usize, bool)> {
    let at = line.find(MARKER)?;
    let before = line[..at].trim_end();
    let comment_start = if let Some(stripped) = before.strip_suffix('#') {
        stripped.len()
    } else if let Some(stripped) = before.strip_suffix("//") {
        stripped.len()
    } else {
        return None;
    };
    Some((comment_start, !line[..comment_start].trim().is_empty()))
}

fn parse(text: &str, loc: Loc, lines: Option<RangeInclusive<usize>>) -> Suppression {
    let (spec, reason) = match text.split_once("--") {
        Some((spec, reason)) => (spec, Some(reason.trim().to_string())),
        None => (text, None),
    };
    let mut words = spec.split_whitespace();
    let rules: Vec<String> = words
        .next()
        .map(|r| {
            r.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut until = None;
    let mut problem = None;
    for word in words {
        match word.strip_prefix("until=") {
            Some(date) => match humantime::parse_rfc3339(&format!("{date}T23:59:59Z")) {
                Ok(end) => until = Some(end + std::time::Duration::from_secs(1)),
                Err(_) => problem = Some(format!("`{date}` is not a date like 2027-03-31")),
            },
            None => problem = Some(format!("`{word}` is neither a rule list nor until=DATE")),
        }
    }
    if rules.is_empty() {
        problem = Some("it names no rule".into());
    }
    Suppression {
        loc,
        rules,
        lines,
        until,
        reason: reason.filter(|r| !r.is_empty()),
        problem,
    }
}

/// (first line, last line) of every block and attribute, nested ones included.
fn item_lines(body: &Body, source: &SourceFile) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut lines = |span: Option<std::ops::Range<usize>>| {
        if let Some(span) = span {
            let first = source.line_col(span.start).0;
            let last = source
                .line_col(span.end.saturating_sub(1).max(span.start))
                .0;
            out.push((first, last));
        }
    };
    let mut stack = vec![body];
    while let Some(body) = stack.pop() {
        for attr in crate::hcl::attributes(body) {
            lines(attr.span());
        }
        for block in crate::hcl::blocks(body) {
            lines(block.span());
            stack.push(&block.body);
        }
    }
    out
}

/// A trailing comment: the outermost item starting on its line, else the innermost one
/// ending there (a closing `}`), else the line alone.
fn trailing_scope(items: &[(usize, usize)], line: usize) -> RangeInclusive<usize> {
    let starting = items.iter().filter(|(first, _)| *first == line);
    if let Some(&(first, last)) = starting.max_by_key(|(_, last)| *last) {
        return first..=last;
    }
    let ending = items.iter().filter(|(_, last)| *last == line);
    match ending.max_by_key(|(first, _)| *first) {
        Some(&(first, last)) => first..=last,
        None => line..=line,
    }
}

/// A comment on its own line: the outermost item starting on the next code line (past
/// blank lines and further comments), else that line alone.
fn next_item_scope(items: &[(usize, usize)], lines: &[&str], line: usize) -> RangeInclusive<usize> {
    let next = (line + 1..=lines.len())
        .find(|&n| {
            let text = lines[n - 1].trim();
            !text.is_empty() && !text.starts_with('#') && !text.starts_with("//")
        })
        .unwrap_or(line);
    let starting = items.iter().filter(|(first, _)| *first == next);
    match starting.max_by_key(|(_, last)| *last) {
        Some(&(first, last)) => first..=last,
        None => next..=next,
    }
}

/// Drops the findings that suppressions cover and adds the findings about the
/// suppressions: missing reasons, malformed comments and those that silence nothing.
/// `known` is every rule name; a comment naming another is malformed.
pub fn apply(
    findings: Vec<Finding>,
    suppressions: &[&Suppression],
    ran: &[&str],
    known: &[&str],
    now: SystemTime,
) -> Vec<Finding> {
    let mut used = vec![false; suppressions.len()];
    let mut kept: Vec<Finding> = findings
        .into_iter()
        .filter(|f| {
            let covering: Vec<usize> = suppressions
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    s.covers(f, now) && s.rules.iter().all(|r| known.contains(&r.as_str()))
                })
                .map(|(i, _)| i)
                .collect();
            for &i in &covering {
                used[i] = true;
            }
            covering.is_empty()
        })
        .collect();
    for (suppression, used) in suppressions.iter().zip(used) {
        let expired = suppression.until.is_some_and(|until| now >= until);
        let unknown = suppression
            .rules
            .iter()
            .find(|r| !known.contains(&r.as_str()))
            .map(|r| format!("`{r}` is not a rule; `symguard rules` lists them"));
        if let Some(problem) = unknown.as_ref().or(suppression.problem.as_ref()) {
            kept.push(
                Finding::new(
                    UNUSED_RULE,
                    Severity::Note,
                    suppression.loc.clone(),
                    format!("this suppression silences nothing: {problem}"),
                )
                .label("malformed")
                .help("write `# symguard:ignore RULE[,RULE] [until=YYYY-MM-DD] -- reason`"),
            );
            continue;
        }
        if suppression.reason.is_none() {
            kept.push(
                Finding::new(REASON_RULE, Severity::Warning, suppression.loc.clone(), format!("the suppression of {} gives no reason", suppression.rules.join(", ")))
                    .label("no reason")
                    .help("say why after ` -- `, e.g. `# symguard:ignore target-name -- renamed in Sym only`"),
            );
        }
        // Only a suppression of rules this command ran can be known to be unused.
        let judged = suppression.rules.iter().all(|r| ran.contains(&r.as_str()));
        if !used && !expired && judged {
            kept.push(
                Finding::new(UNUSED_RULE, Severity::Note, suppression.loc.clone(), format!("the suppression of {} silences nothing here", suppression.rules.join(", ")))
                    .label("unused")
                    .help("remove the comment, or move it to the line before the block or attribute it is for"),
            );
        }
    }
    kept
}
