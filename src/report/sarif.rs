//! SARIF 2.1.0 for GitHub code scanning and other SARIF viewers, built with `serde-sarif`:
//! one run, the whole rule catalogue as the driver's rules, one result per finding.

use crate::finding::{Finding, Severity};
use crate::source::Loc;
use serde_sarif::sarif;

fn level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Error => sarif::ResultLevel::Error,
        Severity::Warning => sarif::ResultLevel::Warning,
        Severity::Note => sarif::ResultLevel::Note,
    }
}

/// A relative path stays relative (to the directory symguard ran in, the repository root
/// in CI); an absolute one becomes a `file://` URI.
fn uri(loc: &Loc) -> String {
    let path = loc.file.display.replace('\\', "/");
    if path.starts_with('/') {
        format!("file://{path}")
    } else {
        path
    }
}

fn location(loc: &Loc, message: Option<&str>, id: Option<i64>) -> sarif::Location {
    let (start_line, start_column) = loc.start();
    let (end_line, end_column) = loc.end();
    let region = sarif::Region::builder()
        .start_line(start_line as i64)
        .start_column(start_column as i64)
        .end_line(end_line as i64)
        .end_column(end_column as i64)
        .build();
    let physical = sarif::PhysicalLocation::builder()
        .artifact_location(sarif::ArtifactLocation::builder().uri(uri(loc)).build())
        .region(region)
        .build();
    match (message, id) {
        (Some(message), Some(id)) => sarif::Location::builder()
            .id(id)
            .physical_location(physical)
            .message(sarif::Message::builder().text(message).build())
            .build(),
        _ => sarif::Location::builder()
            .physical_location(physical)
            .build(),
    }
}

pub fn render(findings: &[Finding]) -> String {
    let catalogue = crate::catalogue::catalogue();
    let rules: Vec<sarif::ReportingDescriptor> = catalogue
        .iter()
        .map(|rule| {
            sarif::ReportingDescriptor::builder()
                .id(rule.name)
                .name(rule.name)
                .short_description(
                    sarif::MultiformatMessageString::builder()
                        .text(rule.summary)
                        .build(),
                )
                .full_description(
                    sarif::MultiformatMessageString::builder()
                        .text(rule.summary)
                        .build(),
                )
                .help(
                    sarif::MultiformatMessageString::builder()
                        .text(format!("{}: {}", rule.name, rule.summary))
                        .markdown(rule.doc)
                        .build(),
                )
                .help_uri(crate::catalogue::rule_doc_url(rule.name))
                .default_configuration(
                    sarif::ReportingConfiguration::builder()
                        .level(serde_json::json!(level(rule.severity)))
                        .build(),
                )
                .build()
        })
        .collect();
    let results: Vec<sarif::Result> = findings
        .iter()
        .map(|f| {
            let mut message = f.message.clone();
            if let Some(help) = &f.help {
                message = format!("{message}\n\nhelp: {help}");
            }
            let related: Vec<sarif::Location> = f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| location(&r.loc, Some(&r.message), Some(i as i64 + 1)))
                .collect();
            let index = catalogue.iter().position(|r| r.name == f.rule);
            let builder = sarif::Result::builder()
                .rule_id(f.rule.clone())
                .level(level(f.severity))
                .message(sarif::Message::builder().text(message).build())
                .locations(vec![location(&f.loc, None, None)]);
            match (index, related.is_empty()) {
                (Some(index), true) => builder.rule_index(index as i64).build(),
                (Some(index), false) => builder
                    .rule_index(index as i64)
                    .related_locations(related)
                    .build(),
                (None, true) => builder.build(),
                (None, false) => builder.related_locations(related).build(),
            }
        })
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("symguard")
        .version(env!("CARGO_PKG_VERSION"))
        .information_uri(env!("CARGO_PKG_REPOSITORY"))
        .rules(rules)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        // symguard's columns count characters, not UTF-16 code units.
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .results(results)
        .build();
    let log = sarif::Sarif::builder()
        .schema(sarif::SCHEMA_URL)
        .version(serde_json::json!(sarif::Version::V2_1_0.to_string()))
        .runs(vec![run])
        .build();
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}
