//! One policy at a time: actions, resources, principals, variables, near misses.

use super::*;

const ROLE: &str = "arn:aws:iam::111122223333:role/connector";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/connector/pod-1";

fn policy(json: &str) -> Policy {
    Policy::parse(json).unwrap()
}

fn user_request(action: &str, resource: &str) -> Request {
    Request::new(Principal::from_arn("arn:aws:iam::111122223333:user/alice").unwrap(), action, resource)
}

fn identity_decision(json: &str, request: &Request) -> Decision {
    evaluate_policy("p", &policy(json), PolicyKind::Identity, request).decision
}

#[test]
fn derived_context() {
    let request = Request::new(Principal::from_arn(SESSION).unwrap(), "sts:AssumeRole", ROLE);
    let context = request.effective_context();
    assert_eq!(context.get("aws:principalarn"), Some(&ContextValue::from(ROLE)));
    assert_eq!(context.get("aws:PrincipalAccount"), Some(&ContextValue::from("111122223333")));
    assert_eq!(context.get("aws:PrincipalType"), Some(&ContextValue::from("AssumedRole")));
    assert_eq!(context.get("aws:username"), None);
    assert_eq!(context.get("aws:userid"), None);

    let explicit =
        request.clone().with_context("AWS:PrincipalArn", "arn:aws:iam::111122223333:role/path/connector");
    assert_eq!(
        explicit.effective_context().get("aws:PrincipalArn"),
        Some(&ContextValue::from("arn:aws:iam::111122223333:role/path/connector"))
    );

    let user = user_request("s3:GetObject", "arn:aws:s3:::b/k").effective_context();
    assert_eq!(user.get("aws:username"), Some(&ContextValue::from("alice")));
    assert_eq!(user.get("aws:PrincipalType"), Some(&ContextValue::from("User")));

    let service = Request::new(Principal::service("pods.eks.amazonaws.com"), "sts:AssumeRole", ROLE)
        .effective_context();
    assert_eq!(service.get("aws:PrincipalServiceName"), Some(&ContextValue::from("pods.eks.amazonaws.com")));
    assert_eq!(service.get("aws:PrincipalAccount"), None);
}

#[test]
fn resource_account() {
    let request = Request::new(
        Principal::from_arn(SESSION).unwrap(),
        "sts:AssumeRole",
        "arn:aws:iam::444455556666:role/x",
    );
    assert_eq!(request.resource_account(), Some("444455556666"));
    let bucket = Request::new(Principal::from_arn(SESSION).unwrap(), "s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(bucket.resource_account(), Some("111122223333"));
    assert_eq!(bucket.with_resource_account("444455556666").resource_account(), Some("444455556666"));
}

#[test]
fn actions() {
    let request = user_request("sts:AssumeRole", ROLE);
    let cases: &[(&str, Decision)] = &[
        (r#""sts:AssumeRole""#, Decision::Allow),
        (r#""STS:assumerole""#, Decision::Allow),
        (r#""sts:Assume*""#, Decision::Allow),
        (r#""sts:*""#, Decision::Allow),
        (r#""*""#, Decision::Allow),
        (r#""sts:AssumeRol?""#, Decision::Allow),
        (r#""sts:TagSession""#, Decision::ImplicitDeny),
        (r#"["s3:*","sts:TagSession"]"#, Decision::ImplicitDeny),
    ];
    for (actions, expected) in cases {
        let json = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":{actions},"Resource":"*"}}}}"#
        );
        assert_eq!(identity_decision(&json, &request), *expected, "{actions}");
        let not = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","NotAction":{actions},"Resource":"*"}}}}"#
        );
        let flipped = if *expected == Decision::Allow { Decision::ImplicitDeny } else { Decision::Allow };
        assert_eq!(identity_decision(&not, &request), flipped, "NotAction {actions}");
    }
}

#[test]
fn resources() {
    let request = user_request("s3:GetObject", "arn:aws:s3:::data/alice/report.csv");
    let cases: &[(&str, bool)] = &[
        ("*", true),
        ("arn:aws:s3:::data/alice/report.csv", true),
        ("arn:aws:s3:::data/*", true),
        ("arn:aws:s3:::data/alice/*.csv", true),
        ("arn:aws:s3:::data/alice/report.cs?", true),
        ("arn:aws:s3:::data/${aws:username}/*", true),
        ("arn:aws:s3:::data/${aws:userid}/*", false),
        ("arn:aws:s3:::data/${aws:userid, 'alice'}/*", true),
        ("arn:aws:s3:::DATA/*", false),
        ("arn:aws:s3:::other/*", false),
        ("arn:aws:s3:*", true),
        ("arn:aws:*:::data/*", true),
        ("arn:aws:s3", false),
    ];
    for (resource, expected) in cases {
        let json = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"{resource}"}}}}"#
        );
        let decision = identity_decision(&json, &request);
        assert_eq!(decision == Decision::Allow, *expected, "Resource {resource}");
    }
}

#[test]
fn not_resource_and_unresolvable_variables() {
    let request = user_request("s3:GetObject", "arn:aws:s3:::data/alice/k");
    let deny_outside = |not_resource: &str| {
        let json = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*"}},
                {{"Effect":"Deny","Action":"*","NotResource":"{not_resource}"}}]}}"#
        );
        identity_decision(&json, &request)
    };
    assert_eq!(deny_outside("arn:aws:s3:::data/*"), Decision::Allow);
    assert_eq!(deny_outside("arn:aws:s3:::other/*"), Decision::ExplicitDeny);
    assert_eq!(deny_outside("arn:aws:s3:::data/${aws:username}/*"), Decision::Allow);
    // A variable that cannot be substituted makes the NotResource not apply.
    assert_eq!(deny_outside("arn:aws:s3:::other/${aws:userid}/*"), Decision::Allow);
}

