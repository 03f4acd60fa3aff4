//! Values that must never reach any output: credentials, session tokens, service-account
//! tokens, IAM auth tokens, passwords, `ExternalIds`.
//!
//! `Secret` has no `Display` and no `Serialize`, and its `Debug` prints a fixed mask, so a secret
//! cannot slip into a report, a log line or a panic message by accident. Every secret made from
//! the world is also registered with the [`Redactor`], which scrubs free text (AWS error messages,
//! agent replies) before it is shown, in case a server echoes a value back.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// A string that must never be shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value. Prefer [`Redactor::secret`], which also remembers it for scrubbing.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that must send it (a header, a signer).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in bytes: safe to show, and useful when comparing two values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The shortest value worth scrubbing: shorter ones would mangle ordinary words.
const MIN_SCRUB_LEN: usize = 6;

/// Remembers every secret value seen in a run and removes them from free text.
#[derive(Clone, Default)]
pub struct Redactor {
    known: Arc<Mutex<Vec<String>>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redactor")
    }
}

impl Redactor {
    /// Wraps `value` as a [`Secret`] and remembers it, so that it is scrubbed from any text.
    pub fn secret(&self, value: impl Into<String>) -> Secret {
        let value = value.into();
        self.remember(&value);
        Secret(value)
    }

    /// Remembers a value (and its trimmed form) for scrubbing.
    pub fn remember(&self, value: &str) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        for candidate in [value, value.trim()] {
            if candidate.len() >= MIN_SCRUB_LEN && !known.iter().any(|k| k == candidate) {
                known.push(candidate.to_owned());
            }
        }
        // Longest first, so that a value containing another is removed whole.
        known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }

    /// Returns `text` with every remembered secret, and anything shaped like a JWT or a
    /// presigned signature, replaced by a mask.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        {
            let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
            for value in known.iter() {
                if out.contains(value.as_str()) {
                    out = out.replace(value.as_str(), "[redacted]");
                }
            }
        }
        scrub_shapes(&out)
    }
}

/// Masks values that are secret by their shape even when we never saw them: JWTs
/// (`eyJ….….…`) and the query parameters that carry presigned-URL credentials.
fn scrub_shapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("eyJ") {
        out.push_str(&rest[..pos]);
        let candidate = &rest[pos..];
        let end = candidate
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=')))
            .unwrap_or(candidate.len());
        let word = &candidate[..end];
        if word.matches('.').count() >= 2 {
            out.push_str("[redacted-jwt]");
        } else {
            out.push_str(word);
        }
        rest = &candidate[end..];
    }
    out.push_str(rest);
    for key in ["X-Amz-Security-Token=", "X-Amz-Signature=", "X-Amz-Credential="] {
        let mut cursor = 0;
        while let Some(pos) = out[cursor..].find(key) {
            let start = cursor + pos + key.len();
            let end = out[start..].find(['&', ' ', '"', '\n']).map_or(out.len(), |e| start + e);
            out.replace_range(start..end, "[redacted]");
            cursor = start + "[redacted]".len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("wJalrXUtnFEMI/K7MDENG");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{:?}", Some(&s)), "Some(Secret(***))");
    }

    #[test]
    fn scrubs_known_values_and_their_trimmed_form() {
        let r = Redactor::default();
        let s = r.secret("token-value-123\n");
        assert_eq!(s.expose(), "token-value-123\n");
        assert_eq!(r.scrub("got token-value-123 back"), "got [redacted] back");
    }

    #[test]
    fn scrubs_jwt_shapes_and_presigned_parameters() {
        let r = Redactor::default();
        let text = "Authorization: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln failed";
        assert_eq!(r.scrub(text), "Authorization: [redacted-jwt] failed");
        let url = "a?X-Amz-Signature=abcdef&X-Amz-Security-Token=zzz b?X-Amz-Signature=&X-Amz-Signature=qqq";
        let out = r.scrub(url);
        assert!(!out.contains("abcdef") && !out.contains("zzz") && !out.contains("qqq"), "{out}");
    }

    #[test]
    fn short_values_are_not_scrubbed() {
        let r = Redactor::default();
        r.remember("ab");
        assert_eq!(r.scrub("about"), "about");
    }
}
