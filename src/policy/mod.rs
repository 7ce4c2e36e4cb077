//! The org's own policies, in Rego, evaluated in-process with `regorus`.
//!
//! Policies are loaded and parsed once; each root's input document (see `input`) is
//! evaluated on a clone of the engine, roots in parallel. A package's `deny` rules become
//! errors and its `warn` rules warnings, named `policy:<package>.<rule>`. Members are
//! strings, or objects `{"msg", "address", "attribute"}` that place the finding at that
//! object (or attribute) of the configuration.

pub mod input;

use crate::eval::Instance;
use crate::finding::{Finding, RuleInfo, Severity};
use crate::model::{value_loc, Model};
use crate::source::{Loc, SourceFile};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const ERROR_RULE: &str = "policy-error";

/// The rule about policies themselves, for the catalogue.
pub const RULES: &[RuleInfo] = &[RuleInfo {
    name: ERROR_RULE,
    severity: Severity::Error,
    summary: "a custom policy that failed while evaluating",
    doc: include_str!("../../rules/policy-error.md"),
}];

/// The rules a package may define that become findings.
const VERDICTS: [(&str, Severity); 2] = [("deny", Severity::Error), ("warn", Severity::Warning)];

pub struct Policies {
    engine: regorus::Engine,
    packages: Vec<Package>,
}

struct Package {
    /// `symguard.no_admin`, without the `data.` prefix.
    name: String,
    /// The first file declaring it: where a policy error points.
    source: Arc<SourceFile>,
    /// `test_*` rules, for `symguard policy test`.
    tests: Vec<String>,
}

/// One `test_*` rule's result.
pub struct TestResult {
    pub file: String,
    pub rule: String,
    /// `None` when it passed; otherwise why not.
    pub failure: Option<String>,
}

impl Policies {
    /// Parses every `*.rego` file under the directories (or the files themselves). A file
    /// that does not parse stops the run with its file, line and the parser's message.
    pub fn load(paths: &[PathBuf]) -> Result<Policies, String> {
        let mut files = Vec::new();
        for path in paths {
            if path.is_file() {
                files.push(path.clone());
                continue;
            }
            if !path.is_dir() {
                return Err(format!("{}: no such policy directory", path.display()));
            }
            for entry in ignore::WalkBuilder::new(path).require_git(false).build() {
                let entry = entry.map_err(|e| format!("{}: {e}", path.display()))?;
                if entry.path().extension().is_some_and(|e| e == "rego") {
                    files.push(entry.path().to_path_buf());
                }
            }
        }
        files.sort();
        files.dedup();
        let mut engine = regorus::Engine::new();
        let mut packages: Vec<Package> = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
            let display = crate::load::display_path(&file);
            let package = engine
                .add_policy(display.clone(), text.clone())
                .map_err(|e| RegoError::parse(&e.to_string()).to_string())?;
            let name = package.trim_start_matches("data.").to_string();
            let tests = test_rules(&text);
            match packages.iter_mut().find(|p| p.name == name) {
                Some(known) => known.tests.extend(tests),
                None => packages.push(Package {
                    name,
                    source: SourceFile::new(display, file.clone(), text),
                    tests,
                }),
            }
        }
        Ok(Policies { engine, packages })
    }

    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }

    /// The findings of every policy for one root.
    pub fn evaluate(&self, model: &Model, input: &Value) -> Vec<Finding> {
        let mut engine = self.engine.clone();
        let mut out = Vec::new();
        match regorus::Value::from_json_str(&input.to_string()) {
            Ok(input) => engine.set_input(input),
            Err(e) => {
                out.push(self.error(&self.packages[0], &format!("the input document: {e}")));
                return out;
            }
        }
        for package in &self.packages {
            for (rule, severity) in VERDICTS {
                let query = format!("data.{}.{rule}", package.name);
                let members = match engine.eval_query(query, false) {
                    Ok(results) => results
                        .result
                        .first()
                        .and_then(|r| r.expressions.first())
                        .and_then(|e| serde_json::to_value(&e.value).ok()),
                    Err(e) => {
                        out.push(self.error(package, &format!("{rule}: {e}")));
                        continue;
                    }
                };
                let members = match members {
                    Some(Value::Array(items)) => items,
                    Some(Value::Object(map)) => map.into_values().collect(),
                    Some(Value::String(s)) if s == "<undefined>" => Vec::new(),
                    None => Vec::new(),
                    Some(other) => vec![other],
                };
                let name = format!("policy:{}.{rule}", package.name);
                for member in members {
                    out.push(finding(model, &name, severity, &member));
                }
            }
        }
        out
    }

    /// A `policy-error` at the line the engine names, when it is in the package's file,
    /// else at its `package` line.
    fn error(&self, package: &Package, message: &str) -> Finding {
        let error = RegoError::parse(message);
        let source = &package.source;
        let text = &source.text;
        let start = match &error.place {
            Some((file, line, _)) if *file == source.display => source.line_start(*line),
            _ => text.find("package").unwrap_or(0),
        };
        let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
        Finding::new(
            ERROR_RULE,
            Severity::Error,
            Loc::new(source, start..end),
            format!("policy `{}` failed: {}", package.name, error.message),
        )
        .label("this policy failed")
        .help("fix the policy; its other findings for this configuration are missing")
    }

    /// Runs every `test_*` rule, as `opa test` does: a test passes when it is true.
    pub fn test(&self) -> Vec<TestResult> {
        let mut engine = self.engine.clone();
        let mut out = Vec::new();
        for package in &self.packages {
            for test in &package.tests {
                let path = format!("data.{}.{test}", package.name);
                let failure = match engine.eval_rule(path) {
                    Ok(regorus::Value::Bool(true)) => None,
                    Ok(regorus::Value::Undefined) => Some("undefined: a condition failed".into()),
                    Ok(other) => Some(format!(
                        "{} instead of true",
                        other.to_json_str().unwrap_or_default()
                    )),
                    Err(e) => Some(format!("error: {e}")),
                };
                out.push(TestResult {
                    file: package.source.display.clone(),
                    rule: format!("data.{}.{test}", package.name),
                    failure,
                });
            }
        }
        out
    }
}

