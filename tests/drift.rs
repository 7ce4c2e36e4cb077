//! `symguard drift` and `symguard snapshot` against a real IAM endpoint (moto).

use crate::support;

use crate::support::{symguard, Moto, ACCOUNT};
use serde_json::Value;
use std::fs;
use std::time::{Duration, SystemTime};

const SCENARIO: &str = "fixtures/drift/scenario";

/// Seeds the acceptance scenario, one line per kind of drift.
fn seed_scenario(moto: &Moto) {
    // Hand-added mallory; breakglass-admin allowed by [[allow]]; alice with an active
    // grant; bob whose grant expired.
    moto.group(
        "/sym/",
        "ops-admin",
        &["mallory", "breakglass-admin", "alice", "bob"],
    );
    moto.attach("ops-admin", "arn:aws:iam::aws:policy/ReadOnlyAccess");
    moto.attach("ops-admin", "arn:aws:iam::aws:policy/AdministratorAccess");
    // Members may assume a console role whose sessions last 12h; the flow grants 1h.
    moto.group_policy(
        "ops-admin",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::{ACCOUNT}:role/ops-admin-console"}}]}}"#
        ),
    );
    moto.role("/", "ops-admin-console", 43200, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#);
    // logs-read is declared but does not exist.
    moto.group("/legacy/", "billing", &[]);
    moto.group("/sym/", "db-read", &[]);
    moto.group("/sym/", "old-team", &[]);
    moto.group("/other/", "not-in-scope", &[]);
    // The connector's role covers ops-admin and logs-read, but not db-read.
    moto.role(
        "/sym/",
        "SymIAMProd",
        3600,
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:AddUserToGroup","iam:RemoveUserFromGroup"],"Resource":["arn:aws:iam::{ACCOUNT}:group/sym/ops-admin","arn:aws:iam::{ACCOUNT}:group/sym/logs-read"]}}]}}"#
        ),
    );
}

fn grants_file(dir: &std::path::Path) -> String {
    let at = |offset: i64| {
        let now = SystemTime::now();
        let time = if offset >= 0 {
            now + Duration::from_secs(offset as u64)
        } else {
            now - Duration::from_secs(offset.unsigned_abs())
        };
        humantime::format_rfc3339_seconds(time).to_string()
    };
    let grants = serde_json::json!([
        // Spelled as IAM would also take it: names compare regardless of case.
        {"user": "alice", "group": "OPS-ADMIN", "expires_at": at(86400)},
        {"user": "bob", "group": "ops-admin", "expires_at": at(-86400)},
    ]);
    let path = dir.join("grants.json");
    fs::write(&path, grants.to_string()).unwrap();
    path.to_str().unwrap().to_string()
}

