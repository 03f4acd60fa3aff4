//! `chain.self_assume`: the connector role assumes itself, without an ExternalId, as gateways
//! do to refresh their credentials. AWS stopped allowing this implicitly: the trust must say so.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::explain::{self, Finding};
use super::{
    ConnectorCredentials, Hop, assume, base, chain_facts, connector, is_access_denied, or_return,
    unclassified,
};
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[Code::SelfAssumeDenied, Code::SelfAssumeExternalIdCondition];

/// The check, for one connector.
#[derive(Debug)]
pub struct SelfAssumeCheck {
    /// The connector's name.
    pub connector: String,
}

impl Check for SelfAssumeCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            if !conn.self_assume {
                return Outcome::not_applicable(format!(
                    "{} does not refresh by assuming its own role (set self_assume = true if it does).",
                    conn.name
                ));
            }
            let base = base(ctx).ok();
            let facts = chain_facts(ctx, conn, base.as_deref());
            let Some(own) = ctx.board.get::<ConnectorCredentials>(Some(&conn.name)) else {
                return Outcome::error("chain.assume passed but left no credentials.").facts(&facts);
            };
            let role = conn.role_arn.to_string();
            let hop = Hop {
                role_arn: &role,
                session: &conn.session_name,
                external_id: None,
                tags: &[],
                duration: None,
                variant: "self-assume, without an ExternalId",
            };
            let (result, evidence) = assume(ctx, &own.credentials, &hop).await;
            let Err(failure) = result else {
                return Outcome::pass(format!(
                    "{} can assume {role} again, without an ExternalId, to refresh.",
                    own.arn
                ))
                .facts(&facts)
                .evidence(evidence);
            };
            let mut outcome = if !is_access_denied(&failure) {
                unclassified(&failure, "The self-assume")
            } else if let Some(id) = &conn.external_id {
                // Live proof first: the same self-assume with the ExternalId.
                let with = Hop { external_id: Some(id), variant: "self-assume, with the ExternalId", ..hop };
                let (retry, more) = assume(ctx, &own.credentials, &with).await;
                let verdict = if retry.is_ok() {
                    external_id_condition(
                        &role,
                        "It works only with the ExternalId, which the connector's own refresh does not pass.",
                    )
                } else {
                    explained(ctx, &own, &role, &conn.role_arn, base.as_deref()).await
                };
                verdict.evidence(more)
            } else {
                explained(ctx, &own, &role, &conn.role_arn, base.as_deref()).await
            };
            outcome.evidence.insert(0, evidence);
            outcome.facts(&facts)
        }
        .boxed()
    }
}

fn external_id_condition(role: &str, why: &str) -> Outcome {
    Outcome::fail(
        Code::SelfAssumeExternalIdCondition,
        format!("The connector role {role} cannot assume itself without an ExternalId. {why}"),
    )
}

/// Narrows a denied self-assume from the role's trust policy when it can be read (with the
/// base identity's credentials, which are the likelier to hold IAM read access).
async fn explained(
    ctx: &Ctx,
    own: &ConnectorCredentials,
    role: &str,
    role_arn: &crate::config::Arn,
    base: Option<&crate::checks::identity::BaseCredentials>,
) -> Outcome {
    let reader = base.map_or(&own.credentials, |b| &b.credentials);
    let readout = explain::read(ctx, reader, &own.arn, role_arn, false).await;
    let mut outcome = match explain::judge(&readout, &own.arn, role_arn, None) {
        Some(Finding::ExternalId { statement, .. }) => external_id_condition(
            role,
            &format!(
                "{statement} names this role but demands an ExternalId; the internal refresh passes none."
            ),
        )
        .fact("statement", statement),
        _ => Outcome::fail(
            Code::SelfAssumeDenied,
            format!(
                "{} cannot assume {role} again: the trust policy needs a statement naming the role itself (SelfAssume), and the role's own policy must allow sts:AssumeRole and sts:TagSession on itself.",
                own.arn
            ),
        ),
    };
    for e in readout.evidence {
        outcome = outcome.evidence(e);
    }
    outcome
}
