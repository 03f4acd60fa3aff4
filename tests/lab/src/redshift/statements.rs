//! Data API statements: the store that keeps every one (for `DescribeStatement` and the calls
//! after it, and for tests through `Lab::statements`), the lifecycle a statement goes through
//! (SUBMITTED → PICKED → STARTED → FINISHED | FAILED | ABORTED) as a task on the lab's
//! runtime, and the executor that runs its SQL.
//!
//! The lifecycle is separate from the executor (a small trait) so that it can be tested
//! without a database; the one real executor connects to the lab's PostgreSQL server as the
//! statement's database user and runs the SQL there, so that privileges and their errors are
//! the server's own. Those errors are then worded as Redshift words them in
//! `DescribeStatement`'s `Error`.
//!
//! Values come from the simple query protocol, as text formatted by the server itself
//! (timestamps, numerics), and are typed by the column types a `prepare` of the same SQL
//! reports; SQL that cannot be prepared (several commands) is still run, with untyped columns.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// Where a statement is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementStatus {
    /// Accepted, waiting.
    Submitted,
    /// Picked up for running.
    Picked,
    /// Running on the database.
    Started,
    /// Done, with or without a result set.
    Finished,
    /// The database refused or failed it; `Error` says why.
    Failed,
    /// Cancelled by `CancelStatement`.
    Aborted,
}

impl StatementStatus {
    /// The Data API's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "SUBMITTED",
            Self::Picked => "PICKED",
            Self::Started => "STARTED",
            Self::Finished => "FINISHED",
            Self::Failed => "FAILED",
            Self::Aborted => "ABORTED",
        }
    }

    /// Whether the statement can change no more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Finished | Self::Failed | Self::Aborted)
    }
}

/// One statement, as tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement's `Id` (a UUID).
    pub id: String,
    /// The SQL as submitted (before parameters are bound).
    pub sql: String,
    /// The database it runs on.
    pub database: String,
    /// The database user it runs as (`IAMR:<role>`, …).
    pub db_user: String,
    /// The cluster, for a statement on a provisioned cluster.
    pub cluster: Option<String>,
    /// The workgroup, for a statement on Serverless.
    pub workgroup: Option<String>,
    /// The `aws:userid` of the caller that submitted it.
    pub owner: String,
    /// The status now (final once the statement is done).
    pub status: StatementStatus,
    /// `DescribeStatement`'s `Error`, for a failed statement.
    pub error: Option<String>,
    /// Whether `CancelStatement` stopped it.
    pub cancelled: bool,
}

/// One column of a result set, as `ColumnMetadata` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Column name (and label).
    pub name: String,
    /// Redshift's type name (`int4`, `varchar`, `numeric`, …).
    pub type_name: String,
    /// 1 if the column may be NULL, 0 if not.
    pub nullable: i32,
    /// Precision (digits, or the length of a character type).
    pub precision: i32,
    /// Scale of a numeric type.
    pub scale: i32,
    /// Whether the type is a signed number.
    pub signed: bool,
    /// Whether the type is a character type.
    pub case_sensitive: bool,
    /// The schema of the table it comes from, or empty.
    pub schema: String,
    /// The table it comes from, or empty.
    pub table: String,
}

/// One value of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// `{"stringValue": …}`.
    Text(String),
    /// `{"longValue": …}`.
    Long(i64),
    /// `{"doubleValue": …}`.
    Double(f64),
    /// `{"booleanValue": …}`.
    Boolean(bool),
    /// `{"isNull": true}`.
    Null,
}

impl Field {
    /// The Data API's JSON for the value.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Text(s) => json!({ "stringValue": s }),
            Self::Long(n) => json!({ "longValue": n }),
            Self::Double(x) => json!({ "doubleValue": x }),
            Self::Boolean(b) => json!({ "booleanValue": b }),
            Self::Null => json!({ "isNull": true }),
        }
    }
}

/// What a finished statement produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultSet {
    /// The columns; empty when the statement returns no rows at all (DDL, DML).
    pub columns: Vec<Column>,
    /// The records.
    pub rows: Vec<Vec<Field>>,
    /// Rows affected, for a statement without a result set.
    pub affected: u64,
    /// Bytes of the values as text (`ResultSize`).
    pub size: i64,
}

impl ResultSet {
    /// Whether the statement returned a result set.
    pub fn has_result_set(&self) -> bool {
        !self.columns.is_empty()
    }
}

