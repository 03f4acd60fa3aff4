//! Configuration: a TOML file, overridden by flags (each of which has an environment twin).
//!
//! Zero configuration is valid: the identity link needs none. Every error names the file, the
//! line and the field, so that a typo is found without reading the whole file.

pub mod arn;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

pub use arn::Arn;

use crate::secret::Secret;

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_FILE: &str = "connector-doctor.toml";

/// The audience IRSA tokens carry unless the service account says otherwise.
pub const DEFAULT_IRSA_AUDIENCE: &str = "sts.amazonaws.com";

/// The whole run's deadline unless configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_mins(1);

/// A configuration error, located.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ConfigError {
    /// `file:line:column` or `--flag`.
    pub location: String,
    /// What is wrong and what would be right.
    pub message: String,
}

/// Settings given on the command line or in their environment twins; each wins over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--region`.
    pub region: Option<String>,
    /// `--base-role-arn`.
    pub base_role_arn: Option<String>,
    /// `--cluster-name`.
    pub cluster_name: Option<String>,
    /// `--namespace`.
    pub namespace: Option<String>,
    /// `--service-account`.
    pub service_account: Option<String>,
    /// `--irsa-audience`.
    pub irsa_audience: Option<String>,
    /// `--timeout`, in seconds.
    pub timeout_secs: Option<u64>,
    /// `--connect-to`, each `HOST:PORT:ADDRESS:PORT`.
    pub connect_to: Vec<String>,
}

/// The kinds of data a connector reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorKind {
    /// A Redshift cluster or Serverless workgroup, through the Data API.
    Redshift,
    /// An RDS or Aurora `PostgreSQL` database, with an IAM auth token.
    Rds,
    /// A Secrets Manager secret.
    Secret,
}

/// One connector: a named role the pod hops into, and the data it reaches.
#[derive(Debug, Clone)]
pub struct Connector {
    /// Its name, shown beside its checks.
    pub name: String,
    /// What it reaches.
    pub kind: ConnectorKind,
    /// The role the connector assumes.
    pub role_arn: Arn,
    /// The `ExternalId` it passes, if any.
    pub external_id: Option<Secret>,
    /// The role session name the connector uses (a statement-owner condition may depend on it).
    pub session_name: String,
    /// The session length the connector asks for, if it asks.
    pub duration_seconds: Option<i32>,
    /// Whether the connector refreshes by assuming its own role (xpander's gateways do).
    pub self_assume: bool,
    /// Whether the connector sets session tags on its hop.
    pub tag_session: bool,
    /// Every other setting of the connector, checked for its kind, kept for the links that use them.
    pub target: Target,
}

/// Where a connector's data lives.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// Redshift cluster id.
    pub cluster_id: Option<String>,
    /// Redshift Serverless workgroup.
    pub workgroup: Option<String>,
    /// Database name.
    pub database: Option<String>,
    /// The catalog path the connector reads.
    pub catalog: Option<String>,
    /// Schema to check grants on.
    pub schema: Option<String>,
    /// RDS instance, cluster or proxy id.
    pub instance_id: Option<String>,
    /// Database host, when given instead of an instance id.
    pub host: Option<String>,
    /// Database port.
    pub port: Option<u16>,
    /// Database user.
    pub user: Option<String>,
    /// Secrets Manager secret id or ARN.
    pub secret_id: Option<String>,
    /// How the database login uses TLS; `None` follows `PGSSLMODE`, then `verify-full`.
    pub sslmode: Option<SslMode>,
    /// The CA bundle that verifies the database's certificate; `None` follows `PGSSLROOTCERT`,
    /// then the RDS bundle built into the tool.
    pub ca_bundle: Option<PathBuf>,
    /// More places the connector reaches (`https://host` or `host:port`), probed by the network
    /// link beside the ones its kind implies.
    pub endpoints: Vec<crate::net::Address>,
}

