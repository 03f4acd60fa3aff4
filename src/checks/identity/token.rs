//! `identity.token`: the projected service-account token that Pod Identity and IRSA exchange
//! for credentials.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use futures::FutureExt;
use futures::future::BoxFuture;

use super::{Source, Survey, Token, pod_facts};
use crate::engine::{Check, Ctx};
use crate::jwt::{self, Claims, JwtError};
use crate::outcome::{Code, Evidence, Facts, Outcome};
use crate::secret::Redactor;

/// Codes this check emits.
pub const CODES: &[Code] = &[
    Code::TokenFileMissing,
    Code::TokenFileUnreadable,
    Code::TokenMalformed,
    Code::TokenTrailingWhitespace,
    Code::TokenExpired,
    Code::TokenAudienceMismatch,
];

/// The audience EKS projects Pod Identity tokens with.
pub const POD_IDENTITY_AUDIENCE: &str = "pods.eks.amazonaws.com";

/// Real tokens are about a kilobyte; anything past this is not a token and is not read further.
const MAX_TOKEN_BYTES: u64 = 64 * 1024;

/// The check.
#[derive(Debug)]
pub struct TokenCheck;

impl Check for TokenCheck {
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            let Some(survey) = ctx.board.get::<Survey>(None) else {
                return Outcome::error("identity.source left no survey of the environment.");
            };
            let Some((source, path)) = survey.token_source() else {
                return Outcome::not_applicable("No Pod Identity or IRSA token file is configured.");
            };
            let expected = match source {
                Source::Irsa => ctx.config.irsa_audience.clone(),
                _ => POD_IDENTITY_AUDIENCE.to_owned(),
            };
            let path = path.to_owned();
            let redactor = ctx.world.redactor.clone();
            let read_path = path.clone();
            let read = tokio::task::spawn_blocking(move || read_token(&read_path, &redactor))
                .await
                .unwrap_or_else(|e| Err(ReadFailure::Io(e.to_string())));
            let (outcome, token) = judge(&path, read, &expected, source, ctx.world.now(), ctx.world.uid);
            if let Some(token) = token {
                ctx.board.put(None, token);
            }
            // Facts from the token (namespace, service account) are known only now.
            let mut facts = pod_facts(ctx);
            facts.extend(outcome.facts.clone());
            Outcome { facts, ..outcome }
        }
        .boxed()
    }
}

pub use crate::files::ReadFailure;

/// Reads the token file, refusing anything larger than a token could be.
pub fn read_token(path: &str, redactor: &Redactor) -> Result<crate::secret::Secret, ReadFailure> {
    let bytes = crate::files::read_bounded(std::path::Path::new(path), MAX_TOKEN_BYTES)?;
    // Not UTF-8 cannot be a JWT; keep the bytes lossily only to judge their shape.
    Ok(redactor.secret(String::from_utf8_lossy(&bytes).into_owned()))
}

fn rfc3339(secs: i64) -> String {
    DateTime::from_secs(secs).fmt(Format::DateTime).unwrap_or_else(|_| secs.to_string())
}

fn claim_facts(claims: &Claims, expected: &str) -> Facts {
    let mut f = Facts::new();
    if let Some(iss) = &claims.iss {
        f.insert("token_issuer".into(), iss.clone());
        f.insert("oidc_provider".into(), iss.trim_start_matches("https://").to_owned());
    }
    if let Some(sub) = &claims.sub {
        f.insert("token_subject".into(), sub.clone());
    }
    if let Some((ns, sa)) = claims.service_account() {
        f.insert("namespace".into(), ns.to_owned());
        f.insert("service_account".into(), sa.to_owned());
    }
    f.insert("token_audience".into(), claims.aud.join(", "));
    f.insert("expected_audience".into(), expected.to_owned());
    if let Some(exp) = claims.exp {
        f.insert("token_expires".into(), rfc3339(exp));
    }
    f
}