/// regorus reports an error as a snippet (`--> file:line:col`, source lines, `error: ...`);
/// symguard's errors are one line: `file:line:col: message`.
struct RegoError {
    place: Option<(String, usize, usize)>,
    message: String,
}

impl RegoError {
    fn parse(text: &str) -> RegoError {
        let place = text.lines().find_map(|l| {
            let at = l.trim_start().strip_prefix("--> ")?;
            let mut parts = at.rsplitn(3, ':');
            let column = parts.next()?.trim().parse().ok()?;
            let line = parts.next()?.parse().ok()?;
            Some((parts.next()?.to_string(), line, column))
        });
        let message = text
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .filter(|m| !m.is_empty())
            .unwrap_or(text.trim())
            .to_string();
        RegoError { place, message }
    }
}

impl std::fmt::Display for RegoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.place {
            Some((file, line, column)) => write!(f, "{file}:{line}:{column}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The names of the `test_*` rules a policy file defines (rule heads start a line).
fn test_rules(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("test_"))
        .filter_map(|l| {
            let name: String = l
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect();
    names.dedup();
    names
}

/// One member of a `deny` or `warn` set, placed at what it names.
fn finding(model: &Model, rule: &str, severity: Severity, member: &Value) -> Finding {
    let (message, address, attribute) = match member {
        Value::String(text) => (text.clone(), None, None),
        Value::Object(map) => (
            map.get("msg")
                .and_then(Value::as_str)
                .map_or_else(|| member.to_string(), str::to_string),
            map.get("address").and_then(Value::as_str),
            map.get("attribute").and_then(Value::as_str),
        ),
        other => (other.to_string(), None, None),
    };
    let located = address.and_then(|a| locate(model, a, attribute));
    let loc = located.clone().unwrap_or_else(|| root_loc(model));
    let mut finding = Finding::new(rule, severity, loc, message).label("policy");
    if let Some(address) = address {
        finding = finding.resource(address);
        if located.is_none() {
            finding.message += &format!(" (`{address}` is not in this configuration)");
        }
    }
    finding
}

/// Where an address (and a dotted attribute path in it) is declared.
fn locate(model: &Model, address: &str, attribute: Option<&str>) -> Option<Loc> {
    if let Some((resource, instance)) = model.instance(address) {
        return Some(match attribute {
            Some(path) => attribute_loc(instance, path).unwrap_or_else(|| resource.loc.clone()),
            None => resource.loc.clone(),
        });
    }
    let call = model.calls.iter().find(|c| c.address == address)?;
    Some(
        attribute
            .and_then(|a| call.args.attr(a))
            .map_or_else(|| call.loc.clone(), |a| a.expr_loc.clone()),
    )
}

fn attribute_loc(instance: &Instance, path: &str) -> Option<Loc> {
    let mut parts = path.split('.');
    let attr = instance.body.attr(parts.next()?)?;
    let mut value = &attr.value;
    for part in parts {
        value = value.as_map()?.get(part)?;
    }
    Some(value_loc(attr, value))
}

/// A finding about the root as a whole: the start of its first file.
fn root_loc(model: &Model) -> Loc {
    let file = model
        .dirs
        .first()
        .and_then(|d| d.all_files().next())
        .map(|f| f.source.clone())
        .unwrap_or_else(|| SourceFile::new(String::new(), PathBuf::new(), String::new()));
    Loc::new(&file, 0..0)
}

/// `--policy` directories and `[policy] paths` of a configuration, resolved against the
/// configuration file's directory.
pub fn config_paths(config: &crate::config::Config) -> Vec<PathBuf> {
    let base = config
        .path
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    config.policy_paths.iter().map(|p| base.join(p)).collect()
}
