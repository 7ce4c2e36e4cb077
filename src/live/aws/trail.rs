//! Reading membership provenance from CloudTrail: every `AddUserToGroup` and
//! `RemoveUserFromGroup` call of an account in a window, from the account's event history
//! (`LookupEvents`, 90 days, no setup) or from a trail's log files in S3. IAM is global to
//! its partition: CloudTrail records its calls in the partition's first region (us-east-1),
//! so both sources read that region.
//!
//! A record that cannot be read stops the run (exit 2): provenance read in part would turn
//! a Sym grant into an unexplained member, and feed its removal.

use super::error::classify;
use super::{LiveError, Session};
use crate::membership::{Actor, Change, MembershipEvent, MembershipHistory, TrailSource};
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Semaphore;

/// Where CloudTrail records IAM's calls, for credentials used in `region`: us-east-1, and in
/// the partitions with their own IAM, GovCloud's us-gov-west-1 and China's cn-north-1.
fn iam_events_region(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("us-gov-") => "us-gov-west-1",
        Some(r) if r.starts_with("cn-") => "cn-north-1",
        _ => "us-east-1",
    }
}

/// How far back CloudTrail's event history (`LookupEvents`) reaches.
const EVENT_HISTORY: Duration = Duration::from_secs(90 * 86_400);

/// The membership calls, as CloudTrail names them.
const EVENT_NAMES: [&str; 2] = ["AddUserToGroup", "RemoveUserFromGroup"];

/// `LookupEvents` answers at most 2 requests per second per account and region: calls are
/// spaced this far apart, and the SDK's retry backs off on the throttling that remains.
const LOOKUP_SPACING: Duration = Duration::from_millis(500);

/// The most events one `LookupEvents` page holds.
const LOOKUP_PAGE: i32 = 50;

const LOOKUP: &str = "cloudtrail:LookupEvents";
const LIST: &str = "s3:ListBucket";
const GET: &str = "s3:GetObject";

impl Session {
    /// The membership history of `groups` since `since`, from `source`; `None` when the
    /// source is `off`.
    pub(super) async fn membership(
        &self,
        source: &TrailSource,
        groups: &BTreeSet<String>,
        since: SystemTime,
        limit: &Arc<Semaphore>,
    ) -> Result<Option<MembershipHistory>, LiveError> {
        let until = SystemTime::now();
        // A window reaching past the event history's 90 days starts, and says it starts,
        // where the history does: what came before is not known, not absent.
        let since = match source {
            TrailSource::Lookup => since.max(until - EVENT_HISTORY),
            _ => since,
        };
        let events = match source {
            TrailSource::Off => return Ok(None),
            _ if groups.is_empty() => Vec::new(),
            TrailSource::Lookup => self.look_up(since, until).await?,
            TrailSource::S3 { bucket, prefix } => {
                self.trail_files(bucket, prefix, since, until, limit)
                    .await?
            }
        };
        let wanted: BTreeSet<String> = groups.iter().map(|g| g.to_lowercase()).collect();
        let mut events: Vec<MembershipEvent> = events
            .into_iter()
            .filter(|e| wanted.contains(&e.group.to_lowercase()))
            .filter(|e| {
                humantime::parse_rfc3339_weak(&e.time).is_ok_and(|t| t >= since && t <= until)
            })
            .collect();
        events.sort_by(|a, b| (&a.time, &a.id).cmp(&(&b.time, &b.id)));
        events.dedup_by(|a, b| a.id == b.id);
        Ok(Some(MembershipHistory {
            source: source.to_string(),
            since: rfc3339(since),
            events,
        }))
    }

    /// The membership history of one group since `since`, for the re-check before a
    /// removal; `None` when the source is `off`.
    pub async fn membership_of(
        &self,
        source: &TrailSource,
        group: &str,
        since: SystemTime,
    ) -> Result<Option<MembershipHistory>, LiveError> {
        let groups = BTreeSet::from([group.to_string()]);
        let limit = Arc::new(Semaphore::new(4));
        self.membership(source, &groups, since, &limit).await
    }

