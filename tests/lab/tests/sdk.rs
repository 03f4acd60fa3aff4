//! The real AWS SDK for Rust against the lab: every STS reply must parse, and every error must
//! surface with AWS's code and message.

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_sts::Client;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_sdk_sts::error::ProvideErrorMetadata;
use connector_lab::{Lab, Scenario};

const BASE: &str = r#"
account = "111122223333"
region = "us-west-1"
cluster = "xpander-prod"
[pod]
namespace = "xpander"
service_account = "xpander-connector"
role = "xpander-base-role"
"#;

fn lab(source: &str, extra: &str) -> Lab {
    let text = BASE.replace("[pod]", &format!("[pod]\nsource = \"{source}\"")) + extra;
    Lab::start(Scenario::from_toml_str(&text).unwrap()).unwrap()
}

fn env(lab: &Lab, name: &str) -> String {
    lab.pod_env().into_iter().find(|(k, _)| k == name).unwrap_or_else(|| panic!("{name} not in pod_env")).1
}

fn client(lab: &Lab, credentials: Option<Credentials>) -> Client {
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-1"))
        .endpoint_url(lab.aws_url())
        .retry_config(RetryConfig::disabled())
        .timeout_config(TimeoutConfig::builder().operation_timeout(Duration::from_secs(2)).build());
    if let Some(credentials) = credentials {
        config = config.credentials_provider(credentials);
    }
    Client::from_conf(config.build())
}

fn static_keys(lab: &Lab) -> Credentials {
    Credentials::new(env(lab, "AWS_ACCESS_KEY_ID"), env(lab, "AWS_SECRET_ACCESS_KEY"), None, None, "lab")
}

const USER: &str = "[[user]]\nname = \"xpander-ci\"\naccess_key_id = \"AKIAIOSFODNN7EXAMPLE\"\n";

#[tokio::test]
async fn get_caller_identity_as_a_user() {
    let lab = lab("static", USER);
    let out = client(&lab, Some(static_keys(&lab))).get_caller_identity().send().await.unwrap();
    assert_eq!(out.arn(), Some("arn:aws:iam::111122223333:user/xpander-ci"));
    assert_eq!(out.account(), Some("111122223333"));
    assert!(out.user_id().unwrap().starts_with("AIDA"));
    let call = lab.calls().pop().unwrap();
    assert_eq!(
        (call.endpoint.as_str(), call.service.as_str(), call.action.as_str()),
        ("aws", "sts", "GetCallerIdentity")
    );
    assert_eq!(call.access_key_id.as_deref(), Some("AKIAIOSFODNN7EXAMPLE"));
}

async fn caller_error(lab: &Lab, credentials: Credentials) -> (String, String) {
    let err = client(lab, Some(credentials)).get_caller_identity().send().await.unwrap_err();
    (err.code().unwrap_or_default().to_owned(), err.message().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn key_problems() {
    let lab = lab("static", USER);
    let unknown = Credentials::new("AKIAUNKNOWNKEY000000", "x", None, None, "t");
    assert_eq!(
        caller_error(&lab, unknown).await,
        (
            "InvalidClientTokenId".to_owned(),
            "The security token included in the request is invalid.".to_owned()
        )
    );
    for (reject, code, message) in [
        ("invalid", "InvalidClientTokenId", "The security token included in the request is invalid."),
        ("expired", "ExpiredToken", "The security token included in the request is expired"),
        (
            "signature",
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ),
    ] {
        let lab = self::lab("static", &format!("{USER}[sts]\nreject_keys = \"{reject}\"\n"));
        let keys = static_keys(&lab);
        assert_eq!(caller_error(&lab, keys).await, (code.to_owned(), message.to_owned()));
    }
}

#[tokio::test]
async fn region_disabled() {
    let lab = lab("static", &format!("{USER}[sts]\ndisabled_regions = [\"us-west-1\"]\n"));
    let keys = static_keys(&lab);
    assert_eq!(
        caller_error(&lab, keys).await,
        (
            "RegionDisabledException".to_owned(),
            "STS is not activated in this region for account:111122223333. Your account administrator can activate STS in this region using the IAM Console.".to_owned()
        )
    );
}

async fn web_identity(
    lab: &Lab,
) -> Result<
    aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityOutput,
    (String, String),
> {
    let token = std::fs::read_to_string(env(lab, "AWS_WEB_IDENTITY_TOKEN_FILE")).unwrap();
    client(lab, None)
        .assume_role_with_web_identity()
        .role_arn(env(lab, "AWS_ROLE_ARN"))
        .role_session_name("connector-doctor")
        .web_identity_token(token)
        .send()
        .await
        .map_err(|e| {
            let e = e.into_service_error();
            (e.code().unwrap_or_default().to_owned(), e.message().unwrap_or_default().to_owned())
        })
}

#[tokio::test]
async fn web_identity_success_then_caller_identity() {
    let lab = lab("irsa", "");
    let out = web_identity(&lab).await.unwrap();
    let user = out.assumed_role_user().unwrap();
    assert_eq!(user.arn(), "arn:aws:sts::111122223333:assumed-role/xpander-base-role/connector-doctor");
    assert!(user.assumed_role_id().starts_with("AROA"));
    assert_eq!(
        out.subject_from_web_identity_token(),
        Some("system:serviceaccount:xpander:xpander-connector")
    );
    assert_eq!(out.audience(), Some("sts.amazonaws.com"));
    assert_eq!(
        out.provider(),
        Some(
            "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
        )
    );
    let creds = out.credentials().unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    let session = Credentials::new(
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token().to_owned()),
        None,
        "web-identity",
    );
    let me = client(&lab, Some(session)).get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some("arn:aws:sts::111122223333:assumed-role/xpander-base-role/connector-doctor"));
    assert!(me.user_id().unwrap().ends_with(":connector-doctor"));
    // A second session gets different secrets.
    let again = web_identity(&lab).await.unwrap();
    assert_ne!(again.credentials().unwrap().secret_access_key(), creds.secret_access_key());
}

