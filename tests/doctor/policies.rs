//! `chain.policies` end to end: the built binary against lab worlds whose base role may read
//! IAM, one row per policy code, plus the worlds where the audit cannot or need not run. The
//! audit reads policies, so it runs (and names the fault) even when the live hop fails.

use connector_lab::{Lab, Scenario};
use serde_json::Value;

use super::support::{connector_check, doctor_in, edited_scenario, lab};

fn start(scenario: Scenario) -> Lab {
    Lab::start(scenario).expect("lab")
}

/// Runs the doctor and returns the report, its exit code and the chain.policies row.
fn audit(lab: &Lab) -> (Value, i32, Value) {
    let run = doctor_in(lab, &["--json"]);
    let report = run.report();
    let row = connector_check(&report, "warehouse", "chain.policies").clone();
    (report, run.code, row)
}

fn assert_row(row: &Value, status: &str, code: Option<&str>, says: &[&str]) {
    assert_eq!((row["status"].as_str(), row["code"].as_str()), (Some(status), code), "{row:#}");
    let text = format!(
        "{} {} {}",
        row["summary"].as_str().unwrap_or_default(),
        row["remedy"]["text"].as_str().unwrap_or_default(),
        row["remedy"]["commands"]
    );
    for word in says {
        assert!(text.contains(word), "{word:?} missing from {text}");
    }
    assert!(!text.contains('<') || !text.contains("_arn>"), "an unfilled placeholder in {text}");
}

#[test]
fn the_healthy_xpander_world_passes_the_audit() {
    let (_, code, row) = audit(&lab("healthy-xpander-chain"));
    assert_row(&row, "pass", None, &["xpander-redshift-access", "xpander-base-role"]);
    assert_eq!(code, 0);
    assert!(row["evidence"].as_array().unwrap().iter().any(|e| e["call"] == "iam:GetRole"), "{row:#}");
}

#[test]
fn a_missing_trust_statement_is_named_with_the_statement_to_add() {
    // The connector role no longer admits EKS Pod Identity; the live hops do not notice.
    let lab = start(edited_scenario(
        "healthy-xpander-chain",
        &[("\"Service\": \"pods.eks.amazonaws.com\"", "\"Service\": \"ec2.amazonaws.com\"")],
    ));
    let (report, code, row) = audit(&lab);
    assert_row(
        &row,
        "fail",
        Some("trust-statement-missing"),
        &[
            "PodIdentity",
            "\"Service\": \"pods.eks.amazonaws.com\"",
            "update-assume-role-policy --role-name xpander-redshift-access",
        ],
    );
    assert_eq!(connector_check(&report, "warehouse", "chain.assume")["status"], "pass");
    assert_eq!(code, 1);
}

#[test]
fn the_audit_is_not_blocked_by_a_failing_hop() {
    let (report, code, row) = audit(&lab("xpander-base-missing-in-trust"));
    assert_eq!(connector_check(&report, "warehouse", "chain.assume")["status"], "fail");
    assert_row(
        &row,
        "fail",
        Some("trust-statement-missing"),
        &["AllowFromBaseRole", "\"AWS\": \"arn:aws:iam::111122223333:role/xpander-base-role\""],
    );
    assert_eq!(code, 1);
}

#[test]
fn a_condition_on_an_internal_statement_is_named_with_what_to_remove() {
    let (_, code, row) = audit(&lab("xpander-external-id-on-base-statement"));
    assert_row(
        &row,
        "fail",
        Some("trust-condition-on-internal-statement"),
        &["remove the Condition from statement \"AllowFromBaseRole\"", "xpander-redshift-access"],
    );
    assert_eq!(code, 1);
}

#[test]
fn tag_session_missing_beside_assume_role_is_named() {
    let (_, code, row) = audit(&lab("xpander-tag-session-missing"));
    assert_row(
        &row,
        "fail",
        Some("tag-session-missing-in-policy"),
        &["sts:TagSession", "xpander-redshift-access"],
    );
    assert_eq!(code, 1);
}

#[test]
fn service_permissions_on_the_base_role_are_a_warning() {
    let lab = start(edited_scenario(
        "healthy-xpander-chain",
        &[(
            "\"Sid\": \"AssumeConnectorRoles\",\n      \"Effect\": \"Allow\",\n      \"Action\": [\n",
            "\"Sid\": \"AssumeConnectorRoles\",\n      \"Effect\": \"Allow\",\n      \"Action\": [\n        \"s3:GetObject\",\n",
        )],
    ));
    let (_, code, row) = audit(&lab);
    assert_row(
        &row,
        "warn",
        Some("base-role-has-service-permissions"),
        &["s3:GetObject", "xpander-base-role"],
    );
    assert_eq!(code, 0, "a warning alone keeps the exit code 0");
}

#[test]
fn a_wildcard_where_the_vendor_scopes_is_a_warning_with_the_scoped_statement() {
    let lab = start(edited_scenario(
        "healthy-xpander-chain",
        &[(
            "\"Resource\": \"arn:aws:iam::111122223333:role/xpander-redshift-access\"",
            "\"Resource\": \"*\"",
        )],
    ));
    let (_, code, row) = audit(&lab);
    assert_row(
        &row,
        "warn",
        Some("wildcard-resource"),
        &[
            "SelfAssumeAndTagSession",
            "\"Resource\": \"arn:aws:iam::111122223333:role/xpander-redshift-access\"",
        ],
    );
    assert_eq!(code, 0);
}

#[test]
fn without_iam_read_access_the_audit_names_the_missing_permission() {
    let lab = start(edited_scenario("healthy-xpander-chain", &[("managed = [\"xpander-read-iam\"]\n", "")]));
    let (_, code, row) = audit(&lab);
    assert_eq!((row["status"].as_str(), row["blocked_by"].as_str()), (Some("skip"), None), "{row:#}");
    assert!(row["summary"].as_str().unwrap().contains("iam:GetRole was denied"), "{row:#}");
    assert_eq!(code, 0);
}

#[test]
fn without_a_preset_there_is_nothing_to_audit() {
    let lab = start(edited_scenario("healthy-xpander-chain", &[("preset = \"xpander\"\n", "")]));
    let (_, code, row) = audit(&lab);
    assert_eq!(row["status"], "skip", "{row:#}");
    assert!(row["summary"].as_str().unwrap().contains("No preset"), "{row:#}");
    assert_eq!(code, 0);
}

#[test]
fn the_platform_account_comes_from_the_configurations_onboard_table() {
    // The connector role admits xpander's own platform account, not the customer's.
    let platform =
        ("\"AWS\": \"arn:aws:iam::111122223333:root\"", "\"AWS\": \"arn:aws:iam::999988887777:root\"");
    let (_, code, row) = audit(&start(edited_scenario("healthy-xpander-chain", &[platform])));
    assert_row(&row, "fail", Some("trust-statement-missing"), &["CrossAccountWithExternalId"]);
    assert_eq!(code, 1);
    // Told which account the platform calls from, the audit expects exactly that one.
    let table = (
        "database = \"xpander_demo\"\n'''",
        "database = \"xpander_demo\"\n\n[onboard]\nplatform_account = \"999988887777\"\n'''",
    );
    let (_, code, row) = audit(&start(edited_scenario("healthy-xpander-chain", &[platform, table])));
    assert_row(&row, "pass", None, &["xpander-redshift-access"]);
    assert_eq!(code, 0);
}
