//! `check --plan FILE`: the model from `terraform show -json PLANFILE`, for pipelines that
//! already ran `terraform plan` and so have every value Terraform could compute.
//!
//! Values come from `planned_values`; what Terraform leaves out there because it is known
//! only after apply (ids, ARNs, module outputs) becomes an unknown built from the
//! `configuration` section's `references`, so `targets = [sym_target.x.id]` still names
//! `sym_target.x`. The plan carries no line numbers: findings point at the resource's
//! `"address"` entry in the plan file and name the resource.

use crate::eval::{Attr, Body, Expansion, Instance, Kind, NestedBlock, Source, Value};
use crate::model::{Model, ModuleCall, Resource};
use crate::source::{Loc, SourceFile};
use serde_json::Value as Json;
use std::path::Path;
use std::sync::Arc;

/// Nested block types of the resources symguard reads: in plan JSON they are lists of
/// objects, indistinguishable from list attributes without the provider schema.
const BLOCKS: &[&str] = &[
    "params",
    "prompt_field",
    "statement",
    "principals",
    "condition",
];

/// A module's variables, as the call's arguments resolved in the caller.
type Variables = std::collections::HashMap<String, Value>;

pub struct Plan {
    pub source: Arc<SourceFile>,
    json: Json,
}

impl Plan {
    pub fn read(path: &Path) -> Result<Plan, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let json: Json = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not plan JSON: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if json.get("planned_values").is_none() || json.get("configuration").is_none() {
            return Err(format!(
                "{}: not the JSON of a plan (no `planned_values` or `configuration`); write it with `terraform show -json PLANFILE`",
                path.display()
            ));
        }
        let source = SourceFile::new(crate::load::display_path(path), path.to_path_buf(), text);
        Ok(Plan { source, json })
    }

    /// The model of the plan's root module and every module it calls.
    pub fn model(&self) -> Model<'static> {
        let mut model = Model::default();
        let planned = &self.json["planned_values"]["root_module"];
        let configuration = &self.json["configuration"]["root_module"];
        self.collect(&mut model, planned, configuration, "", &Variables::new());
        model
    }

    fn collect(
        &self,
        model: &mut Model,
        planned: &Json,
        configuration: &Json,
        prefix: &str,
        vars: &Variables,
    ) {
        let configured = configuration["resources"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for config in configured {
            let (Some(kind), Some(name), Some(local)) = (
                config["type"].as_str(),
                config["name"].as_str(),
                config["address"].as_str(),
            ) else {
                continue;
            };
            let is_data = config["mode"] == "data";
            let address = format!("{prefix}{local}");
            let planned_instances: Vec<&Json> = planned_resources(planned)
                .filter(|r| {
                    r["address"]
                        .as_str()
                        .is_some_and(|a| instance_of(a, &address))
                })
                .collect();
            let loc = self.address_loc(&address);
            let expansion = if config.get("count_expression").is_some() {
                Expansion::Count
            } else if config.get("for_each_expression").is_some() {
                Expansion::ForEach
            } else {
                Expansion::Single
            };
            let instances = planned_instances
                .iter()
                .map(|r| {
                    let instance_address = r["address"].as_str().unwrap_or(&address).to_string();
                    let loc = self.address_loc(&instance_address);
                    let mut body = body(&r["values"], &loc);
                    self.add_references(
                        &mut body,
                        &config["expressions"],
                        prefix,
                        planned,
                        vars,
                        &loc,
                    );
                    if kind == "sym_flow" {
                        crate::model::flow_params::read_v1_params(&mut body);
                    }
                    Instance {
                        address: instance_address,
                        body,
                    }
                })
                .collect();
            let resource = Resource {
                kind: kind.to_string(),
                name: name.to_string(),
                address,
                loc,
                expansion,
                instances,
            };
            if is_data {
                model.data.push(resource);
            } else {
                model.resources.push(resource);
            }
        }
        let Some(calls) = configuration["module_calls"].as_object() else {
            return;
        };
        for (name, call) in calls {
            let address = format!("{prefix}module.{name}");
            let loc = self.address_loc(&address);
            let mut args = Body::default();
            for (key, field) in [("source", "source"), ("version", "version_constraint")] {
                if let Some(value) = call.get(field) {
                    args.attrs.insert(
                        key.to_string(),
                        attr(Value::from_json(value, &Some(loc.clone())), &loc),
                    );
                }
            }
            self.add_references(&mut args, &call["expressions"], prefix, planned, vars, &loc);
            // The child's variables are the call's arguments, resolved here in the caller.
            let child_vars: Variables = args
                .attrs
                .iter()
                .map(|(k, a)| (k.clone(), a.value.clone()))
                .collect();
            model.calls.push(ModuleCall {
                name: name.clone(),
                address: address.clone(),
                loc,
                args,
                missing_dir: false,
                outside_repository: false,
            });
            let child_planned = planned["child_modules"]
                .as_array()
                .and_then(|children| {
                    children.iter().find(|c| {
                        c["address"]
                            .as_str()
                            .is_some_and(|a| instance_of(a, &address))
                    })
                })
                .unwrap_or(&Json::Null);
            self.collect(
                model,
                child_planned,
                &call["module"],
                &format!("{address}."),
                &child_vars,
            );
        }
    }

    /// Attributes the plan leaves out are unknown: rebuilt from the configuration, as a
    /// constant or as references to what they depend on.
    fn add_references(
        &self,
        body: &mut Body,
        expressions: &Json,
        prefix: &str,
        planned: &Json,
        vars: &Variables,
        loc: &Loc,
    ) {
        let Some(expressions) = expressions.as_object() else {
            return;
        };
        for (key, expression) in expressions {
            if body.attrs.contains_key(key) || BLOCKS.contains(&key.as_str()) {
                continue;
            }
            let value = if let Some(constant) = expression.get("constant_value") {
                Value::from_json(constant, &Some(loc.clone()))
            } else {
                let listed: Vec<&str> = expression["references"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Json::as_str)
                    .collect();
                // Terraform lists `sym_target.a.id` and its prefix `sym_target.a`: keep
                // only references that are not a prefix of another.
                let references: Vec<Value> = listed
                    .iter()
                    .filter(|r| {
                        !listed.iter().any(|o| {
                            o.len() > r.len()
                                && o.starts_with(*r)
                                && o[r.len()..].starts_with(['.', '['])
                        })
                    })
                    .flat_map(|r| reference(r, prefix, planned, vars))
                    .collect();
                match references.len() {
                    0 => continue,
                    1 => references.into_iter().next().unwrap_or_else(Value::null),
                    _ => Value::new(Kind::List(references), Some(loc.clone())),
                }
            };
            body.attrs.insert(key.clone(), attr(value, loc));
        }
    }

    /// The span of `"address": "<address>"` in the plan file, or the file's start.
    fn address_loc(&self, address: &str) -> Loc {
        let quoted = Json::String(address.to_string()).to_string();
        let text = &self.source.text;
        let mut from = 0;
        while let Some(pos) = text[from..].find(&quoted) {
            let start = from + pos;
            let before = text[..start].trim_end();
            if before.ends_with(':')
                && before[..before.len() - 1]
                    .trim_end()
                    .ends_with("\"address\"")
            {
                return Loc::new(&self.source, start..start + quoted.len());
            }
            from = start + quoted.len();
        }
        Loc::new(&self.source, 0..0)
    }
}

