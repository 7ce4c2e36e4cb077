//! The IAM connector wherever its source comes from: every rule that follows a connector sees
//! the same module whether it is named by the public registry, another registry host or git.

use assert_cmd::Command;
use std::fs;

#[test]
fn connectors_from_any_host_or_git_scope_their_targets() {
    let sources = [
        "source = \"terraform.symops.com/symopsio/iam-connector/sym\"\n  version = \">= 1.2.0\"",
        "source = \"registry.example.com/symopsio/iam-connector/aws\"\n  version = \">= 2.0.0\"",
        "source = \"git::https://github.com/symopsio/terraform-aws-iam-connector.git?ref=v2.0.0\"",
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut tf = String::new();
    for (i, source) in sources.iter().enumerate() {
        tf += &format!(
            r#"
module "connector_{i}" {{
  {source}
  environment  = "e{i}"
  group_config = [{{ path = "/other/", name = "*" }}]
}}

resource "sym_integration" "iam_{i}" {{
  type        = "permission_context"
  name        = "iam-{i}"
  external_id = module.connector_{i}.settings.account_id
  settings    = module.connector_{i}.settings
}}

resource "aws_iam_group" "ops_{i}" {{
  name = "ops-{i}"
  path = "/sym/"
}}

resource "sym_target" "ops_{i}" {{
  type     = "aws_iam_group"
  name     = "ops-{i}"
  settings = {{ iam_group = aws_iam_group.ops_{i}.name }}
}}

resource "sym_strategy" "iam_{i}" {{
  type           = "aws_iam"
  name           = "iam-{i}"
  integration_id = sym_integration.iam_{i}.id
  targets        = [sym_target.ops_{i}.id]
}}
"#
        );
    }
    fs::write(dir.path().join("main.tf"), tf).unwrap();
    let out = Command::cargo_bin("symguard")
        .unwrap()
        .args(["check", "--format", "json", "--fail-on", "never"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let scoped: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "connector-scope")
        .map(|f| f["resource"].as_str().unwrap())
        .collect();
    assert_eq!(
        scoped,
        ["sym_target.ops_0", "sym_target.ops_1", "sym_target.ops_2"]
    );
}
