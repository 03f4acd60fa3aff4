//! The scenario format: one TOML file describes one offline AWS world (the account, the pod's
//! credential source and token, the Pod Identity agent, IMDS, STS, roles and users) and the
//! faults in it. Every table denies unknown fields so a typo fails loudly instead of silently
//! describing a different world.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::fault::Fault;

pub mod network;
pub mod rds;
pub mod redshift;

/// Audience of the tokens kubelet projects for EKS Pod Identity.
pub const POD_IDENTITY_AUDIENCE: &str = "pods.eks.amazonaws.com";
/// Audience of the tokens projected for IRSA (the default client ID of an EKS OIDC provider).
pub const STS_AUDIENCE: &str = "sts.amazonaws.com";
/// The made-up cluster ID in the default issuer URL.
pub const DEFAULT_OIDC_ID: &str = "EXAMPLED539D4633E53DE1B71EXAMPLE";

/// A whole offline AWS world. See the crate docs and `tests/scenarios/*.toml` for examples.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// One sentence saying what the world is and what the doctor should find in it.
    #[serde(default)]
    pub description: String,
    /// The AWS account everything lives in.
    #[serde(default = "default_account")]
    pub account: String,
    /// The region the pod is configured for (`AWS_REGION`).
    #[serde(default = "default_region")]
    pub region: String,
    /// The EKS cluster name; it appears in Pod Identity session names.
    #[serde(default = "default_cluster")]
    pub cluster: String,
    /// What the pod (the doctor's process) sees.
    #[serde(default)]
    pub pod: Pod,
    /// The EKS Pod Identity agent.
    #[serde(default)]
    pub agent: Agent,
    /// The instance metadata service; absent means IMDS is disabled for the pod.
    #[serde(default)]
    pub imds: Option<Imds>,
    /// The AWS endpoint, STS in particular.
    #[serde(default)]
    pub sts: Sts,
    /// IAM roles that exist in the account.
    #[serde(default, rename = "role")]
    pub roles: Vec<Role>,
    /// IAM users (with static keys) that exist in the account.
    #[serde(default, rename = "user")]
    pub users: Vec<User>,
    /// Customer-managed policies, attached to roles by name.
    #[serde(default, rename = "policy")]
    pub policies: Vec<ManagedPolicy>,
    /// The connector-doctor configuration the pod has (TOML, as a `ConfigMap` would mount it):
    /// written to `<temp dir>/connector-doctor.toml` and named by `CONNECTOR_DOCTOR_CONFIG`.
    #[serde(default)]
    pub doctor_config: Option<String>,
    /// RDS instances, Aurora clusters and proxies (PostgreSQL), with their login endpoints.
    #[serde(default, rename = "rds")]
    pub rds: Vec<rds::Rds>,
    /// How far AWS's clock is ahead of the pod's, in seconds (negative: behind). The RDS
    /// front judges token expiry by it and every AWS reply's `Date` header shows it.
    #[serde(default)]
    pub clock_skew_seconds: i64,
    /// Redshift provisioned clusters, backed by the real PostgreSQL server.
    #[serde(default, rename = "redshift")]
    pub redshift: Vec<redshift::Cluster>,
    /// Redshift Serverless workgroups, backed by the real PostgreSQL server.
    #[serde(default, rename = "workgroup")]
    pub workgroups: Vec<redshift::Workgroup>,
    /// VPC security groups, as EC2's `DescribeSecurityGroups` reports them.
    #[serde(default, rename = "security_group")]
    pub security_groups: Vec<network::SecurityGroup>,
    /// Network interfaces, as EC2's `DescribeNetworkInterfaces` reports them.
    #[serde(default, rename = "network_interface")]
    pub network_interfaces: Vec<network::NetworkInterface>,
    /// What the lab's DNS responder answers, when the lab runs one.
    #[serde(default)]
    pub dns: network::Dns,
}

