//! Reading an account in bulk: `iam:GetAccountAuthorizationDetails` answers with users and
//! their groups, groups and roles with their policies, and customer managed policies with
//! their versions, up to 1,000 items a page, where the group-by-group read makes three
//! calls per group. Each page is parsed as it arrives and only what the plan needs is kept,
//! into the same `AccountState` the group-by-group read fills. What the call does not
//! return is read per item, only for the roles kept: a role's `MaxSessionDuration` and the
//! documents of the AWS managed policies attached to it.

use super::error::classify;
use super::{assumable_role_names, decode_document, is_aws_managed, LiveError, Session};
use crate::live::{AccountPlan, AccountState, GroupSummary, LiveGroup, LiveRole};
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput as Page;
use aws_sdk_iam::types::{AttachedPolicy, EntityType, PolicyDetail};
use indicatif::ProgressBar;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::Semaphore;

const ACTION: &str = "iam:GetAccountAuthorizationDetails";

/// The most items IAM puts in one page.
const PAGE_ITEMS: i32 = 1000;

/// `auto` reads in bulk when an account has more declared groups than this. Per group a
/// read costs three requests; in bulk, one page per 1,000 users, groups and roles of the
/// whole account however few are declared, and a few per role. Measured on moto behind
/// 50 ms of latency (8 in flight, docs/bulk-read.md): in a small account bulk was faster
/// from 4 groups (0.3 s, 3 requests, against 0.6 s and 14) and at 32 groups made 3
/// requests against 98; in an account of 3,000 users, 1,000 groups and 1,000 roles it
/// made 7 requests against 98 at 32 groups but took longer on moto, which renders the
/// whole account for every page. Above 30 groups the request count (IAM's account-wide
/// rate limits) decides; below, group by group costs at most about 90 requests.
pub const AUTO_BULK_ABOVE_GROUPS: usize = 30;

/// How drift reads an account: `--read`, `[drift] read`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    /// `GetAccountAuthorizationDetails`, a few requests per account.
    Bulk,
    /// Three requests per group; needs no `iam:GetAccountAuthorizationDetails`.
    PerGroup,
    /// Bulk above a number of declared groups, and group by group when bulk is denied.
    #[default]
    Auto,
}

impl std::fmt::Display for ReadMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ReadMode::Bulk => "bulk",
            ReadMode::PerGroup => "per-group",
            ReadMode::Auto => "auto",
        })
    }
}

impl Session {
    /// The account read in bulk, or `None` when it is to be read group by group: in
    /// `per-group` mode, in `auto` mode for few groups or when bulk reads are denied.
    pub(super) async fn read_in_bulk(
        &self,
        plan: &AccountPlan,
        limit: &Arc<Semaphore>,
        progress: &ProgressBar,
    ) -> Result<Option<AccountState>, LiveError> {
        if self.read == ReadMode::PerGroup
            || (self.read == ReadMode::Auto && plan.groups.len() <= AUTO_BULK_ABOVE_GROUPS)
        {
            return Ok(None);
        }
        let mut groups = GroupPages::new(plan);
        let mut filters = vec![EntityType::Group];
        if !plan.groups.is_empty() {
            filters.push(EntityType::User);
        }
        if !plan.groups.is_empty() || !plan.scope_prefixes.is_empty() {
            match self.scan(&filters, progress, |p| groups.keep(p)).await {
                Err(LiveError::AccessDenied { detail, .. })
                    if self.read == ReadMode::Auto && groups.pages == 0 =>
                {
                    eprintln!(
                        "note: {ACTION} is denied in account {} ({detail}); reading group by group instead",
                        self.account
                    );
                    return Ok(None);
                }
                read => read?,
            }
        }
        let mut state = AccountState {
            missing_groups: plan
                .groups
                .iter()
                .filter(|g| !groups.found.contains_key(&g.to_lowercase()))
                .cloned()
                .collect(),
            scoped_groups: std::mem::take(&mut groups.scoped),
            ..AccountState::default()
        };
        state.scoped_groups.sort();

        // Customer managed policies attached to the groups: their documents may name roles.
        let mut documents = Documents::default();
        let wanted = groups
            .found
            .values()
            .flat_map(|g| customer_managed(&g.attached));
        self.read_documents(&mut documents, wanted.collect(), progress)
            .await?;
        let mut roles_to_read = plan.roles.clone();
        for (name, found) in groups.found {
            let group = found.into_group(&documents)?;
            roles_to_read.extend(assumable_role_names(&group));
            for declared in &groups.declared[&name] {
                state.groups.insert(declared.clone(), group.clone());
            }
        }

        let roles = self.read_roles(&roles_to_read, &mut documents, limit, progress);
        let (roles, missing) = roles.await?;
        state.roles = roles;
        state.missing_roles = missing;
        Ok(Some(state))
    }

