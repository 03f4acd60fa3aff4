//! Cases built from the vendors' setup guides in shared/seeds: their trust and permission
//! policies, filled in with this corpus's accounts and names, and one case per meaningful
//! request against them.

// Each function below is one guide's table of cases: long, and clearer kept whole.
#![allow(clippy::too_many_lines)]

use serde_json::{Value, json};

use super::case::{
    ACCOUNT, Caller, Case, OIDC_ISSUER, OTHER_ACCOUNT, POD_IDENTITY_SERVICE, QUALYTICS_EXTERNAL_ID, REGION,
    Source, XPANDER_ORG_EXTERNAL_ID, oidc_provider_arn, policy, role_arn, root_arn, session_arn, user_arn,
};

// ---------------------------------------------------------------------------------------------
// xpander (000: per-connector roles; 001: Redshift)

pub const XP_BASE: &str = "xpander-base-role";
pub const XP_REDSHIFT: &str = "xpander-redshift-access";
pub const XP_EKS: &str = "xpander-eks-connector";
pub const XP_S3: &str = "xpander-s3-connector";
/// The xpander platform's role in `OTHER_ACCOUNT` (cloud-managed operations).
pub const XP_PLATFORM: &str = "xpander-platform-operations";
pub const XP_CLUSTER: &str = "xpander-redshift";
pub const XP_DB: &str = "xpander_demo";
pub const EKS_CLUSTER: &str = "xpander-prod";

/// 000 step 1: the base role's trust policy, Pod Identity only.
pub fn xp_base_trust() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "pods.eks.amazonaws.com" },
            "Action": ["sts:AssumeRole", "sts:TagSession"]
        }]
    })
}

/// 000 step 1: `AssumeConnectorRoles` on the base role.
pub fn xp_base_assume_connectors() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": [role_arn(ACCOUNT, XP_REDSHIFT), role_arn(ACCOUNT, XP_EKS)]
        }]
    })
}

/// 000 step 2: the four-statement connector-role trust policy.
pub fn xp_connector_trust(role: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PodIdentity",
                "Effect": "Allow",
                "Principal": { "Service": "pods.eks.amazonaws.com" },
                "Action": ["sts:AssumeRole", "sts:TagSession"]
            },
            {
                "Sid": "CrossAccountWithExternalId",
                "Effect": "Allow",
                "Principal": { "AWS": root_arn(OTHER_ACCOUNT) },
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": { "StringEquals": { "sts:ExternalId": XPANDER_ORG_EXTERNAL_ID } }
            },
            {
                "Sid": "SelfAssume",
                "Effect": "Allow",
                "Principal": { "AWS": role_arn(ACCOUNT, role) },
                "Action": ["sts:AssumeRole", "sts:TagSession"]
            },
            {
                "Sid": "AllowFromBaseRole",
                "Effect": "Allow",
                "Principal": { "AWS": role_arn(ACCOUNT, XP_BASE) },
                "Action": ["sts:AssumeRole", "sts:TagSession"]
            }
        ]
    })
}

/// 000 "Role Creation Order" step 1: the trust policy before the self-reference is added.
pub fn xp_connector_initial_trust() -> Value {
    let mut doc = xp_connector_trust(XP_REDSHIFT);
    if let Some(list) = doc["Statement"].as_array_mut() {
        list.truncate(2);
    }
    doc
}

/// 001 step 4: the Redshift role's three-statement trust policy (no `AllowFromBaseRole`).
pub fn xp_redshift_trust_001() -> Value {
    let mut doc = xp_connector_trust(XP_REDSHIFT);
    if let Some(list) = doc["Statement"].as_array_mut() {
        list.truncate(3);
    }
    doc
}

/// `SelfAssumeAndTagSession`, required on every connector role.
pub fn xp_self_assume(role: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": role_arn(ACCOUNT, role)
        }]
    })
}

/// `RedshiftCredentials`.
pub fn xp_redshift_credentials() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": [
                "redshift:GetClusterCredentials",
                "redshift:GetClusterCredentialsWithIAM",
                "redshift:DescribeClusters"
            ],
            "Resource": [
                format!("arn:aws:redshift:{REGION}:{ACCOUNT}:cluster:{XP_CLUSTER}"),
                format!("arn:aws:redshift:{REGION}:{ACCOUNT}:dbname:{XP_CLUSTER}/{XP_DB}"),
                format!("arn:aws:redshift:{REGION}:{ACCOUNT}:dbuser:{XP_CLUSTER}/*")
            ]
        }]
    })
}

/// `RedshiftDataAPI`.
pub fn xp_redshift_data_api() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": [
                "redshift-data:ExecuteStatement",
                "redshift-data:GetStatementResult",
                "redshift-data:DescribeStatement",
                "redshift-data:ListStatements",
                "redshift-data:CancelStatement",
                "redshift-data:BatchExecuteStatement",
                "redshift-data:ListDatabases",
                "redshift-data:ListSchemas",
                "redshift-data:ListTables",
                "redshift-data:DescribeTable"
            ],
            "Resource": "*"
        }]
    })
}

/// `EKSAccess`.
pub fn xp_eks_access() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "eks:DescribeCluster",
                    "eks:ListClusters",
                    "eks:ListNodegroups",
                    "eks:DescribeNodegroup",
                    "eks:ListInsights",
                    "eks:DescribeInsight",
                    "eks:AccessKubernetesApi"
                ],
                "Resource": "*"
            },
            {
                "Effect": "Allow",
                "Action": [
                    "logs:GetLogEvents",
                    "logs:FilterLogEvents",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams"
                ],
                "Resource": "*"
            }
        ]
    })
}

/// The xpander platform role's own permission to assume customers' connector roles (in
/// `OTHER_ACCOUNT`; the guide does not show it, but a cross-account `sts:AssumeRole` needs it).
pub fn xp_platform_identity() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AssumeCustomerConnectorRoles",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": "arn:aws:iam::*:role/xpander-*"
        }]
    })
}

pub fn base_session() -> Caller {
    Caller::Arn(session_arn(ACCOUNT, XP_BASE, "xpander-ai-gateway-7d9f8"))
}

pub fn connector_session(role: &str) -> Caller {
    Caller::Arn(session_arn(ACCOUNT, role, "xpander-ai-gateway-refresh"))
}

pub fn platform_session() -> Caller {
    Caller::Arn(session_arn(OTHER_ACCOUNT, XP_PLATFORM, "connector-sync-4411"))
}

pub fn pod_identity() -> Caller {
    Caller::Service(POD_IDENTITY_SERVICE.to_owned())
}

fn redshift_arn(kind: &str, rest: &str) -> String {
    format!("arn:aws:redshift:{REGION}:{ACCOUNT}:{kind}:{rest}")
}

/// A connector-role session with the Redshift role's three permission policies.
fn redshift_role_case(name: &str, action: &str, resource: &str) -> Case {
    Case::new(
        Source::Xpander,
        format!("xpander/redshift-perms/{name}"),
        connector_session(XP_REDSHIFT),
        action,
        resource,
    )
    .identity("RedshiftCredentials", xp_redshift_credentials())
    .identity("RedshiftDataAPI", xp_redshift_data_api())
    .identity("SelfAssumeAndTagSession", xp_self_assume(XP_REDSHIFT))
}

fn eks_role_case(name: &str, action: &str, resource: &str) -> Case {
    Case::new(
        Source::Xpander,
        format!("xpander/eks-perms/{name}"),
        connector_session(XP_EKS),
        action,
        resource,
    )
    .identity("EKSAccess", xp_eks_access())
    .identity("SelfAssumeAndTagSession", xp_self_assume(XP_EKS))
}

