//! `connector-lab`: serve a scenario's offline AWS world on loopback, either around one command
//! (`exec`, how the README demo runs the doctor) or until interrupted (`serve`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};
use connector_lab::{Lab, Scenario};
use tokio::signal::unix::{SignalKind, signal};

#[derive(Debug, Parser)]
#[command(
    name = "connector-lab",
    version,
    about = "An offline AWS world for connector-doctor, on 127.0.0.1."
)]
struct Cli {
    #[command(subcommand)]
    command: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Start the lab, run a command as the pod (a clean environment: PATH, HOME, TERM,
    /// NO_COLOR and the pod's variables), stop the lab, exit with the command's code.
    Exec {
        /// Scenario file.
        scenario: PathBuf,
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true, num_args = 1..)]
        command: Vec<OsString>,
    },
    /// Run connector-doctor (the one built beside this binary, else the one on PATH) in a lab
    /// pod: by default the healthy xpander chain. Arguments after `--` go to the doctor.
    Demo {
        /// Scenario file [default: tests/scenarios/healthy-xpander-chain.toml].
        scenario: Option<PathBuf>,
        /// Arguments for connector-doctor.
        #[arg(last = true)]
        args: Vec<OsString>,
    },
    /// Start the lab, print `export K='V'` lines for the pod's environment, serve until
    /// Ctrl-C or SIGTERM.
    Serve {
        /// Scenario file.
        scenario: PathBuf,
        /// Also answer DNS (UDP and TCP) for the scenario's names here, e.g. 127.0.0.53:53.
        #[arg(long, value_name = "ADDR:PORT")]
        dns: Option<std::net::SocketAddr>,
    },
}

/// Exit code for bad usage, bad scenarios included (clap uses it for its own errors too).
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Action::Exec { scenario, command } => exec(&scenario, &command),
        Action::Serve { scenario, dns } => serve(&scenario, dns),
        Action::Demo { scenario, args } => demo(scenario, args),
    }
}

fn start(path: &Path) -> Result<Lab, ExitCode> {
    start_with(path, None)
}

fn start_with(path: &Path, dns: Option<std::net::SocketAddr>) -> Result<Lab, ExitCode> {
    let scenario = Scenario::from_file(path).map_err(|e| {
        eprintln!("connector-lab: {e:#}");
        ExitCode::from(USAGE)
    })?;
    let lab = match dns {
        Some(addr) => Lab::start_with_dns(scenario, addr),
        None => Lab::start(scenario),
    };
    lab.map_err(|e| {
        eprintln!("connector-lab: cannot start the lab: {e:#}");
        ExitCode::FAILURE
    })
}

fn exec(path: &Path, command: &[OsString]) -> ExitCode {
    let lab = match start(path) {
        Ok(lab) => lab,
        Err(code) => return code,
    };
    let (program, args) = command.split_first().expect("clap requires a command");
    let mut child = Command::new(program);
    child.args(args).env_clear();
    for name in ["PATH", "HOME", "TERM", "NO_COLOR"] {
        if let Some(value) = std::env::var_os(name) {
            child.env(name, value);
        }
    }
    child.envs(lab.pod_env());
    let status = child.status();
    drop(lab);
    match status {
        Ok(status) => ExitCode::from(exit_code(status)),
        Err(e) => {
            eprintln!("connector-lab: cannot run {}: {e}", program.to_string_lossy());
            ExitCode::from(if e.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 })
        }
    }
}

/// The scenario the demo runs when none is named, relative to the repository.
const DEMO_SCENARIO: &str = "tests/scenarios/healthy-xpander-chain.toml";

fn demo(scenario: Option<PathBuf>, args: Vec<OsString>) -> ExitCode {
    let scenario = scenario.unwrap_or_else(|| {
        // From the repository root, or from anywhere when run as target/*/connector-lab.
        let here = PathBuf::from(DEMO_SCENARIO);
        if here.exists() {
            return here;
        }
        let repo = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()));
        repo.map_or(here.clone(), |r| r.join(DEMO_SCENARIO))
    });
    let doctor = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("connector-doctor")))
        .filter(|p| p.exists())
        .map_or_else(|| OsString::from("connector-doctor"), PathBuf::into_os_string);
    match Scenario::from_file(&scenario) {
        Ok(s) if !s.description.is_empty() => eprintln!(
            "connector-lab: {}
",
            s.description
        ),
        _ => {}
    }
    let mut command = vec![doctor];
    command.extend(args);
    exec(&scenario, &command)
}

/// The command's exit code, or 128 + signal like a shell when it was killed.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(1),
        (None, Some(signal)) => u8::try_from(128 + (signal & 0x7f)).unwrap_or(1),
        (None, None) => 1,
    }
}

fn serve(path: &Path, dns: Option<std::net::SocketAddr>) -> ExitCode {
    // Signal handlers go in before anything is printed, so a supervisor that reads the
    // exports and then sends SIGTERM always gets a clean stop.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&e),
    };
    let signals = {
        let _guard = runtime.enter();
        signal(SignalKind::interrupt()).and_then(|i| Ok((i, signal(SignalKind::terminate())?)))
    };
    let (mut interrupt, mut terminate) = match signals {
        Ok(signals) => signals,
        Err(e) => return fail(&e),
    };
    let lab = match start_with(path, dns) {
        Ok(lab) => lab,
        Err(code) => return code,
    };
    for (name, value) in lab.pod_env() {
        println!("export {name}='{}'", value.replace('\'', r"'\''"));
    }
    eprintln!(
        "connector-lab: serving {} (AWS {}, agent {}); Ctrl-C to stop",
        path.display(),
        lab.aws_url(),
        lab.agent_url()
    );
    if let Some(addr) = lab.dns_addr() {
        eprintln!("connector-lab: answering DNS on {addr} (UDP and TCP)");
    }
    runtime.block_on(async {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
    });
    drop(lab);
    ExitCode::SUCCESS
}

fn fail(why: &std::io::Error) -> ExitCode {
    eprintln!("connector-lab: cannot wait for signals: {why}");
    ExitCode::FAILURE
}
