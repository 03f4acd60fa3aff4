//! Principals: the caller of a request, and the principals a policy's `Principal` names.
//!
//! How a policy principal matches the caller follows
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>:
//! an account (`"111122223333"` or `arn:aws:iam::111122223333:root`) delegates to every principal
//! of that account ("Using the account ARN in the Principal element does not limit permissions to
//! only the root user of the account"); a role ARN matches the role's sessions; an assumed-role
//! session ARN matches that session only; `"*"` matches everyone. *How* it matched matters to the
//! evaluation (an account-level match needs the identity side too, a role-ARN match is capped by
//! a permissions boundary), so matching returns a [`PrincipalMatch`] rather than a bool.

use std::fmt;

use crate::policy::PolicyError;

/// The caller of a request.
///
/// Built from the ARN AWS reports for the caller ([`Principal::from_arn`]), or for callers
/// without one, from a service name ([`Principal::service`]) or an identity provider
/// ([`Principal::federated`]). For an assumed-role session, pass the STS session ARN
/// (`arn:aws:sts::A:assumed-role/R/S`): the crate derives the role ARN (`arn:aws:iam::A:role/R`,
/// without path, which the session ARN does not carry) for principal matching and
/// `aws:PrincipalArn`, and the account for `aws:PrincipalAccount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    kind: Caller,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Caller {
    /// The account itself (root user): `arn:aws:iam::A:root`.
    Root { partition: String, account: String, arn: String },
    /// An IAM user: `arn:aws:iam::A:user/path/name`.
    User { partition: String, account: String, arn: String, name: String },
    /// An IAM role acting as itself (not a session); accepted for tests and tools.
    Role { partition: String, account: String, arn: String, name: String },
    /// An assumed-role session: `arn:aws:sts::A:assumed-role/R/S`.
    AssumedRole { partition: String, account: String, arn: String, role_name: String, role_arn: String },
    /// An STS federated user session: `arn:aws:sts::A:federated-user/N`.
    FederatedUser { partition: String, account: String, arn: String },
    /// An AWS service principal such as `pods.eks.amazonaws.com`.
    Service(String),
    /// A web identity or SAML provider (OIDC provider ARN or host).
    Federated(String),
}

