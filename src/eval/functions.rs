//! The Terraform functions Sym configurations use. An unsupported function gives an unknown
//! value, never an error: the checker must not claim to know what it cannot compute.

use crate::load::ModuleDir;
use crate::source::{Loc, SourceFile};
use crate::value::{by_key, Kind, Names, Source, Value};
use std::sync::Arc;

/// Largest file `file()` reads; bigger ones are unknown rather than held in memory.
const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

pub fn call(
    name: &str,
    mut args: Vec<Value>,
    module: &ModuleDir,
    origin: Option<Loc>,
) -> Result<Value, String> {
    // An unknown argument gives an unknown result. Functions that only rearrange
    // collections keep unknown elements (`concat([x.id], [y.id])` is a list of two unknown
    // ids, as in Terraform); the others need every part of their arguments known.
    let rearranges = matches!(
        name,
        "concat"
            | "merge"
            | "flatten"
            | "tolist"
            | "tomap"
            | "keys"
            | "values"
            | "lookup"
            | "element"
            | "length"
            | "zipmap"
            | "one"
            | "reverse"
            | "slice"
            | "coalescelist"
            | "sensitive"
            | "nonsensitive"
    );
    let blocking = if rearranges {
        args.iter().find(|a| a.is_unknown())
    } else {
        args.iter().find_map(Value::first_unknown)
    };
    if let Some(unknown) = blocking.filter(|_| name != "jsonencode") {
        return Ok(unknown.clone());
    }
    if name == "jsonencode" && args.len() == 1 {
        return Ok(jsonencode(args.remove(0), origin));
    }
    let kind = match (name, args.as_slice()) {
        ("file", [path]) => return read_file(module, str_arg(path)?),
        ("jsondecode", [v]) => {
            let json: serde_json::Value =
                serde_json::from_str(str_arg(v)?).map_err(|e| format!("jsondecode: {e}"))?;
            return Ok(Value::from_json(&json, &origin));
        }
        ("concat", []) => return Err("concat: at least one argument is required".into()),
        ("concat", lists) => Kind::List(
            lists
                .iter()
                .map(|l| {
                    l.as_list()
                        .map(<[Value]>::to_vec)
                        .ok_or("concat takes lists")
                })
                .collect::<Result<Vec<_>, _>>()?
                .concat(),
        ),
        ("merge", maps) => {
            let mut out = Names::default();
            for m in maps.iter().filter(|m| !m.is_null()) {
                out.extend(m.as_map().ok_or("merge takes maps")?.clone());
            }
            Kind::Object(out.into())
        }
        ("flatten", [l]) => Kind::List(flatten(list_arg(l)?)),
        ("distinct", [l]) => Kind::List(distinct(list_arg(l)?)),
        ("toset", [l]) => Kind::List(set_of(list_arg(l)?)),
        ("tolist", [l]) => {
            let mut items = list_arg(l)?.to_vec();
            unify_primitives(items.iter_mut(), name)?;
            Kind::List(items)
        }
        ("tomap", [m]) => {
            let mut map = m.as_map().ok_or("tomap takes a map")?.clone();
            unify_primitives(map.values_mut(), name)?;
            Kind::Object(map.into())
        }
        ("tostring", [v]) => {
            Kind::String(v.to_template_string().ok_or("tostring takes a primitive")?)
        }
        ("tonumber", [v]) => Kind::Number(v.as_number().ok_or("tonumber: not a number")?),
        ("tobool", [v]) => Kind::Bool(v.as_bool().ok_or("tobool: not a bool")?),
        ("keys", [m]) => Kind::List(
            by_key(map_arg(m)?)
                .into_iter()
                .map(|(k, _)| Value::string(k.clone(), None))
                .collect(),
        ),
        ("values", [m]) => Kind::List(
            by_key(map_arg(m)?)
                .into_iter()
                .map(|(_, v)| v.clone())
                .collect(),
        ),
        ("lookup", [m, key, rest @ ..]) if rest.len() <= 1 => {
            match map_arg(m)?.get(str_arg(key)?) {
                Some(v) => return Ok(v.clone()),
                None => match rest.first() {
                    Some(default) => return Ok(default.clone()),
                    None => return Err(format!("lookup: no key `{}`", str_arg(key)?)),
                },
            }
        }
        ("element", [l, i]) => {
            let items = list_arg(l)?;
            if items.is_empty() {
                return Err("element: empty list".into());
            }
            let i = i.as_number().ok_or("element takes an index")? as usize;
            return Ok(items[i % items.len()].clone());
        }
        ("length", [v]) => Kind::Number(match &v.kind {
            Kind::List(items) => items.len(),
            Kind::Object(m) => m.len(),
            Kind::String(s) => s.chars().count(),
            _ => return Err("length takes a collection or string".into()),
        } as f64),
        ("contains", [l, v]) => Kind::Bool(list_arg(l)?.iter().any(|x| x.equals(v) == Some(true))),
        ("zipmap", [k, v]) => Kind::Object(
            list_arg(k)?
                .iter()
                .zip(list_arg(v)?)
                .map(|(k, v)| Ok((str_arg(k)?.to_string(), v.clone())))
                .collect::<Result<Names<_>, String>>()?
                .into(),
        ),
        ("coalesce", _) => {
            // Terraform gives the arguments one type first: `coalesce("", 5)` is "5".
            unify_primitives(args.iter_mut(), name)?;
            return args
                .into_iter()
                .find(|v| !v.is_null() && v.as_str() != Some(""))
                .ok_or_else(|| "coalesce: no non-null argument".into());
        }
        ("format", [f, rest @ ..]) => Kind::String(super::format::format(str_arg(f)?, rest)?),
        ("join", [sep, lists @ ..]) => {
            let mut parts = Vec::new();
            for l in lists {
                for v in list_arg(l)? {
                    parts.push(v.to_template_string().ok_or("join takes strings")?);
                }
            }
            Kind::String(parts.join(str_arg(sep)?))
        }
        ("split", [sep, s]) => {
            let (sep, s) = (str_arg(sep)?, str_arg(s)?);
            // An empty separator splits between characters, as Go's `strings.Split` does
            // (Rust's `split("")` adds an empty string at each end).
            let parts: Vec<&str> = match sep.is_empty() {
                true => s
                    .char_indices()
                    .map(|(i, c)| &s[i..i + c.len_utf8()])
                    .collect(),
                false => s.split(sep).collect(),
            };
            Kind::List(parts.into_iter().map(|p| Value::string(p, None)).collect())
        }
        ("range", bounds) => Kind::List(range(bounds)?),
        ("lower", [s]) => Kind::String(simple_case(str_arg(s)?, false)),
        ("upper", [s]) => Kind::String(simple_case(str_arg(s)?, true)),
        ("title", [s]) => Kind::String(title(str_arg(s)?)),
        ("replace", [s, from, to]) => {
            Kind::String(replace(str_arg(s)?, str_arg(from)?, str_arg(to)?)?)
        }
        ("trimprefix", [s, p]) => {
            let s = str_arg(s)?;
            Kind::String(s.strip_prefix(str_arg(p)?).unwrap_or(s).to_string())
        }
        ("trimsuffix", [s, p]) => {
            let s = str_arg(s)?;
            Kind::String(s.strip_suffix(str_arg(p)?).unwrap_or(s).to_string())
        }
        ("trimspace", [s]) => Kind::String(str_arg(s)?.trim().to_string()),
        ("startswith", [s, p]) => Kind::Bool(str_arg(s)?.starts_with(str_arg(p)?)),
        ("endswith", [s, p]) => Kind::Bool(str_arg(s)?.ends_with(str_arg(p)?)),
        ("one", [l]) => match list_arg(l)? {
            [] => Kind::Null,
            [item] => return Ok(item.clone()),
            _ => return Err("one: the list has more than one element".into()),
        },
        ("compact", [l]) => Kind::List(
            list_arg(l)?
                .iter()
                .filter(|v| !v.is_null() && v.as_str() != Some(""))
                .cloned()
                .collect(),
        ),
        ("reverse", [l]) => Kind::List(list_arg(l)?.iter().rev().cloned().collect()),
        ("slice", [l, start, end]) => {
            let items = list_arg(l)?;
            let index = |v: &Value| {
                v.as_number()
                    .filter(|n| n.fract() == 0.0 && *n >= 0.0)
                    .map(|n| n as usize)
                    .ok_or("slice takes whole-number indexes")
            };
            let (start, end) = (index(start)?, index(end)?);
            if start > end || end > items.len() {
                return Err(format!(
                    "slice: {start}..{end} is out of range for a list of {}",
                    items.len()
                ));
            }
            Kind::List(items[start..end].to_vec())
        }
        ("coalescelist", lists) => {
            for list in lists {
                let items = list_arg(list)?;
                if !items.is_empty() {
                    return Ok(list.clone());
                }
            }
            return Err("coalescelist: every list is empty".into());
        }
        ("sort", [l]) => {
            let mut strings = list_arg(l)?
                .iter()
                .map(|v| v.to_template_string().ok_or("sort takes strings"))
                .collect::<Result<Vec<_>, _>>()?;
            strings.sort();
            Kind::List(
                strings
                    .into_iter()
                    .map(|s| Value::string(s, None))
                    .collect(),
            )
        }
        ("trim", [s, cutset]) => {
            let cutset = str_arg(cutset)?;
            Kind::String(str_arg(s)?.trim_matches(|c| cutset.contains(c)).to_string())
        }
        ("chomp", [s]) => Kind::String(str_arg(s)?.trim_end_matches(['\r', '\n']).to_string()),
        ("regex", [pattern, s]) => {
            let pattern = compile(str_arg(pattern)?)?;
            let captures = pattern
                .captures(str_arg(s)?)
                .ok_or("regex: the pattern does not match")?;
            return Ok(Value::new(matched(&pattern, &captures)?, origin));
        }
        ("regexall", [pattern, s]) => {
            let pattern = compile(str_arg(pattern)?)?;
            Kind::List(
                pattern
                    .captures_iter(str_arg(s)?)
                    .map(|captures| Ok(Value::new(matched(&pattern, &captures)?, None)))
                    .collect::<Result<_, String>>()?,
            )
        }
        ("formatlist", [f, rest @ ..]) => Kind::List(formatlist(str_arg(f)?, rest)?),
        ("basename", [path]) => Kind::String(basename(str_arg(path)?)),
        ("substr", [s, offset, length]) => {
            Kind::String(substr(str_arg(s)?, whole(offset)?, whole(length)?))
        }
        // symguard keeps secrets out of reports by other means (see `secrets`).
        ("sensitive" | "nonsensitive", [v]) => return Ok(v.clone()),
        ("index", [l, v]) => {
            let items = list_arg(l)?;
            if items.is_empty() {
                return Err("index: cannot search an empty list".into());
            }
            let i = items.iter().position(|item| item.equals(v) == Some(true));
            Kind::Number(i.ok_or("index: item not found")? as f64)
        }
        ("setunion", sets) if !sets.is_empty() => {
            let sets = sets.iter().map(list_arg).collect::<Result<Vec<_>, _>>()?;
            Kind::List(set_of(&sets.concat()))
        }
        ("setintersection", [first, rest @ ..]) => {
            let rest = rest.iter().map(list_arg).collect::<Result<Vec<_>, _>>()?;
            let in_all = |v: &&Value| {
                rest.iter()
                    .all(|set| set.iter().any(|x| x.equals(v) == Some(true)))
            };
            let common: Vec<Value> = list_arg(first)?.iter().filter(in_all).cloned().collect();
            Kind::List(set_of(&common))
        }
        ("setsubtract", [a, b]) => {
            let b = list_arg(b)?;
            let left: Vec<Value> = list_arg(a)?
                .iter()
                .filter(|v| !b.iter().any(|x| x.equals(v) == Some(true)))
                .cloned()
                .collect();
            Kind::List(set_of(&left))
        }
        ("alltrue" | "anytrue", [l]) => {
            let bools = list_arg(l)?
                .iter()
                .map(|v| v.as_bool().ok_or("alltrue and anytrue take bools"))
                .collect::<Result<Vec<_>, _>>()?;
            Kind::Bool(match name {
                "alltrue" => bools.iter().all(|b| *b),
                _ => bools.iter().any(|b| *b),
            })
        }
        ("floor" | "ceil" | "abs" | "signum", [n]) => {
            let n = n
                .as_number()
                .ok_or_else(|| format!("{name} takes a number"))?;
            // Terraform's `signum` converts its argument to a whole number first.
            if name == "signum" && n.fract() != 0.0 {
                return Err(format!("signum takes a whole number, not {n}"));
            }
            Kind::Number(match name {
                "floor" => n.floor(),
                "ceil" => n.ceil(),
                "abs" => n.abs(),
                _ if n == 0.0 => 0.0,
                _ => n.signum(),
            })
        }
        ("max" | "min", ns) if !ns.is_empty() => {
            let ns = ns
                .iter()
                .map(|n| n.as_number().ok_or("max and min take numbers"))
                .collect::<Result<Vec<_>, _>>()?;
            let pick = if name == "max" { f64::max } else { f64::min };
            Kind::Number(ns.into_iter().reduce(pick).unwrap_or_default())
        }
        _ => return Ok(Value::unknown(Source::Function(name.to_string()))),
    };
    Ok(Value::new(kind, origin))
}

