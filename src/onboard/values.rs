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
pub const DERIVED: &[&str] =
    &["base_role_arn", "connector_role_arn", "connector", "workgroup", "base_principal_arn", "kind"];

/// Where a value came from, for the guide's table of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The configuration file (the field named).
    Config(String),
    /// A `--value` flag.
    Flag,
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

/// The environment variable the generated script reads a connector's ExternalId from.
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
    /// Gathers the values for `preset`. `given` are the `--value` flags in order; `env` reads
    /// the environment (for the region).
    pub fn gather(
        preset: &Preset,
        config: &Config,
        given: &[(String, String)],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Values, ValueError> {
        let mut global: BTreeMap<String, Known> = BTreeMap::new();
        let mut flags: BTreeMap<String, String> = BTreeMap::new();
        for (key, value) in given {
            let allowed = preset.value(key).is_some()
                || preset.defaults.contains_key(key)
                || DERIVED.contains(&key.as_str());
            if !allowed {
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
            flags.insert(key.clone(), value.clone());
        }
        let from_config = |field: &str| Source::Config(field.to_owned());
        if let Some(region) = &config.region {
            global.insert("region".into(), known(region, from_config("region")));
        } else if let Some((var, region)) =
            ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().find_map(|v| env(v).map(|r| (*v, r)))
        {
            global.insert("region".into(), known(region, Source::Env(var.to_owned())));
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
        // Flags win over the file for global values; per-connector flags apply to every connector.
        for (key, value) in &flags {
            let scope = preset.value(key).map_or(Scope::Global, |v| v.scope);
            if scope == Scope::Global && !is_connector_key(key) {
                global.insert(key.clone(), known(value, Source::Flag));
            }
        }
        for (key, value) in &preset.defaults {
            global.entry(key.clone()).or_insert_with(|| known(value, Source::Default));
        }
        let mut connectors = from_config_connectors(config);
        if connectors.is_empty() {
            // No [[connector]] yet: one connector, described by flags and defaults.
            let name = flags.get("connector").cloned().unwrap_or_else(|| "connector".to_owned());
            let kind = match flags.get("kind").or(preset.defaults.get("kind")).map(String::as_str) {
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
            values.insert("connector".to_owned(), known(&name, Source::Default));
            connectors.push(ConnectorValues { name, kind, values, external_id: None });
        }
        for conn in &mut connectors {
            for (key, value) in &flags {
                let scope = preset.value(key).map_or(Scope::Global, |v| v.scope);
                if (scope == Scope::Connector || is_connector_key(key)) && key != "connector" {
                    if key == "external_id" {
                        conn.external_id = Some(Secret::new(value.clone()));
                    } else {
                        conn.values.insert(key.clone(), known(value, Source::Flag));
                    }
                }
            }
            for spec in preset.values.iter().filter(|v| v.scope == Scope::Connector) {
                if let (Some(default), false) =
                    (preset.defaults.get(&spec.key), conn.values.contains_key(&spec.key))
                {
                    conn.values.insert(spec.key.clone(), known(default, Source::Default));
                }
            }
        }
        let mut values = Values { global, connectors };
        values.derive();
        values.validate(preset)?;
        Ok(values)
    }

    /// Takes a value learned from AWS by `call` over a default or a derived one (never over
    /// one given), for the connector named or for all; then derives again.
    pub fn learn(&mut self, connector: Option<&str>, key: &str, value: &str, call: &'static str) {
        let weak = |k: Option<&Known>| k.is_none_or(|k| matches!(k.from, Source::Default | Source::Derived));
        let target = match connector {
            None => Some(&mut self.global),
            Some(name) => self.connectors.iter_mut().find(|c| c.name == name).map(|c| &mut c.values),
        };
        let Some(target) = target else { return };
        if weak(target.get(key)) {
            target.insert(key.to_owned(), known(value, Source::Discovered(call)));
            // Values derived before may now follow from the discovered one.
            self.global.retain(|_, k| k.from != Source::Derived);
            for c in &mut self.connectors {
                c.values.retain(|_, k| k.from != Source::Derived);
            }
            self.derive();
        }
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

    fn validate(&self, preset: &Preset) -> Result<(), ValueError> {
        for spec in &preset.values {
            let check = |value: &str, connector: Option<&str>| {
                validate(&spec.check, value).map_err(|message| ValueError {
                    key: spec.key.clone(),
                    connector: connector.map(str::to_owned),
                    message,
                })
            };
            match spec.scope {
                Scope::Global => {
                    if let Some(k) = self.global.get(&spec.key) {
                        check(&k.value, None)?;
                    }
                }
                Scope::Connector => {
                    for conn in &self.connectors {
                        if spec.key == "external_id" {
                            if let Some(id) = &conn.external_id {
                                check(id.expose(), Some(&conn.name))?;
                            }
                        } else if let Some(k) = conn.values.get(&spec.key) {
                            check(&k.value, Some(&conn.name))?;
                        }
                    }
                }
            }
        }
        // Derived values the preset does not list still have a shape to keep.
        let derived = [
            ("connector_role_arn", "role-arn"),
            ("base_role_arn", "role-arn"),
            ("base_principal_arn", "arn"),
        ];
        for (key, rule) in derived.into_iter().filter(|(k, _)| preset.value(k).is_none()) {
            let fail = |message, connector: Option<&str>| ValueError {
                key: key.to_owned(),
                connector: connector.map(str::to_owned),
                message,
            };
            if let Some(k) = self.global.get(key) {
                validate(rule, &k.value).map_err(|m| fail(m, None))?;
            }
            for conn in &self.connectors {
                if let Some(k) = conn.values.get(key) {
                    validate(rule, &k.value).map_err(|m| fail(m, Some(&conn.name)))?;
                }
            }
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
                spec.find
                    .as_ref()
                    .map(|f| crate::catalog::placeholder::fill(f, &self.facts(c), &mut unfilled))
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

/// Keys that describe a connector even when the preset lists them as global.
fn is_connector_key(key: &str) -> bool {
    ["connector_role_arn", "connector_role_name", "workgroup", "external_id"].contains(&key)
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
        "arn" => value.parse::<Arn>().map(drop).map_err(|e| format!("{value:?}: {e}")),
        "role-arn" => Arn::role(value).map(drop).map_err(|e| format!("{value:?}: {e}")),
        "arn-list" => value
            .split(',')
            .map(str::trim)
            .try_for_each(|a| a.parse::<Arn>().map(drop).map_err(|e| format!("{a:?}: {e}"))),
        "role-name" => {
            let ok = (1..=64).contains(&value.len())
                && value.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
            if ok {
                Ok(())
            } else {
                Err(format!("{value:?} is not an IAM name (1 to 64 of A-Z a-z 0-9 _ + = , . @ -)"))
            }
        }
        "name" => {
            if value.chars().any(char::is_whitespace) {
                Err(format!("{value:?} contains whitespace"))
            } else {
                Ok(())
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
        other => Err(format!("the preset names an unknown rule {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::onboard::preset::preset;

    fn gather(config: &str, given: &[(&str, &str)]) -> Result<Values, ValueError> {
        let config = Config::from_toml(Path::new("cd.toml"), config).unwrap();
        let given: Vec<(String, String)> =
            given.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Values::gather(preset("xpander").unwrap(), &config, &given, &|_| None)
    }

    const CONFIG: &str = r#"
region = "us-west-1"
base_role_arn = "arn:aws:iam::111122223333:role/xpander-base-role"
cluster_name = "xpander-prod"
[[connector]]
name = "warehouse"
kind = "redshift"
role_arn = "arn:aws:iam::111122223333:role/xpander-redshift-access"
cluster_id = "xpander-redshift"
database = "xpander_demo"
external_id = "org-7f3a9c2e"
"#;

    #[test]
    fn values_come_from_the_configuration_and_derive() {
        let v = gather(CONFIG, &[]).unwrap();
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
        let e = gather(CONFIG, &[("external_id", "org-7f3a9c2e ")]).unwrap_err();
        assert_eq!(e.key, "external_id");
        assert!(e.message.contains("whitespace") && !e.to_string().contains("org-7f3a9c2e"), "{e}");
        let e = gather(CONFIG, &[("account", "1234")]).unwrap_err();
        assert!(e.to_string().contains("12-digit"), "{e}");
        let e = gather(CONFIG, &[("acount", "1234")]).unwrap_err();
        assert!(e.to_string().contains("no such value") && e.to_string().contains("account"), "{e}");
        let e = gather(CONFIG, &[("assume_list", "arn:aws:iam::111122223333:role/a, nope")]).unwrap_err();
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
}
