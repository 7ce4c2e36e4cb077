//! IAM as the configuration declares it: which roles a group's policies let its members
//! assume, and IAM's wildcard matching.

use super::{Model, Resource};
use crate::eval::{Attr, Instance, Kind, Source, Value};
use crate::provider;
use crate::source::Loc;

/// IAM's wildcard match: `*` matches any run of characters (including `/`), `?` one
/// character; nothing else is special. Matching is case-sensitive, as for IAM names.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    match_chars(pattern, text, |p, t| p == t)
}

/// `wildcard_match` ignoring ASCII case, as IAM compares actions (`sts:AssumeRole`).
fn wildcard_match_ignoring_case(pattern: &str, text: &str) -> bool {
    match_chars(pattern, text, |p, t| p.eq_ignore_ascii_case(&t))
}

/// Names and actions are ASCII nearly always: those are matched byte by byte, in place;
/// anything else as characters.
fn match_chars(pattern: &str, text: &str, same: impl Fn(char, char) -> bool) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        let (p, t) = (pattern.as_bytes(), text.as_bytes());
        return match_wildcards(p, t, |p, t| same(char::from(p), char::from(t)), b'*', b'?');
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    match_wildcards(&p, &t, same, '*', '?')
}

fn match_wildcards<T: Copy + PartialEq>(
    p: &[T],
    t: &[T],
    same: impl Fn(T, T) -> bool,
    star: T,
    one: T,
) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == one || same(p[pi], t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == star {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == star)
}

/// A role the members of a group may assume, with its session limit.
pub struct AssumableRole<'a> {
    pub role: &'a Resource,
    pub instance: &'a Instance,
    pub max_session_seconds: u64,
    /// `max_session_duration` when declared, else the role's header.
    pub loc: Loc,
    /// The policy attribute that grants `sts:AssumeRole`.
    pub granted_by: Loc,
}

/// One statement of a policy document, with what is known of it.
pub struct Statement {
    pub allow: bool,
    pub actions: Vec<String>,
    pub resources: Vec<Value>,
}

impl Statement {
    /// Whether one of the statement's actions (IAM wildcards, any case) covers `action`.
    pub fn allows_action(&self, action: &str) -> bool {
        self.actions
            .iter()
            .any(|a| wildcard_match_ignoring_case(a, action))
    }
}

/// The statements of a policy document as IAM returns it.
pub fn json_statements(document: &serde_json::Value) -> Vec<Statement> {
    document_statements(&Value::from_json(document, &None), None)
}

/// Whether a statement is read: every one, or with `only_allowing`, one that allows that
/// action; the others are passed over before their action and resource lists are copied.
fn kept(only_allowing: Option<&str>, allow: bool, actions: Option<&Value>) -> bool {
    let Some(action) = only_allowing else {
        return true;
    };
    allow
        && actions.is_some_and(|actions| {
            list_items(actions)
                .iter()
                .filter_map(Value::as_str)
                .any(|a| wildcard_match_ignoring_case(a, action))
        })
}

/// The statements of a policy document: `Statement` may be one object or a list.
fn document_statements(document: &Value, only_allowing: Option<&str>) -> Vec<Statement> {
    let Some(statements) = document.as_map().and_then(|m| m.get("Statement")) else {
        return Vec::new();
    };
    list_items(statements)
        .iter()
        .filter_map(|s| {
            let s = s.as_map()?;
            let allow = s.get("Effect").and_then(Value::as_str) == Some("Allow");
            let (actions, resources) = (s.get("Action")?, s.get("Resource")?);
            kept(only_allowing, allow, Some(actions)).then(|| Statement {
                allow,
                actions: strings(actions),
                resources: values(resources),
            })
        })
        .collect()
}

