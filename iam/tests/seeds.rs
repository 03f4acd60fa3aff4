//! Seed scenarios: the xpander connector-role trust policy and its broken variants, same- and
//! cross-account rules, explicit denies and permissions boundaries, decided through the public
//! API the way connector-doctor and the lab use it.

use connector_iam::{Authorization, Decision, Policies, Policy, Principal, Request, authorize};
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";
const ORG_ID: &str = "org-7f3a9c";
const THIS_ROLE: &str = "xpander-connector";
const BASE_ROLE: &str = "xpander-base-role";
const ACTIONS: [&str; 2] = ["sts:AssumeRole", "sts:TagSession"];

fn role_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role/{name}")
}

fn session(account: &str, role: &str, name: &str) -> Principal {
    Principal::from_arn(&format!("arn:aws:sts::{account}:assumed-role/{role}/{name}")).unwrap()
}

fn this_role() -> String {
    role_arn(ACCOUNT, THIS_ROLE)
}

fn pod_identity() -> Value {
    json!({"Sid": "PodIdentity", "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ACTIONS})
}

fn cross_account_with_external_id() -> Value {
    json!({"Sid": "CrossAccountWithExternalId", "Effect": "Allow",
           "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": ACTIONS,
           "Condition": {"StringEquals": {"sts:ExternalId": ORG_ID}}})
}

fn self_assume() -> Value {
    json!({"Sid": "SelfAssume", "Effect": "Allow", "Principal": {"AWS": this_role()}, "Action": ACTIONS})
}

fn allow_from_base_role() -> Value {
    json!({"Sid": "AllowFromBaseRole", "Effect": "Allow", "Principal": {"AWS": role_arn(ACCOUNT, BASE_ROLE)}, "Action": ACTIONS})
}

fn policy(statements: &[Value]) -> Policy {
    Policy::from_value(&json!({"Version": "2012-10-17", "Statement": statements})).unwrap()
}

/// The connector role's trust policy as xpander sets it up.
fn xpander_trust() -> Policy {
    policy(&[pod_identity(), cross_account_with_external_id(), self_assume(), allow_from_base_role()])
}

/// An identity policy allowing `action` on the connector role.
fn may_assume(action: &str) -> Policy {
    policy(&[json!({"Sid": "AssumeConnector", "Effect": "Allow", "Action": action, "Resource": this_role()})])
}

fn request(caller: Principal, action: &str) -> Request {
    Request::new(caller, action, &this_role())
}

fn with_external_id(request: Request, external_id: &str) -> Request {
    request.with_context("sts:ExternalId", external_id)
}

fn decide(
    request: &Request,
    trust: &Policy,
    identity: Option<Policy>,
    boundary: Option<Policy>,
) -> Authorization {
    let mut policies = Policies::new().with_resource("trust policy", trust.clone());
    if let Some(identity) = identity {
        policies = policies.with_identity("inline policy AssumeConnector", identity);
    }
    if let Some(boundary) = boundary {
        policies = policies.with_boundary("boundary ConnectorBoundary", boundary);
    }
    authorize(request, &policies)
}

fn reasons(authorization: &Authorization) -> String {
    authorization.reasons.join("\n")
}

#[track_caller]
fn assert_decision(authorization: &Authorization, expected: Decision) {
    assert_eq!(authorization.decision, expected, "reasons:\n{}", reasons(authorization));
}

#[track_caller]
fn assert_reason(authorization: &Authorization, fragment: &str) {
    let text = reasons(authorization);
    assert!(text.contains(fragment), "expected a reason containing {fragment:?}, got:\n{text}");
}

#[test]
fn xpander_trust_allows_each_intended_caller() {
    let trust = xpander_trust();
    for action in ACTIONS {
        let pod = decide(&request(Principal::service("pods.eks.amazonaws.com"), action), &trust, None, None);
        assert_decision(&pod, Decision::Allow);
        assert_reason(&pod, r#"statement "PodIdentity" of trust policy"#);

        let base = decide(&request(session(ACCOUNT, BASE_ROLE, "agent"), action), &trust, None, None);
        assert_decision(&base, Decision::Allow);
        assert_reason(&base, r#"statement "AllowFromBaseRole" of trust policy"#);

        let own = decide(&request(session(ACCOUNT, THIS_ROLE, "pod-1"), action), &trust, None, None);
        assert_decision(&own, Decision::Allow);
        assert_reason(&own, r#"statement "SelfAssume" of trust policy"#);
        assert!(!own.cross_account);

        let other = with_external_id(request(session(ACCOUNT, "platform", "job"), action), ORG_ID);
        let with_identity = decide(&other, &trust, Some(may_assume(action)), None);
        assert_decision(&with_identity, Decision::Allow);
        assert_reason(&with_identity, r#"statement "CrossAccountWithExternalId" of trust policy"#);
        assert_reason(&with_identity, r#"statement "AssumeConnector" of inline policy AssumeConnector"#);
    }
}

#[test]
fn root_statement_alone_needs_the_identity_side() {
    let trust = xpander_trust();
    let other = with_external_id(request(session(ACCOUNT, "platform", "job"), "sts:AssumeRole"), ORG_ID);
    let denied = decide(&other, &trust, None, None);
    assert_decision(&denied, Decision::ImplicitDeny);
    assert_reason(&denied, "trusts only the caller's account");
    assert_reason(&denied, "No identity policy was given");

    let wrong_action = decide(&other, &trust, Some(may_assume("sts:TagSession")), None);
    assert_decision(&wrong_action, Decision::ImplicitDeny);
    assert_reason(&wrong_action, "No identity policy of the caller allows sts:AssumeRole");
}

#[test]
fn external_id_on_the_wrong_statement() {
    // The ExternalId condition moved from the root statement onto AllowFromBaseRole.
    let mut guarded_base = allow_from_base_role();
    guarded_base["Condition"] = json!({"StringEquals": {"sts:ExternalId": ORG_ID}});
    let mut open_root = cross_account_with_external_id();
    open_root.as_object_mut().unwrap().remove("Condition");
    let trust = policy(&[pod_identity(), open_root, self_assume(), guarded_base]);

    let base = decide(&request(session(ACCOUNT, BASE_ROLE, "agent"), "sts:AssumeRole"), &trust, None, None);
    assert_decision(&base, Decision::ImplicitDeny);
    let resource = base.resource.as_ref().unwrap();
    let miss = resource
        .near_misses
        .iter()
        .find(|m| m.statement.sid.as_deref() == Some("AllowFromBaseRole"))
        .expect("AllowFromBaseRole is a near miss");
    assert_eq!(miss.failed.len(), 1);
    assert_eq!(miss.failed[0].key, "sts:ExternalId");
    assert_eq!(miss.failed[0].actual, None);
    assert_reason(
        &base,
        r#"Statement "AllowFromBaseRole" of trust policy would allow it, but its condition failed"#,
    );
    assert_reason(&base, "sts:ExternalId");

    let with_id = with_external_id(request(session(ACCOUNT, BASE_ROLE, "agent"), "sts:AssumeRole"), ORG_ID);
    assert_decision(&decide(&with_id, &trust, None, None), Decision::Allow);
}

#[test]
fn tag_session_missing() {
    let only_assume = |mut statement: Value| {
        statement["Action"] = json!("sts:AssumeRole");
        statement
    };
    let trust = policy(&[
        only_assume(pod_identity()),
        only_assume(cross_account_with_external_id()),
        only_assume(self_assume()),
        only_assume(allow_from_base_role()),
    ]);
    for caller in [Principal::service("pods.eks.amazonaws.com"), session(ACCOUNT, BASE_ROLE, "agent")] {
        assert_decision(
            &decide(&request(caller.clone(), "sts:AssumeRole"), &trust, None, None),
            Decision::Allow,
        );
        let tag = decide(&request(caller, "sts:TagSession"), &trust, None, None);
        assert_decision(&tag, Decision::ImplicitDeny);
        assert_reason(&tag, "No statement of trust policy allows");
    }
    // An identity policy allowing sts:* does not stand in for the trust policy.
    let with_identity = decide(
        &request(session(ACCOUNT, BASE_ROLE, "agent"), "sts:TagSession"),
        &trust,
        Some(may_assume("sts:*")),
        None,
    );
    assert_decision(&with_identity, Decision::ImplicitDeny);
    assert_reason(&with_identity, "a role trust policy must also allow the caller");
}

#[test]
fn self_assume_missing() {
    let trust = policy(&[pod_identity(), cross_account_with_external_id(), allow_from_base_role()]);
    let own = request(session(ACCOUNT, THIS_ROLE, "pod-1"), "sts:AssumeRole");
    let denied = decide(&own, &trust, None, None);
    assert_decision(&denied, Decision::ImplicitDeny);
    assert!(!denied.cross_account);
    assert_reason(&denied, r#"Statement "CrossAccountWithExternalId" of trust policy would allow it"#);
    // Even an identity policy does not help without the ExternalId the root statement wants.
    assert_decision(&decide(&own, &trust, Some(may_assume("sts:AssumeRole")), None), Decision::ImplicitDeny);
    // With the ExternalId and the identity policy, the root statement admits it.
    let with_id = with_external_id(own, ORG_ID);
    assert_decision(&decide(&with_id, &trust, Some(may_assume("sts:AssumeRole")), None), Decision::Allow);
}

#[test]
fn allow_from_base_role_missing() {
    let trust = policy(&[pod_identity(), cross_account_with_external_id(), self_assume()]);
    let base = request(session(ACCOUNT, BASE_ROLE, "agent"), "sts:AssumeRole");
    let denied = decide(&base, &trust, None, None);
    assert_decision(&denied, Decision::ImplicitDeny);
    let miss = &denied.resource.as_ref().unwrap().near_misses;
    assert_eq!(miss.len(), 1);
    assert_eq!(miss[0].statement.sid.as_deref(), Some("CrossAccountWithExternalId"));

    // Only the root statement, no ExternalId: denied even with an identity policy.
    let root_only = policy(&[cross_account_with_external_id()]);
    assert_decision(
        &decide(&base, &root_only, Some(may_assume("sts:AssumeRole")), None),
        Decision::ImplicitDeny,
    );
    // The right ExternalId without identity policy: denied, the root statement only delegates.
    let with_id = with_external_id(base, ORG_ID);
    let no_identity = decide(&with_id, &root_only, None, None);
    assert_decision(&no_identity, Decision::ImplicitDeny);
    assert_reason(&no_identity, "delegates the decision to the caller's identity policies");
    // The right ExternalId and an identity policy: allowed.
    assert_decision(&decide(&with_id, &root_only, Some(may_assume("sts:AssumeRole")), None), Decision::Allow);
}

#[test]
fn external_id_values() {
    let trust = policy(&[cross_account_with_external_id()]);
    let caller = || request(session(ACCOUNT, "platform", "job"), "sts:AssumeRole");
    let identity = || Some(may_assume("sts:AssumeRole"));

    let right = decide(&with_external_id(caller(), ORG_ID), &trust, identity(), None);
    assert_decision(&right, Decision::Allow);

    for (external_id, shown) in
        [("org-0000", r#"the request has "org-0000""#), ("org-7f3a9c ", r#"the request has "org-7f3a9c ""#)]
    {
        let wrong = decide(&with_external_id(caller(), external_id), &trust, identity(), None);
        assert_decision(&wrong, Decision::ImplicitDeny);
        let miss = &wrong.resource.as_ref().unwrap().near_misses[0];
        assert_eq!(miss.failed[0].key, "sts:ExternalId");
        assert_eq!(miss.failed[0].expected, [ORG_ID]);
        assert_reason(&wrong, shown);
    }

    let absent = decide(&caller(), &trust, identity(), None);
    assert_decision(&absent, Decision::ImplicitDeny);
    assert_reason(&absent, "the request does not carry sts:ExternalId");

    // Condition keys are case-insensitive; values are not.
    let shouting = caller().with_context("STS:EXTERNALID", ORG_ID);
    assert_decision(&decide(&shouting, &trust, identity(), None), Decision::Allow);
    let upper = with_external_id(caller(), &ORG_ID.to_uppercase());
    assert_decision(&decide(&upper, &trust, identity(), None), Decision::ImplicitDeny);
}

#[test]
fn same_account_principal_levels() {
    let caller = || request(session(ACCOUNT, "platform", "job"), "sts:AssumeRole");
    let trust_naming = |principal: Value| {
        policy(&[
            json!({"Sid": "Trust", "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}),
        ])
    };
    // The role ARN, or the session ARN, suffices alone within the account.
    for named in [role_arn(ACCOUNT, "platform"), format!("arn:aws:sts::{ACCOUNT}:assumed-role/platform/job")]
    {
        let allowed = decide(&caller(), &trust_naming(json!(named)), None, None);
        assert_decision(&allowed, Decision::Allow);
    }
    // A different session of the role is not named by a session ARN.
    let other_session = trust_naming(json!(format!("arn:aws:sts::{ACCOUNT}:assumed-role/platform/other")));
    assert_decision(&decide(&caller(), &other_session, None, None), Decision::ImplicitDeny);
    // The account, as root ARN or bare id, needs the identity side.
    for named in [format!("arn:aws:iam::{ACCOUNT}:root"), ACCOUNT.to_owned()] {
        let trust = trust_naming(json!(named));
        assert_decision(&decide(&caller(), &trust, None, None), Decision::ImplicitDeny);
        assert_decision(
            &decide(&caller(), &trust, Some(may_assume("sts:AssumeRole")), None),
            Decision::Allow,
        );
    }
    // "*" admits everyone.
    assert_decision(&decide(&caller(), &trust_naming(json!("*")), None, None), Decision::Allow);
    // An identity policy without any trust: denied, a role must trust its caller.
    let unrelated = trust_naming(json!(role_arn(ACCOUNT, "someone-else")));
    let denied = decide(&caller(), &unrelated, Some(may_assume("sts:AssumeRole")), None);
    assert_decision(&denied, Decision::ImplicitDeny);
    assert_reason(&denied, "a role trust policy must also allow the caller, even within the same account");
    // And no trust policy at all.
    let nothing =
        authorize(&caller(), &Policies::new().with_identity("inline", may_assume("sts:AssumeRole")));
    assert_decision(&nothing, Decision::ImplicitDeny);
    assert_reason(&nothing, "No trust policy was given");
}

#[test]
fn cross_account_needs_both_sides() {
    let caller = || request(session(OTHER_ACCOUNT, "xpander-cloud", "agent"), "sts:AssumeRole");
    let trust_naming = |principal: String| {
        policy(&[
            json!({"Sid": "Vendor", "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}),
        ])
    };
    for named in [role_arn(OTHER_ACCOUNT, "xpander-cloud"), format!("arn:aws:iam::{OTHER_ACCOUNT}:root")] {
        let trust = trust_naming(named);
        let trust_only = decide(&caller(), &trust, None, None);
        assert_decision(&trust_only, Decision::ImplicitDeny);
        assert!(trust_only.cross_account);
        assert_reason(
            &trust_only,
            "cross-account request (caller in account 444455556666, resource in account 111122223333)",
        );
        assert_decision(
            &decide(&caller(), &trust, Some(may_assume("sts:AssumeRole")), None),
            Decision::Allow,
        );
    }
    // The identity side alone is not enough either.
    let stranger = trust_naming(role_arn(OTHER_ACCOUNT, "someone-else"));
    let denied = decide(&caller(), &stranger, Some(may_assume("sts:AssumeRole")), None);
    assert_decision(&denied, Decision::ImplicitDeny);
    assert_reason(&denied, "No statement of trust policy allows");
    // The trusting side's own account in the trust does not admit a foreign caller.
    let own_root = trust_naming(format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_decision(
        &decide(&caller(), &own_root, Some(may_assume("sts:AssumeRole")), None),
        Decision::ImplicitDeny,
    );
}

#[test]
fn explicit_deny_wins() {
    let caller = request(session(ACCOUNT, BASE_ROLE, "agent"), "sts:AssumeRole");
    let deny_base = json!({"Sid": "NoBase", "Effect": "Deny", "Principal": {"AWS": role_arn(ACCOUNT, BASE_ROLE)}, "Action": "sts:*"});
    let trust = policy(&[
        pod_identity(),
        cross_account_with_external_id(),
        self_assume(),
        allow_from_base_role(),
        deny_base,
    ]);
    assert_eq!(trust.statements().len(), 5);
    let denied = decide(&caller, &trust, Some(may_assume("sts:AssumeRole")), None);
    assert_decision(&denied, Decision::ExplicitDeny);
    assert_reason(&denied, r#"Explicitly denied by statement "NoBase" of trust policy"#);

    let identity_deny =
        policy(&[json!({"Sid": "NoAssume", "Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"})]);
    let denied = decide(&caller, &xpander_trust(), Some(identity_deny), None);
    assert_decision(&denied, Decision::ExplicitDeny);
    assert_reason(&denied, r#"statement "NoAssume" of inline policy AssumeConnector"#);

    let boundary_deny = policy(&[
        json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        json!({"Sid": "Fence", "Effect": "Deny", "Action": "sts:*", "Resource": "*"}),
    ]);
    let denied = decide(&caller, &xpander_trust(), None, Some(boundary_deny));
    assert_decision(&denied, Decision::ExplicitDeny);
    assert_reason(&denied, r#"statement "Fence" of boundary ConnectorBoundary"#);

    // A Deny naming the account applies to every principal of it.
    let account_deny =
        json!({"Sid": "NoOne", "Effect": "Deny", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"});
    let trust = policy(&[self_assume(), account_deny]);
    let own = request(session(ACCOUNT, THIS_ROLE, "pod-1"), "sts:AssumeRole");
    assert_decision(&decide(&own, &trust, None, None), Decision::ExplicitDeny);
}

#[test]
fn boundaries_cap_the_identity_side_and_role_grants() {
    let s3_only = || Some(policy(&[json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})]));
    let assume_ok = || {
        Some(policy(&[
            json!({"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}),
        ]))
    };

    // Root statement + identity policy: the boundary must allow too.
    let trust = policy(&[cross_account_with_external_id()]);
    let caller = with_external_id(request(session(ACCOUNT, "platform", "job"), "sts:AssumeRole"), ORG_ID);
    let blocked = decide(&caller, &trust, Some(may_assume("sts:AssumeRole")), s3_only());
    assert_decision(&blocked, Decision::ImplicitDeny);
    assert_reason(&blocked, "the permissions boundary boundary ConnectorBoundary does not");
    assert_decision(
        &decide(&caller, &trust, Some(may_assume("sts:AssumeRole")), assume_ok()),
        Decision::Allow,
    );

    // Cross-account: the boundary caps the required identity side.
    let vendor = request(session(OTHER_ACCOUNT, "xpander-cloud", "agent"), "sts:AssumeRole");
    let vendor_trust = policy(&[
        json!({"Effect": "Allow", "Principal": {"AWS": role_arn(OTHER_ACCOUNT, "xpander-cloud")}, "Action": "sts:AssumeRole"}),
    ]);
    assert_decision(
        &decide(&vendor, &vendor_trust, Some(may_assume("sts:AssumeRole")), s3_only()),
        Decision::ImplicitDeny,
    );

    // A trust grant to the role ARN is capped by the role's boundary…
    let base = request(session(ACCOUNT, BASE_ROLE, "agent"), "sts:AssumeRole");
    let role_grant = decide(&base, &xpander_trust(), None, s3_only());
    assert_decision(&role_grant, Decision::ImplicitDeny);
    assert_reason(&role_grant, "a grant to a role ARN is capped by the role's permissions boundary");
    assert_decision(&decide(&base, &xpander_trust(), None, assume_ok()), Decision::Allow);

    // …a grant to the session ARN is not.
    let session_trust = policy(&[json!({"Sid": "ThisSession", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{BASE_ROLE}/agent")}, "Action": "sts:AssumeRole"})]);
    assert_decision(&decide(&base, &session_trust, None, s3_only()), Decision::Allow);

    // A user named in a role trust policy needs its boundary to allow sts:AssumeRole.
    let user = Request::new(
        Principal::from_arn(&format!("arn:aws:iam::{ACCOUNT}:user/ops")).unwrap(),
        "sts:AssumeRole",
        &this_role(),
    );
    let user_trust = policy(&[
        json!({"Sid": "Ops", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/ops")}, "Action": "sts:AssumeRole"}),
    ]);
    assert_decision(&decide(&user, &user_trust, None, None), Decision::Allow);
    let capped = decide(&user, &user_trust, None, s3_only());
    assert_decision(&capped, Decision::ImplicitDeny);
    assert_reason(&capped, "the user's permissions boundary");
}

#[test]
fn services_and_web_identities_need_only_the_trust_policy() {
    let trust = xpander_trust();
    let other_service =
        decide(&request(Principal::service("ec2.amazonaws.com"), "sts:AssumeRole"), &trust, None, None);
    assert_decision(&other_service, Decision::ImplicitDeny);
    assert_reason(&other_service, "No statement of trust policy allows service ec2.amazonaws.com");

    let issuer = "oidc.eks.us-east-1.amazonaws.com/id/5C3B8F0E";
    let oidc_trust = policy(&[json!({"Sid": "Irsa", "Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}")},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {format!("{issuer}:sub"): "system:serviceaccount:xpander:connector",
                                       format!("{issuer}:aud"): "sts.amazonaws.com"}}})]);
    let web = |sub: &str| {
        Request::new(
            Principal::federated(&format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}")),
            "sts:AssumeRoleWithWebIdentity",
            &this_role(),
        )
        .with_context(&format!("{issuer}:sub"), sub)
        .with_context(&format!("{issuer}:aud"), "sts.amazonaws.com")
    };
    assert_decision(
        &decide(&web("system:serviceaccount:xpander:connector"), &oidc_trust, None, None),
        Decision::Allow,
    );
    let wrong_sa = decide(&web("system:serviceaccount:default:other"), &oidc_trust, None, None);
    assert_decision(&wrong_sa, Decision::ImplicitDeny);
    assert_reason(&wrong_sa, ":sub expects \"system:serviceaccount:xpander:connector\"");
}

#[test]
fn same_account_resource_policies_other_than_trust_are_either_or() {
    let caller =
        || Request::new(session(ACCOUNT, THIS_ROLE, "pod-1"), "s3:GetObject", "arn:aws:s3:::xpander-data/k");
    let bucket = |principal: Value| {
        policy(&[
            json!({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::xpander-data/*"}),
        ])
    };
    let read = policy(&[json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})]);
    let with = |resource: Option<Policy>, identity: Option<Policy>| {
        let mut policies = Policies::new();
        if let Some(resource) = resource {
            policies = policies.with_resource("bucket policy", resource);
        }
        if let Some(identity) = identity {
            policies = policies.with_identity("inline", identity);
        }
        authorize(&caller(), &policies)
    };
    assert_decision(&with(None, Some(read.clone())), Decision::Allow);
    assert_decision(&with(Some(bucket(json!(this_role()))), None), Decision::Allow);
    assert_decision(&with(Some(bucket(json!(ACCOUNT))), None), Decision::ImplicitDeny);
    assert_decision(&with(Some(bucket(json!(ACCOUNT))), Some(read)), Decision::Allow);
    assert_decision(&with(None, None), Decision::ImplicitDeny);
}

#[test]
fn not_principal_deny_and_boundaries() {
    let caller =
        || Request::new(session(ACCOUNT, THIS_ROLE, "pod-1"), "s3:GetObject", "arn:aws:s3:::xpander-data/k");
    let bucket = policy(&[
        json!({"Effect": "Allow", "Principal": {"AWS": this_role()}, "Action": "s3:GetObject", "Resource": "*"}),
        json!({"Sid": "OnlyThisSession", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
               "NotPrincipal": {"AWS": [ACCOUNT, this_role(), format!("arn:aws:sts::{ACCOUNT}:assumed-role/{THIS_ROLE}/pod-1")]}}),
    ]);
    let plain = authorize(&caller(), &Policies::new().with_resource("bucket policy", bucket.clone()));
    assert_decision(&plain, Decision::Allow);
    let other_session =
        Request::new(session(ACCOUNT, THIS_ROLE, "pod-2"), "s3:GetObject", "arn:aws:s3:::xpander-data/k");
    assert_decision(
        &authorize(&other_session, &Policies::new().with_resource("bucket policy", bucket.clone())),
        Decision::ExplicitDeny,
    );
    // With a permissions boundary attached, the NotPrincipal Deny applies whatever it lists.
    let everything = policy(&[json!({"Effect": "Allow", "Action": "*", "Resource": "*"})]);
    let bounded = authorize(
        &caller(),
        &Policies::new().with_resource("bucket policy", bucket).with_boundary("boundary", everything),
    );
    assert_decision(&bounded, Decision::ExplicitDeny);
}

#[test]
fn get_caller_identity_needs_no_permission() {
    let caller = Request::new(session(ACCOUNT, THIS_ROLE, "pod-1"), "sts:GetCallerIdentity", "*");
    let deny_all = policy(&[json!({"Effect": "Deny", "Action": "*", "Resource": "*"})]);
    assert_decision(&authorize(&caller, &Policies::new()), Decision::Allow);
    assert_decision(&authorize(&caller, &Policies::new().with_identity("deny", deny_all)), Decision::Allow);
}

#[test]
fn account_root_caller() {
    let root = || Principal::from_arn(&format!("arn:aws:iam::{ACCOUNT}:root")).unwrap();
    // Root credentials cannot call AssumeRole, whatever the trust policy says.
    let open_trust = policy(&[json!({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})]);
    let assume = decide(&request(root(), "sts:AssumeRole"), &open_trust, None, None);
    assert_decision(&assume, Decision::ImplicitDeny);
    assert_reason(&assume, "root user cannot assume a role");
    // In its own account the root user needs no policy, but an explicit deny still binds it.
    let read = Request::new(root(), "s3:GetObject", "arn:aws:s3:::xpander-data/k");
    assert_decision(&authorize(&read, &Policies::new()), Decision::Allow);
    let deny = policy(&[json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"})]);
    assert_decision(
        &authorize(&read, &Policies::new().with_resource("bucket policy", deny)),
        Decision::ExplicitDeny,
    );
    // In another account it is an ordinary cross-account caller.
    let foreign = Request::new(root(), "s3:GetObject", "arn:aws:s3:::vendor-data/k")
        .with_resource_account(OTHER_ACCOUNT);
    assert_decision(&authorize(&foreign, &Policies::new()), Decision::ImplicitDeny);
}
