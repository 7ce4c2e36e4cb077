//! The drift rules: the declared IAM groups against the live state, one rule per kind of
//! drift, findings in the shared model. Also what they share: the declared groups, what
//! to read for them (`read_plan`), who may be in a group, and each member's provenance. The
//! `drift` command (`crate::drift`) runs them; `remediate` plans from the same
//! classification.

mod account_skipped;
mod connector_policy;
mod group_missing;
mod group_path;
pub mod overdue_grant;
mod policy_attachments;
pub mod provenance;
mod session_length;
#[cfg(test)]
pub mod testing;
pub mod unexpected_member;
mod unmanaged_group;

use crate::config::Config;
use crate::eval::Instance;
use crate::finding::{Finding, Severity};
use crate::live::{AccountState, LiveGroup, LiveState, ReadPlan};
use crate::model::{value_loc, GroupPattern, Model, ModuleCall, TargetRef};
use crate::source::Loc;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;

pub struct DriftRule {
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub doc: &'static str,
    pub check: fn(&DriftContext, &mut Vec<Finding>),
}

pub const CATALOGUE: &[&DriftRule] = &[
    &group_missing::RULE,
    &unexpected_member::RULE,
    &overdue_grant::RULE,
    &unmanaged_group::RULE,
    &group_path::RULE,
    &policy_attachments::RULE,
    &connector_policy::RULE,
    &session_length::RULE,
    &account_skipped::RULE,
];

/// An active Sym grant: `{"user": "alice", "group": "prod-logs-read", "expires_at": "2026-11-24T18:00:00Z"}`.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub user: String,
    pub group: String,
    pub expires_at: String,
}

impl Grant {
    /// IAM user and group names are unique regardless of case, so neither is compared by it.
    fn covers(&self, user: &str, group: &str, now: SystemTime) -> bool {
        self.user.eq_ignore_ascii_case(user)
            && self.group.eq_ignore_ascii_case(group)
            && humantime::parse_rfc3339_weak(&self.expires_at).is_ok_and(|e| now < e)
    }
}

/// Reads `--grants FILE`; a malformed file stops the run.
pub fn read_grants(path: &Path) -> Result<Vec<Grant>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let grants: Vec<Grant> = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not a grants file: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    for grant in &grants {
        humantime::parse_rfc3339_weak(&grant.expires_at).map_err(|_| {
            format!(
                "{}: grant of {} to {}: `{}` is not a time like 2026-11-24T18:00:00Z",
                path.display(),
                grant.group,
                grant.user,
                grant.expires_at
            )
        })?;
    }
    Ok(grants)
}

/// A group a `sym_target` declares, with what the configuration says about it.
pub struct DeclaredGroup<'m> {
    pub name: String,
    pub target: &'m Instance,
    /// The `settings.iam_group` value: where a finding about the group points.
    pub loc: Loc,
    /// The `permission_context` integration serving it, through its strategy.
    pub integration: Option<&'m Instance>,
    /// The connector serving it, through strategy -> integration -> module.
    pub connector: Option<&'m ModuleCall>,
    /// The AWS account the integration names, when statically known.
    pub account: Option<String>,
}

impl DeclaredGroup<'_> {
    pub fn scope(&self) -> Option<Vec<GroupPattern>> {
        self.connector?.group_config()
    }
}

/// `--shard I/N`: one of N disjoint parts of the declared groups, chosen by a stable hash
/// of the group's name, so N jobs together read every group exactly once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: u64,
    pub count: u64,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    pub fn parse(text: &str) -> Result<Shard, String> {
        let parsed = text
            .split_once('/')
            .and_then(|(i, n)| Some((i.parse().ok()?, n.parse().ok()?)));
        match parsed {
            Some((index, count)) if 1 <= index && index <= count => Ok(Shard { index, count }),
            _ => Err(format!(
                "`{text}` is not a shard like 2/8 (I/N with 1 <= I <= N)"
            )),
        }
    }

    pub fn includes(self, group: &str) -> bool {
        crate::finding::stable_hash(group) % self.count == self.index - 1
    }
}

/// The declared groups of the shard (all of them without one).
fn in_shard(shard: Option<Shard>, groups: Vec<DeclaredGroup>) -> Vec<DeclaredGroup> {
    groups
        .into_iter()
        .filter(|d| shard.is_none_or(|s| s.includes(&d.name)))
        .collect()
}

