//! Live state: what IAM holds for the declared groups, read from AWS or from a snapshot.
//!
//! The snapshot (`symguard snapshot -o state.json`) is this structure as JSON, so
//! `drift --state` runs the same comparison offline on archived evidence.

pub mod aws;
pub(crate) mod read;

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub const SNAPSHOT_VERSION: u32 = 1;

/// What drift needs to read, by account: `None` is the credentials' own account, where
/// declarations whose account is not known statically are read.
#[derive(Default, Debug)]
pub struct ReadPlan {
    pub accounts: BTreeMap<Option<String>, AccountPlan>,
    /// The longest access any flow reaching a declared group grants: the membership history
    /// read must go back at least this far to find the grants that may still be active.
    pub longest_access: Option<std::time::Duration>,
}

/// What to read in one account.
#[derive(Default, Debug, Clone)]
pub struct AccountPlan {
    /// Names of the groups declared by targets.
    pub groups: BTreeSet<String>,
    /// Path prefixes of the connectors' scopes, to list the groups inside them.
    pub scope_prefixes: BTreeSet<String>,
    /// Connector roles whose policies must allow managing the declared groups.
    pub roles: BTreeSet<String>,
}

impl AccountPlan {
    pub fn merge(&mut self, other: AccountPlan) {
        self.groups.extend(other.groups);
        self.scope_prefixes.extend(other.scope_prefixes);
        self.roles.extend(other.roles);
    }
}

#[derive(Serialize, Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct LiveState {
    pub version: u32,
    /// The account of the credentials, where declarations of unknown account were read.
    pub account: String,
    /// RFC 3339, UTC.
    pub taken_at: String,
    /// What was read, by account ID.
    pub accounts: BTreeMap<String, AccountState>,
    /// Declared accounts that were not read: other than the credentials' account, and no
    /// `--role-template` to reach them.
    pub skipped_accounts: BTreeSet<String>,
    /// `--shard I/N` of the run that read it; `null` for all groups.
    pub shard: Option<String>,
}

impl LiveState {
    /// What was read in `account` (the credentials' own when `None`); `None` when the
    /// account was skipped.
    pub fn account(&self, account: Option<&str>) -> Option<&AccountState> {
        self.accounts.get(account.unwrap_or(&self.account))
    }
}

#[derive(Serialize, Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct AccountState {
    /// Declared groups that exist, by name.
    pub groups: BTreeMap<String, LiveGroup>,
    /// Declared groups that IAM answered do not exist (`NoSuchEntity`).
    pub missing_groups: BTreeSet<String>,
    /// Every group under the connectors' scope prefixes.
    pub scoped_groups: Vec<GroupSummary>,
    /// Connector roles and roles the groups may assume, by name.
    pub roles: BTreeMap<String, LiveRole>,
    pub missing_roles: BTreeSet<String>,
    /// The membership events CloudTrail recorded for the declared groups; `None` when
    /// provenance was not read (`--cloudtrail off`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership: Option<crate::membership::MembershipHistory>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct GroupSummary {
    pub name: String,
    pub path: String,
    pub arn: String,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct LiveGroup {
    pub path: String,
    pub arn: String,
    /// IAM user names.
    pub members: Vec<String>,
    /// ARNs of attached managed policies.
    pub attached_policies: Vec<String>,
    /// Policy documents of the group: inline ones by name, attached ones by ARN.
    pub policies: BTreeMap<String, serde_json::Value>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct LiveRole {
    pub path: String,
    pub arn: String,
    pub max_session_duration: u64,
    /// Policy documents of the role: inline ones by name, attached ones by ARN.
    pub policies: BTreeMap<String, serde_json::Value>,
}

impl LiveState {
    pub fn read_snapshot(path: &Path) -> Result<LiveState, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let state: LiveState = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a symguard snapshot: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if state.version != SNAPSHOT_VERSION {
            return Err(format!(
                "{}: snapshot version {} is not supported (this symguard reads version {SNAPSHOT_VERSION})",
                path.display(),
                state.version
            ));
        }
        Ok(state)
    }

    /// Whether this snapshot records every group `plan` would read, so that comparing with
    /// it reports nothing as missing that was merely not read.
    pub fn covers(&self, plan: &ReadPlan) -> Result<(), String> {
        for (account, wanted) in &plan.accounts {
            let id = account.as_deref().unwrap_or(&self.account);
            if self.skipped_accounts.contains(id) {
                continue;
            }
            let Some(read) = self.accounts.get(id) else {
                return Err(format!("it has no record of account {id}"));
            };
            if let Some(group) = wanted
                .groups
                .iter()
                .find(|g| !read.groups.contains_key(*g) && !read.missing_groups.contains(*g))
            {
                return Err(format!(
                    "it has no record of the group `{group}` in account {id}"
                ));
            }
        }
        Ok(())
    }

    pub fn write_snapshot(&self, path: &Path) -> Result<(), String> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        text.push('\n');
        std::fs::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))
    }
}
