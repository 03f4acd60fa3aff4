//! Redshift in the lab: provisioned clusters (`DescribeClusters`,
//! `GetClusterCredentialsWithIAM`, awsQuery), Serverless workgroups (`GetWorkgroup`,
//! `GetCredentials`, JSON) and the Data API (`ExecuteStatement` and the calls that follow a
//! statement, JSON), all authorized by the scenario's policies through `connector-iam`.
//!
//! The connectors reach Redshift only through the Data API with their role's own identity,
//! which Redshift maps to the database user `IAMR:<role name>` (`IAM:<user name>` for an IAM
//! user). The lab runs every statement as that user on a real PostgreSQL server, so a missing
//! user, a missing grant or a wrong table fails with the server's own error, worded the way
//! Redshift words it.
//!
//! Layout: `cluster` and `serverless` are the control planes, `data_api` the Data API's
//! actions, `statements` the statement store and lifecycle (behind a small executor trait, with
//! the PostgreSQL executor), `provision` what the real server gets at start.

pub mod cluster;
pub mod data_api;
mod provision;
pub mod serverless;
pub mod statements;

use std::time::{SystemTime, UNIX_EPOCH};

use connector_iam::{Context, Decision};

pub use provision::provision;
pub use statements::{Statement, StatementStatus, Statements};

use crate::authz::{self, Ask};
use crate::aws::Caller;
use crate::ids::stable_uuid;
use crate::scenario::Scenario;
use crate::scenario::redshift::{Cluster, Warehouse, Workgroup};
use crate::world::Identity;

/// The creation time every lab cluster and workgroup reports.
pub const CREATED: &str = "2026-01-15T09:30:00Z";

/// The master user every lab cluster reports.
pub const MASTER_USER: &str = "awsuser";

/// What a statement or a credentials call runs against.
#[derive(Debug, Clone, Copy)]
pub enum Target<'s> {
    /// A provisioned cluster.
    Cluster(&'s Cluster),
    /// A Serverless workgroup.
    Workgroup(&'s Workgroup),
}

impl<'s> Target<'s> {
    /// The part clusters and workgroups share.
    pub fn warehouse(self) -> &'s Warehouse {
        match self {
            Self::Cluster(c) => &c.warehouse,
            Self::Workgroup(w) => &w.warehouse,
        }
    }

    /// Whether the Data API may run statements on it now; otherwise the status to name.
    pub fn unavailable(self) -> Option<&'s str> {
        match self {
            Self::Cluster(c) if c.status != "available" => Some(&c.status),
            Self::Workgroup(w) if w.status != "AVAILABLE" => Some(&w.status),
            _ => None,
        }
    }
}

/// The database user Redshift maps an IAM identity to: `IAMR:<role>` for a role session,
/// `IAM:<user>` for an IAM user.
pub fn db_user(identity: &Identity) -> String {
    match identity {
        Identity::AssumedRole { role, .. } => format!("IAMR:{role}"),
        Identity::User { name } => format!("IAM:{name}"),
    }
}

/// The account cluster `id` lives in (the scenario's unless the cluster says otherwise; an
/// unknown id is looked for in the scenario's).
pub fn cluster_account<'s>(scenario: &'s Scenario, id: &str) -> &'s str {
    scenario
        .redshift
        .iter()
        .find(|c| c.id == id)
        .and_then(|c| c.warehouse.account.as_deref())
        .unwrap_or(&scenario.account)
}

/// The account workgroup `name` lives in (see [`cluster_account`]).
pub fn workgroup_account<'s>(scenario: &'s Scenario, name: &str) -> &'s str {
    scenario
        .workgroups
        .iter()
        .find(|w| w.name == name)
        .and_then(|w| w.warehouse.account.as_deref())
        .unwrap_or(&scenario.account)
}

/// `arn:aws:redshift:<region>:<account>:cluster:<id>`.
pub fn cluster_arn(scenario: &Scenario, id: &str) -> String {
    format!("arn:aws:redshift:{}:{}:cluster:{id}", scenario.region, cluster_account(scenario, id))
}

