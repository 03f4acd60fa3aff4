//! Checking an RDS IAM auth token the way RDS does at login. A token is a SigV4 presigned URL
//! without its scheme, `<host>:<port>/?Action=connect&DBUser=<user>&X-Amz-…`, signed for the
//! service `rds-db`. The lab recomputes the signature with its own SigV4 (HMAC-SHA256 from
//! `hmac` and `sha2`, not the `aws-sigv4` crate the product signs with), so that it judges the
//! product's tokens independently instead of agreeing with it by construction.
//!
//! Every check RDS makes is here, in an order that names the first thing wrong: the shape,
//! the credential scope, the key and its session token, the signature, the credentials' and the
//! token's lifetimes (by AWS's clock, which a scenario may set ahead of the pod's), the host
//! and port it was signed for, the user, and `rds-db:connect` for the key's identity.

use connector_iam::{Context, Decision};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::authz::{self, Ask};
use crate::aws::Caller;
use crate::clock;
use crate::world::World;

/// The longest lifetime RDS accepts for a token, in seconds.
pub const MAX_EXPIRES: i64 = 900;

/// What the token is checked against: the endpoint the client connected to and its login.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The endpoint's address (`<id>.<hash>.<region>.rds.amazonaws.com`).
    pub host: &'a str,
    /// The port the API reports for it.
    pub port: u16,
    /// The user of the startup message.
    pub user: &'a str,
    /// The resource ID in `rds-db:connect` ARNs.
    pub resource_id: &'a str,
}

/// The outcome of a check: whose key signed the token (when it could be read) and the
/// verdict, with the reason for a rejection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The access key in the token's credential.
    pub access_key_id: Option<String>,
    /// `Ok` when RDS would let the login through, else why not.
    pub result: Result<(), String>,
}

/// Checks `token` (the password the client sent) for a login at `expected`, at `now` by AWS's
/// clock (epoch seconds).
pub fn check(token: &str, expected: &Expected<'_>, world: &World, now: i64) -> Verdict {
    let parsed = Token::parse(token);
    let access_key_id = parsed.as_ref().ok().and_then(|t| t.credential.split('/').next().map(str::to_owned));
    let result = parsed.and_then(|t| t.verify(expected, world, now));
    Verdict { access_key_id, result }
}

/// A token taken apart.
#[derive(Debug)]
struct Token {
    /// `host:port` exactly as signed.
    host_port: String,
    /// Decoded query parameters, in order.
    params: Vec<(String, String)>,
    credential: String,
}

