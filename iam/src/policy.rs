//! IAM policy documents: parsing with errors that say where and why, and the parsed shape.
//!
//! The grammar is AWS's (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>):
//! a `Version`, an optional `Id`, and a `Statement` that is one object or a list of them, each
//! with `Sid`, `Effect`, `Principal`/`NotPrincipal`, `Action`/`NotAction`,
//! `Resource`/`NotResource` and `Condition`. Anything else is an error rather than silently
//! ignored: a misspelt `Condition` that were dropped would turn a guarded statement into an open
//! one, and a diagnosis built on that would be wrong.

mod parse;

use std::fmt;

use crate::condition::Condition;
use crate::principal::PrincipalEntry;

/// A parsed IAM policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    version: Version,
    id: Option<String>,
    statements: Vec<Statement>,
}

impl Policy {
    /// Parses a policy document from JSON text.
    pub fn parse(json: &str) -> Result<Policy, PolicyError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|err| PolicyError::Json { message: err.to_string() })?;
        Policy::from_value(&value)
    }

    /// Parses a policy document that is already JSON (e.g. embedded in a larger document).
    pub fn from_value(value: &serde_json::Value) -> Result<Policy, PolicyError> {
        parse::policy(value)
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The policy language version; decides whether policy variables are substituted.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The optional `Id` element.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

/// The policy language version (`Version` element).
///
/// "If you do not include a Version element, the value defaults to 2008-10-17", and policy
/// variables work only in 2012-10-17
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2008-10-17`, or no `Version` element: `${…}` is literal text.
    V2008_10_17,
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
}

impl Version {
    /// Whether policy variables are substituted under this version.
    pub fn has_variables(self) -> bool {
        self == Version::V2012_10_17
    }
}

/// Whether a statement allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The `Sid`, which explanations quote when present.
    pub sid: Option<String>,
    /// The zero-based position in the `Statement` list (0 when `Statement` is one object).
    pub index: usize,
    /// Allow or deny.
    pub effect: Effect,
    principal: Option<PrincipalBlock>,
    action: ActionBlock,
    resource: Option<ResourceBlock>,
    conditions: Vec<Condition>,
}

impl Statement {
    /// The `Principal` or `NotPrincipal` element; `None` in identity policies.
    pub fn principal(&self) -> Option<&PrincipalBlock> {
        self.principal.as_ref()
    }

    /// The `Action` or `NotAction` element.
    pub fn action(&self) -> &ActionBlock {
        &self.action
    }

    /// The `Resource` or `NotResource` element; `None` when absent (as in role trust policies,
    /// where the resource is the role itself).
    pub fn resource(&self) -> Option<&ResourceBlock> {
        self.resource.as_ref()
    }

    /// The conditions, one per operator and key; all must hold.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// How explanations name the statement: its Sid, else its position.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) => format!("{sid:?}"),
            None => format!("#{}", self.index + 1),
        }
    }
}

/// The `Action` or `NotAction` element: action patterns such as `sts:AssumeRole` or `sts:*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionBlock {
    /// The statement covers these actions.
    Action(Vec<String>),
    /// The statement covers every action except these.
    NotAction(Vec<String>),
}

/// The `Resource` or `NotResource` element: ARN patterns, or `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceBlock {
    /// The statement covers these resources.
    Resource(Vec<String>),
    /// The statement covers every resource except these.
    NotResource(Vec<String>),
}

/// The `Principal` or `NotPrincipal` element of a resource policy (a role trust policy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalBlock {
    /// The statement applies to these principals.
    Principal(Vec<PrincipalEntry>),
    /// The statement applies to everyone except these principals.
    NotPrincipal(Vec<PrincipalEntry>),
}

/// Why a policy or a caller ARN could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON at all.
    #[error("the policy is not valid JSON: {message}")]
    Json {
        /// `serde_json`'s message, with line and column.
        message: String,
    },
    /// The JSON is not a valid policy.
    #[error("{}: {message}", location(*statement, sid.as_deref(), field))]
    Invalid {
        /// The zero-based statement index, or `None` for a top-level problem.
        statement: Option<usize>,
        /// The statement's Sid, when it had a readable one.
        sid: Option<String>,
        /// The element at fault, as a path such as `Principal.AWS[1]` or `Condition.StringEquals`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A caller ARN given to [`Principal::from_arn`](crate::Principal::from_arn) is not one.
    #[error("{arn:?} is not a caller ARN: {message}")]
    PrincipalArn {
        /// The text given.
        arn: String,
        /// What is wrong with it.
        message: String,
    },
}

fn location(statement: Option<usize>, sid: Option<&str>, field: &str) -> String {
    match (statement, sid) {
        (Some(index), Some(sid)) => format!("Statement[{index}] (Sid {sid:?}), field {field}"),
        (Some(index), None) => format!("Statement[{index}], field {field}"),
        (None, _) => format!("field {field}"),
    }
}

#[cfg(test)]
mod tests;
