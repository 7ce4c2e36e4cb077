use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use symguard::finding::Severity;
use symguard::report::{human, json};
use symguard::{rules, CheckOptions};

/// Policy-as-code validator for Sym's AWS IAM access configuration.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the Sym Terraform under PATHs (default: the current directory).
    Check {
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Exit with 1 when a finding reaches this severity.
        #[arg(long, value_enum, default_value_t = FailOn::Error)]
        fail_on: FailOn,
        /// Use this configuration instead of the nearest symguard.toml.
        #[arg(long)]
        config: Option<PathBuf>,
        /// When to color the human output (auto: on a terminal, unless NO_COLOR is set).
        #[arg(long, value_enum, default_value_t = Color::Auto)]
        color: Color,
    },
    /// List the rules: name, default severity, summary.
    Rules,
    /// Print a rule's documentation.
    Explain { rule: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            paths,
            format,
            fail_on,
            config,
            color,
        } => {
            let paths = if paths.is_empty() {
                vec![PathBuf::from(".")]
            } else {
                paths
            };
            let report = match symguard::check(&CheckOptions { paths, config }) {
                Ok(report) => report,
                Err(e) => return fail(&e.to_string()),
            };
            let output = match format {
                Format::Json => json::render(&report.findings, report.files, report.resources),
                Format::Human => {
                    let color = match color {
                        Color::Always => true,
                        Color::Never => false,
                        Color::Auto => {
                            std::io::stdout().is_terminal()
                                && std::env::var_os("NO_COLOR").is_none()
                        }
                    };
                    human::render(&report.findings, color)
                        + &human::summary(&report.findings, report.files, report.resources)
                }
            };
            if let Err(e) = std::io::stdout().lock().write_all(output.as_bytes()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return fail(&format!("cannot write the report: {e}"));
                }
            }
            let failed = fail_on
                .threshold()
                .is_some_and(|t| report.findings.iter().any(|f| f.severity >= t));
            ExitCode::from(if failed { EXIT_FINDINGS } else { 0 })
        }
        Command::Rules => {
            let width = rules::CATALOGUE
                .iter()
                .map(|r| r.name.len())
                .max()
                .unwrap_or(0);
            for rule in rules::CATALOGUE {
                println!(
                    "{:width$}  {:7}  {}",
                    rule.name,
                    rule.severity.as_str(),
                    rule.summary
                );
            }
            ExitCode::SUCCESS
        }
        Command::Explain { rule } => match rules::find(&rule) {
            Some(rule) => {
                print!("{}", rule.doc);
                ExitCode::SUCCESS
            }
            None => fail(&format!(
                "no rule named `{rule}`; `symguard rules` lists them"
            )),
        },
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_ERROR)
}
