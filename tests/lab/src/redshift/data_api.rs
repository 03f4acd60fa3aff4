//! The Redshift Data API (awsJson 1.1, `RedshiftData.<Action>`): `ExecuteStatement`,
//! `DescribeStatement`, `GetStatementResult` and `CancelStatement`.
//!
//! `ExecuteStatement` is authorized twice, as AWS does: `redshift-data:ExecuteStatement` on
//! the cluster or workgroup, then the credentials the Data API fetches on the caller's behalf
//! (`redshift:GetClusterCredentialsWithIAM` on the database, or
//! `redshift-serverless:GetCredentials` on the workgroup, when neither `DbUser` nor
//! `SecretArn` is given). The calls that follow a statement are authorized on `*` with the
//! statement's owner in `redshift-data:statement-owner-iam-userid`, so that the managed
//! policies' condition against `${aws:userid}` holds only for the session that submitted it.

use std::sync::Arc;
use std::time::Duration;

use connector_iam::Context;
use serde_json::{Map, Value, json};

use super::statements::{self, Behaviour, Executor, Outcome, PgExecutor, Record, Refuse, Statement};
use super::{
    StatementStatus, Target, authorize, cluster_arn, db_user, dbname_arn, dbuser_arn, find_cluster,
    find_workgroup, workgroup_arn,
};
use crate::aws::json::{self, Context as Call, JsonError, JsonService};
use crate::scenario::Scenario;
use crate::scenario::redshift::Warehouse;

/// The Data API behind the lab's AWS endpoint.
pub const SERVICE: JsonService = JsonService {
    name: "redshift-data",
    target_prefix: "RedshiftData",
    message_key: "Message",
    actions: &["ExecuteStatement", "DescribeStatement", "GetStatementResult", "CancelStatement"],
    handle,
};

/// The context key the Data API sets to the `aws:userid` of a statement's submitter.
pub const OWNER_KEY: &str = "redshift-data:statement-owner-iam-userid";

fn handle(ctx: &Call<'_>) -> Result<Value, JsonError> {
    match ctx.action {
        "ExecuteStatement" => execute(ctx),
        "DescribeStatement" => describe(&owned(ctx)?),
        "GetStatementResult" => result(ctx, &owned(ctx)?),
        _ => cancel(ctx, &owned(ctx)?),
    }
}