/// `formatlist`: `format` of each element of the list arguments in turn, the other
/// arguments repeated; the lists must be of one length. Without a list, one string.
fn formatlist(spec: &str, args: &[Value]) -> Result<Vec<Value>, String> {
    let mut length = None;
    for arg in args {
        if let Some(items) = arg.as_list() {
            match length {
                Some(n) if n != items.len() => {
                    return Err(format!(
                        "formatlist: lists of {n} and {} elements",
                        items.len()
                    ))
                }
                _ => length = Some(items.len()),
            }
        }
    }
    (0..length.unwrap_or(1))
        .map(|i| {
            let row: Vec<Value> = args
                .iter()
                .map(|arg| arg.as_list().map_or(arg, |items| &items[i]).clone())
                .collect();
            Ok(Value::string(super::format::format(spec, &row)?, None))
        })
        .collect()
}

/// Terraform's one type for the elements of `tolist` and `tomap` and the arguments of
/// `coalesce`, where they are primitives: of one type they stay as they are; strings with
/// numbers or bools make every one a string (`tomap({a = true, b = "x"})` is
/// `{a = "true", b = "x"}`); numbers with bools have no common type, which is Terraform's
/// error. Nulls fit any type. Collections and unknowns are left as they are.
fn unify_primitives<'v>(
    values: impl Iterator<Item = &'v mut Value>,
    function: &str,
) -> Result<(), String> {
    let values: Vec<&mut Value> = values.collect();
    let (mut strings, mut numbers, mut bools) = (false, false, false);
    for value in &values {
        match value.kind {
            Kind::String(_) => strings = true,
            Kind::Number(_) => numbers = true,
            Kind::Bool(_) => bools = true,
            Kind::Null => {}
            _ => return Ok(()),
        }
    }
    if !strings && numbers && bools {
        return Err(format!("{function}: numbers and bools have no common type"));
    }
    if strings && (numbers || bools) {
        for value in values {
            if let Kind::Number(_) | Kind::Bool(_) = value.kind {
                let text = value.to_template_string().unwrap_or_default();
                value.kind = Kind::String(text);
            }
        }
    }
    Ok(())
}

