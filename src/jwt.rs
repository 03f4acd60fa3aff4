//! Reading a service-account token's claims. The signature is not ours to verify (STS and the
//! agent do that); the claims tell which service account, cluster and audience the token is for.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// The claims the doctor reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// The issuer: the cluster's OIDC issuer URL.
    pub iss: Option<String>,
    /// The subject: `system:serviceaccount:<namespace>:<name>`.
    pub sub: Option<String>,
    /// The audiences.
    pub aud: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: Option<i64>,
    /// Issued at, seconds since the epoch.
    pub iat: Option<i64>,
}

impl Claims {
    /// The namespace and service account named by `sub`.
    pub fn service_account(&self) -> Option<(&str, &str)> {
        let rest = self.sub.as_deref()?.strip_prefix("system:serviceaccount:")?;
        rest.split_once(':')
    }
}

/// Why a token is not a JWT.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Nothing in the file.
    #[error("the token is empty")]
    Empty,
    /// An HTTP authorization scheme in front of the token.
    #[error(
        "the token starts with {0:?}: the file must hold the bare token, without an authorization scheme"
    )]
    SchemePrefix(String),
    /// Not three dot-separated parts.
    #[error("a JWT has three dot-separated parts; this token has {0}")]
    Parts(usize),
    /// A part is not base64url.
    #[error("the {part} is not base64url: illegal data at byte {offset}")]
    Base64 {
        /// `header`, `payload` or `signature`.
        part: &'static str,
        /// The byte offset within the token.
        offset: usize,
    },
    /// A part is not JSON.
    #[error("the {0} is not a JSON object")]
    Json(&'static str),
}

#[derive(Deserialize)]
struct RawClaims {
    iss: Option<String>,
    sub: Option<String>,
    #[serde(default)]
    aud: Audience,
    exp: Option<f64>,
    iat: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
    #[default]
    None,
}

/// Decodes a token's claims, after checking that it is a bare JWT.
pub fn decode(token: &str) -> Result<Claims, JwtError> {
    if token.is_empty() {
        return Err(JwtError::Empty);
    }
    if let Some((scheme, _)) = token.split_once(' ')
        && !scheme.is_empty()
        && scheme.len() <= 16
        && scheme.chars().all(|c| c.is_ascii_alphabetic())
    {
        return Err(JwtError::SchemePrefix(format!("{scheme} ")));
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(JwtError::Parts(parts.len()));
    }
    let mut offset = 0;
    let mut decoded = Vec::new();
    for (part, name) in parts.iter().zip(["header", "payload", "signature"]) {
        if let Some(bad) = part.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
            return Err(JwtError::Base64 { part: name, offset: offset + bad });
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(part.as_bytes())
            .map_err(|_| JwtError::Base64 { part: name, offset: offset + part.len() })?;
        decoded.push(bytes);
        offset += part.len() + 1;
    }
    let header: serde_json::Value =
        serde_json::from_slice(&decoded[0]).map_err(|_| JwtError::Json("header"))?;
    if !header.is_object() {
        return Err(JwtError::Json("header"));
    }
    let raw: RawClaims = serde_json::from_slice(&decoded[1]).map_err(|_| JwtError::Json("payload"))?;
    #[allow(clippy::cast_possible_truncation)] // JWT times are whole seconds well within i64.
    let secs = |v: Option<f64>| v.filter(|x| x.is_finite()).map(|x| x as i64);
    Ok(Claims {
        iss: raw.iss,
        sub: raw.sub,
        aud: match raw.aud {
            Audience::One(a) => vec![a],
            Audience::Many(v) => v,
            Audience::None => Vec::new(),
        },
        exp: secs(raw.exp),
        iat: secs(raw.iat),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn token(payload: &str) -> String {
        format!("{}.{}.{}", b64(r#"{"alg":"RS256","kid":"k"}"#), b64(payload), b64("sig"))
    }

    #[test]
    fn reads_a_projected_token() {
        let t = token(
            r#"{"aud":["pods.eks.amazonaws.com"],"exp":1800000000,"iat":1799913600,"iss":"https://oidc.eks.us-west-1.amazonaws.com/id/ABC","sub":"system:serviceaccount:xpander:connector"}"#,
        );
        let c = decode(&t).unwrap();
        assert_eq!(c.aud, vec!["pods.eks.amazonaws.com"]);
        assert_eq!(c.exp, Some(1_800_000_000));
        assert_eq!(c.service_account(), Some(("xpander", "connector")));
    }

    #[test]
    fn audience_may_be_a_string() {
        let c = decode(&token(r#"{"aud":"sts.amazonaws.com"}"#)).unwrap();
        assert_eq!(c.aud, vec!["sts.amazonaws.com"]);
    }

    #[test]
    fn each_malformation_is_named() {
        let good = token("{}");
        assert_eq!(decode(&format!("Bearer {good}")), Err(JwtError::SchemePrefix("Bearer ".into())));
        assert_eq!(decode(""), Err(JwtError::Empty));
        assert_eq!(decode("a.b"), Err(JwtError::Parts(2)));
        assert_eq!(decode("abc.d$f.ghi"), Err(JwtError::Base64 { part: "payload", offset: 5 }));
        assert_eq!(decode(&format!("{}.{}.AA", b64("[1]"), b64("{}"))), Err(JwtError::Json("header")));
        assert_eq!(decode(&format!("{}.{}.AA", b64("{}"), b64("not json"))), Err(JwtError::Json("payload")));
    }
}
