use super::{Context, Rule};
use crate::eval::{Attr, Kind, Value};
use crate::finding::{Finding, Severity};
use crate::model::{value_loc, value_origin_elsewhere};
use crate::source::Loc;

pub const RULE: Rule = Rule {
    name: "placeholder-value",
    severity: Severity::Error,
    summary: "a placeholder left in a Sym setting or name (CHANGEME, TODO, REPLACE_ME, xxx, <...>)",
    doc: include_str!("../../rules/placeholder-value.md"),
    check,
};

/// A placeholder found in a setting.
struct Hit<'a> {
    attr: &'a Attr,
    value: &'a Value,
    placeholder: String,
    /// `key` of `address`.
    setting: String,
    address: &'a str,
}

fn check(cx: &Context, out: &mut Vec<Finding>) {
    let sym = cx
        .model
        .resources
        .iter()
        .filter(|r| r.kind.starts_with("sym_"))
        .flat_map(|r| r.instances.iter().map(|i| (i.address.as_str(), &i.body)));
    let connectors = cx
        .model
        .calls
        .iter()
        .filter(|c| c.is_connector())
        .map(|c| (c.address.as_str(), &c.args));
    let providers = cx
        .model
        .sym_providers
        .iter()
        .map(|p| (p.address.as_str(), &p.args));
    let mut hits = Vec::new();
    for (address, body) in sym.chain(connectors).chain(providers) {
        let mut attrs: Vec<(&str, &Attr)> =
            body.attrs.iter().map(|(k, a)| (k.as_str(), a)).collect();
        let mut stack: Vec<_> = body.blocks.iter().collect();
        while let Some(block) = stack.pop() {
            attrs.extend(block.body.attrs.iter().map(|(k, a)| (k.as_str(), a)));
            stack.extend(&block.body.blocks);
        }
        for (key, attr) in attrs {
            // The implementation is Python source, where TODO comments are fair.
            if key == "implementation" {
                continue;
            }
            if let Some((value, placeholder)) = first_placeholder(&attr.value) {
                hits.push(Hit {
                    attr,
                    value,
                    placeholder,
                    setting: format!("`{key}` of `{address}`"),
                    address,
                });
            }
        }
    }
    report(cx, hits, out);
}

/// One finding per placeholder written: where the value was written when it comes from
/// elsewhere (a `terraform.tfvars` entry, a variable's default, a `for_each` key), naming
/// every setting it reaches, in every module instance; at the setting otherwise. The same
/// placeholder in several settings of one instance is one finding too: a template such as
/// `"${local.prefix}-${each.key}"` does not say which part it came from.
fn report(cx: &Context, hits: Vec<Hit>, out: &mut Vec<Finding>) {
    // (where to report, whether the value was written there rather than at a setting, hits)
    let mut groups: Vec<(Loc, bool, Vec<Hit>)> = Vec::new();
    let mut at_settings = Vec::new();
    for hit in hits {
        let Some(origin) = written_at(&hit) else {
            at_settings.push(hit);
            continue;
        };
        match groups
            .iter_mut()
            .find(|(o, _, _)| o.file.display == origin.file.display && o.span == origin.span)
        {
            Some((_, _, same)) => same.push(hit),
            None => groups.push((origin, true, vec![hit])),
        }
    }
    for hit in at_settings {
        let same_instance = groups.iter_mut().find(|(_, _, hits)| {
            hits.iter()
                .any(|h| h.address == hit.address && h.placeholder == hit.placeholder)
        });
        match same_instance {
            Some((_, _, same)) => same.push(hit),
            None => groups.push((value_loc(hit.attr, hit.value), false, vec![hit])),
        }
    }
    for (loc, written_here, hits) in groups {
        let first = &hits[0];
        let others = match hits.len() - 1 {
            0 => String::new(),
            1 => " and 1 other setting".into(),
            n => format!(" and {n} other settings"),
        };
        let message = if written_here {
            format!(
                "the placeholder `{}` written here reaches {}{others}",
                first.placeholder, first.setting
            )
        } else {
            format!(
                "{} still holds the placeholder `{}`{}",
                first.setting,
                first.placeholder,
                others.replacen(" and", ", as do", 1)
            )
        };
        let mut finding = cx
            .finding(&RULE, loc, message)
            .label("placeholder")
            .resource(first.address)
            .help(HELP);
        if !written_here {
            if let Some(origin) = value_origin_elsewhere(first.attr, first.value) {
                finding = finding.related(origin, "the value comes from here");
            }
        }
        let reached = if written_here { &hits[..] } else { &hits[1..] };
        for hit in reached {
            finding = finding.related(
                value_loc(hit.attr, hit.value),
                format!("it reaches {}", hit.setting),
            );
        }
        out.push(finding);
    }
}

