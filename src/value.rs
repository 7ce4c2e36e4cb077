//! Values as Terraform sees them before apply: known values, and unknown values that
//! remember where they came from so a rule can tell `sym_target.x.id` from `var.y`.

use crate::source::{Loc, SourceFile};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// A map by name (object keys, attributes, declarations), in insertion order. Hashed with
/// foldhash rather than the standard SipHash: looking names up was 7% of a check's
/// instructions, and foldhash, still seeded per process, took most of that away.
pub type Names<V> = indexmap::IndexMap<String, V, foldhash::fast::RandomState>;

/// An object's entries in the order Terraform sees them, by key (byte-wise), whatever the
/// order they were written in: cty keeps object attributes and map keys sorted, so `keys`,
/// `values`, `for` expressions, `for_each` and `jsonencode` all go by key. `Names` keeps
/// the written order for everything else (attributes in reports, the model's output).
pub fn by_key<V>(map: &Names<V>) -> Vec<(&String, &V)> {
    let mut entries: Vec<(&String, &V)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    entries
}

/// How many bytes of values (each value, and the text of each string) one root's
/// evaluation may make before it stops. Terraform's expressions can grow exponentially: 40
/// locals each joining the one before it twice (`"${local.s}${local.s}"`) make a terabyte
/// string, and a list of lists of the same list as much. Sym configurations make well under
/// a megabyte; past this budget evaluation ends with unknown values and a finding
/// (`Scope::eval`), instead of the process running out of memory.
pub const VALUE_BUDGET: usize = 256 << 20;

thread_local! {
    /// Bytes of values made on this thread since `start_budget`: a root is evaluated on
    /// one thread, start to end. Counted where values are made and cloned.
    static VALUE_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Starts counting a root's values against `VALUE_BUDGET`.
pub fn start_budget() {
    VALUE_BYTES.set(0);
}

/// Whether the values made since `start_budget` exceed `VALUE_BUDGET`.
pub fn over_budget() -> bool {
    VALUE_BYTES.get() > VALUE_BUDGET
}

fn count_made(kind: &Kind) {
    let text = match kind {
        Kind::String(s) => s.len(),
        _ => 0,
    };
    VALUE_BYTES.set(
        VALUE_BYTES
            .get()
            .saturating_add(std::mem::size_of::<Value>() + text),
    );
}

#[derive(Debug)]
pub struct Value {
    pub kind: Kind,
    /// The expression that produced the value where it is used.
    pub origin: Option<Loc>,
    /// Where the value was first written when that is elsewhere: the variable default, the
    /// tfvars entry, the attribute of another resource, the file read by `file()`.
    pub from: Option<Loc>,
    /// For the string `jsonencode` made: the value it encodes, so that a policy document is
    /// read from it instead of parsing the text back.
    pub encoded: Option<Arc<Value>>,
    /// For an object a `for` expression built: where each key was written, so that
    /// `each.key` of a `for_each` over it points back there (a tfvars entry, say).
    pub key_origins: Option<Arc<foldhash::HashMap<String, Loc>>>,
}

#[derive(Clone, Debug)]
pub enum Kind {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Value>),
    /// Boxed, as are a resource's attributes: a map is 64 bytes inline, and every value,
    /// strings and numbers included, would carry that size through each move.
    Object(Box<Names<Value>>),
    /// A resource instance: its declared attributes; anything else is computed at apply time.
    Resource {
        address: Arc<str>,
        attrs: Box<Names<Value>>,
    },
    Unknown(Unknown),
}

/// A value not known before apply, and why.
#[derive(Clone, Debug)]
pub struct Unknown {
    pub source: Arc<Source>,
    /// Attributes and indexes taken from it, e.g. `["settings", "account_id"]`.
    pub path: Vec<String>,
}

