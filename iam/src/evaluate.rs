//! Evaluating policies against a request: one policy at a time ([`evaluate_policy`]) and the
//! whole decision ([`authorize`]).
//!
//! A statement applies to a request when its action, resource and (in a resource policy)
//! principal elements match and all its conditions hold
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html>).
//! Within one policy an applying `Deny` wins over any `Allow`, and without an applying statement
//! the policy denies implicitly.

mod authorize;

use std::fmt;

pub use authorize::{Authorization, Policies, authorize};

use crate::context::{Context, ContextValue};
use crate::policy::{ActionBlock, Effect, Policy, PrincipalBlock, ResourceBlock, Statement};
use crate::principal::{Principal, PrincipalMatch, is_account_id, not_principal_excludes};
use crate::variables;
use crate::wildcard::{self, match_tokens};

/// One request to authorize: who calls which action on which resource, with what context.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The caller.
    pub principal: Principal,
    /// The action, e.g. `sts:AssumeRole`; service prefix and name compare case-insensitively.
    pub action: String,
    /// The resource ARN, e.g. `arn:aws:iam::111122223333:role/x`.
    pub resource: String,
    /// The account that owns the resource. `None` takes the account in the resource ARN, and
    /// when the ARN names none (an S3 bucket), the caller's account.
    pub resource_account: Option<String>,
    /// The request context keys (`sts:ExternalId`, `aws:RequestTag/k`, `aws:TagKeys`, …).
    /// Keys derived from the caller are added unless set here; see [`Request::effective_context`].
    pub context: Context,
}

impl Request {
    /// A request with an empty context whose resource account comes from the resource ARN.
    pub fn new(principal: Principal, action: &str, resource: &str) -> Request {
        Request {
            principal,
            action: action.to_owned(),
            resource: resource.to_owned(),
            resource_account: None,
            context: Context::new(),
        }
    }

    /// Builder: sets one context key.
    #[must_use]
    pub fn with_context(mut self, key: &str, value: impl Into<ContextValue>) -> Request {
        self.context.set(key, value);
        self
    }

    /// Builder: sets the account owning the resource.
    #[must_use]
    pub fn with_resource_account(mut self, account: &str) -> Request {
        self.resource_account = Some(account.to_owned());
        self
    }

    /// The context the policies see: the request's keys plus, unless given, the keys AWS derives
    /// from the caller (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>):
    /// `aws:PrincipalArn` (the role ARN for a role session), `aws:PrincipalAccount`,
    /// `aws:PrincipalType`, `aws:username` (IAM users) and `aws:PrincipalServiceName` (services).
    /// `aws:userid` holds unique ids the crate cannot know, so it is only present when given.
    pub fn effective_context(&self) -> Context {
        let mut context = self.context.clone();
        let caller = &self.principal;
        let derived = [
            ("aws:PrincipalArn", caller.principal_arn()),
            ("aws:PrincipalAccount", caller.account()),
            ("aws:PrincipalType", caller.principal_type()),
            ("aws:username", caller.user_name()),
            ("aws:PrincipalServiceName", caller.service_name()),
        ];
        for (key, value) in derived {
            if let (Some(value), false) = (value, context.contains_key(key)) {
                context.set(key, value);
            }
        }
        context
    }

    /// The account owning the resource: as given, else from the ARN, else the caller's.
    pub fn resource_account(&self) -> Option<&str> {
        if let Some(account) = &self.resource_account {
            return Some(account);
        }
        let from_arn = self.resource.split(':').nth(4).filter(|account| is_account_id(account));
        from_arn.or_else(|| self.principal.account())
    }
}

/// Which kind of policy is evaluated; decides whether the `Principal` element counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A policy attached to the caller (user or role): its principal is implicit.
    Identity,
    /// A policy attached to the resource, e.g. a role trust policy: statements apply only to the
    /// principals they name.
    Resource,
    /// A permissions boundary: caps what identity policies grant, grants nothing itself.
    Boundary,
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyKind::Identity => "identity policy",
            PolicyKind::Resource => "resource policy",
            PolicyKind::Boundary => "permissions boundary",
        })
    }
}

/// The outcome of a policy or of the whole evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// A `Deny` statement applies; nothing can override it.
    ExplicitDeny,
    /// Nothing allows (AWS's default).
    ImplicitDeny,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Allow => "allowed",
            Decision::ExplicitDeny => "explicitly denied",
            Decision::ImplicitDeny => "implicitly denied",
        })
    }
}

