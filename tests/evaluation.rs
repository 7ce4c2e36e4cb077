//! Terraform evaluation as users see it through findings: local modules, for_each/count,
//! variable precedence.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn check_json(args: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    let mut cmd = Command::cargo_bin("symguard").unwrap();
    cmd.args(["check", "--format", "json", "--fail-on", "never"])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A finding as (rule, file, line, related (file, line) pairs).
type Located = (String, String, u64, Vec<(String, u64)>);

fn summary(doc: &serde_json::Value) -> Vec<Located> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let related = f["related"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .map(|r| {
                            (
                                r["file"].as_str().unwrap().to_string(),
                                r["line"].as_u64().unwrap(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            (
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                related,
            )
        })
        .collect()
}

#[test]
fn module_repo_reports_each_real_defect_once_wherever_it_is_run_from() {
    let module = "fixtures/modules-repo/modules/aws-iam-flow/main.tf".to_string();
    let tfvars = "fixtures/modules-repo/environments/prod/terraform.tfvars".to_string();
    let expected = vec![
        (
            "target-iam-group".to_string(),
            module.clone(),
            14,
            vec![(tfvars.clone(), 3)],
        ),
        ("duration-value".to_string(), module, 52, vec![(tfvars, 6)]),
    ];
    for args in [
        vec!["fixtures/modules-repo"],
        vec!["fixtures/modules-repo/environments/prod"],
        vec![
            "fixtures/modules-repo/environments/prod",
            "fixtures/modules-repo/modules/aws-iam-flow",
        ],
    ] {
        let doc = check_json(&args, &[]);
        assert_eq!(summary(&doc), expected, "check {args:?}");
        assert_eq!(
            doc["findings"][0]["resource"],
            "module.iam_flow.sym_target.this[\"billing\"]"
        );
    }
}

#[test]
fn each_root_keeps_its_findings_in_a_shared_module() {
    // prod and sandbox give the module the same defects from their own terraform.tfvars:
    // checking the repository must name the sandbox's values as checking the sandbox does.
    let sandbox = "fixtures/several-roots/environments/sandbox/";
    let names_sandbox =
        |f: &Located| f.1.starts_with(sandbox) || f.3.iter().any(|r| r.0.starts_with(sandbox));
    let alone = summary(&check_json(
        &["fixtures/several-roots/environments/sandbox"],
        &[],
    ));
    let whole: Vec<Located> = summary(&check_json(&["fixtures/several-roots"], &[]))
        .into_iter()
        .filter(names_sandbox)
        .collect();
    assert_eq!(alone.len(), 2, "{alone:?}");
    assert!(alone.iter().all(names_sandbox), "{alone:?}");
    assert_eq!(whole, alone);
}

#[test]
fn a_module_line_seen_through_two_instances_is_one_finding_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "main.tf",
        "module \"a\" {\n  source = \"./flow\"\n}\n\nmodule \"b\" {\n  source = \"./flow\"\n}\n",
    );
    write(
        d,
        "flow/main.tf",
        "resource \"sym_flow\" \"this\" {\n  name           = \"access\"\n  label          = \"Access\"\n  implementation = file(\"${path.module}/impl.py\")\n}\n",
    );
    write(
        d,
        "flow/impl.py",
        "@reducer\ndef get_approvers(event):\n    return slack.channel(\"#access\", allow_self=True)\n",
    );
    let doc = check_json(&[d.to_str().unwrap()], &[]);
    let messages: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "self-approval")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        vec![
            "the implementation of `module.a.sym_flow.this` and `module.b.sym_flow.this` \
             lets requesters approve their own access (`allow_self=True`)"
        ]
    );
}

#[test]
fn uncalled_module_is_checked_standalone_with_unknown_inputs() {
    // Without a caller, `var.targets` is unknown: nothing can be said, so nothing is.
    let doc = check_json(&["fixtures/modules-repo/modules/aws-iam-flow"], &[]);
    assert_eq!(summary(&doc), vec![]);
}

fn write(dir: &Path, name: &str, text: &str) {
    fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
    fs::write(dir.join(name), text).unwrap();
}

/// The IAM group a target ends up with, read from the `target-name` note.
fn resolved_group(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut all = vec![dir.to_str().unwrap()];
    all.extend(args);
    let doc = check_json(&all, env);
    let finding = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "target-name")
        .unwrap_or_else(|| panic!("no target-name finding: {doc}"));
    let message = finding["message"].as_str().unwrap();
    message.rsplit('`').nth(1).unwrap().to_string()
}

