//! What the Terraform providers define that a static checker can know: meta-arguments,
//! defaults, and computed attributes that equal declared ones.

use crate::value::{Kind, Value};
use indexmap::IndexMap;

pub fn is_meta_argument(name: &str) -> bool {
    matches!(name, "count" | "for_each" | "depends_on" | "provider")
}

/// Adds the attributes a reference may read that the provider derives from the declaration:
/// `aws_iam_group.x.id` is its name, an unset `path` is `/`, an unset
/// `max_session_duration` is 3600 seconds.
pub fn add_known_attributes(kind: &str, attrs: &mut IndexMap<String, Value>) {
    let mut default = |name: &str, value: Kind| {
        attrs
            .entry(name.to_string())
            .or_insert_with(|| Value::new(value, None));
    };
    match kind {
        "aws_iam_group" | "aws_iam_policy" => default("path", Kind::String("/".into())),
        "aws_iam_role" => {
            default("path", Kind::String("/".into()));
            default(
                "max_session_duration",
                Kind::Number(DEFAULT_MAX_SESSION_SECONDS as f64),
            );
        }
        _ => {}
    }
    if matches!(kind, "aws_iam_group" | "aws_iam_role" | "aws_iam_user") {
        if let Some(name) = attrs.get("name").cloned() {
            attrs.entry("id".to_string()).or_insert(name);
        }
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

/// A registry module source without the default registry host.
pub fn registry_source(source: &str) -> &str {
    source
        .strip_prefix("registry.terraform.io/")
        .unwrap_or(source)
}

/// Whether a module source is one of Sym's IAM connector modules.
pub fn is_connector_source(source: &str) -> bool {
    let s = registry_source(source);
    s == CONNECTOR_SOURCE || s == DEPRECATED_CONNECTOR_SOURCE
}
