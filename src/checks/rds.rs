//! The RDS link: an IAM database login to RDS or Aurora PostgreSQL, as a connector makes it.
//!
//! `rds.instance` finds the database (instance, Aurora cluster or proxy) and reads its endpoint
//! and resource id; `rds.token` signs the IAM auth token for that endpoint; `rds.connect` logs in
//! over verified TLS with the token as the password; `rds.grant` asks the server whether the user
//! is in `rds_iam`. Every step uses the connector's own credentials (`chain.assume` leaves them).

pub mod connect;
pub mod grant;
pub mod instance;
pub mod token;

use crate::checks::chain::chain_facts;
pub use crate::checks::chain::connector_credentials as credentials;
use crate::checks::identity::BaseCredentials;
use crate::config::Connector;
use crate::engine::Ctx;
use crate::outcome::Facts;

/// PostgreSQL's port, the default of every RDS PostgreSQL endpoint.
pub const DEFAULT_PORT: u16 = 5432;
/// The database a login asks for when none is configured (libpq's default is the user's name;
/// RDS creates `postgres`).
pub const DEFAULT_DATABASE: &str = "postgres";

/// What kind of RDS resource answers at the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// A DB instance.
    Instance,
    /// An Aurora cluster (its writer endpoint).
    Cluster,
    /// An RDS Proxy.
    Proxy,
}

impl DbKind {
    /// The word for remedies.
    pub fn word(self) -> &'static str {
        match self {
            DbKind::Instance => "instance",
            DbKind::Cluster => "cluster",
            DbKind::Proxy => "proxy",
        }
    }

    /// The call that describes one.
    pub fn describe_call(self) -> &'static str {
        match self {
            DbKind::Instance => "rds:DescribeDBInstances",
            DbKind::Cluster => "rds:DescribeDBClusters",
            DbKind::Proxy => "rds:DescribeDBProxies",
        }
    }
}

/// The database as `rds.instance` found it, for the checks after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// What it is.
    pub kind: DbKind,
    /// Its id.
    pub id: String,
    /// Its endpoint address: the name tokens must be signed for.
    pub endpoint: String,
    /// Its port.
    pub port: u16,
    /// The resource id in `rds-db:connect` ARNs.
    pub resource_id: String,
    /// Its VPC security groups, for the network link's rule analysis.
    pub security_groups: Vec<String>,
}

/// Where the login goes: the described endpoint, else the configured host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host the connector connects to.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The database as described, when it could be.
    pub described: Option<Database>,
}

/// Where `conn` logs in, from the configuration and what `rds.instance` found.
pub fn target(ctx: &Ctx, conn: &Connector) -> Option<Target> {
    let described = ctx.board.get::<Database>(Some(&conn.name)).map(|d| (*d).clone());
    let host = conn.target.host.clone().or_else(|| described.as_ref().map(|d| d.endpoint.clone()))?;
    let port = conn.target.port.or(described.as_ref().map(|d| d.port)).unwrap_or(DEFAULT_PORT);
    Some(Target { host, port, described })
}

/// Facts every RDS remedy may use.
pub fn rds_facts(ctx: &Ctx, conn: &Connector) -> Facts {
    let base = ctx.board.get::<BaseCredentials>(None);
    let mut f = chain_facts(ctx, conn, base.as_deref());
    let t = &conn.target;
    f.insert("partition".into(), conn.role_arn.partition.clone());
    f.insert("database".into(), t.database.clone().unwrap_or_else(|| DEFAULT_DATABASE.to_owned()));
    for (key, value) in [("db_id", &t.instance_id), ("db_user", &t.user), ("db_host", &t.host)] {
        if let Some(v) = value {
            f.insert(key.into(), v.clone());
        }
    }
    if let Some(target) = target(ctx, conn) {
        f.insert("db_host".into(), target.host);
        f.insert("db_port".into(), target.port.to_string());
        if let Some(d) = target.described {
            f.insert("db_kind".into(), d.kind.word().into());
            f.insert("db_endpoint".into(), d.endpoint);
            f.insert("db_resource_id".into(), d.resource_id);
        }
    }
    f
}