/// The findings, as (rule, line), of a target whose `settings` are written as given:
/// lines 1 to 4 declare it, `settings` starts on line 5.
fn target_with_settings(settings: &str) -> Vec<(String, u64)> {
    let dir = tempfile::tempdir().unwrap();
    let target = "resource \"sym_target\" \"t\" {\n  type  = \"aws_iam_group\"\n  name  = \"t\"\n  label = \"T\"\n";
    write(
        dir.path(),
        "main.tf",
        &format!("{target}  settings = {settings}\n}}\n"),
    );
    let doc = check_json(&[dir.path().to_str().unwrap()], &[]);
    summary(&doc)
        .into_iter()
        .map(|(rule, _, line, _)| (rule, line))
        .collect()
}

/// Terraform takes the last of an object's repeated keys, however each is written; the file
/// is checked, not refused as a syntax error, and the finding points at the value that
/// counts (the last; with `"iam_group"` winning, there would be no placeholder).
#[test]
fn a_repeated_object_key_takes_its_last_value() {
    let findings = target_with_settings(
        "{\n    iam_group = \"admins\"\n    \"iam_group\" = \"ops\"\n    iam_group = \"CHANGEME\"\n  }",
    );
    assert!(
        findings.contains(&("placeholder-value".into(), 8)),
        "{findings:?}"
    );
    assert!(
        !findings.iter().any(|(rule, _)| rule == "hcl-syntax"),
        "{findings:?}"
    );
}

/// A `{ for ... }` expression may break its lines where Terraform allows (`c ? a :` ending
/// a line): the file is checked, not refused as a syntax error.
#[test]
fn a_for_object_broken_over_lines_is_evaluated() {
    let findings = target_with_settings(
        "{ for k in [\"iam_group\"] : k => k == \"iam_group\" ?\n    \"CHANGEME\" :\n    \"ops\"\n  }",
    );
    assert!(
        findings.contains(&("placeholder-value".into(), 6)),
        "{findings:?}"
    );
    assert!(
        !findings.iter().any(|(rule, _)| rule == "hcl-syntax"),
        "{findings:?}"
    );
}

/// A group name built with `format`'s widths, or with `upper`, is the name Terraform would
/// give it: each `count` instance's group is known, so its target is judged.
#[test]
fn group_names_from_format_and_upper_resolve_as_terraform_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (expression, group) in [
        (r#"format("ops-%02d", 7)"#, "ops-07"),
        (r#"format("%-4s|%5.1f", "db", 2.25)"#, "db  |  2.2"),
        (r#"upper("straße")"#, "STRAßE"),
    ] {
        write(
            d,
            "main.tf",
            &format!(
                "resource \"sym_target\" \"t\" {{\n  type     = \"aws_iam_group\"\n  name     = \"t\"\n  settings = {{ iam_group = {expression} }}\n}}\n"
            ),
        );
        assert_eq!(resolved_group(d, &[], &[]), group, "{expression}");
    }
}

#[test]
fn variables_follow_terraform_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "main.tf",
        r#"
variable "group" {
  default = "from-default"
}

resource "sym_target" "t" {
  type     = "aws_iam_group"
  name     = "t"
  settings = { iam_group = var.group }
}
"#,
    );
    assert_eq!(resolved_group(d, &[], &[]), "from-default");
    assert_eq!(
        resolved_group(d, &[], &[("TF_VAR_group", "from-env")]),
        "from-env"
    );
    write(d, "terraform.tfvars", "group = \"from-tfvars\"\n");
    assert_eq!(
        resolved_group(d, &[], &[("TF_VAR_group", "from-env")]),
        "from-tfvars"
    );
    write(d, "b.auto.tfvars", "group = \"from-auto-b\"\n");
    write(d, "a.auto.tfvars", "group = \"from-auto-a\"\n");
    assert_eq!(resolved_group(d, &[], &[]), "from-auto-b");
    write(d, "extra/prod.tfvars", "group = \"from-var-file\"\n");
    let file = d.join("extra/prod.tfvars");
    let file = file.to_str().unwrap();
    assert_eq!(
        resolved_group(d, &["--var-file", file], &[]),
        "from-var-file"
    );
    assert_eq!(
        resolved_group(d, &["--var", "group=from-cli", "--var-file", file], &[]),
        "from-var-file"
    );
    assert_eq!(
        resolved_group(d, &["--var-file", file, "--var", "group=from-cli"], &[]),
        "from-cli"
    );
}

