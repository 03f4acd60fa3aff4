//! AWS STS: `GetCallerIdentity` and `AssumeRoleWithWebIdentity`, with STS's own checks in
//! STS's order and its error codes and texts.

use crate::authz;
use crate::aws::query::{AwsError, Xml};
use crate::aws::{Context, QueryService};
use crate::clock;
use crate::scenario::strip_scheme;
use crate::token;
use crate::world::{Identity, role_id};

/// STS behind the lab's AWS endpoint.
pub const SERVICE: QueryService = QueryService {
    name: "sts",
    version: "2011-06-15",
    xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
    actions: &["GetCallerIdentity", "AssumeRole", "AssumeRoleWithWebIdentity"],
    unsigned: &["AssumeRoleWithWebIdentity"],
    handle,
};

/// The lifetime of web identity sessions when the caller does not ask (STS's default).
const DEFAULT_SESSION_SECONDS: i64 = 3600;
/// The roles' `MaxSessionDuration` (IAM's default).
const MAX_SESSION_SECONDS: i64 = 3600;
/// The cap on sessions made by role chaining.
const CHAINED_CAP: i64 = 3600;

fn handle(ctx: &Context<'_>) -> Result<String, AwsError> {
    match ctx.action {
        "GetCallerIdentity" => get_caller_identity(ctx),
        "AssumeRole" => crate::sts::assume::assume_role(ctx),
        _ => assume_role_with_web_identity(ctx),
    }
}

fn get_caller_identity(ctx: &Context<'_>) -> Result<String, AwsError> {
    let caller = ctx.caller.ok_or_else(|| {
        AwsError::new(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
    })?;
    let account = &caller.account;
    let mut xml = Xml::default();
    xml.leaf("Arn", &caller.arn()).leaf("UserId", &caller.identity.user_id(account)).leaf("Account", account);
    Ok(xml.finish())
}

fn assume_role_with_web_identity(ctx: &Context<'_>) -> Result<String, AwsError> {
    let world = ctx.world;
    let scenario = &world.scenario;
    let (role_arn, session, web_token) = required(ctx)?;
    let role = role_name(role_arn).ok_or_else(|| AwsError::validation("Request ARN is invalid"))?;
    check_session_name(session)?;
    // Web identity sessions are not chained; the role's own cap applies.
    let cap =
        scenario.roles.iter().find(|r| r.name == role).map_or(MAX_SESSION_SECONDS, |r| r.max_session_seconds);
    let lifetime = duration(ctx, false, cap)?;
    let claims = token::parse(web_token).map_err(|_| {
        AwsError::new(
            400,
            "InvalidIdentityToken",
            "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
        )
    })?;
    let issuer = claims.iss.clone().unwrap_or_default();
    let provider = strip_scheme(&issuer).to_owned();
    if issuer.is_empty() || !scenario.oidc_providers().contains(&provider) {
        return Err(AwsError::new(
            400,
            "InvalidIdentityToken",
            format!("No OpenIDConnect provider found in your account for {issuer}"),
        ));
    }
    let now = clock::now();
    if let Some(exp) = claims.exp.filter(|&exp| now >= exp) {
        return Err(AwsError::new(
            400,
            "ExpiredTokenException",
            format!("Token expired: current date/time {now} must be before the expiration date/time{exp}"),
        ));
    }
    let Some(audience) = claims.aud.iter().find(|aud| scenario.sts.oidc_client_ids.contains(aud)) else {
        return Err(AwsError::new(400, "InvalidIdentityToken", "Incorrect token audience"));
    };
    let provider_arn = format!("arn:aws:iam::{}:oidc-provider/{provider}", scenario.account);
    let subject = claims.sub.clone().unwrap_or_default();
    let mut context = connector_iam::Context::new();
    context.set(&format!("{provider}:sub"), subject.as_str());
    // `aud` is single-valued in IAM: STS offers the audience that matched a client ID of the
    // provider.
    context.set(&format!("{provider}:aud"), audience.as_str());
    let in_account = role_arn.split(':').nth(4) == Some(scenario.account.as_str());
    let trusted = in_account
        && scenario.roles.iter().find(|r| r.name == role).is_some_and(|r| {
            authz::resource_allows(
                &scenario.trust_of(r),
                connector_iam::Principal::federated(&provider_arn),
                "sts:AssumeRoleWithWebIdentity",
                role_arn,
                context,
            )
        });
    if !trusted {
        return Err(AwsError::new(
            403,
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        ));
    }
    let identity = Identity::AssumedRole { role: role.to_owned(), session: session.to_owned() };
    let creds = world.issue(identity.clone(), lifetime);
    let mut xml = Xml::default();
    xml.open("Credentials")
        .leaf("AccessKeyId", &creds.access_key_id)
        .leaf("SecretAccessKey", &creds.secret_access_key)
        .leaf("SessionToken", &creds.session_token)
        .leaf("Expiration", &clock::iso8601(creds.expiration))
        .close("Credentials")
        .leaf("SubjectFromWebIdentityToken", &subject)
        .open("AssumedRoleUser")
        .leaf("AssumedRoleId", &format!("{}:{session}", role_id(&scenario.account, role)))
        .leaf("Arn", &identity.arn(&scenario.account))
        .close("AssumedRoleUser")
        .leaf("Provider", &provider_arn)
        .leaf("Audience", audience);
    Ok(xml.finish())
}

/// The three required parameters, or STS's validation error naming every missing one.
fn required<'a>(ctx: &Context<'a>) -> Result<(&'a str, &'a str, &'a str), AwsError> {
    let names = [
        ("RoleArn", "roleArn"),
        ("RoleSessionName", "roleSessionName"),
        ("WebIdentityToken", "webIdentityToken"),
    ];
    let values: Vec<Option<&str>> = names.iter().map(|(p, _)| ctx.params.get(p)).collect();
    let missing: Vec<String> = names
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|((_, field), _)| {
            format!("Value null at '{field}' failed to satisfy constraint: Member must not be null")
        })
        .collect();
    match (values[0], values[1], values[2]) {
        (Some(arn), Some(session), Some(token)) => Ok((arn, session, token)),
        _ => Err(AwsError::validation(format!(
            "{} validation error{} detected: {}",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            missing.join("; ")
        ))),
    }
}

