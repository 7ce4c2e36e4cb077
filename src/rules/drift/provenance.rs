//! Who put each member of a declared group there, and whether they are still expected
//! there: the one classification `drift-unexpected-member`, `drift-overdue-grant`, the
//! report's `members` section and `remediate` share.
//!
//! A member is allowed (`[[allow]]`, `--grants`), or else judged by the latest addition
//! CloudTrail recorded: made by the group's connector role and younger than the longest
//! access the flows reaching the group grant (plus `[drift] grace`), it is an active Sym
//! grant; made by that role longer ago, an overdue one; made by anyone else, an addition
//! outside Sym; and with no addition in the window read, of unknown origin.

use super::{Allowance, DeclaredGroup, DriftContext};
use crate::duration;
use crate::eval::Instance;
use crate::finding::{
    AllowedBy, Channel, Evidence, MemberClass, MemberRecord, Provenance, ProvenanceRead,
};
use crate::live::{AccountState, LiveGroup, LiveState};
use crate::membership::{Actor, MembershipEvent};
use crate::model::{value_loc, FlowDurations, Model, TargetRef};
use crate::source::Loc;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// How long past its end a Sym grant still counts as active, without `[drift] grace`:
/// Sym's de-escalation runs when the grant ends, and IAM answers with what it holds.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(15 * 60);

/// The grace of a configuration: its `[drift] grace`, else the default.
pub fn grace(config: &crate::config::Config) -> Duration {
    config
        .drift_grace
        .map_or(DEFAULT_GRACE, Duration::from_secs)
}

/// The longest access the flows reaching a target grant.
#[derive(Clone)]
pub enum Access<'a> {
    /// The longest duration any of them allows, the flow and the value that allow it.
    Bounded {
        seconds: u64,
        flow: &'a Instance,
        loc: Loc,
    },
    /// A flow that lets requesters choose any duration, has no duration known, or does
    /// not de-escalate: no end can be told, so no Sym grant is judged overdue.
    Unbounded {
        flow: &'a Instance,
        why: &'static str,
    },
}

impl Access<'_> {
    /// The longer of two accesses; an unbounded one is the longest.
    fn longest<'a>(a: Access<'a>, b: Access<'a>) -> Access<'a> {
        match (&a, &b) {
            (Access::Unbounded { .. }, _) => a,
            (_, Access::Unbounded { .. }) => b,
            (Access::Bounded { seconds: x, .. }, Access::Bounded { seconds: y, .. }) => {
                if y > x {
                    b
                } else {
                    a
                }
            }
        }
    }

    pub fn seconds(&self) -> Option<u64> {
        match self {
            Access::Bounded { seconds, .. } => Some(*seconds),
            Access::Unbounded { .. } => None,
        }
    }
}

/// The longest access of each target some flow reaches, by target address; a target no
/// flow reaches has none.
pub fn target_accesses<'a>(model: &'a Model<'a>) -> HashMap<&'a str, Access<'a>> {
    let mut out: HashMap<&str, Access> = HashMap::new();
    for (_, flow) in model.instances("sym_flow") {
        let Some((_, strategy)) = model.flow_strategy(flow) else {
            continue;
        };
        let access = flow_access(flow);
        for target in model.strategy_targets(strategy) {
            let TargetRef::Resource(_, target, _) = target else {
                continue;
            };
            let address = target.address.as_str();
            let combined = match out.remove(address) {
                Some(seen) => Access::longest(seen, access.clone()),
                None => access.clone(),
            };
            out.insert(address, combined);
        }
    }
    out
}

fn flow_access(flow: &Instance) -> Access<'_> {
    let never_deescalates = flow
        .body
        .blocks("params")
        .next()
        .and_then(|p| p.body.attr("schedule_deescalation"))
        .is_some_and(|a| a.value.as_bool() == Some(false));
    if never_deescalates {
        return Access::Unbounded {
            flow,
            why: "does not de-escalate (`schedule_deescalation = false`)",
        };
    }
    match FlowDurations::of(flow) {
        FlowDurations::Bounded(seconds, value, attr) => Access::Bounded {
            seconds,
            flow,
            loc: value_loc(attr, value),
        },
        FlowDurations::Unbounded(_) => Access::Unbounded {
            flow,
            why: "lets requesters choose any duration (its duration field has no `allowed_values`)",
        },
        FlowDurations::Unknown => Access::Unbounded {
            flow,
            why: "has no duration field with known `allowed_values`",
        },
    }
}

