//! AWS IAM's read calls the doctor may make to explain a denial: `GetRole`,
//! `ListRolePolicies`, `GetRolePolicy`, `ListAttachedRolePolicies`, `GetPolicy` and
//! `GetPolicyVersion`. Each is authorized like any IAM call, by the caller's identity policies
//! only (IAM resources have no resource policies), and answers with IAM's wire format: policy
//! documents URL-encoded, as AWS sends them.

use connector_iam::{Context, Decision};

use crate::authz::{self, Ask};
use crate::aws::query::{AwsError, Xml};
use crate::aws::{Context as Call, QueryService};
use crate::ids::stable_unique_id;
use crate::scenario::{ManagedPolicy, Role, Scenario};
use crate::world::role_id;

/// IAM behind the lab's AWS endpoint.
pub const SERVICE: QueryService = QueryService {
    name: "iam",
    version: "2010-05-08",
    xmlns: "https://iam.amazonaws.com/doc/2010-05-08/",
    actions: &[
        "GetRole",
        "ListRolePolicies",
        "GetRolePolicy",
        "ListAttachedRolePolicies",
        "GetPolicy",
        "GetPolicyVersion",
    ],
    unsigned: &[],
    handle,
};

/// The creation date every lab resource reports.
const CREATED: &str = "2026-01-15T09:30:00Z";

fn handle(ctx: &Call<'_>) -> Result<String, AwsError> {
    let scenario = &ctx.world.scenario;
    let mut xml = Xml::default();
    match ctx.action {
        "GetRole" | "ListRolePolicies" | "GetRolePolicy" | "ListAttachedRolePolicies" => {
            let name = param(ctx, "RoleName", "roleName")?;
            let role = find_role(scenario, name, ctx)?;
            authorize(ctx, &scenario.arn_of(role), &format!("role {name}"))?;
            role_action(ctx, scenario, role, &mut xml)?;
        }
        _ => {
            let arn = param(ctx, "PolicyArn", "policyArn")?;
            authorize(ctx, arn, &format!("policy {arn}"))?;
            let policy = policy_by_arn(scenario, arn).ok_or_else(|| {
                AwsError::new(
                    404,
                    "NoSuchEntity",
                    format!("Policy {arn} does not exist or is not attachable."),
                )
            })?;
            if ctx.action == "GetPolicy" {
                let attached = scenario
                    .roles
                    .iter()
                    .filter(|r| r.managed.contains(&policy.name) || r.boundary.as_ref() == Some(&policy.name))
                    .count();
                xml.open("Policy")
                    .leaf("PolicyName", &policy.name)
                    .leaf(
                        "PolicyId",
                        &stable_unique_id("ANPA", &format!("{}/policy/{}", scenario.account, policy.name)),
                    )
                    .leaf("Arn", arn)
                    .leaf("Path", "/")
                    .leaf("DefaultVersionId", "v1")
                    .leaf("AttachmentCount", &attached.to_string())
                    .leaf("PermissionsBoundaryUsageCount", "0")
                    .leaf("IsAttachable", "true")
                    .leaf("CreateDate", CREATED)
                    .leaf("UpdateDate", CREATED)
                    .close("Policy");
            } else {
                let version = param(ctx, "VersionId", "versionId")?;
                if version != "v1" {
                    return Err(AwsError::new(
                        404,
                        "NoSuchEntity",
                        format!("Policy {arn} version {version} does not exist or is not attachable."),
                    ));
                }
                xml.open("PolicyVersion")
                    .leaf("Document", &url_encode(&policy.document))
                    .leaf("VersionId", "v1")
                    .leaf("IsDefaultVersion", "true")
                    .leaf("CreateDate", CREATED)
                    .close("PolicyVersion");
            }
        }
    }
    Ok(xml.finish())
}

