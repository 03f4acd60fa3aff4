//! `redshift.cluster`: the cluster (or Serverless workgroup) the connector names, described with
//! the connector's own credentials. A cluster id that `DescribeClusters` does not know is tried
//! as a workgroup name, since a Serverless workgroup configured as a cluster is a common mistake.
//! The connector itself never describes its warehouse (it needs database credentials and, for
//! most, the Data API), so a describe denial is not a failure.

use std::time::Instant;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{
    CALL_BUDGET, Found, Warehouse, cluster_arn, credentials, is_denied, provider, redshift_facts, region,
    unclassified,
};
use crate::aws::{self, CallFailure};
use crate::checks::chain::{connector, or_return};
use crate::config::Connector;
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Evidence, Facts, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[Code::ClusterNotFound, Code::ClusterIsServerless, Code::ClusterNotAvailable];

/// The check, for one connector.
#[derive(Debug)]
pub struct ClusterCheck {
    /// The connector's name.
    pub connector: String,
}

/// What a describe call found.
struct Described {
    arn: String,
    status: String,
    available: bool,
    endpoint: String,
    port: Option<i32>,
    security_groups: Vec<String>,
    encrypted: Option<bool>,
    public: Option<bool>,
}

impl Check for ClusterCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let warehouse = or_return!(Warehouse::of(conn));
            let creds = or_return!(credentials(ctx, conn));
            let facts = redshift_facts(ctx, conn);
            let region = region(ctx);
            let mut evidence = Vec::new();
            let outcome = match warehouse {
                Warehouse::Cluster(id) => {
                    let client = aws::redshift_client(&ctx.world, &region, provider(&creds), CALL_BUDGET);
                    let endpoint = aws::region::endpoint(&ctx.world, "REDSHIFT", "redshift", &region).url;
                    let started = Instant::now();
                    let result = describe_cluster(&client, id, &region, &conn.role_arn).await;
                    let call = "redshift:DescribeClusters";
                    match result {
                        Ok(Some(d)) => {
                            evidence.push(Evidence::call(call).endpoint(&endpoint).took(started.elapsed()));
                            judge(ctx, conn, warehouse, d, facts)
                        }
                        Ok(None) => {
                            evidence.push(
                                Evidence::call(call)
                                    .endpoint(&endpoint)
                                    .took(started.elapsed())
                                    .message("ClusterNotFound"),
                            );
                            let (serverless, e) = workgroup_named(ctx, &creds, &region, id).await;
                            evidence.push(e);
                            if let Ok(Some(d)) = serverless {
                                Outcome::fail(
                                    Code::ClusterIsServerless,
                                    format!(
                                        "{id} is not a provisioned cluster but a Redshift Serverless workgroup ({}): the connector must name it as workgroup and fetch credentials with redshift-serverless:GetCredentials.",
                                        d.arn
                                    ),
                                )
                                .facts(&facts)
                                .fact("workgroup", id)
                                .fact("warehouse_arn", d.arn)
                            } else {
                                    let unsure = if serverless.is_err() {
                                        " (whether a Serverless workgroup has this name could not be asked)"
                                    } else {
                                        ""
                                    };
                                    Outcome::fail(
                                        Code::ClusterNotFound,
                                        format!(
                                            "No Redshift cluster called {id} is visible to {} in {region}, and no Serverless workgroup has that name{unsure}.",
                                            creds.arn
                                        ),
                                    )
                                    .facts(&facts)
                            }
                        }
                        Err(failure) => {
                            evidence.push(failure.evidence(call, &endpoint, started.elapsed()));
                            refused(conn, warehouse, call, &failure, &facts)
                        }
                    }
                }
                Warehouse::Workgroup(name) => {
                    let (result, e) = workgroup_named(ctx, &creds, &region, name).await;
                    evidence.push(e);
                    let call = "redshift-serverless:GetWorkgroup";
                    match result {
                        Ok(Some(d)) => judge(ctx, conn, warehouse, d, facts),
                        Ok(None) => Outcome::fail(
                            Code::ClusterNotFound,
                            format!(
                                "No Redshift Serverless workgroup called {name} is visible to {} in {region}.",
                                creds.arn
                            ),
                        )
                        .facts(&facts),
                        Err(failure) => refused(conn, warehouse, call, &failure, &facts),
                    }
                }
            };
            evidence.into_iter().fold(outcome, Outcome::evidence)
        }
        .boxed()
    }
}

