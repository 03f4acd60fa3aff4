//! Authorization in the lab: gathers the policies AWS would weigh for a request (the caller's
//! identity policies and permissions boundary, the resource's policy) from the scenario and
//! asks `connector-iam`, the evaluator the product uses too. The lab and the product share the
//! evaluator, so the evaluator itself is checked against independent peers (iam-simulate,
//! moto) rather than against the lab.

use connector_iam::{Authorization, Context, Decision, Policies, Policy, PolicyKind, Principal, Request};

use crate::aws::Caller;
use crate::scenario::Scenario;
use crate::world::Identity;

/// One request to decide.
#[derive(Debug)]
pub struct Ask<'a> {
    /// `service:Action`.
    pub action: &'a str,
    /// The resource ARN.
    pub resource: &'a str,
    /// The account owning the resource.
    pub resource_account: &'a str,
    /// The resource's own policy (a role's trust policy), if it has one.
    pub resource_policy: Option<(String, &'a str)>,
    /// Request context beyond what the caller implies.
    pub context: Context,
}

/// A policy with the name AWS would give it in an explanation.
type Named = (String, Policy);

/// Parses a document the scenario has already validated.
fn parse(text: &str) -> Policy {
    // Scenario::complete refused every document that does not parse.
    Policy::parse(text).unwrap_or_else(|e| panic!("a policy the scenario accepted no longer parses: {e}"))
}

/// The identity-based policies and the boundary of `caller`, named as AWS would name them.
fn caller_policies(scenario: &Scenario, caller: &Caller) -> (Vec<Named>, Option<Named>) {
    let managed = |names: &[String]| -> Vec<Named> {
        names
            .iter()
            .filter_map(|n| scenario.managed_policy(n))
            .map(|p| (format!("managed policy {}", p.name), parse(&p.document)))
            .collect()
    };
    match &caller.identity {
        Identity::User { name } => match scenario.users.iter().find(|u| &u.name == name) {
            Some(user) => {
                let mut all: Vec<Named> =
                    user.policies.iter().map(|(n, d)| (format!("inline policy {n}"), parse(d))).collect();
                all.extend(managed(&user.managed));
                (all, None)
            }
            None => (Vec::new(), None),
        },
        Identity::AssumedRole { role, .. } => {
            let found =
                scenario.roles.iter().find(|r| &r.name == role && scenario.account_of(r) == caller.account);
            match found {
                Some(r) => {
                    let mut all: Vec<Named> =
                        r.policies.iter().map(|(n, d)| (format!("inline policy {n}"), parse(d))).collect();
                    all.extend(managed(&r.managed));
                    let boundary = r
                        .boundary
                        .as_deref()
                        .and_then(|b| scenario.managed_policy(b))
                        .map(|p| (format!("permissions boundary {}", p.name), parse(&p.document)));
                    (all, boundary)
                }
                None => (Vec::new(), None),
            }
        }
    }
}

/// Decides `ask` for `caller` the way AWS would in this world.
pub fn decide(scenario: &Scenario, caller: &Caller, ask: Ask<'_>) -> Authorization {
    let (identity, boundary) = caller_policies(scenario, caller);
    let mut context = ask.context;
    for (key, value) in &caller.session.tags {
        context.set(&format!("aws:PrincipalTag/{key}"), value.as_str());
    }
    // The evaluator cannot know unique IDs; the lab can (`AROA…:<session>`, `AIDA…`).
    if !context.contains_key("aws:userid") {
        context.set("aws:userid", caller.identity.user_id(&caller.account));
    }
    let principal = Principal::from_arn(&caller.arn())
        .unwrap_or_else(|e| panic!("the lab made a caller ARN the evaluator refuses: {e}"));
    let request = Request {
        principal,
        action: ask.action.to_owned(),
        resource: ask.resource.to_owned(),
        resource_account: Some(ask.resource_account.to_owned()),
        context,
    };
    let resource = ask.resource_policy.map(|(name, text)| (name, parse(text)));
    connector_iam::authorize(&request, &Policies { identity, resource, boundary })
}

/// Whether a resource policy (a trust policy) alone lets a non-IAM principal (a service or a
/// federated identity provider) do `action`: such principals have no identity policies.
pub fn resource_allows(
    policy: &str,
    principal: Principal,
    action: &str,
    resource: &str,
    context: Context,
) -> bool {
    let request = Request {
        principal,
        action: action.to_owned(),
        resource: resource.to_owned(),
        resource_account: None,
        context,
    };
    let result =
        connector_iam::evaluate_policy("trust policy", &parse(policy), PolicyKind::Resource, &request);
    matches!(result.decision, Decision::Allow)
}
