//! Baselines: accept the findings a repository has today and block only new ones.
//!
//! `check --write-baseline FILE` records each finding as its rule, its resource address and
//! a fingerprint of its file, message and the source text it points at; `--baseline FILE`
//! drops the findings that match a recorded one. Line numbers take no part, so edits that
//! only move a finding do not bring it back.

use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize, PartialEq, Eq, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    pub resource: Option<String>,
    pub fingerprint: String,
}

impl Entry {
    pub fn of(finding: &Finding) -> Entry {
        let snippet = finding
            .loc
            .file
            .text
            .get(finding.loc.span.clone())
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let identity = [
            finding.rule.as_str(),
            finding.loc.file.display.as_str(),
            finding.message.as_str(),
            snippet.as_str(),
        ]
        .join("\u{0}");
        Entry {
            rule: finding.rule.clone(),
            resource: finding.resource.clone(),
            fingerprint: format!("{:016x}", crate::finding::stable_hash(&identity)),
        }
    }
}

impl Baseline {
    pub fn of(findings: &[Finding]) -> Baseline {
        Baseline {
            version: VERSION,
            findings: findings.iter().map(Entry::of).collect(),
        }
    }

    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let baseline: Baseline = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a symguard baseline: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if baseline.version != VERSION {
            return Err(format!(
                "{}: baseline version {} is not supported (this symguard reads version {VERSION})",
                path.display(),
                baseline.version
            ));
        }
        Ok(baseline)
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        text.push('\n');
        std::fs::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))
    }

    /// The findings the baseline does not account for. Each recorded entry accounts for
    /// one finding, so a second identical defect is new.
    pub fn new_findings(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let mut unused: Vec<&Entry> = self.findings.iter().collect();
        findings
            .into_iter()
            .filter(|f| {
                let entry = Entry::of(f);
                match unused.iter().position(|e| **e == entry) {
                    Some(i) => {
                        unused.swap_remove(i);
                        false
                    }
                    None => true,
                }
            })
            .collect()
    }
}