fn findings(doc: &Value) -> Vec<(String, String, u64, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn scenario_yields_exactly_the_expected_findings() {
    let moto = Moto::start();
    seed_scenario(&moto);
    let dir = tempfile::tempdir().unwrap();
    let grants = grants_file(dir.path());
    let out = symguard("testing", "testing")
        .args(["drift", SCENARIO, "--endpoint-url", &moto.url])
        .args(["--grants", &grants, "--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let got: Vec<(String, u64, String)> = findings(&doc)
        .into_iter()
        .map(|(rule, file, line, message)| {
            assert_eq!(file, "fixtures/drift/scenario/main.tf");
            (rule, line, message)
        })
        .collect();
    let arn = |kind: &str, path: &str| format!("arn:aws:iam::{ACCOUNT}:{kind}{path}");
    let expected = vec![
        (
            "drift-unmanaged-group",
            13,
            format!("the group `/sym/old-team` ({}) is inside the scope of `module.iam_connector` but no target declares it: the connector may change its members", arn("group", "/sym/old-team")),
        ),
        (
            "drift-policy-attachments",
            41,
            format!("the policies of `ops-admin` ({}) differ from the configuration: attached but not declared: arn:aws:iam::aws:policy/AdministratorAccess", arn("group", "/sym/ops-admin")),
        ),
        (
            "drift-unexpected-member",
            41,
            format!("user `bob` is a member of `ops-admin` ({}) without an active Sym grant or an [[allow]] entry", arn("group", "/sym/ops-admin")),
        ),
        (
            "drift-unexpected-member",
            41,
            format!("user `mallory` is a member of `ops-admin` ({}) without an active Sym grant or an [[allow]] entry", arn("group", "/sym/ops-admin")),
        ),
        (
            "drift-group-missing",
            50,
            format!("the IAM group `logs-read` of `sym_target.logs_read` does not exist in account {ACCOUNT}"),
        ),
        (
            "drift-group-path",
            59,
            format!("the group `billing` exists at `/legacy/billing` ({}), outside the connector's scope (/sym/*): Sym cannot manage its members", arn("group", "/legacy/billing")),
        ),
        (
            "drift-connector-policy",
            68,
            format!("the connector role `SymIAMProd` ({}) may not iam:AddUserToGroup or iam:RemoveUserFromGroup on `db-read` ({})", arn("role", "/sym/SymIAMProd"), arn("group", "/sym/db-read")),
        ),
        (
            "drift-session-length",
            102,
            format!("access lasts up to 1h but the live role `ops-admin-console` ({}) keeps sessions for 12h: users keep the escalated role after Sym removes them", arn("role", "/ops-admin-console")),
        ),
    ];
    let expected: Vec<(String, u64, String)> = expected
        .into_iter()
        .map(|(rule, line, message)| (rule.to_string(), line, message))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(doc["summary"]["errors"], 5);
    assert_eq!(doc["summary"]["warnings"], 3);

    // The same findings in the human report, each at its declaration.
    let out = symguard("testing", "testing")
        .args(["drift", SCENARIO, "--endpoint-url", &moto.url])
        .args(["--grants", &grants])
        .output()
        .unwrap();
    let human = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    // Messages wrap at the report's width; compare them without the layout.
    let unwrapped: String = human
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect();
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    for (rule, line, message) in &got {
        assert!(human.contains(rule.as_str()), "{human}");
        assert!(
            human.contains(&format!("fixtures/drift/scenario/main.tf:{line}:")),
            "no location for {rule} line {line}:\n{human}"
        );
        assert!(unwrapped.contains(&squeeze(message)), "{message}\n{human}");
    }
    assert!(human.contains("5 errors, 3 warnings"), "{human}");

    // And as SARIF, for code scanning: the same findings at the same places.
    let out = symguard("testing", "testing")
        .args(["drift", SCENARIO, "--endpoint-url", &moto.url])
        .args(["--grants", &grants, "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results: Vec<(String, u64, String)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
                r["message"]["text"]
                    .as_str()
                    .unwrap()
                    .split("\n\nhelp: ")
                    .next()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(results, got);
}

#[test]
fn snapshot_then_offline_drift_gives_the_live_findings() {
    let moto = Moto::start();
    seed_scenario(&moto);
    let dir = tempfile::tempdir().unwrap();
    let grants = grants_file(dir.path());
    let state = dir.path().join("state.json");
    let state = state.to_str().unwrap();
    let live = symguard("testing", "testing")
        .args(["drift", SCENARIO, "--endpoint-url", &moto.url])
        .args(["--grants", &grants, "--format", "json"])
        .output()
        .unwrap();
    symguard("testing", "testing")
        .args([
            "snapshot",
            SCENARIO,
            "--endpoint-url",
            &moto.url,
            "-o",
            state,
        ])
        .assert()
        .success();
    drop(moto);

    let snapshot: Value = serde_json::from_str(&fs::read_to_string(state).unwrap()).unwrap();
    assert_eq!(snapshot["version"], 1);
    assert_eq!(snapshot["account"], ACCOUNT);
    let account = &snapshot["accounts"][ACCOUNT];
    assert_eq!(
        account["groups"]["ops-admin"]["members"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(account["missing_groups"], serde_json::json!(["logs-read"]));
    assert_eq!(
        account["roles"]["ops-admin-console"]["max_session_duration"],
        43200
    );

    // No endpoint and no credentials: the comparison runs on the file alone.
    let offline = assert_cmd::Command::cargo_bin("symguard")
        .unwrap()
        .env_clear()
        .args(["drift", SCENARIO, "--state", state])
        .args(["--grants", &grants, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(offline.status.code(), Some(1));
    let live: Value = serde_json::from_slice(&live.stdout).unwrap();
    let offline: Value = serde_json::from_slice(&offline.stdout).unwrap();
    assert_eq!(findings(&live).len(), 8);
    assert_eq!(findings(&offline), findings(&live));

    // A snapshot that does not cover the run is refused, not read as "nothing there".
    let other_shard = assert_cmd::Command::cargo_bin("symguard")
        .unwrap()
        .args(["drift", SCENARIO, "--state", state, "--shard", "1/2"])
        .output()
        .unwrap();
    assert_eq!(other_shard.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other_shard.stderr)
        .contains("the snapshot was taken with --shard (none) but this run has --shard 1/2"));
    let grown = dir.path().join("grown");
    fs::create_dir(&grown).unwrap();
    fs::write(
        grown.join("main.tf"),
        fs::read_to_string(format!("{SCENARIO}/main.tf"))
            .unwrap()
            .replace("\"db-read\"", "\"db-write\""),
    )
    .unwrap();
    fs::copy(format!("{SCENARIO}/impl.py"), grown.join("impl.py")).unwrap();
    let uncovered = assert_cmd::Command::cargo_bin("symguard")
        .unwrap()
        .args(["drift", grown.to_str().unwrap(), "--state", state])
        .output()
        .unwrap();
    assert_eq!(uncovered.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&uncovered.stderr).contains(&format!(
            "has no record of the group `db-write` in account {ACCOUNT}; take the snapshot again"
        ))
    );
}

#[test]
fn every_member_and_group_is_read_past_the_first_page() {
    let moto = Moto::start();
    let users: Vec<String> = (0..230).map(|i| format!("user-{i:03}")).collect();
    let users: Vec<&str> = users.iter().map(String::as_str).collect();
    moto.group("/sym/", "ops-admin", &users);
    for i in 0..120 {
        moto.group("/sym/", &format!("team-{i:03}"), &[]);
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("main.tf"),
        fs::read_to_string(format!("{SCENARIO}/main.tf")).unwrap(),
    )
    .unwrap();
    fs::copy(format!("{SCENARIO}/impl.py"), dir.path().join("impl.py")).unwrap();
    let out = symguard("testing", "testing")
        .args(["drift", dir.path().to_str().unwrap()])
        .args(["--endpoint-url", &moto.url, "--format", "json"])
        .args(["--concurrency", "4"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let count = |rule: &str| findings(&doc).iter().filter(|(r, ..)| r == rule).count();
    assert_eq!(count("drift-unexpected-member"), 230);
    assert_eq!(count("drift-unmanaged-group"), 120);
}

fn failure(args: &[&str], key: &str, secret: &str) -> (i32, String, String) {
    let out = symguard(key, secret).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn missing_credentials_end_the_run_with_one_sentence() {
    let out = assert_cmd::Command::cargo_bin("symguard")
        .unwrap()
        .env_clear()
        .env("HOME", "/nonexistent/symguard-test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["drift", SCENARIO, "--endpoint-url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.starts_with("error: no usable AWS credentials"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_profile_that_gives_no_credentials_is_named() {
    for profile in [&["--profile", "nope"][..], &[]] {
        let mut command = assert_cmd::Command::cargo_bin("symguard").unwrap();
        command
            .env_clear()
            .env("HOME", "/nonexistent/symguard-test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .args(["drift", SCENARIO, "--endpoint-url", "http://127.0.0.1:9"])
            .args(profile);
        if profile.is_empty() {
            command.env("AWS_PROFILE", "nope");
        }
        let out = command.output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.starts_with("error: no usable AWS credentials from the profile `nope` ("),
            "{stderr}"
        );
        assert!(stderr.contains("aws sso login --profile nope"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn unreachable_endpoint_ends_the_run_naming_it() {
    let port = support::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let (code, stdout, stderr) = failure(
        &["drift", SCENARIO, "--endpoint-url", &url],
        "testing",
        "testing",
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.starts_with(&format!(
            "error: sts:GetCallerIdentity failed: cannot reach AWS STS at {url}"
        )),
        "{stderr}"
    );
    // The causes in their own words, not the SDK's Debug dump of them.
    assert!(
        stderr.ends_with("Connection refused (os error 111)\n"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn access_denied_names_the_missing_action() {
    let moto = Moto::start();
    moto.group("/sym/", "ops-admin", &[]);
    let key = moto.user_with_policy(
        "reader",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetCallerIdentity","iam:GetGroup"],"Resource":"*"}]}"#,
    );
    moto.enforce_iam_policies();
    let (code, stdout, stderr) = failure(
        &["drift", SCENARIO, "--endpoint-url", &moto.url],
        &key.0,
        &key.1,
    );
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.starts_with("error: access denied: the credentials may not call iam:"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn other_accounts_are_read_through_the_role_template_or_reported_skipped() {
    let moto = Moto::start();
    moto.group("/sym/", "platform-admin", &["alice"]);
    let payments = moto.in_account("222222222222");
    payments.group("/sym/", "payments-admin", &["mallory"]);
    let fixture = "fixtures/drift/accounts";

    let out = symguard("testing", "testing")
        .args([
            "drift",
            fixture,
            "--endpoint-url",
            &moto.url,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, u64, String)> = findings(&doc)
        .into_iter()
        .map(|(rule, _, line, message)| (rule, line, message))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "drift-account-skipped".to_string(),
                27,
                format!("account 222222222222 of `sym_integration.payments` was not read (the credentials are for account {ACCOUNT}), so its group was not compared: payments-admin"),
            ),
            (
                "drift-unexpected-member".to_string(),
                35,
                format!("user `alice` is a member of `platform-admin` (arn:aws:iam::{ACCOUNT}:group/sym/platform-admin) without an active Sym grant or an [[allow]] entry"),
            ),
        ]
    );

    let out = symguard("testing", "testing")
        .args([
            "drift",
            fixture,
            "--endpoint-url",
            &moto.url,
            "--format",
            "json",
        ])
        .args([
            "--role-template",
            "arn:aws:iam::{account_id}:role/SymguardReadOnly",
        ])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<String> = findings(&doc).into_iter().map(|f| f.3).collect();
    assert_eq!(
        messages,
        vec![
            format!("user `alice` is a member of `platform-admin` (arn:aws:iam::{ACCOUNT}:group/sym/platform-admin) without an active Sym grant or an [[allow]] entry"),
            "user `mallory` is a member of `payments-admin` (arn:aws:iam::222222222222:group/sym/payments-admin) without an active Sym grant or an [[allow]] entry".to_string(),
        ]
    );
}

#[test]
fn shards_split_the_groups_into_disjoint_parts_that_cover_them_all() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let mut tf = String::from(
        "module \"iam_connector\" {\n  source      = \"symopsio/iam-connector/aws\"\n  version     = \">= 2.0.0\"\n  environment = \"prod\"\n}\n\nresource \"sym_integration\" \"iam\" {\n  type        = \"permission_context\"\n  name        = \"prod-iam\"\n  external_id = module.iam_connector.settings.account_id\n  settings    = module.iam_connector.settings\n}\n",
    );
    let mut targets = Vec::new();
    for i in 0..24 {
        let name = format!("team-{i:02}");
        moto.group("/sym/", &name, &[&format!("user-{i:02}")]);
        tf += &format!(
            "\nresource \"sym_target\" \"t{i:02}\" {{\n  type     = \"aws_iam_group\"\n  name     = \"{name}\"\n  label    = \"{name}\"\n  settings = {{ iam_group = \"{name}\" }}\n}}\n"
        );
        targets.push(format!("sym_target.t{i:02}.id"));
    }
    for i in 0..9 {
        moto.group("/sym/", &format!("stray-{i}"), &[]);
    }
    tf += &format!(
        "\nresource \"sym_strategy\" \"iam\" {{\n  type           = \"aws_iam\"\n  name           = \"prod\"\n  integration_id = sym_integration.iam.id\n  targets        = [{}]\n}}\n",
        targets.join(", ")
    );
    fs::write(dir.path().join("main.tf"), tf).unwrap();
    let run = |shard: Option<&str>| -> Vec<String> {
        let mut cmd = symguard("testing", "testing");
        cmd.args(["drift", dir.path().to_str().unwrap()]).args([
            "--endpoint-url",
            &moto.url,
            "--format",
            "json",
        ]);
        if let Some(shard) = shard {
            cmd.args(["--shard", shard]);
        }
        let out = cmd.output().unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        findings(&doc).into_iter().map(|f| f.3).collect()
    };
    let all = run(None);
    assert_eq!(all.len(), 24 + 9);
    let parts: Vec<Vec<String>> = ["1/3", "2/3", "3/3"].iter().map(|s| run(Some(s))).collect();
    assert!(parts.iter().all(|p| !p.is_empty() && p.len() < all.len()));
    let mut joined: Vec<String> = parts.concat();
    joined.sort();
    let mut expected = all.clone();
    expected.sort();
    assert_eq!(joined, expected, "the shards overlap or miss findings");

    let out = symguard("testing", "testing")
        .args(["drift", dir.path().to_str().unwrap(), "--shard", "4/3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`4/3` is not a shard like 2/8"));
}

/// The faults the proxy injects, each as the first answer to every distinct request.
fn transient_faults() -> Vec<support::Fault> {
    use support::Fault;
    vec![
        Fault::Error(400, "Throttling"),
        Fault::Error(500, "InternalFailure"),
        Fault::Error(503, "ServiceUnavailable"),
        Fault::Delay(Duration::from_secs(3)),
        Fault::Drop,
        Fault::Truncate,
    ]
}

/// Every call of the run fails once, in each way IAM and networks fail; with retries the
/// findings are exactly those of a clean run.
#[test]
fn transient_faults_leave_the_findings_unchanged() {
    let moto = Moto::start();
    seed_scenario(&moto);
    let dir = tempfile::tempdir().unwrap();
    let grants = grants_file(dir.path());
    let drift = |url: &str| {
        failure(
            &[
                "drift",
                SCENARIO,
                "--endpoint-url",
                url,
                "--grants",
                &grants,
                "--format",
                "json",
                "--timeout",
                "1s",
            ],
            "testing",
            "testing",
        )
    };
    let (code, clean, stderr) = drift(&moto.url);
    assert_eq!(code, 1, "{stderr}");
    let clean = findings(&serde_json::from_str(&clean).unwrap());
    assert_eq!(clean.len(), 8, "{clean:?}");
    std::thread::scope(|scope| {
        for fault in transient_faults() {
            let (url, drift, clean) = (&moto.url, &drift, &clean);
            scope.spawn(move || {
                let proxy = support::FaultProxy::start(url, support::proxy::once_each(fault));
                let (code, stdout, stderr) = drift(&proxy.url);
                assert_eq!(code, 1, "{fault:?}: {stderr}");
                let got = findings(&serde_json::from_str(&stdout).unwrap());
                assert_eq!(&got, clean, "{fault:?}");
                assert!(
                    proxy.injected() >= 10,
                    "{fault:?}: {} faults",
                    proxy.injected()
                );
            });
        }
    });
}

/// A read that keeps failing ends the run with 2 and names the call; no finding is
/// reported, so nothing is called missing or unexpected because it could not be read.
#[test]
fn persistent_faults_end_the_run_naming_the_call() {
    use support::Fault;
    let moto = Moto::start();
    seed_scenario(&moto);
    let cases = [
        ("GetGroup", Fault::Error(500, "InternalFailure")),
        ("GetGroup", Fault::Error(400, "Throttling")),
        ("ListGroups", Fault::Drop),
        ("ListAttachedGroupPolicies", Fault::Truncate),
        ("GetRole", Fault::Delay(Duration::from_secs(3))),
    ];
    std::thread::scope(|scope| {
        for (action, fault) in cases {
            let url = moto.url.clone();
            scope.spawn(move || {
                let needle = format!("Action={action}&");
                let proxy = support::FaultProxy::start(&url, move |body| {
                    body.contains(&needle).then_some(fault)
                });
                let (code, stdout, stderr) = failure(
                    &[
                        "drift",
                        SCENARIO,
                        "--endpoint-url",
                        &proxy.url,
                        "--format",
                        "json",
                        "--timeout",
                        "1s",
                    ],
                    "testing",
                    "testing",
                );
                assert_eq!(code, 2, "{action} {fault:?}: {stdout}{stderr}");
                assert!(stdout.is_empty(), "{action} {fault:?}: {stdout}");
                assert!(
                    stderr.contains(&format!("iam:{action} failed")),
                    "{action} {fault:?}: {stderr}"
                );
                assert!(
                    proxy.injected() >= 5,
                    "{action}: retried {} times",
                    proxy.injected()
                );
            });
        }
    });
}

/// The scenario, and what only the bulk read finds elsewhere: a customer managed policy of
/// a group naming a role to assume, a connector role with customer and AWS managed policies.
fn seed_scenario_with_managed_policies(moto: &Moto) {
    seed_scenario(moto);
    let policy = |name: &str, document: String| {
        moto.run(async {
            let answer = moto
                .iam
                .create_policy()
                .policy_name(name)
                .policy_document(document)
                .send()
                .await
                .unwrap();
            answer.policy().unwrap().arn().unwrap().to_string()
        })
    };
    let db_console = policy(
        "db-console",
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::{ACCOUNT}:role/db-console"}}]}}"#
        ),
    );
    moto.attach("db-read", &db_console);
    moto.run(async {
        moto.iam
            .create_user()
            .user_name("carol")
            .send()
            .await
            .unwrap();
        moto.iam
            .add_user_to_group()
            .group_name("db-read")
            .user_name("carol")
            .send()
            .await
            .unwrap();
    });
    moto.role("/", "db-console", 28800, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds:Describe*","Resource":"*"}]}"#);
    let extra = policy(
        "sym-extra",
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:AddUserToGroup","iam:RemoveUserFromGroup"],"Resource":"arn:aws:iam::{ACCOUNT}:group/sym/db-read"}}]}}"#
        ),
    );
    moto.run(async {
        for arn in [extra.as_str(), "arn:aws:iam::aws:policy/IAMReadOnlyAccess"] {
            moto.iam
                .attach_role_policy()
                .role_name("SymIAMProd")
                .policy_arn(arn)
                .send()
                .await
                .unwrap();
        }
    });
}

/// Bulk and group-by-group reads fill the same state: the same report, byte for byte, and
/// the same snapshot; through the proxy, the bulk answer comes in pages of two items and
/// every page is read.
#[test]
fn bulk_and_per_group_reads_give_identical_reports_and_snapshots() {
    let moto = Moto::start();
    seed_scenario_with_managed_policies(&moto);
    let dir = tempfile::tempdir().unwrap();
    let grants = grants_file(dir.path());
    let pages = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = pages.clone();
    let proxy = support::FaultProxy::paging(&moto.url, 2, move |body| {
        if body.contains("Action=GetAccountAuthorizationDetails&") && body.contains("Marker=") {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        None
    });
    let run = |command: &str, url: &str, read: &str, out: Option<&str>| {
        let mut cmd = symguard("testing", "testing");
        cmd.args([command, SCENARIO, "--endpoint-url", url, "--read", read]);
        match out {
            Some(path) => cmd.args(["-o", path]),
            None => cmd.args(["--grants", &grants, "--format", "json"]),
        };
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(stderr.is_empty(), "{read}: {stderr}");
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, per_group) = run("drift", &moto.url, "per-group", None);
    assert_eq!(code, Some(1), "{per_group}");
    let messages: Vec<String> = findings(&serde_json::from_str(&per_group).unwrap())
        .into_iter()
        .map(|f| f.3)
        .collect();
    // What the managed policies add: a member, the role its group's policy names, the
    // connector's managed policy that lets it manage db-read.
    assert!(
        messages.iter().any(|m| m.starts_with("user `carol`")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("`db-console`")),
        "{messages:?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("on `db-read`")),
        "{messages:?}"
    );
    assert_eq!(
        run("drift", &moto.url, "bulk", None),
        (code, per_group.clone())
    );
    assert_eq!(
        run("drift", &proxy.url, "bulk", None),
        (code, per_group.clone())
    );
    // Two items a page: 5 users and 5 groups in 5 pages, 3 roles in 2, the 2 customer
    // managed policies in 1; every page after a scan's first is asked for by its Marker.
    assert_eq!(pages.load(std::sync::atomic::Ordering::SeqCst), 4 + 1);

    let snapshot = |read: &str, url: &str| {
        let path = dir.path().join(format!("{read}.json"));
        let (code, _) = run("snapshot", url, read, Some(path.to_str().unwrap()));
        assert_eq!(code, Some(0));
        let mut state: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
        state["taken_at"] = Value::Null;
        state
    };
    let per_group = snapshot("per-group", &moto.url);
    assert_eq!(
        per_group["accounts"][ACCOUNT]["roles"]["db-console"]["max_session_duration"],
        28800
    );
    assert_eq!(snapshot("bulk", &proxy.url), per_group);
}

/// A page of the bulk read that fails after the SDK's retries ends the run with 2 and no
/// findings: nothing is compared on part of an account.
#[test]
fn a_bulk_page_that_keeps_failing_ends_the_run_with_no_findings() {
    let moto = Moto::start();
    seed_scenario(&moto);
    let proxy = support::FaultProxy::paging(&moto.url, 2, |body| {
        body.contains("Marker=page-2")
            .then_some(support::Fault::Error(500, "InternalFailure"))
    });
    let (code, stdout, stderr) = failure(
        &[
            "drift",
            SCENARIO,
            "--endpoint-url",
            &proxy.url,
            "--read",
            "bulk",
            "--format",
            "json",
        ],
        "testing",
        "testing",
    );
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.starts_with("error: iam:GetAccountAuthorizationDetails failed"),
        "{stderr}"
    );
    assert!(proxy.injected() >= 5, "retried {} times", proxy.injected());
}

/// A root declaring `count` groups `team-NN` of the connector's scope.
fn many_groups_root(moto: &Moto, count: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut tf = String::from(
        "module \"iam_connector\" {\n  source      = \"symopsio/iam-connector/aws\"\n  version     = \">= 2.0.0\"\n  environment = \"prod\"\n}\n\nresource \"sym_integration\" \"iam\" {\n  type        = \"permission_context\"\n  name        = \"prod-iam\"\n  external_id = module.iam_connector.settings.account_id\n  settings    = module.iam_connector.settings\n}\n",
    );
    let mut targets = Vec::new();
    for i in 0..count {
        let name = format!("team-{i:02}");
        moto.group("/sym/", &name, &[&format!("user-{i:02}")]);
        tf += &format!(
            "\nresource \"sym_target\" \"t{i:02}\" {{\n  type     = \"aws_iam_group\"\n  name     = \"{name}\"\n  label    = \"{name}\"\n  settings = {{ iam_group = \"{name}\" }}\n}}\n"
        );
        targets.push(format!("sym_target.t{i:02}.id"));
    }
    tf += &format!(
        "\nresource \"sym_strategy\" \"iam\" {{\n  type           = \"aws_iam\"\n  name           = \"prod\"\n  integration_id = sym_integration.iam.id\n  targets        = [{}]\n}}\n",
        targets.join(", ")
    );
    fs::write(dir.path().join("main.tf"), tf).unwrap();
    dir
}

/// `auto` reads few groups one by one and many in bulk; denied the bulk call, it says so
/// in one line and reads group by group, while `--read bulk` stops on the denial.
#[test]
fn auto_reads_many_groups_in_bulk_and_falls_back_when_denied() {
    let moto = Moto::start();
    let many = symguard::live::aws::bulk::AUTO_BULK_ABOVE_GROUPS + 1;
    let dir = many_groups_root(&moto, many);
    let root = dir.path().to_str().unwrap();
    let actions = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let drift = |read: Option<&str>, deny: bool| {
        let log = actions.clone();
        let proxy = support::FaultProxy::start(&moto.url, move |body| {
            let action = body.split('&').next().unwrap_or_default().to_string();
            log.lock().unwrap().push(action);
            (deny && body.contains("Action=GetAccountAuthorizationDetails&"))
                .then_some(support::Fault::Error(403, "AccessDenied"))
        });
        actions.lock().unwrap().clear();
        let mut cmd = symguard("testing", "testing");
        cmd.args([
            "drift",
            root,
            "--endpoint-url",
            &proxy.url,
            "--format",
            "json",
        ]);
        if let Some(read) = read {
            cmd.args(["--read", read]);
        }
        let out = cmd.output().unwrap();
        let called = |action: &str| {
            let wanted = format!("Action={action}");
            actions
                .lock()
                .unwrap()
                .iter()
                .filter(|a| **a == wanted)
                .count()
        };
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
            called("GetAccountAuthorizationDetails"),
            called("GetGroup"),
        )
    };
    let (code, per_group, stderr, bulk_calls, group_calls) = drift(Some("per-group"), false);
    assert_eq!((code, stderr.as_str()), (Some(1), ""));
    assert_eq!((bulk_calls, group_calls), (0, many));
    assert_eq!(
        findings(&serde_json::from_str(&per_group).unwrap()).len(),
        many
    );

    let (code, auto, stderr, bulk_calls, group_calls) = drift(None, false);
    assert_eq!((code, stderr.as_str()), (Some(1), ""));
    assert_eq!(auto, per_group);
    assert_eq!(group_calls, 0);
    // Users and groups, then roles (the connector's): one page each.
    assert_eq!(bulk_calls, 2);

    let (code, fallback, stderr, _, group_calls) = drift(None, true);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(fallback, per_group);
    assert_eq!(group_calls, many);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "note: iam:GetAccountAuthorizationDetails is denied in account {ACCOUNT}"
        )),
        "{stderr}"
    );

    let (code, stdout, stderr, _, group_calls) = drift(Some("bulk"), true);
    assert_eq!((code, stdout.as_str(), group_calls), (Some(2), "", 0));
    assert!(
        stderr.starts_with(
            "error: access denied: the credentials may not call iam:GetAccountAuthorizationDetails"
        ),
        "{stderr}"
    );
}

/// The drift-unmanaged-group findings for three live groups under `/sym/` that no target
/// declares, the connector coming from Sym's registry host; `extra` files are added to the
/// root as (name, text).
fn unmanaged_groups(extra: &[(&str, &str)]) -> Vec<String> {
    drift_findings(extra)
        .into_iter()
        .filter(|(rule, _)| rule == "drift-unmanaged-group")
        .map(|(_, message)| message)
        .collect()
}

/// The (rule, message) of each finding `unmanaged_groups` sees.
fn drift_findings(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let moto = Moto::start();
    for i in 0..3 {
        moto.group("/sym/", &format!("team-{i}"), &[]);
    }
    let dir = tempfile::tempdir().unwrap();
    let config = fs::read_to_string(format!("{SCENARIO}/main.tf"))
        .unwrap()
        .replace(
            "source  = \"symopsio/iam-connector/aws\"",
            "source  = \"terraform.symops.com/symopsio/iam-connector/sym\"",
        );
    assert!(config.contains("terraform.symops.com"));
    fs::write(dir.path().join("main.tf"), config).unwrap();
    fs::copy(format!("{SCENARIO}/impl.py"), dir.path().join("impl.py")).unwrap();
    for (name, text) in extra {
        fs::write(dir.path().join(name), text).unwrap();
    }
    let out = symguard("testing", "testing")
        .args(["drift", dir.path().to_str().unwrap()])
        .args(["--endpoint-url", &moto.url, "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    findings(&doc)
        .into_iter()
        .map(|(rule, .., message)| (rule, message))
        .collect()
}

#[test]
fn a_connector_from_syms_registry_host_scopes_the_unmanaged_groups() {
    let unmanaged = unmanaged_groups(&[]);
    assert_eq!(unmanaged.len(), 3, "{unmanaged:?}");
    assert!(
        unmanaged.iter().all(|m| m.contains("/sym/team-")),
        "{unmanaged:?}"
    );
}

/// A target may be declared in a file symguard could not read: one that does not parse, or
/// one in JSON syntax. Then no group is called undeclared, and the report says which file
/// was not read, as check's does.
#[test]
fn a_root_with_a_file_not_read_reports_no_unmanaged_group() {
    let json =
        r#"{"resource": {"sym_target": {"team_0": {"type": "aws_iam_group", "name": "team-0"}}}}"#;
    for (extra, rule) in [
        (("targets.tf.json", json), "json-syntax"),
        (("broken.tf", "resource \"sym_target\" {"), "hcl-syntax"),
    ] {
        let rules: Vec<String> = drift_findings(&[extra])
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert!(
            !rules.iter().any(|r| r == "drift-unmanaged-group"),
            "{rules:?}"
        );
        assert!(rules.iter().any(|r| r == rule), "{rules:?}");
    }
}

/// The scenario's report and the skipped-account one, against schemas/report.schema.json.
#[test]
fn drift_reports_validate_against_the_report_schema() {
    let moto = Moto::start();
    seed_scenario(&moto);
    let dir = tempfile::tempdir().unwrap();
    let grants = grants_file(dir.path());
    let out = symguard("testing", "testing")
        .args(["drift", SCENARIO, "--endpoint-url", &moto.url])
        .args(["--grants", &grants, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 8);
    support::schema::assert_valid_report(&doc, SCENARIO);

    let out = symguard("testing", "testing")
        .args([
            "drift",
            "fixtures/drift/accounts",
            "--endpoint-url",
            &moto.url,
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "drift-account-skipped"),
        "{doc:#}"
    );
    support::schema::assert_valid_report(&doc, "fixtures/drift/accounts");
}
