//! `rds.token`: the IAM auth token, signed with the connector's credentials for the host RDS will
//! check it against. The token is a password: it stays on the board, never in a report.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{credentials, rds_facts, target};
use crate::aws::ResolvedRegion;
use crate::aws::rds_token::{self, TokenRequest};
use crate::checks::chain::{connector, or_return};
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Outcome};
use crate::secret::Secret;

/// Codes this check emits.
pub const CODES: &[Code] = &[Code::TokenHostNotCanonical];

/// The check, for one connector.
#[derive(Debug)]
pub struct TokenCheck {
    /// The connector's name.
    pub connector: String,
}

/// A signed token, for `rds.connect`.
#[derive(Debug)]
pub struct Token {
    /// The token.
    pub token: Secret,
    /// The host it is signed for.
    pub host: String,
    /// The port it is signed for.
    pub port: u16,
    /// `X-Amz-Date`, for explanations.
    pub signed_at: String,
}

impl Check for TokenCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let facts = rds_facts(ctx, conn);
            let creds = or_return!(credentials(ctx, conn));
            let Some(target) = target(ctx, conn) else {
                return Outcome::error(format!(
                    "{} has no host to sign a token for: {} could not be described and no host is configured. Set host (and port) in the connector's configuration.",
                    conn.name,
                    conn.target.instance_id.as_deref().unwrap_or_default()
                ))
                .facts(&facts);
            };
            if let Some(db) = &target.described
                && !db.endpoint.eq_ignore_ascii_case(&target.host)
            {
                return Outcome::fail(
                    Code::TokenHostNotCanonical,
                    format!(
                        "{} connects to {}, but the {} {} is {}: RDS checks tokens against that name, so a token for {} would be refused.",
                        conn.name,
                        target.host,
                        db.kind.word(),
                        db.id,
                        db.endpoint,
                        target.host
                    ),
                )
                .facts(&facts);
            }
            let Some(user) = conn.target.user.as_deref() else {
                return Outcome::error("An rds connector without a user passed the configuration check.");
            };
            let region = ResolvedRegion::resolve(&ctx.world, &ctx.config).name;
            let request = TokenRequest { host: &target.host, port: target.port, user, region: &region, time: ctx.world.now() };
            let token = match rds_token::generate(&creds.credentials, &request) {
                Ok(t) => t,
                Err(why) => return Outcome::error(format!("The token could not be signed: {why}")).facts(&facts),
            };
            ctx.world.redactor.remember(token.expose());
            let signed_at = rds_token::facts(token.expose()).map(|f| f.signed_at).unwrap_or_default();
            let summary = format!(
                "Signed an IAM auth token for {user} at {}:{} in {region} with {} (signed {signed_at}, valid 15 minutes). The token is a password and is never shown.",
                target.host, target.port, creds.arn
            );
            ctx.board.put(
                Some(&conn.name),
                Token { token, host: target.host.clone(), port: target.port, signed_at: signed_at.clone() },
            );
            Outcome::pass(summary).facts(&facts).fact("token_signed_at", signed_at)
        }
        .boxed()
    }
}
