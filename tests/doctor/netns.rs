//! A network namespace per test, so that network faults are real: the lab runs inside it as
//! a process (`connector-lab serve`), the doctor (or any probe) runs inside it too, and
//! nftables rules in the namespace drop, refuse or reject the loopback connections between
//! them; a route of type `unreachable` makes a subnet fail at once. DNS lookups inside go to
//! the lab's responder: `ip netns exec` bind-mounts `/etc/netns/<ns>/resolv.conf` over
//! `/etc/resolv.conf`, and that file names `127.0.0.53`, where [`Netns::serve`] runs the
//! lab's DNS. Nothing inside can reach anything outside: the namespace has only `lo`.
//!
//! Needs root (or `CAP_NET_ADMIN` and `CAP_SYS_ADMIN`) and the `ip` and `nft` tools; as root
//! on Debian, missing tools are installed with apt once per target dir, under a file lock. A
//! test that cannot have its namespace PANICS saying why: it never passes by skipping.
//!
//! Names are `cd-<tag>-<pid>-<n>`. [`Netns`]'s `Drop` kills what still runs inside and
//! removes the namespace and `/etc/netns/<ns>`, also when the test panics; namespaces left by
//! a test process that was killed outright are removed by the next run (their pid is gone).
//!
//! The faults: [`Netns::drop_tcp`] (SYNs vanish: a timeout), [`Netns::reject_tcp`] (a reset:
//! refused), [`Netns::unreachable_tcp`] (ICMP host-unreachable: `No route to host` at once),
//! [`Netns::route_unreachable`] (a subnet with a route to nowhere), [`Netns::blackhole_replies`]
//! (TCP opens, the server's data never arrives: for TLS), and the DNS responder's own
//! `[dns] fault`. [`Netns::forward_endpoints`] makes the endpoint names the lab's DNS resolves to
//! `127.0.0.1` reach their listeners on the ports the API reports (nftables DNAT); the fault
//! rules match the port the client asked for, before that translation.
//!
//! Inside, glibc's `getaddrinfo` with `AI_ADDRCONFIG` (as `getent ahosts` uses it) finds no
//! IPv4 address but loopback's and returns nothing; plain lookups (Rust's and tokio's
//! `getaddrinfo` without flags, `gethostbyname`) work.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// Where [`Netns::serve`] runs the lab's DNS responder, and what `resolv.conf` names.
pub const DNS_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 53)), 53);

/// The nftables table the fault helpers add their rules to.
const TABLE: &str = "connector_doctor_faults";

/// The nftables table of [`Netns::forward_tcp`].
const NAT: &str = "connector_doctor_forward";

/// The longest any `ip`/`nft` call may take.
const TOOL_LIMIT: Duration = Duration::from_secs(20);

/// How long `connector-lab serve` may take to print its environment.
const SERVE_LIMIT: Duration = Duration::from_mins(1);

/// A network namespace of the test's own. Dropping it removes it.
#[derive(Debug)]
pub struct Netns {
    name: String,
    /// How long creating it took.
    pub setup: Duration,
}

