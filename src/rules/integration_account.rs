use super::{Context, Rule};
use crate::eval::Source;
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "integration-account",
    severity: Severity::Warning,
    summary: "a `permission_context` integration whose `external_id` is not the connector's `settings.account_id`",
    doc: include_str!("../../rules/integration-account.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for (resource, integration) in cx.model.sym("sym_integration", "permission_context") {
        let address = &integration.address;
        let Some(settings) = integration.body.attr("settings") else {
            continue;
        };
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
        let Some(settings_unknown) = settings.value.as_unknown() else {
            continue;
        };
        let Source::ModuleOutput(connector) = &*settings_unknown.source else {
            continue;
        };
        if !cx
            .model
            .calls
            .iter()
            .any(|c| &c.address == connector && c.is_connector())
        {
            continue;
        }
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

fixture_test!();