/// How an executor's run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The SQL ran.
    Finished(ResultSet),
    /// It failed; the text is as Redshift words it (`ERROR: …`, `FATAL: …`).
    Failed(String),
    /// It noticed the cancel and stopped.
    Cancelled,
}

/// What an executor gets for one statement.
pub struct Job {
    /// The SQL, parameters bound.
    pub sql: String,
    /// Turns true when the statement is cancelled.
    pub cancel: watch::Receiver<bool>,
    /// To call once connected, with the server process ID (`RedshiftPid`).
    pub connected: Box<dyn FnOnce(i32) + Send>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("sql", &self.sql).finish_non_exhaustive()
    }
}

/// A boxed future an executor returns.
pub type Run = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// Runs one statement's SQL somewhere; the lifecycle around it is [`drive`]'s.
pub trait Executor: Send {
    /// Runs the job to its end: finished, failed, or stopped by its cancel.
    fn run(self: Box<Self>, job: Job) -> Run;
}

/// How long a statement waits and whether it ever finishes, from its cluster or workgroup.
#[derive(Debug, Clone, Copy, Default)]
pub struct Behaviour {
    /// Spent SUBMITTED (first half) and PICKED (second half) before running.
    pub delay: Duration,
    /// Stay STARTED until cancelled.
    pub hang: bool,
}

/// A statement as the store keeps it.
#[derive(Debug, Clone)]
pub struct Record {
    /// What tests see.
    pub statement: Statement,
    /// `Parameters`, as `(name, value)`.
    pub params: Vec<(String, String)>,
    /// `CreatedAt`, epoch seconds.
    pub created_at: f64,
    /// `UpdatedAt`, epoch seconds.
    pub updated_at: f64,
    /// `Duration` in nanoseconds, -1 until done.
    pub duration_ns: i64,
    /// `RedshiftPid`, 0 until connected.
    pub pid: i32,
    /// `RedshiftQueryId`, 0 until started.
    pub query_id: i64,
    /// The result of a finished statement.
    pub result: Option<Arc<ResultSet>>,
}

impl Record {
    /// A new SUBMITTED statement.
    pub fn new(statement: Statement, params: Vec<(String, String)>) -> Self {
        let now = super::now_epoch();
        Self {
            statement,
            params,
            created_at: now,
            updated_at: now,
            duration_ns: -1,
            pid: 0,
            query_id: 0,
            result: None,
        }
    }
}

#[derive(Debug)]
struct Entry {
    record: Record,
    started: Option<Instant>,
    cancel: watch::Sender<bool>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: Vec<Entry>,
    next_query_id: i64,
}

/// Every statement submitted to the lab, in order.
#[derive(Debug, Default)]
pub struct Statements {
    inner: Mutex<Inner>,
}

/// The first `RedshiftQueryId` handed out.
const FIRST_QUERY_ID: i64 = 1_000;

impl Statements {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, id: &str, change: impl FnOnce(&mut Entry)) {
        let mut inner = self.lock();
        if let Some(entry) = inner.entries.iter_mut().find(|e| e.record.statement.id == id) {
            change(entry);
            entry.record.updated_at = super::now_epoch();
        }
    }

    /// Keeps a new statement; returns the receiver its cancel is signalled on.
    pub fn add(&self, record: Record) -> watch::Receiver<bool> {
        let (cancel, cancelled) = watch::channel(false);
        self.lock().entries.push(Entry { record, started: None, cancel });
        cancelled
    }

    /// The statement `id`.
    pub fn get(&self, id: &str) -> Option<Record> {
        self.lock().entries.iter().find(|e| e.record.statement.id == id).map(|e| e.record.clone())
    }

    /// Every statement, in the order submitted.
    pub fn all(&self) -> Vec<Statement> {
        self.lock().entries.iter().map(|e| e.record.statement.clone()).collect()
    }

    fn set_status(&self, id: &str, status: StatementStatus) {
        self.update(id, |e| {
            if !e.record.statement.status.is_final() {
                e.record.statement.status = status;
            }
        });
    }

    fn start(&self, id: &str) {
        let mut inner = self.lock();
        let query_id = FIRST_QUERY_ID + inner.next_query_id;
        inner.next_query_id += 1;
        drop(inner);
        self.update(id, |e| {
            if !e.record.statement.status.is_final() {
                e.record.statement.status = StatementStatus::Started;
                e.record.query_id = query_id;
                e.started = Some(Instant::now());
            }
        });
    }

    fn connected(&self, id: &str, pid: i32) {
        self.update(id, |e| e.record.pid = pid);
    }

    /// Records how a run ended. A statement cancelled meanwhile stays ABORTED.
    pub fn finish(&self, id: &str, outcome: Outcome) {
        self.update(id, |e| {
            e.record.duration_ns = elapsed_ns(e.started);
            if e.record.statement.status.is_final() {
                return;
            }
            match outcome {
                Outcome::Finished(result) => {
                    e.record.statement.status = StatementStatus::Finished;
                    e.record.result = Some(Arc::new(result));
                }
                Outcome::Failed(error) => {
                    e.record.statement.status = StatementStatus::Failed;
                    e.record.statement.error = Some(error);
                }
                Outcome::Cancelled => e.record.statement.status = StatementStatus::Aborted,
            }
        });
    }

    /// Cancels a statement that has not ended: it becomes ABORTED at once and its run is told
    /// to stop. A statement that has ended is left alone; its status is returned.
    pub fn cancel(&self, id: &str) -> Result<(), StatementStatus> {
        let mut result = Ok(());
        self.update(id, |e| {
            let status = e.record.statement.status;
            if status.is_final() {
                result = Err(status);
                return;
            }
            e.record.statement.status = StatementStatus::Aborted;
            e.record.statement.cancelled = true;
            e.record.duration_ns = elapsed_ns(e.started).max(0);
            let _ = e.cancel.send(true);
        });
        result
    }
}