/// `range(end)`, `range(start, end)` or `range(start, end, step)`, as Terraform's: from
/// `start` (0) towards `end` by `step` (1, or -1 when `end` is below `start`), stopping
/// before `end`, at most 1,024 numbers.
fn range(bounds: &[Value]) -> Result<Vec<Value>, String> {
    let numbers = bounds
        .iter()
        .map(|b| b.as_number().ok_or("range takes numbers"))
        .collect::<Result<Vec<f64>, _>>()?;
    let towards = |start: f64, end: f64| if end < start { -1.0 } else { 1.0 };
    let (start, end, step) = match numbers[..] {
        [end] => (0.0, end, towards(0.0, end)),
        [start, end] => (start, end, towards(start, end)),
        [start, end, step] => (start, end, step),
        _ => return Err("range takes one, two or three numbers".into()),
    };
    if step == 0.0 {
        return Err("range: the step must not be zero".into());
    }
    let down = step < 0.0;
    if (down && end > start) || (!down && end < start) {
        return Err(format!(
            "range: a step of {step} never reaches {end} from {start}"
        ));
    }
    let mut values = Vec::new();
    let mut n = start;
    while (down && n > end) || (!down && n < end) {
        if values.len() == 1024 {
            return Err("range: more than 1,024 numbers".into());
        }
        values.push(Value::new(Kind::Number(n), None));
        n += step;
    }
    Ok(values)
}

