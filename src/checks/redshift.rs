//! The Redshift link: a provisioned cluster or a Serverless workgroup, reached the way xpander's
//! connector reaches it, through the Data API with the connector role's own identity.
//!
//! `redshift.cluster` finds the cluster (or workgroup) and reads its state; `redshift.credentials`
//! asks for the temporary database credentials the Data API will fetch on the role's behalf and
//! learns the database user they map to (`IAMR:<role>`); `redshift.query` makes a Data API round
//! trip with a read-only statement of ours; `redshift.grants` asks the server whether that user
//! may use the schema and read its tables; `redshift.catalog` reads the catalog path the
//! connector lists columns from. Every statement goes through [`run_statement`]: execute, poll
//! with backoff, fetch the result, and cancel our own statement when time runs out.

pub mod catalog;
pub mod cluster;
pub mod credentials;
pub mod grants;
pub mod query;

use std::time::{Duration, Instant};

use aws_sdk_sts::config::SharedCredentialsProvider;

use crate::aws::{self, CallFailure, ResolvedRegion};
pub use crate::checks::chain::connector_credentials as credentials;
use crate::checks::chain::{ConnectorCredentials, chain_facts, denied_action};
use crate::checks::identity::BaseCredentials;
use crate::config::Connector;
use crate::engine::Ctx;
use crate::outcome::{Code, Evidence, Facts, Outcome};

/// The catalog path a connector reads when none is configured.
pub const DEFAULT_CATALOG: &str = "pg_catalog.svv_all_columns";
/// The schema a connector reads when none is configured.
pub const DEFAULT_SCHEMA: &str = "public";

/// Time allowed for one control-plane or Data API call.
pub const CALL_BUDGET: Duration = Duration::from_secs(5);

/// The first wait between two `DescribeStatement` polls; it doubles up to a second. A short
/// statement on an idle cluster finishes within tens of milliseconds, so starting small keeps
/// the link fast for the price of two or three extra polls.
const FIRST_POLL_PAUSE: Duration = Duration::from_millis(25);

/// The codes any check that runs a statement may report.
pub const STATEMENT_CODES: [Code; 4] =
    [Code::DataApiDenied, Code::StatementOwnerDenied, Code::StatementFailed, Code::StatementTimeout];

/// What the connector names: a provisioned cluster or a Serverless workgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warehouse<'a> {
    /// `cluster_id`.
    Cluster(&'a str),
    /// `workgroup`.
    Workgroup(&'a str),
}

impl<'a> Warehouse<'a> {
    /// What `conn` names (the configuration guarantees exactly one).
    pub fn of(conn: &'a Connector) -> Result<Self, Outcome> {
        match (conn.target.cluster_id.as_deref(), conn.target.workgroup.as_deref()) {
            (Some(id), None) => Ok(Warehouse::Cluster(id)),
            (None, Some(name)) => Ok(Warehouse::Workgroup(name)),
            _ => Err(Outcome::error(
                "A redshift connector without exactly one of cluster_id and workgroup passed the configuration check.",
            )),
        }
    }

    /// Its name.
    pub fn name(self) -> &'a str {
        match self {
            Warehouse::Cluster(id) | Warehouse::Workgroup(id) => id,
        }
    }

    /// How remedies name it: `cluster xpander-redshift`, `workgroup analytics`.
    pub fn phrase(self) -> String {
        match self {
            Warehouse::Cluster(id) => format!("cluster {id}"),
            Warehouse::Workgroup(name) => format!("workgroup {name}"),
        }
    }
}

/// What `redshift.cluster` found, for the checks after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The cluster's or workgroup's ARN (a cluster's is built from its id; a workgroup's holds
    /// its id, which only `GetWorkgroup` tells).
    pub arn: String,
    /// Its status.
    pub status: String,
    /// Its endpoint address and port (for the network checks; JDBC connectors connect there).
    pub endpoint: Option<(String, u16)>,
    /// Its VPC security groups, for the network link's rule analysis.
    pub security_groups: Vec<String>,
}

/// The database user the credentials map to, as `redshift.credentials` (and then
/// `redshift.query`, from `current_user`) saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUser(pub String);

/// The region the connector's calls go to.
pub fn region(ctx: &Ctx) -> String {
    ResolvedRegion::resolve(&ctx.world, &ctx.config).name
}

