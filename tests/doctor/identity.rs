//! The identity link end to end: one lab scenario per failure code, plus the healthy sources.

use serde_json::Value;

use crate::support::{Options, assert_check, assert_remedies_filled, check, doctor, doctor_with, lab};

/// The checks of the identity link, in plan order.
const IDENTITY: [&str; 5] =
    ["identity.source", "identity.token", "identity.agent", "identity.web_identity", "identity.caller"];

/// Runs `scenario` with `--json` and checks the verdict of `id` and the exit code.
fn verdict(scenario: &str, id: &str, status: &str, code: Option<&str>, exit: i32) -> Value {
    verdict_with(scenario, &[], &Options::default(), id, status, code, exit)
}

fn verdict_with(
    scenario: &str,
    args: &[&str],
    options: &Options,
    id: &str,
    status: &str,
    code: Option<&str>,
    exit: i32,
) -> Value {
    let lab = lab(scenario);
    let mut all = vec!["--json", "--cluster-name", "xpander-prod"];
    all.extend_from_slice(args);
    let run = doctor_with(&lab, &all, options);
    let report = run.report();
    assert_check(&report, id, status, code);
    assert_eq!(run.code, exit, "{scenario}: exit code; stderr: {}", run.stderr);
    assert_remedies_filled(&report, &unknowable(&report));
    report
}

/// Placeholders the run could not fill because nothing in the pod tells them: the base role
/// unless configured; namespace and service account without a readable token; the account
/// when no answer named it.
fn unknowable(report: &Value) -> Vec<&'static str> {
    let mut names = vec!["base_role_arn", "role_arn"];
    if check(report, "identity.token")["facts"]["namespace"].is_null() {
        names.extend(["namespace", "service_account"]);
    }
    let account_known = report["checks"].as_array().unwrap().iter().any(|c| !c["facts"]["account"].is_null());
    if !account_known {
        names.push("account");
    }
    names
}

/// Every check after `failed` in the chain is a skip that names `root`, or does not apply.
fn assert_rest_blocked(report: &Value, failed: &str, root: &str) {
    let after = IDENTITY.iter().skip_while(|id| **id != failed).skip(1);
    for id in after {
        let c = check(report, id);
        assert_eq!(c["status"], "skip", "{id}: {c:#}");
        assert!(c["blocked_by"] == root || c["blocked_by"].is_null(), "{id} blocked by {}", c["blocked_by"]);
    }
}

#[test]
fn healthy_pod_identity_passes_every_check() {
    let report = verdict("healthy-pod-identity", "identity.caller", "pass", None, 0);
    for id in ["identity.source", "identity.token", "identity.agent"] {
        assert_check(&report, id, "pass", None);
    }
    assert_check(&report, "identity.web_identity", "skip", None);
    assert_eq!(report["context"]["credential_source"], "pod-identity");
    let caller = report["context"]["caller_arn"].as_str().unwrap();
    assert!(caller.starts_with("arn:aws:sts::111122223333:assumed-role/xpander-base-role/"), "{caller}");
}

#[test]
fn healthy_pod_identity_matches_the_configured_base_role() {
    verdict_with(
        "healthy-pod-identity",
        &["--base-role-arn", "arn:aws:iam::111122223333:role/xpander-base-role"],
        &Options::default(),
        "identity.caller",
        "pass",
        None,
        0,
    );
}

#[test]
fn healthy_irsa_passes_every_check() {
    let report = verdict("healthy-irsa", "identity.caller", "pass", None, 0);
    assert_check(&report, "identity.web_identity", "pass", None);
    assert_check(&report, "identity.agent", "skip", None);
    assert_eq!(report["context"]["credential_source"], "irsa");
}

#[test]
fn healthy_static_keys_and_profile_pass() {
    let report = verdict("healthy-static", "identity.caller", "pass", None, 0);
    assert_eq!(report["context"]["credential_source"], "static-keys");
    let report = verdict("healthy-profile", "identity.caller", "pass", None, 0);
    assert_eq!(report["context"]["credential_source"], "profile");
}

#[test]
fn no_credential_source_blocks_every_dependent() {
    let report = verdict("no-credential-source", "identity.source", "fail", Some("no-credential-source"), 1);
    for id in &IDENTITY[1..] {
        let c = check(&report, id);
        assert_eq!(
            (c["status"].as_str(), c["blocked_by"].as_str()),
            (Some("skip"), Some("identity.source")),
            "{id}"
        );
    }
    assert_eq!(report["context"]["credential_source"], "none");
}

