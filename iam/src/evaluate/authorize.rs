//! The whole decision for one request: identity policies, a resource policy (for a role, its
//! trust policy) and a permissions boundary, combined as AWS documents.
//!
//! The rules, and where AWS states them:
//! - An explicit deny in any policy wins
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html>).
//! - Cross-account: "To allow cross-account access, you attach a resource-based policy to the
//!   resource that you want to share. You must also attach an identity-based policy to the
//!   identity that acts as the principal in the request"
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>).
//! - Same account: "For most resources, you only need an explicit allow for the principal in
//!   either an identity-based policy or a resource-based policy to grant access. IAM role trust
//!   policies and KMS key policies are exceptions to this logic, because they must explicitly
//!   allow access for principals" (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>).
//!   A trust policy that names the account ("111122223333" or `…:root`) "delegates authority to
//!   the account … an administrator in that account must then grant access to an identity"
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts>),
//!   so the caller's identity policies must allow too; one that names the caller's role or
//!   session (or user) is an explicit allow for the principal and suffices on its own.
//! - Permissions boundaries cap the identity side. Resource-policy grants to a user ARN or a
//!   role *session* ARN are not limited by an implicit deny in a boundary, grants to a *role* ARN
//!   are ("the effective permissions for the principal are limited by any policy types that
//!   limit permissions for the role. This includes session policies and permissions boundaries",
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles>;
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html>).
//!   For role trust policies AWS adds: "If a user is listed as the principal in a role's trust
//!   policy but cannot assume the role, check the user's permissions boundary. If a permissions
//!   boundary is set for the user, then it must allow the sts:AssumeRole action"
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-trust-policy.html>).
//! - The account root user has complete access in its own account unless something denies
//!   explicitly (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html>), but
//!   "cannot use AWS account root user credentials to call `AssumeRole`"
//!   (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>).
//! - `sts:GetCallerIdentity` needs no permission and cannot be denied
//!   (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>).
//! - Services and web-identity/SAML callers have no identity policies; only the resource (trust)
//!   policy can allow them (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html>).

use std::fmt::Write as _;

use super::{
    Decision, Outcome, PolicyKind, PolicyResult, Request, StatementRef, statement_outcomes, summarize,
};
use crate::policy::{Effect, Policy};
use crate::principal::PrincipalMatch;

/// The policies that take part in one decision, each with the name explanations use
/// (e.g. `"trust policy"`, `"inline policy SelfAssume"`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policies {
    /// The caller's identity policies (inline and attached; for a role session, the role's).
    pub identity: Vec<(String, Policy)>,
    /// The resource's policy; for a role, its trust policy.
    pub resource: Option<(String, Policy)>,
    /// The caller's permissions boundary (for a role session, the role's).
    pub boundary: Option<(String, Policy)>,
}

impl Policies {
    /// No policies.
    pub fn new() -> Policies {
        Policies::default()
    }

    /// Builder: adds an identity policy.
    #[must_use]
    pub fn with_identity(mut self, name: &str, policy: Policy) -> Policies {
        self.identity.push((name.to_owned(), policy));
        self
    }

    /// Builder: sets the resource (trust) policy.
    #[must_use]
    pub fn with_resource(mut self, name: &str, policy: Policy) -> Policies {
        self.resource = Some((name.to_owned(), policy));
        self
    }

    /// Builder: sets the permissions boundary.
    #[must_use]
    pub fn with_boundary(mut self, name: &str, policy: Policy) -> Policies {
        self.boundary = Some((name.to_owned(), policy));
        self
    }
}

/// The decision for one request, the evidence for it, and sentences for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The final decision.
    pub decision: Decision,
    /// Why, in sentences that name statements, conditions and what is missing.
    pub reasons: Vec<String>,
    /// Each identity policy's verdict, in the order given.
    pub identity: Vec<PolicyResult>,
    /// The resource policy's verdict (statements apply at any principal level here).
    pub resource: Option<PolicyResult>,
    /// The permissions boundary's verdict.
    pub boundary: Option<PolicyResult>,
    /// Whether caller and resource are in different accounts.
    pub cross_account: bool,
}

