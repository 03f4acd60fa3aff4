//! `net.security_groups`: whether the database's security groups admit this pod. The pod's
//! network interface is found by the pod's address (a node's interface for a pod on the node's
//! network, the pod's own branch interface with security groups for pods); its groups are the
//! ones the pod's packets carry. The database's groups come from the RDS or Redshift
//! description. A missing rule is named with the command that adds it, and `net.tcp`, which
//! runs after this check, cites the finding when its connection times out.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use futures::FutureExt;
use futures::future::BoxFuture;

use super::dns::Resolved;
use super::rules::{Pod, Verdict, is_cluster_group, judge};
use super::{Destination, destinations, net_facts};
use crate::aws::CallFailure;
use crate::aws::ec2::{Ec2, Interface};
use crate::checks::chain::{ConnectorCredentials, connector, or_return};
use crate::checks::identity::BaseCredentials;
use crate::engine::{Check, Ctx};
use crate::outcome::{Code, Evidence, Facts, Outcome};

/// Codes this check emits.
pub const CODES: &[Code] = &[Code::SgNoInboundRule, Code::SgAllowsClusterSgOnly];

/// Time for each EC2 call.
const CALL_BUDGET: Duration = Duration::from_secs(4);

/// What this check judged, for the checks whose connection to the same destination times out
/// (`net.tcp`, `rds.connect`): the groups a rule would join, and the missing rule if it is one.
#[derive(Debug, Clone)]
pub struct Judged {
    /// `host:port` of the destination.
    pub address: String,
    /// The destination's group a rule belongs in.
    pub destination_sg: String,
    /// The pod's group to allow.
    pub pod_sg: String,
    /// The missing rule, as a sentence, when no rule admits the pod.
    pub missing: Option<String>,
}

/// Fills the groups of a timeout's remedy from what this check judged about `address`, and
/// returns the sentence that explains the timeout when no rule admits the pod.
pub fn explain_timeout(ctx: &Ctx, connector: &str, address: &str, facts: &mut Facts) -> Option<String> {
    let judged = ctx.board.get::<Judged>(Some(connector)).filter(|j| j.address == address)?;
    facts.insert("destination_sg".into(), judged.destination_sg.clone());
    facts.insert("pod_sg".into(), judged.pod_sg.clone());
    judged.missing.as_ref().map(|m| format!(" net.security_groups shows why: {m}"))
}

/// The check, for one connector.
#[derive(Debug)]
pub struct SecurityGroupsCheck {
    /// The connector's name.
    pub connector: String,
}