    /// Every page of `GetAccountAuthorizationDetails` for `filters`, following `Marker` to
    /// the end, each handed to `keep` as it arrives. Any page that fails after the SDK's
    /// retries fails the whole read: nothing is compared on part of an account.
    async fn scan(
        &self,
        filters: &[EntityType],
        progress: &ProgressBar,
        mut keep: impl FnMut(Page) -> Result<(), LiveError>,
    ) -> Result<(), LiveError> {
        let mut request = self.client.get_account_authorization_details();
        for filter in filters {
            request = request.filter(filter.clone());
        }
        let mut pages = request.into_paginator().page_size(PAGE_ITEMS).send();
        let mut truncated = false;
        while let Some(page) = pages.next().await {
            progress.inc_length(1);
            let page = page.map_err(|e| classify(ACTION, &self.endpoint, e))?;
            truncated = page.is_truncated() && page.marker().is_none_or(str::is_empty);
            keep(page)?;
            progress.inc(1);
        }
        if truncated {
            return Err(LiveError::Failed {
                action: ACTION,
                detail: "the answer says there is more but gives no Marker to read it".into(),
            });
        }
        Ok(())
    }

    /// Adds to `documents` the default versions of the customer managed policies in
    /// `wanted` that it lacks, in one scan of them.
    async fn read_documents(
        &self,
        documents: &mut Documents,
        wanted: BTreeSet<String>,
        progress: &ProgressBar,
    ) -> Result<(), LiveError> {
        let wanted: BTreeSet<String> = wanted
            .into_iter()
            .filter(|arn| !documents.0.contains_key(arn))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        self.scan(&[EntityType::LocalManagedPolicy], progress, |page| {
            for policy in page.policies() {
                let Some(arn) = policy.arn().filter(|a| wanted.contains(*a)) else {
                    continue;
                };
                let default = policy.policy_version_list().iter().find(|v| {
                    v.is_default_version() || v.version_id() == policy.default_version_id()
                });
                let document = default.and_then(|v| v.document()).unwrap_or("{}");
                documents
                    .0
                    .insert(arn.to_string(), decode_document(document));
            }
            Ok(())
        })
        .await?;
        match wanted.iter().find(|arn| !documents.0.contains_key(*arn)) {
            // Attached, yet not listed: the account changed during the read.
            Some(arn) => Err(LiveError::Failed {
                action: ACTION,
                detail: format!("the attached policy {arn} is not in the answer; run again"),
            }),
            None => Ok(()),
        }
    }

