//! `redshift.query`: a Data API round trip with a read-only statement of ours, as the connector
//! makes its own: `ExecuteStatement` with the cluster or workgroup and the database, no `DbUser`
//! and no `SecretArn`; `DescribeStatement` until it ends; `GetStatementResult`. The user the
//! server says it ran as is left on the board.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{
    DbUser, STATEMENT_CODES, Sql, Warehouse, redshift_facts, run_statement, statement_budget,
    statement_outcome,
};
use crate::checks::chain::{connector, or_return};
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &STATEMENT_CODES;

/// The statement: read-only, about the session itself.
pub const SQL: &str = "select current_user, version()";

/// The check, for one connector.
#[derive(Debug)]
pub struct QueryCheck {
    /// The connector's name.
    pub connector: String,
}

impl Check for QueryCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let warehouse = or_return!(Warehouse::of(conn));
            let facts = redshift_facts(ctx, conn);
            if let Some(outcome) = super::not_through_data_api(conn) {
                return outcome.facts(&facts);
            }
            let ran =
                run_statement(ctx, conn, Sql { text: SQL, params: &[] }, statement_budget("redshift.query"))
                    .await;
            let outcome = match ran.result {
                Ok(rows) => {
                    let row = rows.first();
                    let user = row.and_then(|r| r.first().cloned().flatten()).unwrap_or_default();
                    let version = row.and_then(|r| r.get(1).cloned().flatten()).unwrap_or_default();
                    if user.is_empty() {
                        Outcome::error(format!("The Data API answered {SQL} with no current_user."))
                            .facts(&facts)
                    } else {
                        ctx.board.put(Some(&conn.name), DbUser(user.clone()));
                        let short: String = version.chars().take(80).collect();
                        Outcome::pass(format!(
                            "The Data API ran {SQL} on database {} of the {} as {user} ({short}).",
                            super::database(conn),
                            warehouse.phrase()
                        ))
                        .facts(&facts)
                        .fact("db_user", user)
                        .fact("server_version", version)
                    }
                }
                Err(e) => statement_outcome(conn, "the test statement", &e, &facts),
            };
            ran.evidence.into_iter().fold(outcome, Outcome::evidence)
        }
        .boxed()
    }
}
