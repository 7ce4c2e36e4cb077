//! The classification of members from their provenance, offline (`drift --state`), as
//! every format shows it: the JSON's `provenance` objects, `members` section and summary,
//! SARIF's result properties, and the messages of the human, markdown and GitHub formats.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;

const FIXTURE: &str = "fixtures/drift-unexpected-member/fail";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn drift(state: &str, format: &str) -> Run {
    let out = Command::cargo_bin("symguard")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(["drift", FIXTURE, "--state", state, "--format", format])
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn state() -> String {
    format!("{FIXTURE}/state.json")
}

/// The fixture's state changed by `edit`, in a temporary file.
fn edited_state(edit: impl FnOnce(&mut Value)) -> (tempfile::TempDir, String) {
    let mut state: Value = serde_json::from_str(&fs::read_to_string(state()).unwrap()).unwrap();
    edit(&mut state);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    fs::write(&path, state.to_string()).unwrap();
    (dir, path.to_str().unwrap().to_string())
}

fn account(state: &mut Value) -> &mut Value {
    &mut state["accounts"]["123456789012"]
}

#[test]
fn json_names_each_members_class_and_evidence() {
    let run = drift(&state(), "json");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let findings: Vec<(String, String, String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["provenance"];
            let text = |v: &Value| v.as_str().unwrap_or("-").to_string();
            (
                text(&p["class"]),
                text(&p["event"]["user"]),
                text(&p["event"]["actor"]["name"]),
                text(&p["channel"]),
            )
        })
        .collect();
    let row = |class: &str, user: &str, actor: &str, channel: &str| {
        (class.into(), user.into(), actor.into(), channel.into())
    };
    assert_eq!(
        findings,
        [
            row("added_outside_sym", "dave", "kim@example.com", "cli"),
            row("origin_unknown", "-", "-", "-"),
            row("added_outside_sym", "mallory", "admin-jane", "console"),
            row(
                "added_outside_sym",
                "tf-deployer",
                "gha-run-4242",
                "terraform"
            ),
        ]
    );
    let unknown = &doc["findings"][1]["provenance"];
    assert_eq!(unknown["window_start"], "2026-08-26T12:00:00Z");
    assert_eq!(
        doc["findings"][2]["provenance"]["event"]["id"],
        "b2c3d4e5-0002-4000-8000-000000000002"
    );

    // The expected members, with what allows them.
    let members: Vec<(String, String)> = doc["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user"].as_str().unwrap().to_string(),
                m["provenance"]["class"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        members,
        [
            ("alice".to_string(), "active_sym_grant".to_string()),
            ("breakglass-admin".to_string(), "allowed".to_string()),
        ]
    );
    assert_eq!(
        doc["members"][0]["provenance"]["expected_end"],
        "2026-11-24T12:40:00Z"
    );
    assert_eq!(
        doc["members"][1]["provenance"]["allowed_by"],
        serde_json::json!({"kind": "allow", "user": "breakglass-*", "reason": "break-glass account, reviewed quarterly"})
    );
    assert_eq!(
        doc["summary"]["provenance"],
        serde_json::json!([{"account": "123456789012", "read": true, "source": "lookup", "since": "2026-08-26T12:00:00Z", "events": 6}])
    );
}

#[test]
fn sarif_carries_the_provenance_in_result_properties_and_stays_valid() {
    let run = drift(&state(), "sarif");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    let classes: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["properties"]["provenance"]["class"].as_str().unwrap())
        .collect();
    assert_eq!(
        classes,
        [
            "added_outside_sym",
            "origin_unknown",
            "added_outside_sym",
            "added_outside_sym"
        ]
    );
    // The OASIS schema, with the stray `]` of its `language` patterns escaped as in
    // tests/formats.rs.
    let text = fs::read_to_string("tests/sarif-schema-2.1.0.json")
        .unwrap()
        .replace(
            r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
            r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#,
        );
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn human_markdown_and_github_say_who_added_whom_how_and_when() {
    let mallory = "by `arn:aws:iam::123456789012:user/admin-jane` (IAM user `admin-jane`) from the AWS console at 2026-11-20T16:42:07Z (CloudTrail event b2c3d4e5-0002-4000-8000-000000000002)";
    let terraform = "`gha-run-4242` of the role `arn:aws:iam::123456789012:role/terraform-ci`) with Terraform at 2026-10-02T09:15:00Z";
    let eve = "they were added before 2026-08-26T12:00:00Z, the oldest event read";
    let squeeze = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '│')
            .collect::<String>()
    };
    for format in ["human", "markdown", "github"] {
        let run = drift(&state(), format);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        // The human report wraps messages; compare without the layout.
        let text = squeeze(&run.stdout);
        for expected in [mallory, terraform, eve] {
            assert!(
                text.contains(&squeeze(expected)),
                "{format}: no `{expected}` in\n{}",
                run.stdout
            );
        }
    }
    let human = drift(&state(), "human").stdout;
    assert!(
        human.ends_with(
            "provenance read (account 123456789012: lookup since 2026-08-26T12:00:00Z, 6 events)\n"
        ),
        "{human}"
    );
}

#[test]
fn without_provenance_members_are_judged_as_before_and_the_summary_says_so() {
    let (_dir, state) = edited_state(|s| {
        account(s).as_object_mut().unwrap().remove("membership");
    });
    let run = drift(&state, "json");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    // alice's Sym grant cannot be told without provenance: she is reported too.
    assert_eq!(findings.len(), 5);
    for finding in findings {
        assert!(finding.get("provenance").is_none(), "{finding}");
        assert!(finding["message"]
            .as_str()
            .unwrap()
            .ends_with("without an active Sym grant or an [[allow]] entry"));
    }
    assert_eq!(
        doc["summary"]["provenance"],
        serde_json::json!([{"account": "123456789012", "read": false}])
    );
    assert_eq!(doc["members"][0]["user"], "breakglass-admin");
    assert_eq!(doc["members"].as_array().unwrap().len(), 1);

    let human = drift(&state, "human").stdout;
    assert!(
        human
            .ends_with("provenance not read: members were judged by [[allow]] and --grants only\n"),
        "{human}"
    );
}

#[test]
fn a_membership_time_that_is_not_a_time_stops_the_run_with_no_findings() {
    let (_dir, state) = edited_state(|s| {
        account(s)["membership"]["events"][0]["time"] = "yesterday".into();
    });
    let run = drift(&state, "json");
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!("error: {state}: account 123456789012: membership event `b2c3d4e5-0001-4000-8000-000000000001` time: `yesterday` is not a time like 2026-11-24T18:00:00Z\n")
    );
}
