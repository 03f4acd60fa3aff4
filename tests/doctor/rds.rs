//! The RDS link end to end: the built doctor logs in to a real PostgreSQL server through the
//! lab's RDS front (TLS with the lab's CA, the IAM token checked as RDS checks it, RDS's error
//! texts), one row per failure code, each a small edit of `vcluster-rds-healthy`.

use std::net::TcpListener;

use connector_lab::Lab;
use serde_json::Value;

use crate::support::{
    Expected, assert_link, assert_remedies_filled, connector_check, connector_table, doctor_in,
    edited_scenario,
};

const BASE: &str = "vcluster-rds-healthy";
const CHECKS: [&str; 4] = ["rds.instance", "rds.token", "rds.connect", "rds.grant"];

/// One world and what the doctor must find in it.
struct Row {
    name: &'static str,
    /// Edits of the base scenario's text, each `(from, to)`; `from` must occur.
    edits: &'static [(&'static str, &'static str)],
    /// The expected `(status, code)` of each RDS check, in `CHECKS` order.
    expect: [(&'static str, Option<&'static str>); 4],
    /// The exit code.
    exit: i32,
    /// Words the failing check's summary must contain.
    says: &'static [&'static str],
}

const PASS: (&str, Option<&str>) = ("pass", None);
const SKIP: (&str, Option<&str>) = ("skip", None);

const CONFIG_INSTANCE: &str = "instance_id = \"vcluster-db\"";
const ROLE_CONNECT: &str = "dbuser:db-VCLUSTERDBEXAMPLE234567ABC/postgres\",";