/// The credentials provider for a client of the connector's role.
pub fn provider(creds: &ConnectorCredentials) -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(creds.credentials.clone())
}

/// The schema the connector reads.
pub fn schema(conn: &Connector) -> &str {
    conn.target.schema.as_deref().unwrap_or(DEFAULT_SCHEMA)
}

/// The catalog path the connector reads.
pub fn catalog_path(conn: &Connector) -> &str {
    conn.target.catalog.as_deref().unwrap_or(DEFAULT_CATALOG)
}

/// The database the connector names.
pub fn database(conn: &Connector) -> &str {
    conn.target.database.as_deref().unwrap_or_default()
}

/// The named database user a connector logs in as over JDBC (`user` on a cluster connector,
/// as Qualytics' target roles do with `GetClusterCredentials`), if it is one of those.
pub fn named_user(conn: &Connector) -> Option<&str> {
    conn.target.cluster_id.as_ref().and(conn.target.user.as_deref())
}

/// For the checks that run SQL through the Data API: the verdict for a connector that does not
/// use it (it logs in over JDBC as a named user), so that no Data API permission it never needs
/// is reported missing.
pub fn not_through_data_api(conn: &Connector) -> Option<Outcome> {
    named_user(conn).map(|user| {
        Outcome::not_applicable(format!(
            "{} logs in over JDBC as the database user {user} (GetClusterCredentials), not through the Data API that this check uses.",
            conn.name
        ))
    })
}

/// The database user Redshift maps the connector's role to.
pub fn mapped_user(ctx: &Ctx, conn: &Connector) -> String {
    ctx.board.get::<DbUser>(Some(&conn.name)).map_or_else(
        || match named_user(conn) {
            Some(user) => format!("IAM:{user}"),
            None => format!("IAMR:{}", conn.role_arn.name()),
        },
        |u| u.0.clone(),
    )
}

/// `arn:<partition>:redshift:<region>:<account>:cluster:<id>`.
pub fn cluster_arn(partition: &str, region: &str, account: &str, id: &str) -> String {
    format!("arn:{partition}:redshift:{region}:{account}:cluster:{id}")
}

/// `arn:<partition>:redshift:<region>:<account>:dbname:<cluster>/<database>`, the resource of
/// `redshift:GetClusterCredentialsWithIAM`.
pub fn dbname_arn(partition: &str, region: &str, account: &str, cluster: &str, database: &str) -> String {
    format!("arn:{partition}:redshift:{region}:{account}:dbname:{cluster}/{database}")
}

/// The ARN that stands for the warehouse in policies: a cluster's is known from its id, a
/// workgroup's only once `redshift.cluster` read it (else a wildcard over the account's).
pub fn warehouse_arn(ctx: &Ctx, conn: &Connector, region: &str) -> String {
    if let Some(found) = ctx.board.get::<Found>(Some(&conn.name)) {
        return found.arn.clone();
    }
    let (partition, account) = (&conn.role_arn.partition, &conn.role_arn.account);
    match Warehouse::of(conn) {
        Ok(Warehouse::Cluster(id)) => cluster_arn(partition, region, account, id),
        _ => format!("arn:{partition}:redshift-serverless:{region}:{account}:workgroup/*"),
    }
}

