//! symguard: policy-as-code validation for Sym's AWS IAM access configuration.
//!
//! The pipeline reads like the product: load -> evaluate -> model -> rules -> report.

pub mod baseline;
pub mod changes;
pub mod config;
pub mod drift;
pub mod duration;
pub mod eval;
pub mod finding;
pub mod live;
pub mod load;
pub mod model;
pub mod plan;
pub mod policy;
pub mod provider;
pub mod remediate;
pub mod report;
pub mod rules;
pub mod secrets;
pub mod source;
pub mod suppress;

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
}

/// What users see of a rule, check or drift alike.
#[derive(Clone)]
pub struct RuleInfo {
    pub name: &'static str,
    pub severity: finding::Severity,
    pub summary: &'static str,
    pub doc: &'static str,
}

/// Every rule: the check rules, then the drift rules.
pub fn catalogue() -> Vec<RuleInfo> {
    let check = rules::CATALOGUE.iter().map(|r| RuleInfo {
        name: r.name,
        severity: r.severity,
        summary: r.summary,
        doc: r.doc,
    });
    let drift = drift::CATALOGUE.iter().map(|r| RuleInfo {
        name: r.name,
        severity: r.severity,
        summary: r.summary,
        doc: r.doc,
    });
    let about_suppressions_and_policies = suppress::RULES.iter().chain(policy::RULES).cloned();
    check
        .chain(drift)
        .chain(about_suppressions_and_policies)
        .collect()
}

/// The rule whose findings remediation acts on.
pub const REMEDIATE_RULES: &[&str] = &["drift-unexpected-member"];

