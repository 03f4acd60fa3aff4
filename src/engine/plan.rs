//! The plan: which checks a run has, for which connectors, and what each depends on.

use std::sync::Arc;
use std::time::Duration;

use super::Check;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::outcome::CheckKey;

/// One check instance in a plan.
#[derive(Clone)]
pub struct Planned {
    /// Which check, for which connector.
    pub key: CheckKey,
    /// The instances it needs, all earlier in the plan.
    pub depends_on: Vec<CheckKey>,
    /// How long it may run.
    pub deadline: Duration,
    /// Its code.
    pub check: Arc<dyn Check>,
}

impl std::fmt::Debug for Planned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Planned")
            .field("key", &self.key)
            .field("depends_on", &self.depends_on)
            .finish_non_exhaustive()
    }
}

/// The checks of one run, in an order where every check comes after what it needs.
#[derive(Debug, Default)]
pub struct Plan {
    /// The checks.
    pub checks: Vec<Planned>,
}

/// Makes a check's code from its id and connector; `None` when this build has no code for it.
pub type Factory<'a> = &'a dyn Fn(&'static str, Option<&str>) -> Option<Arc<dyn Check>>;

impl Plan {
    /// The plan for `config`: every catalog check this build implements, once for the pod or
    /// once per connector, wired to its prerequisites (the same connector's, for per-connector ones).
    pub fn build(catalog: &'static Catalog, config: &Config, factory: Factory<'_>) -> Plan {
        let mut plan = Plan::default();
        for entry in catalog.checks() {
            let connectors: Vec<Option<&str>> = if entry.per_connector {
                config
                    .connectors
                    .iter()
                    .filter(|c| entry.kinds.is_empty() || entry.kinds.contains(&c.kind))
                    .map(|c| Some(c.name.as_str()))
                    .collect()
            } else {
                vec![None]
            };
            for connector in connectors {
                let Some(check) = factory(entry.id.as_str(), connector) else {
                    continue;
                };
                let depends_on = entry
                    .depends_on
                    .iter()
                    .filter_map(|dep| {
                        let dep_entry = catalog.check(dep)?;
                        let key = CheckKey {
                            id: dep_entry.id.as_str(),
                            connector: if dep_entry.per_connector {
                                connector.map(str::to_owned)
                            } else {
                                None
                            },
                        };
                        plan.contains(&key).then_some(key)
                    })
                    .collect();
                plan.checks.push(Planned {
                    key: CheckKey { id: entry.id.as_str(), connector: connector.map(str::to_owned) },
                    depends_on,
                    deadline: entry.deadline(),
                    check,
                });
            }
        }
        plan
    }

    /// `key` and every check that depends on it, directly or not: what a re-run of `key` redoes.
    pub fn with_dependents(&self, key: &CheckKey) -> std::collections::BTreeSet<CheckKey> {
        let mut out = std::collections::BTreeSet::from([key.clone()]);
        // The plan is in dependency order, so one pass finds every dependent.
        for planned in &self.checks {
            if planned.depends_on.iter().any(|d| out.contains(d)) {
                out.insert(planned.key.clone());
            }
        }
        out
    }

    /// Whether the plan has this check.
    pub fn contains(&self, key: &CheckKey) -> bool {
        self.checks.iter().any(|p| &p.key == key)
    }
}
