//! The input document Rego policies see: the evaluated model of one Terraform root, in a
//! documented, versioned shape (`schemas/policy-input.schema.json`). Values not known
//! before apply are `null`.

use crate::eval::{Attr, Instance};
use crate::model::{FlowDurations, Model, PromptField, TargetRef};
use crate::source::Loc;
use serde_json::{json, Map, Value};

pub const VERSION: u32 = 1;

fn place(address: &str, loc: &Loc) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("address".into(), json!(address));
    object.insert("file".into(), json!(loc.file.display));
    object.insert("line".into(), json!(loc.start().0));
    object
}

fn attr_json(instance: &Instance, name: &str) -> Value {
    instance
        .body
        .attr(name)
        .and_then(|a| a.value.to_json())
        .unwrap_or(Value::Null)
}

fn setting(instance: &Instance, name: &str) -> Value {
    instance
        .body
        .attr("settings")
        .and_then(|a| a.value.as_map()?.get(name)?.to_json())
        .unwrap_or(Value::Null)
}

/// The address a reference points at (`sym_target.ops.id` gives `sym_target.ops`).
fn referenced(model: &Model, attr: Option<&Attr>) -> Value {
    attr.and_then(|a| model.referenced(&a.value))
        .map_or(Value::Null, |(_, i)| json!(i.address))
}

/// A policy document written with `jsonencode` or a JSON string, as JSON.
fn policy_document(value: Value) -> Value {
    match value {
        Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        other => other,
    }
}