impl Netns {
    /// Creates `cd-<tag>-<pid>-<n>` with `lo` up, an empty fault table, and a `resolv.conf`
    /// naming [`DNS_ADDR`]. Panics, saying why, when that cannot be done.
    pub fn new(tag: &str) -> Netns {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let started = Instant::now();
        assert!(
            is_root(),
            "the network namespace tests need root (ip netns, nftables); run them as root (in CI: a privileged container or sudo) — they never skip"
        );
        tools();
        let tag: String =
            tag.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(20).collect::<String>();
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let name = format!("cd-{tag}-{}-{n}", std::process::id());
        if let Err(why) = run(Command::new("ip").args(["netns", "add", &name])) {
            panic!(
                "cannot create network namespace {name}: {why}\nThese tests need root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and network namespaces; in a container, run it --privileged or with --cap-add SYS_ADMIN --cap-add NET_ADMIN."
            );
        }
        // From here on, Drop cleans up whatever follows.
        let mut ns = Netns { name, setup: Duration::ZERO };
        if let Err(why) = run(Command::new("ip").args(["-n", &ns.name, "link", "set", "lo", "up"])) {
            panic!("cannot bring up lo in {}: {why}", ns.name);
        }
        ns.nft(&format!(
            "table inet {TABLE} {{\n  chain input {{ type filter hook input priority 0; policy accept; }}\n  chain output {{ type filter hook output priority 0; policy accept; }}\n}}\ntable ip {NAT} {{\n  chain output {{ type nat hook output priority -100; policy accept; }}\n}}\n"
        ));
        ns.set_resolver(DNS_ADDR.ip());
        ns.setup = started.elapsed();
        ns
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `program args…` inside the namespace (`ip netns exec <ns> program args…`).
    pub fn command<S: AsRef<OsStr>>(&self, program: impl AsRef<OsStr>, args: &[S]) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).arg(program).args(args);
        command
    }

    /// Loads an nftables ruleset inside the namespace (`nft -f -`); panics with nft's words
    /// when it is refused.
    pub fn nft(&self, ruleset: &str) {
        let mut child = self
            .command("nft", &["-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run nft in {}: {e}", self.name));
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(ruleset.as_bytes());
        }
        match wait_output(child, TOOL_LIMIT) {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                panic!("nft refused in {}:\n{ruleset}\n{}", self.name, String::from_utf8_lossy(&out.stderr))
            }
            Err(why) => panic!("nft in {}: {why}", self.name),
        }
    }

    /// SYNs to `port` on loopback vanish: connecting times out (a security group or NACL
    /// dropping the traffic).
    pub fn drop_tcp(&self, port: u16) {
        self.nft(&format!("add rule inet {TABLE} input {} drop\n", to_port(port)));
    }

    /// Connecting to `port` on loopback is refused with a reset, though something listens.
    pub fn reject_tcp(&self, port: u16) {
        self.nft(&format!("add rule inet {TABLE} input {} reject with tcp reset\n", to_port(port)));
    }

    /// Connecting to `port` on loopback gets ICMP host-unreachable: `No route to host` at once.
    pub fn unreachable_tcp(&self, port: u16) {
        self.nft(&format!(
            "add rule inet {TABLE} input {} reject with icmpx type host-unreachable\n",
            to_port(port)
        ));
    }

    /// TCP to `port` opens, but every reply segment carrying data vanishes (longer than 100
    /// bytes: bigger than any handshake segment): the TLS handshake, or the HTTP reply, never
    /// arrives, like a middlebox or an MTU black hole eating the server's big packets.
    pub fn blackhole_replies(&self, port: u16) {
        self.nft(&format!(
            "add rule inet {TABLE} input iifname \"lo\" meta l4proto tcp ct direction reply ct original proto-dst {port} meta length > 100 drop\n"
        ));
    }

    /// A route of type `unreachable` for `cidr`: connecting to any address in it fails at once
    /// (`No route to host`; without the route, with only `lo`, it would be
    /// `Network is unreachable`).
    pub fn route_unreachable(&self, cidr: &str) {
        if let Err(why) =
            run(Command::new("ip").args(["-n", &self.name, "route", "add", "unreachable", cidr]))
        {
            panic!("cannot add an unreachable route for {cidr} in {}: {why}", self.name);
        }
    }

    /// Points the namespace's resolver (its `resolv.conf`) at `addr`, port 53, with one try of
    /// one second so that a silent server fails a lookup quickly.
    pub fn set_resolver(&self, addr: IpAddr) {
        let dir = self.etc_dir();
        let file = dir.join("resolv.conf");
        let written = fs::create_dir_all(&dir)
            .and_then(|()| fs::write(&file, format!("nameserver {addr}\noptions timeout:1 attempts:1\n")));
        if let Err(e) = written {
            panic!("cannot write {}: {e}", file.display());
        }
    }

    /// Runs `connector-lab serve <scenario> --dns 127.0.0.53:53` inside the namespace and
    /// returns once it has printed the pod's environment.
    pub fn serve(&self, scenario: &Path) -> Served {
        let lab = lab_binary();
        let mut child = self
            .command(&lab, &[OsStr::new("serve"), scenario.as_os_str(), OsStr::new("--dns")])
            .arg(DNS_ADDR.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {} in {}: {e}", lab.display(), self.name));
        let (lines, line_rx) = mpsc::channel::<String>();
        let stdout = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let stderr_text = Arc::new(Mutex::new(String::new()));
        let (ready, ready_rx) = mpsc::channel::<()>();
        let stderr = child.stderr.take().expect("piped");
        let sink = Arc::clone(&stderr_text);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.starts_with("connector-lab: answering DNS") {
                    let _ = ready.send(());
                }
                let mut text = sink.lock().unwrap_or_else(PoisonError::into_inner);
                text.push_str(&line);
                text.push('\n');
            }
        });
        let mut served = Served { child: Some(child), env: BTreeMap::new(), stderr: stderr_text };
        // The "answering DNS" line comes after every export line has been written, so the
        // exports are all in the pipe by then; they are read until the pipe has been quiet a
        // moment.
        let up = ready_rx.recv_timeout(SERVE_LIMIT).is_ok();
        assert!(up, "connector-lab serve did not come up in {}:\n{}", self.name, served.stderr());
        while let Ok(line) = line_rx.recv_timeout(Duration::from_millis(300)) {
            if let Some((name, value)) = parse_export(&line) {
                served.env.insert(name, value);
            }
        }
        assert!(
            served.env.contains_key("AWS_ENDPOINT_URL"),
            "no environment from the lab: {}",
            served.stderr()
        );
        served
    }

    /// Connections to `127.0.0.1:<from>` go to `127.0.0.1:<to>` (nftables DNAT on output): how
    /// an endpoint name that resolves to `127.0.0.1` reaches the listener really serving it.
    /// The fault helpers match the port asked for, before the translation.
    pub fn forward_tcp(&self, from: u16, to: u16) {
        self.nft(&format!(
            "add rule ip {NAT} output ip daddr 127.0.0.1 tcp dport {from} dnat to 127.0.0.1:{to}\n"
        ));
    }

    /// Forwards every endpoint of `CONNECTOR_DOCTOR_CONNECT_TO` from its API port to its real
    /// port ([`Netns::forward_tcp`]), so that a doctor resolving the names through the lab's
    /// DNS (every one is `127.0.0.1`) reaches them. Panics when two endpoints share an API port
    /// but not a listener: one address cannot tell them apart.
    pub fn forward_endpoints(&self, served: &Served) {
        let mut ports = BTreeMap::new();
        for (name, api, real) in served.connect_to() {
            match ports.insert(api, (name.clone(), real)) {
                Some((other, previous)) if previous != real => panic!(
                    "{other} and {name} both use port {api} on 127.0.0.1 but are served on {previous} and {real}"
                ),
                _ => {}
            }
        }
        for (api, (_, real)) in ports {
            self.forward_tcp(api, real);
        }
    }

    fn etc_dir(&self) -> PathBuf {
        Path::new("/etc/netns").join(&self.name)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Whatever still runs inside (a lab a test leaked) was started by this test.
        if let Ok(out) = output(Command::new("ip").args(["netns", "pids", &self.name])) {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = output(Command::new("kill").args(["-KILL", pid]));
            }
        }
        let _ = output(Command::new("ip").args(["netns", "delete", &self.name]));
        let _ = fs::remove_dir_all(self.etc_dir());
    }
}