/// Which credential source the pod has been given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// EKS Pod Identity: container-credentials URI + token file.
    PodIdentity,
    /// IAM Roles for Service Accounts: role ARN + web identity token file.
    Irsa,
    /// Static keys in the environment.
    Static,
    /// A named profile in shared config files.
    Profile,
    /// Nothing: the SDK falls back to IMDS (the node role) if IMDS is reachable.
    #[default]
    None,
}

/// The pod: its Kubernetes identity, its credential source and its token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pod {
    /// The credential source.
    #[serde(default)]
    pub source: Source,
    /// Kubernetes namespace.
    #[serde(default = "default_word")]
    pub namespace: String,
    /// Kubernetes service account.
    #[serde(default = "default_word")]
    pub service_account: String,
    /// Pod name; it appears in the token and in Pod Identity session names.
    #[serde(default = "default_pod_name")]
    pub name: String,
    /// Pod Identity: the associated role; IRSA: the role named in `AWS_ROLE_ARN`.
    #[serde(default)]
    pub role: Option<String>,
    /// A literal `AWS_ROLE_ARN`, for malformed-ARN scenarios.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Also export the first user's static keys (conflicting-source scenarios).
    #[serde(default)]
    pub static_keys: bool,
    /// Pod Identity: whether an association exists for this namespace/service account.
    #[serde(default = "yes")]
    pub association: bool,
    /// Pod Identity: whether the association adds its (transitive) session tags; `false` is
    /// the association's `disableSessionTags`.
    #[serde(default = "yes")]
    pub session_tags: bool,
    /// Environment applied last; an empty value removes the variable.
    #[serde(default)]
    pub extra_env: BTreeMap<String, String>,
    /// The projected service account token.
    #[serde(default)]
    pub token: Token,
    /// The pod's IP address, exported as `POD_IP` (the downward API's usual name).
    #[serde(default)]
    pub ip: Option<String>,
}

impl Default for Pod {
    fn default() -> Self {
        Self {
            source: Source::None,
            namespace: default_word(),
            service_account: default_word(),
            name: default_pod_name(),
            role: None,
            role_arn: None,
            static_keys: false,
            association: true,
            session_tags: true,
            extra_env: BTreeMap::new(),
            token: Token::default(),
            ip: None,
        }
    }
}

/// What is in the token file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TokenFile {
    /// A JWT (with `prefix` and `suffix` around it).
    #[default]
    Ok,
    /// The path is exported but nothing is there.
    Missing,
    /// The file exists with mode 0o000.
    Unreadable,
    /// `garbage_bytes` random bytes.
    Garbage,
    /// A directory sits at the path.
    Directory,
}

/// The projected service account token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// `aud`; default by source (`pods.eks.amazonaws.com` or `sts.amazonaws.com`).
    #[serde(default)]
    pub audience: Option<String>,
    /// Lifetime from now; negative means already expired.
    #[serde(default = "default_token_lifetime")]
    pub expires_in_seconds: i64,
    /// `iss`; default `https://oidc.eks.<region>.amazonaws.com/id/<fixed id>`.
    #[serde(default)]
    pub issuer: Option<String>,
    /// What the file holds.
    #[serde(default)]
    pub file: TokenFile,
    /// Text written before the JWT.
    #[serde(default)]
    pub prefix: String,
    /// Text written after the JWT.
    #[serde(default)]
    pub suffix: String,
    /// Size of a `garbage` file.
    #[serde(default = "default_garbage_bytes")]
    pub garbage_bytes: usize,
}

impl Default for Token {
    fn default() -> Self {
        Self {
            audience: None,
            expires_in_seconds: default_token_lifetime(),
            issuer: None,
            file: TokenFile::Ok,
            prefix: String::new(),
            suffix: String::new(),
            garbage_bytes: default_garbage_bytes(),
        }
    }
}

/// How an endpoint misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// It works.
    #[default]
    None,
    /// Accepts, reads the request, never answers.
    Hang,
    /// Answers 200 with bytes that are no valid reply.
    Garbage,
    /// Answers `status` with `body`.
    Status,
    /// Nothing listens at the URL.
    Refused,
}