const ROWS: &[Row] = &[
    Row { name: "healthy instance", edits: &[], expect: [PASS, PASS, PASS, PASS], exit: 0, says: &[] },
    Row {
        name: "healthy proxy",
        edits: &[(CONFIG_INSTANCE, "instance_id = \"vcluster-db-proxy\"")],
        expect: [PASS, PASS, PASS, PASS],
        exit: 0,
        says: &[],
    },
    Row {
        name: "proxy user outside rds_iam",
        edits: &[
            (CONFIG_INSTANCE, "instance_id = \"vcluster-db-proxy\"\nuser = \"app\""),
            ("user = \"postgres\"\ndatabase", "database"),
            (
                "users = [{ name = \"postgres\", rds_iam = true }]",
                "users = [{ name = \"postgres\", rds_iam = true }, { name = \"app\" }]",
            ),
            ("dbuser:prx-0a1b2c3d4e5f60718/postgres", "dbuser:prx-0a1b2c3d4e5f60718/app"),
        ],
        expect: [PASS, PASS, PASS, ("warn", Some("rds-iam-not-granted"))],
        exit: 0,
        says: &["not a member of rds_iam"],
    },
    Row {
        name: "a proxy in front of a database without IAM authentication",
        edits: &[
            (CONFIG_INSTANCE, "instance_id = \"vcluster-db-proxy\""),
            ("iam_auth = true", "iam_auth = false"),
        ],
        expect: [PASS, PASS, PASS, ("fail", Some("iam-auth-disabled"))],
        exit: 1,
        says: &["no rds_iam role", "modify-db-instance"],
    },
    Row {
        name: "no such database id",
        edits: &[(CONFIG_INSTANCE, "instance_id = \"vcluster-dbb\"")],
        expect: [("fail", Some("db-not-found")), SKIP, SKIP, SKIP],
        exit: 1,
        says: &["vcluster-dbb"],
    },
    Row {
        name: "IAM authentication off",
        edits: &[("iam_auth = true", "iam_auth = false")],
        expect: [("fail", Some("iam-auth-disabled")), SKIP, SKIP, SKIP],
        exit: 1,
        says: &["IAM database authentication"],
    },
    Row {
        name: "a CNAME instead of the endpoint",
        edits: &[
            (CONFIG_INSTANCE, "instance_id = \"vcluster-db\"\nhost = \"db.corp.example\""),
            (
                "security_groups = [\"sg-0a1b2c3d4e5f60718\"]\n\n[[rds]]",
                "security_groups = [\"sg-0a1b2c3d4e5f60718\"]\naliases = [\"db.corp.example\"]\n\n[[rds]]",
            ),
        ],
        expect: [PASS, ("fail", Some("token-host-not-canonical")), SKIP, SKIP],
        exit: 1,
        says: &["db.corp.example", "uz3vmabfmqh3"],
    },
    Row {
        name: "rds-db:connect names the instance, not its resource id",
        edits: &[(ROLE_CONNECT, "dbuser:vcluster-db/postgres\",")],
        expect: [PASS, PASS, ("fail", Some("pam-authentication-failed")), SKIP],
        exit: 1,
        says: &[
            "PAM authentication failed",
            "Proven from the connector role's policies",
            "dbuser:db-VCLUSTERDBEXAMPLE234567ABC/postgres",
        ],
    },
    Row {
        name: "the same, without IAM read",
        edits: &[
            (ROLE_CONNECT, "dbuser:vcluster-db/postgres\","),
            ("managed = [\"vcluster-read-iam\"]\n", ""),
        ],
        expect: [PASS, PASS, ("fail", Some("pam-authentication-failed")), SKIP],
        exit: 1,
        says: &["names the instance (vcluster-db)", "dbuser:db-VCLUSTERDBEXAMPLE234567ABC/postgres"],
    },
    Row {
        name: "the pod's clock is 16 minutes behind AWS's",
        edits: &[("cluster = \"vcluster-prod\"", "cluster = \"vcluster-prod\"\nclock_skew_seconds = 960")],
        expect: [PASS, PASS, ("fail", Some("pam-authentication-failed")), SKIP],
        exit: 1,
        says: &["16 min 0 s behind AWS", "tokens last 15 minutes"],
    },
    Row {
        name: "the user is not in rds_iam",
        edits: &[
            ("user = \"postgres\"\ndatabase", "user = \"app\"\ndatabase"),
            (
                "users = [{ name = \"postgres\", rds_iam = true }]",
                "users = [{ name = \"postgres\", rds_iam = true }, { name = \"app\" }]",
            ),
            (ROLE_CONNECT, "dbuser:db-VCLUSTERDBEXAMPLE234567ABC/app\","),
        ],
        expect: [PASS, PASS, ("fail", Some("password-authentication-failed")), SKIP],
        exit: 1,
        says: &["password authentication failed for user \"app\""],
    },
    Row {
        name: "the connector does not use TLS",
        edits: &[("database = \"postgres\"\n'''", "database = \"postgres\"\nsslmode = \"disable\"\n'''")],
        expect: [PASS, PASS, ("fail", Some("no-encryption")), SKIP],
        exit: 1,
        says: &["no encryption", "sslmode=disable"],
    },
    Row {
        name: "a certificate from another CA",
        edits: &[(
            "security_groups = [\"sg-0a1b2c3d4e5f60718\"]\n\n[[rds]]",
            "security_groups = [\"sg-0a1b2c3d4e5f60718\"]\ntls = \"untrusted\"\n\n[[rds]]",
        )],
        expect: [PASS, PASS, ("fail", Some("tls-verify-failed")), SKIP],
        exit: 1,
        says: &["UnknownIssuer", "rds-ca.pem"],
    },
    Row {
        name: "a certificate for another name",
        edits: &[(
            "security_groups = [\"sg-0a1b2c3d4e5f60718\"]\n\n[[rds]]",
            "security_groups = [\"sg-0a1b2c3d4e5f60718\"]\ntls = \"wrong-name\"\n\n[[rds]]",
        )],
        expect: [PASS, PASS, ("fail", Some("tls-verify-failed")), SKIP],
        exit: 1,
        says: &["not valid for name", "wrong.example.invalid"],
    },
    Row {
        name: "no such database",
        edits: &[("database = \"postgres\"\n'''", "database = \"vcluster\"\n'''")],
        expect: [PASS, PASS, ("fail", Some("database-not-found")), SKIP],
        exit: 1,
        says: &["database \"vcluster\" does not exist"],
    },
];

