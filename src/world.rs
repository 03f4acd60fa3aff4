//! Everything the doctor reads from outside itself, gathered in one value.
//!
//! Checks never call `std::env` or the system clock directly: they ask the [`World`]. Tests
//! and the lab build a world of their own, so every check is hermetic, and the judges that turn
//! observations into verdicts can be tested on plain values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::secret::Redactor;

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now, as the wall clock says.
    fn now(&self) -> SystemTime;
}

/// The machine's own clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock stopped at one instant, for tests.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub SystemTime);

impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        self.0
    }
}

/// The environment, the clock, the files and the redactor of one run.
#[derive(Clone)]
pub struct World {
    env: BTreeMap<String, String>,
    clock: Arc<dyn Clock>,
    /// Remembers every secret seen so that no output repeats it.
    pub redactor: Redactor,
    /// The user id this process runs as, for explaining unreadable files.
    pub uid: Option<u32>,
    /// How far AWS's clock is from this one, as AWS's replies show.
    pub server_clock: crate::aws::clock::ServerClock,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The environment may hold secrets: list names only.
        f.debug_struct("World").field("env", &self.env.keys().collect::<Vec<_>>()).finish_non_exhaustive()
    }
}

impl World {
    /// The world this process lives in.
    pub fn from_process() -> Self {
        Self {
            env: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            clock: Arc::new(SystemClock),
            redactor: Redactor::default(),
            uid: process_uid(),
            server_clock: crate::aws::clock::ServerClock::default(),
        }
    }

    /// A world with exactly these variables and clock, for tests.
    pub fn with_env<I, K, V>(vars: I, clock: Arc<dyn Clock>) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            env: vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
            clock,
            redactor: Redactor::default(),
            uid: Some(0),
            server_clock: crate::aws::clock::ServerClock::default(),
        }
    }

    /// A variable's value; empty values count as unset, as the AWS SDKs treat them.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str).filter(|v| !v.trim().is_empty())
    }

    /// Whether a boolean-ish variable is set to true.
    pub fn flag(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// All variables, for handing the same environment to the AWS SDK's providers.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.env.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Now.
    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// The home directory, where the AWS shared files live by default.
    pub fn home(&self) -> Option<PathBuf> {
        self.var("HOME").map(PathBuf::from)
    }

    /// The AWS shared config file this environment points at.
    pub fn aws_config_file(&self) -> Option<PathBuf> {
        self.var("AWS_CONFIG_FILE").map(PathBuf::from).or_else(|| self.home().map(|h| h.join(".aws/config")))
    }

    /// The AWS shared credentials file this environment points at.
    pub fn aws_credentials_file(&self) -> Option<PathBuf> {
        self.var("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .or_else(|| self.home().map(|h| h.join(".aws/credentials")))
    }
}

/// Reads the real user id from `/proc`, which needs no `unsafe` call into libc.
fn process_uid() -> Option<u32> {
    let status = std::fs::read_to_string(Path::new("/proc/self/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|uid| uid.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_variables_count_as_unset() {
        let w = World::with_env([("A", ""), ("B", " x ")], Arc::new(SystemClock));
        assert_eq!(w.var("A"), None);
        assert_eq!(w.var("B"), Some(" x "));
        assert!(!w.flag("B"));
    }
}
