//! A preset: one vendor's setup as data (`onboard/presets/*.toml`, compiled in). It names the
//! values the setup needs, the requirements the chain puts on each role's policies, and the
//! steps that apply them. The prose and policy shapes live in the data so that a reviewer can
//! read a preset beside the vendor's guide; this module only gives the data types.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::config::ConnectorKind;

/// The preset files, compiled in.
const SOURCES: &[(&str, &str)] = &[
    ("onboard/presets/xpander.toml", include_str!("../../onboard/presets/xpander.toml")),
    ("onboard/presets/qualytics.toml", include_str!("../../onboard/presets/qualytics.toml")),
    ("onboard/presets/vcluster-rds.toml", include_str!("../../onboard/presets/vcluster-rds.toml")),
];

/// One vendor's setup.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// The name given to `--preset` and `preset =` in the configuration.
    pub name: String,
    /// A one-line title.
    pub title: String,
    /// What the setup is, in a paragraph.
    pub about: String,
    /// Whether the base role must hold nothing but `sts:AssumeRole` and `sts:TagSession`.
    pub base_assumes_only: bool,
    /// Values used when neither the configuration nor `--value` gives one.
    #[serde(default)]
    pub defaults: BTreeMap<String, String>,
    /// The values the setup needs.
    #[serde(rename = "value", default)]
    pub values: Vec<ValueSpec>,
    /// What the chain requires of the roles' policies.
    #[serde(rename = "requirement", default)]
    pub requirements: Vec<Requirement>,
    /// The setup steps, in order.
    #[serde(rename = "step", default)]
    pub steps: Vec<Step>,
}

/// Whether a value belongs to the whole setup or to one connector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// One value for the setup.
    #[default]
    Global,
    /// One value per connector.
    Connector,
}

/// A value the setup needs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueSpec {
    /// Its key, which is also its `{placeholder}`.
    pub key: String,
    /// What it is, for the list of missing values.
    pub what: String,
    /// How it is validated (`values::validate`): `account`, `region`, `partition`, `arn`,
    /// `role-arn`, `arn-list`, `role-name`, `policy-name`, `name`, `connector`, `eks-cluster`,
    /// `k8s-namespace`, `k8s-name`, `redshift-id`, `rds-id`, `db-name`, `host`, `port`,
    /// `db-resource-id`, `oidc-provider`, `external-id`, or `choice:a|b|c`.
    pub check: String,
    /// Global or per connector.
    #[serde(default)]
    pub scope: Scope,
    /// A command that looks the value up, with placeholders.
    pub find: Option<String>,
    /// Never shown: the guide names an environment variable instead.
    #[serde(default)]
    pub secret: bool,
    /// Not needed unless given.
    #[serde(default)]
    pub optional: bool,
    /// The connector kinds it applies to; empty: every kind.
    #[serde(default)]
    pub kinds: Vec<ConnectorKind>,
    /// When it is needed (see [`When`]).
    pub when: Option<String>,
}

/// Whose policy a requirement is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleRef {
    /// The base identity the pods run as.
    Base,
    /// Each connector's role.
    Connector,
    /// A standalone managed policy (a permission boundary), not attached to the chain's roles.
    Document,
}

/// Allow or deny.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Effect {
    /// The statement grants.
    #[default]
    Allow,
    /// The statement forbids.
    Deny,
}

/// One condition a statement carries, besides the ExternalId.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    /// The operator, such as `StringEquals`.
    pub test: String,
    /// The context key, with placeholders.
    pub key: String,
    /// The value, with placeholders.
    pub value: String,
}

/// What the chain requires of one role's policy, stated by meaning: who may do which actions on
/// which resources, under which conditions. The guide renders it, the plan proof evaluates the
/// rendering, and the audit evaluates the real policy against it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// A stable id.
    pub id: String,
    /// Whose policy.
    pub role: RoleRef,
    /// `trust`, or the name of a permission policy.
    pub policy: String,
    /// The statement's Sid in the rendering.
    pub sid: String,
    /// Allow (the default) or deny.
    #[serde(default)]
    pub effect: Effect,
    /// For trust statements: `service:NAME`, `aws:ARN` or `federated:ARN`.
    pub principal: Option<String>,
    /// The actions.
    pub actions: Vec<String>,
    /// For permission statements: the resources, with placeholders.
    #[serde(default)]
    pub resources: Vec<String>,
    /// A value (a comma-separated ARN list) that, when given, replaces the resources in the
    /// rendering; the proof still checks the resources the chain needs.
    pub resources_value: Option<String>,
    /// The statement demands the connector's ExternalId.
    #[serde(default)]
    pub external_id: bool,
    /// Other conditions.
    #[serde(default)]
    pub conditions: Vec<ConditionSpec>,
    /// An internal hop: the statement must carry no condition, since internal calls pass none.
    #[serde(default)]
    pub internal: bool,
    /// The vendor scopes the resources: `"Resource": "*"` instead is worth a warning.
    #[serde(default)]
    pub scoped: bool,
    /// The connector kinds it applies to; empty: every kind.
    #[serde(default)]
    pub kinds: Vec<ConnectorKind>,
    /// When it applies (see [`When`]).
    pub when: Option<String>,
    /// Why the chain needs it, in a phrase.
    pub why: String,
}

