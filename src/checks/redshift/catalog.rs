//! `redshift.catalog`: the catalog path the connector lists columns from (by default
//! `pg_catalog.svv_all_columns`), read for the configured schema. The path is checked to be two
//! plain identifiers before it goes into SQL; the schema goes in as a quoted literal.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{
    STATEMENT_CODES, Sql, StatementError, catalog_path, is_safe_path, literal, redshift_facts, run_statement,
    schema, statement_budget, statement_outcome,
};
use crate::checks::chain::{connector, or_return};
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[
    Code::CatalogPathInvalid,
    STATEMENT_CODES[0],
    STATEMENT_CODES[1],
    STATEMENT_CODES[2],
    STATEMENT_CODES[3],
];

/// The check, for one connector.
#[derive(Debug)]
pub struct CatalogCheck {
    /// The connector's name.
    pub connector: String,
}

/// The statement: how many columns of `schema` the catalog at `path` shows. Read-only; `path`
/// must have passed [`is_safe_path`] and `schema_literal` be quoted.
pub fn sql(path: &str, schema_literal: &str) -> String {
    format!("select count(*) from {path} where schema_name = {schema_literal}")
}

impl Check for CatalogCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let facts = redshift_facts(ctx, conn);
            let path = catalog_path(conn);
            if let Some(outcome) = super::not_through_data_api(conn) {
                return outcome.facts(&facts);
            }
            let schema = schema(conn);
            if !is_safe_path(path) {
                return Outcome::fail(
                    Code::CatalogPathInvalid,
                    format!(
                        "The catalog path {path:?} is not schema.relation of plain identifiers (letters, digits, _ and $): connector-doctor does not put it into SQL, and the connector's own query would not find it."
                    ),
                )
                .facts(&facts);
            }
            let Some(quoted) = literal(schema) else {
                return Outcome::error(format!(
                    "The schema {schema:?} holds a backslash or a control character; connector-doctor does not put it into SQL."
                ))
                .facts(&facts);
            };
            let text = sql(path, &quoted);
            let ran = run_statement(ctx, conn, Sql { text: &text, params: &[] }, statement_budget("redshift.catalog"))
                .await;
            let outcome = match ran.result {
                Ok(rows) => {
                    let count = rows.first().and_then(|r| r.first().cloned().flatten()).unwrap_or_default();
                    match count.parse::<u64>() {
                        Ok(0) => Outcome::pass(format!(
                            "{path} answers, but shows no columns of schema {schema} to this user: it lists only columns the user may read, so check redshift.grants."
                        )),
                        Ok(n) => Outcome::pass(format!("{path} shows {n} columns of schema {schema}.")),
                        Err(_) => Outcome::error(format!("{path} answered {count:?} to a count.")),
                    }
                    .facts(&facts)
                }
                Err(StatementError::Failed { error, .. })
                    if error.contains("does not exist") && !error.contains("user \"") =>
                {
                    Outcome::fail(
                        Code::CatalogPathInvalid,
                        format!("The catalog path {path} does not answer: {error}."),
                    )
                    .facts(&facts)
                    .fact("statement_error", error)
                }
                Err(e) => statement_outcome(conn, "the catalog statement", &e, &facts),
            };
            ran.evidence.into_iter().fold(outcome, Outcome::evidence)
        }
        .boxed()
    }
}
