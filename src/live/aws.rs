//! Reading live IAM with the AWS SDK: the standard credential chain (env, profile, SSO,
//! web identity), the SDK's retry with backoff on throttling, full pagination, and a
//! bounded number of requests in flight.

use super::{AccountPlan, AccountState, GroupSummary, LiveGroup, LiveRole};
use crate::membership::{HistoryWindow, TrailSource};
use crate::model::iam;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::Client;
use indicatif::ProgressBar;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub mod bulk;
mod error;
use error::classify;
pub use error::LiveError;
mod trail;

/// How to reach AWS: `--profile`, `--region`, `--endpoint-url`, `--assume-role`.
#[derive(Default, Clone, Debug)]
pub struct Connection {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub assume_role: Option<String>,
    /// `--role-template`: the role to assume in each declared account, with `{account_id}`.
    pub role_template: Option<String>,
    /// Requests in flight at most (`--concurrency`).
    pub concurrency: usize,
    /// How long one attempt of a call may take before it is retried (`--timeout`).
    pub attempt_timeout: Duration,
    /// `--read`, else `[drift] read`; `None`: `auto`.
    pub read: Option<bulk::ReadMode>,
    /// `--cloudtrail`, else `[drift] cloudtrail`; `None`: `lookup`.
    pub cloudtrail: Option<TrailSource>,
    /// `--lookback`, else `[drift] lookback`; `None`: 90 days.
    pub lookback: Option<Duration>,
}

/// A connected IAM client and the account its credentials belong to.
pub struct Session {
    pub client: Client,
    pub account: String,
    endpoint: String,
    /// `--endpoint-url`: one endpoint for every service drift calls.
    endpoint_url: Option<String>,
    /// What the other services' clients are built from.
    config: SdkConfig,
    /// When the account's next `LookupEvents` call may go out (see `trail`).
    next_lookup: std::sync::Mutex<Option<std::time::Instant>>,
    read: bulk::ReadMode,
}

