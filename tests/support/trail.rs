//! CloudTrail for the provenance tests. moto records no CloudTrail events and has no
//! `LookupEvents`, so the test proxy (proxy.rs) plays CloudTrail's part in front of moto:
//! every IAM membership write it forwards (`AddUserToGroup`, `RemoveUserFromGroup`) becomes
//! a record in CloudTrail's documented record format, with the identity of the access key
//! that signed the request; `LookupEvents` is answered from those records in CloudTrail's
//! JSON 1.1 protocol, newest first, in `NextToken` pages of a few events; and `deliver`
//! writes them into moto's S3 as a trail does, gzipped log files under
//! `AWSLogs/ACCOUNT/CloudTrail/us-east-1/YYYY/MM/DD/`. So symguard's real CloudTrail and S3
//! clients, with their signing, pagination and retries, read what real calls did.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Who signed with an access key, as CloudTrail's `userIdentity` shows it.
#[derive(Clone)]
pub struct Identity {
    user_identity: serde_json::Value,
    /// The `userAgent` CloudTrail records for this identity's calls (the console's own,
    /// Terraform's), else the request's `User-Agent`.
    user_agent: Option<String>,
}

impl Identity {
    pub fn iam_user(account: &str, name: &str) -> Identity {
        Identity {
            user_identity: serde_json::json!({
                "type": "IAMUser",
                "principalId": format!("AIDA{}", name.to_uppercase()),
                "arn": format!("arn:aws:iam::{account}:user/{name}"),
                "accountId": account,
                "userName": name,
            }),
            user_agent: None,
        }
    }

    /// A session of the role `path` + `name` (the path as IAM writes it, `/` or `/sym/`).
    pub fn assumed_role(account: &str, path: &str, name: &str, session: &str) -> Identity {
        Identity {
            user_identity: serde_json::json!({
                "type": "AssumedRole",
                "principalId": format!("AROA{}:{session}", name.to_uppercase()),
                "arn": format!("arn:aws:sts::{account}:assumed-role/{name}/{session}"),
                "accountId": account,
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": format!("AROA{}", name.to_uppercase()),
                        "arn": format!("arn:aws:iam::{account}:role{path}{name}"),
                        "accountId": account,
                        "userName": name,
                    },
                    "attributes": {"creationDate": "2026-01-01T00:00:00Z", "mfaAuthenticated": "false"},
                },
            }),
            user_agent: None,
        }
    }

    /// As CloudTrail records calls made through this client: `console.amazonaws.com`, or
    /// the Terraform AWS provider's user agent.
    pub fn calling_with(mut self, user_agent: &str) -> Identity {
        self.user_agent = Some(user_agent.to_string());
        self
    }
}

/// The Terraform AWS provider's `userAgent`, as CloudTrail records it.
pub const TERRAFORM_AGENT: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.6 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64 api/iam#1.38.2";

pub struct Trail {
    account: String,
    identities: HashMap<String, Identity>,
    /// Events a `LookupEvents` page holds at most (CloudTrail: 50).
    page: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    records: Vec<serde_json::Value>,
    /// The `eventTime` of the calls recorded from now on; `None`: the real time.
    clock: Option<SystemTime>,
    /// `LookupEvents` requests answered.
    lookups: usize,
}

impl Trail {
    pub fn new(account: &str, page: usize, identities: &[(&str, Identity)]) -> Trail {
        Trail {
            account: account.to_string(),
            identities: identities
                .iter()
                .map(|(key, identity)| (key.to_string(), identity.clone()))
                .collect(),
            page,
            state: Mutex::new(State::default()),
        }
    }

    /// Records the calls that follow as made `ago` in the past.
    pub fn backdate(&self, ago: Duration) {
        self.state.lock().unwrap().clock = Some(SystemTime::now() - ago);
    }

    /// Records the calls that follow at the time they are made.
    pub fn in_real_time(&self) {
        self.state.lock().unwrap().clock = None;
    }

    pub fn records(&self) -> Vec<serde_json::Value> {
        self.state.lock().unwrap().records.clone()
    }

    pub fn lookups(&self) -> usize {
        self.state.lock().unwrap().lookups
    }