/// The verdict on what was found; leaves it on the board for the checks after.
fn judge(ctx: &Ctx, conn: &Connector, warehouse: Warehouse<'_>, d: Described, facts: Facts) -> Outcome {
    let mut facts = facts;
    facts.insert("warehouse_status".into(), d.status.clone());
    facts.insert("warehouse_arn".into(), d.arn.clone());
    if !d.endpoint.is_empty() {
        facts.insert("warehouse_endpoint".into(), d.endpoint.clone());
    }
    if let Some(port) = d.port {
        facts.insert("warehouse_port".into(), port.to_string());
    }
    if !d.security_groups.is_empty() {
        facts.insert("warehouse_security_groups".into(), d.security_groups.join(", "));
    }
    if let Some(e) = d.encrypted {
        facts.insert("warehouse_encrypted".into(), e.to_string());
    }
    if let Some(p) = d.public {
        facts.insert("warehouse_publicly_accessible".into(), p.to_string());
    }
    let what = warehouse.phrase();
    if !d.available {
        return Outcome::fail(
            Code::ClusterNotAvailable,
            format!(
                "The {what} is {}, not available: the Data API runs no statement on it until it is.",
                d.status
            ),
        )
        .facts(&facts);
    }
    let at = match d.port {
        Some(port) if !d.endpoint.is_empty() => format!(" at {}:{port}", d.endpoint),
        _ => String::new(),
    };
    let summary = format!("The {what} is {}{at}.", d.status);
    let endpoint = d
        .port
        .and_then(|p| u16::try_from(p).ok())
        .filter(|_| !d.endpoint.is_empty())
        .map(|p| (d.endpoint, p));
    let security_groups = d.security_groups;
    ctx.board.put(Some(&conn.name), Found { arn: d.arn, status: d.status, endpoint, security_groups });
    Outcome::pass(summary).facts(&facts)
}

/// The verdict when a describe call failed: a denial does not stop the link (the connector
/// never describes it), anything else is the tool's trouble.
fn refused(
    conn: &Connector,
    warehouse: Warehouse<'_>,
    call: &str,
    failure: &CallFailure,
    facts: &Facts,
) -> Outcome {
    if is_denied(failure) {
        return Outcome::not_applicable(format!(
            "The connector's role {} may not call {call}, so the {} was not described. A connector never needs that call, so the checks after this one still run.",
            conn.role_arn,
            warehouse.phrase()
        ))
        .facts(facts);
    }
    unclassified(call, failure).facts(facts)
}

/// `DescribeClusters` for `id`: `Ok(None)` when there is no such cluster.
async fn describe_cluster(
    client: &aws_sdk_redshift::Client,
    id: &str,
    region: &str,
    role: &crate::config::Arn,
) -> Result<Option<Described>, CallFailure> {
    match client.describe_clusters().cluster_identifier(id).send().await {
        Ok(out) => Ok(out.clusters().first().map(|c| {
            let status = c.cluster_status().unwrap_or("unknown").to_owned();
            Described {
                arn: cluster_arn(
                    &role.partition,
                    region,
                    &role.account,
                    c.cluster_identifier().unwrap_or(id),
                ),
                available: status.eq_ignore_ascii_case("available"),
                status,
                endpoint: c.endpoint().and_then(|e| e.address()).unwrap_or_default().to_owned(),
                port: c.endpoint().and_then(aws_sdk_redshift::types::Endpoint::port),
                security_groups: c
                    .vpc_security_groups()
                    .iter()
                    .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
                    .collect(),
                encrypted: c.encrypted(),
                public: c.publicly_accessible(),
            }
        })),
        Err(e) => {
            let failure = CallFailure::from_sdk(&e);
            match &failure {
                CallFailure::Service { code, .. } if code.starts_with("ClusterNotFound") => Ok(None),
                _ => Err(failure),
            }
        }
    }
}

/// `GetWorkgroup` for `name`: `Ok(None)` when there is no such workgroup.
async fn workgroup_named(
    ctx: &Ctx,
    creds: &crate::checks::chain::ConnectorCredentials,
    region: &str,
    name: &str,
) -> (Result<Option<Described>, CallFailure>, Evidence) {
    let client = aws::redshift_serverless_client(&ctx.world, region, provider(creds), CALL_BUDGET);
    let endpoint =
        aws::region::endpoint(&ctx.world, "REDSHIFT_SERVERLESS", "redshift-serverless", region).url;
    let call = "redshift-serverless:GetWorkgroup";
    let started = Instant::now();
    match client.get_workgroup().workgroup_name(name).send().await {
        Ok(out) => {
            let e = Evidence::call(call).endpoint(&endpoint).took(started.elapsed());
            let found = out.workgroup().map(|w| {
                let status = w.status().map_or("UNKNOWN", |s| s.as_str()).to_owned();
                Described {
                    arn: w.workgroup_arn().unwrap_or_default().to_owned(),
                    available: status.eq_ignore_ascii_case("AVAILABLE"),
                    status,
                    endpoint: w.endpoint().and_then(|e| e.address()).unwrap_or_default().to_owned(),
                    port: w.endpoint().and_then(aws_sdk_redshiftserverless::types::Endpoint::port),
                    security_groups: w.security_group_ids().to_vec(),
                    encrypted: None,
                    public: w.publicly_accessible(),
                }
            });
            (Ok(found), e)
        }
        Err(e) => {
            let failure = CallFailure::from_sdk(&e);
            let evidence = failure.evidence(call, &endpoint, started.elapsed());
            match &failure {
                CallFailure::Service { code, .. } if code == "ResourceNotFoundException" => {
                    (Ok(None), evidence)
                }
                _ => (Err(failure), evidence),
            }
        }
    }
}
