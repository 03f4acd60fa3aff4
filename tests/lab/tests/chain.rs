//! Role chaining in the lab, through the real AWS SDK: `AssumeRole` decided by the trust
//! policy and the caller's policies (same account and cross account), ExternalIds, transitive
//! Pod Identity session tags and `sts:TagSession`, the one-hour cap on chained hops,
//! `PackedPolicySize`, and the IAM reads that explain a denial.

use std::path::Path;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_sdk_sts::error::ProvideErrorMetadata;
use aws_sdk_sts::types::Tag;
use connector_lab::{Lab, Scenario};

#[path = "common/http.rs"]
mod raw_http;

const CONNECTOR: &str = "arn:aws:iam::111122223333:role/xpander-redshift-access";

fn start(name: &str, edit: impl Fn(String) -> String) -> Lab {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../scenarios/{name}.toml"));
    let text = edit(std::fs::read_to_string(&path).unwrap());
    Lab::start(Scenario::from_toml_str(&text).unwrap()).unwrap()
}

fn env(lab: &Lab, name: &str) -> String {
    lab.pod_env().into_iter().find(|(k, _)| k == name).unwrap().1
}

fn sts(lab: &Lab, credentials: Option<Credentials>) -> aws_sdk_sts::Client {
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-1"))
        .endpoint_url(lab.aws_url())
        .retry_config(RetryConfig::disabled())
        .timeout_config(TimeoutConfig::builder().operation_timeout(Duration::from_secs(3)).build());
    if let Some(c) = credentials {
        config = config.credentials_provider(c);
    }
    aws_sdk_sts::Client::from_conf(config.build())
}

