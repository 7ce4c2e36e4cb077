use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use symguard::baseline::Baseline;
use symguard::finding::Severity;
use symguard::live::aws::Connection;
use symguard::report::{github, human, json, junit, markdown, sarif};
use symguard::{remediate, CheckOptions, CheckReport, LiveOptions, VarOption};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Policy-as-code validator and drift checker for Sym's AWS IAM access configuration.
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
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Run every `test_*` rule of the policies under DIR, like `opa test`.
    Test { dirs: Vec<PathBuf> },
}

#[derive(Args)]
struct InputArgs {
    paths: Vec<PathBuf>,
    /// Use this configuration instead of the nearest symguard.toml.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Set a root module variable, as `terraform -var` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// Read root module variables from a tfvars file, as `terraform -var-file` (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// Report what `symguard:ignore` comments would silence.
    #[arg(long)]
    no_ignore: bool,
}

#[derive(Args)]
struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Exit with 1 when a finding reaches this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// When to color the human output (auto: on a terminal, unless NO_COLOR is set).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Write the report to FILE; the terminal gets the one-line summary.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct AwsArgs {
    /// AWS profile (default: the standard credential chain).
    #[arg(long)]
    profile: Option<String>,
    /// AWS region for signing (IAM is global; default us-east-1).
    #[arg(long)]
    region: Option<String>,
    /// Any IAM-compatible endpoint, e.g. http://127.0.0.1:5000.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Assume this role (ARN) before reading.
    #[arg(long, value_name = "ARN")]
    assume_role: Option<String>,
    /// Read each account an integration names by assuming this role, e.g.
    /// 'arn:aws:iam::{account_id}:role/SymguardReadOnly'.
    #[arg(long, value_name = "ARN")]
    role_template: Option<String>,
    /// Read and compare only shard I of N of the declared groups (e.g. 2/8), so N jobs
    /// split the work deterministically.
    #[arg(long, value_name = "I/N", value_parser = symguard::drift::Shard::parse)]
    shard: Option<symguard::drift::Shard>,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// How long one attempt of an AWS call may take; a slower one is retried, up to 5
    /// attempts in all.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    timeout: std::time::Duration,
    /// How to read IAM: in bulk (iam:GetAccountAuthorizationDetails, a few requests per
    /// account), per group (three requests a group), or auto (bulk for many groups, per
    /// group when bulk is denied) [default: [drift] read, else auto]
    #[arg(long, value_enum, value_name = "MODE")]
    read: Option<symguard::live::aws::bulk::ReadMode>,
}

impl AwsArgs {
    fn live(self, grants: Option<PathBuf>, state: Option<PathBuf>) -> LiveOptions {
        LiveOptions {
            connection: Connection {
                profile: self.profile,
                region: self.region,
                endpoint_url: self.endpoint_url,
                assume_role: self.assume_role,
                role_template: self.role_template,
                concurrency: usize::from(self.concurrency),
                attempt_timeout: self.timeout,
                read: self.read,
            },
            grants,
            state,
            shard: self.shard,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
    /// A summary table, for $GITHUB_STEP_SUMMARY or a comment.
    Markdown,
    /// JUnit XML, for CI test reports.
    Junit,
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
            let rules: Vec<&str> = symguard::drift::CATALOGUE.iter().map(|r| r.name).collect();
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
                Some(path) => symguard::saved_plan(path, &options),
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
            for rule in all {
                println!(
                    "{:width$}  {:7}  {}",
                    rule.name,
                    rule.severity.as_str(),
                    rule.summary
                );
            }
            ExitCode::SUCCESS
        }
        Command::Explain { rule } => {
            let doc = symguard::catalogue()
                .into_iter()
                .find(|r| r.name == rule)
                .map(|r| r.doc);
            match doc {
                Some(doc) => {
                    print!("{doc}");
                    ExitCode::SUCCESS
                }
                None => fail(&format!(
                    "no rule named `{rule}`; `symguard rules` lists them"
                )),
            }
        }
    }
}

impl InputArgs {
    fn options(self, matches: Option<&clap::ArgMatches>) -> CheckOptions {
        let paths = if self.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            self.paths
        };
        CheckOptions {
            paths,
            config: self.config,
            vars: in_command_line_order(matches, self.vars, self.var_files),
            env: std::env::vars()
                .filter_map(|(k, v)| Some((k.strip_prefix("TF_VAR_")?.to_string(), v)))
                .collect(),
            plan: None,
            no_ignore: self.no_ignore,
            policies: Vec::new(),
        }
    }
}

/// `remediate`, once the plan is known.
struct Remediate {
    remediation: symguard::Remediation,
    limit: usize,
    connection: Connection,
    audit_log: Option<PathBuf>,
    yes: bool,
}