/// `upper` and `lower` as Go's `strings.ToUpper` and `ToLower`: each character mapped on
/// its own, to one character. Rust's string mappings differ: they map `ß` to `SS` and a
/// final `Σ` to `ς`. Where a character's full mapping is several characters, Go's is the
/// character itself for `upper` (`ß`, `ﬁ`; Go maps the Greek letters with a subscript iota
/// to their title case, which is kept as it is here) and the first of them for `lower`
/// (`İ` to `i`).
fn simple_case(s: &str, upper: bool) -> String {
    s.chars()
        .map(|c| {
            if upper {
                let mut mapped = c.to_uppercase();
                match mapped.len() {
                    1 => mapped.next().unwrap_or(c),
                    _ => c,
                }
            } else {
                c.to_lowercase().next().unwrap_or(c)
            }
        })
        .collect()
}

/// `basename`: Go's `filepath.Base`, as Terraform's, on Unix paths.
fn basename(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// `substr(s, offset, length)` as cty computes it: a negative offset counts from the end, a
/// negative length takes the rest, and an offset past the end gives "". It counts
/// characters where cty counts grapheme clusters, as `length` does here: the two differ
/// only for sequences of several code points, such as a letter and a combining accent.
fn substr(s: &str, offset: i64, length: i64) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut offset = offset;
    if offset < 0 {
        offset += chars.len() as i64;
    } else if length == 0 {
        return String::new();
    }
    let rest = &chars[(offset.max(0) as usize).min(chars.len())..];
    // cty takes the whole rest for a length of 0 after a negative offset, too.
    let taken = match usize::try_from(length) {
        Ok(length) if length > 0 => length.min(rest.len()),
        _ => rest.len(),
    };
    rest[..taken].iter().collect()
}

