//! Carrying out a plan: one removal at a time, each after re-reading the group and the
//! membership events since the plan was made, each written to the audit log before and
//! after its call.
//!
//! Sequential on purpose: a plan is at most `--max-removals` long, and one call at a time
//! makes the audit log an exact account of what happened, even when the run is killed.

use super::{Cause, Plan, Removal};
use crate::live::aws::{RemovalResult, Session};
use crate::membership::{Change, TrailSource};
use serde::Serialize;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// What happened to one removal.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "error")]
pub enum Outcome {
    Removed,
    /// The user was no longer a member (or the group is gone): nothing to do.
    AlreadyAbsent,
    /// Someone (Sym, most often: the user asked again) added the user to the group since
    /// the plan was made: the plan no longer describes the group, so the member stays.
    AddedAgain,
    Failed(String),
}

/// A removal and what happened to it: the run's result, in plan order.
#[derive(Serialize, Debug, Clone)]
pub struct Applied {
    pub account: String,
    pub group: String,
    pub user: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// One line of the audit log (JSON lines).
#[derive(Serialize)]
struct AuditRecord<'a> {
    time: String,
    account: &'a str,
    group: &'a str,
    user: &'a str,
    finding: &'a Cause,
    /// `started` before the calls for a removal (a log that ends there says the removal
    /// may have happened), then `removed`, `already_absent` or `failed` with `error`.
    outcome: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// For `added_again`: the addition that stopped the removal.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

impl Outcome {
    fn name(&self) -> &'static str {
        match self {
            Outcome::Removed => "removed",
            Outcome::AlreadyAbsent => "already_absent",
            Outcome::AddedAgain => "added_again",
            Outcome::Failed(_) => "failed",
        }
    }
}

/// `--audit-log FILE`: appended to, one line per event, written through at once so that
/// an interrupted run leaves an exact record.
pub struct AuditLog {
    file: Option<File>,
}

impl AuditLog {
    pub fn open(path: Option<&Path>) -> Result<AuditLog, String> {
        let file = path
            .map(|p| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| format!("{}: cannot open the audit log: {e}", p.display()))
            })
            .transpose()?;
        Ok(AuditLog { file })
    }

    fn record(
        &mut self,
        removal: &Removal,
        outcome: &str,
        error: Option<&str>,
        detail: Option<&str>,
    ) -> Result<(), String> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        let record = AuditRecord {
            time: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            account: &removal.account,
            group: &removal.group,
            user: &removal.user,
            finding: &removal.finding,
            outcome,
            error,
            detail,
        };
        let mut line = serde_json::to_string(&record).map_err(|e| e.to_string())?;
        line.push('\n');
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| format!("cannot write the audit log: {e}"))
    }
}

/// How long CloudTrail may take to show a call: an addition this long before the plan was
/// made may have been missing from what the plan was made from.
pub const DELIVERY_ALLOWANCE: Duration = Duration::from_secs(15 * 60);

/// Carries out every removal of the plan with the session of its account, and returns
/// each one's outcome. Membership events are re-read from `recheck` before each removal
/// (not with `off`). A failed removal is recorded and the rest go on; only a failure to
/// write the audit log stops the run, since removing without a record is not allowed.
pub async fn apply(
    plan: &Plan,
    sessions: &HashMap<String, Session>,
    recheck: &TrailSource,
    audit: &mut AuditLog,
) -> Result<Vec<Applied>, String> {
    let made = humantime::parse_rfc3339_weak(&plan.created_at)
        .map_err(|_| format!("the plan's created_at `{}` is not a time", plan.created_at))?;
    let since = made - DELIVERY_ALLOWANCE;
    let mut applied = Vec::new();
    for removal in &plan.removals {
        let (outcome, detail) = match sessions.get(&removal.account) {
            Some(session) => {
                audit.record(removal, "started", None, None)?;
                remove(session, removal, recheck, since).await
            }
            None => (
                Outcome::Failed(format!(
                    "no credentials for account {}; pass --role-template to reach it",
                    removal.account
                )),
                None,
            ),
        };
        let error = match &outcome {
            Outcome::Failed(error) => Some(error.as_str()),
            _ => None,
        };
        audit.record(removal, outcome.name(), error, detail.as_deref())?;
        applied.push(Applied {
            account: removal.account.clone(),
            group: removal.group.clone(),
            user: removal.user.clone(),
            outcome,
        });
    }
    Ok(applied)
}

/// One removal, after checking the user is still a member and was not added again since
/// `since`; the outcome, and for `added_again` the addition that stopped it.
async fn remove(
    session: &Session,
    removal: &Removal,
    recheck: &TrailSource,
    since: SystemTime,
) -> (Outcome, Option<String>) {
    match session.is_member(&removal.group, &removal.user).await {
        Ok(false) => return (Outcome::AlreadyAbsent, None),
        Ok(true) => {}
        Err(e) => return (Outcome::Failed(e.to_string()), None),
    }
    let history = match session.membership_of(recheck, &removal.group, since).await {
        Ok(history) => history,
        Err(e) => return (Outcome::Failed(e.to_string()), None),
    };
    let again = history
        .iter()
        .flat_map(|h| h.events.iter())
        .rev()
        .find(|e| {
            e.change == Change::Added
                && e.group.eq_ignore_ascii_case(&removal.group)
                && e.user.eq_ignore_ascii_case(&removal.user)
                && Some(&e.id) != removal.known_event.as_ref()
        });
    if let Some(event) = again {
        let detail = format!(
            "added again at {} by {} (CloudTrail event {})",
            event.time,
            crate::rules::drift::provenance::actor_phrase(&event.actor),
            event.id
        );
        return (Outcome::AddedAgain, Some(detail));
    }
    match session.remove_member(&removal.group, &removal.user).await {
        Ok(RemovalResult::Removed) => (Outcome::Removed, None),
        Ok(RemovalResult::AlreadyAbsent) => (Outcome::AlreadyAbsent, None),
        Err(e) => (Outcome::Failed(e.to_string()), None),
    }
}