/// How a database login uses TLS, with libpq's names for the modes a connector may be set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// No TLS at all (RDS with `rds.force_ssl` refuses it).
    Disable,
    /// TLS, but any certificate is accepted: encrypted, not authenticated.
    Require,
    /// TLS with the certificate verified against the CA bundle and the host name.
    VerifyFull,
}

impl SslMode {
    /// libpq's name for the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Require => "require",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Reads libpq's `PGSSLMODE` values. Against RDS, `prefer` starts with TLS and `allow`,
    /// refused without it, retries with it: both end in an unverified TLS session, `require`.
    /// `verify-ca` is read as the stricter `verify-full`.
    pub fn from_libpq(value: &str) -> Option<SslMode> {
        match value.trim() {
            "disable" => Some(SslMode::Disable),
            "allow" | "prefer" | "require" => Some(SslMode::Require),
            "verify-ca" | "verify-full" => Some(SslMode::VerifyFull),
            _ => None,
        }
    }
}

/// The configuration of one run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, if any.
    pub file: Option<PathBuf>,
    /// The region, when configured (else the AWS variables and profile decide).
    pub region: Option<String>,
    /// The role the pod is expected to run as.
    pub base_role_arn: Option<Arn>,
    /// The onboarding preset this setup follows.
    pub preset: Option<String>,
    /// The EKS cluster's name, for remedies.
    pub cluster_name: Option<String>,
    /// The pod's namespace, for remedies (else read from the token).
    pub namespace: Option<String>,
    /// The pod's service account, for remedies (else read from the token).
    pub service_account: Option<String>,
    /// The audience IRSA tokens should carry.
    pub irsa_audience: String,
    /// The deadline for the whole run.
    pub timeout: Duration,
    /// Where to really connect for some `host:port`s (curl's `--connect-to`), first match wins.
    pub connect_to: Vec<crate::net::ConnectTo>,
    /// The connectors, in file order.
    pub connectors: Vec<Connector>,
    /// Values of the onboarding preset (`[onboard]`, `KEY = "VALUE"`), for `onboard` and for the
    /// `chain.policies` audit, which reads the same setup; checked by the preset's rules.
    pub onboard: std::collections::BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            file: None,
            region: None,
            base_role_arn: None,
            preset: None,
            cluster_name: None,
            namespace: None,
            service_account: None,
            irsa_audience: DEFAULT_IRSA_AUDIENCE.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connect_to: Vec::new(),
            connectors: Vec::new(),
            onboard: std::collections::BTreeMap::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    region: Option<Spanned<String>>,
    base_role_arn: Option<Spanned<String>>,
    preset: Option<Spanned<String>>,
    cluster_name: Option<String>,
    namespace: Option<String>,
    service_account: Option<String>,
    irsa_audience: Option<String>,
    timeout_secs: Option<Spanned<u64>>,
    #[serde(default)]
    connect_to: Vec<Spanned<String>>,
    #[serde(default)]
    connector: Vec<Spanned<FileConnector>>,
    #[serde(default)]
    onboard: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConnector {
    name: Spanned<String>,
    kind: ConnectorKind,
    role_arn: Spanned<String>,
    // Read untyped so that a wrong type is reported without echoing the (secret) value.
    external_id: Option<Spanned<toml::Value>>,
    cluster_id: Option<String>,
    workgroup: Option<String>,
    database: Option<String>,
    catalog: Option<String>,
    schema: Option<String>,
    instance_id: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    secret_id: Option<String>,
    sslmode: Option<SslMode>,
    ca_bundle: Option<PathBuf>,
    #[serde(default)]
    endpoints: Vec<Spanned<String>>,
    session_name: Option<Spanned<String>>,
    duration_seconds: Option<Spanned<i64>>,
    self_assume: Option<bool>,
    tag_session: Option<bool>,
}

const PRESETS: &[&str] = &["xpander", "qualytics", "vcluster-rds"];