impl Authorization {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// Decides one request the way AWS does for one account or across accounts (SCPs, RCPs and
/// session policies are not modelled). See the module documentation for the rules and the AWS
/// pages they come from.
pub fn authorize(request: &Request, policies: &Policies) -> Authorization {
    let context = request.effective_context();
    let caller = &request.principal;
    let has_boundary = policies.boundary.is_some();

    let identity: Vec<PolicyResult> = policies
        .identity
        .iter()
        .map(|(name, policy)| {
            summarize(name, &statement_outcomes(name, policy, PolicyKind::Identity, request, &context, false))
        })
        .collect();
    let boundary = policies.boundary.as_ref().map(|(name, policy)| {
        summarize(name, &statement_outcomes(name, policy, PolicyKind::Boundary, request, &context, false))
    });
    let resource_outcomes = policies.resource.as_ref().map(|(name, policy)| {
        (
            name.as_str(),
            statement_outcomes(name, policy, PolicyKind::Resource, request, &context, has_boundary),
        )
    });
    let resource = resource_outcomes.as_ref().map(|(name, outcomes)| summarize(name, outcomes));

    let cross_account = match (caller.account(), request.resource_account()) {
        (Some(caller_account), Some(resource_account)) => caller_account != resource_account,
        _ => false,
    };
    let role_trust = is_role_arn(&request.resource)
        && request.action.split_once(':').is_some_and(|(service, _)| service.eq_ignore_ascii_case("sts"));

    let facts = Facts {
        request,
        identity: &identity,
        boundary: boundary.as_ref(),
        resource: resource.as_ref(),
        resource_outcomes: resource_outcomes.as_ref().map_or(&[][..], |(_, outcomes)| outcomes.as_slice()),
        cross_account,
        role_trust,
    };
    let (decision, mut reasons) = facts.decide();
    for reason in &mut reasons {
        capitalize(reason);
    }
    Authorization { decision, reasons, identity, resource, boundary, cross_account }
}

/// Everything the decision looks at.
struct Facts<'a> {
    request: &'a Request,
    identity: &'a [PolicyResult],
    boundary: Option<&'a PolicyResult>,
    resource: Option<&'a PolicyResult>,
    resource_outcomes: &'a [Outcome],
    cross_account: bool,
    role_trust: bool,
}

