//! Generated variations: callers, `sts:ExternalId` values, session tags, wildcards, `Not*` elements, explicit
//! denies, condition operators, same- and cross-account grants, and permissions boundaries.
//! Everything is enumerated in a fixed order from fixed tables, so the corpus is the same on
//! every run.

// The functions below are tables of cases: long, and clearer kept whole.
#![allow(clippy::too_many_lines)]

use serde_json::{Value, json};

use super::case::{
    ACCOUNT, Caller, Case, ORG_ID, OTHER_ACCOUNT, OTHER_ORG_ID, STRANGER_ACCOUNT, Source,
    XPANDER_ORG_EXTERNAL_ID, policy, role_arn, root_arn, session_arn, user_arn,
};
use super::seeds::{
    XP_BASE, XP_REDSHIFT, pod_identity, secret_arn, xp_base_assume_connectors, xp_connector_trust,
    xp_platform_identity, xp_self_assume,
};

fn allow(action: Value, resource: Value) -> Value {
    let mut statement = serde_json::Map::new();
    statement.insert("Effect".into(), Value::String("Allow".into()));
    statement.insert("Action".into(), action);
    statement.insert("Resource".into(), resource);
    Value::Object(statement)
}

/// A request for the `Not*`/`Deny` table: name, action, resource, context.
type NotRequest<'a> = (&'a str, &'a str, String, Vec<(&'a str, &'a str)>);

/// A trust-policy edge case: name, trust policy, context.
type TrustEdge<'a> = (&'a str, Value, Vec<(&'a str, &'a str)>);