#[derive(Debug)]
pub enum Source {
    /// A computed attribute of a resource or data source, e.g. `sym_target.x` (`.id`).
    Resource(Arc<str>),
    /// An output of a module that is not evaluated (a registry module), by the call's
    /// address, e.g. `module.iam_connector`.
    ModuleOutput(String),
    /// A variable with no default and no value given.
    Variable(String),
    /// A reference to something not declared (reported by `unresolved-reference`).
    Undeclared(String),
    /// A function that is not supported or that failed.
    Function(String),
    /// `jsonencode` of a value that contains unknowns: the structure is still known.
    Encoded(Box<Value>),
    /// A reference cycle.
    Cycle(String),
    /// A value Terraform knows only at plan or apply time (`terraform.workspace`, `self`, ...).
    Runtime(String),
    /// An expression Terraform would reject, e.g. an attribute of a string.
    Invalid(String),
}

/// Counted against `VALUE_BUDGET`, with everything inside (each element clones itself).
impl Clone for Value {
    fn clone(&self) -> Value {
        count_made(&self.kind);
        Value {
            kind: self.kind.clone(),
            origin: self.origin.clone(),
            from: self.from.clone(),
            encoded: self.encoded.clone(),
            key_origins: self.key_origins.clone(),
        }
    }
}

impl Value {
    pub fn new(kind: Kind, origin: Option<Loc>) -> Value {
        count_made(&kind);
        Value {
            kind,
            origin,
            from: None,
            encoded: None,
            key_origins: None,
        }
    }

    pub fn null() -> Value {
        Value::new(Kind::Null, None)
    }

    pub fn string(s: impl Into<String>, origin: Option<Loc>) -> Value {
        Value::new(Kind::String(s.into()), origin)
    }

    /// The attribute `name` of the resource instance at `address`, which its provider
    /// computes when it is applied.
    pub fn computed(address: Arc<str>, name: &str) -> Value {
        Value::new(
            Kind::Unknown(Unknown {
                source: Arc::new(Source::Resource(address)),
                path: vec![name.to_string()],
            }),
            None,
        )
    }

    pub fn unknown(source: Source) -> Value {
        Value::new(
            Kind::Unknown(Unknown {
                source: Arc::new(source),
                path: Vec::new(),
            }),
            None,
        )
    }

