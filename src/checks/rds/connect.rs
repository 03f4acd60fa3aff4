//! `rds.connect`: the login itself, TCP then TLS then the token as the password, and the
//! server's own words sorted into codes. RDS answers most IAM mistakes with the same
//! "PAM authentication failed"; the clock skew seen on AWS's replies and, when the connector
//! role's policies are readable, the evaluator narrow it to a likely cause.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use connector_iam::{Context, Policies, Principal, Request};
use futures::FutureExt;
use futures::future::BoxFuture;

use super::token::Token;
use super::{DEFAULT_DATABASE, credentials, rds_facts};
use crate::aws::clock;
use crate::checks::chain::{connector, explain, or_return};
use crate::checks::net::security_groups::explain_timeout;
use crate::config::{Connector, SslMode};
use crate::engine::{Check, Ctx};
use crate::net::TcpFailure;
use crate::outcome::{Code, Evidence, Facts, Outcome};
use crate::postgres::{self, CaBundle, Login, LoginFailure, SharedSession, Stage};

/// Codes this check emits.
pub const CODES: &[Code] = &[
    Code::PamAuthenticationFailed,
    Code::PasswordAuthenticationFailed,
    Code::NoEncryption,
    Code::TlsVerifyFailed,
    Code::DatabaseNotFound,
    Code::DnsFailed,
    Code::TcpTimeout,
    Code::TcpRefused,
    Code::TcpUnreachable,
    Code::TlsHandshakeFailed,
    Code::DbUnresponsive,
];

/// The time one login may take, TCP to the first query; the check's deadline leaves room for
/// the explanation after a refusal.
const LOGIN_BUDGET: Duration = Duration::from_secs(8);

/// How long one query over the session may take.
pub const QUERY_BUDGET: Duration = Duration::from_secs(3);

/// How old a token may be and still be presented: well inside its 15 minutes.
const TOKEN_REUSE: Duration = Duration::from_mins(10);

/// How far behind AWS's clock the pod's may be before a token it signs is dead (or nearly) on
/// arrival: RDS accepts a token for 900 s after the time written into it.
const SKEW_BEHIND_FATAL: i64 = 840;

/// How far ahead of AWS's clock the pod's may be before its tokens are "from the future"; less
/// than that (and any lag under [`SKEW_BEHIND_FATAL`]) is worth a mention, not the blame.
const SKEW_WORTH_NAMING: i64 = 300;

/// The check, for one connector.
#[derive(Debug)]
pub struct ConnectCheck {
    /// The connector's name.
    pub connector: String,
}

/// The TLS settings in force for a connector, and where each came from.
struct TlsSettings {
    mode: SslMode,
    bundle: CaBundle,
}

fn tls_settings(ctx: &Ctx, conn: &Connector) -> Result<TlsSettings, String> {
    let mode = match conn.target.sslmode {
        Some(m) => m,
        None => match ctx.world.var("PGSSLMODE") {
            Some(v) => SslMode::from_libpq(v).ok_or_else(|| format!("PGSSLMODE={v} is not an sslmode"))?,
            None => SslMode::VerifyFull,
        },
    };
    let file = conn.target.ca_bundle.clone().or_else(|| ctx.world.var("PGSSLROOTCERT").map(PathBuf::from));
    let bundle = match file {
        // libpq's "system" means the machine's store; the RDS bundle is what RDS chains to.
        Some(path) if path.as_os_str() != "system" => CaBundle::from_file(&path)?,
        _ => CaBundle::built_in(),
    };
    Ok(TlsSettings { mode, bundle })
}