    /// Records an IAM call the proxy forwarded and IAM accepted: its request head and
    /// form body. Only membership writes are recorded.
    pub(super) fn record(&self, head: &str, body: &str) {
        let form: HashMap<String, String> = body
            .split('&')
            .filter_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                let decode = |s: &str| {
                    percent_encoding::percent_decode_str(&s.replace('+', " "))
                        .decode_utf8_lossy()
                        .to_string()
                };
                Some((decode(k), decode(v)))
            })
            .collect();
        let Some(name) = form
            .get("Action")
            .filter(|a| matches!(a.as_str(), "AddUserToGroup" | "RemoveUserFromGroup"))
        else {
            return;
        };
        let key = head
            .split("Credential=")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default();
        let identity = self
            .identities
            .get(key)
            .unwrap_or_else(|| panic!("the trail knows no identity for the access key {key}"));
        let agent = identity.user_agent.clone().unwrap_or_else(|| {
            head.lines()
                .find_map(|l| {
                    let (n, v) = l.split_once(':')?;
                    n.eq_ignore_ascii_case("user-agent")
                        .then(|| v.trim().to_string())
                })
                .unwrap_or_default()
        });
        let mut state = self.state.lock().unwrap();
        let time = state.clock.unwrap_or_else(SystemTime::now);
        let n = state.records.len() + 1;
        let record = serde_json::json!({
            "eventVersion": "1.10",
            "userIdentity": identity.user_identity,
            "eventTime": humantime::format_rfc3339_seconds(time).to_string(),
            "eventSource": "iam.amazonaws.com",
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7",
            "userAgent": agent,
            "requestParameters": {
                "groupName": form.get("GroupName"),
                "userName": form.get("UserName"),
            },
            "responseElements": null,
            "requestID": format!("req-{n:08}"),
            "eventID": format!("0e9f7c3a-0000-4000-8000-{n:012}"),
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": self.account,
            "eventCategory": "Management",
        });
        state.records.push(record);
    }

    /// The answer to one `LookupEvents` request (its JSON body): the matching records,
    /// newest first, one page from the request's `NextToken`.
    pub(super) fn lookup_events(&self, body: &str) -> String {
        let request: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let name = request["LookupAttributes"][0]["AttributeValue"]
            .as_str()
            .map(str::to_string);
        let seconds = |key: &str| request[key].as_f64();
        let (start, end) = (seconds("StartTime"), seconds("EndTime"));
        let mut state = self.state.lock().unwrap();
        state.lookups += 1;
        let mut events: Vec<&serde_json::Value> = state
            .records
            .iter()
            .filter(|r| name.is_none() || r["eventName"].as_str() == name.as_deref())
            .filter(|r| {
                let t = epoch(r["eventTime"].as_str().unwrap());
                start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e)
            })
            .collect();
        events.sort_by(|a, b| {
            epoch(b["eventTime"].as_str().unwrap())
                .total_cmp(&epoch(a["eventTime"].as_str().unwrap()))
        });
        let from: usize = request["NextToken"]
            .as_str()
            .and_then(|t| t.strip_prefix("page-")?.parse().ok())
            .unwrap_or(0);
        let size = request["MaxResults"]
            .as_u64()
            .map_or(self.page, |m| (m as usize).min(self.page));
        let page: Vec<serde_json::Value> = events
            .iter()
            .skip(from)
            .take(size)
            .map(|r| {
                serde_json::json!({
                    "EventId": r["eventID"],
                    "EventName": r["eventName"],
                    "ReadOnly": "false",
                    "EventTime": epoch(r["eventTime"].as_str().unwrap()),
                    "EventSource": "iam.amazonaws.com",
                    "Username": r["userIdentity"]["userName"],
                    "Resources": [],
                    "CloudTrailEvent": r.to_string(),
                })
            })
            .collect();
        let mut answer = serde_json::json!({ "Events": page });
        if from + size < events.len() {
            answer["NextToken"] = format!("page-{}", from + size).into();
        }
        answer.to_string()
    }

    /// Writes the records into `bucket` as a trail delivers them: one gzipped log file
    /// per hour of events, under `prefix/AWSLogs/ACCOUNT/CloudTrail/us-east-1/YYYY/MM/DD/`.
    pub fn deliver(&self, s3_url: &str, bucket: &str, prefix: &str) {
        let mut files: std::collections::BTreeMap<String, Vec<serde_json::Value>> =
            Default::default();
        for record in self.records() {
            let time = record["eventTime"].as_str().unwrap().to_string();
            let (date, hour) = (&time[..10], &time[11..13]);
            let key = format!(
                "{prefix}/AWSLogs/{account}/CloudTrail/us-east-1/{}/{account}_CloudTrail_us-east-1_{}T{hour}00Z_test.json.gz",
                date.replace('-', "/"),
                date.replace('-', ""),
                account = self.account,
            );
            files.entry(key).or_default().push(record);
        }
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::Config::builder()
                .behavior_version_latest()
                .endpoint_url(s3_url)
                .force_path_style(true)
                .region(aws_sdk_s3::config::Region::new("us-east-1"))
                .credentials_provider(aws_credential_types::Credentials::new(
                    "testing", "testing", None, None, "tests",
                ))
                .build(),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let _ = s3.create_bucket().bucket(bucket).send().await;
            for (key, records) in files {
                let mut gz =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                gz.write_all(
                    serde_json::json!({ "Records": records })
                        .to_string()
                        .as_bytes(),
                )
                .unwrap();
                s3.put_object()
                    .bucket(bucket)
                    .key(key)
                    .body(gz.finish().unwrap().into())
                    .send()
                    .await
                    .unwrap();
            }
        });
    }
}

fn epoch(time: &str) -> f64 {
    humantime::parse_rfc3339(time)
        .unwrap()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}
