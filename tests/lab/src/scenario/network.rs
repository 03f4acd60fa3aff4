//! The network side of a scenario: VPC security groups (`[[security_group]]`), network
//! interfaces (`[[network_interface]]`), as EC2's `Describe*` calls report them, and the DNS
//! the lab answers when started with a DNS responder (`[dns]`).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use anyhow::bail;
use serde::Deserialize;

use super::Scenario;

/// A VPC security group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroup {
    /// `sg-…`.
    pub id: String,
    /// `groupName`.
    pub name: String,
    /// The VPC it belongs to.
    #[serde(default = "default_vpc")]
    pub vpc_id: String,
    /// `groupDescription`.
    #[serde(default)]
    pub description: String,
    /// The account owning it; default the scenario's.
    #[serde(default)]
    pub owner: Option<String>,
    /// Inbound rules (`ipPermissions`).
    #[serde(default)]
    pub inbound: Vec<Rule>,
    /// Outbound rules (`ipPermissionsEgress`); absent: AWS's default, all traffic to
    /// `0.0.0.0/0`.
    #[serde(default)]
    pub outbound: Option<Vec<Rule>>,
}

/// One rule of a security group: a protocol and port range, from (or to) CIDRs and groups.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `tcp`, `udp` or `-1` (all traffic).
    #[serde(default = "default_protocol")]
    pub protocol: String,
    /// `[from, to]`; required unless the protocol is `-1`.
    #[serde(default)]
    pub ports: Option<[u16; 2]>,
    /// IPv4 CIDRs.
    #[serde(default)]
    pub cidrs: Vec<String>,
    /// Security group IDs (in the scenario).
    #[serde(default)]
    pub groups: Vec<String>,
    /// The description on every range and group of the rule.
    #[serde(default)]
    pub description: Option<String>,
}

/// An elastic network interface.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkInterface {
    /// `eni-…`.
    pub id: String,
    /// Its primary private IPv4 address.
    pub ip: String,
    /// Further private IPv4 addresses (secondary IPs a node ENI hands to pods).
    #[serde(default)]
    pub secondary_ips: Vec<String>,
    /// Its security groups (IDs of `[[security_group]]` entries).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Subnet.
    #[serde(default = "default_subnet")]
    pub subnet_id: String,
    /// VPC.
    #[serde(default = "default_vpc")]
    pub vpc_id: String,
    /// `description`: `aws-K8S-i-…` for a node's ENI (what the VPC CNI writes),
    /// `aws-k8s-branch-eni` for a security-groups-for-pods branch ENI.
    #[serde(default)]
    pub description: String,
    /// `interfaceType`: `interface`, `branch`, `trunk`, …
    #[serde(default = "default_interface_type")]
    pub interface_type: String,
    /// `status`: `in-use` or `available`.
    #[serde(default = "default_status")]
    pub status: String,
}

/// What the lab's DNS responder does, when the lab has one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    /// A records: name (any case) to IPv4 address.
    #[serde(default)]
    pub records: BTreeMap<String, String>,
    /// Also answer every endpoint name the lab serves (RDS addresses and aliases, Redshift
    /// cluster and workgroup addresses) with `127.0.0.1`.
    #[serde(default = "yes")]
    pub endpoints: bool,
    /// How the responder misbehaves.
    #[serde(default)]
    pub fault: DnsFault,
}

impl Default for Dns {
    fn default() -> Self {
        Self { records: BTreeMap::new(), endpoints: true, fault: DnsFault::None }
    }
}

/// A DNS fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum DnsFault {
    /// Answers.
    #[default]
    None,
    /// Never answers: the resolver times out.
    Timeout,
    /// Answers every query with SERVFAIL.
    Servfail,
}

impl Rule {
    /// The rule's port range, `None` for all traffic.
    pub fn range(&self) -> Option<(u16, u16)> {
        if self.protocol == "-1" { None } else { self.ports.map(|[from, to]| (from, to)) }
    }
}

/// Checks the network tables: IDs well formed and unique, every group an interface or rule
/// names declared, addresses and CIDRs parse, DNS records are IPv4.
pub fn check(scenario: &Scenario) -> anyhow::Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for group in &scenario.security_groups {
        if !group.id.starts_with("sg-") || group.id.len() < 4 {
            bail!("security_group {}: id must look like sg-…", group.id);
        }
        if !seen.insert(group.id.as_str()) {
            bail!("security_group {}: declared twice", group.id);
        }
    }
    let known = |what: &str, id: &str| -> anyhow::Result<()> {
        if !scenario.security_groups.iter().any(|g| g.id == id) {
            bail!("{what}: security group {id} is not a [[security_group]] in the scenario");
        }
        Ok(())
    };
    for group in &scenario.security_groups {
        let what = format!("security_group {}", group.id);
        for rule in group.inbound.iter().chain(group.outbound.iter().flatten()) {
            match rule.protocol.as_str() {
                "-1" => {}
                "tcp" | "udp" => match rule.ports {
                    Some([from, to]) if from <= to => {}
                    Some([from, to]) => bail!("{what}: ports [{from}, {to}] run backwards"),
                    None => bail!("{what}: a {} rule needs ports = [from, to]", rule.protocol),
                },
                other => bail!("{what}: protocol {other:?} is not tcp, udp or -1"),
            }
            for cidr in &rule.cidrs {
                if parse_cidr(cidr).is_none() {
                    bail!("{what}: {cidr:?} is not an IPv4 CIDR");
                }
            }
            for id in &rule.groups {
                known(&what, id)?;
            }
        }
    }
    let mut enis = std::collections::BTreeSet::new();
    for eni in &scenario.network_interfaces {
        let what = format!("network_interface {}", eni.id);
        if !eni.id.starts_with("eni-") || eni.id.len() < 5 {
            bail!("{what}: id must look like eni-…");
        }
        if !enis.insert(eni.id.as_str()) {
            bail!("{what}: declared twice");
        }
        for ip in std::iter::once(&eni.ip).chain(&eni.secondary_ips) {
            if ip.parse::<Ipv4Addr>().is_err() {
                bail!("{what}: {ip:?} is not an IPv4 address");
            }
        }
        for id in &eni.groups {
            known(&what, id)?;
        }
    }
    if let Some(ip) = &scenario.pod.ip
        && ip.parse::<Ipv4Addr>().is_err()
    {
        bail!("pod.ip {ip:?} is not an IPv4 address");
    }
    for (name, address) in &scenario.dns.records {
        if name.is_empty() || name.len() > 253 || name.split('.').any(|l| l.is_empty() || l.len() > 63) {
            bail!("dns.records: {name:?} is not a DNS name");
        }
        if address.parse::<Ipv4Addr>().is_err() {
            bail!("dns.records: {name} = {address:?} is not an IPv4 address");
        }
    }
    Ok(())
}