fn execute(ctx: &Call<'_>) -> Result<Value, JsonError> {
    let world = ctx.world;
    let scenario = &world.scenario;
    let caller = ctx.caller;
    let input = ctx.input;
    let sql = json::req_str(input, "Sql", "sql")?;
    let database = json::req_str(input, "Database", "database")?;
    let named_user = json::opt_str(input, "DbUser")?;
    let secret = json::opt_str(input, "SecretArn")?;
    let params = parameters(input)?;
    let cluster_id = json::opt_str(input, "ClusterIdentifier")?;
    let workgroup_name = json::opt_str(input, "WorkgroupName")?;
    let no_endpoint = || JsonError::validation("Redshift endpoint doesn't exist in this region.");
    let denied = JsonError::access_denied;

    // The workgroup's ARN holds its ID, so it is looked up first; a cluster's ARN is its name.
    let (target, resource) = match (cluster_id, workgroup_name) {
        (Some(id), None) => {
            let arn = cluster_arn(scenario, id);
            authorize(scenario, caller, "redshift-data:ExecuteStatement", &arn, Context::new())
                .map_err(denied)?;
            (Target::Cluster(find_cluster(scenario, caller, id).ok_or_else(no_endpoint)?), arn)
        }
        (None, Some(name)) => {
            let workgroup = find_workgroup(scenario, caller, name).ok_or_else(no_endpoint)?;
            let arn = workgroup_arn(scenario, name);
            authorize(scenario, caller, "redshift-data:ExecuteStatement", &arn, Context::new())
                .map_err(denied)?;
            (Target::Workgroup(workgroup), arn)
        }
        _ => {
            return Err(JsonError::validation(
                "Either ClusterIdentifier or WorkgroupName must be specified, but not both.",
            ));
        }
    };
    if let Some(status) = target.unavailable() {
        let what = match target {
            Target::Cluster(c) => format!("Cluster {}", c.id),
            Target::Workgroup(w) => format!("Workgroup {}", w.name),
        };
        return Err(JsonError::validation(format!(
            "{what} is not available for queries: its status is {status}."
        )));
    }
    if secret.is_some() {
        return Err(JsonError::validation(
            "SecretArn is not supported by the lab (it has no Secrets Manager); use temporary credentials.",
        ));
    }
    let user = match (target, named_user) {
        (Target::Cluster(c), None) => {
            let arn = dbname_arn(scenario, &c.id, database);
            authorize(scenario, caller, "redshift:GetClusterCredentialsWithIAM", &arn, Context::new())
                .map_err(denied)?;
            db_user(&caller.identity)
        }
        (Target::Cluster(c), Some(user)) => {
            let arn = dbuser_arn(scenario, &c.id, user);
            authorize(scenario, caller, "redshift:GetClusterCredentials", &arn, Context::new())
                .map_err(denied)?;
            user.to_owned()
        }
        (Target::Workgroup(_), None) => {
            authorize(scenario, caller, "redshift-serverless:GetCredentials", &resource, Context::new())
                .map_err(denied)?;
            db_user(&caller.identity)
        }
        (Target::Workgroup(_), Some(_)) => {
            return Err(JsonError::validation("DbUser is not supported for Redshift Serverless workgroups."));
        }
    };

    let id = world.ids.request_id();
    let statement = Statement {
        id: id.clone(),
        sql: sql.to_owned(),
        database: database.to_owned(),
        db_user: user.clone(),
        cluster: cluster_id.map(str::to_owned),
        workgroup: workgroup_name.map(str::to_owned),
        owner: caller.identity.user_id(&caller.account),
        status: StatementStatus::Submitted,
        error: None,
        cancelled: false,
    };
    let record = Record::new(statement, params.clone());
    let created_at = record.created_at;
    let store = Arc::clone(&world.statements);
    let cancel = store.add(record);
    let warehouse = target.warehouse();
    let behaviour = Behaviour {
        delay: Duration::from_millis(warehouse.statement_delay_ms),
        hang: warehouse.statement_hang,
    };
    let executor: Box<dyn Executor> = match world.postgres() {
        // All clusters and workgroups share the one server: what belongs to another one must
        // not be found on this one.
        _ if !warehouse.databases.iter().any(|d| d == database) => {
            Box::new(Refuse(format!("FATAL: database \"{database}\" does not exist")))
        }
        _ if elsewhere(scenario, warehouse, &user) => {
            Box::new(Refuse(format!("FATAL: user \"{user}\" does not exist")))
        }
        Some(server) => Box::new(PgExecutor::new(server.config(&user, database))),
        None => Box::new(Refuse("FATAL: the lab has no database server".to_owned())),
    };
    let bound = statements::bind(sql, &params);
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn(statements::drive(store, id.clone(), behaviour, executor, bound, cancel));
        }
        // Only a world driven without the lab's runtime (a unit test) gets here.
        Err(_) => store.finish(&id, Outcome::Failed("FATAL: the lab's runtime is not running".to_owned())),
    }

    let mut reply = Map::new();
    reply.insert("Id".into(), Value::from(id));
    match target {
        Target::Cluster(c) => reply.insert("ClusterIdentifier".into(), Value::from(c.id.as_str())),
        Target::Workgroup(w) => reply.insert("WorkgroupName".into(), Value::from(w.name.as_str())),
    };
    reply.insert("CreatedAt".into(), Value::from(created_at));
    reply.insert("Database".into(), Value::from(database));
    reply.insert("DbUser".into(), Value::from(user));
    Ok(Value::Object(reply))
}

/// Whether `user` is not a user of `warehouse` but of another cluster or workgroup (so that
/// the shared server has it).
fn elsewhere(scenario: &Scenario, warehouse: &Warehouse, user: &str) -> bool {
    let declared = |w: &Warehouse| w.users.iter().any(|u| u.name == user);
    let all = scenario
        .redshift
        .iter()
        .map(|c| &c.warehouse)
        .chain(scenario.workgroups.iter().map(|w| &w.warehouse));
    !declared(warehouse) && all.into_iter().any(declared)
}

/// `Parameters`: `[{"name": …, "value": …}]`.
fn parameters(input: &Map<String, Value>) -> Result<Vec<(String, String)>, JsonError> {
    let Some(list) = input.get("Parameters").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let malformed =
        || JsonError::new(400, "SerializationException", "Parameters must be a list of {name, value}");
    let list = list.as_array().ok_or_else(malformed)?;
    list.iter()
        .map(|p| {
            let name = p.get("name").and_then(Value::as_str).ok_or_else(malformed)?;
            let value = p.get("value").and_then(Value::as_str).ok_or_else(malformed)?;
            Ok((name.to_owned(), value.to_owned()))
        })
        .collect()
}

/// The pattern a statement ID must match.
const ID_PATTERN: &str = r"^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\d+)?$";