/// `arn:aws:redshift:<region>:<account>:dbname:<cluster>/<database>`, the resource of
/// `redshift:GetClusterCredentialsWithIAM`.
pub fn dbname_arn(scenario: &Scenario, cluster: &str, database: &str) -> String {
    format!(
        "arn:aws:redshift:{}:{}:dbname:{cluster}/{database}",
        scenario.region,
        cluster_account(scenario, cluster)
    )
}

/// `arn:aws:redshift:<region>:<account>:dbuser:<cluster>/<user>`, the resource of
/// `redshift:GetClusterCredentials`.
pub fn dbuser_arn(scenario: &Scenario, cluster: &str, user: &str) -> String {
    format!(
        "arn:aws:redshift:{}:{}:dbuser:{cluster}/{user}",
        scenario.region,
        cluster_account(scenario, cluster)
    )
}

/// A cluster's namespace ARN (`ClusterNamespaceArn`), the same in every run.
pub fn cluster_namespace_arn(scenario: &Scenario, id: &str) -> String {
    let account = cluster_account(scenario, id);
    let uuid = stable_uuid(&format!("{account}/{}/redshift-namespace/{id}", scenario.region));
    format!("arn:aws:redshift:{}:{account}:namespace:{uuid}", scenario.region)
}

/// A workgroup's `workgroupId`, the same in every run.
pub fn workgroup_id(scenario: &Scenario, name: &str) -> String {
    stable_uuid(&format!("{}/{}/workgroup/{name}", workgroup_account(scenario, name), scenario.region))
}

/// `arn:aws:redshift-serverless:<region>:<account>:workgroup/<workgroup id>`.
pub fn workgroup_arn(scenario: &Scenario, name: &str) -> String {
    format!(
        "arn:aws:redshift-serverless:{}:{}:workgroup/{}",
        scenario.region,
        workgroup_account(scenario, name),
        workgroup_id(scenario, name)
    )
}

/// A cluster's endpoint address: `<id>.<hash>.<region>.redshift.amazonaws.com`, where the
/// 12-character hash stands for the account and region as in AWS's addresses.
pub fn cluster_address(scenario: &Scenario, id: &str) -> String {
    let seed =
        stable_uuid(&format!("{}/{}/redshift-endpoint", cluster_account(scenario, id), scenario.region));
    let hash: String = seed.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
    format!("{id}.{hash}.{}.redshift.amazonaws.com", scenario.region)
}

/// The database endpoint (address and port) of every cluster and workgroup in the scenario.
pub fn addresses(scenario: &Scenario) -> Vec<(String, u16)> {
    let clusters = scenario.redshift.iter().map(|c| (cluster_address(scenario, &c.id), c.warehouse.port));
    let workgroups =
        scenario.workgroups.iter().map(|w| (workgroup_address(scenario, &w.name), w.warehouse.port));
    clusters.chain(workgroups).collect()
}

/// A workgroup's endpoint address: `<name>.<account>.<region>.redshift-serverless.amazonaws.com`.
pub fn workgroup_address(scenario: &Scenario, name: &str) -> String {
    format!(
        "{name}.{}.{}.redshift-serverless.amazonaws.com",
        workgroup_account(scenario, name),
        scenario.region
    )
}

/// Whether the caller looks where a warehouse of `account` is: that account, the scenario's
/// region.
fn looks_here(scenario: &Scenario, caller: &Caller, account: &str) -> bool {
    caller.account == account && caller.region == scenario.region
}

/// The cluster `id` as the caller sees it: a cluster lives in its account and the scenario's
/// region, so a caller from another account, or calling another region, finds none.
pub fn find_cluster<'s>(scenario: &'s Scenario, caller: &Caller, id: &str) -> Option<&'s Cluster> {
    if !looks_here(scenario, caller, cluster_account(scenario, id)) {
        return None;
    }
    scenario.redshift.iter().find(|c| c.id == id)
}

/// The workgroup `name` as the caller sees it (see [`find_cluster`]).
pub fn find_workgroup<'s>(scenario: &'s Scenario, caller: &Caller, name: &str) -> Option<&'s Workgroup> {
    if !looks_here(scenario, caller, workgroup_account(scenario, name)) {
        return None;
    }
    scenario.workgroups.iter().find(|w| w.name == name)
}