impl Principal {
    /// Parses the caller's ARN: user, role, assumed-role session, account root or federated
    /// user; a bare 12-digit account id is taken as the account root.
    pub fn from_arn(arn: &str) -> Result<Principal, PolicyError> {
        let fail =
            |message: &str| PolicyError::PrincipalArn { arn: arn.to_owned(), message: message.to_owned() };
        if is_account_id(arn) {
            return Ok(Principal::root("aws", arn));
        }
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" {
            return Err(fail("expected arn:partition:service::account:resource"));
        }
        let (partition, service, account, resource) = (parts[1], parts[2], parts[4], parts[5]);
        if partition.is_empty() {
            return Err(fail("the partition is empty"));
        }
        if !is_account_id(account) {
            return Err(fail("the account is not a 12-digit account id"));
        }
        let owned = |s: &str| s.to_owned();
        let kind = match service {
            "iam" if resource == "root" => return Ok(Principal::root(partition, account)),
            "iam" => {
                let (kind, path) =
                    resource.split_once('/').ok_or_else(|| fail("expected user/… or role/…"))?;
                let name = path.rsplit('/').next().unwrap_or_default();
                if name.is_empty() {
                    return Err(fail("the name is empty"));
                }
                match kind {
                    "user" => Caller::User {
                        partition: owned(partition),
                        account: owned(account),
                        arn: owned(arn),
                        name: owned(name),
                    },
                    "role" => Caller::Role {
                        partition: owned(partition),
                        account: owned(account),
                        arn: owned(arn),
                        name: owned(name),
                    },
                    _ => return Err(fail("an IAM caller is a user, a role or the account root")),
                }
            }
            "sts" => {
                if let Some(rest) = resource.strip_prefix("assumed-role/") {
                    let (role, session) =
                        rest.split_once('/').ok_or_else(|| fail("expected assumed-role/ROLE/SESSION"))?;
                    if role.is_empty() || session.is_empty() {
                        return Err(fail("expected assumed-role/ROLE/SESSION"));
                    }
                    Caller::AssumedRole {
                        partition: owned(partition),
                        account: owned(account),
                        arn: owned(arn),
                        role_name: owned(role),
                        role_arn: format!("arn:{partition}:iam::{account}:role/{role}"),
                    }
                } else if let Some(name) = resource.strip_prefix("federated-user/") {
                    if name.is_empty() {
                        return Err(fail("the federated user name is empty"));
                    }
                    Caller::FederatedUser {
                        partition: owned(partition),
                        account: owned(account),
                        arn: owned(arn),
                    }
                } else {
                    return Err(fail("an STS caller is an assumed-role or federated-user session"));
                }
            }
            _ => return Err(fail("a caller ARN belongs to iam or sts")),
        };
        Ok(Principal { kind })
    }

    /// An AWS service calling on its own behalf, e.g. `pods.eks.amazonaws.com` for EKS Pod
    /// Identity; matched by `"Principal": {"Service": …}`.
    pub fn service(name: &str) -> Principal {
        Principal { kind: Caller::Service(name.to_owned()) }
    }

    /// A caller federated through an identity provider (`AssumeRoleWithWebIdentity` /
    /// `AssumeRoleWithSAML`): the OIDC/SAML provider ARN or the provider host; matched by
    /// `"Principal": {"Federated": …}`.
    pub fn federated(provider: &str) -> Principal {
        Principal { kind: Caller::Federated(provider.to_owned()) }
    }

    fn root(partition: &str, account: &str) -> Principal {
        Principal {
            kind: Caller::Root {
                partition: partition.to_owned(),
                account: account.to_owned(),
                arn: format!("arn:{partition}:iam::{account}:root"),
            },
        }
    }

    /// The caller's account (`aws:PrincipalAccount`); `None` for services and federated callers.
    pub fn account(&self) -> Option<&str> {
        match &self.kind {
            Caller::Root { account, .. }
            | Caller::User { account, .. }
            | Caller::Role { account, .. }
            | Caller::AssumedRole { account, .. }
            | Caller::FederatedUser { account, .. } => Some(account),
            Caller::Service(_) | Caller::Federated(_) => None,
        }
    }

    /// The caller's ARN as given (the session ARN for an assumed role); `None` for services and
    /// federated callers.
    pub fn arn(&self) -> Option<&str> {
        match &self.kind {
            Caller::Root { arn, .. }
            | Caller::User { arn, .. }
            | Caller::Role { arn, .. }
            | Caller::AssumedRole { arn, .. }
            | Caller::FederatedUser { arn, .. } => Some(arn),
            Caller::Service(_) | Caller::Federated(_) => None,
        }
    }

    /// For an assumed-role session (or a role), the role's ARN without path.
    pub fn role_arn(&self) -> Option<&str> {
        match &self.kind {
            Caller::AssumedRole { role_arn, .. } => Some(role_arn),
            Caller::Role { arn, .. } => Some(arn),
            _ => None,
        }
    }

    /// What AWS puts in `aws:PrincipalArn`: the role ARN for a role session, else the caller's
    /// ARN (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn>).
    pub fn principal_arn(&self) -> Option<&str> {
        self.role_arn().or_else(|| self.arn())
    }

    /// What AWS puts in `aws:PrincipalType`: `Account`, `User`, `FederatedUser` or
    /// `AssumedRole`; `None` for services and federated callers.
    pub fn principal_type(&self) -> Option<&'static str> {
        match &self.kind {
            Caller::Root { .. } => Some("Account"),
            Caller::User { .. } => Some("User"),
            Caller::Role { .. } | Caller::AssumedRole { .. } => Some("AssumedRole"),
            Caller::FederatedUser { .. } => Some("FederatedUser"),
            Caller::Service(_) | Caller::Federated(_) => None,
        }
    }

    /// The IAM user name (`aws:username`), for IAM users only.
    pub fn user_name(&self) -> Option<&str> {
        match &self.kind {
            Caller::User { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The service name, for a service principal.
    pub fn service_name(&self) -> Option<&str> {
        match &self.kind {
            Caller::Service(name) => Some(name),
            _ => None,
        }
    }

    /// The identity provider, for a federated caller.
    pub fn provider(&self) -> Option<&str> {
        match &self.kind {
            Caller::Federated(provider) => Some(provider),
            _ => None,
        }
    }

    /// Whether the caller is the account root user.
    pub fn is_root(&self) -> bool {
        matches!(self.kind, Caller::Root { .. })
    }

    /// Whether the caller is an IAM user.
    pub fn is_user(&self) -> bool {
        matches!(self.kind, Caller::User { .. })
    }

    /// Whether the caller is an IAM user or role (session), the principals that carry identity
    /// policies and permissions boundaries.
    pub fn is_iam_entity(&self) -> bool {
        matches!(self.kind, Caller::User { .. } | Caller::Role { .. } | Caller::AssumedRole { .. })
    }

    /// Whether the caller is a service or a federated (web identity / SAML) caller, which has no
    /// identity policies: only the resource policy can allow it.
    pub fn is_service_or_federated(&self) -> bool {
        matches!(self.kind, Caller::Service(_) | Caller::Federated(_))
    }

    fn partition(&self) -> Option<&str> {
        match &self.kind {
            Caller::Root { partition, .. }
            | Caller::User { partition, .. }
            | Caller::Role { partition, .. }
            | Caller::AssumedRole { partition, .. }
            | Caller::FederatedUser { partition, .. } => Some(partition),
            Caller::Service(_) | Caller::Federated(_) => None,
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Caller::Service(name) => write!(f, "service {name}"),
            Caller::Federated(provider) => write!(f, "federated identity from {provider}"),
            _ => f.write_str(self.arn().unwrap_or_default()),
        }
    }
}

/// One principal named in a policy's `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalEntry {
    /// `"*"` or `{"AWS": "*"}`: everyone.
    Everyone,
    /// An account: `"111122223333"` or `arn:PARTITION:iam::111122223333:root`.
    Account {
        /// The 12-digit account id.
        account: String,
        /// The partition when written as an ARN; `None` for a bare account id.
        partition: Option<String>,
    },
    /// An IAM user ARN.
    User(String),
    /// An IAM role ARN; matches the role's sessions.
    Role {
        /// The ARN as written.
        arn: String,
        /// Its partition.
        partition: String,
        /// Its account.
        account: String,
        /// The role name (last path component).
        name: String,
    },
    /// An assumed-role session ARN; matches that session only.
    Session(String),
    /// An STS federated user ARN.
    FederatedUser(String),
    /// Another `AWS` value (a unique id, a wildcard ARN): compared literally with the caller ARN.
    OtherAws(String),
    /// `{"Service": …}`.
    Service(String),
    /// `{"Federated": …}`.
    Federated(String),
    /// `{"CanonicalUser": …}`: an S3 canonical user; never matches a caller of this crate.
    CanonicalUser(String),
}

impl PrincipalEntry {
    /// Classifies one value of the `AWS` key.
    pub fn aws(value: &str) -> PrincipalEntry {
        if value == "*" {
            return PrincipalEntry::Everyone;
        }
        if is_account_id(value) {
            return PrincipalEntry::Account { account: value.to_owned(), partition: None };
        }
        let parts: Vec<&str> = value.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" || !is_account_id(parts[4]) || value.contains(['*', '?']) {
            return PrincipalEntry::OtherAws(value.to_owned());
        }
        let (partition, service, account, resource) = (parts[1], parts[2], parts[4], parts[5]);
        match service {
            "iam" if resource == "root" => {
                PrincipalEntry::Account { account: account.to_owned(), partition: Some(partition.to_owned()) }
            }
            "iam" if resource.starts_with("user/") => PrincipalEntry::User(value.to_owned()),
            "iam" if resource.starts_with("role/") => match resource.rsplit('/').next() {
                Some(name) if !name.is_empty() => PrincipalEntry::Role {
                    arn: value.to_owned(),
                    partition: partition.to_owned(),
                    account: account.to_owned(),
                    name: name.to_owned(),
                },
                _ => PrincipalEntry::OtherAws(value.to_owned()),
            },
            "sts" if resource.starts_with("assumed-role/") => PrincipalEntry::Session(value.to_owned()),
            "sts" if resource.starts_with("federated-user/") => {
                PrincipalEntry::FederatedUser(value.to_owned())
            }
            _ => PrincipalEntry::OtherAws(value.to_owned()),
        }
    }

    /// How this entry matches `caller`.
    pub fn match_caller(&self, caller: &Principal) -> PrincipalMatch {
        match (self, &caller.kind) {
            (PrincipalEntry::Everyone, _) => PrincipalMatch::Wildcard,
            (PrincipalEntry::Account { account, partition }, _) => {
                let same_partition = partition.as_deref().is_none_or(|p| Some(p) == caller.partition());
                if same_partition && caller.account() == Some(account.as_str()) {
                    PrincipalMatch::Account
                } else {
                    PrincipalMatch::None
                }
            }
            (PrincipalEntry::User(arn), Caller::User { arn: caller_arn, .. })
            | (PrincipalEntry::Session(arn), Caller::AssumedRole { arn: caller_arn, .. })
            | (PrincipalEntry::FederatedUser(arn), Caller::FederatedUser { arn: caller_arn, .. })
            | (
                PrincipalEntry::OtherAws(arn),
                Caller::User { arn: caller_arn, .. } | Caller::AssumedRole { arn: caller_arn, .. },
            ) => exact(arn == caller_arn),
            (
                PrincipalEntry::Role { partition, account, name, .. },
                Caller::AssumedRole { partition: p, account: a, role_name, .. },
            ) => {
                if partition == p && account == a && name.eq_ignore_ascii_case(role_name) {
                    PrincipalMatch::RoleOfSession
                } else {
                    PrincipalMatch::None
                }
            }
            (
                PrincipalEntry::Role { partition, account, name, .. },
                Caller::Role { partition: p, account: a, name: n, .. },
            ) => exact(partition == p && account == a && name.eq_ignore_ascii_case(n)),
            (PrincipalEntry::Service(name), Caller::Service(caller_name)) => exact(name == caller_name),
            (PrincipalEntry::Federated(provider), Caller::Federated(caller_provider)) => {
                exact(same_provider(provider, caller_provider))
            }
            _ => PrincipalMatch::None,
        }
    }
}

