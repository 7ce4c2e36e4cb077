//! symguard: policy-as-code validation for Sym's AWS IAM access configuration.
//!
//! The pipeline reads like the product: load -> evaluate -> model -> rules -> report.

pub mod config;
pub mod duration;
pub mod eval;
pub mod finding;
pub mod load;
pub mod model;
pub mod provider;
pub mod report;
pub mod rules;
pub mod source;

use config::{ConfigError, ConfigResolver};
use finding::Finding;
use load::LoadError;
use rayon::prelude::*;
use std::fmt;
use std::path::PathBuf;

pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    /// `--config FILE`; otherwise each module uses its nearest `symguard.toml`.
    pub config: Option<PathBuf>,
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Load(e) => e.fmt(f),
            Error::Config(e) => e.fmt(f),
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

/// `symguard check`: every Terraform module under the paths, each evaluated and checked in
/// parallel.
pub fn check(options: &CheckOptions) -> Result<CheckReport, Error> {
    let modules = load::load(&options.paths)?;
    let mut resolver = ConfigResolver::new(options.config.as_deref())?;
    let configs = modules
        .iter()
        .map(|m| resolver.for_dir(&m.dir))
        .collect::<Result<Vec<_>, _>>()?;
    let results: Vec<(Vec<Finding>, usize)> = modules
        .par_iter()
        .zip(configs)
        .map(|(module, config)| {
            let model = model::Model::build(module);
            let resources = model.resources.iter().map(|r| r.instances.len()).sum();
            (rules::run(&model, &config), resources)
        })
        .collect();
    let files = modules.iter().map(|m| m.all_files().count()).sum();
    let resources = results.iter().map(|(_, n)| n).sum();
    let mut findings: Vec<Finding> = results.into_iter().flat_map(|(f, _)| f).collect();
    findings.sort_by_cached_key(Finding::sort_key);
    Ok(CheckReport {
        findings,
        files,
        resources,
    })
}
