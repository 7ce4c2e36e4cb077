//! Object constructors that repeat a key, `{ port = 80, port = 8080 }`: Terraform takes the
//! last value (HCL's `ObjectConsExpr` keeps the last of each key), but hcl-edit's parser
//! refuses the second key, which made a valid file a syntax error and left it unchecked.
//!
//! Each repeated key is renamed, in a copy of the text, to a placeholder of the same length
//! that is not a word of the file, so every span of the tree still points into the text as
//! written; after parsing, each placeholder gets its key's name back and the earlier value
//! of that key is dropped. Files without a repeated key parse once, as before.

use hcl_edit::expr::{Expression, Object, ObjectKey, ObjectValue};
use hcl_edit::parser::Error;
use hcl_edit::structure::Body;
use hcl_edit::visit_mut::{visit_object_mut, VisitMut};
use hcl_edit::{Decorated, Ident};

/// hcl-edit's message for a repeated key, from its parser's context labels.
const REPEATED_KEY: &str = "found redefined object key";

/// Parses `text` as Terraform does, repeated object keys included. The error is the
/// parser's, at the same offset in `text`, for anything else it refuses.
pub fn parse_body(text: &str) -> Result<Body, Error> {
    let mut renamed: Option<String> = None;
    let mut placeholders: Vec<(ObjectKey, ObjectKey)> = Vec::new();
    loop {
        let current = renamed.as_deref().unwrap_or(text);
        let error = match hcl_edit::parser::parse_body(current) {
            Ok(mut body) => {
                if !placeholders.is_empty() {
                    LastValueWins(&placeholders).visit_body_mut(&mut body);
                }
                return Ok(body);
            }
            Err(error) => error,
        };
        let repeated = match error.message().contains(REPEATED_KEY) {
            true => key_at(current, error.location().offset()),
            false => None,
        };
        let Some((range, original)) = repeated else {
            return Err(error);
        };
        let Some(placeholder) = placeholder(text, current, original.name.len()) else {
            return Err(error);
        };
        let keys = (
            original.object_key(),
            Key {
                name: &placeholder,
                ..original
            }
            .object_key(),
        );
        let mut copy = renamed.take().unwrap_or_else(|| text.to_string());
        copy.replace_range(range, &placeholder);
        placeholders.push(keys);
        renamed = Some(copy);
    }
}

/// A key as written: an identifier, or the content of a quoted string without escapes or
/// templates.
#[derive(Clone, Copy)]
struct Key<'a> {
    name: &'a str,
    quoted: bool,
}

impl Key<'_> {
    fn object_key(&self) -> ObjectKey {
        match self.quoted {
            true => {
                ObjectKey::Expression(Expression::String(Decorated::new(self.name.to_string())))
            }
            false => ObjectKey::Ident(Decorated::new(Ident::new(self.name))),
        }
    }
}

/// The key that starts at `offset`, and the byte range of its name.
fn key_at(text: &str, offset: usize) -> Option<(std::ops::Range<usize>, Key<'_>)> {
    let rest = text.get(offset..)?;
    if let Some(quoted) = rest.strip_prefix('"') {
        let end = quoted.find(['"', '\\', '$', '%', '\n'])?;
        quoted[end..].starts_with('"').then_some(())?;
        let name = &quoted[..end];
        return Some((offset + 1..offset + 1 + end, Key { name, quoted: true }));
    }
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    Ident::try_new(name).is_ok().then_some((
        offset..offset + end,
        Key {
            name,
            quoted: false,
        },
    ))
}

/// A placeholder of `length` bytes, made of ASCII letters and underscores, and not a word
/// anywhere in the file (as written or as renamed so far), so no key of the object can be
/// the same; `None` when none is left, as for a one-letter key in a file that uses every
/// letter alone.
fn placeholder(text: &str, current: &str, length: usize) -> Option<String> {
    const LETTERS: &[u8] = b"_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let words: std::collections::HashSet<&str> = [text, current]
        .into_iter()
        .flat_map(|t| t.split(|c: char| !is_word(c)))
        .collect();
    let candidates = LETTERS
        .len()
        .checked_pow(u32::try_from(length).ok()?)
        .map_or(4096, |n| n.min(4096));
    (0..candidates)
        .map(|mut n| {
            let mut name = String::with_capacity(length);
            while name.len() < length {
                name.push(LETTERS[n % LETTERS.len()] as char);
                n /= LETTERS.len();
            }
            name
        })
        .find(|name| !words.contains(name.as_str()))
}

