use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::model::TargetRef;
use std::collections::HashSet;

pub const RULE: Rule = Rule {
    name: "connector-scope",
    severity: Severity::Error,
    summary: "a targeted group outside the IAM connector's `group_config`: Sym could never add anyone to it",
    doc: include_str!("../../rules/connector-scope.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    let mut reported = HashSet::new();
    for (_, strategy) in model.sym("sym_strategy", "aws_iam") {
        let Some(integration) = strategy
            .body
            .attr("integration_id")
            .and_then(|a| model.referenced(&a.value))
        else {
            continue;
        };
        let Some(connector) = model.connector_of(integration.1) else {
            continue;
        };
        let Some(patterns) = connector.group_config() else {
            continue;
        };
        for target in model.strategy_targets(strategy) {
            let TargetRef::Resource(resource, target, _) = target else {
                continue;
            };
            if resource.kind != "sym_target" {
                continue;
            }
            let Some(settings) = target.body.attr("settings") else {
                continue;
            };
            let Some(group) = settings.value.as_map().and_then(|m| m.get("iam_group")) else {
                continue;
            };
            let Some(name) = group.as_str() else { continue };
            let declared = model.iam_group(name);
            let path_attr = declared.and_then(|(_, g)| g.body.attr("path"));
            let path = match (declared, path_attr) {
                (Some(_), Some(attr)) => match attr.value.as_str() {
                    Some(p) => Some(p),
                    None => continue,
                },
                (Some(_), None) => Some(crate::provider::DEFAULT_GROUP_PATH),
                (None, _) => None,
            };
            if patterns.iter().any(|p| p.matches(path, name)) {
                continue;
            }
            if !reported.insert((target.address.clone(), connector.address.clone())) {
                continue;
            }
            let scope = patterns
                .iter()
                .map(|p| format!("{}{}", p.path, p.name))
                .collect::<Vec<_>>()
                .join(", ");
            let shown = path.map_or(name.to_string(), |p| format!("{p}{name}"));
            let mut finding = cx
                .finding_at_value(
                    &RULE,
                    settings,
                    group,
                    format!(
                        "the IAM group `{shown}` of `{}` is outside the scope of `{}` ({scope}): Sym cannot add anyone to it",
                        target.address, connector.address
                    ),
                )
                .label("outside the connector's group_config")
                .resource(&target.address);
            finding = match connector.args.attr("group_config") {
                Some(attr) => {
                    finding.related(attr.expr_loc.clone(), "the connector's scope is set here")
                }
                None => finding.related(
                    connector.loc.clone(),
                    format!("the connector's default scope is {scope}"),
                ),
            };
            if let Some(attr) = path_attr {
                finding = finding.related(attr.expr_loc.clone(), "the group's path is set here");
            } else if let Some((group_resource, _)) = declared {
                finding = finding.related(
                    group_resource.loc.clone(),
                    "this group has no `path`, so it lives at `/`",
                );
            }
            out.push(finding.help(
                "create the group under a path the connector manages (e.g. `path = \"/sym/\"`), or widen the connector's `group_config`",
            ));
        }
    }
}

fixture_test!();
