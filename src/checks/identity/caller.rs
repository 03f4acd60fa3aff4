//! `identity.caller`: who STS says the pod is (`sts:GetCallerIdentity`), with the credentials
//! of the source that wins in the SDKs' chain, and whether that is the role it should be.

use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_sts::config::SharedCredentialsProvider;
use futures::FutureExt;
use futures::future::BoxFuture;

use super::{BaseCredentials, CallerIdentity, PodCredentials, Source, Survey, mask_key_id, pod_facts};
use crate::aws::{self, CallFailure, Endpoint, ResolvedRegion};
use crate::config::Arn;
use crate::engine::{Check, Ctx, Finished};
use crate::outcome::{Code, Evidence, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[
    Code::StsUnreachable,
    Code::CredentialsRejected,
    Code::StsRegionDisabled,
    Code::NodeRoleFallback,
    Code::UnexpectedIdentity,
];

/// Time allowed for fetching credentials and for the STS call, inside the check's deadline.
/// Loading credentials and calling STS, one after the other, fit in the check's deadline (16 s).
const BUDGET: Duration = Duration::from_secs(8);
const LOAD_BUDGET: Duration = Duration::from_secs(6);

/// The check.
#[derive(Debug)]
pub struct CallerCheck;

impl Check for CallerCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let Some(survey) = ctx.board.get::<Survey>(None) else {
                return Outcome::error("identity.source left no survey of the environment.");
            };
            let facts = pod_facts(ctx);
            let credentials = match credentials(ctx, &survey).await {
                Ok(c) => c,
                Err(outcome) => return outcome.facts(&facts),
            };
            let region = ResolvedRegion::resolve(&ctx.world, &ctx.config);
            let endpoint = aws::region::sts_endpoint(&ctx.world, &region.name);
            let client = aws::sts_client(
                &ctx.world,
                &region.name,
                &endpoint,
                Some(SharedCredentialsProvider::new(credentials.clone())),
                BUDGET,
            );
            let started = Instant::now();
            let result = client.get_caller_identity().send().await;
            let took = started.elapsed();
            let seen = match result {
                Ok(out) => {
                    use aws_sdk_sts::operation::RequestId as _;
                    Seen::Identity {
                        arn: out.arn().unwrap_or_default().to_owned(),
                        account: out.account().unwrap_or_default().to_owned(),
                        request_id: out.request_id().map(str::to_owned),
                    }
                }
                Err(e) => Seen::Failed(CallFailure::from_sdk(&e)),
            };
            if let Seen::Identity { arn, account, .. } = &seen {
                ctx.board.put(None, CallerIdentity { arn: arn.clone(), account: account.clone() });
                ctx.board.put(
                    None,
                    BaseCredentials {
                        credentials: credentials.clone(),
                        arn: arn.clone(),
                        account: account.clone(),
                    },
                );
            }
            let mut facts = pod_facts(ctx);
            facts.insert("region".into(), region.name.clone());
            facts.insert("sts_endpoint".into(), endpoint.url.clone());
            facts.insert("sts_endpoint_kind".into(), endpoint.kind.to_string());
            facts.insert("source".into(), survey.winner.to_string());
            facts.insert("access_key".into(), mask_key_id(credentials.access_key_id()));
            let expected = ctx.config.base_role_arn.as_ref();
            judge(&survey, seen, expected, &endpoint, &region.name, took).facts(&facts)
        }
        .boxed()
    }

    /// When the pod has no source of its own, the SDKs go to instance metadata; so does this
    /// check, to show whose role that is, unless instance metadata is disabled.
    /// Likewise, a failed prerequisite on a path the SDKs do not take (the agent when static
    /// keys win, say) does not stop it.
    fn proceeds_despite(&self, prerequisite: &Finished, ctx: &Ctx) -> bool {
        let Some(survey) = ctx.board.get::<Survey>(None) else {
            return false;
        };
        if survey.winner == Source::InstanceMetadata {
            return survey.imds_enabled;
        }
        let on_path = match prerequisite.key.id {
            "identity.agent" => survey.winner == Source::PodIdentity,
            "identity.web_identity" => survey.winner == Source::Irsa,
            "identity.token" => matches!(survey.winner, Source::PodIdentity | Source::Irsa),
            _ => true,
        };
        !on_path
    }
}