impl Token {
    fn parse(token: &str) -> Result<Token, String> {
        let token = token.trim_end_matches('\0');
        if token.contains("://") {
            return Err("the token carries a URL scheme (tokens are host:port/?query)".to_owned());
        }
        let (host_port, query) =
            token.split_once("/?").ok_or("not an IAM auth token: no \"/?\" after host:port")?;
        if host_port.is_empty() || host_port.contains(['/', ' ']) {
            return Err(format!("not an IAM auth token: bad host:port {host_port:?}"));
        }
        let mut params = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            params.push((percent_decode(name)?, percent_decode(value)?));
        }
        let mut token = Token { host_port: host_port.to_owned(), params, credential: String::new() };
        token.credential = token.one("X-Amz-Credential")?.to_owned();
        Ok(token)
    }

    /// The single value of a required parameter.
    fn one(&self, name: &str) -> Result<&str, String> {
        let mut values = self.params.iter().filter(|(n, _)| n == name);
        match (values.next(), values.next()) {
            (Some((_, value)), None) => Ok(value),
            (None, _) => Err(format!("the token has no {name}")),
            (Some(_), Some(_)) => Err(format!("the token has {name} twice")),
        }
    }

    fn optional(&self, name: &str) -> Result<Option<&str>, String> {
        match self.params.iter().filter(|(n, _)| n == name).count() {
            0 => Ok(None),
            _ => self.one(name).map(Some),
        }
    }

    fn verify(&self, expected: &Expected<'_>, world: &World, now: i64) -> Result<(), String> {
        let scenario = &world.scenario;
        let action = self.one("Action")?;
        if action != "connect" {
            return Err(format!("Action is {action:?}, not \"connect\""));
        }
        let algorithm = self.one("X-Amz-Algorithm")?;
        if algorithm != "AWS4-HMAC-SHA256" {
            return Err(format!("X-Amz-Algorithm is {algorithm:?}, not AWS4-HMAC-SHA256"));
        }
        let signed_headers = self.one("X-Amz-SignedHeaders")?;
        if signed_headers != "host" {
            return Err(format!("X-Amz-SignedHeaders is {signed_headers:?}, not \"host\""));
        }
        let amz_date = self.one("X-Amz-Date")?;
        let signed_at =
            parse_amz_date(amz_date).ok_or_else(|| format!("X-Amz-Date {amz_date:?} is no date"))?;
        let expires = self.one("X-Amz-Expires")?;
        let expires: i64 =
            expires.parse().map_err(|_| format!("X-Amz-Expires {expires:?} is not a number"))?;
        if !(1..=MAX_EXPIRES).contains(&expires) {
            return Err(format!("X-Amz-Expires {expires} is outside 1 to {MAX_EXPIRES} seconds"));
        }
        let signature = self.one("X-Amz-Signature")?;
        let db_user = self.one("DBUser")?;

        let parts: Vec<&str> = self.credential.split('/').collect();
        let [key_id, date, region, service, "aws4_request"] = parts.as_slice() else {
            return Err(format!(
                "X-Amz-Credential {:?} is not key/date/region/service/aws4_request",
                self.credential
            ));
        };
        if *service != "rds-db" {
            return Err(format!("the token is signed for the service {service:?}, not \"rds-db\""));
        }
        if !amz_date.starts_with(date) {
            return Err(format!("the credential's date {date} is not the day of X-Amz-Date {amz_date}"));
        }
        if *region != scenario.region {
            return Err(format!(
                "the token is signed for the region {region}, the database is in {}",
                scenario.region
            ));
        }
        let key = world.key(key_id).ok_or_else(|| format!("the access key {key_id} does not exist"))?;
        let presented = self.optional("X-Amz-Security-Token")?;
        match (key.session_token.as_deref(), presented) {
            (Some(expected), Some(given)) if expected == given => {}
            (Some(_), Some(_)) => return Err(format!("the session token does not belong to {key_id}")),
            (Some(_), None) => {
                return Err(format!("{key_id} is temporary but the token has no X-Amz-Security-Token"));
            }
            (None, Some(_)) => {
                return Err(format!("{key_id} is a long-term key but the token has X-Amz-Security-Token"));
            }
            (None, None) => {}
        }

        let computed = signature_of(self, &key.secret_access_key, amz_date, date, region);
        if !computed.eq_ignore_ascii_case(signature) {
            return Err(
                "the signature does not match (wrong secret, or the token was altered or signed differently)"
                    .to_owned(),
            );
        }
        if let Some(at) = key.expires.filter(|&at| now >= at) {
            return Err(format!("the credentials expired at {}", clock::iso8601(at)));
        }
        if signed_at > now {
            return Err(format!(
                "the token is dated {}, in the future by AWS's clock ({})",
                clock::iso8601(signed_at),
                clock::iso8601(now)
            ));
        }
        if signed_at + expires < now {
            return Err(format!(
                "the token expired at {} (AWS's clock says {})",
                clock::iso8601(signed_at + expires),
                clock::iso8601(now)
            ));
        }
        let wanted = format!("{}:{}", expected.host, expected.port);
        if !self.host_port.eq_ignore_ascii_case(&wanted) {
            return Err(format!("the token is signed for {}, not the endpoint {wanted}", self.host_port));
        }
        if db_user != expected.user {
            return Err(format!("the token is for DBUser {db_user:?}, the login is as {:?}", expected.user));
        }

        let account = key.session.account.clone().unwrap_or_else(|| scenario.account.clone());
        let caller =
            Caller { identity: key.identity, account, session: key.session, region: (*region).to_owned() };
        let resource = format!(
            "arn:aws:rds-db:{}:{}:dbuser:{}/{}",
            scenario.region, scenario.account, expected.resource_id, expected.user
        );
        let ask = Ask {
            action: "rds-db:connect",
            resource: &resource,
            resource_account: &scenario.account,
            resource_policy: None,
            context: Context::new(),
        };
        match authz::decide(scenario, &caller, ask).decision {
            Decision::Allow => Ok(()),
            Decision::ExplicitDeny => {
                Err(format!("{} may not rds-db:connect to {resource}: explicitly denied", caller.arn()))
            }
            Decision::ImplicitDeny => {
                Err(format!("{} may not rds-db:connect to {resource}: no policy allows it", caller.arn()))
            }
        }
    }
}

