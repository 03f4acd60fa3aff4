//! Condition operators and their evaluation against a request context.
//!
//! Semantics, all from AWS's documentation:
//! - Operators and value types:
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>.
//! - Several values for one key are OR'ed; several keys, and several operators, are AND'ed
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html>).
//!   For a negated operator the values are NOR'ed: `StringNotEquals` holds when the key equals
//!   none of them.
//! - A key absent from the request: "If the key that you specify in a policy condition is not
//!   present in the request context, the values do not match and the condition is false. If the
//!   policy condition requires that the key is not matched, such as `StringNotLike` or `ArnNotLike`,
//!   and the right key is not present, the condition is true. This logic applies to all
//!   condition operators except `…IfExists` and `Null` check" (the "Important" note at the top of
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>).
//! - `…IfExists`: "If the key is not present, evaluate the condition element as true"
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists>).
//! - Set operators on multivalued keys: `ForAllValues` "returns true if every context key value
//!   in the request matches at least one context key value in the policy. It also returns true if
//!   there are no context keys in the request, or if the context key value resolves to a null
//!   data set, such as an empty string"; `ForAnyValue` returns true if at least one request value
//!   matches and "returns false if there are no keys or the key resolves to a null data set"
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>).
//!   A multivalued key compared without a set operator does not match ("Multivalued context keys
//!   require a condition set operator", same page).

mod date;
mod ip;

use std::fmt;

use crate::context::{Context, ContextValue};
use crate::variables;
use crate::wildcard::{self, match_tokens};

/// The comparison an operator makes, without set qualifier or `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseOperator {
    /// Exact, case-sensitive string match.
    StringEquals,
    /// Negated `StringEquals`.
    StringNotEquals,
    /// String match ignoring case.
    StringEqualsIgnoreCase,
    /// Negated `StringEqualsIgnoreCase`.
    StringNotEqualsIgnoreCase,
    /// Case-sensitive match with `*` and `?` wildcards.
    StringLike,
    /// Negated `StringLike`.
    StringNotLike,
    /// Numbers are equal.
    NumericEquals,
    /// Negated `NumericEquals`.
    NumericNotEquals,
    /// Request number below the policy number.
    NumericLessThan,
    /// Request number at most the policy number.
    NumericLessThanEquals,
    /// Request number above the policy number.
    NumericGreaterThan,
    /// Request number at least the policy number.
    NumericGreaterThanEquals,
    /// Same instant (ISO 8601 or epoch seconds).
    DateEquals,
    /// Negated `DateEquals`.
    DateNotEquals,
    /// Request date before the policy date.
    DateLessThan,
    /// Request date at or before the policy date.
    DateLessThanEquals,
    /// Request date after the policy date.
    DateGreaterThan,
    /// Request date at or after the policy date.
    DateGreaterThanEquals,
    /// Boolean match (`true` / `false`, any case).
    Bool,
    /// Base64 value equal byte for byte.
    BinaryEquals,
    /// Address inside the CIDR block (IPv4 or IPv6).
    IpAddress,
    /// Negated `IpAddress`.
    NotIpAddress,
    /// ARN match, component by component, wildcards allowed (same as `ArnLike`).
    ArnEquals,
    /// ARN match, component by component, with `*` and `?`.
    ArnLike,
    /// Negated `ArnEquals`.
    ArnNotEquals,
    /// Negated `ArnLike`.
    ArnNotLike,
    /// Key presence: `true` holds when the key is absent, `false` when present.
    Null,
}

const ALL_OPERATORS: &[BaseOperator] = &[
    BaseOperator::StringEquals,
    BaseOperator::StringNotEquals,
    BaseOperator::StringEqualsIgnoreCase,
    BaseOperator::StringNotEqualsIgnoreCase,
    BaseOperator::StringLike,
    BaseOperator::StringNotLike,
    BaseOperator::NumericEquals,
    BaseOperator::NumericNotEquals,
    BaseOperator::NumericLessThan,
    BaseOperator::NumericLessThanEquals,
    BaseOperator::NumericGreaterThan,
    BaseOperator::NumericGreaterThanEquals,
    BaseOperator::DateEquals,
    BaseOperator::DateNotEquals,
    BaseOperator::DateLessThan,
    BaseOperator::DateLessThanEquals,
    BaseOperator::DateGreaterThan,
    BaseOperator::DateGreaterThanEquals,
    BaseOperator::Bool,
    BaseOperator::BinaryEquals,
    BaseOperator::IpAddress,
    BaseOperator::NotIpAddress,
    BaseOperator::ArnEquals,
    BaseOperator::ArnLike,
    BaseOperator::ArnNotEquals,
    BaseOperator::ArnNotLike,
    BaseOperator::Null,
];