/// One reference of the configuration as unknown values: `sym_target.x.id` is one; a
/// whole resource (`sym_target.x`, as a `for` expression over it gives) is one per planned
/// instance.
fn reference(text: &str, prefix: &str, planned: &Json, vars: &Variables) -> Vec<Value> {
    let parts: Vec<&str> = text.split('.').collect();
    let path = |rest: &[&str]| rest.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (address, rest) = match parts.as_slice() {
        ["module", name, rest @ ..] if !rest.is_empty() => {
            return vec![unknown(
                Source::ModuleOutput(format!("{prefix}module.{name}")),
                path(rest),
            )];
        }
        ["var", name] => {
            let value = vars.get(*name).cloned();
            return vec![value.unwrap_or_else(|| {
                Value::unknown(Source::Variable(format!("{prefix}var.{name}")))
            })];
        }
        // Whatever else the plan left out is unknown, never absent.
        ["var" | "local" | "each" | "count" | "path" | "module" | "self" | "terraform", ..] => {
            return vec![Value::unknown(Source::Runtime(format!("{prefix}{text}")))];
        }
        ["data", kind, name, rest @ ..] => (format!("{prefix}data.{kind}.{name}"), rest),
        [kind, name, rest @ ..] => (format!("{prefix}{kind}.{name}"), rest),
        _ => return Vec::new(),
    };
    if !rest.is_empty() {
        return vec![unknown(
            Source::Resource(Arc::from(address.as_str())),
            path(rest),
        )];
    }
    planned_resources(planned)
        .filter_map(|r| r["address"].as_str())
        .filter(|a| instance_of(a, &address))
        .map(|a| unknown(Source::Resource(Arc::from(a)), Vec::new()))
        .collect()
}

fn unknown(source: Source, path: Vec<String>) -> Value {
    let mut value = Value::unknown(source);
    if let Kind::Unknown(u) = &mut value.kind {
        u.path = path;
    }
    value
}

fn attr(value: Value, loc: &Loc) -> Attr {
    Attr {
        value,
        loc: loc.clone(),
        expr_loc: loc.clone(),
    }
}

/// A resource's planned `values` as an evaluated body; nested blocks become blocks.
fn body(values: &Json, loc: &Loc) -> Body {
    let mut body = Body::default();
    let Some(values) = values.as_object() else {
        return body;
    };
    for (key, value) in values {
        if value.is_null() {
            continue;
        }
        match value.as_array() {
            Some(items) if BLOCKS.contains(&key.as_str()) => {
                for item in items {
                    body.blocks.push(NestedBlock {
                        kind: key.clone(),
                        loc: loc.clone(),
                        body: self::body(item, loc),
                    });
                }
            }
            _ => {
                body.attrs.insert(
                    key.clone(),
                    attr(Value::from_json(value, &Some(loc.clone())), loc),
                );
            }
        }
    }
    body
}

fn planned_resources(module: &Json) -> impl Iterator<Item = &Json> {
    module["resources"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
}

/// Whether `instance` (`sym_target.x["a"]`, `module.m[0]`) is an instance of `address`.
fn instance_of(instance: &str, address: &str) -> bool {
    instance == address
        || instance
            .strip_prefix(address)
            .is_some_and(|rest| rest.starts_with('['))
}
