//! `symguard check`: load -> evaluate -> model -> rules (and Rego policies) -> suppressions
//! -> report, over every root module under the paths or over a Terraform plan.

mod inputs;
mod policies;

use inputs::secrets_of;
pub(crate) use inputs::{config_beside, inputs};
pub use policies::model_documents;
use policies::{load_policies, policy_input};

use crate::config::{self, ConfigResolver};
use crate::error::Error;
use crate::finding::{self, Finding};
use crate::load::{self, LoadError};
use crate::{model, plan, rules, suppress};
use rayon::prelude::*;
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
    /// `--no-ignore`: report what suppression comments would silence.
    pub no_ignore: bool,
    /// `--policy DIR`: Rego policies, besides those the configurations name.
    pub policies: Vec<PathBuf>,
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
            no_ignore: false,
            policies: Vec::new(),
        }
    }
}

pub struct CheckReport {
    /// Sorted by file, line, column, rule.
    pub findings: Vec<Finding>,
    pub files: usize,
    pub resources: usize,
    /// What could not be read: reported after the findings, and the run exits with 2.
    pub unreadable: Vec<LoadError>,
    /// `drift` and `remediate`: whose provenance was read, and the expected members.
    pub drift: Option<crate::finding::Evidence>,
}

/// Applies the suppression comments of every file in the workspace (unless `--no-ignore`),
/// and the configured severities to the findings about suppressions. `ran`: the rules the
/// command ran, the only ones whose suppressions can be found unused.
pub(crate) fn suppressed(
    workspace: &load::Workspace,
    findings: Vec<Finding>,
    options: &CheckOptions,
    ran: &[&str],
) -> Result<Vec<Finding>, Error> {
    if options.no_ignore {
        return Ok(findings);
    }
    let suppressions: Vec<&suppress::Suppression> = workspace
        .modules
        .iter()
        .flat_map(|m| &m.suppressions)
        .collect();
    let (about_suppressions, mut out): (Vec<Finding>, Vec<Finding>) = suppress::apply(
        findings,
        &suppressions,
        ran,
        &crate::catalogue::rule_names(),
        std::time::SystemTime::now(),
    )
    .into_iter()
    .partition(|f| f.rule == suppress::REASON_RULE || f.rule == suppress::UNUSED_RULE);
    let mut resolver = config_resolver(options)?;
    for finding in about_suppressions {
        let dir = finding
            .loc
            .file
            .path
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .to_path_buf();
        let config = resolver.for_dir(&dir)?;
        let rule = finding.rule.clone();
        config.run_rule(&rule, &mut out, |out| out.push(finding));
    }
    Ok(out)
}

/// `symguard check`: every root module under the paths (with the modules it calls),
/// evaluated and checked in parallel.
pub fn check(options: &CheckOptions) -> Result<CheckReport, Error> {
    if let Some(path) = &options.plan {
        return check_plan(path, options);
    }
    workers().install(|| check_paths(options))
}

/// The workspace `drift`, `remediate`, `snapshot` and `model` act on: every file read, and
/// the computed module sources followed that resolve with the run's inputs.
pub(crate) fn load_workspace(options: &CheckOptions) -> Result<load::Workspace, Error> {
    let mut workspace = load::load(&options.paths)?;
    model::follow_computed_sources(&mut workspace, &inputs(options)?);
    Ok(workspace.complete()?)
}

/// The threads that load and check in parallel. Their stacks are 64 MiB (reserved, not
/// used) instead of rayon's 2 MiB, so the evaluator's reference depth limit, not the stack,
/// ends a long chain of references: 200 levels took more than 2 MiB in a debug build.
fn workers() -> &'static rayon::ThreadPool {
    static WORKERS: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    WORKERS.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(64 << 20)
            .thread_name(|i| format!("symguard-{i}"))
            .build()
            .expect("threads can be started")
    })
}

