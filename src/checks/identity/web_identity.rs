//! `identity.web_identity`: IRSA's exchange of the pod's token for a role
//! (`sts:AssumeRoleWithWebIdentity`, which is unsigned: the token is the proof).

use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use futures::FutureExt;
use futures::future::BoxFuture;

use super::{PodCredentials, Source, Survey, Token, pod_facts};
use crate::aws::{self, CallFailure, Endpoint, ResolvedRegion};
use crate::config::Arn;
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Evidence, Facts, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[
    Code::OidcProviderMissing,
    Code::WebIdentityDenied,
    Code::RoleArnInvalid,
    Code::TokenAudienceMismatch,
    Code::StsUnreachable,
    Code::StsRegionDisabled,
];

/// Time allowed for the STS call, inside the check's deadline.
const BUDGET: Duration = Duration::from_secs(10);

/// The check.
#[derive(Debug)]
pub struct WebIdentityCheck;

/// What came back from STS, reduced to what the judge needs.
#[derive(Debug)]
pub enum Answer {
    /// Credentials for the role.
    Assumed {
        /// The assumed-role ARN.
        arn: String,
        /// When they expire, as text.
        expires: String,
        /// The credentials.
        credentials: Credentials,
        /// The request id.
        request_id: Option<String>,
    },
    /// Something else.
    Failed(CallFailure),
}

impl Check for WebIdentityCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let Some(survey) = ctx.board.get::<Survey>(None) else {
                return Outcome::error("identity.source left no survey of the environment.");
            };
            let Some(irsa) = &survey.irsa else {
                return Outcome::not_applicable(
                    "No IRSA variables (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE) are set.",
                );
            };
            let Some(token) = ctx.board.get::<Token>(None) else {
                return Outcome::error("identity.token left no token to exchange.");
            };
            let region = ResolvedRegion::resolve(&ctx.world, &ctx.config);
            let endpoint = aws::region::sts_endpoint(&ctx.world, &region.name);
            let client = aws::sts_client(&ctx.world, &region.name, &endpoint, None, BUDGET);
            let session = irsa.session_name.clone().unwrap_or_else(|| {
                format!(
                    "connector-doctor-{}",
                    ctx.world.now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs()
                )
            });
            let started = Instant::now();
            let result = client
                .assume_role_with_web_identity()
                .role_arn(&irsa.role_arn)
                .role_session_name(session)
                .web_identity_token(token.value.expose())
                .send()
                .await;
            let took = started.elapsed();
            let answer = match result {
                Ok(out) => {
                    use aws_sdk_sts::operation::RequestId as _;
                    let request_id = out.request_id().map(str::to_owned);
                    match (out.credentials, out.assumed_role_user) {
                        (Some(c), user) => {
                            ctx.world.redactor.remember(&c.secret_access_key);
                            ctx.world.redactor.remember(&c.session_token);
                            let expires = c
                                .expiration
                                .fmt(aws_smithy_types::date_time::Format::DateTime)
                                .unwrap_or_default();
                            let expiry = std::time::SystemTime::try_from(c.expiration).ok();
                            Answer::Assumed {
                                arn: user.map(|u| u.arn).unwrap_or_default(),
                                expires,
                                credentials: Credentials::new(
                                    c.access_key_id,
                                    c.secret_access_key,
                                    Some(c.session_token),
                                    expiry,
                                    "web-identity",
                                ),
                                request_id,
                            }
                        }
                        (None, _) => Answer::Failed(CallFailure::Garbled {
                            status: Some(200),
                            detail: "the reply carries no Credentials".to_owned(),
                        }),
                    }
                }
                Err(e) => Answer::Failed(CallFailure::from_sdk(&e)),
            };
            let mut facts = pod_facts(ctx);
            facts.extend(ctx_facts(&irsa.role_arn, &token, &endpoint));
            let (outcome, credentials) = judge(&irsa.role_arn, answer, &endpoint, took, &facts);
            if let Some(credentials) = credentials {
                ctx.board.put(None, PodCredentials { source: Source::Irsa, credentials });
            }
            outcome.facts(&facts)
        }
        .boxed()
    }
}

fn ctx_facts(role_arn: &str, token: &Token, endpoint: &Endpoint) -> Facts {
    let mut f = Facts::new();
    f.insert("role_arn".into(), role_arn.to_owned());
    if let Ok(arn) = Arn::role(role_arn) {
        f.insert("role_name".into(), arn.name().to_owned());
        f.insert("account".into(), arn.account);
    }
    if let Some(iss) = &token.claims.iss {
        f.insert("token_issuer".into(), iss.clone());
        f.insert("oidc_provider".into(), iss.trim_start_matches("https://").to_owned());
    }
    if let Some(sub) = &token.claims.sub {
        f.insert("token_subject".into(), sub.clone());
    }
    f.insert("token_audience".into(), token.claims.aud.join(", "));
    f.insert("sts_endpoint".into(), endpoint.url.clone());
    f.insert("sts_endpoint_kind".into(), endpoint.kind.to_string());
    f
}

