//! `rds.instance`: the database the connector logs in to, described with the connector's own
//! credentials. The id may name an instance, an Aurora cluster or an RDS Proxy; they are tried in
//! that order, each only when the one before does not know the id.

use std::time::{Duration, Instant};

use aws_sdk_sts::config::SharedCredentialsProvider;
use futures::FutureExt;
use futures::future::BoxFuture;

use super::{DEFAULT_PORT, Database, DbKind, credentials, rds_facts};
use crate::aws::{self, CallFailure, ResolvedRegion};
use crate::checks::chain::{connector, or_return};
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Evidence, Facts, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[Code::DbNotFound, Code::IamAuthDisabled];

/// Time allowed for one RDS call.
const CALL_BUDGET: Duration = Duration::from_secs(5);

/// The check, for one connector.
#[derive(Debug)]
pub struct InstanceCheck {
    /// The connector's name.
    pub connector: String,
}

/// What one `Describe*` found.
struct Found {
    database: Database,
    iam_auth: bool,
    status: String,
    engine: String,
}

impl Check for InstanceCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let facts = rds_facts(ctx, conn);
            let Some(id) = conn.target.instance_id.as_deref() else {
                return Outcome::not_applicable(format!(
                    "No instance_id is configured for {}: the login goes to {} as configured, and the token is signed for it.",
                    conn.name,
                    conn.target.host.as_deref().unwrap_or("<host>")
                ))
                .facts(&facts);
            };
            let creds = or_return!(credentials(ctx, conn));
            let region = ResolvedRegion::resolve(&ctx.world, &ctx.config).name;
            let client = aws::rds_client(
                &ctx.world,
                &region,
                SharedCredentialsProvider::new(creds.credentials.clone()),
                CALL_BUDGET,
            );
            let endpoint = aws::region::endpoint(&ctx.world, "RDS", "rds", &region).url;
            let mut evidence = Vec::new();
            let mut found = None;
            for kind in [DbKind::Instance, DbKind::Cluster, DbKind::Proxy] {
                let started = Instant::now();
                let (call, result) = describe(&client, kind, id).await;
                match result {
                    Ok(Some(f)) => {
                        evidence.push(Evidence::call(call).endpoint(&endpoint).took(started.elapsed()));
                        found = Some(f);
                        break;
                    }
                    Ok(None) => {
                        evidence.push(Evidence::call(call).endpoint(&endpoint).took(started.elapsed()).message("not found"));
                    }
                    Err(failure) => {
                        evidence.push(failure.evidence(call, &endpoint, started.elapsed()));
                        let outcome = refused(conn, id, call, &failure, &facts);
                        return evidence.into_iter().fold(outcome, Outcome::evidence);
                    }
                }
            }
            let outcome = match found {
                None => Outcome::fail(
                    Code::DbNotFound,
                    format!("No RDS instance, Aurora cluster or RDS Proxy is called {id} in {region} for {}.", creds.arn),
                )
                .facts(&facts),
                Some(f) => judge(ctx, &conn.name, f, facts),
            };
            evidence.into_iter().fold(outcome, Outcome::evidence)
        }
        .boxed()
    }
}

/// The verdict on what was found; leaves the database for the checks after.
fn judge(ctx: &Ctx, connector: &str, f: Found, facts: Facts) -> Outcome {
    let d = &f.database;
    let mut facts = facts;
    facts.insert("db_kind".into(), d.kind.word().into());
    facts.insert("db_endpoint".into(), d.endpoint.clone());
    facts.insert("db_port".into(), d.port.to_string());
    facts.insert("db_resource_id".into(), d.resource_id.clone());
    facts.insert("db_status".into(), f.status.clone());
    facts.insert("db_engine".into(), f.engine.clone());
    if !d.security_groups.is_empty() {
        facts.insert("db_security_groups".into(), d.security_groups.join(", "));
    }
    if !f.engine.to_ascii_lowercase().contains("postgres") {
        return Outcome::not_applicable(format!(
            "The {} {} runs {}: connector-doctor logs in to PostgreSQL engines only, so the login is not checked.",
            d.kind.word(),
            d.id,
            f.engine
        ))
        .facts(&facts);
    }
    if d.endpoint.is_empty() {
        return Outcome::error(format!(
            "The {} {} has no endpoint yet (status {}): there is nothing to log in to until it is available.",
            d.kind.word(),
            d.id,
            f.status
        ))
        .facts(&facts);
    }
    if !f.iam_auth {
        return Outcome::fail(
            Code::IamAuthDisabled,
            format!(
                "The {} {} ({}) does not have IAM database authentication enabled: it refuses every IAM token.",
                d.kind.word(),
                d.id,
                d.endpoint
            ),
        )
        .facts(&facts);
    }
    let status = if f.status.eq_ignore_ascii_case("available") {
        String::new()
    } else {
        format!(" Its status is {}: logins may fail until it is available.", f.status)
    };
    let summary = format!(
        "The {} {} ({}, {}) is at {}:{}, resource id {}, IAM authentication on.{status}",
        d.kind.word(),
        d.id,
        f.engine,
        f.status,
        d.endpoint,
        d.port,
        d.resource_id
    );
    ctx.board.put(Some(connector), f.database);
    Outcome::pass(summary).facts(&facts)
}

