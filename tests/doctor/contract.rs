//! The contracts: exit codes for bad input, the schema, and nothing secret in any output.

use std::io::Write;

use crate::support::{Options, doctor, doctor_with, lab, run_with};

fn no_aws(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![("HOME".into(), "/nonexistent".into())];
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    env
}

#[test]
fn with_no_aws_variables_the_source_fails_and_everything_else_is_blocked() {
    // No AWS variables but one that keeps the SDKs away from the real instance metadata
    // address: here it points at a closed loopback port, as a pod without IMDS access sees it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let imds = format!("http://127.0.0.1:{port}");
    for env in [
        no_aws(&[("AWS_EC2_METADATA_DISABLED", "true")]),
        no_aws(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds)]),
    ] {
        let run = run_with(&env, &["--json"], &Options::default());
        let report = run.report();
        assert_eq!(run.code, 1, "{}", run.stderr);
        let checks = report["checks"].as_array().unwrap();
        assert_eq!(checks[0]["id"], "identity.source");
        assert_eq!(checks[0]["code"], "no-credential-source");
        for c in &checks[1..] {
            assert_eq!(
                (c["status"].as_str(), c["blocked_by"].as_str()),
                (Some("skip"), Some("identity.source")),
                "{c:#}"
            );
        }
    }
}