/// Judges STS's answer.
pub fn judge(
    role_arn: &str,
    answer: Answer,
    endpoint: &Endpoint,
    took: Duration,
    facts: &Facts,
) -> (Outcome, Option<Credentials>) {
    const CALL: &str = "sts:AssumeRoleWithWebIdentity";
    let failure = match answer {
        Answer::Assumed { arn, expires, credentials, request_id } => {
            let o = Outcome::pass(format!("STS exchanged the token for {arn}, valid until {expires}."))
                .fact("caller_arn", &arn)
                .evidence(
                    Evidence::call(CALL).endpoint(&endpoint.url).request_id(request_id.as_deref()).took(took),
                );
            return (o, Some(credentials));
        }
        Answer::Failed(f) => f,
    };
    let evidence = failure.evidence(CALL, &endpoint.url, took);
    let get = |k: &str| facts.get(k).cloned().unwrap_or_else(|| format!("<{k}>"));
    let outcome = match &failure {
        CallFailure::Service { code, message, .. } => match code.as_str() {
            "InvalidIdentityToken" if message.contains("No OpenIDConnect provider") => Outcome::fail(
                Code::OidcProviderMissing,
                format!("STS: {message}. The account has no IAM OIDC provider for the cluster's issuer."),
            ),
            "InvalidIdentityToken" if message.to_ascii_lowercase().contains("audience") => Outcome::fail(
                Code::TokenAudienceMismatch,
                format!(
                    "STS: {message}. The token's audience ({}) is not a client ID of the IAM OIDC provider.",
                    get("token_audience")
                ),
            )
            .fact("expected_audience", "a client ID of the OIDC provider"),
            "RegionDisabledException" => Outcome::fail(Code::StsRegionDisabled, format!("STS: {message}")),
            "AccessDenied" => Outcome::fail(
                Code::WebIdentityDenied,
                format!(
                    "STS: {message}. The trust policy of {role_arn} does not admit sub = {}, aud = {}.",
                    get("token_subject"),
                    get("token_audience")
                ),
            ),
            "ValidationError" if message.contains("ARN") || message.contains("roleArn") => {
                let local = Arn::role(role_arn).err().map(|e| format!(" ({e})")).unwrap_or_default();
                Outcome::fail(
                    Code::RoleArnInvalid,
                    format!("STS: {message}. AWS_ROLE_ARN is {role_arn:?}{local}."),
                )
            }
            _ => Outcome::error(format!(
                "STS answered {code}: {message}. connector-doctor cannot classify this answer."
            )),
        },
        CallFailure::Unreachable { kind, .. } => Outcome::fail(
            Code::StsUnreachable,
            format!("The STS endpoint {} ({}) {}.", endpoint.url, endpoint.kind, kind.phrase()),
        ),
        CallFailure::Garbled { .. } => {
            Outcome::error(format!("The answer from {} is not an STS reply.", endpoint.url))
        }
        CallFailure::Local { detail } => Outcome::error(format!("The STS call could not be made: {detail}")),
    };
    (outcome.evidence(evidence), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{EndpointKind, Unreachable};
    use crate::outcome::Status;

    fn service(code: &str, message: &str) -> Answer {
        Answer::Failed(CallFailure::Service {
            code: code.into(),
            message: message.into(),
            request_id: Some("req-1".into()),
            status: Some(400),
        })
    }

    #[test]
    fn real_sts_answers_are_classified() {
        let endpoint =
            Endpoint { url: "https://sts.us-west-1.amazonaws.com".into(), kind: EndpointKind::Regional };
        let cases = [
            (
                service(
                    "InvalidIdentityToken",
                    "No OpenIDConnect provider found in your account for https://oidc.eks.us-west-1.amazonaws.com/id/ABC",
                ),
                Some(Code::OidcProviderMissing),
            ),
            (service("InvalidIdentityToken", "Incorrect token audience"), Some(Code::TokenAudienceMismatch)),
            (
                service("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
                Some(Code::WebIdentityDenied),
            ),
            (service("ValidationError", "Request ARN is invalid"), Some(Code::RoleArnInvalid)),
            (
                Answer::Failed(CallFailure::Unreachable {
                    kind: Unreachable::Timeout,
                    detail: "timeout".into(),
                }),
                Some(Code::StsUnreachable),
            ),
            (
                service(
                    "IDPCommunicationError",
                    "Couldn't retrieve verification key from your identity provider",
                ),
                None,
            ),
        ];
        for (answer, code) in cases {
            let (o, _) = judge(
                "arn:aws:iam::::1234567890:role/example",
                answer,
                &endpoint,
                Duration::ZERO,
                &Facts::new(),
            );
            assert_eq!(o.code, code, "{}", o.summary);
            if code.is_none() {
                assert_eq!(o.status, Status::Error);
            }
            assert_eq!(
                o.evidence[0].request_id.as_deref(),
                (o.code != Some(Code::StsUnreachable)).then_some("req-1")
            );
        }
    }
}
