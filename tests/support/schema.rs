//! schemas/report.schema.json, the published schema of the JSON report, applied to what
//! the commands print.

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Panics with every violation when `report` (the JSON of `what`) breaks the schema.
pub fn assert_valid_report(report: &Value, what: &str) {
    let text = std::fs::read_to_string(format!("{ROOT}/schemas/report.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\n{report:#}");
}
