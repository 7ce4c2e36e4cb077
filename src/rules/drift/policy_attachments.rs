use super::{DriftContext, DriftRule};
use crate::finding::{Finding, Severity};
use std::collections::BTreeSet;

pub const RULE: DriftRule = DriftRule {
    name: "drift-policy-attachments",
    severity: Severity::Warning,
    summary: "managed policies attached to a group differ from the attachments the configuration declares",
    doc: include_str!("../../../rules/drift-policy-attachments.md"),
    check,
};

fn check(cx: &DriftContext, out: &mut Vec<Finding>) {
    for (declared, live) in cx.existing() {
        let Some(expected) = declared_attachments(cx, &declared.name) else {
            continue;
        };
        if expected.is_empty() {
            continue;
        }
        let attached: BTreeSet<&str> = live.attached_policies.iter().map(String::as_str).collect();
        let matches = |arn: &str, want: &Attachment| match want {
            Attachment::Arn(a) => a == arn,
            Attachment::Named(name) => arn.rsplit('/').next() == Some(name.as_str()),
        };
        let missing: Vec<String> = expected
            .iter()
            .filter(|want| !attached.iter().any(|a| matches(a, want)))
            .map(Attachment::to_string)
            .collect();
        let extra: Vec<&str> = attached
            .iter()
            .copied()
            .filter(|a| !expected.iter().any(|want| matches(a, want)))
            .collect();
        if missing.is_empty() && extra.is_empty() {
            continue;
        }
        let mut parts = Vec::new();
        if !extra.is_empty() {
            parts.push(format!("attached but not declared: {}", extra.join(", ")));
        }
        if !missing.is_empty() {
            parts.push(format!("declared but not attached: {}", missing.join(", ")));
        }
        out.push(
            cx.finding(
                &RULE,
                declared.loc.clone(),
                format!(
                    "the policies of `{}` ({}) differ from the configuration: {}",
                    declared.name,
                    live.arn,
                    parts.join("; ")
                ),
            )
            .label("policy attachments drifted")
            .resource(&declared.target.address)
            .help("re-apply the configuration, or declare the attachment that was made by hand"),
        );
    }
}

enum Attachment {
    Arn(String),
    /// An `aws_iam_policy` of this configuration, whose ARN is known only after apply.
    Named(String),
}

impl std::fmt::Display for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Attachment::Arn(a) => f.write_str(a),
            Attachment::Named(n) => write!(f, "policy/{n}"),
        }
    }
}

/// The attachments declared for a group, or `None` when one of them is not known.
fn declared_attachments(cx: &DriftContext, group: &str) -> Option<Vec<Attachment>> {
    let mut out = Vec::new();
    for (_, attachment) in cx.model.instances("aws_iam_group_policy_attachment") {
        if attachment.body.attr("group").and_then(|a| a.value.as_str()) != Some(group) {
            continue;
        }
        let arn = &attachment.body.attr("policy_arn")?.value;
        if let Some(arn) = arn.as_str() {
            out.push(Attachment::Arn(arn.to_string()));
            continue;
        }
        let (resource, policy) = cx.model.referenced(arn)?;
        if resource.kind != "aws_iam_policy" {
            return None;
        }
        out.push(Attachment::Named(
            policy.body.attr("name")?.value.as_str()?.to_string(),
        ));
    }
    Some(out)
}