#[test]
fn variable_files_in_json_syntax_take_their_place_in_the_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "main.tf",
        r#"
variable "group" {}

resource "sym_target" "t" {
  type     = "aws_iam_group"
  name     = "t"
  settings = { iam_group = var.group }
}
"#,
    );
    write(d, "terraform.tfvars", "group = \"from-tfvars\"\n");
    write(
        d,
        "terraform.tfvars.json",
        r#"{"group": "from-tfvars-json"}"#,
    );
    assert_eq!(resolved_group(d, &[], &[]), "from-tfvars-json");
    write(d, "a.auto.tfvars", "group = \"from-auto-a\"\n");
    assert_eq!(resolved_group(d, &[], &[]), "from-auto-a");
    write(d, "b.auto.tfvars.json", r#"{"group": "from-auto-b-json"}"#);
    assert_eq!(resolved_group(d, &[], &[]), "from-auto-b-json");
    write(d, "c.auto.tfvars", "group = \"from-auto-c\"\n");
    assert_eq!(resolved_group(d, &[], &[]), "from-auto-c");
    // Strings are literal, as Terraform reads a variable file: `${` is text, escapes are JSON's.
    write(
        d,
        "extra/prod.json",
        r#"{"//": "a comment", "group": "${x} \u00e9\/"}"#,
    );
    let file = d.join("extra/prod.json");
    assert_eq!(
        resolved_group(d, &["--var-file", file.to_str().unwrap()], &[]),
        "${x} é/"
    );
}

#[test]
fn a_value_from_a_json_variable_file_is_reported_where_it_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "main.tf",
        r#"
variable "groups" {
  type = map(string)
}

resource "sym_target" "t" {
  type     = "aws_iam_group"
  name     = "t"
  label    = "T"
  settings = { iam_group = var.groups["ops"] }
}
"#,
    );
    write(
        d,
        "terraform.tfvars.json",
        "{\n  \"groups\": {\n    \"dev\": \"dev\",\n    \"ops\": \"CHANGEME\"\n  }\n}\n",
    );
    let doc = check_json(&[d.to_str().unwrap()], &[]);
    let placeholder = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "placeholder-value")
        .unwrap_or_else(|| panic!("no placeholder-value finding: {doc}"));
    assert!(placeholder["file"]
        .as_str()
        .unwrap()
        .ends_with("terraform.tfvars.json"));
    assert_eq!(
        (&placeholder["line"], &placeholder["column"]),
        (&4.into(), &12.into())
    );
    assert!(
        !doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "json-syntax"),
        "{doc}"
    );
}

#[test]
fn a_json_variable_file_that_terraform_rejects_is_a_syntax_error_at_its_place() {
    let findings = |text: &str| {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "main.tf", "variable \"group\" {}\n");
        write(dir.path(), "terraform.tfvars.json", text);
        let doc = check_json(&[dir.path().to_str().unwrap()], &[]);
        summary(&doc)
            .into_iter()
            .map(|(rule, _, line, _)| (rule, line))
            .collect::<Vec<_>>()
    };
    let syntax = |line| vec![("hcl-syntax".to_string(), line)];
    assert_eq!(findings("{\n  \"group\": \"a\",\n}\n"), syntax(3));
    assert_eq!(
        findings("{\"group\": \"a\",\n \"group\": \"b\"}"),
        syntax(2)
    );
    assert_eq!(findings("{\"group\": {\"k\": 1,\n \"k\": 2}}"), syntax(2));
    assert_eq!(findings("[\"group\"]"), syntax(1));
    assert_eq!(findings("{\"group\": \"a\"}"), vec![]);
}

#[test]
fn collection_variables_from_the_command_line_are_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "main.tf",
        r#"
variable "groups" {
  type = list(string)
}