/// Session tags of a request: name, tags, `aws:TagKeys`, `sts:TransitiveTagKeys`.
type Tags<'a> = (&'a str, &'a [(&'a str, &'a str)], Option<&'a [&'a str]>, Option<&'a [&'a str]>);

fn gen_case(name: String, caller: Caller, action: &str, resource: &str) -> Case {
    Case::new(Source::Generated, name, caller, action, resource)
}

/// Who calls, and the identity policy that comes with them.
struct Who {
    tag: &'static str,
    caller: Caller,
    identity: Option<(&'static str, Value)>,
}

fn assume_anything() -> Value {
    policy(vec![allow(json!(["sts:AssumeRole", "sts:TagSession"]), json!("*"))])
}

fn callers() -> Vec<Who> {
    vec![
        Who {
            tag: "base-role-session",
            caller: Caller::Arn(session_arn(ACCOUNT, XP_BASE, "gw-1")),
            identity: Some(("AssumeConnectorRoles", xp_base_assume_connectors())),
        },
        Who {
            tag: "connector-self-session",
            caller: Caller::Arn(session_arn(ACCOUNT, XP_REDSHIFT, "gw-refresh")),
            identity: Some(("SelfAssumeAndTagSession", xp_self_assume(XP_REDSHIFT))),
        },
        Who { tag: "account-root", caller: Caller::Arn(root_arn(ACCOUNT)), identity: None },
        Who {
            tag: "platform-role-session",
            caller: Caller::Arn(session_arn(OTHER_ACCOUNT, "xpander-platform-operations", "sync")),
            identity: Some(("AssumeCustomerConnectorRoles", xp_platform_identity())),
        },
        Who {
            tag: "platform-user",
            caller: Caller::Arn(user_arn(OTHER_ACCOUNT, "xpander-ops")),
            identity: Some(("AssumeCustomerConnectorRoles", xp_platform_identity())),
        },
        Who {
            tag: "platform-role-without-permissions",
            caller: Caller::Arn(session_arn(OTHER_ACCOUNT, "readonly-auditor", "audit")),
            identity: None,
        },
        Who { tag: "platform-account-root", caller: Caller::Arn(root_arn(OTHER_ACCOUNT)), identity: None },
        Who {
            tag: "stranger-account-role",
            caller: Caller::Arn(session_arn(STRANGER_ACCOUNT, "xpander-platform-operations", "sync")),
            identity: Some(("AssumeAnything", assume_anything())),
        },
        Who { tag: "pod-identity", caller: pod_identity(), identity: None },
        Who {
            tag: "same-account-other-role",
            caller: Caller::Arn(session_arn(ACCOUNT, "analytics-etl", "airflow")),
            identity: Some(("AssumeAnything", assume_anything())),
        },
        Who {
            tag: "same-account-user",
            caller: Caller::Arn(user_arn(ACCOUNT, "alice")),
            identity: Some(("AssumeAnything", assume_anything())),
        },
        Who {
            tag: "same-account-user-without-permissions",
            caller: Caller::Arn(user_arn(ACCOUNT, "bob")),
            identity: None,
        },
    ]
}

fn with_who(mut case: Case, who: &Who) -> Case {
    if let Some((name, doc)) = &who.identity {
        case = case.identity(name, doc.clone());
    }
    case
}

/// Every caller against the connector trust policy, with every kind of `sts:ExternalId`.
fn caller_by_external_id(out: &mut Vec<Case>) {
    let external_ids: [(&str, Option<String>); 7] = [
        ("absent", None),
        ("exact", Some(XPANDER_ORG_EXTERNAL_ID.to_owned())),
        ("wrong", Some("org-0000aa".to_owned())),
        ("trailing-space", Some(format!("{XPANDER_ORG_EXTERNAL_ID} "))),
        ("trailing-newline", Some(format!("{XPANDER_ORG_EXTERNAL_ID}\n"))),
        ("upper-case", Some(XPANDER_ORG_EXTERNAL_ID.to_uppercase())),
        ("empty", Some(String::new())),
    ];
    let target = role_arn(ACCOUNT, XP_REDSHIFT);
    for who in callers() {
        for (tag, external_id) in &external_ids {
            let mut case = gen_case(
                format!("gen/caller-x-external-id/{}/{tag}", who.tag),
                who.caller.clone(),
                "sts:AssumeRole",
                &target,
            )
            .resource_policy("connector-trust", xp_connector_trust(XP_REDSHIFT));
            if let Some(value) = external_id {
                case = case.ctx("sts:ExternalId", value);
            }
            out.push(with_who(case, &who));
        }
    }
}

/// Session tags against trust policies that constrain them.
fn session_tags(out: &mut Vec<Case>) {
    let base = role_arn(ACCOUNT, XP_BASE);
    let stmt = |condition: Value| {
        json!({
            "Effect": "Allow",
            "Principal": { "AWS": base },
            "Action": "sts:TagSession",
            "Condition": condition
        })
    };
    let trusts: Vec<(&str, Value)> = vec![
        (
            "request-tag-equals",
            policy(vec![stmt(json!({ "StringEquals": { "aws:RequestTag/xpander-connector": "redshift" } }))]),
        ),
        (
            "tag-keys-for-all-values",
            policy(vec![stmt(json!({
                "ForAllValues:StringEquals": { "aws:TagKeys": ["xpander-connector", "kubernetes-namespace"] }
            }))]),
        ),
        (
            "tag-keys-for-any-value",
            policy(vec![stmt(json!({ "ForAnyValue:StringEquals": { "aws:TagKeys": "xpander-connector" } }))]),
        ),
        (
            "request-tag-like",
            policy(vec![stmt(
                json!({ "StringLike": { "aws:RequestTag/kubernetes-namespace": "xpander*" } }),
            )]),
        ),
        (
            "transitive-keys-for-all-values",
            policy(vec![stmt(
                json!({ "ForAllValues:StringEquals": { "sts:TransitiveTagKeys": "xpander-connector" } }),
            )]),
        ),
        ("tag-keys-not-null", policy(vec![stmt(json!({ "Null": { "aws:TagKeys": "false" } }))])),
        (
            "deny-owner-tag",
            policy(vec![
                stmt(json!({ "StringLike": { "aws:RequestTag/xpander-connector": "*" } })),
                json!({
                    "Effect": "Deny",
                    "Principal": { "AWS": "*" },
                    "Action": "sts:TagSession",
                    "Condition": { "ForAnyValue:StringEquals": { "aws:TagKeys": ["owner", "cost-center"] } }
                }),
            ]),
        ),
        (
            "keys-like-and-namespace-if-exists",
            policy(vec![stmt(json!({
                "ForAllValues:StringLike": { "aws:TagKeys": ["xpander-*", "kubernetes-*"] },
                "StringEqualsIfExists": { "aws:RequestTag/kubernetes-namespace": "xpander" }
            }))]),
        ),
    ];
    let contexts: [Tags<'_>; 10] = [
        ("no-tags", &[], None, None),
        ("empty-tag-keys", &[], Some(&[]), None),
        ("connector-redshift", &[("xpander-connector", "redshift")], Some(&["xpander-connector"]), None),
        ("connector-eks", &[("xpander-connector", "eks")], Some(&["xpander-connector"]), None),
        (
            "connector-and-namespace",
            &[("xpander-connector", "redshift"), ("kubernetes-namespace", "xpander")],
            Some(&["xpander-connector", "kubernetes-namespace"]),
            None,
        ),
        (
            "extra-owner-tag",
            &[("xpander-connector", "redshift"), ("owner", "alice")],
            Some(&["xpander-connector", "owner"]),
            None,
        ),
        (
            "transitive-connector",
            &[("xpander-connector", "redshift")],
            Some(&["xpander-connector"]),
            Some(&["xpander-connector"]),
        ),
        (
            "transitive-connector-and-owner",
            &[("xpander-connector", "redshift"), ("owner", "alice")],
            Some(&["xpander-connector", "owner"]),
            Some(&["xpander-connector", "owner"]),
        ),
        (
            "namespace-staging",
            &[("xpander-connector", "redshift"), ("kubernetes-namespace", "xpander-staging")],
            Some(&["xpander-connector", "kubernetes-namespace"]),
            None,
        ),
        (
            "empty-transitive-keys",
            &[("xpander-connector", "redshift")],
            Some(&["xpander-connector"]),
            Some(&[]),
        ),
    ];
    let target = role_arn(ACCOUNT, XP_REDSHIFT);
    for (trust_name, trust) in &trusts {
        for (ctx_name, tags, keys, transitive) in &contexts {
            let mut case = gen_case(
                format!("gen/session-tags/{trust_name}/{ctx_name}"),
                Caller::Arn(session_arn(ACCOUNT, XP_BASE, "gw-1")),
                "sts:TagSession",
                &target,
            )
            .identity("AssumeConnectorRoles", xp_base_assume_connectors())
            .resource_policy(trust_name, trust.clone());
            for (key, value) in *tags {
                case = case.ctx(&format!("aws:RequestTag/{key}"), value);
            }
            if let Some(keys) = keys {
                case = case.ctx_list("aws:TagKeys", keys);
            }
            if let Some(transitive) = transitive {
                case = case.ctx_list("sts:TransitiveTagKeys", transitive);
            }
            out.push(case);
        }
    }
}

/// Wildcards and case in Action and Resource.
fn wildcards(out: &mut Vec<Case>) {
    let policies: Vec<(&str, Value)> = vec![
        ("get-star-on-lake", policy(vec![allow(json!("s3:Get*"), json!("arn:aws:s3:::acme-data-lake/*"))])),
        ("star-object-on-acme", policy(vec![allow(json!("s3:*Object"), json!("arn:aws:s3:::acme-*/*"))])),
        ("everything", policy(vec![allow(json!("*"), json!("*"))])),
        (
            "action-case-insensitive",
            policy(vec![allow(json!("S3:getobject"), json!("arn:aws:s3:::acme-data-lake/*"))]),
        ),
        (
            "resource-case-sensitive",
            policy(vec![allow(json!("s3:GetObject"), json!("arn:aws:s3:::ACME-DATA-LAKE/*"))]),
        ),
        (
            "question-marks",
            policy(vec![allow(json!("s3:Get?bject"), json!("arn:aws:s3:::acme-data-lake/raw/????/*"))]),
        ),
        (
            "secrets-any-region",
            policy(vec![allow(
                json!("secretsmanager:*"),
                json!(format!("arn:aws:secretsmanager:*:{ACCOUNT}:secret:xpander/*")),
            )]),
        ),
        (
            "secrets-get-any-account",
            policy(vec![allow(
                json!("secretsmanager:Get*"),
                json!("arn:aws:secretsmanager:us-east-1:*:secret:*"),
            )]),
        ),
        (
            "service-prefix-only",
            policy(vec![allow(
                json!(["s3:List*", "secretsmanager:Describe*"]),
                json!(["arn:aws:s3:::*", "arn:aws:secretsmanager:*:*:*"]),
            )]),
        ),
    ];
    let requests: [(&str, &str, String); 8] = [
        ("get-lake-object", "s3:GetObject", "arn:aws:s3:::acme-data-lake/raw/2025/orders.csv".to_owned()),
        (
            "get-lake-object-short-dir",
            "s3:GetObject",
            "arn:aws:s3:::acme-data-lake/raw/25/orders.csv".to_owned(),
        ),
        ("put-lake-object", "s3:PutObject", "arn:aws:s3:::acme-data-lake/raw/2025/x.csv".to_owned()),
        ("get-finance-object", "s3:GetObject", "arn:aws:s3:::acme-finance/ledger.csv".to_owned()),
        ("list-lake-bucket", "s3:ListBucket", "arn:aws:s3:::acme-data-lake".to_owned()),
        ("get-secret", "secretsmanager:GetSecretValue", secret_arn("xpander/prod/openai-AbCdEf")),
        ("put-secret", "secretsmanager:PutSecretValue", secret_arn("xpander/prod/openai-AbCdEf")),
        (
            "get-secret-us-west-2",
            "secretsmanager:GetSecretValue",
            format!("arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:xpander/prod/openai-AbCdEf"),
        ),
    ];
    for (policy_name, doc) in &policies {
        for (request_name, action, resource) in &requests {
            out.push(
                gen_case(
                    format!("gen/wildcards/{policy_name}/{request_name}"),
                    Caller::Arn(user_arn(ACCOUNT, "alice")),
                    action,
                    resource,
                )
                .owner(ACCOUNT)
                .identity(policy_name, doc.clone()),
            );
        }
    }
}

/// `NotAction`, `NotResource` and explicit `Deny` statements in identity policies.
fn not_elements_and_denies(out: &mut Vec<Case>) {
    let policies: Vec<(&str, Value)> = vec![
        ("not-action-iam", policy(vec![json!({ "Effect": "Allow", "NotAction": "iam:*", "Resource": "*" })])),
        (
            "not-resource-finance",
            policy(vec![
                json!({ "Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::acme-finance/*" }),
            ]),
        ),
        (
            "deny-not-action-read",
            policy(vec![
                allow(json!("*"), json!("*")),
                json!({ "Effect": "Deny", "NotAction": ["s3:Get*", "s3:List*", "secretsmanager:Get*"], "Resource": "*" }),
            ]),
        ),
        (
            "deny-s3-not-resource-lake",
            policy(vec![
                allow(json!("*"), json!("*")),
                json!({ "Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::acme-data-lake", "arn:aws:s3:::acme-data-lake/*"] }),
            ]),
        ),
        (
            "deny-delete-without-mfa",
            policy(vec![
                allow(json!("s3:*"), json!("*")),
                json!({
                    "Effect": "Deny",
                    "Action": "s3:DeleteObject",
                    "Resource": "*",
                    "Condition": { "BoolIfExists": { "aws:MultiFactorAuthPresent": "false" } }
                }),
            ]),
        ),
        (
            "deny-outside-region",
            policy(vec![
                allow(json!("*"), json!("*")),
                json!({
                    "Effect": "Deny",
                    "NotAction": ["iam:*", "sts:*"],
                    "Resource": "*",
                    "Condition": { "StringNotEquals": { "aws:RequestedRegion": "us-east-1" } }
                }),
            ]),
        ),
        (
            "deny-wins-over-allow",
            policy(vec![
                allow(json!("secretsmanager:GetSecretValue"), json!("*")),
                json!({
                    "Effect": "Deny",
                    "Action": "secretsmanager:*",
                    "Resource": secret_arn("xpander/prod/*")
                }),
            ]),
        ),
    ];
    let requests: Vec<NotRequest<'_>> = vec![
        (
            "get-lake",
            "s3:GetObject",
            "arn:aws:s3:::acme-data-lake/a.csv".into(),
            vec![("aws:RequestedRegion", "us-east-1")],
        ),
        (
            "get-finance",
            "s3:GetObject",
            "arn:aws:s3:::acme-finance/b.csv".into(),
            vec![("aws:RequestedRegion", "us-east-1")],
        ),
        (
            "delete-lake-with-mfa",
            "s3:DeleteObject",
            "arn:aws:s3:::acme-data-lake/a.csv".into(),
            vec![("aws:MultiFactorAuthPresent", "true"), ("aws:RequestedRegion", "us-east-1")],
        ),
        (
            "delete-lake-without-mfa",
            "s3:DeleteObject",
            "arn:aws:s3:::acme-data-lake/a.csv".into(),
            vec![("aws:MultiFactorAuthPresent", "false"), ("aws:RequestedRegion", "us-east-1")],
        ),
        ("delete-lake-mfa-key-absent", "s3:DeleteObject", "arn:aws:s3:::acme-data-lake/a.csv".into(), vec![]),
        ("iam-create-user", "iam:CreateUser", format!("arn:aws:iam::{ACCOUNT}:user/mallory"), vec![]),
        (
            "secret-in-region",
            "secretsmanager:GetSecretValue",
            secret_arn("xpander/prod/openai-AbCdEf"),
            vec![("aws:RequestedRegion", "us-east-1")],
        ),
        (
            "secret-outside-region",
            "secretsmanager:GetSecretValue",
            format!("arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:xpander/prod/openai-AbCdEf"),
            vec![("aws:RequestedRegion", "eu-west-1")],
        ),
        (
            "secret-staging",
            "secretsmanager:GetSecretValue",
            secret_arn("xpander/staging/openai-AbCdEf"),
            vec![("aws:RequestedRegion", "us-east-1")],
        ),
    ];
    for (policy_name, doc) in &policies {
        for (request_name, action, resource, context) in &requests {
            let mut case = gen_case(
                format!("gen/not-and-deny/{policy_name}/{request_name}"),
                Caller::Arn(session_arn(ACCOUNT, "data-engineer", "carol")),
                action,
                resource,
            )
            .owner(ACCOUNT)
            .identity(policy_name, doc.clone());
            for (key, value) in context {
                case = case.ctx(key, value);
            }
            out.push(case);
        }
    }
}

/// A condition block, the context it is tested against, and a name for both.
struct CondCase {
    name: &'static str,
    condition: Value,
    context: Vec<(&'static str, Ctx)>,
}

enum Ctx {
    One(&'static str),
    Many(&'static [&'static str]),
}

fn cond(name: &'static str, condition: Value, context: Vec<(&'static str, Ctx)>) -> CondCase {
    CondCase { name, condition, context }
}

/// Condition operators on a secret read, one request context per row.
fn condition_operators(out: &mut Vec<Case>) {
    use Ctx::{Many, One};
    let secure = || json!({ "Bool": { "aws:SecureTransport": "true" } });
    let secure_if_exists = || json!({ "BoolIfExists": { "aws:SecureTransport": "true" } });
    let mfa_young = || json!({ "NumericLessThan": { "aws:MultiFactorAuthAge": "3600" } });
    let mfa_young_if_exists = || json!({ "NumericLessThanIfExists": { "aws:MultiFactorAuthAge": "3600" } });
    let after_2025 = || json!({ "DateGreaterThan": { "aws:CurrentTime": "2025-01-01T00:00:00Z" } });
    let before_2026 = || json!({ "DateLessThanIfExists": { "aws:CurrentTime": "2026-01-01T00:00:00Z" } });
    let org = || json!({ "StringEquals": { "aws:PrincipalOrgID": ORG_ID } });
    let vpc = || json!({ "IpAddress": { "aws:SourceIp": ["10.0.0.0/16", "192.0.2.0/24"] } });
    let not_vpc = || json!({ "NotIpAddress": { "aws:SourceIp": "10.0.0.0/16" } });
    let ou = || json!({ "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": format!("{ORG_ID}/r-ab12/ou-ab12-11111111/*") } });
    let rows = vec![
        cond("bool-true", secure(), vec![("aws:SecureTransport", One("true"))]),
        cond("bool-false", secure(), vec![("aws:SecureTransport", One("false"))]),
        cond("bool-absent", secure(), vec![]),
        cond("bool-if-exists-false", secure_if_exists(), vec![("aws:SecureTransport", One("false"))]),
        cond("bool-if-exists-absent", secure_if_exists(), vec![]),
        cond("null-true-absent", json!({ "Null": { "aws:MultiFactorAuthAge": "true" } }), vec![]),
        cond(
            "null-true-present",
            json!({ "Null": { "aws:MultiFactorAuthAge": "true" } }),
            vec![("aws:MultiFactorAuthAge", One("30"))],
        ),
        cond(
            "null-false-present",
            json!({ "Null": { "aws:MultiFactorAuthAge": "false" } }),
            vec![("aws:MultiFactorAuthAge", One("30"))],
        ),
        cond("null-false-absent", json!({ "Null": { "aws:MultiFactorAuthAge": "false" } }), vec![]),
        cond("numeric-less-young", mfa_young(), vec![("aws:MultiFactorAuthAge", One("120"))]),
        cond("numeric-less-old", mfa_young(), vec![("aws:MultiFactorAuthAge", One("7200"))]),
        cond("numeric-less-boundary", mfa_young(), vec![("aws:MultiFactorAuthAge", One("3600"))]),
        cond("numeric-less-absent", mfa_young(), vec![]),
        cond("numeric-less-if-exists-absent", mfa_young_if_exists(), vec![]),
        cond(
            "numeric-less-if-exists-old",
            mfa_young_if_exists(),
            vec![("aws:MultiFactorAuthAge", One("86400"))],
        ),
        cond(
            "numeric-greater-equals",
            json!({ "NumericGreaterThanEquals": { "aws:MultiFactorAuthAge": "60" } }),
            vec![("aws:MultiFactorAuthAge", One("60"))],
        ),
        cond(
            "numeric-not-equals",
            json!({ "NumericNotEquals": { "aws:MultiFactorAuthAge": "0" } }),
            vec![("aws:MultiFactorAuthAge", One("0"))],
        ),
        cond("date-after-later", after_2025(), vec![("aws:CurrentTime", One("2025-06-01T12:00:00Z"))]),
        cond("date-after-earlier", after_2025(), vec![("aws:CurrentTime", One("2024-12-31T23:59:59Z"))]),
        cond("date-after-absent", after_2025(), vec![]),
        cond(
            "date-before-if-exists-later",
            before_2026(),
            vec![("aws:CurrentTime", One("2026-03-01T00:00:00Z"))],
        ),
        cond("date-before-if-exists-absent", before_2026(), vec![]),
        cond(
            "date-epoch-greater",
            json!({ "DateGreaterThan": { "aws:EpochTime": "1735689600" } }),
            vec![("aws:EpochTime", One("1750000000"))],
        ),
        cond(
            "date-two-operators-window",
            json!({
                "DateGreaterThan": { "aws:CurrentTime": "2025-01-01T00:00:00Z" },
                "DateLessThan": { "aws:CurrentTime": "2025-12-31T23:59:59Z" }
            }),
            vec![("aws:CurrentTime", One("2025-07-04T09:30:00Z"))],
        ),
        cond(
            "date-two-operators-outside",
            json!({
                "DateGreaterThan": { "aws:CurrentTime": "2025-01-01T00:00:00Z" },
                "DateLessThan": { "aws:CurrentTime": "2025-12-31T23:59:59Z" }
            }),
            vec![("aws:CurrentTime", One("2026-07-04T09:30:00Z"))],
        ),
        cond("org-equals-member", org(), vec![]),
        cond("org-not-equals", json!({ "StringNotEquals": { "aws:PrincipalOrgID": OTHER_ORG_ID } }), vec![]),
        cond("ip-inside", vpc(), vec![("aws:SourceIp", One("10.0.3.4"))]),
        cond("ip-second-range", vpc(), vec![("aws:SourceIp", One("192.0.2.77"))]),
        cond("ip-outside", vpc(), vec![("aws:SourceIp", One("198.51.100.7"))]),
        cond("ip-absent", vpc(), vec![]),
        cond("not-ip-inside", not_vpc(), vec![("aws:SourceIp", One("10.0.3.4"))]),
        cond("not-ip-outside", not_vpc(), vec![("aws:SourceIp", One("198.51.100.7"))]),
        cond("not-ip-absent", not_vpc(), vec![]),
        cond(
            "org-paths-any-match",
            ou(),
            vec![(
                "aws:PrincipalOrgPaths",
                Many(&["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"]),
            )],
        ),
        cond(
            "org-paths-any-no-match",
            ou(),
            vec![("aws:PrincipalOrgPaths", Many(&["o-a1b2c3d4e5/r-ab12/ou-ab12-99999999/"]))],
        ),
        cond("org-paths-any-empty", ou(), vec![("aws:PrincipalOrgPaths", Many(&[]))]),
        cond("org-paths-any-absent", ou(), vec![]),
        cond(
            "org-paths-all-absent",
            json!({ "ForAllValues:StringLike": { "aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*" } }),
            vec![],
        ),
        cond(
            "org-paths-all-mixed",
            json!({ "ForAllValues:StringLike": { "aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*" } }),
            vec![("aws:PrincipalOrgPaths", Many(&["o-a1b2c3d4e5/r-ab12/", "o-zzzzzzzzzz/r-cd34/"]))],
        ),
        cond(
            "principal-arn-like",
            json!({ "ArnLike": { "aws:PrincipalArn": format!("arn:aws:iam::{ACCOUNT}:role/xpander-*") } }),
            vec![],
        ),
        cond(
            "principal-arn-equals-other",
            json!({ "ArnEquals": { "aws:PrincipalArn": format!("arn:aws:iam::{ACCOUNT}:role/xpander-base-role") } }),
            vec![],
        ),
        cond(
            "principal-arn-not-like",
            json!({ "ArnNotLike": { "aws:PrincipalArn": "arn:aws:iam::*:role/admin-*" } }),
            vec![],
        ),
        cond(
            "principal-arn-string-like-any-account",
            json!({ "StringLike": { "aws:PrincipalArn": "arn:aws:iam::*:role/xpander-controller" } }),
            vec![],
        ),
        cond(
            "string-equals-multiple-values",
            json!({ "StringEquals": { "aws:PrincipalAccount": [OTHER_ACCOUNT, ACCOUNT] } }),
            vec![],
        ),
        cond(
            "string-equals-two-keys-one-fails",
            json!({ "StringEquals": { "aws:PrincipalAccount": ACCOUNT, "aws:PrincipalOrgID": OTHER_ORG_ID } }),
            vec![],
        ),
        cond(
            "string-equals-ignore-case",
            json!({ "StringEqualsIgnoreCase": { "aws:PrincipalTag/team": "DATA-PLATFORM" } }),
            vec![("aws:PrincipalTag/team", One("data-platform"))],
        ),
        cond(
            "string-equals-case-sensitive",
            json!({ "StringEquals": { "aws:PrincipalTag/team": "DATA-PLATFORM" } }),
            vec![("aws:PrincipalTag/team", One("data-platform"))],
        ),
        cond(
            "string-not-like-absent",
            json!({ "StringNotLike": { "aws:PrincipalTag/team": "contractor-*" } }),
            vec![],
        ),
        cond(
            "string-not-like-match",
            json!({ "StringNotLike": { "aws:PrincipalTag/team": "contractor-*" } }),
            vec![("aws:PrincipalTag/team", One("contractor-acme"))],
        ),
        cond(
            "condition-key-name-case",
            json!({ "StringEquals": { "AWS:principaltag/Team": "data-platform" } }),
            vec![("aws:PrincipalTag/team", One("data-platform"))],
        ),
        cond(
            "string-like-question-mark",
            json!({ "StringLike": { "aws:PrincipalTag/ticket": "OPS-????" } }),
            vec![("aws:PrincipalTag/ticket", One("OPS-1234"))],
        ),
        cond(
            "string-like-question-mark-too-long",
            json!({ "StringLike": { "aws:PrincipalTag/ticket": "OPS-????" } }),
            vec![("aws:PrincipalTag/ticket", One("OPS-12345"))],
        ),
        cond(
            "string-equals-if-exists-absent",
            json!({ "StringEqualsIfExists": { "aws:PrincipalTag/team": "data-platform" } }),
            vec![],
        ),
        cond(
            "string-equals-if-exists-other",
            json!({ "StringEqualsIfExists": { "aws:PrincipalTag/team": "data-platform" } }),
            vec![("aws:PrincipalTag/team", One("finance"))],
        ),
    ];
    let callers = [
        ("controller", Caller::Arn(session_arn(ACCOUNT, "xpander-controller", "pod-1"))),
        ("other-account", Caller::Arn(session_arn(OTHER_ACCOUNT, "xpander-platform-operations", "sync"))),
    ];
    let secret = secret_arn("xpander/prod/openai-AbCdEf");
    for row in &rows {
        for (caller_name, caller) in &callers {
            // The second caller only for the rows about the principal's identity.
            let principal_row = row.name.starts_with("org-") && !row.name.starts_with("org-paths")
                || row.name.starts_with("principal-arn")
                || row.name.starts_with("string-equals-multiple")
                || row.name.starts_with("string-equals-two-keys");
            if *caller_name == "other-account" && !principal_row {
                continue;
            }
            let statement = json!({
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
                "Condition": row.condition
            });
            let mut case = gen_case(
                format!("gen/conditions/{}/{caller_name}", row.name),
                caller.clone(),
                "secretsmanager:GetSecretValue",
                &secret,
            );
            if *caller_name == "other-account" {
                // Cross-account: the secret's policy lets the account in, the identity policy decides.
                case = case.resource_policy(
                    "secret-policy",
                    policy(vec![json!({
                        "Effect": "Allow",
                        "Principal": { "AWS": root_arn(OTHER_ACCOUNT) },
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": "*"
                    })]),
                );
            }
            case = case.identity("conditional-read", policy(vec![statement]));
            for (key, value) in &row.context {
                case = match value {
                    One(v) => case.ctx(key, v),
                    Many(list) => case.ctx_list(key, list),
                };
            }
            out.push(case);
        }
    }

    // Multivalued aws:TagKeys on a tagging call, with set operators.
    let tag_rows: [(&str, Value); 4] = [
        ("for-all-values", json!({ "ForAllValues:StringEquals": { "aws:TagKeys": ["team", "env"] } })),
        ("for-any-value", json!({ "ForAnyValue:StringEquals": { "aws:TagKeys": ["team", "env"] } })),
        (
            "for-all-values-not-equals",
            json!({ "ForAllValues:StringNotEquals": { "aws:TagKeys": ["owner"] } }),
        ),
        ("for-any-value-like", json!({ "ForAnyValue:StringLike": { "aws:TagKeys": "xpander:*" } })),
    ];
    let tag_contexts: [(&str, Option<&[&str]>); 5] = [
        ("subset", Some(&["team"])),
        ("exact", Some(&["team", "env"])),
        ("superset", Some(&["team", "env", "owner"])),
        ("empty", Some(&[])),
        ("absent", None),
    ];
    for (row_name, condition) in &tag_rows {
        for (ctx_name, keys) in &tag_contexts {
            let mut case = gen_case(
                format!("gen/conditions/tag-keys/{row_name}/{ctx_name}"),
                Caller::Arn(session_arn(ACCOUNT, "xpander-controller", "pod-1")),
                "secretsmanager:TagResource",
                &secret,
            )
            .identity(
                "tag-secrets",
                policy(vec![json!({
                    "Effect": "Allow",
                    "Action": "secretsmanager:TagResource",
                    "Resource": "*",
                    "Condition": condition
                })]),
            );
            if let Some(keys) = keys {
                case = case.ctx_list("aws:TagKeys", keys);
            }
            out.push(case);
        }
    }

    // Policy variables in Resource and Condition.
    let team_secret = policy(vec![allow(
        json!("secretsmanager:GetSecretValue"),
        json!(format!("arn:aws:secretsmanager:*:{ACCOUNT}:secret:${{aws:PrincipalTag/team}}/*")),
    )]);
    let own_account = policy(vec![json!({
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
        "Condition": { "StringEquals": { "aws:ResourceAccount": "${aws:PrincipalAccount}" } }
    })]);
    let vars: [(&str, &Value, &str, Option<&str>); 5] = [
        ("resource-variable-match", &team_secret, "xpander/prod/openai-AbCdEf", Some("xpander")),
        ("resource-variable-other-team", &team_secret, "xpander/prod/openai-AbCdEf", Some("billing")),
        ("resource-variable-tag-absent", &team_secret, "xpander/prod/openai-AbCdEf", None),
        ("condition-variable-same-account", &own_account, "xpander/prod/openai-AbCdEf", None),
        ("condition-variable-team-prefix", &team_secret, "billing/stripe-Zx9Yw8", Some("billing")),
    ];
    for (name, doc, secret_name, team) in vars {
        let mut case = gen_case(
            format!("gen/conditions/variables/{name}"),
            Caller::Arn(session_arn(ACCOUNT, "xpander-controller", "pod-1")),
            "secretsmanager:GetSecretValue",
            &secret_arn(secret_name),
        )
        .identity("team-secrets", doc.clone())
        .ctx("aws:ResourceAccount", ACCOUNT);
        if let Some(team) = team {
            case = case.ctx("aws:PrincipalTag/team", team);
        }
        out.push(case);
    }
}