/// The EKS Pod Identity agent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Fault of the whole agent.
    #[serde(default)]
    pub fault: FaultKind,
    /// Status for `fault = "status"`.
    #[serde(default = "default_status")]
    pub status: u16,
    /// Body for `fault = "status"`.
    #[serde(default)]
    pub body: String,
}

impl Default for Agent {
    fn default() -> Self {
        Self { fault: FaultKind::None, status: default_status(), body: String::new() }
    }
}

impl Agent {
    /// The fault to apply to every agent request.
    pub fn fault(&self) -> Fault {
        Fault::new(self.fault, self.status, &self.body)
    }
}

/// The instance metadata service of the node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Imds {
    /// The node's instance profile role.
    #[serde(default = "default_node_role")]
    pub role: String,
    /// The node's instance ID (the session name of the node role).
    #[serde(default = "default_instance_id")]
    pub instance_id: String,
}

/// Which key problem every signed call reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RejectKeys {
    /// Keys are checked normally.
    #[default]
    None,
    /// `InvalidClientTokenId`.
    Invalid,
    /// `ExpiredToken`.
    Expired,
    /// `SignatureDoesNotMatch`.
    Signature,
}

/// The AWS endpoint (every service) and STS's account-level settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sts {
    /// Fault of the whole AWS endpoint.
    #[serde(default)]
    pub fault: FaultKind,
    /// Status for `fault = "status"`.
    #[serde(default = "default_status")]
    pub status: u16,
    /// Body for `fault = "status"`.
    #[serde(default)]
    pub body: String,
    /// Regions where STS is not activated for the account.
    #[serde(default)]
    pub disabled_regions: Vec<String>,
    /// IAM OIDC providers (issuer host + path); default: the default issuer's.
    #[serde(default)]
    pub oidc_providers: Option<Vec<String>>,
    /// Client IDs (audiences) registered on every OIDC provider.
    #[serde(default = "default_client_ids")]
    pub oidc_client_ids: Vec<String>,
    /// Report this key problem on every signed call.
    #[serde(default)]
    pub reject_keys: RejectKeys,
}

impl Default for Sts {
    fn default() -> Self {
        Self {
            fault: FaultKind::None,
            status: default_status(),
            body: String::new(),
            disabled_regions: Vec::new(),
            oidc_providers: None,
            oidc_client_ids: default_client_ids(),
            reject_keys: RejectKeys::None,
        }
    }
}

impl Sts {
    /// The fault to apply to every AWS request.
    pub fn fault(&self) -> Fault {
        Fault::new(self.fault, self.status, &self.body)
    }
}

/// An IAM role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Role name.
    pub name: String,
    /// Trust policy JSON; default: trusts the pod's credential source (see [`Scenario::trust_of`]).
    #[serde(default)]
    pub trust: Option<String>,
    /// The account the role lives in (default: the scenario's), for cross-account chains.
    #[serde(default)]
    pub account: Option<String>,
    /// Inline permission policies: name → JSON document.
    #[serde(default)]
    pub policies: BTreeMap<String, String>,
    /// Names of attached `[[policy]]` managed policies.
    #[serde(default)]
    pub managed: Vec<String>,
    /// Name of the `[[policy]]` used as permissions boundary.
    #[serde(default)]
    pub boundary: Option<String>,
    /// The role's `MaxSessionDuration` in seconds (IAM allows 3600 to 43200).
    #[serde(default = "default_max_session")]
    pub max_session_seconds: i64,
}

/// An IAM user with an access key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// User name.
    pub name: String,
    /// Access key ID; default generated.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// Secret access key; default generated.
    #[serde(default)]
    pub secret_access_key: Option<String>,
    /// Inline permission policies: name → JSON document.
    #[serde(default)]
    pub policies: BTreeMap<String, String>,
    /// Names of attached `[[policy]]` managed policies.
    #[serde(default)]
    pub managed: Vec<String>,
}

/// A customer-managed policy (`arn:aws:iam::<account>:policy/<name>`), version `v1`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedPolicy {
    /// The policy's name.
    pub name: String,
    /// The JSON document.
    pub document: String,
}

