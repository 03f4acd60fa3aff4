//! What an onboarding remembers between runs, so that a user can stop and resume: the preset,
//! the values given with `--value`, and each step's state after the last live run. Secret values
//! (ExternalIds) are never written; they are asked for again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file used when `--progress` is not given, in the working directory.
pub const DEFAULT_FILE: &str = ".connector-doctor-onboard.toml";

/// The remembered state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Saved {
    /// The preset followed.
    pub preset: Option<String>,
    /// Values given with `--value`, by key.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// Each step's state after the last live run, by `step` or `step[connector]`.
    #[serde(default)]
    pub steps: BTreeMap<String, String>,
}

/// Why the file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SavedError {
    /// The file.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

impl Saved {
    /// The file to use: `explicit`, else the default in the working directory.
    pub fn path(explicit: Option<&Path>) -> PathBuf {
        explicit.map_or_else(|| PathBuf::from(DEFAULT_FILE), Path::to_path_buf)
    }

    /// Reads the file; a missing file is an empty memory.
    pub fn load(path: &Path) -> Result<Saved, SavedError> {
        let fail = |message: String| SavedError { path: path.display().to_string(), message };
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| fail(e.message().to_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Saved::default()),
            Err(e) => Err(fail(e.to_string())),
        }
    }

    /// Remembers `given` values on top of the saved ones, leaving out `secret` keys; an empty
    /// value (`--value KEY=`) forgets the key.
    pub fn remember(&mut self, given: &[(String, String)], secret: impl Fn(&str) -> bool) {
        for (key, value) in given {
            if value.is_empty() {
                self.values.remove(key);
            } else if !secret(key) {
                self.values.insert(key.clone(), value.clone());
            }
        }
    }

    /// The saved values followed by `given`, so that flags win; a key given empty is dropped.
    pub fn values_with(&self, given: &[(String, String)]) -> Vec<(String, String)> {
        let forgotten = |k: &str| given.iter().any(|(g, v)| g == k && v.is_empty());
        self.values
            .iter()
            .filter(|(k, _)| !forgotten(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(given.iter().filter(|(_, v)| !v.is_empty()).cloned())
            .collect()
    }

    /// Writes the file.
    pub fn store(&self, path: &Path) -> Result<(), SavedError> {
        let fail = |message: String| SavedError { path: path.display().to_string(), message };
        let body = toml::to_string(self).map_err(|e| fail(e.to_string()))?;
        let text = format!(
            "# connector-doctor onboard remembers the preset, the values given with --value and each step's\n\
             # state here, so that a later run resumes. ExternalIds are never written to this file.\n{body}"
        );
        std::fs::write(path, text).map_err(|e| fail(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        assert_eq!(Saved::load(&path).unwrap(), Saved::default());
        let mut s = Saved { preset: Some("xpander".into()), ..Saved::default() };
        s.remember(
            &[("account".into(), "111122223333".into()), ("external_id".into(), "org-1".into())],
            |k| k == "external_id",
        );
        s.store(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("org-1"), "{text}");
        let back = Saved::load(&path).unwrap();
        assert_eq!(back, s);
        let merged = back.values_with(&[("account".into(), "444455556666".into())]);
        assert_eq!(merged.last().unwrap().1, "444455556666", "flags come last and win");
        let mut forget = back.clone();
        forget.remember(&[("account".into(), String::new())], |_| false);
        assert!(forget.values.is_empty());
        assert!(back.values_with(&[("account".into(), String::new())]).is_empty());
        std::fs::write(&path, "nonsense = [").unwrap();
        assert!(Saved::load(&path).unwrap_err().to_string().starts_with(&path.display().to_string()));
    }
}