/// Applies the suppression comments of every file in the workspace (unless `--no-ignore`),
/// and the configured severities to the findings about suppressions. `ran`: the rules the
/// command ran, the only ones whose suppressions can be found unused.
fn suppressed(
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
    let (about_suppressions, mut out): (Vec<Finding>, Vec<Finding>) =
        suppress::apply(findings, &suppressions, ran, std::time::SystemTime::now())
            .into_iter()
            .partition(|f| f.rule == suppress::REASON_RULE || f.rule == suppress::UNUSED_RULE);
    let mut resolver = ConfigResolver::new(options.config.as_deref())?;
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

/// Where a rule's documentation is published (help links in SARIF and markdown).
pub fn rule_doc_url(name: &str) -> String {
    format!("{}/blob/main/rules/{name}.md", env!("CARGO_PKG_REPOSITORY"))
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
    /// A policy that cannot be loaded.
    Policy(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Load(e) => e.fmt(f),
            Error::Config(e) => e.fmt(f),
            Error::VarFile(message)
            | Error::Plan(message)
            | Error::Input(message)
            | Error::Policy(message) => f.write_str(message),
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
    workers().install(|| check_paths(options))
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
/// is checked as a root as soon as it is parsed, and its trees freed; when a module call
/// turns out to name it after all, that result is dropped and it is read again. The
/// directories with local calls are checked once everything is loaded.
fn check_paths(options: &CheckOptions) -> Result<CheckReport, Error> {
    let inputs = inputs(options)?;
    let discovered = load::discover(&options.paths)?;
    let mut resolver = ConfigResolver::new(options.config.as_deref())?;
    let configs = discovered
        .dirs
        .keys()
        .map(|dir| Ok((dir.clone(), resolver.for_dir(dir)?)))
        .collect::<Result<std::collections::HashMap<_, _>, Error>>()?;
    let policies = load_policies(options, configs.values())?;
    let check_root = |workspace: &load::Workspace, root: usize, config: &config::Config| {
        let model = model::Model::build(workspace, root, &inputs);
        let resources: usize = model.resources.iter().map(|r| r.instances.len()).sum();
        let mut findings = rules::run(&model, config);
        if let Some(policies) = &policies {
            let input = policy_input(&model, &workspace.modules[root].display, config);
            findings.extend(policies.evaluate(&model, &input));
        }
        (findings, resources)
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
        module.release_trees();
        (module, Some(result))
    });
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
    let checked: Vec<(Vec<Finding>, usize)> = rest
        .par_iter()
        .zip(rest_configs)
        .map(|(&root, config)| check_root(&workspace, root, &config))
        .collect();
    let results: Vec<(Vec<Finding>, usize)> =
        results.into_iter().flatten().chain(checked).collect();
    let files = workspace
        .modules
        .iter()
        .map(|m| m.all_files().count())
        .sum();
    let resources = results.iter().map(|(_, n)| n).sum();
    let findings: Vec<Finding> = results.into_iter().flat_map(|(f, _)| f).collect();
    let ran: Vec<&str> = rules::CATALOGUE.iter().map(|r| r.name).collect();
    let mut findings = suppressed(&workspace, findings, options, &ran)?;
    let secrets = secrets_of(&workspace, &inputs);
    findings.iter_mut().for_each(|f| secrets.redact_finding(f));
    finding::sort_and_dedup(&mut findings);
    let load::Workspace {
        modules,
        unreadable,
    } = workspace;
    // What is left (every source, the trees of directories with local calls) is freed by a
    // worker while the report is written; the process may exit before it is done.
    workers().spawn(move || drop(modules));
    Ok(CheckReport {
        findings,
        files,
        resources,
        unreadable,
    })
}

/// The secret values of the configuration and of the values given to its sensitive
/// variables, to scrub from messages (see `secrets`).
fn secrets_of(workspace: &load::Workspace, inputs: &Inputs) -> secrets::Secrets {
    let sensitive: std::collections::BTreeSet<&str> = workspace
        .modules
        .iter()
        .flat_map(|m| m.sensitive_variables.iter().map(String::as_str))
        .collect();
    let mut values: Vec<String> = workspace
        .modules
        .iter()
        .flat_map(|m| m.secret_values.iter().cloned())
        .collect();
    for (name, value) in &inputs.env {
        if sensitive.contains(name.trim_start_matches("TF_VAR_")) {
            values.push(value.clone());
        }
    }
    for arg in &inputs.args {
        match arg {
            VarArg::Assign(name, value) if sensitive.contains(name.as_str()) => {
                values.push(value.clone());
            }
            VarArg::File(file) => {
                if let Ok(body) = &file.body {
                    let names = sensitive.iter().map(|s| s.to_string()).collect();
                    values.extend(secrets::find(body, &names).1);
                }
            }
            VarArg::Assign(..) => {}
        }
    }
    secrets::Secrets::new(values)
}

/// The policies of `--policy` and of the configurations' `[policy] paths`, parsed once;
/// `None` when there are none.
fn load_policies<'c>(
    options: &CheckOptions,
    configs: impl IntoIterator<Item = &'c std::sync::Arc<config::Config>>,
) -> Result<Option<policy::Policies>, Error> {
    let mut paths = options.policies.clone();
    for config in configs {
        paths.extend(policy::config_paths(config));
    }
    if paths.is_empty() {
        return Ok(None);
    }
    policy::Policies::load(&paths)
        .map(Some)
        .map_err(Error::Policy)
}

/// The document a root's policies see: its model, and its configuration's `[policy] params`.
fn policy_input(model: &model::Model, root: &str, config: &config::Config) -> serde_json::Value {
    let mut input = policy::input::document(model, root);
    input["params"] = config.policy_params.clone();
    input
}

/// `symguard model`: the policy input document of every root under the paths.
pub fn model_documents(options: &CheckOptions) -> Result<Vec<serde_json::Value>, Error> {
    let workspace = load::load(&options.paths)?.complete()?;
    let inputs = inputs(options)?;
    let secrets = secrets_of(&workspace, &inputs);
    let mut resolver = ConfigResolver::new(options.config.as_deref())?;
    workspace
        .roots()
        .into_iter()
        .map(|root| {
            let config = resolver.for_dir(&workspace.modules[root].dir)?;
            let model = model::Model::build(&workspace, root, &inputs);
            let mut document = policy_input(&model, &workspace.modules[root].display, &config);
            secrets.redact_json(&mut document);
            Ok(document)
        })
        .collect()
}

/// The configuration for an input file: `--config`, or the `symguard.toml` nearest to it.
fn config_beside(
    path: &std::path::Path,
    options: &CheckOptions,
) -> Result<std::sync::Arc<config::Config>, Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    Ok(ConfigResolver::new(options.config.as_deref())?.for_dir(dir)?)
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
    /// `--shard I/N`: read and compare only this part of the declared groups.
    pub shard: Option<drift::Shard>,
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

/// The connection with `--read`, else the `[drift] read` of the roots' configurations.
fn configured_read(
    live_options: &LiveOptions,
    models: &[(model::Model<'_>, std::sync::Arc<config::Config>)],
) -> Result<live::aws::Connection, Error> {
    let configs = models.iter().map(|(_, config)| &**config);
    live::aws::bulk::configured_read(&live_options.connection, configs).map_err(Error::Input)
}

/// One thread is enough: the work is waiting on IAM, bounded by `--concurrency`.
fn async_runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Input(format!("cannot start the async runtime: {e}")))
}

/// Reads the live state `plan` needs from AWS.
fn read_live(
    plan: &live::ReadPlan,
    connection: &live::aws::Connection,
) -> Result<live::LiveState, Error> {
    async_runtime()?
        .block_on(read_accounts(plan, connection))
        .map_err(Error::Live)
}

/// Reads every account of the plan concurrently, sharing one limit on requests in flight:
/// the credentials' own account, and each other declared account through
/// `--role-template`, or none of them (skipped) without it.
async fn read_accounts(
    plan: &live::ReadPlan,
    connection: &live::aws::Connection,
) -> Result<live::LiveState, live::aws::LiveError> {
    use live::aws::Session;
    let base = Session::connect(connection, connection.assume_role.as_deref()).await?;
    let mut state = live::LiveState {
        version: live::SNAPSHOT_VERSION,
        account: base.account.clone(),
        taken_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        ..live::LiveState::default()
    };
    let mut plans = plan.accounts.clone();
    let own = plans.remove(&None).unwrap_or_default();
    plans
        .entry(Some(base.account.clone()))
        .or_default()
        .merge(own);
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(connection.concurrency.max(1)));
    let progress = progress_bar();
    let mut reads = tokio::task::JoinSet::new();
    let mut base = Some(base);
    for (account, plan) in plans.into_iter().filter_map(|(a, p)| Some((a?, p))) {
        let own = (account == state.account).then(|| base.take()).flatten();
        let (connection, limit, progress) = (connection.clone(), limit.clone(), progress.clone());
        reads.spawn(async move {
            let session = match own {
                Some(session) => Some(session),
                None => Session::connect_account(&connection, &account).await?,
            };
            // No session: another account and no --role-template to reach it.
            let read = match session {
                Some(session) => Some(session.read(&plan, &limit, &progress).await?),
                None => None,
            };
            Ok::<_, live::aws::LiveError>((account, read))
        });
    }
    while let Some(joined) = reads.join_next().await {
        let (account, read) = joined.map_err(|e| live::aws::LiveError::Failed {
            action: "reading IAM",
            detail: e.to_string(),
        })??;
        match read {
            Some(read) => {
                state.accounts.insert(account, read);
            }
            None => {
                state.skipped_accounts.insert(account);
            }
        }
    }
    progress.finish_and_clear();
    Ok(state)
}

