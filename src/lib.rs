//! symguard: policy-as-code validation for Sym's AWS IAM access configuration.
//!
//! The pipeline reads like the product: load -> evaluate -> model -> rules -> report.

pub mod config;
pub mod drift;
pub mod duration;
pub mod eval;
pub mod finding;
pub mod live;
pub mod load;
pub mod model;
pub mod plan;
pub mod provider;
pub mod report;
pub mod rules;
pub mod source;

use config::{ConfigError, ConfigResolver};
use eval::{Inputs, VarArg};
use finding::Finding;
use load::LoadError;
use rayon::prelude::*;
use std::fmt;
use std::path::PathBuf;

pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    /// `--config FILE`; otherwise each module uses its nearest `symguard.toml`.
    pub config: Option<PathBuf>,
    /// `--var-file` and `--var`, in command-line order.
    pub vars: Vec<VarOption>,
    /// `TF_VAR_name` environment variables as (name, value).
    pub env: Vec<(String, String)>,
    /// `--plan FILE`: check the JSON of `terraform show -json PLANFILE` instead of `paths`.
    pub plan: Option<PathBuf>,
}

pub enum VarOption {
    File(PathBuf),
    Assign(String, String),
}

impl CheckOptions {
    pub fn new(paths: Vec<PathBuf>) -> CheckOptions {
        CheckOptions {
            paths,
            config: None,
            vars: Vec::new(),
            env: Vec::new(),
            plan: None,
        }
    }
}

pub struct CheckReport {
    /// Sorted by file, line, column, rule.
    pub findings: Vec<Finding>,
    pub files: usize,
    pub resources: usize,
}

