//! Wildcard matching as IAM does it in `Action`, `Resource` and the `…Like` / `Arn…` operators.
//!
//! `*` matches any run of characters (including none) and `?` exactly one character. Actions
//! compare case-insensitively, resources and ARN conditions case-sensitively. ARN patterns are
//! matched one colon-separated component at a time, so a wildcard in the region never swallows
//! the account: "Each of the six colon-delimited components of the ARN is checked separately and
//! each can include multi-character match wildcards (*) or single-character match wildcards (?)"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN>).

/// One element of a compiled pattern: a literal character or a wildcard.
///
/// Literal characters can come from policy variables (`${*}` is a literal `*`), which is why
/// patterns are compiled to tokens instead of being matched as raw strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// Matches exactly this character.
    Char(char),
    /// `*`: any run of characters, including none.
    Any,
    /// `?`: exactly one character.
    One,
}

/// Whether `text` matches `pattern`, where `*` and `?` are wildcards; case-sensitive.
///
/// Used for `Resource` entries and `StringLike`.
pub fn matches(pattern: &str, text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    match_tokens(&compile(pattern), &text)
}

/// Whether `text` matches `pattern` ignoring case, where `*` and `?` are wildcards.
///
/// Used for `Action` entries: "action names are not case sensitive"
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>).
pub fn matches_ignore_case(pattern: &str, text: &str) -> bool {
    matches(&pattern.to_lowercase(), &text.to_lowercase())
}

/// Whether `arn` matches the ARN pattern `pattern`, one component at a time.
///
/// Both must have the six components `arn:partition:service:region:account:resource`; the last
/// one keeps any further colons. Anything that is not such an ARN does not match.
pub fn arn_matches(pattern: &str, arn: &str) -> bool {
    let (Some(pattern_parts), Some(arn_parts)) = (split_arn(pattern), split_arn(arn)) else {
        return false;
    };
    pattern_parts.iter().zip(arn_parts.iter()).all(|(p, a)| matches(p, a))
}

/// Splits an ARN into its six components, leaving colons inside `${…}` policy variables alone
/// (`arn:aws:iam::${aws:PrincipalAccount}:role/x` has six components, not seven).
pub(crate) fn split_arn(text: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::with_capacity(6);
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && parts.len() < 5 {
        let variable_end =
            (bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'{')).then(|| text[i + 2..].find('}')).flatten();
        if let Some(close) = variable_end {
            i += close + 3;
            continue;
        }
        if bytes[i] == b':' {
            parts.push(&text[start..i]);
            start = i + 1;
        }
        i += 1;
    }
    if parts.len() < 5 {
        return None;
    }
    parts.push(&text[start..]);
    (parts[0] == "arn").then_some(parts)
}

/// Compiles a pattern without policy variables: `*` and `?` are wildcards, all else literal.
pub(crate) fn compile(pattern: &str) -> Vec<Token> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Token::Any,
            '?' => Token::One,
            other => Token::Char(other),
        })
        .collect()
}

/// Matches compiled tokens against text; linear backtracking on the last `*` seen.
pub(crate) fn match_tokens(pattern: &[Token], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                Token::Any => {
                    last_star = Some((p, t));
                    p += 1;
                    continue;
                }
                Token::One => {
                    p += 1;
                    t += 1;
                    continue;
                }
                Token::Char(c) if c == text[t] => {
                    p += 1;
                    t += 1;
                    continue;
                }
                Token::Char(_) => {}
            }
        }
        match last_star {
            Some((star_p, star_t)) => {
                p = star_p + 1;
                t = star_t + 1;
                last_star = Some((star_p, star_t + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|token| *token == Token::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "a", false),
            ("a", "a", true),
            ("a", "A", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a*c", "ac", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("*b*", "abc", true),
            ("*b*", "ac", false),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxcyyb", false),
            ("**", "x", true),
            ("?*", "", false),
            ("?*", "x", true),
            ("role/*", "role/a/b", true),
            ("ab*", "a", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(matches(pattern, text), *expected, "{pattern:?} vs {text:?}");
        }
    }

    #[test]
    fn actions_ignore_case() {
        assert!(matches_ignore_case("sts:AssumeRole", "STS:assumerole"));
        assert!(matches_ignore_case("sts:Assume*", "sts:AssumeRoleWithWebIdentity"));
        assert!(matches_ignore_case("sts:*", "sts:TagSession"));
        assert!(!matches_ignore_case("sts:AssumeRole", "sts:AssumeRoleWithSAML"));
        assert!(!matches_ignore_case("s3:*", "sts:AssumeRole"));
    }

    #[test]
    fn arn_components_are_separate() {
        let cases: &[(&str, &str, bool)] = &[
            ("arn:aws:iam::111122223333:role/x", "arn:aws:iam::111122223333:role/x", true),
            ("arn:aws:iam::*:role/x", "arn:aws:iam::111122223333:role/x", true),
            ("arn:aws:iam::111122223333:role/*", "arn:aws:iam::111122223333:role/a/b", true),
            ("arn:*:iam::*:role/x", "arn:aws-cn:iam::111122223333:role/x", true),
            // A wildcard in one component cannot reach into the next one.
            ("arn:aws:iam:*:role/x", "arn:aws:iam::111122223333:role/x", false),
            ("arn:aws:iam::111122223333:role/X", "arn:aws:iam::111122223333:role/x", false),
            ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a:b", true),
            ("arn:aws:iam::111122223333:role/x", "not-an-arn", false),
            ("*", "arn:aws:iam::111122223333:role/x", false),
            ("arn:aws:iam::????????????:root", "arn:aws:iam::111122223333:root", true),
        ];
        for (pattern, arn, expected) in cases {
            assert_eq!(arn_matches(pattern, arn), *expected, "{pattern:?} vs {arn:?}");
        }
    }

    #[test]
    fn split_keeps_variables_whole() {
        let parts = split_arn("arn:aws:iam::${aws:PrincipalAccount}:role/${aws:username}").unwrap();
        assert_eq!(parts, ["arn", "aws", "iam", "", "${aws:PrincipalAccount}", "role/${aws:username}"]);
        assert!(split_arn("arn:aws:iam").is_none());
        assert!(split_arn("urn:a:b:c:d:e").is_none());
    }
}