impl BaseOperator {
    /// AWS's name for the operator.
    pub fn name(self) -> &'static str {
        use BaseOperator as B;
        match self {
            B::StringEquals => "StringEquals",
            B::StringNotEquals => "StringNotEquals",
            B::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            B::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            B::StringLike => "StringLike",
            B::StringNotLike => "StringNotLike",
            B::NumericEquals => "NumericEquals",
            B::NumericNotEquals => "NumericNotEquals",
            B::NumericLessThan => "NumericLessThan",
            B::NumericLessThanEquals => "NumericLessThanEquals",
            B::NumericGreaterThan => "NumericGreaterThan",
            B::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            B::DateEquals => "DateEquals",
            B::DateNotEquals => "DateNotEquals",
            B::DateLessThan => "DateLessThan",
            B::DateLessThanEquals => "DateLessThanEquals",
            B::DateGreaterThan => "DateGreaterThan",
            B::DateGreaterThanEquals => "DateGreaterThanEquals",
            B::Bool => "Bool",
            B::BinaryEquals => "BinaryEquals",
            B::IpAddress => "IpAddress",
            B::NotIpAddress => "NotIpAddress",
            B::ArnEquals => "ArnEquals",
            B::ArnLike => "ArnLike",
            B::ArnNotEquals => "ArnNotEquals",
            B::ArnNotLike => "ArnNotLike",
            B::Null => "Null",
        }
    }

    /// Whether the operator is a negation (`StringNotEquals`, `NotIpAddress`, …), which holds
    /// for an absent key and NOR's its values.
    pub fn is_negated(self) -> bool {
        self.positive() != self
    }

    /// The operator a negated one negates; itself for the others.
    fn positive(self) -> BaseOperator {
        use BaseOperator as B;
        match self {
            B::StringNotEquals => B::StringEquals,
            B::StringNotEqualsIgnoreCase => B::StringEqualsIgnoreCase,
            B::StringNotLike => B::StringLike,
            B::NumericNotEquals => B::NumericEquals,
            B::DateNotEquals => B::DateEquals,
            B::NotIpAddress => B::IpAddress,
            B::ArnNotEquals => B::ArnEquals,
            B::ArnNotLike => B::ArnLike,
            other => other,
        }
    }

    /// Whether policy variables are substituted in the operator's values (string, ARN and
    /// boolean operators).
    fn takes_variables(self) -> bool {
        use BaseOperator as B;
        matches!(
            self.positive(),
            B::StringEquals | B::StringEqualsIgnoreCase | B::StringLike | B::ArnEquals | B::ArnLike | B::Bool
        )
    }
}

/// `ForAnyValue:` or `ForAllValues:`, for multivalued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// At least one request value must satisfy the operator.
    ForAnyValue,
    /// Every request value must satisfy the operator (vacuously true for none).
    ForAllValues,
}

/// A full condition operator such as `ForAllValues:StringLikeIfExists`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// The operator as written in the policy.
    pub text: String,
    /// The set qualifier, if any.
    pub set: Option<SetQualifier>,
    /// The comparison.
    pub base: BaseOperator,
    /// Whether the `IfExists` suffix is present.
    pub if_exists: bool,
}