impl Remediate {
    /// Prints the plan and the findings behind it; exits as `drift` would on them.
    fn dry_run(self, args: &ReportArgs) -> ExitCode {
        let Remediate {
            remediation, limit, ..
        } = self;
        let symguard::Remediation { report, plan, .. } = remediation;
        let human = || {
            let mut out = human::plan(&plan);
            if let Err(refusal) = plan.check_limit(limit) {
                out += &format!("--apply would be refused: {refusal}\n");
            }
            out + "dry run: nothing was changed; run again with --apply to carry the plan out\n"
        };
        let json = || {
            json::render_remediation(
                &report.findings,
                report.files,
                report.resources,
                &plan,
                None,
            )
        };
        let text = args.render(&report, symguard::REMEDIATE_RULES, human, json);
        if let Err(code) = args.emit(&text, &report) {
            return code;
        }
        exit_for(&report.findings, args)
    }

    /// Carries the plan out, after the limit and the confirmation.
    fn apply(self, args: &ReportArgs) -> ExitCode {
        let plan = &self.remediation.plan;
        if let Err(refusal) = plan.check_limit(self.limit) {
            eprintln!("refused: {refusal}");
            return ExitCode::from(EXIT_FINDINGS);
        }
        let r = &self.remediation.report;
        if plan.removals.is_empty() {
            let human = || "symguard remediate: nothing to remove\n".to_string();
            let json =
                || json::render_remediation(&r.findings, r.files, r.resources, plan, Some(&[]));
            let text = args.render(r, symguard::REMEDIATE_RULES, human, json);
            return match args.emit(&text, r) {
                Ok(()) => ExitCode::SUCCESS,
                Err(code) => code,
            };
        }
        if !self.yes {
            match confirm(plan) {
                Ok(true) => {}
                Ok(false) => {
                    eprintln!("nothing was removed");
                    return ExitCode::from(EXIT_FINDINGS);
                }
                Err(message) => return fail(&message),
            }
        }
        let mut audit = match remediate::apply::AuditLog::open(self.audit_log.as_deref()) {
            Ok(audit) => audit,
            Err(e) => return fail(&e),
        };
        let applied = match symguard::apply_plan(plan, &self.connection, &mut audit) {
            Ok(applied) => applied,
            Err(symguard::ApplyError::Refused(refusal)) => {
                eprintln!("refused: {refusal}");
                return ExitCode::from(EXIT_FINDINGS);
            }
            Err(symguard::ApplyError::Run(e)) => return fail(&e.to_string()),
        };
        let human = || human::plan(plan) + &human::applied(&applied);
        let json =
            || json::render_remediation(&r.findings, r.files, r.resources, plan, Some(&applied));
        let text = args.render(r, symguard::REMEDIATE_RULES, human, json);
        if let Err(code) = args.emit(&text, r) {
            return code;
        }
        let failed = applied
            .iter()
            .any(|a| matches!(a.outcome, remediate::apply::Outcome::Failed(_)));
        ExitCode::from(if failed { EXIT_FINDINGS } else { 0 })
    }
}

/// `symguard policy test`: PASS/FAIL per test, then the totals; exit 1 when one fails.
fn policy_test(dirs: &[PathBuf]) -> ExitCode {
    let dirs = if dirs.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        dirs.to_vec()
    };
    let policies = match symguard::policy::Policies::load(&dirs) {
        Ok(policies) => policies,
        Err(e) => return fail(&e),
    };
    let results = policies.test();
    if results.is_empty() {
        return fail("no test_* rules found in the policies");
    }
    let mut out = String::new();
    let mut failed = 0;
    for result in &results {
        match &result.failure {
            None => out += &format!("{}: {}: PASS\n", result.file, result.rule),
            Some(why) => {
                failed += 1;
                out += &format!("{}: {}: FAIL ({why})\n", result.file, result.rule);
            }
        }
    }
    out += &format!(
        "{}: {}/{} passed\n",
        if failed == 0 { "PASS" } else { "FAIL" },
        results.len() - failed,
        results.len()
    );
    if let Err(code) = print(&out) {
        return code;
    }
    ExitCode::from(if failed == 0 { 0 } else { EXIT_FINDINGS })
}

/// Asks on the terminal before removing anyone; without a terminal, `--yes` is required.
fn confirm(plan: &symguard::remediate::Plan) -> Result<bool, String> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err("--apply without a terminal needs --yes; nobody was removed".into());
    }
    eprint!(
        "Remove {} from IAM groups in account {}? Type `yes` to continue: ",
        if plan.removals.len() == 1 {
            "1 member".to_string()
        } else {
            format!("{} members", plan.removals.len())
        },
        plan.account
    );
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(answer.trim() == "yes")
}

/// Prints the report and turns the findings into the exit code. `rules`: the rules the
/// command ran; `changed_since`: report only findings in files changed since that revision.
fn finish(
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
    fn render(
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
    fn emit(&self, text: &str, report: &CheckReport) -> Result<(), ExitCode> {
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
fn print(output: &str) -> Result<(), ExitCode> {
    match std::io::stdout().lock().write_all(output.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(fail(&format!("cannot write the report: {e}")))
        }
        _ => Ok(()),
    }
}

/// 1 when a finding reaches `--fail-on`, else 0.
fn exit_for(findings: &[symguard::finding::Finding], args: &ReportArgs) -> ExitCode {
    let failed = args
        .fail_on
        .threshold()
        .is_some_and(|t| findings.iter().any(|f| f.severity >= t));
    ExitCode::from(if failed { EXIT_FINDINGS } else { 0 })
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
