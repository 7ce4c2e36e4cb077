//! A real IAM endpoint for tests: one moto server per test, on a free loopback port, so
//! tests run in parallel without seeing each other's groups. Also symguard's Python wheel,
//! built for the tests that install it (wheel.rs).

pub mod pipeline;
pub mod proxy;
pub mod schema;
pub mod trail;
pub mod wheel;

pub use proxy::{Fault, FaultProxy};

use aws_sdk_iam::Client;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ACCOUNT: &str = "123456789012";

pub struct Moto {
    /// The server, owned by the `Moto` that started it.
    child: Option<Child>,
    pub url: String,
    pub runtime: tokio::runtime::Runtime,
    pub iam: Client,
}

impl Moto {
    pub fn start() -> Moto {
        let server = std::env::var_os("SYMGUARD_MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".venv/bin/moto_server"));
        assert!(
            server.exists(),
            "moto_server not found at {}: run scripts/test, which installs it into .venv",
            server.display()
        );
        let port = free_port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // The AWS managed policies (ReadOnlyAccess, ...) that tests attach.
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", server.display()));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let url = format!("http://127.0.0.1:{port}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let iam = client(&url, "testing", "testing");
        Moto {
            child: Some(child),
            url,
            runtime,
            iam,
        }
    }

    /// A seeding client in another account: moto puts whatever assumed-role credentials
    /// do into the account of the role's ARN.
    pub fn in_account(&self, account: &str) -> Moto {
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::Config::builder()
                .behavior_version_latest()
                .endpoint_url(&self.url)
                .region(aws_sdk_sts::config::Region::new("us-east-1"))
                .credentials_provider(aws_credential_types::Credentials::new(
                    "testing", "testing", None, None, "tests",
                ))
                .build(),
        );
        let credentials = self.run(async {
            sts.assume_role()
                .role_arn(format!("arn:aws:iam::{account}:role/seed"))
                .role_session_name("seed")
                .send()
                .await
                .unwrap()
                .credentials
                .unwrap()
        });
        let config = aws_sdk_iam::Config::builder()
            .behavior_version_latest()
            .endpoint_url(&self.url)
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                credentials.access_key_id(),
                credentials.secret_access_key(),
                Some(credentials.session_token().to_string()),
                None,
                "tests",
            ))
            .build();
        Moto {
            child: None,
            url: self.url.clone(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            iam: Client::from_conf(config),
        }
    }

    /// From now on moto enforces IAM policies: requests need credentials of a user whose
    /// policies allow them (through moto's own `reset-auth` endpoint).
    pub fn enforce_iam_policies(&self) {
        use std::io::{Read, Write};
        let address = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).unwrap();
        write!(
            stream,
            "POST /moto-api/reset-auth HTTP/1.1\r\nHost: {address}\r\nContent-Length: 1\r\nConnection: close\r\n\r\n0"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }

    /// A user with this inline policy, and their access key (id, secret).
    pub fn user_with_policy(&self, name: &str, policy: &str) -> (String, String) {
        self.run(async {
            self.iam.create_user().user_name(name).send().await.unwrap();
            self.iam
                .put_user_policy()
                .user_name(name)
                .policy_name("policy")
                .policy_document(policy)
                .send()
                .await
                .unwrap();
            let key = self
                .iam
                .create_access_key()
                .user_name(name)
                .send()
                .await
                .unwrap();
            let key = key.access_key().unwrap();
            (
                key.access_key_id().to_string(),
                key.secret_access_key().to_string(),
            )
        })
    }

    /// Runs one seeding call to completion.
    pub fn run<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    pub fn group(&self, path: &str, name: &str, members: &[&str]) {
        self.run(async {
            self.iam
                .create_group()
                .path(path)
                .group_name(name)
                .send()
                .await
                .unwrap();
            for user in members {
                self.user(user).await;
                self.iam
                    .add_user_to_group()
                    .group_name(name)
                    .user_name(*user)
                    .send()
                    .await
                    .unwrap();
            }
        });
    }

    async fn user(&self, name: &str) {
        let exists = self.iam.get_user().user_name(name).send().await.is_ok();
        if !exists {
            self.iam.create_user().user_name(name).send().await.unwrap();
        }
    }

    pub fn role(&self, path: &str, name: &str, max_session: i32, inline_policy: &str) {
        self.run(async {
            self.iam
                .create_role()
                .path(path)
                .role_name(name)
                .max_session_duration(max_session)
                .assume_role_policy_document(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#,
                )
                .send()
                .await
                .unwrap();
            self.iam
                .put_role_policy()
                .role_name(name)
                .policy_name("inline")
                .policy_document(inline_policy)
                .send()
                .await
                .unwrap();
        });
    }

    pub fn group_policy(&self, group: &str, policy: &str) {
        self.run(async {
            self.iam
                .put_group_policy()
                .group_name(group)
                .policy_name("inline")
                .policy_document(policy)
                .send()
                .await
                .unwrap();
        });
    }

    pub fn attach(&self, group: &str, policy_arn: &str) {
        self.run(async {
            self.iam
                .attach_group_policy()
                .group_name(group)
                .policy_arn(policy_arn)
                .send()
                .await
                .unwrap();
        });
    }

    pub fn members(&self, group: &str) -> Vec<String> {
        self.run(async {
            let answer = self.iam.get_group().group_name(group).send().await.unwrap();
            let mut users: Vec<String> = answer
                .users()
                .iter()
                .map(|u| u.user_name().to_string())
                .collect();
            users.sort();
            users
        })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn client(url: &str, key: &str, secret: &str) -> Client {
    let credentials = aws_credential_types::Credentials::new(key, secret, None, None, "tests");
    let config = aws_sdk_iam::Config::builder()
        .behavior_version_latest()
        .endpoint_url(url)
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .build();
    Client::from_conf(config)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The symguard binary with credentials for moto and nothing from the developer's own
/// AWS setup.
pub fn symguard(key: &str, secret: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("symguard").unwrap();
    for var in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_CONFIG_FILE", "/nonexistent/symguard-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/symguard-test/credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // moto records no CloudTrail events: only the provenance tests read them
        // (provenance.rs, through support::trail), and they say so with --cloudtrail.
        .env("SYMGUARD_CLOUDTRAIL", "off")
        .env("NO_COLOR", "1");
    cmd
}
