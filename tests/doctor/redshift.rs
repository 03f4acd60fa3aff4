//! The Redshift link end to end: the built doctor against the lab's Redshift (clusters,
//! Serverless workgroups and the Data API, statements run on a real PostgreSQL server as the
//! mapped user `IAMR:<role>`), one row per failure code, each a small edit of
//! `xpander-redshift-healthy`.

use std::time::Instant;

use connector_lab::{Lab, Scenario};
use serde_json::Value;

use crate::support::{
    Expected, Run, assert_link, assert_remedies_filled, connector_check, connector_table, doctor_in,
    edited_scenario,
};

const BASE: &str = "xpander-redshift-healthy";
const SERVERLESS: &str = "xpander-redshift-serverless-healthy";
const CHECKS: [&str; 5] =
    ["redshift.cluster", "redshift.credentials", "redshift.query", "redshift.grants", "redshift.catalog"];

/// One world and what the doctor must find in it.
struct Row {
    name: &'static str,
    base: &'static str,
    /// Edits of the base scenario's text, each `(from, to)`; `from` must occur.
    edits: &'static [(&'static str, &'static str)],
    /// The expected `(status, code)` of each Redshift check, in `CHECKS` order.
    expect: [(&'static str, Option<&'static str>); 5],
    exit: i32,
    /// Words the first failing check's summary or remedy must contain.
    says: &'static [&'static str],
}

const PASS: (&str, Option<&str>) = ("pass", None);
const SKIP: (&str, Option<&str>) = ("skip", None);

const CLUSTER: &str = "[[redshift]]\nid = \"xpander-redshift\"\nstatus = \"available\"";
const USER: &str = "name = \"IAMR:xpander-redshift-access\"\nusage = [\"public\"]\nselect = [\"public\"]";
const DELAY: &str = "statement_delay_ms = 150";
const CREDS_ACTION: &str = "\"redshift:GetClusterCredentialsWithIAM\"\n      ],";
const EXECUTE: &str = "\"Action\": \"redshift-data:ExecuteStatement\",";
const OWNER: &str = "\"redshift-data:statement-owner-iam-userid\": \"${aws:userid}\"";

/// Qualytics' way in: JDBC as a named database user with `GetClusterCredentials`.
const QUALYTICS: &str = "healthy-qualytics";

