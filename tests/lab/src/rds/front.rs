//! The database endpoints of the `[[rds]]` entries: one loopback listener each, speaking the
//! PostgreSQL v3 wire protocol at login the way RDS does with `rds.force_ssl=1`, in front of
//! the lab's real PostgreSQL server.
//!
//! A login goes: `SSLRequest` → `S` and a TLS handshake with the entry's certificate (a plain
//! `StartupMessage` gets RDS's "no encryption" rejection instead), `StartupMessage`,
//! `AuthenticationCleartextPassword`, the password. Then RDS's decision: an instance or
//! cluster applies IAM auth only to members of `rds_iam` (asked of the real server) when IAM
//! auth is enabled, and checks anyone else's password, which lab users do not have; a proxy
//! with `IAMAuth = REQUIRED` checks the token of every user. A token is checked in `token`. An
//! accepted login is relayed, byte for byte, to the real server over its Unix socket as the
//! same user and database (trust auth there), so from `AuthenticationOk` on everything the
//! client sees, errors included, is the server's own.
//!
//! Every login is logged with its reason ([`Login`]); clients never see the reason, as with
//! RDS, but tests do. All entries share the one server: every entry's databases and users
//! exist behind every endpoint.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::watch;

use super::token::{self, Expected};
use crate::clock;
use crate::postgres::Postgres;
use crate::scenario::rds::{Rds, RdsKind, RdsTls};
use crate::tls::Authority;
use crate::world::{Call, World};

/// How long the front waits for any message of a login, and for the TLS handshake.
const READ_DEADLINE: Duration = Duration::from_secs(10);
/// Startup packets larger than this are refused, as the server does (`MAX_STARTUP_PACKET_LENGTH`).
const MAX_STARTUP: usize = 10_000;
/// Password messages larger than this are refused (tokens are about 1 to 2 KiB).
const MAX_PASSWORD: usize = 64 * 1024;
/// The name of the CA bundle file in the lab's temp dir.
pub const CA_FILE: &str = "rds-ca.pem";

const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;
const CANCEL_REQUEST: u32 = 80_877_102;
const PROTOCOL_3: u32 = 196_608;

/// How a login ended at the front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Authenticated and handed to the real server (which may still refuse it, e.g. a
    /// database that does not exist).
    Accepted,
    /// A `StartupMessage` without TLS: `no pg_hba.conf entry … no encryption` (28000).
    NoEncryption,
    /// The password was checked as a password: `password authentication failed` (28P01).
    PasswordFailed,
    /// The IAM auth token was rejected: `PAM authentication failed` (28000).
    PamFailed,
    /// The client broke the protocol or the upstream server was unreachable.
    Failed,
}

/// One login attempt at an RDS endpoint, for tests (the client only sees RDS's terse error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The `[[rds]]` entry's ID.
    pub endpoint: String,
    /// The startup message's user.
    pub user: String,
    /// The startup message's database (the user when absent).
    pub database: String,
    /// How it ended.
    pub outcome: LoginOutcome,
    /// Why, in the lab's words (empty when accepted).
    pub reason: String,
    /// The access key of the token, when the password was one.
    pub access_key_id: Option<String>,
}

/// Where one entry's endpoint really is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The entry's ID.
    pub id: String,
    /// The endpoint's DNS name.
    pub address: String,
    /// The port the API reports.
    pub api_port: u16,
    /// The loopback port the front listens on.
    pub real_port: u16,
    /// The entry's aliases.
    pub aliases: Vec<String>,
}