fn elapsed_ns(started: Option<Instant>) -> i64 {
    started.map_or(0, |t| i64::try_from(t.elapsed().as_nanos()).unwrap_or(i64::MAX))
}

/// The longest a hanging statement hangs: the Data API's own limit on a query, 24 hours (in
/// practice, the lab's lifetime).
const HANG_LIMIT: Duration = Duration::from_secs(24 * 3600);

/// Resolves once `cancel` turns true (or can no longer turn true because the store is gone).
async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    let _ = cancel.wait_for(|c| *c).await;
}

/// Sleeps `delay`; true if cancelled meanwhile.
async fn wait(delay: Duration, cancel: &mut watch::Receiver<bool>) -> bool {
    if delay.is_zero() {
        return *cancel.borrow();
    }
    tokio::select! {
        () = tokio::time::sleep(delay) => *cancel.borrow(),
        () = cancelled(cancel) => true,
    }
}

/// Takes a statement through its life: SUBMITTED for half the delay, PICKED for the other
/// half, then STARTED while the executor runs it (or forever, for a hanging statement, until
/// cancelled), then whatever the run ended with.
pub async fn drive(
    store: Arc<Statements>,
    id: String,
    behaviour: Behaviour,
    executor: Box<dyn Executor>,
    sql: String,
    mut cancel: watch::Receiver<bool>,
) {
    let half = behaviour.delay / 2;
    if wait(half, &mut cancel).await {
        return;
    }
    store.set_status(&id, StatementStatus::Picked);
    if wait(behaviour.delay - half, &mut cancel).await {
        return;
    }
    store.start(&id);
    if behaviour.hang {
        if tokio::time::timeout(HANG_LIMIT, cancelled(&mut cancel)).await.is_err() {
            store.finish(&id, Outcome::Failed("ERROR: Query timed out after 24 hours".to_owned()));
        }
        return;
    }
    let reporter = Arc::clone(&store);
    let reported = id.clone();
    let job = Job { sql, cancel, connected: Box::new(move |pid| reporter.connected(&reported, pid)) };
    let outcome = executor.run(job).await;
    store.finish(&id, outcome);
}

