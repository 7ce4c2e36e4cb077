use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::model::{flow_params, PromptField};
use crate::provider::PROMPT_FIELD_TYPES;

pub const RULE: Rule = Rule {
    name: "prompt-field-type",
    severity: Severity::Error,
    summary: "a `prompt_field.type` outside the provider's list",
    doc: include_str!("../../rules/prompt-field-type.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for (_, flow) in cx.model.instances("sym_flow") {
        for field in PromptField::of_flow(flow) {
            let Some(attr) = field.attr("type") else {
                continue;
            };
            let Some(type_) = attr.value.as_str() else {
                continue;
            };
            // Provider 1 still accepted `list`, with a deprecation warning.
            let v1_list = type_ == "list" && flow_params::is_provider_v1(flow);
            if PROMPT_FIELD_TYPES.contains(&type_) || v1_list {
                continue;
            }
            let suggestion = PROMPT_FIELD_TYPES.iter().find(|t| {
                t.eq_ignore_ascii_case(type_)
                    || t.replace('_', "") == type_.to_ascii_lowercase().replace(['_', '-'], "")
            });
            let help = match suggestion {
                Some(t) => format!(
                    "did you mean `{t}`? The provider accepts: {}",
                    PROMPT_FIELD_TYPES.join(", ")
                ),
                None => format!("the provider accepts: {}", PROMPT_FIELD_TYPES.join(", ")),
            };
            out.push(
                cx.finding(
                    &RULE,
                    attr.expr_loc.clone(),
                    format!("`{type_}` is not a prompt field type"),
                )
                .label("unknown type")
                .resource(&flow.address)
                .help(help),
            );
        }
    }
}

fixture_test!();
