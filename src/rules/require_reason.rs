use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::model::PromptField;

pub const RULE: Rule = Rule {
    name: "require-reason",
    severity: Severity::Warning,
    summary: "with `[policy] require_reason = true`: a flow with no required string prompt field",
    doc: include_str!("../../rules/require-reason.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    if !cx.config.require_reason {
        return;
    }
    for (resource, flow) in cx.model.instances("sym_flow") {
        let params = flow.body.blocks("params").next();
        if params.is_some_and(|p| p.body.partial) {
            continue;
        }
        let mut fields = PromptField::of_flow(flow);
        // A field whose type or `required` is unknown may be the reason field.
        let satisfied = fields.any(|f| {
            let unknown = |name| f.attr(name).is_some_and(|a| a.value.contains_unknown());
            (f.field_type() == Some("string") && f.is_required())
                || unknown("type")
                || unknown("required")
        });
        if !satisfied {
            out.push(
                cx.finding(&RULE, params.map_or(resource.loc.clone(), |p| p.loc.clone()), format!("`{}` does not ask requesters for a reason", flow.address))
                    .label("no required string prompt field")
                    .resource(&flow.address)
                    .help("add `prompt_field { name = \"reason\"  type = \"string\"  required = true }` to the flow's params"),
            );
        }
    }
}

fixture_test!();
