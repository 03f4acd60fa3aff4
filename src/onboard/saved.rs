//! What an onboarding remembers between runs, so that a user can stop and resume: the preset
//! and the values given with `--value`. Secret values (ExternalIds) are never written; they are
//! asked for again. Remembered values count below the configuration and the flags.

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
    /// Step states that earlier versions wrote and nothing reads: accepted so that an older
    /// file still loads, and no longer written.
    #[serde(default, rename = "steps", skip_serializing)]
    legacy_steps: Option<BTreeMap<String, String>>,
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

    /// The saved values no flag in `given` names (a flag wins; a key given empty is forgotten),
    /// to be applied below the configuration and the flags.
    pub fn values_without(&self, given: &[(String, String)]) -> BTreeMap<String, String> {
        self.values
            .iter()
            .filter(|(k, _)| !given.iter().any(|(g, _)| g == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Writes the file.
    pub fn store(&self, path: &Path) -> Result<(), SavedError> {
        let fail = |message: String| SavedError { path: path.display().to_string(), message };
        let body = toml::to_string(self).map_err(|e| fail(e.to_string()))?;
        let text = format!(
            "# connector-doctor onboard remembers the preset and the values given with --value here, so\n\
             # that a later run resumes. ExternalIds are never written to this file.\n{body}"
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
        assert!(
            back.values_without(&[("account".into(), "444455556666".into())]).is_empty(),
            "a flag's key is left to the flag"
        );
        assert_eq!(back.values_without(&[]).get("account").map(String::as_str), Some("111122223333"));
        let mut forget = back.clone();
        forget.remember(&[("account".into(), String::new())], |_| false);
        assert!(forget.values.is_empty());
        assert!(back.values_without(&[("account".into(), String::new())]).is_empty());
        // A file with the step states earlier versions wrote still loads; they are not kept.
        std::fs::write(&path, "preset = \"xpander\"\n[steps]\nbase-role = \"done\"\n").unwrap();
        let old = Saved::load(&path).unwrap();
        assert_eq!(old.preset.as_deref(), Some("xpander"));
        old.store(&path).unwrap();
        assert!(!std::fs::read_to_string(&path).unwrap().contains("steps"));
        std::fs::write(&path, "nonsense = [").unwrap();
        assert!(Saved::load(&path).unwrap_err().to_string().starts_with(&path.display().to_string()));
    }
}