const ROWS: &[Row] = &[
    Row { name: "healthy cluster", base: BASE, edits: &[], expect: [PASS; 5], exit: 0, says: &[] },
    Row {
        name: "healthy named user (JDBC): the Data API checks do not apply",
        base: QUALYTICS,
        edits: &[],
        expect: [PASS, PASS, SKIP, SKIP, SKIP],
        exit: 0,
        says: &[],
    },
    Row {
        name: "named user missing from the role's dbuser resources",
        base: QUALYTICS,
        edits: &[("dbuser:analytics/qualytics", "dbuser:analytics/qualytics_ro")],
        expect: [PASS, ("fail", Some("get-credentials-denied")), SKIP, SKIP, SKIP],
        exit: 1,
        says: &[
            "redshift:GetClusterCredentials on resource: arn:aws:redshift:us-west-1:111122223333:dbuser:analytics/qualytics",
            "\"arn:aws:redshift:us-west-1:111122223333:dbuser:analytics/qualytics\", \"arn:aws:redshift:us-west-1:111122223333:dbname:analytics/warehouse\"",
        ],
    },
    Row {
        name: "healthy Serverless workgroup",
        base: SERVERLESS,
        edits: &[],
        expect: [PASS; 5],
        exit: 0,
        says: &[],
    },
    Row {
        name: "describe denied: the Data API still works",
        base: BASE,
        edits: &[("\"redshift:DescribeClusters\",\n", "")],
        expect: [SKIP, PASS, PASS, PASS, PASS],
        exit: 0,
        says: &[],
    },
    Row {
        name: "no such cluster",
        base: BASE,
        edits: &[("cluster_id = \"xpander-redshift\"", "cluster_id = \"xpander-redshfit\"")],
        expect: [("fail", Some("cluster-not-found")), SKIP, SKIP, SKIP, SKIP],
        exit: 1,
        says: &["xpander-redshfit"],
    },
    Row {
        name: "a Serverless workgroup named as a cluster",
        base: SERVERLESS,
        edits: &[("workgroup = \"xpander-analytics\"", "cluster_id = \"xpander-analytics\"")],
        expect: [("fail", Some("cluster-is-serverless")), SKIP, SKIP, SKIP, SKIP],
        exit: 1,
        says: &["workgroup = \"xpander-analytics\"", "redshift-serverless:GetCredentials"],
    },
    Row {
        name: "a paused cluster",
        base: BASE,
        edits: &[(CLUSTER, "[[redshift]]\nid = \"xpander-redshift\"\nstatus = \"paused\"")],
        expect: [("fail", Some("cluster-not-available")), SKIP, SKIP, SKIP, SKIP],
        exit: 1,
        says: &["paused"],
    },
    Row {
        name: "credentials denied",
        base: BASE,
        edits: &[(CREDS_ACTION, "\"redshift:GetClusterCredentials\"\n      ],")],
        expect: [PASS, ("fail", Some("get-credentials-denied")), SKIP, SKIP, SKIP],
        exit: 1,
        says: &["arn:aws:redshift:us-west-1:111122223333:dbname:xpander-redshift/xpander_demo"],
    },
    Row {
        name: "Data API denied",
        base: BASE,
        edits: &[(EXECUTE, "\"Action\": \"redshift-data:ListStatements\",")],
        expect: [PASS, PASS, ("fail", Some("data-api-denied")), ("fail", Some("data-api-denied")), SKIP],
        exit: 1,
        says: &["redshift-data:ExecuteStatement"],
    },
    Row {
        name: "statements owned by another session",
        base: BASE,
        edits: &[(
            OWNER,
            "\"redshift-data:statement-owner-iam-userid\": \"AROAEXAMPLEOTHER:xpander-gateway\"",
        )],
        expect: [
            PASS,
            PASS,
            ("fail", Some("statement-owner-denied")),
            ("fail", Some("statement-owner-denied")),
            SKIP,
        ],
        exit: 1,
        says: &["redshift-data:DescribeStatement", "session"],
    },
    Row {
        name: "the database is not on the cluster",
        base: BASE,
        edits: &[
            ("database = \"xpander_demo\"", "database = \"xpander_dmeo\""),
            (
                "arn:aws:redshift:us-west-1:111122223333:dbname:xpander-redshift/xpander_demo",
                "arn:aws:redshift:us-west-1:111122223333:dbname:xpander-redshift/*",
            ),
        ],
        expect: [PASS, PASS, ("fail", Some("statement-failed")), ("fail", Some("statement-failed")), SKIP],
        exit: 1,
        says: &["database \"xpander_dmeo\" does not exist"],
    },
    Row {
        name: "no IAMR user",
        base: BASE,
        edits: &[(
            USER,
            "name = \"IAMR:xpander-redshift-reader\"\nusage = [\"public\"]\nselect = [\"public\"]",
        )],
        expect: [PASS, PASS, ("fail", Some("statement-failed")), ("fail", Some("iamr-user-missing")), SKIP],
        exit: 1,
        says: &["does not exist", "CREATE USER \"IAMR:xpander-redshift-access\" PASSWORD DISABLE;"],
    },
    Row {
        name: "no USAGE on public",
        base: BASE,
        edits: &[(USER, "name = \"IAMR:xpander-redshift-access\"\nusage = []\nselect = [\"public\"]")],
        expect: [PASS, PASS, PASS, ("fail", Some("iamr-missing-grants")), PASS],
        exit: 1,
        says: &["GRANT USAGE ON SCHEMA public TO \"IAMR:xpander-redshift-access\";", "xpander_demo"],
    },
    Row {
        name: "no SELECT on public's tables",
        base: BASE,
        edits: &[(USER, "name = \"IAMR:xpander-redshift-access\"\nusage = [\"public\"]\nselect = []")],
        expect: [PASS, PASS, PASS, ("fail", Some("iamr-missing-grants")), PASS],
        exit: 1,
        says: &[
            "SELECT on 2 of the 2 tables",
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"IAMR:xpander-redshift-access\";",
        ],
    },
    Row {
        name: "a catalog path that does not exist",
        base: BASE,
        edits: &[(
            "database = \"xpander_demo\"\n'''",
            "database = \"xpander_demo\"\ncatalog = \"pg_catalog.svv_all_colums\"\n'''",
        )],
        expect: [PASS, PASS, PASS, PASS, ("fail", Some("catalog-path-invalid"))],
        exit: 1,
        says: &["pg_catalog.svv_all_colums", "does not exist"],
    },
    Row {
        name: "a catalog path that is not a path",
        base: BASE,
        edits: &[(
            "database = \"xpander_demo\"\n'''",
            "database = \"xpander_demo\"\ncatalog = \"svv_all_columns; select 1\"\n'''",
        )],
        expect: [PASS, PASS, PASS, PASS, ("fail", Some("catalog-path-invalid"))],
        exit: 1,
        says: &["not schema.relation"],
    },
];

