//! What the Terraform providers define that a static checker can know: meta-arguments,
//! defaults, and computed attributes that equal declared ones.

use crate::value::{Kind, Names, Value};

pub fn is_meta_argument(name: &str) -> bool {
    matches!(name, "count" | "for_each" | "depends_on" | "provider")
}

/// Adds the attributes a reference may read that the provider derives from the declaration
/// (see `known_attribute`), to an instance's declared attributes.
pub fn add_known_attributes(kind: &str, attrs: &mut Names<Value>) {
    for name in ["path", "max_session_duration", "id"] {
        if attrs.contains_key(name) {
            continue;
        }
        if let Some(value) = known_attribute(kind, name, |declared| attrs.get(declared).cloned()) {
            attrs.insert(name.to_string(), value);
        }
    }
}

/// An attribute the provider derives from the declaration when it is not declared:
/// `aws_iam_group.x.id` is its name, an unset `path` is `/`, an unset
/// `max_session_duration` is 3600 seconds. `declared` gives a declared attribute.
pub fn known_attribute(
    kind: &str,
    name: &str,
    declared: impl FnOnce(&str) -> Option<Value>,
) -> Option<Value> {
    match (kind, name) {
        ("aws_iam_group" | "aws_iam_policy" | "aws_iam_role", "path") => {
            Some(Value::new(Kind::String("/".into()), None))
        }
        ("aws_iam_role", "max_session_duration") => Some(Value::new(
            Kind::Number(DEFAULT_MAX_SESSION_SECONDS as f64),
            None,
        )),
        ("aws_iam_group" | "aws_iam_role" | "aws_iam_user", "id") => declared("name"),
        _ => None,
    }
}

/// AWS's default `MaxSessionDuration` of a role.
pub const DEFAULT_MAX_SESSION_SECONDS: u64 = 3600;

/// An `aws_iam_group` without `path` lives at `/`.
pub const DEFAULT_GROUP_PATH: &str = "/";

/// Prompt field types the Sym provider accepts.
pub const PROMPT_FIELD_TYPES: &[&str] = &[
    "string",
    "str_list",
    "int",
    "int_list",
    "bool",
    "duration",
    "slack_user",
    "slack_user_list",
];

/// The IAM connector module's default `group_config`.
pub const DEFAULT_GROUP_CONFIG: (&str, &str) = ("/sym/", "*");

pub const CONNECTOR_SOURCE: &str = "symopsio/iam-connector/aws";
pub const DEPRECATED_CONNECTOR_SOURCE: &str = "symopsio/iam-connector/sym";

/// The git repositories the two connector modules are published from: the registry names a
/// module `NAMESPACE/NAME/PROVIDER` after its repository `terraform-PROVIDER-NAME`.
const CONNECTOR_REPOSITORY: &str = "terraform-aws-iam-connector";
const DEPRECATED_CONNECTOR_REPOSITORY: &str = "terraform-sym-iam-connector";

/// A module source that names one of Sym's IAM connector modules.
#[derive(Debug, PartialEq, Eq)]
pub enum ConnectorSource<'a> {
    /// `[HOST/]symopsio/iam-connector/{aws,sym}` on any module registry (the public one,
    /// Sym's own `terraform.symops.com`, a private mirror); the call's `version` constrains it.
    Registry { deprecated: bool },
    /// The connector's GitHub repository, with the `ref` it pins, if any.
    Git {
        deprecated: bool,
        reference: Option<&'a str>,
    },
}

impl ConnectorSource<'_> {
    pub fn is_deprecated(&self) -> bool {
        match self {
            ConnectorSource::Registry { deprecated } | ConnectorSource::Git { deprecated, .. } => {
                *deprecated
            }
        }
    }
}

/// A registry module source without the default registry host.
pub fn registry_source(source: &str) -> &str {
    source
        .strip_prefix("registry.terraform.io/")
        .unwrap_or(source)
}

/// Which IAM connector module a `source` names, as Terraform reads module source addresses.
pub fn connector_source(source: &str) -> Option<ConnectorSource<'_>> {
    registry_connector(source).or_else(|| git_connector(source))
}

/// Whether a module source is one of Sym's IAM connector modules.
pub fn is_connector_source(source: &str) -> bool {
    connector_source(source).is_some()
}