/// `connector-lab serve` running in a namespace; dropping it stops it (SIGTERM, then SIGKILL).
#[derive(Debug)]
pub struct Served {
    child: Option<Child>,
    env: BTreeMap<String, String>,
    stderr: Arc<Mutex<String>>,
}

impl Served {
    /// The pod's environment, as the lab exported it.
    pub fn env(&self) -> Vec<(String, String)> {
        self.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// One variable of the pod's environment.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str)
    }

    /// The loopback port in the URL held by `name` (`AWS_ENDPOINT_URL`, …).
    pub fn port_of(&self, name: &str) -> u16 {
        let url = self.var(name).unwrap_or_else(|| panic!("the lab exported no {name}"));
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let authority = rest.split('/').next().unwrap_or_default();
        authority
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {url}"))
    }

    /// `CONNECTOR_DOCTOR_CONNECT_TO` as (name, API port, real port).
    pub fn connect_to(&self) -> Vec<(String, u16, u16)> {
        let text = self.var("CONNECTOR_DOCTOR_CONNECT_TO").unwrap_or_default();
        text.split(',')
            .filter_map(|entry| {
                let mut parts = entry.split(':');
                let (name, api, _, real) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
                Some((name.to_owned(), api.parse().ok()?, real.parse().ok()?))
            })
            .collect()
    }