/// When a Sym grant to the group may have been made before the window read (`since`) and
/// still be active, what the flows reaching it allow. The window is made long enough for
/// the longest bounded access (`history_window`), but CloudTrail's event history holds 90
/// days, and an access with no bound has no window long enough.
fn access_beyond_window(
    cx: &DriftContext,
    declared: &DeclaredGroup,
    since: &str,
) -> Option<String> {
    let access = cx.access(declared)?;
    let Some(seconds) = access.seconds() else {
        return Some("access with no end symguard can read".into());
    };
    // `check_times` made sure `since` is a time; were it not, the member is kept.
    let window = humantime::parse_rfc3339_weak(since)
        .ok()
        .and_then(|start| cx.judged_at.duration_since(start).ok());
    let longest = Duration::from_secs(seconds) + cx.grace();
    window
        .is_none_or(|window| window < longest)
        .then(|| format!("access for up to {}", duration::format(seconds)))
}

/// What a member's presence rests on.
pub enum Class<'a> {
    Allowed(Allowance<'a>),
    /// Membership events were not read: only `[[allow]]` and `--grants` tell.
    NotRead,
    ActiveGrant {
        added: &'a MembershipEvent,
        /// When the access ends; `None` when no flow bounds it.
        ends: Option<SystemTime>,
    },
    OverdueGrant {
        added: &'a MembershipEvent,
        ended: SystemTime,
    },
    OutsideSym {
        added: &'a MembershipEvent,
    },
    /// No addition in the window, which starts at `since`.
    Unknown {
        since: &'a str,
        /// Why the member may still be a Sym grant made before the window, when the flows
        /// reaching the group allow access longer than the window read: remediation keeps
        /// them. `None` when any Sym grant to the group would be in the window.
        maybe_sym_grant: Option<String>,
    },
}

impl<'a> Class<'a> {
    /// The addition the class rests on, when one was found.
    pub fn added(&self) -> Option<&'a MembershipEvent> {
        match self {
            Class::ActiveGrant { added, .. }
            | Class::OverdueGrant { added, .. }
            | Class::OutsideSym { added } => Some(added),
            Class::Allowed(_) | Class::NotRead | Class::Unknown { .. } => None,
        }
    }
}

/// One member of a declared group that exists, classified.
pub struct Member<'c, 'a> {
    pub declared: &'c DeclaredGroup<'a>,
    pub group: &'a LiveGroup,
    pub user: &'a str,
    pub class: Class<'a>,
}

impl Member<'_, '_> {
    /// Whether the member is expected in the group: allowed, or an active Sym grant.
    pub fn expected(&self) -> bool {
        matches!(self.class, Class::Allowed(_) | Class::ActiveGrant { .. })
    }
}

/// Every member of every declared group that exists, classified.
pub fn members<'c, 'a>(cx: &'c DriftContext<'a>) -> impl Iterator<Item = Member<'c, 'a>> {
    cx.existing().flat_map(move |(declared, group)| {
        let account = cx.account(declared);
        group.members.iter().map(move |user| Member {
            declared,
            group,
            user,
            class: classify(cx, declared, account, user),
        })
    })
}

