//! Talking to AWS: the region and endpoints the pod's SDK would use, SDK clients built from
//! them, and SDK errors sorted into what a diagnosis needs (AWS said no; nobody answered; the
//! answer made no sense), with the whole error chain kept, redacted, as evidence.

pub mod clock;
pub mod ec2;
pub mod rds_token;
pub mod region;

use std::error::Error as StdError;
use std::time::Duration;

use aws_sdk_sts::config::SharedCredentialsProvider;
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

pub use region::{Endpoint, EndpointKind, ResolvedRegion};

use crate::outcome::Evidence;
use crate::world::World;

/// Every AWS API action connector-doctor may call, as `service:Action`. It reads and it proves
/// identities; it never changes anything. The end-to-end tests compare every call the lab
/// records against this list, so a new call cannot slip in unnoticed.
pub const ALLOWED_ACTIONS: &[&str] = &[
    "sts:GetCallerIdentity",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRole",
    "iam:GetRole",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "rds:DescribeDBInstances",
    "rds:DescribeDBClusters",
    "rds:DescribeDBProxies",
    "rds-db:connect",
    "redshift:DescribeClusters",
    "redshift:GetClusterCredentials",
    "redshift:GetClusterCredentialsWithIAM",
    "redshift-serverless:GetWorkgroup",
    "redshift-serverless:GetCredentials",
    "redshift-data:ExecuteStatement",
    "redshift-data:DescribeStatement",
    "redshift-data:GetStatementResult",
    "redshift-data:CancelStatement",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
];

/// How an AWS call went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFailure {
    /// AWS answered with an error.
    Service {
        /// The error code, such as `AccessDenied`.
        code: String,
        /// AWS's message.
        message: String,
        /// The request id.
        request_id: Option<String>,
        /// The HTTP status.
        status: Option<u16>,
    },
    /// Nothing useful came back from the endpoint.
    Unreachable {
        /// How: timeout, refused, DNS, …
        kind: Unreachable,
        /// The whole error chain.
        detail: String,
    },
    /// An answer came back that is not the service's reply.
    Garbled {
        /// The HTTP status, if any.
        status: Option<u16>,
        /// The whole error chain.
        detail: String,
    },
    /// The request could not even be built or signed.
    Local {
        /// The whole error chain.
        detail: String,
    },
}

/// Ways an endpoint can be unreachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// No answer in time.
    Timeout,
    /// The connection was refused.
    Refused,
    /// The name did not resolve.
    Dns,
    /// Another transport failure.
    Other,
}

impl Unreachable {
    /// A phrase for summaries.
    pub fn phrase(self) -> &'static str {
        match self {
            Unreachable::Timeout => "timed out",
            Unreachable::Refused => "refused the connection",
            Unreachable::Dns => "did not resolve",
            Unreachable::Other => "could not be reached",
        }
    }
}

impl CallFailure {
    /// Sorts an SDK error.
    pub fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let detail = DisplayErrorContext(err).to_string();
        let raw = err.raw_response();
        let status = raw.map(|r| r.status().as_u16());
        match err {
            SdkError::ServiceError(_) => {
                // An error whose code the SDK could not read (a proxy or an emulator that nests
                // its <Error> one level deeper) is read from the raw body instead.
                let body = raw.and_then(|r| r.body().bytes()).map(String::from_utf8_lossy);
                let from_body = |tag: &str| body.as_deref().and_then(|b| xml_text(b, tag));
                let code = err
                    .code()
                    .map(str::to_owned)
                    .or_else(|| from_body("Code"))
                    .unwrap_or_else(|| "Unknown".into());
                let message =
                    err.message().map(str::to_owned).or_else(|| from_body("Message")).unwrap_or_default();
                let request_id =
                    err.meta().extra("aws_request_id").map(str::to_owned).or_else(|| from_body("RequestId"));
                CallFailure::Service { code, message, request_id, status }
            }
            SdkError::TimeoutError(_) => CallFailure::Unreachable { kind: Unreachable::Timeout, detail },
            SdkError::DispatchFailure(d) => {
                let kind = if d.is_timeout() { Unreachable::Timeout } else { transport_kind(&detail) };
                CallFailure::Unreachable { kind, detail }
            }
            SdkError::ResponseError(_) => CallFailure::Garbled { status, detail },
            _ => CallFailure::Local { detail },
        }
    }

    /// Evidence of this failure for the call `call` to `endpoint`.
    pub fn evidence(&self, call: &str, endpoint: &str, took: Duration) -> Evidence {
        let e = Evidence::call(call).endpoint(endpoint).took(took);
        match self {
            CallFailure::Service { code, message, request_id, status } => {
                let e = e.error_code(code).message(message).request_id(request_id.as_deref());
                match status {
                    Some(s) => e.http_status(*s),
                    None => e,
                }
            }
            CallFailure::Unreachable { detail, .. } | CallFailure::Local { detail } => e.message(detail),
            CallFailure::Garbled { status, detail } => {
                let e = e.message(detail);
                match status {
                    Some(s) => e.http_status(*s),
                    None => e,
                }
            }
        }
    }
}

/// The text of the first `<tag>…</tag>` in an XML body, unescaped.
pub(crate) fn xml_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&format!("</{tag}>"))?;
    let text = body[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    Some(text).filter(|t| !t.trim().is_empty())
}

/// Reads a transport error chain for the cause a person cares about.
pub fn transport_kind(detail: &str) -> Unreachable {
    let lower = detail.to_ascii_lowercase();
    if lower.contains("refused") {
        Unreachable::Refused
    } else if lower.contains("dns")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        Unreachable::Dns
    } else if lower.contains("timed out") || lower.contains("timeout") {
        Unreachable::Timeout
    } else {
        Unreachable::Other
    }
}