/// What allows a member in a group without a Sym grant.
pub enum Allowance<'a> {
    Allow(&'a crate::config::Allow),
    Grant(&'a Grant),
}

/// What every drift rule sees: one root's model, the live state, and who may be in a
/// group.
pub struct DriftContext<'a> {
    pub model: &'a Model<'a>,
    pub config: &'a Config,
    pub live: &'a LiveState,
    pub grants: &'a [Grant],
    /// When `[[allow]]` entries and `--grants` expire are judged: when symguard runs.
    pub now: SystemTime,
    /// When Sym grants are judged active or overdue: when the membership was read (the
    /// state's `taken_at`), so a snapshot classifies the same whenever it is compared.
    pub judged_at: SystemTime,
    pub shard: Option<Shard>,
    /// The longest access the flows reaching each target grant, by target address.
    pub accesses: HashMap<&'a str, provenance::Access<'a>>,
    /// The declared groups of this run's shard: the ones compared.
    pub declared: Vec<DeclaredGroup<'a>>,
    /// Every declared group, by (name, account), whatever the shard.
    pub all_declared: Vec<(String, Option<String>)>,
}

impl<'a> DriftContext<'a> {
    pub fn new(
        model: &'a Model<'a>,
        config: &'a Config,
        live: &'a LiveState,
        grants: &'a [Grant],
        now: SystemTime,
        shard: Option<Shard>,
    ) -> Self {
        let all = declared_groups(model);
        DriftContext {
            all_declared: all
                .iter()
                .map(|d| (d.name.clone(), d.account.clone()))
                .collect(),
            declared: in_shard(shard, all),
            accesses: provenance::target_accesses(model),
            judged_at: humantime::parse_rfc3339_weak(&live.taken_at).unwrap_or(now),
            model,
            config,
            live,
            grants,
            now,
            shard,
        }
    }

    pub fn finding(&self, rule: &DriftRule, loc: Loc, message: impl Into<String>) -> Finding {
        Finding::new(rule.name, rule.severity, loc, message)
    }

    /// The account ID a declaration's account stands for: the credentials' when unknown.
    pub fn account_id<'s>(&'s self, account: &'s Option<String>) -> &'s str {
        account.as_deref().unwrap_or(&self.live.account)
    }

    /// What was read in the declared group's account; `None` when that account was skipped.
    pub fn account(&self, declared: &DeclaredGroup) -> Option<&'a AccountState> {
        self.live.account(declared.account.as_deref())
    }

    /// The declared groups that exist, with their live state.
    pub fn existing(&self) -> impl Iterator<Item = (&DeclaredGroup<'a>, &'a LiveGroup)> {
        self.declared
            .iter()
            .filter_map(|d| Some((d, self.account(d)?.groups.get(&d.name)?)))
    }

    /// Whether `user` may be in `group` without being removed: an `[[allow]]` entry or an
    /// active grant. IAM user names are unique regardless of case, so they match so too.
    pub fn allowed(&self, user: &str, group: &str) -> bool {
        self.allowance(user, group).is_some()
    }

    /// The `[[allow]]` entry or `--grants` grant that lets `user` be in `group`.
    pub fn allowance(&self, user: &str, group: &str) -> Option<Allowance<'a>> {
        let config: &'a Config = self.config;
        let grants: &'a [Grant] = self.grants;
        config
            .allow
            .iter()
            .find(|a| a.allows(user, group, self.now))
            .map(Allowance::Allow)
            .or_else(|| {
                grants
                    .iter()
                    .find(|g| g.covers(user, group, self.now))
                    .map(Allowance::Grant)
            })
    }

    /// The longest access the flows reaching the group's target grant; `None` when no
    /// flow of this configuration reaches it.
    pub fn access(&self, declared: &DeclaredGroup) -> Option<&provenance::Access<'a>> {
        self.accesses.get(declared.target.address.as_str())
    }

    /// `[drift] grace`, or the default.
    pub fn grace(&self) -> std::time::Duration {
        provenance::grace(self.config)
    }
}