/// The winning source's credentials, or the outcome that says why there are none.
async fn credentials(ctx: &Ctx, survey: &Survey) -> Result<Credentials, Outcome> {
    let from_board = |source: Source, check: &'static str| {
        ctx.board
            .get::<PodCredentials>(None)
            .filter(|p| p.source == source)
            .map(|p| p.credentials.clone())
            .ok_or_else(|| Outcome::error(format!("{check} passed but left no credentials.")))
    };
    match survey.winner {
        Source::StaticKeys => survey
            .static_keys
            .clone()
            .ok_or_else(|| Outcome::error("identity.source found static keys but kept none.")),
        Source::Irsa => from_board(Source::Irsa, "identity.web_identity"),
        Source::PodIdentity => from_board(Source::PodIdentity, "identity.agent"),
        Source::Profile => {
            let name = survey.profile.clone().unwrap_or_else(|| "default".to_owned());
            let provider =
                aws_config::profile::ProfileFileCredentialsProvider::builder().profile_name(&name).build();
            fetch(provider, LOAD_BUDGET, &format!("profile {name:?}")).await
        }
        Source::InstanceMetadata => {
            let provider = aws_config::imds::credentials::ImdsCredentialsProvider::builder().build();
            fetch(provider, LOAD_BUDGET, "instance metadata").await.map_err(|o| {
                Outcome::blocked(
                    crate::outcome::CheckKey::global("identity.source"),
                    format!(
                        "The pod has no credentials of its own, and instance metadata gave none either: {}",
                        o.summary
                    ),
                )
            })
        }
    }
}

async fn fetch(
    provider: impl ProvideCredentials,
    budget: Duration,
    what: &str,
) -> Result<Credentials, Outcome> {
    match tokio::time::timeout(budget, provider.provide_credentials()).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => {
            let detail = aws_smithy_types::error::display::DisplayErrorContext(&e).to_string();
            Err(Outcome::error(format!("Loading credentials from {what} failed: {detail}"))
                .evidence(Evidence::call(format!("load credentials from {what}")).message(detail)))
        }
        Err(_) => Err(Outcome::error(format!(
            "Loading credentials from {what} did not finish within {} s.",
            budget.as_secs()
        ))),
    }
}

/// What STS said.
#[derive(Debug)]
pub enum Seen {
    /// An identity.
    Identity {
        /// The caller's ARN.
        arn: String,
        /// The account.
        account: String,
        /// The request id.
        request_id: Option<String>,
    },
    /// An error.
    Failed(CallFailure),
}

/// Judges the answer.
pub fn judge(
    survey: &Survey,
    seen: Seen,
    expected: Option<&Arn>,
    endpoint: &Endpoint,
    region: &str,
    took: Duration,
) -> Outcome {
    const CALL: &str = "sts:GetCallerIdentity";
    let (arn, account, request_id) = match seen {
        Seen::Identity { arn, account, request_id } => (arn, account, request_id),
        Seen::Failed(failure) => {
            return judge_failure(survey, &failure, endpoint, region).evidence(failure.evidence(
                CALL,
                &endpoint.url,
                took,
            ));
        }
    };
    let evidence = Evidence::call(CALL).endpoint(&endpoint.url).request_id(request_id.as_deref()).took(took);
    let parsed: Option<Arn> = arn.parse().ok();
    let (role, session) = parsed.as_ref().and_then(Arn::assumed_role).unzip();
    let with = |o: Outcome| {
        let o = o.fact("caller_arn", &arn).fact("account", &account).evidence(evidence.clone());
        match role {
            Some(r) => o.fact("caller_role", r),
            None => o,
        }
    };
    let looks_like_node = session.is_some_and(aws::is_instance_id);
    if survey.winner == Source::InstanceMetadata || looks_like_node {
        return with(Outcome::fail(
            Code::NodeRoleFallback,
            format!(
                "STS says the caller is {arn}: the node's role{}. The pod has no AWS identity of its own.",
                if survey.winner == Source::InstanceMetadata {
                    ", reached through instance metadata"
                } else {
                    ""
                }
            ),
        ));
    }
    if let Some(expected) = expected {
        let same = role.is_some_and(|r| r == expected.name()) && account == expected.account
            || arn == expected.to_string();
        if !same {
            return with(Outcome::warn(
                Code::UnexpectedIdentity,
                format!("STS says the caller is {arn}, not the configured base role {expected}."),
            ));
        }
    }
    with(Outcome::pass(format!("STS says the caller is {arn} (account {account}), using {}.", survey.winner)))
}

/// The account id in a message like "… for account:111122223333. …".
fn account_in(message: &str) -> Option<&str> {
    let at = message.find("account:")? + "account:".len();
    let id = message[at..].get(..12)?;
    crate::config::arn::is_account_id(id).then_some(id)
}