/// The running endpoints. Dropping it closes them.
#[derive(Debug)]
pub struct Front {
    routes: Vec<Route>,
    ca_path: PathBuf,
    logins: Arc<Mutex<Vec<Login>>>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

/// What a connection needs to know about its endpoint.
#[derive(Debug)]
struct Served {
    rds: Rds,
    address: String,
    resource_id: String,
    tls: Arc<rustls::ServerConfig>,
    world: Arc<World>,
    logins: Arc<Mutex<Vec<Login>>>,
}

impl Front {
    /// Prepares the real server for the scenario's entries (databases, roles, `rds_iam`),
    /// writes the lab CA to `<dir>/rds-ca.pem`, and starts one listener per entry on a thread
    /// of its own. `None` when the scenario has no `[[rds]]` entries.
    pub fn start(world: &Arc<World>, dir: &Path) -> anyhow::Result<Option<Front>> {
        let scenario = &world.scenario;
        if scenario.rds.is_empty() {
            return Ok(None);
        }
        let postgres = world.postgres().context("the RDS endpoints need the lab's PostgreSQL server")?;
        prepare_server(&scenario.rds, postgres)?;

        let (account, region) = (scenario.account.as_str(), scenario.region.as_str());
        let addresses: Vec<String> = scenario.rds.iter().map(|r| r.address(account, region)).collect();
        let ca = Authority::new("connector-lab RDS CA")?;
        let ca_path = dir.join(CA_FILE);
        std::fs::write(&ca_path, ca.pem()).with_context(|| format!("cannot write {}", ca_path.display()))?;
        let good = ca.server_config(&addresses)?;
        let mut untrusted = None;
        let mut wrong_name = None;

        let logins = Arc::new(Mutex::new(Vec::new()));
        let mut routes = Vec::new();
        let mut listeners = Vec::new();
        for (rds, address) in scenario.rds.iter().zip(&addresses) {
            let tls = match rds.tls {
                RdsTls::Rds => Arc::clone(&good),
                RdsTls::Untrusted => {
                    if untrusted.is_none() {
                        let other = Authority::new("connector-lab untrusted CA")?;
                        untrusted = Some(other.server_config(&addresses)?);
                    }
                    Arc::clone(untrusted.as_ref().unwrap_or(&good))
                }
                RdsTls::WrongName => {
                    if wrong_name.is_none() {
                        wrong_name = Some(ca.server_config(&["wrong.example.invalid".to_owned()])?);
                    }
                    Arc::clone(wrong_name.as_ref().unwrap_or(&good))
                }
            };
            let listener =
                TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot listen on 127.0.0.1")?;
            listener.set_nonblocking(true)?;
            let real_port = listener.local_addr()?.port();
            routes.push(Route {
                id: rds.id.clone(),
                address: address.clone(),
                api_port: rds.port,
                real_port,
                aliases: rds.aliases.clone(),
            });
            let served = Served {
                rds: rds.clone(),
                address: address.clone(),
                resource_id: rds.resource_id(account, region),
                tls,
                world: Arc::clone(world),
                logins: Arc::clone(&logins),
            };
            listeners.push((listener, Arc::new(served)));
        }

        let (stop, stopped) = watch::channel(false);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("connector-lab-rds".to_owned())
            .spawn(move || run(listeners, stopped, &ready_tx))
            .context("cannot start the RDS endpoints' thread")?;
        ready_rx
            .recv()
            .context("the RDS endpoints' thread died while starting")?
            .context("the RDS endpoints could not start")?;
        Ok(Some(Front { routes, ca_path, logins, stop, thread: Some(thread) }))
    }

    /// The CA bundle that verifies the endpoints (`<temp dir>/rds-ca.pem`).
    pub fn ca_path(&self) -> &Path {
        &self.ca_path
    }

    /// Every endpoint's route.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// `CONNECTOR_DOCTOR_CONNECT_TO`: `<name>:<api port>:127.0.0.1:<real port>` for every
    /// endpoint address and every alias, comma-separated (curl's `--connect-to` form).
    pub fn connect_to(&self) -> String {
        let mut out = Vec::new();
        for route in &self.routes {
            for name in std::iter::once(&route.address).chain(&route.aliases) {
                out.push(format!("{name}:{}:127.0.0.1:{}", route.api_port, route.real_port));
            }
        }
        out.join(",")
    }

