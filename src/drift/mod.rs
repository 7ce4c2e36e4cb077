//! `symguard drift`: the declared groups' models -> the live state (read from AWS, or a
//! snapshot) -> compare (the drift rules, `rules::drift`) -> suppressions -> report.
//! Remediation and the snapshot read the same inputs.

use crate::check::{inputs, suppressed, CheckOptions, CheckReport};
use crate::config;
use crate::error::Error;
use crate::finding::{self, Finding};
use crate::live::read::read_accounts;
use crate::rules::drift;
use crate::{duration, live, load, model};
use std::path::PathBuf;

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
pub(crate) fn models<'w>(
    workspace: &'w load::Workspace,
    options: &CheckOptions,
) -> Result<Vec<(model::Model<'w>, std::sync::Arc<config::Config>)>, Error> {
    let inputs = inputs(options)?;
    let mut resolver = crate::check::config_resolver(options)?;
    workspace
        .roots()
        .into_iter()
        .map(|root| {
            let config = resolver.for_dir(&workspace.modules[root].dir)?;
            let model = model::Model::build(workspace, root, &inputs);
            if let Some(error) = model.input_errors.first() {
                return Err(Error::Input(error.clone()));
            }
            Ok((model, config))
        })
        .collect()
}

/// One thread is enough: the work is waiting on IAM, bounded by `--concurrency`.
pub(crate) fn async_runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Input(format!("cannot start the async runtime: {e}")))
}

