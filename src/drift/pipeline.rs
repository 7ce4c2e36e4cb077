//! `symguard drift`: the declared groups' models -> the live state (read from AWS, or a
//! snapshot) -> compare -> suppressions -> report. Remediation and the snapshot read the same
//! inputs.

use crate::check::{inputs, suppressed, CheckOptions, CheckReport};
use crate::config::{self, ConfigResolver};
use crate::drift::{self};
use crate::error::Error;
use crate::finding::{self, Finding};
use crate::live::read::read_accounts;
use crate::{live, load, model};
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

/// One thread is enough: the work is waiting on IAM, bounded by `--concurrency`.
pub(crate) fn async_runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Input(format!("cannot start the async runtime: {e}")))
}

/// Reads the live state `plan` needs from AWS.
pub(crate) fn read_live(
    plan: &live::ReadPlan,
    connection: &live::aws::Connection,
) -> Result<live::LiveState, Error> {
    async_runtime()?
        .block_on(read_accounts(plan, connection))
        .map_err(Error::Live)
}

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
            None => read_live(&plan, &live_options.connection)?,
        };
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
