//! The chain link end to end: the built doctor hops from the pod's base identity into each
//! configured connector role in the lab, one scenario per failure code. The scenarios carry the
//! pod's doctor configuration (`doctor_config`, mounted as `CONNECTOR_DOCTOR_CONFIG`).
//!
//! A denied `AssumeRole` is narrowed from the roles' real policies only when the base identity
//! may read IAM (in these worlds: a `*-read-iam` managed policy attached to it), so every failure
//! code has a row with IAM read and a row without, made from the same world by detaching that
//! policy; where the codes differ, both are asserted.

use std::fmt::Write as _;
use std::path::Path;

use connector_lab::{Lab, Scenario};
use serde_json::Value;

use crate::support::{
    Options, Run, assert_check, assert_remedies_filled, check, connector_check, doctor_in, run_with,
    scenario_dir,
};

/// The checks of the chain link, per connector, in plan order.
const CHAIN: [&str; 4] = ["chain.assume", "chain.tag_session", "chain.self_assume", "chain.external_id"];

/// Every failure code of the chain link.
const CODES: [&str; 14] = [
    "assume-denied",
    "assume-denied-by-trust",
    "assume-denied-by-identity-policy",
    "external-id-mismatch",
    "external-id-required",
    "external-id-invalid",
    "external-id-not-enforced",
    "chained-duration-exceeded",
    "packed-policy-too-large",
    "packed-policy-near-limit",
    "tag-session-denied",
    "transitive-tags-denied",
    "self-assume-denied",
    "self-assume-external-id-condition",
];

const REDSHIFT_ACCESS: &str = "arn:aws:iam::111122223333:role/xpander-redshift-access";
const EKS_ACCESS: &str = "arn:aws:iam::111122223333:role/xpander-eks-access";
const XPANDER_BASE: &str = "arn:aws:iam::111122223333:role/xpander-base-role";
const QUALYTICS_TARGET: &str = "arn:aws:iam::111122223333:role/qualytics-redshift-target";
const ACME_TARGET: &str = "arn:aws:iam::111122223333:role/acme-qualytics-target";

/// The scenarios' ExternalIds: the trust's value and the typo the mismatch worlds configure.
const QUALYTICS_ID: &str = "qualytics-4c1d-prod";
const QUALYTICS_TYPO: &str = "qualytics-4c1d-pr0d";

// ---------------------------------------------------------------------------------------
// Starting a world, with or without IAM read.

/// Whether a scenario line attaches a managed policy that lets its holder read IAM.
fn grants_iam_read(line: &str) -> bool {
    line.trim_start().starts_with("managed = [") && line.contains("-read-iam\"")
}

/// The text of `tests/scenarios/<name>.toml` with `edits` applied (each `from` must occur),
/// and, unless `iam_read`, without the managed policy that lets the base identity read IAM. With
/// `iam_read`, that policy must be attached.
fn world(name: &str, iam_read: bool, edits: &[(&str, &str)]) -> String {
    let path = scenario_dir().join(format!("{name}.toml"));
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (from, to) in edits {
        assert!(text.contains(from), "{name}: the edit expects {from:?} in the scenario");
        text = text.replacen(from, to, 1);
    }
    if iam_read {
        assert!(text.lines().any(grants_iam_read), "{name}: no identity in this world may read IAM");
    } else {
        text = text.lines().filter(|l| !grants_iam_read(l)).flat_map(|l| [l, "\n"]).collect();
    }
    text
}

/// Starts the lab for `world(name, iam_read, edits)`.
fn lab_with(name: &str, iam_read: bool, edits: &[(&str, &str)]) -> Lab {
    let text = world(name, iam_read, edits);
    let scenario = Scenario::from_toml_str(&text).unwrap_or_else(|e| panic!("{name} (edited): {e:#}"));
    Lab::start(scenario).unwrap_or_else(|e| panic!("lab for {name}: {e:#}"))
}

// ---------------------------------------------------------------------------------------
// Reading a report.

/// The chain checks of `connector` as `id: status code` lines, for failure messages.
fn chain_table(report: &Value) -> String {
    let mut out = String::new();
    for c in report["checks"].as_array().into_iter().flatten() {
        if c["id"].as_str().is_some_and(|id| id.starts_with("chain.")) {
            let _ = writeln!(
                out,
                "{}[{}]: {} {} ({})",
                c["id"].as_str().unwrap_or_default(),
                c["connector"].as_str().unwrap_or_default(),
                c["status"].as_str().unwrap_or_default(),
                c["code"].as_str().unwrap_or("-"),
                c["summary"].as_str().unwrap_or_default()
            );
        }
    }
    out
}