/// One setup step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A stable id.
    pub id: String,
    /// Its title, with placeholders.
    pub title: String,
    /// What it does, with placeholders.
    pub does: String,
    /// Done once per connector.
    #[serde(default)]
    pub per_connector: bool,
    /// The connector kinds it applies to; empty: every kind.
    #[serde(default)]
    pub kinds: Vec<ConnectorKind>,
    /// When it applies (see [`When`]).
    pub when: Option<String>,
    /// Whose policies it writes.
    pub role: Option<RoleRef>,
    /// The policies of that role it writes (`trust`, `initial-trust`, or permission policy names).
    #[serde(default)]
    pub policies: Vec<String>,
    /// Standalone policy documents it writes.
    #[serde(default)]
    pub documents: Vec<String>,
    /// Commands, with placeholders.
    #[serde(default)]
    pub commands: Vec<String>,
    /// A command run for each permission policy it writes, with `{policy}` and `{file}`.
    pub policy_command: Option<String>,
    /// The check ids that prove the step done.
    #[serde(default)]
    pub proves: Vec<String>,
}

/// A condition on values: `key` (given), `!key` (not given), `key=a|b` (one of).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// The value is known.
    Given(String),
    /// The value is not known.
    Absent(String),
    /// The value is one of these.
    OneOf(String, Vec<String>),
}

impl When {
    /// Parses the mini-syntax.
    pub fn parse(text: &str) -> When {
        if let Some(key) = text.strip_prefix('!') {
            When::Absent(key.trim().to_owned())
        } else if let Some((key, values)) = text.split_once('=') {
            When::OneOf(key.trim().to_owned(), values.split('|').map(|v| v.trim().to_owned()).collect())
        } else {
            When::Given(text.trim().to_owned())
        }
    }

    /// Whether it holds, given a lookup of values.
    pub fn holds(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        match self {
            When::Given(k) => get(k).is_some(),
            When::Absent(k) => get(k).is_none(),
            When::OneOf(k, values) => get(k).is_some_and(|v| values.contains(&v)),
        }
    }
}

static PRESETS: LazyLock<Vec<Preset>> = LazyLock::new(|| match parse_all(SOURCES) {
    Ok(p) => p,
    // The presets are compiled in and their parse is tested; failing here is a build defect.
    Err(e) => panic!("a compiled-in preset is invalid: {e}"),
});

fn parse_all(sources: &[(&str, &str)]) -> Result<Vec<Preset>, String> {
    sources.iter().map(|(name, text)| toml::from_str(text).map_err(|e| format!("{name}: {e}"))).collect()
}

/// Every preset.
pub fn presets() -> &'static [Preset] {
    &PRESETS
}

/// The preset called `name`.
pub fn preset(name: &str) -> Option<&'static Preset> {
    presets().iter().find(|p| p.name == name)
}

impl Preset {
    /// The spec of value `key`.
    pub fn value(&self, key: &str) -> Option<&ValueSpec> {
        self.values.iter().find(|v| v.key == key)
    }

    /// The requirement with this id.
    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;
    use crate::catalog::placeholder;

    #[test]
    fn every_preset_parses_and_names_only_known_checks() {
        assert_eq!(
            presets().iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["xpander", "qualytics", "vcluster-rds"]
        );
        for p in presets() {
            for step in &p.steps {
                assert!(!step.proves.is_empty() || step.commands.is_empty(), "{}: {}", p.name, step.id);
                for id in &step.proves {
                    assert!(catalog().check(id).is_some() || id == "chain.policies", "{}: {id}", p.name);
                }
                for policy in &step.policies {
                    let known = policy == "trust"
                        || policy == "initial-trust"
                        || p.requirements.iter().any(|r| &r.policy == policy);
                    assert!(
                        known,
                        "{}: step {} writes {policy}, which no requirement fills",
                        p.name, step.id
                    );
                }
            }
        }
    }

    #[test]
    fn every_placeholder_names_a_value_the_setup_knows() {
        for p in presets() {
            let known = |name: &str| {
                p.value(name).is_some()
                    || p.defaults.contains_key(name)
                    || super::super::values::DERIVED.contains(&name)
                    || ["policy", "file"].contains(&name)
            };
            let mut texts: Vec<&str> = Vec::new();
            for s in &p.steps {
                texts.extend([s.title.as_str(), s.does.as_str()]);
                texts.extend(s.commands.iter().map(String::as_str));
                texts.extend(s.documents.iter().map(String::as_str));
                texts.extend(s.policy_command.iter().map(String::as_str));
            }
            for r in &p.requirements {
                texts.extend(r.resources.iter().map(String::as_str));
                texts.extend(r.principal.iter().map(String::as_str));
                texts.push(&r.policy);
                texts.push(&r.why);
                for c in &r.conditions {
                    texts.extend([c.key.as_str(), c.value.as_str()]);
                }
            }
            for v in &p.values {
                texts.extend(v.find.iter().map(String::as_str));
            }
            for text in texts {
                for name in placeholder::names(text) {
                    assert!(known(&name), "{}: {{{name}}} in {text:?} is no value", p.name);
                }
            }
        }
    }
}
