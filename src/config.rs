//! `symguard.toml`: per-rule severities, the AWS session length and the org's policies.
//!
//! Each module uses the nearest `symguard.toml` in its directory or an ancestor (like ruff's
//! hierarchical configuration), unless `--config FILE` names one for all.

use crate::duration;
use crate::finding::{Finding, Severity};
use crate::live::aws::bulk::ReadMode;
use crate::membership::TrailSource;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

pub const FILE_NAME: &str = "symguard.toml";

#[derive(Default, Debug)]
pub struct Config {
    pub path: Option<PathBuf>,
    /// Severity per rule name; `None` turns the rule off.
    pub severities: HashMap<String, Option<Severity>>,
    /// `[session] aws_max_session`, in seconds.
    pub aws_max_session: Option<u64>,
    pub require_reason: bool,
    /// `[policy] paths`: Rego policy directories, relative to this file.
    pub policy_paths: Vec<String>,
    /// `[policy] params`: what policies read as `input.params`.
    pub policy_params: serde_json::Value,
    pub max_durations: Vec<MaxDuration>,
    /// `[[allow]]`: who may be in a declared group without a Sym grant.
    pub allow: Vec<Allow>,
    /// `[remediate] max_removals`: the most removals one remediation may make.
    pub max_removals: Option<usize>,
    /// `[drift] grace`, in seconds: how long past its end a Sym grant still counts as
    /// active (de-escalation takes a moment); `None` for the default.
    pub drift_grace: Option<u64>,
    /// `[drift] read`: how drift reads IAM when `--read` does not say.
    pub drift_read: Option<ReadMode>,
    /// `[drift] cloudtrail`: where drift reads membership provenance when `--cloudtrail`
    /// does not say.
    pub drift_cloudtrail: Option<TrailSource>,
    /// `[drift] lookback`, in seconds: how far back provenance is read when `--lookback`
    /// does not say.
    pub drift_lookback: Option<u64>,
}

/// A standing member of declared groups, allowed by the configuration.
#[derive(Debug)]
pub struct Allow {
    user: globset::GlobMatcher,
    groups: globset::GlobSet,
    pub user_pattern: String,
    pub reason: String,
    /// The entry allows until this instant (the end of its `expires` day, UTC).
    pub expires: Option<std::time::SystemTime>,
}

impl Allow {
    pub fn allows(&self, user: &str, group: &str, now: std::time::SystemTime) -> bool {
        self.user.is_match(user)
            && self.groups.is_match(group)
            && self.expires.is_none_or(|e| now < e)
    }
}

#[derive(Debug)]
pub struct MaxDuration {
    pub targets: String,
    matcher: globset::GlobMatcher,
    pub max_seconds: u64,
}

impl MaxDuration {
    pub fn applies_to(&self, name: &str) -> bool {
        self.matcher.is_match(name)
    }
}

impl Config {
    /// Runs one rule's `check` as configured: not at all when it is "off", and with its
    /// findings at the configured severity when one is set.
    pub fn run_rule(
        &self,
        rule: &str,
        findings: &mut Vec<Finding>,
        check: impl FnOnce(&mut Vec<Finding>),
    ) {
        let configured = self.severities.get(rule).copied();
        if configured == Some(None) {
            return;
        }
        let start = findings.len();
        check(findings);
        if let Some(Some(severity)) = configured {
            for finding in &mut findings[start..] {
                finding.severity = severity;
            }
        }
    }