#[test]
fn node_role_fallback_is_named() {
    let report = verdict("node-role-fallback", "identity.caller", "fail", Some("node-role-fallback"), 1);
    assert_check(&report, "identity.source", "fail", Some("no-credential-source"));
    let caller = report["context"]["caller_arn"].as_str().unwrap();
    assert!(caller.contains("NodeInstanceRole"), "{caller}");
}

#[test]
fn conflicting_sources_warn_and_static_keys_win() {
    let report = verdict(
        "conflicting-credential-sources",
        "identity.source",
        "warn",
        Some("conflicting-credential-sources"),
        0,
    );
    assert_eq!(report["context"]["credential_source"], "static-keys");
    assert_check(&report, "identity.caller", "pass", None);
}

#[test]
fn warnings_fail_under_strict() {
    let lab = lab("conflicting-credential-sources");
    let run = doctor(&lab, &["--json", "--strict"]);
    run.report();
    assert_eq!(run.code, 1);
}

#[test]
fn container_uri_host_invalid() {
    let report = verdict(
        "container-uri-host-invalid",
        "identity.source",
        "fail",
        Some("container-uri-host-invalid"),
        1,
    );
    assert_rest_blocked(&report, "identity.source", "identity.source");
}

#[test]
fn token_file_missing() {
    let report = verdict("token-file-missing", "identity.token", "fail", Some("token-file-missing"), 1);
    assert_rest_blocked(&report, "identity.token", "identity.token");
}