/// Binds `Parameters` into the SQL: each `:name` outside quotes, comments and `::` casts
/// becomes the value as a quoted literal, which PostgreSQL types from its context as Redshift
/// does. Names without a parameter are left as they are.
pub fn bind(sql: &str, params: &[(String, String)]) -> String {
    if params.is_empty() {
        return sql.to_owned();
    }
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\'' | '"' => {
                // Copy through the closing quote; a doubled quote stays inside.
                out.push(c);
                i += 1;
                while i < chars.len() {
                    out.push(chars[i]);
                    if chars[i] == c {
                        if chars.get(i + 1) == Some(&c) {
                            out.push(c);
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            '-' if next == Some('-') => {
                while i < chars.len() && chars[i] != '\n' {
                    out.push(chars[i]);
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                let end = (i + 2..chars.len().saturating_sub(1))
                    .find(|&j| chars[j] == '*' && chars[j + 1] == '/')
                    .map_or(chars.len(), |j| j + 2);
                out.extend(&chars[i..end]);
                i = end;
            }
            ':' if next == Some(':') => {
                out.push_str("::");
                i += 2;
            }
            ':' if next.is_some_and(|n| n.is_ascii_alphabetic() || n == '_') => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '_') {
                    end += 1;
                }
                let name: String = chars[start..end].iter().collect();
                match params.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => {
                        out.push('\'');
                        out.push_str(&value.replace('\'', "''"));
                        out.push('\'');
                    }
                    None => {
                        out.push(':');
                        out.push_str(&name);
                    }
                }
                i = end;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// A server error as Redshift words it in `DescribeStatement`'s `Error`: Redshift says
/// "user" where PostgreSQL says "role" and "relation" where it says "table" or "view".
pub fn reword(severity: &str, message: &str) -> String {
    if let Some(name) = message.strip_prefix("role \"").and_then(|m| m.strip_suffix("\" does not exist")) {
        return format!("FATAL: user \"{name}\" does not exist");
    }
    for kind in ["table ", "view ", "materialized view ", "sequence "] {
        if let Some(name) = message.strip_prefix("permission denied for ").and_then(|m| m.strip_prefix(kind))
        {
            return format!("ERROR: permission denied for relation {name}");
        }
    }
    let level = if matches!(severity, "FATAL" | "PANIC") { "FATAL" } else { "ERROR" };
    format!("{level}: {message}")
}

/// Any error of a run, worded by [`reword`]; errors without a server message (the socket)
/// are connection failures.
fn words(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => reword(db.severity(), db.message()),
        None => format!("FATAL: {}", crate::postgres::describe_error(e)),
    }
}

/// How long connecting to the server may take.
const CONNECT_DEADLINE: Duration = Duration::from_secs(5);
/// The server's `statement_timeout` for Data API statements.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(300);
/// The lab's own deadline on a run, a little past the server's.
const RUN_DEADLINE: Duration = Duration::from_secs(310);
/// How long a cancel request and the connection's close may take.
const CLOSE_DEADLINE: Duration = Duration::from_secs(2);

/// Runs statements on the lab's PostgreSQL server, as the user and on the database of the
/// config it is made with (`Postgres::config(user, database)`).
#[derive(Debug)]
pub struct PgExecutor {
    config: tokio_postgres::Config,
}

impl PgExecutor {
    /// An executor for one statement.
    pub fn new(mut config: tokio_postgres::Config) -> Self {
        config.options(format!("-c statement_timeout={}", STATEMENT_TIMEOUT.as_millis()));
        Self { config }
    }
}

impl Executor for PgExecutor {
    fn run(self: Box<Self>, job: Job) -> Run {
        Box::pin(run_on_server(self.config, job))
    }
}

/// Fails every statement with one error, without a server: for what the lab knows the
/// server would get wrong (a database or user of another cluster, which share the server) and
/// for a world built without `Lab::start`, which has no server.
#[derive(Debug)]
pub struct Refuse(pub String);

impl Executor for Refuse {
    fn run(self: Box<Self>, _job: Job) -> Run {
        Box::pin(async move { Outcome::Failed(self.0) })
    }
}

async fn run_on_server(config: tokio_postgres::Config, job: Job) -> Outcome {
    let Job { sql, mut cancel, connected } = job;
    let connecting = tokio::time::timeout(CONNECT_DEADLINE, config.connect(NoTls));
    let (client, connection) = tokio::select! {
        biased;
        () = cancelled(&mut cancel) => return Outcome::Cancelled,
        made = connecting => match made {
            Ok(Ok(pair)) => pair,
            Ok(Err(e)) => return Outcome::Failed(words(&e)),
            Err(_) => {
                return Outcome::Failed(format!(
                    "FATAL: could not connect to the database within {} s",
                    CONNECT_DEADLINE.as_secs()
                ));
            }
        },
    };
    let mut connection = tokio::spawn(connection);
    let token = client.cancel_token();
    let outcome = tokio::select! {
        ran = tokio::time::timeout(RUN_DEADLINE, run_sql(&client, &sql, connected)) => match ran {
            Ok(Ok(result)) => Outcome::Finished(result),
            Ok(Err(stop)) => Outcome::Failed(stop.words()),
            Err(_) => {
                let _ = tokio::time::timeout(CLOSE_DEADLINE, token.cancel_query(NoTls)).await;
                Outcome::Failed("ERROR: canceling statement due to statement timeout".to_owned())
            }
        },
        () = cancelled(&mut cancel) => {
            let _ = tokio::time::timeout(CLOSE_DEADLINE, token.cancel_query(NoTls)).await;
            Outcome::Cancelled
        }
    };
    drop(client);
    if tokio::time::timeout(CLOSE_DEADLINE, &mut connection).await.is_err() {
        connection.abort();
    }
    outcome
}

/// SQLSTATE 42601 with this text: the SQL holds several commands, which `prepare` refuses.
fn several_commands(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| db.message().contains("cannot insert multiple commands"))
}

/// Why a run ended without a result.
enum Stop {
    /// The server refused or failed the SQL.
    Server(tokio_postgres::Error),
    /// The result would be larger than the lab holds.
    TooLarge,
}

impl From<tokio_postgres::Error> for Stop {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Server(e)
    }
}

impl Stop {
    fn words(&self) -> String {
        match self {
            Self::Server(e) => words(e),
            Self::TooLarge => "ERROR: Database response exceeded size limit".to_owned(),
        }
    }
}

/// What the SQL returned, as the server's text.
#[derive(Debug, Default)]
struct Texts {
    names: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
    affected: u64,
}

impl Texts {
    /// Takes the rows (and the last command's count) of one batch of messages; a new row
    /// description starts a new result.
    fn take(&mut self, messages: Vec<SimpleQueryMessage>) -> usize {
        let mut added = 0;
        for message in messages {
            match message {
                SimpleQueryMessage::RowDescription(columns) => {
                    self.names = columns.iter().map(|c| c.name().to_owned()).collect();
                    self.rows.clear();
                    added = 0;
                }
                SimpleQueryMessage::Row(row) => {
                    self.rows.push((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect());
                    added += 1;
                }
                SimpleQueryMessage::CommandComplete(n) => self.affected = n,
                _ => {}
            }
        }
        added
    }

    fn size(&self) -> usize {
        self.rows.iter().flatten().map(|v| v.as_ref().map_or(0, String::len)).sum()
    }
}

/// Rows fetched per round trip through the cursor.
const FETCH_ROWS: usize = 1000;
/// The most result text the lab holds for one statement (the Data API's own limit is
/// larger); past it the statement fails as an oversized one does.
const RESULT_LIMIT: usize = 64 * 1024 * 1024;
/// The cursor a query's rows are fetched through.
const CURSOR: &str = "connector_lab_result";

/// Runs a query that returns rows through a cursor, a batch at a time, so that an oversized
/// result is stopped instead of held. `None` when the SQL cannot be a cursor's query
/// (`INSERT … RETURNING`, `SHOW`, …): then it runs as it is.
async fn through_cursor(client: &Client, sql: &str) -> Result<Option<Texts>, Stop> {
    let declare = format!("BEGIN; DECLARE {CURSOR} NO SCROLL CURSOR FOR {sql}\n");
    if let Err(e) = client.batch_execute(&declare).await {
        client.batch_execute("ROLLBACK").await?;
        let syntax = e.as_db_error().is_some_and(|db| db.code().code() == "42601");
        return if syntax { Ok(None) } else { Err(e.into()) };
    }
    let mut texts = Texts::default();
    let fetch = format!("FETCH {FETCH_ROWS} FROM {CURSOR}");
    loop {
        let mut batch = Texts::default();
        let added = batch.take(client.simple_query(&fetch).await?);
        texts.rows.append(&mut batch.rows);
        if texts.size() > RESULT_LIMIT {
            client.batch_execute("ROLLBACK").await?;
            return Err(Stop::TooLarge);
        }
        if added < FETCH_ROWS {
            break;
        }
    }
    client.batch_execute("COMMIT").await?;
    texts.affected = u64::try_from(texts.rows.len()).unwrap_or(u64::MAX);
    Ok(Some(texts))
}

async fn run_sql(
    client: &Client,
    sql: &str,
    connected: Box<dyn FnOnce(i32) + Send>,
) -> Result<ResultSet, Stop> {
    let pid = first_value(&client.simple_query("SELECT pg_backend_pid()").await?)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    connected(pid);
    let prepared = match client.prepare(sql).await {
        Ok(statement) => Some(statement),
        Err(e) if several_commands(&e) => None,
        Err(e) => return Err(e.into()),
    };
    let returns_rows = prepared.as_ref().filter(|s| !s.columns().is_empty());
    let cursor = match returns_rows {
        Some(statement) => through_cursor(client, sql).await?.map(|mut texts| {
            texts.names = statement.columns().iter().map(|c| c.name().to_owned()).collect();
            texts
        }),
        None => None,
    };
    let texts = match cursor {
        Some(texts) => texts,
        None => {
            let mut texts = Texts::default();
            texts.take(client.simple_query(sql).await?);
            texts
        }
    };
    // The prepared columns describe the result only when it is the statement's one result.
    let typed =
        prepared.as_ref().map(tokio_postgres::Statement::columns).filter(|c| c.len() == texts.names.len());
    let origins = match typed {
        Some(columns) => origins(client, columns).await?,
        None => Vec::new(),
    };
    let columns: Vec<Column> = texts
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let pg = typed.and_then(|c| c.get(i));
            let origin = pg.and_then(|c| {
                let key = (i64::from(c.table_oid()?), c.column_id()?);
                origins.iter().find(|o| (o.0, o.1) == key)
            });
            column(name, pg, origin)
        })
        .collect();
    let size = i64::try_from(texts.size()).unwrap_or(i64::MAX);
    let rows = texts
        .rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                .enumerate()
                .map(|(i, text)| field(typed.and_then(|c| c.get(i)).map(tokio_postgres::Column::type_), text))
                .collect()
        })
        .collect();
    Ok(ResultSet { columns, rows, affected: texts.affected, size })
}