/// Where a span of a file sits, as `file:line:column`.
struct Locator<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Locator<'_> {
    fn at(&self, offset: usize) -> String {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rfind('\n').map_or(before.len(), |nl| before.len() - nl - 1) + 1;
        format!("{}:{line}:{column}", self.file.display())
    }

    fn error<T>(&self, span: &Spanned<T>, field: &str, message: impl std::fmt::Display) -> ConfigError {
        ConfigError { location: self.at(span.span().start), message: format!("{field}: {message}") }
    }
}

impl Config {
    /// Reads the configuration: `explicit` if given (it must exist), else `./connector-doctor.toml`
    /// when present, else defaults; then applies the overrides.
    pub fn load(explicit: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.is_file()),
        };
        let mut config = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError {
                    location: p.display().to_string(),
                    message: format!("cannot read the configuration file: {e}"),
                })?;
                Self::from_toml(p, &text)?
            }
            None => Self::default(),
        };
        config.apply(overrides)?;
        Ok(config)
    }

    /// Parses a configuration file's text; `file` is named in errors.
    pub fn from_toml(file: &Path, text: &str) -> Result<Self, ConfigError> {
        let loc = Locator { file, text };
        let raw: FileConfig = toml::from_str(text).map_err(|e| ConfigError {
            location: e.span().map_or_else(|| file.display().to_string(), |s| loc.at(s.start)),
            message: e.message().trim_end().to_owned(),
        })?;
        let mut config = Self { file: Some(file.to_path_buf()), ..Self::default() };
        if let Some(region) = raw.region {
            check_region(region.get_ref()).map_err(|m| loc.error(&region, "region", m))?;
            config.region = Some(region.into_inner());
        }
        if let Some(arn) = raw.base_role_arn {
            config.base_role_arn =
                Some(Arn::role(arn.get_ref()).map_err(|e| loc.error(&arn, "base_role_arn", e))?);
        }
        if let Some(preset) = raw.preset {
            if !PRESETS.contains(&preset.get_ref().as_str()) {
                return Err(loc.error(
                    &preset,
                    "preset",
                    format!("unknown preset; expected one of {}", PRESETS.join(", ")),
                ));
            }
            config.preset = Some(preset.into_inner());
        }
        if let Some(t) = raw.timeout_secs {
            config.timeout = check_timeout(*t.get_ref()).map_err(|m| loc.error(&t, "timeout_secs", m))?;
        }
        config.cluster_name = raw.cluster_name;
        config.namespace = raw.namespace;
        config.service_account = raw.service_account;
        if let Some(aud) = raw.irsa_audience {
            config.irsa_audience = aud;
        }
        for rule in raw.connect_to {
            let parsed = rule.get_ref().parse().map_err(|e| loc.error(&rule, "connect_to", e))?;
            config.connect_to.push(parsed);
        }
        for spanned in raw.connector {
            let connector = connector_from(&loc, &spanned, config.preset.as_deref())?;
            if config.connectors.iter().any(|c| c.name == connector.name) {
                return Err(loc.error(
                    &spanned.get_ref().name,
                    "connector.name",
                    "another connector has this name",
                ));
            }
            config.connectors.push(connector);
        }
        // Checked by the preset's rules where they are used (`onboard`, `chain.policies`); an
        // ExternalId belongs to its connector, where it is kept secret.
        if raw.onboard.contains_key("external_id") {
            return Err(ConfigError {
                location: loc.file.display().to_string(),
                message: "onboard.external_id: give each connector's ExternalId in its [[connector]] entry"
                    .into(),
            });
        }
        config.onboard = raw.onboard;
        Ok(config)
    }

    fn apply(&mut self, o: &Overrides) -> Result<(), ConfigError> {
        let flag = |name: &str, message: String| ConfigError { location: format!("--{name}"), message };
        if let Some(region) = &o.region {
            check_region(region).map_err(|m| flag("region", m))?;
            self.region = Some(region.clone());
        }
        if let Some(arn) = &o.base_role_arn {
            self.base_role_arn = Some(Arn::role(arn).map_err(|e| flag("base-role-arn", e.to_string()))?);
        }
        if let Some(t) = o.timeout_secs {
            self.timeout = check_timeout(t).map_err(|m| flag("timeout", m))?;
        }
        for (target, value) in [
            (&mut self.cluster_name, &o.cluster_name),
            (&mut self.namespace, &o.namespace),
            (&mut self.service_account, &o.service_account),
        ] {
            if value.is_some() {
                target.clone_from(value);
            }
        }
        if let Some(aud) = &o.irsa_audience {
            self.irsa_audience.clone_from(aud);
        }
        // Rules from the command line come before the file's: the first rule that matches wins.
        let mut rules = o
            .connect_to
            .iter()
            .map(|r| r.parse().map_err(|e: crate::net::ConnectToError| flag("connect-to", e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        rules.append(&mut self.connect_to);
        self.connect_to = rules;
        Ok(())
    }
}

/// Whether a preset's connectors self-assume and tag their sessions, unless a connector says
/// otherwise: xpander's gateways do both; Qualytics and vCluster make a plain hop.
fn preset_behaviour(preset: Option<&str>) -> (bool, bool) {
    match preset {
        Some("qualytics" | "vcluster-rds") => (false, false),
        _ => (true, true),
    }
}

fn connector_from(
    loc: &Locator<'_>,
    spanned: &Spanned<FileConnector>,
    preset: Option<&str>,
) -> Result<Connector, ConfigError> {
    let c = spanned.get_ref();
    let name = c.name.get_ref();
    if name.is_empty() || !name.chars().all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch)) {
        return Err(loc.error(&c.name, "connector.name", "use letters, digits, '-', '_' or '.'"));
    }
    let role_arn =
        Arn::role(c.role_arn.get_ref()).map_err(|e| loc.error(&c.role_arn, "connector.role_arn", e))?;
    let external_id = match &c.external_id {
        Some(id) => {
            let toml::Value::String(value) = id.get_ref() else {
                return Err(loc.error(
                    id,
                    "connector.external_id",
                    "must be a string (the value is not shown)",
                ));
            };
            // A malformed value is reported by chain.assume, with its code, before any call.
            Some(Secret::new(value.clone()))
        }
        None => None,
    };
    let needs = |present: bool, what: &str| {
        if present {
            Ok(())
        } else {
            Err(loc.error(spanned, "connector", format!("a {:?} connector needs {what}", c.kind)))
        }
    };
    match c.kind {
        ConnectorKind::Redshift => {
            needs(c.cluster_id.is_some() ^ c.workgroup.is_some(), "exactly one of cluster_id or workgroup")?;
            needs(c.database.is_some(), "database")?;
        }
        ConnectorKind::Rds => {
            needs(c.instance_id.is_some() || c.host.is_some(), "instance_id or host")?;
            needs(c.user.is_some(), "user")?;
        }
        ConnectorKind::Secret => needs(c.secret_id.is_some(), "secret_id")?,
    }
    Ok(Connector {
        name: name.clone(),
        kind: c.kind,
        role_arn,
        external_id,
        session_name: session_name(loc, c)?.unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned()),
        duration_seconds: duration(loc, c)?,
        self_assume: c.self_assume.unwrap_or(preset_behaviour(preset).0),
        tag_session: c.tag_session.unwrap_or(preset_behaviour(preset).1),
        target: Target {
            cluster_id: c.cluster_id.clone(),
            workgroup: c.workgroup.clone(),
            database: c.database.clone(),
            catalog: c.catalog.clone(),
            schema: c.schema.clone(),
            instance_id: c.instance_id.clone(),
            host: c.host.clone(),
            port: c.port,
            user: c.user.clone(),
            secret_id: c.secret_id.clone(),
            sslmode: c.sslmode,
            ca_bundle: c.ca_bundle.clone(),
            endpoints: c
                .endpoints
                .iter()
                .map(|e| e.get_ref().parse().map_err(|err| loc.error(e, "connector.endpoints", err)))
                .collect::<Result<_, _>>()?,
        },
    })
}

