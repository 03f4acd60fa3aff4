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
    /// When it was signed, by the pod's clock: a token is good for 15 minutes only, and the
    /// interactive checklist may re-run the login much later.
    pub signed: std::time::SystemTime,
}

/// A token for `user` at `host:port`, signed now with the connector's credentials.
pub fn sign(ctx: &Ctx, conn: &crate::config::Connector, host: &str, port: u16) -> Result<Token, Outcome> {
    let creds = credentials(ctx, conn)?;
    let Some(user) = conn.target.user.as_deref() else {
        return Err(Outcome::error("An rds connector without a user passed the configuration check."));
    };
    let region = ResolvedRegion::resolve(&ctx.world, &ctx.config).name;
    let signed = ctx.world.now();
    let request = TokenRequest { host, port, user, region: &region, time: signed };
    let token = rds_token::generate(&creds.credentials, &request)
        .map_err(|why| Outcome::error(format!("The token could not be signed: {why}")))?;
    ctx.world.redactor.remember(token.expose());
    let signed_at = rds_token::facts(token.expose()).map(|f| f.signed_at).unwrap_or_default();
    Ok(Token { token, host: host.to_owned(), port, signed_at, signed })
}

/// The account hash and region of an RDS-given name
/// (`<name>.<kind-><hash>.<region>.rds.amazonaws.com[.cn]`), or `None` for any other name.
fn family(name: &str) -> Option<(String, String)> {
    let lower = name.to_ascii_lowercase();
    let labels: Vec<&str> = lower.split('.').collect();
    let rds = labels.iter().position(|l| *l == "rds")?;
    let tail = &labels[rds..];
    if rds != 3 || !(tail == ["rds", "amazonaws", "com"] || tail == ["rds", "amazonaws", "com", "cn"]) {
        return None;
    }
    let second = labels[1];
    let hash = ["cluster-custom-", "cluster-ro-", "cluster-", "proxy-"]
        .iter()
        .find_map(|p| second.strip_prefix(p))
        .unwrap_or(second);
    Some((hash.to_owned(), labels[2].to_owned()))
}

/// Whether `host` is a name RDS itself gives the database at `endpoint`: the endpoint, or one of
/// its siblings (an Aurora cluster's reader, custom or member-instance endpoints, a proxy's
/// read-only endpoint) under the same account hash and region. Tokens signed for any of them
/// are checked against that name and accepted.
pub fn same_database(endpoint: &str, host: &str) -> bool {
    if endpoint.eq_ignore_ascii_case(host) {
        return true;
    }
    matches!((family(endpoint), family(host)), (Some(a), Some(b)) if a == b)
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
                && !same_database(&db.endpoint, &target.host)
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
            let token = match sign(ctx, conn, &target.host, target.port) {
                Ok(t) => t,
                Err(outcome) => return outcome.facts(&facts),
            };
            let user = conn.target.user.as_deref().unwrap_or_default();
            let region = ResolvedRegion::resolve(&ctx.world, &ctx.config).name;
            let signed_at = token.signed_at.clone();
            let summary = format!(
                "Signed an IAM auth token for {user} at {}:{} in {region} with {} (signed {signed_at}, valid 15 minutes). The token is a password and is never shown.",
                target.host, target.port, creds.arn
            );
            ctx.board.put(Some(&conn.name), token);
            Outcome::pass(summary).facts(&facts).fact("token_signed_at", signed_at)
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siblings_of_an_endpoint_are_canonical() {
        let writer = "app.cluster-c9akciq32lab.us-west-1.rds.amazonaws.com";
        for host in [
            writer,
            "APP.cluster-c9akciq32lab.us-west-1.rds.amazonaws.com",
            "app.cluster-ro-c9akciq32lab.us-west-1.rds.amazonaws.com",
            "reports.cluster-custom-c9akciq32lab.us-west-1.rds.amazonaws.com",
            "app-instance-1.c9akciq32lab.us-west-1.rds.amazonaws.com",
        ] {
            assert!(same_database(writer, host), "{host}");
        }
        for host in [
            "db.corp.example",
            "10.0.5.20",
            "app.cluster-otherhash123.us-west-1.rds.amazonaws.com",
            "app.cluster-c9akciq32lab.us-east-1.rds.amazonaws.com",
            "app.c9akciq32lab.us-west-1.rds.amazonaws.com.evil.example",
        ] {
            assert!(!same_database(writer, host), "{host}");
        }
    }
}