fn xpander_cases(out: &mut Vec<Case>) {
    let redshift_role = role_arn(ACCOUNT, XP_REDSHIFT);
    let eks_role = role_arn(ACCOUNT, XP_EKS);
    let s3_role = role_arn(ACCOUNT, XP_S3);
    let base_role = role_arn(ACCOUNT, XP_BASE);
    let trust = |role: &str| ("connector-trust", xp_connector_trust(role));
    let assume = |name: &str, caller: Caller, action: &str, role: &str, trust_doc: (&str, Value)| {
        Case::new(Source::Xpander, format!("xpander/trust/{name}"), caller, action, &role_arn(ACCOUNT, role))
            .resource_policy(trust_doc.0, trust_doc.1)
    };

    // The base role: Pod Identity in, nothing else.
    out.push(
        assume(
            "pod-identity-assumes-base-role",
            pod_identity(),
            "sts:AssumeRole",
            XP_BASE,
            ("base-trust", xp_base_trust()),
        )
        .ctx("aws:SourceAccount", ACCOUNT),
    );
    out.push(
        assume(
            "pod-identity-tags-base-role-session",
            pod_identity(),
            "sts:TagSession",
            XP_BASE,
            ("base-trust", xp_base_trust()),
        )
        .ctx("aws:RequestTag/eks-cluster-name", EKS_CLUSTER)
        .ctx("aws:RequestTag/kubernetes-namespace", "xpander")
        .ctx_list("aws:TagKeys", &["eks-cluster-name", "kubernetes-namespace"]),
    );
    out.push(assume(
        "base-role-session-cannot-reassume-base-role",
        base_session(),
        "sts:AssumeRole",
        XP_BASE,
        ("base-trust", xp_base_trust()),
    ));
    out.push(
        assume(
            "connector-session-cannot-assume-base-role",
            connector_session(XP_REDSHIFT),
            "sts:AssumeRole",
            XP_BASE,
            ("base-trust", xp_base_trust()),
        )
        .identity("SelfAssumeAndTagSession", xp_self_assume(XP_REDSHIFT)),
    );

    // The connector roles' four-statement trust policy, one case per statement and caller.
    for role in [XP_REDSHIFT, XP_EKS] {
        let short = if role == XP_REDSHIFT { "redshift" } else { "eks" };
        out.push(assume(
            &format!("{short}/pod-identity-assume"),
            pod_identity(),
            "sts:AssumeRole",
            role,
            trust(role),
        ));
        out.push(
            assume(
                &format!("{short}/pod-identity-tag-session"),
                pod_identity(),
                "sts:TagSession",
                role,
                trust(role),
            )
            .ctx("aws:RequestTag/kubernetes-namespace", "xpander")
            .ctx_list("aws:TagKeys", &["kubernetes-namespace"]),
        );
        out.push(
            assume(
                &format!("{short}/base-session-assume"),
                base_session(),
                "sts:AssumeRole",
                role,
                trust(role),
            )
            .identity("AssumeConnectorRoles", xp_base_assume_connectors()),
        );
        out.push(
            assume(
                &format!("{short}/base-session-tag-session"),
                base_session(),
                "sts:TagSession",
                role,
                trust(role),
            )
            .identity("AssumeConnectorRoles", xp_base_assume_connectors())
            .ctx("aws:RequestTag/xpander-connector", short)
            .ctx_list("aws:TagKeys", &["xpander-connector"]),
        );
        out.push(
            assume(
                &format!("{short}/self-assume"),
                connector_session(role),
                "sts:AssumeRole",
                role,
                trust(role),
            )
            .identity("SelfAssumeAndTagSession", xp_self_assume(role)),
        );
        out.push(
            assume(
                &format!("{short}/self-tag-session"),
                connector_session(role),
                "sts:TagSession",
                role,
                trust(role),
            )
            .identity("SelfAssumeAndTagSession", xp_self_assume(role))
            .ctx("aws:RequestTag/xpander-connector", short)
            .ctx_list("aws:TagKeys", &["xpander-connector"]),
        );
        out.push(
            assume(
                &format!("{short}/platform-with-external-id"),
                platform_session(),
                "sts:AssumeRole",
                role,
                trust(role),
            )
            .identity("AssumeCustomerConnectorRoles", xp_platform_identity())
            .ctx("sts:ExternalId", XPANDER_ORG_EXTERNAL_ID),
        );
        out.push(
            assume(
                &format!("{short}/platform-without-external-id"),
                platform_session(),
                "sts:AssumeRole",
                role,
                trust(role),
            )
            .identity("AssumeCustomerConnectorRoles", xp_platform_identity()),
        );
        out.push(assume(
            &format!("{short}/account-root-cannot-assume"),
            Caller::Arn(root_arn(ACCOUNT)),
            "sts:AssumeRole",
            role,
            trust(role),
        ));
    }
    // The self-assume statement carries no ExternalId condition: an ExternalId sent anyway is harmless.
    out.push(
        assume(
            "redshift/self-assume-with-stray-external-id",
            connector_session(XP_REDSHIFT),
            "sts:AssumeRole",
            XP_REDSHIFT,
            trust(XP_REDSHIFT),
        )
        .identity("SelfAssumeAndTagSession", xp_self_assume(XP_REDSHIFT))
        .ctx("sts:ExternalId", "anything"),
    );
    // The platform's account root statement trusts the account, not a role without permission.
    out.push(
        assume(
            "redshift/platform-role-without-identity-policy",
            platform_session(),
            "sts:AssumeRole",
            XP_REDSHIFT,
            trust(XP_REDSHIFT),
        )
        .ctx("sts:ExternalId", XPANDER_ORG_EXTERNAL_ID),
    );
    // The Redshift session may not hop into the EKS connector role.
    out.push(
        assume(
            "eks/redshift-session-cannot-assume-eks",
            connector_session(XP_REDSHIFT),
            "sts:AssumeRole",
            XP_EKS,
            trust(XP_EKS),
        )
        .identity("SelfAssumeAndTagSession", xp_self_assume(XP_REDSHIFT)),
    );
    // A new S3 connector role whose ARN is not yet in AssumeConnectorRoles ("Update the base role").
    out.push(
        assume(
            "s3/base-session-not-yet-in-assume-list",
            base_session(),
            "sts:AssumeRole",
            XP_S3,
            trust(XP_S3),
        )
        .identity("AssumeConnectorRoles", xp_base_assume_connectors()),
    );
    out.push(
        assume(
            "s3/base-session-with-updated-assume-list",
            base_session(),
            "sts:AssumeRole",
            XP_S3,
            trust(XP_S3),
        )
        .identity(
            "AssumeConnectorRoles",
            policy(vec![json!({
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Resource": [redshift_role.clone(), eks_role.clone(), s3_role.clone()]
            })]),
        ),
    );
    // Role creation order: before step 3, only PodIdentity and CrossAccountWithExternalId exist.
    out.push(
        assume(
            "initial-trust/self-assume-before-update",
            connector_session(XP_REDSHIFT),
            "sts:AssumeRole",
            XP_REDSHIFT,
            ("initial-trust", xp_connector_initial_trust()),
        )
        .identity("SelfAssumeAndTagSession", xp_self_assume(XP_REDSHIFT)),
    );
    out.push(
        assume(
            "initial-trust/base-before-update",
            base_session(),
            "sts:AssumeRole",
            XP_REDSHIFT,
            ("initial-trust", xp_connector_initial_trust()),
        )
        .identity("AssumeConnectorRoles", xp_base_assume_connectors()),
    );
    out.push(assume(
        "initial-trust/pod-identity",
        pod_identity(),
        "sts:AssumeRole",
        XP_REDSHIFT,
        ("initial-trust", xp_connector_initial_trust()),
    ));
    // Troubleshooting: TagSession missing from the permission policy.
    out.push(
        assume(
            "troubleshoot/self-tag-session-missing-in-permissions",
            connector_session(XP_REDSHIFT),
            "sts:TagSession",
            XP_REDSHIFT,
            trust(XP_REDSHIFT),
        )
        .identity(
            "SelfAssumeOnly",
            policy(vec![
                json!({ "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": redshift_role.clone() }),
            ]),
        )
        .ctx("aws:RequestTag/xpander-connector", "redshift")
        .ctx_list("aws:TagKeys", &["xpander-connector"]),
    );
    // Troubleshooting: an ExternalId condition added to SelfAssume breaks the gateway.
    let mut conditioned_self = xp_connector_trust(XP_REDSHIFT);
    conditioned_self["Statement"][2]["Condition"] =
        json!({ "StringEquals": { "sts:ExternalId": XPANDER_ORG_EXTERNAL_ID } });
    out.push(
        assume(
            "troubleshoot/self-assume-with-external-id-condition",
            connector_session(XP_REDSHIFT),
            "sts:AssumeRole",
            XP_REDSHIFT,
            ("bad-trust", conditioned_self),
        )
        .identity("SelfAssumeAndTagSession", xp_self_assume(XP_REDSHIFT)),
    );

    // 001: the Redshift guide's three-statement trust policy has no AllowFromBaseRole.
    let trust_001 = || ("redshift-trust-001", xp_redshift_trust_001());
    out.push(
        assume("001/base-session-not-trusted", base_session(), "sts:AssumeRole", XP_REDSHIFT, trust_001())
            .identity("AssumeConnectorRoles", xp_base_assume_connectors()),
    );
    out.push(assume("001/pod-identity", pod_identity(), "sts:AssumeRole", XP_REDSHIFT, trust_001()));
    out.push(
        assume("001/self-assume", connector_session(XP_REDSHIFT), "sts:AssumeRole", XP_REDSHIFT, trust_001())
            .identity("SelfAssumeAndTagSession", xp_self_assume(XP_REDSHIFT)),
    );
    out.push(
        assume(
            "001/platform-tag-session-without-external-id",
            platform_session(),
            "sts:TagSession",
            XP_REDSHIFT,
            trust_001(),
        )
        .identity("AssumeCustomerConnectorRoles", xp_platform_identity())
        .ctx("aws:RequestTag/xpander-org", XPANDER_ORG_EXTERNAL_ID)
        .ctx_list("aws:TagKeys", &["xpander-org"]),
    );

    // The connector roles' permission policies.
    let dbuser = |cluster: &str, user: &str| redshift_arn("dbuser", &format!("{cluster}/{user}"));
    out.push(redshift_role_case(
        "get-cluster-credentials-iam-user",
        "redshift:GetClusterCredentials",
        &dbuser(XP_CLUSTER, "IAMR:xpander-redshift-access"),
    ));
    out.push(redshift_role_case(
        "get-cluster-credentials-admin",
        "redshift:GetClusterCredentials",
        &dbuser(XP_CLUSTER, "xpander_admin"),
    ));
    out.push(redshift_role_case(
        "get-cluster-credentials-other-cluster",
        "redshift:GetClusterCredentials",
        &dbuser("analytics-redshift", "xpander_admin"),
    ));
    out.push(redshift_role_case(
        "get-cluster-credentials-with-iam-db",
        "redshift:GetClusterCredentialsWithIAM",
        &redshift_arn("dbname", &format!("{XP_CLUSTER}/{XP_DB}")),
    ));
    out.push(redshift_role_case(
        "get-cluster-credentials-with-iam-other-db",
        "redshift:GetClusterCredentialsWithIAM",
        &redshift_arn("dbname", &format!("{XP_CLUSTER}/dev")),
    ));
    out.push(redshift_role_case(
        "describe-clusters",
        "redshift:DescribeClusters",
        &redshift_arn("cluster", XP_CLUSTER),
    ));
    out.push(redshift_role_case(
        "describe-other-cluster",
        "redshift:DescribeClusters",
        &redshift_arn("cluster", "analytics-redshift"),
    ));
    out.push(redshift_role_case(
        "delete-cluster-denied",
        "redshift:DeleteCluster",
        &redshift_arn("cluster", XP_CLUSTER),
    ));
    out.push(redshift_role_case(
        "data-api-execute-statement",
        "redshift-data:ExecuteStatement",
        &redshift_arn("cluster", XP_CLUSTER),
    ));
    out.push(redshift_role_case(
        "data-api-list-databases",
        "redshift-data:ListDatabases",
        &redshift_arn("cluster", XP_CLUSTER),
    ));
    out.push(redshift_role_case("data-api-get-statement-result", "redshift-data:GetStatementResult", "*"));
    out.push(redshift_role_case("data-api-describe-statement", "redshift-data:DescribeStatement", "*"));
    out.push(redshift_role_case(
        "eks-describe-denied",
        "eks:DescribeCluster",
        &format!("arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{EKS_CLUSTER}"),
    ));
    out.push(
        Case::new(
            Source::Xpander,
            "xpander/redshift-perms/base-session-has-no-service-permissions",
            base_session(),
            "redshift:GetClusterCredentials",
            &dbuser(XP_CLUSTER, "xpander_admin"),
        )
        .identity("AssumeConnectorRoles", xp_base_assume_connectors()),
    );
    out.push(
        Case::new(
            Source::Xpander,
            "xpander/redshift-perms/base-session-no-data-api",
            base_session(),
            "redshift-data:ExecuteStatement",
            &redshift_arn("cluster", XP_CLUSTER),
        )
        .identity("AssumeConnectorRoles", xp_base_assume_connectors()),
    );

    let cluster = format!("arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{EKS_CLUSTER}");
    let log_group = format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/eks/{EKS_CLUSTER}/cluster");
    out.push(eks_role_case("describe-cluster", "eks:DescribeCluster", &cluster));
    out.push(eks_role_case("list-clusters", "eks:ListClusters", "*"));
    out.push(eks_role_case("access-kubernetes-api", "eks:AccessKubernetesApi", &cluster));
    out.push(eks_role_case("list-nodegroups", "eks:ListNodegroups", &cluster));
    out.push(eks_role_case(
        "describe-nodegroup",
        "eks:DescribeNodegroup",
        &format!("arn:aws:eks:{REGION}:{ACCOUNT}:nodegroup/{EKS_CLUSTER}/system/8ac6e1f2-1b2c-4d5e-9f00-112233445566"),
    ));
    out.push(eks_role_case("delete-cluster-denied", "eks:DeleteCluster", &cluster));
    out.push(eks_role_case(
        "get-log-events",
        "logs:GetLogEvents",
        &format!("{log_group}:log-stream:kube-apiserver-audit-0f1e2d3c"),
    ));
    out.push(eks_role_case("filter-log-events", "logs:FilterLogEvents", &log_group));
    out.push(eks_role_case("describe-log-groups", "logs:DescribeLogGroups", "*"));
    out.push(eks_role_case(
        "put-log-events-denied",
        "logs:PutLogEvents",
        &format!("{log_group}:log-stream:kube-apiserver-audit-0f1e2d3c"),
    ));
    out.push(eks_role_case(
        "redshift-denied",
        "redshift:GetClusterCredentials",
        &dbuser(XP_CLUSTER, "xpander_admin"),
    ));
    out.push(
        eks_role_case("assume-base-role-denied", "sts:AssumeRole", &base_role)
            .resource_policy("base-trust", xp_base_trust()),
    );
}

