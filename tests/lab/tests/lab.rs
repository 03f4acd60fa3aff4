//! The lab as its users meet it: every scenario file starts, the Pod Identity agent speaks
//! plain HTTP correctly, faults behave, and the `connector-lab` binary runs a command as the pod.

use std::path::{Path, PathBuf};
use std::process::Command;

use connector_lab::{Lab, Scenario};

#[path = "common/http.rs"]
mod raw_http;
use raw_http::http;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

fn scenario(name: &str) -> Scenario {
    Scenario::from_file(&scenarios_dir().join(format!("{name}.toml"))).unwrap()
}

fn env(lab: &Lab, name: &str) -> Option<String> {
    lab.pod_env().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn agent(lab: &Lab, token: &str) -> (u16, String) {
    http(&lab.agent_url(), "GET", &[("Authorization", token)]).unwrap()
}

fn token(lab: &Lab) -> String {
    std::fs::read_to_string(env(lab, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").unwrap()).unwrap()
}

#[test]
fn every_scenario_file_starts_and_gives_the_base_environment() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(scenarios_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let scenario = Scenario::from_file(&path).unwrap();
        assert!(!scenario.description.is_empty(), "{}", path.display());
        let lab = Lab::start(scenario).unwrap();
        for name in ["AWS_REGION", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"] {
            assert!(env(&lab, name).is_some(), "{name} missing in {}", path.display());
        }
        assert!(
            env(&lab, "AWS_EC2_METADATA_DISABLED").is_some()
                != env(&lab, "AWS_EC2_METADATA_SERVICE_ENDPOINT").is_some()
        );
        assert!(lab.aws_url().starts_with("http://127.0.0.1:"));
        assert!(lab.agent_url().starts_with("http://127.0.0.1:"));
        let temp = lab.temp_dir().to_owned();
        drop(lab);
        assert!(!temp.exists(), "temp dir left behind");
        names.push(path.file_stem().unwrap().to_string_lossy().into_owned());
    }
    assert!(names.len() >= 28, "{names:?}");
}

#[test]
fn agent_hands_out_credentials_sts_knows() {
    let lab = Lab::start(scenario("healthy-pod-identity")).unwrap();
    let (status, body) = agent(&lab, &token(&lab));
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    for field in ["AccessKeyId", "SecretAccessKey", "Token", "AccountId", "Expiration"] {
        assert!(json[field].is_string(), "{field} in {body}");
    }
    assert_eq!(json["AccountId"], "111122223333");
    let calls = lab.calls();
    assert_eq!(calls[0].endpoint, "agent");
    assert_eq!(calls[0].action, "GET /v1/credentials");
}

#[test]
fn agent_refusals() {
    let lab = Lab::start(scenario("token-malformed")).unwrap();
    let (status, body) = agent(&lab, &token(&lab));
    assert_eq!(status, 400);
    assert_eq!(
        body,
        "Service account token cannot be parsed: token is malformed: could not base64 decode header: illegal base64 data at input byte 6\n"
    );

    let lab = Lab::start(scenario("agent-no-association")).unwrap();
    let (status, body) = agent(&lab, &token(&lab));
    assert_eq!(status, 404);
    assert!(body.contains("(ResourceNotFoundException): "), "{body}");

    let lab = Lab::start(scenario("token-expired")).unwrap();
    let (status, body) = agent(&lab, &token(&lab));
    assert_eq!(
        (status, body.as_str()),
        (400, "Service account token failed basic claim validations: token is expired\n")
    );

    let lab = Lab::start(scenario("token-audience-mismatch")).unwrap();
    let (status, body) = agent(&lab, &token(&lab));
    assert_eq!(status, 400);
    assert!(body.contains("(InvalidTokenException)"), "{body}");

    let lab = Lab::start(scenario("agent-error")).unwrap();
    let (status, body) = agent(&lab, "x");
    assert_eq!(status, 500);
    assert!(body.contains("unable to fetch credentials from EKS Auth"), "{body}");
}

#[test]
fn agent_faults() {
    let lab = Lab::start(scenario("agent-unreachable")).unwrap();
    let err = http(&lab.agent_url(), "GET", &[]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);

    let lab = Lab::start(scenario("agent-hang")).unwrap();
    let err = http(&lab.agent_url(), "GET", &[("Authorization", "x")]).unwrap_err();
    assert!(matches!(err.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut), "{err}");
    assert_eq!(lab.calls().len(), 1, "the hanging request was read");

    let lab = Lab::start(scenario("agent-garbage")).unwrap();
    let (status, body) = agent(&lab, "x");
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
}

#[test]
fn pod_files_follow_the_scenario() {
    let lab = Lab::start(scenario("token-file-missing")).unwrap();
    assert!(!Path::new(&env(&lab, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").unwrap()).exists());

    let lab = Lab::start(scenario("token-garbage")).unwrap();
    let file = env(&lab, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").unwrap();
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 10 * 1024 * 1024);

    let lab = Lab::start(scenario("token-file-unreadable")).unwrap();
    let file = env(&lab, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0);

    let lab = Lab::start(scenario("healthy-profile")).unwrap();
    assert_eq!(env(&lab, "AWS_PROFILE").as_deref(), Some("lab"));
    let credentials = std::fs::read_to_string(env(&lab, "AWS_SHARED_CREDENTIALS_FILE").unwrap()).unwrap();
    assert!(credentials.contains("[lab]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"));
    assert!(env(&lab, "AWS_ACCESS_KEY_ID").is_none());

    let lab = Lab::start(scenario("container-uri-host-invalid")).unwrap();
    assert_eq!(
        env(&lab, "AWS_CONTAINER_CREDENTIALS_FULL_URI").as_deref(),
        Some("http://10.20.30.40/v1/credentials")
    );

    let lab = Lab::start(scenario("conflicting-credential-sources")).unwrap();
    assert_eq!(env(&lab, "AWS_ACCESS_KEY_ID").as_deref(), Some("AKIAIOSFODNN7EXAMPLE"));
    assert!(env(&lab, "AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some());

    let lab = Lab::start(scenario("role-arn-invalid")).unwrap();
    assert_eq!(env(&lab, "AWS_ROLE_ARN").as_deref(), Some("arn:aws:iam::::1234567890:role/example"));
}

#[test]
fn malformed_requests_get_aws_errors() {
    let lab = Lab::start(scenario("healthy-static")).unwrap();
    let (status, body) = http(&format!("{}/", lab.aws_url()), "GET", &[]).unwrap();
    assert_eq!(status, 400);
    assert!(body.contains("<Code>MissingAction</Code>"), "{body}");
    let (status, body) = http(
        &format!("{}/?Action=GetCallerIdentity&Version=2011-06-15", lab.aws_url()),
        "GET",
        &[("Authorization", "AWS4-HMAC-SHA256 nonsense")],
    )
    .unwrap();
    assert_eq!(status, 400);
    assert!(body.contains("<Code>IncompleteSignature</Code>"), "{body}");
}

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_connector-lab"))
}

#[test]
fn exec_runs_the_command_as_the_pod() {
    let out = binary()
        .arg("exec")
        .arg(scenarios_dir().join("healthy-irsa.toml"))
        .args([
            "--",
            "sh",
            "-c",
            "test -s \"$AWS_WEB_IDENTITY_TOKEN_FILE\" && echo \"$AWS_REGION ${LAB_SECRET:-clean}\"; exit 3",
        ])
        .env("LAB_SECRET", "leaked")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "us-west-1 clean\n");
}

#[test]
fn bad_usage_and_bad_scenarios_exit_2() {
    let out = binary().arg("exec").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "description = \"x\"\n[pod]\nsorce = \"irsa\"\n").unwrap();
    let out = binary().arg("serve").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.toml") && stderr.contains("line 3"), "{stderr}");
}

#[test]
fn oversized_requests_are_refused_not_fatal() {
    let lab = Lab::start(scenario("healthy-pod-identity")).unwrap();
    let huge = "A".repeat(2 * 1024 * 1024);
    let result = http(&lab.agent_url(), "GET", &[("Authorization", &huge)]);
    // Like Go's server (the agent's): 431. Writing may also fail once the lab hangs up.
    if let Ok((status, _)) = result {
        assert_eq!(status, 431);
    }
    // The lab still serves afterwards.
    let (status, _) = agent(&lab, &token(&lab));
    assert_eq!(status, 200);
}