    /// What the lab has said on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        // `ip netns exec` execs the lab, so the child is the lab itself.
        let _ = output(Command::new("kill").args(["-TERM", &child.id().to_string()]));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The match for TCP to `port` as the client asked for it (the conntrack original
/// destination, so also before a [`Netns::forward_tcp`] translation), arriving on `lo`, in the
/// client's direction only (else the reset a rejection sends back would be rejected too).
fn to_port(port: u16) -> String {
    format!("iifname \"lo\" meta l4proto tcp ct direction original ct original proto-dst {port}")
}

/// `export NAME='value'` (with `'\''` for quotes) → (NAME, value).
fn parse_export(line: &str) -> Option<(String, String)> {
    let (name, quoted) = line.strip_prefix("export ")?.split_once('=')?;
    let inner = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
    Some((name.to_owned(), inner.replace(r"'\''", "'")))
}

/// Runs a short tool, failing with its stderr.
fn run(command: &mut Command) -> Result<(), String> {
    let out = output(command)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{} ({})", String::from_utf8_lossy(&out.stderr).trim(), out.status))
    }
}

/// Runs a short tool with [`TOOL_LIMIT`].
fn output(command: &mut Command) -> Result<Output, String> {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", command.get_program().to_string_lossy()))?;
    wait_output(child, TOOL_LIMIT)
}

/// Waits for `child` at most `limit` (then kills it), collecting its output.
fn wait_output(mut child: Child, limit: Duration) -> Result<Output, String> {
    let started = Instant::now();
    // Output is small; reading it after exit cannot deadlock on these tools' few lines, but
    // readers on threads keep a chatty child from blocking on a full pipe anyway.
    let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = read(child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let stderr = read(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return Ok(Output {
                    status,
                    stdout: stdout.join().unwrap_or_default(),
                    stderr: stderr.join().unwrap_or_default(),
                });
            }
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still running after {limit:?}; killed"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The doctor's target profile dir (`<target>/debug`), where the lab binary is built too.
fn profile_dir() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_connector-doctor"))
        .parent()
        .expect("the binary lives in <target>/<profile>/")
}

/// `connector-lab` beside `connector-doctor`, built (`cargo build -p connector-lab`) when it
/// is missing or older than the lab's sources.
fn lab_binary() -> PathBuf {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BINARY.get_or_init(|| {
        let binary = profile_dir().join("connector-lab");
        if binary.exists() && !older_than_sources(&binary) {
            return Ok(binary);
        }
        let lock = File::create(profile_dir().join("connector-lab-build.lock")).map_err(|e| e.to_string())?;
        lock.lock().map_err(|e| e.to_string())?;
        if binary.exists() && !older_than_sources(&binary) {
            return Ok(binary);
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .args(["build", "-p", "connector-lab", "--bin", "connector-lab"])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir().file_name() == Some(OsStr::new("release")) {
            command.arg("--release");
        }
        if let Some(target) = profile_dir().parent() {
            command.env("CARGO_TARGET_DIR", target);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cargo: {e}"))?;
        let out = wait_output(child, Duration::from_mins(15))?;
        if !out.status.success() || !binary.exists() {
            return Err(format!(
                "cargo build -p connector-lab failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(binary)
    });
    match built {
        Ok(path) => path.clone(),
        Err(why) => panic!("no connector-lab binary: {why}"),
    }
}

/// Whether any file under `tests/lab/src` changed after `binary` was built.
fn older_than_sources(binary: &Path) -> bool {
    let Ok(built) = fs::metadata(binary).and_then(|m| m.modified()) else { return true };
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab/src")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t > built) {
                return true;
            }
        }
    }
    false
}

/// Makes sure `ip` and `nft` exist (installing them as root on Debian, once per target dir
/// under a lock) and removes namespaces left by test processes that no longer exist.
fn tools() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        let lock_path = profile_dir().join("netns-tools.lock");
        let lock = File::create(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
        lock.lock().map_err(|e| format!("lock {}: {e}", lock_path.display()))?;
        let missing: Vec<&str> = [("ip", "iproute2"), ("nft", "nftables")]
            .into_iter()
            .filter(|(tool, _)| !on_path(tool))
            .map(|(_, package)| package)
            .collect();
        if !missing.is_empty() {
            install(&missing)?;
        }
        remove_orphans();
        Ok(())
    });
    if let Err(why) = ready {
        panic!("the network namespace tests cannot run: {why}");
    }
}

fn on_path(tool: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .any(|dir| dir.join(tool).is_file())
}

/// Whether this process runs as root (`id -u` is 0).
fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn install(packages: &[&str]) -> Result<(), String> {
    let root = is_root();
    let debian = Path::new("/etc/debian_version").exists() && on_path("apt-get");
    if !root || !debian {
        return Err(format!(
            "missing {} and cannot install (needs root on Debian/Ubuntu); install it, then run as root",
            packages.join(", ")
        ));
    }
    let started = Instant::now();
    eprintln!("netns: installing {} with apt-get …", packages.join(" "));
    let apt = |args: &[&str]| -> Result<Output, String> {
        let child = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("apt-get: {e}"))?;
        wait_output(child, Duration::from_mins(10))
    };
    let mut install_args = vec!["install", "-y", "-q", "--no-install-recommends"];
    install_args.extend(packages);
    let first = apt(&install_args)?;
    if !first.status.success() {
        let update = apt(&["update", "-q"])?;
        if !update.status.success() {
            return Err(format!("apt-get update failed:\n{}", String::from_utf8_lossy(&update.stderr)));
        }
        let second = apt(&install_args)?;
        if !second.status.success() {
            return Err(format!(
                "apt-get install {} failed:\n{}",
                packages.join(" "),
                String::from_utf8_lossy(&second.stderr)
            ));
        }
    }
    eprintln!("netns: installed in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Deletes `cd-<tag>-<pid>-<n>` namespaces whose test process is gone (killed before its
/// `Drop` ran).
fn remove_orphans() {
    let Ok(out) = output(Command::new("ip").args(["netns", "list"])) else { return };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        let Some(rest) = name.strip_prefix("cd-") else { continue };
        let mut parts = rest.rsplit('-');
        let (Some(_n), Some(pid)) = (parts.next(), parts.next()) else { continue };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = output(Command::new("ip").args(["netns", "delete", name]));
            let _ = fs::remove_dir_all(Path::new("/etc/netns").join(name));
        }
    }
}

// ---- the harness's own tests: the faults are real --------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    const WORLD: &str = r#"
description = "A pod with every endpoint, for the network fault harness."

[pod]
source = "pod-identity"
role = "app"
ip = "10.0.3.7"

[imds]

[dns]
records = { "app-db.example.internal" = "10.0.9.9", "Upper.Example.Internal" = "10.0.9.10" }
"#;

