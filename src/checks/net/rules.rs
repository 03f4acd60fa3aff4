//! Do a destination's security groups admit this pod? The pure half of
//! `net.security_groups`: given the pod's address and the groups its network interface carries,
//! and the destination's groups as EC2 describes them, find an inbound rule that admits the pod
//! on the port, the way the VPC decides it (any rule of any group on the interface suffices;
//! a rule admits a source group's members or a CIDR's addresses).

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::aws::ec2::{Permission, SecurityGroup};

/// The pod's side of the question.
#[derive(Debug, Clone)]
pub struct Pod {
    /// The address its packets come from.
    pub ip: IpAddr,
    /// The security groups of the interface holding that address.
    pub groups: Vec<String>,
}

/// What the rules say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A rule of `group` admits the pod through `source` (one of its groups, or a CIDR).
    Admitted {
        /// The destination's group holding the rule.
        group: String,
        /// The source that matched.
        source: String,
    },
    /// Only rules naming the EKS cluster security group admit the pod, and they do only
    /// because this pod's interface carries that group.
    ClusterGroupOnly {
        /// The destination's group holding the rule.
        group: String,
        /// The EKS cluster security group.
        cluster_group: String,
    },
    /// Nothing admits the pod, as far as the rules can be read.
    NoRule {
        /// A rule that admits the EKS cluster security group, which this pod does not carry:
        /// the destination's group and the cluster group (seed 004's common mistake).
        cluster_rule: Option<(String, String)>,
        /// The sources on the port that admit others (for the summary).
        others: Vec<String>,
    },
    /// Only a prefix list could admit the pod, and its entries are not read.
    Undecided {
        /// The destination's group holding the rule.
        group: String,
        /// The prefix list.
        prefix_list: String,
    },
}

/// Whether `rule` covers TCP to `port`.
pub fn covers(rule: &Permission, port: u16) -> bool {
    let all_ports = |from: Option<i64>, to: Option<i64>| match (from, to) {
        (Some(from), Some(to)) if from >= 0 && to >= 0 => (from..=to).contains(&i64::from(port)),
        _ => true,
    };
    match rule.protocol.to_ascii_lowercase().as_str() {
        "-1" | "all" => true,
        "tcp" | "6" => all_ports(rule.from_port, rule.to_port),
        _ => false,
    }
}

/// Whether `cidr` (`a.b.c.d/n` or an IPv6 prefix) holds `ip`. A CIDR that does not parse holds
/// nothing.
pub fn cidr_holds(cidr: &str, ip: IpAddr) -> bool {
    let Some((net, len)) = cidr.trim().split_once('/') else { return false };
    let Ok(len) = len.parse::<u32>() else { return false };
    match (net.parse::<IpAddr>(), ip) {
        (Ok(IpAddr::V4(net)), IpAddr::V4(ip)) if len <= 32 => {
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            u32::from(net) & mask == u32::from(ip) & mask
        }
        (Ok(IpAddr::V6(net)), IpAddr::V6(ip)) if len <= 128 => {
            let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
            u128::from(net) & mask == u128::from(ip) & mask
        }
        _ => false,
    }
}

/// Whether a group is an EKS cluster security group, by the name EKS gives it.
pub fn is_cluster_group(names: &BTreeMap<String, String>, id: &str) -> bool {
    names.get(id).is_some_and(|name| name.starts_with("eks-cluster-sg-"))
}

