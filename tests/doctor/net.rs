//! The network link end to end. Loopback alone makes a refused port and an HTTPS endpoint that
//! opens TCP and never answers the TLS hello; dropped packets, missing routes and a resolver's
//! NXDOMAIN are made in a network namespace of the test's own (`crate::netns`), where the lab
//! and the doctor run together and names go through the lab's DNS as they would in a pod.

use std::net::TcpListener;

use connector_lab::Lab;

use crate::netns::{Netns, Served};
use crate::support::{
    Expected, Options, assert_link, assert_remedies_filled, connector_check, doctor_in, edited_scenario,
    run_with,
};

const NET: [&str; 4] = ["net.dns", "net.security_groups", "net.tcp", "net.tls"];

#[test]
fn healthy_destinations_pass_and_an_unused_cluster_port_is_only_information() {
    let lab = Lab::start(edited_scenario("healthy-full-chain", &[])).unwrap();
    let run = doctor_in(&lab, &["--json"]);
    // No security group is described for either destination: the rules are not judged.
    let verdicts = [("pass", None), ("skip", None), ("pass", None), ("skip", None)];
    for connector in ["warehouse", "app-db"] {
        let expected =
            Expected { row: "healthy", connector, checks: &NET, verdicts: &verdicts, exit: 0, says: &[] };
        assert_link(&run, &expected);
    }
    let report = run.report();
    let tcp = connector_check(&report, "warehouse", "net.tcp")["summary"].as_str().unwrap().to_owned();
    assert!(tcp.contains("not used by the Data API"), "{tcp}");

    // The cluster's database port closed: the Data API connector is not broken by it.
    let cluster = connector_check(&report, "warehouse", "redshift.cluster")["facts"]["warehouse_endpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let rule = format!("{cluster}:5439:127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let run = doctor_in(&lab, &["--json", "--connect-to", &rule]);
    let expected = Expected {
        row: "5439 closed",
        connector: "warehouse",
        checks: &NET,
        verdicts: &verdicts,
        exit: 0,
        says: &[],
    };
    let report = assert_link(&run, &expected);
    let tcp = connector_check(&report, "warehouse", "net.tcp")["summary"].as_str().unwrap().to_owned();
    assert!(tcp.contains("a closed database port does not break it"), "{tcp}");
}

#[test]
fn a_refused_port_and_a_silent_tls_endpoint_are_named() {
    let lab = Lab::start(edited_scenario("healthy-full-chain", &[])).unwrap();
    let (address, port, _) = lab.endpoint_of("app-db").unwrap();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let rule = format!("{address}:{port}:127.0.0.1:{closed_port}");
    let run = doctor_in(&lab, &["--json", "--connect-to", &rule]);
    let verdicts = [("pass", None), ("skip", None), ("fail", Some("tcp-refused")), ("skip", None)];
    let expected = Expected {
        row: "refused",
        connector: "app-db",
        checks: &NET,
        verdicts: &verdicts,
        exit: 1,
        says: &["nothing listens", &format!("{address}:{port}")],
    };
    let report = assert_link(&run, &expected);
    assert_remedies_filled(&report, &[]);

    // An HTTPS Data API endpoint whose TCP opens and whose TLS never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let mut env = lab.pod_env();
    env.push(("AWS_ENDPOINT_URL_REDSHIFT_DATA".into(), url));
    env.push(("HOME".into(), lab.temp_dir().display().to_string()));
    let options = Options { cwd: Some(lab.temp_dir().to_owned()), ..Options::default() };
    let run = run_with(&env, &["--json"], &options);
    let report = run.report();
    let tls = connector_check(&report, "warehouse", "net.tls");
    assert_eq!(
        (tls["status"].as_str(), tls["code"].as_str()),
        (Some("fail"), Some("tls-handshake-failed")),
        "{tls:#}"
    );
    assert!(tls["summary"].as_str().unwrap().contains("nothing answered the TLS hello"), "{tls:#}");
    drop(silent);
}

/// One fault made real in a namespace, and what the RDS connector's network checks must say.
struct Fault {
    name: &'static str,
    /// Edits of the scenario, then text appended to it.
    edits: &'static [(&'static str, &'static str)],
    scenario_tail: &'static str,
    /// Applied to the namespace once the lab serves in it.
    apply: fn(&Netns, &Served),
    /// `(status, code)` of `net.dns`, `net.security_groups`, `net.tcp` and `net.tls`.
    verdicts: [(&'static str, Option<&'static str>); 4],
    /// What the first check with a code says, and what net.tcp says.
    says: &'static [&'static str],
    tcp_says: &'static [&'static str],
}

