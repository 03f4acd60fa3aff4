//! Reading the caller out of a SigV4-signed request: the access key, and the region and
//! service of the credential scope. The signature itself is not verified (the lab has no
//! reason to distrust its own keys); `reject_keys = "signature"` simulates a mismatch.

use super::query::Params;

/// The credential scope of a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Access key ID.
    pub access_key_id: String,
    /// `yyyymmdd`.
    pub date: String,
    /// Signing region.
    pub region: String,
    /// Signing service.
    pub service: String,
}

/// What the request says about its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signing {
    /// No `Authorization` header and no presigned query.
    Unsigned,
    /// A well-formed SigV4 signature.
    Signed(Scope),
    /// Something that is not a valid SigV4 authorization; the text is AWS's complaint.
    Malformed {
        /// The access key, if one could be read anyway.
        access_key_id: Option<String>,
        /// `IncompleteSignature` message.
        message: String,
    },
}

/// Reads the signature from the `Authorization` header or a presigned query.
pub fn signing(authorization: Option<&str>, params: &Params) -> Signing {
    if let Some(header) = authorization {
        return from_header(header);
    }
    match params.get("X-Amz-Credential") {
        Some(credential) => match parse_credential(credential) {
            Some(scope) => Signing::Signed(scope),
            None => Signing::Malformed {
                access_key_id: credential.split('/').next().map(str::to_owned),
                message: format!("Credential should be scoped to a valid region. Credential={credential}"),
            },
        },
        None => Signing::Unsigned,
    }
}

fn from_header(header: &str) -> Signing {
    let header = header.trim();
    let Some(rest) = header.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Signing::Malformed {
            access_key_id: None,
            message: format!(
                "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={header}"
            ),
        };
    };
    let mut credential = None;
    let mut signed_headers = false;
    let mut signature = false;
    for part in rest.split(',') {
        let (name, value) = part.trim().split_once('=').unwrap_or((part.trim(), ""));
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = !value.is_empty(),
            "Signature" => signature = !value.is_empty(),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if !signature {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if !signed_headers {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    let access_key_id = credential.and_then(|c| c.split('/').next()).map(str::to_owned);
    if !missing.is_empty() {
        return Signing::Malformed {
            access_key_id,
            message: format!("{} Authorization={header}", missing.join(" ")),
        };
    }
    let credential = credential.unwrap_or_default();
    match parse_credential(credential) {
        Some(scope) => Signing::Signed(scope),
        None => Signing::Malformed {
            access_key_id,
            message: format!("Credential should be scoped to a valid region. Credential={credential}"),
        },
    }
}

/// `AKID/20240501/us-west-1/sts/aws4_request`.
fn parse_credential(credential: &str) -> Option<Scope> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, "aws4_request"] = parts.as_slice() else {
        return None;
    };
    if key.is_empty() || date.len() != 8 || region.is_empty() || service.is_empty() {
        return None;
    }
    Some(Scope {
        access_key_id: (*key).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_scope() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-west-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc123";
        let Signing::Signed(scope) = signing(Some(header), &Params::default()) else {
            panic!("not signed");
        };
        assert_eq!(scope.access_key_id, "AKIDEXAMPLE");
        assert_eq!(scope.region, "us-west-1");
        assert_eq!(scope.service, "sts");
    }

    #[test]
    fn incomplete_signatures_are_named() {
        let Signing::Malformed { message, access_key_id } =
            signing(Some("AWS4-HMAC-SHA256 Credential=AKID/x"), &Params::default())
        else {
            panic!("not malformed");
        };
        assert_eq!(access_key_id.as_deref(), Some("AKID"));
        assert!(message.contains("requires 'Signature'"), "{message}");
        assert_eq!(signing(None, &Params::default()), Signing::Unsigned);
        assert!(matches!(signing(Some("Basic xyz"), &Params::default()), Signing::Malformed { .. }));
    }
}
