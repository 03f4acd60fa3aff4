//! `[[rds]]` scenario entries: RDS for PostgreSQL instances, Aurora PostgreSQL clusters and RDS
//! Proxies. One entry is both what the RDS API reports (`Describe*`) and how its endpoint
//! behaves at login (TLS, IAM auth), so a scenario can make the two disagree the way real
//! accounts do (IAM auth enabled but the user not in `rds_iam`, a token signed for an alias).
//!
//! Identifiers that AWS makes up (resource IDs, the endpoint's hash) are derived from the
//! account, region and entry, so they are the same in every run, like those of a database that
//! already exists.

use anyhow::bail;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Which kind of RDS resource an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RdsKind {
    /// A DB instance (`DescribeDBInstances`, `arn:…:db:<id>`, resource ID `db-…`).
    #[default]
    Instance,
    /// An Aurora cluster (`DescribeDBClusters`, `arn:…:cluster:<id>`, resource ID `cluster-…`).
    Cluster,
    /// An RDS Proxy (`DescribeDBProxies`, `arn:…:db-proxy:<prx-id>`, resource ID `prx-…`).
    Proxy,
}

/// Which certificate the endpoint presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RdsTls {
    /// Signed by the lab's RDS CA, for the endpoint's address: verification succeeds.
    #[default]
    Rds,
    /// For the right names, but from a second CA that is not in `rds-ca.pem`.
    Untrusted,
    /// Signed by the lab's RDS CA, but only for `wrong.example.invalid`.
    WrongName,
}

/// A database role on the endpoint's server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RdsUser {
    /// The role name (created with LOGIN).
    pub name: String,
    /// Whether the role is a member of `rds_iam` (so IAM auth applies to it).
    #[serde(default)]
    pub rds_iam: bool,
}

/// One RDS instance, Aurora cluster or proxy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rds {
    /// `DBInstanceIdentifier`, `DBClusterIdentifier` or `DBProxyName`, by `type`.
    pub id: String,
    /// `instance`, `cluster` or `proxy`.
    #[serde(default, rename = "type")]
    pub kind: RdsKind,
    /// The engine; default `postgres` (instance) or `aurora-postgresql` (cluster). A proxy
    /// reports `EngineFamily` `POSTGRESQL` whatever this says.
    #[serde(default)]
    pub engine: Option<String>,
    /// `DBInstanceStatus` / `Status`.
    #[serde(default = "default_status")]
    pub status: String,
    /// `IAMDatabaseAuthenticationEnabled`; for a proxy, `IAMAuth` `REQUIRED` (true) or `DISABLED`.
    #[serde(default = "yes")]
    pub iam_auth: bool,
    /// `DbiResourceId` / `DbClusterResourceId` / the proxy's `prx-…` ID; default a stable made-up one.
    #[serde(default)]
    pub resource_id: Option<String>,
    /// The port the API reports, and that IAM auth tokens are signed for.
    #[serde(default = "default_port")]
    pub port: u16,
    /// Databases that exist on the server.
    #[serde(default = "default_databases")]
    pub databases: Vec<String>,
    /// Database roles (LOGIN); `rds_iam` makes them members of `rds_iam`.
    #[serde(default = "default_users")]
    pub users: Vec<RdsUser>,
    /// DNS names (CNAMEs) that lead to this endpoint; they are not in its certificate.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// `VpcSecurityGroups` (a proxy: `VpcSecurityGroupIds`), as facts.
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// Proxy only: the instances or clusters it fronts.
    #[serde(default)]
    pub targets: Vec<String>,
    /// The certificate the endpoint presents.
    #[serde(default)]
    pub tls: RdsTls,
    /// Accept TCP connections and never say a word (a hung server).
    #[serde(default)]
    pub silent: bool,
}

/// The master user every RDS instance and cluster has; it exists on the lab's server too.
pub const MASTER_USER: &str = "postgres";

impl Rds {
    /// The engine the API reports.
    pub fn engine(&self) -> &str {
        match (&self.engine, self.kind) {
            (Some(engine), _) => engine,
            (None, RdsKind::Cluster) => "aurora-postgresql",
            (None, _) => "postgres",
        }
    }

    /// The resource ID that `rds-db:connect` ARNs name.
    pub fn resource_id(&self, account: &str, region: &str) -> String {
        if let Some(id) = &self.resource_id {
            return id.clone();
        }
        let seed = format!("{account}/{region}/{:?}/{}", self.kind, self.id);
        match self.kind {
            RdsKind::Instance => format!("db-{}", stable_chars(BASE32_UPPER, 26, &seed)),
            RdsKind::Cluster => format!("cluster-{}", stable_chars(BASE32_UPPER, 26, &seed)),
            RdsKind::Proxy => format!("prx-{}", stable_chars(HEX, 17, &seed)),
        }
    }

