//! The values a setup needs: gathered from the configuration, `--value KEY=VALUE` flags, the
//! environment's region and the preset's defaults; derived where one value implies another (the
//! account from a role ARN, a role's ARN from its name); validated before anything is rendered.
//! A value nobody gave is not an error: the guide names it and where to give it.

use std::collections::BTreeMap;

use super::preset::{Preset, Scope, When};
use crate::config::{Arn, Config, ConnectorKind, check_external_id};
use crate::outcome::Facts;
use crate::secret::Secret;

/// Keys computed from other values rather than asked for.
pub const DERIVED: &[&str] = &[
    "base_role_arn",
    "connector_role_arn",
    "connector",
    "workgroup",
    "base_principal_arn",
    "kind",
    "platform_account",
];

/// Where a value came from, for the guide's table of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The configuration file (the field named).
    Config(String),
    /// A `--value` flag.
    Flag,
    /// The progress file: a `--value` flag of an earlier run.
    Saved,
    /// The environment (`AWS_REGION`).
    Env(String),
    /// The preset's default.
    Default,
    /// Computed from other values.
    Derived,
    /// Learned from AWS, by the call named (`sts:GetCallerIdentity`, `rds:DescribeDBInstances`).
    Discovered(&'static str),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Config(field) => write!(f, "configuration ({field})"),
            Source::Flag => f.write_str("--value"),
            Source::Saved => f.write_str("progress file"),
            Source::Env(var) => write!(f, "environment ({var})"),
            Source::Default => f.write_str("preset default"),
            Source::Derived => f.write_str("derived"),
            Source::Discovered(call) => write!(f, "discovered ({call})"),
        }
    }
}

/// A known value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// The value.
    pub value: String,
    /// Where it came from.
    pub from: Source,
}

/// One connector's values.
#[derive(Debug, Clone)]
pub struct ConnectorValues {
    /// The connector's name.
    pub name: String,
    /// Its kind.
    pub kind: ConnectorKind,
    /// Its values (never the ExternalId).
    pub values: BTreeMap<String, Known>,
    /// Its ExternalId, kept apart so that it is never rendered by accident.
    pub external_id: Option<Secret>,
}

/// Every value of one onboarding.
#[derive(Debug, Clone)]
pub struct Values {
    /// Values of the whole setup.
    pub global: BTreeMap<String, Known>,
    /// Per connector.
    pub connectors: Vec<ConnectorValues>,
}

/// A value that is given but wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}{}: {message}", connector.as_ref().map(|c| format!(" (connector {c})")).unwrap_or_default())]
pub struct ValueError {
    /// The value's key.
    pub key: String,
    /// The connector, for per-connector values.
    pub connector: Option<String>,
    /// What is wrong (never the value, for secrets).
    pub message: String,
}

/// A value the setup needs that nobody gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The value's key.
    pub key: String,
    /// The connector, for per-connector values.
    pub connector: Option<String>,
    /// What it is.
    pub what: String,
    /// A command that looks it up, filled as far as known.
    pub find: Option<String>,
}

/// The environment variable the generated script reads a connector's ExternalId from. Two
/// connectors whose names map to the same variable (`a-b`, `a_b`) are refused by
/// [`Values::gather`].
pub fn external_id_var(connector: &str) -> String {
    let upper: String = connector
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
        .collect();
    format!("EXTERNAL_ID_{upper}")
}

fn known(value: impl Into<String>, from: Source) -> Known {
    Known { value: value.into(), from }
}

