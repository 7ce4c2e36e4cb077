//! The fixture harness of the drift rules: each rule's `fixtures/<rule>/{fail,pass}` holds
//! a configuration and the `state.json` drift compares it with (`drift --state`).

use crate::report::{human, json};
use crate::{drift, CheckOptions, CheckReport, LiveOptions};
use std::path::PathBuf;

/// `symguard drift DIR --state DIR/state.json`.
pub fn drift_fixture(dir: &str) -> CheckReport {
    let path = PathBuf::from(dir);
    let live = LiveOptions {
        state: Some(path.join("state.json")),
        ..LiveOptions::default()
    };
    drift(&CheckOptions::new(vec![path]), &live).unwrap_or_else(|e| panic!("{dir}: {e}"))
}

/// The rule must fire on the failing fixture and the passing one must be entirely clean.
/// Returns the failing fixture's human report and its JSON, for the snapshot.
pub fn fixture_report(rule: &str) -> String {
    let fail = drift_fixture(&format!("fixtures/{rule}/fail"));
    assert!(
        fail.findings.iter().any(|f| f.rule == rule),
        "{rule} did not fire on its failing fixture"
    );
    let pass = drift_fixture(&format!("fixtures/{rule}/pass"));
    assert!(
        pass.findings.is_empty(),
        "the passing fixture of {rule} has findings:\n{}",
        human::render(&pass.findings, false)
    );
    human::render(&fail.findings, false)
        + &json::render_report(
            &fail.findings,
            fail.files,
            fail.resources,
            fail.drift.as_ref(),
        )
}
