use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use symguard::finding::Severity;
use symguard::report::{human, json};
use symguard::{rules, CheckOptions, VarOption};

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
        /// Set a root module variable, as `terraform -var` (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
        vars: Vec<(String, String)>,
        /// Read root module variables from a tfvars file, as `terraform -var-file` (repeatable).
        #[arg(long = "var-file", value_name = "FILE")]
        var_files: Vec<PathBuf>,
        /// Check the JSON of `terraform show -json PLANFILE` instead of PATHs.
        #[arg(long, value_name = "FILE", conflicts_with = "paths")]
        plan: Option<PathBuf>,
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
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match cli.command {
        Command::Check {
            paths,
            format,
            fail_on,
            config,
            color,
            vars,
            var_files,
            plan,
        } => {
            let paths = if paths.is_empty() {
                vec![PathBuf::from(".")]
            } else {
                paths
            };
            let check_matches = matches.subcommand_matches("check");
            let options = CheckOptions {
                paths,
                config,
                vars: in_command_line_order(check_matches, vars, var_files),
                env: std::env::vars()
                    .filter_map(|(k, v)| Some((k.strip_prefix("TF_VAR_")?.to_string(), v)))
                    .collect(),
                plan,
            };
            let report = match symguard::check(&options) {
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

fn parse_var(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not NAME=VALUE"))?;
    Ok((name.to_string(), value.to_string()))
}

/// `--var` and `--var-file` in the order they were given: Terraform applies them in
/// command-line order, later ones winning.
fn in_command_line_order(
    matches: Option<&clap::ArgMatches>,
    vars: Vec<(String, String)>,
    files: Vec<PathBuf>,
) -> Vec<VarOption> {
    let indices = |id: &str| -> Vec<usize> {
        matches
            .and_then(|m| m.indices_of(id))
            .map(|i| i.collect())
            .unwrap_or_default()
    };
    let mut ordered: Vec<(usize, VarOption)> = indices("vars")
        .into_iter()
        .zip(vars)
        .map(|(i, (name, value))| (i, VarOption::Assign(name, value)))
        .chain(
            indices("var_files")
                .into_iter()
                .zip(files)
                .map(|(i, file)| (i, VarOption::File(file))),
        )
        .collect();
    ordered.sort_by_key(|(i, _)| *i);
    ordered.into_iter().map(|(_, v)| v).collect()
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_ERROR)
}