    /// The value as used by the expression at `span` of `file`: a more precise origin
    /// inside it is kept, without making a new `Loc` (each counts its file's `Arc` up and
    /// down atomically, and most values already lie in their expression); an origin
    /// elsewhere becomes `from`.
    pub fn at(mut self, file: &Arc<SourceFile>, span: Range<usize>) -> Value {
        if let Some(old) = &self.origin {
            let inside = Arc::ptr_eq(&old.file, file)
                && span.start <= old.span.start
                && old.span.end <= span.end;
            if inside {
                return self;
            }
        }
        let old = self.origin.take();
        if self.from.is_none() {
            self.from = old;
        }
        self.origin = Some(Loc::new(file, span));
        self
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Bool(b) => Some(*b),
            Kind::String(s) if s == "true" => Some(true),
            Kind::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match &self.kind {
            Kind::Number(n) => Some(*n),
            // As Terraform converts a string: the whole string a decimal number, without
            // spaces around it. Terraform also reads `inf` and numbers past a 64-bit
            // float's range (`1e400`): none here, so what depends on them is unknown.
            Kind::String(s) => s.parse().ok().filter(|n: &f64| n.is_finite()),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match &self.kind {
            Kind::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_unknown(&self) -> Option<&Unknown> {
        match &self.kind {
            Kind::Unknown(u) => Some(u),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.kind, Kind::Unknown(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    /// True when the value or anything inside it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match &self.kind {
            Kind::Unknown(_) => true,
            Kind::List(items) => items.iter().any(Value::contains_unknown),
            Kind::Object(map) => map.values().any(Value::contains_unknown),
            _ => false,
        }
    }

    /// The first unknown inside the value, to carry its provenance along.
    pub fn first_unknown(&self) -> Option<&Value> {
        match &self.kind {
            Kind::Unknown(_) => Some(self),
            Kind::List(items) => items.iter().find_map(Value::first_unknown),
            Kind::Object(map) => map.values().find_map(Value::first_unknown),
            _ => None,
        }
    }

    /// Object entries, for objects and resource instances alike.
    pub fn as_map(&self) -> Option<&Names<Value>> {
        match &self.kind {
            Kind::Object(map) | Kind::Resource { attrs: map, .. } => Some(map),
            _ => None,
        }
    }

    /// `value.name`, as Terraform's attribute access.
    pub fn get_attr(&self, name: &str) -> Result<Value, String> {
        match &self.kind {
            Kind::Object(map) => map
                .get(name)
                .cloned()
                .ok_or_else(|| format!("this object has no attribute `{name}`")),
            Kind::Resource { address, attrs } => Ok(attrs
                .get(name)
                .cloned()
                .unwrap_or_else(|| Value::computed(address.clone(), name))),
            Kind::Unknown(u) => Ok(u.extended(name)),
            Kind::Null => Err(format!(
                "attempt to get attribute `{name}` from a null value"
            )),
            _ => Err(format!("a {} has no attributes", self.type_name())),
        }
    }

    /// `value[index]`, as Terraform's index operator.
    pub fn index(&self, index: &Value) -> Result<Value, String> {
        if let Kind::Unknown(u) = &self.kind {
            return Ok(u.extended(&index.to_display()));
        }
        if index.is_unknown() {
            return Ok(index.clone());
        }
        match &self.kind {
            Kind::List(items) => {
                let i = index
                    .as_number()
                    .filter(|n| n.fract() == 0.0 && *n >= 0.0)
                    .ok_or_else(|| "a list index must be a whole number".to_string())?;
                items.get(i as usize).cloned().ok_or_else(|| {
                    format!("index {i} is out of range for a list of {}", items.len())
                })
            }
            Kind::Object(_) | Kind::Resource { .. } => {
                let key = index.to_display();
                self.get_attr(&key)
            }
            _ => Err(format!("a {} cannot be indexed", self.type_name())),
        }
    }

    /// The element `index` copies, where it lies: `None` wherever `index` makes a value or
    /// fails instead (an unknown, a resource's computed attribute, a missing entry).
    pub fn entry(&self, index: &Value) -> Option<&Value> {
        match &self.kind {
            Kind::List(items) => items.get(index.list_position()?),
            Kind::Object(map) | Kind::Resource { attrs: map, .. } if !index.is_unknown() => {
                index.to_template_string().and_then(|key| map.get(&key))
            }
            _ => None,
        }
    }

    /// The position a number names in a list (or in a `count`'s instances): a whole number
    /// from 0, as `index` takes it.
    pub fn list_position(&self) -> Option<usize> {
        match self.kind {
            Kind::Number(n) if n.fract() == 0.0 && n >= 0.0 => Some(n as usize),
            _ => None,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "bool",
            Kind::Number(_) => "number",
            Kind::String(_) => "string",
            Kind::List(_) => "list",
            Kind::Object(_) => "object",
            Kind::Resource { .. } => "resource",
            Kind::Unknown(_) => "unknown value",
        }
    }

    /// The string Terraform would interpolate, for known primitives.
    pub fn to_template_string(&self) -> Option<String> {
        match &self.kind {
            Kind::String(s) => Some(s.clone()),
            Kind::Number(n) => Some(format_number(*n)),
            Kind::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn to_display(&self) -> String {
        self.to_template_string()
            .unwrap_or_else(|| format!("<{}>", self.type_name()))
    }

    /// Terraform's equality: same type and same content; unknowns are never equal.
    pub fn equals(&self, other: &Value) -> Option<bool> {
        if self.contains_unknown() || other.contains_unknown() {
            return None;
        }
        Some(match (&self.kind, &other.kind) {
            (Kind::Null, Kind::Null) => true,
            (Kind::Bool(a), Kind::Bool(b)) => a == b,
            (Kind::Number(a), Kind::Number(b)) => a == b,
            (Kind::String(a), Kind::String(b)) => a == b,
            (Kind::List(a), Kind::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equals(y) == Some(true))
            }
            (Kind::Object(a), Kind::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| v.equals(w) == Some(true)))
            }
            _ => false,
        })
    }

    /// Converts to JSON, for reading policy documents and for policy input; `None` when
    /// something inside is unknown.
    pub fn to_json(&self) -> Option<serde_json::Value> {
        serde_json::to_value(Json(self)).ok()
    }

    /// The JSON text of the value, for `jsonencode`: written straight from the value, not
    /// through `to_json`'s tree, as Terraform writes it (see `TerraformJson`). `None` when
    /// something inside is unknown.
    pub fn to_json_text(&self) -> Option<String> {
        use serde::Serialize;
        let mut text = Vec::with_capacity(128);
        let mut out = serde_json::Serializer::with_formatter(&mut text, TerraformJson);
        Json(self).serialize(&mut out).ok()?;
        String::from_utf8(text).ok()
    }

    pub fn from_json(json: &serde_json::Value, origin: &Option<Loc>) -> Value {
        let kind = match json {
            serde_json::Value::Null => Kind::Null,
            serde_json::Value::Bool(b) => Kind::Bool(*b),
            serde_json::Value::Number(n) => Kind::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Kind::String(s.clone()),
            serde_json::Value::Array(items) => {
                Kind::List(items.iter().map(|v| Value::from_json(v, origin)).collect())
            }
            serde_json::Value::Object(map) => Kind::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v, origin)))
                    .collect::<Names<_>>()
                    .into(),
            ),
        };
        Value::new(kind, origin.clone())
    }
}

