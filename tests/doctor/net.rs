//! The network link end to end. Loopback alone makes a refused port and an HTTPS endpoint that
//! opens TCP and never answers the TLS hello; dropped packets, missing routes and a resolver's
//! NXDOMAIN are made in a network namespace of the test's own (`crate::netns`), where the lab
//! and the doctor run together and names go through the lab's DNS as they would in a pod.

use std::net::TcpListener;

use connector_lab::Lab;

use crate::netns::Netns;
use crate::support::{
    Expected, Options, assert_link, assert_remedies_filled, connector_check, doctor_in, edited_scenario,
    run_with,
};

const NET: [&str; 3] = ["net.dns", "net.tcp", "net.tls"];

#[test]
fn healthy_destinations_pass_and_an_unused_cluster_port_is_only_information() {
    let lab = Lab::start(edited_scenario("healthy-full-chain", &[])).unwrap();
    let run = doctor_in(&lab, &["--json"]);
    let verdicts = [("pass", None), ("pass", None), ("skip", None)];
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
    let verdicts = [("pass", None), ("fail", Some("tcp-refused")), ("skip", None)];
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
    /// Appended to the scenario.
    scenario_tail: &'static str,
    /// Applied to the namespace once the lab serves in it.
    apply: fn(&Netns),
    /// `(status, code)` of net.dns and net.tcp.
    verdicts: [(&'static str, Option<&'static str>); 2],
    says: &'static [&'static str],
}

const FAULTS: &[Fault] = &[
    Fault {
        name: "a security group drops the SYN",
        scenario_tail: "",
        apply: |ns| ns.drop_tcp(5432),
        verdicts: [("pass", None), ("fail", Some("tcp-timeout"))],
        says: &["nothing answered within 3.0 s", "authorize-security-group-ingress", "--port 5432"],
    },
    Fault {
        name: "nothing listens",
        scenario_tail: "",
        apply: |ns| ns.reject_tcp(5432),
        verdicts: [("pass", None), ("fail", Some("tcp-refused"))],
        says: &["nothing listens"],
    },
    Fault {
        name: "no route to the host",
        scenario_tail: "",
        apply: |ns| ns.unreachable_tcp(5432),
        verdicts: [("pass", None), ("fail", Some("tcp-unreachable"))],
        says: &["no route to the host", "route tables"],
    },
    Fault {
        name: "the name is not in DNS",
        scenario_tail: "\n[dns]\nendpoints = false\n",
        apply: |_| {},
        verdicts: [("fail", Some("dns-failed")), ("skip", None)],
        says: &["does not resolve from this pod", "getent hosts vcluster-db."],
    },
];

#[test]
fn network_faults_made_in_a_namespace_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(crate::support::scenario_dir().join("rds-lab-smoke.toml")).unwrap();
    for fault in FAULTS {
        let path = dir.path().join("world.toml");
        std::fs::write(&path, format!("{base}{}", fault.scenario_tail)).unwrap();
        let ns = Netns::new("net");
        let lab = ns.serve(&path);
        // Names go through the lab's DNS, as in a pod: no --connect-to shortcut.
        let env: Vec<(String, String)> =
            lab.env().into_iter().filter(|(k, _)| k != "CONNECTOR_DOCTOR_CONNECT_TO").collect();
        ns.forward_endpoints(&lab);
        (fault.apply)(&ns);
        let options = Options {
            cwd: Some(dir.path().to_owned()),
            netns: Some(ns.name().to_owned()),
            ..Options::default()
        };
        let run = run_with(&env, &["--json"], &options);
        let verdicts = [fault.verdicts[0], fault.verdicts[1], ("skip", None)];
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
    // Identity 5, chain 5, RDS 4, network 3: every one reported, run or not.
    assert_eq!(rows.len(), 17, "{report:#}");
    let agent = rows.iter().find(|c| c["id"] == "identity.agent").unwrap();
    assert_eq!(agent["code"], "agent-unreachable", "{agent:#}");
}