/// A whole number argument, as cty requires of offsets and lengths.
fn whole(v: &Value) -> Result<i64, String> {
    v.as_number()
        .filter(|n| n.fract() == 0.0 && n.abs() < 1e15)
        .map(|n| n as i64)
        .ok_or_else(|| "expected a whole number".to_string())
}

/// The JSON text of a known value, which keeps the value it encodes; the structure of one
/// with unknowns inside.
fn jsonencode(v: Value, origin: Option<Loc>) -> Value {
    match v.to_json_text() {
        Some(json) => Value {
            encoded: Some(Arc::new(v)),
            ..Value::new(Kind::String(json), origin)
        },
        None => Value::unknown(Source::Encoded(Box::new(v))),
    }
}

fn str_arg(v: &Value) -> Result<&str, String> {
    v.as_str()
        .ok_or_else(|| format!("expected a string, got a {}", v.type_name()))
}

fn list_arg(v: &Value) -> Result<&[Value], String> {
    v.as_list()
        .ok_or_else(|| format!("expected a list, got a {}", v.type_name()))
}

fn map_arg(v: &Value) -> Result<&Names<Value>, String> {
    v.as_map()
        .ok_or_else(|| format!("expected a map, got a {}", v.type_name()))
}

fn flatten(items: &[Value]) -> Vec<Value> {
    items
        .iter()
        .flat_map(|v| match &v.kind {
            Kind::List(inner) => flatten(inner),
            _ => vec![v.clone()],
        })
        .collect()
}

fn distinct(items: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for v in items {
        if !out.iter().any(|o| o.equals(v) == Some(true)) {
            out.push(v.clone());
        }
    }
    out
}

/// A list made a set: each element once, in the order Terraform iterates a set (`for`,
/// `for_each`, `tolist`). Numbers go by value; other primitives by their string form,
/// since Terraform converts a set that mixes them to a set of strings (where `1` and `"1"`
/// are one element). Sets of anything else keep the written order: Terraform orders
/// those by a hash, which nothing may rely on.
pub(super) fn set_of(items: &[Value]) -> Vec<Value> {
    let number = |v: &Value| match v.kind {
        Kind::Number(n) => n,
        _ => f64::NAN,
    };
    if items.iter().all(|v| matches!(v.kind, Kind::Number(_))) {
        let mut numbers = items.to_vec();
        numbers.sort_by(|a, b| number(a).total_cmp(&number(b)));
        numbers.dedup_by(|later, first| number(later) == number(first));
        return numbers;
    }
    let Some(strings) = items
        .iter()
        .map(Value::to_template_string)
        .collect::<Option<Vec<String>>>()
    else {
        return distinct(items);
    };
    let mixed = items
        .windows(2)
        .any(|w| std::mem::discriminant(&w[0].kind) != std::mem::discriminant(&w[1].kind));
    // Sorted stably, so the first written of equal elements is the one kept.
    let mut keyed: Vec<(String, &Value)> = strings.into_iter().zip(items).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|later, first| later.0 == first.0);
    keyed
        .into_iter()
        .map(|(s, v)| match mixed {
            true => Value {
                kind: Kind::String(s),
                ..v.clone()
            },
            false => v.clone(),
        })
        .collect()
}