fn config_error(text: &str, expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("connector-doctor.toml");
    std::fs::File::create(&path).unwrap().write_all(text.as_bytes()).unwrap();
    let run = run_with(
        &no_aws(&[("AWS_EC2_METADATA_DISABLED", "true")]),
        &["--json", "--config", path.to_str().unwrap()],
        &Options::default(),
    );
    assert_eq!(run.code, 2, "{text}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing on stdout for a configuration error: {}", run.stdout);
    for e in expect {
        assert!(run.stderr.contains(e), "{text}: stderr lacks {e:?}: {}", run.stderr);
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    // The same file found in the working directory, without --config.
    let run = run_with(
        &no_aws(&[("AWS_EC2_METADATA_DISABLED", "true")]),
        &["--json"],
        &Options { cwd: Some(dir.path().to_path_buf()), ..Options::default() },
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn bad_configuration_exits_2_naming_file_line_and_field() {
    config_error("region = [\n", &["connector-doctor.toml:1:"]);
    config_error("regoin = \"us-west-1\"\n", &["connector-doctor.toml:1:1", "unknown field `regoin`"]);
    config_error(
        "region = \"us-west-1\"\nbase_role_arn = \"arn:aws:iam::::1234567890:role/example\"\n",
        &["connector-doctor.toml:2:", "base_role_arn", "12-digit"],
    );
    config_error(
        "[[connector]]\nname = \"w\"\nkind = \"redshift\"\nrole_arn = \"arn:aws:iam::111122223333:user/x\"\ncluster_id = \"c\"\ndatabase = \"d\"\n",
        &["connector-doctor.toml:4:", "connector.role_arn", "role/<name>"],
    );
    config_error(
        "[[connector]]\nname = \"w\"\nkind = \"rds\"\nrole_arn = \"arn:aws:iam::111122223333:role/r\"\ninstance_id = \"db\"\nuser = \"u\"\nexternal_id = 1234567\n",
        &["connector.external_id", "must be a string"],
    );
}

#[test]
fn bad_flags_exit_2() {
    let env = no_aws(&[("AWS_EC2_METADATA_DISABLED", "true")]);
    for args in [
        &["--timeout", "0"][..],
        &["--base-role-arn", "not-an-arn"],
        &["--region", "mars"],
        &["--no-such-flag"],
        &["--format", "yaml"],
        &["--config", "/nonexistent/connector-doctor.toml"],
    ] {
        let run = run_with(&env, args, &Options::default());
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.is_empty() && !run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
    }
}

/// Plants known secrets in every place the pod keeps them and asserts that no output format
/// ever repeats one.
#[test]
fn nothing_secret_in_any_output() {
    const KEY: &str = "AKIACANARYKEY0000001";
    const SECRET: &str = "canarySecretAccessKey/0123456789abcdefXYZ";
    const SESSION: &str = "canarySessionTokenValue0123456789abcdef";
    let cases: Vec<(&str, Vec<(String, String)>)> = vec![
        (
            "healthy-static",
            vec![
                ("AWS_ACCESS_KEY_ID".into(), KEY.into()),
                ("AWS_SECRET_ACCESS_KEY".into(), SECRET.into()),
                ("AWS_SESSION_TOKEN".into(), SESSION.into()),
            ],
        ),
        ("healthy-irsa", vec![]),
        ("healthy-pod-identity", vec![]),
        ("web-identity-denied", vec![]),
        ("token-trailing-whitespace", vec![]),
    ];
    for (scenario, env) in cases {
        let lab = lab(scenario);
        let mut canaries: Vec<String> = vec![SECRET.into(), SESSION.into()];
        for (k, v) in lab.pod_env() {
            if k.ends_with("TOKEN_FILE") {
                let token = std::fs::read_to_string(&v).unwrap();
                canaries.push(token.trim().to_owned());
                canaries.extend(token.trim().split('.').filter(|p| p.len() > 16).map(str::to_owned));
            }
            if k == "AWS_SECRET_ACCESS_KEY" || k == "AWS_SESSION_TOKEN" {
                canaries.push(v.clone());
            }
        }
        for format in ["json", "text", "markdown"] {
            let run = doctor_with(
                &lab,
                &["--format", format, "--cluster-name", "c"],
                &Options { env: env.clone(), ..Options::default() },
            );
            for canary in &canaries {
                assert!(
                    !run.stdout.contains(canary.as_str()),
                    "{scenario}/{format}: stdout repeats a secret"
                );
                assert!(
                    !run.stderr.contains(canary.as_str()),
                    "{scenario}/{format}: stderr repeats a secret"
                );
            }
            if format == "json" {
                run.report();
            }
        }
        // The lab issued credentials to the doctor; their secrets must not appear either.
        let run = doctor(&lab, &["--json"]);
        assert!(!run.stdout.contains("SecretAccessKey\":"), "{scenario}");
    }
}

/// Read-only by construction: across every scenario, each AWS call the lab saw is on the
/// doctor's allowlist.
#[test]
fn every_aws_call_is_on_the_allowlist() {
    let mut names: Vec<String> = std::fs::read_dir(crate::support::scenario_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".toml").map(str::to_owned))
        .collect();
    names.sort();
    assert!(names.len() > 20, "{names:?}");
    let seen: Vec<(String, Vec<connector_lab::Call>)> = std::thread::scope(|s| {
        let handles: Vec<_> = names
            .iter()
            .map(|name| {
                s.spawn(move || {
                    let lab = lab(name);
                    let _ = doctor(&lab, &["--json"]);
                    (name.clone(), lab.calls())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let allowed = connector_doctor::aws::ALLOWED_ACTIONS;
    let mut aws_calls = 0;
    for (name, calls) in seen {
        for call in calls.iter().filter(|c| c.endpoint == "aws") {
            aws_calls += 1;
            let action = format!("{}:{}", call.service, call.action);
            assert!(
                allowed.contains(&action.as_str()),
                "{name}: the doctor called {action}, which is not allowed"
            );
        }
    }
    assert!(aws_calls > 10, "the scenarios should exercise AWS calls, saw {aws_calls}");
}

/// A change that breaks a report, for the schema test.
type Breakage = Box<dyn Fn(&mut serde_json::Value)>;

/// The schema test can fail: documents that break the contract are rejected.
#[test]
fn the_schema_rejects_broken_reports() {
    let lab = lab("token-expired");
    let good = doctor(&lab, &["--json"]).report();
    let breakages: Vec<(&str, Breakage)> = vec![
        ("unknown status", Box::new(|r| r["checks"][1]["status"] = "broken".into())),
        ("fail without a code", Box::new(|r| r["checks"][1]["code"] = serde_json::Value::Null)),
        ("missing summary", Box::new(|r| drop(r.as_object_mut().unwrap().remove("summary")))),
        ("wrong schema version", Box::new(|r| r["schema_version"] = 2.into())),
        ("unknown field", Box::new(|r| r["checks"][0]["secret"] = "x".into())),
    ];
    for (what, breakage) in breakages {
        let mut bad = good.clone();
        breakage(&mut bad);
        assert!(!crate::support::schema_errors(&bad).is_empty(), "the schema accepted a report with {what}");
    }
}