pub mod assume;

/// The session length: STS's default, or what was asked within the chaining and role caps.
pub(crate) fn duration(ctx: &Context<'_>, chained: bool, role_cap: i64) -> Result<i64, AwsError> {
    let Some(text) = ctx.params.get("DurationSeconds") else {
        return Ok(DEFAULT_SESSION_SECONDS.min(role_cap));
    };
    let seconds: i64 = text.parse().map_err(|_| {
        AwsError::validation(format!(
            "1 validation error detected: Value '{text}' at 'durationSeconds' failed to satisfy constraint: Member must be a number"
        ))
    })?;
    if seconds < 900 {
        return Err(AwsError::validation(format!(
            "1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
        )));
    }
    if chained && seconds > CHAINED_CAP {
        return Err(AwsError::validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    if seconds > role_cap {
        return Err(AwsError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    Ok(seconds)
}

/// The role name of a well-formed role ARN (`arn:aws:iam::<12 digits>:role/<path/>name`).
pub(crate) fn role_name(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, "iam", "", account, resource] = parts.as_slice() else {
        return None;
    };
    let well_formed =
        partition.starts_with("aws") && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    (well_formed && !name.is_empty()).then_some(name)
}

pub(crate) fn check_session_name(session: &str) -> Result<(), AwsError> {
    check_member(session, "roleSessionName", 2..=64, "_+=,.@-", "[\\w+=,.@-]*")
}

/// STS's validation of a string parameter: its length, and its characters (alphanumerics plus
/// `extra`, which STS writes as `pattern`), with STS's wording for the first rule broken.
pub(crate) fn check_member(
    value: &str,
    field: &str,
    length: std::ops::RangeInclusive<usize>,
    extra: &str,
    pattern: &str,
) -> Result<(), AwsError> {
    let count = value.chars().count();
    let complaint = if count < *length.start() {
        format!("Member must have length greater than or equal to {}", length.start())
    } else if count > *length.end() {
        format!("Member must have length less than or equal to {}", length.end())
    } else if !value.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c)) {
        format!("Member must satisfy regular expression pattern: {pattern}")
    } else {
        return Ok(());
    };
    Err(AwsError::validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {complaint}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::query::Params;
    use crate::ids::Ids;
    use crate::scenario::Scenario;
    use crate::world::World;

    const IRSA: &str = "[pod]\nsource = \"irsa\"\nnamespace = \"xpander\"\nservice_account = \"xpander-connector\"\nrole = \"xpander-base-role\"\n";

    fn jwt(world: &World, audience: &str, expires_in: i64, sa: &str) -> String {
        let issuer = world.scenario.issuer();
        token::make(
            &token::Spec {
                issuer: &issuer,
                audience,
                namespace: "xpander",
                service_account: sa,
                pod: "p",
                expires_in,
                now: clock::now(),
            },
            &Ids::default(),
        )
    }

    fn call(world: &World, role_arn: &str, token: &str) -> Result<String, AwsError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("RoleArn", role_arn)
            .append_pair("RoleSessionName", "web-identity-token-1")
            .append_pair("WebIdentityToken", token)
            .finish();
        let req = crate::exchange::Request { method: "POST".into(), body: body.into(), ..Default::default() };
        let params = Params::of(&req);
        assume_role_with_web_identity(&Context {
            action: "AssumeRoleWithWebIdentity",
            params: &params,
            caller: None,
            world,
        })
    }

    const ARN: &str = "arn:aws:iam::111122223333:role/xpander-base-role";

    #[test]
    fn healthy_irsa() {
        let world = World::new(Scenario::from_toml_str(IRSA).unwrap());
        let token = jwt(&world, "sts.amazonaws.com", 3600, "xpander-connector");
        let xml = call(&world, ARN, &token).unwrap();
        assert!(xml.contains(
            "<Arn>arn:aws:sts::111122223333:assumed-role/xpander-base-role/web-identity-token-1</Arn>"
        ));
        assert!(xml.contains("<SubjectFromWebIdentityToken>system:serviceaccount:xpander:xpander-connector</SubjectFromWebIdentityToken>"));
        assert!(xml.contains("<AccessKeyId>ASIA"));
    }

    #[test]
    fn each_refusal() {
        let world = World::new(Scenario::from_toml_str(IRSA).unwrap());
        let good = jwt(&world, "sts.amazonaws.com", 3600, "xpander-connector");
        let code = |r: Result<String, AwsError>| r.unwrap_err().code;
        let err = call(&world, "arn:aws:iam::::1234567890:role/example", &good).unwrap_err();
        assert_eq!((err.code.as_str(), err.message.as_str()), ("ValidationError", "Request ARN is invalid"));
        assert_eq!(code(call(&world, ARN, "Bearer x")), "InvalidIdentityToken");
        let expired = jwt(&world, "sts.amazonaws.com", -60, "xpander-connector");
        let err = call(&world, ARN, &expired).unwrap_err();
        assert_eq!(err.code, "ExpiredTokenException");
        assert!(err.message.starts_with("Token expired: current date/time "));
        let wrong_aud = jwt(&world, "pods.eks.amazonaws.com", 3600, "xpander-connector");
        assert_eq!(call(&world, ARN, &wrong_aud).unwrap_err().message, "Incorrect token audience");
        let other_sa = jwt(&world, "sts.amazonaws.com", 3600, "other");
        let err = call(&world, ARN, &other_sa).unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (403, "AccessDenied"));
        assert_eq!(code(call(&world, "arn:aws:iam::111122223333:role/missing", &good)), "AccessDenied");
    }

    #[test]
    fn missing_provider() {
        let world =
            World::new(Scenario::from_toml_str(&format!("{IRSA}[sts]\noidc_providers = []\n")).unwrap());
        let token = jwt(&world, "sts.amazonaws.com", 3600, "xpander-connector");
        let err = call(&world, ARN, &token).unwrap_err();
        assert_eq!(
            err.message,
            "No OpenIDConnect provider found in your account for https://oidc.eks.us-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
        );
    }

    #[test]
    fn parameter_validation() {
        assert_eq!(role_name("arn:aws:iam::111122223333:role/a/b/name"), Some("name"));
        assert_eq!(role_name("arn:aws:iam::111122223333:user/x"), None);
        assert!(check_session_name("a b").is_err());
        assert!(check_session_name("eks-c-p-1").is_ok());
    }
}