/// Every `aws_iam_group` target with a known group name, and its connector.
fn declared_groups<'m>(model: &'m Model<'m>) -> Vec<DeclaredGroup<'m>> {
    let integrations = target_integrations(model);
    let mut out: Vec<DeclaredGroup> = Vec::new();
    for (_, target) in model.sym("sym_target", "aws_iam_group") {
        let Some(settings) = target.body.attr("settings") else {
            continue;
        };
        let Some(group) = settings.value.as_map().and_then(|m| m.get("iam_group")) else {
            continue;
        };
        let Some(name) = group.as_str().filter(|n| !n.is_empty()) else {
            continue;
        };
        let integration = integrations.get(target.address.as_str()).copied();
        out.push(DeclaredGroup {
            name: name.to_string(),
            target,
            loc: value_loc(settings, group),
            connector: integration.and_then(|i| model.connector_of(i)),
            account: integration.and_then(integration_account),
            integration,
        });
    }
    out
}

/// The integration of each target, by target address: that of the first `aws_iam`
/// strategy that lists it.
fn target_integrations<'m>(model: &'m Model<'m>) -> HashMap<&'m str, &'m Instance> {
    let mut out = HashMap::new();
    for (_, strategy) in model.sym("sym_strategy", "aws_iam") {
        let Some(integration_id) = strategy.body.attr("integration_id") else {
            continue;
        };
        let Some((_, integration)) = model.referenced(&integration_id.value) else {
            continue;
        };
        for target in model.strategy_targets(strategy) {
            if let TargetRef::Resource(_, target, _) = target {
                out.entry(target.address.as_str()).or_insert(integration);
            }
        }
    }
    out
}

/// The account a `permission_context` integration names in `external_id`, when it is a
/// known account ID.
pub fn integration_account(integration: &Instance) -> Option<String> {
    let id = integration.body.attr("external_id")?.value.as_str()?;
    (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

/// The account of the integration a connector serves, when statically known.
pub fn connector_account(model: &Model, call: &ModuleCall) -> Option<String> {
    model
        .sym("sym_integration", "permission_context")
        .find(|(_, i)| {
            model
                .connector_of(i)
                .is_some_and(|c| c.address == call.address)
        })
        .and_then(|(_, i)| integration_account(i))
}

/// What drift must read for these models (for the groups of `shard`, when given).
pub fn read_plan(models: &[&Model], shard: Option<Shard>) -> ReadPlan {
    let mut plan = ReadPlan::default();
    for model in models {
        let accesses = provenance::target_accesses(model);
        for declared in in_shard(shard, declared_groups(model)) {
            let longest = accesses
                .get(declared.target.address.as_str())
                .and_then(provenance::Access::seconds)
                .map(std::time::Duration::from_secs);
            plan.longest_access = plan.longest_access.max(longest);
            let account = plan.accounts.entry(declared.account.clone()).or_default();
            account.roles.extend(declared.connector_role());
            account.groups.insert(declared.name);
        }
        for call in model.calls.iter().filter(|c| c.is_connector()) {
            let plan = plan
                .accounts
                .entry(connector_account(model, call))
                .or_default();
            for pattern in call.group_config().unwrap_or_default() {
                // IAM lists groups by path prefix: everything before the first wildcard.
                let prefix: String = pattern
                    .path
                    .chars()
                    .take_while(|c| !matches!(c, '*' | '?'))
                    .collect();
                plan.scope_prefixes.insert(if prefix.is_empty() {
                    "/".into()
                } else {
                    prefix
                });
            }
        }
    }
    plan
}

impl DeclaredGroup<'_> {
    /// The role Sym uses to manage the group: the one named in its integration's literal
    /// `settings.role_arn`, or `SymIAM<Environment>` as the connector module names it.
    pub fn connector_role(&self) -> Option<String> {
        let from_settings = self.integration.and_then(|i| {
            let arn = i
                .body
                .attr("settings")?
                .value
                .as_map()?
                .get("role_arn")?
                .as_str()?
                .to_string();
            Some(arn.rsplit('/').next()?.to_string())
        });
        from_settings.or_else(|| {
            let environment = self.connector?.args.attr("environment")?.value.as_str()?;
            let mut chars = environment.chars();
            let first = chars.next()?.to_uppercase().collect::<String>();
            Some(format!("SymIAM{first}{}", chars.as_str()))
        })
    }
}

/// Runs every drift rule on one root.
pub fn run(cx: &DriftContext) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rule in CATALOGUE {
        cx.config
            .run_rule(rule.name, &mut findings, |out| (rule.check)(cx, out));
    }
    findings
}