fn valid_id(id: &str) -> bool {
    let (uuid, suffix) = match id.split_once(':') {
        Some((uuid, n)) => (uuid, Some(n)),
        None => (id, None),
    };
    let groups: Vec<&str> = uuid.split('-').collect();
    let lengths = groups.iter().map(|g| g.len()).collect::<Vec<_>>();
    lengths == [8, 4, 4, 4, 12]
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && suffix.is_none_or(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The statement named by `Id`, once the caller is allowed the action on it.
fn owned(ctx: &Call<'_>) -> Result<Record, JsonError> {
    let id = json::req_str(ctx.input, "Id", "id")?;
    if !valid_id(id) {
        return Err(JsonError::validation(format!(
            "1 validation error detected: Value '{id}' at 'id' failed to satisfy constraint: Member must satisfy regular expression pattern: {ID_PATTERN}"
        )));
    }
    let record = ctx.world.statements.get(id).ok_or_else(|| {
        JsonError::new(400, "ResourceNotFoundException", "Query does not exist.").with_field("ResourceId", id)
    })?;
    let mut context = Context::new();
    context.set(OWNER_KEY, record.statement.owner.as_str());
    let action = format!("redshift-data:{}", ctx.action);
    authorize(&ctx.world.scenario, ctx.caller, &action, "*", context).map_err(JsonError::access_denied)?;
    Ok(record)
}

fn describe(record: &Record) -> Result<Value, JsonError> {
    let s = &record.statement;
    let done = s.status.is_final();
    let mut reply = Map::new();
    reply.insert("Id".into(), Value::from(s.id.as_str()));
    reply.insert("Status".into(), Value::from(s.status.as_str()));
    reply.insert("QueryString".into(), Value::from(s.sql.as_str()));
    reply.insert("CreatedAt".into(), Value::from(record.created_at));
    reply.insert("UpdatedAt".into(), Value::from(record.updated_at));
    reply.insert("Duration".into(), Value::from(if done { record.duration_ns } else { -1 }));
    if let Some(error) = &s.error {
        reply.insert("Error".into(), Value::from(error.as_str()));
    }
    let result = record.result.as_deref();
    reply.insert("HasResultSet".into(), Value::from(result.is_some_and(|r| r.has_result_set())));
    let (rows, size) = match result {
        Some(r) if r.has_result_set() => (i64::try_from(r.rows.len()).unwrap_or(i64::MAX), r.size),
        Some(r) => (i64::try_from(r.affected).unwrap_or(i64::MAX), 0),
        None => (-1, -1),
    };
    reply.insert("ResultRows".into(), Value::from(rows));
    reply.insert("ResultSize".into(), Value::from(size));
    reply.insert("RedshiftPid".into(), Value::from(record.pid));
    reply.insert("RedshiftQueryId".into(), Value::from(record.query_id));
    if let Some(cluster) = &s.cluster {
        reply.insert("ClusterIdentifier".into(), Value::from(cluster.as_str()));
    }
    if let Some(workgroup) = &s.workgroup {
        reply.insert("WorkgroupName".into(), Value::from(workgroup.as_str()));
    }
    reply.insert("Database".into(), Value::from(s.database.as_str()));
    reply.insert("DbUser".into(), Value::from(s.db_user.as_str()));
    if !record.params.is_empty() {
        let params: Vec<Value> = record.params.iter().map(|(n, v)| json!({"name": n, "value": v})).collect();
        reply.insert("QueryParameters".into(), Value::Array(params));
    }
    reply.insert("ResultFormat".into(), Value::from("JSON"));
    Ok(Value::Object(reply))
}

fn result(ctx: &Call<'_>, record: &Record) -> Result<Value, JsonError> {
    if json::opt_str(ctx.input, "NextToken")?.is_some_and(|t| !t.is_empty()) {
        return Err(JsonError::validation("The NextToken is not valid for this query."));
    }
    let result = record
        .result
        .as_deref()
        .filter(|r| record.statement.status == StatementStatus::Finished && r.has_result_set())
        .ok_or_else(|| {
            JsonError::validation(
                "Query does not have result. Please check query status with DescribeStatement.",
            )
        })?;
    let records: Vec<Value> = result
        .rows
        .iter()
        .map(|row| Value::Array(row.iter().map(statements::Field::to_json).collect()))
        .collect();
    Ok(json!({
        "Records": records,
        "ColumnMetadata": statements::column_metadata(&result.columns),
        "TotalNumRows": result.rows.len(),
    }))
}

fn cancel(ctx: &Call<'_>, record: &Record) -> Result<Value, JsonError> {
    match ctx.world.statements.cancel(&record.statement.id) {
        Ok(()) => Ok(json!({ "Status": true })),
        Err(status) => Err(JsonError::validation(format!(
            "Could not cancel a query that is already in {} state.",
            status.as_str()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_ids_follow_the_pattern() {
        assert!(valid_id("d9b6c0c9-0747-4bf4-b142-e8883122f766"));
        assert!(valid_id("d9b6c0c9-0747-4bf4-b142-e8883122f766:2"));
        assert!(!valid_id("D9B6C0C9-0747-4bf4-b142-e8883122f766"));
        assert!(!valid_id("d9b6c0c9-0747-4bf4-b142"));
        assert!(!valid_id("d9b6c0c9-0747-4bf4-b142-e8883122f766:"));
        assert!(!valid_id(""));
    }

    #[test]
    fn parameters_are_name_value_pairs() {
        let input = json!({"Parameters": [{"name": "s", "value": "public"}]});
        let map = input.as_object().unwrap();
        assert_eq!(parameters(map).unwrap(), [("s".to_owned(), "public".to_owned())]);
        let bad = json!({"Parameters": [{"name": "s"}]});
        assert_eq!(parameters(bad.as_object().unwrap()).unwrap_err().code, "SerializationException");
    }
}