/// A statement of a named policy, for explanations.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatementRef {
    /// The policy's name as given in [`Policies`] or to [`evaluate_policy`].
    pub policy: String,
    /// The statement's zero-based position in the policy.
    pub index: usize,
    /// The statement's Sid.
    pub sid: Option<String>,
}

impl StatementRef {
    fn of(policy: &str, statement: &Statement) -> StatementRef {
        StatementRef { policy: policy.to_owned(), index: statement.index, sid: statement.sid.clone() }
    }
}

impl fmt::Display for StatementRef {
    /// `statement "AllowFromBaseRole" of trust policy`, or without Sid
    /// `statement 2 of inline policy SelfAssume` (positions counted from 1 for people).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sid {
            Some(sid) if !sid.is_empty() => write!(f, "statement {sid:?} of {}", self.policy),
            _ => write!(f, "statement {} of {}", self.index + 1, self.policy),
        }
    }
}

/// A condition that did not hold, with what the policy expected and what the request had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedCondition {
    /// The operator as written, e.g. `StringEquals`.
    pub operator: String,
    /// The context key as written in the policy, e.g. `sts:ExternalId`.
    pub key: String,
    /// The policy's values as written.
    pub expected: Vec<String>,
    /// The request's value; `None` when the request did not carry the key.
    pub actual: Option<ContextValue>,
}

impl fmt::Display for FailedCondition {
    /// `StringEquals on sts:ExternalId expects "org-1", the request has "org-1 "`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {} expects ", self.operator, self.key)?;
        for (i, value) in self.expected.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{value:?}")?;
        }
        match &self.actual {
            Some(actual) => write!(f, ", the request has {actual}"),
            None => write!(f, ", the request does not carry {}", self.key),
        }
    }
}

/// An `Allow` statement that matched the action, resource and principal but failed conditions:
/// the evidence for "`ExternalId` did not match statement `CrossAccountWithExternalId`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearMiss {
    /// The statement.
    pub statement: StatementRef,
    /// The conditions that did not hold (all of them, not only the first).
    pub failed: Vec<FailedCondition>,
}

/// One policy's verdict on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyResult {
    /// The policy's name, as given.
    pub policy: String,
    /// What this policy alone decides.
    pub decision: Decision,
    /// The `Allow` statements that apply.
    pub allowed_by: Vec<StatementRef>,
    /// The `Deny` statements that apply.
    pub denied_by: Vec<StatementRef>,
    /// The `Allow` statements that would apply but for their conditions.
    pub near_misses: Vec<NearMiss>,
}