impl Scenario {
    /// Parses and checks a scenario. Errors name the line and column for TOML mistakes.
    pub fn from_toml_str(text: &str) -> anyhow::Result<Scenario> {
        let mut scenario: Scenario = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        scenario.complete().map_err(|e| match locate(text, &e.to_string()) {
            Some(line) => anyhow::anyhow!("line {line}: {e}"),
            None => e,
        })?;
        Ok(scenario)
    }

    /// Reads a scenario file; errors name the file.
    pub fn from_file(path: &Path) -> anyhow::Result<Scenario> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read scenario {}", path.display()))?;
        Self::from_toml_str(&text).with_context(|| format!("bad scenario {}", path.display()))
    }

    /// The token's issuer URL (`https://…`).
    pub fn issuer(&self) -> String {
        self.pod
            .token
            .issuer
            .clone()
            .unwrap_or_else(|| format!("https://oidc.eks.{}.amazonaws.com/id/{DEFAULT_OIDC_ID}", self.region))
    }

    /// The OIDC providers that exist in IAM (issuer host + path, no scheme).
    pub fn oidc_providers(&self) -> Vec<String> {
        match &self.sts.oidc_providers {
            Some(list) => list.iter().map(|p| strip_scheme(p).to_owned()).collect(),
            None => vec![format!("oidc.eks.{}.amazonaws.com/id/{DEFAULT_OIDC_ID}", self.region)],
        }
    }

    /// The token's audience.
    pub fn audience(&self) -> String {
        self.pod.token.audience.clone().unwrap_or_else(|| {
            if self.pod.source == Source::Irsa {
                STS_AUDIENCE.to_owned()
            } else {
                POD_IDENTITY_AUDIENCE.to_owned()
            }
        })
    }

    /// The `AWS_ROLE_ARN` an IRSA pod gets.
    pub fn role_arn(&self) -> String {
        self.pod.role_arn.clone().unwrap_or_else(|| {
            format!("arn:aws:iam::{}:role/{}", self.account, self.pod.role.as_deref().unwrap_or_default())
        })
    }

    /// The trust policy of a role: its own, or the default for the pod's source. The default
    /// for IRSA trusts the issuer's OIDC provider for exactly this pod's service account with
    /// audience `sts.amazonaws.com`; otherwise it trusts the Pod Identity service principal.
    pub fn trust_of(&self, role: &Role) -> String {
        if let Some(trust) = &role.trust {
            return trust.clone();
        }
        if self.pod.source == Source::Irsa {
            let provider = strip_scheme(&self.issuer()).to_owned();
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Federated": format!("arn:aws:iam::{}:oidc-provider/{provider}", self.account)},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {
                        format!("{provider}:sub"): format!("system:serviceaccount:{}:{}", self.pod.namespace, self.pod.service_account),
                        format!("{provider}:aud"): STS_AUDIENCE,
                    }}
                }]
            })
            .to_string()
        } else {
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": POD_IDENTITY_AUDIENCE},
                    "Action": ["sts:AssumeRole", "sts:TagSession"]
                }]
            })
            .to_string()
        }
    }

    /// Fills implied parts and rejects combinations that describe no world.
    fn complete(&mut self) -> anyhow::Result<()> {
        let source = self.pod.source;
        if matches!(source, Source::PodIdentity | Source::Irsa) {
            match &self.pod.role {
                Some(role) => {
                    if !self.roles.iter().any(|r| &r.name == role) {
                        self.roles.push(Role::named(role));
                    }
                }
                None if source == Source::Irsa && self.pod.role_arn.is_some() => {}
                None => bail!("pod.role is required when pod.source is pod-identity or irsa"),
            }
        }
        let needs_user = self.pod.static_keys || matches!(source, Source::Static | Source::Profile);
        if needs_user && self.users.is_empty() {
            self.users.push(User {
                name: "lab-user".to_owned(),
                access_key_id: None,
                secret_access_key: None,
                policies: BTreeMap::new(),
                managed: Vec::new(),
            });
        }
        self.check_policies()?;
        redshift::check(self)?;
        if self.agent.fault == FaultKind::Status && !(100..=999).contains(&self.agent.status) {
            bail!("agent.status {} is not an HTTP status", self.agent.status);
        }
        if self.sts.fault == FaultKind::Status && !(100..=999).contains(&self.sts.status) {
            bail!("sts.status {} is not an HTTP status", self.sts.status);
        }
        for entry in &self.rds {
            entry.check(&self.rds)?;
        }
        rds::check_names(&self.rds, &self.account, &self.region)?;
        network::check(self)?;
        if self.clock_skew_seconds.abs() > 10 * 365 * 86_400 {
            bail!("clock_skew_seconds must be within ten years");
        }
        Ok(())
    }
}