impl Session {
    /// Connects with the standard credentials, then assumes `role` when one is given.
    pub async fn connect(
        connection: &Connection,
        role: Option<&str>,
    ) -> Result<Session, LiveError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(5))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(connection.attempt_timeout)
                    .build(),
            );
        if let Some(profile) = &connection.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &connection.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let mut config = loader.load().await;
        // IAM is a global service signed in us-east-1; no region setting is needed for it.
        let region = connection
            .region
            .clone()
            .or_else(|| config.region().map(|r| r.to_string()));
        config = config
            .into_builder()
            .region(aws_config::Region::new(
                region.unwrap_or_else(|| "us-east-1".into()),
            ))
            .build();
        if let Some(role) = role {
            let provider = aws_config::sts::AssumeRoleProvider::builder(role)
                .session_name("symguard")
                .configure(&config)
                .build()
                .await;
            config = config
                .into_builder()
                .credentials_provider(
                    aws_credential_types::provider::SharedCredentialsProvider::new(provider),
                )
                .build();
        }
        let profile = connection
            .profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()));
        check_credentials(&config, profile).await?;
        let endpoint = connection
            .endpoint_url
            .clone()
            .unwrap_or_else(|| "iam.amazonaws.com".into());
        let sts = aws_sdk_sts::Client::new(&config);
        let identity = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify("sts:GetCallerIdentity", &endpoint, e))?;
        Ok(Session {
            client: Client::new(&config),
            account: identity.account().unwrap_or_default().to_string(),
            endpoint,
            endpoint_url: connection.endpoint_url.clone(),
            config,
            next_lookup: std::sync::Mutex::new(None),
            read: connection.read.unwrap_or_default(),
        })
    }

    /// Connects to another account through `--role-template`; `None` without a template.
    /// A role that lands in a different account is an error, not a silent misread.
    pub async fn connect_account(
        connection: &Connection,
        account: &str,
    ) -> Result<Option<Session>, LiveError> {
        let Some(template) = &connection.role_template else {
            return Ok(None);
        };
        let role = template.replace("{account_id}", account);
        let session = Session::connect(connection, Some(&role)).await?;
        if session.account != account {
            return Err(LiveError::Failed {
                action: "sts:AssumeRole",
                detail: format!(
                    "{role} belongs to account {}, not {account}; check --role-template",
                    session.account
                ),
            });
        }
        Ok(Some(session))
    }

    /// Reads everything `plan` names in this session's account, plus the roles the
    /// groups' policies let members assume, and the groups' membership history in
    /// `history`'s window, with at most `limit` requests in flight. Every failure other
    /// than "does not exist" stops the read.
    pub async fn read(
        &self,
        plan: &AccountPlan,
        history: &HistoryWindow,
        limit: &Arc<Semaphore>,
        progress: &ProgressBar,
    ) -> Result<AccountState, LiveError> {
        let (mut state, membership) = futures_util::future::try_join(
            self.read_iam(plan, limit, progress),
            self.membership(&history.source, &plan.groups, history.since, limit),
        )
        .await?;
        state.membership = membership;
        Ok(state)
    }

    /// The IAM part of `read`: in bulk, or group by group.
    async fn read_iam(
        &self,
        plan: &AccountPlan,
        limit: &Arc<Semaphore>,
        progress: &ProgressBar,
    ) -> Result<AccountState, LiveError> {
        if let Some(state) = self.read_in_bulk(plan, limit, progress).await? {
            return Ok(state);
        }
        let groups = self
            .each(
                limit,
                progress,
                plan.groups.iter().cloned().collect(),
                |s, name| async move { s.read_group(&name).await.map(|g| (name, g)) },
            )
            .await?;
        let scoped = self
            .each(
                limit,
                progress,
                plan.scope_prefixes.iter().cloned().collect(),
                |s, prefix| async move { s.list_groups(&prefix).await },
            )
            .await?;
        let mut roles_to_read = plan.roles.clone();
        for (_, group) in groups.iter().filter_map(|(n, g)| Some((n, g.as_ref()?))) {
            roles_to_read.extend(assumable_role_names(group));
        }
        let roles = self
            .each(
                limit,
                progress,
                roles_to_read.into_iter().collect(),
                |s, name| async move { s.read_role(&name).await.map(|r| (name, r)) },
            )
            .await?;
        let mut state = AccountState::default();
        for (name, group) in groups {
            match group {
                Some(group) => {
                    state.groups.insert(name, group);
                }
                None => {
                    state.missing_groups.insert(name);
                }
            }
        }
        let mut scoped: Vec<GroupSummary> = scoped.into_iter().flatten().collect();
        scoped.sort();
        scoped.dedup();
        state.scoped_groups = scoped;
        for (name, role) in roles {
            match role {
                Some(role) => {
                    state.roles.insert(name, role);
                }
                None => {
                    state.missing_roles.insert(name);
                }
            }
        }
        Ok(state)
    }

    /// Runs `read` for every item with at most `limit` requests in flight.
    async fn each<T, R, F, Fut>(
        &self,
        limit: &Arc<Semaphore>,
        progress: &ProgressBar,
        items: Vec<T>,
        read: F,
    ) -> Result<Vec<R>, LiveError>
    where
        T: Send + 'static,
        R: Send + 'static,
        F: Fn(Arc<SessionRef>, T) -> Fut,
        Fut: std::future::Future<Output = Result<R, LiveError>> + Send + 'static,
    {
        let session = Arc::new(SessionRef {
            client: self.client.clone(),
            endpoint: self.endpoint.clone(),
        });
        progress.inc_length(items.len() as u64);
        let mut tasks = JoinSet::new();
        for item in items {
            let permit = Arc::clone(limit);
            let future = read(Arc::clone(&session), item);
            tasks.spawn(async move {
                let _permit = permit.acquire_owned().await;
                future.await
            });
        }
        let mut out = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let result = joined.map_err(|e| LiveError::Failed {
                action: "reading IAM",
                detail: e.to_string(),
            })?;
            out.push(result?);
            progress.inc(1);
        }
        Ok(out)
    }
}

/// What a removal found.
#[derive(Debug, PartialEq, Eq)]
pub enum RemovalResult {
    Removed,
    /// The user was not (or no longer) a member, or the group is gone.
    AlreadyAbsent,
}