/// Judges the destination's `groups` for `pod` on `port`; `names` maps group ids to names
/// (the pod's groups, the destination's and the ones their rules reference, as far as known).
pub fn judge(pod: &Pod, port: u16, groups: &[SecurityGroup], names: &BTreeMap<String, String>) -> Verdict {
    let mut through_cluster = None;
    let mut cluster_rule = None;
    let mut prefix = None;
    let mut others = Vec::new();
    for group in groups {
        for rule in group.inbound.iter().filter(|r| covers(r, port)) {
            for source in &rule.groups {
                let cluster = is_cluster_group(names, source);
                match (pod.groups.contains(source), cluster) {
                    (true, false) => {
                        return Verdict::Admitted { group: group.id.clone(), source: source.clone() };
                    }
                    (true, true) => {
                        through_cluster.get_or_insert((group.id.clone(), source.clone()));
                    }
                    (false, true) => {
                        cluster_rule.get_or_insert((group.id.clone(), source.clone()));
                    }
                    (false, false) => others.push(source.clone()),
                }
            }
            for cidr in rule.cidrs.iter().chain(&rule.ipv6_cidrs) {
                if cidr_holds(cidr, pod.ip) {
                    return Verdict::Admitted { group: group.id.clone(), source: cidr.clone() };
                }
                others.push(cidr.clone());
            }
            if let Some(list) = rule.prefix_lists.first() {
                prefix.get_or_insert((group.id.clone(), list.clone()));
            }
        }
    }
    match (through_cluster, prefix) {
        (Some((group, cluster_group)), _) => Verdict::ClusterGroupOnly { group, cluster_group },
        (None, Some((group, prefix_list))) => Verdict::Undecided { group, prefix_list },
        (None, None) => {
            let mut seen = std::collections::BTreeSet::new();
            others.retain(|o| seen.insert(o.clone()));
            Verdict::NoRule { cluster_rule, others }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(protocol: &str, ports: Option<(i64, i64)>, groups: &[&str], cidrs: &[&str]) -> Permission {
        Permission {
            protocol: protocol.into(),
            from_port: ports.map(|p| p.0),
            to_port: ports.map(|p| p.1),
            groups: groups.iter().map(|s| (*s).to_owned()).collect(),
            cidrs: cidrs.iter().map(|s| (*s).to_owned()).collect(),
            ..Permission::default()
        }
    }

    fn group(id: &str, inbound: Vec<Permission>) -> SecurityGroup {
        SecurityGroup { id: id.into(), inbound, ..SecurityGroup::default() }
    }

    fn names() -> BTreeMap<String, String> {
        [("sg-cluster", "eks-cluster-sg-prod-123"), ("sg-node", "prod-nodes"), ("sg-pod", "connector-pods")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect()
    }

    fn pod(groups: &[&str]) -> Pod {
        Pod { ip: "10.0.3.7".parse().unwrap(), groups: groups.iter().map(|s| (*s).to_owned()).collect() }
    }

    #[test]
    fn ports_and_protocols() {
        assert!(covers(&rule("tcp", Some((5439, 5439)), &[], &[]), 5439));
        assert!(covers(&rule("6", Some((5000, 6000)), &[], &[]), 5432));
        assert!(!covers(&rule("tcp", Some((5432, 5432)), &[], &[]), 5439));
        assert!(covers(&rule("-1", None, &[], &[]), 5439));
        assert!(!covers(&rule("udp", Some((0, 65535)), &[], &[]), 5439));
        assert!(!covers(&rule("icmp", Some((-1, -1)), &[], &[]), 5439));
    }

    #[test]
    fn cidrs() {
        let ip: IpAddr = "10.0.3.7".parse().unwrap();
        for (cidr, holds) in [
            ("10.0.0.0/16", true),
            ("10.0.3.7/32", true),
            ("0.0.0.0/0", true),
            ("10.1.0.0/16", false),
            ("10.0.3.8/32", false),
            ("fd00::/8", false),
            ("garbage", false),
            ("10.0.0.0/33", false),
        ] {
            assert_eq!(cidr_holds(cidr, ip), holds, "{cidr}");
        }
        assert!(cidr_holds("fd00::/8", "fd00::5".parse().unwrap()));
        assert!(cidr_holds("::/0", "fd00::5".parse().unwrap()));
    }

    #[test]
    fn a_rule_for_one_of_the_pods_groups_admits_it() {
        let groups = [group("sg-db", vec![rule("tcp", Some((5432, 5432)), &["sg-node"], &[])])];
        assert_eq!(
            judge(&pod(&["sg-node"]), 5432, &groups, &names()),
            Verdict::Admitted { group: "sg-db".into(), source: "sg-node".into() }
        );
    }

    #[test]
    fn a_cidr_holding_the_pod_admits_it() {
        let groups = [group("sg-db", vec![rule("tcp", Some((5432, 5432)), &[], &["10.0.0.0/16"])])];
        assert!(matches!(judge(&pod(&["sg-x"]), 5432, &groups, &names()), Verdict::Admitted { .. }));
    }

    #[test]
    fn the_wrong_port_admits_nothing() {
        let groups = [group("sg-db", vec![rule("tcp", Some((5432, 5432)), &["sg-node"], &["10.0.0.0/16"])])];
        assert!(matches!(
            judge(&pod(&["sg-node"]), 5439, &groups, &names()),
            Verdict::NoRule { cluster_rule: None, .. }
        ));
    }

    #[test]
    fn the_cluster_group_alone_is_called_out() {
        let groups = [group("sg-db", vec![rule("tcp", Some((5432, 5432)), &["sg-cluster"], &[])])];
        // The pod's interface carries the cluster group: it works, by luck.
        assert_eq!(
            judge(&pod(&["sg-node", "sg-cluster"]), 5432, &groups, &names()),
            Verdict::ClusterGroupOnly { group: "sg-db".into(), cluster_group: "sg-cluster".into() }
        );
        // A pod with its own group (security groups for pods) does not carry it.
        assert_eq!(
            judge(&pod(&["sg-pod"]), 5432, &groups, &names()),
            Verdict::NoRule { cluster_rule: Some(("sg-db".into(), "sg-cluster".into())), others: vec![] }
        );
    }

    #[test]
    fn any_other_admitting_rule_wins_over_the_cluster_group() {
        let groups = [
            group("sg-db", vec![rule("tcp", Some((5432, 5432)), &["sg-cluster"], &[])]),
            group("sg-db2", vec![rule("-1", None, &[], &["10.0.3.0/24"])]),
        ];
        assert!(matches!(
            judge(&pod(&["sg-cluster"]), 5432, &groups, &names()),
            Verdict::Admitted { source, .. } if source == "10.0.3.0/24"
        ));
    }

    #[test]
    fn a_prefix_list_leaves_it_undecided() {
        let mut r = rule("tcp", Some((5432, 5432)), &[], &[]);
        r.prefix_lists = vec!["pl-1".into()];
        assert_eq!(
            judge(&pod(&["sg-x"]), 5432, &[group("sg-db", vec![r])], &names()),
            Verdict::Undecided { group: "sg-db".into(), prefix_list: "pl-1".into() }
        );
    }
}
