//! The catalog: every check's title, what it proves, its dependencies and deadline, and every
//! failure code's remedy, read from `checks/*.toml` and compiled into the binary.
//!
//! Prose lives in data so that it can be reviewed, searched and changed without touching the
//! logic; drift tests keep the two in step (every code has a remedy, every remedy belongs to a
//! code the code can emit, every placeholder names a known fact).

pub mod placeholder;

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use serde::Deserialize;

use crate::outcome::{Code, Facts, Status};

/// The catalog files, in chain order.
const SOURCES: &[(&str, &str)] = &[
    ("checks/identity.toml", include_str!("../checks/identity.toml")),
    ("checks/chain.toml", include_str!("../checks/chain.toml")),
    ("checks/rds.toml", include_str!("../checks/rds.toml")),
    ("checks/redshift.toml", include_str!("../checks/redshift.toml")),
    ("checks/net.toml", include_str!("../checks/net.toml")),
];

/// One link of the chain as the catalog describes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// The link's id, the prefix of its checks' ids.
    pub link: String,
    /// A short name for headings.
    pub title: String,
    /// The link's checks, in display order.
    #[serde(rename = "check")]
    pub checks: Vec<CheckEntry>,
    /// The failure codes its checks report.
    #[serde(rename = "code", default)]
    pub codes: Vec<CodeEntry>,
}

/// One check as the catalog describes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckEntry {
    /// The stable id, such as `identity.caller`.
    pub id: String,
    /// A short title.
    pub title: String,
    /// What a pass proves, in a sentence or two.
    pub proves: String,
    /// The checks whose results this one needs.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// How long the check may take before the engine stops it.
    pub deadline_ms: u64,
    /// Whether the check runs once per connector.
    #[serde(default)]
    pub per_connector: bool,
    /// The connector kinds it applies to (`rds`, `redshift`, `secret`); empty means every kind.
    #[serde(default)]
    pub kinds: Vec<crate::config::ConnectorKind>,
}

impl CheckEntry {
    /// The deadline as a duration.
    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.deadline_ms)
    }
}

/// One failure code as the catalog describes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeEntry {
    /// The code itself.
    pub code: String,
    /// The checks that report it; the first is its home.
    pub checks: Vec<String>,
    /// The status it is reported with.
    pub status: Status,
    /// What is wrong, in a line.
    pub title: String,
    /// What to do, with `{placeholders}` for the user's real values.
    pub remedy: String,
    /// Commands to paste, with placeholders.
    #[serde(default)]
    pub commands: Vec<String>,
}

/// The whole catalog.
#[derive(Debug)]
pub struct Catalog {
    /// The links, in chain order.
    pub links: Vec<Link>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| match Catalog::parse(SOURCES) {
    Ok(c) => c,
    // The catalog is compiled in and its parse is tested; failing here is a build defect.
    Err(e) => panic!("the compiled-in catalog is invalid: {e}"),
});

/// The compiled-in catalog.
pub fn catalog() -> &'static Catalog {
    &CATALOG
}

/// A remedy with the user's values filled in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Remedy {
    /// What to do.
    pub text: String,
    /// Commands to paste.
    pub commands: Vec<String>,
    /// Placeholders that no fact filled; they are shown as `<name>`.
    #[serde(skip)]
    pub unfilled: Vec<String>,
}

impl Catalog {
    /// Parses catalog files.
    pub fn parse(sources: &[(&str, &str)]) -> Result<Self, String> {
        let mut links = Vec::new();
        for (name, text) in sources {
            let link: Link = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
            links.push(link);
        }
        Ok(Self { links })
    }

    /// Every check, in chain order.
    pub fn checks(&self) -> impl Iterator<Item = &CheckEntry> {
        self.links.iter().flat_map(|l| l.checks.iter())
    }

    /// Every code entry.
    pub fn codes(&self) -> impl Iterator<Item = &CodeEntry> {
        self.links.iter().flat_map(|l| l.codes.iter())
    }

