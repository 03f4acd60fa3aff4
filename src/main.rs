//! The `connector-doctor` binary: parse, run, exit with the contract's code.

use std::process::ExitCode;

use clap::Parser;
use connector_doctor::{app, cli::Args};

fn main() -> ExitCode {
    let args = Args::parse();
    ExitCode::from(app::main(&args))
}