/// `[HOST/]NAMESPACE/NAME/PROVIDER`. Terraform reserves `github.com` and `bitbucket.org` for
/// its VCS shorthands, so they are never registry hosts; a `//subdir` is another module.
fn registry_connector(source: &str) -> Option<ConnectorSource<'_>> {
    let parts: Vec<&str> = source.split('/').collect();
    let address = match parts.as_slice() {
        [_, _, _] => source,
        [host, ..] if parts.len() == 4 && is_registry_host(host) => &source[host.len() + 1..],
        _ => return None,
    };
    match address {
        CONNECTOR_SOURCE => Some(ConnectorSource::Registry { deprecated: false }),
        DEPRECATED_CONNECTOR_SOURCE => Some(ConnectorSource::Registry { deprecated: true }),
        _ => None,
    }
}

fn is_registry_host(host: &str) -> bool {
    host.contains('.')
        && !host.starts_with('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        && !["github.com", "bitbucket.org"]
            .iter()
            .any(|vcs| host.eq_ignore_ascii_case(vcs))
}

/// The forms Terraform accepts for a GitHub repository: the `github.com/OWNER/REPO` and
/// `git@github.com:OWNER/REPO` shorthands, and `git::` with an `https://` or `ssh://` URL;
/// `.git` and `?ref=...` are optional.
fn git_connector(source: &str) -> Option<ConnectorSource<'_>> {
    let (address, query) = source.split_once('?').unwrap_or((source, ""));
    let prefixes = [
        "github.com/",
        "git@github.com:",
        "git::https://github.com/",
        "git::ssh://git@github.com/",
        "git::git@github.com:",
    ];
    let repository = prefixes.iter().find_map(|p| address.strip_prefix(p))?;
    let repository = repository.strip_suffix(".git").unwrap_or(repository);
    let (owner, name) = repository.split_once('/')?;
    if !owner.eq_ignore_ascii_case("symopsio") {
        return None;
    }
    let deprecated = if name.eq_ignore_ascii_case(CONNECTOR_REPOSITORY) {
        false
    } else if name.eq_ignore_ascii_case(DEPRECATED_CONNECTOR_REPOSITORY) {
        true
    } else {
        return None;
    };
    let reference = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("ref="))
        .filter(|r| !r.is_empty());
    Some(ConnectorSource::Git {
        deprecated,
        reference,
    })
}

#[cfg(test)]
mod tests {
    use super::{connector_source, ConnectorSource};

    #[test]
    fn reads_connector_sources_as_terraform_does() {
        let registry = |deprecated| Some(ConnectorSource::Registry { deprecated });
        let git = |deprecated, reference| {
            Some(ConnectorSource::Git {
                deprecated,
                reference,
            })
        };
        for (source, expected) in [
            ("symopsio/iam-connector/aws", registry(false)),
            (
                "registry.terraform.io/symopsio/iam-connector/aws",
                registry(false),
            ),
            (
                "terraform.symops.com/symopsio/iam-connector/sym",
                registry(true),
            ),
            (
                "registry.example.com:8443/symopsio/iam-connector/sym",
                registry(true),
            ),
            (
                "github.com/symopsio/terraform-aws-iam-connector",
                git(false, None),
            ),
            (
                "github.com/symopsio/terraform-aws-iam-connector?ref=v2.0.0",
                git(false, Some("v2.0.0")),
            ),
            (
                "git@github.com:symopsio/terraform-sym-iam-connector.git",
                git(true, None),
            ),
            (
                "git::https://github.com/symopsio/terraform-aws-iam-connector.git?ref=v1.0.1",
                git(false, Some("v1.0.1")),
            ),
            (
                "git::ssh://git@github.com/symopsio/terraform-sym-iam-connector.git",
                git(true, None),
            ),
            ("symopsio/iam-connector/aws//modules/x", None),
            ("github.com/symopsio/iam-connector/aws", None),
            ("./symopsio/iam-connector/aws", None),
            ("symopsio/runtime-connector/aws", None),
            (
                "github.com/symopsio/terraform-aws-iam-connector//modules/x",
                None,
            ),
            ("github.com/someone/terraform-aws-iam-connector", None),
            (
                "https://github.com/symopsio/terraform-aws-iam-connector",
                None,
            ),
        ] {
            assert_eq!(connector_source(source), expected, "{source}");
        }
    }
}