fn classify<'a>(
    cx: &DriftContext<'a>,
    declared: &DeclaredGroup<'a>,
    account: Option<&'a AccountState>,
    user: &str,
) -> Class<'a> {
    if let Some(allowance) = cx.allowance(user, &declared.name) {
        return Class::Allowed(allowance);
    }
    let Some((account, history)) = account.and_then(|a| Some((a, a.membership.as_ref()?))) else {
        return Class::NotRead;
    };
    let Some(added) = history.latest_addition(&declared.name, user) else {
        return Class::Unknown {
            since: &history.since,
            maybe_sym_grant: access_beyond_window(cx, declared, &history.since),
        };
    };
    if !by_connector(cx, declared, account, &added.actor) {
        return Class::OutsideSym { added };
    }
    let Some(seconds) = cx.access(declared).and_then(Access::seconds) else {
        return Class::ActiveGrant { added, ends: None };
    };
    // Every state's times are checked before comparing (`check_times`); were one not a
    // time after all, the member is kept rather than removed on a guess.
    let Ok(at) = humantime::parse_rfc3339_weak(&added.time) else {
        return Class::ActiveGrant { added, ends: None };
    };
    let end = at + Duration::from_secs(seconds);
    if cx.judged_at < end + cx.grace() {
        Class::ActiveGrant {
            added,
            ends: Some(end),
        }
    } else {
        Class::OverdueGrant { added, ended: end }
    }
}

/// Whether the call was made in a session of the group's connector role: the role's live
/// ARN when it was read, else the role's name in the group's account (a role name is
/// unique in its account, whatever its path).
fn by_connector(
    cx: &DriftContext,
    declared: &DeclaredGroup,
    account: &AccountState,
    actor: &Actor,
) -> bool {
    let (Some(role), Some(arn)) = (declared.connector_role(), actor.role_arn.as_deref()) else {
        return false;
    };
    if let Some(live) = account.roles.get(&role) {
        return live.arn == arn;
    }
    let Some(rest) = arn
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(":iam::"))
        .map(|(_, rest)| rest)
    else {
        return false;
    };
    let Some((account_id, path)) = rest.split_once(":role/") else {
        return false;
    };
    account_id == cx.account_id(&declared.account)
        && path
            .rsplit('/')
            .next()
            .is_some_and(|name| name.eq_ignore_ascii_case(&role))
}

/// The client a `userAgent` names. The forms: the console's `console.amazonaws.com`,
/// `signin.amazonaws.com` and `AWS Internal`; `aws-cli/2.15.30 md/awscrt#...` (v1:
/// `aws-cli/1.18.69 Python/3.8.5 ... botocore/1.17.0`); the SDKs' `Boto3/1.34.0
/// md/Botocore#1.34.0 ...`, `aws-sdk-go-v2/1.24.0 ...`, `aws-sdk-js/3.490.0 ...`,
/// `aws-sdk-java/2.20.0 ...`, `aws-sdk-rust/...`, `AWSPowerShell/...`; the Terraform AWS
/// provider's `APN/1.0 HashiCorp/1.0 Terraform/1.6.6 (+https://www.terraform.io)
/// terraform-provider-aws/5.31.0 (+https://registry.terraform.io/providers/hashicorp/aws)
/// aws-sdk-go-v2/...` (OpenTofu writes `OpenTofu/1.6.0` instead of `Terraform/`); and AWS
/// services' own host names, such as `cloudformation.amazonaws.com`.
pub fn channel(user_agent: Option<&str>) -> Channel {
    let Some(agent) = user_agent.map(str::trim).filter(|a| !a.is_empty()) else {
        return Channel::Unknown;
    };
    let lower = agent.to_ascii_lowercase();
    let has = |s: &str| lower.contains(s);
    let starts = |s: &str| lower.starts_with(s);
    if has("terraform-provider-aws") || has("terraform/") || has("opentofu/") {
        Channel::Terraform
    } else if starts("aws-cli/") {
        Channel::Cli
    } else if matches!(
        lower.as_str(),
        "console.amazonaws.com" | "signin.amazonaws.com" | "aws internal"
    ) || starts("console.")
    {
        Channel::Console
    } else if starts("boto3/")
        || starts("botocore/")
        || starts("aws-sdk-")
        || starts("aws-sdk/")
        || starts("awspowershell")
    {
        Channel::Sdk
    } else if lower.ends_with(".amazonaws.com") && !lower.contains(' ') {
        Channel::AwsService
    } else {
        Channel::Unknown
    }
}