impl Values {
    /// Gathers the values for `preset`. `given` are the `--value` flags in order (an empty one
    /// gives no value); `env` reads the environment (for the region).
    pub fn gather(
        preset: &Preset,
        config: &Config,
        given: &[(String, String)],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Values, ValueError> {
        Values::gather_with_saved(preset, config, given, &BTreeMap::new(), env)
    }

    /// [`Values::gather`] with the values remembered in the progress file: they count below
    /// the configuration and the flags, above the environment and the preset's defaults, and
    /// are labelled as coming from the progress file. Remembered keys this preset does not know
    /// are left out.
    pub fn gather_with_saved(
        preset: &Preset,
        config: &Config,
        given: &[(String, String)],
        saved: &BTreeMap<String, String>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Values, ValueError> {
        let allowed = |key: &str| {
            preset.value(key).is_some() || preset.defaults.contains_key(key) || DERIVED.contains(&key)
        };
        let saved: BTreeMap<String, String> = saved
            .iter()
            .filter(|(k, v)| allowed(k) && !v.is_empty() && !given.iter().any(|(g, _)| g == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let flags = flags_of(preset, given, allowed)?;
        let mut global = from_config_global(config);
        // Flags win over the file for global values; per-connector flags apply to every connector.
        // The progress file's values come below both, then the environment's region.
        let is_global = |key: &str| {
            preset.value(key).map_or(Scope::Global, |v| v.scope) == Scope::Global && !is_connector_key(key)
        };
        // The file's [onboard] table: as flags, but below them.
        let table: Vec<(String, String)> = config.onboard.clone().into_iter().collect();
        let table = flags_of(preset, &table, allowed)
            .map_err(|e| ValueError { key: format!("onboard.{}", e.key), ..e })?;
        let from_table = |key: &str| Source::Config(format!("onboard.{key}"));
        for (key, value) in table.iter().filter(|(k, _)| is_global(k)) {
            global.insert(key.clone(), known(value, from_table(key)));
        }
        for (key, value) in flags.iter().filter(|(k, _)| is_global(k)) {
            global.insert(key.clone(), known(value, Source::Flag));
        }
        for (key, value) in saved.iter().filter(|(k, _)| is_global(k)) {
            global.entry(key.clone()).or_insert_with(|| known(value, Source::Saved));
        }
        if !global.contains_key("region")
            && let Some((var, region)) =
                ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().find_map(|v| env(v).map(|r| (*v, r)))
        {
            global.insert("region".into(), known(region, Source::Env(var.to_owned())));
        }
        coherent_role(&mut global, &flags, "base_role_name", "base_role_arn", None)?;
        for (key, value) in &preset.defaults {
            global.entry(key.clone()).or_insert_with(|| known(value, Source::Default));
        }
        let mut connectors = from_config_connectors(config);
        if connectors.is_empty() {
            connectors.push(lone_connector(preset, &flags, &saved)?);
        }
        for conn in &mut connectors {
            for (key, value) in &table {
                if !is_global(key) && key != "connector" {
                    conn.values.insert(key.clone(), known(value, from_table(key)));
                }
            }
            for (key, value) in &flags {
                if !is_global(key) && key != "connector" {
                    if key == "external_id" {
                        conn.external_id = Some(Secret::new(value.clone()));
                    } else {
                        conn.values.insert(key.clone(), known(value, Source::Flag));
                    }
                }
            }
            for (key, value) in &saved {
                // ExternalIds are never saved; a hand-edited file does not bring one either.
                if !is_global(key) && key != "connector" && key != "external_id" {
                    conn.values.entry(key.clone()).or_insert_with(|| known(value, Source::Saved));
                }
            }
            let account = global.get("account").map(|k| k.value.clone());
            coherent_role(
                &mut conn.values,
                &flags,
                "connector_role_name",
                "connector_role_arn",
                account.as_deref(),
            )
            .map_err(|e| ValueError { connector: Some(conn.name.clone()), ..e })?;
            for spec in preset.values.iter().filter(|v| v.scope == Scope::Connector) {
                if let (Some(default), false) =
                    (preset.defaults.get(&spec.key), conn.values.contains_key(&spec.key))
                {
                    conn.values.insert(spec.key.clone(), known(default, Source::Default));
                }
            }
        }
        check_variables(&connectors)?;
        let mut values = Values { global, connectors };
        values.derive();
        values.validate(preset)?;
        Ok(values)
    }

    /// Takes a value learned from AWS by `call` over a default or a derived one (never over
    /// one given), for the connector named or for all; then derives again.
    /// A learned value that breaks the key's rule is refused, and said why.
    pub fn learn(
        &mut self,
        preset: &Preset,
        connector: Option<&str>,
        key: &str,
        value: &str,
        call: &'static str,
    ) -> Result<(), ValueError> {
        let weak = |k: Option<&Known>| k.is_none_or(|k| matches!(k.from, Source::Default | Source::Derived));
        let rule = rule(preset, key).unwrap_or("name");
        validate(rule, value).map_err(|message| ValueError {
            key: key.to_owned(),
            connector: connector.map(str::to_owned),
            message: format!("{message} (as {call} told it; left out)"),
        })?;
        let target = match connector {
            None => Some(&mut self.global),
            Some(name) => self.connectors.iter_mut().find(|c| c.name == name).map(|c| &mut c.values),
        };
        let Some(target) = target else { return Ok(()) };
        if weak(target.get(key)) {
            target.insert(key.to_owned(), known(value, Source::Discovered(call)));
            // Values derived before may now follow from the discovered one.
            self.global.retain(|_, k| k.from != Source::Derived);
            for c in &mut self.connectors {
                c.values.retain(|_, k| k.from != Source::Derived);
            }
            self.derive();
        }
        Ok(())
    }

    /// Fills what follows from other values.
    fn derive(&mut self) {
        let derived = |v: String| known(v, Source::Derived);
        if !self.global.contains_key("account")
            && let Some(arn) = self
                .connectors
                .iter()
                .find_map(|c| c.values.get("connector_role_arn"))
                .and_then(|k| k.value.parse::<Arn>().ok())
        {
            self.global.insert("account".into(), derived(arn.account));
        }
        // The account the vendor's platform calls from; the guides name the customer's own
        // account's root there unless the vendor gives its own account id.
        if !self.global.contains_key("platform_account")
            && let Some(account) = self.get_global("account")
        {
            self.global.insert("platform_account".into(), derived(account));
        }
        let partition = self.get_global("partition").unwrap_or_else(|| "aws".to_owned());
        if let (None, Some(account), Some(name)) =
            (self.global.get("base_role_arn"), self.get_global("account"), self.get_global("base_role_name"))
        {
            self.global.insert(
                "base_role_arn".into(),
                derived(format!("arn:{partition}:iam::{account}:role/{name}")),
            );
        }
        if !self.global.contains_key("base_principal_arn") {
            let principal = match self.get_global("deployment").as_deref() {
                Some("static-keys") => self
                    .get_global("account")
                    .zip(self.get_global("base_user_name"))
                    .map(|(account, user)| format!("arn:{partition}:iam::{account}:user/{user}")),
                Some("managed") => None,
                _ => self.get_global("base_role_arn"),
            };
            if let Some(p) = principal {
                self.global.insert("base_principal_arn".into(), derived(p));
            }
        }
        let account = self.get_global("account");
        for conn in &mut self.connectors {
            let has = |k: &str| conn.values.contains_key(k);
            if !has("connector_role_arn")
                && let (Some(account), Some(name)) = (&account, conn.values.get("connector_role_name"))
            {
                let arn = format!("arn:{partition}:iam::{account}:role/{}", name.value);
                conn.values.insert("connector_role_arn".into(), derived(arn));
            } else if !has("connector_role_name")
                && let Some(arn) =
                    conn.values.get("connector_role_arn").and_then(|k| k.value.parse::<Arn>().ok())
            {
                conn.values.insert("connector_role_name".into(), derived(arn.name().to_owned()));
            }
        }
    }

    /// Checks every value, whoever gave it (flags, configuration, progress file, defaults,
    /// derivation), by the preset's rule for the key or else the built-in one ([`RULES`]).
    fn validate(&self, preset: &Preset) -> Result<(), ValueError> {
        let check = |key: &str, value: &str, connector: Option<&str>| {
            let fail = |message| ValueError {
                key: key.to_owned(),
                connector: connector.map(str::to_owned),
                message,
            };
            let rule = rule(preset, key).ok_or_else(|| fail("no rule checks this value".to_owned()))?;
            validate(rule, value).map_err(fail)
        };
        for conn in &self.connectors {
            check_connector_name(&conn.name)?;
            if let Some(id) = &conn.external_id {
                check("external_id", id.expose(), Some(&conn.name))?;
            }
        }
        // What the user gave first, so that a refusal names the key they typed rather than
        // one derived from it.
        let mut all: Vec<(&str, &Known, Option<&str>)> =
            self.global.iter().map(|(key, k)| (key.as_str(), k, None)).collect();
        for conn in &self.connectors {
            all.extend(conn.values.iter().map(|(key, k)| (key.as_str(), k, Some(conn.name.as_str()))));
        }
        all.sort_by_key(|(_, k, _)| match k.from {
            Source::Flag => 0,
            Source::Saved => 1,
            Source::Config(_) => 2,
            _ => 3,
        });
        for (key, k, connector) in all {
            check(key, &k.value, connector)?;
        }
        Ok(())
    }

    fn get_global(&self, key: &str) -> Option<String> {
        self.global.get(key).map(|k| k.value.clone())
    }

    /// Value `key` for `connector` (its own first, then the setup's). The ExternalId is reported
    /// as present by a placeholder text, never by its value.
    pub fn get(&self, connector: Option<&ConnectorValues>, key: &str) -> Option<String> {
        if key == "external_id" {
            return connector.and_then(|c| c.external_id.as_ref()).map(|_| "(given)".to_owned());
        }
        if key == "kind" {
            return connector.map(|c| format!("{:?}", c.kind).to_lowercase());
        }
        connector.and_then(|c| c.values.get(key)).or_else(|| self.global.get(key)).map(|k| k.value.clone())
    }

    /// Whether condition `when` holds for `connector`.
    pub fn holds(&self, connector: Option<&ConnectorValues>, when: Option<&str>) -> bool {
        when.is_none_or(|w| When::parse(w).holds(|k| self.get(connector, k)))
    }

    /// The facts that fill placeholders for `connector` (never the ExternalId).
    pub fn facts(&self, connector: Option<&ConnectorValues>) -> Facts {
        let mut facts: Facts = self.global.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect();
        if let Some(c) = connector {
            facts.extend(c.values.iter().map(|(k, v)| (k.clone(), v.value.clone())));
        }
        facts
    }

    /// Every value the setup needs that nobody gave, each once per connector it concerns.
    pub fn missing(&self, preset: &Preset) -> Vec<Missing> {
        let mut out = Vec::new();
        let mut unfilled = Vec::new();
        for spec in preset.values.iter().filter(|v| !v.optional) {
            let mut find = |c: Option<&ConnectorValues>| {
                spec.find.as_ref().map(|f| super::guide::shell_fill(f, &self.facts(c), &mut unfilled))
            };
            match spec.scope {
                Scope::Global => {
                    let applies = self.holds(None, spec.when.as_deref());
                    if applies && self.get(None, &spec.key).is_none() {
                        out.push(Missing {
                            key: spec.key.clone(),
                            connector: None,
                            what: spec.what.clone(),
                            find: find(None),
                        });
                    }
                }
                Scope::Connector => {
                    for c in &self.connectors {
                        let applies = (spec.kinds.is_empty() || spec.kinds.contains(&c.kind))
                            && self.holds(Some(c), spec.when.as_deref());
                        if applies && self.get(Some(c), &spec.key).is_none() {
                            out.push(Missing {
                                key: spec.key.clone(),
                                connector: Some(c.name.clone()),
                                what: spec.what.clone(),
                                find: find(Some(c)),
                            });
                        }
                    }
                }
            }
        }
        out
    }
}

/// The `--value` flags by key, each a key the preset knows (`allowed`); an empty one (which
/// forgets a remembered value) gives none.
fn flags_of(
    preset: &Preset,
    given: &[(String, String)],
    allowed: impl Fn(&str) -> bool,
) -> Result<BTreeMap<String, String>, ValueError> {
    let mut flags = BTreeMap::new();
    for (key, value) in given {
        if !allowed(key) {
            let mut keys: Vec<&str> = preset.values.iter().map(|v| v.key.as_str()).collect();
            keys.extend(preset.defaults.keys().map(String::as_str));
            keys.sort_unstable();
            keys.dedup();
            return Err(ValueError {
                key: key.clone(),
                connector: None,
                message: format!(
                    "the {} preset has no such value; it knows {}",
                    preset.name,
                    keys.join(", ")
                ),
            });
        }
        if !value.is_empty() {
            flags.insert(key.clone(), value.clone());
        }
    }
    Ok(flags)
}

/// The one connector of a setup without `[[connector]]` entries, described by the flags, the
/// progress file and the preset's defaults.
fn lone_connector(
    preset: &Preset,
    flags: &BTreeMap<String, String>,
    saved: &BTreeMap<String, String>,
) -> Result<ConnectorValues, ValueError> {
    let (name, from) = match (flags.get("connector"), saved.get("connector")) {
        (Some(name), _) => (name.clone(), Source::Flag),
        (None, Some(name)) => (name.clone(), Source::Saved),
        (None, None) => ("connector".to_owned(), Source::Default),
    };
    check_connector_name(&name)?;
    let kind =
        match flags.get("kind").or(saved.get("kind")).or(preset.defaults.get("kind")).map(String::as_str) {
            Some("rds") => ConnectorKind::Rds,
            Some("secret") => ConnectorKind::Secret,
            Some("redshift") | None => ConnectorKind::Redshift,
            Some(other) => {
                return Err(ValueError {
                    key: "kind".into(),
                    connector: None,
                    message: format!("{other:?} is not a connector kind: use redshift, rds or secret"),
                });
            }
        };
    let mut values = BTreeMap::new();
    values.insert("connector".to_owned(), known(&name, from));
    Ok(ConnectorValues { name, kind, values, external_id: None })
}

/// The global values the configuration file's own fields give.
fn from_config_global(config: &Config) -> BTreeMap<String, Known> {
    let mut global = BTreeMap::new();
    let from_config = |field: &str| Source::Config(field.to_owned());
    if let Some(region) = &config.region {
        global.insert("region".into(), known(region, from_config("region")));
    }
    for (key, value) in [
        ("cluster_name", &config.cluster_name),
        ("namespace", &config.namespace),
        ("service_account", &config.service_account),
    ] {
        if let Some(v) = value {
            global.insert(key.into(), known(v, from_config(key)));
        }
    }
    if let Some(arn) = &config.base_role_arn {
        global.insert("base_role_arn".into(), known(arn.to_string(), from_config("base_role_arn")));
        global.insert("base_role_name".into(), known(arn.name(), from_config("base_role_arn")));
        global.insert("account".into(), known(&arn.account, from_config("base_role_arn")));
        global.insert("partition".into(), known(&arn.partition, from_config("base_role_arn")));
    }
    global
}

/// IAM's rule for role and policy names: 1 to `max` of `[A-Za-z0-9_+=,.@-]`, and (so that no
/// name reads as a command-line option) not starting with `-`.
fn iam_name(value: &str, max: usize, what: &str) -> Result<(), String> {
    let ok = (1..=max).contains(&value.len())
        && !value.starts_with('-')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("{value:?} is not {what} (1 to {max} of A-Z a-z 0-9 _ + = , . @ -, not starting with -)"))
    }
}

/// The connectors of the configuration file, with the values each one's entry gives.
fn from_config_connectors(config: &Config) -> Vec<ConnectorValues> {
    let from_config = |field: &str| Source::Config(field.to_owned());
    config
        .connectors
        .iter()
        .map(|c| {
            let mut values = BTreeMap::new();
            let mut put = |key: &str, value: Option<String>, field: &str| {
                if let Some(v) = value {
                    values.insert(key.to_owned(), known(v, from_config(&format!("connector.{field}"))));
                }
            };
            put("connector", Some(c.name.clone()), "name");
            put("connector_role_arn", Some(c.role_arn.to_string()), "role_arn");
            put("connector_role_name", Some(c.role_arn.name().to_owned()), "role_arn");
            put("cluster_id", c.target.cluster_id.clone(), "cluster_id");
            put("workgroup", c.target.workgroup.clone(), "workgroup");
            put("database", c.target.database.clone(), "database");
            put("db_user", c.target.user.clone(), "user");
            put("instance_id", c.target.instance_id.clone(), "instance_id");
            put("db_host", c.target.host.clone(), "host");
            put("db_port", c.target.port.map(|p| p.to_string()), "port");
            ConnectorValues { name: c.name.clone(), kind: c.kind, values, external_id: c.external_id.clone() }
        })
        .collect()
}

/// The rule of each key a preset may leave out of its `[[value]]` list: derived keys, keys that
/// only have a default, and keys read from the configuration's `[[connector]]` entries.
pub const RULES: &[(&str, &str)] = &[
    ("account", "account"),
    ("platform_account", "account"),
    ("region", "region"),
    ("partition", "partition"),
    ("kind", "choice:redshift|rds|secret"),
    ("connector", "connector"),
    ("base_role_arn", "role-arn"),
    ("base_role_name", "role-name"),
    ("base_principal_arn", "arn"),
    ("connector_role_arn", "role-arn"),
    ("connector_role_name", "role-name"),
    ("cluster_name", "eks-cluster"),
    ("namespace", "k8s-namespace"),
    ("service_account", "k8s-name"),
    ("cluster_id", "redshift-id"),
    ("workgroup", "redshift-id"),
    ("workgroup_arn", "arn"),
    ("database", "db-name"),
    ("db_user", "db-name"),
    ("instance_id", "rds-id"),
    ("db_host", "host"),
    ("db_port", "port"),
    ("db_resource_id", "db-resource-id"),
    ("external_id", "external-id"),
];

/// The rule for `key`: the preset's, else the built-in one.
fn rule<'a>(preset: &'a Preset, key: &str) -> Option<&'a str> {
    preset
        .value(key)
        .map(|v| v.check.as_str())
        .or_else(|| RULES.iter().find(|(k, _)| *k == key).map(|(_, r)| *r))
}