    /// The endpoint's DNS name, in the form RDS gives it.
    pub fn address(&self, account: &str, region: &str) -> String {
        let hash = endpoint_hash(account, region);
        let id = self.id.to_ascii_lowercase();
        match self.kind {
            RdsKind::Instance => format!("{id}.{hash}.{region}.rds.amazonaws.com"),
            RdsKind::Cluster => format!("{id}.cluster-{hash}.{region}.rds.amazonaws.com"),
            RdsKind::Proxy => format!("{id}.proxy-{hash}.{region}.rds.amazonaws.com"),
        }
    }

    /// The reader endpoint of a cluster.
    pub fn reader_address(&self, account: &str, region: &str) -> String {
        let hash = endpoint_hash(account, region);
        format!("{}.cluster-ro-{hash}.{region}.rds.amazonaws.com", self.id.to_ascii_lowercase())
    }

    /// The resource's ARN, as the API reports it and IAM policies name it.
    pub fn arn(&self, account: &str, region: &str) -> String {
        match self.kind {
            RdsKind::Instance => format!("arn:aws:rds:{region}:{account}:db:{}", self.id),
            RdsKind::Cluster => format!("arn:aws:rds:{region}:{account}:cluster:{}", self.id),
            RdsKind::Proxy => {
                format!("arn:aws:rds:{region}:{account}:db-proxy:{}", self.resource_id(account, region))
            }
        }
    }

    /// Whether the role `name` is declared on this entry (the master user always is).
    pub fn has_user(&self, name: &str) -> bool {
        name == MASTER_USER || self.users.iter().any(|u| u.name == name)
    }

    /// Checks one entry against the rest of the scenario's entries.
    pub fn check(&self, all: &[Rds]) -> anyhow::Result<()> {
        let what = format!("rds {}", self.id);
        check_identifier(&what, &self.id, self.kind)?;
        // Unique across kinds too, so that a test can name an endpoint by its ID alone.
        if all.iter().filter(|o| o.id.eq_ignore_ascii_case(&self.id)).count() > 1 {
            bail!("{what}: declared twice (IDs are unique across instances, clusters and proxies)");
        }
        if let Some(engine) = &self.engine {
            let fits = match self.kind {
                RdsKind::Instance => engine == "postgres",
                RdsKind::Cluster => engine == "aurora-postgresql",
                RdsKind::Proxy => engine == "postgres" || engine == "aurora-postgresql",
            };
            if !fits {
                bail!(
                    "{what}: engine {engine:?} does not fit type {:?} (the lab serves PostgreSQL engines only)",
                    self.kind
                );
            }
        }
        if self.status.trim().is_empty() {
            bail!("{what}: status must not be empty");
        }
        if self.port == 0 {
            bail!("{what}: port must be 1 to 65535");
        }
        if let Some(id) = &self.resource_id {
            let (prefix, len) = match self.kind {
                RdsKind::Instance => ("db-", 26),
                RdsKind::Cluster => ("cluster-", 26),
                RdsKind::Proxy => ("prx-", 17),
            };
            let body = id.strip_prefix(prefix).unwrap_or_default();
            if body.len() != len || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
                bail!("{what}: resource_id {id:?} is not {prefix} followed by {len} letters and digits");
            }
        }
        if self.databases.is_empty() {
            bail!("{what}: databases must name at least one database");
        }
        for name in self.databases.iter().chain(self.users.iter().map(|u| &u.name)) {
            if name.is_empty() || name.len() > 63 || name.contains('\0') {
                bail!("{what}: {name:?} is not a PostgreSQL name (1 to 63 bytes, no NUL)");
            }
        }
        for alias in &self.aliases {
            let valid = !alias.is_empty()
                && alias.len() <= 253
                && alias.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if !valid {
                bail!("{what}: alias {alias:?} is not a DNS name");
            }
        }
        if self.kind == RdsKind::Proxy {
            for target in &self.targets {
                if !all.iter().any(|o| o.kind != RdsKind::Proxy && &o.id == target) {
                    bail!("{what}: target {target:?} is no [[rds]] instance or cluster");
                }
            }
        } else if !self.targets.is_empty() {
            bail!("{what}: targets are for proxies only");
        }
        Ok(())
    }
}

/// Checks that no two endpoints (addresses and aliases) share a DNS name.
pub fn check_names(all: &[Rds], account: &str, region: &str) -> anyhow::Result<()> {
    let mut seen: Vec<(String, &str)> = Vec::new();
    for rds in all {
        for name in std::iter::once(rds.address(account, region)).chain(rds.aliases.iter().cloned()) {
            let name = name.to_ascii_lowercase();
            if let Some((_, other)) = seen.iter().find(|(n, _)| *n == name) {
                bail!("rds {}: the name {name} already leads to rds {other}", rds.id);
            }
            seen.push((name, &rds.id));
        }
    }
    Ok(())
}