/// Counts groups, scopes and roles read. It stays hidden unless stderr is a terminal and
/// the read has taken more than a second, so quick runs and logs show no bar.
fn progress_bar() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    let progress = indicatif::ProgressBar::hidden();
    if std::io::stderr().is_terminal() {
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("reading IAM {wide_bar} {pos}/{len} {elapsed}")
        {
            progress.set_style(style);
        }
        let shown = progress.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            if !shown.is_finished() {
                shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
        });
    }
    progress
}

/// What drift compares: every root's model with its configuration, the active grants and
/// the live state (read from AWS, or a snapshot).
struct DriftInputs<'w> {
    models: Vec<(model::Model<'w>, std::sync::Arc<config::Config>)>,
    grants: Vec<drift::Grant>,
    state: live::LiveState,
    now: std::time::SystemTime,
    shard: Option<drift::Shard>,
}

impl<'w> DriftInputs<'w> {
    fn read(
        workspace: &'w load::Workspace,
        options: &CheckOptions,
        live_options: &LiveOptions,
    ) -> Result<DriftInputs<'w>, Error> {
        let models = models(workspace, options)?;
        let grants = match &live_options.grants {
            Some(path) => drift::read_grants(path).map_err(Error::Input)?,
            None => Vec::new(),
        };
        let only_models: Vec<_> = models.iter().map(|(m, _)| m).collect();
        let plan = drift::read_plan(&only_models, live_options.shard);
        let state = match &live_options.state {
            Some(path) => {
                let state = live::LiveState::read_snapshot(path).map_err(Error::Input)?;
                let shard = live_options.shard.map(|s| s.to_string());
                if state.shard != shard {
                    return Err(Error::Input(format!(
                        "{}: the snapshot was taken with --shard {} but this run has --shard {}; use the same shard for both",
                        path.display(),
                        state.shard.as_deref().unwrap_or("(none)"),
                        shard.as_deref().unwrap_or("(none)"),
                    )));
                }
                state.covers(&plan).map_err(|e| {
                    Error::Input(format!(
                        "{}: {e}; take the snapshot again with this configuration",
                        path.display()
                    ))
                })?;
                state
            }
            None => read_live(&plan, &configured_read(live_options, &models)?)?,
        };
        Ok(DriftInputs {
            models,
            grants,
            state,
            now: std::time::SystemTime::now(),
            shard: live_options.shard,
        })
    }

    fn contexts(&self) -> impl Iterator<Item = drift::DriftContext<'_>> {
        self.models.iter().map(|(model, config)| {
            drift::DriftContext::new(
                model,
                config,
                &self.state,
                &self.grants,
                self.now,
                self.shard,
            )
        })
    }

    fn report(
        &self,
        workspace: &load::Workspace,
        findings: Vec<Finding>,
        options: &CheckOptions,
        ran: &[&str],
    ) -> Result<CheckReport, Error> {
        let mut findings = suppressed(workspace, findings, options, ran)?;
        finding::sort_and_dedup(&mut findings);
        Ok(CheckReport {
            files: workspace
                .modules
                .iter()
                .map(|m| m.all_files().count())
                .sum(),
            resources: self
                .models
                .iter()
                .map(|(m, _)| m.resources.iter().map(|r| r.instances.len()).sum::<usize>())
                .sum(),
            findings,
            unreadable: Vec::new(),
        })
    }
}

