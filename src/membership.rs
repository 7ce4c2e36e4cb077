//! Who put each member in a group: the `AddUserToGroup` and `RemoveUserFromGroup` calls
//! CloudTrail recorded, kept as drift needs them to tell a Sym grant from standing access,
//! and where they are read from. Plain data, below every layer that reads or judges it
//! (`live::aws` reads it, `rules::drift::provenance` judges it, findings carry it).
//! Only these few fields of each record are kept, so a long window stays small in memory
//! and in a snapshot.

use serde::{Deserialize, Serialize};

/// What was read of one account's membership history.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MembershipHistory {
    /// Where the events were read: `lookup` (CloudTrail event history) or `s3://BUCKET/PREFIX`.
    pub source: String,
    /// The start of the window read, RFC 3339 UTC: what happened before it is unknown.
    pub since: String,
    /// The membership events of the declared groups in the window, oldest first.
    pub events: Vec<MembershipEvent>,
}

/// One membership change as CloudTrail recorded it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MembershipEvent {
    /// CloudTrail's `eventID`, for an auditor to find the record.
    pub id: String,
    /// `eventTime`, RFC 3339 UTC.
    pub time: String,
    pub change: Change,
    /// `requestParameters.groupName`.
    pub group: String,
    /// `requestParameters.userName`.
    pub user: String,
    pub actor: Actor,
    /// `userAgent`: tells the console, the CLI, an SDK or Terraform apart.
    pub user_agent: Option<String>,
    /// `sourceIPAddress`.
    pub source_ip: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// `AddUserToGroup`.
    Added,
    /// `RemoveUserFromGroup`.
    Removed,
}

/// Who made the call: CloudTrail's `userIdentity`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// `userIdentity.type`: `IAMUser`, `AssumedRole`, `Root`, `FederatedUser`, `AWSService`...
    pub kind: String,
    /// `userIdentity.arn`.
    pub arn: Option<String>,
    /// For an assumed role, the role's own ARN (`sessionContext.sessionIssuer.arn`): for Sym,
    /// the IAM connector's role.
    pub role_arn: Option<String>,
    /// The IAM user's name, or the role session's name.
    pub name: Option<String>,
}

impl MembershipHistory {
    /// The latest addition of `user` to `group` in the window. IAM user and group names are
    /// unique regardless of case, and a call may spell one in any case.
    pub fn latest_addition(&self, group: &str, user: &str) -> Option<&MembershipEvent> {
        self.events.iter().rev().find(|e| {
            e.change == Change::Added
                && e.group.eq_ignore_ascii_case(group)
                && e.user.eq_ignore_ascii_case(user)
        })
    }
}

/// What membership history to read: from where, and since when.
#[derive(Debug, Clone)]
pub struct HistoryWindow {
    pub source: TrailSource,
    pub since: std::time::SystemTime,
}

/// Where drift reads membership provenance: `--cloudtrail`, `[drift] cloudtrail`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TrailSource {
    /// The account's CloudTrail event history (`LookupEvents`): 90 days, no setup.
    #[default]
    Lookup,
    /// A trail's log files, `s3://BUCKET/PREFIX`.
    S3 { bucket: String, prefix: String },
    /// Not read: members are judged by `[[allow]]` and `--grants` only.
    Off,
}

impl std::str::FromStr for TrailSource {
    type Err = String;

    fn from_str(text: &str) -> Result<TrailSource, String> {
        match text {
            "lookup" => Ok(TrailSource::Lookup),
            "off" => Ok(TrailSource::Off),
            _ => {
                let Some((bucket, prefix)) = text
                    .strip_prefix("s3://")
                    .map(|rest| rest.split_once('/').unwrap_or((rest, "")))
                    .filter(|(bucket, _)| !bucket.is_empty())
                else {
                    return Err(format!(
                        "`{text}` is not a provenance source: use lookup, off or s3://BUCKET/PREFIX"
                    ));
                };
                Ok(TrailSource::S3 {
                    bucket: bucket.to_string(),
                    prefix: prefix.trim_matches('/').to_string(),
                })
            }
        }
    }
}

impl std::fmt::Display for TrailSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrailSource::Lookup => write!(f, "lookup"),
            TrailSource::Off => write!(f, "off"),
            TrailSource::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            TrailSource::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TrailSource;

    #[test]
    fn sources_are_lookup_off_or_a_bucket_and_prefix() {
        assert_eq!("lookup".parse(), Ok(TrailSource::Lookup));
        assert_eq!("off".parse(), Ok(TrailSource::Off));
        let trail: TrailSource = "s3://org-trail/logs/".parse().unwrap();
        assert_eq!(
            trail,
            TrailSource::S3 {
                bucket: "org-trail".into(),
                prefix: "logs".into()
            }
        );
        assert_eq!(trail.to_string(), "s3://org-trail/logs");
        assert_eq!(
            "s3://b".parse::<TrailSource>().unwrap().to_string(),
            "s3://b"
        );
        assert!("s3://".parse::<TrailSource>().is_err());
        assert!("cloudtrail".parse::<TrailSource>().is_err());
    }
}
