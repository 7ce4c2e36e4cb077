//! Who put each member in a group: the `AddUserToGroup` and `RemoveUserFromGroup` calls
//! CloudTrail recorded, kept as drift needs them to tell a Sym grant from standing access.
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
    /// The latest addition of `user` to `group` in the window. IAM user names are unique
    /// regardless of case, and a call may spell one in any case.
    pub fn latest_addition(&self, group: &str, user: &str) -> Option<&MembershipEvent> {
        self.events.iter().rev().find(|e| {
            e.change == Change::Added && e.group == group && e.user.eq_ignore_ascii_case(user)
        })
    }
}