    /// Every login attempt so far, in order.
    pub fn logins(&self) -> Vec<Login> {
        self.logins.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Creates what the entries declare on the real server: their databases, `rds_iam` when any
/// instance or cluster has IAM auth, every user as a LOGIN role, and the members of `rds_iam`. What already
/// exists (the superuser, or a database or role another part of the lab made) is kept.
fn prepare_server(entries: &[Rds], postgres: &Postgres) -> anyhow::Result<()> {
    let mut databases: Vec<&str> =
        entries.iter().flat_map(|r| r.databases.iter().map(String::as_str)).collect();
    databases.sort_unstable();
    databases.dedup();
    for database in databases {
        // CREATE DATABASE runs alone: it cannot share a transaction.
        // One another part of the lab made already (42P04, duplicate_database) is kept.
        if let Err(e) = postgres.batch("postgres", &format!("CREATE DATABASE {}", quote(database)))
            && !format!("{e:#}").contains("42P04")
        {
            return Err(e);
        }
    }
    // rds_iam exists on a database with IAM authentication on; a proxy's IAM auth is its own and
    // makes no role on the database behind it.
    let iam = entries.iter().any(|r| r.iam_auth && r.kind != RdsKind::Proxy);
    let mut users: Vec<(&str, bool)> = Vec::new();
    if iam {
        users.push(("rds_iam", false));
    }
    for user in entries.iter().flat_map(|r| &r.users) {
        match users.iter_mut().find(|(name, _)| *name == user.name) {
            Some((_, member)) => *member |= user.rds_iam,
            None => users.push((&user.name, user.rds_iam)),
        }
    }
    let mut sql = String::new();
    for (name, member) in users {
        let login = if name == "rds_iam" { "NOLOGIN" } else { "LOGIN" };
        sql.push_str(&format!(
            "DO $lab$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {}) THEN CREATE ROLE {} {login}; END IF; END $lab$;\n",
            literal(name),
            quote(name)
        ));
        if member && iam {
            sql.push_str(&format!("GRANT rds_iam TO {};\n", quote(name)));
        }
    }
    if !sql.is_empty() {
        postgres.batch("postgres", &sql)?;
    }
    Ok(())
}

/// A quoted SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A quoted SQL identifier.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The endpoints' thread: one runtime serving every listener until told to stop.
fn run(
    listeners: Vec<(TcpListener, Arc<Served>)>,
    stopped: watch::Receiver<bool>,
    ready: &std::sync::mpsc::Sender<anyhow::Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(e.into()));
            return;
        }
    };
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for (listener, served) in listeners {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => tasks.push(tokio::spawn(accept(listener, served, stopped.clone()))),
                Err(e) => {
                    let _ = ready.send(Err(e.into()));
                    return;
                }
            }
        }
        let _ = ready.send(Ok(()));
        for task in tasks {
            let _ = task.await;
        }
    });
    // Dropping the runtime ends the connections still open (relayed sessions, silent ones).
    runtime.shutdown_timeout(Duration::from_secs(1));
}

async fn accept(listener: tokio::net::TcpListener, served: Arc<Served>, mut stop: watch::Receiver<bool>) {
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let served = Arc::clone(&served);
        tokio::spawn(async move {
            if served.rds.silent {
                // A hung server: the connection stays open and unanswered until the lab stops.
                let _held = stream;
                std::future::pending::<()>().await;
            } else {
                let _ = connection(stream, peer, &served).await;
            }
        });
    }
}

/// What went wrong with a connection; it is simply closed.
type Closed = ();

/// Reads one length-prefixed message without a type byte (the startup family), with deadline.
async fn read_startup<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Vec<u8>, Closed> {
    let mut len = [0u8; 4];
    deadline(stream.read_exact(&mut len)).await?;
    let len = u32::from_be_bytes(len) as usize;
    if !(8..=MAX_STARTUP).contains(&len) {
        return Err(());
    }
    let mut body = vec![0u8; len - 4];
    deadline(stream.read_exact(&mut body)).await?;
    Ok(body)
}

/// Sends a last message (an error) and closes the stream cleanly, so the client reads it.
async fn refuse<S: AsyncWrite + Unpin>(stream: &mut S, message: &[u8]) {
    let _ = deadline(stream.write_all(message)).await;
    let _ = deadline(stream.flush()).await;
    let _ = deadline(stream.shutdown()).await;
}

async fn deadline<T>(io: impl Future<Output = std::io::Result<T>>) -> Result<T, Closed> {
    match tokio::time::timeout(READ_DEADLINE, io).await {
        Ok(Ok(value)) => Ok(value),
        _ => Err(()),
    }
}

fn code_of(body: &[u8]) -> u32 {
    u32::from_be_bytes([body[0], body[1], body[2], body[3]])
}