/// Terraform's `title` is Go's `strings.Title`: a letter after a separator is upper-cased.
/// In ASCII every character but letters, digits and `_` separates words (so `ops_admin`
/// stays one word); beyond ASCII only white space does.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = match c.is_ascii() {
            true => !(c.is_ascii_alphanumeric() || c == '_'),
            false => c.is_whitespace(),
        };
    }
    out
}

fn compile(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(pattern).map_err(|e| format!("invalid pattern {pattern:?}: {e}"))
}

/// What Terraform's `regex` makes of a match: the matched text when the pattern has no
/// groups, a list of the groups when they are unnamed, an object when they are named
/// (mixing the two is an error). A group that took no part in the match is null.
fn matched(pattern: &regex::Regex, captures: &regex::Captures) -> Result<Kind, String> {
    let text =
        |m: Option<regex::Match>| m.map_or_else(Value::null, |m| Value::string(m.as_str(), None));
    let groups: Vec<Option<&str>> = pattern.capture_names().skip(1).collect();
    if groups.is_empty() {
        return Ok(Kind::String(captures[0].to_string()));
    }
    if groups.iter().all(Option::is_none) {
        return Ok(Kind::List(
            (1..=groups.len()).map(|i| text(captures.get(i))).collect(),
        ));
    }
    if groups.iter().all(Option::is_some) {
        return Ok(Kind::Object(
            groups
                .into_iter()
                .flatten()
                .map(|name| (name.to_string(), text(captures.name(name))))
                .collect::<Names<_>>()
                .into(),
        ));
    }
    Err("regex: a pattern may not mix named and unnamed groups".into())
}

/// Terraform's `replace`: a `from` wrapped in slashes is a regular expression (RE2, whose
/// syntax the `regex` crate shares), and `$1` or `${name}` in `to` name its groups;
/// otherwise every occurrence of the text is replaced.
fn replace(s: &str, from: &str, to: &str) -> Result<String, String> {
    let Some(pattern) = from
        .strip_prefix('/')
        .and_then(|rest| rest.strip_suffix('/'))
    else {
        return Ok(s.replace(from, to));
    };
    let pattern = compile(pattern).map_err(|e| format!("replace: {e}"))?;
    Ok(pattern.replace_all(s, to).into_owned())
}

/// `file(path)`: relative paths resolve against the module directory, which is Terraform's
/// working directory for a root module. The file joins the report's sources so findings can
/// point into it (e.g. a flow's `impl.py`).
pub fn read_file(module: &ModuleDir, path: &str) -> Result<Value, String> {
    let full = module.dir.join(path);
    let error = |e: std::io::Error| format!("file({path:?}): {e}");
    // Sized and read through one handle, and read through `take`, which does not ask the
    // file for its size again: one size lookup per file (a flow's `impl.py`), not two.
    let file = std::fs::File::open(&full).map_err(error)?;
    let size = file.metadata().map_err(error)?.len();
    let mut text = String::new();
    if size <= MAX_FILE_BYTES {
        text.reserve(size as usize);
        let mut capped = std::io::Read::take(&file, MAX_FILE_BYTES + 1);
        std::io::Read::read_to_string(&mut capped, &mut text).map_err(error)?;
    }
    // A file past the limit is not read; one that grew past it while being read is read
    // no further than the limit, then dropped.
    if text.len() as u64 > MAX_FILE_BYTES || size > MAX_FILE_BYTES {
        return Ok(Value::unknown(Source::Function("file".into())));
    }
    let display = crate::load::display_path(&std::path::Path::new(&module.display).join(path));
    let source = SourceFile::new(display, full, text);
    let loc = Loc::new(&source, 0..source.text.len());
    Ok(Value::string(source.text.clone(), Some(loc)))
}