    /// The roles named in `wanted` (and those that do not exist): their policies from a
    /// scan of the roles, then per role what the scan lacks.
    async fn read_roles(
        &self,
        wanted: &BTreeSet<String>,
        documents: &mut Documents,
        limit: &Arc<Semaphore>,
        progress: &ProgressBar,
    ) -> Result<(BTreeMap<String, LiveRole>, BTreeSet<String>), LiveError> {
        if wanted.is_empty() {
            return Ok(Default::default());
        }
        // Role names are unique regardless of case, and IAM finds them in any case.
        let mut by_name: HashMap<String, Vec<&String>> = HashMap::new();
        for name in wanted {
            by_name.entry(name.to_lowercase()).or_default().push(name);
        }
        let mut found: BTreeMap<String, FoundRole> = BTreeMap::new();
        self.scan(&[EntityType::Role], progress, |page| {
            for role in page.role_detail_list() {
                let name = role.role_name().unwrap_or_default().to_lowercase();
                if by_name.contains_key(&name) {
                    found.insert(
                        name,
                        FoundRole {
                            name: role.role_name().unwrap_or_default().to_string(),
                            path: role.path().unwrap_or_default().to_string(),
                            arn: role.arn().unwrap_or_default().to_string(),
                            inline: inline_documents(role.role_policy_list()),
                            attached: attached_arns(role.attached_managed_policies()),
                        },
                    );
                }
            }
            Ok(())
        })
        .await?;
        let customer = found.values().flat_map(|r| customer_managed(&r.attached));
        self.read_documents(documents, customer.collect(), progress)
            .await?;
        // The AWS managed ones a connector may get its permissions from (IAMFullAccess):
        // per policy, as the group-by-group read does, rather than a scan of every one.
        let aws_managed: BTreeSet<String> = found
            .values()
            .flat_map(|r| r.attached.iter().filter(|a| is_aws_managed(a)).cloned())
            .collect();
        let read = self.each(
            limit,
            progress,
            aws_managed.into_iter().collect(),
            |s, arn| async move { s.managed_policy_document(&arn).await.map(|d| (arn, d)) },
        );
        documents.0.extend(read.await?);
        let names: Vec<(String, String)> = found
            .iter()
            .map(|(lowercase, role)| (lowercase.clone(), role.name.clone()))
            .collect();
        let read = self.each(limit, progress, names, |s, (lowercase, name)| async move {
            let answer = s.client.get_role().role_name(&name).send().await;
            match answer {
                Err(e) if e.code() == Some("NoSuchEntity") => Ok((lowercase, None)),
                other => {
                    let answer = other.map_err(s.fail("iam:GetRole"))?;
                    let seconds = answer.role().and_then(|r| r.max_session_duration());
                    Ok((lowercase, Some(seconds.unwrap_or(3600).max(0) as u64)))
                }
            }
        });
        let max_sessions: HashMap<String, Option<u64>> = read.await?.into_iter().collect();
        let mut roles = BTreeMap::new();
        let mut missing = BTreeSet::new();
        for (lowercase, requested) in by_name {
            // Not listed, or gone by the time GetRole asked: as GetRole's NoSuchEntity.
            let found = found.get(&lowercase);
            let max_session = max_sessions.get(&lowercase).copied().flatten();
            let (Some(role), Some(max_session_duration)) = (found, max_session) else {
                missing.extend(requested.into_iter().cloned());
                continue;
            };
            let mut policies = role.inline.clone();
            for arn in &role.attached {
                let Some(document) = documents.0.get(arn) else {
                    return Err(LiveError::Failed {
                        action: ACTION,
                        detail: format!("no document read for the attached policy {arn}"),
                    });
                };
                policies.insert(arn.clone(), document.clone());
            }
            let role = LiveRole {
                path: role.path.clone(),
                arn: role.arn.clone(),
                max_session_duration,
                policies,
            };
            for name in requested {
                roles.insert(name.clone(), role.clone());
            }
        }
        Ok((roles, missing))
    }
}

/// What the pages of users and groups give for the plan, kept as they arrive.
struct GroupPages<'p> {
    /// Declared names by lower case (group names are unique regardless of case, and IAM
    /// finds them in any case): a plan may spell one group two ways.
    declared: HashMap<String, Vec<String>>,
    scope_prefixes: &'p BTreeSet<String>,
    found: BTreeMap<String, FoundGroup>,
    /// Members by the lower-case name of their declared group, from the users' group lists
    /// (a group may come in a later page than its members).
    members: HashMap<String, Vec<String>>,
    scoped: Vec<GroupSummary>,
    pages: usize,
}