/// How a call was made, for a message: "from the console", "with the AWS CLI", ...
pub fn channel_phrase(channel: Channel, user_agent: Option<&str>) -> String {
    match channel {
        Channel::Console => "from the AWS console".into(),
        Channel::Cli => "with the AWS CLI".into(),
        Channel::Sdk => format!(
            "with an AWS SDK ({})",
            user_agent
                .and_then(|a| a.split_whitespace().next())
                .unwrap_or_default()
        ),
        Channel::Terraform => "with Terraform".into(),
        Channel::AwsService => format!("by the AWS service {}", user_agent.unwrap_or_default()),
        Channel::Unknown => match user_agent {
            Some(agent) => format!("with the client `{agent}`"),
            None => "with no user agent recorded".into(),
        },
    }
}

/// Who made a call, for a message: the ARN, and the IAM user or role session name.
pub fn actor_phrase(actor: &Actor) -> String {
    let arn = actor.arn.as_deref().unwrap_or("an unnamed principal");
    match (actor.kind.as_str(), actor.name.as_deref()) {
        ("IAMUser", Some(name)) => format!("`{arn}` (IAM user `{name}`)"),
        ("AssumedRole", Some(name)) => match actor.role_arn.as_deref() {
            Some(role) => format!("`{arn}` (session `{name}` of the role `{role}`)"),
            None => format!("`{arn}` (role session `{name}`)"),
        },
        (kind, Some(name)) => format!("`{arn}` ({kind} `{name}`)"),
        (kind, None) => format!("`{arn}` ({kind})"),
    }
}

fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// The evidence of a member's classification, for the JSON report; `None` when
/// provenance was not read and nothing allows the member.
pub fn provenance(cx: &DriftContext, member: &Member) -> Option<Provenance> {
    let history = cx
        .account(member.declared)
        .and_then(|a| a.membership.as_ref());
    let added = match &member.class {
        Class::Allowed(_) => {
            history.and_then(|h| h.latest_addition(&member.declared.name, member.user))
        }
        class => class.added(),
    };
    let (class, expected_end, window_start, allowed_by) = match &member.class {
        Class::NotRead => return None,
        Class::Allowed(allowance) => (
            MemberClass::Allowed,
            None,
            None,
            Some(allowed_by(allowance)),
        ),
        Class::ActiveGrant { ends, .. } => {
            (MemberClass::ActiveSymGrant, ends.map(rfc3339), None, None)
        }
        Class::OverdueGrant { ended, .. } => (
            MemberClass::OverdueSymGrant,
            Some(rfc3339(*ended)),
            None,
            None,
        ),
        Class::OutsideSym { .. } => (MemberClass::AddedOutsideSym, None, None, None),
        Class::Unknown { since, .. } => (
            MemberClass::OriginUnknown,
            None,
            Some(since.to_string()),
            None,
        ),
    };
    let may_be_sym_grant = matches!(
        member.class,
        Class::Unknown {
            maybe_sym_grant: Some(_),
            ..
        }
    );
    // The flows' longest access bounds a Sym grant, and says why a member of unknown
    // origin may hold one.
    let grant_in_question = may_be_sym_grant
        || matches!(
            class,
            MemberClass::ActiveSymGrant | MemberClass::OverdueSymGrant
        );
    Some(Provenance {
        class,
        source: history.map(|h| h.source.clone()),
        channel: added.map(|e| channel(e.user_agent.as_deref())),
        event: added.cloned(),
        longest_access: grant_in_question
            .then(|| cx.access(member.declared).and_then(Access::seconds))
            .flatten()
            .map(duration::format),
        expected_end,
        window_start,
        may_be_sym_grant,
        allowed_by,
    })
}

fn allowed_by(allowance: &Allowance) -> AllowedBy {
    match allowance {
        Allowance::Allow(allow) => AllowedBy::Allow {
            user: allow.user_pattern.clone(),
            reason: allow.reason.clone(),
            until: allow.expires.map(rfc3339),
        },
        Allowance::Grant(grant) => AllowedBy::Grant {
            expires_at: grant.expires_at.clone(),
        },
    }
}

