//! The chain link: from the pod's base identity into each connector's role.
//!
//! `chain.assume` makes the hop the connector makes (its ExternalId, session name and
//! duration); `chain.tag_session` makes it again with a session tag; `chain.self_assume` has the
//! connector role assume itself, as gateways do to refresh; `chain.external_id` proves that the
//! role really demands the configured ExternalId. AWS answers every failure with the same
//! `AccessDenied`, so a denial is narrowed by live probes and, when the pod may read IAM, by the
//! role's real policies run through the evaluator ([`explain`]).

pub mod assume;
pub mod explain;
pub mod external_id;
pub mod policies;
pub mod self_assume;
pub mod tag_session;

use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_sts::config::SharedCredentialsProvider;

use crate::aws::{self, CallFailure, ResolvedRegion};
use crate::checks::identity::{BaseCredentials, pod_facts};
use crate::config::{Arn, Connector};
use crate::engine::Ctx;
use crate::outcome::{Evidence, Facts, Outcome};
use crate::secret::Secret;

/// Time allowed for one AssumeRole call.
const CALL_BUDGET: Duration = Duration::from_secs(6);

/// The connector role's credentials, left by `chain.assume` for the checks after it.
#[derive(Debug, Clone)]
pub struct ConnectorCredentials {
    /// The credentials.
    pub credentials: Credentials,
    /// The session's ARN.
    pub arn: String,
    /// `PackedPolicySize` of the hop, when STS reported one.
    pub packed: Option<i32>,
}

/// One `AssumeRole` call.
#[derive(Debug, Clone, Copy)]
pub struct Hop<'a> {
    /// The role to assume.
    pub role_arn: &'a str,
    /// The role session name.
    pub session: &'a str,
    /// The ExternalId to pass, if any.
    pub external_id: Option<&'a Secret>,
    /// Session tags to set.
    pub tags: &'a [(&'a str, &'a str)],
    /// The session length to ask for.
    pub duration: Option<i32>,
    /// How the call differs from the connector's own, for the evidence ("without the ExternalId").
    pub variant: &'a str,
}

/// A successful hop.
#[derive(Debug, Clone)]
pub struct Assumed {
    /// The assumed-role session ARN.
    pub arn: String,
    /// The credentials.
    pub credentials: Credentials,
    /// `PackedPolicySize`, when reported.
    pub packed: Option<i32>,
    /// When the credentials expire.
    pub expires: String,
}

/// Makes one `AssumeRole` call with `from`'s credentials.
pub async fn assume(
    ctx: &Ctx,
    from: &Credentials,
    hop: &Hop<'_>,
) -> (Result<Assumed, CallFailure>, Evidence) {
    let region = ResolvedRegion::resolve(&ctx.world, &ctx.config);
    let endpoint = aws::region::sts_endpoint(&ctx.world, &region.name);
    let client = aws::sts_client(
        &ctx.world,
        &region.name,
        &endpoint,
        Some(SharedCredentialsProvider::new(from.clone())),
        CALL_BUDGET,
    );
    let mut request = client.assume_role().role_arn(hop.role_arn).role_session_name(hop.session);
    if let Some(id) = hop.external_id {
        request = request.external_id(id.expose());
    }
    if let Some(d) = hop.duration {
        request = request.duration_seconds(d);
    }
    for (key, value) in hop.tags {
        // Keys and values are short literals of ours; the builder cannot fail on them.
        if let Ok(tag) = aws_sdk_sts::types::Tag::builder().key(*key).value(*value).build() {
            request = request.tags(tag);
        }
    }
    let started = Instant::now();
    let result = request.send().await;
    let took = started.elapsed();
    let call = if hop.variant.is_empty() {
        "sts:AssumeRole".to_owned()
    } else {
        format!("sts:AssumeRole ({})", hop.variant)
    };
    match result {
        Ok(out) => {
            use aws_sdk_sts::operation::RequestId as _;
            let evidence =
                Evidence::call(&call).endpoint(&endpoint.url).request_id(out.request_id()).took(took);
            #[allow(deprecated)] // STS still sends PackedPolicySize; the SDK marks the field deprecated.
            let packed = out.packed_policy_size;
            let Some(c) = out.credentials else {
                let failure = CallFailure::Garbled {
                    status: Some(200),
                    detail: "the reply carries no Credentials".into(),
                };
                return (Err(failure), evidence);
            };
            ctx.world.redactor.remember(&c.secret_access_key);
            ctx.world.redactor.remember(&c.session_token);
            let expires = c.expiration.fmt(aws_smithy_types::date_time::Format::DateTime).unwrap_or_default();
            let expiry = std::time::SystemTime::try_from(c.expiration).ok();
            let credentials = Credentials::new(
                c.access_key_id,
                c.secret_access_key,
                Some(c.session_token),
                expiry,
                "assume-role",
            );
            let arn = out.assumed_role_user.map(|u| u.arn).unwrap_or_default();
            (Ok(Assumed { arn, credentials, packed, expires }), evidence)
        }
        Err(e) => {
            let failure = CallFailure::from_sdk(&e);
            let evidence = failure.evidence(&call, &endpoint.url, took);
            (Err(failure), evidence)
        }
    }
}

