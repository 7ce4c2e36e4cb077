//! The fixture harness every rule's test uses.

use crate::check::{check, CheckOptions};
use crate::report::human;
use std::path::PathBuf;

/// Checks `fixtures/<rule>/fail` and `fixtures/<rule>/pass`: the rule must fire on the
/// failing configuration and the passing one must be entirely clean. Returns the failing
/// fixture's full report for the snapshot.
pub fn fixture_report(rule: &str) -> String {
    let run = |kind: &str| {
        let path = PathBuf::from(format!("fixtures/{rule}/{kind}"));
        check(&CheckOptions::new(vec![path]))
            .unwrap_or_else(|e| panic!("fixtures/{rule}/{kind}: {e}"))
    };
    let fail = run("fail");
    assert!(
        fail.findings.iter().any(|f| f.rule == rule),
        "{rule} did not fire on its failing fixture"
    );
    let pass = run("pass");
    assert!(
        pass.findings.is_empty(),
        "the passing fixture of {rule} has findings:\n{}",
        human::render(&pass.findings, false)
    );
    human::render(&fail.findings, false)
}