/// The verdict when a `Describe*` call failed: a denial does not stop the login (the connector
/// itself needs only `rds-db:connect`), anything else is the tool's trouble.
fn refused(
    conn: &crate::config::Connector,
    id: &str,
    call: &str,
    failure: &CallFailure,
    facts: &Facts,
) -> Outcome {
    match failure {
        CallFailure::Service { code, .. }
            if code.contains("AccessDenied") || code == "UnauthorizedOperation" =>
        {
            let next = match conn.target.host.as_deref() {
                Some(host) => format!("the login goes to the configured host {host}"),
                None => format!("the login goes to {id}, whose endpoint is unknown"),
            };
            Outcome::not_applicable(format!(
                "The connector's role may not call {call}, so {id} was not described (the connector needs only rds-db:connect); {next}, and the resource id in rds-db:connect cannot be checked."
            ))
            .facts(facts)
        }
        _ => Outcome::error(format!(
            "{call} for {id} failed, and connector-doctor cannot classify the answer."
        ))
        .facts(facts),
    }
}

/// One `Describe*` call: `Ok(None)` when the id is not of this kind.
async fn describe(
    client: &aws_sdk_rds::Client,
    kind: DbKind,
    id: &str,
) -> (&'static str, Result<Option<Found>, CallFailure>) {
    match kind {
        DbKind::Instance => {
            let call = DbKind::Instance.describe_call();
            let result = client.describe_db_instances().db_instance_identifier(id).send().await;
            let found = match result {
                Ok(out) => Ok(out.db_instances().first().map(|i| Found {
                    database: Database {
                        kind,
                        id: i.db_instance_identifier().unwrap_or(id).to_owned(),
                        endpoint: i.endpoint().and_then(|e| e.address()).unwrap_or_default().to_owned(),
                        port: i
                            .endpoint()
                            .and_then(aws_sdk_rds::types::Endpoint::port)
                            .and_then(|p| u16::try_from(p).ok())
                            .unwrap_or(DEFAULT_PORT),
                        resource_id: i.dbi_resource_id().unwrap_or_default().to_owned(),
                        security_groups: i
                            .vpc_security_groups()
                            .iter()
                            .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
                            .collect(),
                    },
                    iam_auth: i.iam_database_authentication_enabled().unwrap_or(false),
                    status: i.db_instance_status().unwrap_or("unknown").to_owned(),
                    engine: i.engine().unwrap_or("unknown").to_owned(),
                })),
                Err(e) => not_found(CallFailure::from_sdk(&e), "DBInstanceNotFound"),
            };
            (call, found)
        }
        DbKind::Cluster => {
            let call = DbKind::Cluster.describe_call();
            let result = client.describe_db_clusters().db_cluster_identifier(id).send().await;
            let found = match result {
                Ok(out) => Ok(out.db_clusters().first().map(|c| Found {
                    database: Database {
                        kind,
                        id: c.db_cluster_identifier().unwrap_or(id).to_owned(),
                        endpoint: c.endpoint().unwrap_or_default().to_owned(),
                        port: c.port().and_then(|p| u16::try_from(p).ok()).unwrap_or(DEFAULT_PORT),
                        resource_id: c.db_cluster_resource_id().unwrap_or_default().to_owned(),
                        security_groups: c
                            .vpc_security_groups()
                            .iter()
                            .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
                            .collect(),
                    },
                    iam_auth: c.iam_database_authentication_enabled().unwrap_or(false),
                    status: c.status().unwrap_or("unknown").to_owned(),
                    engine: c.engine().unwrap_or("unknown").to_owned(),
                })),
                Err(e) => not_found(CallFailure::from_sdk(&e), "DBClusterNotFoundFault"),
            };
            (call, found)
        }
        DbKind::Proxy => {
            let call = DbKind::Proxy.describe_call();
            let result = client.describe_db_proxies().db_proxy_name(id).send().await;
            let found = match result {
                Ok(out) => Ok(out.db_proxies().first().map(|p| {
                    let arn = p.db_proxy_arn().unwrap_or_default();
                    let port = match p.engine_family() {
                        Some(f) if f.eq_ignore_ascii_case("MYSQL") => 3306,
                        _ => DEFAULT_PORT,
                    };
                    Found {
                        database: Database {
                            kind,
                            id: p.db_proxy_name().unwrap_or(id).to_owned(),
                            endpoint: p.endpoint().unwrap_or_default().to_owned(),
                            port,
                            // The resource id is the last part of the proxy's ARN (`prx-…`).
                            resource_id: arn.rsplit(':').next().unwrap_or_default().to_owned(),
                            security_groups: p.vpc_security_group_ids().to_vec(),
                        },
                        // End-to-end IAM proxies say so in DefaultAuthScheme and carry no Auth entries.
                        iam_auth: p.default_auth_scheme().is_some_and(|s| s.eq_ignore_ascii_case("IAM_AUTH"))
                            || p.auth().iter().any(|a| {
                                a.iam_auth().is_some_and(|m| !m.as_str().eq_ignore_ascii_case("DISABLED"))
                            }),
                        status: p.status().map_or("unknown", |s| s.as_str()).to_owned(),
                        engine: p.engine_family().unwrap_or("unknown").to_owned(),
                    }
                })),
                Err(e) => not_found(CallFailure::from_sdk(&e), "DBProxyNotFoundFault"),
            };
            (call, found)
        }
    }
}

/// `Ok(None)` for the "no such id" error `code`, else the failure.
fn not_found(failure: CallFailure, code: &str) -> Result<Option<Found>, CallFailure> {
    match &failure {
        CallFailure::Service { code: c, .. }
            if c == code || c.trim_end_matches("Fault") == code.trim_end_matches("Fault") =>
        {
            Ok(None)
        }
        _ => Err(failure),
    }
}