/// The pod's base credentials from the Pod Identity agent.
fn pod_identity(lab: &Lab) -> Credentials {
    let token = std::fs::read_to_string(env(lab, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")).unwrap();
    let (status, body) = raw_http::http(&lab.agent_url(), "GET", &[("Authorization", token.trim())]).unwrap();
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let field = |k: &str| doc[k].as_str().unwrap().to_owned();
    Credentials::new(field("AccessKeyId"), field("SecretAccessKey"), Some(field("Token")), None, "agent")
}

/// The pod's base credentials through IRSA.
async fn irsa(lab: &Lab) -> Credentials {
    let token = std::fs::read_to_string(env(lab, "AWS_WEB_IDENTITY_TOKEN_FILE")).unwrap();
    let out = sts(lab, None)
        .assume_role_with_web_identity()
        .role_arn(env(lab, "AWS_ROLE_ARN"))
        .role_session_name("spark")
        .web_identity_token(token.trim())
        .send()
        .await
        .unwrap();
    credentials(out.credentials.unwrap())
}

fn credentials(c: aws_sdk_sts::types::Credentials) -> Credentials {
    Credentials::new(c.access_key_id, c.secret_access_key, Some(c.session_token), None, "sts")
}

async fn assume(
    lab: &Lab,
    from: Credentials,
    role: &str,
    external_id: Option<&str>,
) -> Result<aws_sdk_sts::operation::assume_role::AssumeRoleOutput, (String, String)> {
    sts(lab, Some(from))
        .assume_role()
        .role_arn(role)
        .role_session_name("connector-doctor")
        .set_external_id(external_id.map(str::to_owned))
        .send()
        .await
        .map_err(|e| (e.code().unwrap_or_default().to_owned(), e.message().unwrap_or_default().to_owned()))
}

#[tokio::test]
async fn the_healthy_xpander_chain_hops_and_self_assumes() {
    let lab = start("healthy-xpander-chain", |t| t);
    let base = pod_identity(&lab);
    let hop = assume(&lab, base, CONNECTOR, None).await.unwrap();
    // Pod Identity's six transitive tags rode in: the size is reported, near the 74 % of real clusters.
    #[allow(deprecated)] // STS still sends PackedPolicySize; the SDK marks the field deprecated.
    let packed = hop.packed_policy_size.unwrap();
    assert!((60..=90).contains(&packed), "PackedPolicySize {packed}");
    let user = hop.assumed_role_user.clone().unwrap();
    assert_eq!(user.arn, "arn:aws:sts::111122223333:assumed-role/xpander-redshift-access/connector-doctor");
    let connector = credentials(hop.credentials.unwrap());
    let me = sts(&lab, Some(connector.clone())).get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some(user.arn.as_str()));
    // The self-assume the gateways do to refresh.
    let again = assume(&lab, connector.clone(), CONNECTOR, None).await.unwrap();
    assert!(again.credentials.is_some());
    // The 1-hour cap on chained hops, in STS's words.
    let err = sts(&lab, Some(connector))
        .assume_role()
        .role_arn(CONNECTOR)
        .role_session_name("long")
        .duration_seconds(7200)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(
        err.message(),
        Some(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
        )
    );
}

#[tokio::test]
async fn a_missing_trust_statement_denies_with_aws_words() {
    let lab = start("xpander-base-missing-in-trust", |t| t);
    let err = assume(&lab, pod_identity(&lab), CONNECTOR, None).await.unwrap_err();
    assert_eq!(err.0, "AccessDenied");
    assert!(
        err.1.starts_with("User: arn:aws:sts::111122223333:assumed-role/xpander-base-role/eks-xpander-prod-")
            && err.1.ends_with(&format!(
                " is not authorized to perform: sts:AssumeRole on resource: {CONNECTOR}"
            )),
        "{}",
        err.1
    );
    // The root statement still admits the base role with the organisation's ExternalId,
    // because the base role's own policy allows the hop.
    assert!(assume(&lab, pod_identity(&lab), CONNECTOR, Some("org-7f3a9c2e")).await.is_ok());
    assert_eq!(
        assume(&lab, pod_identity(&lab), CONNECTOR, Some("org-7f3a9c2e ")).await.unwrap_err().0,
        "ValidationError"
    );
    assert_eq!(
        assume(&lab, pod_identity(&lab), CONNECTOR, Some("org-wrong")).await.unwrap_err().0,
        "AccessDenied"
    );
}

#[tokio::test]
async fn transitive_tags_need_tag_session_and_disabling_them_fixes_it() {
    let lab = start("xpander-tag-session-missing", |t| t);
    let err = assume(&lab, pod_identity(&lab), CONNECTOR, None).await.unwrap_err();
    assert_eq!(err.0, "AccessDenied");
    assert!(err.1.contains("is not authorized to perform: sts:TagSession on resource"), "{}", err.1);
    let lab = start("xpander-tag-session-missing", |t| {
        t.replace("role = \"xpander-base-role\"\n", "role = \"xpander-base-role\"\nsession_tags = false\n")
    });
    let hop = assume(&lab, pod_identity(&lab), CONNECTOR, None).await.unwrap();
    #[allow(deprecated)]
    let packed = hop.packed_policy_size;
    assert_eq!(packed, None, "no tags, no packed size");
}

#[tokio::test]
async fn an_external_id_on_the_base_statement_blocks_internal_hops() {
    let lab = start("xpander-external-id-on-base-statement", |t| t);
    assert_eq!(assume(&lab, pod_identity(&lab), CONNECTOR, None).await.unwrap_err().0, "AccessDenied");
}

#[tokio::test]
async fn self_assume_needs_its_statement() {
    let lab = start("xpander-self-assume-missing", |t| t);
    let hop = assume(&lab, pod_identity(&lab), CONNECTOR, None).await.unwrap();
    let connector = credentials(hop.credentials.unwrap());
    let err = assume(&lab, connector, CONNECTOR, None).await.unwrap_err();
    assert_eq!(err.0, "AccessDenied");
    assert!(
        err.1.contains("assumed-role/xpander-redshift-access/connector-doctor is not authorized"),
        "{}",
        err.1
    );
}

#[tokio::test]
async fn explicit_tags_are_checked_and_sized() {
    let lab = start("healthy-xpander-chain", |t| {
        t.replace("role = \"xpander-base-role\"\n", "role = \"xpander-base-role\"\nsession_tags = false\n")
    });
    let long = "x".repeat(200);
    let tags: Vec<Tag> = (0..3)
        .map(|i| Tag::builder().key(format!("team-{i}")).value(long.clone()).build().unwrap())
        .collect();
    let err = sts(&lab, Some(pod_identity(&lab)))
        .assume_role()
        .role_arn(CONNECTOR)
        .role_session_name("tagged")
        .set_tags(Some(tags))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("PackedPolicyTooLarge"));
    assert!(err.message().unwrap().starts_with("Packed size of session tags consumes "), "{err:?}");
}

