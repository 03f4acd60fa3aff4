//! The lab's mutable state, shared by every endpoint: which access keys exist and whom they
//! belong to, the IMDS session tokens handed out, and the log of every request served. One
//! AWS account, like the scenario describes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::clock;
use crate::ids::{Ids, stable_unique_id};
use crate::postgres::Postgres;
use crate::scenario::Scenario;

/// One request the lab served, for tests that check what the doctor called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `aws`, `agent` or `imds`.
    pub endpoint: String,
    /// The service: `sts`, `pod-identity-agent`, `imds`, … (`unknown` when it cannot be told).
    pub service: String,
    /// The API action (`GetCallerIdentity`), or `METHOD /path` for the HTTP-only endpoints.
    pub action: String,
    /// The access key the request was signed with, if it was signed.
    pub access_key_id: Option<String>,
}

/// Whom an access key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// An IAM user with a long-term key.
    User {
        /// User name.
        name: String,
    },
    /// A session of an assumed role.
    AssumedRole {
        /// Role name.
        role: String,
        /// Role session name.
        session: String,
    },
}

impl Identity {
    /// The ARN `GetCallerIdentity` reports.
    pub fn arn(&self, account: &str) -> String {
        match self {
            Self::User { name } => format!("arn:aws:iam::{account}:user/{name}"),
            Self::AssumedRole { role, session } => {
                format!("arn:aws:sts::{account}:assumed-role/{role}/{session}")
            }
        }
    }

    /// The `UserId` `GetCallerIdentity` reports: `AIDA…` for users, `AROA…:<session>` for
    /// role sessions.
    pub fn user_id(&self, account: &str) -> String {
        match self {
            Self::User { name } => stable_unique_id("AIDA", &format!("{account}/user/{name}")),
            Self::AssumedRole { role, session } => {
                format!("{}:{session}", role_id(account, role))
            }
        }
    }
}

/// A role's unique ID (`AROA…`), the same in every run.
pub fn role_id(account: &str, role: &str) -> String {
    stable_unique_id("AROA", &format!("{account}/role/{role}"))
}

/// What a role session carries beyond its name: the account of its role, its session tags
/// and which of them are transitive, and whether it came from another role (chaining).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    /// The account the identity belongs to; `None` means the scenario's account.
    pub account: Option<String>,
    /// Session tags, as `aws:PrincipalTag/<key>` sees them.
    pub tags: Vec<(String, String)>,
    /// Keys of the tags that ride into the next hop of a role chain.
    pub transitive: Vec<String>,
    /// Whether the session was made by a role session assuming a role (the 1-hour cap applies
    /// to its own next hops regardless, as to every hop from a role session).
    pub chained: bool,
}

/// An access key as the lab remembers it.
#[derive(Debug, Clone)]
pub struct Key {
    /// Session token, for temporary credentials.
    pub session_token: Option<String>,
    /// Whose key it is.
    pub identity: Identity,
    /// When temporary credentials expire (epoch seconds).
    pub expires: Option<i64>,
    /// The session's tags and origin (empty for users).
    pub session: Session,
    /// The secret access key, so that signatures made with the key can be recomputed (the
    /// RDS front checks IAM auth tokens that way).
    pub secret_access_key: String,
}

/// A freshly issued set of temporary credentials.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `ASIA…`.
    pub access_key_id: String,
    /// Secret.
    pub secret_access_key: String,
    /// Session token.
    pub session_token: String,
    /// Expiry, epoch seconds.
    pub expiration: i64,
}

#[derive(Debug, Default)]
struct State {
    keys: HashMap<String, Key>,
    user_keys: Vec<(String, String)>,
    imds_tokens: HashSet<String>,
    calls: Vec<Call>,
}

/// The shared world: the scenario plus what happened so far.
#[derive(Debug)]
pub struct World {
    /// The scenario this world was made from.
    pub scenario: Scenario,
    /// Where IDs and secrets come from.
    pub ids: Ids,
    state: Mutex<State>,
    /// The real PostgreSQL server behind the database endpoints, when the scenario has any.
    postgres: Option<Postgres>,
    /// Every Redshift Data API statement, shared with the tasks that run them.
    pub statements: Arc<crate::redshift::Statements>,
}

