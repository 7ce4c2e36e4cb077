use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::source::Loc;

pub const RULE: Rule = Rule {
    name: "self-approval",
    severity: Severity::Warning,
    summary: "a flow implementation that lets requesters approve their own access",
    doc: include_str!("../../rules/self-approval.md"),
    check,
};

/// Keyword arguments of the Sym SDK that let a requester approve themselves.
const SELF_APPROVAL_FLAGS: &[&str] = &["allow_self_approval", "allow_self"];

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for (_, flow) in cx.model.instances("sym_flow") {
        let Some(attr) = flow.body.attr("implementation") else {
            continue;
        };
        // The code where it was written: the file the attribute names or reads with
        // `file()`, a local or variable, or the attribute itself; only that text is searched.
        let named_file = cx.model.implementation_file(&attr.value);
        let implementation = named_file.as_ref().unwrap_or(&attr.value);
        let Some(origin) = implementation
            .from
            .as_ref()
            .or(implementation.origin.as_ref())
        else {
            continue;
        };
        let code = &origin.file.text[origin.span.clone()];
        for (span, flag) in self_approval_flags(code) {
            let span = origin.span.start + span.start..origin.span.start + span.end;
            let mut finding = cx
                .finding(
                    &RULE,
                    Loc::new(&origin.file, span),
                    format!("the implementation of `{}` lets requesters approve their own access (`{flag}=True`)", flow.address),
                )
                .label("self-approval enabled")
                .resource(&flow.address)
                .help("remove the flag so that someone other than the requester approves");
            if implementation.from.is_some() || named_file.is_some() {
                finding = finding.related(
                    attr.expr_loc.clone(),
                    "the flow reads its implementation here",
                );
            }
            out.push(finding);
        }
    }
}

/// Byte spans of `allow_self_approval=True` / `allow_self = True` outside comments.
fn self_approval_flags(code: &str) -> Vec<(std::ops::Range<usize>, &'static str)> {
    let mut found = Vec::new();
    // Both flags begin `allow_self` and count only when set to `True`: two searches of the
    // whole text rule most code out before it is read line by line.
    if !(code.contains("allow_self") && code.contains("True")) {
        return found;
    }
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        let code_part = without_comment(line);
        for flag in SELF_APPROVAL_FLAGS {
            let mut from = 0;
            while let Some(pos) = code_part[from..].find(flag) {
                let start = from + pos;
                let after = &code_part[start + flag.len()..];
                let word_start =
                    start == 0 || !is_ident(code_part[..start].chars().next_back().unwrap_or(' '));
                let rest = after.trim_start();
                if word_start && rest.starts_with('=') && !rest.starts_with("==") {
                    let value = rest[1..].trim_start();
                    if value.starts_with("True") && !value[4..].starts_with(is_ident) {
                        let end = start + flag.len() + (after.len() - value.len()) + 4;
                        found.push((offset + start..offset + end, *flag));
                    }
                }
                from = start + flag.len();
            }
        }
        offset += line.len();
    }
    found.sort_by_key(|(span, _)| span.start);
    found
}

/// The line up to a Python comment; a `#` inside a string literal does not start one.
fn without_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(_), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), c) if c == q && !escaped => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') => return &line[..i],
            _ => {}
        }
        escaped = false;
    }
    line
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod unit {
    use super::self_approval_flags;

    #[test]
    fn finds_flags_in_code_only() {
        let code = "# allow_self=True is forbidden\nslack.send(\"#ch\", allow_self_approval=True)\nx(allow_self = True, y=1)  # allow_self=True\nz(allow_self=False)\nw(dont_allow_self=True, s='#', allow_self=True)\n";
        let found: Vec<&str> = self_approval_flags(code)
            .iter()
            .map(|(s, _)| &code[s.clone()])
            .collect();
        assert_eq!(
            found,
            [
                "allow_self_approval=True",
                "allow_self = True",
                "allow_self=True"
            ]
        );
    }
}

fixture_test!();
