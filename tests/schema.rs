//! The JSON report of `check` on every fixture and the example, against the published
//! schema (schemas/report.schema.json); tests/drift.rs and tests/remediate.rs do the same for
//! drift's and remediate's reports.

use crate::support;

use serde_json::Value;
use std::fs;

#[test]
fn every_check_report_validates_against_the_report_schema() {
    let mut dirs: Vec<String> = fs::read_dir("fixtures")
        .unwrap()
        .flat_map(|e| {
            let dir = e.unwrap().path();
            [dir.join("fail"), dir.join("pass")]
        })
        .filter(|p| p.is_dir())
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    dirs.sort();
    dirs.push("examples/aws-iam".to_string());
    let (mut findings, mut related, mut help) = (0, 0, 0);
    for dir in &dirs {
        let out = assert_cmd::Command::cargo_bin("symguard")
            .unwrap()
            .args(["check", dir, "--format", "json"])
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{dir}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        support::schema::assert_valid_report(&report, dir);
        for finding in report["findings"].as_array().unwrap() {
            findings += 1;
            related += usize::from(finding.get("related").is_some());
            help += usize::from(finding.get("help").is_some());
        }
    }
    // The optional parts of a finding occurred too, so the schema was tried on them.
    assert!(
        findings >= 30 && related > 0 && help > 0,
        "{findings} findings, {related} with related, {help} with help, in {} dirs",
        dirs.len()
    );
}

#[test]
fn the_schema_rejects_a_report_that_breaks_it() {
    let out = assert_cmd::Command::cargo_bin("symguard")
        .unwrap()
        .args(["check", "fixtures/deescalation/fail", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = fs::read_to_string("schemas/report.schema.json").unwrap();
    let validator = jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap();
    assert!(validator.is_valid(&report));
    let valid_after = |change: &dyn Fn(&mut Value)| {
        let mut copy = report.clone();
        change(&mut copy);
        validator.is_valid(&copy)
    };
    assert!(!valid_after(&|r| r["version"] = 2.into()));
    assert!(!valid_after(
        &|r| r["findings"][0]["severity"] = "fatal".into()
    ));
    assert!(!valid_after(&|r| r["findings"][0]["line"] = 0.into()));
    assert!(!valid_after(&|r| {
        r["findings"][0].as_object_mut().unwrap().remove("rule");
    }));
    assert!(!valid_after(&|r| r["summary"]["extra"] = 1.into()));
    // Drift's additions have their shape; the document and its findings stay open.
    assert!(valid_after(&|r| r["members"] = serde_json::json!([])));
    assert!(valid_after(
        &|r| r["findings"][0]["provenance"] =
            serde_json::json!({"class": "origin_unknown", "window_start": "2026-09-03T00:00:00Z"})
    ));
    let may_be_sym_grant = serde_json::json!({
        "class": "origin_unknown",
        "window_start": "2026-09-03T00:00:00Z",
        "longest_access": "120d",
        "may_be_sym_grant": true
    });
    assert!(valid_after(
        &|r| r["findings"][0]["provenance"] = may_be_sym_grant.clone()
    ));
    // Written only when true.
    assert!(!valid_after(&|r| {
        r["findings"][0]["provenance"] = may_be_sym_grant.clone();
        r["findings"][0]["provenance"]["may_be_sym_grant"] = false.into();
    }));
    assert!(!valid_after(
        &|r| r["findings"][0]["provenance"] = serde_json::json!({})
    ));
    assert!(!valid_after(
        &|r| r["findings"][0]["provenance"] = serde_json::json!({"class": "trusted"})
    ));
    assert!(valid_after(&|r| r["findings"][0]["later"] = 1.into()));
}
