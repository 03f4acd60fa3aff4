//! A PostgreSQL login as a connector makes it: TCP to the endpoint (after `--connect-to`), TLS
//! verified against a CA bundle, the IAM token as the password, then a session for queries.
//! Every way it can end is sorted into [`LoginFailure`], each with what a diagnosis needs.

pub mod tls;
pub mod x509;

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::config::SslMode;
use crate::net::{self, ConnectTo, TcpFailure};
use crate::secret::Secret;

/// The Amazon RDS certificate authorities (every region's, and the global roots), as published
/// by AWS; provenance in `assets/README.md`.
pub const RDS_CA_BUNDLE: &str = include_str!("../assets/rds-ca-bundle.pem");
/// The Amazon root CAs that RDS Proxy certificates chain to.
pub const RDS_PROXY_CA_BUNDLE: &str = include_str!("../assets/rds-proxy-ca-bundle.pem");

/// The largest CA bundle read: AWS's global bundle is about 160 KiB.
const MAX_BUNDLE_BYTES: u64 = 4 << 20;

/// The certificate authorities a login trusts, and where they came from.
#[derive(Debug, Clone)]
pub struct CaBundle {
    /// The certificates.
    pub roots: RootCertStore,
    /// Where they came from: a file, or the bundle built in.
    pub origin: BundleOrigin,
}

/// Where a CA bundle came from, for explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleOrigin {
    /// The RDS and RDS Proxy bundles built into connector-doctor.
    BuiltIn,
    /// A file: the connector's `ca_bundle` or `PGSSLROOTCERT`.
    File(PathBuf),
}

impl std::fmt::Display for BundleOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BundleOrigin::BuiltIn => f.write_str("the Amazon RDS CA bundle built into connector-doctor"),
            BundleOrigin::File(path) => write!(f, "{}", path.display()),
        }
    }
}

impl CaBundle {
    /// The built-in bundle: every RDS CA plus the Amazon roots RDS Proxy uses.
    pub fn built_in() -> CaBundle {
        let mut roots = RootCertStore::empty();
        for pem in [RDS_CA_BUNDLE, RDS_PROXY_CA_BUNDLE] {
            // The bundles are compiled in and tested to parse; nothing to report at run time.
            let certs = CertificateDer::pem_slice_iter(pem.as_bytes()).filter_map(Result::ok);
            roots.add_parsable_certificates(certs);
        }
        CaBundle { roots, origin: BundleOrigin::BuiltIn }
    }

    /// A bundle read from a PEM file.
    pub fn from_file(path: &Path) -> Result<CaBundle, String> {
        let bytes = crate::files::read_bounded(path, MAX_BUNDLE_BYTES)
            .map_err(|e| format!("cannot read the CA bundle {}: {e}", path.display()))?;
        let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{} is not a PEM CA bundle: {e}", path.display()))?;
        let mut roots = RootCertStore::empty();
        let (added, ignored) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err(format!(
                "{} holds no usable CA certificate ({ignored} could not be parsed)",
                path.display()
            ));
        }
        Ok(CaBundle { roots, origin: BundleOrigin::File(path.to_owned()) })
    }

    /// How many CAs it holds.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

/// One login.
#[derive(Debug, Clone)]
pub struct Login<'a> {
    /// The host name: connected to (after `--connect-to`), verified in TLS.
    pub host: &'a str,
    /// The port.
    pub port: u16,
    /// The database user.
    pub user: &'a str,
    /// The password: an IAM auth token.
    pub password: &'a Secret,
    /// The database.
    pub database: &'a str,
    /// TLS or not, verified or not.
    pub sslmode: SslMode,
    /// The CAs for `verify-full`.
    pub bundle: &'a CaBundle,
    /// Where to really connect.
    pub rules: &'a [ConnectTo],
    /// The time the whole login may take.
    pub deadline: Duration,
}

/// A logged-in session.
pub struct Session {
    /// The client, for queries.
    pub client: tokio_postgres::Client,
    /// The TLS version and cipher, when TLS is used.
    pub tls: Option<String>,
    /// The certificate's names, when TLS is used.
    pub certificate: Option<x509::Names>,
    /// How long the login took.
    pub took: Duration,
    // Drives the connection; aborted with the session.
    _connection: AbortOnDrop,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("tls", &self.tls).field("took", &self.took).finish_non_exhaustive()
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How a login failed.
#[derive(Debug, Clone)]
pub enum LoginFailure {
    /// No TCP connection.
    Tcp(TcpFailure),
    /// The TLS handshake failed; the certificate, when one was presented, and rustls' reason.
    Tls {
        /// What went wrong, in words.
        reason: String,
        /// The certificate's verification was what failed (as opposed to the handshake itself).
        verification: bool,
        /// The certificate's names.
        certificate: Option<x509::Names>,
    },
    /// The server said no with an error (`FATAL` during login).
    Server {
        /// The SQLSTATE.
        code: String,
        /// The message, as the server wrote it.
        message: String,
    },
    /// The server accepted TCP and then did not finish the login in time.
    Silent {
        /// How long the login waited.
        waited: Duration,
        /// Where the silence began.
        stage: Stage,
    },
    /// Something else: a protocol error, a closed connection.
    Other(String),
    /// The login could not be set up (a bad host name for TLS, a CA bundle that verifies nothing).
    Local(String),
}

/// How far a login got before the server fell silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// TLS was asked for and never set up.
    TlsRequest,
    /// TLS was set up (or not asked for), and the login itself got no answer.
    Login,
}