impl World {
    /// Creates the world and gives every IAM user its access key.
    pub fn new(scenario: Scenario) -> Self {
        let ids = Ids::default();
        let mut state = State::default();
        for user in &scenario.users {
            let id = user.access_key_id.clone().unwrap_or_else(|| ids.access_key_id("AKIA"));
            let secret = user.secret_access_key.clone().unwrap_or_else(|| ids.secret_access_key());
            state.keys.insert(
                id.clone(),
                Key {
                    session_token: None,
                    identity: Identity::User { name: user.name.clone() },
                    expires: None,
                    session: Session::default(),
                    secret_access_key: secret.clone(),
                },
            );
            state.user_keys.push((id, secret));
        }
        Self { scenario, ids, state: Mutex::new(state), postgres: None, statements: Arc::default() }
    }

    /// The world with the PostgreSQL server it owns from now on (stopped when the world goes).
    #[must_use]
    pub fn with_postgres(mut self, postgres: Option<Postgres>) -> Self {
        self.postgres = postgres;
        self
    }

    /// The real PostgreSQL server, when the scenario needs one ([`Scenario::needs_postgres`]).
    pub fn postgres(&self) -> Option<&Postgres> {
        self.postgres.as_ref()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data behind; keep serving.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The `(access key ID, secret)` of the n-th `[[user]]`.
    pub fn user_key(&self, index: usize) -> Option<(String, String)> {
        self.state().user_keys.get(index).cloned()
    }

    /// Issues temporary credentials for `identity`, valid for `lifetime` seconds.
    pub fn issue(&self, identity: Identity, lifetime: i64) -> Credentials {
        self.issue_session(identity, lifetime, Session::default())
    }

    /// Issues temporary credentials for a role session with tags and an origin.
    pub fn issue_session(&self, identity: Identity, lifetime: i64, session: Session) -> Credentials {
        let creds = Credentials {
            access_key_id: self.ids.access_key_id("ASIA"),
            secret_access_key: self.ids.secret_access_key(),
            session_token: self.ids.session_token(),
            expiration: clock::now() + lifetime,
        };
        self.state().keys.insert(
            creds.access_key_id.clone(),
            Key {
                session_token: Some(creds.session_token.clone()),
                identity,
                expires: Some(creds.expiration),
                session,
                secret_access_key: creds.secret_access_key.clone(),
            },
        );
        creds
    }

    /// Looks an access key up.
    pub fn key(&self, access_key_id: &str) -> Option<Key> {
        self.state().keys.get(access_key_id).cloned()
    }

    /// Remembers an IMDSv2 session token.
    pub fn add_imds_token(&self, token: String) {
        self.state().imds_tokens.insert(token);
    }

    /// Whether an IMDSv2 session token was handed out.
    pub fn imds_token_ok(&self, token: &str) -> bool {
        self.state().imds_tokens.contains(token)
    }

    /// Logs a served request.
    pub fn record(&self, call: Call) {
        self.state().calls.push(call);
    }

    /// Every request served so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_get_keys_and_sessions_are_distinct() {
        let scenario =
            Scenario::from_toml_str("[[user]]\nname = \"ci\"\naccess_key_id = \"AKIAIOSFODNN7EXAMPLE\"\n")
                .unwrap();
        let world = World::new(scenario);
        let (id, _) = world.user_key(0).unwrap();
        assert_eq!(id, "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(world.key(&id).unwrap().identity.arn("1"), "arn:aws:iam::1:user/ci");
        let who = Identity::AssumedRole { role: "r".into(), session: "s".into() };
        let a = world.issue(who.clone(), 60);
        let b = world.issue(who.clone(), 60);
        assert_ne!(a.secret_access_key, b.secret_access_key);
        assert_ne!(a.session_token, b.session_token);
        assert!(who.user_id("1").starts_with("AROA"));
        assert!(who.user_id("1").ends_with(":s"));
    }
}
