//! The one finding model shared by every command and output format.

use crate::membership::MembershipEvent;
use crate::source::Loc;
use serde::{Deserialize, Serialize};

/// How serious a finding is. Ordered so that `Note < Warning < Error`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// What users see of a rule, check or drift alike: what the catalogue lists.
#[derive(Clone)]
pub struct RuleInfo {
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub doc: &'static str,
}

/// A second location that explains a finding, e.g. where an offending value was defined.
#[derive(Clone, Debug)]
pub struct Related {
    pub loc: Loc,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub loc: Loc,
    /// Short text shown on the source label; the message is used when empty.
    pub label: String,
    /// Terraform address of the resource the finding is about.
    pub resource: Option<String>,
    pub help: Option<String>,
    pub related: Vec<Related>,
    /// For a member of a declared group: who put them there, when provenance was read.
    pub provenance: Option<Provenance>,
}

/// How a member came to be in a declared group, and the evidence: what the JSON report
/// carries on a finding and in drift's `members` section.
#[derive(Clone, Debug, Serialize)]
pub struct Provenance {
    pub class: MemberClass,
    /// Where the membership events were read: `lookup` or `s3://BUCKET/PREFIX`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The latest addition of the user to the group in the events read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<MembershipEvent>,
    /// How that addition was made, from its `userAgent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// The longest access the flows reaching the group grant, as a Sym duration (`1h`);
    /// absent when no flow bounds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longest_access: Option<String>,
    /// For a Sym grant with a bounded duration: when the access ends (ended), RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_end: Option<String>,
    /// For an origin unknown: the start of the window read; the addition was before it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_start: Option<String>,
    /// For an origin unknown: the flows reaching the group allow access longer than the
    /// window read, or with no end symguard can read, so the member may hold a Sym grant
    /// made before it; remediate keeps them. Written only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub may_be_sym_grant: bool,
    /// For an allowed member: the `[[allow]]` entry or `--grants` grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_by: Option<AllowedBy>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberClass {
    /// An `[[allow]]` entry or a `--grants` grant covers the member.
    Allowed,
    /// Added by the group's connector role, within the longest access plus the grace.
    ActiveSymGrant,
    /// Added by the connector role, longer ago than that: de-escalation did not happen.
    OverdueSymGrant,
    /// Added by any other principal.
    AddedOutsideSym,
    /// No addition in the events read.
    OriginUnknown,
}

/// The client that made a call, from CloudTrail's `userAgent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Console,
    Cli,
    Sdk,
    Terraform,
    /// An AWS service acting on its own (`cloudformation.amazonaws.com`, ...).
    AwsService,
    /// No `userAgent`, or one symguard does not recognise.
    Unknown,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AllowedBy {
    /// An `[[allow]]` entry of symguard.toml.
    Allow {
        user: String,
        reason: String,
        /// The end of the entry's `expires` day, RFC 3339.
        #[serde(skip_serializing_if = "Option::is_none")]
        until: Option<String>,
    },
    /// A grant of `--grants FILE`.
    Grant { expires_at: String },
}

impl Finding {
    pub fn new(rule: &str, severity: Severity, loc: Loc, message: impl Into<String>) -> Finding {
        Finding {
            rule: rule.to_string(),
            severity,
            message: message.into(),
            loc,
            label: String::new(),
            resource: None,
            help: None,
            related: Vec::new(),
            provenance: None,
        }
    }

