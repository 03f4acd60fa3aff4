//! A small trust-policy matcher: enough IAM policy evaluation to decide whether a role lets a
//! web identity or the Pod Identity service assume it. It handles Allow/Deny, Action with
//! wildcards, Principal (`*`, `Federated`, `Service`, `AWS`) and the string and `Null`
//! condition operators with `ForAnyValue:`/`ForAllValues:` and `IfExists`. It will be
//! replaced by a full IAM evaluator; anything it does not understand denies.

use serde_json::Value;

/// Who asks to assume the role, and with what request context.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    /// e.g. `sts:AssumeRoleWithWebIdentity`.
    pub action: &'a str,
    /// Principal type as IAM names it: `Federated`, `Service` or `AWS`.
    pub principal_type: &'a str,
    /// The principal: an OIDC provider ARN, a service name, an ARN.
    pub principal: &'a str,
    /// Condition keys (matched case-insensitively) and their values.
    pub context: &'a [(String, Vec<String>)],
}

/// Whether `policy` (JSON) allows the ask: some Allow statement matches and no Deny does.
/// Invalid JSON allows nothing.
pub fn allows(policy: &str, ask: &Ask<'_>) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(policy) else {
        return false;
    };
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return false,
    };
    let mut allowed = false;
    for statement in statements {
        if !matches_statement(statement, ask) {
            continue;
        }
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Deny") => return false,
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    allowed
}

fn matches_statement(statement: &Value, ask: &Ask<'_>) -> bool {
    let action_ok = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(actions), None) => strings(actions).iter().any(|a| glob(a, ask.action, true)),
        (None, Some(actions)) => !strings(actions).iter().any(|a| glob(a, ask.action, true)),
        _ => false,
    };
    action_ok
        && statement.get("Principal").is_some_and(|p| matches_principal(p, ask))
        && statement.get("Condition").is_none_or(|c| matches_conditions(c, ask.context))
}

fn matches_principal(principal: &Value, ask: &Ask<'_>) -> bool {
    match principal {
        Value::String(s) => s == "*",
        Value::Object(map) => map.iter().any(|(kind, ids)| {
            kind == ask.principal_type && strings(ids).iter().any(|id| id == "*" || id == ask.principal)
        }),
        _ => false,
    }
}

fn matches_conditions(conditions: &Value, context: &[(String, Vec<String>)]) -> bool {
    let Value::Object(operators) = conditions else {
        return false;
    };
    operators.iter().all(|(operator, keys)| {
        let Value::Object(keys) = keys else {
            return false;
        };
        keys.iter().all(|(key, wanted)| {
            let actual = context.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_slice());
            condition(operator, actual, &strings(wanted))
        })
    })
}