    fn scenario(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join("world.toml");
        fs::write(&path, text).unwrap();
        path
    }

    /// What connecting from inside the namespace does: `Ok(elapsed)` when it connects, else
    /// bash's complaint (`timeout` when nothing answered within `limit_s` seconds).
    fn connect(ns: &Netns, host: &str, port: u16, limit_s: u32) -> (Result<(), String>, Duration) {
        let started = Instant::now();
        let script = format!("exec 3<>/dev/tcp/{host}/{port}");
        let out = wait_output(
            ns.command("timeout", &[&limit_s.to_string(), "bash", "-c", &script])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
            Duration::from_secs(u64::from(limit_s) + 10),
        )
        .unwrap();
        let took = started.elapsed();
        match out.status.code() {
            Some(0) => (Ok(()), took),
            Some(124) => (Err("timeout".to_owned()), took),
            _ => (Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()), took),
        }
    }

    /// `getent hosts <name>` inside: glibc's resolver, reading the namespace's `resolv.conf`
    /// (not `ahosts*`: those pass `AI_ADDRCONFIG`, which finds no IPv4 address but loopback's
    /// in a namespace with only `lo`, and so never asks for A records).
    fn getent(ns: &Netns, name: &str) -> (Option<i32>, String, Duration) {
        let started = Instant::now();
        let out = wait_output(
            ns.command("getent", &["hosts", name])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
            Duration::from_secs(15),
        )
        .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), started.elapsed())
    }

    #[test]
    fn dropped_refused_and_unreachable_connections_are_real() {
        let dir = tempfile::tempdir().unwrap();
        let ns = Netns::new("tcp");
        let lab = ns.serve(&scenario(&dir, WORLD));
        let aws = lab.port_of("AWS_ENDPOINT_URL");
        let agent = lab.port_of("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        let imds = lab.port_of("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        assert!(lab.env().contains(&("POD_IP".to_owned(), "10.0.3.7".to_owned())));
        // All three listen: before any rule, each connects.
        for port in [aws, agent, imds] {
            assert_eq!(connect(&ns, "127.0.0.1", port, 3).0, Ok(()), "port {port} before the rules");
        }
        ns.drop_tcp(aws);
        ns.reject_tcp(agent);
        ns.unreachable_tcp(imds);
        ns.route_unreachable("198.18.99.0/24");

        let (dropped, took) = connect(&ns, "127.0.0.1", aws, 2);
        assert_eq!(dropped, Err("timeout".to_owned()), "a dropped port times out");
        assert!(took >= Duration::from_secs(2), "{took:?}");
        let (refused, took) = connect(&ns, "127.0.0.1", agent, 3);
        assert!(refused.as_ref().is_err_and(|e| e.contains("Connection refused")), "{refused:?}");
        assert!(took < Duration::from_secs(2), "refused at once: {took:?}");
        let (unreachable, took) = connect(&ns, "127.0.0.1", imds, 3);
        assert!(unreachable.as_ref().is_err_and(|e| e.contains("No route to host")), "{unreachable:?}");
        assert!(took < Duration::from_secs(2), "unreachable at once: {took:?}");
        let (no_route, took) = connect(&ns, "198.18.99.7", 5432, 3);
        assert!(no_route.as_ref().is_err_and(|e| e.contains("No route to host")), "{no_route:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
        // Anything else outside `lo` has no network at all.
        let (elsewhere, _) = connect(&ns, "192.0.2.1", 443, 3);
        assert!(elsewhere.as_ref().is_err_and(|e| e.contains("Network is unreachable")), "{elsewhere:?}");
        eprintln!("netns setup {:?}", ns.setup);
    }

    #[test]
    fn an_rds_endpoint_is_reached_by_its_name_and_can_be_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let ns = Netns::new("rds");
        let lab =
            ns.serve(&scenario(&dir, "[[rds]]\nid = \"app-db\"\naliases = [\"db.internal.example\"]\n"));
        ns.forward_endpoints(&lab);
        let routes = lab.connect_to();
        assert_eq!(routes.len(), 2, "{routes:?}");
        let (address, api, real) = routes[0].clone();
        assert!(
            address.starts_with("app-db.") && address.ends_with(".us-west-1.rds.amazonaws.com"),
            "{address}"
        );
        assert_eq!(api, 5432);
        for name in [address.as_str(), "db.internal.example"] {
            let (code, out, _) = getent(&ns, name);
            assert_eq!(code, Some(0), "{name}: {}", lab.stderr());
            assert!(out.starts_with("127.0.0.1 "), "{out}");
            assert_eq!(connect(&ns, name, api, 3).0, Ok(()), "{name}:{api} through the forward");
        }
        // Cut off the port the name is reported with; the listener behind it still answers.
        ns.drop_tcp(api);
        assert_eq!(connect(&ns, &address, api, 2).0, Err("timeout".to_owned()));
        assert_eq!(connect(&ns, "127.0.0.1", real, 3).0, Ok(()));
    }

    /// Sends an HTTP request from inside the namespace and reads the reply for up to
    /// `limit_s` seconds: what came back (empty when nothing did).
    fn http_get(ns: &Netns, port: u16, limit_s: u32) -> String {
        let script = format!(
            "exec 3<>/dev/tcp/127.0.0.1/{port} || exit 7; printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' >&3; timeout {limit_s} cat <&3"
        );
        let out = wait_output(
            ns.command("bash", &["-c", &script])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
            Duration::from_secs(u64::from(limit_s) + 10),
        )
        .unwrap();
        assert_ne!(out.status.code(), Some(7), "the connection did not open");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn replies_can_vanish_after_the_connection_opens() {
        let dir = tempfile::tempdir().unwrap();
        let ns = Netns::new("stall");
        let lab = ns.serve(&scenario(&dir, WORLD));
        let aws = lab.port_of("AWS_ENDPOINT_URL");
        assert!(http_get(&ns, aws, 3).starts_with("HTTP/1.1 "), "the lab answers before the rule");
        ns.blackhole_replies(aws);
        let started = Instant::now();
        assert_eq!(http_get(&ns, aws, 2), "", "no reply through the black hole");
        assert!(started.elapsed() >= Duration::from_secs(2));
    }

    #[test]
    fn lookups_go_to_the_labs_dns() {
        let dir = tempfile::tempdir().unwrap();
        let ns = Netns::new("dns");
        let lab = ns.serve(&scenario(&dir, WORLD));
        let (code, out, _) = getent(&ns, "app-db.example.internal");
        assert_eq!(code, Some(0), "{out}\n{}", lab.stderr());
        assert!(out.starts_with("10.0.9.9 ") && out.contains("app-db.example.internal"), "{out}");
        let (code, out, _) = getent(&ns, "UPPER.example.internal");
        assert_eq!(code, Some(0));
        assert!(out.starts_with("10.0.9.10 "), "{out}");
        // NXDOMAIN: getent's "not found".
        let (code, _, took) = getent(&ns, "nope.example.internal");
        assert_eq!(code, Some(2));
        assert!(took < Duration::from_secs(1), "NXDOMAIN at once: {took:?}");
        drop(lab);

        // A resolver that never answers: the lookup fails after resolv.conf's one second (per
        // address family getent asks for).
        let silent = ns.serve(&scenario(&dir, &format!("{WORLD}fault = \"timeout\"\n")));
        let (code, _, took) = getent(&ns, "app-db.example.internal");
        assert_eq!(code, Some(2));
        assert!(took >= Duration::from_millis(900), "{took:?}");
        drop(silent);
        let servfail = ns.serve(&scenario(&dir, &format!("{WORLD}fault = \"servfail\"\n")));
        let (code, _, took) = getent(&ns, "app-db.example.internal");
        assert_eq!(code, Some(2));
        assert!(took < Duration::from_secs(1), "SERVFAIL at once: {took:?}");
        drop(servfail);
    }

    #[test]
    fn the_namespace_is_gone_after_drop_even_after_a_panic() {
        let listed = |name: &str| {
            let out = output(Command::new("ip").args(["netns", "list"])).unwrap();
            String::from_utf8_lossy(&out.stdout).lines().any(|l| l.split_whitespace().next() == Some(name))
        };
        let started = Instant::now();
        let ns = Netns::new("gone");
        let name = ns.name().to_owned();
        assert!(listed(&name));
        assert!(Path::new("/etc/netns").join(&name).join("resolv.conf").exists());
        let dropping = Instant::now();
        drop(ns);
        eprintln!("netns setup+check {:?}, teardown {:?}", started.elapsed(), dropping.elapsed());
        assert!(!listed(&name));
        assert!(!Path::new("/etc/netns").join(&name).exists());

        let name = Arc::new(Mutex::new(String::new()));
        let seen = Arc::clone(&name);
        let dir = tempfile::tempdir().unwrap();
        let path = scenario(&dir, WORLD);
        let pid = Arc::new(Mutex::new(None));
        let lab_pid = Arc::clone(&pid);
        let result = std::panic::catch_unwind(move || {
            let ns = Netns::new("panic");
            seen.lock().unwrap().push_str(ns.name());
            let lab = ns.serve(&path);
            *lab_pid.lock().unwrap() = lab.child.as_ref().map(Child::id);
            std::mem::forget(lab); // leaked: the namespace's Drop must still end it
            panic!("on purpose");
        });
        assert!(result.is_err());
        let name = name.lock().unwrap().clone();
        assert!(!listed(&name), "{name} survived a panic");
        assert!(!Path::new("/etc/netns").join(&name).exists());
        let pid = pid.lock().unwrap().expect("the lab ran");
        // Killed (a zombie at most, since the leaked Child is never waited for).
        let deadline = Instant::now() + Duration::from_secs(5);
        let state = loop {
            let state = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            if state.is_empty() || state.contains(") Z ") || Instant::now() > deadline {
                break state;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(state.is_empty() || state.contains(") Z "), "the leaked lab still runs: {state}");
    }

    #[test]
    fn exports_are_read_back_verbatim() {
        assert_eq!(parse_export("export A='x'"), Some(("A".into(), "x".into())));
        assert_eq!(parse_export(r"export B='it'\''s'"), Some(("B".into(), "it's".into())));
        assert_eq!(parse_export("garbage"), None);
    }
}