    pub fn provenance(mut self, provenance: Provenance) -> Finding {
        self.provenance = Some(provenance);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Finding {
        self.label = label.into();
        self
    }

    pub fn resource(mut self, address: impl Into<String>) -> Finding {
        self.resource = Some(address.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, loc: Loc, message: impl Into<String>) -> Finding {
        self.related.push(Related {
            loc,
            message: message.into(),
        });
        self
    }

    /// Sort key: file, line, column, rule, message; the message orders findings at one
    /// place (members of one group, say) the same way on every run.
    pub fn sort_key(&self) -> (String, usize, usize, String, String) {
        let (line, column) = self.loc.start();
        (
            self.loc.file.display.clone(),
            line,
            column,
            self.rule.clone(),
            self.message.clone(),
        )
    }

    /// Where the related locations are, for telling apart one defect seen through two roots.
    fn related_key(&self) -> Vec<(String, usize, usize)> {
        self.related
            .iter()
            .map(|r| {
                let (line, column) = r.loc.start();
                (r.loc.file.display.clone(), line, column)
            })
            .collect()
    }
}

/// Sorts findings for the report and drops repeats. A module called from two roots reports
/// a defect through each: the same finding twice is one, but where the roots' values come
/// from different places (each root's `terraform.tfvars`), each root keeps its own, so that
/// checking the repository and checking one root agree about that root.
pub fn sort_and_dedup(findings: &mut Vec<Finding>) {
    findings.sort_by_cached_key(|f| (f.sort_key(), f.related_key()));
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key() && a.related_key() == b.related_key());
    merge_module_instances(findings);
}

/// One line of a module seen through several of its instances (`module.a` and `module.b`
/// calling the same module in one root) is one defect: the findings that differ only in
/// the instance become one whose message names every instance.
fn merge_module_instances(findings: &mut Vec<Finding>) {
    let mut first_of: std::collections::HashMap<_, usize> = std::collections::HashMap::new();
    let mut instances: Vec<Vec<String>> = Vec::new();
    let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
    for finding in findings.drain(..) {
        let in_module = finding
            .resource
            .as_deref()
            .filter(|address| address.starts_with("module."))
            .map(|address| (address.to_string(), address_in_module(address)));
        let Some((address, in_module)) = in_module else {
            kept.push(finding);
            instances.push(Vec::new());
            continue;
        };
        let (file, line, column, rule, _) = finding.sort_key();
        let key = (
            file,
            line,
            column,
            rule,
            finding.severity,
            finding
                .message
                .replace(&format!("`{address}`"), &format!("`{in_module}`")),
            finding.related_key(),
        );
        match first_of.get(&key) {
            Some(&at) => instances[at].push(address),
            None => {
                first_of.insert(key, kept.len());
                kept.push(finding);
                instances.push(vec![address]);
            }
        }
    }
    for (finding, addresses) in kept.iter_mut().zip(instances) {
        if let [first, rest @ ..] = addresses.as_slice() {
            if !rest.is_empty() {
                let named: Vec<String> = addresses.iter().map(|a| format!("`{a}`")).collect();
                let (last, others) = named.split_last().expect("two or more");
                let listed = format!("{} and {last}", others.join(", "));
                finding.message = finding.message.replace(&format!("`{first}`"), &listed);
            }
        }
    }
    *findings = kept;
}

/// A resource's address inside its module, without the module instances that lead to it:
/// `module.a.sym_flow.this` and `module.b["x"].sym_flow.this` are both `sym_flow.this`.
fn address_in_module(address: &str) -> String {
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find('.').unwrap_or(after.len());
        let name = &after[..end];
        // A `for_each` key may hold dots: skip to the end of the `[...]` first.
        let end = match name.find('[') {
            Some(open) => after[open..]
                .find("].")
                .map_or(after.len(), |close| open + close + 1),
            None => end,
        };
        rest = after[end..].strip_prefix('.').unwrap_or("");
    }
    rest.to_string()
}

/// FNV-1a, 64 bits: the same on every machine and every release (unlike std's hasher),
/// for values written to files or shared between jobs.
pub fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// An expected member, with the evidence: an entry of the drift report's `members`.
#[derive(Serialize, Clone, Debug)]
pub struct MemberRecord {
    pub account: String,
    pub group: String,
    pub group_arn: String,
    pub user: String,
    pub provenance: Provenance,
}

/// Whether and where one account's membership history was read: the report summary's
/// `provenance` entries.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct ProvenanceRead {
    pub account: String,
    pub read: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<usize>,
}

/// What drift's report says besides its findings: which accounts' provenance was read,
/// and the expected members with their evidence.
#[derive(Serialize, Clone, Debug, Default)]
pub struct Evidence {
    pub provenance: Vec<ProvenanceRead>,
    pub members: Vec<MemberRecord>,
}

impl Evidence {
    /// The summary's sentence about provenance, for the human report.
    pub fn summary(&self) -> String {
        if self.provenance.is_empty() {
            return String::new();
        }
        let unread: Vec<&str> = self
            .provenance
            .iter()
            .filter(|p| !p.read)
            .map(|p| p.account.as_str())
            .collect();
        if unread.is_empty() {
            let sources: Vec<String> = self
                .provenance
                .iter()
                .map(|p| {
                    format!(
                        "account {}: {} since {}, {} events",
                        p.account,
                        p.source.as_deref().unwrap_or_default(),
                        p.since.as_deref().unwrap_or_default(),
                        p.events.unwrap_or_default()
                    )
                })
                .collect();
            format!("provenance read ({})\n", sources.join("; "))
        } else if unread.len() == self.provenance.len() {
            "provenance not read: members were judged by [[allow]] and --grants only\n".into()
        } else {
            format!(
                "provenance not read in account {}: its members were judged by [[allow]] and --grants only\n",
                unread.join(", ")
            )
        }
    }
}
