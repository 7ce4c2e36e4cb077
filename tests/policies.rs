//! Custom Rego policies, the policy pack, `symguard model` and `symguard policy test`.

use assert_cmd::Command;
use serde_json::Value;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("symguard")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_policy_pack_passes_its_own_tests() {
    let (code, stdout, stderr) = run(&["policy", "test", "rules/policies"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.ends_with("PASS: 11/11 passed\n"), "{stdout}");
    // The shipped example meets the whole pack.
    let (code, stdout, _) = run(&["check", "examples/aws-iam", "--policy", "rules/policies"]);
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn a_failing_policy_test_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.rego"),
        "package p\n\ndeny contains \"x\" if input.bad\n\ntest_denies if {\n\tcount(deny) == 1 with input as {\"bad\": false}\n}\n",
    )
    .unwrap();
    let (code, stdout, _) = run(&["policy", "test", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stdout.contains("data.p.test_denies: FAIL"), "{stdout}");
    assert!(stdout.ends_with("FAIL: 0/1 passed\n"));
}

#[test]
fn a_denied_target_is_reported_at_its_line_in_every_format() {
    // fixtures/policy/symguard.toml loads policies/ and sets the reserved prefix.
    let (code, json, _) = run(&["check", "fixtures/policy", "--format", "json"]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&json).unwrap();
    let deny = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "policy:acme.targets.deny")
        .unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(deny["severity"], "error");
    assert_eq!(
        (
            deny["file"].as_str(),
            deny["line"].as_u64(),
            deny["column"].as_u64()
        ),
        (Some("fixtures/policy/main.tf"), Some(5), Some(28))
    );
    assert_eq!(deny["resource"], "sym_target.ops");
    let message = "sym_target.ops needs a security review before it may be requested";
    assert_eq!(deny["message"], message);
    let warn = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "policy:acme.targets.warn")
        .unwrap();
    assert_eq!(warn["message"], "2 targets in this root");
    assert_eq!(warn["severity"], "warning");

    let (_, human, _) = run(&["check", "fixtures/policy"]);
    assert!(
        human.contains("policy:acme.targets.deny\n\n  × sym_target.ops needs a security review"),
        "{human}"
    );
    assert!(human.contains("╭─[fixtures/policy/main.tf:5:28]"));
    let (_, github, _) = run(&["check", "fixtures/policy", "--format", "github"]);
    assert!(github.contains(&format!(
        "::error file=fixtures/policy/main.tf,line=5,col=28,endLine=5,endColumn=39,title=symguard(policy%3Aacme.targets.deny)::{message}"
    )), "{github}");
    let (_, sarif, _) = run(&["check", "fixtures/policy", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "policy:acme.targets.deny")
        .unwrap();
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    let (_, markdown, _) = run(&["check", "fixtures/policy", "--format", "markdown"]);
    assert!(
        markdown.contains(&format!("`fixtures/policy/main.tf:5:28` | {message} |")),
        "{markdown}"
    );
    let (_, junit, _) = run(&["check", "fixtures/policy", "--format", "junit"]);
    assert!(
        junit.contains(
            "<testcase name=\"policy:acme.targets.deny at fixtures/policy/main.tf:5:28\""
        ),
        "{junit}"
    );
}

#[test]
fn a_broken_policy_stops_the_run_naming_file_and_line() {
    let (code, stdout, stderr) = run(&[
        "check",
        "fixtures/policy",
        "--policy",
        "fixtures/policy/broken",
    ]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert_eq!(
        stderr,
        "error: fixtures/policy/broken/syntax.rego:4:21: invalid character in string\n"
    );
}

#[test]
fn a_policy_failing_at_runtime_is_a_finding_and_hides_nothing() {
    let (code, json, _) = run(&[
        "check",
        "fixtures/policy",
        "--policy",
        "fixtures/policy/runtime",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&json).unwrap();
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"policy-error"), "{rules:?}");
    assert!(rules.contains(&"placeholder-value"), "{rules:?}");
    assert!(rules.contains(&"policy:acme.targets.deny"), "{rules:?}");
    let error = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "policy-error")
        .unwrap();
    assert_eq!(error["file"], "fixtures/policy/runtime/conflict.rego");
    assert_eq!(error["line"], 5);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("rule conflicts with rule at fixtures/policy/runtime/conflict.rego:3:1"));
}

#[test]
fn the_model_document_follows_its_published_schema() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string("schemas/policy-input.schema.json").unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut roots = 0;
    for path in [
        "examples/aws-iam",
        "fixtures/modules-repo",
        "fixtures/drift/scenario",
        "fixtures",
    ] {
        let (code, stdout, stderr) = run(&["model", path]);
        assert_eq!(code, 0, "{path}: {stderr}");
        let documents: Value = serde_json::from_str(&stdout).unwrap();
        for document in documents.as_array().unwrap() {
            let errors: Vec<String> = validator
                .iter_errors(document)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{path}: {errors:#?}");
            roots += 1;
        }
    }
    assert!(roots > 40, "only {roots} roots");

    let (_, stdout, _) = run(&["model", "fixtures/drift/scenario"]);
    let document = &serde_json::from_str::<Value>(&stdout).unwrap()[0];
    assert_eq!(document["flows"][0]["max_duration_seconds"], 3600);
    assert_eq!(document["targets"][0]["iam_group"], "ops-admin");
    assert_eq!(document["targets"][0]["iam_group_path"], "/sym/");
    assert_eq!(
        document["iam_groups"][0]["attached_policies"][0],
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    );
    assert_eq!(
        document["connectors"][0]["group_config"],
        serde_json::json!([{"path": "/sym/", "name": "*"}])
    );
}
