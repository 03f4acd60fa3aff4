//! Guided onboarding: a vendor's setup ([`preset`]) filled with the user's values ([`values`]),
//! its requirements made concrete per connector ([`need`]), the policy documents that satisfy
//! them and the proof that they do ([`plan`]), the printed guide ([`guide`]), and the audit of
//! real roles against the same requirements ([`audit`], used by the `chain.policies` check).
//!
//! One requirement model serves the generator, the plan proof and the audit, so that the policy
//! the guide prints is exactly the policy the audit expects.

pub mod audit;
pub mod cli;
#[cfg(test)]
mod fixtures;
pub mod guide;
pub mod json;
pub mod need;
pub mod plan;
pub mod preset;
pub mod progress;
pub mod saved;
pub mod values;

use std::collections::BTreeMap;

use need::Need;
use preset::Preset;
use values::{ValueError, Values};

use crate::config::Config;

/// One onboarding: a preset, the values gathered for it, and its needs.
#[derive(Debug)]
pub struct Onboarding {
    /// The preset.
    pub preset: &'static Preset,
    /// The values.
    pub values: Values,
    /// The requirements, per connector.
    pub needs: Vec<Need>,
}

/// A value learned from AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learned {
    /// The connector it belongs to, or `None` for a global value.
    pub connector: Option<String>,
    /// The preset's key.
    pub key: &'static str,
    /// The value.
    pub value: String,
    /// The call that told it.
    pub call: &'static str,
}

/// Why an onboarding cannot be prepared: bad usage, not a diagnosis.
#[derive(Debug, thiserror::Error)]
pub enum OnboardError {
    /// No preset was named anywhere.
    #[error("name a preset with --preset ({}) or preset = \"…\" in the configuration", names())]
    NoPreset,
    /// The preset does not exist.
    #[error("unknown preset {0:?}; expected one of {names}", names = names())]
    UnknownPreset(String),
    /// A `--value` flag is not `KEY=VALUE`; holds only the key it starts with, since the rest
    /// may be a secret.
    #[error("--value {0:?}…: expected KEY=VALUE")]
    ValueSyntax(String),
    /// A value is wrong.
    #[error("--value, configuration or progress file: {0}")]
    Value(#[from] ValueError),
}

fn names() -> String {
    preset::presets().iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// Splits `--value KEY=VALUE` flags.
pub fn parse_values(flags: &[String]) -> Result<Vec<(String, String)>, OnboardError> {
    let key_char = |c: char| c.is_ascii_alphanumeric() || "_-.".contains(c);
    flags
        .iter()
        .map(|f| match f.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() && k.trim().chars().all(key_char) => {
                Ok((k.trim().to_owned(), v.to_owned()))
            }
            // The flag may be a secret typed with the wrong separator: name only the key, what
            // stands before the first character no key has (`:`, `=`, a space).
            _ => Err(OnboardError::ValueSyntax(
                f.trim_start().chars().take_while(|c| key_char(*c)).take(40).collect(),
            )),
        })
        .collect()
}

impl Onboarding {
    /// Prepares the onboarding for `preset` (else the configuration's) with `config` and the
    /// `--value` flags; `env` reads the environment.
    pub fn prepare(
        preset_name: Option<&str>,
        config: &Config,
        given: &[(String, String)],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Onboarding, OnboardError> {
        Onboarding::prepare_with_saved(preset_name, config, given, &BTreeMap::new(), env)
    }

    /// [`Onboarding::prepare`] with the values remembered in the progress file, which count
    /// below the configuration and the flags.
    pub fn prepare_with_saved(
        preset_name: Option<&str>,
        config: &Config,
        given: &[(String, String)],
        saved: &BTreeMap<String, String>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Onboarding, OnboardError> {
        let name = preset_name.or(config.preset.as_deref()).ok_or(OnboardError::NoPreset)?;
        let preset = preset::preset(name).ok_or_else(|| OnboardError::UnknownPreset(name.to_owned()))?;
        let values = Values::gather_with_saved(preset, config, given, saved, env)?;
        let needs = need::needs(preset, &values);
        Ok(Onboarding { preset, values, needs })
    }

    /// Takes values learned from AWS (those not given otherwise) and makes the needs again;
    /// returns why each learned value that breaks its key's rule was left out.
    pub fn learn(&mut self, learned: &[Learned]) -> Vec<ValueError> {
        let mut refused = Vec::new();
        for l in learned {
            if let Err(e) = self.values.learn(self.preset, l.connector.as_deref(), l.key, &l.value, l.call) {
                refused.push(e);
            }
        }
        self.needs = need::needs(self.preset, &self.values);
        refused
    }

    /// The proof of the generated plan.
    pub fn prove(&self) -> plan::Proof {
        plan::prove(&self.needs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_flag_is_named_by_its_key_alone() {
        for flag in ["external_id:org-SECRET-9f", "external_id org-SECRET-9f", "external_id:x=org-SECRET-9f"]
        {
            let e = parse_values(&[flag.to_owned()]).unwrap_err().to_string();
            assert_eq!(e, "--value \"external_id\"…: expected KEY=VALUE");
        }
        assert_eq!(
            parse_values(&["account=1=2".to_owned()]).unwrap(),
            [("account".to_owned(), "1=2".to_owned())]
        );
    }
}