/// Asserts a connector check's status and code.
fn assert_connector_check(report: &Value, connector: &str, id: &str, status: &str, code: Option<&str>) {
    let c = connector_check(report, connector, id);
    assert_eq!(
        (c["status"].as_str(), c["code"].as_str()),
        (Some(status), code),
        "{id}[{connector}]: {}\nall chain checks:\n{}",
        serde_json::to_string_pretty(c).unwrap(),
        chain_table(report)
    );
}

/// The remedy's text and commands of a check, as one string.
fn remedy_text(c: &Value) -> String {
    let remedy = &c["remedy"];
    let mut text = remedy["text"].as_str().unwrap_or_default().to_owned();
    for command in remedy["commands"].as_array().into_iter().flatten() {
        text.push('\n');
        text.push_str(command.as_str().unwrap_or_default());
    }
    text
}

/// Placeholders the run cannot fill: the pod's own role when no base role is configured, the
/// namespace and service account without a token.
fn unknowable(report: &Value, base_configured: bool) -> Vec<&'static str> {
    let mut names = Vec::new();
    if !base_configured {
        names.extend(["base_role_arn", "role_arn"]);
    }
    if check(report, "identity.token")["facts"]["namespace"].is_null() {
        names.extend(["namespace", "service_account"]);
    }
    names
}

/// After a failed `chain.assume`, the connector's other chain checks are skipped and name it
/// (`chain.external_id` may instead not apply, when no ExternalId is configured).
fn assert_blocked_by_assume(report: &Value, connector: &str) {
    for id in &CHAIN[1..] {
        let c = connector_check(report, connector, id);
        let blocker = c["blocked_by"].as_str();
        let ok = c["status"] == "skip"
            && (blocker == Some("chain.assume") || (*id == "chain.external_id" && blocker.is_none()));
        assert!(ok, "{id}[{connector}] after a failed chain.assume: {c:#}");
    }
}

/// Every chain check of `connector` passed, or did not apply (a skip that names no blocker).
fn assert_chain_healthy(report: &Value, connector: &str) {
    for id in CHAIN {
        let c = connector_check(report, connector, id);
        let ok = c["status"] == "pass" || (c["status"] == "skip" && c["blocked_by"].is_null());
        assert!(
            ok,
            "{id}[{connector}] in a healthy world: {c:#}\nall chain checks:\n{}",
            chain_table(report)
        );
    }
}

// ---------------------------------------------------------------------------------------
// The table: one world, IAM readable or not, one verdict.

/// One row: a world, whether its base identity may read IAM, and the verdict on one check.
#[derive(Debug, Clone, Copy)]
struct Row {
    /// `tests/scenarios/<scenario>.toml`.
    scenario: &'static str,
    /// Whether the base identity keeps its IAM read policy.
    iam_read: bool,
    /// Text edits applied to the scenario first (`from` → `to`, each `from` must occur).
    edits: &'static [(&'static str, &'static str)],
    /// The connector, as named in the scenario's `doctor_config`.
    connector: &'static str,
    /// The check and its verdict.
    check: &'static str,
    status: &'static str,
    code: Option<&'static str>,
    /// The doctor's exit code.
    exit: i32,
    /// What the remedy must name (the real role ARNs, names and values of this world).
    remedy: &'static [&'static str],
}

const ROW: Row = Row {
    scenario: "",
    iam_read: true,
    edits: &[],
    connector: "warehouse",
    check: "chain.assume",
    status: "fail",
    code: None,
    exit: 1,
    remedy: &[],
};

/// Runs a row and returns the report, after the row's assertions.
fn verdict(row: &Row) -> (Lab, Run, Value) {
    let lab = lab_with(row.scenario, row.iam_read, row.edits);
    let run = doctor_in(&lab, &["--json"]);
    let report = run.report();
    let what = format!("{} (IAM read: {})", row.scenario, row.iam_read);
    assert_check(&report, "identity.caller", "pass", None);
    assert_connector_check(&report, row.connector, row.check, row.status, row.code);
    assert_eq!(run.code, row.exit, "{what}: exit code\n{}stderr: {}", chain_table(&report), run.stderr);
    let c = connector_check(&report, row.connector, row.check);
    if row.check == "chain.assume" && row.status == "fail" {
        assert_blocked_by_assume(&report, row.connector);
    }
    if row.status == "fail" || row.status == "warn" {
        let text = remedy_text(c);
        for needle in row.remedy {
            assert!(text.contains(needle), "{what}: the remedy of {} lacks {needle:?}:\n{text}", row.check);
        }
    }
    let config = std::fs::read_to_string(lab.temp_dir().join("connector-doctor.toml")).unwrap();
    assert_remedies_filled(&report, &unknowable(&report, config.contains("base_role_arn")));
    (lab, run, report)
}

