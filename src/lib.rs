//! symguard: policy-as-code validation for Sym's AWS IAM access configuration.
//!
//! The pipeline reads like the product: load -> evaluate -> model -> rules -> report.

pub mod config;
pub mod duration;
pub mod eval;
pub mod finding;
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Load(e) => e.fmt(f),
            Error::Config(e) => e.fmt(f),
            Error::VarFile(message) | Error::Plan(message) => f.write_str(message),
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
    findings.sort_by_cached_key(Finding::sort_key);
    // A module called from two roots reports the same defect through each: once is enough.
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key() && a.message == b.message);
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
    findings.sort_by_cached_key(Finding::sort_key);
    Ok(CheckReport {
        resources: model.resources.iter().map(|r| r.instances.len()).sum(),
        findings,
        files: 1,
    })
}
