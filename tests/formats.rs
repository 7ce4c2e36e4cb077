//! The CI formats (`sarif`, `github`, `markdown`, `junit`), `--output` and
//! `--changed-since`, as the tools that read them see them.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::Path;

fn symguard() -> Command {
    let mut cmd = Command::cargo_bin("symguard").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn stdout(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// Every rule's failing fixture, where every kind of finding occurs.
fn failing_fixtures() -> Vec<String> {
    let mut dirs: Vec<String> = fs::read_dir("fixtures")
        .unwrap()
        .map(|e| e.unwrap().path().join("fail"))
        .filter(|p| p.is_dir())
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    // The OASIS schema, as vendored by serde-sarif.
    let text = fs::read_to_string("tests/sarif-schema-2.1.0.json").unwrap();
    // The schema's `language` patterns have a stray `]` that the validator's meta-check
    // rejects as a regex; symguard writes no `language`, so the `]` is escaped here and
    // every other keyword applies as published.
    let stray = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(text.matches(stray).count(), 2);
    let text = text.replace(stray, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut results = 0;
    for dir in failing_fixtures() {
        let (code, text) = stdout(symguard().args(["check", &dir, "--format", "sarif"]));
        assert!(code == 0 || code == 1, "{dir}: exit {code}");
        let log: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{dir}: {errors:#?}");
        results += log["runs"][0]["results"].as_array().unwrap().len();
    }
    assert!(results >= 20, "only {results} results over the fixtures");

    let (_, text) = stdout(symguard().args([
        "check",
        "fixtures/connector-scope/fail",
        "--format",
        "sarif",
    ]));
    let log: Value = serde_json::from_str(&text).unwrap();
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "symguard");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), symguard::catalogue().len());
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "connector-scope");
    assert_eq!(result["level"], "error");
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "connector-scope");
    assert!(rules[index]["helpUri"]
        .as_str()
        .unwrap()
        .ends_with("/rules/connector-scope.md"));
    assert_eq!(rules[index]["defaultConfiguration"]["level"], "error");
    let physical = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        "fixtures/connector-scope/fail/main.tf"
    );
    assert_eq!(physical["region"]["startLine"], 29);
    assert_eq!(physical["region"]["startColumn"], 17);
    assert_eq!(run["columnKind"], "unicodeCodePoints");
}

#[test]
fn github_annotations_escape_as_github_documents() {
    let dir = tempfile::tempdir().unwrap();
    // A name with `%`, `:`, `,` and CR ends up in the message; the directory's name in the
    // `file` property; the help joins the message on a new line.
    let team = dir.path().join("ops:100%,b");
    fs::create_dir_all(&team).unwrap();
    let flow = |id: &str| {
        format!("resource \"sym_flow\" \"{id}\" {{\n  name = \"ops: 100%, now\\r\"\n}}\n")
    };
    fs::write(team.join("main.tf"), flow("a") + &flow("b")).unwrap();
    let (code, text) = stdout(
        symguard()
            .current_dir(dir.path())
            .args(["check", ".", "--format", "github"]),
    );
    assert_eq!(code, 1);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert_eq!(
        text,
        "::error file=ops%3A100%25%2Cb/main.tf,line=5,col=10,endLine=5,endColumn=28,title=symguard(duplicate-name)::`sym_flow.b` has the name `ops: 100%25, now%0D`, already used by `sym_flow.a`%0Ahelp: give each Sym resource of a type its own name; Sym identifies them by name\n"
    );
}

#[test]
fn markdown_is_a_summary_table() {
    let (code, text) = stdout(symguard().args([
        "check",
        "fixtures/connector-scope/fail",
        "--format",
        "markdown",
    ]));
    assert_eq!(code, 1);
    assert!(
        text.starts_with("### symguard: 2 errors, 0 warnings, 0 notes\n"),
        "{text}"
    );
    assert!(text.contains("| severity | rule | location | message |\n|---|---|---|---|\n"));
    assert!(text.contains(
        "| error | [connector-scope](https://github.com/symopsio/symguard/blob/main/rules/connector-scope.md) | `fixtures/connector-scope/fail/main.tf:29:17` | the IAM group"
    ), "{text}");
    let (_, clean) = stdout(symguard().args(["check", "examples/aws-iam", "--format", "markdown"]));
    assert!(clean.ends_with("No findings.\n"), "{clean}");
}

#[test]
fn junit_has_a_failure_per_finding_and_a_pass_per_quiet_rule() {
    let (code, text) = stdout(symguard().args([
        "check",
        "fixtures/connector-scope/fail",
        "--format",
        "junit",
    ]));
    assert_eq!(code, 1);
    let check_rules = symguard::rules::CATALOGUE.len();
    assert!(
        text.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"symguard\""
        ),
        "{text}"
    );
    // Two failures of connector-scope, and a pass for each other rule.
    assert!(
        text.contains(&format!("tests=\"{}\"", check_rules + 1)),
        "{text}"
    );
    assert!(text.contains("failures=\"2\""), "{text}");
    assert!(text.contains(
        "<testcase name=\"connector-scope at fixtures/connector-scope/fail/main.tf:29:17\" classname=\"connector-scope\">"
    ), "{text}");
    assert!(text.contains("<testcase name=\"hcl-syntax\" classname=\"hcl-syntax\"/>"));
    assert!(!text.contains("drift-"));
}

#[test]
fn output_writes_the_report_and_prints_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.sarif");
    let (code, text) = stdout(symguard().args([
        "check",
        "fixtures/connector-scope/fail",
        "--format",
        "sarif",
        "--output",
        path.to_str().unwrap(),
    ]));
    assert_eq!(code, 1);
    assert_eq!(
        text,
        "symguard: 2 errors, 0 warnings, 0 notes in 1 file (6 resources)\n"
    );
    let log: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 2);
}

fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(status.status.success(), "git {args:?}: {status:?}");
}

#[test]
fn changed_since_reports_only_what_the_second_commit_touched() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let defect =
        |name: &str| format!("resource \"sym_flow\" \"{name}\" {{\n  name = \"CHANGEME\"\n}}\n");
    fs::create_dir_all(repo.join("team-a")).unwrap();
    fs::create_dir_all(repo.join("team-b")).unwrap();
    fs::write(repo.join("team-a/main.tf"), defect("a")).unwrap();
    fs::write(repo.join("team-b/main.tf"), "").unwrap();
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "first"]);
    fs::write(repo.join("team-b/main.tf"), defect("b")).unwrap();
    git(repo, &["commit", "-q", "-am", "second"]);

    let findings = |args: &[&str]| -> Vec<String> {
        let (_, text) = stdout(
            symguard()
                .current_dir(repo)
                .args(["check", ".", "--format", "json"])
                .args(args),
        );
        let doc: Value = serde_json::from_str(&text).unwrap();
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["file"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(findings(&[]), ["team-a/main.tf", "team-b/main.tf"]);
    assert_eq!(findings(&["--changed-since", "HEAD~1"]), ["team-b/main.tf"]);
    assert!(findings(&["--changed-since", "HEAD"]).is_empty());

    let out = symguard()
        .current_dir(repo)
        .args(["check", ".", "--changed-since", "no-such-rev"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .starts_with("error: --changed-since: `git diff --name-only -z no-such-rev --` failed"));
}
