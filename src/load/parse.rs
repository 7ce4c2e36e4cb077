//! Parsing as Terraform parses. hcl-edit's parser refuses two things Terraform accepts, and a
//! valid file was a syntax error, left unchecked:
//!
//! - An object constructor that repeats a key, `{ port = 80, port = 8080 }`: Terraform takes
//!   the last value (HCL's `ObjectConsExpr` keeps the last of each key). The repeated key is
//!   renamed to a placeholder of the same length that is not a word of the file; after
//!   parsing, each placeholder gets its key's name back and the earlier value is dropped.
//! - A line break inside a `{ for ... }` expression, as in `k => c ? a :` ending a line:
//!   Terraform ignores line breaks in `for` expressions, as in parentheses; hcl-edit does in
//!   `[ for ... ]` but not in `{ for ... }`. The breaks of that expression (not those inside
//!   its strings, comments, heredocs or nested objects) become spaces.
//!
//! Each mends a copy of the text in which every byte stays where it was, so every span of
//! the tree points into the text as written, and the parse is tried again. A text that
//! parses is parsed once.

use hcl_edit::expr::{Expression, Object, ObjectKey, ObjectValue};
use hcl_edit::parser::Error;
use hcl_edit::structure::Body;
use hcl_edit::visit_mut::{visit_object_mut, VisitMut};
use hcl_edit::{Decorated, Ident};
use std::ops::Range;

/// hcl-edit's message for a repeated key, from its parser's context labels.
const REPEATED_KEY: &str = "found redefined object key";

/// Parses `text` as Terraform does. The error is the parser's, at its offset in `text`,
/// for what no mend gets past.
pub fn parse_body(text: &str) -> Result<Body, Error> {
    let mut mended: Option<String> = None;
    let mut placeholders: Vec<(ObjectKey, ObjectKey)> = Vec::new();
    // The error the last mend was for: a mend that does not move the error on was not
    // the cure, and that error stands.
    let mut mended_error: Option<Error> = None;
    loop {
        let current = mended.as_deref().unwrap_or(text);
        let error = match hcl_edit::parser::parse_body(current) {
            Ok(mut body) => {
                if !placeholders.is_empty() {
                    LastValueWins(&placeholders).visit_body_mut(&mut body);
                }
                return Ok(body);
            }
            Err(error) => error,
        };
        if let Some(before) = mended_error.take() {
            if error.location().offset() <= before.location().offset() {
                return Err(before);
            }
        }
        let Some((edits, keys)) = mend(text, current, &error) else {
            return Err(error);
        };
        let mut copy = mended.take().unwrap_or_else(|| text.to_string());
        for (range, replacement) in edits {
            copy.replace_range(range, &replacement);
        }
        placeholders.extend(keys);
        mended_error = Some(error);
        mended = Some(copy);
    }
}

/// Edits of a text, each the same length as what it replaces; and for a repeated key, the
/// key and its placeholder.
type Mend = (Vec<(Range<usize>, String)>, Option<(ObjectKey, ObjectKey)>);