/// `symguard drift`: the declared groups against live IAM (or a snapshot of it).
pub fn drift(options: &CheckOptions, live_options: &LiveOptions) -> Result<CheckReport, Error> {
    let workspace = load::load(&options.paths)?.complete()?;
    let inputs = DriftInputs::read(&workspace, options, live_options)?;
    let findings = inputs.contexts().flat_map(|cx| drift::run(&cx)).collect();
    let ran: Vec<&str> = drift::CATALOGUE.iter().map(|r| r.name).collect();
    inputs.report(&workspace, findings, options, &ran)
}

/// A remediation before it is carried out.
pub struct Remediation {
    /// The findings behind the plan.
    pub report: CheckReport,
    pub plan: remediate::Plan,
    /// The smallest `[remediate] max_removals` of the configurations that apply.
    pub max_removals: Option<usize>,
}

/// `symguard remediate` without `--plan`: the removals that bring every declared group
/// back to its allowed members, and the findings behind them.
pub fn remediation_plan(
    options: &CheckOptions,
    live_options: &LiveOptions,
) -> Result<Remediation, Error> {
    let workspace = load::load(&options.paths)?.complete()?;
    let inputs = DriftInputs::read(&workspace, options, live_options)?;
    let mut removals: Vec<remediate::Removal> = Vec::new();
    let mut findings = Vec::new();
    for cx in inputs.contexts() {
        for (removal, finding) in remediate::removals(&cx) {
            // A group declared by two roots is planned once.
            let planned = removals.iter().any(|r| {
                (&r.account, &r.group, &r.user) == (&removal.account, &removal.group, &removal.user)
            });
            if !planned {
                removals.push(removal);
                findings.push(finding);
            }
        }
    }
    let report = inputs.report(&workspace, findings, options, REMEDIATE_RULES)?;
    // A member whose finding a suppression comment silences stays.
    removals.retain(|r| {
        report.findings.iter().any(|f| {
            f.rule == r.finding.rule
                && f.message == r.finding.message
                && f.loc.file.display == r.finding.file
        })
    });
    removals.sort_by(|a, b| (&a.account, &a.group, &a.user).cmp(&(&b.account, &b.group, &b.user)));
    let plan = remediate::Plan {
        version: remediate::PLAN_VERSION,
        account: inputs.state.account.clone(),
        created_at: humantime::format_rfc3339_seconds(inputs.now).to_string(),
        removals,
    };
    Ok(Remediation {
        max_removals: inputs
            .models
            .iter()
            .filter_map(|(_, c)| c.max_removals)
            .min(),
        report,
        plan,
    })
}

