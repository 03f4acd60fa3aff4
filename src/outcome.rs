//! What a check found: a value, never an `Err`.
//!
//! An outcome is a status, at most one failure code, the facts that fill the remedy's
//! placeholders, and the evidence (calls made, request ids, error codes and messages). The
//! status `error` is reserved for the tool's own trouble; every diagnosis is `fail` or `warn`.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// A check's verdict. Ordered from best to worst, so that the worst of several is their `max`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The link works.
    #[default]
    Pass,
    /// Not checked: a prerequisite did not pass, or the check does not apply here.
    Skip,
    /// Works today, but something is wrong or about to break.
    Warn,
    /// The link is broken; the failure code says how.
    Fail,
    /// The tool itself could not decide (an answer it could not classify, a bug).
    Error,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 5] = [Status::Pass, Status::Warn, Status::Fail, Status::Skip, Status::Error];

    /// The lower-case word used in every output.
    pub fn word(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Error => "error",
        }
    }

    /// A glyph that, with the word beside it, reads without colour.
    pub fn glyph(self) -> &'static str {
        match self {
            Status::Pass => "✔",
            Status::Warn => "▲",
            Status::Fail => "✖",
            Status::Skip => "–",
            Status::Error => "‼",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)*) => {
        /// A failure code: a public, stable name for one way the chain breaks. Never rename one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code the tool can emit.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as written in reports and searched for in tickets.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }

            /// The code with this name, if there is one.
            pub fn parse(text: &str) -> Option<Code> {
                match text {
                    $($text => Some(Code::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    /// No pod-level credential source; SDKs fall through to the instance metadata service.
    NoCredentialSource => "no-credential-source",
    /// More than one source is configured; one silently wins.
    ConflictingCredentialSources => "conflicting-credential-sources",
    /// The container-credentials URI names a host the SDKs refuse.
    ContainerUriHostInvalid => "container-uri-host-invalid",
    /// The token file named by the environment does not exist.
    TokenFileMissing => "token-file-missing",
    /// The token file exists but this process cannot read it.
    TokenFileUnreadable => "token-file-unreadable",
    /// The token is not a bare JWT.
    TokenMalformed => "token-malformed",
    /// The token file ends in whitespace that some SDKs send verbatim.
    TokenTrailingWhitespace => "token-trailing-whitespace",
    /// The token's `exp` is in the past.
    TokenExpired => "token-expired",
    /// The token's audience is not the one its consumer expects.
    TokenAudienceMismatch => "token-audience-mismatch",
    /// Nothing answers at the Pod Identity agent's address.
    AgentUnreachable => "agent-unreachable",
    /// The agent refused the token.
    AgentRejectedToken => "agent-rejected-token",
    /// The agent answered but could not produce credentials.
    AgentError => "agent-error",
    /// The account has no IAM OIDC provider for the cluster's issuer.
    OidcProviderMissing => "oidc-provider-missing",
    /// The role's trust policy does not admit this service account's token.
    WebIdentityDenied => "web-identity-denied",
    /// `AWS_ROLE_ARN` is not a valid role ARN.
    RoleArnInvalid => "role-arn-invalid",
    /// The STS endpoint cannot be reached.
    StsUnreachable => "sts-unreachable",
    /// STS refused the credentials themselves.
    CredentialsRejected => "credentials-rejected",
    /// STS is not activated in this region for the account.
    StsRegionDisabled => "sts-region-disabled",
    /// The pod runs as the node's role.
    NodeRoleFallback => "node-role-fallback",
    /// The pod's identity is not the configured base role.
    UnexpectedIdentity => "unexpected-identity",
    /// AssumeRole into the connector role was denied and nothing narrower could be proven.
    AssumeDenied => "assume-denied",
    /// No trust statement admits the base identity.
    AssumeDeniedByTrust => "assume-denied-by-trust",
    /// The trust admits the base identity but its own policies do not allow the hop.
    AssumeDeniedByIdentityPolicy => "assume-denied-by-identity-policy",
    /// The configured ExternalId differs from the one the trust demands.
    ExternalIdMismatch => "external-id-mismatch",
    /// No ExternalId is configured, and the only matching statement demands one.
    ExternalIdRequired => "external-id-required",
    /// The configured ExternalId is not one STS accepts.
    ExternalIdInvalid => "external-id-invalid",
    /// The role accepts the hop without the ExternalId: no confused-deputy protection.
    ExternalIdNotEnforced => "external-id-not-enforced",
    /// A chained hop asked for more than one hour.
    ChainedDurationExceeded => "chained-duration-exceeded",
    /// The session tags do not fit STS's packed size.
    PackedPolicyTooLarge => "packed-policy-too-large",
    /// The session tags fill most of STS's packed size.
    PackedPolicyNearLimit => "packed-policy-near-limit",
    /// The hop works without session tags and fails with them.
    TagSessionDenied => "tag-session-denied",
    /// Transitive session tags from Pod Identity need sts:TagSession on the next hop.
    TransitiveTagsDenied => "transitive-tags-denied",
    /// The connector role cannot assume itself to refresh.
    SelfAssumeDenied => "self-assume-denied",
    /// The self-assume works only with an ExternalId the connector's own calls do not pass.
    SelfAssumeExternalIdCondition => "self-assume-external-id-condition",
    /// A trust statement the preset requires is absent from the role's real trust policy.
    TrustStatementMissing => "trust-statement-missing",
    /// An internal trust statement (self-assume, from the base role) carries a condition.
    TrustConditionOnInternalStatement => "trust-condition-on-internal-statement",
    /// The base role holds permissions beyond assuming connector roles.
    BaseRoleHasServicePermissions => "base-role-has-service-permissions",
    /// `sts:TagSession` is missing beside `sts:AssumeRole` in a trust or a self-assume permission.
    TagSessionMissingInPolicy => "tag-session-missing-in-policy",
    /// A permission the preset scopes to ARNs is granted on `"Resource": "*"`.
    WildcardResource => "wildcard-resource",
    /// No RDS instance, Aurora cluster or proxy has the configured id.
    DbNotFound => "db-not-found",
    /// The database does not accept IAM authentication.
    IamAuthDisabled => "iam-auth-disabled",
    /// The configured host is not the endpoint the token must be signed for.
    TokenHostNotCanonical => "token-host-not-canonical",
    /// The database rejected the IAM token.
    PamAuthenticationFailed => "pam-authentication-failed",
    /// The user is not in `rds_iam`, so the token was checked as a password.
    PasswordAuthenticationFailed => "password-authentication-failed",
    /// The database requires TLS and the login did not use it.
    NoEncryption => "no-encryption",
    /// The server certificate did not verify against the CA bundle.
    TlsVerifyFailed => "tls-verify-failed",
    /// The configured database does not exist.
    DatabaseNotFound => "database-not-found",
    /// The database accepted the connection and never answered the login.
    DbUnresponsive => "db-unresponsive",
    /// The login works, but the user is not a member of `rds_iam`.
    RdsIamNotGranted => "rds-iam-not-granted",
    /// The endpoint's name does not resolve.
    DnsFailed => "dns-failed",
    /// Nothing answered the TCP connection before the deadline: packets are dropped.
    TcpTimeout => "tcp-timeout",
    /// The host refused the TCP connection: nothing listens on the port.
    TcpRefused => "tcp-refused",
    /// No route to the host.
    TcpUnreachable => "tcp-unreachable",
    /// TCP opens, but TLS does not complete.
    TlsHandshakeFailed => "tls-handshake-failed",
    /// The destination's security groups admit this pod on the port from no source.
    SgNoInboundRule => "sg-no-inbound-rule",
    /// Only the EKS cluster security group is admitted, which pod traffic may not carry.
    SgAllowsClusterSgOnly => "sg-allows-cluster-sg-only",
    /// No Redshift cluster (or Serverless workgroup) has the configured id.
    ClusterNotFound => "cluster-not-found",
    /// The configured cluster id names a Serverless workgroup.
    ClusterIsServerless => "cluster-is-serverless",
    /// The cluster or workgroup is not available (paused, resizing, …).
    ClusterNotAvailable => "cluster-not-available",
    /// Temporary database credentials for the connector's role were denied.
    GetCredentialsDenied => "get-credentials-denied",
    /// `redshift-data:ExecuteStatement` was denied.
    DataApiDenied => "data-api-denied",
    /// A statement was accepted, but following it (describe, result) was denied.
    StatementOwnerDenied => "statement-owner-denied",
    /// The statement ran and failed with the server's error.
    StatementFailed => "statement-failed",
    /// The statement did not finish in time and was cancelled.
    StatementTimeout => "statement-timeout",
    /// The database has no `IAMR:<role>` user for the connector's role.
    IamrUserMissing => "iamr-user-missing",
    /// The `IAMR:<role>` user lacks USAGE or SELECT on the configured schema.
    IamrMissingGrants => "iamr-missing-grants",
    /// The configured catalog path does not answer.
    CatalogPathInvalid => "catalog-path-invalid",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Which check, for which connector: the identity of one row in the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CheckKey {
    /// The check id, such as `identity.caller`.
    pub id: &'static str,
    /// The connector this row is about, or `None` for checks of the pod as a whole.
    pub connector: Option<String>,
}

impl CheckKey {
    /// A check of the pod as a whole.
    pub fn global(id: &'static str) -> Self {
        Self { id, connector: None }
    }
}

impl fmt::Display for CheckKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.connector {
            Some(c) => write!(f, "{}[{c}]", self.id),
            None => f.write_str(self.id),
        }
    }
}

/// One call the check made, as proof of what it saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The call, such as `sts:GetCallerIdentity` or `GET /v1/credentials`.
    pub call: String,
    /// Where it went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The HTTP status of the answer, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The AWS request id, to quote to AWS support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The error code of the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The error message, or what happened on the wire, redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// How long the call took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl Evidence {
    /// Evidence of a call to `call`.
    pub fn call(call: impl Into<String>) -> Self {
        Self { call: call.into(), ..Self::default() }
    }

    /// Sets where the call went.
    #[must_use]
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Sets the error code.
    #[must_use]
    pub fn error_code(mut self, code: impl Into<String>) -> Self {
        self.error_code = Some(code.into());
        self
    }

    /// Sets the message.
    #[must_use]
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Sets the HTTP status.
    #[must_use]
    pub fn http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// Sets the request id, when there is one.
    #[must_use]
    pub fn request_id(mut self, id: Option<&str>) -> Self {
        self.request_id = id.map(str::to_owned);
        self
    }

    /// Sets the duration.
    #[must_use]
    pub fn took(mut self, d: Duration) -> Self {
        self.duration_ms = Some(duration_ms(d));
        self
    }
}

/// Milliseconds, saturating: reports never need more than `u64`.
pub fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Named values that the check saw. They fill the remedy's `{placeholders}` and are shown as
/// they are, so they must never hold a secret.
pub type Facts = BTreeMap<String, String>;

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The verdict.
    pub status: Status,
    /// How the link is broken, for `fail` and `warn`.
    pub code: Option<Code>,
    /// One or two sentences for a person, with the real values in them.
    pub summary: String,
    /// Values seen, which also fill the remedy.
    pub facts: Facts,
    /// The calls made.
    pub evidence: Vec<Evidence>,
    /// For `skip`: the check whose result stopped this one. `None` when it does not apply.
    pub blocked_by: Option<CheckKey>,
}

impl Outcome {
    fn new(status: Status, code: Option<Code>, summary: impl Into<String>) -> Self {
        Self {
            status,
            code,
            summary: summary.into(),
            facts: Facts::new(),
            evidence: Vec::new(),
            blocked_by: None,
        }
    }

    /// The link works.
    pub fn pass(summary: impl Into<String>) -> Self {
        Self::new(Status::Pass, None, summary)
    }

    /// The link works but `code` says what is wrong.
    pub fn warn(code: Code, summary: impl Into<String>) -> Self {
        Self::new(Status::Warn, Some(code), summary)
    }

    /// The link is broken as `code` says.
    pub fn fail(code: Code, summary: impl Into<String>) -> Self {
        Self::new(Status::Fail, Some(code), summary)
    }

    /// The tool could not decide.
    pub fn error(summary: impl Into<String>) -> Self {
        Self::new(Status::Error, None, summary)
    }

    /// The check does not apply to this pod.
    pub fn not_applicable(summary: impl Into<String>) -> Self {
        Self::new(Status::Skip, None, summary)
    }

    /// The check could not run because `by` did not pass.
    pub fn blocked(by: CheckKey, summary: impl Into<String>) -> Self {
        let mut o = Self::new(Status::Skip, None, summary);
        o.blocked_by = Some(by);
        o
    }

    /// Adds a fact.
    #[must_use]
    pub fn fact(mut self, key: &str, value: impl Into<String>) -> Self {
        self.facts.insert(key.to_owned(), value.into());
        self
    }

    /// Adds every fact from `facts`.
    #[must_use]
    pub fn facts(mut self, facts: &Facts) -> Self {
        self.facts.extend(facts.iter().map(|(k, v)| (k.clone(), v.clone())));
        self
    }

    /// Adds evidence.
    #[must_use]
    pub fn evidence(mut self, e: Evidence) -> Self {
        self.evidence.push(e);
        self
    }

    /// Whether the check does not apply (a skip with no blocker).
    pub fn is_not_applicable(&self) -> bool {
        self.status == Status::Skip && self.blocked_by.is_none()
    }

    /// Whether checks that depend on this one may run.
    pub fn lets_dependents_run(&self) -> bool {
        matches!(self.status, Status::Pass | Status::Warn) || self.is_not_applicable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_kebab_case() {
        for code in Code::ALL {
            assert_eq!(Code::parse(code.as_str()), Some(*code));
            assert!(
                code.as_str().chars().all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{code}"
            );
        }
    }

    #[test]
    fn worst_status_is_the_max() {
        assert_eq!([Status::Pass, Status::Warn, Status::Skip].into_iter().max(), Some(Status::Warn));
        assert!(Status::Error > Status::Fail);
    }
}
