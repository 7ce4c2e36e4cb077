//! Rules: one file per rule, each with its documentation in `rules/<name>.md`, fixtures in
//! `fixtures/<name>/{fail,pass}` and a snapshot of its report in `snapshots/`.
//!
//! A rule reads the model and reports. It never reports on a value that depends on an
//! unknown, and rules that report something *missing* stay silent in a module where a file
//! failed to parse (the declaration may be in that file).

use crate::config::Config;
use crate::eval::{Attr, Value};
use crate::finding::{Finding, Severity};
use crate::model::{value_loc, value_origin_elsewhere, Model};
use crate::source::Loc;

/// Each rule's test: its fixtures behave and its report matches the snapshot.
macro_rules! fixture_test {
    () => {
        #[cfg(test)]
        mod tests {
            #[test]
            fn fixtures() {
                insta::assert_snapshot!(crate::rules::testing::fixture_report(super::RULE.name));
            }
        }
    };
}

mod computed_module_source;
mod connector_scope;
mod connector_source;
mod deescalation;
pub mod drift;
mod duplicate_declaration;
mod duplicate_name;
mod duration_value;
mod encrypted_file;
mod evaluation_cycle;
mod group_membership;
mod hcl_syntax;
mod integration_account;
mod json_syntax;
mod max_duration;
mod orphan_target;
mod placeholder_value;
mod prompt_field_type;
mod require_reason;
mod self_approval;
mod session_length;
mod strategy_integration;
mod strategy_no_targets;
mod strategy_target_type;
mod target_iam_group;
mod target_name;
#[cfg(test)]
pub mod testing;
mod unresolved_reference;

pub struct Rule {
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// The rule's documentation page, `rules/<name>.md`.
    pub doc: &'static str,
    pub check: fn(&Context, &mut Vec<Finding>),
}

/// What a rule sees: one evaluated module and the configuration that applies to it.
pub struct Context<'a> {
    pub model: &'a Model<'a>,
    pub config: &'a Config,
}

impl Context<'_> {
    pub fn finding(&self, rule: &Rule, loc: Loc, message: impl Into<String>) -> Finding {
        Finding::new(rule.name, rule.severity, loc, message)
    }

    /// A finding about a value inside an attribute: located at the value, with a related
    /// location where the value was written when that is elsewhere (a tfvars entry, a
    /// variable default, a module call's argument).
    pub fn finding_at_value(
        &self,
        rule: &Rule,
        attr: &Attr,
        value: &Value,
        message: impl Into<String>,
    ) -> Finding {
        let finding = self.finding(rule, value_loc(attr, value), message);
        match value_origin_elsewhere(attr, value) {
            Some(origin) => finding.related(origin, "the value comes from here"),
            None => finding,
        }
    }
}

/// A finding about a file found but not read, at the file alone: nothing of it is quoted.
/// `message` is given the file's path as reports show it.
fn unread_file(
    cx: &Context,
    rule: &Rule,
    path: &std::path::Path,
    message: impl FnOnce(&str) -> String,
) -> Finding {
    let display = crate::load::display_path(path);
    let file = crate::source::SourceFile::new(display.clone(), path.to_path_buf(), String::new());
    cx.finding(rule, Loc::new(&file, 0..0), message(&display))
}

/// The catalogue, in the order `symguard rules` lists it.
pub const CATALOGUE: &[&Rule] = &[
    &hcl_syntax::RULE,
    &json_syntax::RULE,
    &encrypted_file::RULE,
    &computed_module_source::RULE,
    &unresolved_reference::RULE,
    &evaluation_cycle::RULE,
    &duplicate_declaration::RULE,
    &duplicate_name::RULE,
    &strategy_integration::RULE,
    &strategy_target_type::RULE,
    &strategy_no_targets::RULE,
    &target_iam_group::RULE,
    &placeholder_value::RULE,
    &orphan_target::RULE,
    &target_name::RULE,
    &connector_source::RULE,
    &connector_scope::RULE,
    &group_membership::RULE,
    &integration_account::RULE,
    &prompt_field_type::RULE,
    &duration_value::RULE,
    &deescalation::RULE,
    &session_length::RULE,
    &max_duration::RULE,
    &require_reason::RULE,
    &self_approval::RULE,
];

/// The rules about what was not read (files broken, in JSON syntax or encrypted, modules behind a
/// computed source): `drift` runs them too, since what it compares rests on the same files.
pub const FILE_RULES: &[&Rule] = &[
    &hcl_syntax::RULE,
    &json_syntax::RULE,
    &encrypted_file::RULE,
    &computed_module_source::RULE,
];

/// Runs every enabled rule on a module. A severity set in the configuration replaces the
/// one the rule reported with.
pub fn run(model: &Model, config: &Config) -> Vec<Finding> {
    run_only(CATALOGUE, model, config)
}

/// Runs the enabled rules of `rules` on a module.
pub fn run_only(rules: &[&Rule], model: &Model, config: &Config) -> Vec<Finding> {
    let cx = Context { model, config };
    let mut findings = Vec::new();
    for rule in rules {
        config.run_rule(rule.name, &mut findings, |out| (rule.check)(&cx, out));
    }
    findings
}
