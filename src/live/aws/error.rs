//! Why live state could not be read, as one sentence for the user, from any AWS SDK
//! client's error: IAM's, STS's, CloudTrail's and S3's share the same HTTP response type.

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use std::fmt;

/// Why live state could not be read. Each is one sentence for the user; the run stops
/// with exit code 2, and nothing is reported as missing because of it.
#[derive(Debug)]
pub enum LiveError {
    Credentials {
        detail: String,
        /// The profile named by `--profile` or `AWS_PROFILE`, when one was.
        profile: Option<String>,
    },
    Unreachable {
        action: &'static str,
        endpoint: String,
        detail: String,
    },
    AccessDenied {
        action: &'static str,
        detail: String,
    },
    Failed {
        action: &'static str,
        detail: String,
    },
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveError::Credentials {
                detail,
                profile: None,
            } => write!(
                f,
                "no usable AWS credentials ({detail}); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --profile"
            ),
            LiveError::Credentials {
                detail,
                profile: Some(profile),
            } => write!(
                f,
                "no usable AWS credentials from the profile `{profile}` ({detail}); check that ~/.aws/config or ~/.aws/credentials defines it (or the files AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name), and for SSO run `aws sso login --profile {profile}`"
            ),
            LiveError::Unreachable {
                action,
                endpoint,
                detail,
            } => write!(
                f,
                "{action} failed: cannot reach AWS {} at {endpoint}: {detail}",
                service_name(action)
            ),
            LiveError::AccessDenied { action, detail } => write!(
                f,
                "access denied: the credentials may not call {action} ({detail}); grant it as in the drift policy of docs/drift.md"
            ),
            LiveError::Failed { action, detail } => write!(f, "{action} failed: {detail}"),
        }
    }
}

impl std::error::Error for LiveError {}

/// The service an action (`iam:GetGroup`) belongs to, as AWS names it.
fn service_name(action: &str) -> &str {
    match action
        .split_once(':')
        .map_or(action, |(service, _)| service)
    {
        "iam" => "IAM",
        "sts" => "STS",
        "cloudtrail" => "CloudTrail",
        "s3" => "S3",
        other => other,
    }
}

/// An error and its sources, each in its own words, on one line: `dispatch failure: io
/// error: tcp connect error: Connection refused (os error 111)`. The SDK's
/// `DisplayErrorContext` ends with the `Debug` form of the whole chain, a screenful of
/// internals; a cause already said by the one before it is not said twice.
pub(super) fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = String::new();
    let mut next = Some(error);
    while let Some(error) = next {
        let said = error.to_string();
        let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
        if !said.is_empty() && !text.contains(&said) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&said);
        }
        next = error.source();
    }
    text
}

/// The server's own words: the parsed error message, else the `<Message>` of the raw
/// answer, else its HTTP status.
fn answer_message<E>(error: &SdkError<E, aws_sdk_iam::config::http::HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let Some(message) = error.message() {
        return message.to_string();
    }
    let Some(raw) = error.raw_response() else {
        return causes(error);
    };
    let body = raw
        .body()
        .bytes()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    body.split_once("<Message>")
        .and_then(|(_, rest)| rest.split_once("</Message>"))
        .map_or_else(
            || format!("HTTP status {}", raw.status().as_u16()),
            |(message, _)| message.to_string(),
        )
}

pub(super) fn classify<E>(
    action: &'static str,
    endpoint: &str,
    error: SdkError<E, aws_sdk_iam::config::http::HttpResponse>,
) -> LiveError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let unreachable = match &error {
        SdkError::DispatchFailure(d) => d.is_io() || d.is_timeout(),
        SdkError::TimeoutError(_) => true,
        _ => false,
    };
    if unreachable {
        return LiveError::Unreachable {
            action,
            endpoint: endpoint.to_string(),
            detail: causes(&error),
        };
    }
    let status = error.raw_response().map(|r| r.status().as_u16());
    let detail = answer_message(&error);
    match (error.code(), status) {
        // Some IAM-compatible servers (moto among them) answer a denial in a shape the SDK
        // does not parse, so the HTTP status decides when there is no error code.
        (Some("AccessDenied" | "AccessDeniedException"), _) | (None, Some(403)) => {
            LiveError::AccessDenied { action, detail }
        }
        (
            Some(
                "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
                | "ExpiredToken"
                | "UnrecognizedClientException",
            ),
            _,
        ) => LiveError::Credentials {
            detail,
            profile: None,
        },
        _ => LiveError::Failed { action, detail },
    }
}