/// Decides `action` on `resource` for the caller by its identity policies and boundary
/// (Redshift resources have no resource policies). A denial is AWS's sentence for it:
/// `User: <arn> is not authorized to perform: <action> on resource: <resource> because …`.
pub fn authorize(
    scenario: &Scenario,
    caller: &Caller,
    action: &str,
    resource: &str,
    context: Context,
) -> Result<(), String> {
    // The resource's account is in its ARN; a `*` resource (a statement) is the caller's own.
    let resource_account = resource.split(':').nth(4).filter(|a| !a.is_empty()).unwrap_or(&caller.account);
    let ask = Ask { action, resource, resource_account, resource_policy: None, context };
    let result = authz::decide(scenario, caller, ask);
    let why = match result.decision {
        Decision::Allow => return Ok(()),
        Decision::ExplicitDeny => {
            if result.identity.iter().any(|p| !p.denied_by.is_empty()) {
                "with an explicit deny in an identity-based policy".to_owned()
            } else {
                "with an explicit deny in a permissions boundary".to_owned()
            }
        }
        Decision::ImplicitDeny => {
            let identity_allows = result.identity.iter().any(|p| p.allows());
            if identity_allows && result.boundary.as_ref().is_some_and(|b| !b.allows()) {
                format!("because no permissions boundary allows the {action} action")
            } else {
                format!("because no identity-based policy allows the {action} action")
            }
        }
    };
    Err(format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} {why}",
        caller.arn()
    ))
}

/// Now, in epoch seconds with milliseconds: the Data API's timestamps are JSON numbers with a
/// fraction.
pub fn now_epoch() -> f64 {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    // Exact for any date this lab will see (2^53 ms is far in the future).
    (millis as f64) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        Scenario::from_toml_str(
            "[[redshift]]\nid = \"xpander-redshift\"\n[[workgroup]]\nname = \"analytics\"\n",
        )
        .unwrap()
    }

    #[test]
    fn arns_and_addresses() {
        let s = scenario();
        assert_eq!(cluster_arn(&s, "c"), "arn:aws:redshift:us-west-1:111122223333:cluster:c");
        assert_eq!(dbname_arn(&s, "c", "dev"), "arn:aws:redshift:us-west-1:111122223333:dbname:c/dev");
        assert_eq!(dbuser_arn(&s, "c", "u"), "arn:aws:redshift:us-west-1:111122223333:dbuser:c/u");
        let arn = workgroup_arn(&s, "analytics");
        assert!(arn.starts_with("arn:aws:redshift-serverless:us-west-1:111122223333:workgroup/"), "{arn}");
        assert_eq!(arn, workgroup_arn(&s, "analytics"));
        assert_eq!(workgroup_id(&s, "analytics").len(), 36);
        let address = cluster_address(&s, "xpander-redshift");
        let parts: Vec<&str> = address.split('.').collect();
        assert_eq!(parts[0], "xpander-redshift");
        assert_eq!(parts[1].len(), 12);
        assert!(address.ends_with(".us-west-1.redshift.amazonaws.com"), "{address}");
        assert_eq!(
            workgroup_address(&s, "analytics"),
            "analytics.111122223333.us-west-1.redshift-serverless.amazonaws.com"
        );
    }

    #[test]
    fn identities_map_to_database_users() {
        let role = Identity::AssumedRole { role: "xpander-redshift-access".into(), session: "s".into() };
        assert_eq!(db_user(&role), "IAMR:xpander-redshift-access");
        assert_eq!(db_user(&Identity::User { name: "ci".into() }), "IAM:ci");
    }

    #[test]
    fn availability() {
        let s = Scenario::from_toml_str(
            "[[redshift]]\nid = \"a\"\n[[redshift]]\nid = \"p\"\nstatus = \"paused\"\n[[workgroup]]\nname = \"w\"\nstatus = \"MODIFYING\"\n",
        )
        .unwrap();
        assert_eq!(Target::Cluster(&s.redshift[0]).unavailable(), None);
        assert_eq!(Target::Cluster(&s.redshift[1]).unavailable(), Some("paused"));
        assert_eq!(Target::Workgroup(&s.workgroups[0]).unavailable(), Some("MODIFYING"));
    }

    #[test]
    fn epoch_has_a_fraction() {
        let now = now_epoch();
        assert!(now > 1.7e9, "{now}");
    }
}
