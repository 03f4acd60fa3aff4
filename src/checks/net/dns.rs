//! `net.dns`: each destination's name, resolved through the pod's own resolver (what
//! `/etc/resolv.conf` names: the cluster's DNS service), as the connector's own lookups are.

use std::net::IpAddr;
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, join_all};

use super::{Destination, destinations, is_private, net_facts};
use crate::checks::chain::{connector, or_return};
use crate::engine::{Check, Ctx};
use crate::net;
use crate::outcome::{Code, Evidence, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[Code::DnsFailed];

/// How long one lookup may take: glibc's resolver gives up on a silent server after 5 s per
/// try; a pod should answer in milliseconds.
const LOOKUP_BUDGET: Duration = Duration::from_secs(3);

/// The check, for one connector.
#[derive(Debug)]
pub struct DnsCheck {
    /// The connector's name.
    pub connector: String,
}

/// The destinations and the addresses their names resolved to, for `net.tcp`.
#[derive(Debug, Clone)]
pub struct Resolved(pub Vec<(Destination, Vec<IpAddr>)>);

/// What one lookup found.
enum Lookup {
    /// The name is an address already, or `--connect-to` sends it to one.
    Literal(IpAddr, Option<String>),
    /// Resolved.
    Found(Vec<IpAddr>),
    /// Not resolved, and why.
    Failed(String),
}

async fn lookup(ctx: &Ctx, d: &Destination) -> Lookup {
    let (host, port) = net::route(&ctx.config.connect_to, &d.host, d.port);
    let routed = (host != d.host || port != d.port).then(|| format!("{host}:{port}"));
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Lookup::Literal(ip, routed);
    }
    match tokio::time::timeout(LOOKUP_BUDGET, tokio::net::lookup_host((host.as_str(), port))).await {
        Ok(Ok(addresses)) => {
            let mut ips: Vec<IpAddr> = addresses.map(|a| a.ip()).collect();
            ips.dedup();
            if ips.is_empty() { Lookup::Failed("no address".into()) } else { Lookup::Found(ips) }
        }
        Ok(Err(e)) => Lookup::Failed(e.to_string()),
        Err(_) => Lookup::Failed(format!("no answer within {} s", LOOKUP_BUDGET.as_secs())),
    }
}

fn describe(ips: &[IpAddr]) -> String {
    let list: Vec<String> = ips.iter().map(ToString::to_string).collect();
    let scope = if ips.iter().all(|ip| is_private(*ip)) { "private" } else { "public" };
    format!("{} ({scope})", list.join(", "))
}

impl Check for DnsCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let mut facts = net_facts(ctx, conn);
            let wanted = destinations(ctx, conn);
            if wanted.is_empty() {
                return Outcome::not_applicable(format!(
                    "{} names no destination to resolve yet.",
                    conn.name
                ));
            }
            let started = std::time::Instant::now();
            let lookups = join_all(wanted.iter().map(|d| lookup(ctx, d))).await;
            let mut resolved = Vec::new();
            let mut lines = Vec::new();
            let mut failed = Vec::new();
            let mut evidence = Vec::new();
            for (d, found) in wanted.into_iter().zip(lookups) {
                match found {
                    Lookup::Literal(ip, routed) => {
                        let via =
                            routed.map(|r| format!(" (sent to {r} by --connect-to)")).unwrap_or_default();
                        lines.push(format!("{} {}{via}", d.what, d.address()));
                        resolved.push((d, vec![ip]));
                    }
                    Lookup::Found(ips) => {
                        evidence.push(Evidence::call(format!("resolve {}", d.host)).message(describe(&ips)));
                        lines.push(format!("{} {} → {}", d.what, d.host, describe(&ips)));
                        resolved.push((d, ips));
                    }
                    Lookup::Failed(why) => {
                        evidence.push(Evidence::call(format!("resolve {}", d.host)).message(why.clone()));
                        if d.needed {
                            failed.push((d, why));
                        } else {
                            lines.push(format!(
                                "{} {} does not resolve ({why}); the connector does not use it",
                                d.what, d.host
                            ));
                        }
                    }
                }
            }
            let took = started.elapsed();
            let outcome = if let Some((d, why)) = failed.first() {
                facts.insert("target_host".into(), d.host.clone());
                facts.insert("target_port".into(), d.port.to_string());
                facts.insert("tcp_reason".into(), why.clone());
                Outcome::fail(
                    Code::DnsFailed,
                    format!("{} {} does not resolve from this pod: {why}.", d.what, d.host),
                )
                .facts(&facts)
            } else {
                ctx.board.put(Some(&conn.name), Resolved(resolved));
                Outcome::pass(format!("Resolved in {} ms: {}.", took.as_millis(), lines.join("; ")))
                    .facts(&facts)
            };
            evidence.into_iter().fold(outcome, Outcome::evidence)
        }
        .boxed()
    }
}
