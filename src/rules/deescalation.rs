use super::{Context, Rule};
use crate::finding::{Finding, Severity};

pub const RULE: Rule = Rule {
    name: "deescalation",
    severity: Severity::Error,
    summary: "a flow whose access never ends: both `allow_revoke` and `schedule_deescalation` false (error), or `schedule_deescalation = false` (warning)",
    doc: include_str!("../../rules/deescalation.md"),
    check,
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for (_, flow) in cx.model.instances("sym_flow") {
        let Some(params) = flow.body.blocks("params").next() else {
            continue;
        };
        // Both default to true in the provider.
        let flag = |name| params.body.attr(name).map(|a| (a.value.as_bool(), a));
        let Some((Some(false), schedule)) = flag("schedule_deescalation") else {
            continue;
        };
        let finding = match flag("allow_revoke") {
            Some((None, _)) => continue,
            Some((Some(false), revoke)) => cx
                .finding(
                    &RULE,
                    schedule.loc.clone(),
                    format!("`{}` neither expires access nor lets anyone revoke it: access granted is kept forever", flow.address),
                )
                .label("never de-escalates")
                .related(revoke.loc.clone(), "revocation is disabled here")
                .help("set `schedule_deescalation = true` (the default) so access ends when the requested duration does"),
            _ => Finding::new(
                RULE.name,
                Severity::Warning,
                schedule.loc.clone(),
                format!("`{}` does not expire access: it lasts until someone revokes it", flow.address),
            )
            .label("access never expires")
            .help("remove `schedule_deescalation = false` so access ends when the requested duration does"),
        };
        out.push(finding.resource(&flow.address));
    }
}

fixture_test!();
