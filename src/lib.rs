//! connector-doctor: walks the AWS chain a data connector uses from inside its pod, link by
//! link, and names the remedy for the link that breaks.
//!
//! One engine ([`engine`]) runs the checks ([`checks`]) described by the catalog ([`catalog`]);
//! presenters ([`report`]) read the same typed results. Everything from outside (environment,
//! clock, files, endpoints) comes in through the [`world::World`].

pub mod app;
pub mod aws;
pub mod catalog;
pub mod checks;
pub mod cli;
pub mod config;
pub mod engine;
pub mod files;
pub mod http;
pub mod jwt;
pub mod net;
pub mod onboard;
pub mod outcome;
pub mod postgres;
pub mod report;
pub mod secret;
pub mod tls;
pub mod tui;
pub mod world;

/// IAM policy parsing and evaluation with explanations: why a request is allowed or denied.
pub use connector_iam as iam;

/// The tool's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Sent as `User-Agent` on the doctor's own HTTP requests, so its calls can be told apart in logs.
pub const USER_AGENT: &str = concat!("connector-doctor/", env!("CARGO_PKG_VERSION"));