    /// The check with this id.
    pub fn check(&self, id: &str) -> Option<&CheckEntry> {
        self.checks().find(|c| c.id == id)
    }

    /// The entry for a code.
    pub fn code(&self, code: Code) -> Option<&CodeEntry> {
        self.code_named(code.as_str())
    }

    /// The entry for a code given by name.
    pub fn code_named(&self, name: &str) -> Option<&CodeEntry> {
        self.codes().find(|c| c.code == name)
    }

    /// The remedy for `code`, filled from `facts`.
    pub fn remedy(&self, code: Code, facts: &Facts) -> Option<Remedy> {
        let entry = self.code(code)?;
        let mut unfilled = Vec::new();
        let text = placeholder::fill(&entry.remedy, facts, &mut unfilled);
        let commands = entry.commands.iter().map(|c| placeholder::fill(c, facts, &mut unfilled)).collect();
        unfilled.sort();
        unfilled.dedup();
        Some(Remedy { text, commands, unfilled })
    }

    /// Every code whose home is `check_id`, sorted.
    pub fn codes_of(&self, check_id: &str) -> Vec<&CodeEntry> {
        let mut v: Vec<_> = self.codes().filter(|c| c.checks.iter().any(|id| id == check_id)).collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }

    /// Checks the catalog against itself: unique ids, known dependencies in an acyclic order,
    /// codes that name existing checks. Returns every problem found.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut seen = BTreeMap::new();
        for (position, check) in self.checks().enumerate() {
            if seen.insert(check.id.as_str(), position).is_some() {
                problems.push(format!("check {} is listed twice", check.id));
            }
            for dep in &check.depends_on {
                match seen.get(dep.as_str()) {
                    Some(_) if dep != &check.id => {}
                    // A dependency must come earlier: that keeps the graph acyclic by construction.
                    _ => problems
                        .push(format!("check {} depends on {dep}, which is not listed before it", check.id)),
                }
            }
            if check.deadline_ms == 0 {
                problems.push(format!("check {} has no deadline", check.id));
            }
        }
        let mut codes = std::collections::BTreeSet::new();
        for code in self.codes() {
            if !codes.insert(code.code.as_str()) {
                problems.push(format!("code {} is listed twice", code.code));
            }
            if code.checks.is_empty() {
                problems.push(format!("code {} names no check", code.code));
            }
            for id in &code.checks {
                if self.check(id).is_none() {
                    problems.push(format!("code {} names unknown check {id}", code.code));
                }
            }
            if !matches!(code.status, Status::Fail | Status::Warn) {
                problems.push(format!("code {} must be fail or warn", code.code));
            }
            for text in std::iter::once(&code.remedy).chain(&code.commands) {
                for name in placeholder::names(text) {
                    if !placeholder::is_known(&name) {
                        problems.push(format!("code {} uses unknown placeholder {{{name}}}", code.code));
                    }
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_catalog_is_consistent() {
        let problems = catalog().validate();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn every_code_the_code_can_emit_has_a_remedy_and_no_other() {
        let listed: Vec<&str> = catalog().codes().map(|c| c.code.as_str()).collect();
        for code in Code::ALL {
            assert!(listed.contains(&code.as_str()), "{code} has no catalog entry");
        }
        for name in listed {
            assert!(Code::parse(name).is_some(), "catalog lists {name}, which the code never emits");
        }
    }

    #[test]
    fn a_cycle_or_forward_dependency_is_reported() {
        let text = r#"
link = "x"
title = "X"
[[check]]
id = "x.a"
title = "A"
proves = "a"
depends_on = ["x.b"]
deadline_ms = 1
[[check]]
id = "x.b"
title = "B"
proves = "b"
depends_on = ["x.a"]
deadline_ms = 1
"#;
        let c = Catalog::parse(&[("x.toml", text)]).unwrap();
        let problems = c.validate();
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn unknown_keys_in_the_catalog_are_rejected() {
        let text = "link = \"x\"\ntitle = \"X\"\ncheck = []\nsurprise = 1\n";
        assert!(Catalog::parse(&[("x.toml", text)]).is_err());
    }
}