/// Facts every Redshift remedy may use.
pub fn redshift_facts(ctx: &Ctx, conn: &Connector) -> Facts {
    let base = ctx.board.get::<BaseCredentials>(None);
    let mut f = chain_facts(ctx, conn, base.as_deref());
    let region = region(ctx);
    let account = conn.role_arn.account.clone();
    let db = database(conn).to_owned();
    f.insert("region".into(), region.clone());
    f.insert("database".into(), db.clone());
    f.insert("schema".into(), schema(conn).to_owned());
    f.insert("catalog".into(), catalog_path(conn).to_owned());
    f.insert("db_user".into(), mapped_user(ctx, conn));
    f.insert("warehouse_arn".into(), warehouse_arn(ctx, conn, &region));
    if let Some(found) = ctx.board.get::<Found>(Some(&conn.name)) {
        f.insert("warehouse_status".into(), found.status.clone());
    }
    let policy_statement = |action: &str, resource: &str| {
        format!("{{\"Effect\": \"Allow\", \"Action\": \"{action}\", \"Resource\": \"{resource}\"}}")
    };
    match Warehouse::of(conn) {
        Ok(Warehouse::Cluster(id)) => {
            f.insert("cluster_id".into(), id.to_owned());
            f.insert("redshift_target".into(), format!("cluster {id}"));
            f.insert("warehouse_flag".into(), format!("--cluster-identifier {id}"));
            let partition = &conn.role_arn.partition;
            let dbname = dbname_arn(partition, &region, &account, id, &db);
            let (action, resource) = match named_user(conn) {
                Some(user) => (
                    "redshift:GetClusterCredentials",
                    format!(
                        "[\"arn:{partition}:redshift:{region}:{account}:dbuser:{id}/{user}\", \"{dbname}\"]"
                    ),
                ),
                None => ("redshift:GetClusterCredentialsWithIAM", format!("\"{dbname}\"")),
            };
            f.insert("credentials_action".into(), action.into());
            f.insert(
                "credentials_policy".into(),
                format!("{{\"Effect\": \"Allow\", \"Action\": \"{action}\", \"Resource\": {resource}}}"),
            );
        }
        Ok(Warehouse::Workgroup(name)) => {
            f.insert("workgroup".into(), name.to_owned());
            f.insert("redshift_target".into(), format!("workgroup {name}"));
            f.insert("warehouse_flag".into(), format!("--workgroup-name {name}"));
            let action = "redshift-serverless:GetCredentials";
            f.insert("credentials_action".into(), action.into());
            f.insert(
                "credentials_policy".into(),
                policy_statement(action, &warehouse_arn(ctx, conn, &region)),
            );
        }
        Err(_) => {}
    }
    f
}

/// Whether an AWS error code is an authorization refusal (`AccessDenied`,
/// `AccessDeniedException`, `UnauthorizedOperation`).
pub fn is_denied(failure: &CallFailure) -> bool {
    matches!(failure, CallFailure::Service { code, .. }
        if code.contains("AccessDenied") || code == "UnauthorizedOperation")
}

/// What AWS said, in a line, for summaries.
pub fn said(failure: &CallFailure) -> String {
    match failure {
        CallFailure::Service { code, message, .. } if message.is_empty() => code.clone(),
        CallFailure::Service { code, message, .. } => format!("{code}: {message}"),
        CallFailure::Unreachable { kind, .. } => format!("the endpoint {}", kind.phrase()),
        CallFailure::Garbled { .. } => "an answer that is not the service's reply".to_owned(),
        CallFailure::Local { detail } => format!("the call could not be made: {detail}"),
    }
}

/// The verdict for a control-plane failure no Redshift code covers.
pub fn unclassified(call: &str, failure: &CallFailure) -> Outcome {
    Outcome::error(format!(
        "{call} failed with {}, and connector-doctor cannot classify the answer.",
        said(failure)
    ))
}

// ---------------------------------------------------------------------------------------------
// One statement through the Data API.

/// One read-only statement of ours.
#[derive(Debug, Clone, Copy)]
pub struct Sql<'a> {
    /// The text, with `:name` parameters.
    pub text: &'a str,
    /// The parameters' values.
    pub params: &'a [(&'a str, &'a str)],
}

/// A value of a result row, as text (`None` for SQL NULL).
pub type Cell = Option<String>;

/// How a statement went wrong.
#[derive(Debug, Clone)]
pub enum StatementError {
    /// `ExecuteStatement` was refused on authorization grounds.
    ExecuteDenied(CallFailure),
    /// The statement was accepted, and `call` on it was refused.
    OwnerDenied {
        /// `redshift-data:DescribeStatement` or `redshift-data:GetStatementResult`.
        call: &'static str,
        /// What AWS said.
        failure: CallFailure,
        /// Our statement's id.
        id: String,
    },
    /// The statement ended `FAILED` (or `ABORTED`) with the server's error.
    Failed {
        /// The final status.
        status: String,
        /// The server's error text.
        error: String,
    },
    /// The statement did not finish within the budget.
    TimedOut {
        /// Our statement's id.
        id: String,
        /// The last status seen.
        status: String,
        /// How long it was given.
        waited: Duration,
        /// Whether `CancelStatement` for it was accepted.
        cancelled: bool,
    },
    /// Any other failure of `call` (unreachable endpoint, a validation error, garbage).
    Call {
        /// The call.
        call: &'static str,
        /// What happened.
        failure: CallFailure,
    },
}