    /// The account's event history through `LookupEvents`, one event name at a time (the
    /// call filters by one attribute), following `NextToken` to the window's start.
    async fn look_up(
        &self,
        since: SystemTime,
        until: SystemTime,
    ) -> Result<Vec<MembershipEvent>, LiveError> {
        let region = self.iam_events_region();
        let client = aws_sdk_cloudtrail::Client::from_conf(
            aws_sdk_cloudtrail::config::Builder::from(&self.config)
                .region(aws_config::Region::new(region))
                .build(),
        );
        let domain = match region {
            "cn-north-1" => "amazonaws.com.cn",
            _ => "amazonaws.com",
        };
        let endpoint = self.endpoint_of(&format!("cloudtrail.{region}.{domain}"));
        let mut events = Vec::new();
        for name in EVENT_NAMES {
            let filter = LookupAttribute::builder()
                .attribute_key(LookupAttributeKey::EventName)
                .attribute_value(name)
                .build()
                .map_err(|e| LiveError::Failed {
                    action: LOOKUP,
                    detail: e.to_string(),
                })?;
            let mut token: Option<String> = None;
            loop {
                tokio::time::sleep_until(self.lookup_slot().into()).await;
                let page = client
                    .lookup_events()
                    .lookup_attributes(filter.clone())
                    .start_time(since.into())
                    .end_time(until.into())
                    .max_results(LOOKUP_PAGE)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| denied_hint(classify(LOOKUP, &endpoint, e), "lookup"))?;
                for event in page.events() {
                    let id = event.event_id().unwrap_or("(no id)");
                    let Some(record) = event.cloud_trail_event() else {
                        return Err(unreadable(
                            LOOKUP,
                            "the event history",
                            id,
                            "it has no record",
                        ));
                    };
                    let record: Record = serde_json::from_str(record)
                        .map_err(|e| unreadable(LOOKUP, "the event history", id, &e.to_string()))?;
                    events.extend(record.membership_event(LOOKUP, "the event history")?);
                }
                match page.next_token() {
                    Some(next) if !next.is_empty() => token = Some(next.to_string()),
                    _ => break,
                }
            }
        }
        Ok(events)
    }

    /// The log files a trail delivered to `s3://bucket/prefix` for this account on the
    /// window's days: `AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz`, REGION being
    /// where the partition records IAM's calls, or `AWSLogs/o-ORGID/ACCOUNT/...` for an
    /// organisation's trail. Files are read in parallel
    /// under the run's limit on requests in flight.
    async fn trail_files(
        &self,
        bucket: &str,
        prefix: &str,
        since: SystemTime,
        until: SystemTime,
        limit: &Arc<Semaphore>,
    ) -> Result<Vec<MembershipEvent>, LiveError> {
        let s3 = Arc::new(S3 {
            client: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&self.config)
                    // A local endpoint (moto, a mirror) serves buckets by path, not by host.
                    .force_path_style(self.endpoint_url.is_some())
                    .build(),
            ),
            bucket: bucket.to_string(),
            endpoint: self.endpoint_of("s3.amazonaws.com"),
        });
        let logs = match prefix {
            "" => "AWSLogs/".to_string(),
            prefix => format!("{prefix}/AWSLogs/"),
        };
        let root = s3.account_root(&logs, &self.account).await?;
        let region = self.iam_events_region();
        let mut keys = Vec::new();
        // Files are filed by delivery day, which may be the day after the call.
        let mut day = since;
        while day <= until + Duration::from_secs(86_400) {
            let date = &rfc3339(day)[..10];
            let folder = format!("{root}CloudTrail/{region}/{}/", date.replace('-', "/"));
            keys.extend(
                s3.list(&folder, None)
                    .await?
                    .0
                    .into_iter()
                    .filter(|k| k.ends_with(".json.gz")),
            );
            day += Duration::from_secs(86_400);
        }
        let mut reads = tokio::task::JoinSet::new();
        for key in keys {
            let (s3, limit) = (s3.clone(), limit.clone());
            reads.spawn(async move {
                let _permit = limit.acquire_owned().await;
                s3.log_file(&key).await
            });
        }
        let mut events = Vec::new();
        while let Some(read) = reads.join_next().await {
            let read = read.map_err(|e| LiveError::Failed {
                action: GET,
                detail: e.to_string(),
            })?;
            events.extend(read?);
        }
        Ok(events)
    }

    /// When this account's next `LookupEvents` call may go out: `LOOKUP_SPACING` after the
    /// last one, whichever read (drift's, or a removal's re-check) makes it.
    fn lookup_slot(&self) -> Instant {
        let mut next = self
            .next_lookup
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let slot = next.map_or(now, |at| at.max(now));
        *next = Some(slot + LOOKUP_SPACING);
        slot
    }

    fn iam_events_region(&self) -> &'static str {
        iam_events_region(self.config.region().map(|r| r.as_ref()))
    }

    fn endpoint_of(&self, host: &str) -> String {
        self.endpoint_url.clone().unwrap_or_else(|| host.into())
    }
}

struct S3 {
    client: aws_sdk_s3::Client,
    bucket: String,
    endpoint: String,
}