// ---------------------------------------------------------------------------------------------
// Secrets Manager and IRSA (002)

pub const XP_CONTROLLER: &str = "xpander-controller";

pub fn secret_arn(name: &str) -> String {
    format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}")
}

/// 002: read secrets under the `xpander/` prefix.
pub fn sm_read_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:xpander/*")
        }]
    })
}

/// 002: the controller role's IRSA trust policy.
pub fn irsa_trust(namespace: &str, service_account: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Federated": oidc_provider_arn() },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    format!("{OIDC_ISSUER}:sub"): format!("system:serviceaccount:{namespace}:{service_account}"),
                    format!("{OIDC_ISSUER}:aud"): "sts.amazonaws.com"
                }
            }
        }]
    })
}

pub fn web_identity() -> Caller {
    Caller::Federated(oidc_provider_arn())
}

fn controller_session() -> Caller {
    Caller::Arn(session_arn(ACCOUNT, XP_CONTROLLER, "botocore-session-1718000000"))
}

fn secrets_cases(out: &mut Vec<Case>) {
    let sm = |name: &str, action: &str, secret: &str| {
        Case::new(
            Source::SecretsManager,
            format!("secrets/{name}"),
            controller_session(),
            action,
            &secret_arn(secret),
        )
        .identity("XpanderSecretsRead", sm_read_policy())
    };
    out.push(sm("get-openai-key", "secretsmanager:GetSecretValue", "xpander/prod/openai-AbCdEf"));
    out.push(sm("describe-openai-key", "secretsmanager:DescribeSecret", "xpander/prod/openai-AbCdEf"));
    out.push(sm("get-staging-key", "secretsmanager:GetSecretValue", "xpander/staging/anthropic-Qw3rTy"));
    out.push(sm("get-secret-outside-prefix", "secretsmanager:GetSecretValue", "billing/stripe-Zx9Yw8"));
    out.push(sm(
        "get-secret-prefix-without-slash",
        "secretsmanager:GetSecretValue",
        "xpander-legacy/key-Lm4No5",
    ));
    out.push(sm("put-secret-denied", "secretsmanager:PutSecretValue", "xpander/prod/openai-AbCdEf"));
    out.push(sm("delete-secret-denied", "secretsmanager:DeleteSecret", "xpander/prod/openai-AbCdEf"));
    out.push(
        Case::new(
            Source::SecretsManager,
            "secrets/list-secrets-not-granted",
            controller_session(),
            "secretsmanager:ListSecrets",
            "*",
        )
        .identity("XpanderSecretsRead", sm_read_policy()),
    );
    // Best practice: exact secret ARNs. The six random characters are matched with `??????`.
    let exact = policy(vec![json!({
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": secret_arn("xpander/prod/openai-??????")
    })]);
    for (name, secret) in [
        ("exact-arn-matches-suffix", "xpander/prod/openai-AbCdEf"),
        ("exact-arn-short-suffix", "xpander/prod/openai-AbCdE"),
        ("exact-arn-other-secret", "xpander/prod/openai-admin-AbCdEf"),
    ] {
        out.push(
            Case::new(
                Source::SecretsManager,
                format!("secrets/{name}"),
                controller_session(),
                "secretsmanager:GetSecretValue",
                &secret_arn(secret),
            )
            .identity("ExactSecret", exact.clone()),
        );
    }

    // The IRSA trust relationship.
    let irsa = |name: &str| {
        Case::new(
            Source::SecretsManager,
            format!("secrets/irsa/{name}"),
            web_identity(),
            "sts:AssumeRoleWithWebIdentity",
            &role_arn(ACCOUNT, XP_CONTROLLER),
        )
        .resource_policy("irsa-trust", irsa_trust("xpander", "xpander-controller"))
    };
    let sub = format!("{OIDC_ISSUER}:sub");
    let aud = format!("{OIDC_ISSUER}:aud");
    out.push(
        irsa("controller-service-account")
            .ctx(&sub, "system:serviceaccount:xpander:xpander-controller")
            .ctx(&aud, "sts.amazonaws.com"),
    );
    out.push(
        irsa("other-namespace")
            .ctx(&sub, "system:serviceaccount:default:xpander-controller")
            .ctx(&aud, "sts.amazonaws.com"),
    );
    out.push(
        irsa("other-service-account")
            .ctx(&sub, "system:serviceaccount:xpander:default")
            .ctx(&aud, "sts.amazonaws.com"),
    );
    out.push(
        irsa("wrong-audience")
            .ctx(&sub, "system:serviceaccount:xpander:xpander-controller")
            .ctx(&aud, "sts.amazonaws.com.cn"),
    );
    out.push(irsa("no-audience").ctx(&sub, "system:serviceaccount:xpander:xpander-controller"));
    out.push(
        Case::new(
            Source::SecretsManager,
            "secrets/irsa/assume-role-action-not-trusted",
            web_identity(),
            "sts:AssumeRole",
            &role_arn(ACCOUNT, XP_CONTROLLER),
        )
        .resource_policy("irsa-trust", irsa_trust("xpander", "xpander-controller")),
    );
    out.push(
        Case::new(
            Source::SecretsManager,
            "secrets/irsa/pod-identity-not-trusted",
            pod_identity(),
            "sts:AssumeRole",
            &role_arn(ACCOUNT, XP_CONTROLLER),
        )
        .resource_policy("irsa-trust", irsa_trust("xpander", "xpander-controller")),
    );

    // A secret shared with the xpander platform account through the secret's resource policy.
    let shared = secret_arn("xpander/shared/platform-webhook-Hj7Kl2");
    let secret_policy = policy(vec![json!({
        "Sid": "XpanderPlatformRead",
        "Effect": "Allow",
        "Principal": { "AWS": role_arn(OTHER_ACCOUNT, XP_PLATFORM) },
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"
    })]);
    let platform_read = policy(vec![json!({
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:xpander/shared/*")
    })]);
    out.push(
        Case::new(
            Source::SecretsManager,
            "secrets/cross-account/both-sides",
            platform_session(),
            "secretsmanager:GetSecretValue",
            &shared,
        )
        .identity("ReadCustomerSecrets", platform_read.clone())
        .resource_policy("secret-policy", secret_policy.clone()),
    );
    out.push(
        Case::new(
            Source::SecretsManager,
            "secrets/cross-account/identity-only",
            platform_session(),
            "secretsmanager:GetSecretValue",
            &shared,
        )
        .identity("ReadCustomerSecrets", platform_read.clone()),
    );
    out.push(
        Case::new(
            Source::SecretsManager,
            "secrets/cross-account/resource-only",
            platform_session(),
            "secretsmanager:GetSecretValue",
            &shared,
        )
        .resource_policy("secret-policy", secret_policy.clone()),
    );
    out.push(
        Case::new(
            Source::SecretsManager,
            "secrets/cross-account/other-role-in-platform-account",
            Caller::Arn(session_arn(OTHER_ACCOUNT, "billing-reader", "s-1")),
            "secretsmanager:GetSecretValue",
            &shared,
        )
        .identity("ReadCustomerSecrets", platform_read)
        .resource_policy("secret-policy", secret_policy),
    );
}

// ---------------------------------------------------------------------------------------------
// Qualytics (003)

pub const QX_DATAPLANE: &str = "acme-dataplane-role";
pub const QX_BASE: &str = "qualytics-base-role";
pub const QX_USER: &str = "qualytics-base-user";
pub const QX_S3_TARGET: &str = "qualytics-s3-target";
pub const QX_ATHENA_TARGET: &str = "qualytics-athena-target";
pub const QX_REDSHIFT_TARGET: &str = "qualytics-redshift-target";
pub const QX_BUCKET: &str = "acme-data-lake";
pub const QX_RESULTS_BUCKET: &str = "acme-athena-results";

/// 003 step 3: the target role trusts one principal, with the customer's `sts:ExternalId`.
pub fn qx_target_trust(principal: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": principal },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "sts:ExternalId": QUALYTICS_EXTERNAL_ID } }
        }]
    })
}

/// 003 A.1 / B.1: the base identity may only assume roles.
pub fn qx_base_permissions() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*" }]
    })
}

/// 003 step 2: the S3 target role's permissions.
pub fn qx_s3_permissions() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:ListBucketMultipartUploads",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts"
            ],
            "Resource": [format!("arn:aws:s3:::{QX_BUCKET}"), format!("arn:aws:s3:::{QX_BUCKET}/*")]
        }]
    })
}

/// 003 step 2: the Athena target role's permissions.
pub fn qx_athena_permissions() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AthenaQueryAccess",
                "Effect": "Allow",
                "Action": [
                    "athena:StartQueryExecution",
                    "athena:StopQueryExecution",
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:ListDatabases",
                    "athena:ListTableMetadata",
                    "athena:GetTableMetadata",
                    "athena:GetWorkGroup"
                ],
                "Resource": "*"
            },
            {
                "Sid": "GlueCatalogReadOnly",
                "Effect": "Allow",
                "Action": [
                    "glue:GetCatalog",
                    "glue:GetCatalogs",
                    "glue:GetDatabase",
                    "glue:GetDatabases",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchGetPartition"
                ],
                "Resource": "*"
            },
            {
                "Sid": "AthenaQueryResultsBucket",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:ListBucket",
                    "s3:GetBucketLocation",
                    "s3:ListBucketMultipartUploads",
                    "s3:ListMultipartUploadParts",
                    "s3:AbortMultipartUpload"
                ],
                "Resource": [
                    format!("arn:aws:s3:::{QX_RESULTS_BUCKET}"),
                    format!("arn:aws:s3:::{QX_RESULTS_BUCKET}/*")
                ]
            }
        ]
    })
}

/// 003 step 2: the Redshift target role's permissions.
pub fn qx_redshift_permissions() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["redshift:GetClusterCredentials", "redshift:DescribeClusters"],
            "Resource": [
                format!("arn:aws:redshift:{REGION}:{ACCOUNT}:cluster:acme-warehouse"),
                format!("arn:aws:redshift:{REGION}:{ACCOUNT}:dbuser:acme-warehouse/qualytics_reader"),
                format!("arn:aws:redshift:{REGION}:{ACCOUNT}:dbname:acme-warehouse/analytics")
            ]
        }]
    })
}

/// 003: Redshift Serverless variant.
pub fn qx_redshift_serverless_permissions() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": "redshift-serverless:GetCredentials",
            "Resource": format!("arn:aws:redshift-serverless:{REGION}:{ACCOUNT}:workgroup/3f1c6a52-7e0d-4b1a-9c8e-2d4f6a8b0c1e")
        }]
    })
}

/// 003 A.1: the base role's IRSA trust policy for the Spark service account.
pub fn qx_base_irsa_trust() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Federated": oidc_provider_arn() },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    format!("{OIDC_ISSUER}:sub"): "system:serviceaccount:qualytics:qualytics-spark",
                    format!("{OIDC_ISSUER}:aud"): "sts.amazonaws.com"
                }
            }
        }]
    })
}

fn qualytics_cases(out: &mut Vec<Case>) {
    let dataplane = role_arn(OTHER_ACCOUNT, QX_DATAPLANE);
    let dataplane_session = || Caller::Arn(session_arn(OTHER_ACCOUNT, QX_DATAPLANE, "spark-driver-7f9c"));
    let managed = |name: &str, caller: Caller| {
        Case::new(
            Source::Qualytics,
            format!("qualytics/managed/{name}"),
            caller,
            "sts:AssumeRole",
            &role_arn(ACCOUNT, QX_S3_TARGET),
        )
        .resource_policy("target-trust", qx_target_trust(&dataplane))
    };
    out.push(
        managed("dataplane-with-external-id", dataplane_session())
            .identity("DataplaneAssume", qx_base_permissions())
            .ctx("sts:ExternalId", QUALYTICS_EXTERNAL_ID),
    );
    for (name, external_id) in [
        ("dataplane-external-id-trailing-space", format!("{QUALYTICS_EXTERNAL_ID} ")),
        ("dataplane-external-id-leading-space", format!(" {QUALYTICS_EXTERNAL_ID}")),
        ("dataplane-external-id-upper-case", QUALYTICS_EXTERNAL_ID.to_uppercase()),
        ("dataplane-external-id-other-tenant", "qx-00000000-prod".to_owned()),
        ("dataplane-external-id-xpander-org", XPANDER_ORG_EXTERNAL_ID.to_owned()),
    ] {
        out.push(
            managed(name, dataplane_session())
                .identity("DataplaneAssume", qx_base_permissions())
                .ctx("sts:ExternalId", &external_id),
        );
    }
    out.push(
        managed("dataplane-without-external-id", dataplane_session())
            .identity("DataplaneAssume", qx_base_permissions()),
    );
    out.push(
        managed("dataplane-without-identity-policy", dataplane_session())
            .ctx("sts:ExternalId", QUALYTICS_EXTERNAL_ID),
    );
    out.push(
        managed(
            "other-tenant-dataplane",
            Caller::Arn(session_arn(OTHER_ACCOUNT, "globex-dataplane-role", "spark-1")),
        )
        .identity("DataplaneAssume", qx_base_permissions())
        .ctx("sts:ExternalId", QUALYTICS_EXTERNAL_ID),
    );
    out.push(
        managed("platform-account-root", Caller::Arn(root_arn(OTHER_ACCOUNT)))
            .ctx("sts:ExternalId", QUALYTICS_EXTERNAL_ID),
    );
    out.push(
        Case::new(
            Source::Qualytics,
            "qualytics/managed/tag-session-not-trusted",
            dataplane_session(),
            "sts:TagSession",
            &role_arn(ACCOUNT, QX_S3_TARGET),
        )
        .resource_policy("target-trust", qx_target_trust(&dataplane))
        .identity(
            "DataplaneAssume",
            policy(vec![json!({ "Effect": "Allow", "Action": "sts:*", "Resource": "*" })]),
        )
        .ctx("aws:RequestTag/tenant", "acme")
        .ctx_list("aws:TagKeys", &["tenant"]),
    );
    out.push(
        Case::new(
            Source::Qualytics,
            "qualytics/managed/dataplane-role-arn-itself",
            Caller::Arn(dataplane.clone()),
            "sts:AssumeRole",
            &role_arn(ACCOUNT, QX_S3_TARGET),
        )
        .resource_policy("target-trust", qx_target_trust(&dataplane))
        .identity("DataplaneAssume", qx_base_permissions())
        .ctx("sts:ExternalId", QUALYTICS_EXTERNAL_ID),
    );

    // Self-hosted, path A (IRSA base role) and path B (IAM user with static keys).
    let base = role_arn(ACCOUNT, QX_BASE);
    let user = user_arn(ACCOUNT, QX_USER);
    let base_session = || Caller::Arn(session_arn(ACCOUNT, QX_BASE, "spark-driver-2c1d"));
    let self_hosted = |name: &str, caller: Caller, principal: &str, target: &str| {
        Case::new(
            Source::Qualytics,
            format!("qualytics/self-hosted/{name}"),
            caller,
            "sts:AssumeRole",
            &role_arn(ACCOUNT, target),
        )
        .resource_policy("target-trust", qx_target_trust(principal))
    };
    for target in [QX_S3_TARGET, QX_ATHENA_TARGET, QX_REDSHIFT_TARGET] {
        out.push(
            self_hosted(&format!("irsa-base-role-to-{target}"), base_session(), &base, target)
                .identity("AssumeTargets", qx_base_permissions())
                .ctx("sts:ExternalId", QUALYTICS_EXTERNAL_ID),
        );
    }
    out.push(
        self_hosted("irsa-base-role-without-external-id", base_session(), &base, QX_S3_TARGET)
            .identity("AssumeTargets", qx_base_permissions()),
    );
    out.push(
        self_hosted("irsa-base-role-trust-names-user", base_session(), &user, QX_S3_TARGET)
            .identity("AssumeTargets", qx_base_permissions())
            .ctx("sts:ExternalId", QUALYTICS_EXTERNAL_ID),
    );
    out.push(
        self_hosted("static-keys-user", Caller::Arn(user.clone()), &user, QX_S3_TARGET)
            .identity("AssumeTargets", qx_base_permissions())
            .ctx("sts:ExternalId", QUALYTICS_EXTERNAL_ID),
    );
    out.push(
        self_hosted("static-keys-user-without-external-id", Caller::Arn(user.clone()), &user, QX_S3_TARGET)
            .identity("AssumeTargets", qx_base_permissions()),
    );
    out.push(
        self_hosted("static-keys-user-trust-names-role", Caller::Arn(user.clone()), &base, QX_S3_TARGET)
            .identity("AssumeTargets", qx_base_permissions())
            .ctx("sts:ExternalId", QUALYTICS_EXTERNAL_ID),
    );
    out.push(
        self_hosted("static-keys-user-scoped-to-other-role", Caller::Arn(user.clone()), &user, QX_S3_TARGET)
            .identity(
                "AssumeTargets",
                policy(vec![json!({ "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn(ACCOUNT, QX_ATHENA_TARGET) })]),
            )
            .ctx("sts:ExternalId", QUALYTICS_EXTERNAL_ID),
    );

    // The base role's IRSA trust (Spark ServiceAccount).
    let sub = format!("{OIDC_ISSUER}:sub");
    let aud = format!("{OIDC_ISSUER}:aud");
    let irsa = |name: &str| {
        Case::new(
            Source::Qualytics,
            format!("qualytics/irsa/{name}"),
            web_identity(),
            "sts:AssumeRoleWithWebIdentity",
            &base,
        )
        .resource_policy("base-irsa-trust", qx_base_irsa_trust())
    };
    out.push(
        irsa("spark-service-account")
            .ctx(&sub, "system:serviceaccount:qualytics:qualytics-spark")
            .ctx(&aud, "sts.amazonaws.com"),
    );
    out.push(
        irsa("overridden-service-account-name")
            .ctx(&sub, "system:serviceaccount:qualytics:spark")
            .ctx(&aud, "sts.amazonaws.com"),
    );
    out.push(irsa("no-sub").ctx(&aud, "sts.amazonaws.com"));

    // The target roles' data permissions.
    let target = |role: &str| Caller::Arn(session_arn(ACCOUNT, role, "qualytics-test"));
    let s3 = |name: &str, action: &str, resource: &str| {
        Case::new(Source::Qualytics, format!("qualytics/s3/{name}"), target(QX_S3_TARGET), action, resource)
            .owner(ACCOUNT)
            .identity("S3Access", qx_s3_permissions())
    };
    let object = |bucket: &str, key: &str| format!("arn:aws:s3:::{bucket}/{key}");
    let bucket = |bucket: &str| format!("arn:aws:s3:::{bucket}");
    out.push(s3("get-object", "s3:GetObject", &object(QX_BUCKET, "raw/orders/2025/06/01/part-0000.parquet")));
    out.push(s3("put-object", "s3:PutObject", &object(QX_BUCKET, "_qualytics/enrichment/anomalies.parquet")));
    out.push(s3("delete-object", "s3:DeleteObject", &object(QX_BUCKET, "_qualytics/tmp/x")));
    out.push(s3("list-bucket", "s3:ListBucket", &bucket(QX_BUCKET)));
    out.push(s3("get-bucket-location", "s3:GetBucketLocation", &bucket(QX_BUCKET)));
    out.push(s3("list-multipart-uploads", "s3:ListBucketMultipartUploads", &bucket(QX_BUCKET)));
    out.push(s3("abort-multipart-upload", "s3:AbortMultipartUpload", &object(QX_BUCKET, "big/file.csv")));
    out.push(s3("get-object-other-bucket", "s3:GetObject", &object("acme-finance", "ledger.csv")));
    out.push(s3("list-other-bucket", "s3:ListBucket", &bucket("acme-finance")));
    out.push(s3("list-bucket-with-similar-name", "s3:ListBucket", &bucket("acme-data-lake-archive")));
    out.push(s3("delete-bucket-denied", "s3:DeleteBucket", &bucket(QX_BUCKET)));

    let athena_wg = format!("arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/primary");
    let glue = |kind: &str, rest: &str| format!("arn:aws:glue:{REGION}:{ACCOUNT}:{kind}/{rest}");
    let athena = |name: &str, action: &str, resource: &str| {
        Case::new(
            Source::Qualytics,
            format!("qualytics/athena/{name}"),
            target(QX_ATHENA_TARGET),
            action,
            resource,
        )
        .owner(ACCOUNT)
        .identity("AthenaAccess", qx_athena_permissions())
    };
    out.push(athena("start-query", "athena:StartQueryExecution", &athena_wg));
    out.push(athena("get-query-results", "athena:GetQueryResults", &athena_wg));
    out.push(athena("get-work-group", "athena:GetWorkGroup", &athena_wg));
    out.push(athena("delete-work-group-denied", "athena:DeleteWorkGroup", &athena_wg));
    out.push(athena("glue-get-table", "glue:GetTable", &glue("table", "sales/orders")));
    out.push(athena("glue-get-database", "glue:GetDatabase", &glue("database", "sales")));
    out.push(athena("glue-get-partitions", "glue:GetPartitions", &glue("table", "sales/orders")));
    out.push(athena("glue-delete-table-denied", "glue:DeleteTable", &glue("table", "sales/orders")));
    out.push(athena("results-get-object", "s3:GetObject", &object(QX_RESULTS_BUCKET, "qualytics/3f0a.csv")));
    out.push(athena("results-put-object", "s3:PutObject", &object(QX_RESULTS_BUCKET, "qualytics/3f0a.csv")));
    out.push(athena(
        "results-delete-object-not-granted",
        "s3:DeleteObject",
        &object(QX_RESULTS_BUCKET, "qualytics/3f0a.csv"),
    ));
    out.push(athena("data-bucket-not-granted", "s3:GetObject", &object(QX_BUCKET, "raw/orders.parquet")));

    let rs = |name: &str, action: &str, resource: &str| {
        Case::new(
            Source::Qualytics,
            format!("qualytics/redshift/{name}"),
            target(QX_REDSHIFT_TARGET),
            action,
            resource,
        )
        .identity("RedshiftAccess", qx_redshift_permissions())
        .identity("RedshiftServerlessAccess", qx_redshift_serverless_permissions())
    };
    let rs_arn = |kind: &str, rest: &str| format!("arn:aws:redshift:{REGION}:{ACCOUNT}:{kind}:{rest}");
    out.push(rs(
        "get-credentials-reader",
        "redshift:GetClusterCredentials",
        &rs_arn("dbuser", "acme-warehouse/qualytics_reader"),
    ));
    out.push(rs(
        "get-credentials-admin-denied",
        "redshift:GetClusterCredentials",
        &rs_arn("dbuser", "acme-warehouse/awsuser"),
    ));
    out.push(rs(
        "get-credentials-dbname",
        "redshift:GetClusterCredentials",
        &rs_arn("dbname", "acme-warehouse/analytics"),
    ));
    out.push(rs(
        "get-credentials-other-dbname",
        "redshift:GetClusterCredentials",
        &rs_arn("dbname", "acme-warehouse/dev"),
    ));
    out.push(rs("describe-clusters", "redshift:DescribeClusters", &rs_arn("cluster", "acme-warehouse")));
    out.push(rs(
        "serverless-get-credentials",
        "redshift-serverless:GetCredentials",
        &format!(
            "arn:aws:redshift-serverless:{REGION}:{ACCOUNT}:workgroup/3f1c6a52-7e0d-4b1a-9c8e-2d4f6a8b0c1e"
        ),
    ));
    out.push(rs(
        "serverless-other-workgroup",
        "redshift-serverless:GetCredentials",
        &format!(
            "arn:aws:redshift-serverless:{REGION}:{ACCOUNT}:workgroup/00000000-0000-4000-8000-000000000000"
        ),
    ));
    out.push(rs("s3-not-granted", "s3:GetObject", &object(QX_BUCKET, "raw/x")).owner(ACCOUNT));
}

// ---------------------------------------------------------------------------------------------
// vCluster (004)

pub const VC_PLATFORM: &str = "vcluster-platform-iam-database-role";
pub const VC_DB_RESOURCE: &str = "db-7QJ4XKZ2M5N8P3R6T9V1W0Y2AB";
pub const VC_BOUNDARY: &str = "vcluster-db-connect-boundary";
/// A role name the platform creates: `u` and 31 more characters.
pub const VC_ROLE: &str = "u3f9a1c7e5b2d4068a9c1e3f5b7d9a2c";

pub fn vc_boundary_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/{VC_BOUNDARY}")
}

pub fn vc_dbuser(user: &str) -> String {
    format!("arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:{VC_DB_RESOURCE}/{user}")
}

fn u_pattern_role() -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/u{}", "?".repeat(31))
}

/// 004: `RDS DB Connect Policy` for the admin user.
pub fn vc_db_connect(user: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Action": "rds-db:connect", "Resource": vc_dbuser(user) }]
    })
}

/// 004: the permission boundary for roles the platform creates.
pub fn vc_boundary() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["rds-db:connect"],
            "Resource": vc_dbuser(&format!("u{}", "?".repeat(31)))
        }]
    })
}

/// 004: `IAM Management Policy (with permission boundary)`.
pub fn vc_iam_management_with_boundary() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:TagRole", "iam:ListRoleTags", "iam:GetRole"],
                "Resource": u_pattern_role()
            },
            {
                "Effect": "Allow",
                "Action": ["iam:PutRolePermissionsBoundary", "iam:CreateRole"],
                "Condition": { "StringEquals": { "iam:PermissionsBoundary": vc_boundary_arn() } },
                "Resource": u_pattern_role()
            },
            {
                "Sid": "NoBoundaryPolicyEdit",
                "Effect": "Deny",
                "Action": [
                    "iam:CreatePolicyVersion",
                    "iam:DeletePolicy",
                    "iam:DeletePolicyVersion",
                    "iam:SetDefaultPolicyVersion"
                ],
                "Resource": vc_boundary_arn()
            },
            {
                "Effect": "Allow",
                "Action": ["iam:GetRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole"],
                "Resource": "*",
                "Condition": { "StringEquals": { "aws:ResourceTag/vcluster.com/managed-by": "platform" } }
            },
            {
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": u_pattern_role(),
                "Condition": { "StringEquals": { "iam:PassedToService": "pods.eks.amazonaws.com" } }
            }
        ]
    })
}

/// 004: `IAM Management Policy` without a permission boundary.
pub fn vc_iam_management_without_boundary() -> Value {
    let mut doc = vc_iam_management_with_boundary();
    if let Some(list) = doc["Statement"].as_array_mut() {
        list.remove(2);
        if let Some(obj) = list[1].as_object_mut() {
            obj.remove("Condition");
        }
    }
    doc
}

/// 004: `RDS Resource ID Lookup Policy`.
pub fn vc_rds_lookup() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["rds:DescribeDBInstances"],
                "Resource": format!("arn:aws:rds:{REGION}:{ACCOUNT}:db:vcluster-shared-pg")
            },
            {
                "Effect": "Allow",
                "Action": ["rds:DescribeDBProxies"],
                "Resource": format!("arn:aws:rds:{REGION}:{ACCOUNT}:db-proxy:prx-0123a01b12345c0a")
            }
        ]
    })
}

/// 004: `EKS Pod Identity Association Policy`.
pub fn vc_pod_identity_associations() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["eks:CreatePodIdentityAssociation", "eks:ListPodIdentityAssociations"],
                "Resource": format!("arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{EKS_CLUSTER}")
            },
            {
                "Effect": "Allow",
                "Action": [
                    "eks:TagResource",
                    "eks:DescribePodIdentityAssociation",
                    "eks:UpdatePodIdentityAssociation",
                    "eks:DeletePodIdentityAssociation"
                ],
                "Resource": format!("arn:aws:eks:{REGION}:{ACCOUNT}:podidentityassociation/{EKS_CLUSTER}/*")
            }
        ]
    })
}

/// 004: the platform role's trust policy.
pub fn vc_platform_trust() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "pods.eks.amazonaws.com" },
            "Action": ["sts:AssumeRole", "sts:TagSession"]
        }]
    })
}

fn vcluster_cases(out: &mut Vec<Case>) {
    let platform = || Caller::Arn(session_arn(ACCOUNT, VC_PLATFORM, "eks-vcluster-p-loft-7c9d2b"));
    let with_all = |case: Case| {
        case.identity("rds-db-connect", vc_db_connect("postgres"))
            .identity("iam-management", vc_iam_management_with_boundary())
            .identity("rds-resource-id-lookup", vc_rds_lookup())
            .identity("eks-pod-identity-associations", vc_pod_identity_associations())
    };
    let vc = |name: &str, action: &str, resource: &str| {
        with_all(Case::new(
            Source::VCluster,
            format!("vcluster/platform/{name}"),
            platform(),
            action,
            resource,
        ))
    };
    let role = |name: &str| role_arn(ACCOUNT, name);

    out.push(
        Case::new(
            Source::VCluster,
            "vcluster/trust/pod-identity-assume",
            pod_identity(),
            "sts:AssumeRole",
            &role(VC_PLATFORM),
        )
        .resource_policy("platform-trust", vc_platform_trust()),
    );
    out.push(
        Case::new(
            Source::VCluster,
            "vcluster/trust/pod-identity-tag-session",
            pod_identity(),
            "sts:TagSession",
            &role(VC_PLATFORM),
        )
        .resource_policy("platform-trust", vc_platform_trust())
        .ctx("aws:RequestTag/kubernetes-service-account", "loft")
        .ctx_list("aws:TagKeys", &["kubernetes-service-account"]),
    );
    out.push(
        Case::new(
            Source::VCluster,
            "vcluster/trust/irsa-not-trusted",
            web_identity(),
            "sts:AssumeRoleWithWebIdentity",
            &role(VC_PLATFORM),
        )
        .resource_policy("platform-trust", vc_platform_trust())
        .ctx(&format!("{OIDC_ISSUER}:aud"), "sts.amazonaws.com"),
    );

    out.push(vc("connect-as-admin", "rds-db:connect", &vc_dbuser("postgres")));
    out.push(vc("connect-as-other-user", "rds-db:connect", &vc_dbuser("app_rw")));
    out.push(vc(
        "connect-other-instance",
        "rds-db:connect",
        &format!("arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:db-OTHERINSTANCE00000000000/postgres"),
    ));
    out.push(vc(
        "connect-other-region",
        "rds-db:connect",
        &format!("arn:aws:rds-db:us-west-2:{ACCOUNT}:dbuser:{VC_DB_RESOURCE}/postgres"),
    ));

    let pb = vc_boundary_arn();
    let u_role = role(VC_ROLE);
    out.push(vc("create-role-with-boundary", "iam:CreateRole", &u_role).ctx("iam:PermissionsBoundary", &pb));
    out.push(
        vc("create-role-with-other-boundary", "iam:CreateRole", &u_role)
            .ctx("iam:PermissionsBoundary", "arn:aws:iam::aws:policy/AdministratorAccess"),
    );
    out.push(vc("create-role-without-boundary", "iam:CreateRole", &u_role));
    out.push(
        vc("create-role-name-too-short", "iam:CreateRole", &role(&VC_ROLE[..31]))
            .ctx("iam:PermissionsBoundary", &pb),
    );
    out.push(
        vc("create-role-name-too-long", "iam:CreateRole", &role(&format!("{VC_ROLE}x")))
            .ctx("iam:PermissionsBoundary", &pb),
    );
    out.push(
        vc("create-role-name-not-u", "iam:CreateRole", &role(&format!("a{}", &VC_ROLE[1..])))
            .ctx("iam:PermissionsBoundary", &pb),
    );
    out.push(
        vc("put-boundary", "iam:PutRolePermissionsBoundary", &u_role).ctx("iam:PermissionsBoundary", &pb),
    );
    out.push(
        vc("tag-role", "iam:TagRole", &u_role)
            .ctx("aws:RequestTag/vcluster.com/managed-by", "platform")
            .ctx_list("aws:TagKeys", &["vcluster.com/managed-by"]),
    );
    out.push(vc("get-role", "iam:GetRole", &u_role));
    out.push(vc("get-platform-role-denied", "iam:GetRole", &role(VC_PLATFORM)));
    for action in [
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
    ] {
        let short = action.trim_start_matches("iam:").to_lowercase();
        out.push(vc(&format!("boundary-edit-{short}-denied"), action, &pb));
    }
    out.push(vc(
        "other-policy-version-not-granted",
        "iam:CreatePolicyVersion",
        &format!("arn:aws:iam::{ACCOUNT}:policy/vcluster-other"),
    ));
    out.push(
        vc("put-role-policy-managed", "iam:PutRolePolicy", &u_role)
            .ctx("aws:ResourceTag/vcluster.com/managed-by", "platform"),
    );
    out.push(
        vc("delete-role-managed", "iam:DeleteRole", &u_role)
            .ctx("aws:ResourceTag/vcluster.com/managed-by", "platform"),
    );
    out.push(
        vc("delete-role-other-tag", "iam:DeleteRole", &u_role)
            .ctx("aws:ResourceTag/vcluster.com/managed-by", "terraform"),
    );
    out.push(vc("delete-role-untagged", "iam:DeleteRole", &role("prod-admin")));
    out.push(
        vc("delete-role-tag-key-case", "iam:DeleteRolePolicy", &u_role)
            .ctx("aws:ResourceTag/vcluster.com/managed-by", "Platform"),
    );
    out.push(
        vc("pass-role-to-pods", "iam:PassRole", &u_role).ctx("iam:PassedToService", "pods.eks.amazonaws.com"),
    );
    out.push(vc("pass-role-to-ec2", "iam:PassRole", &u_role).ctx("iam:PassedToService", "ec2.amazonaws.com"));
    out.push(vc("pass-role-no-service", "iam:PassRole", &u_role));
    out.push(
        vc("pass-platform-role", "iam:PassRole", &role(VC_PLATFORM))
            .ctx("iam:PassedToService", "pods.eks.amazonaws.com"),
    );
    out.push(vc(
        "describe-db-instance",
        "rds:DescribeDBInstances",
        &format!("arn:aws:rds:{REGION}:{ACCOUNT}:db:vcluster-shared-pg"),
    ));
    out.push(vc(
        "describe-other-db-instance",
        "rds:DescribeDBInstances",
        &format!("arn:aws:rds:{REGION}:{ACCOUNT}:db:billing-pg"),
    ));
    out.push(vc(
        "describe-db-proxy",
        "rds:DescribeDBProxies",
        &format!("arn:aws:rds:{REGION}:{ACCOUNT}:db-proxy:prx-0123a01b12345c0a"),
    ));
    out.push(vc(
        "delete-db-instance-denied",
        "rds:DeleteDBInstance",
        &format!("arn:aws:rds:{REGION}:{ACCOUNT}:db:vcluster-shared-pg"),
    ));
    let cluster = format!("arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{EKS_CLUSTER}");
    let association =
        format!("arn:aws:eks:{REGION}:{ACCOUNT}:podidentityassociation/{EKS_CLUSTER}/a-4kxq2m7n9p1r3s5t");
    out.push(vc("create-pod-identity-association", "eks:CreatePodIdentityAssociation", &cluster));
    out.push(vc("list-pod-identity-associations", "eks:ListPodIdentityAssociations", &cluster));
    out.push(vc(
        "create-association-other-cluster",
        "eks:CreatePodIdentityAssociation",
        &format!("arn:aws:eks:{REGION}:{ACCOUNT}:cluster/staging"),
    ));
    out.push(vc("describe-association", "eks:DescribePodIdentityAssociation", &association));
    out.push(vc("tag-association", "eks:TagResource", &association));
    out.push(vc("tag-cluster-denied", "eks:TagResource", &cluster));
    out.push(vc("delete-cluster-denied", "eks:DeleteCluster", &cluster));

    // Without a boundary the platform may create any u-role, boundary or not.
    let no_pb = |name: &str, action: &str, resource: &str| {
        Case::new(
            Source::VCluster,
            format!("vcluster/platform-no-boundary/{name}"),
            platform(),
            action,
            resource,
        )
        .identity("iam-management", vc_iam_management_without_boundary())
    };
    out.push(no_pb("create-role-without-boundary", "iam:CreateRole", &u_role));
    out.push(
        no_pb("create-role-any-boundary", "iam:CreateRole", &u_role)
            .ctx("iam:PermissionsBoundary", "arn:aws:iam::aws:policy/AdministratorAccess"),
    );
    out.push(no_pb("edit-boundary-not-denied-but-not-granted", "iam:CreatePolicyVersion", &pb));

    // A role the platform created, bounded by the boundary, with a broader inline policy.
    let created = || Caller::Arn(session_arn(ACCOUNT, VC_ROLE, "eks-vcluster-x-vc-7f2a"));
    let inline = policy(vec![
        json!({ "Effect": "Allow", "Action": "rds-db:connect", "Resource": format!("arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:{VC_DB_RESOURCE}/*") }),
        json!({ "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::vcluster-backups/*" }),
    ]);
    let bounded = |name: &str, action: &str, resource: &str| {
        Case::new(Source::VCluster, format!("vcluster/bounded-role/{name}"), created(), action, resource)
            .identity("vcluster-db-access", inline.clone())
            .boundary(VC_BOUNDARY, vc_boundary())
    };
    let own_user = format!("u{}", &VC_ROLE[1..]);
    out.push(bounded("connect-as-own-user", "rds-db:connect", &vc_dbuser(&own_user)));
    out.push(bounded("connect-as-admin-blocked-by-boundary", "rds-db:connect", &vc_dbuser("postgres")));
    out.push(bounded("connect-short-user-blocked-by-boundary", "rds-db:connect", &vc_dbuser("u1234")));
    out.push(
        bounded("s3-blocked-by-boundary", "s3:GetObject", "arn:aws:s3:::vcluster-backups/x.tar")
            .owner(ACCOUNT),
    );
    out.push(
        Case::new(
            Source::VCluster,
            "vcluster/bounded-role/no-boundary-admin-connect",
            created(),
            "rds-db:connect",
            &vc_dbuser("postgres"),
        )
        .identity("vcluster-db-access", inline.clone()),
    );
    out.push(
        Case::new(
            Source::VCluster,
            "vcluster/bounded-role/boundary-alone-grants-nothing",
            created(),
            "rds-db:connect",
            &vc_dbuser(&own_user),
        )
        .boundary(VC_BOUNDARY, vc_boundary()),
    );
}

/// Every seed-derived case.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    xpander_cases(&mut out);
    secrets_cases(&mut out);
    qualytics_cases(&mut out);
    vcluster_cases(&mut out);
    out
}