/// The verdict on a token file that could not be read.
fn judge_read_failure(
    path: &str,
    failure: ReadFailure,
    source: Source,
    uid: Option<u32>,
    call: Evidence,
) -> Outcome {
    match failure {
        ReadFailure::Missing => {
            let o = Outcome::fail(
                Code::TokenFileMissing,
                format!(
                    "The {source} token file {path} does not exist: the projected token volume is not mounted."
                ),
            );
            o.fact("token_file", path).evidence(call.message("no such file"))
        }
        ReadFailure::Unreadable { reason, mode, owner } => {
            let mode = mode.map_or_else(|| "unknown".to_owned(), |m| format!("{m:04o}"));
            let owner = owner.unwrap_or_else(|| "unknown".to_owned());
            let who = uid.map_or_else(|| "this process".to_owned(), |u| format!("uid {u}"));
            let o = Outcome::fail(
                Code::TokenFileUnreadable,
                format!("Cannot read the token file {path} as {who}: {reason} (mode {mode}, owner {owner})."),
            )
            .fact("token_file", path)
            .fact("token_mode", mode)
            .fact("token_owner", owner)
            .fact("process_uid", uid.map_or_else(|| "unknown".to_owned(), |u| u.to_string()));
            o.evidence(call.message(reason))
        }
        ReadFailure::TooLarge(size) => {
            let o = Outcome::fail(
                Code::TokenMalformed,
                format!(
                    "The token file {path} is {size} bytes; a service-account token is about a kilobyte. It holds something else."
                ),
            );
            o.fact("token_file", path).evidence(call.message(format!("{size} bytes")))
        }
        ReadFailure::Io(e) => Outcome::error(format!("Reading {path} failed: {e}")).evidence(call.message(e)),
    }
}

/// Judges what was read. Returns the token for later checks when it is usable.
pub fn judge(
    path: &str,
    read: Result<crate::secret::Secret, ReadFailure>,
    expected_audience: &str,
    source: Source,
    now: SystemTime,
    uid: Option<u32>,
) -> (Outcome, Option<Token>) {
    let call = Evidence::call("read token file").endpoint(path);
    let content = match read {
        Ok(c) => c,
        Err(failure) => return (judge_read_failure(path, failure, source, uid, call), None),
    };
    let raw = content.expose();
    let trimmed = raw.trim_end();
    let trailing = raw.len() - trimmed.len();
    let claims = match jwt::decode(trimmed.trim_start()) {
        Ok(c) => c,
        Err(e) => {
            let hint = match &e {
                JwtError::SchemePrefix(_) => {
                    " The agent answers such a token with \"token is malformed: could not base64 decode header\"."
                }
                _ => "",
            };
            let o = Outcome::fail(
                Code::TokenMalformed,
                format!("The token in {path} is not a bare JWT: {e}.{hint}"),
            );
            return (o.fact("token_file", path).evidence(call.message(e.to_string())), None);
        }
    };
    let facts = claim_facts(&claims, expected_audience);
    let now_secs = now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs();
    let now_secs = i64::try_from(now_secs).unwrap_or(i64::MAX);
    let token = Token { value: crate::secret::Secret::new(trimmed.trim_start()), claims: claims.clone() };
    let with = |o: Outcome| {
        o.fact("token_file", path)
            .facts(&facts)
            .evidence(call.clone().message(format!("{} bytes", raw.len())))
    };
    if let Some(exp) = claims.exp.filter(|exp| *exp <= now_secs) {
        let ago = now_secs.saturating_sub(exp);
        let o = Outcome::fail(
            Code::TokenExpired,
            format!("The token in {path} expired at {} ({} ago).", rfc3339(exp), human(ago)),
        );
        return (with(o), None);
    }
    if !claims.aud.iter().any(|a| a == expected_audience) {
        let o = Outcome::fail(
            Code::TokenAudienceMismatch,
            format!(
                "The token's audience is {}, but {source} needs {expected_audience}.",
                if claims.aud.is_empty() { "empty".to_owned() } else { claims.aud.join(", ") }
            ),
        );
        return (with(o), None);
    }
    let expires = claims.exp.map_or_else(
        || "no expiry".to_owned(),
        |exp| format!("expires in {}", human(exp.saturating_sub(now_secs))),
    );
    let who = claims.sub.as_deref().unwrap_or("an unnamed subject");
    if trailing > 0 {
        let o = Outcome::warn(
            Code::TokenTrailingWhitespace,
            format!(
                "The token in {path} is valid for {who} ({expires}) but ends in {trailing} whitespace byte(s), which SDKs that send the file verbatim cannot use."
            ),
        );
        return (with(o), Some(token));
    }
    let o = Outcome::pass(format!("A valid token for {who}, audience {expected_audience}, {expires}."));
    (with(o), Some(token))
}