impl PolicyResult {
    /// Whether the policy allows (and does not deny).
    pub fn allows(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// Evaluates one policy on its own: which statements allow, which deny, and which `Allow`
/// statements failed only on conditions.
///
/// For [`PolicyKind::Resource`] a statement applies only to the principals its `Principal`
/// names (at any level, including the caller's account); [`authorize`] then decides whether
/// that level suffices.
pub fn evaluate_policy(name: &str, policy: &Policy, kind: PolicyKind, request: &Request) -> PolicyResult {
    let context = request.effective_context();
    let outcomes = statement_outcomes(name, policy, kind, request, &context, false);
    summarize(name, &outcomes)
}

/// What one statement did with the request.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub statement: StatementRef,
    pub effect: Effect,
    /// How the principal element matched (always `Exact` outside resource policies).
    pub principal: PrincipalMatch,
    /// Action, resource and principal matched.
    pub targets: bool,
    /// Conditions that did not hold.
    pub failed: Vec<FailedCondition>,
}

impl Outcome {
    pub(crate) fn applies(&self) -> bool {
        self.targets && self.failed.is_empty()
    }
}

/// Evaluates each statement. `boundary_applies_to_caller` is the permissions-boundary rule for
/// `NotPrincipal`: "The `NotPrincipal` element with a Deny effect will always deny any IAM
/// principal that has a permissions boundary policy attached, regardless of the values specified
/// in the `NotPrincipal` element" (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html>).
pub(crate) fn statement_outcomes(
    name: &str,
    policy: &Policy,
    kind: PolicyKind,
    request: &Request,
    context: &Context,
    boundary_applies_to_caller: bool,
) -> Vec<Outcome> {
    let variables = policy.version().has_variables().then_some(context);
    policy
        .statements()
        .iter()
        .map(|statement| {
            let principal = match kind {
                PolicyKind::Resource => {
                    principal_match(statement, &request.principal, boundary_applies_to_caller)
                }
                PolicyKind::Identity | PolicyKind::Boundary => PrincipalMatch::Exact,
            };
            let targets = principal != PrincipalMatch::None
                && action_matches(statement.action(), &request.action)
                && resource_matches(statement.resource(), &request.resource, variables);
            let failed = if targets {
                statement
                    .conditions()
                    .iter()
                    .filter(|condition| !condition.evaluate(context, variables))
                    .map(|condition| FailedCondition {
                        operator: condition.operator.text.clone(),
                        key: condition.key.clone(),
                        expected: condition.values.clone(),
                        actual: context.get(&condition.key).cloned(),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Outcome {
                statement: StatementRef::of(name, statement),
                effect: statement.effect,
                principal,
                targets,
                failed,
            }
        })
        .collect()
}

pub(crate) fn summarize(name: &str, outcomes: &[Outcome]) -> PolicyResult {
    let applying = |effect: Effect| -> Vec<StatementRef> {
        outcomes.iter().filter(|o| o.effect == effect && o.applies()).map(|o| o.statement.clone()).collect()
    };
    let allowed_by = applying(Effect::Allow);
    let denied_by = applying(Effect::Deny);
    let near_misses = outcomes
        .iter()
        .filter(|o| o.effect == Effect::Allow && o.targets && !o.failed.is_empty())
        .map(|o| NearMiss { statement: o.statement.clone(), failed: o.failed.clone() })
        .collect();
    let decision = if !denied_by.is_empty() {
        Decision::ExplicitDeny
    } else if allowed_by.is_empty() {
        Decision::ImplicitDeny
    } else {
        Decision::Allow
    };
    PolicyResult { policy: name.to_owned(), decision, allowed_by, denied_by, near_misses }
}

fn principal_match(
    statement: &Statement,
    caller: &Principal,
    boundary_applies_to_caller: bool,
) -> PrincipalMatch {
    match statement.principal() {
        // A resource-policy statement without Principal names nobody.
        None => PrincipalMatch::None,
        Some(PrincipalBlock::Principal(entries)) => {
            entries.iter().map(|entry| entry.match_caller(caller)).max().unwrap_or(PrincipalMatch::None)
        }
        Some(PrincipalBlock::NotPrincipal(_))
            if statement.effect == Effect::Deny && boundary_applies_to_caller && caller.is_iam_entity() =>
        {
            PrincipalMatch::Exact
        }
        Some(PrincipalBlock::NotPrincipal(entries)) => {
            if not_principal_excludes(entries, caller) {
                PrincipalMatch::None
            } else {
                PrincipalMatch::Exact
            }
        }
    }
}

fn action_matches(block: &ActionBlock, action: &str) -> bool {
    match block {
        ActionBlock::Action(patterns) => patterns.iter().any(|p| wildcard::matches_ignore_case(p, action)),
        ActionBlock::NotAction(patterns) => {
            !patterns.iter().any(|p| wildcard::matches_ignore_case(p, action))
        }
    }
}

/// Whether the statement covers the resource. An entry whose policy variable cannot be
/// substituted matches nothing, and makes a `NotResource` not apply either.
fn resource_matches(block: Option<&ResourceBlock>, resource: &str, variables: Option<&Context>) -> bool {
    match block {
        None => true,
        Some(ResourceBlock::Resource(patterns)) => {
            patterns.iter().any(|p| resource_entry_matches(p, resource, variables) == Some(true))
        }
        Some(ResourceBlock::NotResource(patterns)) => {
            patterns.iter().all(|p| resource_entry_matches(p, resource, variables) == Some(false))
        }
    }
}

/// One `Resource` entry against the resource ARN, component by component when both are full
/// ARNs ("a wildcard … cannot span segments"), as a whole string otherwise; case-sensitive.
fn resource_entry_matches(pattern: &str, resource: &str, variables: Option<&Context>) -> Option<bool> {
    if pattern == "*" {
        return Some(true);
    }
    let chars = |text: &str| text.chars().collect::<Vec<_>>();
    let resource_parts: Vec<&str> = resource.splitn(6, ':').collect();
    match wildcard::split_arn(pattern) {
        Some(pattern_parts) if resource_parts.len() == 6 => {
            let mut all = true;
            for (part, text) in pattern_parts.iter().zip(&resource_parts) {
                let tokens = variables::compile(part, variables, true).ok()?;
                all &= match_tokens(&tokens, &chars(text));
            }
            Some(all)
        }
        _ => {
            let tokens = variables::compile(pattern, variables, true).ok()?;
            Some(match_tokens(&tokens, &chars(resource)))
        }
    }
}

#[cfg(test)]
mod tests;
