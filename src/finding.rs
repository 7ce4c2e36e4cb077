//! The one finding model shared by every command and output format.

use crate::live::membership::MembershipEvent;
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
}

/// Sorts findings for the report and drops repeats: a module called from two roots
/// reports the same defect through each, and once is enough.
pub fn sort_and_dedup(findings: &mut Vec<Finding>) {
    findings.sort_by_cached_key(Finding::sort_key);
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key());
}

/// FNV-1a, 64 bits: the same on every machine and every release (unlike std's hasher),
/// for values written to files or shared between jobs.
pub fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