#[tokio::test]
async fn web_identity_errors() {
    let cases = [
        (
            "role_arn = \"arn:aws:iam::::1234567890:role/example\"\n",
            "",
            "ValidationError",
            "Request ARN is invalid",
        ),
        (
            "",
            "[pod.token]\nprefix = \"Bearer \"\n",
            "InvalidIdentityToken",
            "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
        ),
        (
            "",
            "[sts]\noidc_providers = []\n",
            "InvalidIdentityToken",
            "No OpenIDConnect provider found in your account for https://oidc.eks.us-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
        ),
        (
            "",
            "[pod.token]\naudience = \"pods.eks.amazonaws.com\"\n",
            "InvalidIdentityToken",
            "Incorrect token audience",
        ),
        (
            "",
            "[[role]]\nname = \"xpander-base-role\"\ntrust = '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}'\n",
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        ),
    ];
    for (pod_line, extra, code, message) in cases {
        let text = BASE.replace("[pod]", &format!("[pod]\nsource = \"irsa\"\n{pod_line}")) + extra;
        let lab = Lab::start(Scenario::from_toml_str(&text).unwrap()).unwrap();
        assert_eq!(web_identity(&lab).await.unwrap_err(), (code.to_owned(), message.to_owned()), "{extra}");
    }
    let lab = lab("irsa", "[pod.token]\nexpires_in_seconds = -60\n");
    let (code, message) = web_identity(&lab).await.unwrap_err();
    assert_eq!(code, "ExpiredTokenException");
    assert!(message.starts_with("Token expired: current date/time "), "{message}");
}

#[tokio::test]
async fn endpoint_faults_fail_the_sdk() {
    for fault in [
        "fault = \"status\"\nstatus = 503\nbody = \"Service Unavailable\"",
        "fault = \"garbage\"",
        "fault = \"hang\"",
        "fault = \"refused\"",
    ] {
        let lab = lab("static", &format!("{USER}[sts]\n{fault}\n"));
        let started = std::time::Instant::now();
        let err = client(&lab, Some(static_keys(&lab))).get_caller_identity().send().await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "{fault}");
        if fault.contains("503") {
            assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(503));
        }
        if fault.contains("hang") {
            assert!(format!("{err:?}").contains("Timeout"), "{err:?}");
        }
    }
}

#[tokio::test]
async fn imds_credentials_through_the_sdk_provider() {
    let lab = lab(
        "none",
        "[imds]\nrole = \"eksctl-xpander-prod-nodegroup-NodeInstanceRole-1A2B3C4D5E6F\"\ninstance_id = \"i-0abc1234def567890\"\n",
    );
    let endpoint = env(&lab, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    let imds = aws_config::imds::Client::builder().endpoint(endpoint).unwrap().build();
    let provider =
        aws_config::imds::credentials::ImdsCredentialsProvider::builder().imds_client(imds).build();
    let creds = provider.provide_credentials().await.unwrap();
    let me = client(&lab, Some(creds)).get_caller_identity().send().await.unwrap();
    assert_eq!(
        me.arn(),
        Some(
            "arn:aws:sts::111122223333:assumed-role/eksctl-xpander-prod-nodegroup-NodeInstanceRole-1A2B3C4D5E6F/i-0abc1234def567890"
        )
    );
    let actions: Vec<String> = lab.calls().into_iter().map(|c| c.action).collect();
    assert!(actions.contains(&"PUT /latest/api/token".to_owned()), "{actions:?}");
}
