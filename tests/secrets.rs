//! Secret values never appear in any output: every report format, the model dump, and the
//! messages of errors; AWS credentials never appear either, whatever the log settings.

use crate::support;

/// The distinctive part of every secret in fixtures/secrets.
const SECRETS: &[&str] = &[
    "SENSITIVE-DEFAULT",
    "TFVARS-SENSITIVE",
    "LOCAL-TOKEN",
    "LOCAL-PASSWORD",
    "HEREDOC-PRIVATE-KEY",
    "AKIAOBJECTKEYID",
    "SYM-SECRET-PATH",
    "SYM-SECRET-LABEL",
    "SETTINGS-TOKEN",
    "SECOND-TOKEN",
    "BROKEN-FILE-PASSWORD",
    "VAR-FLAG-SECRET",
    "TF-VAR-ENV-SECRET",
    "JSON-TFVARS-SENSITIVE",
    "JSON-NESTED-TOKEN",
    "JSON-BROKEN-PASSWORD",
];

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows {secret}:\n{text}");
    }
}

#[test]
fn no_format_and_no_model_dump_shows_a_secret() {
    let mut outputs = Vec::new();
    for format in ["human", "json", "sarif", "github", "markdown", "junit"] {
        for var in ["approver=VAR-FLAG-SECRET-1", "group_name=VAR-FLAG-SECRET-2"] {
            let out = support::symguard("", "")
                .env("TF_VAR_approver", "TF-VAR-ENV-SECRET-1")
                .args([
                    "check",
                    "fixtures/secrets",
                    "--format",
                    format,
                    "--var",
                    var,
                ])
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert_eq!(out.status.code(), Some(1), "{format}: {stdout}");
            assert_clean(format, &stdout);
            assert_clean(format, &String::from_utf8_lossy(&out.stderr));
            outputs.push(stdout);
        }
    }
    // The findings are there, with the values masked: the test looks where they would be.
    let human = &outputs[0];
    assert!(human.contains("duplicate-declaration"), "{human}");
    assert!(human.contains("hcl-syntax"), "{human}");
    assert!(
        human.contains("manages the IAM group `(sensitive)`"),
        "{human}"
    );
    assert!(human.contains("slack_token  = *****"), "{human}");
    assert!(human.contains("password = *****"), "{human}");
    assert!(human.contains("\"db_password\": *****"), "{human}");

    let out = support::symguard("", "")
        .args(["model", "fixtures/secrets/main.tf"])
        .output()
        .unwrap();
    let model = String::from_utf8_lossy(&out.stdout);
    assert!(model.contains("sym_target.token_holder"), "{model}");
    assert_clean("model", &model);
}

/// A value secret in one root is scrubbed from that root's messages, not from every other
/// root's: a unit `"hours"` under `token_validity_units.access_token` in one root of a
/// monorepo turned another root's `x_hours_of_operation` into `x_(sensitive)_of_operation`.
#[test]
fn a_secret_of_one_root_is_scrubbed_from_its_own_messages_only() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "pool/main.tf",
        "resource \"x_pool_client\" \"c\" {\n  token_validity_units { access_token = \"hours\" }\n}\nresource \"sym_target\" \"t\" {\n  type     = \"aws_iam_group\"\n  name     = \"t\"\n  settings = { iam_group = \"ops-hours\" }\n}\n",
    );
    write(
        "queue/main.tf",
        "resource \"x_queue\" \"q\" {\n  arn = x_hours_of_operation.example.arn\n}\n",
    );
    let out = support::symguard("", "")
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`x_hours_of_operation.example` is not declared")),
        "{messages:?}"
    );
    // In its own root the value is still scrubbed, wherever a message would show it.
    assert!(
        messages.iter().any(|m| m.contains("`ops-(sensitive)`")),
        "{messages:?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("ops-hours")),
        "{messages:?}"
    );
}

/// The AWS credentials of a run appear nowhere, with the SDK's logging asked for at the
/// most verbose level, whether the run succeeds or fails.
#[test]
fn aws_credentials_never_appear() {
    const KEY: &str = "AKIACREDENTIALKEY123";
    const SECRET: &str = "credential-secret-value-not-to-be-shown";
    const TOKEN: &str = "credential-session-token-not-to-be-shown";
    let moto = support::Moto::start();
    let closed = format!("http://127.0.0.1:{}", support::free_port());
    for url in [moto.url.as_str(), closed.as_str()] {
        let out = support::symguard(KEY, SECRET)
            .env("AWS_SESSION_TOKEN", TOKEN)
            .env("RUST_LOG", "trace")
            .args(["drift", "fixtures/drift/scenario", "--endpoint-url", url])
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.is_empty());
        for secret in [KEY, SECRET, TOKEN] {
            assert!(!all.contains(secret), "{url}: {secret} in\n{all}");
        }
    }
}