/// A short human duration: `3 h 20 min`, `45 s`.
pub fn human(secs: i64) -> String {
    let s = secs.unsigned_abs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86400, (s % 86400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::outcome::Status;
    use crate::secret::Secret;

    const NOW: u64 = 1_800_000_000;

    fn jwt(aud: &str, exp: u64) -> String {
        let b = |s: &str| URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.{}",
            b(r#"{"alg":"RS256"}"#),
            b(&format!(
                r#"{{"aud":["{aud}"],"exp":{exp},"iss":"https://oidc.eks.us-west-1.amazonaws.com/id/ABC","sub":"system:serviceaccount:xpander:connector"}}"#
            )),
            b("signature")
        )
    }

    fn run(read: Result<Secret, ReadFailure>) -> Outcome {
        let now = UNIX_EPOCH + Duration::from_secs(NOW);
        judge("/t", read, POD_IDENTITY_AUDIENCE, Source::PodIdentity, now, Some(1000)).0
    }

    #[test]
    fn each_token_fault_has_its_code() {
        let ok = jwt(POD_IDENTITY_AUDIENCE, NOW + 3600);
        let cases: Vec<(Result<Secret, ReadFailure>, Status, Option<Code>)> = vec![
            (Ok(Secret::new(ok.clone())), Status::Pass, None),
            (Ok(Secret::new(format!("{ok}\n"))), Status::Warn, Some(Code::TokenTrailingWhitespace)),
            (Ok(Secret::new(format!("Bearer {ok}"))), Status::Fail, Some(Code::TokenMalformed)),
            (Ok(Secret::new(jwt(POD_IDENTITY_AUDIENCE, NOW - 10))), Status::Fail, Some(Code::TokenExpired)),
            (
                Ok(Secret::new(jwt("sts.amazonaws.com", NOW + 10))),
                Status::Fail,
                Some(Code::TokenAudienceMismatch),
            ),
            (Err(ReadFailure::Missing), Status::Fail, Some(Code::TokenFileMissing)),
            (
                Err(ReadFailure::Unreadable {
                    reason: "permission denied".into(),
                    mode: Some(0o600),
                    owner: Some("0:0".into()),
                }),
                Status::Fail,
                Some(Code::TokenFileUnreadable),
            ),
            (Err(ReadFailure::TooLarge(10 << 20)), Status::Fail, Some(Code::TokenMalformed)),
        ];
        for (read, status, code) in cases {
            let o = run(read);
            assert_eq!((o.status, o.code), (status, code), "{}", o.summary);
        }
    }

    #[test]
    fn facts_show_claims_and_unreadable_details() {
        let o = run(Ok(Secret::new(jwt(POD_IDENTITY_AUDIENCE, NOW + 60))));
        assert_eq!(o.facts["namespace"], "xpander");
        assert_eq!(o.facts["oidc_provider"], "oidc.eks.us-west-1.amazonaws.com/id/ABC");
        let o = run(Err(ReadFailure::Unreadable {
            reason: "permission denied".into(),
            mode: Some(0o600),
            owner: Some("0:0".into()),
        }));
        assert_eq!(o.facts["token_mode"], "0600");
        assert!(o.summary.contains("uid 1000"), "{}", o.summary);
    }

    #[test]
    fn the_summary_never_contains_the_token() {
        let ok = jwt(POD_IDENTITY_AUDIENCE, NOW + 3600);
        let o = run(Ok(Secret::new(ok.clone())));
        assert!(!format!("{o:?}").contains(&ok));
    }
}
