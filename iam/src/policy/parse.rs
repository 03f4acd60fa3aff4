//! From JSON to [`Policy`], checking every element and naming the place of each error.

use serde_json::{Map, Value};

use super::{ActionBlock, Effect, Policy, PolicyError, PrincipalBlock, ResourceBlock, Statement, Version};
use crate::condition::{Condition, Operator};
use crate::principal::PrincipalEntry;

const TOP_LEVEL_KEYS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const PRINCIPAL_KEYS: &[&str] = &["AWS", "Service", "Federated", "CanonicalUser"];

/// Where in the document an element sits, for error messages.
struct Place<'a> {
    statement: Option<usize>,
    sid: Option<&'a str>,
}

impl Place<'_> {
    fn error(&self, field: &str, message: impl Into<String>) -> PolicyError {
        PolicyError::Invalid {
            statement: self.statement,
            sid: self.sid.map(str::to_owned),
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

pub(super) fn policy(value: &Value) -> Result<Policy, PolicyError> {
    let top = Place { statement: None, sid: None };
    let Value::Object(map) = value else {
        return Err(top.error("(document)", format!("a policy is a JSON object, found {}", kind(value))));
    };
    check_keys(map, TOP_LEVEL_KEYS, &top, "")?;
    let version = match map.get("Version") {
        None => Version::V2008_10_17,
        Some(Value::String(v)) if v == "2012-10-17" => Version::V2012_10_17,
        Some(Value::String(v)) if v == "2008-10-17" => Version::V2008_10_17,
        Some(Value::String(v)) => {
            return Err(top.error("Version", format!("{v:?} is not a policy version; use \"2012-10-17\"")));
        }
        Some(other) => return Err(top.error("Version", format!("expected a string, found {}", kind(other)))),
    };
    let id = match map.get("Id") {
        None => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(other) => return Err(top.error("Id", format!("expected a string, found {}", kind(other)))),
    };
    let statements = match map.get("Statement") {
        None => return Err(top.error("Statement", "a policy needs a Statement")),
        Some(Value::Object(one)) => vec![statement(one, 0)?],
        Some(Value::Array(list)) if list.is_empty() => {
            return Err(top.error("Statement", "the Statement list is empty"));
        }
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::Object(map) => statement(map, index),
                other => Err(Place { statement: Some(index), sid: None }
                    .error("(statement)", format!("a statement is a JSON object, found {}", kind(other)))),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(top.error(
                "Statement",
                format!("expected an object or a list of objects, found {}", kind(other)),
            ));
        }
    };
    Ok(Policy { version, id, statements })
}

fn statement(map: &Map<String, Value>, index: usize) -> Result<Statement, PolicyError> {
    let sid = match map.get("Sid") {
        None => None,
        Some(Value::String(sid)) => Some(sid.clone()),
        Some(other) => {
            return Err(Place { statement: Some(index), sid: None }
                .error("Sid", format!("expected a string, found {}", kind(other))));
        }
    };
    let place = Place { statement: Some(index), sid: sid.as_deref() };
    check_keys(map, STATEMENT_KEYS, &place, "")?;
    let effect = match map.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(Value::String(e)) => {
            return Err(place.error("Effect", format!("{e:?} is neither \"Allow\" nor \"Deny\"")));
        }
        Some(other) => {
            return Err(
                place.error("Effect", format!("expected \"Allow\" or \"Deny\", found {}", kind(other)))
            );
        }
        None => return Err(place.error("Effect", "a statement needs an Effect")),
    };
    let principal = principal_block(map, &place)?;
    let action = action_block(map, &place)?;
    let resource = resource_block(map, &place)?;
    let conditions = match map.get("Condition") {
        None => Vec::new(),
        Some(value) => conditions(value, &place)?,
    };
    Ok(Statement { sid, index, effect, principal, action, resource, conditions })
}

/// Picks the one of `positive` / `negative` that is present; both is an error.
fn one_of<'a>(
    map: &'a Map<String, Value>,
    positive: &'static str,
    negative: &'static str,
    place: &Place,
) -> Result<Option<(&'static str, &'a Value)>, PolicyError> {
    match (map.get(positive), map.get(negative)) {
        (Some(_), Some(_)) => {
            Err(place.error(positive, format!("a statement has {positive} or {negative}, not both")))
        }
        (Some(value), None) => Ok(Some((positive, value))),
        (None, Some(value)) => Ok(Some((negative, value))),
        (None, None) => Ok(None),
    }
}

fn action_block(map: &Map<String, Value>, place: &Place) -> Result<ActionBlock, PolicyError> {
    let Some((field, value)) = one_of(map, "Action", "NotAction", place)? else {
        return Err(place.error("Action", "a statement needs an Action or a NotAction"));
    };
    let actions = string_list(value, field, place)?;
    for (i, action) in actions.iter().enumerate() {
        let valid = action == "*"
            || action.split_once(':').is_some_and(|(service, name)| !service.is_empty() && !name.is_empty());
        if !valid {
            return Err(place
                .error(&format!("{field}[{i}]"), format!("{action:?} is not \"*\" or \"service:action\"")));
        }
    }
    Ok(if field == "Action" { ActionBlock::Action(actions) } else { ActionBlock::NotAction(actions) })
}