/// The address this pod's packets to `to` leave from: `POD_IP` when the pod spec sets it (the
/// downward API), else the source address the kernel picks for that destination (a UDP socket
/// that is connected, which sends nothing).
fn pod_ip(ctx: &Ctx, to: Option<SocketAddr>) -> Option<IpAddr> {
    if let Some(ip) = ctx.world.var("POD_IP").and_then(|v| v.trim().parse().ok()) {
        return Some(ip);
    }
    let to = to?;
    let any: SocketAddr = if to.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let socket = UdpSocket::bind(any).ok()?;
    socket.connect(to).ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

/// One identity EC2 may be asked with.
struct Asker {
    who: String,
    credentials: Credentials,
}

/// Whether EC2 refused on authorization grounds.
fn is_unauthorized(failure: &CallFailure) -> bool {
    matches!(failure, CallFailure::Service { code, .. } if code == "UnauthorizedOperation" || code == "AccessDenied" || code == "AccessDeniedException")
}

/// The groups' names as far as known: the pod's interface names its groups; described groups
/// carry theirs.
fn names(interface: &Interface, described: &[crate::aws::ec2::SecurityGroup]) -> BTreeMap<String, String> {
    let mut names: BTreeMap<String, String> = interface.groups.iter().cloned().collect();
    names.extend(described.iter().map(|g| (g.id.clone(), g.name.clone())));
    names
}

impl Check for SecurityGroupsCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            let mut facts = net_facts(ctx, conn);
            let wanted: Vec<Destination> =
                destinations(ctx, conn).into_iter().filter(|d| d.needed && d.database).collect();
            let Some(dest) = wanted.iter().find(|d| !d.security_groups.is_empty()) else {
                let why = match wanted.first() {
                    None => format!(
                        "{} reaches no database in the VPC, only AWS's HTTPS endpoints (the Data API, STS), which no security group of yours guards.",
                        conn.name
                    ),
                    Some(d) => format!(
                        "No security group is known for {} {} (AWS did not describe it, or described none), so there are no rules to judge.",
                        d.what,
                        d.address()
                    ),
                };
                return Outcome::not_applicable(why).facts(&facts);
            };
            facts.insert("target_host".into(), dest.host.clone());
            facts.insert("target_port".into(), dest.port.to_string());
            facts.insert("destination_groups".into(), dest.security_groups.join(", "));
            facts.insert("destination_sg".into(), dest.security_groups[0].clone());
            let resolved = ctx.board.get::<Resolved>(Some(&conn.name));
            let first_address = resolved.as_ref().and_then(|r| {
                r.0.iter().find(|(d, _)| d.address() == dest.address()).and_then(|(_, ips)| ips.first().copied())
            });
            let (_, port) = crate::net::route(&ctx.config.connect_to, &dest.host, dest.port);
            let Some(ip) = pod_ip(ctx, first_address.map(|ip| SocketAddr::new(ip, port))) else {
                return Outcome::not_applicable(
                    "This pod's address is unknown: POD_IP is not set and no route to the destination shows one.",
                )
                .facts(&facts);
            };
            facts.insert("pod_ip".into(), ip.to_string());

            let region = crate::aws::ResolvedRegion::resolve(&ctx.world, &ctx.config).name;
            let mut evidence = Vec::new();
            let (ec2, interface) = match find_interface(ctx, conn, &region, ip, &mut evidence).await {
                Ok(found) => found,
                Err(o) => return evidence.into_iter().fold(o.facts(&facts), Outcome::evidence),
            };
            let pod = Pod { ip, groups: interface.groups.iter().map(|(id, _)| id.clone()).collect() };
            facts.insert("pod_eni".into(), interface.id.clone());
            facts.insert("pod_groups".into(), pod.groups.join(", "));

            let started = Instant::now();
            let result = ec2.security_groups(&dest.security_groups).await;
            evidence.push(evidence_of("ec2:DescribeSecurityGroups", &ec2.url, started, &result));
            let groups = match result {
                Ok(groups) => groups,
                Err(f) => {
                    let o = if is_unauthorized(&f) {
                        Outcome::not_applicable(format!("Not judged: ec2:DescribeSecurityGroups was refused: {}", describe(&f)))
                    } else {
                        Outcome::error(format!("EC2 DescribeSecurityGroups failed: {}", describe(&f)))
                    };
                    return evidence.into_iter().fold(o.facts(&facts), Outcome::evidence);
                }
            };
            // The names of groups the rules reference, to recognise the EKS cluster group.
            let mut names = names(&interface, &groups);
            let referenced: Vec<String> = groups
                .iter()
                .flat_map(|g| g.inbound.iter().flat_map(|r| r.groups.iter()))
                .filter(|id| !names.contains_key(*id))
                .cloned()
                .collect();
            if !referenced.is_empty() {
                let started = Instant::now();
                let result = ec2.security_groups(&referenced).await;
                evidence.push(evidence_of("ec2:DescribeSecurityGroups", &ec2.url, started, &result));
                if let Ok(more) = result {
                    names.extend(more.into_iter().map(|g| (g.id, g.name)));
                }
            }
            let pod_sg = pod
                .groups
                .iter()
                .find(|g| !is_cluster_group(&names, g))
                .or(pod.groups.first())
                .cloned()
                .unwrap_or_default();
            facts.insert("pod_sg".into(), pod_sg.clone());
            let o = verdict(ctx, &conn.name, dest, &pod, &pod_sg, &interface, judge(&pod, dest.port, &groups, &names), &mut facts);
            evidence.into_iter().fold(o.facts(&facts), Outcome::evidence)
        }
        .boxed()
    }
}

/// The network interface holding `ip`, asked with the pod's identity, else the connector's;
/// or the outcome that says why it cannot be known.
async fn find_interface<'a>(
    ctx: &'a Ctx,
    conn: &crate::config::Connector,
    region: &str,
    ip: IpAddr,
    evidence: &mut Vec<Evidence>,
) -> Result<(Ec2<'a>, Interface), Outcome> {
    let mut askers = Vec::new();
    if let Some(base) = ctx.board.get::<BaseCredentials>(None) {
        askers.push(Asker { who: base.arn.clone(), credentials: base.credentials.clone() });
    }
    if let Some(c) = ctx.board.get::<ConnectorCredentials>(Some(&conn.name))
        && askers.iter().all(|a| a.who != c.arn)
    {
        askers.push(Asker { who: c.arn.clone(), credentials: c.credentials.clone() });
    }
    let mut refused = Vec::new();
    for asker in askers {
        let ec2 = Ec2::new(&ctx.world, &ctx.config.connect_to, region, asker.credentials, CALL_BUDGET);
        let started = Instant::now();
        let result = ec2.interfaces_holding(ip).await;
        evidence.push(evidence_of("ec2:DescribeNetworkInterfaces", &ec2.url, started, &result));
        match result {
            Ok(interfaces) => {
                return match interfaces.into_iter().next() {
                    Some(interface) => Ok((ec2, interface)),
                    None => Err(Outcome::not_applicable(format!(
                        "No network interface in {region} holds {ip}, the address this pod's packets leave from: the pod may run in another account's VPC, behind a NAT, or on Fargate, where the rules cannot be read this way."
                    ))),
                };
            }
            Err(f) if is_unauthorized(&f) => refused.push(asker.who),
            Err(f) => {
                return Err(Outcome::error(format!(
                    "EC2 DescribeNetworkInterfaces failed: {}",
                    describe(&f)
                )));
            }
        }
    }
    Err(Outcome::not_applicable(format!(
        "Not judged: ec2:DescribeNetworkInterfaces is not allowed for {}. Grant it and ec2:DescribeSecurityGroups (on \"Resource\": \"*\"; they have no resource-level scope) to let this check name a missing inbound rule.",
        if refused.is_empty() { "any identity available".to_owned() } else { refused.join(" nor for ") }
    )))
}

