//! The RDS IAM authentication token: a SigV4 presigned `connect` URL for the `rds-db` service,
//! valid 900 s, without its `https://`. It is the password of an IAM database login.
//!
//! Written to match botocore's `generate_db_auth_token` byte for byte (a test compares them):
//! the SDK's own helper signs a `+` in a user name as a space, panics on a user name with a space
//! or a `/`, and orders the session token differently. Here the user name is encoded the SigV4
//! way before signing, and the query is laid out as botocore lays it out: the operation's
//! parameters, then the signing parameters, the signature last.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::secret::Secret;

/// How long a token is valid: RDS accepts it for 15 minutes after it was signed.
pub const LIFETIME: Duration = Duration::from_mins(15);

/// What a token is signed for.
#[derive(Debug, Clone, Copy)]
pub struct TokenRequest<'a> {
    /// The database endpoint's host name, as the server will check it.
    pub host: &'a str,
    /// Its port.
    pub port: u16,
    /// The database user to log in as.
    pub user: &'a str,
    /// The region of the database.
    pub region: &'a str,
    /// The signing time.
    pub time: SystemTime,
}

/// Signs a token with `credentials`.
pub fn generate(credentials: &Credentials, request: &TokenRequest<'_>) -> Result<Secret, String> {
    let identity: Identity = credentials.clone().into();
    let mut settings = SigningSettings::default();
    settings.expires_in = Some(LIFETIME);
    settings.signature_location = SignatureLocation::QueryParams;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(request.region)
        .name("rds-db")
        .time(request.time)
        .settings(settings)
        .build()
        .map_err(|e| format!("cannot set up the signing: {e}"))?;
    let host = format!("{}:{}", request.host, request.port);
    let user = encode(request.user);
    let url = format!("https://{host}/?Action=connect&DBUser={user}");
    let signable = SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[]))
        .map_err(|e| format!("cannot sign a request for {host}: {e}"))?;
    let (instructions, _) =
        sign(signable, &params.into()).map_err(|e| format!("cannot sign: {e}"))?.into_parts();
    let signed: Vec<(&str, String)> =
        instructions.params().iter().map(|(name, value)| (*name, value.to_string())).collect();
    let mut token = format!("{host}/?Action=connect&DBUser={user}");
    for name in ORDER {
        if let Some((_, value)) = signed.iter().find(|(n, _)| n == &name) {
            token.push('&');
            token.push_str(name);
            token.push('=');
            token.push_str(&encode(value));
        }
    }
    Ok(Secret::new(token))
}

/// botocore's order of the signing parameters in a presigned URL.
const ORDER: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

/// Percent-encodes everything but SigV4's unreserved characters (`A-Z a-z 0-9 - _ . ~`).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// What a token says about itself, for facts and explanations: never its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFacts {
    /// `host:port` it is signed for.
    pub host: String,
    /// The user it is for.
    pub user: String,
    /// `X-Amz-Date`.
    pub signed_at: String,
    /// The access key id that signed it.
    pub access_key_id: String,
}

/// Reads the public parts of a token.
pub fn facts(token: &str) -> Option<TokenFacts> {
    let (host, query) = token.split_once("/?")?;
    let get =
        |name: &str| query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')).map(decode);
    let credential = get("X-Amz-Credential")?;
    Some(TokenFacts {
        host: host.to_owned(),
        user: get("DBUser")?,
        signed_at: get("X-Amz-Date")?,
        access_key_id: credential.split('/').next()?.to_owned(),
    })
}

fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex =
            bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(epoch: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(epoch)
    }

    #[test]
    fn a_token_has_botocores_layout_and_reads_back() {
        let creds =
            Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None, "t");
        let request = TokenRequest {
            host: "app-db.c9akciq32lab.us-west-1.rds.amazonaws.com",
            port: 5432,
            user: "app+user",
            region: "us-west-1",
            time: at(1_700_000_000),
        };
        let token = generate(&creds, &request).unwrap();
        let t = token.expose();
        assert!(t.starts_with(
            "app-db.c9akciq32lab.us-west-1.rds.amazonaws.com:5432/?Action=connect&DBUser=app%2Buser&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Fus-west-1%2Frds-db%2Faws4_request&X-Amz-Date=20231114T221320Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature="
        ), "{t}");
        let f = facts(t).unwrap();
        assert_eq!(f.user, "app+user");
        assert_eq!(f.access_key_id, "AKIDEXAMPLE");
        assert_eq!(f.signed_at, "20231114T221320Z");
        let with_session = Credentials::new("ASIAEXAMPLE", "secret", Some("tok/en+=".into()), None, "t");
        let t2 = generate(&with_session, &request).unwrap();
        let t2 = t2.expose();
        let security = t2.find("&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-Signature=");
        assert!(security.is_some(), "{t2}");
    }

    #[test]
    fn odd_user_names_sign_without_panicking() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "t");
        for user in ["with space", "a/b", "ünï", ""] {
            let request =
                TokenRequest { host: "h.example", port: 5432, user, region: "us-east-1", time: at(0) };
            let token = generate(&creds, &request).unwrap();
            assert_eq!(facts(token.expose()).unwrap().user, user);
        }
    }
}