/// Same-account and cross-account grants: identity side only, resource side only, both.
fn account_boundaries(out: &mut Vec<Case>) {
    let bucket = "acme-shared-exports";
    let object = format!("arn:aws:s3:::{bucket}/exports/2025-06-01.csv");
    let reader_identity =
        policy(vec![allow(json!("s3:GetObject"), json!(format!("arn:aws:s3:::{bucket}/*")))]);
    let bucket_stmt = |principal: Value, condition: Option<Value>| {
        let mut s = json!({
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/*")
        });
        if let Some(c) = condition {
            s["Condition"] = c;
        }
        s
    };
    let callers = [
        ("same-account", ACCOUNT, Caller::Arn(session_arn(ACCOUNT, "exports-reader", "job-1"))),
        ("cross-account", OTHER_ACCOUNT, Caller::Arn(session_arn(OTHER_ACCOUNT, "exports-reader", "job-1"))),
    ];
    for (where_, account, caller) in &callers {
        let bucket_policies: Vec<(&str, Option<Value>)> = vec![
            ("no-bucket-policy", None),
            (
                "role-arn",
                Some(policy(vec![bucket_stmt(json!({ "AWS": role_arn(account, "exports-reader") }), None)])),
            ),
            ("account-root", Some(policy(vec![bucket_stmt(json!({ "AWS": root_arn(account) }), None)]))),
            ("bare-account-id", Some(policy(vec![bucket_stmt(json!({ "AWS": *account }), None)]))),
            (
                "session-arn",
                Some(policy(vec![bucket_stmt(
                    json!({ "AWS": session_arn(account, "exports-reader", "job-1") }),
                    None,
                )])),
            ),
            (
                "other-session-arn",
                Some(policy(vec![bucket_stmt(
                    json!({ "AWS": session_arn(account, "exports-reader", "job-2") }),
                    None,
                )])),
            ),
            (
                "star-with-org",
                Some(policy(vec![bucket_stmt(
                    json!("*"),
                    Some(json!({ "StringEquals": { "aws:PrincipalOrgID": ORG_ID } })),
                )])),
            ),
            (
                "star-with-account-condition",
                Some(policy(vec![bucket_stmt(
                    json!({ "AWS": "*" }),
                    Some(json!({ "StringEquals": { "aws:PrincipalAccount": [ACCOUNT, OTHER_ACCOUNT] } })),
                )])),
            ),
            (
                "deny-role",
                Some(policy(vec![
                    bucket_stmt(json!({ "AWS": root_arn(account) }), None),
                    json!({
                        "Effect": "Deny",
                        "Principal": { "AWS": role_arn(account, "exports-reader") },
                        "Action": "s3:*",
                        "Resource": format!("arn:aws:s3:::{bucket}/*")
                    }),
                ])),
            ),
        ];
        for (policy_name, bucket_policy) in bucket_policies {
            for with_identity in [true, false] {
                let mut case = gen_case(
                    format!(
                        "gen/accounts/s3/{where_}/{policy_name}/{}",
                        if with_identity { "identity-allows" } else { "no-identity-policy" }
                    ),
                    caller.clone(),
                    "s3:GetObject",
                    &object,
                )
                .owner(ACCOUNT);
                if with_identity {
                    case = case.identity("ReadExports", reader_identity.clone());
                }
                if let Some(doc) = &bucket_policy {
                    case = case.resource_policy("bucket-policy", doc.clone());
                }
                out.push(case);
            }
        }
    }

    // Role trust: a trust statement naming the role vs the account, with and without identity allow.
    let target = role_arn(ACCOUNT, "reporting-readonly");
    for (where_, account) in [("same-account", ACCOUNT), ("cross-account", OTHER_ACCOUNT)] {
        for (principal_name, principal) in [
            ("trusts-role", json!({ "AWS": role_arn(account, "reporting-job") })),
            ("trusts-account", json!({ "AWS": root_arn(account) })),
            ("trusts-bare-account-id", json!({ "AWS": account })),
            ("trusts-star-with-account", json!({ "AWS": "*" })),
        ] {
            let mut stmt = json!({ "Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole" });
            if principal_name == "trusts-star-with-account" {
                stmt["Condition"] = json!({ "StringEquals": { "aws:PrincipalAccount": account } });
            }
            for with_identity in [true, false] {
                let mut case = gen_case(
                    format!(
                        "gen/accounts/trust/{where_}/{principal_name}/{}",
                        if with_identity { "identity-allows" } else { "no-identity-policy" }
                    ),
                    Caller::Arn(session_arn(account, "reporting-job", "nightly")),
                    "sts:AssumeRole",
                    &target,
                )
                .resource_policy("trust", policy(vec![stmt.clone()]));
                if with_identity {
                    case = case.identity(
                        "AssumeReporting",
                        policy(vec![allow(json!("sts:AssumeRole"), json!(target.clone()))]),
                    );
                }
                out.push(case);
            }
        }
    }

    // NotPrincipal with Deny in a bucket policy, written the way the IAM guide recommends.
    let np_bucket = "acme-audit-logs";
    let np_object = format!("arn:aws:s3:::{np_bucket}/2025/06/01/log.gz");
    let np_policy = policy(vec![
        json!({
            "Effect": "Allow",
            "Principal": { "AWS": root_arn(OTHER_ACCOUNT) },
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{np_bucket}/*")
        }),
        json!({
            "Effect": "Deny",
            "NotPrincipal": { "AWS": [
                session_arn(OTHER_ACCOUNT, "cross-account-audit", "audit-app"),
                role_arn(OTHER_ACCOUNT, "cross-account-audit"),
                root_arn(OTHER_ACCOUNT)
            ] },
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{np_bucket}"), format!("arn:aws:s3:::{np_bucket}/*")]
        }),
    ]);
    let audit_read = policy(vec![allow(json!("s3:GetObject"), json!(format!("arn:aws:s3:::{np_bucket}/*")))]);
    for (name, caller) in [
        ("named-session", Caller::Arn(session_arn(OTHER_ACCOUNT, "cross-account-audit", "audit-app"))),
        (
            "other-session-of-named-role",
            Caller::Arn(session_arn(OTHER_ACCOUNT, "cross-account-audit", "backfill")),
        ),
        (
            "other-role-in-named-account",
            Caller::Arn(session_arn(OTHER_ACCOUNT, "billing-reader", "audit-app")),
        ),
        ("user-in-named-account", Caller::Arn(user_arn(OTHER_ACCOUNT, "auditor"))),
        (
            "third-account-role",
            Caller::Arn(session_arn(STRANGER_ACCOUNT, "cross-account-audit", "audit-app")),
        ),
        ("bucket-account-user", Caller::Arn(user_arn(ACCOUNT, "alice"))),
    ] {
        out.push(
            gen_case(format!("gen/accounts/not-principal/{name}"), caller, "s3:GetObject", &np_object)
                .owner(ACCOUNT)
                .identity("ReadAudit", audit_read.clone())
                .resource_policy("bucket-policy", np_policy.clone()),
        );
    }
}

/// Permissions boundaries against identity and resource policies, same account.
fn permission_boundaries(out: &mut Vec<Case>) {
    let secret = secret_arn("xpander/prod/openai-AbCdEf");
    let caller = || Caller::Arn(session_arn(ACCOUNT, "bounded-worker", "w-1"));
    let identities: [(&str, Option<Value>); 3] = [
        ("identity-allows", Some(policy(vec![allow(json!("secretsmanager:GetSecretValue"), json!("*"))]))),
        ("identity-silent", None),
        (
            "identity-denies",
            Some(policy(vec![
                json!({ "Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*" }),
            ])),
        ),
    ];
    let boundaries: [(&str, Option<Value>); 5] = [
        ("no-boundary", None),
        ("boundary-allows", Some(policy(vec![allow(json!("secretsmanager:*"), json!("*"))]))),
        ("boundary-other-service", Some(policy(vec![allow(json!("s3:*"), json!("*"))]))),
        (
            "boundary-not-action",
            Some(policy(vec![
                json!({ "Effect": "Allow", "NotAction": "secretsmanager:PutSecretValue", "Resource": "*" }),
            ])),
        ),
        (
            "boundary-denies",
            Some(policy(vec![
                allow(json!("*"), json!("*")),
                json!({ "Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": secret.clone() }),
            ])),
        ),
    ];
    let resource_policies: [(&str, Option<Value>); 4] = [
        ("no-secret-policy", None),
        (
            "secret-policy-session",
            Some(policy(vec![json!({
                "Effect": "Allow",
                "Principal": { "AWS": session_arn(ACCOUNT, "bounded-worker", "w-1") },
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*"
            })])),
        ),
        (
            "secret-policy-role",
            Some(policy(vec![json!({
                "Effect": "Allow",
                "Principal": { "AWS": role_arn(ACCOUNT, "bounded-worker") },
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*"
            })])),
        ),
        (
            "secret-policy-account",
            Some(policy(vec![json!({
                "Effect": "Allow",
                "Principal": { "AWS": root_arn(ACCOUNT) },
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*"
            })])),
        ),
    ];
    for (identity_name, identity) in &identities {
        for (boundary_name, boundary) in &boundaries {
            for (resource_name, resource_policy) in &resource_policies {
                let mut case = gen_case(
                    format!("gen/boundaries/{identity_name}/{boundary_name}/{resource_name}"),
                    caller(),
                    "secretsmanager:GetSecretValue",
                    &secret,
                );
                if let Some(doc) = identity {
                    case = case.identity(identity_name, doc.clone());
                }
                if let Some(doc) = boundary {
                    case = case.boundary(boundary_name, doc.clone());
                }
                if let Some(doc) = resource_policy {
                    case = case.resource_policy(resource_name, doc.clone());
                }
                out.push(case);
            }
        }
    }

    // A bounded base role assuming a connector role: the boundary must allow sts:AssumeRole too.
    let target = role_arn(ACCOUNT, XP_REDSHIFT);
    for (name, boundary) in [
        (
            "boundary-allows-assume",
            policy(vec![allow(json!(["sts:AssumeRole", "sts:TagSession"]), json!("*"))]),
        ),
        ("boundary-without-assume", policy(vec![allow(json!("redshift:*"), json!("*"))])),
    ] {
        for (identity_name, with_identity) in [("identity-allows", true), ("no-identity-policy", false)] {
            let mut case = gen_case(
                format!("gen/boundaries/assume-role/{name}/{identity_name}"),
                Caller::Arn(session_arn(ACCOUNT, XP_BASE, "gw-1")),
                "sts:AssumeRole",
                &target,
            )
            .resource_policy("connector-trust", xp_connector_trust(XP_REDSHIFT))
            .boundary(name, boundary.clone());
            if with_identity {
                case = case.identity("AssumeConnectorRoles", xp_base_assume_connectors());
            }
            out.push(case);
        }
    }
}

/// `sts:GetCallerIdentity`, which the doctor's identity check calls.
fn caller_identity(out: &mut Vec<Case>) {
    let who = || Caller::Arn(session_arn(ACCOUNT, XP_BASE, "gw-1"));
    out.push(gen_case("gen/get-caller-identity/no-policies".into(), who(), "sts:GetCallerIdentity", "*"));
    out.push(
        gen_case("gen/get-caller-identity/explicit-deny".into(), who(), "sts:GetCallerIdentity", "*")
            .identity(
                "DenyEverything",
                policy(vec![json!({ "Effect": "Deny", "Action": "*", "Resource": "*" })]),
            ),
    );
    out.push(
        gen_case("gen/get-caller-identity/allowed".into(), who(), "sts:GetCallerIdentity", "*")
            .identity("AllowIt", policy(vec![allow(json!("sts:GetCallerIdentity"), json!("*"))])),
    );
}

/// Principal forms, key-name case, and resource wildcards that evaluators tend to get wrong.
fn edges(out: &mut Vec<Case>) {
    let target = role_arn(ACCOUNT, "edge-target");
    let base = || Caller::Arn(session_arn(ACCOUNT, XP_BASE, "gw-1"));
    let base_identity = || policy(vec![allow(json!(["sts:AssumeRole", "sts:TagSession"]), json!("*"))]);
    let trust_of = |statement: Value| policy(vec![statement]);
    let trusts: Vec<TrustEdge<'_>> = vec![
        (
            "principal-arn-with-wildcard-never-matches",
            trust_of(
                json!({ "Effect": "Allow", "Principal": { "AWS": format!("arn:aws:iam::{ACCOUNT}:role/xpander-*") }, "Action": "sts:AssumeRole" }),
            ),
            vec![],
        ),
        (
            // The role lives under the path /service/; its sessions' ARNs leave the path out.
            "principal-role-arn-with-path",
            trust_of(
                json!({ "Effect": "Allow", "Principal": { "AWS": format!("arn:aws:iam::{ACCOUNT}:role/service/xpander-base-role") }, "Action": "sts:AssumeRole" }),
            ),
            vec![],
        ),
        (
            "principal-string-star-with-arn-like",
            trust_of(json!({
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Condition": { "ArnLike": { "aws:PrincipalArn": format!("arn:aws:iam::{ACCOUNT}:role/xpander-*") } }
            })),
            vec![],
        ),
        (
            "principal-list-mixed",
            trust_of(json!({
                "Effect": "Allow",
                "Principal": { "Service": ["ec2.amazonaws.com", "pods.eks.amazonaws.com"], "AWS": [root_arn(OTHER_ACCOUNT), role_arn(ACCOUNT, XP_BASE)] },
                "Action": "sts:AssumeRole"
            })),
            vec![],
        ),
        (
            "action-upper-case",
            trust_of(
                json!({ "Effect": "Allow", "Principal": { "AWS": role_arn(ACCOUNT, XP_BASE) }, "Action": "STS:ASSUMEROLE" }),
            ),
            vec![],
        ),
        (
            "action-star",
            trust_of(
                json!({ "Effect": "Allow", "Principal": { "AWS": role_arn(ACCOUNT, XP_BASE) }, "Action": "sts:*" }),
            ),
            vec![],
        ),
        (
            "not-action-in-trust",
            trust_of(
                json!({ "Effect": "Allow", "Principal": { "AWS": role_arn(ACCOUNT, XP_BASE) }, "NotAction": "sts:TagSession" }),
            ),
            vec![],
        ),
        (
            "condition-key-upper-case",
            trust_of(json!({
                "Effect": "Allow",
                "Principal": { "AWS": role_arn(ACCOUNT, XP_BASE) },
                "Action": "sts:AssumeRole",
                "Condition": { "StringEquals": { "STS:EXTERNALID": XPANDER_ORG_EXTERNAL_ID } }
            })),
            vec![("sts:ExternalId", XPANDER_ORG_EXTERNAL_ID)],
        ),
        (
            "external-id-ignore-case",
            trust_of(json!({
                "Effect": "Allow",
                "Principal": { "AWS": role_arn(ACCOUNT, XP_BASE) },
                "Action": "sts:AssumeRole",
                "Condition": { "StringEqualsIgnoreCase": { "sts:ExternalId": XPANDER_ORG_EXTERNAL_ID } }
            })),
            vec![("sts:ExternalId", "ORG-7F3A9C")],
        ),
        (
            "external-id-like-prefix",
            trust_of(json!({
                "Effect": "Allow",
                "Principal": { "AWS": role_arn(ACCOUNT, XP_BASE) },
                "Action": "sts:AssumeRole",
                "Condition": { "StringLike": { "sts:ExternalId": "org-*" } }
            })),
            vec![("sts:ExternalId", "org-1234")],
        ),
        (
            "deny-without-external-id",
            policy(vec![
                json!({ "Effect": "Allow", "Principal": { "AWS": role_arn(ACCOUNT, XP_BASE) }, "Action": "sts:AssumeRole" }),
                json!({
                    "Effect": "Deny",
                    "Principal": { "AWS": "*" },
                    "Action": "sts:AssumeRole",
                    "Condition": { "StringNotEquals": { "sts:ExternalId": XPANDER_ORG_EXTERNAL_ID } }
                }),
            ]),
            vec![],
        ),
        (
            "deny-wrong-external-id-if-exists",
            policy(vec![
                json!({ "Effect": "Allow", "Principal": { "AWS": role_arn(ACCOUNT, XP_BASE) }, "Action": "sts:AssumeRole" }),
                json!({
                    "Effect": "Deny",
                    "Principal": { "AWS": "*" },
                    "Action": "sts:AssumeRole",
                    "Condition": { "StringNotEqualsIfExists": { "sts:ExternalId": XPANDER_ORG_EXTERNAL_ID } }
                }),
            ]),
            vec![],
        ),
        (
            "deny-wrong-external-id-if-exists-wrong",
            policy(vec![
                json!({ "Effect": "Allow", "Principal": { "AWS": role_arn(ACCOUNT, XP_BASE) }, "Action": "sts:AssumeRole" }),
                json!({
                    "Effect": "Deny",
                    "Principal": { "AWS": "*" },
                    "Action": "sts:AssumeRole",
                    "Condition": { "StringNotEqualsIfExists": { "sts:ExternalId": XPANDER_ORG_EXTERNAL_ID } }
                }),
            ]),
            vec![("sts:ExternalId", "org-other")],
        ),
        (
            "session-principal-in-trust",
            trust_of(
                json!({ "Effect": "Allow", "Principal": { "AWS": session_arn(ACCOUNT, XP_BASE, "gw-1") }, "Action": "sts:AssumeRole" }),
            ),
            vec![],
        ),
        (
            "other-session-principal-in-trust",
            trust_of(
                json!({ "Effect": "Allow", "Principal": { "AWS": session_arn(ACCOUNT, XP_BASE, "gw-2") }, "Action": "sts:AssumeRole" }),
            ),
            vec![],
        ),
        (
            "statement-without-principal",
            trust_of(json!({ "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*" })),
            vec![],
        ),
        (
            "role-name-case",
            trust_of(
                json!({ "Effect": "Allow", "Principal": { "AWS": role_arn(ACCOUNT, "Xpander-Base-Role") }, "Action": "sts:AssumeRole" }),
            ),
            vec![],
        ),
    ];
    for (name, trust, context) in trusts {
        for with_identity in [true, false] {
            let mut case = gen_case(
                format!(
                    "gen/edges/trust/{name}/{}",
                    if with_identity { "identity-allows" } else { "no-identity-policy" }
                ),
                base(),
                "sts:AssumeRole",
                &target,
            )
            .resource_policy("trust", trust.clone());
            if with_identity {
                case = case.identity("AssumeAnything", base_identity());
            }
            for (key, value) in &context {
                case = case.ctx(key, value);
            }
            out.push(case);
        }
    }

    // The account root as caller: it cannot assume roles, whatever the trust policy says.
    for (name, principal) in
        [("trusts-account", json!({ "AWS": root_arn(ACCOUNT) })), ("trusts-star", json!({ "AWS": "*" }))]
    {
        out.push(
            gen_case(
                format!("gen/edges/root-caller/{name}"),
                Caller::Arn(root_arn(ACCOUNT)),
                "sts:AssumeRole",
                &target,
            )
            .resource_policy(
                "trust",
                trust_of(json!({ "Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole" })),
            ),
        );
    }

    // The account root on its own account's resources, with no policy at all.
    out.push(
        gen_case(
            "gen/edges/root-caller/own-bucket-no-policies".into(),
            Caller::Arn(root_arn(ACCOUNT)),
            "s3:GetObject",
            "arn:aws:s3:::acme-data-lake/raw/x.csv",
        )
        .owner(ACCOUNT),
    );
    out.push(gen_case(
        "gen/edges/root-caller/own-secret-no-policies".into(),
        Caller::Arn(root_arn(ACCOUNT)),
        "secretsmanager:GetSecretValue",
        &secret_arn("xpander/prod/openai-AbCdEf"),
    ));

    // Resource wildcards: `*` inside a segment spans `/`, but not the ARN's `:` separators.
    let identity_cases: [(&str, &str, &str, &str); 8] = [
        (
            "bucket-prefix-star-spans-slash",
            "s3:GetObject",
            "arn:aws:s3:::acme-*",
            "arn:aws:s3:::acme-data-lake/raw/x.csv",
        ),
        (
            "bucket-exact-no-object",
            "s3:GetObject",
            "arn:aws:s3:::acme-data-lake",
            "arn:aws:s3:::acme-data-lake/raw/x.csv",
        ),
        (
            "role-star-spans-path",
            "iam:GetRole",
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:iam::111122223333:role/service/x",
        ),
        (
            "role-path-prefix",
            "iam:GetRole",
            "arn:aws:iam::111122223333:role/service/*",
            "arn:aws:iam::111122223333:role/x",
        ),
        (
            "resource-star-region-and-account",
            "rds-db:connect",
            "arn:aws:rds-db:*:*:dbuser:*/postgres",
            "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/postgres",
        ),
        (
            "resource-wrong-partition",
            "iam:GetRole",
            "arn:aws-cn:iam::111122223333:role/x",
            "arn:aws:iam::111122223333:role/x",
        ),
        (
            "resource-question-mark-account",
            "iam:GetRole",
            "arn:aws:iam::11112222333?:role/x",
            "arn:aws:iam::111122223333:role/x",
        ),
        (
            "resource-upper-case-role",
            "iam:GetRole",
            "arn:aws:iam::111122223333:role/X",
            "arn:aws:iam::111122223333:role/x",
        ),
    ];
    for (name, action, pattern, resource) in identity_cases {
        out.push(
            gen_case(
                format!("gen/edges/resource/{name}"),
                Caller::Arn(user_arn(ACCOUNT, "alice")),
                action,
                resource,
            )
            .owner(ACCOUNT)
            .identity("scoped", policy(vec![allow(json!(action), json!(pattern))])),
        );
    }
}

/// Every generated case, in a fixed order.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    caller_by_external_id(&mut out);
    session_tags(&mut out);
    wildcards(&mut out);
    not_elements_and_denies(&mut out);
    condition_operators(&mut out);
    account_boundaries(&mut out);
    permission_boundaries(&mut out);
    caller_identity(&mut out);
    edges(&mut out);
    out
}
