//! One authorization case of the differential corpus, the fixed names its policies use, and
//! its JSON form for the peer.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde_json::{Value, json};

/// The account that owns the connector roles, the data and the cluster.
pub const ACCOUNT: &str = "111122223333";
/// A second account: the vendors' platforms (xpander cloud, Qualytics' managed dataplane).
pub const OTHER_ACCOUNT: &str = "444455556666";
/// A third account that no policy trusts.
pub const STRANGER_ACCOUNT: &str = "777788889999";
/// The organization `ACCOUNT` belongs to.
pub const ORG_ID: &str = "o-a1b2c3d4e5";
/// The organization `OTHER_ACCOUNT` belongs to.
pub const OTHER_ORG_ID: &str = "o-z9y8x7w6v5";
/// The xpander Organization ID, which the connector roles use as their `sts:ExternalId`.
pub const XPANDER_ORG_EXTERNAL_ID: &str = "org-7f3a9c";
/// The customer-chosen `sts:ExternalId` of the Qualytics target roles.
pub const QUALYTICS_EXTERNAL_ID: &str = "qx-2b7d9e41-prod";
pub const REGION: &str = "us-east-1";
/// The EKS cluster's IAM OIDC provider (IRSA), and the issuer its condition keys are named after.
pub const OIDC_ISSUER: &str = "oidc.eks.us-east-1.amazonaws.com/id/5C3B8F0E2A9D4E61B7F0C2D4A6E8B1F3";
pub const POD_IDENTITY_SERVICE: &str = "pods.eks.amazonaws.com";

/// `arn:aws:iam::<account>:role/<name>`.
pub fn role_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role/{name}")
}

/// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
pub fn session_arn(account: &str, role: &str, session: &str) -> String {
    format!("arn:aws:sts::{account}:assumed-role/{role}/{session}")
}

/// `arn:aws:iam::<account>:user/<name>`.
pub fn user_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user/{name}")
}

/// `arn:aws:iam::<account>:root`.
pub fn root_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:root")
}

/// The EKS cluster's OIDC provider ARN in `ACCOUNT`.
pub fn oidc_provider_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC_ISSUER}")
}

/// A policy document with the given statements.
pub fn policy(statements: Vec<Value>) -> Value {
    let mut document = serde_json::Map::new();
    document.insert("Version".into(), Value::String("2012-10-17".into()));
    document.insert("Statement".into(), Value::Array(statements));
    Value::Object(document)
}

/// Where a case comes from, for the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// xpander's per-connector role setup (seeds 000 and 001).
    Xpander,
    /// xpander's Secrets Manager and IRSA guide (seed 002).
    SecretsManager,
    /// Qualytics' IAM Role authentication guide (seed 003).
    Qualytics,
    /// vCluster's IAM database connector guide (seed 004).
    VCluster,
    /// Generated variations.
    Generated,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Xpander => "seed xpander 000/001",
            Source::SecretsManager => "seed secrets-manager 002",
            Source::Qualytics => "seed qualytics 003",
            Source::VCluster => "seed vcluster 004",
            Source::Generated => "generated",
        })
    }
}

/// Who makes the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An IAM user, a role session, a role or an account root, by ARN.
    Arn(String),
    /// A service principal such as `pods.eks.amazonaws.com`.
    Service(String),
    /// A web identity from an OIDC provider, named by the provider's ARN.
    Federated(String),
}

impl Caller {
    /// The principal string both evaluators are given.
    pub fn principal(&self) -> &str {
        match self {
            Caller::Arn(s) | Caller::Service(s) | Caller::Federated(s) => s,
        }
    }

    /// The account of an ARN caller (`None` for service principals).
    pub fn account(&self) -> Option<String> {
        match self {
            Caller::Arn(arn) | Caller::Federated(arn) => arn.split(':').nth(4).map(str::to_owned),
            Caller::Service(_) => None,
        }
    }

    /// What `aws:PrincipalArn` holds for this caller: a role session's role, else the ARN itself.
    pub fn principal_arn(&self) -> Option<String> {
        let Caller::Arn(arn) = self else {
            return None;
        };
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        if parts.len() == 6
            && parts[2] == "sts"
            && let Some(rest) = parts[5].strip_prefix("assumed-role/")
        {
            let role = rest.split('/').next().unwrap_or_default();
            return Some(role_arn(parts[4], role));
        }
        Some(arn.clone())
    }
}

/// A context value: one string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    One(String),
    Many(Vec<String>),
}

impl Val {
    fn to_json(&self) -> Value {
        match self {
            Val::One(s) => Value::String(s.clone()),
            Val::Many(list) => Value::Array(list.iter().cloned().map(Value::String).collect()),
        }
    }
}

/// What AWS decides, in the peer's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    ImplicitlyDenied,
    ExplicitlyDenied,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "Allowed" => Some(Outcome::Allowed),
            "ImplicitlyDenied" => Some(Outcome::ImplicitlyDenied),
            "ExplicitlyDenied" => Some(Outcome::ExplicitlyDenied),
            _ => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Allowed => "Allowed",
            Outcome::ImplicitlyDenied => "ImplicitlyDenied",
            Outcome::ExplicitlyDenied => "ExplicitlyDenied",
        })
    }
}