fn world(edits: &[(&str, &str)]) -> connector_lab::Scenario {
    edited_scenario(BASE, edits)
}

fn rds_check<'a>(report: &'a Value, id: &str) -> &'a Value {
    connector_check(report, "vcluster-db", id)
}

fn table(report: &Value) -> String {
    connector_table(report, "vcluster-db", &CHECKS)
}

#[test]
fn every_rds_code_is_diagnosed_against_a_real_server() {
    for row in ROWS {
        let lab = Lab::start(world(row.edits)).unwrap_or_else(|e| panic!("{}: {e:#}", row.name));
        let run = doctor_in(&lab, &["--json"]);
        let report = assert_link(
            &run,
            &Expected {
                row: row.name,
                connector: "vcluster-db",
                checks: &CHECKS,
                verdicts: &row.expect,
                exit: row.exit,
                says: row.says,
            },
        );
        let token_free = !serde_json::to_string(&report).unwrap().contains("X-Amz-Signature");
        assert!(token_free, "{}: the token leaked into the report", row.name);
        assert_remedies_filled(&report, &[]);
    }
}

#[test]
fn a_closed_port_is_refused_and_a_silent_server_fails_within_the_deadline() {
    let lab = Lab::start(world(&[])).unwrap();
    let (address, port, _) = lab.endpoint_of("vcluster-db").unwrap();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let rule = format!("{address}:{port}:127.0.0.1:{closed_port}");
    let run = doctor_in(&lab, &["--json", "--connect-to", &rule]);
    let report = run.report();
    let c = rds_check(&report, "rds.connect");
    assert_eq!((c["status"].as_str(), c["code"].as_str()), (Some("fail"), Some("tcp-refused")), "{c:#}");
    assert_eq!(run.code, 1);

    let lab = Lab::start(world(&[(
        "security_groups = [\"sg-0a1b2c3d4e5f60718\"]\n\n[[rds]]",
        "security_groups = [\"sg-0a1b2c3d4e5f60718\"]\nsilent = true\n\n[[rds]]",
    )]))
    .unwrap();
    let run = doctor_in(&lab, &["--json"]);
    let report = run.report();
    let c = rds_check(&report, "rds.connect");
    assert_eq!(
        (c["status"].as_str(), c["code"].as_str()),
        (Some("fail"), Some("tls-handshake-failed")),
        "{c:#}"
    );
    assert!(c["summary"].as_str().unwrap().contains("did not answer the TLS request"), "{c:#}");
    let took = c["duration_ms"].as_u64().unwrap();
    assert!((7_000..15_000).contains(&took), "the login gave up after {took} ms, not within its 8 s budget");

    // Without TLS, the same silence is the login's, not a handshake's.
    let lab = Lab::start(world(&[
        (
            "security_groups = [\"sg-0a1b2c3d4e5f60718\"]\n\n[[rds]]",
            "security_groups = [\"sg-0a1b2c3d4e5f60718\"]\nsilent = true\n\n[[rds]]",
        ),
        ("database = \"postgres\"\n'''", "database = \"postgres\"\nsslmode = \"disable\"\n'''"),
    ]))
    .unwrap();
    let run = doctor_in(&lab, &["--json"]);
    let report = run.report();
    let c = rds_check(&report, "rds.connect");
    assert_eq!((c["status"].as_str(), c["code"].as_str()), (Some("fail"), Some("db-unresponsive")), "{c:#}");
    assert!(c["summary"].as_str().unwrap().contains("without TLS"), "{c:#}");
    assert_eq!(run.code, 1);
}

#[test]
fn the_doctor_calls_only_allowed_actions() {
    let lab = Lab::start(world(&[])).unwrap();
    let run = doctor_in(&lab, &["--json"]);
    assert_eq!(run.code, 0, "{}", table(&run.report()));
    for call in lab.calls() {
        if call.endpoint == "aws" {
            let action = format!("{}:{}", call.service, call.action);
            assert!(
                connector_doctor::aws::ALLOWED_ACTIONS.contains(&action.as_str()),
                "{action} is not in the allowlist"
            );
        }
    }
}
