//! The `connector-doctor` binary: parse, run, exit with the contract's code.

use std::process::ExitCode;

use clap::Parser;
use connector_doctor::{app, cli::Args};

fn main() -> ExitCode {
    // A panic's own message could carry data from the world; say only where it happened. The
    // engine turns a crashed check into an `error` row, and `app::main` maps a crash to exit 2.
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(ToString::to_string).unwrap_or_default();
        eprintln!("connector-doctor: internal error at {at}");
    }));
    let args = Args::parse();
    ExitCode::from(app::main(&args))
}
