//! The argument groups several commands share: inputs, report, AWS; and how they become the
//! library's options.

use clap::{Args, ValueEnum};
use std::path::PathBuf;
use symguard::finding::Severity;
use symguard::live::aws::Connection;
use symguard::{CheckOptions, LiveOptions, VarOption};

#[derive(Args)]
pub struct InputArgs {
    /// Directories to check, with every module under them; a file stands for its directory.
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
pub struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit with 1 when a finding reaches this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// When to color the human output (auto: on a terminal, unless NO_COLOR is set).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Write the report to FILE; the terminal gets the one-line summary.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args)]
pub struct AwsArgs {
    /// AWS profile (default: the standard credential chain).
    #[arg(long)]
    profile: Option<String>,
    /// AWS region for signing (IAM is global; default us-east-1).
    #[arg(long)]
    region: Option<String>,
    /// One endpoint for every AWS service drift calls (IAM, STS, CloudTrail, and S3 with
    /// path-style addressing), e.g. http://127.0.0.1:5000.
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
    #[arg(long, value_name = "I/N", value_parser = symguard::rules::drift::Shard::parse)]
    shard: Option<symguard::rules::drift::Shard>,
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
    /// Where to read who added each member: lookup (CloudTrail event history,
    /// cloudtrail:LookupEvents), s3://BUCKET/PREFIX (a trail's log files), or off
    /// [default: [drift] cloudtrail, else lookup]
    #[arg(long, value_name = "SOURCE", env = "SYMGUARD_CLOUDTRAIL")]
    cloudtrail: Option<symguard::membership::TrailSource>,
    /// How far back to read membership events; never shorter than the longest access a
    /// flow grants plus [drift] grace [default: [drift] lookback, else 90d]
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    lookback: Option<std::time::Duration>,
}

impl AwsArgs {
    pub fn live(self, grants: Option<PathBuf>, state: Option<PathBuf>) -> LiveOptions {
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
                cloudtrail: self.cloudtrail,
                lookback: self.lookback,
            },
            grants,
            state,
            shard: self.shard,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
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
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl InputArgs {
    pub fn options(self, matches: Option<&clap::ArgMatches>) -> CheckOptions {
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

fn parse_var(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .filter(|(name, _)| !name.is_empty())
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