#[test]
fn variables_only_in_2012() {
    let request = user_request("s3:GetObject", "arn:aws:s3:::data/alice/k");
    let old = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::data/${aws:username}/*"}}"#;
    assert_eq!(identity_decision(old, &request), Decision::ImplicitDeny);
    let literal = user_request("s3:GetObject", "arn:aws:s3:::data/${aws:username}/k");
    assert_eq!(identity_decision(old, &literal), Decision::Allow);
    let none =
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::data/${aws:username}/*"}}"#;
    assert_eq!(identity_decision(none, &request), Decision::ImplicitDeny);
}

#[test]
fn deny_beats_allow_within_a_policy() {
    let request = user_request("sts:AssumeRole", ROLE);
    let json = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"Allow","Effect":"Allow","Action":"sts:*","Resource":"*"},
        {"Sid":"Deny","Effect":"Deny","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/connector"}]}"#;
    let result = evaluate_policy("inline policy X", &policy(json), PolicyKind::Identity, &request);
    assert_eq!(result.decision, Decision::ExplicitDeny);
    assert_eq!(result.allowed_by.len(), 1);
    assert_eq!(result.denied_by[0].to_string(), r#"statement "Deny" of inline policy X"#);
}

#[test]
fn identity_policies_ignore_principal_elements_resource_policies_need_them() {
    let request = user_request("sts:AssumeRole", ROLE);
    let no_principal =
        policy(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}"#);
    assert_eq!(evaluate_policy("p", &no_principal, PolicyKind::Identity, &request).decision, Decision::Allow);
    assert_eq!(
        evaluate_policy("p", &no_principal, PolicyKind::Resource, &request).decision,
        Decision::ImplicitDeny
    );
    let other = policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"}}}"#,
    );
    assert_eq!(evaluate_policy("p", &other, PolicyKind::Identity, &request).decision, Decision::Allow);
    assert_eq!(evaluate_policy("p", &other, PolicyKind::Resource, &request).decision, Decision::ImplicitDeny);
}

#[test]
fn near_misses_name_every_failed_condition() {
    let request = Request::new(Principal::from_arn(SESSION).unwrap(), "sts:AssumeRole", ROLE)
        .with_context("sts:ExternalId", "org-1 ");
    let trust = policy(
        r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"WithExternalId","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole",
         "Condition":{"StringEquals":{"sts:ExternalId":"org-1","aws:SourceIdentity":"x"},"Bool":{"aws:SecureTransport":"true"}}},
        {"Sid":"OtherAction","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:TagSession",
         "Condition":{"StringEquals":{"sts:ExternalId":"org-1"}}},
        {"Sid":"DenyWithCondition","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole",
         "Condition":{"Bool":{"aws:ViaAWSService":"true"}}}]}"#,
    );
    let result = evaluate_policy("trust policy", &trust, PolicyKind::Resource, &request);
    assert_eq!(result.decision, Decision::ImplicitDeny);
    assert_eq!(result.near_misses.len(), 1, "only the Allow statement that targets the request");
    let miss = &result.near_misses[0];
    assert_eq!(miss.statement.sid.as_deref(), Some("WithExternalId"));
    let keys: Vec<&str> = miss.failed.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys.len(), 3);
    let external = miss.failed.iter().find(|f| f.key == "sts:ExternalId").unwrap();
    assert_eq!(external.actual, Some(ContextValue::from("org-1 ")));
    assert_eq!(external.expected, ["org-1"]);
    assert_eq!(
        external.to_string(),
        r#"StringEquals on sts:ExternalId expects "org-1", the request has "org-1 ""#
    );
    let absent = miss.failed.iter().find(|f| f.key == "aws:SourceIdentity").unwrap();
    assert_eq!(absent.actual, None);
    assert!(absent.to_string().ends_with("the request does not carry aws:SourceIdentity"));
}

#[test]
fn statement_refs_display() {
    let with_sid =
        StatementRef { policy: "trust policy".into(), index: 3, sid: Some("AllowFromBaseRole".into()) };
    assert_eq!(with_sid.to_string(), r#"statement "AllowFromBaseRole" of trust policy"#);
    let without = StatementRef { policy: "inline policy SelfAssume".into(), index: 1, sid: None };
    assert_eq!(without.to_string(), "statement 2 of inline policy SelfAssume");
}

#[test]
fn conditions_on_derived_keys() {
    let request = Request::new(Principal::from_arn(SESSION).unwrap(), "sts:AssumeRole", ROLE);
    let trust = policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole",
        "Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/connector"},
                     "StringEquals":{"aws:PrincipalAccount":"111122223333","aws:PrincipalType":"AssumedRole"}}}}"#,
    );
    assert_eq!(evaluate_policy("trust", &trust, PolicyKind::Resource, &request).decision, Decision::Allow);
}