impl S3 {
    /// The folder of this account's logs: `AWSLogs/ACCOUNT/`, else the one organisation
    /// folder `AWSLogs/o-*/` that holds it.
    async fn account_root(&self, logs: &str, account: &str) -> Result<String, LiveError> {
        let (_, folders) = self.list(logs, Some("/")).await?;
        let own = format!("{logs}{account}/");
        if folders.contains(&own) {
            return Ok(own);
        }
        for org in folders.iter().filter(|f| f[logs.len()..].starts_with("o-")) {
            let inside = format!("{org}{account}/");
            if !self.list(&inside, Some("/")).await?.1.is_empty() {
                return Ok(inside);
            }
        }
        Err(LiveError::Failed {
            action: LIST,
            detail: format!(
                "s3://{}/{logs} holds no CloudTrail logs of account {account} (neither {own} nor an organisation folder o-*/{account}/); check the bucket and prefix of --cloudtrail",
                self.bucket
            ),
        })
    }

    /// The keys and the folders (with `delimiter`) under `prefix`, every page.
    async fn list(
        &self,
        prefix: &str,
        delimiter: Option<&str>,
    ) -> Result<(Vec<String>, Vec<String>), LiveError> {
        let pages: Vec<_> = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .set_delimiter(delimiter.map(str::to_string))
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| denied_hint(classify(LIST, &self.endpoint, e), "s3"))?;
        let keys = pages
            .iter()
            .flat_map(|p| p.contents())
            .filter_map(|o| o.key().map(str::to_string))
            .collect();
        let folders = pages
            .iter()
            .flat_map(|p| p.common_prefixes())
            .filter_map(|p| p.prefix().map(str::to_string))
            .collect();
        Ok((keys, folders))
    }

    /// The membership events of one gzipped log file (`{"Records": [...]}`).
    async fn log_file(&self, key: &str) -> Result<Vec<MembershipEvent>, LiveError> {
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| denied_hint(classify(GET, &self.endpoint, e), "s3"))?;
        let file = format!("s3://{}/{key}", self.bucket);
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| LiveError::Failed {
                action: GET,
                detail: format!("{file}: the download broke off: {e}"),
            })?
            .into_bytes();
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(|e| LiveError::Failed {
                action: GET,
                detail: format!("{file}: not a gzipped CloudTrail log file: {e}"),
            })?;
        let log: LogFile = serde_json::from_str(&text).map_err(|e| LiveError::Failed {
            action: GET,
            detail: format!("{file}: not a CloudTrail log file: {e}"),
        })?;
        let mut events = Vec::new();
        for record in log.records {
            events.extend(record.membership_event(GET, &file)?);
        }
        Ok(events)
    }
}

/// A failed provenance call names the alternatives: the other source, or none; a denial
/// also names the permission to grant.
fn denied_hint(error: LiveError, source: &str) -> LiveError {
    let other = if source == "lookup" {
        "from a trail's log files with --cloudtrail s3://BUCKET/PREFIX"
    } else {
        "from the account's event history with --cloudtrail lookup"
    };
    let alternatives =
        format!("read provenance {other}, or pass --cloudtrail off to judge members by [[allow]] and --grants only");
    match error {
        LiveError::AccessDenied { action, detail } => LiveError::Failed {
            action,
            detail: format!(
                "access denied ({detail}): grant {action} as in the drift policy of docs/drift.md, or {alternatives}"
            ),
        },
        LiveError::Failed { action, detail } => LiveError::Failed {
            action,
            detail: format!("{detail}; {alternatives}"),
        },
        other => other,
    }
}

fn unreadable(action: &'static str, source: &str, id: &str, why: &str) -> LiveError {
    LiveError::Failed {
        action,
        detail: format!("{source}: the record of event {id} cannot be read: {why}"),
    }
}

fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

#[derive(Deserialize)]
struct LogFile {
    #[serde(rename = "Records")]
    records: Vec<Record>,
}

