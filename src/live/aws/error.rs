//! Why live state could not be read, as one sentence for the user, from any AWS SDK
//! client's error: IAM's, STS's, CloudTrail's and S3's share the same HTTP response type.

use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::fmt;

/// Why live state could not be read. Each is one sentence for the user; the run stops
/// with exit code 2, and nothing is reported as missing because of it.
#[derive(Debug)]
pub enum LiveError {
    Credentials(String),
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
            LiveError::Credentials(detail) => write!(
                f,
                "no usable AWS credentials ({detail}); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --profile"
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
        return DisplayErrorContext(error).to_string();
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
            detail: DisplayErrorContext(&error).to_string(),
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
        ) => LiveError::Credentials(detail),
        _ => LiveError::Failed { action, detail },
    }
}
