//! The command line as users meet it: exit codes, formats, paths, and bad input.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn symguard() -> Command {
    let mut cmd = Command::cargo_bin("symguard").unwrap();
    cmd.env_remove("NO_COLOR");
    cmd
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = symguard().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, stdout, stderr) = run(&all);
    let doc = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}{stderr}"));
    (code, doc)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn shipped_example_is_clean() {
    let (code, stdout, _) = run(&["check", "examples/aws-iam"]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(
        stdout,
        "symguard: 0 errors, 0 warnings, 0 notes in 2 files (14 resources)\n"
    );
}

#[test]
fn json_report_follows_the_schema() {
    let (code, doc) = json(&["check", "fixtures/connector-scope/fail"]);
    assert_eq!(code, 1);
    assert_eq!(doc["version"], 1);
    let first = &doc["findings"][0];
    assert_eq!(first["rule"], "connector-scope");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["file"], "fixtures/connector-scope/fail/main.tf");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(29), Some(17))
    );
    assert_eq!(
        (first["end_line"].as_u64(), first["end_column"].as_u64()),
        (Some(29), Some(39))
    );
    assert_eq!(first["resource"], "sym_target.ops");
    assert!(first["help"].as_str().unwrap().contains("group_config"));
    let related: Vec<(u64, &str)> = first["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        related,
        [
            (20, "the value comes from here"),
            (7, "the connector's scope is set here"),
            (19, "this group has no `path`, so it lives at `/`")
        ]
    );
    assert_eq!(
        doc["summary"],
        serde_json::json!({"files": 1, "resources": 6, "errors": 2, "warnings": 0, "notes": 0})
    );
}