/// The edit that takes the node group's rule out of the database's security group.
const NO_RULE: (&str, &str) = (
    "groups = [\"sg-0c0de0000000000b1\"]\ndescription = \"vcluster-prod nodes\"",
    "cidrs = [\"10.9.0.0/16\"]",
);

const FAULTS: &[Fault] = &[
    Fault {
        name: "a security group drops the SYN",
        edits: &[],
        scenario_tail: "",
        apply: |ns, _| ns.drop_tcp(5432),
        verdicts: [("pass", None), ("pass", None), ("fail", Some("tcp-timeout")), ("skip", None)],
        says: &["nothing answered within 3.0 s", "authorize-security-group-ingress", "--port 5432"],
        tcp_says: &[],
    },
    Fault {
        name: "the database's security group has no rule for the pod, and drops its SYN",
        edits: &[NO_RULE],
        scenario_tail: "",
        apply: |ns, _| ns.drop_tcp(5432),
        verdicts: [
            ("pass", None),
            ("fail", Some("sg-no-inbound-rule")),
            ("fail", Some("tcp-timeout")),
            ("skip", None),
        ],
        says: &[
            "sg-0a1b2c3d4e5f60718 admits 5432 only from 10.9.0.0/16",
            "the node's network interface eni-0a0de0000000000a1, which holds this pod's address 10.0.3.7, carries sg-0c0de0000000000b1",
            "time out (net.tcp)",
            "--group-id sg-0a1b2c3d4e5f60718 --protocol tcp --port 5432 --source-group sg-0c0de0000000000b1",
        ],
        tcp_says: &[
            "nothing answered within 3.0 s",
            "net.security_groups shows why: sg-0a1b2c3d4e5f60718 admits 5432 only from 10.9.0.0/16",
            "--group-id sg-0a1b2c3d4e5f60718 --protocol tcp --port 5432 --source-group sg-0c0de0000000000b1",
        ],
    },
    Fault {
        name: "nothing listens",
        edits: &[],
        scenario_tail: "",
        apply: |ns, _| ns.reject_tcp(5432),
        verdicts: [("pass", None), ("pass", None), ("fail", Some("tcp-refused")), ("skip", None)],
        says: &["nothing listens"],
        tcp_says: &[],
    },
    Fault {
        name: "no route to the host",
        edits: &[],
        scenario_tail: "",
        apply: |ns, _| ns.unreachable_tcp(5432),
        verdicts: [("pass", None), ("pass", None), ("fail", Some("tcp-unreachable")), ("skip", None)],
        says: &["no route to the host", "route tables"],
        tcp_says: &[],
    },
    Fault {
        name: "a middlebox eats the server's TLS packets",
        // A configured HTTPS endpoint whose server answers the hello (the lab's AWS endpoint
        // speaks plain HTTP, so it answers at length) and whose answer never arrives.
        edits: &[(
            "database = \"postgres\"\n'''",
            "database = \"postgres\"\nendpoints = [\"https://tls.lab.test\"]\n'''",
        )],
        scenario_tail: "\n[dns.records]\n\"tls.lab.test\" = \"127.0.0.1\"\n",
        apply: |ns, lab| {
            ns.forward_tcp(443, lab.port_of("AWS_ENDPOINT_URL"));
            ns.blackhole_replies(443);
        },
        verdicts: [("pass", None), ("pass", None), ("pass", None), ("fail", Some("tls-handshake-failed"))],
        says: &[
            "a configured endpoint tls.lab.test:443",
            "nothing answered the TLS hello",
            "openssl s_client -connect tls.lab.test:443",
        ],
        tcp_says: &["a configured endpoint tls.lab.test:443 open"],
    },
    Fault {
        name: "the name is not in DNS",
        edits: &[],
        scenario_tail: "\n[dns]\nendpoints = false\n",
        apply: |_, _| {},
        verdicts: [("fail", Some("dns-failed")), ("skip", None), ("skip", None), ("skip", None)],
        says: &["does not resolve from this pod", "getent hosts vcluster-db."],
        tcp_says: &[],
    },
];

