use super::{Context, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "duplicate-name",
    severity: Severity::Error,
    summary: "two Sym resources of the same type with the same `name`",
    doc: include_str!("../../rules/duplicate-name.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    // Sym names are unique per resource type and, where there is one, per `type` setting:
    // a `slack` and a `permission_context` integration may share a name.
    let sym = || {
        cx.model
            .resources
            .iter()
            .filter(|r| r.kind.starts_with("sym_"))
    };
    // Sized for every Sym instance, so that it does not grow as it fills.
    let instances = sym().map(|r| r.instances.len()).sum();
    let mut first = foldhash::HashMap::with_capacity_and_hasher(instances, Default::default());
    for resource in sym() {
        for instance in resource.instances.iter() {
            let Some(name_attr) = instance.body.attr("name") else {
                continue;
            };
            let Some(name) = name_attr.value.as_str() else {
                continue;
            };
            let type_ = instance.body.attr("type").map(|a| a.value.as_str());
            if type_ == Some(None) {
                continue;
            }
            let key = (resource.kind.as_str(), type_.flatten(), name);
            match first.get(&key) {
                None => {
                    first.insert(key, (&instance.address, &name_attr.expr_loc));
                }
                Some((other, other_loc)) => out.push(
                    cx.finding(
                        &RULE,
                        name_attr.expr_loc.clone(),
                        format!("`{}` has the name `{name}`, already used by `{other}`", instance.address),
                    )
                    .label("duplicate name")
                    .resource(&instance.address)
                    .related((*other_loc).clone(), format!("`{other}` uses `{name}` here"))
                    .help("give each Sym resource of a type its own name; Sym identifies them by name"),
                ),
            }
        }
    }
}

fixture_test!();
