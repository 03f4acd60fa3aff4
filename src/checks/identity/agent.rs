//! `identity.agent`: the EKS Pod Identity agent, spoken to as the SDKs do (the
//! container-credentials protocol: `GET` the full URI with the token as `Authorization`).

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Deserialize;

use super::{AccountHint, PodCredentials, Source, Survey, Token, mask_key_id, pod_facts};
use crate::engine::{Check, Ctx};
use crate::http::{self, HttpFailure, Reply};
use crate::outcome::{Code, Evidence, Outcome};
use crate::secret::Redactor;

/// Codes this check emits.
pub const CODES: &[Code] = &[Code::AgentUnreachable, Code::AgentRejectedToken, Code::AgentError];

/// The SDKs' own limits for the container-credentials call: 2 s to connect, 5 s to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BODY: usize = 64 * 1024;
/// How much of an error body to quote.
const QUOTE: usize = 400;

/// The check.
#[derive(Debug)]
pub struct AgentCheck;

impl Check for AgentCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let Some(survey) = ctx.board.get::<Survey>(None) else {
                return Outcome::error("identity.source left no survey of the environment.");
            };
            let Some(container) = &survey.container else {
                return Outcome::not_applicable(
                    "No Pod Identity (container credentials) variables are set.",
                );
            };
            if survey.irsa.is_some() {
                return Outcome::not_applicable(
                    "IRSA is configured too, and the SDKs use it first: they never ask the Pod Identity agent.",
                );
            }
            let token = ctx
                .board
                .get::<Token>(None)
                .map(|t| t.value.clone())
                .or_else(|| container.inline_token.clone());
            let headers: Vec<(&str, &str)> = token
                .iter()
                .map(|t| ("Authorization", t.expose()))
                .collect();
            let result = http::get(
                &container.uri,
                &headers,
                CONNECT_TIMEOUT,
                ANSWER_TIMEOUT,
                MAX_BODY,
            )
            .await;
            let (outcome, credentials) = judge(&container.uri, result, &ctx.world.redactor);
            if let Some(credentials) = credentials {
                ctx.board.put(
                    None,
                    PodCredentials {
                        source: Source::PodIdentity,
                        credentials,
                    },
                );
            }
            if let Some(account) = outcome.facts.get("account") {
                ctx.board.put(None, AccountHint(account.clone()));
            }
            let mut outcome = outcome
                .facts(&pod_facts(ctx))
                .fact("agent_endpoint", &container.uri);
            if let Some(file) = &container.token_file {
                outcome = outcome.fact("token_file", file);
            }
            outcome
        }
        .boxed()
    }
}

/// The credentials document the agent returns.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Document {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
    expiration: Option<String>,
    account_id: Option<String>,
}

/// The shape of a body that should have been a credentials document: its size and, if it is a
/// JSON object, its keys and the JSON types of their values.
fn describe_document(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => {
            let keys: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    let kind = match v {
                        serde_json::Value::String(s) if s.is_empty() => "empty string",
                        serde_json::Value::String(_) => "string",
                        serde_json::Value::Number(_) => "number",
                        serde_json::Value::Null => "null",
                        serde_json::Value::Bool(_) => "boolean",
                        _ => "structure",
                    };
                    format!("{k}: {kind}")
                })
                .collect();
            format!("{} bytes, a JSON object with {{{}}}", body.len(), keys.join(", "))
        }
        Ok(_) => format!("{} bytes of JSON that is not an object", body.len()),
        Err(_) => format!("{} bytes that are not JSON", body.len()),
    }
}

fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.chars().count() > QUOTE {
        format!("{}…", text.chars().take(QUOTE).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// Judges the agent's answer. Returns the credentials when there are some.
pub fn judge(
    uri: &str,
    result: Result<Reply, HttpFailure>,
    redactor: &Redactor,
) -> (Outcome, Option<Credentials>) {
    let call = Evidence::call("GET container credentials").endpoint(uri);
    let reply = match result {
        Ok(r) => r,
        Err(HttpFailure::Url(url)) => {
            let o = Outcome::error(format!(
                "The container-credentials URI {url} is not plain http://; this version of connector-doctor does not probe https agent endpoints."
            ));
            return (o.evidence(call), None);
        }
        Err(failure @ (HttpFailure::Connect { .. } | HttpFailure::ConnectTimeout { .. })) => {
            let o = Outcome::fail(
                Code::AgentUnreachable,
                format!("The Pod Identity agent is unreachable: {failure}."),
            );
            return (o.evidence(call.message(failure.to_string())), None);
        }
        Err(failure @ HttpFailure::AnswerTimeout { .. }) => {
            let o = Outcome::fail(
                Code::AgentError,
                format!(
                    "The Pod Identity agent accepts connections but did not answer: {failure}. An agent that cannot reach EKS Auth hangs like this."
                ),
            );
            return (o.evidence(call.message(failure.to_string())), None);
        }
        Err(failure @ (HttpFailure::Protocol { .. } | HttpFailure::Tls { .. })) => {
            let o = Outcome::fail(
                Code::AgentError,
                format!("The Pod Identity agent's answer is broken: {failure}."),
            );
            return (o.evidence(call.message(failure.to_string())), None);
        }
    };
    let call = call.http_status(reply.status).took(reply.took);
    let body = quote(&reply.body);
    let status = reply.status;
    if status == 200 {
        return match serde_json::from_slice::<Document>(&reply.body) {
            Ok(doc) if !doc.access_key_id.is_empty() && !doc.secret_access_key.is_empty() => {
                let secret = redactor.secret(doc.secret_access_key);
                let token = doc.token.map(|t| redactor.secret(t));
                let expiry = doc
                    .expiration
                    .as_deref()
                    .and_then(|e| DateTime::from_str(e, Format::DateTime).ok())
                    .and_then(|d| std::time::SystemTime::try_from(d).ok());
                let credentials = Credentials::new(
                    doc.access_key_id.clone(),
                    secret.expose(),
                    token.map(|t| t.expose().to_owned()),
                    expiry,
                    "eks-pod-identity",
                );
                let expires = doc.expiration.clone().unwrap_or_else(|| "no expiry given".to_owned());
                let mut o = Outcome::pass(format!(
                    "The agent handed out credentials ({}), valid until {expires}.",
                    mask_key_id(&doc.access_key_id)
                ))
                .fact("credentials_expire", expires);
                if let Some(account) = doc.account_id {
                    o = o.fact("account", account);
                }
                (o.evidence(call), Some(credentials))
            }
            _ => {
                let o = Outcome::fail(
                    Code::AgentError,
                    "The agent answered 200, but the body is not a credentials document (AccessKeyId, SecretAccessKey, Token, Expiration).",
                );
                // A 200 body may hold credentials even when it does not parse: describe it, never quote it.
                (o.evidence(call.message(describe_document(&reply.body))), None)
            }
        };
    }
    let lower = body.to_ascii_lowercase();
    let no_association = lower.contains("association") || lower.contains("resourcenotfound");
    let (code, summary) = match status {
        400 | 401 | 403 if !no_association => (
            Code::AgentRejectedToken,
            format!("The Pod Identity agent refused the token (HTTP {status}): {body}"),
        ),
        _ if no_association => (
            Code::AgentError,
            format!(
                "The Pod Identity agent found no association for this service account (HTTP {status}): {body}"
            ),
        ),
        _ => (
            Code::AgentError,
            format!("The Pod Identity agent could not produce credentials (HTTP {status}): {body}"),
        ),
    };
    let o = Outcome::fail(code, summary).fact("agent_status", status.to_string());
    (o.evidence(call.message(body)), None)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::outcome::Status;

    const URI: &str = "http://169.254.170.23/v1/credentials";

    #[allow(clippy::unnecessary_wraps)] // Shaped like the probe's result on purpose.
    fn reply(status: u16, body: &str) -> Result<Reply, HttpFailure> {
        Ok(Reply { status, body: Bytes::from(body.to_owned()), took: Duration::from_millis(3) })
    }

    #[test]
    fn answers_are_classified() {
        let ok = r#"{"AccessKeyId":"ASIAEXAMPLEEXAMPLE","SecretAccessKey":"s3cr3t-value","Token":"tok-value","AccountId":"111122223333","Expiration":"2026-11-21T12:00:00Z"}"#;
        let cases: Vec<(Result<Reply, HttpFailure>, Status, Option<Code>)> = vec![
            (reply(200, ok), Status::Pass, None),
            (reply(200, "<html>proxy</html>"), Status::Fail, Some(Code::AgentError)),
            (reply(200, r#"{"AccessKeyId":""}"#), Status::Fail, Some(Code::AgentError)),
            (
                reply(
                    400,
                    "Service account token cannot be parsed: token is malformed: could not base64 decode header: illegal base64 data at input byte 6",
                ),
                Status::Fail,
                Some(Code::AgentRejectedToken),
            ),
            (reply(403, "Access denied"), Status::Fail, Some(Code::AgentRejectedToken)),
            (
                reply(
                    500,
                    "unable to fetch credentials from EKS Auth: operation error EKS Auth: AssumeRoleForPodIdentity, context canceled",
                ),
                Status::Fail,
                Some(Code::AgentError),
            ),
            (
                reply(400, "ResourceNotFoundException: No Pod Identity Association found"),
                Status::Fail,
                Some(Code::AgentError),
            ),
            (
                Err(HttpFailure::Connect {
                    addr: "169.254.170.23:80".into(),
                    reason: "Connection refused (os error 111)".into(),
                }),
                Status::Fail,
                Some(Code::AgentUnreachable),
            ),
            (
                Err(HttpFailure::AnswerTimeout { addr: "169.254.170.23:80".into(), secs: 5.0 }),
                Status::Fail,
                Some(Code::AgentError),
            ),
        ];
        for (result, status, code) in cases {
            let (o, creds) = judge(URI, result, &Redactor::default());
            assert_eq!((o.status, o.code), (status, code), "{}", o.summary);
            assert_eq!(creds.is_some(), status == Status::Pass);
        }
    }

    #[test]
    fn secrets_in_the_document_are_remembered_for_scrubbing() {
        let r = Redactor::default();
        let ok = r#"{"AccessKeyId":"ASIAEXAMPLEEXAMPLE","SecretAccessKey":"s3cr3t-value","Token":"tok-value-123"}"#;
        let _ = judge(URI, reply(200, ok), &r);
        assert_eq!(r.scrub("x s3cr3t-value tok-value-123"), "x [redacted] [redacted]");
    }
}