impl fmt::Display for PrincipalEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrincipalEntry::Everyone => f.write_str("*"),
            PrincipalEntry::Account { account, partition: None } => f.write_str(account),
            PrincipalEntry::Account { account, partition: Some(partition) } => {
                write!(f, "arn:{partition}:iam::{account}:root")
            }
            PrincipalEntry::User(value)
            | PrincipalEntry::Session(value)
            | PrincipalEntry::FederatedUser(value)
            | PrincipalEntry::OtherAws(value)
            | PrincipalEntry::Role { arn: value, .. } => f.write_str(value),
            PrincipalEntry::Service(value) => write!(f, "service {value}"),
            PrincipalEntry::Federated(value) => write!(f, "federated {value}"),
            PrincipalEntry::CanonicalUser(value) => write!(f, "canonical user {value}"),
        }
    }
}

/// How a `Principal` element matched the caller, weakest first.
///
/// The evaluation needs the distinction: an [`Account`](PrincipalMatch::Account) match only
/// delegates to the account's identity policies; a [`RoleOfSession`](PrincipalMatch::RoleOfSession)
/// grant is capped by the role's permissions boundary; an [`Exact`](PrincipalMatch::Exact) or
/// [`Wildcard`](PrincipalMatch::Wildcard) grant names the caller itself
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalMatch {
    /// Not this caller.
    None,
    /// The caller's account (`111122223333` or `…:root`).
    Account,
    /// The role ARN of the caller's assumed-role session.
    RoleOfSession,
    /// The caller itself: its user, session, federated-user ARN, service or provider.
    Exact,
    /// `"*"`.
    Wildcard,
}

