//! `symguard remediate` against a real IAM endpoint (moto): plan, limits, saved plans,
//! failures and the audit log.

use crate::support;

use crate::support::{symguard, Moto, ACCOUNT};
use serde_json::Value;
use std::fs;
use std::time::{Duration, SystemTime};

const FIXTURE: &str = "fixtures/remediate";

/// Unexpected: mallory in ops-admin and eve in db-read. Allowed: breakglass-admin by
/// [[allow]], alice by an active grant. trudy is in old-team, which no target declares.
fn seed(moto: &Moto) {
    moto.group(
        "/sym/",
        "ops-admin",
        &["mallory", "breakglass-admin", "alice"],
    );
    moto.group("/sym/", "db-read", &["eve"]);
    moto.group("/sym/", "old-team", &["trudy"]);
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut assert_cmd::Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn remediate(moto: &Moto, dir: &std::path::Path, args: &[&str]) -> Run {
    remediate_at(&moto.url, dir, args)
}

/// `remediate` against `url`: moto, or a proxy in front of it.
fn remediate_at(url: &str, dir: &std::path::Path, args: &[&str]) -> Run {
    let grants = dir.join("grants.json");
    let expires = humantime::format_rfc3339_seconds(SystemTime::now() + Duration::from_secs(3600));
    fs::write(
        &grants,
        format!(r#"[{{"user": "alice", "group": "ops-admin", "expires_at": "{expires}"}}]"#),
    )
    .unwrap();
    run(symguard("testing", "testing")
        .args(["remediate", "--endpoint-url", url])
        .args(["--grants", grants.to_str().unwrap()])
        .args(args))
}

fn removals(plan: &Value) -> Vec<(String, String)> {
    plan["removals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["group"].as_str().unwrap().to_string(),
                r["user"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(group: &str, user: &str) -> (String, String) {
    (group.to_string(), user.to_string())
}

fn audit(path: &std::path::Path) -> Vec<Value> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn plans_exactly_the_unexpected_members_applies_them_and_converges() {
    let moto = Moto::start();
    seed(&moto);
    let dir = tempfile::tempdir().unwrap();

    // Dry run: the plan, and nothing changes.
    let dry = remediate(&moto, dir.path(), &[FIXTURE, "--format", "json"]);
    assert_eq!(dry.code, 1, "{}{}", dry.stdout, dry.stderr);
    let doc: Value = serde_json::from_str(&dry.stdout).unwrap();
    assert_eq!(
        removals(&doc["plan"]),
        vec![pair("db-read", "eve"), pair("ops-admin", "mallory")]
    );
    assert_eq!(doc["plan"]["account"], ACCOUNT);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2);
    assert_eq!(doc["findings"][0]["rule"], "drift-unexpected-member");
    assert!(doc.get("outcomes").is_none());
    assert_eq!(
        moto.members("ops-admin"),
        ["alice", "breakglass-admin", "mallory"]
    );

    let human = remediate(&moto, dir.path(), &[FIXTURE]);
    assert!(
        human.stdout.starts_with(&format!(
            "remediation plan for account {ACCOUNT}: 2 removals\n  remove `eve` from `db-read` (arn:aws:iam::{ACCOUNT}:group/sym/db-read)\n      because fixtures/remediate/main.tf:27: user `eve` is a member"
        )),
        "{}",
        human.stdout
    );
    assert!(human
        .stdout
        .ends_with("dry run: nothing was changed; run again with --apply to carry the plan out\n"));

    // Apply: exactly those two go; the others stay.
    let log = dir.path().join("audit.jsonl");
    let log_arg = log.to_str().unwrap();
    let applied = remediate(
        &moto,
        dir.path(),
        &[FIXTURE, "--apply", "--yes", "--audit-log", log_arg],
    );
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    assert!(applied
        .stdout
        .ends_with("symguard remediate: 2 removed, 0 skipped (already absent), 0 failed\n"));
    assert_eq!(moto.members("ops-admin"), ["alice", "breakglass-admin"]);
    assert!(moto.members("db-read").is_empty());
    assert_eq!(moto.members("old-team"), ["trudy"]);
    let records = audit(&log);
    let events: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["group"].as_str().unwrap(),
                r["user"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("db-read", "eve", "started"),
            ("db-read", "eve", "removed"),
            ("ops-admin", "mallory", "started"),
            ("ops-admin", "mallory", "removed"),
        ]
    );
    assert_eq!(records[1]["account"], ACCOUNT);
    assert_eq!(records[1]["finding"]["rule"], "drift-unexpected-member");
    assert_eq!(records[1]["finding"]["line"], 27);
    assert!(records[1]["time"].as_str().unwrap().starts_with("20"));

    // A second run finds nothing to do.
    let again = remediate(&moto, dir.path(), &[FIXTURE, "--format", "json"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let doc: Value = serde_json::from_str(&again.stdout).unwrap();
    assert!(removals(&doc["plan"]).is_empty());
}

#[test]
fn a_plan_over_the_limit_removes_nobody() {
    let moto = Moto::start();
    seed(&moto);
    let dir = tempfile::tempdir().unwrap();
    let refused = remediate(
        &moto,
        dir.path(),
        &[FIXTURE, "--apply", "--yes", "--max-removals", "1"],
    );
    assert_eq!(refused.code, 1);
    assert_eq!(
        refused.stderr,
        "refused: the plan removes 2 members, more than the limit of 1: nobody was removed; review the plan, then raise the limit with --max-removals 2 or `[remediate] max_removals` in symguard.toml\n"
    );
    assert_eq!(moto.members("db-read"), ["eve"]);
    assert_eq!(
        moto.members("ops-admin"),
        ["alice", "breakglass-admin", "mallory"]
    );

    // The limit from the configuration.
    fs::write(
        dir.path().join("symguard.toml"),
        "[remediate]\nmax_removals = 1\n\n".to_string()
            + &fs::read_to_string(format!("{FIXTURE}/symguard.toml")).unwrap(),
    )
    .unwrap();
    fs::copy(format!("{FIXTURE}/main.tf"), dir.path().join("main.tf")).unwrap();
    let refused = remediate(
        &moto,
        dir.path(),
        &[dir.path().to_str().unwrap(), "--apply", "--yes"],
    );
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("more than the limit of 1"));
    assert_eq!(moto.members("db-read"), ["eve"]);
}

/// A file that does not parse, or one in JSON syntax, may hold the flow behind a grant:
/// remediate refuses to plan from the rest, and nobody is removed.
#[test]
fn a_configuration_not_read_whole_removes_nobody() {
    let moto = Moto::start();
    seed(&moto);
    for (name, text, why) in [
        ("broken.tf", "resource \"sym_flow\" {", "broken.tf:1:"),
        (
            "flows.tf.json",
            "{}",
            "flows.tf.json: Terraform's JSON syntax",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        for file in ["main.tf", "symguard.toml"] {
            fs::copy(format!("{FIXTURE}/{file}"), dir.path().join(file)).unwrap();
        }
        fs::write(dir.path().join(name), text).unwrap();
        let root = dir.path().to_str().unwrap();
        let refused = remediate(&moto, dir.path(), &[root, "--apply", "--yes"]);
        assert_eq!((refused.code, refused.stdout.as_str()), (2, ""), "{name}");
        assert!(refused.stderr.contains(why), "{}", refused.stderr);
        assert!(
            refused.stderr.ends_with("remediate removes access only when it has read the whole configuration, and nobody was removed\n"),
            "{}",
            refused.stderr
        );
        assert_eq!(moto.members("db-read"), ["eve"]);
        assert_eq!(
            moto.members("ops-admin"),
            ["alice", "breakglass-admin", "mallory"]
        );
    }
}

#[test]
fn apply_without_a_terminal_needs_yes() {
    let moto = Moto::start();
    seed(&moto);
    let dir = tempfile::tempdir().unwrap();
    let refused = remediate(&moto, dir.path(), &[FIXTURE, "--apply"]);
    assert_eq!(refused.code, 2);
    assert_eq!(
        refused.stderr,
        "error: --apply without a terminal needs --yes; nobody was removed\n"
    );
    assert_eq!(moto.members("db-read"), ["eve"]);
}

#[test]
fn a_saved_plan_skips_members_who_already_left() {
    let moto = Moto::start();
    seed(&moto);
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    let plan_arg = plan.to_str().unwrap();
    let planned = remediate(&moto, dir.path(), &[FIXTURE, "--plan-out", plan_arg]);
    assert_eq!(planned.code, 1);
    // eve leaves before the plan is applied.
    moto.run(async {
        moto.iam
            .remove_user_from_group()
            .group_name("db-read")
            .user_name("eve")
            .send()
            .await
            .unwrap();
    });
    let log = dir.path().join("audit.jsonl");
    let applied = run(symguard("testing", "testing").args([
        "remediate",
        "--endpoint-url",
        &moto.url,
        "--plan",
        plan_arg,
        "--apply",
        "--yes",
        "--format",
        "json",
        "--audit-log",
        log.to_str().unwrap(),
    ]));
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let doc: Value = serde_json::from_str(&applied.stdout).unwrap();
    let outcomes: Vec<(&str, &str)> = doc["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["user"].as_str().unwrap(), o["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [("eve", "already_absent"), ("mallory", "removed")]
    );
    assert_eq!(audit(&log)[1]["outcome"], "already_absent");
    assert_eq!(moto.members("ops-admin"), ["alice", "breakglass-admin"]);

    // A plan for another account is refused before anything is read or removed.
    let mut other: Value = serde_json::from_str(&fs::read_to_string(&plan).unwrap()).unwrap();
    other["account"] = "999999999999".into();
    fs::write(&plan, other.to_string()).unwrap();
    let refused = run(symguard("testing", "testing").args([
        "remediate",
        "--endpoint-url",
        &moto.url,
        "--plan",
        plan_arg,
        "--apply",
        "--yes",
    ]));
    assert_eq!(refused.code, 1);
    assert_eq!(
        refused.stderr,
        format!("refused: the plan was made for account 999999999999 but the credentials are for account {ACCOUNT}: nobody was removed\n")
    );
}

#[test]
fn a_rejected_removal_is_reported_and_the_rest_go_on() {
    let moto = Moto::start();
    seed(&moto);
    // IAM denies removals from db-read (moto's own policy checks ignore resources).
    let proxy = support::FaultProxy::start(&moto.url, |body| {
        (body.contains("Action=RemoveUserFromGroup") && body.contains("GroupName=db-read"))
            .then_some(support::Fault::Error(403, "AccessDenied"))
    });
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let applied = run(symguard("testing", "testing").args([
        "remediate",
        FIXTURE,
        "--endpoint-url",
        &proxy.url,
        "--apply",
        "--yes",
        "--audit-log",
        log.to_str().unwrap(),
    ]));
    assert_eq!(applied.code, 1, "{}{}", applied.stdout, applied.stderr);
    assert!(
        applied.stdout.contains(
            "`eve` from `db-read` in 123456789012: FAILED: access denied: the credentials may not call iam:RemoveUserFromGroup"
        ),
        "{}",
        applied.stdout
    );
    assert!(applied
        .stdout
        .ends_with("symguard remediate: 2 removed, 0 skipped (already absent), 1 failed\n"));
    let records = audit(&log);
    let failed = records
        .iter()
        .find(|r| r["outcome"] == "failed")
        .expect("a failed record");
    assert_eq!(failed["user"], "eve");
    assert!(failed["error"]
        .as_str()
        .unwrap()
        .contains("iam:RemoveUserFromGroup"));
    assert_eq!(moto.members("db-read"), ["eve"]);
    assert_eq!(moto.members("ops-admin"), ["breakglass-admin"]);
}

#[test]
fn throttled_removals_are_retried() {
    let moto = Moto::start();
    seed(&moto);
    // The first two removal calls are throttled, as IAM does under load.
    let proxy = support::FaultProxy::start(
        &moto.url,
        support::proxy::first(
            2,
            |body| body.contains("Action=RemoveUserFromGroup"),
            support::Fault::Error(400, "Throttling"),
        ),
    );
    let applied = run(symguard("testing", "testing").args([
        "remediate",
        FIXTURE,
        "--endpoint-url",
        &proxy.url,
        "--apply",
        "--yes",
    ]));
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    assert_eq!(proxy.injected(), 2);
    assert!(applied
        .stdout
        .ends_with("symguard remediate: 3 removed, 0 skipped (already absent), 0 failed\n"));
    assert_eq!(moto.members("ops-admin"), ["breakglass-admin"]);
}

/// The first sending of every removal fails, in each way IAM and networks fail, including
/// an answer lost after IAM carried the removal out. Every planned removal is accounted for
/// once in the summary and the audit log, the members end as planned, and a second run
/// plans nothing.
#[test]
fn removals_under_transient_faults_are_each_accounted_for_once_and_converge() {
    use support::Fault;
    let faults = [
        Fault::Error(400, "Throttling"),
        Fault::Error(500, "InternalFailure"),
        Fault::Delay(Duration::from_secs(3)),
        Fault::Drop,
        Fault::Truncate,
        Fault::LoseAnswer,
    ];
    std::thread::scope(|scope| {
        for fault in faults {
            scope.spawn(move || {
                let moto = Moto::start();
                seed(&moto);
                let removals_once = support::proxy::once_each(fault);
                let proxy = support::FaultProxy::start(&moto.url, move |body| {
                    if body.contains("Action=RemoveUserFromGroup") {
                        removals_once(body)
                    } else {
                        None
                    }
                });
                let dir = tempfile::tempdir().unwrap();
                let log = dir.path().join("audit.jsonl");
                let applied = remediate_at(
                    &proxy.url,
                    dir.path(),
                    &[
                        FIXTURE,
                        "--apply",
                        "--yes",
                        "--timeout",
                        "1s",
                        "--audit-log",
                        log.to_str().unwrap(),
                    ],
                );
                assert_eq!(
                    applied.code, 0,
                    "{fault:?}: {}{}",
                    applied.stdout, applied.stderr
                );
                assert_eq!(proxy.injected(), 2, "{fault:?}");
                // When IAM carried out the first sending but the answer was lost or cut,
                // the retry finds the member gone: already absent, not failed. A delayed
                // first sending races its retry, so either outcome is right there.
                let outcome = match fault {
                    Fault::LoseAnswer | Fault::Truncate => "already_absent",
                    Fault::Delay(_) if applied.stdout.contains(" 0 removed") => "already_absent",
                    _ => "removed",
                };
                let summary = applied.stdout.lines().last().unwrap().to_string();
                let expected = match outcome {
                    "removed" => {
                        "symguard remediate: 2 removed, 0 skipped (already absent), 0 failed"
                    }
                    _ => "symguard remediate: 0 removed, 2 skipped (already absent), 0 failed",
                };
                assert_eq!(summary, expected, "{fault:?}");
                let events: Vec<(String, String, String)> = audit(&log)
                    .iter()
                    .map(|r| {
                        let field = |k: &str| r[k].as_str().unwrap().to_string();
                        (field("group"), field("user"), field("outcome"))
                    })
                    .collect();
                let event =
                    |g: &str, u: &str, o: &str| (g.to_string(), u.to_string(), o.to_string());
                assert_eq!(
                    events,
                    [
                        event("db-read", "eve", "started"),
                        event("db-read", "eve", outcome),
                        event("ops-admin", "mallory", "started"),
                        event("ops-admin", "mallory", outcome),
                    ],
                    "{fault:?}"
                );
                assert_eq!(moto.members("ops-admin"), ["alice", "breakglass-admin"]);
                assert!(moto.members("db-read").is_empty());
                let again = remediate(&moto, dir.path(), &[FIXTURE, "--format", "json"]);
                assert_eq!(again.code, 0, "{fault:?}: {}", again.stderr);
                let doc: Value = serde_json::from_str(&again.stdout).unwrap();
                assert!(removals(&doc["plan"]).is_empty(), "{fault:?}");
            });
        }
    });
}

/// Removals the plan must never contain, each next to one it must: a group no target
/// declares, a member an [[allow]] entry covers, a member with an active grant under another
/// case of the name, and a declared group whose live path is outside the connector's scope.
#[test]
fn removals_outside_the_remediation_scope_are_never_planned() {
    let moto = Moto::start();
    // ALICE is alice (IAM names ignore case), whose grant is active.
    moto.group(
        "/sym/",
        "ops-admin",
        &["mallory", "breakglass-admin", "ALICE"],
    );
    // Declared, but at a path the connector (default scope /sym/*) cannot manage.
    moto.group("/other/", "db-read", &["eve"]);
    moto.group("/sym/", "old-team", &["trudy"]);
    let dir = tempfile::tempdir().unwrap();
    let dry = remediate(&moto, dir.path(), &[FIXTURE, "--format", "json"]);
    assert_eq!(dry.code, 1, "{}{}", dry.stdout, dry.stderr);
    let doc: Value = serde_json::from_str(&dry.stdout).unwrap();
    assert_eq!(removals(&doc["plan"]), vec![pair("ops-admin", "mallory")]);

    let applied = remediate(&moto, dir.path(), &[FIXTURE, "--apply", "--yes"]);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    assert_eq!(moto.members("ops-admin"), ["ALICE", "breakglass-admin"]);
    assert_eq!(moto.members("db-read"), ["eve"]);
    assert_eq!(moto.members("old-team"), ["trudy"]);
}

/// remediate's report with its plan, and with each kind of outcome, against
/// schemas/report.schema.json.
#[test]
fn remediate_reports_validate_against_the_report_schema() {
    let moto = Moto::start();
    seed(&moto);
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    let plan_arg = plan.to_str().unwrap();
    let dry = remediate(
        &moto,
        dir.path(),
        &[FIXTURE, "--format", "json", "--plan-out", plan_arg],
    );
    let doc: Value = serde_json::from_str(&dry.stdout).unwrap();
    assert_eq!(removals(&doc["plan"]).len(), 2);
    support::schema::assert_valid_report(&doc, "dry run");

    // eve leaves before the plan is applied (already_absent); IAM denies mallory's removal
    // (failed).
    moto.run(async {
        moto.iam
            .remove_user_from_group()
            .group_name("db-read")
            .user_name("eve")
            .send()
            .await
            .unwrap();
    });
    let proxy = support::FaultProxy::start(&moto.url, |body| {
        (body.contains("Action=RemoveUserFromGroup") && body.contains("UserName=mallory"))
            .then_some(support::Fault::Error(403, "AccessDenied"))
    });
    let apply = |url: &str| {
        let applied = run(symguard("testing", "testing").args([
            "remediate",
            "--endpoint-url",
            url,
            "--plan",
            plan_arg,
            "--apply",
            "--yes",
            "--format",
            "json",
        ]));
        let doc: Value = serde_json::from_str(&applied.stdout).unwrap();
        let outcomes: Vec<String> = doc["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["outcome"].as_str().unwrap().to_string())
            .collect();
        support::schema::assert_valid_report(&doc, "apply");
        outcomes
    };
    assert_eq!(apply(&proxy.url), ["already_absent", "failed"]);
    assert_eq!(apply(&moto.url), ["already_absent", "removed"]);
}