impl Operator {
    /// Parses an operator name; names compare case-insensitively, as AWS's do.
    pub fn parse(text: &str) -> Result<Operator, String> {
        let (set, rest) = if let Some(rest) = strip_prefix_ignore_case(text, "ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else if let Some(rest) = strip_prefix_ignore_case(text, "ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else {
            (None, text)
        };
        let (if_exists, name) = match rest.len().checked_sub("IfExists".len()) {
            Some(cut) if rest.is_char_boundary(cut) && rest[cut..].eq_ignore_ascii_case("IfExists") => {
                (true, &rest[..cut])
            }
            _ => (false, rest),
        };
        let base = ALL_OPERATORS
            .iter()
            .copied()
            .find(|op| op.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("{text:?} is not a condition operator"))?;
        if base == BaseOperator::Null && if_exists {
            return Err("Null cannot take the IfExists suffix".to_owned());
        }
        Ok(Operator { text: text.to_owned(), set, base, if_exists })
    }

    /// Whether this is the `Null` key-presence check.
    pub fn is_null_check(&self) -> bool {
        self.base == BaseOperator::Null
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One condition: an operator applied to one context key with one or more policy values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The operator.
    pub operator: Operator,
    /// The context key as written in the policy (compared case-insensitively).
    pub key: String,
    /// The policy values as written (numbers and booleans as their JSON text).
    pub values: Vec<String>,
}

impl Condition {
    /// A condition from its parts.
    pub fn new(operator: Operator, key: String, values: Vec<String>) -> Condition {
        Condition { operator, key, values }
    }

    /// Whether the condition holds for `context`.
    ///
    /// `variables` is the context policy variables are taken from, or `None` in a 2008-10-17
    /// policy, where `${…}` stays literal.
    pub fn evaluate(&self, context: &Context, variables: Option<&Context>) -> bool {
        let value = context.get(&self.key);
        let base = self.operator.base;
        if base == BaseOperator::Null {
            let present = value.is_some();
            return self.values.iter().any(|v| {
                if v.eq_ignore_ascii_case("true") {
                    !present
                } else if v.eq_ignore_ascii_case("false") {
                    present
                } else {
                    false
                }
            });
        }
        let variables = if base.takes_variables() { variables } else { None };
        let test = |request_value: &str| self.test_value(request_value, variables);
        match self.operator.set {
            None => match value {
                None => self.operator.if_exists || base.is_negated(),
                Some(ContextValue::Multi(_)) => false,
                Some(ContextValue::Single(v)) => test(v),
            },
            Some(SetQualifier::ForAnyValue) => match value {
                None => self.operator.if_exists,
                Some(value) => set_values(value).iter().any(|v| test(v)),
            },
            Some(SetQualifier::ForAllValues) => match value {
                None => true,
                Some(value) => set_values(value).iter().all(|v| test(v)),
            },
        }
    }

    /// One request value against all policy values: any of them for a positive operator, none
    /// of them for a negated one. A value that cannot be compared (not a number, an unresolvable
    /// policy variable) satisfies neither.
    fn test_value(&self, request_value: &str, variables: Option<&Context>) -> bool {
        let base = self.operator.base;
        let positive = base.positive();
        let compare = |policy_value: &String| compare(positive, request_value, policy_value, variables);
        if base.is_negated() {
            self.values.iter().all(|p| compare(p) == Some(false))
        } else {
            self.values.iter().any(|p| compare(p) == Some(true))
        }
    }
}

/// The request values a set operator ranges over: a single empty string is the "null data set"
/// AWS names in its description of `ForAllValues`, i.e. no values.
fn set_values(value: &ContextValue) -> &[String] {
    match value {
        ContextValue::Single(v) if v.is_empty() => &[],
        other => other.values(),
    }
}

/// Compares one request value with one policy value under a positive operator; `None` when the
/// two cannot be compared.
fn compare(operator: BaseOperator, request: &str, policy: &str, variables: Option<&Context>) -> Option<bool> {
    use BaseOperator as B;
    match operator {
        B::StringEquals => Some(variables::resolve(policy, variables).ok()? == request),
        B::StringEqualsIgnoreCase => {
            Some(variables::resolve(policy, variables).ok()?.to_lowercase() == request.to_lowercase())
        }
        B::StringLike => {
            let tokens = variables::compile(policy, variables, true).ok()?;
            Some(match_tokens(&tokens, &request.chars().collect::<Vec<_>>()))
        }
        #[allow(clippy::float_cmp)] // IAM compares numbers exactly, as written.
        B::NumericEquals
        | B::NumericLessThan
        | B::NumericLessThanEquals
        | B::NumericGreaterThan
        | B::NumericGreaterThanEquals => {
            let (r, p) = (parse_number(request)?, parse_number(policy)?);
            Some(match operator {
                B::NumericEquals => r == p,
                B::NumericLessThan => r < p,
                B::NumericLessThanEquals => r <= p,
                B::NumericGreaterThan => r > p,
                _ => r >= p,
            })
        }
        B::DateEquals
        | B::DateLessThan
        | B::DateLessThanEquals
        | B::DateGreaterThan
        | B::DateGreaterThanEquals => {
            let (r, p) = (date::parse(request)?, date::parse(policy)?);
            Some(match operator {
                B::DateEquals => r == p,
                B::DateLessThan => r < p,
                B::DateLessThanEquals => r <= p,
                B::DateGreaterThan => r > p,
                _ => r >= p,
            })
        }
        B::Bool => {
            let policy = variables::resolve(policy, variables).ok()?;
            let parse = |text: &str| match text.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            };
            Some(parse(request)? == parse(&policy)?)
        }
        B::BinaryEquals => Some(request == policy),
        B::IpAddress => ip::contains(policy, request),
        B::ArnEquals | B::ArnLike => {
            let pattern_parts = wildcard::split_arn(policy)?;
            let arn_parts: Vec<&str> = request.splitn(6, ':').collect();
            if arn_parts.len() != 6 || arn_parts[0] != "arn" {
                return None;
            }
            let mut all = true;
            for (pattern, part) in pattern_parts.iter().zip(&arn_parts) {
                let tokens = variables::compile(pattern, variables, true).ok()?;
                all &= match_tokens(&tokens, &part.chars().collect::<Vec<_>>());
            }
            Some(all)
        }
        // Negated operators are compared through their positive form; Null never gets here.
        _ => None,
    }
}

/// Parses a number as the `Numeric…` operators take it: an integer or a decimal.
fn parse_number(text: &str) -> Option<f64> {
    let valid = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    if valid { text.parse::<f64>().ok().filter(|n| n.is_finite()) } else { None }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests;