impl Unknown {
    fn extended(&self, step: &str) -> Value {
        let mut path = self.path.clone();
        path.push(step.to_string());
        Value::new(
            Kind::Unknown(Unknown {
                source: Arc::clone(&self.source),
                path,
            }),
            None,
        )
    }

    /// The resource address and attribute path when this is a computed resource attribute.
    pub fn resource_reference(&self) -> Option<(&str, &[String])> {
        match &*self.source {
            Source::Resource(address) => Some((address, &self.path)),
            _ => None,
        }
    }
}

pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The text of Terraform's `jsonencode`, beyond compact JSON: numbers in plain decimal
/// (`1000000000000000`, not `1000000000000000.0`; no exponent), and in strings and keys
/// `<`, `>`, `&`, U+2028 and U+2029 escaped (`\u003c`), as Go's encoder writes them.
struct TerraformJson;

impl serde_json::ser::Formatter for TerraformJson {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // 0xE2 leads the UTF-8 of U+2028 and U+2029; most fragments hold none of these. A
        // fold without an early exit, which the compiler turns into vector instructions.
        let special = |b: u8| matches!(b, b'<' | b'>' | b'&' | 0xE2);
        if !fragment.bytes().fold(false, |seen, b| seen | special(b)) {
            return out.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') {
                out.write_all(&fragment.as_bytes()[start..i])?;
                write!(out, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        out.write_all(&fragment.as_bytes()[start..])
    }

    fn write_f64<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        n: f64,
    ) -> std::io::Result<()> {
        write!(out, "{n}")
    }
}

/// A known value as JSON (an unknown inside is an error): whole numbers as integers,
/// other numbers as floats, and non-finite ones `null`, as Terraform's `jsonencode`.
struct Json<'a>(&'a Value);

