//! `sts:AssumeRole`, decided the way AWS decides it: validation first (session name,
//! duration against role chaining and the role's cap, ExternalId and tag limits), then the
//! trust policy and the caller's own policies through the evaluator, then `sts:TagSession` when
//! tags are set or ride in transitively, then the packed size of the session tags.
//!
//! Packed size model. AWS packs session tags (and session policies) into a compressed blob of
//! undisclosed size and reports its fill as `PackedPolicySize`, a percentage. The lab charges
//! each tag `key + value + 2` bytes (one more for a transitive key) against a budget of 380
//! bytes: the six tags EKS Pod Identity sets, with typical values, then land near the 74 % seen
//! on real clusters, and a few long custom tags pass 100 % as they do in AWS.

use connector_iam::{Context, Decision};

use super::{check_member, check_session_name, duration, role_name};
use crate::authz::{self, Ask};
use crate::aws::Context as Call;
use crate::aws::query::{AwsError, Xml};
use crate::clock;
use crate::world::{Identity, Session, role_id};

/// The packed-size budget of the model above, in bytes.
const PACKED_BUDGET: usize = 380;

/// Handles `AssumeRole`.
pub fn assume_role(ctx: &Call<'_>) -> Result<String, AwsError> {
    let caller = ctx.caller.ok_or_else(|| {
        AwsError::new(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
    })?;
    let scenario = &ctx.world.scenario;
    let (role_arn, session) = required(ctx)?;
    let name = role_name(role_arn).ok_or_else(|| AwsError::validation("Request ARN is invalid"))?;
    check_session_name(session)?;
    let external_id = ctx.params.get("ExternalId");
    if let Some(id) = external_id {
        check_external_id(id)?;
    }
    let explicit = tags(ctx)?;
    let chained = matches!(caller.identity, Identity::AssumedRole { .. });
    let role = scenario.role_by_arn(role_arn);
    let seconds = duration(ctx, chained, role.map_or(3600, |r| r.max_session_seconds))?;
    let denied = |action: &str| {
        AwsError::new(
            403,
            "AccessDenied",
            format!("User: {} is not authorized to perform: {action} on resource: {role_arn}", caller.arn()),
        )
    };
    // AWS answers a role that does not exist exactly as one that does not trust the caller.
    let role = role.ok_or_else(|| denied("sts:AssumeRole"))?;

    // Transitive tags of the caller's session ride into the new one.
    let mut incoming: Vec<(String, String)> = caller
        .session
        .tags
        .iter()
        .filter(|(k, _)| caller.session.transitive.iter().any(|t| t.eq_ignore_ascii_case(k)))
        .filter(|(k, _)| !explicit.iter().any(|(e, _)| e.eq_ignore_ascii_case(k)))
        .cloned()
        .collect();
    incoming.extend(explicit.iter().cloned());
    let mut transitive: Vec<String> = caller.session.transitive.clone();
    for (i, key) in list(ctx, "TransitiveTagKeys.member").into_iter().enumerate() {
        if !explicit.iter().any(|(k, _)| k == &key) {
            return Err(AwsError::validation(format!(
                "The transitive tag key {key} (TransitiveTagKeys.member.{}) is not among the session tags.",
                i + 1
            )));
        }
        if !transitive.contains(&key) {
            transitive.push(key);
        }
    }

    let mut context = Context::new();
    if let Some(id) = external_id {
        context.set("sts:ExternalId", id);
    }
    if let Some(source) = ctx.params.get("SourceIdentity") {
        context.set("sts:SourceIdentity", source);
        context.set("aws:SourceIdentity", source);
    }
    for (k, v) in &incoming {
        context.set(&format!("aws:RequestTag/{k}"), v.as_str());
    }
    if !incoming.is_empty() {
        context.set("aws:TagKeys", incoming.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>());
    }
    if !transitive.is_empty() {
        context.set("sts:TransitiveTagKeys", transitive.clone());
    }
    let role_account = scenario.account_of(role);
    let trust = scenario.trust_of(role);
    let ask = |action: &'static str| Ask {
        action,
        resource: role_arn,
        resource_account: &role_account,
        resource_policy: Some(("trust policy".to_owned(), trust.as_str())),
        context: context.clone(),
    };
    let allowed = |action: &'static str| {
        matches!(authz::decide(scenario, caller, ask(action)).decision, Decision::Allow)
    };
    if !allowed("sts:AssumeRole") {
        return Err(denied("sts:AssumeRole"));
    }
    if !incoming.is_empty() && !allowed("sts:TagSession") {
        return Err(denied("sts:TagSession"));
    }
    let packed = packed_percent(&incoming, &transitive);
    if packed > 100 {
        return Err(AwsError::new(
            400,
            "PackedPolicyTooLarge",
            format!("Packed size of session tags consumes {packed}% of allotted space."),
        ));
    }

    let identity = Identity::AssumedRole { role: name.to_owned(), session: session.to_owned() };
    let account = (role_account != scenario.account).then(|| role_account.clone());
    let creds = ctx.world.issue_session(
        identity.clone(),
        seconds,
        Session { account, tags: incoming.clone(), transitive, chained },
    );
    let mut xml = Xml::default();
    xml.open("Credentials")
        .leaf("AccessKeyId", &creds.access_key_id)
        .leaf("SecretAccessKey", &creds.secret_access_key)
        .leaf("SessionToken", &creds.session_token)
        .leaf("Expiration", &clock::iso8601(creds.expiration))
        .close("Credentials")
        .open("AssumedRoleUser")
        .leaf("AssumedRoleId", &format!("{}:{session}", role_id(&role_account, name)))
        .leaf("Arn", &identity.arn(&role_account))
        .close("AssumedRoleUser");
    if !incoming.is_empty() {
        xml.leaf("PackedPolicySize", &packed.to_string());
    }
    if let Some(source) = ctx.params.get("SourceIdentity") {
        xml.leaf("SourceIdentity", source);
    }
    Ok(xml.finish())
}