impl Facts<'_> {
    fn decide(&self) -> (Decision, Vec<String>) {
        if self.request.action.eq_ignore_ascii_case("sts:GetCallerIdentity") {
            // "No permissions are required to perform this operation. If an administrator
            // attaches a policy to your identity that explicitly denies access to the
            // sts:GetCallerIdentity action, you can still perform this operation."
            // (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html)
            let reason = format!(
                "{} may always call sts:GetCallerIdentity: AWS requires no permission for it and ignores \
                 denies of it.",
                self.request.principal
            );
            return (Decision::Allow, vec![reason]);
        }
        let mut reasons = vec![self.setting()];
        let denials: Vec<&StatementRef> = self
            .identity
            .iter()
            .chain(self.boundary)
            .chain(self.resource)
            .flat_map(|result| &result.denied_by)
            .collect();
        if !denials.is_empty() {
            for denial in denials {
                reasons
                    .push(format!("Explicitly denied by {denial}; an explicit deny overrides every allow."));
            }
            return (Decision::ExplicitDeny, reasons);
        }
        let caller = &self.request.principal;
        if caller.is_root() && self.role_trust {
            reasons.push(
                "The account root user cannot assume a role: \"You cannot use AWS account root user credentials \
                 to call AssumeRole\", whatever the trust policy says."
                    .to_owned(),
            );
            return (Decision::ImplicitDeny, reasons);
        }
        if caller.is_root() && !self.cross_account {
            reasons.push(format!(
                "Allowed: the account root user has complete access to the resources of its own account, \
                 unless a policy denies explicitly; {} is not denied.",
                self.request.action
            ));
            return (Decision::Allow, reasons);
        }
        let allowed = if caller.is_service_or_federated() {
            self.decide_service(&mut reasons)
        } else if self.cross_account {
            self.decide_cross_account(&mut reasons)
        } else {
            self.decide_same_account(&mut reasons)
        };
        if allowed {
            return (Decision::Allow, reasons);
        }
        // The resource policy's near misses are the likeliest fix, whatever path failed.
        if let Some(resource) = self.resource {
            explain_near_misses(resource, &mut reasons);
        }
        (Decision::ImplicitDeny, reasons)
    }

    /// The opening sentence: who, what, and which rule set applies.
    fn setting(&self) -> String {
        let request = self.request;
        let caller = &request.principal;
        let mut text = format!("{caller} requests {} on {}", request.action, request.resource);
        match (caller.account(), request.resource_account()) {
            (Some(from), Some(to)) if self.cross_account => {
                let _ = write!(
                    text,
                    ": a cross-account request (caller in account {from}, resource in account {to}), so an \
                     identity policy of the caller and the resource policy must both allow it."
                );
            }
            (Some(account), _) if self.role_trust => {
                let _ = write!(
                    text,
                    ": a same-account request (account {account}) to a role, so the role's trust policy must \
                     allow the caller even within the account."
                );
            }
            (Some(account), _) => {
                let _ = write!(
                    text,
                    ": a same-account request (account {account}), so an allow from an identity policy or \
                     from the resource policy suffices."
                );
            }
            (None, _) => {
                let _ = write!(
                    text,
                    ": such a caller has no identity policies, so only the resource policy can allow it."
                );
            }
        }
        text
    }

    fn decide_service(&self, reasons: &mut Vec<String>) -> bool {
        let grants = self.grants(&[PrincipalMatch::Wildcard, PrincipalMatch::Exact]);
        if let Some(grant) = grants.first() {
            reasons.push(format!("Allowed by {grant}, which names {}.", self.request.principal));
            return true;
        }
        self.explain_no_resource_grant(reasons);
        false
    }

    fn decide_cross_account(&self, reasons: &mut Vec<String>) -> bool {
        let resource_grants = self.grants(&[
            PrincipalMatch::Wildcard,
            PrincipalMatch::Exact,
            PrincipalMatch::RoleOfSession,
            PrincipalMatch::Account,
        ]);
        let identity_ok = self.identity_side(reasons);
        match resource_grants.first() {
            Some(grant) if identity_ok => {
                reasons.push(format!("Allowed by {grant} together with {}.", join(&self.identity_allows())));
                true
            }
            Some(grant) => {
                reasons.push(format!(
                    "{} allows the caller ({grant}), but that is not enough across accounts.",
                    self.resource_name()
                ));
                false
            }
            None => {
                self.explain_no_resource_grant(reasons);
                false
            }
        }
    }

    fn decide_same_account(&self, reasons: &mut Vec<String>) -> bool {
        let caller = &self.request.principal;
        let boundary_blocks = self.boundary.is_some_and(|b| b.decision != Decision::Allow);
        let boundary_name = self.boundary.map_or("", |b| b.policy.as_str());

        // Grants that name the caller itself (or everyone) are not capped by a boundary — except
        // a user named in a role trust policy, whose boundary must allow the action.
        let wildcard = self.grants(&[PrincipalMatch::Wildcard]);
        let exact = self.grants(&[PrincipalMatch::Exact]);
        if let Some(grant) = wildcard.first() {
            reasons.push(format!("Allowed by {grant}, which applies to every principal."));
            return true;
        }
        if let Some(grant) = exact.first() {
            if self.role_trust && caller.is_user() && boundary_blocks {
                reasons.push(format!(
                    "{grant} names the user, but for a role trust policy the user's permissions boundary \
                     ({boundary_name}) must allow {} too, and it does not.",
                    self.request.action
                ));
            } else {
                reasons.push(format!(
                    "Allowed by {grant}, which names the caller itself; within one account that suffices."
                ));
                return true;
            }
        }
        let via_role = self.grants(&[PrincipalMatch::RoleOfSession]);
        if let Some(grant) = via_role.first() {
            if boundary_blocks {
                reasons.push(format!(
                    "{grant} names the caller's role ({}), but a grant to a role ARN is capped by the role's \
                     permissions boundary ({boundary_name}), which does not allow {}; a grant to the session \
                     ARN would not be capped.",
                    caller.role_arn().unwrap_or_default(),
                    self.request.action
                ));
            } else {
                reasons.push(format!(
                    "Allowed by {grant}, which names the caller's role ({}); within one account that suffices.",
                    caller.role_arn().unwrap_or_default()
                ));
                return true;
            }
        }

        let via_account = self.grants(&[PrincipalMatch::Account]);
        if self.role_trust {
            if self.resource.is_none() {
                reasons.push(format!(
                    "No trust policy was given for {}; AWS allows {} on a role only when the role's trust \
                     policy allows the caller.",
                    self.request.resource, self.request.action
                ));
                return false;
            }
            if let Some(grant) = via_account.first() {
                let identity_ok = self.identity_side(reasons);
                if identity_ok {
                    reasons.push(format!(
                        "Allowed by {grant}, which trusts the caller's account and so delegates to the caller's \
                         identity policies, together with {}.",
                        join(&self.identity_allows())
                    ));
                    return true;
                }
                reasons.push(format!(
                    "{grant} trusts only the caller's account, which delegates the decision to the caller's \
                     identity policies; they must allow {} as well.",
                    self.request.action
                ));
                return false;
            }
            if !self.identity_allows().is_empty() {
                reasons.push(format!(
                    "{} allows it on the caller's side, but a role trust policy must also allow the caller, \
                     even within the same account.",
                    join(&self.identity_allows())
                ));
            }
            if via_role.is_empty() && exact.is_empty() {
                self.explain_no_resource_grant(reasons);
            }
            return false;
        }

        if self.identity_side(reasons) {
            reasons.push(format!("Allowed by {}.", join(&self.identity_allows())));
            return true;
        }
        if via_role.is_empty() && exact.is_empty() && self.resource.is_some() {
            self.explain_no_resource_grant(reasons);
        }
        false
    }

    /// Whether identity policies allow and the boundary lets them; explains when not.
    fn identity_side(&self, reasons: &mut Vec<String>) -> bool {
        let allows = self.identity_allows();
        let action = &self.request.action;
        if allows.is_empty() {
            if self.identity.is_empty() {
                reasons.push(format!(
                    "No identity policy was given for the caller, so nothing on its side allows {action}."
                ));
            } else {
                reasons.push(format!(
                    "No identity policy of the caller allows {action} on {}.",
                    self.request.resource
                ));
                for result in self.identity {
                    explain_near_misses(result, reasons);
                }
            }
            return false;
        }
        match self.boundary {
            Some(boundary) if boundary.decision != Decision::Allow => {
                reasons.push(format!(
                    "{} allows {action}, but the permissions boundary {} does not, and a boundary caps what \
                     identity policies grant.",
                    join(&allows),
                    boundary.policy
                ));
                explain_near_misses(boundary, reasons);
                false
            }
            _ => true,
        }
    }

    fn explain_no_resource_grant(&self, reasons: &mut Vec<String>) {
        match self.resource {
            None => reasons.push(format!(
                "No resource policy was given, and only the resource's policy can allow {}.",
                self.request.principal
            )),
            Some(result) => {
                reasons.push(format!(
                    "No statement of {} allows {} to perform {}.",
                    result.policy, self.request.principal, self.request.action
                ));
            }
        }
    }

    fn resource_name(&self) -> &str {
        self.resource.map_or("the resource policy", |r| r.policy.as_str())
    }

    /// The applying resource-policy `Allow` statements whose principal matched at these levels.
    fn grants(&self, levels: &[PrincipalMatch]) -> Vec<&StatementRef> {
        self.resource_outcomes
            .iter()
            .filter(|o| o.effect == Effect::Allow && o.applies() && levels.contains(&o.principal))
            .map(|o| &o.statement)
            .collect()
    }

    fn identity_allows(&self) -> Vec<&StatementRef> {
        self.identity.iter().flat_map(|result| &result.allowed_by).collect()
    }
}

fn explain_near_misses(result: &PolicyResult, reasons: &mut Vec<String>) {
    for miss in &result.near_misses {
        let failed: Vec<String> = miss.failed.iter().map(ToString::to_string).collect();
        reasons.push(format!(
            "{} would allow it, but its condition failed: {}.",
            miss.statement,
            failed.join("; ")
        ));
    }
}

/// Upper-cases a sentence that starts with a statement reference ("statement …" → "Statement …");
/// sentences that start with an ARN stay as they are.
fn capitalize(sentence: &mut String) {
    if sentence.starts_with("statement ") {
        sentence.replace_range(..1, "S");
    }
}

fn join(refs: &[&StatementRef]) -> String {
    refs.iter().map(ToString::to_string).collect::<Vec<_>>().join(" and ")
}

/// Whether `resource` is an IAM role ARN (`arn:PARTITION:iam::ACCOUNT:role/…`).
fn is_role_arn(resource: &str) -> bool {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    parts.len() == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[5].starts_with("role/")
}
