//! Service account tokens: making the JWTs kubelet would project into the pod, and reading
//! them back the way their consumers do (unverified: nobody in the lab checks signatures).
//! Parse errors are worded like golang-jwt v5's, because the Pod Identity agent is a Go
//! program that puts those words in its replies.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::ids::Ids;

/// What goes into a token the lab makes.
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    /// `iss`.
    pub issuer: &'a str,
    /// `aud` (written as a one-element list, as kubelet does).
    pub audience: &'a str,
    /// Kubernetes namespace.
    pub namespace: &'a str,
    /// Kubernetes service account.
    pub service_account: &'a str,
    /// Pod name.
    pub pod: &'a str,
    /// `exp` minus now; negative for an expired token.
    pub expires_in: i64,
    /// Now, in epoch seconds.
    pub now: i64,
}

/// Makes a JWT: header `{"alg":"RS256","kid":"lab"}`, kubelet's claims, and a random-looking
/// signature.
pub fn make(spec: &Spec<'_>, ids: &Ids) -> String {
    let exp = spec.now + spec.expires_in;
    let iat = if spec.expires_in > 0 { spec.now - 60 } else { exp - 86_400 };
    let header = json!({"alg": "RS256", "kid": "lab"});
    let claims = json!({
        "aud": [spec.audience],
        "exp": exp,
        "iat": iat,
        "iss": spec.issuer,
        "kubernetes.io": {
            "namespace": spec.namespace,
            "node": {"name": "ip-192-168-12-34.compute.internal", "uid": uid(ids)},
            "pod": {"name": spec.pod, "uid": uid(ids)},
            "serviceaccount": {"name": spec.service_account, "uid": uid(ids)},
        },
        "nbf": iat,
        "sub": format!("system:serviceaccount:{}:{}", spec.namespace, spec.service_account),
    });
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(ids.bytes(256)),
    )
}

fn uid(ids: &Ids) -> String {
    ids.request_id()
}

/// The claims a consumer of the token looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// `iss`.
    pub iss: Option<String>,
    /// `sub`.
    pub sub: Option<String>,
    /// `aud`, whether it was a string or a list.
    pub aud: Vec<String>,
    /// `exp`.
    pub exp: Option<i64>,
    /// `nbf`.
    pub nbf: Option<i64>,
    /// `kubernetes.io.namespace`.
    pub namespace: Option<String>,
    /// `kubernetes.io.serviceaccount.name`.
    pub service_account: Option<String>,
    /// `kubernetes.io.pod.name`.
    pub pod: Option<String>,
}

/// Why a token is not a JWT, in golang-jwt's words (its `Error()` text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not three dot-separated segments.
    #[error("token is malformed: token contains an invalid number of segments")]
    Segments,
    /// A segment is not base64url.
    #[error("token is malformed: could not base64 decode {part}: illegal base64 data at input byte {at}")]
    Base64 {
        /// `header` or `claim`.
        part: &'static str,
        /// Offset of the first bad byte, as Go's decoder reports it.
        at: usize,
    },
    /// A segment is not the JSON it should be.
    #[error("token is malformed: could not JSON decode {part}: {detail}")]
    Json {
        /// `header` or `claim`.
        part: &'static str,
        /// What Go's `encoding/json` would say, approximately.
        detail: String,
    },
}

/// Reads a JWT without verifying it.
pub fn parse(token: &str) -> Result<Claims, ParseError> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(ParseError::Segments);
    }
    let header = decode_segment(parts[0], "header")?;
    let Value::Object(_) = header else {
        return Err(ParseError::Json {
            part: "header",
            detail: "json: cannot unmarshal into Go value of type map[string]interface {}".into(),
        });
    };
    let claims = decode_segment(parts[1], "claim")?;
    claims_of(&claims)
}