/// Builds a client of SDK crate `$sdk` for one check: short timeouts (a dead endpoint costs
/// seconds, not the SDK's minutes), one retry for a throttle or a dropped packet, the endpoint
/// when one is given, and the clock watch.
macro_rules! client {
    ($sdk:ident, $world:expr, $region:expr, $endpoint:expr, $credentials:expr, $budget:expr) => {{
        let budget: Duration = $budget;
        let attempt = budget.mul_f64(0.45);
        let mut builder = $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new(String::from($region)))
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(attempt.min(Duration::from_secs(3)))
                    .operation_attempt_timeout(attempt)
                    .operation_timeout(budget)
                    .build(),
            )
            .interceptor(clock::Watch::new($world));
        let endpoint: Option<String> = $endpoint;
        if let Some(url) = endpoint {
            builder = builder.endpoint_url(url);
        }
        let credentials: Option<SharedCredentialsProvider> = $credentials;
        if let Some(provider) = credentials {
            builder = builder.credentials_provider(provider);
        }
        $sdk::Client::from_conf(builder.build())
    }};
}

/// An STS client for `endpoint` (the regional or global one, as the pod's SDK would choose).
pub fn sts_client(
    world: &World,
    region: &str,
    endpoint: &Endpoint,
    credentials: Option<SharedCredentialsProvider>,
    budget: Duration,
) -> aws_sdk_sts::Client {
    client!(aws_sdk_sts, world, region, Some(endpoint.url.clone()), credentials, budget)
}

/// The endpoint to set on a client of a regional service, when the pod overrides it
/// (`AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL`); otherwise the SDK resolves it.
fn overridden(world: &World, env_suffix: &str, host_prefix: &str, region: &str) -> Option<String> {
    let endpoint = region::endpoint(world, env_suffix, host_prefix, region);
    (endpoint.kind == EndpointKind::Override).then_some(endpoint.url)
}

/// An IAM client. IAM is a global service signed for `us-east-1` (`cn-north-1` in China).
pub fn iam_client(
    world: &World,
    region: &str,
    credentials: SharedCredentialsProvider,
    budget: Duration,
) -> aws_sdk_iam::Client {
    let signing = if region.starts_with("cn-") { "cn-north-1" } else { "us-east-1" };
    let endpoint = overridden(world, "IAM", "iam", signing);
    client!(aws_sdk_iam, world, signing, endpoint, Some(credentials), budget)
}

/// An RDS client for the connector's region.
pub fn rds_client(
    world: &World,
    region: &str,
    credentials: SharedCredentialsProvider,
    budget: Duration,
) -> aws_sdk_rds::Client {
    let endpoint = overridden(world, "RDS", "rds", region);
    client!(aws_sdk_rds, world, region, endpoint, Some(credentials), budget)
}

/// A Redshift (provisioned clusters) client for the connector's region.
pub fn redshift_client(
    world: &World,
    region: &str,
    credentials: SharedCredentialsProvider,
    budget: Duration,
) -> aws_sdk_redshift::Client {
    let endpoint = overridden(world, "REDSHIFT", "redshift", region);
    client!(aws_sdk_redshift, world, region, endpoint, Some(credentials), budget)
}

/// A Redshift Serverless client for the connector's region.
pub fn redshift_serverless_client(
    world: &World,
    region: &str,
    credentials: SharedCredentialsProvider,
    budget: Duration,
) -> aws_sdk_redshiftserverless::Client {
    let endpoint = overridden(world, "REDSHIFT_SERVERLESS", "redshift-serverless", region);
    client!(aws_sdk_redshiftserverless, world, region, endpoint, Some(credentials), budget)
}

/// A Redshift Data API client for the connector's region.
pub fn redshift_data_client(
    world: &World,
    region: &str,
    credentials: SharedCredentialsProvider,
    budget: Duration,
) -> aws_sdk_redshiftdata::Client {
    let endpoint = overridden(world, "REDSHIFT_DATA", "redshift-data", region);
    client!(aws_sdk_redshiftdata, world, region, endpoint, Some(credentials), budget)
}

/// Whether a string looks like an EC2 instance id, as node sessions are named.
pub fn is_instance_id(s: &str) -> bool {
    s.strip_prefix("i-")
        .is_some_and(|hex| (8..=17).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_errors_are_read_for_their_cause() {
        let cases = [
            (
                "dispatch failure: io error: client error (Connect): tcp connect error: Connection refused (os error 111)",
                Unreachable::Refused,
            ),
            (
                "dispatch failure: other: client error (Connect): dns error: failed to lookup address information",
                Unreachable::Dns,
            ),
            (
                "dispatch failure: timeout: client error (Connect): HTTP connect timeout occurred after 3s",
                Unreachable::Timeout,
            ),
            ("dispatch failure: io error: connection reset by peer", Unreachable::Other),
        ];
        for (text, want) in cases {
            assert_eq!(transport_kind(text), want, "{text}");
        }
    }

    #[test]
    fn error_bodies_are_read_when_the_sdk_cannot() {
        let nested = "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>a &amp; b</Message></Error></Errors></ErrorResponse>";
        assert_eq!(xml_text(nested, "Code").as_deref(), Some("AccessDenied"));
        assert_eq!(xml_text(nested, "Message").as_deref(), Some("a & b"));
        assert_eq!(xml_text("<Code></Code>", "Code"), None);
        assert_eq!(xml_text("no xml", "Code"), None);
    }

    #[test]
    fn instance_ids() {
        assert!(is_instance_id("i-0abc1234def567890"));
        assert!(is_instance_id("i-1234abcd"));
        assert!(!is_instance_id("eks-prod-pod-1"));
        assert!(!is_instance_id("i-xyz"));
    }
}