/// RDS's rules for instance, cluster and proxy identifiers: 1 to 63 letters, digits and
/// hyphens, a letter first, no hyphen last and no two in a row.
fn check_identifier(what: &str, id: &str, kind: RdsKind) -> anyhow::Result<()> {
    let valid = (1..=63).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !id.ends_with('-')
        && !id.contains("--");
    if !valid {
        bail!(
            "{what}: {id:?} is not a valid {} identifier (1 to 63 letters, digits or hyphens; a letter first; no hyphen last or twice in a row)",
            match kind {
                RdsKind::Instance => "DB instance",
                RdsKind::Cluster => "DB cluster",
                RdsKind::Proxy => "DB proxy",
            }
        );
    }
    Ok(())
}

pub(crate) const BASE32_UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub(crate) const HEX: &[u8] = b"0123456789abcdef";
pub(crate) const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// `len` characters of `alphabet` derived from `seed`: the same for the same seed, every run.
pub(crate) fn stable_chars(alphabet: &[u8], len: usize, seed: &str) -> String {
    let mut out = String::with_capacity(len);
    let mut round = 0u32;
    while out.len() < len {
        let digest = Sha256::new().chain_update(seed.as_bytes()).chain_update(round.to_be_bytes()).finalize();
        for byte in digest {
            if out.len() == len {
                break;
            }
            out.push(char::from(alphabet[usize::from(byte) % alphabet.len()]));
        }
        round += 1;
    }
    out
}

/// The 12 characters RDS puts in every endpoint of an account and region.
pub fn endpoint_hash(account: &str, region: &str) -> String {
    stable_chars(LOWER_ALNUM, 12, &format!("endpoint/{account}/{region}"))
}

fn default_status() -> String {
    "available".to_owned()
}
fn default_port() -> u16 {
    5432
}
fn default_databases() -> Vec<String> {
    vec!["postgres".to_owned()]
}
fn default_users() -> Vec<RdsUser> {
    vec![RdsUser { name: MASTER_USER.to_owned(), rds_iam: true }]
}
fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(text: &str) -> Rds {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn identifiers_are_stable_and_shaped_like_aws() {
        let instance = entry("id = \"app-db\"");
        let id = instance.resource_id("111122223333", "us-west-1");
        assert_eq!(id, instance.resource_id("111122223333", "us-west-1"));
        assert!(id.starts_with("db-") && id.len() == 29, "{id}");
        assert!(id[3..].bytes().all(|b| BASE32_UPPER.contains(&b)), "{id}");
        let cluster = entry("id = \"app-db\"\ntype = \"cluster\"");
        assert!(cluster.resource_id("1", "r").starts_with("cluster-"));
        assert_eq!(cluster.engine(), "aurora-postgresql");
        let proxy = entry("id = \"app-proxy\"\ntype = \"proxy\"");
        let prx = proxy.resource_id("1", "r");
        assert!(prx.starts_with("prx-") && prx.len() == 21, "{prx}");
        let hash = endpoint_hash("111122223333", "us-west-1");
        assert_eq!(hash.len(), 12);
        assert_eq!(
            instance.address("111122223333", "us-west-1"),
            format!("app-db.{hash}.us-west-1.rds.amazonaws.com")
        );
        assert_eq!(
            cluster.address("111122223333", "us-west-1"),
            format!("app-db.cluster-{hash}.us-west-1.rds.amazonaws.com")
        );
        assert_eq!(
            proxy.address("111122223333", "us-west-1"),
            format!("app-proxy.proxy-{hash}.us-west-1.rds.amazonaws.com")
        );
        assert_eq!(proxy.arn("1", "r"), format!("arn:aws:rds:r:1:db-proxy:{prx}"));
    }

    #[test]
    fn bad_entries_are_refused() {
        for (text, reason) in [
            ("id = \"1db\"", "not a valid DB instance identifier"),
            ("id = \"a--b\"", "not a valid"),
            ("id = \"a\"\nengine = \"mysql\"", "does not fit"),
            ("id = \"a\"\nresource_id = \"db-short\"", "resource_id"),
            ("id = \"a\"\ntargets = [\"b\"]", "proxies only"),
            ("id = \"a\"\ntype = \"proxy\"\ntargets = [\"b\"]", "no [[rds]] instance"),
            ("id = \"a\"\ndatabases = []", "at least one"),
            ("id = \"a\"\naliases = [\"no spaces.example\"]", "not a DNS name"),
        ] {
            let rds = entry(text);
            let err = rds.check(std::slice::from_ref(&rds)).unwrap_err().to_string();
            assert!(err.contains(reason), "{text}: {err}");
        }
        assert!(toml::from_str::<Rds>("id = \"a\"\nport = 1\ntypo = 2").is_err());
    }
}
