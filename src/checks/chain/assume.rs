//! `chain.assume`: the hop the connector makes, from the base identity into its role.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::explain::{self, Finding};
use super::{
    Assumed, ConnectorCredentials, Hop, assume, base, chain_facts, connector, denied_action,
    is_access_denied, or_return, role_of, unclassified,
};
use crate::aws::CallFailure;
use crate::checks::identity::BaseCredentials;
use crate::config::{Arn, Connector, check_external_id};
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Evidence, Facts, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[
    Code::AssumeDenied,
    Code::AssumeDeniedByTrust,
    Code::AssumeDeniedByIdentityPolicy,
    Code::ExternalIdMismatch,
    Code::ExternalIdRequired,
    Code::ExternalIdInvalid,
    Code::ChainedDurationExceeded,
    Code::TransitiveTagsDenied,
];

/// The check, for one connector.
#[derive(Debug)]
pub struct AssumeCheck {
    /// The connector's name.
    pub connector: String,
}

impl Check for AssumeCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let base = or_return!(base(ctx));
            let mut facts = chain_facts(ctx, conn, Some(&base));
            if let Some(id) = &conn.external_id {
                facts.insert("external_id_length".into(), id.len().to_string());
                if let Err(why) = check_external_id(id.expose()) {
                    return Outcome::fail(
                        Code::ExternalIdInvalid,
                        format!("The ExternalId configured for {} {why}; STS would refuse it, so no call was made.", conn.name),
                    )
                    .facts(&facts);
                }
            }
            if runs_as_base(conn, &base) {
                ctx.board.put(
                    Some(&conn.name),
                    ConnectorCredentials { credentials: base.credentials.clone(), arn: base.arn.clone(), packed: None },
                );
                return Outcome::pass(format!(
                    "{} uses the pod's own role: {} is already {}, so there is no hop to make.",
                    conn.name, base.arn, conn.role_arn
                ))
                .facts(&facts);
            }
            let role = conn.role_arn.to_string();
            let hop = Hop {
                role_arn: &role,
                session: &conn.session_name,
                external_id: conn.external_id.as_ref(),
                tags: &[],
                duration: conn.duration_seconds,
                variant: "",
            };
            let (result, evidence) = assume(ctx, &base.credentials, &hop).await;
            match result {
                Ok(assumed) => {
                    let outcome = passed(&assumed, &base).facts(&facts).evidence(evidence);
                    ctx.board.put(
                        Some(&conn.name),
                        ConnectorCredentials { credentials: assumed.credentials, arn: assumed.arn, packed: assumed.packed },
                    );
                    outcome
                }
                Err(failure) => {
                    let mut outcome = denied(ctx, conn, &base, &failure, facts).await;
                    outcome.evidence.insert(0, evidence);
                    outcome
                }
            }
        }
        .boxed()
    }
}

/// Whether a database connector's role is the base identity's own (vCluster's database
/// connector logs in with the pod's role directly): then the connector's credentials are the
/// pod's. Other connectors always make the hop, even into their own role, so theirs is checked.
fn runs_as_base(conn: &Connector, base: &BaseCredentials) -> bool {
    conn.kind == crate::config::ConnectorKind::Rds
        && role_of(&base.arn).parse::<Arn>().is_ok_and(|arn| {
            arn.account == conn.role_arn.account
                && arn.resource.starts_with("role/")
                && arn.name() == conn.role_arn.name()
        })
}

fn passed(assumed: &Assumed, base: &BaseCredentials) -> Outcome {
    let packed = assumed.packed.map(|p| format!(" PackedPolicySize {p} %.")).unwrap_or_default();
    let o = Outcome::pass(format!(
        "{} assumed {}, valid until {}.{packed}",
        base.arn, assumed.arn, assumed.expires
    ))
    .fact("assumed_arn", &assumed.arn);
    match assumed.packed {
        Some(p) => o.fact("packed_percent", p.to_string()),
        None => o,
    }
}