impl<'m> Model<'m> {
    /// The roles that policies attached to the group named `group` allow to `sts:AssumeRole`.
    pub fn assumable_roles(&self, group: &str) -> Vec<AssumableRole<'_>> {
        let mut roles: Vec<AssumableRole> = Vec::new();
        for (policy_attr, statements) in self.group_policies(group, "sts:AssumeRole") {
            for statement in &statements {
                for resource in &statement.resources {
                    let Some((role, instance)) = self.role_for(resource) else {
                        continue;
                    };
                    if roles.iter().any(|r| r.instance.address == instance.address) {
                        continue;
                    }
                    let declared = instance.body.attr("max_session_duration");
                    let Some(seconds) = declared
                        .map_or(Some(provider::DEFAULT_MAX_SESSION_SECONDS as f64), |a| {
                            a.value.as_number()
                        })
                    else {
                        continue;
                    };
                    roles.push(AssumableRole {
                        role,
                        instance,
                        max_session_seconds: seconds as u64,
                        loc: declared.map_or(role.loc.clone(), |a| a.expr_loc.clone()),
                        granted_by: policy_attr.expr_loc.clone(),
                    });
                }
            }
        }
        roles
    }

    /// Policy documents attached to a group: inline `aws_iam_group_policy` and
    /// `aws_iam_group_policy_attachment` of an `aws_iam_policy` declared here; of each, the
    /// statements that allow `action`.
    fn group_policies(&self, group: &str, action: &str) -> Vec<(&Attr, Vec<Statement>)> {
        let index = self
            .group_policy_index
            .get_or_init(|| self.index_group_policies());
        index
            .get(group)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|&position| self.instance_at(position).1.body.attr("policy"))
            .map(|attr| (attr, self.statements(&attr.value, Some(action))))
            .collect()
    }

    /// For each group name, the instances whose `policy` it gets, as positions (see
    /// `Model::instance_position`): its inline policies, then the `aws_iam_policy` attached
    /// to it, each in declaration order.
    fn index_group_policies(&self) -> GroupPolicyIndex {
        let mut index = GroupPolicyIndex::default();
        for (r, resource) in self.resources.iter().enumerate() {
            if resource.kind != "aws_iam_group_policy" {
                continue;
            }
            for (i, inline) in resource.instances.iter().enumerate() {
                if let Some(group) = group_of(inline) {
                    index
                        .entry(group.to_string())
                        .or_default()
                        .push((false, r, i));
                }
            }
        }
        for (_, attachment) in self.instances("aws_iam_group_policy_attachment") {
            let Some(group) = group_of(attachment) else {
                continue;
            };
            let policy = attachment
                .body
                .attr("policy_arn")
                .and_then(|arn| arn.value.as_unknown()?.resource_reference())
                .and_then(|(address, _)| self.instance_position(address))
                .filter(|&position| self.instance_at(position).0.kind == "aws_iam_policy");
            if let Some(position) = policy {
                index.entry(group.to_string()).or_default().push(position);
            }
        }
        index
    }

    /// Reads a policy document: a JSON string, `jsonencode(...)` of a structure with
    /// unknowns, or `data.aws_iam_policy_document.x.json`.
    fn statements(&self, policy: &Value, only_allowing: Option<&str>) -> Vec<Statement> {
        // What `jsonencode` encoded gives the statements the text would, without parsing it.
        if let (Kind::String(_), Some(encoded)) = (&policy.kind, &policy.encoded) {
            return document_statements(encoded, only_allowing);
        }
        let document = match &policy.kind {
            Kind::String(text) => match serde_json::from_str(text) {
                Ok(json) => Value::from_json(&json, &None),
                Err(_) => return Vec::new(),
            },
            Kind::Unknown(u) => match &*u.source {
                Source::Encoded(v) => (**v).clone(),
                Source::Resource(_) => {
                    return self.policy_document_statements(policy, only_allowing)
                }
                _ => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        document_statements(&document, only_allowing)
    }

    fn policy_document_statements(
        &self,
        policy: &Value,
        only_allowing: Option<&str>,
    ) -> Vec<Statement> {
        let Some((resource, document)) = self.referenced(policy) else {
            return Vec::new();
        };
        if resource.kind != "aws_iam_policy_document" {
            return Vec::new();
        }
        document
            .body
            .blocks("statement")
            .filter_map(|s| {
                let get = |name: &str| s.body.attr(name).map(|a| &a.value);
                let allow = get("effect").and_then(Value::as_str).unwrap_or("Allow") == "Allow";
                let actions = get("actions");
                kept(only_allowing, allow, actions).then(|| Statement {
                    allow,
                    actions: actions.map(strings).unwrap_or_default(),
                    resources: get("resources").map(values).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The `aws_iam_role` a policy `Resource` names: `aws_iam_role.x.arn` or a literal ARN
    /// whose role name is declared here.
    fn role_for(&self, resource: &Value) -> Option<(&Resource, &Instance)> {
        if let Some(found) = self
            .referenced(resource)
            .filter(|(r, _)| r.kind == "aws_iam_role")
        {
            return Some(found);
        }
        let arn = resource.as_str()?;
        let name = arn.split_once(":role/")?.1.rsplit('/').next()?;
        if name.contains(['*', '?']) {
            return None;
        }
        self.instances("aws_iam_role")
            .find(|(_, i)| i.body.attr("name").and_then(|a| a.value.as_str()) == Some(name))
    }
}

/// See `Model::group_policy_index`.
pub(super) type GroupPolicyIndex = foldhash::HashMap<String, Vec<(bool, usize, usize)>>;

/// The group an `aws_iam_group_policy` or `aws_iam_group_policy_attachment` names.
fn group_of(instance: &Instance) -> Option<&str> {
    instance.body.attr("group").and_then(|a| a.value.as_str())
}

/// A list's items, or the value alone: IAM takes one string where it takes a list.
fn list_items(v: &Value) -> &[Value] {
    match &v.kind {
        Kind::List(items) => items,
        _ => std::slice::from_ref(v),
    }
}

fn values(v: &Value) -> Vec<Value> {
    list_items(v).to_vec()
}

fn strings(v: &Value) -> Vec<String> {
    list_items(v)
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn wildcards_follow_iam() {
        assert!(wildcard_match("/sym/*", "/sym/prod-admin"));
        assert!(wildcard_match("/sym/*", "/sym/team/prod-admin"));
        assert!(wildcard_match("/*", "/sym/x"));
        assert!(!wildcard_match("/sym/*", "/prod-admin"));
        assert!(wildcard_match("/sym/prod-??", "/sym/prod-ab"));
        assert!(!wildcard_match("/sym/prod-??", "/sym/prod-abc"));
        assert!(wildcard_match("*-admin", "ops-admin"));
        assert!(!wildcard_match("*-admin", "ops-admins"));
        assert!(wildcard_match("[a]", "[a]"));
        assert!(wildcard_match("/é/*", "/é/x"));
        assert!(!wildcard_match("/é/?", "/é/xy"));
        assert!(!wildcard_match("Admin", "admin"));
    }

    #[test]
    fn actions_match_in_any_ascii_case() {
        let statement = super::Statement {
            allow: true,
            actions: vec!["STS:Assume*".to_string(), "s3:Get?bject".to_string()],
            resources: Vec::new(),
        };
        assert!(statement.allows_action("sts:AssumeRole"));
        assert!(statement.allows_action("S3:GETOBJECT"));
        assert!(!statement.allows_action("sts:TagSession"));
    }
}
