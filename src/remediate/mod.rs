//! Remediation: take standing access away, plan first.
//!
//! The pipeline: drift's live state -> classify each member (`rules::drift::provenance`) -> plan
//! (one removal per `drift-unexpected-member` or `drift-overdue-grant` finding) -> apply
//! (re-read, remove, audit). Nothing else is ever changed: no group that no target
//! declares, no active Sym grant, no additions, no deletions.

pub mod apply;
mod pipeline;

use crate::finding::Finding;
use crate::rules::drift::provenance::{self, Class, Member};
use crate::rules::drift::{overdue_grant, unexpected_member, DriftContext};
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
    /// CloudTrail's ID of the addition the finding rests on, if any: any other addition
    /// of the user to the group since the plan was made stops the removal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_event: Option<String>,
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
/// group the connector cannot manage is not Sym's to clean up), neither an `[[allow]]`
/// entry nor an active grant covers the user, whatever the case of the names (IAM user and
/// group names are unique regardless of case), and the member is not an active Sym grant:
/// only members added outside Sym, of unknown origin where a Sym grant would be in the
/// window read, overdue Sym grants, or any member when provenance was not read. Every
/// removal of a plan has passed it.
pub fn may_remove(cx: &DriftContext, member: &Member) -> bool {
    let Member {
        declared,
        group,
        user,
        class,
    } = member;
    let declared_by_a_target = cx.declared.iter().any(|d| d.name == declared.name);
    let in_connector_scope = declared.scope().is_none_or(|scope| {
        scope
            .iter()
            .any(|pattern| pattern.matches(Some(&group.path), &declared.name))
    });
    let standing = matches!(
        class,
        Class::NotRead
            | Class::OutsideSym { .. }
            | Class::Unknown {
                maybe_sym_grant: None,
                ..
            }
            | Class::OverdueGrant { .. }
    );
    declared_by_a_target && in_connector_scope && standing && !cx.allowed(user, &declared.name)
}

/// The removals of one root and the findings behind them. Only the findings of
/// `drift-unexpected-member` and `drift-overdue-grant` become removals, only when the
/// root's configuration does not turn their rule off, and only when `may_remove` agrees.
pub fn removals(cx: &DriftContext) -> Vec<(Removal, Finding)> {
    let mut out = Vec::new();
    for rule in [unexpected_member::RULE.name, overdue_grant::RULE.name] {
        let mut findings = Vec::new();
        let mut members: Vec<Member> = Vec::new();
        cx.config.run_rule(rule, &mut findings, |found| {
            for member in provenance::members(cx).filter(|m| may_remove(cx, m)) {
                if let Some(finding) = finding(cx, &member).filter(|f| f.rule == rule) {
                    found.push(finding);
                    members.push(member);
                }
            }
        });
        out.extend(members.into_iter().zip(findings).map(|(member, finding)| {
            let removal = Removal {
                account: cx.account_id(&member.declared.account).to_string(),
                group: member.declared.name.clone(),
                group_arn: member.group.arn.clone(),
                user: member.user.to_string(),
                finding: Cause::of(&finding),
                known_event: member.class.added().map(|e| e.id.clone()),
            };
            (removal, finding)
        }));
    }
    out
}

