//! The Redshift part of a scenario: provisioned clusters (`[[redshift]]`) and Serverless
//! workgroups (`[[workgroup]]`). Both describe the same kind of thing to the lab (an endpoint,
//! its network, the databases on it with their tables and users, and how Data API statements
//! behave), so that part is one struct, [`Warehouse`], flattened into each; only the names and
//! the few fields AWS reports for one kind alone differ.
//!
//! Every cluster and workgroup is backed by the lab's one real PostgreSQL server: the same
//! database name in two of them is the same database, and users (PostgreSQL roles) are shared
//! by all, as roles are server-wide in PostgreSQL.

use std::collections::BTreeSet;

use anyhow::bail;
use serde::Deserialize;

use super::Scenario;

/// A provisioned Redshift cluster.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// The `ClusterIdentifier`.
    pub id: String,
    /// `ClusterStatus`: `available`, `paused`, `resizing`, `creating`, … The Data API runs
    /// statements only on an `available` cluster.
    #[serde(default = "default_cluster_status")]
    pub status: String,
    /// `NodeType`.
    #[serde(default = "default_node_type")]
    pub node_type: String,
    /// What a cluster shares with a workgroup.
    #[serde(flatten)]
    pub warehouse: Warehouse,
}

/// A Redshift Serverless workgroup.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workgroup {
    /// The `workgroupName`.
    pub name: String,
    /// The namespace it belongs to (`namespaceName`); default `<name>-ns`.
    #[serde(default)]
    pub namespace: Option<String>,
    /// `status`: `AVAILABLE`, `CREATING`, `MODIFYING`, `DELETING`. The Data API runs statements
    /// only on an `AVAILABLE` workgroup.
    #[serde(default = "default_workgroup_status")]
    pub status: String,
    /// What a workgroup shares with a cluster.
    #[serde(flatten)]
    pub warehouse: Warehouse,
}

/// What clusters and workgroups have in common: the endpoint, the network, the databases on
/// the real server, and how Data API statements behave.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Warehouse {
    /// The account it lives in; default the scenario's. A customer's account in a world where
    /// the pod runs in another (a managed platform hopping across accounts).
    #[serde(default)]
    pub account: Option<String>,
    /// The endpoint's port.
    #[serde(default = "default_port")]
    pub port: u16,
    /// Whether storage is encrypted.
    #[serde(default = "yes")]
    pub encrypted: bool,
    /// Whether the endpoint has a public address.
    #[serde(default)]
    pub publicly_accessible: bool,
    /// The VPC it lives in.
    #[serde(default = "default_vpc")]
    pub vpc_id: String,
    /// Its VPC security groups.
    #[serde(default = "default_security_groups")]
    pub security_groups: Vec<String>,
    /// Databases that exist on it (created on the real server); the first is the `DBName`.
    #[serde(default = "default_databases")]
    pub databases: Vec<String>,
    /// Tables (`schema.table`, or `table` for `public`) created in every database listed, with
    /// a few typed columns and two rows.
    #[serde(default)]
    pub tables: Vec<String>,
    /// How long a Data API statement waits (SUBMITTED, then PICKED) before it runs.
    #[serde(default)]
    pub statement_delay_ms: u64,
    /// Statements never finish: they stay STARTED until cancelled.
    #[serde(default)]
    pub statement_hang: bool,
    /// Database users: PostgreSQL LOGIN roles without a password.
    #[serde(default, rename = "user")]
    pub users: Vec<DbUser>,
}

/// A database user and its grants.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbUser {
    /// The user's name, e.g. `IAMR:xpander-redshift-access` for a role's identity.
    pub name: String,
    /// Schemas it has USAGE on, in every database of its cluster or workgroup.
    #[serde(default)]
    pub usage: Vec<String>,
    /// Schemas on whose tables it has SELECT (`GRANT SELECT ON ALL TABLES IN SCHEMA`).
    #[serde(default)]
    pub select: Vec<String>,
}

/// The longest `statement_delay_ms` accepted: statements must end within a test's patience.
const MAX_DELAY_MS: u64 = 600_000;

impl Warehouse {
    /// The database `DescribeClusters` reports as `DBName`.
    pub fn default_database(&self) -> &str {
        self.databases.first().map_or("dev", String::as_str)
    }

    /// The tables as `(schema, table)`.
    pub fn table_names(&self) -> Vec<(String, String)> {
        self.tables.iter().map(|t| split_table(t)).collect()
    }

    fn check(&self, what: &str) -> anyhow::Result<()> {
        if self.port == 0 {
            bail!("{what}: port 0 is not a port");
        }
        if self.databases.is_empty() {
            bail!("{what}: databases must name at least one database");
        }
        for database in &self.databases {
            identifier(what, "database", database)?;
        }
        for table in &self.tables {
            let (schema, name) = split_table(table);
            if table.matches('.').count() > 1 {
                bail!("{what}: table {table:?} must be `schema.table` or `table`");
            }
            identifier(what, "schema", &schema)?;
            identifier(what, "table", &name)?;
        }
        if self.statement_delay_ms > MAX_DELAY_MS {
            bail!("{what}: statement_delay_ms must be at most {MAX_DELAY_MS}");
        }
        for user in &self.users {
            identifier(what, "user", &user.name)?;
            for schema in user.usage.iter().chain(&user.select) {
                identifier(what, "schema", schema)?;
            }
        }
        Ok(())
    }
}