fn world(base: &str, edits: &[(&str, &str)]) -> Scenario {
    edited_scenario(base, edits)
}

fn redshift_check<'a>(report: &'a Value, id: &str) -> &'a Value {
    connector_check(report, "warehouse", id)
}

fn table(report: &Value) -> String {
    connector_table(report, "warehouse", &CHECKS)
}

fn assert_row(row: &Row, lab: &Lab, run: &Run) -> Value {
    let report = assert_link(
        run,
        &Expected {
            row: row.name,
            connector: "warehouse",
            checks: &CHECKS,
            verdicts: &row.expect,
            exit: row.exit,
            says: row.says,
        },
    );
    assert_remedies_filled(&report, &[]);
    assert_only_our_statements(lab);
    report
}

/// Every statement the lab ran came from the doctor's own read-only set.
fn assert_only_our_statements(lab: &Lab) {
    for s in lab.statements() {
        let sql = s.sql.trim().to_ascii_lowercase();
        assert!(sql.starts_with("select "), "not a select: {}", s.sql);
        let ours = sql == connector_doctor::checks::redshift::query::SQL
            || sql.starts_with("select has_schema_privilege(current_user, ")
            || sql.starts_with("select count(*) from ");
        assert!(ours, "a statement that is not one of the doctor's: {}", s.sql);
        for word in [";", "insert", "update", "delete", "grant ", "create ", "drop ", "alter "] {
            assert!(!sql.contains(word), "{word:?} in {}", s.sql);
        }
    }
}

#[test]
fn every_redshift_code_is_diagnosed_against_the_lab() {
    for row in ROWS {
        let lab = Lab::start(world(row.base, row.edits)).unwrap_or_else(|e| panic!("{}: {e:#}", row.name));
        let started = Instant::now();
        let run = doctor_in(&lab, &["--json"]);
        let report = assert_row(row, &lab, &run);
        if row.exit == 0 {
            eprintln!("{} ({} ms in all):\n{}", row.name, started.elapsed().as_millis(), table(&report));
        }
        let text = serde_json::to_string(&report).unwrap();
        assert!(!text.contains("=="), "{}: something like a database password is in the report", row.name);
    }
}

#[test]
fn a_hanging_statement_is_cancelled_and_reported() {
    let row = Row {
        name: "a statement that never finishes",
        base: BASE,
        edits: &[(DELAY, "statement_hang = true")],
        expect: [PASS, PASS, ("fail", Some("statement-timeout")), ("fail", Some("statement-timeout")), SKIP],
        exit: 1,
        says: &["cancelled"],
    };
    let lab = Lab::start(world(row.base, row.edits)).unwrap();
    let run = doctor_in(&lab, &["--json"]);
    let report = assert_row(&row, &lab, &run);
    let statements = lab.statements();
    assert!(!statements.is_empty());
    for s in &statements {
        assert!(s.cancelled, "the doctor left statement {} ({}) running", s.id, s.sql);
    }
    let c = redshift_check(&report, "redshift.query");
    let took = c["duration_ms"].as_u64().unwrap();
    assert!(took < 20_000, "the query check took {took} ms, past its 20 s deadline");
    let summary = c["summary"].as_str().unwrap();
    assert!(statements.iter().any(|s| summary.contains(&s.id)), "{summary}");
}

#[test]
fn the_doctor_calls_only_allowed_actions_on_redshift() {
    for base in [BASE, SERVERLESS] {
        let lab = Lab::start(world(base, &[])).unwrap();
        let run = doctor_in(&lab, &["--json"]);
        assert_eq!(run.code, 0, "{base}\n{}", table(&run.report()));
        for call in lab.calls() {
            if call.endpoint == "aws" {
                let action = format!("{}:{}", call.service, call.action);
                assert!(
                    connector_doctor::aws::ALLOWED_ACTIONS.contains(&action.as_str()),
                    "{action} is not in the allowlist"
                );
            }
        }
        let statements = lab.statements();
        assert_eq!(statements.len(), 3, "{base}: {statements:?}");
        assert_only_our_statements(&lab);
    }
}
