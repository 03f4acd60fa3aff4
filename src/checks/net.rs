//! The network link: can this pod reach what each connector needs? Every destination the
//! connector's path uses (the database endpoint, the Redshift Data API, a JDBC connector's
//! cluster port) is resolved through the pod's own resolver (`net.dns`), connected to with a
//! deadline (`net.tcp`: a dropped SYN, a reset and "no route" are told apart), and, where the
//! protocol is HTTPS, shaken hands with (`net.tls`).
//!
//! A security group that lacks an inbound rule shows up here as a timeout; the checks name the
//! destination, the port and what the silence means instead of leaving it to a driver minutes
//! later.

pub mod dns;
pub mod rules;
pub mod security_groups;
pub mod tcp;
pub mod tls;

use std::net::IpAddr;

use crate::aws::ResolvedRegion;
use crate::checks::chain::chain_facts;
use crate::checks::identity::BaseCredentials;
use crate::checks::{rds, redshift};
use crate::config::{Connector, ConnectorKind};
use crate::engine::Ctx;
use crate::net::Address;
use crate::outcome::Facts;

/// One place a connector's path connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// What it is, for people: "the RDS endpoint", "the Redshift Data API".
    pub what: String,
    /// The host name (or address) the connector uses.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Whether the connection speaks HTTPS (so `net.tls` shakes hands with it).
    pub https: bool,
    /// Whether the connector needs it; a destination it does not need is probed for
    /// information only (a Data API connector never opens the cluster's port).
    pub needed: bool,
    /// Whether it is a database in the VPC (an RDS endpoint, a Redshift cluster's port), which
    /// security groups guard; AWS's HTTPS endpoints are not.
    pub database: bool,
    /// The database's VPC security groups, as AWS described them.
    pub security_groups: Vec<String>,
}

impl Destination {
    /// `host:port`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    fn new(what: impl Into<String>, address: Address) -> Self {
        Destination {
            what: what.into(),
            host: address.host,
            port: address.port,
            https: address.https,
            needed: true,
            database: false,
            security_groups: Vec::new(),
        }
    }

    /// A destination from an endpoint URL (`https://host[:port]`, or an `http://` override).
    fn from_url(what: &str, url: &str) -> Option<Self> {
        let address: Address = url.parse().ok()?;
        url.contains("://").then(|| Destination::new(what, address))
    }
}

/// Every destination `conn`'s path needs, from its configuration and what the link's first
/// check found: STS (every connector's hop goes through it, regional or global as the pod's SDK
/// chooses), then what the connector's kind reaches, then the connector's own `endpoints`.
pub fn destinations(ctx: &Ctx, conn: &Connector) -> Vec<Destination> {
    let region = ResolvedRegion::resolve(&ctx.world, &ctx.config).name;
    let sts = crate::aws::region::sts_endpoint(&ctx.world, &region);
    let mut out: Vec<Destination> =
        Destination::from_url(&format!("STS ({} endpoint)", sts.kind), &sts.url).into_iter().collect();
    match conn.kind {
        ConnectorKind::Rds => {
            if let Some(t) = rds::target(ctx, conn) {
                let groups = t.described.map(|d| d.security_groups).unwrap_or_default();
                out.push(Destination {
                    database: true,
                    security_groups: groups,
                    ..Destination::new(
                        "the database endpoint",
                        Address { host: t.host, port: t.port, https: false },
                    )
                });
            }
        }
        ConnectorKind::Redshift => {
            let jdbc = redshift::named_user(conn).is_some();
            if !jdbc {
                let url =
                    crate::aws::region::endpoint(&ctx.world, "REDSHIFT_DATA", "redshift-data", &region).url;
                out.extend(Destination::from_url("the Redshift Data API", &url));
            }
            let found = ctx.board.get::<redshift::Found>(Some(&conn.name));
            if let Some(found) = found
                && let Some((host, port)) = found.endpoint.clone()
            {
                let what = if jdbc {
                    "the cluster's database port"
                } else {
                    "the cluster's database port (not used by the Data API)"
                };
                out.push(Destination {
                    database: true,
                    needed: jdbc,
                    security_groups: found.security_groups.clone(),
                    ..Destination::new(what, Address { host, port, https: false })
                });
            }
        }
        ConnectorKind::Secret => {
            let url =
                crate::aws::region::endpoint(&ctx.world, "SECRETS_MANAGER", "secretsmanager", &region).url;
            out.extend(Destination::from_url("Secrets Manager", &url));
        }
    }
    for extra in &conn.target.endpoints {
        out.push(Destination::new("a configured endpoint", extra.clone()));
    }
    out
}

/// Whether an address is in a private, shared or loopback range (a VPC endpoint or an
/// in-VPC database resolves to one; a public AWS endpoint does not).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private() || v4.is_loopback() || v4.is_link_local() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Facts every network remedy may use.
pub fn net_facts(ctx: &Ctx, conn: &Connector) -> Facts {
    let base = ctx.board.get::<BaseCredentials>(None);
    chain_facts(ctx, conn, base.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_become_destinations() {
        let d = Destination::from_url("x", "https://redshift-data.us-west-1.amazonaws.com").unwrap();
        assert_eq!((d.host.as_str(), d.port, d.https), ("redshift-data.us-west-1.amazonaws.com", 443, true));
        let d = Destination::from_url("x", "http://127.0.0.1:4566/").unwrap();
        assert_eq!((d.host.as_str(), d.port, d.https), ("127.0.0.1", 4566, false));
        assert_eq!(Destination::from_url("x", "not a url"), None);
        assert_eq!(Destination::from_url("x", "host:443"), None, "an endpoint setting is a URL");
    }

    #[test]
    fn private_ranges() {
        for (ip, private) in [
            ("10.0.3.7", true),
            ("172.20.1.1", true),
            ("100.64.0.1", true),
            ("127.0.0.1", true),
            ("52.94.1.1", false),
        ] {
            assert_eq!(is_private(ip.parse().unwrap()), private, "{ip}");
        }
    }
}
