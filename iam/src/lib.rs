//! IAM policy parsing and evaluation with explanations.
//!
//! connector-doctor diagnoses why a data connector's AWS role chain fails. Almost every failure
//! reaches it as one opaque `AccessDenied` from `sts:AssumeRole`; to say *which statement* is
//! missing or *which condition* failed, the product evaluates the policies involved the way AWS
//! does and keeps the evidence. The offline lab used by the tests decides `AssumeRole` with the
//! same code, so the product and its lab cannot drift apart.
//!
//! The crate follows AWS's documented evaluation logic:
//! - policy grammar: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>
//! - evaluation: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>
//! - cross-account: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>
//! - conditions: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
//!
//! The entry points are [`Policy::parse`], [`evaluate_policy`] (one policy's verdict, with the
//! statements that allowed, denied or nearly matched) and [`authorize`] (the whole decision for
//! one request, with sentences a person can act on).

pub mod condition;
pub mod context;
pub mod evaluate;
pub mod policy;
pub mod principal;
pub mod wildcard;

mod variables;

pub use context::{Context, ContextValue};
pub use evaluate::{
    Authorization, Decision, FailedCondition, NearMiss, Policies, PolicyKind, PolicyResult, Request,
    StatementRef, authorize, evaluate_policy,
};
pub use policy::{Effect, Policy, PolicyError, Statement};
pub use principal::Principal;