/// `a.b.c.d/n` → (network, prefix length).
pub fn parse_cidr(text: &str) -> Option<(Ipv4Addr, u8)> {
    let (address, bits) = text.split_once('/')?;
    let bits: u8 = bits.parse().ok().filter(|b| *b <= 32)?;
    Some((address.parse().ok()?, bits))
}

/// Whether `ip` lies in `cidr`.
pub fn cidr_contains(cidr: &str, ip: Ipv4Addr) -> bool {
    let Some((network, bits)) = parse_cidr(cidr) else { return false };
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
    u32::from(network) & mask == u32::from(ip) & mask
}

fn default_vpc() -> String {
    "vpc-0a1b2c3d4e5f60718".to_owned()
}
fn default_subnet() -> String {
    "subnet-0a1b2c3d4e5f60001".to_owned()
}
fn default_protocol() -> String {
    "tcp".to_owned()
}
fn default_interface_type() -> String {
    "interface".to_owned()
}
fn default_status() -> String {
    "in-use".to_owned()
}
fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORLD: &str = r#"
[pod]
ip = "10.0.3.7"

[[security_group]]
id = "sg-0db0000000000001a"
name = "app-db"
[[security_group.inbound]]
protocol = "tcp"
ports = [5432, 5432]
cidrs = ["10.0.0.0/16"]
groups = ["sg-0node000000000001"]

[[security_group]]
id = "sg-0node000000000001"
name = "nodes"

[[network_interface]]
id = "eni-0pod00000000000001"
ip = "10.0.3.7"
groups = ["sg-0node000000000001"]
"#;

    #[test]
    fn a_world_with_groups_and_interfaces() {
        let s = Scenario::from_toml_str(WORLD).unwrap();
        assert_eq!(s.pod.ip.as_deref(), Some("10.0.3.7"));
        assert_eq!(s.security_groups.len(), 2);
        assert_eq!(s.security_groups[0].inbound[0].range(), Some((5432, 5432)));
        assert_eq!(s.network_interfaces[0].interface_type, "interface");
        assert!(s.dns.endpoints);
    }

    #[test]
    fn unknown_groups_are_named() {
        let rule = WORLD.replace("groups = [\"sg-0node000000000001\"]\n\n", "groups = [\"sg-0nope\"]\n\n");
        let err = format!("{:#}", Scenario::from_toml_str(&rule).unwrap_err());
        assert!(err.contains("security_group sg-0db0000000000001a: security group sg-0nope is not"), "{err}");
        let eni = format!("{WORLD}groups = [\"sg-0gone\"]\n")
            .replace("groups = [\"sg-0node000000000001\"]\ngroups", "groups");
        let err = format!("{:#}", Scenario::from_toml_str(&eni).unwrap_err());
        assert!(
            err.contains("network_interface eni-0pod00000000000001") && err.contains("sg-0gone"),
            "{err}"
        );
    }

    #[test]
    fn bad_values_are_refused() {
        for (text, why) in [
            ("[pod]\nip = \"10.0.3\"\n", "pod.ip"),
            ("[dns]\nrecords = { \"a.example\" = \"::1\" }\n", "not an IPv4 address"),
            ("[dns]\nfault = \"slow\"\n", "unknown variant"),
            (
                "[[security_group]]\nid = \"sg-1\"\nname = \"n\"\n[[security_group.inbound]]\nports = [2, 1]\n",
                "backwards",
            ),
            (
                "[[security_group]]\nid = \"sg-1\"\nname = \"n\"\n[[security_group.inbound]]\ncidrs = [\"10/8\"]\nports = [1, 1]\n",
                "CIDR",
            ),
            ("[[security_group]]\nid = \"sg-1\"\nname = \"n\"\n[[security_group.inbound]]\n", "needs ports"),
            ("[[security_group]]\nid = \"x\"\nname = \"n\"\n", "sg-"),
        ] {
            let err = format!("{:#}", Scenario::from_toml_str(text).unwrap_err());
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn cidrs() {
        let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert!(cidr_contains("10.0.0.0/16", ip("10.0.3.7")));
        assert!(!cidr_contains("10.1.0.0/16", ip("10.0.3.7")));
        assert!(cidr_contains("0.0.0.0/0", ip("192.0.2.1")));
        assert!(cidr_contains("10.0.3.7/32", ip("10.0.3.7")));
        assert!(!cidr_contains("garbage", ip("10.0.3.7")));
    }
}