/// A statement's run: its rows, or why there are none, and the calls made.
#[derive(Debug)]
pub struct Ran {
    /// The rows, or the failure.
    pub result: Result<Vec<Vec<Cell>>, StatementError>,
    /// The calls made, in order (polls are summarized in one entry).
    pub evidence: Vec<Evidence>,
}

/// The check's deadline less a margin: what a statement may take, polls included, before it is
/// cancelled and reported.
pub fn statement_budget(check_id: &str) -> Duration {
    let deadline = crate::catalog::catalog()
        .check(check_id)
        .map_or(Duration::from_secs(15), crate::catalog::CheckEntry::deadline);
    // Room after the budget for one DescribeStatement still in flight and the CancelStatement,
    // each of which may take a whole call budget, so the cancel is sent before the check's end.
    deadline.saturating_sub(CALL_BUDGET * 2).max(Duration::from_secs(1))
}

/// Runs `sql` as the connector's role through the Data API on its cluster or workgroup and
/// database, with no `DbUser` and no `SecretArn` (the Data API fetches IAM credentials for the
/// role, as the connector's own calls do). Polls `DescribeStatement` from [`FIRST_POLL_PAUSE`],
/// doubling to 1 s, within `budget`; on time running out cancels the statement (ours, by its id).
#[allow(clippy::too_many_lines)] // One linear protocol: execute, poll, cancel or fetch.
pub async fn run_statement(ctx: &Ctx, conn: &Connector, sql: Sql<'_>, budget: Duration) -> Ran {
    let mut evidence = Vec::new();
    let Ok(warehouse) = Warehouse::of(conn) else {
        let failure = CallFailure::Local { detail: "no cluster_id or workgroup".into() };
        return Ran {
            result: Err(StatementError::Call { call: "redshift-data:ExecuteStatement", failure }),
            evidence,
        };
    };
    let Ok(creds) = credentials(ctx, conn) else {
        let failure = CallFailure::Local { detail: "chain.assume left no credentials".into() };
        return Ran {
            result: Err(StatementError::Call { call: "redshift-data:ExecuteStatement", failure }),
            evidence,
        };
    };
    let region = region(ctx);
    let client = aws::redshift_data_client(&ctx.world, &region, provider(&creds), CALL_BUDGET);
    let endpoint = aws::region::endpoint(&ctx.world, "REDSHIFT_DATA", "redshift-data", &region).url;
    let started = Instant::now();

    let mut request = client.execute_statement().database(database(conn)).sql(sql.text);
    request = match warehouse {
        Warehouse::Cluster(id) => request.cluster_identifier(id),
        Warehouse::Workgroup(name) => request.workgroup_name(name),
    };
    for (name, value) in sql.params {
        if let Ok(p) = aws_sdk_redshiftdata::types::SqlParameter::builder().name(*name).value(*value).build()
        {
            request = request.parameters(p);
        }
    }
    let call = "redshift-data:ExecuteStatement";
    let at = Instant::now();
    let id = match request.send().await {
        Ok(out) => {
            evidence.push(Evidence::call(call).endpoint(&endpoint).took(at.elapsed()).message(sql.text));
            out.id().unwrap_or_default().to_owned()
        }
        Err(e) => {
            let failure = CallFailure::from_sdk(&e);
            evidence.push(failure.evidence(call, &endpoint, at.elapsed()));
            let error = if is_denied(&failure) {
                StatementError::ExecuteDenied(failure)
            } else {
                StatementError::Call { call, failure }
            };
            return Ran { result: Err(error), evidence };
        }
    };

    // Poll until a final status, or until the budget ends.
    let call = "redshift-data:DescribeStatement";
    let mut pause = FIRST_POLL_PAUSE;
    let mut polls = 0u32;
    let poll_started = Instant::now();
    let (status, error) = loop {
        let at = Instant::now();
        match client.describe_statement().id(&id).send().await {
            Ok(out) => {
                polls += 1;
                let status = out.status().map_or("UNKNOWN", |s| s.as_str()).to_owned();
                if matches!(status.as_str(), "FINISHED" | "FAILED" | "ABORTED") {
                    break (status, out.error().map(str::to_owned));
                }
                if started.elapsed() + pause >= budget {
                    evidence.push(
                        Evidence::call(call)
                            .endpoint(&endpoint)
                            .took(poll_started.elapsed())
                            .message(format!("{polls} polls; still {status}")),
                    );
                    let cancelled = cancel(&client, &id, &endpoint, &mut evidence).await;
                    let waited = started.elapsed();
                    let error = StatementError::TimedOut { id, status, waited, cancelled };
                    return Ran { result: Err(error), evidence };
                }
            }
            Err(e) => {
                let failure = CallFailure::from_sdk(&e);
                evidence.push(failure.evidence(call, &endpoint, at.elapsed()));
                // Not left running unwatched: the doctor cancels what it can no longer follow.
                cancel(&client, &id, &endpoint, &mut evidence).await;
                return Ran { result: Err(about_own_statement(call, failure, id)), evidence };
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    };
    evidence.push(
        Evidence::call(call)
            .endpoint(&endpoint)
            .took(poll_started.elapsed())
            .message(format!("{polls} polls; {status}")),
    );
    if status != "FINISHED" {
        let error = error.unwrap_or_else(|| format!("the statement ended {status}"));
        return Ran { result: Err(StatementError::Failed { status, error }), evidence };
    }

    let call = "redshift-data:GetStatementResult";
    let at = Instant::now();
    match client.get_statement_result().id(&id).send().await {
        Ok(out) => {
            evidence.push(
                Evidence::call(call)
                    .endpoint(&endpoint)
                    .took(at.elapsed())
                    .message(format!("{} rows", out.records().len())),
            );
            let rows = out.records().iter().map(|row| row.iter().map(cell).collect()).collect();
            Ran { result: Ok(rows), evidence }
        }
        Err(e) => {
            let failure = CallFailure::from_sdk(&e);
            evidence.push(failure.evidence(call, &endpoint, at.elapsed()));
            Ran { result: Err(about_own_statement(call, failure, id)), evidence }
        }
    }
}

/// Cancels the doctor's own statement, best effort; whether Redshift says it was cancelled.
async fn cancel(
    client: &aws_sdk_redshiftdata::Client,
    id: &str,
    endpoint: &str,
    evidence: &mut Vec<Evidence>,
) -> bool {
    let call = "redshift-data:CancelStatement";
    let at = Instant::now();
    match client.cancel_statement().id(id).send().await {
        Ok(out) => {
            evidence.push(
                Evidence::call(call)
                    .endpoint(endpoint)
                    .took(at.elapsed())
                    .message(format!("statement {id} cancelled")),
            );
            out.status().unwrap_or(false)
        }
        Err(e) => {
            let failure = CallFailure::from_sdk(&e);
            evidence.push(failure.evidence(call, endpoint, at.elapsed()));
            false
        }
    }
}
/// A failed call about a statement the doctor itself submitted: a denial can only be the
/// statement-owner condition, since submitting it was allowed.
fn about_own_statement(call: &'static str, failure: CallFailure, id: String) -> StatementError {
    if is_denied(&failure) {
        StatementError::OwnerDenied { call, failure, id }
    } else {
        StatementError::Call { call, failure }
    }
}

/// A result field as text.
fn cell(field: &aws_sdk_redshiftdata::types::Field) -> Cell {
    use aws_sdk_redshiftdata::types::Field;
    match field {
        Field::StringValue(s) => Some(s.clone()),
        Field::LongValue(n) => Some(n.to_string()),
        Field::BooleanValue(b) => Some(b.to_string()),
        Field::DoubleValue(d) => Some(d.to_string()),
        Field::BlobValue(_) => Some("<blob>".to_owned()),
        Field::IsNull(true) => None,
        _ => Some(String::new()),
    }
}

/// What a failed statement's error text says, in a sentence.
pub fn classify(error: &str) -> &'static str {
    let lower = error.to_ascii_lowercase();
    if lower.contains("user \"") && lower.contains("does not exist") {
        "the database has no user for the connector's role"
    } else if lower.contains("permission denied") {
        "the database user lacks a privilege"
    } else if lower.contains("database \"") && lower.contains("does not exist") {
        "the database does not exist on this cluster or workgroup"
    } else if lower.contains("does not exist") {
        "a relation or schema it names does not exist"
    } else if lower.contains("not available") {
        "the cluster or workgroup is not available for queries"
    } else {
        "the server refused the statement"
    }
}

/// The verdict for a statement error no check-specific rule covered: one of the four
/// statement codes, or `error` for the tool's own trouble.
pub fn statement_outcome(conn: &Connector, what: &str, error: &StatementError, facts: &Facts) -> Outcome {
    let target = Warehouse::of(conn).map_or_else(|_| String::from("the warehouse"), Warehouse::phrase);
    let outcome = match error {
        StatementError::ExecuteDenied(failure) => {
            let action = match failure {
                CallFailure::Service { message, .. } => denied_action(message).unwrap_or("redshift-data:ExecuteStatement"),
                _ => "redshift-data:ExecuteStatement",
            };
            Outcome::fail(
                Code::DataApiDenied,
                format!(
                    "The Data API refused {what} on {target}: {action} is not allowed for {} ({}).",
                    conn.role_arn,
                    said(failure)
                ),
            )
            .fact("denied_call", action)
        }
        StatementError::OwnerDenied { call, failure, id } => Outcome::fail(
            Code::StatementOwnerDenied,
            format!(
                "The Data API accepted {what} (statement {id}) on {target}, but {call} on it was refused to the same session ({}): the connector can submit statements and never read their results.",
                said(failure)
            ),
        )
        .fact("denied_call", *call),
        StatementError::Failed { status, error } => Outcome::fail(
            Code::StatementFailed,
            format!(
                "{what} on {target} ended {status}: {} ({error}).",
                classify(error)
            ),
        )
        .fact("statement_error", error.clone()),
        StatementError::TimedOut { id, status, waited, cancelled } => {
            let cancel = if *cancelled {
                format!("statement {id} was cancelled")
            } else {
                format!("cancelling statement {id} was not confirmed")
            };
            Outcome::fail(
                Code::StatementTimeout,
                format!(
                    "{what} on {target} was still {status} after {:.1} s; {cancel}. The cluster is busy, its queue is full, or a Serverless workgroup is resuming.",
                    waited.as_secs_f64()
                ),
            )
        }
        StatementError::Call { call, failure } => Outcome::error(format!(
            "{call} for {what} on {target} failed with {}, and connector-doctor cannot classify the answer.",
            said(failure)
        )),
    };
    outcome.facts(facts)
}

/// Whether `path` is `ident.ident` of letters, digits, `_` and `$` (not starting with a digit or
/// `$`): safe to put into SQL as it is.
pub fn is_safe_path(path: &str) -> bool {
    let ident = |s: &str| {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            && s.len() <= 127
    };
    match path.split_once('.') {
        Some((schema, relation)) => ident(schema) && ident(relation),
        None => false,
    }
}

/// A SQL string literal of `text`: single quotes doubled, refused when it holds a backslash or
/// a control character (Redshift reads backslash escapes in literals).
pub fn literal(text: &str) -> Option<String> {
    if text.chars().any(|c| c == '\\' || c.is_control()) {
        return None;
    }
    Some(format!("'{}'", text.replace('\'', "''")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_paths_are_checked_before_they_reach_sql() {
        assert!(is_safe_path("pg_catalog.svv_all_columns"));
        assert!(is_safe_path("information_schema.columns"));
        assert!(!is_safe_path("svv_all_columns"));
        assert!(!is_safe_path("pg_catalog.svv_all_columns; drop table x"));
        assert!(!is_safe_path("a.b.c"));
        assert!(!is_safe_path("1a.b"));
        assert!(!is_safe_path("a.\"b\""));
    }

    #[test]
    fn literals_are_quoted() {
        assert_eq!(literal("public").as_deref(), Some("'public'"));
        assert_eq!(literal("o'brien").as_deref(), Some("'o''brien'"));
        assert_eq!(literal("a\\b"), None);
    }

    #[test]
    fn server_errors_are_classified() {
        assert!(classify("FATAL: user \"IAMR:r\" does not exist").contains("no user"));
        assert!(classify("ERROR: permission denied for relation orders").contains("privilege"));
        assert!(classify("ERROR: relation \"pg_catalog.nope\" does not exist").contains("relation"));
        assert!(classify("FATAL: database \"x\" does not exist").contains("database does not exist"));
    }
}