impl Role {
    /// A role with defaults: the pod-source trust, no permissions, a one-hour session cap.
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            trust: None,
            account: None,
            policies: BTreeMap::new(),
            managed: Vec::new(),
            boundary: None,
            max_session_seconds: default_max_session(),
        }
    }
}

impl Scenario {
    /// Whether the lab must start a real PostgreSQL server for this world (RDS endpoints are
    /// served by one; Redshift clusters and workgroups run their statements on it).
    pub fn needs_postgres(&self) -> bool {
        !self.rds.is_empty() || !self.redshift.is_empty() || !self.workgroups.is_empty()
    }

    /// The account role `role` lives in.
    pub fn account_of(&self, role: &Role) -> String {
        role.account.clone().unwrap_or_else(|| self.account.clone())
    }

    /// A role's ARN.
    pub fn arn_of(&self, role: &Role) -> String {
        format!("arn:aws:iam::{}:role/{}", self.account_of(role), role.name)
    }

    /// The role with this ARN, if the world has it.
    pub fn role_by_arn(&self, arn: &str) -> Option<&Role> {
        self.roles.iter().find(|r| self.arn_of(r) == arn)
    }

    /// The managed policy named `name`.
    pub fn managed_policy(&self, name: &str) -> Option<&ManagedPolicy> {
        self.policies.iter().find(|p| p.name == name)
    }

    /// Every policy document in the world must parse as IAM parses it, every managed policy
    /// named must exist, and every session cap must be one IAM accepts; otherwise the scenario
    /// describes no world AWS could hold, and it is refused with the reason.
    fn check_policies(&self) -> anyhow::Result<()> {
        let parse = |what: String, text: &str| -> anyhow::Result<()> {
            connector_iam::Policy::parse(text).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
            Ok(())
        };
        for p in &self.policies {
            parse(format!("policy {}", p.name), &p.document)?;
        }
        let known = |what: String, name: &str| -> anyhow::Result<()> {
            if self.managed_policy(name).is_none() {
                bail!("{what}: no [[policy]] named {name:?}");
            }
            Ok(())
        };
        for role in &self.roles {
            parse(format!("role {}: trust", role.name), &self.trust_of(role))?;
            for (name, doc) in &role.policies {
                parse(format!("role {}: policy {name}", role.name), doc)?;
            }
            for name in role.managed.iter().chain(&role.boundary) {
                known(format!("role {}", role.name), name)?;
            }
            if !(3600..=43200).contains(&role.max_session_seconds) {
                bail!("role {}: max_session_seconds must be 3600 to 43200", role.name);
            }
        }
        for user in &self.users {
            for (name, doc) in &user.policies {
                parse(format!("user {}: policy {name}", user.name), doc)?;
            }
            for name in &user.managed {
                known(format!("user {}", user.name), name)?;
            }
        }
        Ok(())
    }
}

/// The line that declares what a completion error is about: the `name = "…"` of the role,
/// user or policy it names first, so that an error inside a JSON document points into the file.
fn locate(text: &str, message: &str) -> Option<usize> {
    let name = ["role ", "user ", "policy "].iter().find_map(|kind| {
        let rest = message.strip_prefix(kind)?;
        rest.split([':', ' ']).next().filter(|n| !n.is_empty())
    })?;
    let needle = format!("name = \"{name}\"");
    text.lines().position(|l| l.trim() == needle).map(|i| i + 1)
}

