//! The rule catalogue: what users see of every rule (`symguard rules`, `explain`, SARIF,
//! suppression and configuration checks), and where each rule's documentation is published.

use crate::finding::RuleInfo;
use crate::rules::drift;
use crate::{policy, rules, suppress};

/// Every rule: the check rules, then the drift rules.
pub fn catalogue() -> Vec<RuleInfo> {
    let check = rules::CATALOGUE.iter().map(|r| RuleInfo {
        name: r.name,
        severity: r.severity,
        summary: r.summary,
        doc: r.doc,
    });
    let drift = drift::CATALOGUE.iter().map(|r| RuleInfo {
        name: r.name,
        severity: r.severity,
        summary: r.summary,
        doc: r.doc,
    });
    let about_suppressions_and_policies = suppress::RULES.iter().chain(policy::RULES).cloned();
    check
        .chain(drift)
        .chain(about_suppressions_and_policies)
        .collect()
}

/// The name of every rule: what configurations and suppression comments may name.
pub fn rule_names() -> Vec<&'static str> {
    catalogue().iter().map(|r| r.name).collect()
}

/// Where a rule's documentation is published (help links in SARIF and markdown).
pub fn rule_doc_url(name: &str) -> String {
    format!("{}/blob/main/rules/{name}.md", env!("CARGO_PKG_REPOSITORY"))
}