/// A connector's name, as the configuration accepts it.
fn check_connector_name(name: &str) -> Result<(), ValueError> {
    validate("connector", name).map_err(|message| ValueError {
        key: "connector".to_owned(),
        connector: None,
        message,
    })
}

/// Keeps a role's name and ARN in `values` telling of the same role when either comes from a
/// flag: a flag's name replaces the name in the other's ARN (and account `account`, if known),
/// a flag's ARN gives the name, and both flags must agree.
fn coherent_role(
    values: &mut BTreeMap<String, Known>,
    flags: &BTreeMap<String, String>,
    name_key: &str,
    arn_key: &str,
    account: Option<&str>,
) -> Result<(), ValueError> {
    let fail = |message: String| ValueError { key: name_key.to_owned(), connector: None, message };
    match (flags.get(name_key), flags.get(arn_key)) {
        (Some(name), Some(arn)) => {
            if let Ok(parsed) = arn.parse::<Arn>()
                && parsed.name() != name
            {
                return Err(fail(format!(
                    "--value {name_key}={name} and --value {arn_key} name different roles ({}); give one of them",
                    parsed.name()
                )));
            }
        }
        (Some(name), None) => {
            if let Some(old) = values.get(arn_key).and_then(|k| k.value.parse::<Arn>().ok())
                && old.name() != name
            {
                let account = account.unwrap_or(&old.account);
                let arn = format!("arn:{}:iam::{account}:role/{name}", old.partition);
                values.insert(arn_key.to_owned(), known(arn, Source::Derived));
            }
        }
        (None, Some(arn)) => {
            if let Ok(parsed) = arn.parse::<Arn>() {
                values.insert(name_key.to_owned(), known(parsed.name(), Source::Derived));
            }
        }
        (None, None) => {}
    }
    Ok(())
}