fn role_action(ctx: &Call<'_>, scenario: &Scenario, role: &Role, xml: &mut Xml) -> Result<(), AwsError> {
    let account = scenario.account_of(role);
    match ctx.action {
        "GetRole" => {
            xml.open("Role")
                .leaf("Path", "/")
                .leaf("RoleName", &role.name)
                .leaf("RoleId", &role_id(&account, &role.name))
                .leaf("Arn", &scenario.arn_of(role))
                .leaf("CreateDate", CREATED)
                .leaf("AssumeRolePolicyDocument", &url_encode(&scenario.trust_of(role)))
                .leaf("MaxSessionDuration", &role.max_session_seconds.to_string());
            if let Some(boundary) = &role.boundary {
                xml.open("PermissionsBoundary")
                    .leaf("PermissionsBoundaryType", "Policy")
                    .leaf("PermissionsBoundaryArn", &format!("arn:aws:iam::{account}:policy/{boundary}"))
                    .close("PermissionsBoundary");
            }
            xml.close("Role");
        }
        "ListRolePolicies" => {
            xml.open("PolicyNames");
            for name in role.policies.keys() {
                xml.leaf("member", name);
            }
            xml.close("PolicyNames").leaf("IsTruncated", "false");
        }
        "GetRolePolicy" => {
            let name = param(ctx, "PolicyName", "policyName")?;
            let document = role.policies.get(name).ok_or_else(|| {
                AwsError::new(
                    404,
                    "NoSuchEntity",
                    format!("The role policy with name {name} cannot be found."),
                )
            })?;
            xml.leaf("RoleName", &role.name)
                .leaf("PolicyName", name)
                .leaf("PolicyDocument", &url_encode(document));
        }
        _ => {
            xml.open("AttachedPolicies");
            for name in &role.managed {
                xml.open("member")
                    .leaf("PolicyName", name)
                    .leaf("PolicyArn", &format!("arn:aws:iam::{account}:policy/{name}"))
                    .close("member");
            }
            xml.close("AttachedPolicies").leaf("IsTruncated", "false");
        }
    }
    Ok(())
}

/// A required parameter, or IAM's validation error for it.
fn param<'a>(ctx: &Call<'a>, name: &str, field: &str) -> Result<&'a str, AwsError> {
    ctx.params.get(name).ok_or_else(|| {
        AwsError::validation(format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

/// The role named `name` in the caller's account.
fn find_role<'s>(scenario: &'s Scenario, name: &str, ctx: &Call<'_>) -> Result<&'s Role, AwsError> {
    let account = ctx.caller.map_or(scenario.account.as_str(), |c| c.account.as_str());
    scenario.roles.iter().find(|r| r.name == name && scenario.account_of(r) == account).ok_or_else(|| {
        AwsError::new(404, "NoSuchEntity", format!("The role with name {name} cannot be found."))
    })
}

fn policy_by_arn<'s>(scenario: &'s Scenario, arn: &str) -> Option<&'s ManagedPolicy> {
    let name = arn.strip_prefix(&format!("arn:aws:iam::{}:policy/", scenario.account))?;
    scenario.managed_policy(name.rsplit('/').next()?)
}

/// IAM calls are allowed by the caller's identity policies alone; the denial names the
/// resource the way IAM does (`role NAME`, `policy ARN`) and why.
fn authorize(ctx: &Call<'_>, resource_arn: &str, resource_name: &str) -> Result<(), AwsError> {
    let caller = ctx.caller.ok_or_else(|| {
        AwsError::new(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
    })?;
    let action = format!("iam:{}", ctx.action);
    let scenario = &ctx.world.scenario;
    let ask = Ask {
        action: &action,
        resource: resource_arn,
        resource_account: &caller.account,
        resource_policy: None,
        context: Context::new(),
    };
    let why = match authz::decide(scenario, caller, ask).decision {
        Decision::Allow => return Ok(()),
        Decision::ExplicitDeny => "with an explicit deny in an identity-based policy",
        Decision::ImplicitDeny => &format!("because no identity-based policy allows the {action} action"),
    };
    Err(AwsError::new(
        403,
        "AccessDenied",
        format!(
            "User: {} is not authorized to perform: {action} on resource: {resource_name} {why}",
            caller.arn()
        ),
    ))
}

/// Percent-encoding as IAM applies it to policy documents (RFC 3986 unreserved characters kept).
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3 / 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
