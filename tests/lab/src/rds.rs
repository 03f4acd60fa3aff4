//! Amazon RDS behind the lab's AWS endpoint: the three read calls the doctor makes to find a
//! database and judge its IAM auth settings (`DescribeDBInstances`, `DescribeDBClusters`,
//! `DescribeDBProxies`), answered from the scenario's `[[rds]]` entries in RDS's awsQuery
//! format (API version 2014-10-31), with RDS's element names, fault codes and texts.
//!
//! Each call is authorized like in AWS, by the caller's identity policies against the
//! resource's ARN (`…:db:*` when the call names none). Resources live in the scenario's region
//! only: a call signed for another region finds nothing, as it would in AWS.
//!
//! The login side of the same entries (TLS, IAM auth tokens, the real PostgreSQL server) is in
//! `front`; the token check, with the lab's own SigV4, is in `token`.

pub mod front;
pub mod token;

use connector_iam::{Context, Decision};

use crate::authz::{self, Ask};
use crate::aws::query::{AwsError, Xml};
use crate::aws::{Caller, Context as Call, QueryService};
use crate::scenario::Scenario;
use crate::scenario::rds::{self as spec, MASTER_USER, Rds, RdsKind};

/// RDS behind the lab's AWS endpoint.
pub const SERVICE: QueryService = QueryService {
    name: "rds",
    version: "2014-10-31",
    xmlns: "http://rds.amazonaws.com/doc/2014-10-31/",
    actions: &["DescribeDBInstances", "DescribeDBClusters", "DescribeDBProxies"],
    unsigned: &[],
    handle,
};

/// The creation date every lab resource reports.
const CREATED: &str = "2026-01-15T09:30:00Z";