/// Gives each repeated key the value written last, in the place it is written, as Terraform
/// does: later items win over earlier ones, however their keys are written (`port`,
/// `"port"`). Each placeholder gets its key's name back, keeping its own span.
struct LastValueWins<'a>(&'a [(ObjectKey, ObjectKey)]);

impl LastValueWins<'_> {
    /// The key a placeholder stands for, with the placeholder's span and decor.
    fn original(&self, key: &ObjectKey) -> Option<ObjectKey> {
        let (original, _) = self.0.iter().find(|(_, placeholder)| placeholder == key)?;
        let mut restored = key.clone();
        match (&mut restored, original) {
            (ObjectKey::Ident(name), ObjectKey::Ident(original)) => {
                *name.value_mut() = original.value().clone();
            }
            (
                ObjectKey::Expression(Expression::String(name)),
                ObjectKey::Expression(Expression::String(original)),
            ) => {
                *name.value_mut() = original.value().clone();
            }
            _ => return None,
        }
        Some(restored)
    }
}

impl VisitMut for LastValueWins<'_> {
    fn visit_object_mut(&mut self, object: &mut Object) {
        if object.iter().any(|(key, _)| self.original(key).is_some()) {
            let items: Vec<(ObjectKey, ObjectValue)> = object
                .iter()
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            object.clear();
            for (key, value) in items {
                let key = self.original(&key).unwrap_or(key);
                object.remove(&key);
                object.insert(key, value);
            }
        }
        visit_object_mut(self, object);
    }
}

#[cfg(test)]
mod tests {
    use super::parse_body;
    use hcl_edit::expr::Expression;
    use hcl_edit::Span;

    /// The object of `local = {...}` in `text`, as (key, value text) in order, each value
    /// read from `text` through its span.
    fn items(text: &str) -> Vec<(String, String)> {
        let body = parse_body(text).unwrap();
        let attr = body.attributes().next().unwrap();
        let Expression::Object(object) = &attr.value else {
            panic!("not an object");
        };
        object
            .iter()
            .map(|(key, value)| {
                let key = match key.as_ident() {
                    Some(ident) => ident.to_string(),
                    None => format!("{:?}", key.as_expr().unwrap().as_str().unwrap()),
                };
                (key, text[value.expr().span().unwrap()].to_string())
            })
            .collect()
    }

    #[test]
    fn the_last_value_of_a_key_wins_in_its_own_place() {
        let text = "x = {\n  a = 1\n  b = 2\n  a = 3\n  \"b\" = 4\n  \"b\" = 5\n  a = 6\n}\n";
        let expected = [("b", "2"), ("\"b\"", "5"), ("a", "6")];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(items(text), expected);
    }

    #[test]
    fn nested_objects_and_long_names_keep_their_spans() {
        let text =
            "x = { outer = { port_number = 80, port_number = 8080 }, outer = { k = \"v\" } }\n";
        let body = parse_body(text).unwrap();
        let attr = body.attributes().next().unwrap();
        let Expression::Object(object) = &attr.value else {
            panic!("not an object");
        };
        let (key, value) = object.iter().next().unwrap();
        assert_eq!(key.as_ident().unwrap().as_str(), "outer");
        assert_eq!(
            text[value.expr().span().unwrap()].to_string(),
            "{ k = \"v\" }"
        );
        assert_eq!(object.len(), 1);
    }

    /// A genuine error after a repeated key is still reported, at its own offset.
    #[test]
    fn other_errors_are_reported_where_they_are() {
        let text = "x = { a = 1, a = 2 }\ny = = 3\n";
        let error = parse_body(text).unwrap_err();
        assert_eq!(error.location().line(), 2);
    }

    /// With every one-letter name taken, a repeated one-letter key stays an error.
    #[test]
    fn a_key_with_no_placeholder_left_is_the_parser_error() {
        let letters: String = ('a'..='z')
            .chain('A'..='Z')
            .map(|c| format!("{c} "))
            .collect();
        let text = format!("# {letters}\nx = {{ _ = 1, _ = 2 }}\n");
        let text = text.as_str();
        let error = parse_body(text).unwrap_err();
        assert!(error.message().contains("redefined object key"), "{error}");
    }
}
