//! `chain.tag_session`: the same hop with a session tag, as connectors that tag their sessions
//! make it; and how full STS's packed space for session tags is.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{
    ConnectorCredentials, Hop, assume, base, chain_facts, connector, is_access_denied, or_return,
    unclassified,
};
use crate::aws::CallFailure;
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[Code::TagSessionDenied, Code::PackedPolicyTooLarge, Code::PackedPolicyNearLimit];

/// The tag the probe sets: short, so that it barely moves the packed size.
const PROBE_TAG: (&str, &str) = ("connector-doctor", "probe");

/// From this `PackedPolicySize` on, the session is one tag away from failing.
const NEAR_LIMIT: i32 = 80;

/// The check, for one connector.
#[derive(Debug)]
pub struct TagSessionCheck {
    /// The connector's name.
    pub connector: String,
}

impl Check for TagSessionCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            if !conn.tag_session {
                return Outcome::not_applicable(format!(
                    "{} sets no session tags of its own (set tag_session = true if it does); transitive tags are checked by chain.assume.",
                    conn.name
                ));
            }
            let base = or_return!(base(ctx));
            let facts = chain_facts(ctx, conn, Some(&base));
            let plain = ctx.board.get::<ConnectorCredentials>(Some(&conn.name)).and_then(|c| c.packed);
            let role = conn.role_arn.to_string();
            let hop = Hop {
                role_arn: &role,
                session: &conn.session_name,
                external_id: conn.external_id.as_ref(),
                tags: &[PROBE_TAG],
                duration: conn.duration_seconds,
                variant: "with a session tag",
            };
            let (result, evidence) = assume(ctx, &base.credentials, &hop).await;
            let outcome = match result {
                Ok(assumed) => judge_packed(plain, assumed.packed, &role),
                Err(failure) => judge_failure(&failure, &role, plain),
            };
            outcome.facts(&facts).evidence(evidence)
        }
        .boxed()
    }
}

/// The verdict on a tagged hop that worked. The headroom is judged on the connector's own hop
/// (`plain`: the transitive tags it carries); the probe's one short tag only proves that
/// tagging is allowed, and its size is shown beside.
pub fn judge_packed(plain: Option<i32>, probe: Option<i32>, role: &str) -> Outcome {
    let probe_note = probe.map(|p| format!(" (with the probe tag: {p} %)")).unwrap_or_default();
    let o = match plain {
        Some(p) if p >= NEAR_LIMIT => Outcome::warn(
            Code::PackedPolicyNearLimit,
            format!(
                "Tagged hops into {role} work, but the session tags of the connector's own hop already fill {p} % of STS's packed space{probe_note}; a few more tags or longer values will break it."
            ),
        ),
        Some(p) => Outcome::pass(format!(
            "Tagged hops into {role} work; the connector's hop fills {p} % of STS's packed space{probe_note}."
        )),
        None => Outcome::pass(format!("Tagged hops into {role} work{probe_note}.")),
    };
    match plain.or(probe) {
        Some(p) => o.fact("packed_percent", p.to_string()),
        None => o,
    }
}

/// The verdict on a tagged hop that failed while the plain one worked.
pub fn judge_failure(failure: &CallFailure, role: &str, plain: Option<i32>) -> Outcome {
    if let CallFailure::Service { code, message, .. } = failure {
        if code == "PackedPolicyTooLarge" {
            let percent =
                message.split_whitespace().find_map(|w| w.strip_suffix('%')).unwrap_or("over 100").to_owned();
            let before =
                plain.map(|p| format!(" (the hop without the probe tag uses {p} %)")).unwrap_or_default();
            return Outcome::fail(
                Code::PackedPolicyTooLarge,
                format!("STS: {message} One more tag on the hop into {role} does not fit{before}."),
            )
            .fact("packed_percent", percent);
        }
        if is_access_denied(failure) {
            return Outcome::fail(
                Code::TagSessionDenied,
                format!(
                    "STS: {message}. The same hop without session tags works: sts:TagSession is missing from the trust policy of {role} or from the base role's permissions."
                ),
            );
        }
    }
    unclassified(failure, "AssumeRole with a session tag")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;

    #[test]
    fn packed_sizes_and_failures() {
        let r = "arn:aws:iam::111122223333:role/c";
        assert_eq!(judge_packed(Some(74), Some(81), r).status, Status::Pass);
        assert_eq!(judge_packed(Some(80), Some(86), r).code, Some(Code::PackedPolicyNearLimit));
        assert_eq!(judge_packed(None, Some(5), r).status, Status::Pass);
        let too_large = CallFailure::Service {
            code: "PackedPolicyTooLarge".into(),
            message: "Packed size of session tags consumes 112% of allotted space.".into(),
            request_id: None,
            status: Some(400),
        };
        let o = judge_failure(&too_large, r, Some(97));
        assert_eq!((o.code, o.facts["packed_percent"].as_str()), (Some(Code::PackedPolicyTooLarge), "112"));
        let denied = CallFailure::Service {
            code: "AccessDenied".into(),
            message: "User: x is not authorized to perform: sts:TagSession on resource: y".into(),
            request_id: None,
            status: Some(403),
        };
        assert_eq!(judge_failure(&denied, r, None).code, Some(Code::TagSessionDenied));
    }
}
