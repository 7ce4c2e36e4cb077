//! Carrying out a plan: one removal at a time, each after re-reading the group, each
//! written to the audit log before and after its call.
//!
//! Sequential on purpose: a plan is at most `--max-removals` long, and one call at a time
//! makes the audit log an exact account of what happened, even when the run is killed.

use super::{Cause, Plan, Removal};
use crate::live::aws::{RemovalResult, Session};
use serde::Serialize;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;

/// What happened to one removal.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "error")]
pub enum Outcome {
    Removed,
    /// The user was no longer a member (or the group is gone): nothing to do.
    AlreadyAbsent,
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
}

impl Outcome {
    fn name(&self) -> &'static str {
        match self {
            Outcome::Removed => "removed",
            Outcome::AlreadyAbsent => "already_absent",
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
        };
        let mut line = serde_json::to_string(&record).map_err(|e| e.to_string())?;
        line.push('\n');
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| format!("cannot write the audit log: {e}"))
    }
}

/// Carries out every removal of the plan with the session of its account, and returns
/// each one's outcome. A failed removal is recorded and the rest go on; only a failure to
/// write the audit log stops the run, since removing without a record is not allowed.
pub async fn apply(
    plan: &Plan,
    sessions: &HashMap<String, Session>,
    audit: &mut AuditLog,
) -> Result<Vec<Applied>, String> {
    let mut applied = Vec::new();
    for removal in &plan.removals {
        let outcome = match sessions.get(&removal.account) {
            Some(session) => {
                audit.record(removal, "started", None)?;
                remove(session, removal).await
            }
            None => Outcome::Failed(format!(
                "no credentials for account {}; pass --role-template to reach it",
                removal.account
            )),
        };
        let error = match &outcome {
            Outcome::Failed(error) => Some(error.as_str()),
            _ => None,
        };
        audit.record(removal, outcome.name(), error)?;
        applied.push(Applied {
            account: removal.account.clone(),
            group: removal.group.clone(),
            user: removal.user.clone(),
            outcome,
        });
    }
    Ok(applied)
}

async fn remove(session: &Session, removal: &Removal) -> Outcome {
    match session.is_member(&removal.group, &removal.user).await {
        Ok(false) => return Outcome::AlreadyAbsent,
        Ok(true) => {}
        Err(e) => return Outcome::Failed(e.to_string()),
    }
    match session.remove_member(&removal.group, &removal.user).await {
        Ok(RemovalResult::Removed) => Outcome::Removed,
        Ok(RemovalResult::AlreadyAbsent) => Outcome::AlreadyAbsent,
        Err(e) => Outcome::Failed(e.to_string()),
    }
}