#[test]
fn network_faults_made_in_a_namespace_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(crate::support::scenario_dir().join("rds-lab-smoke.toml")).unwrap();
    for fault in FAULTS {
        let path = dir.path().join("world.toml");
        let mut world = base.clone();
        for (from, to) in fault.edits {
            assert!(world.contains(from), "{}: the edit expects {from:?}", fault.name);
            world = world.replacen(from, to, 1);
        }
        std::fs::write(&path, format!("{world}{}", fault.scenario_tail)).unwrap();
        let ns = Netns::new("net");
        let lab = ns.serve(&path);
        // Names go through the lab's DNS, as in a pod: no --connect-to shortcut.
        let env: Vec<(String, String)> =
            lab.env().into_iter().filter(|(k, _)| k != "CONNECTOR_DOCTOR_CONNECT_TO").collect();
        ns.forward_endpoints(&lab);
        (fault.apply)(&ns, &lab);
        let options = Options {
            cwd: Some(dir.path().to_owned()),
            netns: Some(ns.name().to_owned()),
            ..Options::default()
        };
        let run = run_with(&env, &["--json"], &options);
        let verdicts = fault.verdicts;
        let expected = Expected {
            row: fault.name,
            connector: "vcluster-db",
            checks: &NET,
            verdicts: &verdicts,
            exit: 1,
            says: fault.says,
        };
        let report = assert_link(&run, &expected);
        assert_remedies_filled(&report, &[]);
        let tcp = connector_check(&report, "vcluster-db", "net.tcp").to_string();
        for words in fault.tcp_says {
            assert!(tcp.contains(words), "{}: net.tcp should say {words:?}: {tcp}", fault.name);
        }
    }
}

/// Every endpoint the pod talks to is blackholed (the Pod Identity agent, the AWS endpoint, the
/// database, and the resolver): the whole run still ends within its deadline, plus 10 %, and
/// every check of the plan has its row in the report.
#[test]
fn with_every_endpoint_blackholed_the_run_ends_within_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(crate::support::scenario_dir().join("rds-lab-smoke.toml")).unwrap();
    let path = dir.path().join("world.toml");
    std::fs::write(&path, format!("{base}\n[dns]\nfault = \"timeout\"\n")).unwrap();
    let ns = Netns::new("blackhole");
    let lab = ns.serve(&path);
    let env: Vec<(String, String)> =
        lab.env().into_iter().filter(|(k, _)| k != "CONNECTOR_DOCTOR_CONNECT_TO").collect();
    for variable in ["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL"] {
        ns.drop_tcp(lab.port_of(variable));
    }
    ns.drop_tcp(5432);
    let deadline = 10;
    let options =
        Options { cwd: Some(dir.path().to_owned()), netns: Some(ns.name().to_owned()), ..Options::default() };
    let run = run_with(&env, &["--json", "--timeout", &deadline.to_string()], &options);
    let report = run.report();
    assert!(
        run.took.as_secs_f64() <= f64::from(deadline) * 1.1,
        "the run took {:?} with a deadline of {deadline} s",
        run.took
    );
    eprintln!("every endpoint blackholed: the run took {:?} (deadline {deadline} s)", run.took);
    assert_eq!(run.code, 1);
    let rows = report["checks"].as_array().unwrap();
    // Identity 5, chain 5, RDS 4, network 4: every one reported, run or not.
    assert_eq!(rows.len(), 18, "{report:#}");
    let agent = rows.iter().find(|c| c["id"] == "identity.agent").unwrap();
    assert_eq!(agent["code"], "agent-unreachable", "{agent:#}");
}

/// One security-group world around the healthy vCluster database, and what
/// `net.security_groups` must say of it.
struct Rules {
    name: &'static str,
    edits: &'static [(&'static str, &'static str)],
    verdict: (&'static str, Option<&'static str>),
    exit: i32,
    says: &'static [&'static str],
}

/// The edit that leaves only the EKS cluster security group admitted.
const CLUSTER_ONLY: (&str, &str) = (
    "groups = [\"sg-0c0de0000000000b1\"]\ndescription = \"vcluster-prod nodes\"",
    "groups = [\"sg-0e45c1a5c0000c1a5\"]",
);