/// Where the placeholder was written, when elsewhere than the setting: the place the value
/// comes from, if its text holds the placeholder (a `"CHANGEME"` in `terraform.tfvars`, not
/// the `format(...)` that built a name from it).
fn written_at(hit: &Hit) -> Option<Loc> {
    value_origin_elsewhere(hit.attr, hit.value).filter(|origin| {
        origin
            .file
            .text
            .get(origin.span.clone())
            .is_some_and(|text| text.contains(&hit.placeholder))
    })
}

const HELP: &str = "replace the placeholder with the real value before applying";

/// The first string inside the value, depth first, that holds a placeholder, and the
/// placeholder.
fn first_placeholder(value: &Value) -> Option<(&Value, String)> {
    match &value.kind {
        // `jsonencode(...)`: the structure it encoded, where each string was written; its
        // text escapes `<` and `>`, which would hide a `<placeholder>`.
        Kind::String(_) if value.encoded.is_some() => {
            value.encoded.as_deref().and_then(first_placeholder)
        }
        Kind::String(s) => Some((value, placeholder(s)?)),
        Kind::List(items) => items.iter().find_map(first_placeholder),
        Kind::Object(map) => map.values().find_map(first_placeholder),
        _ => None,
    }
}

/// The placeholder a string holds, if any. Words are compared whole so that a label such
/// as "Todo app access" or a name like "xxxlarge" is not a placeholder; `TODO` counts only
/// in capitals, as people write it when they mean it.
pub fn placeholder(text: &str) -> Option<String> {
    // Most strings are ASCII, and there a word ends at any byte that is not a letter, a
    // digit or `_`: split by byte, without decoding characters.
    let word = if text.is_ascii() {
        text.as_bytes()
            .split(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .find(|word| is_placeholder_word(word))
    } else {
        text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map(str::as_bytes)
            .find(|word| is_placeholder_word(word))
    };
    if let Some(word) = word {
        return Some(String::from_utf8_lossy(word).into_owned());
    }
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        if let Some(close) = after.find('>') {
            let inner = &after[..close];
            let looks_like_slot = !inner.is_empty()
                && inner.len() <= 64
                && inner.trim() == inner
                && inner.chars().any(|c| c.is_alphabetic())
                && inner
                    .chars()
                    .all(|c| c.is_alphanumeric() || " _-.".contains(c));
            if looks_like_slot {
                return Some(format!("<{inner}>"));
            }
        }
        rest = after;
    }
    None
}

/// A word compared in place: every word of every string is asked, and most are no
/// placeholder.
fn is_placeholder_word(word: &[u8]) -> bool {
    [&b"CHANGEME"[..], b"CHANGE_ME", b"REPLACEME", b"REPLACE_ME"]
        .iter()
        .any(|p| word.eq_ignore_ascii_case(p))
        || word == b"TODO"
        || (word.len() >= 3 && word.iter().all(|b| *b == b'x' || *b == b'X'))
}

#[cfg(test)]
mod unit {
    use super::placeholder;

    #[test]
    fn finds_placeholders_not_words() {
        for (text, found) in [
            ("CHANGEME", Some("CHANGEME")),
            ("prod-changeme", Some("changeme")),
            ("REPLACE_ME", Some("REPLACE_ME")),
            ("TODO", Some("TODO")),
            ("arn:aws:iam::xxxxxxxxxxxx:role/x", Some("xxxxxxxxxxxx")),
            ("<your-group-name>", Some("<your-group-name>")),
            ("Todo app access", None),
            ("xxlarge", None),
            ("a < b > c", None),
            ("prod-admins", None),
            ("<>", None),
            // Words are split at what is not a letter, a digit or `_`: `é` is a letter.
            ("café TODO", Some("TODO")),
            ("éTODO", None),
            ("→TODO", Some("TODO")),
        ] {
            assert_eq!(placeholder(text).as_deref(), found, "{text}");
        }
    }
}

fixture_test!();