    /// Reads the file; `known_rules` are the rule names `[rules]` may set.
    pub fn load(path: &Path, known_rules: &[&str]) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            position: None,
            message: format!("cannot read: {e}"),
        })?;
        Config::parse(path, &text, known_rules)
    }

    pub fn parse(path: &Path, text: &str, known_rules: &[&str]) -> Result<Config, ConfigError> {
        let error = |span: Option<std::ops::Range<usize>>, message: String| ConfigError {
            path: path.to_path_buf(),
            position: span.map(|s| line_col(text, s.start)),
            message,
        };
        let file: ConfigFile = toml::from_str(text).map_err(|e| {
            let message = e.message().to_string();
            // toml names the key only for unknown and missing fields; a wrong type is
            // reported at the value, whose line holds the key.
            let message = match e.span().and_then(|span| key_at(text, span.start)) {
                Some(key) if !message.contains(&format!("`{key}`")) => {
                    format!("`{key}`: {message}")
                }
                _ => message,
            };
            error(e.span(), message)
        })?;
        let mut config = Config {
            path: Some(path.to_path_buf()),
            require_reason: file.policy.require_reason,
            policy_paths: file.policy.paths.clone(),
            policy_params: serde_json::to_value(&file.policy.params)
                .unwrap_or(serde_json::Value::Null),
            max_removals: file.remediate.max_removals,
            drift_read: file.drift.read,
            ..Config::default()
        };
        for (name, level) in file.rules {
            if !known_rules.contains(&name.get_ref().as_str()) {
                return Err(error(
                    Some(name.span()),
                    format!(
                        "unknown rule `{}` in [rules]; `symguard rules` lists them",
                        name.get_ref()
                    ),
                ));
            }
            config
                .severities
                .insert(name.into_inner(), level.into_inner().severity());
        }
        if let Some(session) = file.session.aws_max_session {
            let seconds = duration::parse(session.get_ref()).map_err(|e| {
                error(
                    Some(session.span()),
                    format!("[session] aws_max_session: {e}"),
                )
            })?;
            config.aws_max_session = Some(seconds);
        }
        if let Some(source) = file.drift.cloudtrail {
            config.drift_cloudtrail = Some(
                source
                    .get_ref()
                    .parse()
                    .map_err(|e| error(Some(source.span()), format!("[drift] cloudtrail: {e}")))?,
            );
        }
        if let Some(lookback) = file.drift.lookback {
            let seconds = duration::parse(lookback.get_ref())
                .map_err(|e| error(Some(lookback.span()), format!("[drift] lookback: {e}")))?;
            config.drift_lookback = Some(seconds);
        }
        if let Some(grace) = file.drift.grace {
            let seconds = duration::parse(grace.get_ref())
                .map_err(|e| error(Some(grace.span()), format!("[drift] grace: {e}")))?;
            config.drift_grace = Some(seconds);
        }
        for entry in file.allow {
            // IAM user and group names are unique regardless of case, so globs ignore it.
            let glob = |s: &Spanned<String>, what: &str| {
                globset::GlobBuilder::new(s.get_ref())
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| error(Some(s.span()), format!("[[allow]] {what}: {e}")))
            };
            let mut groups = globset::GlobSetBuilder::new();
            for g in &entry.groups {
                groups.add(glob(g, "groups")?);
            }
            if entry.reason.get_ref().trim().is_empty() {
                return Err(error(
                    Some(entry.reason.span()),
                    "[[allow]] reason: say why this member may stay".into(),
                ));
            }
            let expires = entry
                .expires
                .as_ref()
                .map(|e| {
                    humantime::parse_rfc3339(&format!("{}T23:59:59Z", e.get_ref()))
                        .map(|end_of_day| end_of_day + std::time::Duration::from_secs(1))
                        .map_err(|_| {
                            error(
                                Some(e.span()),
                                format!(
                                    "[[allow]] expires: `{}` is not a date like 2027-03-31",
                                    e.get_ref()
                                ),
                            )
                        })
                })
                .transpose()?;
            config.allow.push(Allow {
                user: glob(&entry.user, "user")?.compile_matcher(),
                groups: groups
                    .build()
                    .map_err(|e| error(None, format!("[[allow]] groups: {e}")))?,
                user_pattern: entry.user.into_inner(),
                reason: entry.reason.into_inner(),
                expires,
            });
        }
        for entry in file.policy.max_duration {
            let glob = globset::Glob::new(entry.targets.get_ref()).map_err(|e| {
                error(
                    Some(entry.targets.span()),
                    format!("[[policy.max_duration]] targets: {e}"),
                )
            })?;
            let max_seconds = duration::parse(entry.max.get_ref()).map_err(|e| {
                error(
                    Some(entry.max.span()),
                    format!("[[policy.max_duration]] max: {e}"),
                )
            })?;
            config.max_durations.push(MaxDuration {
                targets: entry.targets.into_inner(),
                matcher: glob.compile_matcher(),
                max_seconds,
            });
        }
        Ok(config)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<Level>>,
    #[serde(default)]
    session: SessionSection,
    #[serde(default)]
    policy: PolicySection,
    #[serde(default)]
    allow: Vec<AllowEntry>,
    #[serde(default)]
    remediate: RemediateSection,
    #[serde(default)]
    drift: DriftSection,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DriftSection {
    grace: Option<Spanned<String>>,
    read: Option<ReadMode>,
    cloudtrail: Option<Spanned<String>>,
    lookback: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RemediateSection {
    max_removals: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowEntry {
    user: Spanned<String>,
    groups: Vec<Spanned<String>>,
    reason: Spanned<String>,
    expires: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SessionSection {
    aws_max_session: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PolicySection {
    #[serde(default)]
    require_reason: bool,
    #[serde(default)]
    max_duration: Vec<MaxDurationEntry>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    params: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaxDurationEntry {
    targets: Spanned<String>,
    max: Spanned<String>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Level {
    Error,
    Warning,
    Note,
    Off,
}

impl Level {
    fn severity(self) -> Option<Severity> {
        match self {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Note => Some(Severity::Note),
            Level::Off => None,
        }
    }
}

/// The key, or the `[table]` header, on the line holding `offset`.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?.trim();
    let key = match line.split_once('=') {
        Some((key, _)) => key.trim(),
        None => line.trim_matches(|c| c == '[' || c == ']'),
    };
    (!key.is_empty()).then(|| key.trim_matches('"').to_string())
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Finds and caches the configuration that applies to each module directory.
pub struct ConfigResolver {
    /// The rule names `[rules]` may set: the catalogue's, handed down by the command.
    known_rules: Vec<&'static str>,
    explicit: Option<Arc<Config>>,
    /// Hashed with foldhash: the standard SipHash of thousands of paths was 1% of a check.
    by_dir: foldhash::HashMap<PathBuf, Arc<Config>>,
    /// The working directory, read once: relative directories are resolved against it
    /// for every module of a run.
    cwd: Option<PathBuf>,
}

impl ConfigResolver {
    pub fn new(
        explicit: Option<&Path>,
        known_rules: Vec<&'static str>,
    ) -> Result<ConfigResolver, ConfigError> {
        Ok(ConfigResolver {
            explicit: explicit
                .map(|p| Config::load(p, &known_rules))
                .transpose()?
                .map(Arc::new),
            known_rules,
            by_dir: foldhash::HashMap::default(),
            cwd: std::env::current_dir().ok(),
        })
    }

    /// The nearest `symguard.toml` at or above `dir`, or the defaults when there is none.
    pub fn for_dir(&mut self, dir: &Path) -> Result<Arc<Config>, ConfigError> {
        let absolute = self.absolute(dir);
        self.resolve(&absolute, |d| d.join(FILE_NAME).is_file())
    }

    /// `for_dir` of each directory, in order. The directories at and above them are asked
    /// for a `symguard.toml` in parallel first: one at a time, a check of a thousand
    /// roots waited for a thousand file lookups before it could start.
    pub fn for_dirs<'d>(
        &mut self,
        dirs: impl IntoIterator<Item = &'d Path>,
    ) -> Result<Vec<Arc<Config>>, ConfigError> {
        use rayon::prelude::*;
        if let Some(config) = &self.explicit {
            return Ok(dirs.into_iter().map(|_| Arc::clone(config)).collect());
        }
        let dirs: Vec<PathBuf> = dirs.into_iter().map(|d| self.absolute(d)).collect();
        let mut candidates = foldhash::HashSet::default();
        for dir in &dirs {
            for d in dir.ancestors() {
                if self.by_dir.contains_key(d) || !candidates.insert(d) {
                    break;
                }
            }
        }
        let with_config: foldhash::HashSet<&Path> = candidates
            .into_par_iter()
            .filter(|d| d.join(FILE_NAME).is_file())
            .collect();
        dirs.iter()
            .map(|d| self.resolve(d, |d| with_config.contains(d)))
            .collect()
    }

    /// As `std::path::absolute(dir)`, without asking for the working directory each time.
    fn absolute(&self, dir: &Path) -> PathBuf {
        let joined = match &self.cwd {
            Some(cwd) if dir.is_relative() && !dir.as_os_str().is_empty() => cwd.join(dir),
            _ => dir.to_path_buf(),
        };
        std::path::absolute(&joined).unwrap_or(joined)
    }

    /// The nearest configuration at or above `absolute`, where `has_config` tells which
    /// directories hold a `symguard.toml`.
    fn resolve(
        &mut self,
        absolute: &Path,
        has_config: impl Fn(&Path) -> bool,
    ) -> Result<Arc<Config>, ConfigError> {
        if let Some(config) = &self.explicit {
            return Ok(Arc::clone(config));
        }
        let mut visited = Vec::new();
        let mut current = Some(absolute);
        let found = loop {
            let Some(d) = current else {
                break Arc::new(Config::default());
            };
            if let Some(config) = self.by_dir.get(d) {
                break Arc::clone(config);
            }
            visited.push(d.to_path_buf());
            if has_config(d) {
                break Arc::new(Config::load(&d.join(FILE_NAME), &self.known_rules)?);
            }
            current = d.parent();
        };
        for d in visited {
            self.by_dir.insert(d, Arc::clone(&found));
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::Config;
    use std::path::Path;

    fn error(text: &str) -> String {
        Config::parse(
            Path::new("symguard.toml"),
            text,
            &crate::catalogue::rule_names(),
        )
        .unwrap_err()
        .to_string()
    }

    #[test]
    fn reads_every_section() {
        let config = Config::parse(
            Path::new("symguard.toml"),
            "[rules]\ntarget-name = \"off\"\norphan-target = \"error\"\n[session]\naws_max_session = \"1h\"\n\
             [policy]\nrequire_reason = true\n[[policy.max_duration]]\ntargets = \"prod-*\"\nmax = \"1h\"\n",
            &crate::catalogue::rule_names(),
        )
        .unwrap();
        assert_eq!(config.severities["target-name"], None);
        assert_eq!(config.aws_max_session, Some(3600));
        assert!(config.require_reason);
        assert!(config.max_durations[0].applies_to("prod-admin"));
        assert!(!config.max_durations[0].applies_to("dev-admin"));
        assert_eq!(config.drift_read, None);
    }

    #[test]
    fn drift_read_is_one_of_the_modes() {
        use crate::live::aws::bulk::ReadMode;
        let read = |text: &str| {
            Config::parse(
                Path::new("symguard.toml"),
                text,
                &crate::catalogue::rule_names(),
            )
            .map(|c| c.drift_read)
        };
        assert_eq!(
            read("[drift]\nread = \"per-group\"\n").unwrap(),
            Some(ReadMode::PerGroup)
        );
        assert_eq!(
            read("[drift]\nread = \"bulk\"\n").unwrap(),
            Some(ReadMode::Bulk)
        );
        assert!(error("[drift]\nread = \"fast\"\n")
            .starts_with("symguard.toml:2:8: `read`: unknown variant `fast`, expected one of `bulk`, `per-group`, `auto`"));
    }

    #[test]
    fn allow_entries_expire_at_the_end_of_their_day() {
        let config = Config::parse(
            Path::new("symguard.toml"),
            "[[allow]]\nuser = \"breakglass-*\"\ngroups = [\"prod-*\"]\nreason = \"break-glass\"\nexpires = \"2027-03-31\"\n",
            &crate::catalogue::rule_names(),
        )
        .unwrap();
        let at = |s: &str| humantime::parse_rfc3339(s).unwrap();
        let allow = &config.allow[0];
        assert!(allow.allows("breakglass-admin", "prod-admin", at("2027-03-31T23:00:00Z")));
        assert!(!allow.allows("breakglass-admin", "prod-admin", at("2027-04-01T00:00:00Z")));
        assert!(!allow.allows("alice", "prod-admin", at("2026-01-01T00:00:00Z")));
        assert!(allow.allows("BreakGlass-Admin", "prod-admin", at("2026-01-01T00:00:00Z")));
        assert!(!allow.allows("breakglass-admin", "dev-admin", at("2026-01-01T00:00:00Z")));
        assert!(allow.allows("breakglass-admin", "Prod-Admin", at("2026-01-01T00:00:00Z")));
        assert!(error(
            "[[allow]]\nuser = \"x\"\ngroups = []\nreason = \"r\"\nexpires = \"soon\"\n"
        )
        .starts_with("symguard.toml:5:11: [[allow]] expires"));
        assert!(
            error("[[allow]]\nuser = \"x\"\ngroups = []\nreason = \"\"\n")
                .starts_with("symguard.toml:4:10: [[allow]] reason")
        );
    }

    #[test]
    fn errors_name_file_line_and_key() {
        assert!(error("[rules]\nno-such-rule = \"off\"\n")
            .starts_with("symguard.toml:2:1: unknown rule `no-such-rule`"));
        assert!(error("[session]\naws_max_session = \"forever\"\n")
            .starts_with("symguard.toml:2:19: [session] aws_max_session:"));
        assert!(error("[polcy]\n").contains("symguard.toml:1:2: unknown field `polcy`"));
        assert!(error("[rules]\ntarget-name = \"loud\"\n")
            .starts_with("symguard.toml:2:15: `target-name`: unknown variant `loud`"));
        assert!(error("[policy]\nrequire_reason = \"yes\"\n")
            .starts_with("symguard.toml:2:18: `require_reason`: invalid type"));
        assert!(error("[rules\n").starts_with("symguard.toml:1:"));
    }
}
