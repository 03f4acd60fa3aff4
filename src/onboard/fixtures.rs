//! What the onboarding's unit tests share: an xpander and a Qualytics configuration (a Redshift
//! connector with its ExternalId each), a second connector to add to it, and the onboarding prepared from a
//! configuration text and `--value` pairs.

use std::path::Path;

use super::Onboarding;
use crate::config::Config;

/// An xpander setup with one Redshift connector.
pub const XPANDER: &str = r#"
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

/// A Qualytics setup: one Redshift target role reached with a named user and the customer's
/// ExternalId.
pub const QUALYTICS: &str = r#"
region = "us-west-1"
[[connector]]
name = "warehouse"
kind = "redshift"
role_arn = "arn:aws:iam::111122223333:role/qualytics-redshift-target"
cluster_id = "analytics"
database = "warehouse"
user = "qualytics"
external_id = "qualytics-4c1d-prod"
"#;

/// A second connector, to append to [`XPANDER`].
pub const LAKE: &str = r#"[[connector]]
name = "lake"
kind = "redshift"
role_arn = "arn:aws:iam::111122223333:role/xpander-lake-access"
cluster_id = "lake"
database = "lake"
external_id = "org-7f3a9c2e"
"#;

/// The configuration in `text`.
pub fn config(text: &str) -> Config {
    Config::from_toml(Path::new("cd.toml"), text).unwrap()
}

/// `--value` pairs as the command line hands them over.
pub fn given(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// The onboarding for `preset` with the configuration `text` and the `--value` pairs.
pub fn onboarding(preset: &str, text: &str, pairs: &[(&str, &str)]) -> Onboarding {
    Onboarding::prepare(Some(preset), &config(text), &given(pairs), &|_| None).unwrap()
}
