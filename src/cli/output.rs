//! Output and exit handling: rendering a report in the chosen format, writing it, and the
//! exit code (0 clean, 1 findings at or above --fail-on, 2 an error).

use crate::cli::args::{Color, Format, ReportArgs};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use symguard::report::{github, human, json, junit, markdown, sarif};
use symguard::CheckReport;

pub const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

/// Prints the report and turns the findings into the exit code. `rules`: the rules the
/// command ran; `changed_since`: report only findings in files changed since that revision.
pub fn finish(
    result: Result<CheckReport, symguard::Error>,
    args: &ReportArgs,
    rules: &[&str],
    changed_since: Option<&str>,
) -> ExitCode {
    let mut report = match result {
        Ok(report) => report,
        Err(e) => return fail(&e.to_string()),
    };
    if let Some(revision) = changed_since {
        match symguard::changes::ChangedFiles::since(revision) {
            Ok(changed) => report.findings.retain(|f| changed.touches(f)),
            Err(e) => return fail(&e),
        }
    }
    let human = || {
        human::render(&report.findings, args.color(args.output.is_none()))
            + &human::summary(&report.findings, report.files, report.resources)
    };
    let text = args.render(&report, rules, human, || {
        json::render(&report.findings, report.files, report.resources)
    });
    if let Err(code) = args.emit(&text, &report) {
        return code;
    }
    if !report.unreadable.is_empty() {
        for error in &report.unreadable {
            eprintln!("error: {error}");
        }
        return fail(&format!(
            "{} could not be read; the report above covers the rest, and nothing is reported missing for want of them",
            match report.unreadable.len() {
                1 => "1 file or directory".to_string(),
                n => format!("{n} files or directories"),
            }
        ));
    }
    exit_for(&report.findings, args)
}

impl ReportArgs {
    fn color(&self, to_stdout: bool) -> bool {
        match self.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                to_stdout
                    && std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }

    /// The report in the chosen format; `human` and `json` are the command's own.
    pub fn render(
        &self,
        report: &CheckReport,
        rules: &[&str],
        human: impl FnOnce() -> String,
        json: impl FnOnce() -> String,
    ) -> String {
        let findings = &report.findings;
        match self.format {
            Format::Human => human(),
            Format::Json => json(),
            Format::Sarif => sarif::render(findings),
            Format::Github => github::render(findings),
            Format::Markdown => markdown::render(findings, report.files, report.resources),
            Format::Junit => junit::render(findings, rules),
        }
    }

    /// Writes the report to `--output` (and the summary line to stdout), or to stdout.
    pub fn emit(&self, text: &str, report: &CheckReport) -> Result<(), ExitCode> {
        match &self.output {
            Some(path) => {
                std::fs::write(path, text).map_err(|e| {
                    fail(&format!("{}: cannot write the report: {e}", path.display()))
                })?;
                print(&human::summary(
                    &report.findings,
                    report.files,
                    report.resources,
                ))
            }
            None => print(text),
        }
    }
}

/// Writes the report to stdout; a reader that went away is not an error.
pub fn print(output: &str) -> Result<(), ExitCode> {
    match std::io::stdout().lock().write_all(output.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(fail(&format!("cannot write the report: {e}")))
        }
        _ => Ok(()),
    }
}

/// 1 when a finding reaches `--fail-on`, else 0.
pub fn exit_for(findings: &[symguard::finding::Finding], args: &ReportArgs) -> ExitCode {
    let failed = args
        .fail_on
        .threshold()
        .is_some_and(|t| findings.iter().any(|f| f.severity >= t));
    ExitCode::from(if failed { EXIT_FINDINGS } else { 0 })
}

pub fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_ERROR)
}
