//! Secrets stay out of every output. A value is secret when the attribute or object key
//! holding it names one (`secret`, `token`, `password`, `key_id`, `private_key`) and not
//! something that locates one (`secret_name`, `secrets_prefix`, `token_url`), when it is
//! inside a `sym_secret` resource, or when it is the value of a `sensitive = true` variable
//! (its default, a tfvars entry, `TF_VAR_*` or `--var`).
//!
//! Two measures, both applied at load time so that no report, format or model dump can
//! miss them: the source text reports quote is masked (the value's characters replaced by
//! `*`, keeping every offset and line), and every literal secret value is collected so that
//! messages built from evaluated values are scrubbed (`Secrets::redact`).

use crate::value::{Kind, Value};
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::Body;
use hcl_edit::Span;
use std::collections::BTreeSet;
use std::ops::Range;

const MASK: &str = "(sensitive)";

/// Values shorter than this are not scrubbed from messages: a two-letter "secret" would
/// blank out ordinary words. Their source text is still masked.
const MIN_SCRUBBED_LEN: usize = 4;

/// The last words of a name that locates a secret instead of holding it, as in
/// `secret_name`, `secrets_prefix` or `tokenUrl`: its value is a name, not the secret, and
/// scrubbing it from messages would mangle every identifier that holds it (a
/// `secrets_prefix = "govuk"` turned `var.govuk_environment` into `var.(sensitive)_environment`).
/// `key_id` (an AWS access key's id) stays a secret.
const LOCATORS: &[&str] = &[
    "id", "ids", "name", "names", "arn", "arns", "prefix", "path", "version", "url", "uri", "type",
];

pub fn is_secret_name(name: &str) -> bool {
    names_a_secret(name.as_bytes()) && !names_a_locator(name)
}

fn names_a_locator(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with("key_id") || lower.ends_with("keyid") {
        return false;
    }
    LOCATORS.iter().any(|word| {
        let Some(stem) = name.len().checked_sub(word.len()) else {
            return false;
        };
        // The last word: after `_`, or starting with a capital (camelCase).
        lower.ends_with(word)
            && (lower[..stem].ends_with('_')
                || (stem > 0 && name.as_bytes()[stem].is_ascii_uppercase()))
    })
}

fn names_a_secret(name: &[u8]) -> bool {
    // Asked of every attribute and object key of every file: compared in place, ignoring
    // ASCII case, and only where a word's first letter stands (which tells the word). The
    // shortest word, `token`, has five letters: no later start can hold one, and most
    // names (`name`, `type`, `path`) are shorter than that.
    let Some(last_start) = name.len().checked_sub("token".len()) else {
        return false;
    };
    (0..=last_start).any(|start| {
        let rest = &name[start..];
        let word: &[u8] = match rest[0].to_ascii_lowercase() {
            b's' => b"secret",
            b't' => b"token",
            b'k' => b"key_id",
            b'p' if rest.get(1).is_some_and(|b| b.eq_ignore_ascii_case(&b'a')) => b"password",
            b'p' => b"private_key",
            _ => return false,
        };
        rest.get(..word.len())
            .is_some_and(|window| window.eq_ignore_ascii_case(word))
    })
}

/// The spans of secret values in a parsed file, and the literal values themselves.
/// `sensitive_variables`: names whose tfvars entries are secret.
pub fn find(
    body: &Body,
    sensitive_variables: &BTreeSet<String>,
) -> (Vec<Range<usize>>, Vec<String>) {
    let mut found = Found::default();
    for attr in crate::hcl::attributes(body) {
        // A tfvars file is a body of attributes named after variables.
        let secret =
            is_secret_name(attr.key.as_str()) || sensitive_variables.contains(attr.key.as_str());
        found.expr(&attr.value, secret);
    }
    for block in crate::hcl::blocks(body) {
        let whole_block_secret = block.ident.as_str() == "resource"
            && block.labels.first().map(|l| l.as_str()) == Some("sym_secret");
        let sensitive_variable = block.ident.as_str() == "variable"
            && block
                .body
                .get_attribute("sensitive")
                .is_some_and(|a| matches!(a.value, Expression::Bool(ref b) if *b.value()));
        found.body(&block.body, whole_block_secret, sensitive_variable);
    }
    (found.spans, found.values)
}

/// `find` for a variable file in JSON syntax, from the values read: those of a variable
/// named as a secret or declared sensitive, and those under a key named as one.
pub fn find_in_json_vars(
    vars: &[(String, Value)],
    sensitive_variables: &BTreeSet<String>,
) -> (Vec<Range<usize>>, Vec<String>) {
    fn walk(value: &Value, secret: bool, found: &mut Found) {
        match &value.kind {
            Kind::List(items) => items.iter().for_each(|v| walk(v, secret, found)),
            Kind::Object(map) => map
                .iter()
                .for_each(|(key, v)| walk(v, secret || is_secret_name(key), found)),
            Kind::String(_) | Kind::Number(_) if secret => {
                if let Kind::String(s) = &value.kind {
                    found.values.push(s.clone());
                }
                found
                    .spans
                    .extend(value.origin.as_ref().map(|loc| loc.span.clone()));
            }
            _ => {}
        }
    }
    let mut found = Found::default();
    for (name, value) in vars {
        let secret = is_secret_name(name) || sensitive_variables.contains(name);
        walk(value, secret, &mut found);
    }
    (found.spans, found.values)
}

