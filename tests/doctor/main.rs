//! End-to-end tests: the built `connector-doctor` binary against the lab (the `connector-lab`
//! crate), one scenario per failure code, asserting the JSON verdict and the exit code. Every
//! JSON document produced here is validated against the committed schema.

mod chain;
mod commands;
mod contract;
mod garbage;
mod identity;
mod moto;
mod net;
mod netns;
mod onboard;
mod onboarding;
mod policies;
mod rds;
mod rds_token;
mod redshift;
mod support;
mod tui;