/// The parameters of a startup message body (after the protocol code).
fn startup_params(body: &[u8]) -> Option<Vec<(String, String)>> {
    let mut fields = body[4..].split(|b| *b == 0);
    let mut params = Vec::new();
    loop {
        let name = fields.next()?;
        if name.is_empty() {
            return Some(params);
        }
        let value = fields.next()?;
        params.push((String::from_utf8(name.to_vec()).ok()?, String::from_utf8(value.to_vec()).ok()?));
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// A `FATAL` ErrorResponse with SQLSTATE `code`.
fn fatal(code: &str, message: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, value) in [(b'S', "FATAL"), (b'V', "FATAL"), (b'C', code), (b'M', message)] {
        body.push(field);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut out = vec![b'E'];
    out.extend_from_slice(&u32::try_from(body.len() + 4).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

async fn connection(mut stream: TcpStream, peer: SocketAddr, served: &Served) -> Result<(), Closed> {
    // Before TLS: negotiate encryption. GSSAPI is declined (a client may then ask for TLS).
    let mut attempts = 0;
    loop {
        attempts += 1;
        let body = read_startup(&mut stream).await?;
        match code_of(&body) {
            SSL_REQUEST if body.len() == 4 => break,
            GSSENC_REQUEST if body.len() == 4 && attempts < 3 => {
                deadline(stream.write_all(b"N")).await?;
            }
            CANCEL_REQUEST => return forward_cancel(&body, served).await,
            PROTOCOL_3 => {
                let params = startup_params(&body).ok_or(())?;
                let user = param(&params, "user").unwrap_or_default().to_owned();
                let database = param(&params, "database").unwrap_or(&user).to_owned();
                let message = format!(
                    "no pg_hba.conf entry for host \"{}\", user \"{user}\", database \"{database}\", no encryption",
                    peer.ip()
                );
                served.log(
                    &user,
                    &database,
                    LoginOutcome::NoEncryption,
                    "the client did not ask for TLS",
                    None,
                );
                refuse(&mut stream, &fatal("28000", &message)).await;
                return Ok(());
            }
            other => {
                let (major, minor) = (other >> 16, other & 0xffff);
                let message =
                    format!("unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.0");
                refuse(&mut stream, &fatal("0A000", &message)).await;
                return Err(());
            }
        }
    }
    deadline(stream.write_all(b"S")).await?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&served.tls));
    let mut tls = deadline(acceptor.accept(stream)).await?;

    let body = read_startup(&mut tls).await?;
    let code = code_of(&body);
    if code == CANCEL_REQUEST {
        return forward_cancel(&body, served).await;
    }
    if code >> 16 != 3 {
        refuse(&mut tls, &fatal("08P01", "unsupported frontend protocol or request after SSL negotiation"))
            .await;
        return Err(());
    }
    let Some(params) = startup_params(&body) else {
        refuse(&mut tls, &fatal("08P01", "invalid startup packet layout: expected terminator as last byte"))
            .await;
        return Err(());
    };
    let Some(user) = param(&params, "user").filter(|u| !u.is_empty()).map(str::to_owned) else {
        refuse(&mut tls, &fatal("28000", "no PostgreSQL user name specified in startup packet")).await;
        return Err(());
    };
    let database = param(&params, "database").filter(|d| !d.is_empty()).unwrap_or(&user).to_owned();

    // AuthenticationCleartextPassword, then the PasswordMessage.
    deadline(tls.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3])).await?;
    let mut head = [0u8; 5];
    deadline(tls.read_exact(&mut head)).await?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if head[0] != b'p' || !(5..=MAX_PASSWORD).contains(&len) {
        let message = format!("expected password response, got message type {}", head[0]);
        served.log(&user, &database, LoginOutcome::Failed, &message, None);
        refuse(&mut tls, &fatal("08P01", &message)).await;
        return Err(());
    }
    let mut password = vec![0u8; len - 4];
    deadline(tls.read_exact(&mut password)).await?;
    let password = String::from_utf8_lossy(password.strip_suffix(&[0]).unwrap_or(&password)).into_owned();

    match served.decide(&user, &password).await {
        Decision::Password(reason) => {
            served.log(&user, &database, LoginOutcome::PasswordFailed, &reason, None);
            let message = format!("password authentication failed for user \"{user}\"");
            refuse(&mut tls, &fatal("28P01", &message)).await;
            return Ok(());
        }
        Decision::Pam(reason, key) => {
            served.log(&user, &database, LoginOutcome::PamFailed, &reason, key);
            let message = format!("PAM authentication failed for user \"{user}\"");
            refuse(&mut tls, &fatal("28000", &message)).await;
            return Ok(());
        }
        Decision::Accept(key) => {
            let Some(socket) = served.world.postgres().map(Postgres::socket_path) else { return Err(()) };
            let mut upstream = match UnixStream::connect(&socket).await {
                Ok(upstream) => upstream,
                Err(e) => {
                    served.log(&user, &database, LoginOutcome::Failed, &format!("upstream: {e}"), key);
                    refuse(&mut tls, &fatal("57P03", "the database system is not accepting connections"))
                        .await;
                    return Err(());
                }
            };
            served.log(&user, &database, LoginOutcome::Accepted, "", key);
            deadline(upstream.write_all(&startup_message(&params))).await?;
            // From here on the client talks to the real server.
            let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
        }
    }
    Ok(())
}