fn first_value(messages: &[SimpleQueryMessage]) -> Option<String> {
    messages.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
        _ => None,
    })
}

/// `(table oid, column number, not null, schema, table)` of the table columns in a result.
type Origin = (i64, i16, bool, String, String);

async fn origins(
    client: &Client,
    columns: &[tokio_postgres::Column],
) -> Result<Vec<Origin>, tokio_postgres::Error> {
    let mut tables: Vec<i64> = columns.iter().filter_map(|c| c.table_oid()).map(i64::from).collect();
    tables.sort_unstable();
    tables.dedup();
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT a.attrelid::int8, a.attnum, a.attnotnull, n.nspname::text, c.relname::text \
             FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE a.attrelid::int8 = ANY($1) AND a.attnum > 0",
            &[&tables],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?)))
        .collect()
}

/// Redshift's name for a PostgreSQL type, and its default precision.
fn redshift_type(ty: &Type) -> (String, i32) {
    let (name, precision) = match *ty {
        Type::INT2 => ("int2", 5),
        Type::INT4 => ("int4", 10),
        Type::INT8 => ("int8", 19),
        Type::FLOAT4 => ("float4", 8),
        Type::FLOAT8 => ("float8", 17),
        Type::NUMERIC => ("numeric", 0),
        Type::BOOL => ("bool", 1),
        // Redshift has no unbounded text: TEXT is VARCHAR(256).
        Type::TEXT | Type::VARCHAR => ("varchar", 256),
        Type::BPCHAR => ("bpchar", 256),
        Type::NAME => ("name", 64),
        Type::DATE => ("date", 13),
        Type::TIMESTAMP => ("timestamp", 29),
        Type::TIMESTAMPTZ => ("timestamptz", 35),
        Type::OID => ("oid", 10),
        _ => return (ty.name().to_owned(), 0),
    };
    (name.to_owned(), precision)
}