/// `PackedPolicySize` for these tags under the model in the module docs.
pub fn packed_percent(tags: &[(String, String)], transitive: &[String]) -> usize {
    let bytes: usize = tags
        .iter()
        .map(|(k, v)| {
            k.len() + v.len() + 2 + usize::from(transitive.iter().any(|t| t.eq_ignore_ascii_case(k)))
        })
        .sum();
    (bytes * 100).div_ceil(PACKED_BUDGET)
}

/// `RoleArn` and `RoleSessionName`, or STS's validation error naming each missing one.
fn required<'a>(ctx: &Call<'a>) -> Result<(&'a str, &'a str), AwsError> {
    let arn = ctx.params.get("RoleArn");
    let session = ctx.params.get("RoleSessionName");
    let missing: Vec<String> = [(arn, "roleArn"), (session, "roleSessionName")]
        .iter()
        .filter(|(v, _)| v.is_none())
        .map(|(_, field)| {
            format!("Value null at '{field}' failed to satisfy constraint: Member must not be null")
        })
        .collect();
    match (arn, session) {
        (Some(a), Some(s)) => Ok((a, s)),
        _ => Err(AwsError::validation(format!(
            "{} validation error{} detected: {}",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            missing.join("; ")
        ))),
    }
}

/// STS's rule for ExternalIds: 2 to 1224 characters of `[\w+=,.@:/-]`.
fn check_external_id(id: &str) -> Result<(), AwsError> {
    check_member(id, "externalId", 2..=1224, "_+=,.@:/-", "[\\w+=,.@:\\/-]*")
}

/// The values of a query list `prefix.1`, `prefix.2`, … in order.
fn list(ctx: &Call<'_>, prefix: &str) -> Vec<String> {
    (1..).map_while(|i| ctx.params.get(&format!("{prefix}.{i}")).map(str::to_owned)).collect()
}

/// `Tags.member.N.Key` / `.Value`, within STS's limits.
fn tags(ctx: &Call<'_>) -> Result<Vec<(String, String)>, AwsError> {
    let mut out = Vec::new();
    for i in 1.. {
        let Some(key) = ctx.params.get(&format!("Tags.member.{i}.Key")) else { break };
        let value = ctx.params.get(&format!("Tags.member.{i}.Value")).unwrap_or_default();
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(AwsError::validation(format!(
                "1 validation error detected: Value at 'tags.{i}' failed to satisfy constraint: tag keys are 1 to 128 and values 0 to 256 characters"
            )));
        }
        if out.iter().any(|(k, _): &(String, String)| k.eq_ignore_ascii_case(key)) {
            return Err(AwsError::new(
                400,
                "InvalidParameterValue",
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        out.push((key.to_owned(), value.to_owned()));
    }
    if out.len() > 50 {
        return Err(AwsError::validation(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
        ));
    }
    Ok(out)
}