/// Refuses connectors whose ExternalIds the script would read from one variable.
fn check_variables(connectors: &[ConnectorValues]) -> Result<(), ValueError> {
    for (n, a) in connectors.iter().enumerate() {
        if let Some(b) =
            connectors[n + 1..].iter().find(|b| external_id_var(&b.name) == external_id_var(&a.name))
        {
            return Err(ValueError {
                key: "connector".to_owned(),
                connector: None,
                message: format!(
                    "the connectors {:?} and {:?} would both read their ExternalId from ${}; rename one",
                    a.name,
                    b.name,
                    external_id_var(&a.name)
                ),
            });
        }
    }
    Ok(())
}

/// Keys that describe a connector even when the preset lists them as global.
fn is_connector_key(key: &str) -> bool {
    ["connector_role_arn", "connector_role_name", "workgroup", "external_id"].contains(&key)
}

/// An ARN, with a resource of the characters ARNs use (and `*` for patterns).
fn check_arn(value: &str) -> Result<(), String> {
    let arn = value.parse::<Arn>().map_err(|e| format!("{value:?}: {e}"))?;
    let plain = |s: &str, extra: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c));
    if !plain(&arn.service, "-") || !plain(&arn.region, "-") || !plain(&arn.resource, "_+=,.@:/*-") {
        return Err(format!("{value:?}: an ARN has only A-Z a-z 0-9 and _ + = , . @ : / * -"));
    }
    Ok(())
}