/// Reads the live state `plan` needs from AWS, with the membership history of the
/// declared groups, as the command line and the roots' configurations say.
pub(crate) fn read_live(
    plan: &live::ReadPlan,
    live_options: &LiveOptions,
    models: &[(model::Model<'_>, std::sync::Arc<config::Config>)],
) -> Result<live::LiveState, Error> {
    let connection = configured_connection(live_options, models)?;
    let history = history_window(&connection, plan, models, std::time::SystemTime::now());
    async_runtime()?
        .block_on(read_accounts(plan, &connection, &history))
        .map_err(Error::Live)
}

/// The connection with the choices the command line left open taken from the roots'
/// configurations (`[drift] read`, `cloudtrail`, `lookback`), which must agree.
pub(crate) fn configured_connection(
    live_options: &LiveOptions,
    models: &[(model::Model<'_>, std::sync::Arc<config::Config>)],
) -> Result<live::aws::Connection, Error> {
    let configs: Vec<&config::Config> = models.iter().map(|(_, c)| &**c).collect();
    let mut connection = live_options.connection.clone();
    if connection.read.is_none() {
        connection.read = agreed(&configs, "read", |c| c.drift_read, ToString::to_string)?;
    }
    if connection.cloudtrail.is_none() {
        connection.cloudtrail = agreed(
            &configs,
            "cloudtrail",
            |c| c.drift_cloudtrail.clone(),
            ToString::to_string,
        )?;
    }
    if connection.lookback.is_none() {
        connection.lookback = agreed(
            &configs,
            "lookback",
            |c| c.drift_lookback,
            |s| duration::format(*s),
        )?
        .map(std::time::Duration::from_secs);
    }
    Ok(connection)
}

/// The one value of `[drift] KEY` that the configurations setting it agree on.
fn agreed<T: PartialEq>(
    configs: &[&config::Config],
    key: &str,
    value: impl Fn(&config::Config) -> Option<T>,
    show: impl Fn(&T) -> String,
) -> Result<Option<T>, Error> {
    let mut chosen: Option<(T, &config::Config)> = None;
    for config in configs {
        let Some(this) = value(config) else {
            continue;
        };
        match &chosen {
            Some((other, by)) if *other != this => {
                let name = |c: &config::Config| {
                    c.path
                        .as_ref()
                        .map_or_else(String::new, |p| p.display().to_string())
                };
                return Err(Error::Input(format!(
                    "{} sets [drift] {key} = \"{}\" but {} sets \"{}\"; make them agree or choose with --{key}",
                    name(by),
                    show(other),
                    name(config),
                    show(&this),
                )));
            }
            Some(_) => {}
            None => chosen = Some((this, config)),
        }
    }
    Ok(chosen.map(|(value, _)| value))
}

/// The membership history to read: the source, and a window as long as `--lookback`
/// (90 days by default) and never shorter than the longest access a flow grants plus the
/// longest `[drift] grace`, so every grant that may still be active is seen.
fn history_window(
    connection: &live::aws::Connection,
    plan: &live::ReadPlan,
    models: &[(model::Model<'_>, std::sync::Arc<config::Config>)],
    now: std::time::SystemTime,
) -> crate::membership::HistoryWindow {
    let grace = models
        .iter()
        .map(|(_, c)| drift::provenance::grace(c))
        .max()
        .unwrap_or(drift::provenance::DEFAULT_GRACE);
    let lookback = connection.lookback.unwrap_or(DEFAULT_LOOKBACK);
    let needed = plan.longest_access.map_or(grace, |longest| longest + grace);
    crate::membership::HistoryWindow {
        source: connection.cloudtrail.clone().unwrap_or_default(),
        since: now - lookback.max(needed),
    }
}

/// How far back provenance is read without `--lookback`: all of CloudTrail's event history.
pub const DEFAULT_LOOKBACK: std::time::Duration = std::time::Duration::from_secs(90 * 86_400);

/// What drift compares: every root's model with its configuration, the active grants and
/// the live state (read from AWS, or a snapshot).
pub(crate) struct DriftInputs<'w> {
    pub(crate) models: Vec<(model::Model<'w>, std::sync::Arc<config::Config>)>,
    pub(crate) grants: Vec<drift::Grant>,
    pub(crate) state: live::LiveState,
    pub(crate) now: std::time::SystemTime,
    pub(crate) shard: Option<drift::Shard>,
}

impl<'w> DriftInputs<'w> {
    pub(crate) fn read(
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
            None => read_live(&plan, live_options, &models)?,
        };
        drift::provenance::check_times(&state).map_err(|e| {
            let source = match &live_options.state {
                Some(path) => path.display().to_string(),
                None => "the membership events read".into(),
            };
            Error::Input(format!("{source}: {e}"))
        })?;
        Ok(DriftInputs {
            models,
            grants,
            state,
            now: std::time::SystemTime::now(),
            shard: live_options.shard,
        })
    }

    pub(crate) fn contexts(&self) -> impl Iterator<Item = drift::DriftContext<'_>> {
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

    pub(crate) fn report(
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
                .map(crate::load::ModuleDir::file_count)
                .sum(),
            resources: self
                .models
                .iter()
                .map(|(m, _)| m.resources.iter().map(|r| r.instances.len()).sum::<usize>())
                .sum(),
            findings,
            unreadable: Vec::new(),
            drift: Some(drift::provenance::evidence(&self.state, self.contexts())),
        })
    }
}

/// `symguard drift`: the declared groups against live IAM (or a snapshot of it).
pub fn drift(options: &CheckOptions, live_options: &LiveOptions) -> Result<CheckReport, Error> {
    let workspace = crate::check::load_workspace(options)?;
    let inputs = DriftInputs::read(&workspace, options, live_options)?;
    // A file that did not parse, or is not read, is reported here too: drift compared
    // what the other files declare.
    let unread = inputs.models.iter().flat_map(|(model, config)| {
        crate::rules::run_only(crate::rules::FILE_RULES, model, config)
    });
    let findings = inputs
        .contexts()
        .flat_map(|cx| drift::run(&cx))
        .chain(unread)
        .collect();
    let ran: Vec<&str> = (drift::CATALOGUE.iter().map(|r| r.name))
        .chain(crate::rules::FILE_RULES.iter().map(|r| r.name))
        .collect();
    inputs.report(&workspace, findings, options, &ran)
}