/// `symguard remediate --plan FILE`: a saved plan, with the configuration of `--config` or
/// the `symguard.toml` nearest to the file.
pub fn saved_plan(path: &std::path::Path, options: &CheckOptions) -> Result<Remediation, Error> {
    let plan = remediate::Plan::read(path).map_err(Error::Input)?;
    let config = config_beside(path, options)?;
    Ok(Remediation {
        report: CheckReport {
            findings: Vec::new(),
            files: 0,
            resources: 0,
            unreadable: Vec::new(),
        },
        plan,
        max_removals: config.max_removals,
    })
}

/// Why `apply_plan` removed nobody.
#[derive(Debug)]
pub enum ApplyError {
    /// Credentials, connection or audit log: exit code 2.
    Run(Error),
    /// The plan itself was refused: exit code 1.
    Refused(remediate::Refusal),
}

/// Connects to every account of the plan and carries it out. A plan made for another
/// account than the credentials' is refused before anything is removed.
pub fn apply_plan(
    plan: &remediate::Plan,
    connection: &live::aws::Connection,
    audit: &mut remediate::apply::AuditLog,
) -> Result<Vec<remediate::apply::Applied>, ApplyError> {
    use live::aws::Session;
    async_runtime().map_err(ApplyError::Run)?.block_on(async {
        let base = Session::connect(connection, connection.assume_role.as_deref())
            .await
            .map_err(|e| ApplyError::Run(Error::Live(e)))?;
        if base.account != plan.account {
            return Err(ApplyError::Refused(remediate::Refusal::OtherAccount {
                plan: plan.account.clone(),
                credentials: base.account,
            }));
        }
        let mut sessions = std::collections::HashMap::new();
        for removal in &plan.removals {
            if removal.account == base.account || sessions.contains_key(&removal.account) {
                continue;
            }
            let session = Session::connect_account(connection, &removal.account)
                .await
                .map_err(|e| ApplyError::Run(Error::Live(e)))?;
            if let Some(session) = session {
                sessions.insert(removal.account.clone(), session);
            }
        }
        sessions.insert(base.account.clone(), base);
        remediate::apply::apply(plan, &sessions, audit)
            .await
            .map_err(|e| ApplyError::Run(Error::Input(e)))
    })
}

/// `symguard snapshot`: the live state of everything drift reads (of `--shard`'s groups).
pub fn snapshot(
    options: &CheckOptions,
    live_options: &LiveOptions,
) -> Result<live::LiveState, Error> {
    let workspace = load::load(&options.paths)?.complete()?;
    let models = models(&workspace, options)?;
    let only_models: Vec<_> = models.iter().map(|(m, _)| m).collect();
    let plan = drift::read_plan(&only_models, live_options.shard);
    let mut state = read_live(&plan, &configured_read(live_options, &models)?)?;
    state.shard = live_options.shard.map(|s| s.to_string());
    Ok(state)
}