fn decode_segment(segment: &str, part: &'static str) -> Result<Value, ParseError> {
    if let Some(at) = segment.bytes().position(|b| !is_base64url(b)) {
        return Err(ParseError::Base64 { part, at });
    }
    if segment.len() % 4 == 1 {
        return Err(ParseError::Base64 { part, at: segment.len() - 1 });
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| ParseError::Base64 { part, at: segment.len().saturating_sub(1) })?;
    serde_json::from_slice(&bytes).map_err(|e| ParseError::Json { part, detail: go_json_error(&bytes, &e) })
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Approximates Go's `encoding/json` wording for the common cases.
fn go_json_error(bytes: &[u8], err: &serde_json::Error) -> String {
    if err.is_eof() {
        return "unexpected end of JSON input".to_owned();
    }
    let column = err.column().saturating_sub(1);
    let bad = bytes
        .get(column)
        .or_else(|| bytes.iter().find(|b| !b.is_ascii_whitespace()))
        .copied()
        .unwrap_or(b'?');
    format!("invalid character '{}' looking for beginning of value", char::from(bad).escape_default())
}

fn claims_of(value: &Value) -> Result<Claims, ParseError> {
    let bad = |field: &str, go_type: &str| ParseError::Json {
        part: "claim",
        detail: format!(
            "json: cannot unmarshal into Go struct field RegisteredClaims.{field} of type {go_type}"
        ),
    };
    let Value::Object(map) = value else {
        return Err(bad("", "jwt.RegisteredClaims"));
    };
    let string = |key: &str| -> Result<Option<String>, ParseError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(key, "string")),
        }
    };
    let date = |key: &str| -> Result<Option<i64>, ParseError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            // Truncating a fractional NumericDate is what golang-jwt does too.
            Some(Value::Number(n)) => Ok(n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))),
            Some(_) => Err(bad(key, "jwt.NumericDate")),
        }
    };
    let aud = match map.get("aud") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| bad("aud", "string")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("aud", "jwt.ClaimStrings")),
    };
    let k8s = map.get("kubernetes.io");
    let nested = |path: &[&str]| -> Option<String> {
        let mut v = k8s?;
        for key in path {
            v = v.get(key)?;
        }
        v.as_str().map(str::to_owned)
    };
    Ok(Claims {
        iss: string("iss")?,
        sub: string("sub")?,
        aud,
        exp: date("exp")?,
        nbf: date("nbf")?,
        namespace: nested(&["namespace"]),
        service_account: nested(&["serviceaccount", "name"]),
        pod: nested(&["pod", "name"]),
    })
}

/// golang-jwt's default validation (expiry and not-before, no leeway), as the agent runs it
/// before calling EKS Auth. `None` when the claims pass.
pub fn basic_claim_errors(claims: &Claims, now: i64) -> Option<String> {
    let mut errors = Vec::new();
    if claims.exp.is_some_and(|exp| now >= exp) {
        errors.push("token is expired");
    }
    if claims.nbf.is_some_and(|nbf| now < nbf) {
        errors.push("token is not valid yet");
    }
    (!errors.is_empty()).then(|| errors.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(expires_in: i64) -> Spec<'static> {
        Spec {
            issuer: "https://oidc.example/id/X",
            audience: "pods.eks.amazonaws.com",
            namespace: "xpander",
            service_account: "xpander-connector",
            pod: "p",
            expires_in,
            now: 1_700_000_000,
        }
    }

    #[test]
    fn made_tokens_parse_back() {
        let token = make(&spec(3600), &Ids::default());
        let claims = parse(&token).unwrap();
        assert_eq!(claims.aud, ["pods.eks.amazonaws.com"]);
        assert_eq!(claims.exp, Some(1_700_003_600));
        assert_eq!(claims.sub.as_deref(), Some("system:serviceaccount:xpander:xpander-connector"));
        assert_eq!(claims.service_account.as_deref(), Some("xpander-connector"));
        assert_eq!(basic_claim_errors(&claims, 1_700_000_000), None);
        assert_eq!(basic_claim_errors(&claims, 1_700_003_600).as_deref(), Some("token is expired"));
    }

    #[test]
    fn bearer_prefix_fails_like_golang_jwt() {
        let token = format!("Bearer {}", make(&spec(3600), &Ids::default()));
        assert_eq!(
            parse(&token).unwrap_err().to_string(),
            "token is malformed: could not base64 decode header: illegal base64 data at input byte 6"
        );
    }

    #[test]
    fn other_malformations() {
        assert_eq!(parse("abc").unwrap_err(), ParseError::Segments);
        assert!(matches!(parse("e30.AAAAA.x").unwrap_err(), ParseError::Base64 { part: "claim", at: 4 }));
        let not_json = format!("{}.e30.x", URL_SAFE_NO_PAD.encode("hello"));
        assert!(
            parse(&not_json)
                .unwrap_err()
                .to_string()
                .contains("could not JSON decode header: invalid character 'h'")
        );
        let string_aud = format!("e30.{}.x", URL_SAFE_NO_PAD.encode(r#"{"aud":"a","exp":1.5}"#));
        let claims = parse(&string_aud).unwrap();
        assert_eq!(claims.aud, ["a"]);
        assert_eq!(claims.exp, Some(1));
    }
}
