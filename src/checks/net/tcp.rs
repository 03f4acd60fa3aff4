//! `net.tcp`: a TCP connection to every destination, all at once, each with a deadline. The way
//! a connection fails says where to look: no answer at all is a packet dropped on the way (a
//! security group, a network ACL), a reset is a host with nothing on the port, "no route" is
//! routing.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, join_all};
use tokio::net::TcpStream;

use super::dns::Resolved;
use super::security_groups::explain_timeout;
use super::{Destination, net_facts};
use crate::checks::chain::{connector, or_return};
use crate::engine::{Check, Ctx, Finished};
use crate::net::{self, TcpFailure};
use crate::outcome::{Code, Evidence, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[Code::TcpTimeout, Code::TcpRefused, Code::TcpUnreachable];

/// How long one connection may take. Inside a VPC a handshake takes a millisecond or two; three
/// seconds of silence is a drop, not a slow network.
pub const CONNECT_BUDGET: Duration = Duration::from_secs(3);

/// The check, for one connector.
#[derive(Debug)]
pub struct TcpCheck {
    /// The connector's name.
    pub connector: String,
}

/// What a probe of one destination found.
struct Probe {
    destination: Destination,
    result: Result<SocketAddr, TcpFailure>,
    took: Duration,
}

/// Connects to the destination's addresses in turn (the port after `--connect-to`).
async fn probe(ctx: &Ctx, destination: Destination, ips: Vec<IpAddr>) -> Probe {
    let (_, port) = net::route(&ctx.config.connect_to, &destination.host, destination.port);
    let started = Instant::now();
    let mut result = Err(TcpFailure::Other("no address to connect to".into()));
    for ip in ips {
        let address = SocketAddr::new(ip, port);
        result = match tokio::time::timeout(CONNECT_BUDGET, TcpStream::connect(address)).await {
            Ok(Ok(_)) => Ok(address),
            Ok(Err(e)) => Err(net::sort_io_error(&e, started.elapsed())),
            Err(_) => Err(TcpFailure::Timeout(CONNECT_BUDGET)),
        };
        if result.is_ok() {
            break;
        }
    }
    Probe { destination, result, took: started.elapsed() }
}

/// The code for a failed connection, if it is one of this check's.
fn code_of(failure: &TcpFailure) -> Option<Code> {
    match failure {
        TcpFailure::Timeout(_) => Some(Code::TcpTimeout),
        TcpFailure::Refused => Some(Code::TcpRefused),
        TcpFailure::Unreachable(_) => Some(Code::TcpUnreachable),
        TcpFailure::Dns(_) | TcpFailure::Other(_) => None,
    }
}

impl Check for TcpCheck {
    /// The rule analysis only informs the connection test: whatever it found, connect.
    fn proceeds_despite(&self, prerequisite: &Finished, _ctx: &Ctx) -> bool {
        prerequisite.key.id == "net.security_groups"
    }

    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let mut facts = net_facts(ctx, conn);
            let Some(resolved) = ctx.board.get::<Resolved>(Some(&conn.name)) else {
                return Outcome::not_applicable(format!("{} has no resolved destination to connect to.", conn.name));
            };
            let probes =
                join_all(resolved.0.iter().map(|(d, ips)| probe(ctx, d.clone(), ips.clone()))).await;
            let mut lines = Vec::new();
            let mut evidence = Vec::new();
            let mut broken = None;
            for p in &probes {
                let d = &p.destination;
                let e = Evidence::call(format!("tcp connect {}", d.address())).took(p.took);
                match &p.result {
                    Ok(address) => {
                        lines.push(format!("{} {} open ({} ms)", d.what, d.address(), p.took.as_millis()));
                        evidence.push(e.endpoint(address.to_string()));
                    }
                    Err(failure) => {
                        evidence.push(e.message(failure.to_string()));
                        if d.needed {
                            broken.get_or_insert((d, failure));
                        } else {
                            lines.push(format!(
                                "{} {}: {failure}. The connector does not use it: the Data API is HTTPS to its own endpoint, so a closed database port does not break it",
                                d.what,
                                d.address()
                            ));
                        }
                    }
                }
            }
            let outcome = match broken {
                Some((d, failure)) => {
                    facts.insert("target_host".into(), d.host.clone());
                    facts.insert("target_port".into(), d.port.to_string());
                    facts.insert("tcp_reason".into(), failure.to_string());
                    if let Some(group) = d.security_groups.first() {
                        facts.insert("destination_sg".into(), group.clone());
                    }
                    let mut summary = format!("TCP to {} {}: {failure}.", d.what, d.address());
                    if let TcpFailure::Timeout(_) = failure
                        && let Some(finding) = explain_timeout(ctx, &conn.name, &d.address(), &mut facts)
                    {
                        summary.push_str(&finding);
                    }
                    match code_of(failure) {
                        Some(code) => Outcome::fail(code, summary),
                        None => Outcome::error(format!("{summary} connector-doctor cannot classify this.")),
                    }
                    .facts(&facts)
                }
                None => Outcome::pass(format!("Reachable: {}.", lines.join("; "))).facts(&facts),
            };
            evidence.into_iter().fold(outcome, Outcome::evidence)
        }
        .boxed()
    }
}
