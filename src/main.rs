mod cli;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use cli::args::{AwsArgs, InputArgs, ReportArgs};
use cli::generate::{completions, man};
use cli::output::{fail, finish, print};
use cli::policy::policy_test;
use cli::remediate::Remediate;
use std::path::PathBuf;
use std::process::ExitCode;
use symguard::baseline::Baseline;
use symguard::remediate;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Policy-as-code validator and drift checker for Sym's AWS IAM access configuration.
#[derive(Parser)]
#[command(version = env!("SYMGUARD_VERSION"), about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the Sym Terraform under PATHs (default: the current directory).
    Check {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        report: ReportArgs,
        /// Check the JSON of `terraform show -json PLANFILE` instead of PATHs.
        #[arg(long, value_name = "FILE", conflicts_with = "paths")]
        plan: Option<PathBuf>,
        /// Evaluate everything, report only findings in files changed since REV (git).
        #[arg(long, value_name = "REV")]
        changed_since: Option<String>,
        /// Record today's findings in FILE, to accept them and block only new ones.
        #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
        write_baseline: Option<PathBuf>,
        /// Report only findings that FILE (from --write-baseline) does not record.
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
        /// Evaluate the Rego policies (*.rego) in DIR too (repeatable).
        #[arg(long = "policy", value_name = "DIR")]
        policies: Vec<PathBuf>,
    },
    /// Compare the groups the Terraform declares with live AWS IAM.
    Drift {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        report: ReportArgs,
        #[command(flatten)]
        aws: AwsArgs,
        /// The active Sym grants: a JSON array of {"user", "group", "expires_at"}.
        #[arg(long, value_name = "FILE")]
        grants: Option<PathBuf>,
        /// Compare with a snapshot written by `symguard snapshot` instead of reading AWS.
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Evaluate everything, report only findings in files changed since REV (git).
        #[arg(long, value_name = "REV")]
        changed_since: Option<String>,
    },
    /// Remove the members drift reports as unexpected: prints the plan unless --apply.
    Remediate {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        report: ReportArgs,
        #[command(flatten)]
        aws: AwsArgs,
        /// The active Sym grants: a JSON array of {"user", "group", "expires_at"}.
        #[arg(long, value_name = "FILE", conflicts_with = "plan")]
        grants: Option<PathBuf>,
        /// Carry the plan out (default: print it and change nothing).
        #[arg(long)]
        apply: bool,
        /// Do not ask for confirmation; needed for --apply without a terminal.
        #[arg(long, requires = "apply")]
        yes: bool,
        /// Save the plan to FILE.
        #[arg(long, value_name = "FILE", conflicts_with = "plan")]
        plan_out: Option<PathBuf>,
        /// Use a plan saved with --plan-out instead of computing one.
        #[arg(long, value_name = "FILE", conflicts_with = "paths")]
        plan: Option<PathBuf>,
        /// Refuse a plan with more removals than N [default: 10, or `[remediate]
        /// max_removals` in symguard.toml].
        #[arg(long, value_name = "N")]
        max_removals: Option<usize>,
        /// Append one JSON line per removal event to FILE.
        #[arg(long, value_name = "FILE")]
        audit_log: Option<PathBuf>,
    },
    /// Write the live state drift reads to a file, for offline runs and evidence.
    Snapshot {
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        aws: AwsArgs,
        /// Where to write the snapshot (JSON).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Print the document Rego policies see for each root under PATHs (JSON array).
    Model {
        #[command(flatten)]
        input: InputArgs,
    },
    /// Work with Rego policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// List the rules: name, default severity, summary.
    Rules,
    /// Print a rule's documentation.
    Explain { rule: String },
    /// Print the shell completion script for SHELL (see docs/install.md).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), e.g. `symguard man > ~/.local/share/man/man1/symguard.1`.
    #[command(hide = true)]
    Man,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Run every `test_*` rule of the policies under DIR, like `opa test`.
    Test { dirs: Vec<PathBuf> },
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let sub = |name| matches.subcommand_matches(name);
    match cli.command {
        Command::Check {
            input,
            report,
            plan,
            changed_since,
            write_baseline,
            baseline,
            policies,
        } => {
            let mut options = input.options(sub("check"));
            options.plan = plan;
            options.policies = policies;
            let rules: Vec<&str> = symguard::rules::CATALOGUE.iter().map(|r| r.name).collect();
            let result = symguard::check(&options).and_then(|mut report| {
                if let Some(path) = &write_baseline {
                    Baseline::of(&report.findings)
                        .write(path)
                        .map_err(symguard::Error::Input)?;
                    eprintln!(
                        "wrote {} findings to {}; --baseline {} reports only new ones",
                        report.findings.len(),
                        path.display(),
                        path.display()
                    );
                    report.findings.clear();
                }
                if let Some(path) = &baseline {
                    let baseline = Baseline::read(path).map_err(symguard::Error::Input)?;
                    report.findings = baseline.new_findings(report.findings);
                }
                Ok(report)
            });
            finish(result, &report, &rules, changed_since.as_deref())
        }
        Command::Drift {
            input,
            report,
            aws,
            grants,
            state,
            changed_since,
        } => {
            let live = aws.live(grants, state);
            let rules: Vec<&str> = symguard::rules::drift::CATALOGUE
                .iter()
                .map(|r| r.name)
                .collect();
            finish(
                symguard::drift(&input.options(sub("drift")), &live),
                &report,
                &rules,
                changed_since.as_deref(),
            )
        }
        Command::Remediate {
            input,
            report,
            aws,
            grants,
            apply,
            yes,
            plan_out,
            plan,
            max_removals,
            audit_log,
        } => {
            let options = input.options(sub("remediate"));
            let live = aws.live(grants, None);
            let connection = live.connection.clone();
            let computed = match &plan {
                Some(path) => symguard::saved_plan(path, &options, &live),
                None => symguard::remediation_plan(&options, &live),
            };
            let remediation = match computed {
                Ok(remediation) => remediation,
                Err(e) => return fail(&e.to_string()),
            };
            if let Some(path) = &plan_out {
                if let Err(e) = remediation.plan.write(path) {
                    return fail(&e);
                }
            }
            let limit = max_removals
                .or(remediation.max_removals)
                .unwrap_or(remediate::DEFAULT_MAX_REMOVALS);
            let remediate = Remediate {
                remediation,
                limit,
                connection,
                audit_log,
                yes,
            };
            if apply {
                remediate.apply(&report)
            } else {
                remediate.dry_run(&report)
            }
        }
        Command::Snapshot { input, aws, output } => {
            let options = input.options(sub("snapshot"));
            match symguard::snapshot(&options, &aws.live(None, None))
                .map(|s| s.write_snapshot(&output))
            {
                Ok(Ok(())) => ExitCode::SUCCESS,
                Ok(Err(e)) => fail(&e),
                Err(e) => fail(&e.to_string()),
            }
        }
        Command::Model { input } => match symguard::model_documents(&input.options(sub("model"))) {
            Ok(documents) => {
                let text = serde_json::to_string_pretty(&documents).unwrap_or_default();
                match print(&(text + "\n")) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(code) => code,
                }
            }
            Err(e) => fail(&e.to_string()),
        },
        Command::Policy(PolicyCommand::Test { dirs }) => policy_test(&dirs),
        Command::Rules => {
            let all = symguard::catalogue();
            let width = all.iter().map(|r| r.name.len()).max().unwrap_or(0);
            let lines: String = all
                .iter()
                .map(|rule| {
                    format!(
                        "{:width$}  {:7}  {}\n",
                        rule.name,
                        rule.severity.as_str(),
                        rule.summary
                    )
                })
                .collect();
            match print(&lines) {
                Ok(()) => ExitCode::SUCCESS,
                Err(code) => code,
            }
        }
        Command::Completions { shell } => completions(Cli::command(), shell),
        Command::Man => man(Cli::command()),
        Command::Explain { rule } => {
            let doc = symguard::catalogue()
                .into_iter()
                .find(|r| r.name == rule)
                .map(|r| r.doc);
            match doc {
                Some(doc) => match print(doc) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(code) => code,
                },
                None => fail(&format!(
                    "no rule named `{rule}`; `symguard rules` lists them"
                )),
            }
        }
    }
}
