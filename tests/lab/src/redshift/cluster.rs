//! Redshift's control plane for provisioned clusters (awsQuery, version `2012-12-01`):
//! `DescribeClusters` and `GetClusterCredentialsWithIAM`, each authorized on its resource ARN
//! before the cluster is looked up, as IAM sits in front of the service.

use connector_iam::Context;

use super::{
    MASTER_USER, authorize, cluster_address, cluster_arn, cluster_namespace_arn, db_user, dbname_arn,
    dbuser_arn, find_cluster,
};
use crate::aws::query::{AwsError, Xml};
use crate::aws::{Caller, Context as Call, QueryService};
use crate::clock;
use crate::scenario::Scenario;
use crate::scenario::redshift::Cluster;

/// Redshift behind the lab's AWS endpoint.
pub const SERVICE: QueryService = QueryService {
    name: "redshift",
    version: "2012-12-01",
    xmlns: "http://redshift.amazonaws.com/doc/2012-12-01/",
    actions: &["DescribeClusters", "GetClusterCredentials", "GetClusterCredentialsWithIAM"],
    unsigned: &[],
    handle,
};

/// `DurationSeconds` bounds and default of `GetClusterCredentialsWithIAM`.
const MIN_DURATION: i64 = 900;
const MAX_DURATION: i64 = 3600;

fn handle(ctx: &Call<'_>) -> Result<String, AwsError> {
    let caller = ctx.caller.ok_or_else(|| {
        AwsError::new(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
    })?;
    match ctx.action {
        "DescribeClusters" => describe_clusters(ctx, caller),
        "GetClusterCredentials" => get_cluster_credentials(ctx, caller),
        _ => get_cluster_credentials_with_iam(ctx, caller),
    }
}

fn denied(message: String) -> AwsError {
    AwsError::new(403, "AccessDenied", message)
}

fn not_found(id: &str) -> AwsError {
    AwsError::new(404, "ClusterNotFound", format!("Cluster {id} not found."))
}

fn describe_clusters(ctx: &Call<'_>, caller: &Caller) -> Result<String, AwsError> {
    let scenario = &ctx.world.scenario;
    let id = ctx.params.get("ClusterIdentifier").filter(|id| !id.is_empty());
    let resource = cluster_arn(scenario, id.unwrap_or("*"));
    authorize(scenario, caller, "redshift:DescribeClusters", &resource, Context::new()).map_err(denied)?;
    let clusters: Vec<&Cluster> = match id {
        Some(id) => vec![find_cluster(scenario, caller, id).ok_or_else(|| not_found(id))?],
        None => {
            scenario.redshift.iter().filter(|c| find_cluster(scenario, caller, &c.id).is_some()).collect()
        }
    };
    let mut xml = Xml::default();
    xml.open("Clusters");
    for cluster in clusters {
        write_cluster(&mut xml, scenario, cluster);
    }
    xml.close("Clusters");
    Ok(xml.finish())
}

/// `ClusterAvailabilityStatus` for a `ClusterStatus`.
fn availability(status: &str) -> &'static str {
    match status {
        "available" => "Available",
        "paused" => "Paused",
        "maintenance" => "Maintenance",
        "resizing" | "modifying" | "rebooting" | "renaming" | "updating-hsm" | "rotating-keys"
        | "cancelling-resize" => "Modifying",
        _ => "Unavailable",
    }
}

fn write_cluster(xml: &mut Xml, scenario: &Scenario, cluster: &Cluster) {
    let w = &cluster.warehouse;
    xml.open("Cluster")
        .leaf("ClusterIdentifier", &cluster.id)
        .leaf("NodeType", &cluster.node_type)
        .leaf("ClusterStatus", &cluster.status)
        .leaf("ClusterAvailabilityStatus", availability(&cluster.status))
        .leaf("MasterUsername", MASTER_USER)
        .leaf("DBName", w.default_database());
    // A cluster being created has no endpoint yet.
    if cluster.status != "creating" {
        xml.open("Endpoint")
            .leaf("Address", &cluster_address(scenario, &cluster.id))
            .leaf("Port", &w.port.to_string())
            .close("Endpoint");
    }
    xml.leaf("ClusterCreateTime", super::CREATED)
        .leaf("AutomatedSnapshotRetentionPeriod", "1")
        .leaf("ManualSnapshotRetentionPeriod", "-1")
        .open("ClusterSecurityGroups")
        .close("ClusterSecurityGroups")
        .open("VpcSecurityGroups");
    for group in &w.security_groups {
        xml.open("VpcSecurityGroup")
            .leaf("VpcSecurityGroupId", group)
            .leaf("Status", "active")
            .close("VpcSecurityGroup");
    }
    xml.close("VpcSecurityGroups")
        .leaf("ClusterSubnetGroupName", "default")
        .leaf("VpcId", &w.vpc_id)
        .leaf("AvailabilityZone", &format!("{}a", scenario.region))
        .leaf("ClusterVersion", "1.0")
        .leaf("AllowVersionUpgrade", "true")
        .leaf("NumberOfNodes", "2")
        .leaf("PubliclyAccessible", bool_text(w.publicly_accessible))
        .leaf("Encrypted", bool_text(w.encrypted))
        .leaf("EnhancedVpcRouting", "false")
        .leaf("MaintenanceTrackName", "current")
        .leaf("ClusterNamespaceArn", &cluster_namespace_arn(scenario, &cluster.id))
        .close("Cluster");
}

fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// The cluster id and session length of a credentials request.
fn cluster_and_duration<'p>(ctx: &'p Call<'_>) -> Result<(&'p str, i64), AwsError> {
    let Some(id) = ctx.params.get("ClusterIdentifier").filter(|id| !id.is_empty()) else {
        return Err(AwsError::new(
            400,
            "InvalidParameterCombination",
            "Either ClusterIdentifier or CustomDomainName must be specified.",
        ));
    };
    let duration = match ctx.params.get("DurationSeconds") {
        None => MIN_DURATION,
        Some(text) => {
            text.parse::<i64>().ok().filter(|d| (MIN_DURATION..=MAX_DURATION).contains(d)).ok_or_else(
                || {
                    AwsError::new(
                        400,
                        "InvalidParameterValue",
                        format!("DurationSeconds must be between {MIN_DURATION} and {MAX_DURATION}."),
                    )
                },
            )?
        }
    };
    Ok((id, duration))
}

/// `GetClusterCredentials`: a named database user's temporary password (the JDBC connectors'
/// way in). Authorized on the `dbuser` ARN and, when a database is named, on its `dbname` ARN.
fn get_cluster_credentials(ctx: &Call<'_>, caller: &Caller) -> Result<String, AwsError> {
    let world = ctx.world;
    let scenario = &world.scenario;
    let (id, duration) = cluster_and_duration(ctx)?;
    let Some(user) = ctx.params.get("DbUser").filter(|u| !u.is_empty()) else {
        return Err(AwsError::validation(
            "1 validation error detected: Value null at 'dbUser' failed to satisfy constraint: Member must not be null",
        ));
    };
    let action = "redshift:GetClusterCredentials";
    authorize(scenario, caller, action, &dbuser_arn(scenario, id, user), Context::new()).map_err(denied)?;
    if let Some(db) = ctx.params.get("DbName").filter(|d| !d.is_empty()) {
        authorize(scenario, caller, action, &dbname_arn(scenario, id, db), Context::new()).map_err(denied)?;
    }
    find_cluster(scenario, caller, id).ok_or_else(|| not_found(id))?;
    let expires = clock::now() + duration;
    let mut xml = Xml::default();
    xml.leaf("DbUser", &format!("IAM:{user}"))
        .leaf("DbPassword", &password(world))
        .leaf("Expiration", &clock::iso8601(expires));
    Ok(xml.finish())
}

fn get_cluster_credentials_with_iam(ctx: &Call<'_>, caller: &Caller) -> Result<String, AwsError> {
    let world = ctx.world;
    let scenario = &world.scenario;
    let (id, duration) = cluster_and_duration(ctx)?;
    let cluster = find_cluster(scenario, caller, id);
    let database = match (ctx.params.get("DbName"), cluster) {
        (Some(db), _) if !db.is_empty() => db.to_owned(),
        (_, Some(cluster)) => cluster.warehouse.default_database().to_owned(),
        (_, None) => "dev".to_owned(),
    };
    let resource = dbname_arn(scenario, id, &database);
    authorize(scenario, caller, "redshift:GetClusterCredentialsWithIAM", &resource, Context::new())
        .map_err(denied)?;
    cluster.ok_or_else(|| not_found(id))?;
    let expires = clock::now() + duration;
    let mut xml = Xml::default();
    xml.leaf("DbUser", &db_user(&caller.identity))
        .leaf("DbPassword", &password(world))
        .leaf("Expiration", &clock::iso8601(expires))
        .leaf("NextRefreshTime", &clock::iso8601(expires));
    Ok(xml.finish())
}

/// A made-up temporary database password, shaped like Redshift's (long, base64 alphabet).
pub fn password(world: &crate::world::World) -> String {
    format!("{}{}==", world.ids.secret_access_key(), world.ids.secret_access_key())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_follows_status() {
        assert_eq!(availability("available"), "Available");
        assert_eq!(availability("paused"), "Paused");
        assert_eq!(availability("resizing"), "Modifying");
        assert_eq!(availability("creating"), "Unavailable");
    }
}
