//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, `${*}`, `${key, 'default'}`.
//!
//! AWS substitutes them in `Resource` entries and in condition values, and only in policies whose
//! `Version` is `2012-10-17`; in older policies `${…}` is plain text
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>).
//! A variable names a single-valued context key; a key that is absent (and has no default) or is
//! multivalued cannot be substituted, and the entry holding it then matches nothing ("If there is
//! no value … the policy … doesn't match", same page, "Request information that you can use for
//! policy variables").

use crate::context::{Context, ContextValue};
use crate::wildcard::Token;

/// A variable that could not be substituted: the key is absent without default, or multivalued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unresolved {
    /// The context key the variable names.
    pub key: String,
}

/// Compiles `text` into match tokens.
///
/// `variables` is the context to substitute from, or `None` for a 2008-10-17 policy (no
/// substitution). With `wildcards`, bare `*` and `?` become wildcards; substituted text and the
/// escapes `${*}`, `${?}`, `${$}` are always literal.
pub(crate) fn compile(
    text: &str,
    variables: Option<&Context>,
    wildcards: bool,
) -> Result<Vec<Token>, Unresolved> {
    let mut tokens = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(context) = variables
            && rest.starts_with("${")
            && let Some(close) = rest.find('}')
        {
            tokens.extend(substitute(&rest[2..close], context)?.chars().map(Token::Char));
            rest = &rest[close + 1..];
            continue;
        }
        tokens.push(match c {
            '*' if wildcards => Token::Any,
            '?' if wildcards => Token::One,
            other => Token::Char(other),
        });
        rest = &rest[c.len_utf8()..];
    }
    Ok(tokens)
}

/// Substitutes the variables in `text` and returns the literal string (no wildcards).
pub(crate) fn resolve(text: &str, variables: Option<&Context>) -> Result<String, Unresolved> {
    Ok(compile(text, variables, false)?
        .into_iter()
        .map(|token| match token {
            Token::Char(c) => c,
            Token::Any => '*',
            Token::One => '?',
        })
        .collect())
}

/// The replacement text for the inside of one `${…}`.
fn substitute(inner: &str, context: &Context) -> Result<String, Unresolved> {
    match inner {
        "*" => return Ok("*".to_owned()),
        "?" => return Ok("?".to_owned()),
        "$" => return Ok("$".to_owned()),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let quoted = default.len() >= 2 && default.starts_with('\'') && default.ends_with('\'');
            (key.trim(), quoted.then(|| &default[1..default.len() - 1]))
        }
        None => (inner.trim(), None),
    };
    match (context.get(key), default) {
        (Some(ContextValue::Single(value)), _) => Ok(value.clone()),
        (None, Some(default)) => Ok(default.to_owned()),
        _ => Err(Unresolved { key: key.to_owned() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        Context::new()
            .with("aws:username", "alice")
            .with("aws:PrincipalTag/team", "data")
            .with("aws:TagKeys", vec!["a", "b"])
    }

    #[test]
    fn substitution_table() {
        let ctx = context();
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("user/${aws:username}", Ok("user/alice")),
            ("${AWS:USERNAME}", Ok("alice")),
            ("${aws:PrincipalTag/team}-x", Ok("data-x")),
            ("${*}${?}${$}", Ok("*?$")),
            ("${aws:missing, 'fallback'}", Ok("fallback")),
            ("${aws:username, 'fallback'}", Ok("alice")),
            ("${aws:missing,'x'}", Ok("x")),
            ("${aws:missing}", Err("aws:missing")),
            ("${aws:missing, fallback}", Err("aws:missing")),
            ("${aws:TagKeys}", Err("aws:TagKeys")),
            ("${unterminated", Ok("${unterminated")),
            ("plain * text", Ok("plain * text")),
        ];
        for (text, expected) in cases {
            let got = resolve(text, Some(&ctx));
            match expected {
                Ok(value) => assert_eq!(got.as_deref(), Ok(*value), "{text}"),
                Err(key) => assert_eq!(got, Err(Unresolved { key: (*key).to_owned() }), "{text}"),
            }
        }
    }

    #[test]
    fn no_substitution_without_variables() {
        assert_eq!(resolve("user/${aws:username}", None).unwrap(), "user/${aws:username}");
    }

    #[test]
    fn substituted_text_is_literal() {
        let ctx = Context::new().with("k", "a*b");
        let tokens = compile("${k}*", Some(&ctx), true).unwrap();
        assert_eq!(tokens, [Token::Char('a'), Token::Char('*'), Token::Char('b'), Token::Any]);
        let tokens = compile("${*}?", Some(&ctx), true).unwrap();
        assert_eq!(tokens, [Token::Char('*'), Token::One]);
    }
}