impl Check for ConnectCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let mut facts = rds_facts(ctx, conn);
            let Some(mut token) = ctx.board.get::<Token>(Some(&conn.name)) else {
                return Outcome::error("rds.token passed but left no token.");
            };
            // A re-run of the login alone (the checklist's `r`) may come long after the token
            // was signed: sign a fresh one rather than present an expired one.
            let age = ctx.world.now().duration_since(token.signed).unwrap_or_default();
            if age > TOKEN_REUSE {
                let fresh = or_return!(super::token::sign(ctx, conn, &token.host, token.port));
                ctx.board.put(Some(&conn.name), fresh);
                token = or_return!(
                    ctx.board
                        .get::<Token>(Some(&conn.name))
                        .ok_or_else(|| Outcome::error("the fresh token vanished"))
                );
            }
            // A session of an earlier run is closed before a new login replaces it.
            drop(ctx.board.take::<SharedSession>(Some(&conn.name)));
            let tls = match tls_settings(ctx, conn) {
                Ok(t) => t,
                Err(why) => {
                    return Outcome::error(format!("The TLS settings cannot be used: {why}")).facts(&facts);
                }
            };
            facts.insert("sslmode".into(), tls.mode.as_str().into());
            facts.insert("ca_bundle".into(), tls.bundle.origin.to_string());
            let user = conn.target.user.clone().unwrap_or_default();
            let database = conn.target.database.clone().unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
            let login = Login {
                host: &token.host,
                port: token.port,
                user: &user,
                password: &token.token,
                database: &database,
                sslmode: tls.mode,
                bundle: &tls.bundle,
                rules: &ctx.config.connect_to,
                deadline: LOGIN_BUDGET,
            };
            let routed = crate::net::route(&ctx.config.connect_to, &token.host, token.port);
            let call = format!("postgresql login ({})", tls.mode.as_str());
            let endpoint = format!("{}:{}", routed.0, routed.1);
            match postgres::login(&login).await {
                Ok(session) => {
                    let evidence = Evidence::call(&call).endpoint(&endpoint).took(session.took);
                    let version = postgres::column(&session, "select version()", QUERY_BUDGET).await;
                    let version =
                        version.ok().and_then(|v| v.into_iter().next().flatten()).unwrap_or_default();
                    let outcome =
                        passed(&session, &user, &database, &token, tls.mode, &version).facts(&facts);
                    ctx.board.put::<SharedSession>(Some(&conn.name), std::sync::Arc::new(session));
                    outcome.evidence(evidence)
                }
                Err(failure) => {
                    let evidence = Evidence::call(&call).endpoint(&endpoint).message(describe(&failure));
                    refused(ctx, conn, &failure, &token, &tls, facts).await.evidence(evidence)
                }
            }
        }
        .boxed()
    }
}

fn passed(
    session: &postgres::Session,
    user: &str,
    database: &str,
    token: &Token,
    mode: SslMode,
    version: &str,
) -> Outcome {
    let tls = match (&session.tls, &session.certificate) {
        (Some(protocol), cert) if mode == SslMode::VerifyFull => format!(
            " over {protocol}, certificate {} verified (issued by {})",
            cert.as_ref().and_then(|c| c.subject.as_deref()).unwrap_or("without a common name"),
            cert.as_ref().and_then(|c| c.issuer.as_deref()).unwrap_or("an unnamed CA")
        ),
        (Some(protocol), _) => format!(
            " over {protocol}; warning: sslmode=require encrypts but does not verify the certificate, so anyone on the path could pose as the database"
        ),
        (None, _) => " without TLS (sslmode=disable): the token crossed the network in clear".to_owned(),
    };
    let version = version.split(" on ").next().unwrap_or(version);
    Outcome::pass(format!(
        "Logged in to {database} as {user} at {}:{}{tls}, in {} ms. Server: {version}.",
        token.host,
        token.port,
        session.took.as_millis()
    ))
    .fact("server_version", version)
}

/// One line for the evidence.
fn describe(failure: &LoginFailure) -> String {
    match failure {
        LoginFailure::Tcp(t) => format!("TCP: {t}"),
        LoginFailure::Tls { reason, .. } => format!("TLS: {reason}"),
        LoginFailure::Server { code, message } => format!("FATAL {code}: {message}"),
        LoginFailure::Silent { waited, stage } => format!(
            "no answer within {:.1} s {}",
            waited.as_secs_f64(),
            match stage {
                Stage::TlsRequest => "to the TLS request",
                Stage::Login => "to the login",
            }
        ),
        LoginFailure::Other(text) | LoginFailure::Local(text) => text.clone(),
    }
}