#[tokio::test]
async fn qualytics_same_account_trust_alone_grants_and_cross_account_needs_both() {
    let lab = start("healthy-qualytics", |t| t);
    let target = "arn:aws:iam::111122223333:role/qualytics-redshift-target";
    assert!(assume(&lab, irsa(&lab).await, target, Some("qualytics-4c1d-prod")).await.is_ok());
    assert_eq!(assume(&lab, irsa(&lab).await, target, None).await.unwrap_err().0, "AccessDenied");

    let managed_target = "arn:aws:iam::111122223333:role/acme-qualytics-target";
    let lab = start("healthy-qualytics-managed", |t| t);
    let hop = assume(&lab, irsa(&lab).await, managed_target, Some("acme-qualytics-2026")).await.unwrap();
    let caller =
        sts(&lab, Some(credentials(hop.credentials.unwrap()))).get_caller_identity().send().await.unwrap();
    assert_eq!(caller.account(), Some("111122223333"));
    let lab = start("qualytics-managed-base-policy-missing", |t| t);
    assert_eq!(
        assume(&lab, irsa(&lab).await, managed_target, Some("acme-qualytics-2026")).await.unwrap_err().0,
        "AccessDenied"
    );
}

/// An IAM read signed (in shape; the lab checks the key, not the signature) with `creds`.
fn iam(lab: &Lab, creds: &Credentials, form: &str) -> (u16, String) {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={}/20261121/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00",
        creds.access_key_id()
    );
    let token = creds.session_token().unwrap_or_default();
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Authorization", auth.as_str()),
        ("X-Amz-Security-Token", token),
    ];
    raw_http::request(&format!("{}/", lab.aws_url()), "POST", &headers, &format!("Version=2010-05-08&{form}"))
        .unwrap()
}

#[test]
fn iam_reads_answer_with_url_encoded_documents_and_are_authorized() {
    let lab = start("healthy-xpander-chain", |t| t);
    let base = pod_identity(&lab);
    let (status, body) = iam(&lab, &base, "Action=GetRole&RoleName=xpander-redshift-access");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<AssumeRolePolicyDocument>%7B%0A"), "{body}");
    assert!(body.contains("AllowFromBaseRole"), "{body}");
    let (_, body) = iam(&lab, &base, "Action=ListRolePolicies&RoleName=xpander-redshift-access");
    assert!(
        body.contains("<member>RedshiftCredentials</member>")
            && body.contains("<member>SelfAssumeAndTagSession</member>"),
        "{body}"
    );
    let (status, body) = iam(&lab, &base, "Action=GetRole&RoleName=nope");
    assert_eq!(status, 404);
    assert!(body.contains("The role with name nope cannot be found."), "{body}");
    // The connector role may not read IAM: the denial says why, as IAM does.
    let hop = futures_lite_block(assume(&lab, base, CONNECTOR, None)).unwrap();
    let connector = credentials(hop.credentials.unwrap());
    let (status, body) = iam(&lab, &connector, "Action=GetRole&RoleName=xpander-base-role");
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("is not authorized to perform: iam:GetRole on resource: role xpander-base-role because no identity-based policy allows the iam:GetRole action"),
        "{body}"
    );
}

/// Runs a future to completion on a fresh runtime (this test is synchronous: raw sockets).
fn futures_lite_block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}