/// The fields of a CloudTrail record that provenance reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(rename = "eventID")]
    event_id: Option<String>,
    event_time: Option<String>,
    event_source: Option<String>,
    event_name: Option<String>,
    /// Set when the call failed: it changed nothing.
    error_code: Option<String>,
    request_parameters: Option<RequestParameters>,
    user_identity: Option<UserIdentity>,
    user_agent: Option<String>,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestParameters {
    group_name: Option<String>,
    user_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity {
    #[serde(rename = "type")]
    kind: Option<String>,
    arn: Option<String>,
    user_name: Option<String>,
    session_context: Option<SessionContext>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionContext {
    session_issuer: Option<SessionIssuer>,
}

#[derive(Deserialize)]
struct SessionIssuer {
    arn: Option<String>,
}

impl Record {
    /// The membership change the record shows; `None` for any other call, or one that
    /// failed. A membership record without its group, user or time is an error.
    fn membership_event(
        self,
        action: &'static str,
        source: &str,
    ) -> Result<Option<MembershipEvent>, LiveError> {
        let change = match self.event_name.as_deref() {
            Some("AddUserToGroup") => Change::Added,
            Some("RemoveUserFromGroup") => Change::Removed,
            _ => return Ok(None),
        };
        if self.event_source.as_deref() != Some("iam.amazonaws.com") || self.error_code.is_some() {
            return Ok(None);
        }
        let id = self.event_id.unwrap_or_else(|| "(no eventID)".into());
        let parameters = self.request_parameters;
        let (Some(group), Some(user)) = (
            parameters.as_ref().and_then(|p| p.group_name.clone()),
            parameters.as_ref().and_then(|p| p.user_name.clone()),
        ) else {
            return Err(unreadable(
                action,
                source,
                &id,
                "it names no requestParameters.groupName and userName",
            ));
        };
        let time = self
            .event_time
            .as_deref()
            .and_then(|t| humantime::parse_rfc3339_weak(t).ok())
            .ok_or_else(|| unreadable(action, source, &id, "its eventTime is not a time"))?;
        let identity = self.user_identity;
        let kind = identity
            .as_ref()
            .and_then(|i| i.kind.clone())
            .unwrap_or_else(|| "Unknown".into());
        let arn = identity.as_ref().and_then(|i| i.arn.clone());
        let role_arn = identity.as_ref().and_then(|i| {
            i.session_context
                .as_ref()?
                .session_issuer
                .as_ref()?
                .arn
                .clone()
        });
        // A role session's name is the last part of its ARN,
        // `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
        let name = match kind.as_str() {
            "AssumedRole" => arn
                .as_deref()
                .and_then(|a| a.rsplit_once('/'))
                .map(|(_, s)| s.to_string()),
            _ => identity.as_ref().and_then(|i| i.user_name.clone()),
        };
        Ok(Some(MembershipEvent {
            id,
            time: rfc3339(time),
            change,
            group,
            user,
            actor: Actor {
                kind,
                arn,
                role_arn,
                name,
            },
            user_agent: self.user_agent,
            source_ip: self.source_ip_address,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::{iam_events_region, Record};
    use crate::membership::Change;

    #[test]
    fn iam_events_are_read_in_the_partitions_first_region() {
        for (region, events) in [
            (None, "us-east-1"),
            (Some("eu-west-1"), "us-east-1"),
            (Some("us-gov-east-1"), "us-gov-west-1"),
            (Some("us-gov-west-1"), "us-gov-west-1"),
            (Some("cn-northwest-1"), "cn-north-1"),
        ] {
            assert_eq!(iam_events_region(region), events, "{region:?}");
        }
    }

    fn event(record: &str) -> Option<crate::membership::MembershipEvent> {
        serde_json::from_str::<Record>(record)
            .unwrap()
            .membership_event(super::LOOKUP, "test")
            .unwrap()
    }

    #[test]
    fn a_connector_session_is_read_with_its_role() {
        let e = event(
            r#"{"eventVersion":"1.08","eventID":"e1","eventTime":"2026-11-30T10:00:00Z",
            "eventSource":"iam.amazonaws.com","eventName":"AddUserToGroup","awsRegion":"us-east-1",
            "sourceIPAddress":"3.1.2.3","userAgent":"Boto3/1.34.0",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/SymIAM/sym-runtime",
              "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::123456789012:role/sym/SymIAM"}}},
            "requestParameters":{"groupName":"ops","userName":"alice"}}"#,
        )
        .unwrap();
        assert_eq!(e.change, Change::Added);
        assert_eq!((e.group.as_str(), e.user.as_str()), ("ops", "alice"));
        assert_eq!(e.actor.name.as_deref(), Some("sym-runtime"));
        assert_eq!(
            e.actor.role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/sym/SymIAM")
        );
    }

    #[test]
    fn failed_and_other_calls_change_nothing() {
        assert!(event(
            r#"{"eventID":"e2","eventTime":"2026-11-30T10:00:00Z","eventSource":"iam.amazonaws.com",
            "eventName":"AddUserToGroup","errorCode":"AccessDenied","requestParameters":null}"#
        )
        .is_none());
        assert!(event(
            r#"{"eventID":"e3","eventTime":"2026-11-30T10:00:00Z","eventSource":"iam.amazonaws.com",
            "eventName":"CreateGroup","requestParameters":{"groupName":"ops"}}"#
        )
        .is_none());
    }

    #[test]
    fn a_membership_record_without_its_user_is_an_error() {
        let record: Record = serde_json::from_str(
            r#"{"eventID":"e4","eventTime":"2026-11-30T10:00:00Z","eventSource":"iam.amazonaws.com",
            "eventName":"RemoveUserFromGroup","requestParameters":{"groupName":"ops"}}"#,
        )
        .unwrap();
        let error = record
            .membership_event(super::GET, "s3://trail/x.json.gz")
            .unwrap_err();
        assert!(error.to_string().contains("event e4"), "{error}");
    }
}