/// Unwraps a `Result<T, Outcome>` in a check's body, returning the outcome on `Err`.
macro_rules! or_return {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(outcome) => return outcome,
        }
    };
}
pub(crate) use or_return;

/// The connector named `name` in the configuration, or the outcome that says it is missing.
pub fn connector<'c>(ctx: &'c Ctx, name: &str) -> Result<&'c Connector, Outcome> {
    ctx.config
        .connectors
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| Outcome::error(format!("No connector named {name} in the configuration.")))
}

/// The connector's credentials `chain.assume` left (the role's, or the pod's own when the
/// connector uses the pod's role), or the outcome that says they are missing.
pub fn connector_credentials(
    ctx: &Ctx,
    conn: &Connector,
) -> Result<std::sync::Arc<ConnectorCredentials>, Outcome> {
    ctx.board
        .get::<ConnectorCredentials>(Some(&conn.name))
        .ok_or_else(|| Outcome::error("chain.assume passed but left no credentials."))
}

/// The base credentials `identity.caller` left, or the outcome that says they are missing.
pub fn base(ctx: &Ctx) -> Result<std::sync::Arc<BaseCredentials>, Outcome> {
    ctx.board
        .get::<BaseCredentials>(None)
        .ok_or_else(|| Outcome::error("identity.caller passed but left no credentials."))
}

/// The role ARN of an assumed-role session ARN (`arn:aws:sts::A:assumed-role/R/S` →
/// `arn:aws:iam::A:role/R`; the role's path is not in the session ARN), or the ARN itself.
pub fn role_of(caller_arn: &str) -> String {
    match caller_arn.parse::<Arn>() {
        Ok(arn) => match arn.assumed_role() {
            Some((role, _)) => format!("arn:{}:iam::{}:role/{role}", arn.partition, arn.account),
            None => caller_arn.to_owned(),
        },
        Err(_) => caller_arn.to_owned(),
    }
}

/// Facts every chain remedy may use.
pub fn chain_facts(ctx: &Ctx, connector: &Connector, base: Option<&BaseCredentials>) -> Facts {
    let mut f = pod_facts(ctx);
    f.insert("connector".into(), connector.name.clone());
    f.insert("connector_role_arn".into(), connector.role_arn.to_string());
    f.insert("connector_role_name".into(), connector.role_arn.name().to_owned());
    f.insert("account".into(), connector.role_arn.account.clone());
    f.insert("session_name".into(), connector.session_name.clone());
    if let Some(d) = connector.duration_seconds {
        f.insert("duration_seconds".into(), d.to_string());
    }
    if let Some(b) = base {
        let base_role = role_of(&b.arn);
        f.insert("caller_arn".into(), b.arn.clone());
        if let Ok(arn) = base_role.parse::<Arn>() {
            f.insert("base_role_name".into(), arn.name().to_owned());
        }
        f.insert(
            "base_role_arn".into(),
            ctx.config.base_role_arn.as_ref().map_or(base_role, ToString::to_string),
        );
    }
    f
}

/// The action an AccessDenied message names (`… is not authorized to perform: sts:TagSession …`).
pub fn denied_action(message: &str) -> Option<&str> {
    let at = message.find("not authorized to perform: ")? + "not authorized to perform: ".len();
    message[at..].split_whitespace().next()
}

/// Whether a failure is STS refusing on authorization grounds.
pub fn is_access_denied(failure: &CallFailure) -> bool {
    matches!(failure, CallFailure::Service { code, .. } if code == "AccessDenied")
}

/// The verdict for a failure no chain code covers: the tool could not classify it.
pub fn unclassified(failure: &CallFailure, what: &str) -> Outcome {
    match failure {
        CallFailure::Service { code, message, .. } => Outcome::error(format!(
            "{what}: STS answered {code}: {message}. connector-doctor cannot classify this answer."
        )),
        CallFailure::Unreachable { kind, .. } => Outcome::error(format!(
            "{what}: the STS endpoint {} (identity.caller reached it a moment ago).",
            kind.phrase()
        )),
        CallFailure::Garbled { .. } => Outcome::error(format!("{what}: the answer is not an STS reply.")),
        CallFailure::Local { detail } => {
            Outcome::error(format!("{what}: the call could not be made: {detail}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_denials_and_session_arns() {
        let m = "User: arn:aws:sts::111122223333:assumed-role/b/s is not authorized to perform: sts:TagSession on resource: arn:aws:iam::111122223333:role/c";
        assert_eq!(denied_action(m), Some("sts:TagSession"));
        assert_eq!(denied_action("Access denied"), None);
        assert_eq!(role_of("arn:aws:sts::111122223333:assumed-role/b/s"), "arn:aws:iam::111122223333:role/b");
        assert_eq!(role_of("arn:aws:iam::111122223333:user/u"), "arn:aws:iam::111122223333:user/u");
    }
}