/// Names of the `sensitive = true` variables a module body declares.
pub fn sensitive_variables(body: &Body) -> impl Iterator<Item = String> + '_ {
    crate::hcl::blocks_named(body, "variable").filter_map(|block| {
        let sensitive = block
            .body
            .get_attribute("sensitive")
            .is_some_and(|a| matches!(a.value, Expression::Bool(ref b) if *b.value()));
        sensitive.then(|| block.labels.first().map(|l| l.as_str().to_string()))?
    })
}

/// For a file that does not parse: the rest of every line that assigns to a secret-named
/// key, so that a syntax error's snippet cannot show it.
pub fn lines_with_secrets(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        // `key = value`, or `"key": value` as in JSON and HCL objects.
        if let Some(eq) = line.find(['=', ':']) {
            let key = line[..eq].trim().trim_matches('"');
            if is_secret_name(key) && !key.contains(char::is_whitespace) {
                let value = eq + 1 + (line[eq + 1..].len() - line[eq + 1..].trim_start().len());
                spans.push(start + value..start + line.trim_end().len());
            }
        }
        start += line.len();
    }
    spans
}

/// `text` with every span's characters but line breaks replaced by `*`.
pub fn mask(text: &str, spans: &[Range<usize>]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for span in spans {
        let end = span.end.min(bytes.len());
        // Every byte of a character becomes `*`, so the text stays UTF-8 and offsets hold.
        for byte in &mut bytes[span.start.min(end)..end] {
            if *byte != b'\n' && *byte != b'\r' {
                *byte = b'*';
            }
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[derive(Default)]
struct Found {
    spans: Vec<Range<usize>>,
    values: Vec<String>,
}

impl Found {
    fn body(&mut self, body: &Body, secret: bool, sensitive_variable: bool) {
        for attr in crate::hcl::attributes(body) {
            let key = attr.key.as_str();
            let secret = secret || is_secret_name(key) || (sensitive_variable && key == "default");
            self.expr(&attr.value, secret);
        }
        for block in crate::hcl::blocks(body) {
            self.body(&block.body, secret, false);
        }
    }

    fn expr(&mut self, expr: &Expression, secret: bool) {
        match expr {
            Expression::Object(object) => {
                for (key, value) in object.iter() {
                    let named = match key {
                        ObjectKey::Ident(ident) => is_secret_name(ident.as_str()),
                        ObjectKey::Expression(Expression::String(s)) => is_secret_name(s.value()),
                        ObjectKey::Expression(_) => false,
                    };
                    self.expr(value.expr(), secret || named);
                }
            }
            Expression::Array(items) => crate::hcl::items(items).for_each(|e| self.expr(e, secret)),
            Expression::String(s) if secret => {
                self.values.push(s.value().to_string());
                self.spans.extend(expr.span());
            }
            Expression::StringTemplate(_)
            | Expression::HeredocTemplate(_)
            | Expression::Number(_)
                if secret =>
            {
                self.spans.extend(expr.span());
                if let Expression::HeredocTemplate(h) = expr {
                    self.values.extend(
                        h.template
                            .to_string()
                            .lines()
                            .map(str::trim)
                            .map(String::from),
                    );
                }
            }
            _ => {}
        }
    }
}

/// Secret values to scrub from messages.
#[derive(Default)]
pub struct Secrets {
    /// Longest first, so that a value containing another is replaced whole.
    values: Vec<String>,
}

impl Secrets {
    pub fn new(values: impl IntoIterator<Item = String>) -> Secrets {
        let set: BTreeSet<String> = values
            .into_iter()
            .filter(|v| v.len() >= MIN_SCRUBBED_LEN)
            .collect();
        let mut values: Vec<String> = set.into_iter().collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        Secrets { values }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        for value in &self.values {
            if text.contains(value.as_str()) {
                text = text.replace(value.as_str(), MASK);
            }
        }
        text
    }

    pub fn redact_finding(&self, finding: &mut crate::finding::Finding) {
        if self.values.is_empty() {
            return;
        }
        finding.message = self.redact(&finding.message);
        finding.label = self.redact(&finding.label);
        if let Some(help) = &finding.help {
            finding.help = Some(self.redact(help));
        }
        for related in &mut finding.related {
            related.message = self.redact(&related.message);
        }
    }

    /// Every string in a JSON document, scrubbed.
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => *s = self.redact(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| self.redact_json(v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_secret_name;

    #[test]
    fn secret_names_match_in_any_ascii_case() {
        for name in [
            "api_token",
            // the shortest word, whole and at the very end
            "TOKEN",
            "x_token",
            "DB_Password",
            "aws_access_KEY_ID",
            "TLS_PRIVATE_KEY",
            "clientSecret",
            "é_token",
        ] {
            assert!(is_secret_name(name), "{name} names a secret");
        }
        for name in [
            "name",
            "tok",
            "keyid",
            "passwor",
            "",
            "éToke",
            "p",
            "pa",
            "privatekey",
            "secret_name",
            "secrets_prefix",
            "secret_id",
            "SECRET_ARN",
            "tokenUrl",
            "client_secret_version",
        ] {
            assert!(!is_secret_name(name), "{name} names no secret");
        }
        for name in [
            "access_key_id",
            "awsSecretKeyId",
            "secret_identity",
            "passwordid",
        ] {
            assert!(is_secret_name(name), "{name} names a secret");
        }
    }
}