/// A column's metadata from its name, its prepared description and the table it comes from.
fn column(name: &str, pg: Option<&tokio_postgres::Column>, origin: Option<&Origin>) -> Column {
    let (type_name, mut precision, mut scale) = match pg {
        Some(c) => {
            let (type_name, precision) = redshift_type(c.type_());
            (type_name, precision, 0)
        }
        None => ("varchar".to_owned(), 256, 0),
    };
    if let Some(modifier) = pg.map(tokio_postgres::Column::type_modifier).filter(|m| *m >= 4) {
        match type_name.as_str() {
            "varchar" | "bpchar" => precision = modifier - 4,
            "numeric" => {
                precision = ((modifier - 4) >> 16) & 0xffff;
                scale = (modifier - 4) & 0xffff;
            }
            _ => {}
        }
    }
    let signed = matches!(type_name.as_str(), "int2" | "int4" | "int8" | "float4" | "float8" | "numeric");
    let case_sensitive = matches!(type_name.as_str(), "varchar" | "bpchar" | "name");
    Column {
        name: name.to_owned(),
        type_name,
        nullable: origin.map_or(1, |o| i32::from(!o.2)),
        precision,
        scale,
        signed,
        case_sensitive,
        schema: origin.map(|o| o.3.clone()).unwrap_or_default(),
        table: origin.map(|o| o.4.clone()).unwrap_or_default(),
    }
}

