use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::model::TargetRef;

pub const RULE: Rule = Rule {
    name: "orphan-target",
    severity: Severity::Warning,
    summary: "a `sym_target` that no strategy lists",
    doc: include_str!("../../rules/orphan-target.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    // A strategy we cannot fully see may list any target.
    if !model.is_complete() || model.has_unexpanded("sym_strategy") {
        return;
    }
    // Sized for every target listed once, so that it does not grow as it fills.
    let targets = model.instances("sym_target").count();
    let mut listed = foldhash::HashSet::with_capacity_and_hasher(targets, Default::default());
    for (_, strategy) in model.instances("sym_strategy") {
        for target in model.strategy_targets(strategy) {
            match target {
                TargetRef::Resource(_, instance, _) => {
                    listed.insert(instance.address.as_str());
                }
                TargetRef::Other(value) if value.contains_unknown() => return,
                TargetRef::Other(_) => {}
            }
        }
    }
    for (resource, target) in model.instances("sym_target") {
        if !listed.contains(target.address.as_str()) {
            out.push(
                cx.finding(
                    &RULE,
                    resource.loc.clone(),
                    format!("no strategy lists `{}`", target.address),
                )
                .label("not in any strategy's targets")
                .resource(&target.address)
                .help("add it to a strategy's `targets`, or remove it if nobody should request it"),
            );
        }
    }
}

fixture_test!();