/// The signature SigV4 gives a presigned `GET https://<host:port>/?<query>` with only `host`
/// signed and an empty payload.
fn signature_of(token: &Token, secret: &str, amz_date: &str, date: &str, region: &str) -> String {
    let mut pairs: Vec<(String, String)> = token
        .params
        .iter()
        .filter(|(name, _)| name != "X-Amz-Signature")
        .map(|(name, value)| (uri_encode(name), uri_encode(value)))
        .collect();
    pairs.sort();
    let query = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("&");
    let canonical =
        format!("GET\n/\n{query}\nhost:{}\n\nhost\n{}", token.host_port, hex(&Sha256::digest(b"")));
    let scope = format!("{date}/{region}/rds-db/aws4_request");
    let string_to_sign =
        format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex(&Sha256::digest(canonical.as_bytes())));
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    for part in [region, "rds-db", "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    hex(&hmac(&key, string_to_sign.as_bytes()))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; the error case cannot happen.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SigV4's URI encoding: unreserved characters as they are, every other byte as `%XX`.
pub fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decoding (`+` stays a plus, as in SigV4).
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let value = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
            out.push(value.ok_or_else(|| format!("bad percent-encoding in {text:?}"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{text:?} does not decode to UTF-8"))
}

/// `20240501T120000Z` → epoch seconds.
fn parse_amz_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    Some(crate::clock::days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    /// The example of AWS's SigV4 documentation for a presigned URL, with its known signature,
    /// proves the canonicalisation and the key derivation.
    #[test]
    fn reproduces_a_known_presigned_signature() {
        let token = Token {
            host_port: "examplebucket.s3.amazonaws.com".to_owned(),
            params: vec![
                ("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()),
                ("X-Amz-Credential".into(), "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request".into()),
                ("X-Amz-Date".into(), "20130524T000000Z".into()),
                ("X-Amz-Expires".into(), "86400".into()),
                ("X-Amz-SignedHeaders".into(), "host".into()),
            ],
            credential: String::new(),
        };
        // The same computation with the service fixed to s3 and the path /test.txt.
        let mut pairs: Vec<(String, String)> =
            token.params.iter().map(|(n, v)| (uri_encode(n), uri_encode(v))).collect();
        pairs.sort();
        let query = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("&");
        let canonical =
            format!("GET\n/test.txt\n{query}\nhost:{}\n\nhost\nUNSIGNED-PAYLOAD", token.host_port);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mut key = hmac(b"AWS4wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", b"20130524");
        for part in ["us-east-1", "s3", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        assert_eq!(
            hex(&hmac(&key, string_to_sign.as_bytes())),
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn dates_and_encoding() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20240229T120000Z"), Some(1_709_208_000));
        assert_eq!(parse_amz_date("2024-02-29T12:00Z"), None);
        assert_eq!(uri_encode("a b/c+d~"), "a%20b%2Fc%2Bd~");
        assert_eq!(percent_decode("a%2Fb+c").unwrap(), "a/b+c");
        assert!(percent_decode("%zz").is_err());
    }

    #[test]
    fn garbage_is_rejected_with_a_reason() {
        let world = World::new(Scenario::from_toml_str("").unwrap());
        let expected = Expected { host: "h", port: 5432, user: "u", resource_id: "db-X" };
        for (token, reason) in [
            ("", "not an IAM auth token"),
            ("hunter2", "not an IAM auth token"),
            ("https://h:5432/?Action=connect", "URL scheme"),
            ("h:5432/?Action=connect", "no X-Amz-Credential"),
            ("h:5432/?X-Amz-Credential=%ZZ", "percent-encoding"),
        ] {
            let verdict = check(token, &expected, &world, clock::now());
            let err = verdict.result.unwrap_err();
            assert!(err.contains(reason), "{token}: {err}");
        }
    }
}