/// The edits that get `current` past `error`.
fn mend(text: &str, current: &str, error: &Error) -> Option<Mend> {
    let offset = error.location().offset();
    if error.message().contains(REPEATED_KEY) {
        let (range, original) = key_at(current, offset)?;
        let placeholder = placeholder(text, current, original.name.len())?;
        let keys = (
            original.object_key(),
            Key {
                name: &placeholder,
                ..original
            }
            .object_key(),
        );
        return Some((vec![(range, placeholder)], Some(keys)));
    }
    let breaks = for_object_line_breaks(current, offset)?;
    let edits = breaks
        .into_iter()
        .map(|range| {
            let spaces = " ".repeat(range.len());
            (range, spaces)
        })
        .collect();
    Some((edits, None))
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
fn key_at(text: &str, offset: usize) -> Option<(Range<usize>, Key<'_>)> {
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

/// The line breaks of the innermost `{ for ... }` expression around `offset` that hcl-edit
/// refuses and Terraform ignores: those directly between its braces, not inside its
/// strings, heredocs, comments, nested objects, brackets or parentheses (where hcl-edit
/// ignores them too). `None` when there is no such expression, or it has no such break.
fn for_object_line_breaks(text: &str, offset: usize) -> Option<Vec<Range<usize>>> {
    enum Open {
        /// `{`, `[` or `(` at `start`; `for_object` for the brace of a `{ for`.
        Bracket { start: usize, for_object: bool },
        /// A quoted string.
        Quoted,
        /// `${` or `%{` in a quoted string.
        Template,
    }
    let bytes = text.as_bytes();
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut open: Vec<Open> = Vec::new();
    // (start of the `{ for` a break is directly in, the break)
    let mut breaks: Vec<(usize, Range<usize>)> = Vec::new();
    let mut for_objects: Vec<Range<usize>> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(open.last(), Some(Open::Quoted)) {
            i += match (b, at(i + 1)) {
                (b'\\', _) | (b'$', b'$') | (b'%', b'%') => 2,
                (b'"', _) => {
                    open.pop();
                    1
                }
                (b'$' | b'%', b'{') => {
                    open.push(Open::Template);
                    2
                }
                _ => 1,
            };
            continue;
        }
        match (b, at(i + 1)) {
            // A line comment ends with its line break, which stays one.
            (b'#', _) | (b'/', b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n + 1);
                continue;
            }
            (b'/', b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
                continue;
            }
            (b'<', b'<') => {
                i = heredoc_end(text, i).unwrap_or(i + 2);
                continue;
            }
            (b'"', _) => open.push(Open::Quoted),
            (b'{' | b'[' | b'(', _) => {
                let rest = text[i + 1..].trim_start();
                let for_object = b == b'{'
                    && rest.starts_with("for")
                    && !rest[3..]
                        .starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-');
                open.push(Open::Bracket {
                    start: i,
                    for_object,
                });
            }
            (b'}' | b']' | b')', _) => {
                if let Some(Open::Bracket {
                    start,
                    for_object: true,
                }) = open.pop()
                {
                    for_objects.push(start..i + 1);
                }
            }
            (b'\r', b'\n') | (b'\n', _) => {
                let end = if b == b'\r' { i + 2 } else { i + 1 };
                if let Some(Open::Bracket {
                    start,
                    for_object: true,
                }) = open.last()
                {
                    breaks.push((*start, i..end));
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    for_objects.extend(open.iter().filter_map(|o| match o {
        Open::Bracket {
            start,
            for_object: true,
        } => Some(*start..bytes.len()),
        _ => None,
    }));
    let around = for_objects
        .iter()
        .filter(|span| span.start < offset && offset <= span.end)
        .max_by_key(|span| span.start)?;
    let breaks: Vec<Range<usize>> = breaks
        .into_iter()
        .filter(|(start, _)| *start == around.start)
        .map(|(_, range)| range)
        .collect();
    (!breaks.is_empty()).then_some(breaks)
}

/// Where the heredoc that starts at `at` (`<<EOF` or `<<-EOF`, then a line break) ends: the
/// end of the line that closes it, or of the text; `None` when `at` starts no heredoc.
fn heredoc_end(text: &str, at: usize) -> Option<usize> {
    let rest = text.get(at + 2..)?;
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let marker_end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let marker = &rest[..marker_end];
    let after = rest[marker_end..]
        .strip_prefix('\r')
        .unwrap_or(&rest[marker_end..]);
    let body = after.strip_prefix('\n')?;
    if !marker.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        return None;
    }
    let body_start = text.len() - body.len();
    let mut line_start = body_start;
    for line in body.split_inclusive('\n') {
        let line_end = line_start + line.len();
        if line.trim() == marker {
            return Some(line_end);
        }
        line_start = line_end;
    }
    Some(text.len())
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

    /// The value of `x = { for ... }`'s one item, as written in `text` (through its span),
    /// and the expression parsed.
    fn for_value(text: &str) -> (String, Expression) {
        let body = parse_body(text).unwrap();
        let attr = body.attributes().next().unwrap();
        let Expression::ForExpr(for_expr) = &attr.value else {
            panic!("not a for expression: {:?}", attr.value);
        };
        let value = for_expr.value_expr.clone();
        (text[value.span().unwrap()].to_string(), value)
    }

    #[test]
    fn a_for_object_may_break_its_lines_as_terraform_allows() {
        let text = "x = { for k in [\"a\"] : k => k == \"a\" ? \"yes\" :\n  k == \"b\" ? \"b\"\n  : \"no\"\n}\n";
        let (written, value) = for_value(text);
        assert_eq!(
            written,
            "k == \"a\" ? \"yes\" :\n  k == \"b\" ? \"b\"\n  : \"no\""
        );
        assert!(matches!(value, Expression::Conditional(_)));
        // With Windows line endings too.
        let (written, _) = for_value(&text.replace('\n', "\r\n"));
        assert!(written.ends_with(": \"no\""), "{written}");
    }

    /// Only the breaks of the `for` itself: those of a nested object still separate its
    /// items, and a heredoc and a string keep their text.
    #[test]
    fn line_breaks_inside_the_for_object_keep_their_meaning() {
        let text = "x = { for k in [\"a\"] : k => k == \"a\" ? {\n    a = 1\n    b = <<EOT\n  two\n  lines\nEOT\n  } :\n  { c = \"${k}\\n\" }\n}\n";
        let (_, value) = for_value(text);
        let Expression::Conditional(conditional) = value else {
            panic!("not a conditional");
        };
        let Expression::Object(object) = &conditional.true_expr else {
            panic!("not an object");
        };
        assert_eq!(object.len(), 2);
        let (_, heredoc) = object.iter().nth(1).unwrap();
        let Expression::HeredocTemplate(heredoc) = heredoc.expr() else {
            panic!("not a heredoc");
        };
        assert_eq!(heredoc.template.to_string(), "  two\n  lines\n");
    }

    /// An object constructor's items end at a line break, in Terraform as in hcl-edit:
    /// that stays an error, reported where it is.
    #[test]
    fn an_object_item_still_ends_at_its_line_break() {
        let text = "x = { a = true ? \"a\" :\n  \"b\"\n}\n";
        let error = parse_body(text).unwrap_err();
        assert_eq!(error.location().line(), 1);
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
