use super::{Context, Rule};
use crate::duration;
use crate::eval::{Attr, Value};
use crate::finding::{Finding, Severity};
use crate::model::PromptField;

pub const RULE: Rule = Rule {
    name: "duration-value",
    severity: Severity::Error,
    summary: "a duration `allowed_values` entry or `default` that is not a valid duration",
    doc: include_str!("../../rules/duration-value.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for (_, flow) in cx.model.instances("sym_flow") {
        for field in PromptField::of_flow(flow).filter(|f| f.field_type() == Some("duration")) {
            let mut check_value = |attr: &Attr, value: &Value| {
                if value.contains_unknown() {
                    return;
                }
                let problem = match value.as_str() {
                    Some(text) => match duration::parse(text) {
                        Ok(_) => return,
                        Err(e) => e,
                    },
                    None => format!(
                        "a duration must be a string such as \"1h\", not a {}",
                        value.type_name()
                    ),
                };
                out.push(
                    cx.finding_at_value(&RULE, attr, value, problem)
                        .label("not a duration")
                        .resource(&flow.address)
                        .help("write durations as a number and a unit: 30m, 1h, 12h, 1d, 1w (or combined, 1h30m)"),
                );
            };
            if let Some(attr) = field.attr("allowed_values") {
                for item in attr.value.as_list().unwrap_or_default() {
                    check_value(attr, item);
                }
            }
            if let Some(attr) = field.attr("default") {
                check_value(attr, &attr.value);
            }
        }
    }
}

fixture_test!();
