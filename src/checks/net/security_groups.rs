//! `net.security_groups`: whether the database's security groups admit this pod. The pod's
//! network interface is found by the pod's address (a node's interface for a pod on the node's
//! network, the pod's own branch interface with security groups for pods); its groups are the
//! ones the pod's packets carry. The database's groups come from the RDS or Redshift
//! description. A missing rule is named with the command that adds it, and `net.tcp`, which
//! runs after this check, cites the finding when its connection times out.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use futures::FutureExt;
use futures::future::BoxFuture;

use super::dns::Resolved;
use super::rules::{Pod, Verdict, is_cluster_group, judge};
use super::{Destination, destinations, net_facts};
use crate::aws::CallFailure;
use crate::aws::ec2::{Ec2, Interface, SecurityGroup};
use crate::checks::chain::{ConnectorCredentials, connector, or_return};
use crate::checks::identity::BaseCredentials;
use crate::config::Connector;
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

/// The identities to ask with: the pod's, then the connector's when it is another.
fn askers(ctx: &Ctx, conn: &Connector) -> Vec<Asker> {
    let mut askers = Vec::new();
    if let Some(base) = ctx.board.get::<BaseCredentials>(None) {
        askers.push(Asker { who: base.arn.clone(), credentials: base.credentials.clone() });
    }
    if let Some(c) = ctx.board.get::<ConnectorCredentials>(Some(&conn.name))
        && askers.iter().all(|a| a.who != c.arn)
    {
        askers.push(Asker { who: c.arn.clone(), credentials: c.credentials.clone() });
    }
    askers
}

/// One EC2 read.
#[derive(Clone, Copy)]
enum Read<'a> {
    /// The interfaces holding an address, in a VPC when known.
    Interfaces(IpAddr, Option<&'a str>),
    /// Security groups by id (exactly, or leniently by filter).
    Groups(&'a [String], bool),
}

/// What a read returned.
enum Got {
    Interfaces(Vec<Interface>),
    Groups(Vec<SecurityGroup>),
}

impl Read<'_> {
    fn action(self) -> &'static str {
        match self {
            Read::Interfaces(..) => "ec2:DescribeNetworkInterfaces",
            Read::Groups(..) => "ec2:DescribeSecurityGroups",
        }
    }
}

/// Asks EC2 with each identity in turn until one may: the answer, or the outcome that says why
/// there is none (every identity refused, naming the permission; or EC2 failed).
async fn ask(
    ctx: &Ctx,
    askers: &[&Asker],
    region: &str,
    read: Read<'_>,
    evidence: &mut Vec<Evidence>,
) -> Result<Got, Outcome> {
    let mut refused = Vec::new();
    for asker in askers {
        let ec2 =
            Ec2::new(&ctx.world, &ctx.config.connect_to, region, asker.credentials.clone(), CALL_BUDGET);
        let started = Instant::now();
        let result = match read {
            Read::Interfaces(ip, vpc) => ec2.interfaces_holding(ip, vpc).await.map(Got::Interfaces),
            Read::Groups(ids, exact) => ec2.security_groups(ids, exact).await.map(Got::Groups),
        };
        evidence.push(match &result {
            Ok(_) => Evidence::call(read.action()).endpoint(&ec2.url).took(started.elapsed()),
            Err(f) => f.evidence(read.action(), &ec2.url, started.elapsed()),
        });
        match result {
            Ok(got) => return Ok(got),
            Err(f) if is_unauthorized(&f) => refused.push(asker.who.clone()),
            Err(f) => return Err(Outcome::error(format!("{} failed: {}", read.action(), describe(&f)))),
        }
    }
    Err(Outcome::not_applicable(format!(
        "Not judged: {} is not allowed for {}. Grant ec2:DescribeNetworkInterfaces and ec2:DescribeSecurityGroups (on \"Resource\": \"*\"; they have no resource-level scope) to let this check name a missing inbound rule.",
        read.action(),
        if refused.is_empty() { "any identity available".to_owned() } else { refused.join(" nor for ") }
    )))
}

/// Whether EC2 refused on authorization grounds.
fn is_unauthorized(failure: &CallFailure) -> bool {
    matches!(failure, CallFailure::Service { code, .. } if code == "UnauthorizedOperation" || code == "AccessDenied" || code == "AccessDeniedException")
}

/// A failure in a sentence.
fn describe(f: &CallFailure) -> String {
    match f {
        CallFailure::Service { code, message, .. } => format!("{code}: {message}"),
        CallFailure::Unreachable { kind, detail } => format!("the EC2 endpoint {} ({detail})", kind.phrase()),
        CallFailure::Garbled { detail, .. } | CallFailure::Local { detail } => detail.clone(),
    }
}

/// The interface in a sentence: whose it is tells where its groups come from.
fn carries(interface: &Interface, pod: &Pod) -> String {
    let whose = if interface.interface_type == "branch" || interface.description.contains("branch-eni") {
        format!("this pod's own network interface {} (security groups for pods)", interface.id)
    } else if interface.description.starts_with("aws-K8S-") {
        format!("the node's network interface {}, which holds this pod's address {},", interface.id, pod.ip)
    } else {
        format!("the network interface {} holding this pod's address {}", interface.id, pod.ip)
    };
    let groups = if pod.groups.is_empty() { "no security group".to_owned() } else { pod.groups.join(", ") };
    format!("{whose} carries {groups}")
}