fn judge_failure(survey: &Survey, failure: &CallFailure, endpoint: &Endpoint, region: &str) -> Outcome {
    match failure {
        CallFailure::Service { code, message, .. } => match code.as_str() {
            "InvalidClientTokenId"
            | "ExpiredToken"
            | "ExpiredTokenException"
            | "SignatureDoesNotMatch"
            | "UnrecognizedClientException"
            | "InvalidAccessKeyId"
            | "IncompleteSignature" => Outcome::fail(
                Code::CredentialsRejected,
                format!("STS rejected the credentials from {} ({code}): {message}", survey.winner),
            ),
            "RegionDisabledException" => {
                let o = Outcome::fail(Code::StsRegionDisabled, format!("STS in {region}: {message}"));
                match account_in(message) {
                    Some(account) => o.fact("account", account),
                    None => o,
                }
            }
            _ => Outcome::error(format!(
                "STS answered {code}: {message}. connector-doctor cannot classify this answer."
            )),
        },
        CallFailure::Unreachable { kind, .. } => Outcome::fail(
            Code::StsUnreachable,
            format!("The STS endpoint {} ({}) {}.", endpoint.url, endpoint.kind, kind.phrase()),
        ),
        CallFailure::Garbled { status, .. } => Outcome::error(format!(
            "The answer from {}{} is not an STS reply: a proxy or something else answers there.",
            endpoint.url,
            status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
        )),
        CallFailure::Local { detail } => Outcome::error(format!("The STS call could not be made: {detail}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{EndpointKind, Unreachable};
    use crate::outcome::Status;

    fn survey(winner: Source) -> Survey {
        Survey {
            present: vec![winner],
            winner,
            container: None,
            irsa: None,
            static_keys: None,
            profile: None,
            imds_enabled: true,
        }
    }

    fn endpoint() -> Endpoint {
        Endpoint { url: "https://sts.us-west-1.amazonaws.com".into(), kind: EndpointKind::Regional }
    }

    fn identity(arn: &str) -> Seen {
        Seen::Identity { arn: arn.into(), account: "111122223333".into(), request_id: Some("r".into()) }
    }

    fn failed(code: &str, message: &str) -> Seen {
        Seen::Failed(CallFailure::Service {
            code: code.into(),
            message: message.into(),
            request_id: None,
            status: Some(403),
        })
    }

    #[test]
    fn identities_are_judged() {
        let base = Arn::role("arn:aws:iam::111122223333:role/xpander-base-role").unwrap();
        let pod = "arn:aws:sts::111122223333:assumed-role/xpander-base-role/eks-prod-pod-1a2b";
        let node = "arn:aws:sts::111122223333:assumed-role/eksctl-prod-nodegroup-NodeInstanceRole-1A2B/i-0abc1234def567890";
        let cases = [
            (Source::PodIdentity, identity(pod), Some(&base), Status::Pass, None),
            (Source::PodIdentity, identity(pod), None, Status::Pass, None),
            (Source::InstanceMetadata, identity(node), None, Status::Fail, Some(Code::NodeRoleFallback)),
            (Source::StaticKeys, identity(node), None, Status::Fail, Some(Code::NodeRoleFallback)),
            (
                Source::PodIdentity,
                identity("arn:aws:sts::111122223333:assumed-role/other-role/eks-x"),
                Some(&base),
                Status::Warn,
                Some(Code::UnexpectedIdentity),
            ),
            (
                Source::PodIdentity,
                failed("InvalidClientTokenId", "The security token included in the request is invalid."),
                None,
                Status::Fail,
                Some(Code::CredentialsRejected),
            ),
            (
                Source::PodIdentity,
                failed("ExpiredToken", "The security token included in the request is expired"),
                None,
                Status::Fail,
                Some(Code::CredentialsRejected),
            ),
            (
                Source::PodIdentity,
                failed(
                    "RegionDisabledException",
                    "STS is not activated in this region for account:111122223333. Your account administrator can activate STS in this region using the IAM Console.",
                ),
                None,
                Status::Fail,
                Some(Code::StsRegionDisabled),
            ),
            (
                Source::PodIdentity,
                Seen::Failed(CallFailure::Unreachable {
                    kind: Unreachable::Timeout,
                    detail: "dial tcp 52.94.241.129:443: i/o timeout".into(),
                }),
                None,
                Status::Fail,
                Some(Code::StsUnreachable),
            ),
            (Source::PodIdentity, failed("Throttling", "Rate exceeded"), None, Status::Error, None),
        ];
        for (winner, seen, expected, status, code) in cases {
            let o = judge(&survey(winner), seen, expected, &endpoint(), "us-west-1", Duration::ZERO);
            assert_eq!((o.status, o.code), (status, code), "{}", o.summary);
        }
    }
}