/// Evidence of one EC2 call.
fn evidence_of<T>(call: &str, url: &str, started: Instant, result: &Result<T, CallFailure>) -> Evidence {
    match result {
        Ok(_) => Evidence::call(call).endpoint(url).took(started.elapsed()),
        Err(f) => f.evidence(call, url, started.elapsed()),
    }
}

/// A failure in a sentence.
fn describe(f: &CallFailure) -> String {
    match f {
        CallFailure::Service { code, message, .. } => format!("{code}: {message}"),
        CallFailure::Unreachable { kind, detail } => format!("the EC2 endpoint {} ({detail})", kind.phrase()),
        CallFailure::Garbled { detail, .. } | CallFailure::Local { detail } => detail.clone(),
    }
}

/// The outcome for a verdict; a missing rule is also left for `net.tcp`.
#[allow(clippy::too_many_arguments)]
fn verdict(
    ctx: &Ctx,
    connector: &str,
    dest: &Destination,
    pod: &Pod,
    pod_sg: &str,
    interface: &Interface,
    verdict: Verdict,
    facts: &mut Facts,
) -> Outcome {
    let carries = format!(
        "this pod's network interface {} ({}) carries {}",
        interface.id,
        pod.ip,
        if pod.groups.is_empty() { "no security group".to_owned() } else { pod.groups.join(", ") }
    );
    let port = dest.port;
    let mut judged = Judged {
        address: dest.address(),
        destination_sg: facts.get("destination_sg").cloned().unwrap_or_default(),
        pod_sg: pod_sg.to_owned(),
        missing: None,
    };
    let outcome = match verdict {
        Verdict::Admitted { group, source } => {
            Outcome::pass(format!("{group} admits this pod on {port} (from {source}); {carries}."))
        }
        Verdict::ClusterGroupOnly { group, cluster_group } => {
            facts.insert("destination_sg".into(), group.clone());
            facts.insert("cluster_sg".into(), cluster_group.clone());
            judged.destination_sg.clone_from(&group);
            Outcome::warn(
                Code::SgAllowsClusterSgOnly,
                format!(
                    "{group} admits {port} only from the EKS cluster security group {cluster_group}; it works because {carries}. Pods with their own security groups, or nodes without the cluster group, will time out."
                ),
            )
        }
        Verdict::Undecided { group, prefix_list } => Outcome::not_applicable(format!(
            "{group} admits {port} from the prefix list {prefix_list}, whose entries this check does not read; no other rule admits this pod ({carries})."
        )),
        Verdict::NoRule { cluster_rule, others } => {
            let mut finding = match &cluster_rule {
                Some((group, cluster_group)) => {
                    facts.insert("destination_sg".into(), group.clone());
                    facts.insert("cluster_sg".into(), cluster_group.clone());
                    format!(
                        "{group} allows {port} only from the EKS cluster security group {cluster_group}; {carries}"
                    )
                }
                None if others.is_empty() => {
                    format!("{} has no inbound rule for {port}; {carries}", dest.security_groups.join(", "))
                }
                None => format!(
                    "{} {} {port} only from {}; {carries}",
                    dest.security_groups.join(", "),
                    if dest.security_groups.len() == 1 { "admits" } else { "admit" },
                    others.join(", ")
                ),
            };
            finding.push('.');
            judged.destination_sg = facts.get("destination_sg").cloned().unwrap_or_default();
            judged.missing = Some(finding.clone());
            Outcome::fail(
                Code::SgNoInboundRule,
                format!(
                    "No inbound rule admits this pod to {} {}: {finding} Its connections are dropped unanswered and time out (net.tcp).",
                    dest.what,
                    dest.address()
                ),
            )
        }
    };
    ctx.board.put(Some(connector), judged);
    outcome
}