resource "sym_target" "t" {
  type     = "aws_iam_group"
  name     = "t"
  settings = { iam_group = var.groups[1] }
}
"#,
    );
    assert_eq!(
        resolved_group(d, &["--var", r#"groups=["a", "b"]"#], &[]),
        "b"
    );
    assert_eq!(
        resolved_group(d, &[], &[("TF_VAR_groups", r#"["x", "y"]"#)]),
        "y"
    );
}

#[test]
fn module_outputs_flow_back_to_the_caller() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "root/main.tf",
        r#"
module "groups" {
  source = "../groups"
  team   = "ops"
}

resource "sym_target" "t" {
  type     = "aws_iam_group"
  name     = "t"
  settings = { iam_group = module.groups.admin_group }
}
"#,
    );
    write(
        d,
        "groups/main.tf",
        r#"
variable "team" {}

resource "aws_iam_group" "admin" {
  name = "${var.team}-admins"
  path = "/sym/"
}

output "admin_group" {
  value = aws_iam_group.admin.name
}
"#,
    );
    assert_eq!(resolved_group(&d.join("root"), &[], &[]), "ops-admins");
}

#[test]
fn a_var_file_that_does_not_parse_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", "");
    write(dir.path(), "bad.tfvars", "group = \n");
    let out = Command::cargo_bin("symguard")
        .unwrap()
        .args(["check", dir.path().to_str().unwrap(), "--var-file"])
        .arg(dir.path().join("bad.tfvars"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.tfvars:1:"));
}

#[test]
fn a_plan_yields_the_findings_of_the_configuration_it_describes() {
    let rules_and_resources = |doc: &serde_json::Value| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["resource"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let from_plan = check_json(&["--plan", "fixtures/plan/modules-repo.json"], &[]);
    let from_config = check_json(&["fixtures/modules-repo"], &[]);
    assert_eq!(
        rules_and_resources(&from_plan),
        rules_and_resources(&from_config)
    );
    assert_eq!(rules_and_resources(&from_plan).len(), 2);
    // Located at the resource's entry in the plan file.
    let finding = &from_plan["findings"][1];
    assert_eq!(finding["file"], "fixtures/plan/modules-repo.json");
    assert_eq!(finding["line"], 148);
}

#[test]
fn a_file_that_is_not_a_plan_is_refused() {
    let out = Command::cargo_bin("symguard")
        .unwrap()
        .args([
            "check",
            "--plan",
            "fixtures/modules-repo/environments/prod/main.tf",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not plan JSON"));
}

const TYPED_VARIABLES: &str = r#"
variable "enabled" {
  type = bool
}

variable "copies" {
  type    = number
  default = 1
}

resource "sym_target" "t" {
  count    = var.enabled == true && var.copies == 2 ? 1 : 0
  type     = "aws_iam_group"
  name     = "t"
  settings = { iam_group = "t" }
}
"#;

/// Whether `sym_target.t` has an instance: it is then reported as listed by no strategy.
fn target_exists(d: &Path, args: &[&str], env: &[(&str, &str)]) -> bool {
    let dir = d.to_str().unwrap();
    let doc = check_json(&[&[dir], args].concat(), env);
    summary(&doc)
        .iter()
        .any(|(rule, ..)| rule == "orphan-target")
}

#[test]
fn text_variables_take_their_declared_primitive_type() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "main.tf", TYPED_VARIABLES);
    assert!(target_exists(
        d,
        &["--var", "enabled=true", "--var", "copies=2"],
        &[]
    ));
    assert!(target_exists(
        d,
        &[],
        &[("TF_VAR_enabled", "1"), ("TF_VAR_copies", "2.0")]
    ));
    assert!(!target_exists(
        d,
        &["--var", "enabled=false", "--var", "copies=2"],
        &[]
    ));
}

#[test]
fn a_text_variable_that_does_not_convert_stops_the_check_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "main.tf", TYPED_VARIABLES);
    for (args, env, shown) in [
        (
            vec!["--var", "enabled=yes"],
            vec![],
            "--var enabled=yes: invalid value for input variable `enabled` declared at ",
        ),
        (
            vec!["--var", "enabled=true"],
            vec![("TF_VAR_copies", "two")],
            "TF_VAR_copies=two: invalid value for input variable `copies` declared at ",
        ),
    ] {
        let mut cmd = Command::cargo_bin("symguard").unwrap();
        cmd.arg("check").arg(d).args(&args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(shown), "{stderr}");
        let required = if shown.contains("enabled") {
            "a bool is required"
        } else {
            "a number is required"
        };
        assert!(stderr.contains(required), "{stderr}");
    }
}

/// The rules and (file relative to `dir`, line) of the findings of a check of `dir`.
fn findings_of(dir: &Path) -> Vec<(String, String, u64)> {
    let root = dir.to_str().unwrap();
    summary(&check_json(&[root], &[]))
        .into_iter()
        .map(|(rule, file, line, _)| {
            let file = file.trim_start_matches(root).trim_start_matches('/');
            (rule, file.to_string(), line)
        })
        .collect()
}

#[test]
fn provider_1_flows_are_read_like_provider_2_flows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["base.tf", "main.tf", "impl.py"] {
        let from = format!("fixtures/self-approval/pass/{name}");
        write(d, name, &fs::read_to_string(from).unwrap());
    }
    write(
        d,
        "v1.tf",
        include_str!("../fixtures/deescalation/pass/v1.tf"),
    );
    write(
        d,
        "v1_forever.tf",
        r#"
module "v1_flow" {
  source = "./modules/v1_flow"
}

resource "sym_flow" "v1_forever" {
  name           = "v1_forever"
  label          = "V1 forever access"
  implementation = "modules/v1_flow/impl.py"

  params = {
    strategy_id           = sym_strategy.iam.id
    allow_revoke          = "false"
    schedule_deescalation = "F"
  }
}
"#,
    );
    write(
        d,
        "modules/v1_flow/main.tf",
        r#"
resource "sym_flow" "this" {
  name           = "v1_module"
  label          = "V1 module access"
  implementation = "${path.module}/impl.py"

  params = {
    prompt_fields_json = jsonencode([{ name = "reason", type = "string", required = true }])
  }
}
"#,
    );
    write(
        d,
        "modules/v1_flow/impl.py",
        "@reducer\ndef get_approvers(event):\n    return slack.channel(\"#ops\", allow_self=True)\n",
    );
    let found = findings_of(d);
    // The map's strings are the provider's booleans; the path is read from the root, and
    // `path.module` names the module's directory, once per flow that reads it.
    let count = |rule: &str, file: &str, line: u64| {
        found
            .iter()
            .filter(|(r, f, l)| r == rule && f == file && *l == line)
            .count()
    };
    assert_eq!(
        count("self-approval", "modules/v1_flow/impl.py", 3),
        2,
        "{found:?}"
    );
    assert_eq!(count("deescalation", "v1_forever.tf", 14), 1, "{found:?}");
    assert_eq!(found.len(), 3, "{found:?}");
}

/// Terraform 1.15 evaluates a computed module source at `init`, from const variables:
/// symguard follows it with the same inputs, and says so when it cannot resolve it.
#[test]
fn computed_module_sources_are_followed_with_the_run_inputs() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "root/main.tf",
        r#"
variable "flavor" {
  type    = string
  const   = true
  default = "a"
}
module "flow" {
  source = "../modules/${var.flavor}"
}
"#,
    );
    for flavor in ["a", "b"] {
        let target = format!(
            "resource \"sym_target\" \"t\" {{\n  type  = \"aws_iam_group\"\n  name  = \"{flavor}-CHANGEME\"\n  label = \"T\"\n  settings = {{ iam_group = \"ops\" }}\n}}\n"
        );
        write(dir.path(), &format!("modules/{flavor}/main.tf"), &target);
    }
    let root = dir.path().join("root");
    let prefix = format!("{}/", dir.path().display());
    // The targets are in no strategy: `orphan-target` is beside the point here.
    let placeholders = |args: &[&str]| -> Vec<String> {
        let mut all = vec![root.to_str().unwrap()];
        all.extend(args);
        summary(&check_json(&all, &[]))
            .into_iter()
            .filter(|(rule, ..)| rule != "orphan-target")
            .map(|(rule, file, _, _)| format!("{rule} {}", file.strip_prefix(&prefix).unwrap()))
            .collect()
    };
    assert_eq!(
        placeholders(&[]),
        vec!["placeholder-value modules/a/main.tf"]
    );
    // `model` (as `drift`, `remediate` and `snapshot`) follows it too.
    let model = Command::cargo_bin("symguard")
        .unwrap()
        .args(["model", root.to_str().unwrap()])
        .output()
        .unwrap();
    let model = String::from_utf8_lossy(&model.stdout);
    assert!(model.contains("a-CHANGEME"), "{model}");
    assert_eq!(
        placeholders(&["--var", "flavor=b"]),
        vec!["placeholder-value modules/b/main.tf"]
    );
    // Without a value, the source is unknown: a note, and no module read.
    fs::write(
        root.join("main.tf"),
        "variable \"flavor\" {\n  const = true\n}\nmodule \"flow\" {\n  source = \"../modules/${var.flavor}\"\n}\n",
    )
    .unwrap();
    assert_eq!(
        placeholders(&[]),
        vec!["computed-module-source root/main.tf"]
    );
}