#[test]
fn token_file_unreadable() {
    // Root reads any file, so run the doctor as nobody when the tests run as root.
    let lab = lab("token-file-unreadable");
    let options = Options { uid: is_root().then_some(65534), ..Options::default() };
    std::fs::set_permissions(lab.temp_dir(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let run = doctor_with(&lab, &["--json"], &options);
    let report = run.report();
    assert_check(&report, "identity.token", "fail", Some("token-file-unreadable"));
    assert_eq!(run.code, 1);
    let facts = &check(&report, "identity.token")["facts"];
    assert_eq!(facts["token_mode"], "0000", "{facts:#}");
    assert_rest_blocked(&report, "identity.token", "identity.token");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn token_malformed() {
    let report = verdict("token-malformed", "identity.token", "fail", Some("token-malformed"), 1);
    let summary = check(&report, "identity.token")["summary"].as_str().unwrap();
    assert!(summary.contains("Bearer"), "{summary}");
}

#[test]
fn a_ten_megabyte_garbage_token_is_refused_quickly() {
    let lab = lab("token-garbage");
    let run = doctor(&lab, &["--json"]);
    let report = run.report();
    assert_check(&report, "identity.token", "fail", Some("token-malformed"));
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.len() < 64 * 1024,
        "the report must not carry the garbage ({} bytes)",
        run.stdout.len()
    );
}

#[test]
fn token_trailing_whitespace_warns_and_the_chain_goes_on() {
    let report =
        verdict("token-trailing-whitespace", "identity.token", "warn", Some("token-trailing-whitespace"), 0);
    assert_check(&report, "identity.caller", "pass", None);
}

#[test]
fn token_expired() {
    verdict("token-expired", "identity.token", "fail", Some("token-expired"), 1);
}

#[test]
fn token_audience_mismatch() {
    verdict("token-audience-mismatch", "identity.token", "fail", Some("token-audience-mismatch"), 1);
}

#[test]
fn agent_unreachable() {
    let report = verdict("agent-unreachable", "identity.agent", "fail", Some("agent-unreachable"), 1);
    assert_rest_blocked(&report, "identity.web_identity", "identity.agent");
}

#[test]
fn agent_rejected_token() {
    verdict("agent-rejected-token", "identity.agent", "fail", Some("agent-rejected-token"), 1);
}

#[test]
fn agent_error_from_eks_auth() {
    verdict("agent-error", "identity.agent", "fail", Some("agent-error"), 1);
}

#[test]
fn agent_without_association() {
    let report = verdict("agent-no-association", "identity.agent", "fail", Some("agent-error"), 1);
    let summary = check(&report, "identity.agent")["summary"].as_str().unwrap();
    assert!(summary.contains("association"), "{summary}");
}

#[test]
fn agent_garbage_reply() {
    verdict("agent-garbage", "identity.agent", "fail", Some("agent-error"), 1);
}

#[test]
fn a_hanging_agent_fails_within_its_deadline_and_the_run_ends() {
    let lab = lab("agent-hang");
    let run = doctor(&lab, &["--json"]);
    let report = run.report();
    assert_check(&report, "identity.agent", "fail", Some("agent-error"));
    assert_eq!(run.code, 1);
    let deadline_ms = connector_doctor::catalog::catalog().check("identity.agent").unwrap().deadline_ms;
    let took = check(&report, "identity.agent")["duration_ms"].as_u64().unwrap();
    assert!(took <= deadline_ms * 11 / 10, "identity.agent took {took} ms, deadline {deadline_ms} ms");
    assert!(run.took.as_millis() < u128::from(deadline_ms) * 2, "the whole run took {:?}", run.took);
}

#[test]
fn oidc_provider_missing() {
    verdict("oidc-provider-missing", "identity.web_identity", "fail", Some("oidc-provider-missing"), 1);
}

#[test]
fn web_identity_denied_shows_the_real_subject() {
    let report =
        verdict("web-identity-denied", "identity.web_identity", "fail", Some("web-identity-denied"), 1);
    let text = check(&report, "identity.web_identity")["remedy"]["text"].as_str().unwrap();
    assert!(text.contains("system:serviceaccount:xpander:xpander-connector"), "{text}");
}

#[test]
fn role_arn_invalid() {
    verdict("role-arn-invalid", "identity.web_identity", "fail", Some("role-arn-invalid"), 1);
}

#[test]
fn sts_unreachable_refused_and_hanging() {
    let report = verdict("sts-unreachable", "identity.caller", "fail", Some("sts-unreachable"), 1);
    let facts = &check(&report, "identity.caller")["facts"];
    assert!(facts["sts_endpoint"].as_str().unwrap().starts_with("http://127.0.0.1:"), "{facts:#}");
    verdict("sts-hang", "identity.caller", "fail", Some("sts-unreachable"), 1);
}

#[test]
fn credentials_rejected() {
    verdict("credentials-rejected", "identity.caller", "fail", Some("credentials-rejected"), 1);
}

#[test]
fn sts_region_disabled() {
    verdict("sts-region-disabled", "identity.caller", "fail", Some("sts-region-disabled"), 1);
}

#[test]
fn unexpected_identity_warns() {
    let report = verdict_with(
        "healthy-pod-identity",
        &["--base-role-arn", "arn:aws:iam::111122223333:role/some-other-role"],
        &Options::default(),
        "identity.caller",
        "warn",
        Some("unexpected-identity"),
        0,
    );
    let text = check(&report, "identity.caller")["remedy"]["text"].as_str().unwrap();
    assert!(text.contains("arn:aws:iam::111122223333:role/some-other-role"), "{text}");
}

#[test]
fn irsa_beside_pod_identity_uses_irsa_and_never_asks_the_agent() {
    let report = verdict(
        "irsa-beside-pod-identity",
        "identity.source",
        "warn",
        Some("conflicting-credential-sources"),
        0,
    );
    assert_check(&report, "identity.agent", "skip", None);
    assert!(check(&report, "identity.agent")["blocked_by"].is_null());
    assert_check(&report, "identity.web_identity", "pass", None);
    assert_check(&report, "identity.caller", "pass", None);
    assert_eq!(report["context"]["credential_source"], "irsa");
}

#[test]
fn a_broken_path_the_sdks_do_not_take_does_not_block_the_caller() {
    let report =
        verdict("static-keys-beside-dead-agent", "identity.agent", "fail", Some("agent-unreachable"), 1);
    assert_check(&report, "identity.caller", "pass", None);
    assert_eq!(report["context"]["credential_source"], "static-keys");
}

#[test]
fn a_token_path_that_is_a_fifo_is_refused_without_hanging() {
    let lab = lab("healthy-pod-identity");
    let token = lab
        .pod_env()
        .into_iter()
        .find(|(k, _)| k == "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        .map(|(_, v)| v)
        .unwrap();
    std::fs::remove_file(&token).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&token).status().unwrap();
    assert!(made.success());
    let run = doctor(&lab, &["--json"]);
    let report = run.report();
    assert_check(&report, "identity.token", "fail", Some("token-file-unreadable"));
    assert!(run.took.as_secs() < 10, "{:?}", run.took);
}
