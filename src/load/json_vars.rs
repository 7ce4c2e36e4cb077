//! Variable files in Terraform's JSON syntax (`terraform.tfvars.json`, `*.auto.tfvars.json`,
//! a `--var-file` ending in `.json`): one JSON object of variable names and values.
//!
//! Read as Terraform reads them (HCL's JSON syntax, evaluated without a context): strings
//! are literal, so `${` in one is text, not a template; a `"//"` key is a comment; a name
//! or an object key given twice is an error. Every value, nested ones too, keeps its span
//! in the text, so a finding about it points where it was written.

use super::SyntaxError;
use crate::source::{Loc, SourceFile};
use crate::value::{Kind, Names, Value};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::sync::Arc;

/// The variables the file gives, in the order written.
pub(super) fn parse(source: &Arc<SourceFile>) -> Result<Vec<(String, Value)>, SyntaxError> {
    let text = source.text.as_str();
    let top: &RawValue = serde_json::from_str(text).map_err(|e| json_error(source, &e))?;
    let Some(entries) = entries(source, top)? else {
        return Err(SyntaxError {
            loc: Loc::new(source, span(text, top)),
            message: "a variable file in JSON syntax holds one object, of variable names and their values".into(),
        });
    };
    entries
        .into_iter()
        .filter(|(name, _)| name != "//")
        .map(|(name, raw)| Ok((name, value(source, raw)?)))
        .collect()
}

fn value(source: &Arc<SourceFile>, raw: &RawValue) -> Result<Value, SyntaxError> {
    let text = raw.get();
    let kind = match text.as_bytes()[0] {
        b'{' => {
            let entries = entries(source, raw)?.expect("a JSON object");
            let mut object = Names::default();
            for (key, raw) in entries {
                object.insert(key, value(source, raw)?);
            }
            Kind::Object(Box::new(object))
        }
        b'[' => {
            let items: Vec<&RawValue> =
                serde_json::from_str(text).map_err(|e| nested_error(source, raw, &e))?;
            Kind::List(
                items
                    .into_iter()
                    .map(|raw| value(source, raw))
                    .collect::<Result<_, _>>()?,
            )
        }
        _ => match serde_json::from_str(text).map_err(|e| nested_error(source, raw, &e))? {
            serde_json::Value::String(s) => Kind::String(s),
            serde_json::Value::Bool(b) => Kind::Bool(b),
            serde_json::Value::Number(n) => Kind::Number(n.as_f64().unwrap_or(f64::NAN)),
            _ => Kind::Null,
        },
    };
    Ok(Value::new(
        kind,
        Some(Loc::new(source, span(&source.text, raw))),
    ))
}

/// The entries of a JSON object in the order written, or `None` for another value. A key
/// given twice is an error, as in Terraform ("Duplicate object attribute").
fn entries<'a>(
    source: &Arc<SourceFile>,
    raw: &'a RawValue,
) -> Result<Option<Vec<(String, &'a RawValue)>>, SyntaxError> {
    if !raw.get().starts_with('{') {
        return Ok(None);
    }
    let Entries(entries) =
        serde_json::from_str(raw.get()).map_err(|e| nested_error(source, raw, &e))?;
    for (i, (key, raw)) in entries.iter().enumerate() {
        if key != "//" && entries[..i].iter().any(|(k, _)| k == key) {
            return Err(SyntaxError {
                loc: Loc::new(source, span(&source.text, raw)),
                message: format!("`{key}` is given twice in the same object"),
            });
        }
    }
    Ok(Some(entries))
}

/// Points the values at `source`, the file's text once its secrets are masked, so that no
/// report quotes the text they were read from.
pub(super) fn relocate(vars: &mut [(String, Value)], source: &Arc<SourceFile>) {
    fn walk(value: &mut Value, source: &Arc<SourceFile>) {
        if let Some(loc) = &mut value.origin {
            loc.file = Arc::clone(source);
        }
        match &mut value.kind {
            Kind::List(items) => items.iter_mut().for_each(|v| walk(v, source)),
            Kind::Object(map) => map.values_mut().for_each(|v| walk(v, source)),
            _ => {}
        }
    }
    vars.iter_mut().for_each(|(_, value)| walk(value, source));
}

/// An object's entries as written, repeated keys included (a map would keep one).
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Entries<'de>, M::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// Where a value borrowed from `text` lies in it.
fn span(text: &str, raw: &RawValue) -> std::ops::Range<usize> {
    let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
    start..start + raw.get().len()
}

/// An error reading a value again (the whole text parsed, so none is expected): at the value.
fn nested_error(
    source: &Arc<SourceFile>,
    raw: &RawValue,
    error: &serde_json::Error,
) -> SyntaxError {
    SyntaxError {
        loc: Loc::new(source, span(&source.text, raw)),
        message: error.to_string(),
    }
}

fn json_error(source: &Arc<SourceFile>, error: &serde_json::Error) -> SyntaxError {
    // serde_json counts lines from 1 and columns from 1, in bytes.
    let line_start: usize = source
        .text
        .split_inclusive('\n')
        .take(error.line().saturating_sub(1))
        .map(str::len)
        .sum();
    let offset = (line_start + error.column().saturating_sub(1)).min(source.text.len());
    // The location is the finding's own; serde_json's message repeats it.
    let message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    SyntaxError {
        loc: Loc::new(source, offset..(offset + 1).min(source.text.len())),
        message: message
            .strip_suffix(&position)
            .unwrap_or(&message)
            .to_string(),
    }
}
