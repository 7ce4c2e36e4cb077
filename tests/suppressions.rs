//! Suppression comments and baselines, as a team adopting symguard on an existing
//! repository uses them.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;

fn findings(args: &[&str]) -> (i32, Vec<(String, u64)>) {
    let out = Command::cargo_bin("symguard")
        .unwrap()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let found = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    (out.status.code().unwrap(), found)
}

fn pairs(expected: &[(&str, u64)]) -> Vec<(String, u64)> {
    expected.iter().map(|(r, l)| (r.to_string(), *l)).collect()
}

#[test]
fn suppressions_silence_with_a_reason_until_they_expire_and_are_reported_otherwise() {
    let (code, found) = findings(&["check", "fixtures/suppressions"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        pairs(&[
            // Without a reason: silences, but is reported.
            ("suppression-reason", 6),
            // Past its until= date: no longer silences.
            ("placeholder-value", 13),
            // Silences nothing.
            ("unused-suppression", 20),
        ])
    );
    // --no-ignore shows everything the comments silence, and nothing about them.
    let (_, all) = findings(&["check", "fixtures/suppressions", "--no-ignore"]);
    assert_eq!(
        all,
        pairs(&[
            ("placeholder-value", 3),
            ("placeholder-value", 8),
            ("placeholder-value", 13),
            ("placeholder-value", 17),
        ])
    );
}

#[test]
fn suppression_scopes_file_wide_closing_brace_crlf_and_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let flow = |id: &str, name: &str| {
        format!("resource \"sym_flow\" \"{id}\" {{\r\n  name = \"{name}\"\r\n}}")
    };
    let text = [
        "# symguard:ignore-file duplicate-name -- two flows share a name on purpose".to_string(),
        flow("a", "TODO")
            + " # symguard:ignore placeholder-value -- closing brace covers the block",
        flow("b", "TODO"),
        "// symguard:ignore no-such-rule -- typo".to_string(),
        flow("c", "ok"),
        String::new(),
    ]
    .join("\r\n");
    fs::write(dir.path().join("main.tf"), text).unwrap();
    let (_, found) = findings(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(
        found,
        pairs(&[("placeholder-value", 6), ("unused-suppression", 8),])
    );
}

#[test]
fn a_baseline_keeps_old_findings_out_when_lines_move_and_shows_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("main.tf");
    let old = "resource \"sym_flow\" \"a\" {\n  name = \"CHANGEME\"\n}\n\nresource \"sym_target\" \"t\" {\n  type     = \"aws_iam_group\"\n  name     = \"ops\"\n  settings = { iam_group = \"ops-admins\" }\n}\n";
    fs::write(&main, old).unwrap();
    let baseline = dir.path().join("baseline.json");
    let path = dir.path().to_str().unwrap();
    let (code, before) = findings(&["check", path]);
    assert_eq!(code, 1);
    assert!(before.len() >= 2, "{before:?}");
    let (code, written) = findings(&[
        "check",
        path,
        "--write-baseline",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!((code, written), (0, vec![]));

    // Blank lines above every finding, and one new defect.
    let edited = format!(
        "\n\n\n{}\n\nresource \"sym_flow\" \"b\" {{\n  name = \"TODO\"\n}}\n",
        old.replace("\n\n", "\n\n\n\n")
    );
    fs::write(&main, edited).unwrap();
    let (code, after) = findings(&["check", path, "--baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(after, pairs(&[("placeholder-value", 18)]));

    fs::write(&baseline, "{\"version\": 1, \"findings\": 3}").unwrap();
    let out = Command::cargo_bin("symguard")
        .unwrap()
        .args(["check", path, "--baseline", baseline.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a symguard baseline"));
}