/// The verdict on a failed login.
async fn refused(
    ctx: &Ctx,
    conn: &Connector,
    failure: &LoginFailure,
    token: &Token,
    tls: &TlsSettings,
    mut facts: Facts,
) -> Outcome {
    let at = format!("{}:{}", token.host, token.port);
    facts.insert("target_host".into(), token.host.clone());
    facts.insert("target_port".into(), token.port.to_string());
    match failure {
        LoginFailure::Tcp(tcp) => {
            facts.insert("tcp_reason".into(), tcp.to_string());
            let code = match tcp {
                TcpFailure::Dns(_) => Code::DnsFailed,
                TcpFailure::Timeout(_) => Code::TcpTimeout,
                TcpFailure::Refused => Code::TcpRefused,
                TcpFailure::Unreachable(_) => Code::TcpUnreachable,
                TcpFailure::Other(why) => {
                    return Outcome::error(format!("TCP to {at} failed: {why}")).facts(&facts);
                }
            };
            let mut summary = format!("TCP to {at}: {tcp}.");
            if code == Code::TcpTimeout {
                // The network link has usually judged the security groups by the time a
                // connection times out (its reads take milliseconds, the timeout seconds); when
                // it has not, the remedy keeps its placeholders and net.tcp, which waits for the
                // judgement, cites it.
                if let Some(group) =
                    super::target(ctx, conn).and_then(|t| t.described?.security_groups.first().cloned())
                {
                    facts.insert("destination_sg".into(), group);
                }
                if let Some(finding) = explain_timeout(ctx, &conn.name, &at, &mut facts) {
                    summary.push_str(&finding);
                }
            }
            Outcome::fail(code, summary).facts(&facts)
        }
        LoginFailure::Tls { reason, verification: true, certificate } => {
            facts.insert("tls_reason".into(), reason.clone());
            if let Some(c) = certificate {
                facts.insert(
                    "cert_subject".into(),
                    c.subject.clone().unwrap_or_else(|| "no common name".into()),
                );
                facts
                    .insert("cert_issuer".into(), c.issuer.clone().unwrap_or_else(|| "an unnamed CA".into()));
                facts.insert(
                    "cert_names".into(),
                    if c.dns.is_empty() { "no DNS name".into() } else { c.dns.join(", ") },
                );
            }
            let issuer =
                certificate.as_ref().and_then(|c| c.issuer.clone()).unwrap_or_else(|| "an unknown CA".into());
            Outcome::fail(
                Code::TlsVerifyFailed,
                format!(
                    "The certificate {at} presented (issued by {issuer}) did not verify against {} ({} CAs): {reason}.",
                    tls.bundle.origin,
                    tls.bundle.len()
                ),
            )
            .facts(&facts)
        }
        LoginFailure::Tls { reason, verification: false, .. } => {
            facts.insert("tls_reason".into(), reason.clone());
            Outcome::fail(Code::TlsHandshakeFailed, format!("TCP to {at} opened, but TLS failed: {reason}."))
                .facts(&facts)
        }
        LoginFailure::Silent { waited, stage: Stage::TlsRequest } => {
            let reason = format!(
                "the server accepted TCP, then did not answer the TLS request for {:.1} s",
                waited.as_secs_f64()
            );
            facts.insert("tls_reason".into(), reason.clone());
            Outcome::fail(Code::TlsHandshakeFailed, format!("{at}: {reason}.")).facts(&facts)
        }
        LoginFailure::Silent { waited, stage: Stage::Login } => {
            let tls = if tls.mode == SslMode::Disable { "without TLS" } else { "after the TLS handshake" };
            Outcome::fail(
                Code::DbUnresponsive,
                format!(
                    "{at} accepted the connection ({tls}), then did not answer the login for {:.1} s.",
                    waited.as_secs_f64()
                ),
            )
            .facts(&facts)
        }
        LoginFailure::Server { code, message } => {
            server_said(ctx, conn, code, message, token, tls, facts).await
        }
        LoginFailure::Other(text) => Outcome::error(format!(
            "The login to {at} failed in a way connector-doctor cannot classify: {text}"
        ))
        .facts(&facts),
        LoginFailure::Local(text) => {
            Outcome::error(format!("The login could not be set up: {text}")).facts(&facts)
        }
    }
}