/// One operator applied to one key.
fn condition(operator: &str, actual: Option<&[String]>, wanted: &[String]) -> bool {
    if operator == "Null" {
        let absent = actual.is_none_or(<[String]>::is_empty);
        return wanted.iter().any(|w| (w == "true") == absent);
    }
    let (set, rest) = if let Some(rest) = operator.strip_prefix("ForAnyValue:") {
        (Some(true), rest)
    } else if let Some(rest) = operator.strip_prefix("ForAllValues:") {
        (Some(false), rest)
    } else {
        (None, operator)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let (test, negated): (fn(&str, &str) -> bool, bool) = match base {
        "StringEquals" => (|p, v| p == v, false),
        "StringNotEquals" => (|p, v| p == v, true),
        "StringEqualsIgnoreCase" => (|p, v| p.eq_ignore_ascii_case(v), false),
        "StringNotEqualsIgnoreCase" => (|p, v| p.eq_ignore_ascii_case(v), true),
        "StringLike" => (|p, v| glob(p, v, false), false),
        "StringNotLike" => (|p, v| glob(p, v, false), true),
        _ => return false,
    };
    let values = match actual {
        Some(values) if !values.is_empty() => values,
        _ => return set == Some(false) || if_exists || negated,
    };
    let hit = |v: &String| wanted.iter().any(|p| test(p, v));
    let matched = if set == Some(false) { values.iter().all(hit) } else { values.iter().any(hit) };
    matched != negated
}

/// A JSON string or list of strings; anything else counts as none.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// IAM's wildcard match: `*` any run, `?` any one character.
fn glob(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let fold = |s: &str| -> Vec<char> {
        if ignore_case { s.to_lowercase().chars().collect() } else { s.chars().collect() }
    };
    let (p, v) = (fold(pattern), fold(value));
    let (mut pi, mut vi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, vi));
            pi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVIDER: &str = "oidc.eks.us-west-1.amazonaws.com/id/X";
    const PROVIDER_ARN: &str =
        "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-1.amazonaws.com/id/X";

    fn irsa_policy(operator: &str, sub: &str) -> String {
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER_ARN},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {operator: {
                    format!("{PROVIDER}:sub"): sub,
                    format!("{PROVIDER}:aud"): ["sts.amazonaws.com"],
                }}
            }]
        })
        .to_string()
    }

    fn context(sub: &str, aud: &[&str]) -> Vec<(String, Vec<String>)> {
        vec![
            (format!("{PROVIDER}:sub"), vec![sub.to_owned()]),
            (format!("{PROVIDER}:aud"), aud.iter().map(|s| (*s).to_owned()).collect()),
        ]
    }

    fn web(policy: &str, sub: &str, aud: &[&str]) -> bool {
        let context = context(sub, aud);
        allows(
            policy,
            &Ask {
                action: "sts:AssumeRoleWithWebIdentity",
                principal_type: "Federated",
                principal: PROVIDER_ARN,
                context: &context,
            },
        )
    }

    const SUB: &str = "system:serviceaccount:xpander:xpander-connector";

    #[test]
    fn string_equals_on_sub_and_aud() {
        let policy = irsa_policy("StringEquals", SUB);
        assert!(web(&policy, SUB, &["sts.amazonaws.com"]));
        assert!(!web(&policy, "system:serviceaccount:xpander:other", &["sts.amazonaws.com"]));
        assert!(!web(&policy, SUB, &["pods.eks.amazonaws.com"]));
    }

    #[test]
    fn string_like_wildcards() {
        let policy = irsa_policy("StringLike", "system:serviceaccount:xpander:*");
        assert!(web(&policy, SUB, &["sts.amazonaws.com"]));
        assert!(!web(&policy, "system:serviceaccount:default:x", &["sts.amazonaws.com"]));
    }

    #[test]
    fn wrong_principal_or_action_or_deny() {
        let policy = irsa_policy("StringEquals", SUB).replace("/id/X", "/id/Y");
        assert!(!web(&policy, SUB, &["sts.amazonaws.com"]));
        let policy = irsa_policy("StringEquals", SUB).replace("WithWebIdentity", "");
        assert!(!web(&policy, SUB, &["sts.amazonaws.com"]));
        let deny = serde_json::json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "sts:*"},
            {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity"}
        ]})
        .to_string();
        assert!(!web(&deny, SUB, &["sts.amazonaws.com"]));
        assert!(!web("not json", SUB, &["sts.amazonaws.com"]));
    }

    #[test]
    fn operators_with_qualifiers() {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert!(condition("ForAnyValue:StringEquals", Some(&v(&["a", "b"])), &v(&["b"])));
        assert!(!condition("ForAllValues:StringEquals", Some(&v(&["a", "b"])), &v(&["b"])));
        assert!(condition("StringEqualsIfExists", None, &v(&["b"])));
        assert!(!condition("StringEquals", None, &v(&["b"])));
        assert!(condition("StringNotEquals", Some(&v(&["a"])), &v(&["b"])));
        assert!(condition("Null", None, &v(&["true"])));
        assert!(!condition("NumericEquals", Some(&v(&["1"])), &v(&["1"])));
        assert!(glob("s?s:*Role*", "sts:AssumeRoleWithWebIdentity", false));
    }
}
