//! Membership provenance end to end, through the binary: memberships made by real
//! `AddUserToGroup` calls with different credentials (Sym's connector role, a human at the
//! console, a Terraform CI role) against moto, recorded as CloudTrail records by the test
//! proxy (support::trail), and read back by `drift`, `snapshot` and `remediate` from the
//! event history (`LookupEvents`), from a trail's log files in S3, and from a snapshot.

use crate::support;

use crate::support::proxy::{first, Fault, FaultProxy};
use crate::support::trail::{Identity, Trail, TERRAFORM_AGENT};
use crate::support::{symguard, Moto, ACCOUNT};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

const FIXTURE: &str = "fixtures/provenance";

const CONNECTOR_KEY: &str = "AKIASYMCONNECTOR";
const CONSOLE_KEY: &str = "AKIAHUMANCONSOLE";
const TERRAFORM_KEY: &str = "AKIATERRAFORMCI1";
/// symguard's own credentials, whose removals the proxy records too.
const SYMGUARD_KEY: &str = "testing";

const MANAGE_GROUPS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:AddUserToGroup","iam:RemoveUserFromGroup"],"Resource":"arn:aws:iam::123456789012:group/sym/*"}]}"#;

struct Scenario {
    moto: Moto,
    trail: Arc<Trail>,
    /// Records membership writes and plays CloudTrail, without faults.
    proxy: FaultProxy,
}

/// The group `ops-admin`, whose flow grants at most 1h, with: alice, whom Sym added 10
/// minutes ago (active); bob, whom Sym added 3 hours ago (overdue); mallory, added from
/// the console by the IAM user admin-jane two days ago; tf-deployer, added by the
/// Terraform CI role yesterday; olduser, added before any event recorded; and
/// breakglass, allowed by the fixture's [[allow]] entry.
fn scenario() -> Scenario {
    let moto = Moto::start();
    let trail = Arc::new(Trail::new(
        ACCOUNT,
        2,
        &[
            (
                CONNECTOR_KEY,
                Identity::assumed_role(ACCOUNT, "/sym/", "SymIAMProd", "sym-runtime"),
            ),
            (
                CONSOLE_KEY,
                Identity::iam_user(ACCOUNT, "admin-jane").calling_with("console.amazonaws.com"),
            ),
            (
                TERRAFORM_KEY,
                Identity::assumed_role(ACCOUNT, "/", "TerraformCI", "ci-run-42")
                    .calling_with(TERRAFORM_AGENT),
            ),
            (SYMGUARD_KEY, Identity::iam_user(ACCOUNT, "symguard-ci")),
        ],
    ));
    let proxy = FaultProxy::recording(&moto.url, trail.clone(), |_| None);
    moto.role("/sym/", "SymIAMProd", 3600, MANAGE_GROUPS);
    // Straight to moto, so CloudTrail has no record of them.
    moto.group("/sym/", "ops-admin", &["olduser", "breakglass"]);
    for user in ["alice", "bob", "mallory", "tf-deployer"] {
        moto.run(async { moto.iam.create_user().user_name(user).send().await.unwrap() });
    }
    let add = |key: &str, user: &str, ago: Duration| {
        trail.backdate(ago);
        let iam = support::client(&proxy.url, key, "secret");
        moto.run(async {
            iam.add_user_to_group()
                .group_name("ops-admin")
                .user_name(user)
                .send()
                .await
                .unwrap()
        });
    };
    add(CONSOLE_KEY, "mallory", Duration::from_secs(2 * 86_400));
    add(TERRAFORM_KEY, "tf-deployer", Duration::from_secs(86_400));
    add(CONNECTOR_KEY, "bob", Duration::from_secs(3 * 3600));
    add(CONNECTOR_KEY, "alice", Duration::from_secs(600));
    trail.in_real_time();
    Scenario { moto, trail, proxy }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = symguard(SYMGUARD_KEY, "testing")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn drift(url: &str, source: &str) -> Run {
    run(&[
        "drift",
        FIXTURE,
        "--endpoint-url",
        url,
        "--cloudtrail",
        source,
        "--format",
        "json",
    ])
}

/// Each finding as (rule, user, class, who added them, how, CloudTrail event).
fn findings(run: &Run) -> Vec<[String; 6]> {
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let text = |v: &Value| v.as_str().unwrap_or("-").to_string();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let message = f["message"].as_str().unwrap();
            let user = message.split('`').nth(1).unwrap().to_string();
            let p = &f["provenance"];
            [
                text(&f["rule"]),
                user,
                text(&p["class"]),
                text(&p["event"]["actor"]["name"]),
                text(&p["channel"]),
                text(&p["event"]["id"]),
            ]
        })
        .collect()
}

fn event_of(trail: &Trail, user: &str) -> String {
    trail
        .records()
        .iter()
        .find(|r| r["requestParameters"]["userName"] == user)
        .map(|r| r["eventID"].as_str().unwrap().to_string())
        .unwrap()
}

fn expected(trail: &Trail) -> Vec<[String; 6]> {
    let row = |rule: &str, user: &str, class: &str, actor: &str, channel: &str| {
        let event = match class {
            "origin_unknown" => "-".to_string(),
            _ => event_of(trail, user),
        };
        [rule, user, class, actor, channel]
            .map(str::to_string)
            .into_iter()
            .chain([event])
            .collect::<Vec<_>>()
            .try_into()
            .unwrap()
    };
    // In report order: the members at the target, then the overdue grant at the flow's
    // duration.
    vec![
        row(
            "drift-unexpected-member",
            "mallory",
            "added_outside_sym",
            "admin-jane",
            "console",
        ),
        row(
            "drift-unexpected-member",
            "olduser",
            "origin_unknown",
            "-",
            "-",
        ),
        row(
            "drift-unexpected-member",
            "tf-deployer",
            "added_outside_sym",
            "ci-run-42",
            "terraform",
        ),
        row(
            "drift-overdue-grant",
            "bob",
            "overdue_sym_grant",
            "sym-runtime",
            "sdk",
        ),
    ]
}

#[test]
fn drift_tells_sym_grants_from_standing_access_from_every_source() {
    let s = scenario();
    let want = expected(&s.trail);

    // The event history, in pages of two events.
    let lookup = drift(&s.proxy.url, "lookup");
    assert_eq!(findings(&lookup), want, "{}", lookup.stdout);
    assert!(
        s.trail.lookups() >= 3,
        "{} LookupEvents requests",
        s.trail.lookups()
    );
    let doc: Value = serde_json::from_str(&lookup.stdout).unwrap();
    let members: Vec<(&str, &str)> = doc["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user"].as_str().unwrap(),
                m["provenance"]["class"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        members,
        [("alice", "active_sym_grant"), ("breakglass", "allowed")]
    );
    let mallory = &doc["findings"][0]["message"];
    assert!(
        mallory.as_str().unwrap().contains(
            "by `arn:aws:iam::123456789012:user/admin-jane` (IAM user `admin-jane`) from the AWS console"
        ),
        "{mallory}"
    );

    // The same records as a trail's log files in moto's S3.
    s.trail.deliver(&s.moto.url, "org-trail", "cloudtrail");
    let files = drift(&s.proxy.url, "s3://org-trail/cloudtrail");
    assert_eq!(findings(&files), want, "{}{}", files.stdout, files.stderr);

    // A snapshot, compared offline.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let state = state.to_str().unwrap();
    let snapshot = run(&[
        "snapshot",
        FIXTURE,
        "--endpoint-url",
        &s.proxy.url,
        "--cloudtrail",
        "lookup",
        "-o",
        state,
    ]);
    assert_eq!(snapshot.code, 0, "{}", snapshot.stderr);
    let offline = run(&["drift", FIXTURE, "--state", state, "--format", "json"]);
    assert_eq!(findings(&offline), want);

    // Without provenance every unexplained member is reported, and the summary says so.
    let off = run(&[
        "drift",
        FIXTURE,
        "--endpoint-url",
        &s.proxy.url,
        "--cloudtrail",
        "off",
    ]);
    assert_eq!(off.code, 1);
    assert!(off.stdout.contains("provenance not read"), "{}", off.stdout);
    assert_eq!(
        off.stdout.matches("drift-unexpected-member").count(),
        5,
        "{}",
        off.stdout
    );
}

#[test]
fn remediate_removes_exactly_the_standing_access_and_converges() {
    let s = scenario();
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let apply = |url: &str| {
        run(&[
            "remediate",
            FIXTURE,
            "--endpoint-url",
            url,
            "--cloudtrail",
            "lookup",
            "--apply",
            "--yes",
            "--audit-log",
            audit.to_str().unwrap(),
        ])
    };
    let first_run = apply(&s.proxy.url);
    assert_eq!(
        first_run.code, 0,
        "{}{}",
        first_run.stdout, first_run.stderr
    );
    assert!(
        first_run
            .stdout
            .contains("4 removed, 0 skipped (already absent), 0 failed"),
        "{}",
        first_run.stdout
    );
    assert_eq!(s.moto.members("ops-admin"), ["alice", "breakglass"]);

    let rerun = apply(&s.proxy.url);
    assert_eq!(rerun.code, 0, "{}{}", rerun.stdout, rerun.stderr);
    assert!(
        rerun.stdout.contains("nothing to remove"),
        "{}",
        rerun.stdout
    );
    assert_eq!(s.moto.members("ops-admin"), ["alice", "breakglass"]);
}

#[test]
fn a_member_sym_added_again_after_the_plan_is_not_removed() {
    let s = scenario();
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    let audit = dir.path().join("audit.jsonl");
    let planned = run(&[
        "remediate",
        FIXTURE,
        "--endpoint-url",
        &s.proxy.url,
        "--cloudtrail",
        "lookup",
        "--plan-out",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(planned.code, 1, "{}{}", planned.stdout, planned.stderr);

    // bob asks again and Sym grants it before the plan is applied.
    let connector = support::client(&s.proxy.url, CONNECTOR_KEY, "secret");
    s.moto.run(async {
        connector
            .add_user_to_group()
            .group_name("ops-admin")
            .user_name("bob")
            .send()
            .await
            .unwrap()
    });

    let applied = run(&[
        "remediate",
        "--plan",
        plan.to_str().unwrap(),
        "--endpoint-url",
        &s.proxy.url,
        "--cloudtrail",
        "lookup",
        "--apply",
        "--yes",
        "--audit-log",
        audit.to_str().unwrap(),
    ]);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    assert!(
        applied
            .stdout
            .contains("3 removed, 0 skipped (already absent), 1 skipped (added again)"),
        "{}",
        applied.stdout
    );
    assert_eq!(s.moto.members("ops-admin"), ["alice", "bob", "breakglass"]);
    let log = std::fs::read_to_string(&audit).unwrap();
    let bob: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["user"] == "bob" && r["outcome"] != "started")
        .collect();
    assert_eq!(bob.len(), 1, "{log}");
    assert_eq!(bob[0]["outcome"], "added_again");
    let detail = bob[0]["detail"].as_str().unwrap();
    assert!(detail.contains("session `sym-runtime`"), "{detail}");
}

#[test]
fn throttled_lookups_are_retried_and_give_the_same_findings() {
    let s = scenario();
    let throttled = FaultProxy::recording(
        &s.moto.url,
        s.trail.clone(),
        first(
            2,
            |body| body.contains("LookupAttributes"),
            Fault::Error(400, "ThrottlingException"),
        ),
    );
    let run = drift(&throttled.url, "lookup");
    assert_eq!(throttled.injected(), 2);
    assert_eq!(findings(&run), expected(&s.trail), "{}", run.stderr);
}

#[test]
fn a_failing_or_denied_provenance_read_reports_nothing_and_removes_nobody() {
    let s = scenario();
    for (fault, says) in [
        (
            Fault::Error(500, "InternalServerError"),
            "cloudtrail:LookupEvents failed",
        ),
        (
            Fault::Error(400, "AccessDeniedException"),
            "--cloudtrail s3://BUCKET/PREFIX, or pass --cloudtrail off",
        ),
    ] {
        let failing = FaultProxy::recording(&s.moto.url, s.trail.clone(), move |body| {
            body.contains("LookupAttributes").then_some(fault)
        });
        let drift = drift(&failing.url, "lookup");
        assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
        assert_eq!(drift.stdout, "");
        assert!(drift.stderr.contains(says), "{}", drift.stderr);
        assert_eq!(drift.stderr.trim().lines().count(), 1, "{}", drift.stderr);

        let remediate = run(&[
            "remediate",
            FIXTURE,
            "--endpoint-url",
            &failing.url,
            "--cloudtrail",
            "lookup",
            "--apply",
            "--yes",
        ]);
        assert_eq!(remediate.code, 2, "{}", remediate.stderr);
        assert_eq!(
            s.moto.members("ops-admin"),
            [
                "alice",
                "bob",
                "breakglass",
                "mallory",
                "olduser",
                "tf-deployer"
            ]
        );
    }
}

#[test]
fn a_trail_bucket_without_the_accounts_logs_is_an_error() {
    let s = scenario();
    s.trail.deliver(&s.moto.url, "org-trail", "cloudtrail");
    let run = drift(&s.proxy.url, "s3://org-trail/elsewhere");
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("holds no CloudTrail logs of account 123456789012"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_lookup_window_past_the_event_history_starts_where_the_history_does() {
    // CloudTrail's event history holds 90 days: asked for 200, the window read, and what
    // a member of unknown origin is said to predate, starts 90 days back.
    let s = scenario();
    let run = run(&[
        "drift",
        FIXTURE,
        "--endpoint-url",
        &s.proxy.url,
        "--cloudtrail",
        "lookup",
        "--lookback",
        "200d",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let olduser = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["message"].as_str().unwrap().starts_with("user `olduser`"))
        .unwrap();
    let start = olduser["provenance"]["window_start"].as_str().unwrap();
    let age = SystemTime::now()
        .duration_since(humantime::parse_rfc3339(start).unwrap())
        .unwrap();
    let ninety_days = Duration::from_secs(90 * 86_400);
    assert!(
        age >= ninety_days && age < ninety_days + Duration::from_secs(600),
        "window start {start}"
    );
    assert!(olduser["message"]
        .as_str()
        .unwrap()
        .contains(&format!("added before {start}")));
}