/// Narrows a failed hop to its cause: STS's own words first, then live probes, then the real
/// policies when IAM is readable.
async fn denied(
    ctx: &Ctx,
    conn: &Connector,
    base: &BaseCredentials,
    failure: &CallFailure,
    facts: Facts,
) -> Outcome {
    let CallFailure::Service { code, message, .. } = failure else {
        return unclassified(failure, "AssumeRole").facts(&facts);
    };
    if code == "ValidationError" && message.contains("role chaining") {
        return Outcome::fail(
            Code::ChainedDurationExceeded,
            format!(
                "STS: {message} The connector asks for {} s, but {} is itself a role session: chained hops last at most 3600 s.",
                conn.duration_seconds.unwrap_or_default(),
                base.arn
            ),
        )
        .facts(&facts);
    }
    if !is_access_denied(failure) {
        return unclassified(failure, "AssumeRole").facts(&facts);
    }
    if denied_action(message) == Some("sts:TagSession") {
        return Outcome::fail(
            Code::TransitiveTagsDenied,
            format!(
                "STS: {message}. connector-doctor passed no session tags: the base session's tags are transitive (EKS Pod Identity sets six) and ride into this hop, so the trust of {} must allow sts:TagSession.",
                conn.role_arn
            ),
        )
        .facts(&facts);
    }
    let mut extra = Vec::new();
    if conn.external_id.is_some() {
        // The same call without the ExternalId, to see whether the role reacts to it at all.
        let role = conn.role_arn.to_string();
        let probe = Hop {
            role_arn: &role,
            session: &conn.session_name,
            external_id: None,
            tags: &[],
            duration: conn.duration_seconds,
            variant: "without the ExternalId",
        };
        let (result, evidence) = assume(ctx, &base.credentials, &probe).await;
        extra.push(evidence);
        if result.is_ok() {
            extra.push(
                Evidence::call("note").message("the hop succeeds without the ExternalId but not with it"),
            );
        }
    }
    let readout = explain::read(ctx, &base.credentials, &base.arn, &conn.role_arn, true).await;
    extra.extend(readout.evidence.iter().cloned());
    let outcome = from_policies(&readout, conn, &base.arn, message);
    let mut outcome = outcome.facts(&facts);
    for e in extra {
        outcome = outcome.evidence(e);
    }
    outcome
}

/// The verdict on a denied hop from what the policies say (or that they could not be read).
fn from_policies(readout: &explain::Readout, conn: &Connector, caller: &str, message: &str) -> Outcome {
    let who = caller;
    let role = &conn.role_arn;
    match explain::judge(readout, who, role, conn.external_id.as_ref()) {
        Some(Finding::ExternalId { statement, expected }) => match &conn.external_id {
            Some(id) => {
                let comparison = explain::compare(id, &expected);
                Outcome::fail(
                    Code::ExternalIdMismatch,
                    format!("The ExternalId does not match the sts:ExternalId condition of {statement}: {comparison}."),
                )
                .fact("statement", statement)
                .fact("external_id_comparison", comparison)
            }
            None => Outcome::fail(
                Code::ExternalIdRequired,
                format!("{statement} admits {who} only with an ExternalId, and none is configured for {}.", conn.name),
            )
            .fact("statement", statement),
        },
        Some(Finding::TrustDenies) => Outcome::fail(
            Code::AssumeDeniedByTrust,
            format!("No statement in the trust policy of {role} admits {who} (read with iam:GetRole and evaluated)."),
        ),
        Some(Finding::IdentityDenies { statement }) => Outcome::fail(
            Code::AssumeDeniedByIdentityPolicy,
            format!(
                "The trust policy of {role} admits the base role ({statement}), but the base role's own policies do not allow sts:AssumeRole on {role}."
            ),
        )
        .fact("statement", statement),
        Some(Finding::TrustAllows { statement }) => Outcome::fail(
            Code::AssumeDenied,
            format!(
                "STS: {message}. The trust policy admits {who} ({statement}); the base role's own policies could not be read{}, so the missing allow is probably there.",
                refused(readout.refused.as_deref())
            ),
        ),
        Some(Finding::PoliciesAllow) => Outcome::fail(
            Code::AssumeDenied,
            format!(
                "STS: {message}. The policies read allow this hop, so the denial comes from something not read: a service control policy, a permissions boundary, or a session policy."
            ),
        ),
        None if caller.parse::<crate::config::Arn>().is_ok_and(|a| a.account != role.account) => Outcome::fail(
            Code::AssumeDenied,
            format!(
                "STS: {message}. The role lives in account {}, whose trust policy cannot be read from here, and the base role's own side allows the hop (or could not be read{}). Most likely the trust policy of {role} does not name the base role, or its ExternalId condition does not match: its owner can check with iam:GetRole.",
                role.account,
                refused(readout.refused.as_deref())
            ),
        ),
        None => Outcome::fail(
            Code::AssumeDenied,
            format!(
                "STS: {message}. Most likely, in order: the trust policy of {role} has no statement for the base role; the base role's policy does not list {role}; an ExternalId condition does not match. Run again with an identity that may call iam:GetRole on {} to find out which{}.",
                role.name(),
                refused(readout.refused.as_deref())
            ),
        ),
    }
}

fn refused(what: Option<&str>) -> String {
    what.map(|w| format!(" ({w})")).unwrap_or_default()
}
