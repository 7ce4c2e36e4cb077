use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::provider::{self, ConnectorSource, CONNECTOR_SOURCE, DEPRECATED_CONNECTOR_SOURCE};

pub const RULE: Rule = Rule {
    name: "connector-source",
    severity: Severity::Warning,
    summary: "an IAM connector from the deprecated source, or a version constraint admitting releases below 2.0.0",
    doc: include_str!("../../rules/connector-source.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for call in cx.model.calls.iter() {
        let address = &call.address;
        let (Some(source), Some(text)) = (call.args.attr("source"), call.source()) else {
            continue;
        };
        let Some(connector) = provider::connector_source(text) else {
            continue;
        };
        if connector.is_deprecated() {
            let written = if provider::registry_source(text) == DEPRECATED_CONNECTOR_SOURCE {
                String::new()
            } else {
                format!(" (`{text}`)")
            };
            out.push(
                cx.finding(
                    &RULE,
                    source.expr_loc.clone(),
                    format!(
                        "`{address}` uses the deprecated `{DEPRECATED_CONNECTOR_SOURCE}`{written}"
                    ),
                )
                .label("deprecated source")
                .resource(address)
                .help(format!(
                    "use `source = \"{CONNECTOR_SOURCE}\"` with `version = \">= 2.0.0\"`"
                )),
            );
            continue;
        }
        let help = "constrain the version to 2.0.0 or later, e.g. `version = \">= 2.0.0\"`";
        if let ConnectorSource::Git { reference, .. } = connector {
            // A git source is pinned by its `ref`; without one Terraform takes the default
            // branch, and a branch or commit says nothing about the release.
            let Some(reference) = reference else { continue };
            if parse_version(reference).is_some_and(|v| v < [2, 0, 0]) {
                out.push(
                    cx.finding(&RULE, source.expr_loc.clone(), format!("`{address}` pins `ref={reference}`, a release below 2.0.0"))
                        .label("a 1.x release")
                        .resource(address)
                        .help(format!("use `source = \"{CONNECTOR_SOURCE}\"` with `version = \">= 2.0.0\"`, or pin a 2.x tag")),
                );
            }
            continue;
        }
        match call.args.attr("version") {
            None => out.push(
                cx.finding(&RULE, source.expr_loc.clone(), format!("`{address}` has no version constraint, so releases below 2.0.0 are allowed"))
                    .label("no version")
                    .resource(address)
                    .help(help),
            ),
            Some(version) => {
                let Some(text) = version.value.as_str() else { continue };
                if admits_below_2(text) == Some(true) {
                    out.push(
                        cx.finding(&RULE, version.expr_loc.clone(), format!("the version constraint `{text}` of `{address}` admits releases below 2.0.0"))
                            .label("admits 1.x")
                            .resource(address)
                            .help(help),
                    );
                }
            }
        }
    }
}

/// Whether a Terraform version constraint (`>= 1.2, < 3`, `~> 2.0`, `2.1.0`) admits some
/// release below 2.0.0: true when its lowest admitted version is below 2.0.0. `None` when
/// the constraint does not parse.
fn admits_below_2(constraint: &str) -> Option<bool> {
    let mut lower: Option<[u64; 3]> = None;
    for part in constraint.split(',') {
        let part = part.trim();
        let (op, version) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|v| (*op, v.trim())))
            .unwrap_or(("=", part));
        let version = parse_version(version)?;
        if matches!(op, "~>" | ">=" | ">" | "=") {
            lower = Some(lower.map_or(version, |l| l.max(version)));
        }
    }
    Some(lower.is_none_or(|l| l < [2, 0, 0]))
}

fn parse_version(text: &str) -> Option<[u64; 3]> {
    let core = text.trim_start_matches('v').split(['-', '+']).next()?;
    let mut parts = [0; 3];
    for (i, piece) in core.split('.').enumerate() {
        *parts.get_mut(i)? = piece.parse().ok()?;
    }
    Some(parts)
}

#[cfg(test)]
mod unit {
    use super::admits_below_2;

    #[test]
    fn reads_terraform_constraints() {
        for (constraint, below) in [
            (">= 2.0.0", false),
            ("~> 2.0", false),
            ("2.1.0", false),
            ("> 2.0.0", false),
            (">= 1.0.0", true),
            ("~> 1.3", true),
            ("< 3.0.0", true),
            (">= 1.0, >= 2.0", false),
            ("!= 1.5.0", true),
        ] {
            assert_eq!(admits_below_2(constraint), Some(below), "{constraint}");
        }
        assert_eq!(admits_below_2(">= two"), None);
    }
}

fixture_test!();