/// A value from its text and its column's type: integers as `longValue`, floating point as
/// `doubleValue` (text when not finite, which JSON cannot carry), booleans as `booleanValue`,
/// everything else (numeric included, as Redshift does) as `stringValue`.
fn field(ty: Option<&Type>, text: Option<String>) -> Field {
    let Some(text) = text else { return Field::Null };
    match ty {
        Some(&Type::INT2 | &Type::INT4 | &Type::INT8 | &Type::OID) => {
            text.parse().map_or(Field::Text(text), Field::Long)
        }
        Some(&Type::FLOAT4 | &Type::FLOAT8) => match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Field::Double(x),
            _ => Field::Text(text),
        },
        Some(&Type::BOOL) => match text.as_str() {
            "t" => Field::Boolean(true),
            "f" => Field::Boolean(false),
            _ => Field::Text(text),
        },
        _ => Field::Text(text),
    }
}

/// `ColumnMetadata` for a result.
pub fn column_metadata(columns: &[Column]) -> Value {
    Value::Array(
        columns
            .iter()
            .map(|c| {
                json!({
                    "isCaseSensitive": c.case_sensitive,
                    "isCurrency": false,
                    "isSigned": c.signed,
                    "label": c.name,
                    "length": 0,
                    "name": c.name,
                    "nullable": c.nullable,
                    "precision": c.precision,
                    "scale": c.scale,
                    "schemaName": c.schema,
                    "tableName": c.table,
                    "typeName": c.type_name,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(id: &str) -> Statement {
        Statement {
            id: id.to_owned(),
            sql: "select 1".to_owned(),
            database: "dev".to_owned(),
            db_user: "IAMR:r".to_owned(),
            cluster: Some("c".to_owned()),
            workgroup: None,
            owner: "AROAEXAMPLE:s".to_owned(),
            status: StatementStatus::Submitted,
            error: None,
            cancelled: false,
        }
    }

    /// Answers with a fixed outcome, or waits for the cancel.
    struct Fake(Option<Outcome>);

    impl Executor for Fake {
        fn run(self: Box<Self>, mut job: Job) -> Run {
            Box::pin(async move {
                (job.connected)(4242);
                match self.0 {
                    Some(outcome) => outcome,
                    None => {
                        cancelled(&mut job.cancel).await;
                        Outcome::Cancelled
                    }
                }
            })
        }
    }

    async fn settle(store: &Statements, id: &str) -> Record {
        for _ in 0..200 {
            let record = store.get(id).unwrap();
            if record.statement.status.is_final() {
                return record;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("statement {id} never ended");
    }

    #[tokio::test]
    async fn a_statement_finishes_with_its_result() {
        let store = Arc::new(Statements::default());
        let cancel = store.add(Record::new(statement("a"), Vec::new()));
        let result = ResultSet { columns: Vec::new(), rows: Vec::new(), affected: 3, size: 0 };
        let run = drive(
            Arc::clone(&store),
            "a".into(),
            Behaviour { delay: Duration::from_millis(40), hang: false },
            Box::new(Fake(Some(Outcome::Finished(result.clone())))),
            "select 1".into(),
            cancel,
        );
        let task = tokio::spawn(run);
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(store.get("a").unwrap().statement.status, StatementStatus::Submitted);
        tokio::time::sleep(Duration::from_millis(25)).await;
        assert_eq!(store.get("a").unwrap().statement.status, StatementStatus::Picked);
        task.await.unwrap();
        let record = settle(&store, "a").await;
        assert_eq!(record.statement.status, StatementStatus::Finished);
        assert_eq!(record.result.as_deref(), Some(&result));
        assert_eq!((record.pid, record.query_id), (4242, FIRST_QUERY_ID));
        assert!(record.duration_ns >= 0);
        assert!(store.cancel("a").is_err());
    }

    #[tokio::test]
    async fn failures_and_cancels() {
        let store = Arc::new(Statements::default());
        let cancel = store.add(Record::new(statement("f"), Vec::new()));
        let failing = Fake(Some(Outcome::Failed("ERROR: nope".into())));
        drive(Arc::clone(&store), "f".into(), Behaviour::default(), Box::new(failing), String::new(), cancel)
            .await;
        let record = store.get("f").unwrap();
        assert_eq!(record.statement.status, StatementStatus::Failed);
        assert_eq!(record.statement.error.as_deref(), Some("ERROR: nope"));

        for hang in [true, false] {
            let id = format!("h{hang}");
            let cancel = store.add(Record::new(statement(&id), Vec::new()));
            let behaviour = Behaviour { delay: Duration::ZERO, hang };
            let task = tokio::spawn(drive(
                Arc::clone(&store),
                id.clone(),
                behaviour,
                Box::new(Fake(None)),
                String::new(),
                cancel,
            ));
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert_eq!(store.get(&id).unwrap().statement.status, StatementStatus::Started);
            assert_eq!(store.cancel(&id), Ok(()));
            tokio::time::timeout(Duration::from_secs(2), task).await.unwrap().unwrap();
            let record = store.get(&id).unwrap();
            assert_eq!(record.statement.status, StatementStatus::Aborted);
            assert!(record.statement.cancelled);
            assert_eq!(store.cancel(&id), Err(StatementStatus::Aborted));
        }
        assert_eq!(store.all().len(), 3);
    }

    #[tokio::test]
    async fn a_cancel_while_waiting_stops_the_statement_before_it_runs() {
        let store = Arc::new(Statements::default());
        let cancel = store.add(Record::new(statement("w"), Vec::new()));
        let behaviour = Behaviour { delay: Duration::from_secs(60), hang: false };
        let never = Fake(Some(Outcome::Failed("must not run".into())));
        let task = tokio::spawn(drive(
            Arc::clone(&store),
            "w".into(),
            behaviour,
            Box::new(never),
            String::new(),
            cancel,
        ));
        store.cancel("w").unwrap();
        tokio::time::timeout(Duration::from_secs(2), task).await.unwrap().unwrap();
        let record = store.get("w").unwrap();
        assert_eq!(record.statement.status, StatementStatus::Aborted);
        assert_eq!((record.statement.error, record.pid), (None, 0));
    }

    #[test]
    fn parameters_are_bound_outside_quotes_and_casts() {
        let params = vec![("schema".to_owned(), "pub'lic".to_owned()), ("n".to_owned(), "5".to_owned())];
        assert_eq!(
            bind("select :schema, ':schema', \":n\", 1::int, :n -- :n\n/* :n */ :missing", &params),
            "select 'pub''lic', ':schema', \":n\", 1::int, '5' -- :n\n/* :n */ :missing"
        );
        assert_eq!(bind("select :x", &[]), "select :x");
        assert_eq!(bind("select 'unterminated :n", &params), "select 'unterminated :n");
    }

    #[test]
    fn server_errors_in_redshift_words() {
        assert_eq!(
            reword("FATAL", "role \"IAMR:x\" does not exist"),
            "FATAL: user \"IAMR:x\" does not exist"
        );
        assert_eq!(
            reword("ERROR", "permission denied for table orders"),
            "ERROR: permission denied for relation orders"
        );
        assert_eq!(
            reword("ERROR", "permission denied for view v"),
            "ERROR: permission denied for relation v"
        );
        assert_eq!(
            reword("ERROR", "permission denied for schema sales"),
            "ERROR: permission denied for schema sales"
        );
        assert_eq!(
            reword("ERROR", "relation \"nope\" does not exist"),
            "ERROR: relation \"nope\" does not exist"
        );
        assert_eq!(reword("FATAL", "database \"x\" does not exist"), "FATAL: database \"x\" does not exist");
    }

    #[test]
    fn values_are_typed_by_their_column() {
        assert_eq!(field(Some(&Type::INT8), Some("42".into())), Field::Long(42));
        assert_eq!(field(Some(&Type::FLOAT8), Some("0.5".into())), Field::Double(0.5));
        assert_eq!(field(Some(&Type::FLOAT8), Some("NaN".into())), Field::Text("NaN".into()));
        assert_eq!(field(Some(&Type::BOOL), Some("t".into())), Field::Boolean(true));
        assert_eq!(field(Some(&Type::NUMERIC), Some("19.99".into())), Field::Text("19.99".into()));
        assert_eq!(field(None, Some("x".into())), Field::Text("x".into()));
        assert_eq!(field(Some(&Type::INT4), None), Field::Null);
        assert_eq!(Field::Null.to_json(), json!({"isNull": true}));
        assert_eq!(Field::Long(1).to_json(), json!({"longValue": 1}));
        let meta = column_metadata(&[column("n", None, None)]);
        assert_eq!(meta[0]["typeName"], "varchar");
        assert_eq!(meta[0]["nullable"], 1);
    }
}