impl Session {
    /// Whether `user` is a member of `group` now; `false` when the group does not exist.
    pub async fn is_member(&self, group: &str, user: &str) -> Result<bool, LiveError> {
        let pages = self
            .client
            .get_group()
            .group_name(group)
            .into_paginator()
            .send()
            .try_collect()
            .await;
        match pages {
            Err(e) if e.code() == Some("NoSuchEntity") => Ok(false),
            Err(e) => Err(classify("iam:GetGroup", &self.endpoint, e)),
            Ok(pages) => Ok(pages
                .iter()
                .flat_map(|p| p.users())
                .any(|u| u.user_name().eq_ignore_ascii_case(user))),
        }
    }

    /// Removes `user` from `group` (retried by the SDK on throttling and transient errors).
    pub async fn remove_member(&self, group: &str, user: &str) -> Result<RemovalResult, LiveError> {
        match self
            .client
            .remove_user_from_group()
            .group_name(group)
            .user_name(user)
            .send()
            .await
        {
            Ok(_) => Ok(RemovalResult::Removed),
            Err(e) if e.code() == Some("NoSuchEntity") => Ok(RemovalResult::AlreadyAbsent),
            Err(e) => Err(classify("iam:RemoveUserFromGroup", &self.endpoint, e)),
        }
    }
}

/// What one concurrent read needs of the session.
struct SessionRef {
    client: Client,
    endpoint: String,
}

impl SessionRef {
    fn fail<E>(
        &self,
        action: &'static str,
    ) -> impl FnOnce(SdkError<E, aws_sdk_iam::config::http::HttpResponse>) -> LiveError + '_
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        move |e| classify(action, &self.endpoint, e)
    }

    /// A declared group with its members and policies; `None` when IAM says it does not exist.
    async fn read_group(&self, name: &str) -> Result<Option<LiveGroup>, LiveError> {
        let pages = self
            .client
            .get_group()
            .group_name(name)
            .into_paginator()
            .send()
            .try_collect()
            .await;
        let pages = match pages {
            Err(e) if e.code() == Some("NoSuchEntity") => return Ok(None),
            other => other.map_err(self.fail("iam:GetGroup"))?,
        };
        let Some(group) = pages.first().and_then(|p| p.group()) else {
            return Err(LiveError::Failed {
                action: "iam:GetGroup",
                detail: format!("the answer for {name} has no group"),
            });
        };
        let mut members: Vec<String> = pages
            .iter()
            .flat_map(|p| p.users())
            .map(|u| u.user_name().to_string())
            .collect();
        // Sorted, as the bulk read's are: both modes give the same state and snapshot.
        members.sort();
        let mut attached: Vec<String> = self
            .client
            .list_attached_group_policies()
            .group_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(self.fail("iam:ListAttachedGroupPolicies"))?
            .into_iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect();
        let inline: Vec<String> = self
            .client
            .list_group_policies()
            .group_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(self.fail("iam:ListGroupPolicies"))?;
        attached.sort();
        let mut policies = BTreeMap::new();
        for policy in inline {
            let answer = self
                .client
                .get_group_policy()
                .group_name(name)
                .policy_name(&policy)
                .send()
                .await
                .map_err(self.fail("iam:GetGroupPolicy"))?;
            policies.insert(policy, decode_document(answer.policy_document()));
        }
        for arn in attached.iter().filter(|a| !is_aws_managed(a)) {
            policies.insert(arn.clone(), self.managed_policy_document(arn).await?);
        }
        Ok(Some(LiveGroup {
            path: group.path().to_string(),
            arn: group.arn().to_string(),
            members,
            attached_policies: attached,
            policies,
        }))
    }

    async fn list_groups(&self, prefix: &str) -> Result<Vec<GroupSummary>, LiveError> {
        let groups = self
            .client
            .list_groups()
            .path_prefix(prefix)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(self.fail("iam:ListGroups"))?;
        // Some IAM-compatible servers (moto) ignore PathPrefix; IAM itself filters the same.
        Ok(groups
            .into_iter()
            .filter(|g| g.path().starts_with(prefix))
            .map(|g| GroupSummary {
                name: g.group_name().to_string(),
                path: g.path().to_string(),
                arn: g.arn().to_string(),
            })
            .collect())
    }

    async fn read_role(&self, name: &str) -> Result<Option<LiveRole>, LiveError> {
        let role = match self.client.get_role().role_name(name).send().await {
            Err(e) if e.code() == Some("NoSuchEntity") => return Ok(None),
            other => other.map_err(self.fail("iam:GetRole"))?,
        };
        let Some(role) = role.role() else {
            return Ok(None);
        };
        let attached: Vec<String> = self
            .client
            .list_attached_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(self.fail("iam:ListAttachedRolePolicies"))?
            .into_iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect();
        let inline: Vec<String> = self
            .client
            .list_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(self.fail("iam:ListRolePolicies"))?;
        let mut policies = BTreeMap::new();
        for policy in inline {
            let answer = self
                .client
                .get_role_policy()
                .role_name(name)
                .policy_name(&policy)
                .send()
                .await
                .map_err(self.fail("iam:GetRolePolicy"))?;
            policies.insert(policy, decode_document(answer.policy_document()));
        }
        // AWS managed ones too: a connector may get its permissions from IAMFullAccess.
        for arn in &attached {
            policies.insert(arn.clone(), self.managed_policy_document(arn).await?);
        }
        Ok(Some(LiveRole {
            path: role.path().to_string(),
            arn: role.arn().to_string(),
            max_session_duration: role.max_session_duration().unwrap_or(3600).max(0) as u64,
            policies,
        }))
    }

    /// The default version's document of a customer managed policy.
    async fn managed_policy_document(&self, arn: &str) -> Result<serde_json::Value, LiveError> {
        let policy = self
            .client
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(self.fail("iam:GetPolicy"))?;
        let version = policy
            .policy()
            .and_then(|p| p.default_version_id())
            .unwrap_or("v1");
        let answer = self
            .client
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(self.fail("iam:GetPolicyVersion"))?;
        Ok(decode_document(
            answer
                .policy_version()
                .and_then(|v| v.document())
                .unwrap_or("{}"),
        ))
    }
}