/// A plain word: a letter or digit, then up to `max` - 1 of letters, digits and `extra`.
fn word(value: &str, max: usize, extra: &str, what: &str) -> Result<(), String> {
    let ok = value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.len() <= max
        && value.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c));
    if ok { Ok(()) } else { Err(format!("{value:?} is not {what}")) }
}

/// A Kubernetes name: a DNS label, or with `dots` a DNS subdomain.
fn k8s(value: &str, max: usize, dots: bool, what: &str) -> Result<(), String> {
    let edge = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = value.starts_with(edge)
        && value.ends_with(edge)
        && value.len() <= max
        && value.chars().all(|c| edge(c) || c == '-' || (dots && c == '.'));
    if ok { Ok(()) } else { Err(format!("{value:?} is not {what}")) }
}

/// Checks one value against a preset's rule (`ValueSpec::check`). Messages never repeat a
/// secret value.
fn validate(check: &str, value: &str) -> Result<(), String> {
    if check == "external-id" {
        return check_external_id(value).map_err(|e| format!("the ExternalId {e}"));
    }
    if value.trim() != value || value.is_empty() {
        return Err(format!("{value:?} is empty or has whitespace at an end"));
    }
    match check {
        "account" => {
            if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
                Ok(())
            } else {
                Err(format!("{value:?} is not a 12-digit account id"))
            }
        }
        "region" => crate::config::check_region(value),
        "arn" => check_arn(value),
        "role-arn" => Arn::role(value).map(drop).map_err(|e| format!("{value:?}: {e}")),
        "arn-list" => value.split(',').map(str::trim).try_for_each(check_arn),
        "role-name" => iam_name(value, 64, "an IAM name"),
        "policy-name" => iam_name(value, 128, "an IAM policy name"),
        "partition" => {
            if ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"].contains(&value) {
                Ok(())
            } else {
                Err(format!("{value:?} is not a partition (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b)"))
            }
        }
        choice if choice.starts_with("choice:") => {
            let options: Vec<&str> = choice["choice:".len()..].split('|').collect();
            if options.contains(&value) {
                Ok(())
            } else {
                Err(format!("{value:?} is not one of {}", options.join(", ")))
            }
        }
        other => identifier(other, value),
    }
}

