//! The JSON report: one document, schema version 1, shared by every command.

use super::Counts;
use crate::finding::Provenance;
use crate::finding::{Evidence, MemberRecord, ProvenanceRead};
use crate::finding::{Finding, Severity};
use crate::remediate::apply::Applied;
use crate::remediate::Plan;
use crate::source::Loc;
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary<'a>,
    /// `drift` and `remediate`: the members expected in the declared groups (allowed, or
    /// active Sym grants), with the evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<&'a [MemberRecord]>,
    /// `remediate` only: the plan, as `--plan-out` saves it.
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<&'a Plan>,
    /// `remediate --apply` only: what happened to each removal, in plan order.
    #[serde(skip_serializing_if = "Option::is_none")]
    outcomes: Option<&'a [Applied]>,
}

#[derive(Serialize)]
struct Summary<'a> {
    files: usize,
    resources: usize,
    errors: usize,
    warnings: usize,
    notes: usize,
    /// `drift` and `remediate`: whether each account's membership history was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<&'a [ProvenanceRead]>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    #[serde(flatten)]
    location: Location<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonRelated<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<&'a Provenance>,
}

/// 1-based lines and columns (columns count characters); `end_column` is one past the last
/// character, as in SARIF.
#[derive(Serialize)]
struct Location<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

fn location(loc: &Loc) -> Location<'_> {
    let (line, column) = loc.start();
    let (end_line, end_column) = loc.end();
    Location {
        file: &loc.file.display,
        line,
        column,
        end_line,
        end_column,
    }
}

pub fn render(findings: &[Finding], files: usize, resources: usize) -> String {
    render_document(findings, files, resources, None, None, None)
}

/// The report of `check` or `drift`, with drift's evidence when there is some.
pub fn render_report(
    findings: &[Finding],
    files: usize,
    resources: usize,
    evidence: Option<&Evidence>,
) -> String {
    render_document(findings, files, resources, evidence, None, None)
}

/// The report of `remediate`: its findings, the plan and, after `--apply`, the outcomes.
pub fn render_remediation(
    findings: &[Finding],
    files: usize,
    resources: usize,
    evidence: Option<&Evidence>,
    plan: &Plan,
    outcomes: Option<&[Applied]>,
) -> String {
    render_document(findings, files, resources, evidence, Some(plan), outcomes)
}

fn render_document(
    findings: &[Finding],
    files: usize,
    resources: usize,
    evidence: Option<&Evidence>,
    plan: Option<&Plan>,
    outcomes: Option<&[Applied]>,
) -> String {
    let counts = Counts::of(findings);
    let document = Document {
        version: SCHEMA_VERSION,
        findings: findings
            .iter()
            .map(|f| JsonFinding {
                rule: &f.rule,
                severity: f.severity,
                message: &f.message,
                location: location(&f.loc),
                resource: f.resource.as_deref(),
                help: f.help.as_deref(),
                related: f
                    .related
                    .iter()
                    .map(|r| {
                        let (line, column) = r.loc.start();
                        JsonRelated {
                            file: &r.loc.file.display,
                            line,
                            column,
                            message: &r.message,
                        }
                    })
                    .collect(),
                provenance: f.provenance.as_ref(),
            })
            .collect(),
        summary: Summary {
            files,
            resources,
            errors: counts.errors,
            warnings: counts.warnings,
            notes: counts.notes,
            provenance: evidence.map(|e| e.provenance.as_slice()),
        },
        members: evidence.map(|e| e.members.as_slice()),
        plan,
        outcomes,
    };
    // Serializing plain structs of strings and numbers cannot fail.
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