/// The evidence of these contexts (every root of one run), each member once.
pub fn evidence<'a>(
    state: &LiveState,
    contexts: impl IntoIterator<Item = DriftContext<'a>>,
) -> Evidence {
    let provenance = state
        .accounts
        .iter()
        .map(|(account, read)| ProvenanceRead {
            account: account.clone(),
            read: read.membership.is_some(),
            source: read.membership.as_ref().map(|h| h.source.clone()),
            since: read.membership.as_ref().map(|h| h.since.clone()),
            events: read.membership.as_ref().map(|h| h.events.len()),
        })
        .collect();
    let mut members: Vec<MemberRecord> = Vec::new();
    for cx in contexts {
        for member in members_of(&cx) {
            let seen = members.iter().any(|m| {
                (&m.account, &m.group, &m.user) == (&member.account, &member.group, &member.user)
            });
            if !seen {
                members.push(member);
            }
        }
    }
    members.sort_by(|a, b| (&a.account, &a.group, &a.user).cmp(&(&b.account, &b.group, &b.user)));
    Evidence {
        provenance,
        members,
    }
}

fn members_of(cx: &DriftContext) -> Vec<MemberRecord> {
    members(cx)
        .filter(Member::expected)
        .filter_map(|member| {
            Some(MemberRecord {
                account: cx.account_id(&member.declared.account).to_string(),
                group: member.declared.name.clone(),
                group_arn: member.group.arn.clone(),
                user: member.user.to_string(),
                provenance: provenance(cx, &member)?,
            })
        })
        .collect()
}

/// Checks the times of a snapshot's membership histories, which classification reads:
/// a bad one stops the run instead of classifying on a guess.
pub fn check_times(state: &LiveState) -> Result<(), String> {
    let bad = |what: String, text: &str| {
        humantime::parse_rfc3339_weak(text)
            .map(|_| ())
            .map_err(|_| format!("{what}: `{text}` is not a time like 2026-11-24T18:00:00Z"))
    };
    if state.accounts.values().any(|a| a.membership.is_some()) {
        bad("taken_at".into(), &state.taken_at)?;
    }
    for (account, read) in &state.accounts {
        let Some(history) = &read.membership else {
            continue;
        };
        bad(
            format!("account {account}: membership since"),
            &history.since,
        )?;
        for event in &history.events {
            bad(
                format!("account {account}: membership event `{}` time", event.id),
                &event.time,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::channel;
    use crate::finding::Channel;

    #[test]
    fn user_agents_name_their_client() {
        let cases = [
            (Some("console.amazonaws.com"), Channel::Console),
            (Some("signin.amazonaws.com"), Channel::Console),
            (Some("AWS Internal"), Channel::Console),
            (Some("aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#iam.add-user-to-group"), Channel::Cli),
            (Some("aws-cli/1.18.69 Python/3.8.5 Linux/5.4.0 botocore/1.17.0"), Channel::Cli),
            (Some("Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0"), Channel::Sdk),
            (Some("aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/iam#1.28.5"), Channel::Sdk),
            (Some("aws-sdk-js/3.490.0 ua/2.0 os/linux#6.5.0 lang/js md/nodejs#18.19.0 api/iam#3.490.0"), Channel::Sdk),
            (Some("APN/1.0 HashiCorp/1.0 Terraform/1.6.6 (+https://www.terraform.io) terraform-provider-aws/5.31.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/iam#1.28.5"), Channel::Terraform),
            (Some("APN/1.0 HashiCorp/1.0 Terraform/1.0.0 (+https://www.terraform.io) terraform-provider-aws/3.74.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.42.52 (go1.16; linux; amd64)"), Channel::Terraform),
            (Some("cloudformation.amazonaws.com"), Channel::AwsService),
            (Some("curl/8.5.0"), Channel::Unknown),
            (None, Channel::Unknown),
        ];
        for (agent, expected) in cases {
            assert_eq!(channel(agent), expected, "{agent:?}");
        }
    }
}