/// A 3.0 startup message with these parameters.
fn startup_message(params: &[(String, String)]) -> Vec<u8> {
    let mut body = PROTOCOL_3.to_be_bytes().to_vec();
    for (name, value) in params {
        body.extend_from_slice(name.as_bytes());
        body.push(0);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut out = u32::try_from(body.len() + 4).unwrap_or(u32::MAX).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

/// A cancel request goes to the real server, which knows the session's key.
async fn forward_cancel(body: &[u8], served: &Served) -> Result<(), Closed> {
    if body.len() != 12 {
        return Err(());
    }
    let Some(socket) = served.world.postgres().map(Postgres::socket_path) else { return Err(()) };
    let mut upstream = deadline(UnixStream::connect(&socket)).await?;
    let mut message = 16u32.to_be_bytes().to_vec();
    message.extend_from_slice(body);
    let _ = deadline(upstream.write_all(&message)).await;
    Ok(())
}

/// RDS's decision on a password.
enum Decision {
    /// Checked as a password (and wrong): the reason.
    Password(String),
    /// Checked as an IAM token and rejected: the reason and the token's key.
    Pam(String, Option<String>),
    /// Let through; the token's key.
    Accept(Option<String>),
}

impl Served {
    async fn decide(&self, user: &str, password: &str) -> Decision {
        let proxy = self.rds.kind == RdsKind::Proxy;
        if !self.rds.iam_auth {
            let what = if proxy { "the proxy's IAMAuth is DISABLED" } else { "IAM auth is disabled" };
            return Decision::Password(format!("{what}, so the password was checked as a password"));
        }
        if !proxy {
            match self.in_rds_iam(user).await {
                Ok(true) => {}
                Ok(false) => {
                    return Decision::Password(format!(
                        "{user} is not a member of rds_iam, so the password was checked as a password"
                    ));
                }
                Err(e) => return Decision::Password(format!("cannot ask the server about rds_iam: {e}")),
            }
        }
        let scenario = &self.world.scenario;
        let expected =
            Expected { host: &self.address, port: self.rds.port, user, resource_id: &self.resource_id };
        let now = clock::now() + scenario.clock_skew_seconds;
        let verdict = token::check(password, &expected, &self.world, now);
        match verdict.result {
            Ok(()) => Decision::Accept(verdict.access_key_id),
            Err(reason) => Decision::Pam(reason, verdict.access_key_id),
        }
    }

    /// Whether `user` is a member of `rds_iam`, directly or through other roles, on the real
    /// server. Superuser status does not count, as in `pg_hba.conf`'s `+rds_iam`.
    async fn in_rds_iam(&self, user: &str) -> Result<bool, String> {
        let postgres = self.world.postgres().ok_or("no server")?;
        let config = postgres.config(postgres.superuser(), "postgres");
        let (client, connection) =
            config.connect(tokio_postgres::NoTls).await.map_err(|e| crate::postgres::describe_error(&e))?;
        let connection = tokio::spawn(connection);
        let query = "WITH RECURSIVE m(oid) AS ( \
                SELECT oid FROM pg_roles WHERE rolname = $1 \
                UNION SELECT a.roleid FROM pg_auth_members a JOIN m ON a.member = m.oid) \
            SELECT EXISTS (SELECT 1 FROM m JOIN pg_roles r ON r.oid = m.oid WHERE r.rolname = 'rds_iam')";
        let result = tokio::time::timeout(READ_DEADLINE, client.query_one(query, &[&user])).await;
        drop(client);
        let _ = connection.await;
        match result {
            Ok(Ok(row)) => row.try_get::<_, bool>(0).map_err(|e| crate::postgres::describe_error(&e)),
            Ok(Err(e)) => Err(crate::postgres::describe_error(&e)),
            Err(_) => Err("the server did not answer".to_owned()),
        }
    }

    /// Logs a login for tests and a call for the call log.
    fn log(&self, user: &str, database: &str, outcome: LoginOutcome, reason: &str, key: Option<String>) {
        self.world.record(Call {
            endpoint: "postgres".to_owned(),
            service: "rds-db".to_owned(),
            action: "connect".to_owned(),
            access_key_id: key.clone(),
        });
        self.logins.lock().unwrap_or_else(PoisonError::into_inner).push(Login {
            endpoint: self.rds.id.clone(),
            user: user.to_owned(),
            database: database.to_owned(),
            outcome,
            reason: reason.to_owned(),
            access_key_id: key,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_parameters_and_errors_encode_like_postgres() {
        let message = startup_message(&[("user".into(), "u".into()), ("database".into(), "d".into())]);
        assert_eq!(&message[4..8], &PROTOCOL_3.to_be_bytes());
        let params = startup_params(&message[4..]).unwrap();
        assert_eq!(param(&params, "database"), Some("d"));
        assert!(startup_params(&[0, 3, 0, 0, b'u', 0]).is_none(), "no terminator");
        let error = fatal("28000", "m");
        assert_eq!(error[0], b'E');
        assert_eq!(u32::from_be_bytes([error[1], error[2], error[3], error[4]]) as usize, error.len() - 1);
        assert!(error.ends_with(b"Mm\0\0"));
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
