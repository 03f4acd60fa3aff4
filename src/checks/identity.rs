//! The identity link: how the pod gets its first AWS identity, and who AWS thinks it is.
//!
//! `identity.source` surveys the environment the way the SDKs' default chain does and leaves
//! the [`Survey`] on the board; `identity.token` reads the service-account token; the agent
//! (Pod Identity) or web identity (IRSA) check turns it into credentials; `identity.caller` asks
//! STS who those credentials belong to.

pub mod agent;
pub mod caller;
pub mod source;
pub mod token;
pub mod web_identity;

use std::fmt;

use aws_credential_types::Credentials;

use crate::engine::Ctx;
use crate::jwt::Claims;
use crate::outcome::Facts;
use crate::secret::Secret;

/// Where the pod's credentials come from, in the order the SDKs' default chain tries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    StaticKeys,
    /// A named or default profile in the shared files.
    Profile,
    /// IRSA: `AWS_ROLE_ARN` + `AWS_WEB_IDENTITY_TOKEN_FILE`.
    Irsa,
    /// EKS Pod Identity (or ECS): the container-credentials endpoint.
    PodIdentity,
    /// Nothing of the pod's own: the instance metadata service, i.e. the node.
    InstanceMetadata,
}

impl Source {
    /// The name used in reports (`context.credential_source`).
    pub fn name(self) -> &'static str {
        match self {
            Source::StaticKeys => "static-keys",
            Source::Profile => "profile",
            Source::Irsa => "irsa",
            Source::PodIdentity => "pod-identity",
            Source::InstanceMetadata => "instance-metadata",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::StaticKeys => "static keys (AWS_ACCESS_KEY_ID)",
            Source::Profile => "a shared-config profile",
            Source::Irsa => "IRSA web identity",
            Source::PodIdentity => "EKS Pod Identity",
            Source::InstanceMetadata => "instance metadata (the node)",
        })
    }
}

/// The Pod Identity (container-credentials) settings.
#[derive(Debug, Clone)]
pub struct ContainerSettings {
    /// The full URI credentials are fetched from.
    pub uri: String,
    /// Which variable gave it.
    pub uri_var: &'static str,
    /// The token file, if named.
    pub token_file: Option<String>,
    /// A token given inline (`AWS_CONTAINER_AUTHORIZATION_TOKEN`), if any.
    pub inline_token: Option<Secret>,
}

/// The IRSA settings.
#[derive(Debug, Clone)]
pub struct IrsaSettings {
    /// `AWS_ROLE_ARN`, as written.
    pub role_arn: String,
    /// `AWS_WEB_IDENTITY_TOKEN_FILE`.
    pub token_file: String,
    /// `AWS_ROLE_SESSION_NAME`, if set.
    pub session_name: Option<String>,
}

/// What `identity.source` found in the environment.
#[derive(Debug, Clone)]
pub struct Survey {
    /// Every source configured, in chain order.
    pub present: Vec<Source>,
    /// The source the SDKs will use; `InstanceMetadata` when the pod has none of its own.
    pub winner: Source,
    /// Pod Identity settings, when present.
    pub container: Option<ContainerSettings>,
    /// IRSA settings, when present.
    pub irsa: Option<IrsaSettings>,
    /// Static keys, when present.
    pub static_keys: Option<Credentials>,
    /// The profile in use, when present.
    pub profile: Option<String>,
    /// Whether the SDKs may fall through to instance metadata.
    pub imds_enabled: bool,
}

impl Survey {
    /// The pod-level source whose token `identity.token` reads: IRSA wins over Pod Identity in
    /// the SDKs' chain, so its token is the one that matters when both are set.
    pub fn token_source(&self) -> Option<(Source, &str)> {
        if let Some(irsa) = &self.irsa {
            return Some((Source::Irsa, irsa.token_file.as_str()));
        }
        let c = self.container.as_ref()?;
        Some((Source::PodIdentity, c.token_file.as_deref()?))
    }
}

/// What `identity.token` read.
#[derive(Debug, Clone)]
pub struct Token {
    /// The token, trimmed.
    pub value: Secret,
    /// Its claims.
    pub claims: Claims,
}

/// Credentials a check obtained for the pod (from the agent, STS or instance metadata).
#[derive(Debug, Clone)]
pub struct PodCredentials {
    /// Where they came from.
    pub source: Source,
    /// The credentials; their `Debug` output is redacted by the SDK.
    pub credentials: Credentials,
}

/// The pod's own credentials and who they belong to: resolved once by `identity.caller`, shared
/// by every connector's chain.
#[derive(Debug, Clone)]
pub struct BaseCredentials {
    /// The credentials; their `Debug` output is redacted by the SDK.
    pub credentials: Credentials,
    /// Who STS says they belong to.
    pub arn: String,
    /// That identity's account.
    pub account: String,
}

/// Who STS says the pod is, for the report's context.
#[derive(Debug, Clone)]
pub struct CallerIdentity {
    /// The caller's ARN.
    pub arn: String,
    /// The account.
    pub account: String,
}

/// An account id learned on the way (the agent's `AccountId`, an STS message), for remedies.
#[derive(Debug, Clone)]
pub struct AccountHint(pub String);

/// Facts every identity remedy may use: region, namespace, service account, cluster, roles.
/// Values the doctor cannot know are left out, and the remedy shows `<name>` for the user to fill.
pub fn pod_facts(ctx: &Ctx) -> Facts {
    let mut facts = Facts::new();
    let region = crate::aws::ResolvedRegion::resolve(&ctx.world, &ctx.config);
    facts.insert("region".into(), region.name);
    let token = ctx.board.get::<Token>(None);
    let from_token = token.as_ref().and_then(|t| t.claims.service_account());
    let namespace = ctx.config.namespace.as_deref().or(from_token.map(|(ns, _)| ns));
    let service_account = ctx.config.service_account.as_deref().or(from_token.map(|(_, sa)| sa));
    for (key, value) in [
        ("namespace", namespace),
        ("service_account", service_account),
        ("cluster_name", ctx.config.cluster_name.as_deref()),
        ("pod", ctx.world.var("HOSTNAME")),
    ] {
        if let Some(v) = value {
            facts.insert(key.into(), v.to_owned());
        }
    }
    let survey = ctx.board.get::<Survey>(None);
    let irsa_account = survey
        .as_ref()
        .and_then(|s| s.irsa.as_ref())
        .and_then(|i| crate::config::Arn::role(&i.role_arn).ok())
        .map(|a| a.account);
    if let Some(account) = irsa_account.or_else(|| ctx.board.get::<AccountHint>(None).map(|h| h.0.clone())) {
        facts.insert("account".into(), account);
    }
    if let Some(base) = &ctx.config.base_role_arn {
        facts.insert("base_role_arn".into(), base.to_string());
        facts.insert("role_arn".into(), base.to_string());
        facts.insert("account".into(), base.account.clone());
    }
    if let Some(caller) = ctx.board.get::<CallerIdentity>(None) {
        facts.insert("account".into(), caller.account.clone());
    }
    facts
}

/// The masked form of an access key id: enough to match it against IAM, not to use it.
pub fn mask_key_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() > 8 {
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    } else {
        "…".to_owned()
    }
}
