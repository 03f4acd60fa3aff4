//! The request context: the condition keys and values a request carries.
//!
//! AWS compares condition keys case-insensitively ("Condition key names are not case
//! sensitive", <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html>),
//! so [`Context`] stores keys by their lower-case form and remembers the spelling first given.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The value of one context key.
///
/// Single-valued keys (`sts:ExternalId`) hold one string; multivalued keys (`aws:TagKeys`,
/// `sts:TransitiveTagKeys`) hold a list, which only the `ForAnyValue:` / `ForAllValues:` set
/// operators compare. In JSON a single value is a string and a multivalued one an array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ContextValue {
    /// A single-valued key.
    Single(String),
    /// A multivalued key; an empty list is a key that is present with no values.
    Multi(Vec<String>),
}

impl ContextValue {
    /// The values as a slice: one element for a single value.
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(value) => std::slice::from_ref(value),
            ContextValue::Multi(values) => values,
        }
    }

    /// The value when the key is single-valued.
    pub fn as_single(&self) -> Option<&str> {
        match self {
            ContextValue::Single(value) => Some(value),
            ContextValue::Multi(_) => None,
        }
    }
}

impl fmt::Display for ContextValue {
    /// Quoted like JSON, so a trailing space in an `ExternalId` is visible to the reader.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextValue::Single(value) => write!(f, "{value:?}"),
            ContextValue::Multi(values) => {
                f.write_str("[")?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{value:?}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl From<&str> for ContextValue {
    fn from(value: &str) -> Self {
        ContextValue::Single(value.to_owned())
    }
}

impl From<String> for ContextValue {
    fn from(value: String) -> Self {
        ContextValue::Single(value)
    }
}

impl From<&String> for ContextValue {
    fn from(value: &String) -> Self {
        ContextValue::Single(value.clone())
    }
}

impl From<Vec<String>> for ContextValue {
    fn from(values: Vec<String>) -> Self {
        ContextValue::Multi(values)
    }
}

impl From<Vec<&str>> for ContextValue {
    fn from(values: Vec<&str>) -> Self {
        ContextValue::Multi(values.into_iter().map(str::to_owned).collect())
    }
}

impl From<&[&str]> for ContextValue {
    fn from(values: &[&str]) -> Self {
        ContextValue::Multi(values.iter().map(|v| (*v).to_owned()).collect())
    }
}

/// The context keys of one request, looked up case-insensitively.
///
/// Holds what the request carries (`sts:ExternalId`, `aws:RequestTag/k`, `aws:TagKeys`,
/// `aws:SourceIdentity`, `aws:PrincipalTag/k`, `aws:CurrentTime`, …). Keys derived from the
/// caller (`aws:PrincipalArn`, `aws:PrincipalAccount`, …) are added at evaluation time unless
/// set here; see [`Request::effective_context`](crate::Request::effective_context).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Lower-cased key → (key as first spelled, value).
    entries: BTreeMap<String, (String, ContextValue)>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`, replacing any value under the same key in any letter case.
    pub fn set(&mut self, key: &str, value: impl Into<ContextValue>) {
        let value = value.into();
        match self.entries.get_mut(&key.to_lowercase()) {
            Some(entry) => entry.1 = value,
            None => {
                self.entries.insert(key.to_lowercase(), (key.to_owned(), value));
            }
        }
    }

    /// Builder form of [`Context::set`], for tables of cases.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<ContextValue>) -> Self {
        self.set(key, value);
        self
    }

    /// The value of `key` in any letter case, or `None` when the request does not carry it.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.entries.get(&key.to_lowercase()).map(|(_, value)| value)
    }

    /// Whether the request carries `key` (in any letter case).
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.contains_key(&key.to_lowercase())
    }

    /// Removes `key` (in any letter case) and returns its value.
    pub fn remove(&mut self, key: &str) -> Option<ContextValue> {
        self.entries.remove(&key.to_lowercase()).map(|(_, value)| value)
    }

    /// The keys (as first spelled) and values, ordered by lower-cased key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.values().map(|(key, value)| (key.as_str(), value))
    }

    /// How many keys the context holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the context holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: AsRef<str>, V: Into<ContextValue>> FromIterator<(K, V)> for Context {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut context = Context::new();
        for (key, value) in iter {
            context.set(key.as_ref(), value);
        }
        context
    }
}

impl Serialize for Context {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Context {
    /// A JSON object of key → string or array of strings.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, ContextValue>::deserialize(deserializer)?;
        Ok(map.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive() {
        let mut context = Context::new();
        context.set("sts:ExternalId", "org-1");
        assert_eq!(context.get("STS:EXTERNALID"), Some(&ContextValue::from("org-1")));
        context.set("sts:externalid", "org-2");
        assert_eq!(context.len(), 1);
        assert_eq!(context.iter().next(), Some(("sts:ExternalId", &ContextValue::from("org-2"))));
        assert!(context.contains_key("Sts:ExternalID"));
        assert_eq!(context.remove("sts:EXTERNALID"), Some(ContextValue::from("org-2")));
        assert!(context.is_empty());
    }

    #[test]
    fn json_round_trip() {
        let context: Context =
            serde_json::from_str(r#"{"aws:TagKeys": ["a", "b"], "sts:ExternalId": "x"}"#).unwrap();
        assert_eq!(context.get("aws:tagkeys"), Some(&ContextValue::from(vec!["a", "b"])));
        let text = serde_json::to_string(&context).unwrap();
        assert_eq!(text, r#"{"aws:TagKeys":["a","b"],"sts:ExternalId":"x"}"#);
    }

    #[test]
    fn display_quotes_values() {
        assert_eq!(ContextValue::from("org-1 ").to_string(), "\"org-1 \"");
        assert_eq!(ContextValue::from(vec!["a", "b"]).to_string(), "[\"a\", \"b\"]");
    }
}