/// A problem that stops the run (exit code 2).
#[derive(Debug)]
pub enum Error {
    Load(LoadError),
    Config(ConfigError),
    VarFile(String),
    Plan(String),
    /// A grants file or snapshot that cannot be used.
    Input(String),
    Live(live::aws::LiveError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Load(e) => e.fmt(f),
            Error::Config(e) => e.fmt(f),
            Error::VarFile(message) | Error::Plan(message) | Error::Input(message) => {
                f.write_str(message)
            }
            Error::Live(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl From<LoadError> for Error {
    fn from(e: LoadError) -> Error {
        Error::Load(e)
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        Error::Config(e)
    }
}

/// Reads `--var-file`s; one that does not parse stops the run, as in Terraform.
fn inputs(options: &CheckOptions) -> Result<Inputs, Error> {
    let mut args = Vec::new();
    for var in &options.vars {
        args.push(match var {
            VarOption::Assign(name, value) => VarArg::Assign(name.clone(), value.clone()),
            VarOption::File(path) => {
                let file = load::parse_file(path)?;
                if let Err(e) = &file.body {
                    let (line, column) = e.loc.start();
                    return Err(Error::VarFile(format!(
                        "{}:{line}:{column}: {}",
                        file.source.display, e.message
                    )));
                }
                VarArg::File(file)
            }
        });
    }
    Ok(Inputs {
        env: options.env.clone(),
        args,
    })
}

/// `symguard check`: every root module under the paths (with the modules it calls),
/// evaluated and checked in parallel.
pub fn check(options: &CheckOptions) -> Result<CheckReport, Error> {
    if let Some(path) = &options.plan {
        return check_plan(path, options);
    }
    let workspace = load::load(&options.paths)?;
    let inputs = inputs(options)?;
    let roots = workspace.roots();
    let mut resolver = ConfigResolver::new(options.config.as_deref())?;
    let configs = roots
        .iter()
        .map(|&root| resolver.for_dir(&workspace.modules[root].dir))
        .collect::<Result<Vec<_>, _>>()?;
    let results: Vec<(Vec<Finding>, usize)> = roots
        .par_iter()
        .zip(configs)
        .map(|(&root, config)| {
            let model = model::Model::build(&workspace, root, &inputs);
            let resources = model.resources.iter().map(|r| r.instances.len()).sum();
            (rules::run(&model, &config), resources)
        })
        .collect();
    let files = workspace
        .modules
        .iter()
        .map(|m| m.all_files().count())
        .sum();
    let resources = results.iter().map(|(_, n)| n).sum();
    let mut findings: Vec<Finding> = results.into_iter().flat_map(|(f, _)| f).collect();
    finding::sort_and_dedup(&mut findings);
    Ok(CheckReport {
        findings,
        files,
        resources,
    })
}

/// `symguard check --plan FILE`: the same rules over the values of a Terraform plan.
fn check_plan(path: &std::path::Path, options: &CheckOptions) -> Result<CheckReport, Error> {
    let plan = plan::Plan::read(path).map_err(Error::Plan)?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let config = ConfigResolver::new(options.config.as_deref())?.for_dir(dir)?;
    let model = plan.model();
    let mut findings = rules::run(&model, &config);
    finding::sort_and_dedup(&mut findings);
    Ok(CheckReport {
        resources: model.resources.iter().map(|r| r.instances.len()).sum(),
        findings,
        files: 1,
    })
}

/// What `drift` and `snapshot` read besides the configuration.
#[derive(Default)]
pub struct LiveOptions {
    pub connection: live::aws::Connection,
    /// `--grants FILE`: the active Sym grants.
    pub grants: Option<PathBuf>,
    /// `--state FILE`: a snapshot to compare with instead of reading AWS.
    pub state: Option<PathBuf>,
}

/// The models of every root under the paths, each with the configuration that applies.
fn models<'w>(
    workspace: &'w load::Workspace,
    options: &CheckOptions,
) -> Result<Vec<(model::Model<'w>, std::sync::Arc<config::Config>)>, Error> {
    let inputs = inputs(options)?;
    let mut resolver = ConfigResolver::new(options.config.as_deref())?;
    workspace
        .roots()
        .into_iter()
        .map(|root| {
            let config = resolver.for_dir(&workspace.modules[root].dir)?;
            Ok((model::Model::build(workspace, root, &inputs), config))
        })
        .collect()
}

/// Reads the live state `plan` needs from AWS.
fn read_live(
    plan: &live::ReadPlan,
    connection: &live::aws::Connection,
) -> Result<live::LiveState, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Input(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(async {
            let session = live::aws::Session::connect(connection).await?;
            session.read(plan, connection.concurrency).await
        })
        .map_err(Error::Live)
}

/// `symguard drift`: the declared groups against live IAM (or a snapshot of it).
pub fn drift(options: &CheckOptions, live_options: &LiveOptions) -> Result<CheckReport, Error> {
    let workspace = load::load(&options.paths)?;
    let models = models(&workspace, options)?;
    let grants = match &live_options.grants {
        Some(path) => drift::read_grants(path).map_err(Error::Input)?,
        None => Vec::new(),
    };
    let state = match &live_options.state {
        Some(path) => live::LiveState::read_snapshot(path).map_err(Error::Input)?,
        None => {
            let only_models: Vec<_> = models.iter().map(|(m, _)| m).collect();
            read_live(&drift::read_plan(&only_models), &live_options.connection)?
        }
    };
    let now = std::time::SystemTime::now();
    let mut findings: Vec<Finding> = models
        .iter()
        .flat_map(|(model, config)| {
            drift::run(&drift::DriftContext::new(
                model, config, &state, &grants, now,
            ))
        })
        .collect();
    finding::sort_and_dedup(&mut findings);
    Ok(CheckReport {
        files: workspace
            .modules
            .iter()
            .map(|m| m.all_files().count())
            .sum(),
        resources: models
            .iter()
            .map(|(m, _)| m.resources.iter().map(|r| r.instances.len()).sum::<usize>())
            .sum(),
        findings,
    })
}

/// `symguard snapshot`: the live state of everything drift reads.
pub fn snapshot(
    options: &CheckOptions,
    connection: &live::aws::Connection,
) -> Result<live::LiveState, Error> {
    let workspace = load::load(&options.paths)?;
    let models = models(&workspace, options)?;
    let only_models: Vec<_> = models.iter().map(|(m, _)| m).collect();
    read_live(&drift::read_plan(&only_models), connection)
}