/// `https://host/path` → `host/path`: IAM names OIDC providers without the scheme.
pub fn strip_scheme(url: &str) -> &str {
    url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or(url)
}

fn default_max_session() -> i64 {
    3600
}
fn default_account() -> String {
    "111122223333".to_owned()
}
fn default_region() -> String {
    "us-west-1".to_owned()
}
fn default_cluster() -> String {
    "lab-cluster".to_owned()
}
fn default_word() -> String {
    "default".to_owned()
}
fn default_pod_name() -> String {
    "connector-7d9f8b6c5d-x2x4z".to_owned()
}
fn default_token_lifetime() -> i64 {
    86_400
}
fn default_garbage_bytes() -> usize {
    10 * 1024 * 1024
}
fn default_status() -> u16 {
    500
}
fn default_node_role() -> String {
    "eksctl-lab-nodegroup-NodeInstanceRole-1A2B3C4D5E6F".to_owned()
}
fn default_instance_id() -> String {
    "i-0abc1234def567890".to_owned()
}
fn default_client_ids() -> Vec<String> {
    vec![STS_AUDIENCE.to_owned()]
}
fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_scenario_gets_defaults() {
        let s = Scenario::from_toml_str("").unwrap();
        assert_eq!(s.account, "111122223333");
        assert_eq!(s.region, "us-west-1");
        assert_eq!(s.pod.source, Source::None);
        assert!(s.imds.is_none());
        assert_eq!(
            s.oidc_providers(),
            ["oidc.eks.us-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"]
        );
    }

    #[test]
    fn pod_role_is_declared_implicitly() {
        let s = Scenario::from_toml_str("[pod]\nsource = \"irsa\"\nrole = \"r\"\n").unwrap();
        assert_eq!(s.roles.len(), 1);
        assert!(s.trust_of(&s.roles[0]).contains("sts:AssumeRoleWithWebIdentity"));
        assert_eq!(s.audience(), STS_AUDIENCE);
        assert_eq!(s.role_arn(), "arn:aws:iam::111122223333:role/r");
    }

    #[test]
    fn typos_fail_with_a_line_number() {
        let err = Scenario::from_toml_str("[pod]\nsorce = \"irsa\"\n").unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("line 2"), "{text}");
        assert!(text.contains("unknown field"), "{text}");
    }

    #[test]
    fn broken_policies_are_refused_with_the_line_and_the_reason() {
        let cases = [
            (
                "[[role]]\nname = \"a\"\n\n[[role]]\nname = \"conn\"\ntrust = '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":5},\"Action\":\"sts:AssumeRole\"}]}'\n",
                "line 5: role conn: trust: ",
                "Principal.AWS",
            ),
            (
                "[[role]]\nname = \"conn\"\nmanaged = [\"nope\"]\n",
                "line 2: role conn",
                "no [[policy]] named \"nope\"",
            ),
            ("[[policy]]\nname = \"p\"\ndocument = 'not json'\n", "line 2: policy p", ""),
            ("[[role]]\nname = \"conn\"\nmax_session_seconds = 60\n", "line 2: role conn", "3600 to 43200"),
        ];
        for (text, prefix, reason) in cases {
            let err = format!("{:#}", Scenario::from_toml_str(text).unwrap_err());
            assert!(err.starts_with(prefix) && err.contains(reason), "{err}");
        }
    }

    #[test]
    fn role_is_required_for_pod_identity() {
        assert!(Scenario::from_toml_str("[pod]\nsource = \"pod-identity\"\n").is_err());
    }

    #[test]
    fn doctor_config_is_kept_verbatim() {
        let s = Scenario::from_toml_str("doctor_config = '''\nregion = \"us-west-1\"\n'''\n").unwrap();
        assert_eq!(s.doctor_config.as_deref(), Some("region = \"us-west-1\"\n"));
        assert!(Scenario::from_toml_str("").unwrap().doctor_config.is_none());
    }

    #[test]
    fn static_source_creates_a_user() {
        let s = Scenario::from_toml_str("[pod]\nsource = \"static\"\n").unwrap();
        assert_eq!(s.users.len(), 1);
    }
}