/// Logs in, within `login.deadline`.
pub async fn login(login: &Login<'_>) -> Result<Session, LoginFailure> {
    let started = Instant::now();
    let tcp =
        net::connect(login.rules, login.host, login.port, login.deadline).await.map_err(LoginFailure::Tcp)?;
    let mut config = tokio_postgres::Config::new();
    config
        .host(login.host)
        .port(login.port)
        .user(login.user)
        .password(login.password.expose())
        .dbname(login.database)
        .application_name("connector-doctor")
        .connect_timeout(login.deadline);
    let recorder = crate::tls::Recorder::default();
    let remaining = login.deadline.saturating_sub(started.elapsed());
    let result = if login.sslmode == SslMode::Disable {
        config.ssl_mode(tokio_postgres::config::SslMode::Disable);
        let attempt = config.connect_raw(tcp, tokio_postgres::NoTls);
        match tokio::time::timeout(remaining, attempt).await {
            Ok(Ok((client, connection))) => Ok((client, spawn(connection))),
            Ok(Err(e)) => Err(e),
            Err(_) => return Err(LoginFailure::Silent { waited: login.deadline, stage: Stage::Login }),
        }
    } else {
        config.ssl_mode(tokio_postgres::config::SslMode::Require);
        let roots = (login.sslmode == SslMode::VerifyFull).then(|| login.bundle.roots.clone());
        let connector = crate::tls::client_config(roots, &recorder)
            .and_then(|c| tls::Connector::new(c, login.host, recorder.clone()))
            .map_err(LoginFailure::Local)?;
        let attempt = config.connect_raw(tcp, connector);
        match tokio::time::timeout(remaining, attempt).await {
            Ok(Ok((client, connection))) => Ok((client, spawn(connection))),
            Ok(Err(e)) => Err(e),
            Err(_) => {
                let established = recorder.lock().unwrap_or_else(PoisonError::into_inner).established;
                let stage = if established { Stage::Login } else { Stage::TlsRequest };
                return Err(LoginFailure::Silent { waited: login.deadline, stage });
            }
        }
    };
    let seen = std::mem::take(&mut *recorder.lock().unwrap_or_else(PoisonError::into_inner));
    let certificate = seen.certificate.as_deref().and_then(x509::names);
    match result {
        Ok((client, connection)) => Ok(Session {
            client,
            tls: seen.protocol,
            certificate,
            took: started.elapsed(),
            _connection: connection,
        }),
        Err(e) => Err(sort(&e, seen, certificate)),
    }
}

fn spawn<S, T>(connection: tokio_postgres::Connection<S, T>) -> AbortOnDrop
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    AbortOnDrop(tokio::spawn(async move {
        let _ = connection.await;
    }))
}

/// Sorts a tokio-postgres error: the server's own words first, then what the TLS layer saw.
fn sort(e: &tokio_postgres::Error, seen: crate::tls::Seen, certificate: Option<x509::Names>) -> LoginFailure {
    if let Some(db) = e.as_db_error() {
        return LoginFailure::Server { code: db.code().code().to_owned(), message: db.message().to_owned() };
    }
    if let Some(refusal) = seen.refusal {
        return LoginFailure::Tls { reason: refusal.to_string(), verification: true, certificate };
    }
    let chain = chain(e);
    let lower = chain.to_ascii_lowercase();
    if !seen.established && (lower.contains("tls") || lower.contains("handshake")) {
        return LoginFailure::Tls { reason: chain, verification: false, certificate };
    }
    LoginFailure::Other(chain)
}

/// An error and its sources on one line: tokio-postgres' own `Display` is terse.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Runs one query returning a single text or boolean cell per row, as strings, within
/// `deadline`.
pub async fn column(session: &Session, sql: &str, deadline: Duration) -> Result<Vec<Option<String>>, String> {
    let answer = tokio::time::timeout(deadline, session.client.simple_query(sql))
        .await
        .map_err(|_| format!("no answer within {:.1} s", deadline.as_secs_f64()))?;
    let rows = answer.map_err(|e| match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => chain(&e),
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_owned)),
            _ => None,
        })
        .collect())
}

/// The `Arc` the board holds, so one session serves the checks after the login.
pub type SharedSession = Arc<Session>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_bundles_parse_whole() {
        let rds = CertificateDer::pem_slice_iter(RDS_CA_BUNDLE.as_bytes()).count();
        let proxy = CertificateDer::pem_slice_iter(RDS_PROXY_CA_BUNDLE.as_bytes()).count();
        assert_eq!((rds, proxy), (115, 5));
        assert_eq!(CaBundle::built_in().len(), 120);
    }

    #[test]
    fn a_bad_bundle_file_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let e = CaBundle::from_file(&path).unwrap_err();
        assert!(e.contains("no usable CA certificate"), "{e}");
        let e = CaBundle::from_file(&dir.path().join("missing.pem")).unwrap_err();
        assert!(e.starts_with("cannot read the CA bundle"), "{e}");
    }
}