/// The role session name connector-doctor uses unless the connector's own is configured.
pub const DEFAULT_SESSION_NAME: &str = "connector-doctor";

/// STS's rule for role session names: 2 to 64 characters of `[\w+=,.@-]`.
fn session_name(loc: &Locator<'_>, c: &FileConnector) -> Result<Option<String>, ConfigError> {
    let Some(s) = &c.session_name else { return Ok(None) };
    let name = s.get_ref();
    let ok = (2..=64).contains(&name.chars().count())
        && name.chars().all(|ch| ch.is_ascii_alphanumeric() || "_+=,.@-".contains(ch));
    if !ok {
        return Err(loc.error(
            s,
            "connector.session_name",
            "STS accepts 2 to 64 characters of A-Z a-z 0-9 _ + = , . @ -",
        ));
    }
    Ok(Some(name.clone()))
}

/// STS accepts 900 to 43200 seconds; whether a chained hop may ask for more than 3600 is for
/// chain.assume to find out live.
fn duration(loc: &Locator<'_>, c: &FileConnector) -> Result<Option<i32>, ConfigError> {
    let Some(d) = &c.duration_seconds else { return Ok(None) };
    let seconds = *d.get_ref();
    if !(900..=43200).contains(&seconds) {
        return Err(loc.error(d, "connector.duration_seconds", "STS accepts 900 to 43200 seconds"));
    }
    Ok(Some(i32::try_from(seconds).unwrap_or(43200)))
}