/// A group's AWS managed policies (`arn:aws:iam::aws:policy/...`) are not read: they name
/// no role of this account to assume, which is all a group's documents are read for.
fn is_aws_managed(arn: &str) -> bool {
    arn.starts_with("arn:aws:iam::aws:policy/")
}

/// IAM returns policy documents URL-encoded.
fn decode_document(raw: &str) -> serde_json::Value {
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    serde_json::from_str(&decoded)
        .or_else(|_| serde_json::from_str(raw))
        .unwrap_or(serde_json::Value::Null)
}

/// Names of the roles a group's policies allow its members to `sts:AssumeRole`, from
/// role ARNs without wildcards.
pub fn assumable_role_names(group: &LiveGroup) -> Vec<String> {
    group
        .policies
        .values()
        .flat_map(iam::json_statements)
        .filter(|s| s.allow && s.allows_action("sts:AssumeRole"))
        .flat_map(|s| {
            s.resources
                .into_iter()
                .filter_map(|r| r.as_str().map(str::to_string))
        })
        .filter_map(|arn| Some(arn.split_once(":role/")?.1.rsplit('/').next()?.to_string()))
        .filter(|name| !name.contains(['*', '?']))
        .collect()
}

/// Fails early, in one sentence, when the credential chain yields nothing. `profile` is
/// the one `--profile` or `AWS_PROFILE` names: when it gives none, the advice is about it.
async fn check_credentials(config: &SdkConfig, profile: Option<String>) -> Result<(), LiveError> {
    let Some(provider) = config.credentials_provider() else {
        return Err(LiveError::Credentials {
            detail: "no credential provider is configured".into(),
            profile,
        });
    };
    let error = match provider.provide_credentials().await {
        Ok(_) => return Ok(()),
        Err(error) => error,
    };
    let detail = match (&error, &profile) {
        (CredentialsError::CredentialsNotLoaded(_), Some(_)) => {
            "it is not defined, or holds no credentials".into()
        }
        (CredentialsError::CredentialsNotLoaded(_), None) => {
            "none found in the environment, profiles, web identity, ECS or instance metadata".into()
        }
        _ => error::causes(&error),
    };
    Err(LiveError::Credentials { detail, profile })
}