fn handle(ctx: &Call<'_>) -> Result<String, AwsError> {
    let caller = ctx.caller.ok_or_else(|| {
        AwsError::new(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
    })?;
    let kind = match ctx.action {
        "DescribeDBInstances" => RdsKind::Instance,
        "DescribeDBClusters" => RdsKind::Cluster,
        _ => RdsKind::Proxy,
    };
    let scenario = &ctx.world.scenario;
    let (region, account) = (scenario.region.as_str(), scenario.account.as_str());
    let (param, arn_kind) = match kind {
        RdsKind::Instance => ("DBInstanceIdentifier", "db"),
        RdsKind::Cluster => ("DBClusterIdentifier", "cluster"),
        RdsKind::Proxy => ("DBProxyName", "db-proxy"),
    };
    // RDS accepts an instance's or cluster's ARN where it takes its identifier.
    let wanted = ctx.params.get(param).filter(|v| !v.is_empty()).map(|v| {
        let prefix = format!("arn:aws:rds:{region}:{account}:{arn_kind}:");
        v.strip_prefix(&prefix).filter(|_| kind != RdsKind::Proxy).unwrap_or(v)
    });
    if let Some(id) = wanted {
        check_identifier(param, id)?;
    }
    let filters = filters(ctx, kind)?;
    // Resources exist in the scenario's region; a call to any other region finds none.
    let here = caller.region == scenario.region;
    let candidates: Vec<&Rds> = scenario.rds.iter().filter(|r| here && r.kind == kind).collect();
    let resource = match wanted {
        Some(id) => match candidates.iter().find(|r| r.id.eq_ignore_ascii_case(id)) {
            Some(r) => r.arn(account, region),
            // A proxy's ARN holds its resource ID, which a missing proxy does not have.
            None if kind == RdsKind::Proxy => format!("arn:aws:rds:{region}:{account}:db-proxy:*"),
            None => format!("arn:aws:rds:{region}:{account}:{arn_kind}:{}", id.to_ascii_lowercase()),
        },
        None => format!("arn:aws:rds:{region}:{account}:{arn_kind}:*"),
    };
    authorize(ctx, caller, &resource)?;
    let found: Vec<&Rds> = candidates
        .into_iter()
        .filter(|r| wanted.is_none_or(|id| r.id.eq_ignore_ascii_case(id)))
        .filter(|r| filters.iter().all(|f| f.matches(r, scenario)))
        .collect();
    if let Some(id) = wanted
        && found.is_empty()
    {
        return Err(match kind {
            RdsKind::Instance => {
                AwsError::new(404, "DBInstanceNotFound", format!("DBInstance {id} not found."))
            }
            RdsKind::Cluster => {
                AwsError::new(404, "DBClusterNotFoundFault", format!("DBCluster {id} not found."))
            }
            RdsKind::Proxy => {
                AwsError::new(404, "DBProxyNotFoundFault", format!("DBProxy {id} is not found."))
            }
        });
    }
    let version = engine_version(ctx);
    let mut xml = Xml::default();
    match kind {
        RdsKind::Instance => {
            xml.open("DBInstances");
            for rds in found {
                instance(&mut xml, rds, scenario, &version);
            }
            xml.close("DBInstances");
        }
        RdsKind::Cluster => {
            xml.open("DBClusters");
            for rds in found {
                cluster(&mut xml, rds, scenario, &version);
            }
            xml.close("DBClusters");
        }
        RdsKind::Proxy => {
            xml.open("DBProxies");
            for rds in found {
                proxy(&mut xml, rds, scenario);
            }
            xml.close("DBProxies");
        }
    }
    Ok(xml.finish())
}

fn instance(xml: &mut Xml, rds: &Rds, scenario: &Scenario, version: &str) {
    let (region, account) = (scenario.region.as_str(), scenario.account.as_str());
    xml.open("DBInstance")
        .leaf("DBInstanceIdentifier", &rds.id)
        .leaf("DBInstanceClass", "db.t4g.medium")
        .leaf("Engine", rds.engine())
        .leaf("DBInstanceStatus", &rds.status)
        .leaf("MasterUsername", MASTER_USER)
        .leaf("DBName", &rds.databases[0])
        .open("Endpoint")
        .leaf("Address", &rds.address(account, region))
        .leaf("Port", &rds.port.to_string())
        .leaf("HostedZoneId", &hosted_zone(region))
        .close("Endpoint")
        .leaf("AllocatedStorage", "20")
        .leaf("InstanceCreateTime", CREATED)
        .leaf("BackupRetentionPeriod", "7");
    security_groups(xml, rds);
    xml.leaf("AvailabilityZone", &format!("{region}a"))
        .leaf("MultiAZ", "false")
        .leaf("EngineVersion", version)
        .leaf("AutoMinorVersionUpgrade", "true")
        .leaf("LicenseModel", "postgresql-license")
        .leaf("PubliclyAccessible", "false")
        .leaf("StorageType", "gp3")
        .leaf("DbInstancePort", "0")
        .leaf("StorageEncrypted", "true")
        .leaf("DbiResourceId", &rds.resource_id(account, region))
        .leaf("CACertificateIdentifier", "rds-ca-rsa2048-g1")
        .leaf("DBInstanceArn", &rds.arn(account, region))
        .leaf("IAMDatabaseAuthenticationEnabled", bool_text(rds.iam_auth))
        .leaf("PerformanceInsightsEnabled", "false")
        .leaf("DeletionProtection", "false")
        .leaf("NetworkType", "IPV4")
        .close("DBInstance");
}

fn cluster(xml: &mut Xml, rds: &Rds, scenario: &Scenario, version: &str) {
    let (region, account) = (scenario.region.as_str(), scenario.account.as_str());
    xml.open("DBCluster")
        .leaf("AllocatedStorage", "1")
        .open("AvailabilityZones")
        .leaf("AvailabilityZone", &format!("{region}a"))
        .leaf("AvailabilityZone", &format!("{region}b"))
        .close("AvailabilityZones")
        .leaf("BackupRetentionPeriod", "7")
        .leaf("DatabaseName", &rds.databases[0])
        .leaf("DBClusterIdentifier", &rds.id)
        .leaf("Status", &rds.status)
        .leaf("Endpoint", &rds.address(account, region))
        .leaf("ReaderEndpoint", &rds.reader_address(account, region))
        .leaf("MultiAZ", "false")
        .leaf("Engine", rds.engine())
        .leaf("EngineVersion", version)
        .leaf("Port", &rds.port.to_string())
        .leaf("MasterUsername", MASTER_USER)
        .open("DBClusterMembers")
        .close("DBClusterMembers");
    security_groups(xml, rds);
    xml.leaf("HostedZoneId", &hosted_zone(region))
        .leaf("StorageEncrypted", "true")
        .leaf("DbClusterResourceId", &rds.resource_id(account, region))
        .leaf("DBClusterArn", &rds.arn(account, region))
        .leaf("IAMDatabaseAuthenticationEnabled", bool_text(rds.iam_auth))
        .leaf("ClusterCreateTime", CREATED)
        .leaf("EngineMode", "provisioned")
        .leaf("DeletionProtection", "false")
        .leaf("HttpEndpointEnabled", "false")
        .leaf("CopyTagsToSnapshot", "false")
        .leaf("CrossAccountClone", "false")
        .leaf("NetworkType", "IPV4")
        .close("DBCluster");
}

fn proxy(xml: &mut Xml, rds: &Rds, scenario: &Scenario) {
    let (region, account) = (scenario.region.as_str(), scenario.account.as_str());
    let seed = format!("{account}/{region}/proxy/{}", rds.id);
    let vpc = format!("vpc-{}", spec::stable_chars(spec::HEX, 17, &format!("{account}/{region}/vpc")));
    xml.open("member")
        .leaf("DBProxyName", &rds.id)
        .leaf("DBProxyArn", &rds.arn(account, region))
        .leaf("Status", &rds.status)
        .leaf("EngineFamily", "POSTGRESQL")
        .leaf("VpcId", &vpc)
        .open("VpcSecurityGroupIds");
    for group in &rds.security_groups {
        xml.leaf("member", group);
    }
    xml.close("VpcSecurityGroupIds").open("VpcSubnetIds");
    for zone in ["a", "b"] {
        let subnet = spec::stable_chars(spec::HEX, 17, &format!("{account}/{region}{zone}/subnet"));
        xml.leaf("member", &format!("subnet-{subnet}"));
    }
    let secret_suffix = spec::stable_chars(spec::BASE32_UPPER, 6, &seed);
    xml.close("VpcSubnetIds")
        .leaf("DefaultAuthScheme", "NONE")
        .open("Auth")
        .open("member")
        .leaf("AuthScheme", "SECRETS")
        .leaf(
            "SecretArn",
            &format!(
                "arn:aws:secretsmanager:{region}:{account}:secret:{}-credentials-{secret_suffix}",
                rds.id
            ),
        )
        .leaf("IAMAuth", if rds.iam_auth { "REQUIRED" } else { "DISABLED" })
        .leaf("ClientPasswordAuthType", "POSTGRES_SCRAM_SHA_256")
        .close("member")
        .close("Auth")
        .leaf("RoleArn", &format!("arn:aws:iam::{account}:role/{}-proxy-secrets", rds.id))
        .leaf("Endpoint", &rds.address(account, region))
        .leaf("RequireTLS", "true")
        .leaf("IdleClientTimeout", "1800")
        .leaf("DebugLogging", "false")
        .leaf("CreatedDate", CREATED)
        .leaf("UpdatedDate", CREATED)
        .leaf("EndpointNetworkType", "IPV4")
        .leaf("TargetConnectionNetworkType", "IPV4")
        .close("member");
}

fn security_groups(xml: &mut Xml, rds: &Rds) {
    xml.open("VpcSecurityGroups");
    for group in &rds.security_groups {
        xml.open("VpcSecurityGroupMembership")
            .leaf("VpcSecurityGroupId", group)
            .leaf("Status", "active")
            .close("VpcSecurityGroupMembership");
    }
    xml.close("VpcSecurityGroups");
}

fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// The Route 53 zone RDS endpoints of a region live in.
fn hosted_zone(region: &str) -> String {
    format!("Z{}", spec::stable_chars(spec::BASE32_UPPER, 13, &format!("zone/{region}")))
}

/// The real server's version (`15.18` of `15.18 (Debian …)`), as RDS reports `EngineVersion`.
fn engine_version(ctx: &Call<'_>) -> String {
    ctx.world
        .postgres()
        .and_then(|pg| pg.version().split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "16.4".to_owned())
}

/// RDS's validation of an identifier parameter.
fn check_identifier(param: &str, id: &str) -> Result<(), AwsError> {
    let valid = id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !id.ends_with('-')
        && !id.contains("--");
    if valid {
        return Ok(());
    }
    Err(AwsError::new(
        400,
        "InvalidParameterValue",
        format!(
            "The parameter {param} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens."
        ),
    ))
}

/// One `Filters.Filter.N` of a describe call.
#[derive(Debug)]
struct Filter {
    name: String,
    values: Vec<String>,
}

impl Filter {
    fn matches(&self, rds: &Rds, scenario: &Scenario) -> bool {
        let (region, account) = (scenario.region.as_str(), scenario.account.as_str());
        let candidates: Vec<String> = match self.name.as_str() {
            "db-instance-id" | "db-cluster-id" => vec![rds.id.clone(), rds.arn(account, region)],
            "dbi-resource-id" | "db-cluster-resource-id" => vec![rds.resource_id(account, region)],
            "engine" => vec![rds.engine().to_owned()],
            _ => Vec::new(),
        };
        self.values.iter().any(|v| candidates.iter().any(|c| c.eq_ignore_ascii_case(v)))
    }
}

/// The `Filters` parameter (`Filters.Filter.1.Name`, `Filters.Filter.1.Values.Value.1`, …).
fn filters(ctx: &Call<'_>, kind: RdsKind) -> Result<Vec<Filter>, AwsError> {
    let known: &[&str] = match kind {
        RdsKind::Instance => &["db-instance-id", "dbi-resource-id", "engine"],
        RdsKind::Cluster => &["db-cluster-id", "db-cluster-resource-id", "engine"],
        RdsKind::Proxy => &[],
    };
    let mut out = Vec::new();
    for n in 1.. {
        let Some(name) = ctx.params.get(&format!("Filters.Filter.{n}.Name")) else { break };
        if !known.contains(&name) {
            return Err(AwsError::new(
                400,
                "InvalidParameterValue",
                format!("Unrecognized filter name: {name}"),
            ));
        }
        let values: Vec<String> = (1..)
            .map_while(|m| ctx.params.get(&format!("Filters.Filter.{n}.Values.Value.{m}")))
            .map(str::to_owned)
            .collect();
        out.push(Filter { name: name.to_owned(), values });
    }
    Ok(out)
}

/// RDS calls are allowed by the caller's identity policies; the denial is RDS's wording.
fn authorize(ctx: &Call<'_>, caller: &Caller, resource: &str) -> Result<(), AwsError> {
    let action = format!("rds:{}", ctx.action);
    let ask = Ask {
        action: &action,
        resource,
        resource_account: &ctx.world.scenario.account,
        resource_policy: None,
        context: Context::new(),
    };
    let why = match authz::decide(&ctx.world.scenario, caller, ask).decision {
        Decision::Allow => return Ok(()),
        Decision::ExplicitDeny => "with an explicit deny in an identity-based policy".to_owned(),
        Decision::ImplicitDeny => format!("because no identity-based policy allows the {action} action"),
    };
    Err(AwsError::new(
        403,
        "AccessDenied",
        format!(
            "User: {} is not authorized to perform: {action} on resource: {resource} {why}",
            caller.arn()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::query::Params;
    use crate::exchange::Request;
    use crate::world::{Identity, Session, World};

    const WORLD: &str = r#"
[[role]]
name = "reader"
policies = { rds = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds:Describe*","Resource":"*"}]}' }

[[rds]]
id = "app-db"
security_groups = ["sg-0123456789abcdef0"]

[[rds]]
id = "app-aurora"
type = "cluster"
iam_auth = false

[[rds]]
id = "app-proxy"
type = "proxy"
targets = ["app-db"]
"#;

    fn call(world: &World, role: &str, region: &str, body: &str) -> Result<String, AwsError> {
        let req = Request { method: "POST".into(), body: body.to_owned().into(), ..Request::default() };
        let params = Params::of(&req);
        let action = params.get("Action").unwrap_or_default().to_owned();
        let caller = Caller {
            identity: Identity::AssumedRole { role: role.into(), session: "s".into() },
            account: "111122223333".into(),
            session: Session::default(),
            region: region.into(),
        };
        handle(&Call { action: &action, params: &params, caller: Some(&caller), world })
    }

    #[test]
    fn describes_each_kind() {
        let world = World::new(Scenario::from_toml_str(WORLD).unwrap());
        let xml = call(&world, "reader", "us-west-1", "Action=DescribeDBInstances").unwrap();
        assert!(xml.contains("<DBInstanceIdentifier>app-db</DBInstanceIdentifier>"), "{xml}");
        assert!(xml.contains("<IAMDatabaseAuthenticationEnabled>true</IAMDatabaseAuthenticationEnabled>"));
        assert!(xml.contains("<VpcSecurityGroupId>sg-0123456789abcdef0</VpcSecurityGroupId>"));
        assert!(!xml.contains("app-aurora"));
        let xml = call(&world, "reader", "us-west-1", "Action=DescribeDBClusters").unwrap();
        assert!(xml.contains("<DbClusterResourceId>cluster-"), "{xml}");
        assert!(xml.contains("<IAMDatabaseAuthenticationEnabled>false</IAMDatabaseAuthenticationEnabled>"));
        let xml =
            call(&world, "reader", "us-west-1", "Action=DescribeDBProxies&DBProxyName=app-proxy").unwrap();
        assert!(xml.contains("<IAMAuth>REQUIRED</IAMAuth>"), "{xml}");
        assert!(xml.contains("<DBProxyArn>arn:aws:rds:us-west-1:111122223333:db-proxy:prx-"), "{xml}");
    }

    #[test]
    fn not_found_other_regions_filters_and_denials() {
        let world = World::new(Scenario::from_toml_str(WORLD).unwrap());
        let err = call(&world, "reader", "us-west-1", "Action=DescribeDBInstances&DBInstanceIdentifier=nope")
            .unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (404, "DBInstanceNotFound"));
        assert_eq!(err.message, "DBInstance nope not found.");
        let err =
            call(&world, "reader", "us-east-2", "Action=DescribeDBInstances&DBInstanceIdentifier=app-db")
                .unwrap_err();
        assert_eq!(err.code, "DBInstanceNotFound");
        let xml = call(&world, "reader", "us-east-2", "Action=DescribeDBInstances").unwrap();
        assert_eq!(xml, "<DBInstances></DBInstances>");
        let err =
            call(&world, "reader", "us-west-1", "Action=DescribeDBProxies&DBProxyName=gone").unwrap_err();
        assert_eq!(err.message, "DBProxy gone is not found.");
        let body =
            "Action=DescribeDBInstances&Filters.Filter.1.Name=engine&Filters.Filter.1.Values.Value.1=mysql";
        assert_eq!(call(&world, "reader", "us-west-1", body).unwrap(), "<DBInstances></DBInstances>");
        let body =
            "Action=DescribeDBInstances&Filters.Filter.1.Name=colour&Filters.Filter.1.Values.Value.1=x";
        assert_eq!(call(&world, "reader", "us-west-1", body).unwrap_err().code, "InvalidParameterValue");
        let err = call(&world, "reader", "us-west-1", "Action=DescribeDBInstances&DBInstanceIdentifier=1x")
            .unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        let err =
            call(&world, "nobody", "us-west-1", "Action=DescribeDBInstances&DBInstanceIdentifier=app-db")
                .unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (403, "AccessDenied"));
        assert_eq!(
            err.message,
            "User: arn:aws:sts::111122223333:assumed-role/nobody/s is not authorized to perform: rds:DescribeDBInstances on resource: arn:aws:rds:us-west-1:111122223333:db:app-db because no identity-based policy allows the rds:DescribeDBInstances action"
        );
    }
}