pub fn document(model: &Model, root: &str) -> Value {
    let mut integrations = Vec::new();
    for (resource, i) in model.instances("sym_integration") {
        let mut o = place(&i.address, &resource.loc);
        o.insert("type".into(), attr_json(i, "type"));
        o.insert("name".into(), attr_json(i, "name"));
        o.insert("external_id".into(), attr_json(i, "external_id"));
        o.insert(
            "connector".into(),
            model
                .connector_of(i)
                .map_or(Value::Null, |c| json!(c.address)),
        );
        integrations.push(Value::Object(o));
    }
    let mut connectors = Vec::new();
    for call in model.calls.iter().filter(|c| c.is_connector()) {
        let mut o = place(&call.address, &call.loc);
        let argument = |name: &str| {
            call.args
                .attr(name)
                .and_then(|a| a.value.to_json())
                .unwrap_or(Value::Null)
        };
        o.insert("source".into(), json!(call.source()));
        o.insert("version".into(), argument("version"));
        o.insert("environment".into(), argument("environment"));
        o.insert(
            "group_config".into(),
            call.group_config().map_or(Value::Null, |patterns| {
                patterns
                    .iter()
                    .map(|p| json!({"path": p.path, "name": p.name}))
                    .collect()
            }),
        );
        connectors.push(Value::Object(o));
    }
    let mut targets = Vec::new();
    for (resource, i) in model.instances("sym_target") {
        let mut o = place(&i.address, &resource.loc);
        o.insert("type".into(), attr_json(i, "type"));
        o.insert("name".into(), attr_json(i, "name"));
        o.insert("label".into(), attr_json(i, "label"));
        let group = setting(i, "iam_group");
        let path = group
            .as_str()
            .and_then(|name| model.iam_group(name))
            .map_or(Value::Null, |(_, g)| {
                g.body
                    .attr("path")
                    .and_then(|a| a.value.to_json())
                    .unwrap_or(json!("/"))
            });
        o.insert("iam_group".into(), group);
        o.insert("iam_group_path".into(), path);
        targets.push(Value::Object(o));
    }
    let mut strategies = Vec::new();
    for (resource, i) in model.instances("sym_strategy") {
        let mut o = place(&i.address, &resource.loc);
        o.insert("type".into(), attr_json(i, "type"));
        o.insert("name".into(), attr_json(i, "name"));
        o.insert(
            "integration".into(),
            referenced(model, i.body.attr("integration_id")),
        );
        let listed: Vec<Value> = model
            .strategy_targets(i)
            .iter()
            .map(|t| match t {
                TargetRef::Resource(_, target, _) => json!(target.address),
                TargetRef::Other(_) => Value::Null,
            })
            .collect();
        o.insert("targets".into(), Value::Array(listed));
        strategies.push(Value::Object(o));
    }
    let mut flows = Vec::new();
    for (resource, i) in model.instances("sym_flow") {
        let mut o = place(&i.address, &resource.loc);
        o.insert("name".into(), attr_json(i, "name"));
        o.insert(
            "strategy".into(),
            model
                .flow_strategy(i)
                .map_or(Value::Null, |(_, s)| json!(s.address)),
        );
        let fields: Vec<Value> = PromptField::of_flow(i)
            .map(|f| {
                let get = |name: &str| {
                    f.attr(name)
                        .and_then(|a| a.value.to_json())
                        .unwrap_or(Value::Null)
                };
                let seconds: Value = match f.attr("allowed_values").map(|a| &a.value) {
                    Some(values) if f.field_type() == Some("duration") => {
                        values.as_list().map_or(Value::Null, |items| {
                            items
                                .iter()
                                .map(|v| {
                                    v.as_str()
                                        .and_then(|s| crate::duration::parse(s).ok())
                                        .map_or(Value::Null, |n| json!(n))
                                })
                                .collect()
                        })
                    }
                    _ => Value::Null,
                };
                json!({
                    "name": get("name"),
                    "type": get("type"),
                    "label": get("label"),
                    "required": f.is_required(),
                    "allowed_values": get("allowed_values"),
                    "allowed_seconds": seconds,
                    "default": get("default"),
                })
            })
            .collect();
        o.insert("prompt_fields".into(), Value::Array(fields));
        o.insert(
            "max_duration_seconds".into(),
            match FlowDurations::of(i) {
                FlowDurations::Bounded(seconds, ..) => json!(seconds),
                _ => Value::Null,
            },
        );
        flows.push(Value::Object(o));
    }
    let mut groups = Vec::new();
    for (resource, i) in model.instances("aws_iam_group") {
        let mut o = place(&i.address, &resource.loc);
        let name = attr_json(i, "name");
        o.insert(
            "path".into(),
            i.body
                .attr("path")
                .and_then(|a| a.value.to_json())
                .unwrap_or(json!("/")),
        );
        let of_group = |kind: &'static str| {
            let name = name.clone();
            model
                .instances(kind)
                .filter(move |(_, a)| name.is_string() && attr_json(a, "group") == name)
        };
        let attached: Vec<Value> = of_group("aws_iam_group_policy_attachment")
            .map(|(_, a)| {
                let arn = attr_json(a, "policy_arn");
                if arn.is_null() {
                    referenced(model, a.body.attr("policy_arn"))
                } else {
                    arn
                }
            })
            .collect();
        let inline: Vec<Value> = of_group("aws_iam_group_policy")
            .map(|(_, p)| {
                json!({"name": attr_json(p, "name"), "policy": policy_document(attr_json(p, "policy"))})
            })
            .collect();
        o.insert("name".into(), name);
        o.insert("attached_policies".into(), Value::Array(attached));
        o.insert("inline_policies".into(), Value::Array(inline));
        groups.push(Value::Object(o));
    }
    let mut roles = Vec::new();
    for (resource, i) in model.instances("aws_iam_role") {
        let mut o = place(&i.address, &resource.loc);
        o.insert("name".into(), attr_json(i, "name"));
        o.insert(
            "max_session_duration".into(),
            i.body
                .attr("max_session_duration")
                .and_then(|a| a.value.to_json())
                .unwrap_or(json!(3600)),
        );
        roles.push(Value::Object(o));
    }
    json!({
        "version": VERSION,
        "root": root,
        "integrations": integrations,
        "connectors": connectors,
        "targets": targets,
        "strategies": strategies,
        "flows": flows,
        "iam_groups": groups,
        "roles": roles,
    })
}