/// The verdict on the server's own `FATAL`.
async fn server_said(
    ctx: &Ctx,
    conn: &Connector,
    code: &str,
    message: &str,
    token: &Token,
    tls: &TlsSettings,
    mut facts: Facts,
) -> Outcome {
    let said = format!("The server said: FATAL {code} {message}.");
    if message.starts_with("PAM authentication failed") {
        let cause = pam_cause(ctx, conn, token, &facts).await;
        facts.insert("likely_cause".into(), cause.clone());
        return Outcome::fail(Code::PamAuthenticationFailed, format!("{said} {cause}")).facts(&facts);
    }
    if message.starts_with("password authentication failed") {
        return Outcome::fail(
            Code::PasswordAuthenticationFailed,
            format!(
                "{said} The token was checked as a password: the user is not in rds_iam (or does not exist)."
            ),
        )
        .facts(&facts);
    }
    if message.contains("no encryption") {
        return Outcome::fail(
            Code::NoEncryption,
            format!(
                "{said} The server requires TLS, and the login (sslmode={}) did not use it.",
                tls.mode.as_str()
            ),
        )
        .facts(&facts);
    }
    if code == "3D000" {
        return Outcome::fail(Code::DatabaseNotFound, said).facts(&facts);
    }
    Outcome::error(format!("{said} connector-doctor cannot classify this answer.")).facts(&facts)
}

/// What most likely made the database refuse the token, in one or two sentences.
async fn pam_cause(ctx: &Ctx, conn: &Connector, token: &Token, facts: &Facts) -> String {
    let skew = ctx.world.server_clock.skew();
    if let Some(skew) = skew {
        if skew >= SKEW_BEHIND_FATAL {
            return format!(
                "Likely cause: this pod's clock is {} (from the Date of AWS's last reply). The token was signed at {} by this clock, so RDS sees a token that is already that old, and tokens last 15 minutes. Fix the node's time synchronisation.",
                clock::describe(skew),
                token.signed_at
            );
        }
        if skew <= -SKEW_WORTH_NAMING {
            return format!(
                "Likely cause: this pod's clock is {}, so the token is signed in the future by AWS's clock and is refused. Fix the node's time synchronisation.",
                clock::describe(skew)
            );
        }
    }
    let mut cause = policy_cause(ctx, conn, token, facts).await;
    if let Some(skew) = skew.filter(|s| s.abs() >= SKEW_WORTH_NAMING) {
        let _ = write!(
            cause,
            " Note also that this pod's clock is {}: a token it signs is that much older (or younger) to RDS.",
            clock::describe(skew)
        );
    }
    cause
}

/// What the connector role's policies say about `rds-db:connect` for this login, when they can
/// be read; else the most common cause.
async fn policy_cause(ctx: &Ctx, conn: &Connector, token: &Token, facts: &Facts) -> String {
    let Some(resource_id) = facts.get("db_resource_id") else {
        return "The database could not be described, so its resource id is unknown: make sure the rds-db:connect ARN names the resource id (db-…, cluster-…, prx-…), not the instance name.".to_owned();
    };
    let user = conn.target.user.as_deref().unwrap_or_default();
    let account = facts.get("account").cloned().unwrap_or_default();
    let region = facts.get("region").cloned().unwrap_or_default();
    let partition = &conn.role_arn.partition;
    let resource = format!("arn:{partition}:rds-db:{region}:{account}:dbuser:{resource_id}/{user}");
    let generic = format!(
        "Most often the connector role's rds-db:connect statement names the instance ({}) or another user instead of {resource}.",
        facts.get("db_id").map_or("its name", String::as_str)
    );
    let Ok(creds) = credentials(ctx, conn) else { return generic };
    let readout = explain::read(ctx, &creds.credentials, &creds.arn, &conn.role_arn, true).await;
    let Some(identity) = readout.identity else { return generic };
    let Ok(principal) = Principal::from_arn(&creds.arn) else { return generic };
    let request = Request {
        principal,
        action: "rds-db:connect".into(),
        resource: resource.clone(),
        resource_account: Some(account),
        context: Context::default(),
    };
    let mut policies = Policies::new();
    for (name, policy) in identity {
        policies = policies.with_identity(&name, policy);
    }
    if let Some((name, policy)) = readout.boundary {
        policies = policies.with_boundary(&name, policy);
    }
    let decision = connector_iam::authorize(&request, &policies);
    if decision.is_allowed() {
        format!(
            "The connector role's policies do allow rds-db:connect on {resource} (read from IAM), so the token itself was refused: check that the user logging in is {user} and that the token is signed for {}:{}.",
            token.host, token.port
        )
    } else {
        format!(
            "Proven from the connector role's policies (read from IAM): they do not allow rds-db:connect on {resource}. {}",
            decision.reasons.join(" ")
        )
    }
}
