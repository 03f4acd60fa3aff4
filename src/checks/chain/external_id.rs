//! `chain.external_id`: where a connector passes an ExternalId, the role must demand it. AWS
//! accepts an ExternalId a role does not ask for, so a hop that works with one proves nothing:
//! only a hop without it that is denied shows the confused-deputy protection is in place.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{Hop, assume, base, chain_facts, connector, is_access_denied, or_return, unclassified};
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[Code::ExternalIdNotEnforced];

/// The check, for one connector.
#[derive(Debug)]
pub struct ExternalIdCheck {
    /// The connector's name.
    pub connector: String,
}

impl Check for ExternalIdCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            if conn.external_id.is_none() {
                return Outcome::not_applicable(format!("No ExternalId is configured for {}.", conn.name));
            }
            let base = or_return!(base(ctx));
            let facts = chain_facts(ctx, conn, Some(&base));
            let role = conn.role_arn.to_string();
            let hop = Hop {
                role_arn: &role,
                session: &conn.session_name,
                external_id: None,
                tags: &[],
                duration: conn.duration_seconds,
                variant: "without the ExternalId",
            };
            let (result, evidence) = assume(ctx, &base.credentials, &hop).await;
            let outcome = match result {
                Ok(_) => Outcome::warn(
                    Code::ExternalIdNotEnforced,
                    format!("{} can assume {role} without the ExternalId: the role accepts the configured one but does not demand it.", base.arn),
                ),
                Err(f) if is_access_denied(&f) => {
                    Outcome::pass(format!("Without the ExternalId, STS denies the hop into {role}: the role demands it."))
                }
                Err(f) => unclassified(&f, "AssumeRole without the ExternalId"),
            };
            outcome.facts(&facts).evidence(evidence)
        }
        .boxed()
    }
}