/// The rules for names and identifiers.
fn identifier(check: &str, value: &str) -> Result<(), String> {
    match check {
        "name" => {
            word(value, 255, "._-", "a name (1 to 255 of A-Z a-z 0-9 . _ -, starting with a letter or digit)")
        }
        "connector" => {
            if value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                Ok(())
            } else {
                Err(format!("{value:?} is not a connector name: use letters, digits, '-', '_' or '.'"))
            }
        }
        "eks-cluster" => word(
            value,
            100,
            "_-",
            "an EKS cluster name (1 to 100 of A-Z a-z 0-9 _ -, starting with a letter or digit)",
        ),
        "k8s-namespace" => k8s(value, 63, false, "a Kubernetes namespace (1 to 63 of a-z 0-9 -)"),
        "k8s-name" => k8s(value, 253, true, "a Kubernetes name (1 to 253 of a-z 0-9 - .)"),
        "redshift-id" => {
            let ok = value.starts_with(|c: char| c.is_ascii_alphabetic())
                && value.len() <= 64
                && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "{value:?} is not a Redshift identifier (a letter, then up to 63 of A-Z a-z 0-9 -)"
                ))
            }
        }
        "rds-id" => {
            let ok = value.starts_with(|c: char| c.is_ascii_alphabetic())
                && value.len() <= 63
                && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if ok {
                Ok(())
            } else {
                Err(format!("{value:?} is not an RDS identifier (a letter, then up to 62 of A-Z a-z 0-9 -)"))
            }
        }
        "db-name" => {
            let ok = value.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && value.len() <= 63
                && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "{value:?} is not a database or user name (a letter or _, then up to 62 of A-Z a-z 0-9 _)"
                ))
            }
        }
        "host" => word(value, 253, ".-", "a host name or address (1 to 253 of A-Z a-z 0-9 . -)"),
        "port" => match value.parse::<u16>() {
            Ok(port) if port > 0 && value.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
            _ => Err(format!("{value:?} is not a port (1 to 65535)")),
        },
        "db-resource-id" => {
            let rest = ["db-", "cluster-", "prx-"].iter().find_map(|p| value.strip_prefix(p));
            match rest {
                Some(id)
                    if !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric()) =>
                {
                    Ok(())
                }
                _ => Err(format!(
                    "{value:?} is not a resource id (db-…, cluster-… or prx-… of A-Z a-z 0-9), which is not the \
                     instance's name: it is the instance's DbiResourceId (aws rds describe-db-instances \
                     --db-instance-identifier <name> --query 'DBInstances[0].DbiResourceId'), a cluster's \
                     DbClusterResourceId or a proxy's id"
                )),
            }
        }
        "oidc-provider" => {
            if let Some((scheme, rest)) = value.split_once("://") {
                return Err(format!(
                    "{value:?} starts with {scheme}://, which IAM does not use in OIDC provider names: give {rest:?}"
                ));
            }
            let ok = value.starts_with(|c: char| c.is_ascii_alphanumeric())
                && value.len() <= 255
                && value.chars().all(|c| c.is_ascii_alphanumeric() || "./-_".contains(c));
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "{value:?} is not an OIDC provider such as oidc.eks.<region>.amazonaws.com/id/<id>"
                ))
            }
        }
        other => Err(format!("the preset names an unknown rule {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onboard::fixtures::{XPANDER, config, given};
    use crate::onboard::preset::preset;

    fn gather(text: &str, pairs: &[(&str, &str)]) -> Result<Values, ValueError> {
        Values::gather(preset("xpander").unwrap(), &config(text), &given(pairs), &|_| None)
    }

    #[test]
    fn values_come_from_the_configuration_and_derive() {
        let v = gather(XPANDER, &[]).unwrap();
        assert_eq!(v.get(None, "account").as_deref(), Some("111122223333"));
        let c = &v.connectors[0];
        assert_eq!(v.get(Some(c), "connector_role_name").as_deref(), Some("xpander-redshift-access"));
        assert_eq!(v.get(Some(c), "namespace").as_deref(), Some("xpander"), "the preset's default");
        assert!(
            v.missing(preset("xpander").unwrap()).is_empty(),
            "{:?}",
            v.missing(preset("xpander").unwrap())
        );
        assert!(!v.facts(Some(c)).values().any(|f| f.contains("org-7f3a9c2e")), "the ExternalId is no fact");
    }

    #[test]
    fn bad_values_are_named_without_echoing_secrets() {
        let e = gather(XPANDER, &[("external_id", "org-7f3a9c2e ")]).unwrap_err();
        assert_eq!(e.key, "external_id");
        assert!(e.message.contains("whitespace") && !e.to_string().contains("org-7f3a9c2e"), "{e}");
        let e = gather(XPANDER, &[("account", "1234")]).unwrap_err();
        assert!(e.to_string().contains("12-digit"), "{e}");
        let e = gather(XPANDER, &[("acount", "1234")]).unwrap_err();
        assert!(e.to_string().contains("no such value") && e.to_string().contains("account"), "{e}");
        let e = gather(XPANDER, &[("assume_list", "arn:aws:iam::111122223333:role/a, nope")]).unwrap_err();
        assert!(e.to_string().contains("assume_list"), "{e}");
    }

    #[test]
    fn without_configuration_every_needed_value_is_named() {
        let v = gather("", &[]).unwrap();
        let missing: Vec<String> = v.missing(preset("xpander").unwrap()).into_iter().map(|m| m.key).collect();
        for key in [
            "account",
            "region",
            "cluster_name",
            "connector_role_name",
            "external_id",
            "cluster_id",
            "database",
        ] {
            assert!(missing.contains(&key.to_owned()), "{key} not in {missing:?}");
        }
        let v = gather("", &[("account", "111122223333"), ("connector_role_name", "r")]).unwrap();
        assert_eq!(
            v.get(Some(&v.connectors[0]), "connector_role_arn").as_deref(),
            Some("arn:aws:iam::111122223333:role/r")
        );
        assert_eq!(external_id_var("app-db.1"), "EXTERNAL_ID_APP_DB_1");
    }

    fn gather_saved(
        name: &str,
        text: &str,
        pairs: &[(&str, &str)],
        saved: &[(&str, &str)],
    ) -> Result<Values, ValueError> {
        let saved: BTreeMap<String, String> = given(saved).into_iter().collect();
        Values::gather_with_saved(preset(name).unwrap(), &config(text), &given(pairs), &saved, &|_| None)
    }

    #[test]
    fn hostile_values_are_refused_for_every_key_whoever_gives_it() {
        let hostile = ["c;touch${IFS}/tmp/x;", "$(touch /tmp/x)", "`id`", "a\nb", "a'b", "a\"b", "-x"];
        for name in ["xpander", "qualytics", "vcluster-rds"] {
            let p = preset(name).unwrap();
            let mut keys: Vec<&str> = p.values.iter().map(|v| v.key.as_str()).collect();
            keys.extend(p.defaults.keys().map(String::as_str));
            keys.extend(DERIVED.iter().copied());
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                for h in hostile {
                    // A leading '-' is a valid connector name, as in the configuration.
                    if (key == "connector" || key == "external_id") && h == "-x" {
                        continue;
                    }
                    let e = gather_saved(name, "", &[(key, h)], &[])
                        .err()
                        .unwrap_or_else(|| panic!("{name}: {key}={h:?} accepted"));
                    assert!(e.to_string().contains(key) || e.key == "connector", "{name} {key}: {e}");
                    let e = gather_saved(name, "", &[], &[(key, h)]);
                    assert!(e.is_err() || key == "external_id", "{name}: a saved {key}={h:?} is checked too");
                }
            }
        }
        let e = gather_saved("vcluster-rds", "", &[("db_port", "0")], &[]).unwrap_err();
        assert!(e.to_string().contains("1 to 65535"), "{e}");
        assert!(gather_saved("vcluster-rds", "", &[("db_port", "65536")], &[]).is_err());
        assert!(gather_saved("vcluster-rds", "", &[("db_port", "+5432")], &[]).is_err());
        assert!(gather_saved("vcluster-rds", "", &[("db_port", "6432")], &[]).is_ok());
        let e = gather_saved(
            "qualytics",
            "",
            &[
                ("deployment", "managed"),
                ("base_principal_arn", "arn:aws:iam::315179787488:role/$(touch${IFS}/tmp/x)"),
            ],
            &[],
        )
        .unwrap_err();
        assert!(e.to_string().contains("base_principal_arn") && e.message.contains("an ARN has only"), "{e}");
    }

    #[test]
    fn an_oidc_provider_with_a_scheme_is_refused_with_the_fix() {
        let issuer = "https://oidc.eks.us-west-1.amazonaws.com/id/EXAMPLE";
        let e = gather_saved("qualytics", "", &[("oidc_provider", issuer)], &[]).unwrap_err();
        assert!(
            e.message.contains("https://")
                && e.message.contains("\"oidc.eks.us-west-1.amazonaws.com/id/EXAMPLE\""),
            "{e}"
        );
        assert!(gather_saved("qualytics", "", &[("oidc_provider", &issuer[8..])], &[]).is_ok());
        let find = preset("qualytics").unwrap().value("oidc_provider").unwrap().find.clone().unwrap();
        assert!(find.ends_with("| sed 's#^https://##'"), "{find}");
    }

    #[test]
    fn a_db_resource_id_must_be_one_and_says_where_to_find_it() {
        let e = gather_saved("vcluster-rds", "", &[("db_resource_id", "vcluster-db")], &[]).unwrap_err();
        assert!(e.message.contains("DbiResourceId"), "{e}");
        for bad in ["db-", "db-AB_C", "instance-ABC", "db-ABC/x"] {
            assert!(gather_saved("vcluster-rds", "", &[("db_resource_id", bad)], &[]).is_err(), "{bad}");
        }
        for good in ["db-ABCDEFGHIJKLMNOPQRSTUVWXY1", "cluster-ABCDEF123", "prx-0123456789abcdef0"] {
            assert!(gather_saved("vcluster-rds", "", &[("db_resource_id", good)], &[]).is_ok(), "{good}");
        }
    }

    #[test]
    fn connectors_sharing_an_external_id_variable_are_refused_by_name() {
        let two = XPANDER.replace("name = \"warehouse\"", "name = \"a-b\"")
            + "[[connector]]\nname = \"a_b\"\nkind = \"redshift\"\nrole_arn = \"arn:aws:iam::111122223333:role/r2\"\ncluster_id = \"c2\"\ndatabase = \"d2\"\n";
        let e = gather(&two, &[]).unwrap_err();
        assert!(
            e.message.contains("\"a-b\"")
                && e.message.contains("\"a_b\"")
                && e.message.contains("EXTERNAL_ID_A_B"),
            "{e}"
        );
        assert!(gather(&two.replace("\"a_b\"", "\"a_c\""), &[]).is_ok());
    }

    #[test]
    fn a_role_name_from_a_flag_renames_the_configured_arn_too() {
        let v = gather(XPANDER, &[("connector_role_name", "xpander-new-access")]).unwrap();
        let c = &v.connectors[0];
        assert_eq!(
            v.get(Some(c), "connector_role_arn").as_deref(),
            Some("arn:aws:iam::111122223333:role/xpander-new-access")
        );
        let v = gather(XPANDER, &[("connector_role_arn", "arn:aws:iam::111122223333:role/other")]).unwrap();
        assert_eq!(v.get(Some(&v.connectors[0]), "connector_role_name").as_deref(), Some("other"));
        let e = gather(
            XPANDER,
            &[("connector_role_name", "one"), ("connector_role_arn", "arn:aws:iam::111122223333:role/two")],
        )
        .unwrap_err();
        assert!(e.message.contains("different roles"), "{e}");
        let v = gather(XPANDER, &[("base_role_name", "xpander-other-base")]).unwrap();
        assert_eq!(
            v.get(None, "base_role_arn").as_deref(),
            Some("arn:aws:iam::111122223333:role/xpander-other-base")
        );
    }

    #[test]
    fn saved_values_count_below_the_configuration_and_the_flags() {
        let v =
            gather_saved("xpander", XPANDER, &[], &[("region", "eu-west-2"), ("database", "old")]).unwrap();
        assert_eq!(v.global["region"], known("us-west-1", Source::Config("region".into())));
        assert_eq!(v.connectors[0].values["database"].value, "xpander_demo");
        let v = gather_saved(
            "xpander",
            "",
            &[("account", "111122223333")],
            &[("region", "eu-west-2"), ("account", "444455556666")],
        )
        .unwrap();
        assert_eq!(v.global["region"], known("eu-west-2", Source::Saved));
        assert_eq!(v.global["region"].from.to_string(), "progress file");
        assert_eq!(v.global["account"], known("111122223333", Source::Flag));
        let v = gather_saved("xpander", "", &[], &[("nonsense", "x"), ("database", "db1")]).unwrap();
        assert_eq!(
            v.connectors[0].values["database"],
            known("db1", Source::Saved),
            "unknown keys are left out"
        );
    }

    #[test]
    fn a_learned_value_is_checked_like_a_given_one() {
        let p = preset("vcluster-rds").unwrap();
        let mut v = gather_saved("vcluster-rds", "", &[], &[]).unwrap();
        let e = v
            .learn(p, Some("connector"), "db_host", "db.example.com;id", "rds:DescribeDBInstances")
            .unwrap_err();
        assert!(e.to_string().contains("db_host") && e.message.contains("rds:DescribeDBInstances"), "{e}");
        assert_eq!(v.get(Some(&v.connectors[0]), "db_host"), None, "a refused value is left out");
        v.learn(p, Some("connector"), "db_resource_id", "db-ABC123", "rds:DescribeDBInstances").unwrap();
        assert_eq!(v.get(Some(&v.connectors[0]), "db_resource_id").as_deref(), Some("db-ABC123"));
        let q = preset("qualytics").unwrap();
        let mut v = gather_saved("qualytics", "", &[], &[]).unwrap();
        assert!(v.learn(q, None, "oidc_provider", "https://oidc.example.com/id/X", "token").is_err());
    }

    #[test]
    fn every_key_has_a_rule_and_every_when_names_a_value() {
        for p in crate::onboard::preset::presets() {
            let rule_of = |k: &str| rule(p, k).unwrap_or_else(|| panic!("{}: {k} has no rule", p.name));
            for k in p.values.iter().map(|v| v.key.as_str()).chain(DERIVED.iter().copied()) {
                assert!(
                    !validate(rule_of(k), "x").is_err_and(|e| e.contains("unknown rule")),
                    "{}: {k}",
                    p.name
                );
            }
            for (k, v) in &p.defaults {
                validate(rule_of(k), v).unwrap_or_else(|e| panic!("{}: default {k}: {e}", p.name));
            }
            let whens = p
                .values
                .iter()
                .filter_map(|v| v.when.as_deref())
                .chain(p.requirements.iter().filter_map(|r| r.when.as_deref()))
                .chain(p.steps.iter().filter_map(|s| s.when.as_deref()));
            for w in whens {
                let (key, options) = match When::parse(w) {
                    When::Given(k) | When::Absent(k) => (k, Vec::new()),
                    When::OneOf(k, o) => (k, o),
                };
                let known = p.value(&key).is_some()
                    || p.defaults.contains_key(&key)
                    || DERIVED.contains(&key.as_str());
                assert!(known, "{}: when {w:?} names no value", p.name);
                for o in options {
                    validate(rule_of(&key), &o).unwrap_or_else(|e| panic!("{}: when {w:?}: {e}", p.name));
                }
            }
        }
        assert!(DERIVED.iter().all(|k| RULES.iter().any(|(r, _)| r == k)), "a derived key without a rule");
    }
}
