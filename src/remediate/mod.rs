//! Remediation: take standing access away, plan first.
//!
//! The pipeline: drift's live state -> compare (the `drift-unexpected-member` findings) ->
//! plan (one removal per unexpected member) -> apply (re-read, remove, audit). Nothing
//! else is ever changed: no group that no target declares, no additions, no deletions.

pub mod apply;
mod pipeline;

use crate::drift::unexpected_member::{self, Unexpected};
use crate::drift::DriftContext;
use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub use pipeline::{
    apply_plan, remediation_plan, saved_plan, ApplyError, Remediation, REMEDIATE_RULES,
};

pub const PLAN_VERSION: u32 = 1;

/// The blast-radius limit when neither `--max-removals` nor a config sets one.
pub const DEFAULT_MAX_REMOVALS: usize = 10;

/// What `remediate` would do, as printed and as saved by `--plan-out`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub version: u32,
    /// The account of the credentials that made the plan; applying it with credentials
    /// of another account is refused.
    pub account: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub removals: Vec<Removal>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Removal {
    pub account: String,
    pub group: String,
    pub group_arn: String,
    pub user: String,
    /// The finding that caused it.
    pub finding: Cause,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    pub rule: String,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub resource: Option<String>,
}

impl Cause {
    fn of(finding: &Finding) -> Cause {
        Cause {
            rule: finding.rule.clone(),
            message: finding.message.clone(),
            file: finding.loc.file.display.clone(),
            line: finding.loc.start().0,
            resource: finding.resource.clone(),
        }
    }
}

/// The one place that decides whether remediation may take a member out of a group: a
/// target declares the group, the live group lies inside that target's connector scope (a
/// group the connector cannot manage is not Sym's to clean up), and neither an `[[allow]]`
/// entry nor an active grant covers the user, whatever the case of the name (IAM user names
/// are unique regardless of case). Every removal of a plan has passed it.
pub fn may_remove(cx: &DriftContext, member: &Unexpected) -> bool {
    let Unexpected {
        declared,
        group,
        user,
    } = member;
    let declared_by_a_target = cx.declared.iter().any(|d| d.name == declared.name);
    let in_connector_scope = declared.scope().is_none_or(|scope| {
        scope
            .iter()
            .any(|pattern| pattern.matches(Some(&group.path), &declared.name))
    });
    declared_by_a_target && in_connector_scope && !cx.allowed(user, &declared.name)
}

/// The removals of one root and the findings behind them. Only `drift-unexpected-member`
/// becomes a removal, only when the root's configuration does not turn it off, and only
/// when `may_remove` agrees.
pub fn removals(cx: &DriftContext) -> Vec<(Removal, Finding)> {
    let mut findings = Vec::new();
    let mut members: Vec<Unexpected> = Vec::new();
    cx.config
        .run_rule(unexpected_member::RULE.name, &mut findings, |out| {
            for member in unexpected_member::unexpected(cx).filter(|m| may_remove(cx, m)) {
                out.push(unexpected_member::finding(cx, &member));
                members.push(member);
            }
        });
    members
        .into_iter()
        .zip(findings)
        .map(|(member, finding)| {
            let removal = Removal {
                account: cx.account_id(&member.declared.account).to_string(),
                group: member.declared.name.clone(),
                group_arn: member.group.arn.clone(),
                user: member.user.to_string(),
                finding: Cause::of(&finding),
            };
            (removal, finding)
        })
        .collect()
}

/// Why a plan is not carried out; nothing has been removed when one of these is returned.
#[derive(Debug)]
pub enum Refusal {
    TooLarge { removals: usize, limit: usize },
    OtherAccount { plan: String, credentials: String },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::TooLarge { removals, limit } => write!(
                f,
                "the plan removes {removals} members, more than the limit of {limit}: nobody was removed; review the plan, then raise the limit with --max-removals {removals} or `[remediate] max_removals` in symguard.toml"
            ),
            Refusal::OtherAccount { plan, credentials } => write!(
                f,
                "the plan was made for account {plan} but the credentials are for account {credentials}: nobody was removed"
            ),
        }
    }
}

impl Plan {
    /// Refuses the whole plan when it is larger than `limit`.
    pub fn check_limit(&self, limit: usize) -> Result<(), Refusal> {
        if self.removals.len() > limit {
            return Err(Refusal::TooLarge {
                removals: self.removals.len(),
                limit,
            });
        }
        Ok(())
    }

    pub fn read(path: &Path) -> Result<Plan, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let plan: Plan = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a symguard remediation plan: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if plan.version != PLAN_VERSION {
            return Err(format!(
                "{}: plan version {} is not supported (this symguard reads version {PLAN_VERSION})",
                path.display(),
                plan.version
            ));
        }
        Ok(plan)
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        text.push('\n');
        std::fs::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))
    }
}