const RULES: &[Rules] = &[
    Rules {
        name: "the node group is admitted",
        edits: &[],
        verdict: ("pass", None),
        exit: 0,
        says: &["sg-0a1b2c3d4e5f60718 admits this pod on 5432 (from sg-0c0de0000000000b1)"],
    },
    Rules {
        name: "a CIDR holding the pod is admitted",
        edits: &[(NO_RULE.0, "cidrs = [\"10.0.0.0/16\"]")],
        verdict: ("pass", None),
        exit: 0,
        says: &["(from 10.0.0.0/16)"],
    },
    Rules {
        name: "the same address in another VPC is not this pod",
        edits: &[(
            "[[network_interface]]\nid = \"eni-0a0de0000000000a1\"",
            "[[network_interface]]\nid = \"eni-0e15e0000000000e1\"\nip = \"10.0.3.7\"\nvpc_id = \"vpc-0e15e000000000e15\"\ngroups = [\"sg-0b0d5000000000b0d\"]\n\n[[network_interface]]\nid = \"eni-0a0de0000000000a1\"",
        )],
        verdict: ("pass", None),
        exit: 0,
        says: &["eni-0a0de0000000000a1", "(from sg-0c0de0000000000b1)"],
    },
    Rules {
        name: "no rule admits the pod",
        edits: &[NO_RULE],
        verdict: ("fail", Some("sg-no-inbound-rule")),
        exit: 1,
        says: &[
            "sg-0a1b2c3d4e5f60718 admits 5432 only from 10.9.0.0/16",
            "aws ec2 authorize-security-group-ingress --group-id sg-0a1b2c3d4e5f60718 --protocol tcp --port 5432 --source-group sg-0c0de0000000000b1 --region us-west-1",
        ],
    },
    Rules {
        name: "only the cluster group, which this node's interface carries",
        edits: &[CLUSTER_ONLY],
        verdict: ("warn", Some("sg-allows-cluster-sg-only")),
        exit: 0,
        says: &[
            "only from the EKS cluster security group sg-0e45c1a5c0000c1a5",
            "--source-group sg-0c0de0000000000b1",
        ],
    },
    Rules {
        name: "only the cluster group, and the pod has security groups of its own",
        edits: &[CLUSTER_ONLY, ("ip = \"10.0.3.7\"", "ip = \"10.0.4.21\"")],
        verdict: ("fail", Some("sg-no-inbound-rule")),
        exit: 1,
        says: &[
            "allows 5432 only from the EKS cluster security group sg-0e45c1a5c0000c1a5",
            "this pod's own network interface eni-0b4a0c0000000b4a1 (security groups for pods) carries sg-0b0d5000000000b0d",
            "--source-group sg-0b0d5000000000b0d",
        ],
    },
    Rules {
        name: "the pod may not describe the network",
        edits: &[(
            "\"Action\": [\"ec2:DescribeNetworkInterfaces\", \"ec2:DescribeSecurityGroups\"]",
            "\"Action\": [\"ec2:DescribeSecurityGroups\"]",
        )],
        verdict: ("skip", None),
        exit: 0,
        says: &[
            "ec2:DescribeNetworkInterfaces is not allowed for arn:aws:sts::111122223333:assumed-role/vcluster-db/",
        ],
    },
    Rules {
        name: "no interface holds the pod's address",
        edits: &[("ip = \"10.0.3.7\"", "ip = \"10.0.9.9\"")],
        verdict: ("skip", None),
        exit: 0,
        says: &["No network interface in vpc-0a1b2c3d4e5f60718 holds 10.0.9.9", "prefix delegation"],
    },
];

#[test]
fn security_groups_are_judged_for_the_pods_own_interface() {
    for row in RULES {
        let lab = Lab::start(edited_scenario("vcluster-rds-healthy", row.edits)).unwrap();
        let run = doctor_in(&lab, &["--json"]);
        assert_eq!(run.code, row.exit, "{}: exit code\n{}", row.name, run.stderr);
        let report = run.report();
        let check = connector_check(&report, "vcluster-db", "net.security_groups");
        assert_eq!(
            (check["status"].as_str(), check["code"].as_str()),
            (Some(row.verdict.0), row.verdict.1),
            "{}: {check:#}",
            row.name
        );
        let text = check.to_string();
        for words in row.says {
            assert!(text.contains(words), "{}: should say {words:?}: {check:#}", row.name);
        }
        if row.verdict.1.is_some() {
            assert_remedies_filled(&report, &[]);
        }
    }
}