struct FoundGroup {
    path: String,
    arn: String,
    members: Vec<String>,
    inline: BTreeMap<String, serde_json::Value>,
    attached: Vec<String>,
}

struct FoundRole {
    /// As IAM spells it: GetRole is asked for it so.
    name: String,
    path: String,
    arn: String,
    inline: BTreeMap<String, serde_json::Value>,
    attached: Vec<String>,
}

/// Default versions of customer managed policies, by ARN.
#[derive(Default)]
struct Documents(HashMap<String, serde_json::Value>);

impl<'p> GroupPages<'p> {
    fn new(plan: &'p AccountPlan) -> GroupPages<'p> {
        let mut declared: HashMap<String, Vec<String>> = HashMap::new();
        for name in &plan.groups {
            declared
                .entry(name.to_lowercase())
                .or_default()
                .push(name.clone());
        }
        GroupPages {
            declared,
            scope_prefixes: &plan.scope_prefixes,
            found: BTreeMap::new(),
            members: HashMap::new(),
            scoped: Vec::new(),
            pages: 0,
        }
    }

    fn keep(&mut self, page: Page) -> Result<(), LiveError> {
        self.pages += 1;
        for user in page.user_detail_list() {
            for group in user.group_list() {
                let group = group.to_lowercase();
                if self.declared.contains_key(&group) {
                    let name = user.user_name().unwrap_or_default().to_string();
                    self.members.entry(group).or_default().push(name);
                }
            }
        }
        for group in page.group_detail_list() {
            let (name, path, arn) = (
                group.group_name().unwrap_or_default(),
                group.path().unwrap_or_default(),
                group.arn().unwrap_or_default(),
            );
            if self
                .scope_prefixes
                .iter()
                .any(|p| path.starts_with(p.as_str()))
            {
                self.scoped.push(GroupSummary {
                    name: name.to_string(),
                    path: path.to_string(),
                    arn: arn.to_string(),
                });
            }
            let lowercase = name.to_lowercase();
            if self.declared.contains_key(&lowercase) {
                self.found.insert(
                    lowercase,
                    FoundGroup {
                        path: path.to_string(),
                        arn: arn.to_string(),
                        members: Vec::new(),
                        inline: inline_documents(group.group_policy_list()),
                        attached: attached_arns(group.attached_managed_policies()),
                    },
                );
            }
        }
        // Members read before their group's page are moved in once the group is found.
        for (group, found) in &mut self.found {
            if let Some(members) = self.members.remove(group) {
                found.members.extend(members);
            }
        }
        Ok(())
    }
}

impl FoundGroup {
    fn into_group(mut self, documents: &Documents) -> Result<LiveGroup, LiveError> {
        self.members.sort();
        let mut policies = self.inline;
        for arn in customer_managed(&self.attached) {
            let Some(document) = documents.0.get(&arn) else {
                return Err(LiveError::Failed {
                    action: ACTION,
                    detail: format!("no document read for the attached policy {arn}"),
                });
            };
            policies.insert(arn, document.clone());
        }
        Ok(LiveGroup {
            path: self.path,
            arn: self.arn,
            members: self.members,
            attached_policies: self.attached,
            policies,
        })
    }
}

fn inline_documents(list: &[PolicyDetail]) -> BTreeMap<String, serde_json::Value> {
    list.iter()
        .filter_map(|p| {
            let name = p.policy_name()?.to_string();
            Some((name, decode_document(p.policy_document().unwrap_or("{}"))))
        })
        .collect()
}

/// Sorted, as the group-by-group read sorts them.
fn attached_arns(list: &[AttachedPolicy]) -> Vec<String> {
    let mut arns: Vec<String> = list
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect();
    arns.sort();
    arns
}

fn customer_managed(attached: &[String]) -> impl Iterator<Item = String> + '_ {
    attached.iter().filter(|a| !is_aws_managed(a)).cloned()
}
