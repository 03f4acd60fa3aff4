//! `rds.grant`: whether the logged-in user is a member of `rds_iam`, asked of the server itself
//! over the session `rds.connect` opened. Through an RDS Proxy a login works without it (the
//! proxy logs in with its own secret), and a later direct login would fail.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::rds_facts;
use crate::checks::chain::{connector, or_return};
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Evidence, Outcome};
use crate::postgres::{self, SharedSession};

/// Codes this check emits.
pub const CODES: &[Code] = &[Code::RdsIamNotGranted, Code::IamAuthDisabled];

/// The query: read-only, about the session's own user.
const SQL: &str = "select pg_has_role(current_user, 'rds_iam', 'member')::text";

/// The check, for one connector.
#[derive(Debug)]
pub struct GrantCheck {
    /// The connector's name.
    pub connector: String,
}

impl Check for GrantCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let facts = rds_facts(ctx, conn);
            let Some(session) = ctx.board.get::<SharedSession>(Some(&conn.name)) else {
                return Outcome::error("rds.connect passed but left no session.");
            };
            if session.client.is_closed() {
                return Outcome::error("The database session rds.connect opened has closed since; re-run rds.connect.")
                    .facts(&facts);
            }
            let user = conn.target.user.as_deref().unwrap_or_default();
            let started = std::time::Instant::now();
            let answer = postgres::column(&session, SQL, super::connect::QUERY_BUDGET).await;
            let evidence = Evidence::call(SQL).took(started.elapsed());
            let outcome = match answer.as_deref() {
                Ok([Some(yes)]) if yes == "true" => {
                    Outcome::pass(format!("{user} is a member of rds_iam, as IAM logins require."))
                }
                Ok([Some(no)]) if no == "false" => Outcome::warn(
                    Code::RdsIamNotGranted,
                    format!("{user} logged in but is not a member of rds_iam: a direct IAM login as {user} would be refused."),
                ),
                Err(e) if e.contains("rds_iam") && e.contains("does not exist") => Outcome::fail(
                    Code::IamAuthDisabled,
                    format!("The server has no rds_iam role ({e}): IAM authentication is not enabled on the database behind this endpoint, so only a proxy's own IAM login works; a direct IAM login is refused."),
                ),
                Ok(other) => Outcome::error(format!("The server answered {other:?} to a yes-or-no question.")),
                Err(e) => Outcome::error(format!("The query failed: {e}")),
            };
            outcome.facts(&facts).evidence(evidence)
        }
        .boxed()
    }
}
