//! A flow's `params` in the Sym provider's two forms, read into one: before provider 2.0 it
//! was a map of strings (`params = { ... }`, booleans as `"false"`, prompt fields as a JSON
//! string in `prompt_fields_json`); from 2.0 it is a `params { ... }` block with
//! `prompt_field` blocks. Rules read the block; a provider 1 flow gets the block its map
//! means, and keeps its `params` attribute so a rule can tell the versions apart.

use crate::eval::{Attr, Body, Instance, Kind, NestedBlock, Source, Value};
use crate::source::Loc;

/// Provider 1 booleans in `params`, parsed as the provider parsed them.
const V1_FLAGS: &[&str] = &["allow_revoke", "schedule_deescalation"];

/// Whether a flow is written for provider 1 (`params` is a map).
pub fn is_provider_v1(flow: &Instance) -> bool {
    flow.body.attr("params").is_some()
}

/// Adds to a provider 1 flow the `params` block its map of strings means. A plan gives a
/// provider 2 block whose prompt fields are still a list, which stays as it is.
pub fn read_v1_params(flow: &mut Body) {
    let Some(params) = flow.attr("params") else {
        return;
    };
    let mut block = NestedBlock {
        kind: "params".to_string(),
        loc: params.loc.clone(),
        body: Body::default(),
    };
    match &params.value.kind {
        Kind::Object(entries) => {
            for (key, value) in entries.iter() {
                let attr = entry_attr(value, &params.expr_loc);
                if key == "prompt_fields_json" {
                    match prompt_fields(&attr) {
                        Some(fields) => block.body.blocks.extend(fields),
                        None => block.body.partial = true,
                    }
                    continue;
                }
                let attr = if V1_FLAGS.contains(&key.as_str()) {
                    parsed_flag(attr)
                } else {
                    attr
                };
                block.body.attrs.insert(key.clone(), attr);
            }
        }
        // A map not known before apply: which fields it has is unknown.
        _ => block.body.partial = true,
    }
    flow.blocks.push(block);
}

/// A map entry as an attribute: located at its value where the map was written.
fn entry_attr(value: &Value, params: &Loc) -> Attr {
    let loc = value.origin.clone().unwrap_or_else(|| params.clone());
    Attr {
        value: value.clone(),
        loc: loc.clone(),
        expr_loc: loc,
    }
}

/// `strconv.ParseBool`, which provider 1 applies to the boolean params.
fn parsed_flag(mut attr: Attr) -> Attr {
    let parsed = match attr.value.as_str() {
        Some("1" | "t" | "T" | "TRUE" | "true" | "True") => Some(true),
        Some("0" | "f" | "F" | "FALSE" | "false" | "False") => Some(false),
        _ => None,
    };
    if let Some(b) = parsed {
        attr.value.kind = Kind::Bool(b);
    }
    attr
}

/// The `prompt_field` blocks `prompt_fields_json` holds; `None` when they are not known (an
/// unknown value, JSON that does not decode, an entry that is not an object).
fn prompt_fields(attr: &Attr) -> Option<Vec<NestedBlock>> {
    let decoded;
    let fields = match &attr.value.kind {
        Kind::String(json) => {
            let json: serde_json::Value = serde_json::from_str(json).ok()?;
            decoded = Value::from_json(&json, &Some(attr.expr_loc.clone()));
            &decoded
        }
        // `jsonencode` of a structure with unknowns in it keeps the structure, where each
        // value was written.
        Kind::Unknown(unknown) => match &*unknown.source {
            Source::Encoded(inner) if unknown.path.is_empty() => inner.as_ref(),
            _ => return None,
        },
        _ => return None,
    };
    fields
        .as_list()?
        .iter()
        .map(|field| {
            let Kind::Object(entries) = &field.kind else {
                return None;
            };
            let loc = field
                .origin
                .clone()
                .unwrap_or_else(|| attr.expr_loc.clone());
            let body = Body {
                attrs: entries
                    .iter()
                    .map(|(key, value)| (key.clone(), entry_attr(value, &loc)))
                    .collect(),
                ..Body::default()
            };
            Some(NestedBlock {
                kind: "prompt_field".to_string(),
                loc,
                body,
            })
        })
        .collect()
}