/// One authorization request and the policies that decide it.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub source: Source,
    pub caller: Caller,
    pub action: String,
    pub resource: String,
    pub resource_account: String,
    pub context: BTreeMap<String, Val>,
    pub identity: Vec<(String, Value)>,
    pub resource_policy: Option<(String, Value)>,
    pub boundary: Option<(String, Value)>,
}

impl Case {
    /// A case with no policies. The resource's account is read from its ARN (the fifth
    /// field); for `*` (actions that take no resource) it is the caller's own account, and ARNs
    /// without one (S3) must set it with [`Case::owner`]. The principal keys AWS
    /// always puts in the request context (`aws:PrincipalArn`, `aws:PrincipalAccount`,
    /// `aws:PrincipalOrgID`, `aws:PrincipalServiceName`) are filled in from the caller.
    pub fn new(
        source: Source,
        name: impl Into<String>,
        caller: Caller,
        action: &str,
        resource: &str,
    ) -> Case {
        let mut resource_account = resource.split(':').nth(4).unwrap_or_default().to_owned();
        if resource == "*" {
            resource_account = caller.account().unwrap_or_else(|| ACCOUNT.to_owned());
        }
        let mut case = Case {
            name: name.into(),
            source,
            caller,
            action: action.to_owned(),
            resource: resource.to_owned(),
            resource_account,
            context: BTreeMap::new(),
            identity: Vec::new(),
            resource_policy: None,
            boundary: None,
        };
        case.fill_principal_keys();
        case
    }

    fn fill_principal_keys(&mut self) {
        match &self.caller {
            Caller::Arn(_) => {
                let account = self.caller.account().unwrap_or_default();
                if let Some(arn) = self.caller.principal_arn() {
                    self.context.insert("aws:PrincipalArn".into(), Val::One(arn));
                }
                let org = match account.as_str() {
                    ACCOUNT => Some(ORG_ID),
                    OTHER_ACCOUNT => Some(OTHER_ORG_ID),
                    _ => None,
                };
                if let Some(org) = org {
                    self.context.insert("aws:PrincipalOrgID".into(), Val::One(org.into()));
                }
                self.context.insert("aws:PrincipalAccount".into(), Val::One(account));
            }
            Caller::Service(service) => {
                self.context.insert("aws:PrincipalServiceName".into(), Val::One(service.clone()));
            }
            Caller::Federated(_) => {}
        }
    }

    /// The account that owns the resource, for ARNs that do not carry one.
    pub fn owner(mut self, account: &str) -> Case {
        account.clone_into(&mut self.resource_account);
        self
    }

    /// A single-valued context key.
    pub fn ctx(mut self, key: &str, value: &str) -> Case {
        self.context.insert(key.to_owned(), Val::One(value.to_owned()));
        self
    }

    /// A multivalued context key (possibly empty).
    pub fn ctx_list(mut self, key: &str, values: &[&str]) -> Case {
        self.context.insert(key.to_owned(), Val::Many(values.iter().map(|v| (*v).to_owned()).collect()));
        self
    }

    /// Attaches an identity policy to the caller.
    pub fn identity(mut self, name: &str, document: Value) -> Case {
        self.identity.push((name.to_owned(), document));
        self
    }

    /// Sets the resource's policy (a role trust policy for `sts:` actions on a role).
    pub fn resource_policy(mut self, name: &str, document: Value) -> Case {
        self.resource_policy = Some((name.to_owned(), document));
        self
    }

    /// Sets the caller's permissions boundary.
    pub fn boundary(mut self, name: &str, document: Value) -> Case {
        self.boundary = Some((name.to_owned(), document));
        self
    }

    /// The case as `simulate.mjs` reads it.
    pub fn to_peer_json(&self) -> Value {
        let context: serde_json::Map<String, Value> =
            self.context.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
        let identity: Vec<Value> =
            self.identity.iter().map(|(name, doc)| json!({ "name": name, "policy": doc })).collect();
        json!({
            "name": self.name,
            "principal": self.caller.principal(),
            "action": self.action,
            "resource": self.resource,
            "resource_account": self.resource_account,
            "context": context,
            "identity": identity,
            "resource_policy": self.resource_policy.as_ref().map(|(_, doc)| doc.clone()),
            "boundary": self.boundary.as_ref().map(|(name, doc)| json!({ "name": name, "policy": doc })),
        })
    }

    /// A one-paragraph description for failure messages.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "{} [{}]\n    caller {:?}\n    {} on {} (account {})\n    context {}",
            self.name,
            self.source,
            self.caller,
            self.action,
            self.resource,
            self.resource_account,
            serde_json::to_string(&self.to_peer_json()["context"]).unwrap_or_default()
        );
        for (name, doc) in &self.identity {
            let _ = write!(out, "\n    identity {name}: {doc}");
        }
        if let Some((name, doc)) = &self.resource_policy {
            let _ = write!(out, "\n    resource policy {name}: {doc}");
        }
        if let Some((name, doc)) = &self.boundary {
            let _ = write!(out, "\n    boundary {name}: {doc}");
        }
        out
    }
}