/// The finding of a member whom remediation may remove, from the rule of its class;
/// `None` for an expected member.
fn finding(cx: &DriftContext, member: &Member) -> Option<Finding> {
    unexpected_member::finding(cx, member).or_else(|| overdue_grant::finding(cx, member))
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

#[cfg(test)]
mod tests {
    use crate::{remediation_plan, CheckOptions, LiveOptions};
    use serde_json::Value;
    use std::path::{Path, PathBuf};

    /// The removals `remediate` plans for a fixture's configuration and a state, as
    /// (group, user, rule).
    fn planned(dir: &str, state: &Path, config: Option<&Path>) -> Vec<(String, String, String)> {
        let mut options = CheckOptions::new(vec![PathBuf::from(dir)]);
        options.config = config.map(Path::to_path_buf);
        let live = LiveOptions {
            state: Some(state.to_path_buf()),
            ..LiveOptions::default()
        };
        let remediation = remediation_plan(&options, &live).unwrap_or_else(|e| panic!("{e}"));
        remediation
            .plan
            .removals
            .iter()
            .map(|r| (r.group.clone(), r.user.clone(), r.finding.rule.clone()))
            .collect()
    }

    fn removal(user: &str, rule: &str) -> (String, String, String) {
        ("ops-admin".into(), user.into(), rule.into())
    }

    /// The fixture's state, changed by `edit`, in a temporary file.
    fn edited_state(dir: &str, edit: impl FnOnce(&mut Value)) -> (tempfile::TempDir, PathBuf) {
        let text = std::fs::read_to_string(format!("{dir}/state.json")).unwrap();
        let mut state: Value = serde_json::from_str(&text).unwrap();
        edit(&mut state);
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("state.json");
        std::fs::write(&path, state.to_string()).unwrap();
        (temp, path)
    }

    const UNEXPECTED: &str = "fixtures/drift-unexpected-member/fail";
    const OVERDUE: &str = "fixtures/drift-overdue-grant/fail";

    #[test]
    fn members_added_outside_sym_or_of_unknown_origin_are_removed_active_grants_and_allowed_ones_stay(
    ) {
        let state = PathBuf::from(UNEXPECTED).join("state.json");
        let rule = "drift-unexpected-member";
        assert_eq!(
            planned(UNEXPECTED, &state, None),
            [
                removal("dave", rule),
                removal("eve", rule),
                removal("mallory", rule),
                removal("tf-deployer", rule)
            ]
        );
    }

    #[test]
    fn a_member_of_unknown_origin_stays_when_a_sym_grant_to_the_group_could_predate_the_window() {
        // eve was added before the window (90 days). A flow that allows 120 days, or lets
        // requesters choose any duration, may have granted her access that is still on.
        let state = PathBuf::from(UNEXPECTED).join("state.json");
        let config = std::fs::read_to_string(format!("{UNEXPECTED}/main.tf")).unwrap();
        let written = "allowed_values = [\"30m\", \"1h\"]";
        assert!(config.contains(written));
        for (durations, access) in [
            (
                "allowed_values = [\"30m\", \"120d\"]",
                "access for up to 120d",
            ),
            ("", "access with no end symguard can read"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(
                dir.path().join("main.tf"),
                config.replace(written, durations),
            )
            .unwrap();
            std::fs::copy(
                format!("{UNEXPECTED}/symguard.toml"),
                dir.path().join("symguard.toml"),
            )
            .unwrap();
            let dir = dir.path().to_str().unwrap();
            let rule = "drift-unexpected-member";
            assert_eq!(
                planned(dir, &state, None),
                [
                    removal("dave", rule),
                    removal("mallory", rule),
                    removal("tf-deployer", rule)
                ],
                "{access}"
            );
            let live = LiveOptions {
                state: Some(state.clone()),
                ..LiveOptions::default()
            };
            let report = crate::drift(&CheckOptions::new(vec![PathBuf::from(dir)]), &live).unwrap();
            let eve = report
                .findings
                .iter()
                .find(|f| f.message.starts_with("user `eve`"))
                .unwrap();
            assert!(
                eve.message.ends_with(&format!(
                    "the flows reaching the group allow {access}, so this may be a Sym grant made before then and still active, and remediate keeps them"
                )),
                "{}",
                eve.message
            );
            let evidence = serde_json::to_value(eve.provenance.as_ref().unwrap()).unwrap();
            assert_eq!(evidence["class"], "origin_unknown", "{evidence}");
            assert_eq!(evidence["may_be_sym_grant"], true, "{evidence}");
            let longest = access.strip_prefix("access for up to ");
            assert_eq!(evidence["longest_access"].as_str(), longest, "{evidence}");
        }
        // The 1h flow of the fixture: any Sym grant would be in the window.
        assert!(
            planned(UNEXPECTED, &state, None).contains(&removal("eve", "drift-unexpected-member"))
        );
    }

    #[test]
    fn overdue_sym_grants_are_removed_unless_their_rule_is_off() {
        let state = PathBuf::from(OVERDUE).join("state.json");
        assert_eq!(
            planned(OVERDUE, &state, None),
            [removal("bob", "drift-overdue-grant")]
        );
        let config = tempfile::tempdir().unwrap();
        let off = config.path().join("symguard.toml");
        std::fs::write(&off, "[rules]\ndrift-overdue-grant = \"off\"\n").unwrap();
        assert_eq!(planned(OVERDUE, &state, Some(&off)), []);
    }

    #[test]
    fn a_shorter_grace_makes_a_grant_in_its_grace_overdue() {
        // carol's grant ended at 11:50; the state was read at 12:00.
        let state = PathBuf::from(OVERDUE).join("state.json");
        let config = tempfile::tempdir().unwrap();
        let short = config.path().join("symguard.toml");
        std::fs::write(&short, "[drift]\ngrace = \"5m\"\n").unwrap();
        assert_eq!(
            planned(OVERDUE, &state, Some(&short)),
            [
                removal("bob", "drift-overdue-grant"),
                removal("carol", "drift-overdue-grant")
            ]
        );
    }

    #[test]
    fn without_provenance_every_member_nothing_allows_is_removed_as_before() {
        let (_temp, state) = edited_state(UNEXPECTED, |s| {
            s["accounts"]["123456789012"]
                .as_object_mut()
                .unwrap()
                .remove("membership");
        });
        let rule = "drift-unexpected-member";
        assert_eq!(
            planned(UNEXPECTED, &state, None),
            [
                removal("alice", rule),
                removal("dave", rule),
                removal("eve", rule),
                removal("mallory", rule),
                removal("tf-deployer", rule)
            ]
        );
    }

    #[test]
    fn no_member_of_a_group_outside_the_connector_scope_is_removed_whatever_its_class() {
        for dir in [UNEXPECTED, OVERDUE] {
            let (_temp, state) = edited_state(dir, |s| {
                let account = &mut s["accounts"]["123456789012"];
                account["groups"]["ops-admin"]["path"] = "/other/".into();
                account["scoped_groups"] = Value::Array(Vec::new());
            });
            assert_eq!(planned(dir, &state, None), [], "{dir}");
        }
    }

    #[test]
    fn an_addition_by_another_role_of_the_same_name_elsewhere_is_not_sym() {
        // The connector role's live ARN is what a Sym addition must name.
        let (_temp, state) = edited_state(OVERDUE, |s| {
            for event in s["accounts"]["123456789012"]["membership"]["events"]
                .as_array_mut()
                .unwrap()
            {
                if event["user"] == "alice" {
                    event["actor"]["role_arn"] =
                        "arn:aws:iam::210987654321:role/sym/SymIAMProd".into();
                }
            }
        });
        assert_eq!(
            planned(OVERDUE, &state, None),
            [
                removal("alice", "drift-unexpected-member"),
                removal("bob", "drift-overdue-grant")
            ]
        );
    }
}
