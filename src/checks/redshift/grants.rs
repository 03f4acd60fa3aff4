//! `redshift.grants`: whether the database user the connector's role maps to may use the
//! configured schema and read its tables, asked of the server itself through the Data API as
//! that user. It needs the credentials, not the query check, so that a missing user or grant is
//! named even when the test statement failed for it.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{
    Cell, STATEMENT_CODES, Sql, StatementError, literal, mapped_user, redshift_facts, run_statement, schema,
    statement_budget, statement_outcome,
};
use crate::checks::chain::{connector, or_return};
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[
    Code::IamrUserMissing,
    Code::IamrMissingGrants,
    STATEMENT_CODES[0],
    STATEMENT_CODES[1],
    STATEMENT_CODES[2],
    STATEMENT_CODES[3],
];

/// The check, for one connector.
#[derive(Debug)]
pub struct GrantsCheck {
    /// The connector's name.
    pub connector: String,
}

/// The statement for `schema` (a quoted literal): USAGE on the schema, how many tables it has,
/// and how many of them the user may SELECT. Read-only.
pub fn sql(s: &str) -> String {
    // Tables are named by OID, not by name: a name lookup would itself need USAGE on the schema.
    format!(
        "select has_schema_privilege(current_user, {s}, 'USAGE') as has_usage, \
         (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where n.nspname = {s} and c.relkind = 'r') as tables, \
         (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where n.nspname = {s} and c.relkind = 'r' and has_table_privilege(current_user, c.oid, 'SELECT')) as selectable"
    )
}

impl Check for GrantsCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let facts = redshift_facts(ctx, conn);
            let schema = schema(conn);
            if let Some(outcome) = super::not_through_data_api(conn) {
                return outcome.facts(&facts);
            }
            let Some(quoted) = literal(schema) else {
                return Outcome::error(format!(
                    "The schema {schema:?} holds a backslash or a control character; connector-doctor does not put it into SQL."
                ))
                .facts(&facts);
            };
            let text = sql(&quoted);
            let ran = run_statement(ctx, conn, Sql { text: &text, params: &[] }, statement_budget("redshift.grants"))
                .await;
            let user = mapped_user(ctx, conn);
            let db = super::database(conn);
            let outcome = match ran.result {
                Ok(rows) => judge(&user, schema, db, rows.first().map(Vec::as_slice).unwrap_or_default()),
                Err(StatementError::Failed { error, .. })
                    if error.contains("user \"") && error.contains("does not exist") =>
                {
                    Outcome::fail(
                        Code::IamrUserMissing,
                        format!(
                            "The database has no user {user} for {}: the server answered {error}. Redshift maps the role to exactly that name.",
                            conn.role_arn
                        ),
                    )
                    .fact("statement_error", error)
                }
                Err(StatementError::Failed { error, .. }) if error.contains("permission denied") => {
                    Outcome::fail(
                        Code::IamrMissingGrants,
                        format!("{user} may not read schema {schema} in database {db}: the server answered {error}."),
                    )
                    .fact("statement_error", error)
                }
                Err(e) => statement_outcome(conn, "the grants statement", &e, &facts),
            };
            ran.evidence.into_iter().fold(outcome.facts(&facts), Outcome::evidence)
        }
        .boxed()
    }
}

/// The verdict on the row `[has_usage, tables, selectable]`.
fn judge(user: &str, schema: &str, db: &str, row: &[Cell]) -> Outcome {
    let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    let usage = text(0);
    let (Ok(tables), Ok(selectable)) = (text(1).parse::<u64>(), text(2).parse::<u64>()) else {
        return Outcome::error(format!(
            "The grants statement answered {row:?}, not a usage flag and two counts."
        ));
    };
    let has_usage = matches!(usage.as_str(), "true" | "t" | "1");
    let mut missing = Vec::new();
    if !has_usage {
        missing.push(format!("USAGE on schema {schema}"));
    }
    if selectable < tables {
        missing.push(format!("SELECT on {} of the {tables} tables in {schema}", tables - selectable));
    }
    if missing.is_empty() {
        let tables_note = if tables == 0 {
            format!(" ({schema} has no tables yet, so SELECT could not be checked)")
        } else {
            format!(" and may SELECT all {tables} of its tables")
        };
        return Outcome::pass(format!("{user} has USAGE on schema {schema} in database {db}{tables_note}."));
    }
    Outcome::fail(
        Code::IamrMissingGrants,
        format!("{user} lacks {} in database {db}.", missing.join(" and ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<Cell> {
        cells.iter().map(|c| Some((*c).to_owned())).collect()
    }

    #[test]
    fn usage_and_select_are_judged() {
        let u = "IAMR:r";
        assert_eq!(judge(u, "public", "d", &row(&["true", "2", "2"])).status, crate::outcome::Status::Pass);
        let o = judge(u, "public", "d", &row(&["false", "2", "2"]));
        assert_eq!(o.code, Some(Code::IamrMissingGrants));
        assert!(o.summary.contains("USAGE on schema public"), "{}", o.summary);
        let o = judge(u, "public", "d", &row(&["true", "2", "1"]));
        assert!(o.summary.contains("SELECT on 1 of the 2 tables"), "{}", o.summary);
        assert_eq!(judge(u, "public", "d", &row(&["true", "x"])).status, crate::outcome::Status::Error);
    }

    #[test]
    fn the_statement_only_reads() {
        let text = sql("'public'");
        assert!(text.starts_with("select "));
        assert!(!text.to_ascii_lowercase().contains("grant "));
    }
}