/// Regions look like `us-west-1` or `us-gov-east-1`.
pub(crate) fn check_region(region: &str) -> Result<(), String> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
    if ok { Ok(()) } else { Err(format!("{region:?} is not a region name such as us-west-1")) }
}

fn check_timeout(secs: u64) -> Result<Duration, String> {
    if (1..=3600).contains(&secs) {
        Ok(Duration::from_secs(secs))
    } else {
        Err("must be between 1 and 3600 seconds".to_owned())
    }
}

/// STS accepts `ExternalIds` of 2–1224 characters from `[A-Za-z0-9_+=,.@:/-]`. The value itself is
/// secret, so the message names only its length and the offending position.
pub fn check_external_id(id: &str) -> Result<(), String> {
    if !(2..=1224).contains(&id.len()) {
        return Err(format!("is {} characters long; STS accepts 2 to 1224", id.len()));
    }
    if let Some(pos) = id.find(|c: char| !(c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c))) {
        let what = if id.as_bytes()[pos].is_ascii_whitespace() {
            "whitespace"
        } else {
            "a character STS does not accept"
        };
        return Err(format!(
            "has {what} at position {} (of {}); allowed: A-Z a-z 0-9 _ + = , . @ : / -",
            pos + 1,
            id.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(Path::new("cd.toml"), text)
    }

    #[test]
    fn the_design_example_parses() {
        let c = parse(
            r#"
region = "us-west-1"
base_role_arn = "arn:aws:iam::111122223333:role/xpander-base-role"
preset = "xpander"

[[connector]]
name = "warehouse"
kind = "redshift"
role_arn = "arn:aws:iam::111122223333:role/xpander-redshift-access"
cluster_id = "xpander-redshift"
database = "xpander_demo"
catalog = "pg_catalog.svv_all_columns"

[[connector]]
name = "app-db"
kind = "rds"
role_arn = "arn:aws:iam::111122223333:role/vcluster-db"
instance_id = "app-db"
user = "postgres"
database = "postgres"
"#,
        )
        .unwrap();
        assert_eq!(c.connectors.len(), 2);
        assert_eq!(c.base_role_arn.unwrap().name(), "xpander-base-role");
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let e = parse("region = \"us-west-1\"\nbase_role_arn = \"arn:aws:iam::12:role/x\"\n").unwrap_err();
        assert_eq!(e.location, "cd.toml:2:17");
        assert!(e.message.starts_with("base_role_arn: account \"12\""), "{}", e.message);

        let e = parse("regoin = \"us-west-1\"\n").unwrap_err();
        assert_eq!(e.location, "cd.toml:1:1");
        assert!(e.message.contains("unknown field `regoin`"), "{}", e.message);

        let e = parse("[[connector]]\nname = \"w\"\nkind = \"redshift\"\nrole_arn = \"arn:aws:iam::111122223333:role/r\"\n").unwrap_err();
        assert!(e.message.contains("cluster_id or workgroup"), "{}", e.message);

        let e = parse("region = [\n").unwrap_err();
        assert!(e.location.starts_with("cd.toml:"), "{}", e.location);

        let connector = "[[connector]]\nname = \"s\"\nkind = \"secret\"\nrole_arn = \"arn:aws:iam::111122223333:role/r\"\nsecret_id = \"s\"\n";
        let c = parse(&format!(
            "{connector}endpoints = [\"https://logs.example.com\", \"cache.internal:6379\"]\n"
        ))
        .unwrap();
        let ports: Vec<u16> = c.connectors[0].target.endpoints.iter().map(|a| a.port).collect();
        assert_eq!(ports, [443, 6379]);
        let c = parse("[onboard]\nplatform_account = \"999988887777\"\n").unwrap();
        assert_eq!(c.onboard.get("platform_account").map(String::as_str), Some("999988887777"));
        let e = parse("[onboard]\nexternal_id = \"org-1\"\n").unwrap_err();
        assert!(
            e.message.starts_with("onboard.external_id:") && !e.message.contains("org-1"),
            "{}",
            e.message
        );
        let e = parse(&format!("{connector}endpoints = [\"cache.internal\"]\n")).unwrap_err();
        assert_eq!(e.location, "cd.toml:6:14");
        assert!(
            e.message.starts_with("connector.endpoints: \"cache.internal\" is neither a URL"),
            "{}",
            e.message
        );
    }

    #[test]
    fn external_id_errors_never_echo_the_value() {
        let text = "[[connector]]\nname = \"w\"\nkind = \"secret\"\nrole_arn = \"arn:aws:iam::111122223333:role/r\"\nsecret_id = \"s\"\nexternal_id = \"has space\"\n";
        assert!(parse(text).is_ok(), "a malformed ExternalId is chain.assume's to report");
        let e = check_external_id("abc def").unwrap_err();
        assert!(e.contains("whitespace at position 4") && !e.contains("abc"), "{e}");
        assert!(check_external_id("x").is_err());
        assert!(check_external_id("org-123:abc/def=_x").is_ok());
        let e = parse("[[connector]]\nname = \"w\"\nkind = \"secret\"\nrole_arn = \"arn:aws:iam::111122223333:role/r\"\nsecret_id = \"s\"\nexternal_id = 987654321\n").unwrap_err();
        assert!(e.message.contains("must be a string") && !e.to_string().contains("987654321"), "{e}");
    }

    #[test]
    fn flags_override_the_file() {
        let mut c = parse("region = \"us-west-1\"\n").unwrap();
        c.apply(&Overrides { region: Some("eu-west-2".into()), ..Overrides::default() }).unwrap();
        assert_eq!(c.region.as_deref(), Some("eu-west-2"));
        let e =
            c.apply(&Overrides { base_role_arn: Some("nope".into()), ..Overrides::default() }).unwrap_err();
        assert_eq!(e.location, "--base-role-arn");
    }
}