#[test]
fn findings_are_sorted_by_file_line_column_rule() {
    let (_, doc) = json(&["check", "fixtures"]);
    let keys: Vec<(String, u64, u64, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(keys.len() > 30);
}

#[test]
fn paths_are_shown_as_reached_from_the_argument() {
    let (_, doc) = json(&["check", "./fixtures/target-name"]);
    assert_eq!(
        doc["findings"][0]["file"],
        "fixtures/target-name/fail/main.tf"
    );
    let (_, doc) = json(&["check", "fixtures/target-name/fail/main.tf"]);
    assert_eq!(
        doc["findings"][0]["file"],
        "fixtures/target-name/fail/main.tf"
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    // target-name is a note: it fails the run only with --fail-on note.
    let fixture = "fixtures/target-name/fail";
    assert_eq!(run(&["check", fixture]).0, 0);
    assert_eq!(run(&["check", fixture, "--fail-on", "warning"]).0, 0);
    assert_eq!(run(&["check", fixture, "--fail-on", "note"]).0, 1);
    assert_eq!(
        run(&[
            "check",
            "fixtures/connector-scope/fail",
            "--fail-on",
            "never"
        ])
        .0,
        0
    );
    assert_eq!(run(&["check", fixture, "--fail-on", "sometimes"]).0, 2);
}

#[test]
fn missing_path_is_an_error_not_a_finding() {
    let (code, stdout, stderr) = run(&["check", "no/such/dir"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert_eq!(stderr, "error: no/such/dir: no such file or directory\n");
}

#[test]
fn directory_without_terraform_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", b"# not terraform\n");
    let (code, _, stderr) = run(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no Terraform files (*.tf) found"),
        "{stderr}"
    );
}

#[test]
fn non_utf8_file_is_a_syntax_finding_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.tf", b"locals {\n  a = \"caf\xe9\"\n}\n");
    write(dir.path(), "flow.tf", b"resource \"sym_flow\" \"f\" {\n  name = \"f\"\n  params {\n    prompt_field {\n      name = \"x\"\n      type = \"text\"\n    }\n  }\n}\n");
    let (code, doc) = json(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    let rules: Vec<(&str, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(rules, [("hcl-syntax", 2), ("prompt-field-type", 6)]);
    assert!(doc["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not valid UTF-8"));
}

#[test]
fn empty_file_bom_and_crlf_are_ordinary_terraform() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "empty.tf", b"");
    write(
        dir.path(),
        "bom.tf",
        b"\xEF\xBB\xBFresource \"sym_flow\" \"a\" {\r\n  name = \"same\"\r\n}\r\n",
    );
    write(
        dir.path(),
        "crlf.tf",
        b"resource \"sym_flow\" \"b\" {\r\n  name = \"same\"\r\n}\r\n",
    );
    let (code, doc) = json(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    let finding = &doc["findings"][0];
    assert_eq!(finding["rule"], "duplicate-name");
    assert!(finding["file"].as_str().unwrap().ends_with("crlf.tf"));
    assert_eq!(
        (finding["line"].as_u64(), finding["column"].as_u64()),
        (Some(2), Some(10))
    );
    assert_eq!(finding["related"][0]["line"], 2);
    assert_eq!(doc["summary"]["files"], 3);
}

#[test]
fn config_errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", b"");
    write(
        dir.path(),
        "symguard.toml",
        b"[session]\naws_max_sesion = \"1h\"\n",
    );
    let (code, stdout, stderr) = run(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("symguard.toml:2:1: unknown field `aws_max_sesion`"),
        "{stderr}"
    );
}

#[test]
fn explicit_config_overrides_severity() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "strict.toml",
        b"[rules]\ntarget-name = \"error\"\n",
    );
    let config = dir.path().join("strict.toml");
    let (code, doc) = json(&[
        "check",
        "fixtures/target-name/fail",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(doc["findings"][0]["severity"], "error");
    write(dir.path(), "off.toml", b"[rules]\ntarget-name = \"off\"\n");
    let config = dir.path().join("off.toml");
    let (_, doc) = json(&[
        "check",
        "fixtures/target-name/fail",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(doc["findings"], serde_json::json!([]));
}

#[test]
fn human_output_has_no_color_when_piped_or_no_color() {
    let (_, stdout, _) = run(&["check", "fixtures/target-name/fail"]);
    assert!(!stdout.contains('\u{1b}'));
    assert!(stdout.contains("target-name"));
    let out = symguard()
        .args(["check", "fixtures/target-name/fail", "--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
}

#[test]
fn rules_and_explain_come_from_the_catalogue() {
    let (code, stdout, _) = run(&["rules"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), symguard::catalogue().len());
    assert!(stdout
        .lines()
        .any(|l| l.starts_with("connector-scope") && l.contains("error")));
    let (code, stdout, _) = run(&["explain", "session-length"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        fs::read_to_string("rules/session-length.md").unwrap()
    );
    let (code, _, stderr) = run(&["explain", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no rule named `no-such-rule`"));
}

#[test]
fn terraform_dirs_skip_hidden_and_gitignored() {
    let dir = tempfile::tempdir().unwrap();
    let defect = b"resource \"sym_flow\" \"f\" {\n  name = \"CHANGEME\"\n}\n";
    write(dir.path(), "main.tf", b"");
    write(dir.path(), ".terraform/modules/x/main.tf", defect);
    write(dir.path(), "vendor/main.tf", defect);
    write(dir.path(), ".gitignore", b"vendor/\n");
    let (code, doc) = json(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["summary"]["files"], 1);
}

#[test]
fn a_module_behind_count_zero_is_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        b"module \"off\" {\n  source = \"./off\"\n  count  = 0\n}\n",
    );
    write(
        dir.path(),
        "off/main.tf",
        b"resource \"sym_flow\" \"f\" {\n",
    );
    let (code, doc) = json(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["findings"][0]["rule"], "hcl-syntax");
    assert!(doc["findings"][0]["file"]
        .as_str()
        .unwrap()
        .ends_with("off/main.tf"));
}

#[test]
fn a_tfvars_file_outside_any_module_is_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "vars/prod.tfvars", b"region = \"us-east-1\"\n");
    write(
        dir.path(),
        "env/main.tf",
        b"resource \"sym_flow\" \"f\" {\n  name = \"CHANGEME\"\n}\n",
    );
    let tfvars = dir.path().join("vars/prod.tfvars");
    let tf = dir.path().join("env/main.tf");
    let out = symguard()
        .args(["check", tfvars.to_str().unwrap(), tf.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("prod.tfvars: no .tf file beside it, so it belongs to no module; skipped"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("placeholder-value"));

    let (code, _, stderr) = run(&["check", tfvars.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no Terraform"), "{stderr}");
}

/// `symguard rules | head -1`: a reader that goes away is no error. The pipe's read end is
/// closed before symguard starts, so every write it makes fails with a broken pipe.
#[test]
fn output_to_a_closed_pipe_is_no_panic() {
    for args in [
        &["rules"][..],
        &["explain", "hcl-syntax"],
        &["man"],
        &["completions", "bash"],
        &["check", "examples/aws-iam", "--format", "json"],
        &["model", "examples/aws-iam"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("symguard"))
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            (out.status.code(), stderr.as_ref()),
            (Some(0), ""),
            "{args:?}"
        );
    }
}

/// Terraform rejects `-var` without a name or without `=`; so does symguard, before it reads
/// anything.
#[test]
fn a_var_without_a_name_is_a_usage_error() {
    for var in ["=1", "group"] {
        let (code, stdout, stderr) = run(&["check", "examples/aws-iam", "--var", var]);
        assert_eq!((code, stdout.as_str()), (2, ""), "{var}: {stderr}");
        assert!(
            stderr.contains(&format!("`{var}` is not NAME=VALUE")),
            "{stderr}"
        );
    }
}