/// Whether a `NotPrincipal` list excludes the caller, so that the statement does not apply.
///
/// AWS checks every level of the caller: "When you use `NotPrincipal`, you must also specify the
/// account ARN of the not-denied principal … When evaluating an assumed-role user, AWS might
/// first check the account, then the role, and then the assumed-role user"
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html>).
/// So a user is excluded only if its account and its user ARN are listed, a role session only if
/// its account, its role and its session are listed.
pub(crate) fn not_principal_excludes(entries: &[PrincipalEntry], caller: &Principal) -> bool {
    let any = |wanted: PrincipalMatch| entries.iter().any(|entry| entry.match_caller(caller) == wanted);
    if any(PrincipalMatch::Wildcard) {
        return true;
    }
    match &caller.kind {
        Caller::Root { .. } => any(PrincipalMatch::Account),
        Caller::User { .. } | Caller::Role { .. } | Caller::FederatedUser { .. } => {
            any(PrincipalMatch::Account) && any(PrincipalMatch::Exact)
        }
        Caller::AssumedRole { .. } => {
            any(PrincipalMatch::Account) && any(PrincipalMatch::RoleOfSession) && any(PrincipalMatch::Exact)
        }
        Caller::Service(_) | Caller::Federated(_) => any(PrincipalMatch::Exact),
    }
}