impl serde::Serialize for Json<'_> {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap, SerializeSeq};
        match &self.0.kind {
            Kind::Null => out.serialize_unit(),
            Kind::Bool(b) => out.serialize_bool(*b),
            Kind::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => out.serialize_i64(*n as i64),
            Kind::Number(n) => out.serialize_f64(*n),
            Kind::String(s) => out.serialize_str(s),
            Kind::List(items) => {
                let mut seq = out.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Json(item))?;
                }
                seq.end()
            }
            Kind::Object(map) | Kind::Resource { attrs: map, .. } => {
                let mut entries = out.serialize_map(Some(map.len()))?;
                for (key, value) in by_key(map) {
                    entries.serialize_entry(key, &Json(value))?;
                }
                entries.end()
            }
            Kind::Unknown(_) => Err(S::Error::custom("an unknown value")),
        }
    }
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.source {
            Source::Resource(a) => write!(f, "{a}")?,
            Source::ModuleOutput(m) => write!(f, "{m}")?,
            Source::Variable(v) => write!(f, "{v}")?,
            Source::Undeclared(r) => write!(f, "{r} (not declared)")?,
            Source::Function(name) => write!(f, "{name}(...)")?,
            Source::Encoded(_) => write!(f, "jsonencode(...)")?,
            Source::Cycle(r) => write!(f, "{r} (cycle)")?,
            Source::Runtime(r) => write!(f, "{r}")?,
            Source::Invalid(message) => write!(f, "invalid expression ({message})")?,
        }
        for step in &self.path {
            write!(f, ".{step}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, Names, Source, Value};

    fn number(n: f64) -> Value {
        Value::new(Kind::Number(n), None)
    }

    /// `entry` finds in place exactly what `index` copies, wherever it finds anything.
    #[test]
    fn entry_is_what_index_copies() {
        let string = |s: &str| Value::string(s, None);
        let list = Value::new(Kind::List(vec![string("a"), string("b")]), None);
        let object = Value::new(
            Kind::Object(
                Names::from_iter([
                    ("k".to_string(), string("v")),
                    ("1".to_string(), string("one")),
                ])
                .into(),
            ),
            None,
        );
        let keys = [
            number(0.0),
            number(1.0),
            number(2.0),
            number(0.5),
            number(-1.0),
            string("k"),
            string("1"),
            string("missing"),
            Value::new(Kind::Bool(true), None),
            Value::null(),
            Value::unknown(Source::Variable("var.k".into())),
        ];
        let mut found = Vec::new();
        for container in [&list, &object] {
            for key in &keys {
                if let Some(entry) = container.entry(key) {
                    let copied = container.index(key).unwrap();
                    assert_eq!(entry.to_json(), copied.to_json());
                    found.push(entry.as_str().unwrap().to_string());
                }
            }
        }
        assert_eq!(found, ["a", "b", "one", "v", "one"]);
    }

    #[test]
    fn json_text_and_tree_are_jsonencode() {
        let object_value = Names::from_iter([
            ("b".to_string(), number(1.0)),
            (
                "a".to_string(),
                Value::string("x\"\n\u{e9}<&>\u{2028}", None),
            ),
            ("c".to_string(), Value::null()),
        ]);
        let list = Value::new(
            Kind::List(vec![
                number(0.5),
                number(-0.0),
                number(1e15),
                number(f64::NAN),
                number(f64::INFINITY),
                Value::new(Kind::Bool(true), None),
                Value::new(Kind::List(Vec::new()), None),
            ]),
            None,
        );
        let resource = Value::new(
            Kind::Resource {
                address: "aws_iam_group.g".into(),
                attrs: object_value.clone().into(),
            },
            None,
        );
        // Keys by name, as Terraform's `jsonencode` writes them, not as they were written;
        // its text escapes `<`, `&`, `>` and U+2028 as Go's encoder does, the tree does not.
        let object = "{\"a\":\"x\\\"\\n\u{e9}\\u003c\\u0026\\u003e\\u2028\",\"b\":1,\"c\":null}";
        let object_tree = "{\"a\":\"x\\\"\\n\u{e9}<&>\u{2028}\",\"b\":1,\"c\":null}";
        for (value, text, tree) in [
            (
                Value::new(Kind::Object(object_value.into()), None),
                object,
                object_tree,
            ),
            (
                list,
                "[0.5,0,1000000000000000,null,null,true,[]]",
                "[0.5,0,1000000000000000.0,null,null,true,[]]",
            ),
            (resource, object, object_tree),
        ] {
            assert_eq!(value.to_json_text().as_deref(), Some(text));
            assert_eq!(
                value.to_json().map(|json| json.to_string()).as_deref(),
                Some(tree)
            );
        }
        let with_unknown = Value::new(
            Kind::List(vec![
                number(1.0),
                Value::unknown(Source::Runtime("self".into())),
            ]),
            None,
        );
        assert_eq!(with_unknown.to_json_text(), None);
        assert!(with_unknown.to_json().is_none());
    }
}