impl Workgroup {
    /// The namespace's name.
    pub fn namespace(&self) -> String {
        self.namespace.clone().unwrap_or_else(|| format!("{}-ns", self.name))
    }
}

/// `schema.table` → `(schema, table)`; a bare name is in `public`.
pub fn split_table(text: &str) -> (String, String) {
    match text.split_once('.') {
        Some((schema, table)) => (schema.to_owned(), table.to_owned()),
        None => ("public".to_owned(), text.to_owned()),
    }
}

/// A name the lab quotes into SQL: PostgreSQL takes anything but NUL inside double quotes, up
/// to 63 bytes.
fn identifier(what: &str, kind: &str, name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.len() > 63 || name.contains('\0') {
        bail!("{what}: {kind} name {name:?} must be 1 to 63 bytes without NUL");
    }
    Ok(())
}

/// Refuses clusters and workgroups that describe no world: duplicate names, empty database
/// lists, names PostgreSQL cannot hold.
pub fn check(scenario: &Scenario) -> anyhow::Result<()> {
    let mut ids = BTreeSet::new();
    for cluster in &scenario.redshift {
        let what = format!("redshift {}", cluster.id);
        if cluster.id.is_empty() {
            bail!("redshift: id must not be empty");
        }
        if !ids.insert(cluster.id.as_str()) {
            bail!("{what}: a second [[redshift]] has the same id");
        }
        cluster.warehouse.check(&what)?;
    }
    let mut names = BTreeSet::new();
    for workgroup in &scenario.workgroups {
        let what = format!("workgroup {}", workgroup.name);
        if workgroup.name.is_empty() {
            bail!("workgroup: name must not be empty");
        }
        if !names.insert(workgroup.name.as_str()) {
            bail!("{what}: a second [[workgroup]] has the same name");
        }
        workgroup.warehouse.check(&what)?;
    }
    Ok(())
}

fn default_cluster_status() -> String {
    "available".to_owned()
}
fn default_workgroup_status() -> String {
    "AVAILABLE".to_owned()
}
fn default_node_type() -> String {
    "ra3.xlplus".to_owned()
}
fn default_port() -> u16 {
    5439
}
fn default_vpc() -> String {
    "vpc-0a1b2c3d4e5f60718".to_owned()
}
fn default_security_groups() -> Vec<String> {
    vec!["sg-0123456789abcdef0".to_owned()]
}
fn default_databases() -> Vec<String> {
    vec!["dev".to_owned()]
}
fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = r#"
[[redshift]]
id = "xpander-redshift"
status = "paused"
databases = ["dev", "xpander_demo"]
tables = ["public.orders", "customers", "sales.deals"]
statement_delay_ms = 250
[[redshift.user]]
name = "IAMR:xpander-redshift-access"
usage = ["public"]
select = ["public"]

[[workgroup]]
name = "analytics"
namespace = "analytics-ns"
statement_hang = true
"#;

    #[test]
    fn clusters_and_workgroups_with_defaults() {
        let s = Scenario::from_toml_str(CLUSTER).unwrap();
        let cluster = &s.redshift[0];
        assert_eq!((cluster.id.as_str(), cluster.status.as_str()), ("xpander-redshift", "paused"));
        assert_eq!(cluster.node_type, "ra3.xlplus");
        assert_eq!(cluster.warehouse.port, 5439);
        assert!(cluster.warehouse.encrypted);
        assert_eq!(cluster.warehouse.default_database(), "dev");
        assert_eq!(cluster.warehouse.statement_delay_ms, 250);
        assert_eq!(cluster.warehouse.users[0].select, ["public"]);
        assert_eq!(
            cluster.warehouse.table_names(),
            [
                ("public".to_owned(), "orders".to_owned()),
                ("public".to_owned(), "customers".to_owned()),
                ("sales".to_owned(), "deals".to_owned())
            ]
        );
        let workgroup = &s.workgroups[0];
        assert_eq!(
            (workgroup.status.as_str(), workgroup.namespace().as_str()),
            ("AVAILABLE", "analytics-ns")
        );
        assert!(workgroup.warehouse.statement_hang);
        assert_eq!(workgroup.warehouse.databases, ["dev"]);
    }

    #[test]
    fn unknown_keys_are_refused_through_the_flattened_part() {
        for text in [
            "[[redshift]]\nid = \"c\"\nprot = 5439\n",
            "[[workgroup]]\nname = \"w\"\nnode_type = \"ra3.xlplus\"\n",
            "[[redshift]]\nid = \"c\"\n[[redshift.user]]\nname = \"u\"\nselects = []\n",
        ] {
            let err = format!("{:#}", Scenario::from_toml_str(text).unwrap_err());
            assert!(err.contains("unknown field"), "{text}: {err}");
        }
    }

    #[test]
    fn impossible_warehouses_are_refused() {
        for (text, reason) in [
            ("[[redshift]]\nid = \"c\"\n[[redshift]]\nid = \"c\"\n", "same id"),
            ("[[redshift]]\nid = \"c\"\ndatabases = []\n", "at least one database"),
            ("[[workgroup]]\nname = \"w\"\ntables = [\"a.b.c\"]\n", "schema.table"),
            ("[[workgroup]]\nname = \"w\"\nport = 0\n", "port 0"),
            ("[[redshift]]\nid = \"c\"\nstatement_delay_ms = 9999999\n", "at most"),
        ] {
            let err = format!("{:#}", Scenario::from_toml_str(text).unwrap_err());
            assert!(err.contains(reason), "{text}: {err}");
        }
    }
}