/// Checks the roots under the paths in two passes, so that memory stays bounded by the
/// directories in flight rather than the whole tree: a directory that calls no local module
/// is checked as a root as soon as it is parsed, and its files freed; when a module call
/// turns out to name it after all, that result is dropped and it is read again. The
/// directories with local calls are checked once everything is loaded.
fn check_paths(options: &CheckOptions) -> Result<CheckReport, Error> {
    let inputs = inputs(options)?;
    let discovered = load::discover(&options.paths)?;
    let mut resolver = config_resolver(options)?;
    let configs: foldhash::HashMap<_, _> = discovered
        .dirs
        .keys()
        .cloned()
        .zip(resolver.for_dirs(discovered.dirs.keys().map(PathBuf::as_path))?)
        .collect();
    let policies = load_policies(options, configs.values())?;
    let check_root = |workspace: &load::Workspace, root: usize, config: &config::Config| {
        let model = model::Model::build(workspace, root, &inputs);
        if let Some(error) = model.input_errors.first() {
            return Err(Error::Input(error.clone()));
        }
        let resources: usize = model.resources.iter().map(|r| r.instances.len()).sum();
        let mut findings = rules::run(&model, config);
        if let Some(policies) = &policies {
            let input = policy_input(&model, &workspace.modules[root].display, config);
            findings.extend(policies.evaluate(&model, &input));
        }
        let secrets = secrets_of(&model.dirs, &inputs);
        findings.iter_mut().for_each(|f| secrets.redact_finding(f));
        Ok((findings, resources))
    };
    let (mut workspace, mut results) = load::load_visiting(discovered, |module| {
        let Some(config) = configs.get(&module.dir) else {
            return (module, None);
        };
        let alone = load::Workspace {
            modules: vec![module],
            unreadable: Vec::new(),
        };
        let result = check_root(&alone, 0, config);
        let mut module = alone
            .modules
            .into_iter()
            .next()
            .expect("the module just put in");
        module.release();
        (module, Some(result))
    });
    model::follow_computed_sources(&mut workspace, &inputs);
    results.resize_with(workspace.modules.len(), || None);
    // A directory checked (and released) as a root is reloaded when a call names it.
    for called in workspace.called_modules() {
        if results[called].take().is_some() {
            workspace.reload(called);
        }
    }
    let rest: Vec<usize> = workspace
        .roots()
        .into_iter()
        .filter(|&root| results[root].is_none())
        .collect();
    let rest_configs = rest
        .iter()
        .map(|&root| resolver.for_dir(&workspace.modules[root].dir))
        .collect::<Result<Vec<_>, _>>()?;
    let checked: Vec<Result<(Vec<Finding>, usize), Error>> = rest
        .par_iter()
        .zip(rest_configs)
        .map(|(&root, config)| check_root(&workspace, root, &config))
        .collect();
    let results: Vec<(Vec<Finding>, usize)> = results
        .into_iter()
        .flatten()
        .chain(checked)
        .collect::<Result<_, _>>()?;
    let files = workspace
        .modules
        .iter()
        .map(load::ModuleDir::file_count)
        .sum();
    let resources = results.iter().map(|(_, n)| n).sum();
    let findings: Vec<Finding> = results.into_iter().flat_map(|(f, _)| f).collect();
    let ran: Vec<&str> = rules::CATALOGUE.iter().map(|r| r.name).collect();
    let mut findings = suppressed(&workspace, findings, options, &ran)?;
    finding::sort_and_dedup(&mut findings);
    let load::Workspace {
        modules,
        unreadable,
    } = workspace;
    // What is left (the directories with local calls, and those no root reached) is freed
    // by a worker while the report is written; the process may exit before it is done.
    workers().spawn(move || drop(modules));
    Ok(CheckReport {
        findings,
        files,
        resources,
        unreadable,
        drift: None,
    })
}

/// `symguard check --plan FILE`: the same rules over the values of a Terraform plan.
fn check_plan(path: &std::path::Path, options: &CheckOptions) -> Result<CheckReport, Error> {
    let plan = plan::Plan::read(path).map_err(Error::Plan)?;
    let config = config_beside(path, options)?;
    let model = plan.model();
    let mut findings = rules::run(&model, &config);
    if let Some(policies) = load_policies(options, std::slice::from_ref(&config))? {
        let input = policy_input(&model, &path.display().to_string(), &config);
        findings.extend(policies.evaluate(&model, &input));
    }
    finding::sort_and_dedup(&mut findings);
    Ok(CheckReport {
        resources: model.resources.iter().map(|r| r.instances.len()).sum(),
        findings,
        files: 1,
        unreadable: Vec::new(),
        drift: None,
    })
}

/// The configurations for `options`, knowing every rule of the catalogue.
pub(crate) fn config_resolver(options: &CheckOptions) -> Result<ConfigResolver, Error> {
    Ok(ConfigResolver::new(
        options.config.as_deref(),
        crate::catalogue::rule_names(),
    )?)
}