macro_rules! rows {
    ($($(#[$doc:meta])* $name:ident: $row:expr,)*) => {
        $(
            $(#[$doc])*
            #[test]
            fn $name() {
                verdict(&$row);
            }
        )*
    };
}

/// Removes the connector's ExternalId from the scenario's doctor configuration.
const WITHOUT_EXTERNAL_ID: &[(&str, &str)] = &[("external_id = \"org-7f3a9c2e\"\n", "")];

/// Attaches the IAM read policy to Qualytics' static-keys base user.
const USER_READS_IAM: &[(&str, &str)] = &[(
    "name = \"qualytics-base-user\"\n",
    "name = \"qualytics-base-user\"\nmanaged = [\"qualytics-read-iam\"]\n",
)];

rows! {
    /// A trailing space in the ExternalId: refused before any call, whoever may read IAM.
    external_id_invalid_with_iam_read: Row {
        scenario: "qualytics-external-id-invalid",
        code: Some("external-id-invalid"),
        remedy: &["warehouse", "20 characters"],
        ..ROW
    },
    external_id_invalid_without_iam_read: Row {
        scenario: "qualytics-external-id-invalid",
        iam_read: false,
        code: Some("external-id-invalid"),
        remedy: &["warehouse", "20 characters"],
        ..ROW
    },
    /// A one-character typo in the ExternalId: named from the trust's condition when it can be
    /// read, the generic denial otherwise.
    external_id_mismatch_with_iam_read: Row {
        scenario: "qualytics-external-id-mismatch",
        code: Some("external-id-mismatch"),
        remedy: &["qualytics-redshift-target"],
        ..ROW
    },
    external_id_mismatch_without_iam_read: Row {
        scenario: "qualytics-external-id-mismatch",
        iam_read: false,
        code: Some("assume-denied"),
        remedy: &[QUALYTICS_TARGET, "qualytics-dataplane-base"],
        ..ROW
    },
    /// Qualytics path B: an IAM user's static keys as the base identity.
    external_id_mismatch_from_static_keys_with_iam_read: Row {
        scenario: "qualytics-static-keys-external-id-mismatch",
        edits: USER_READS_IAM,
        code: Some("external-id-mismatch"),
        remedy: &["qualytics-redshift-target"],
        ..ROW
    },
    external_id_mismatch_from_static_keys_without_iam_read: Row {
        scenario: "qualytics-static-keys-external-id-mismatch",
        iam_read: false,
        code: Some("assume-denied"),
        remedy: &[QUALYTICS_TARGET],
        ..ROW
    },
    /// No ExternalId configured; the trust's only statement for the base role demands one.
    external_id_required_with_iam_read: Row {
        scenario: "qualytics-external-id-required",
        code: Some("external-id-required"),
        remedy: &["qualytics-redshift-target"],
        ..ROW
    },
    external_id_required_without_iam_read: Row {
        scenario: "qualytics-external-id-required",
        iam_read: false,
        code: Some("assume-denied"),
        remedy: &[QUALYTICS_TARGET],
        ..ROW
    },
    /// xpander's `AllowFromBaseRole` with an ExternalId condition copied onto it.
    external_id_on_the_base_statement_with_iam_read: Row {
        scenario: "xpander-external-id-on-base-statement",
        code: Some("external-id-required"),
        remedy: &["xpander-redshift-access"],
        ..ROW
    },
    external_id_on_the_base_statement_without_iam_read: Row {
        scenario: "xpander-external-id-on-base-statement",
        iam_read: false,
        code: Some("assume-denied"),
        remedy: &[REDSHIFT_ACCESS, "xpander-base-role"],
        ..ROW
    },
    /// The trust lost its Condition block: the hop works without the ExternalId too.
    external_id_not_enforced_with_iam_read: Row {
        scenario: "qualytics-external-id-not-enforced",
        check: "chain.external_id",
        status: "warn",
        code: Some("external-id-not-enforced"),
        exit: 0,
        remedy: &["qualytics-redshift-target"],
        ..ROW
    },
    external_id_not_enforced_without_iam_read: Row {
        scenario: "qualytics-external-id-not-enforced",
        iam_read: false,
        check: "chain.external_id",
        status: "warn",
        code: Some("external-id-not-enforced"),
        exit: 0,
        remedy: &["qualytics-redshift-target"],
        ..ROW
    },
    /// Two hours asked for on a hop from a Pod Identity role session.
    chained_duration_exceeded_with_iam_read: Row {
        scenario: "xpander-chained-duration-exceeded",
        code: Some("chained-duration-exceeded"),
        remedy: &["7200"],
        ..ROW
    },
    chained_duration_exceeded_without_iam_read: Row {
        scenario: "xpander-chained-duration-exceeded",
        iam_read: false,
        code: Some("chained-duration-exceeded"),
        remedy: &["7200"],
        ..ROW
    },
    /// Long cluster and pod names: the plain hop fits, one more tag does not.
    packed_policy_too_large_with_iam_read: Row {
        scenario: "xpander-packed-policy-too-large",
        check: "chain.tag_session",
        code: Some("packed-policy-too-large"),
        remedy: &["xpander-production-analytics-us-west-1-blue", "us-west-1"],
        ..ROW
    },
    packed_policy_too_large_without_iam_read: Row {
        scenario: "xpander-packed-policy-too-large",
        iam_read: false,
        check: "chain.tag_session",
        code: Some("packed-policy-too-large"),
        remedy: &["xpander-production-analytics-us-west-1-blue", "us-west-1"],
        ..ROW
    },
    /// A long cluster name: Pod Identity's tags fill 83 % (89 % with the probe tag).
    packed_policy_near_limit_with_iam_read: Row {
        scenario: "xpander-packed-policy-near-limit",
        check: "chain.tag_session",
        status: "warn",
        code: Some("packed-policy-near-limit"),
        exit: 0,
        remedy: &["xpander-redshift-access"],
        ..ROW
    },
    packed_policy_near_limit_without_iam_read: Row {
        scenario: "xpander-packed-policy-near-limit",
        iam_read: false,
        check: "chain.tag_session",
        status: "warn",
        code: Some("packed-policy-near-limit"),
        exit: 0,
        remedy: &["xpander-redshift-access"],
        ..ROW
    },
    /// Session tags disabled on the association, sts:TagSession missing from the trust: only
    /// the tagged hop fails.
    tag_session_denied_with_iam_read: Row {
        scenario: "xpander-tag-session-denied",
        check: "chain.tag_session",
        code: Some("tag-session-denied"),
        remedy: &["xpander-redshift-access"],
        ..ROW
    },
    tag_session_denied_without_iam_read: Row {
        scenario: "xpander-tag-session-denied",
        iam_read: false,
        check: "chain.tag_session",
        code: Some("tag-session-denied"),
        remedy: &["xpander-redshift-access"],
        ..ROW
    },
    /// Pod Identity's transitive tags ride into a hop whose trust lacks sts:TagSession.
    transitive_tags_denied_with_iam_read: Row {
        scenario: "xpander-tag-session-missing",
        code: Some("transitive-tags-denied"),
        remedy: &["xpander-redshift-access"],
        ..ROW
    },
    transitive_tags_denied_without_iam_read: Row {
        scenario: "xpander-tag-session-missing",
        iam_read: false,
        code: Some("transitive-tags-denied"),
        remedy: &["xpander-redshift-access"],
        ..ROW
    },
    /// `AllowFromBaseRole` missing: no statement admits the base role.
    assume_denied_by_trust_with_iam_read: Row {
        scenario: "xpander-base-missing-in-trust",
        code: Some("assume-denied-by-trust"),
        remedy: &[XPANDER_BASE, "xpander-redshift-access"],
        ..ROW
    },
    assume_denied_by_trust_without_iam_read: Row {
        scenario: "xpander-base-missing-in-trust",
        iam_read: false,
        code: Some("assume-denied"),
        remedy: &[REDSHIFT_ACCESS, "xpander-base-role"],
        ..ROW
    },
    /// Same account, a trust that names only the account root, a base policy without the role.
    assume_denied_by_identity_policy_with_iam_read: Row {
        scenario: "xpander-assume-denied-by-identity-policy",
        connector: "eks",
        code: Some("assume-denied-by-identity-policy"),
        remedy: &[EKS_ACCESS, "xpander-base-role"],
        ..ROW
    },
    assume_denied_by_identity_policy_without_iam_read: Row {
        scenario: "xpander-assume-denied-by-identity-policy",
        iam_read: false,
        connector: "eks",
        code: Some("assume-denied"),
        remedy: &[EKS_ACCESS, "xpander-base-role"],
        ..ROW
    },
    /// Cross account: the target's trust cannot be read from the dataplane's account, but across
    /// accounts both sides must allow, and the base role's own side (readable) does not.
    cross_account_base_policy_missing_with_iam_read: Row {
        scenario: "qualytics-managed-base-policy-missing",
        connector: "acme-warehouse",
        code: Some("assume-denied-by-identity-policy"),
        remedy: &[ACME_TARGET, "acme-dataplane-role"],
        ..ROW
    },
    cross_account_base_policy_missing_without_iam_read: Row {
        scenario: "qualytics-managed-base-policy-missing",
        iam_read: false,
        connector: "acme-warehouse",
        code: Some("assume-denied"),
        remedy: &[ACME_TARGET, "acme-dataplane-role"],
        ..ROW
    },
    /// No `SelfAssume` statement.
    self_assume_denied_with_iam_read: Row {
        scenario: "xpander-self-assume-missing",
        check: "chain.self_assume",
        code: Some("self-assume-denied"),
        remedy: &[REDSHIFT_ACCESS],
        ..ROW
    },
    self_assume_denied_without_iam_read: Row {
        scenario: "xpander-self-assume-missing",
        iam_read: false,
        check: "chain.self_assume",
        code: Some("self-assume-denied"),
        remedy: &[REDSHIFT_ACCESS],
        ..ROW
    },
    /// `SelfAssume` carries the ExternalId condition; the doctor knows the ExternalId, so a live
    /// retry with it proves the cause whether or not IAM is readable.
    self_assume_external_id_condition_with_iam_read: Row {
        scenario: "xpander-self-assume-external-id-condition",
        check: "chain.self_assume",
        code: Some("self-assume-external-id-condition"),
        remedy: &["xpander-redshift-access"],
        ..ROW
    },
    self_assume_external_id_condition_without_iam_read: Row {
        scenario: "xpander-self-assume-external-id-condition",
        iam_read: false,
        check: "chain.self_assume",
        code: Some("self-assume-external-id-condition"),
        remedy: &["xpander-redshift-access"],
        ..ROW
    },
    /// The same world, the doctor not told the ExternalId (as the gateway passes none): only
    /// the readable trust shows the condition.
    self_assume_external_id_condition_read_from_the_trust: Row {
        scenario: "xpander-self-assume-external-id-condition",
        edits: WITHOUT_EXTERNAL_ID,
        check: "chain.self_assume",
        code: Some("self-assume-external-id-condition"),
        remedy: &["xpander-redshift-access"],
        ..ROW
    },
    self_assume_external_id_condition_unreadable_is_self_assume_denied: Row {
        scenario: "xpander-self-assume-external-id-condition",
        iam_read: false,
        edits: WITHOUT_EXTERNAL_ID,
        check: "chain.self_assume",
        code: Some("self-assume-denied"),
        remedy: &[REDSHIFT_ACCESS],
        ..ROW
    },
}

// ---------------------------------------------------------------------------------------
// Healthy worlds.

#[test]
fn healthy_xpander_two_connectors_pass_every_chain_check() {
    let lab = lab_with("healthy-xpander-two-connectors", true, &[]);
    let run = doctor_in(&lab, &["--json"]);
    let report = run.report();
    for connector in ["warehouse", "eks"] {
        assert_chain_healthy(&report, connector);
        assert_connector_check(&report, connector, "chain.assume", "pass", None);
        assert_connector_check(&report, connector, "chain.tag_session", "pass", None);
        assert_connector_check(&report, connector, "chain.self_assume", "pass", None);
        // xpander's internal hops pass no ExternalId: nothing to enforce.
        assert_connector_check(&report, connector, "chain.external_id", "skip", None);
        assert!(connector_check(&report, connector, "chain.external_id")["blocked_by"].is_null());
    }
    let assumed = connector_check(&report, "eks", "chain.assume")["facts"]["assumed_arn"].as_str().unwrap();
    assert_eq!(assumed, "arn:aws:sts::111122223333:assumed-role/xpander-eks-access/connector-doctor");
    assert_eq!(run.code, 0, "{}stderr: {}", chain_table(&report), run.stderr);
    assert_eq!(report["summary"]["fail"], 0);
    assert_eq!(report["summary"]["warn"], 0, "{}", chain_table(&report));
}

#[test]
fn healthy_xpander_chain_passes() {
    let lab = lab_with("healthy-xpander-chain", true, &[]);
    let run = doctor_in(&lab, &["--json"]);
    let report = run.report();
    assert_chain_healthy(&report, "warehouse");
    assert_eq!(run.code, 0, "{}", chain_table(&report));
}

#[test]
fn healthy_qualytics_demands_its_external_id() {
    for (scenario, connector) in
        [("healthy-qualytics", "warehouse"), ("healthy-qualytics-managed", "acme-warehouse")]
    {
        let lab = lab_with(scenario, false, &[]);
        let run = doctor_in(&lab, &["--json"]);
        let report = run.report();
        assert_connector_check(&report, connector, "chain.assume", "pass", None);
        // With the ExternalId configured, the hop without it must be (and is) denied.
        assert_connector_check(&report, connector, "chain.external_id", "pass", None);
        assert_chain_healthy(&report, connector);
        assert_eq!(run.code, 0, "{scenario}\n{}", chain_table(&report));
    }
}

#[test]
fn the_cross_account_hop_lands_in_the_customer_account() {
    let lab = lab_with("healthy-qualytics-managed", false, &[]);
    let report = doctor_in(&lab, &["--json"]).report();
    let assumed =
        connector_check(&report, "acme-warehouse", "chain.assume")["facts"]["assumed_arn"].as_str().unwrap();
    assert!(
        assumed.starts_with("arn:aws:sts::111122223333:assumed-role/acme-qualytics-target/"),
        "{assumed}"
    );
    let caller = report["context"]["caller_arn"].as_str().unwrap();
    assert!(caller.starts_with("arn:aws:sts::315179787488:assumed-role/acme-dataplane-role/"), "{caller}");
}

// ---------------------------------------------------------------------------------------
// What individual verdicts must say.

/// One connector's failure does not touch the other's checks.
#[test]
fn a_connector_missing_from_the_base_policy_fails_alone() {
    let (_lab, _run, report) = verdict(&Row {
        scenario: "xpander-assume-denied-by-identity-policy",
        connector: "eks",
        code: Some("assume-denied-by-identity-policy"),
        ..ROW
    });
    assert_chain_healthy(&report, "warehouse");
    let eks = connector_check(&report, "eks", "chain.assume");
    // The statement that admits the base role is named: the account root one.
    assert!(eks["facts"]["statement"].as_str().is_some_and(|s| s.contains("AllowFromAccount")), "{eks:#}");
    let text = remedy_text(eks);
    assert!(text.contains("--role-name xpander-base-role"), "{text}");
}

/// The base session carries EKS Pod Identity's six transitive tags; the doctor passes none; the
/// trust lacks sts:TagSession. The verdict names the transitive tags as the cause, and turning
/// the association's session tags off makes the same hop work.
#[test]
fn transitive_pod_identity_tags_are_named_as_the_cause() {
    let (_lab, _run, report) = verdict(&Row {
        scenario: "xpander-tag-session-missing",
        code: Some("transitive-tags-denied"),
        ..ROW
    });
    let c = connector_check(&report, "warehouse", "chain.assume");
    let summary = c["summary"].as_str().unwrap();
    assert!(summary.contains("sts:TagSession"), "{summary}");
    assert!(summary.contains("transitive"), "{summary}");
    let evidence = c["evidence"].to_string();
    assert!(evidence.contains("is not authorized to perform: sts:TagSession"), "{evidence}");
    assert!(remedy_text(c).contains("disableSessionTags"), "{}", remedy_text(c));

    // The same world with disableSessionTags: the plain hop works, the tagged one does not.
    let lab = lab_with(
        "xpander-tag-session-missing",
        true,
        &[("role = \"xpander-base-role\"\n", "role = \"xpander-base-role\"\nsession_tags = false\n")],
    );
    let report = doctor_in(&lab, &["--json"]).report();
    assert_connector_check(&report, "warehouse", "chain.assume", "pass", None);
    assert_connector_check(&report, "warehouse", "chain.tag_session", "fail", Some("tag-session-denied"));
}

/// The mismatch is described by lengths and a position; neither value is ever shown, in any
/// format.
#[test]
fn an_external_id_mismatch_never_shows_either_value() {
    let (lab, run, report) = verdict(&Row {
        scenario: "qualytics-external-id-mismatch",
        code: Some("external-id-mismatch"),
        ..ROW
    });
    let c = connector_check(&report, "warehouse", "chain.assume");
    let described = format!("{} {}", c["summary"].as_str().unwrap(), c["facts"]);
    // Both values have 19 characters and first differ at the 18th (index 17).
    let numbers = numbers_in(&described);
    assert!(numbers.contains(&19), "the lengths are shown: {described}");
    assert!(
        numbers.contains(&18) || numbers.contains(&17),
        "the first differing position is shown: {described}"
    );
    assert!(described.contains("position"), "{described}");
    let mut outputs = vec![run.stdout.clone(), run.stderr.clone()];
    for format in ["text", "markdown"] {
        let other = doctor_in(&lab, &["--format", format]);
        assert_eq!(other.code, 1);
        outputs.push(other.stdout);
        outputs.push(other.stderr);
    }
    for output in outputs {
        for secret in [QUALYTICS_ID, QUALYTICS_TYPO, "4c1d"] {
            assert!(!output.contains(secret), "an output shows ExternalId material {secret:?}:\n{output}");
        }
    }
}

fn numbers_in(text: &str) -> Vec<u64> {
    text.split(|c: char| !c.is_ascii_digit()).filter_map(|w| w.parse().ok()).collect()
}

/// A malformed ExternalId is refused before any call: STS never sees it.
#[test]
fn an_invalid_external_id_makes_no_call_and_is_never_shown() {
    let (lab, run, report) =
        verdict(&Row { scenario: "qualytics-external-id-invalid", code: Some("external-id-invalid"), ..ROW });
    let assume_calls =
        lab.calls().into_iter().filter(|c| c.service == "sts" && c.action == "AssumeRole").count();
    assert_eq!(assume_calls, 0, "{:?}", lab.calls());
    let c = connector_check(&report, "warehouse", "chain.assume");
    assert_eq!(c["facts"]["external_id_length"], "20", "{c:#}");
    assert!(!run.stdout.contains(QUALYTICS_ID), "{}", run.stdout);
}

/// The denial is narrowed to the trust and names the statement to add, with the real ARNs.
#[test]
fn assume_denied_by_trust_prints_the_missing_statement() {
    let (_lab, _run, report) = verdict(&Row {
        scenario: "xpander-base-missing-in-trust",
        code: Some("assume-denied-by-trust"),
        ..ROW
    });
    let text = remedy_text(connector_check(&report, "warehouse", "chain.assume"));
    assert!(text.contains("AllowFromBaseRole") && text.contains(XPANDER_BASE), "{text}");
    assert!(text.contains("--role-name xpander-redshift-access"), "{text}");
}

/// The generic denial names the same roles, and the IAM reads that were refused.
#[test]
fn assume_denied_without_iam_read_names_both_sides() {
    let (_lab, _run, report) = verdict(&Row {
        scenario: "xpander-base-missing-in-trust",
        iam_read: false,
        code: Some("assume-denied"),
        ..ROW
    });
    let c = connector_check(&report, "warehouse", "chain.assume");
    let text = remedy_text(c);
    assert!(text.contains(REDSHIFT_ACCESS) && text.contains("xpander-base-role"), "{text}");
    let evidence = c["evidence"].to_string();
    assert!(evidence.contains("iam:GetRole"), "the refused read is evidence: {evidence}");
}

/// Across accounts the target's trust cannot be read at all (`iam:GetRole` looks in the caller's
/// own account and answers `NoSuchEntity`), so the verdict stays generic; it must not call that
/// read denied, nor send the user after an identity that may call it.
#[test]
fn an_unreadable_cross_account_trust_is_not_called_denied() {
    let (_lab, _run, report) = verdict(&Row {
        scenario: "qualytics-managed-base-policy-missing",
        iam_read: false,
        connector: "acme-warehouse",
        code: Some("assume-denied"),
        ..ROW
    });
    let c = connector_check(&report, "acme-warehouse", "chain.assume");
    let evidence = c["evidence"].to_string();
    assert!(evidence.contains("not attempted: the role lives in account 111122223333"), "{evidence}");
    let summary = c["summary"].as_str().unwrap();
    assert!(
        !summary.contains("iam:GetRole was denied"),
        "iam:GetRole was not denied: the role lives in another account: {summary}"
    );
}

/// The near-limit warning reports how full the packed space is.
#[test]
fn packed_policy_near_limit_reports_the_fill() {
    let (_lab, _run, report) = verdict(&Row {
        scenario: "xpander-packed-policy-near-limit",
        check: "chain.tag_session",
        status: "warn",
        code: Some("packed-policy-near-limit"),
        exit: 0,
        ..ROW
    });
    let c = connector_check(&report, "warehouse", "chain.tag_session");
    let percent: u64 = c["facts"]["packed_percent"].as_str().and_then(|p| p.parse().ok()).unwrap();
    assert!((80..=100).contains(&percent), "{c:#}");
    // The plain hop reports its own size: Pod Identity's tags alone.
    let plain = &connector_check(&report, "warehouse", "chain.assume")["facts"]["packed_percent"];
    assert_eq!(plain, "83", "{plain}");
}

/// Too large only with the probe tag: the plain hop still works.
#[test]
fn packed_policy_too_large_leaves_the_plain_hop_working() {
    let (_lab, _run, report) = verdict(&Row {
        scenario: "xpander-packed-policy-too-large",
        check: "chain.tag_session",
        code: Some("packed-policy-too-large"),
        ..ROW
    });
    assert_connector_check(&report, "warehouse", "chain.assume", "pass", None);
    let c = connector_check(&report, "warehouse", "chain.tag_session");
    let percent: u64 = c["facts"]["packed_percent"].as_str().and_then(|p| p.parse().ok()).unwrap();
    assert!(percent > 100, "{c:#}");
    assert!(c["evidence"].to_string().contains("PackedPolicyTooLarge"), "{c:#}");
}

/// The chained cap is STS's answer, quoted, and the configured duration is named.
#[test]
fn chained_duration_quotes_sts() {
    let (_lab, _run, report) = verdict(&Row {
        scenario: "xpander-chained-duration-exceeded",
        code: Some("chained-duration-exceeded"),
        ..ROW
    });
    let c = connector_check(&report, "warehouse", "chain.assume");
    assert!(c["evidence"].to_string().contains("ValidationError"), "{c:#}");
    assert!(c["summary"].as_str().unwrap().contains("7200"), "{c:#}");
}

/// The text report shows the connector beside each chain check's verdict.
#[test]
fn the_text_report_names_the_connector_and_the_code() {
    let lab = lab_with("xpander-self-assume-missing", true, &[]);
    let text = doctor_in(&lab, &[]);
    assert_eq!(text.code, 1);
    assert!(text.stdout.contains("chain.self_assume"), "{}", text.stdout);
    assert!(text.stdout.contains("self-assume-denied"), "{}", text.stdout);
    assert!(text.stdout.contains("warehouse"), "{}", text.stdout);
}

// ---------------------------------------------------------------------------------------
// The catalog.

#[test]
fn explain_prints_every_chain_codes_remedy() {
    let catalog = connector_doctor::catalog::catalog();
    let env = vec![("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned())];
    for code in CODES {
        let parsed = connector_doctor::outcome::Code::ALL
            .iter()
            .find(|c| c.as_str() == code)
            .unwrap_or_else(|| panic!("{code} is not a code of the doctor"));
        let entry = catalog.code_named(code).unwrap_or_else(|| panic!("{code} is not in the catalog"));
        assert!(entry.checks.iter().all(|c| c.starts_with("chain.")), "{code}: {:?}", entry.checks);
        let run = run_with(
            &env,
            &["explain", code],
            &Options { cwd: Some(std::env::temp_dir()), ..Options::default() },
        );
        assert_eq!(run.code, 0, "{code}: {}", run.stderr);
        assert!(run.stdout.contains(code) && run.stdout.contains(&entry.title), "{code}: {}", run.stdout);
        let remedy = catalog.remedy(*parsed, &connector_doctor::outcome::Facts::new()).unwrap();
        let first_words: String = remedy.text.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
        assert!(run.stdout.contains(&first_words), "{code}: the remedy is missing:\n{}", run.stdout);
    }
}

/// Every chain code has a world here: the table above is complete.
#[test]
fn every_chain_code_has_a_scenario() {
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/doctor/chain.rs")).unwrap();
    for code in CODES {
        assert!(source.contains(&format!("code: Some(\"{code}\")")), "no row asserts {code}");
    }
}
