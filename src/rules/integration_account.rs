use super::{Context, Rule};
use crate::eval::Source;
use crate::finding::{Finding, Severity};
use std::collections::HashSet;

pub const RULE: Rule = Rule {
    name: "integration-account",
    severity: Severity::Warning,
    summary: "a `permission_context` integration whose `external_id` is not the connector's `settings.account_id`",
    doc: include_str!("../../rules/integration-account.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    // Other permission contexts (the runtime's, an SSO instance's) are not the IAM
    // connector's: only those an `aws_iam` strategy uses, or that take an IAM connector's
    // settings, must name the connector's account.
    let used_by_iam_strategies: HashSet<&str> = cx
        .model
        .sym("sym_strategy", "aws_iam")
        .filter_map(|(_, s)| cx.model.referenced(&s.body.attr("integration_id")?.value))
        .map(|(_, integration)| integration.address.as_str())
        .collect();
    for (resource, integration) in cx.model.sym("sym_integration", "permission_context") {
        let address = &integration.address;
        let Some(settings) = integration.body.attr("settings") else {
            continue;
        };
        // The IAM connector whose output the settings are.
        let connector = settings
            .value
            .as_unknown()
            .and_then(|u| match &*u.source {
                Source::ModuleOutput(call) => Some(call),
                _ => None,
            })
            .filter(|call| {
                cx.model
                    .calls
                    .iter()
                    .any(|c| &c.address == *call && c.is_connector())
            });
        if connector.is_none() && !used_by_iam_strategies.contains(address.as_str()) {
            continue;
        }
        let external_id = integration.body.attr("external_id");
        if let Some(map) = settings.value.as_map() {
            // Settings written out by hand instead of taken from the connector module.
            let mut finding = cx
                .finding(
                    &RULE,
                    settings.expr_loc.clone(),
                    format!("the settings of `{address}` are written out instead of taken from the IAM connector module"),
                )
                .label("not the connector's settings")
                .resource(address)
                .help("use `settings = module.iam_connector.settings` and `external_id = module.iam_connector.settings.account_id`");
            if let (Some(account), Some(external)) =
                (map.get("account_id").and_then(|v| v.as_str()), external_id)
            {
                if let Some(id) = external.value.as_str().filter(|id| *id != account) {
                    finding.message = format!(
                        "the `external_id` of `{address}` is `{id}` but its settings name the account `{account}`"
                    );
                    finding.loc = external.expr_loc.clone();
                    finding.label = "differs from settings.account_id".into();
                    finding =
                        finding.related(settings.expr_loc.clone(), "the settings are written here");
                }
            }
            out.push(finding);
            continue;
        }
        let Some(connector) = connector else {
            continue;
        };
        let Some(external) = external_id else {
            out.push(
                cx.finding(
                    &RULE,
                    resource.loc.clone(),
                    format!("`{address}` has no `external_id`"),
                )
                .label("no external_id")
                .resource(address)
                .help(format!(
                    "set `external_id = {connector}.settings.account_id`"
                )),
            );
            continue;
        };
        if let Some(id) = external.value.as_str().filter(|id| is_account_id(id)) {
            out.push(
                cx.finding_at_value(
                    &RULE,
                    external,
                    &external.value,
                    format!("the `external_id` of `{address}` is the hard-coded account `{id}` while its settings come from `{connector}`, whose account may differ"),
                )
                .label("hard-coded account")
                .resource(address)
                .related(settings.expr_loc.clone(), "the settings come from here")
                .help(format!("set `external_id = {connector}.settings.account_id`")),
            );
            continue;
        }
        let Some(unknown) = external.value.as_unknown() else {
            continue;
        };
        if let Source::ModuleOutput(other) = &*unknown.source {
            if other != connector || unknown.path != ["settings", "account_id"] {
                out.push(
                    cx.finding(
                        &RULE,
                        external.expr_loc.clone(),
                        format!("the `external_id` of `{address}` is `{unknown}`, not the account of `{connector}` whose settings it uses"),
                    )
                    .label("not the connector's account")
                    .resource(address)
                    .related(settings.expr_loc.clone(), "the settings come from here")
                    .help(format!("set `external_id = {connector}.settings.account_id`")),
                );
            }
        }
    }
}

/// An AWS account ID: twelve digits.
fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

fixture_test!();