impl Check for SecurityGroupsCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let conn = or_return!(connector(ctx, &self.connector));
            // A re-run judges afresh: an earlier finding must not be cited for this run.
            ctx.board.take::<Judged>(Some(&conn.name));
            let mut facts = net_facts(ctx, conn);
            let wanted: Vec<Destination> =
                destinations(ctx, conn).into_iter().filter(|d| d.needed && d.database).collect();
            let Some(dest) = wanted.iter().find(|d| !d.security_groups.is_empty()) else {
                let why = match wanted.first() {
                    None => format!(
                        "{} reaches no database in the VPC, only AWS's HTTPS endpoints (the Data API, STS); an interface VPC endpoint for them has security groups of its own, which this check does not read.",
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
            let mut evidence = Vec::new();
            let outcome = match judge_rules(ctx, conn, dest, ip, &mut facts, &mut evidence).await {
                Ok(o) | Err(o) => o,
            };
            evidence.into_iter().fold(outcome.facts(&facts), Outcome::evidence)
        }
        .boxed()
    }
}

/// Reads the destination's groups (with the connector's identity first: the database lives in
/// its account), the interface holding the pod's address in their VPC (with the pod's identity
/// first), and the names of the groups the rules reference; then judges.
async fn judge_rules(
    ctx: &Ctx,
    conn: &Connector,
    dest: &Destination,
    ip: IpAddr,
    facts: &mut Facts,
    evidence: &mut Vec<Evidence>,
) -> Result<Outcome, Outcome> {
    let region = crate::aws::ResolvedRegion::resolve(&ctx.world, &ctx.config).name;
    let askers = askers(ctx, conn);
    let pod_first: Vec<&Asker> = askers.iter().collect();
    let connector_first: Vec<&Asker> = askers.iter().rev().collect();

    let read = Read::Groups(&dest.security_groups, true);
    let Got::Groups(groups) = ask(ctx, &connector_first, &region, read, evidence).await? else {
        return Err(Outcome::error("EC2 answered another question."));
    };
    let vpc = groups.iter().map(|g| g.vpc_id.as_str()).find(|v| !v.is_empty());
    let read = Read::Interfaces(ip, vpc);
    let Got::Interfaces(interfaces) = ask(ctx, &pod_first, &region, read, evidence).await? else {
        return Err(Outcome::error("EC2 answered another question."));
    };
    let Some(interface) = interfaces.into_iter().next() else {
        return Err(Outcome::not_applicable(format!(
            "No network interface in {} holds {ip}, the address this pod's packets leave from. With the VPC CNI's prefix delegation a pod's address belongs to a /28 prefix of the node's interface, and an IPv6 pod reaches IPv4 addresses from the node's own address; neither is looked up here.",
            vpc.unwrap_or(&region)
        )));
    };
    let pod = Pod { ip, groups: interface.groups.iter().map(|(id, _)| id.clone()).collect() };
    facts.insert("pod_eni".into(), interface.id.clone());
    facts.insert("pod_groups".into(), pod.groups.join(", "));

    // The names of the groups the rules reference, to recognise the EKS cluster group; a
    // group this identity cannot see is left out, not an error.
    let mut names: BTreeMap<String, String> = interface.groups.iter().cloned().collect();
    names.extend(groups.iter().map(|g| (g.id.clone(), g.name.clone())));
    let referenced: Vec<String> = groups
        .iter()
        .flat_map(|g| g.inbound.iter().flat_map(|r| r.groups.iter()))
        .filter(|id| !names.contains_key(*id))
        .cloned()
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    if !referenced.is_empty()
        && let Ok(Got::Groups(more)) =
            ask(ctx, &connector_first, &region, Read::Groups(&referenced, false), evidence).await
    {
        names.extend(more.into_iter().map(|g| (g.id, g.name)));
    }
    let pod_sg = pod.groups.iter().find(|g| !is_cluster_group(&names, g)).or(pod.groups.first()).cloned();
    if let Some(group) = &pod_sg {
        facts.insert("pod_sg".into(), group.clone());
    }
    let scene = Scene { dest, pod_sg: pod_sg.unwrap_or_default(), carries: carries(&interface, &pod) };
    Ok(verdict(ctx, &conn.name, &scene, judge(&pod, dest.port, &groups, &names), facts))
}

/// What a verdict is about.
struct Scene<'a> {
    dest: &'a Destination,
    pod_sg: String,
    /// "the node's network interface … carries …".
    carries: String,
}

/// The outcome for a verdict; what was judged is left for the checks that time out.
fn verdict(ctx: &Ctx, connector: &str, scene: &Scene<'_>, verdict: Verdict, facts: &mut Facts) -> Outcome {
    let Scene { dest, pod_sg, carries } = scene;
    let port = dest.port;
    let mut judged = Judged {
        address: dest.address(),
        destination_sg: facts.get("destination_sg").cloned().unwrap_or_default(),
        pod_sg: pod_sg.clone(),
        missing: None,
    };
    let outcome = match verdict {
        Verdict::Admitted { group, source } => {
            let summary = format!("{group} admits this pod on {port} (from {source}); {carries}.");
            judged.destination_sg = group;
            Outcome::pass(summary)
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
            let groups = dest.security_groups.join(", ");
            let mut finding = match &cluster_rule {
                Some((group, cluster_group)) => {
                    facts.insert("destination_sg".into(), group.clone());
                    facts.insert("cluster_sg".into(), cluster_group.clone());
                    judged.destination_sg.clone_from(group);
                    format!(
                        "{group} allows {port} only from the EKS cluster security group {cluster_group}; {carries}"
                    )
                }
                None if others.is_empty() => format!("{groups} has no inbound rule for {port}; {carries}"),
                None => {
                    let verb = if dest.security_groups.len() == 1 { "admits" } else { "admit" };
                    format!("{groups} {verb} {port} only from {}; {carries}", others.join(", "))
                }
            };
            finding.push('.');
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
