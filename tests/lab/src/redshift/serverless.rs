//! Redshift Serverless (awsJson 1.1, `RedshiftServerless.<Action>`): `GetWorkgroup` and
//! `GetCredentials`. A workgroup's ARN holds its ID, which only exists for a workgroup that
//! exists, so the workgroup is looked up before the call is authorized on that ARN.

use connector_iam::Context;
use serde_json::{Value, json};

use super::{authorize, db_user, find_workgroup, workgroup_address, workgroup_arn, workgroup_id};
use crate::aws::json::{self, Context as Call, JsonError, JsonService};
use crate::clock;
use crate::scenario::Scenario;
use crate::scenario::redshift::Workgroup;

/// Redshift Serverless behind the lab's AWS endpoint.
pub const SERVICE: JsonService = JsonService {
    name: "redshift-serverless",
    target_prefix: "RedshiftServerless",
    message_key: "message",
    actions: &["GetWorkgroup", "GetCredentials"],
    handle,
};

/// `durationSeconds` bounds and default of `GetCredentials`.
const MIN_DURATION: i64 = 900;
const MAX_DURATION: i64 = 3600;

/// The capacity every lab workgroup reports, in RPUs.
const BASE_CAPACITY: i64 = 128;

fn handle(ctx: &Call<'_>) -> Result<Value, JsonError> {
    let scenario = &ctx.world.scenario;
    let name = json::req_str(ctx.input, "workgroupName", "workgroupName")?;
    let workgroup = find_workgroup(scenario, ctx.caller, name).ok_or_else(|| not_found(name))?;
    let arn = workgroup_arn(scenario, name);
    let action = format!("redshift-serverless:{}", ctx.action);
    authorize(scenario, ctx.caller, &action, &arn, Context::new()).map_err(JsonError::access_denied)?;
    match ctx.action {
        "GetWorkgroup" => Ok(json!({ "workgroup": describe(scenario, workgroup) })),
        _ => {
            let duration = json::opt_i64(ctx.input, "durationSeconds")?.unwrap_or(MIN_DURATION);
            if !(MIN_DURATION..=MAX_DURATION).contains(&duration) {
                return Err(JsonError::validation(format!(
                    "durationSeconds must be between {MIN_DURATION} and {MAX_DURATION}."
                )));
            }
            let expires = clock::now() + duration;
            Ok(json!({
                "dbUser": db_user(&ctx.caller.identity),
                "dbPassword": super::cluster::password(ctx.world),
                "expiration": expires,
                "nextRefreshTime": expires,
            }))
        }
    }
}

/// Serverless' error for a workgroup that does not exist.
pub fn not_found(name: &str) -> JsonError {
    JsonError::new(400, "ResourceNotFoundException", format!("Workgroup {name} not found."))
}

/// The `workgroup` object `GetWorkgroup` answers with.
fn describe(scenario: &Scenario, workgroup: &Workgroup) -> Value {
    let w = &workgroup.warehouse;
    let subnets: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|zone| {
            let id = crate::ids::stable_uuid(&format!("{}/{}/subnet/{zone}", w.vpc_id, workgroup.name));
            format!("subnet-{}", id.replace('-', "").get(..17).unwrap_or_default())
        })
        .collect();
    json!({
        "workgroupName": workgroup.name,
        "workgroupId": workgroup_id(scenario, &workgroup.name),
        "workgroupArn": workgroup_arn(scenario, &workgroup.name),
        "namespaceName": workgroup.namespace(),
        "status": workgroup.status,
        "baseCapacity": BASE_CAPACITY,
        "enhancedVpcRouting": false,
        "endpoint": {
            "address": workgroup_address(scenario, &workgroup.name),
            "port": w.port,
        },
        "port": w.port,
        "securityGroupIds": w.security_groups,
        "subnetIds": subnets,
        "publiclyAccessible": w.publicly_accessible,
        "creationDate": super::CREATED,
    })
}