fn resource_block(map: &Map<String, Value>, place: &Place) -> Result<Option<ResourceBlock>, PolicyError> {
    let Some((field, value)) = one_of(map, "Resource", "NotResource", place)? else {
        return Ok(None);
    };
    let resources = string_list(value, field, place)?;
    for (i, resource) in resources.iter().enumerate() {
        if resource != "*" && !resource.starts_with("arn:") {
            return Err(place.error(&format!("{field}[{i}]"), format!("{resource:?} is not \"*\" or an ARN")));
        }
    }
    Ok(Some(if field == "Resource" {
        ResourceBlock::Resource(resources)
    } else {
        ResourceBlock::NotResource(resources)
    }))
}

fn principal_block(map: &Map<String, Value>, place: &Place) -> Result<Option<PrincipalBlock>, PolicyError> {
    let Some((field, value)) = one_of(map, "Principal", "NotPrincipal", place)? else {
        return Ok(None);
    };
    let entries = match value {
        Value::String(s) if s == "*" => vec![PrincipalEntry::Everyone],
        Value::String(s) => {
            return Err(place
                .error(field, format!("{s:?}: a principal is \"*\" or an object such as {{\"AWS\": …}}")));
        }
        Value::Object(kinds) => {
            if kinds.is_empty() {
                return Err(place.error(field, "the principal object is empty"));
            }
            check_keys(kinds, PRINCIPAL_KEYS, place, &format!("{field}."))?;
            let mut entries = Vec::new();
            for (key, values) in kinds {
                let path = format!("{field}.{key}");
                for name in string_list(values, &path, place)? {
                    entries.push(match key.as_str() {
                        "AWS" => PrincipalEntry::aws(&name),
                        "Service" => PrincipalEntry::Service(name),
                        "Federated" => PrincipalEntry::Federated(name),
                        _ => PrincipalEntry::CanonicalUser(name),
                    });
                }
            }
            entries
        }
        other => {
            return Err(place.error(field, format!("expected \"*\" or an object, found {}", kind(other))));
        }
    };
    Ok(Some(if field == "Principal" {
        PrincipalBlock::Principal(entries)
    } else {
        PrincipalBlock::NotPrincipal(entries)
    }))
}

fn conditions(value: &Value, place: &Place) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(operators) = value else {
        return Err(
            place.error("Condition", format!("expected an object of operators, found {}", kind(value)))
        );
    };
    let mut conditions = Vec::new();
    for (operator_name, keys) in operators {
        let path = format!("Condition.{operator_name}");
        let operator = Operator::parse(operator_name).map_err(|message| place.error(&path, message))?;
        let Value::Object(keys) = keys else {
            return Err(
                place.error(&path, format!("expected an object of condition keys, found {}", kind(keys)))
            );
        };
        for (key, values) in keys {
            let key_path = format!("{path}.{key}");
            if key.is_empty() {
                return Err(place.error(&key_path, "the condition key is empty"));
            }
            let values = condition_values(values, &key_path, place)?;
            let not_boolean =
                |v: &&String| !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false");
            if let (true, Some(bad)) = (operator.is_null_check(), values.iter().find(not_boolean)) {
                return Err(place.error(&key_path, format!("Null takes true or false, found {bad:?}")));
            }
            conditions.push(Condition::new(operator.clone(), key.clone(), values));
        }
    }
    Ok(conditions)
}

/// Condition values: a string, number or boolean, or a non-empty list of them.
fn condition_values(value: &Value, path: &str, place: &Place) -> Result<Vec<String>, PolicyError> {
    let scalar = |item: &Value, at: &str| match item {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(place.error(at, format!("expected a string, number or boolean, found {}", kind(other)))),
    };
    match value {
        Value::Array(items) if items.is_empty() => Err(place.error(path, "the list of values is empty")),
        Value::Array(items) => {
            items.iter().enumerate().map(|(i, item)| scalar(item, &format!("{path}[{i}]"))).collect()
        }
        other => Ok(vec![scalar(other, path)?]),
    }
}

/// A string, or a non-empty list of strings.
fn string_list(value: &Value, path: &str, place: &Place) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if items.is_empty() => Err(place.error(path, "the list is empty")),
        Value::Array(items) => {
            items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(place
                        .error(&format!("{path}[{i}]"), format!("expected a string, found {}", kind(other)))),
                })
                .collect()
        }
        other => {
            Err(place.error(path, format!("expected a string or a list of strings, found {}", kind(other))))
        }
    }
}

fn check_keys(
    map: &Map<String, Value>,
    allowed: &[&str],
    place: &Place,
    prefix: &str,
) -> Result<(), PolicyError> {
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            let hint = allowed.iter().find(|a| a.eq_ignore_ascii_case(key)).map_or_else(
                || format!("expected one of {}", allowed.join(", ")),
                |a| format!("did you mean {a}?"),
            );
            return Err(place.error(&format!("{prefix}{key}"), format!("unknown element {key:?}; {hint}")));
        }
    }
    Ok(())
}

/// A JSON value's kind, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
