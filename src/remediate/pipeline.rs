//! `symguard remediate`: drift's inputs -> the removals -> a plan (computed or saved) ->
//! apply it through the accounts' sessions.

use crate::check::{config_beside, CheckOptions, CheckReport};
use crate::drift::{async_runtime, configured_connection, DriftInputs, LiveOptions};
use crate::error::Error;
use crate::membership::TrailSource;
use crate::{live, load, remediate};

/// The rule whose findings remediation acts on.
pub const REMEDIATE_RULES: &[&str] = &["drift-unexpected-member", "drift-overdue-grant"];

/// A remediation before it is carried out.
pub struct Remediation {
    /// The findings behind the plan.
    pub report: CheckReport,
    pub plan: remediate::Plan,
    /// The smallest `[remediate] max_removals` of the configurations that apply.
    pub max_removals: Option<usize>,
    /// Where the membership events are re-read before each removal.
    pub recheck: TrailSource,
}

/// `symguard remediate` without `--plan`: the removals that bring every declared group
/// back to its allowed members, and the findings behind them.
pub fn remediation_plan(
    options: &CheckOptions,
    live_options: &LiveOptions,
) -> Result<Remediation, Error> {
    let workspace = crate::check::load_workspace(options)?;
    read_whole(&workspace)?;
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
        recheck: configured_connection(live_options, &inputs.models)?
            .cloudtrail
            .unwrap_or_default(),
        report,
        plan,
    })
}

/// Remediation removes access only on a configuration read whole: a flow in a file that
/// did not parse could make an active Sym grant look overdue.
fn read_whole(workspace: &load::Workspace) -> Result<(), Error> {
    match workspace.modules.iter().find_map(load::ModuleDir::first_not_read) {
        Some(what) => Err(Error::Input(format!(
            "{what}; remediate removes access only when it has read the whole configuration, and nobody was removed"
        ))),
        None => Ok(()),
    }
}

/// `symguard remediate --plan FILE`: a saved plan, with the configuration of `--config` or
/// the `symguard.toml` nearest to the file; its membership events are re-read from
/// `--cloudtrail`, else that configuration's `[drift] cloudtrail`, else `lookup`.
pub fn saved_plan(
    path: &std::path::Path,
    options: &CheckOptions,
    live_options: &LiveOptions,
) -> Result<Remediation, Error> {
    let plan = remediate::Plan::read(path).map_err(Error::Input)?;
    let config = config_beside(path, options)?;
    Ok(Remediation {
        report: CheckReport {
            findings: Vec::new(),
            files: 0,
            resources: 0,
            unreadable: Vec::new(),
            drift: None,
        },
        plan,
        max_removals: config.max_removals,
        recheck: live_options
            .connection
            .cloudtrail
            .clone()
            .or_else(|| config.drift_cloudtrail.clone())
            .unwrap_or_default(),
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
    remediation: &Remediation,
    connection: &live::aws::Connection,
    audit: &mut remediate::apply::AuditLog,
) -> Result<Vec<remediate::apply::Applied>, ApplyError> {
    use live::aws::Session;
    let plan = &remediation.plan;
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
        remediate::apply::apply(plan, &sessions, &remediation.recheck, audit)
            .await
            .map_err(|e| ApplyError::Run(Error::Input(e)))
    })
}
