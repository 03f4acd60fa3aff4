//! The RDS IAM auth token against its reference: botocore's `generate_db_auth_token`, from the
//! pinned peer virtualenv (the moto one, which carries botocore), with the same credentials,
//! host, port, user, region and a frozen clock. The tokens must be equal byte for byte.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use connector_doctor::aws::rds_token::{TokenRequest, generate};
use serde_json::{Value, json};

#[test]
fn tokens_match_botocore_byte_for_byte() {
    let epoch = 1_795_000_000_u64;
    let hosts = [
        ("app-db.c9akciq32lab.us-west-1.rds.amazonaws.com", 5432, "us-west-1"),
        ("analytics.cluster-c9akciq32lab.eu-central-1.rds.amazonaws.com", 5432, "eu-central-1"),
        ("gateway.proxy-c9akciq32lab.us-east-1.rds.amazonaws.com", 3306, "us-east-1"),
    ];
    let users = ["postgres", "app+user", "with space", "team/app", "ünïcode", "a=b&c"];
    let sessions = [None, Some("IQoJb3JpZ2luX2VjEXAMPLE/+=token")];
    let mut cases = Vec::new();
    for (i, user) in users.iter().enumerate() {
        for session in sessions {
            let (host, port, region) = hosts[i % hosts.len()];
            cases.push(json!({
                "key": if session.is_some() { "ASIAEXAMPLEKEY000001" } else { "AKIAEXAMPLEKEY000001" },
                "secret": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "session_token": session,
                "host": host, "port": port, "user": user, "region": region,
                "epoch": epoch + i as u64 * 977,
            }));
        }
    }
    let theirs = botocore(&cases);
    assert_eq!(theirs.len(), cases.len());
    for (case, their) in cases.iter().zip(theirs) {
        let creds = Credentials::new(
            case["key"].as_str().unwrap(),
            case["secret"].as_str().unwrap(),
            case["session_token"].as_str().map(str::to_owned),
            None,
            "test",
        );
        let request = TokenRequest {
            host: case["host"].as_str().unwrap(),
            port: u16::try_from(case["port"].as_u64().unwrap()).unwrap(),
            user: case["user"].as_str().unwrap(),
            region: case["region"].as_str().unwrap(),
            time: SystemTime::UNIX_EPOCH + Duration::from_secs(case["epoch"].as_u64().unwrap()),
        };
        let ours = generate(&creds, &request).unwrap();
        assert_eq!(ours.expose(), their.as_str().unwrap(), "case {case}");
    }
}

fn botocore(cases: &[Value]) -> Vec<Value> {
    let python = crate::moto::venv().join("bin/python");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/botocore/rds_token.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    child.stdin.take().unwrap().write_all(serde_json::to_vec(cases).unwrap().as_slice()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "botocore failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}