fn exact(matched: bool) -> PrincipalMatch {
    if matched { PrincipalMatch::Exact } else { PrincipalMatch::None }
}

/// Providers match when equal, or when one is an OIDC/SAML provider ARN whose name is the other.
fn same_provider(policy: &str, caller: &str) -> bool {
    fn name(provider: &str) -> &str {
        provider
            .split_once(":oidc-provider/")
            .or_else(|| provider.split_once(":saml-provider/"))
            .map_or(provider, |(_, n)| n)
    }
    policy == caller || name(policy) == name(caller)
}

/// Whether `text` is a 12-digit AWS account id.
pub(crate) fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/connector/pod-1";

    #[test]
    fn caller_from_arn() {
        let session = Principal::from_arn(SESSION).unwrap();
        assert_eq!(session.account(), Some("111122223333"));
        assert_eq!(session.arn(), Some(SESSION));
        assert_eq!(session.role_arn(), Some("arn:aws:iam::111122223333:role/connector"));
        assert_eq!(session.principal_arn(), Some("arn:aws:iam::111122223333:role/connector"));
        assert_eq!(session.principal_type(), Some("AssumedRole"));

        let user = Principal::from_arn("arn:aws:iam::111122223333:user/ops/alice").unwrap();
        assert_eq!(user.user_name(), Some("alice"));
        assert_eq!(user.principal_arn(), Some("arn:aws:iam::111122223333:user/ops/alice"));
        assert_eq!(user.principal_type(), Some("User"));

        let root = Principal::from_arn("arn:aws:iam::111122223333:root").unwrap();
        assert_eq!(root.principal_type(), Some("Account"));
        assert_eq!(Principal::from_arn("111122223333").unwrap(), root);

        let fed = Principal::from_arn("arn:aws:sts::111122223333:federated-user/bob").unwrap();
        assert_eq!(fed.principal_type(), Some("FederatedUser"));

        let service = Principal::service("pods.eks.amazonaws.com");
        assert_eq!(service.account(), None);
        assert_eq!(service.arn(), None);
        assert_eq!(service.to_string(), "service pods.eks.amazonaws.com");
    }

    #[test]
    fn caller_arn_errors() {
        for bad in [
            "",
            "role/x",
            "arn:aws:iam::1234:role/x",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::111122223333:group/g",
            "arn:aws:sts::111122223333:assumed-role/onlyrole",
            "arn:aws:iam::111122223333:role/",
            "arn::iam::111122223333:root",
        ] {
            let err = Principal::from_arn(bad).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn principal_matching_table() {
        use PrincipalMatch as M;
        let session = Principal::from_arn(SESSION).unwrap();
        let other_session =
            Principal::from_arn("arn:aws:sts::111122223333:assumed-role/connector/pod-2").unwrap();
        let user = Principal::from_arn("arn:aws:iam::111122223333:user/alice").unwrap();
        let foreign = Principal::from_arn("arn:aws:sts::444455556666:assumed-role/connector/pod-1").unwrap();
        let service = Principal::service("pods.eks.amazonaws.com");
        let oidc = Principal::federated("oidc.eks.us-east-1.amazonaws.com/id/ABC");
        let cases: Vec<(PrincipalEntry, &Principal, PrincipalMatch)> = vec![
            (PrincipalEntry::Everyone, &session, M::Wildcard),
            (PrincipalEntry::Everyone, &service, M::Wildcard),
            (PrincipalEntry::aws("*"), &user, M::Wildcard),
            (PrincipalEntry::aws("111122223333"), &session, M::Account),
            (PrincipalEntry::aws("arn:aws:iam::111122223333:root"), &session, M::Account),
            (PrincipalEntry::aws("arn:aws:iam::111122223333:root"), &user, M::Account),
            (PrincipalEntry::aws("arn:aws-cn:iam::111122223333:root"), &user, M::None),
            (PrincipalEntry::aws("arn:aws:iam::111122223333:root"), &foreign, M::None),
            (PrincipalEntry::aws("arn:aws:iam::111122223333:root"), &service, M::None),
            (PrincipalEntry::aws("arn:aws:iam::111122223333:role/connector"), &session, M::RoleOfSession),
            (
                PrincipalEntry::aws("arn:aws:iam::111122223333:role/connector"),
                &other_session,
                M::RoleOfSession,
            ),
            (
                PrincipalEntry::aws("arn:aws:iam::111122223333:role/team/Connector"),
                &session,
                M::RoleOfSession,
            ),
            (PrincipalEntry::aws("arn:aws:iam::111122223333:role/connector"), &foreign, M::None),
            (PrincipalEntry::aws("arn:aws:iam::111122223333:role/other"), &session, M::None),
            (PrincipalEntry::aws(SESSION), &session, M::Exact),
            (PrincipalEntry::aws(SESSION), &other_session, M::None),
            (PrincipalEntry::aws("arn:aws:iam::111122223333:user/alice"), &user, M::Exact),
            (PrincipalEntry::aws("arn:aws:iam::111122223333:user/alice"), &session, M::None),
            (PrincipalEntry::aws("arn:aws:iam::111122223333:user/bob"), &user, M::None),
            (PrincipalEntry::aws("arn:aws:iam::*:root"), &user, M::None),
            (PrincipalEntry::Service("pods.eks.amazonaws.com".into()), &service, M::Exact),
            (PrincipalEntry::Service("eks.amazonaws.com".into()), &service, M::None),
            (PrincipalEntry::Service("pods.eks.amazonaws.com".into()), &session, M::None),
            (
                PrincipalEntry::Federated(
                    "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC".into(),
                ),
                &oidc,
                M::Exact,
            ),
            (PrincipalEntry::Federated("accounts.google.com".into()), &oidc, M::None),
            (PrincipalEntry::CanonicalUser("79a59df9".into()), &user, M::None),
        ];
        for (entry, caller, expected) in cases {
            assert_eq!(entry.match_caller(caller), expected, "{entry} vs {caller}");
        }
    }

    #[test]
    fn not_principal_needs_every_level() {
        let session = Principal::from_arn(SESSION).unwrap();
        let user = Principal::from_arn("arn:aws:iam::111122223333:user/alice").unwrap();
        let account = PrincipalEntry::aws("111122223333");
        let role = PrincipalEntry::aws("arn:aws:iam::111122223333:role/connector");
        let this_session = PrincipalEntry::aws(SESSION);
        let alice = PrincipalEntry::aws("arn:aws:iam::111122223333:user/alice");

        assert!(not_principal_excludes(&[account.clone(), role.clone(), this_session.clone()], &session));
        assert!(!not_principal_excludes(&[role.clone(), this_session.clone()], &session));
        assert!(!not_principal_excludes(&[account.clone(), role.clone()], &session));
        assert!(!not_principal_excludes(std::slice::from_ref(&account), &session));
        assert!(not_principal_excludes(&[account.clone(), alice.clone()], &user));
        assert!(!not_principal_excludes(&[alice], &user));
        assert!(!not_principal_excludes(&[account], &user));
        assert!(not_principal_excludes(&[PrincipalEntry::Everyone], &user));
        let service = Principal::service("pods.eks.amazonaws.com");
        assert!(not_principal_excludes(
            &[PrincipalEntry::Service("pods.eks.amazonaws.com".into())],
            &service
        ));
        assert!(!not_principal_excludes(&[role], &service));
    }
}
