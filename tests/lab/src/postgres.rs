//! A real PostgreSQL server for one lab, so that the database links the doctor checks (roles,
//! grants, missing databases) fail with the server's own errors instead of imitations.
//!
//! Starting a server must be cheap: dozens of tests each start a lab. `initdb` takes seconds,
//! so it runs once per machine into a template cluster (under `std::env::temp_dir()`, keyed by
//! the server's version and the user it runs as), and every lab copies that template into a
//! temp dir of its own (in `/dev/shm` when that is a roomy tmpfs: copying a cluster's thousand
//! files to a disk costs far more) and starts `postgres` on it with durability off. The server
//! listens on a Unix socket only: nothing it offers is reachable over the network, and the lab
//! (its RDS front, its Redshift Data API) talks to it through that socket with trust auth.
//!
//! `initdb` and `postgres` refuse to run as root, so a root process runs them as the
//! `postgres` system user (else `nobody`) through `CommandExt::uid/gid` after handing it the
//! data and socket directories. When the binaries are missing and the process is root on
//! Debian, they are installed once with apt; otherwise `start` fails saying what to install.
//! Both the installation and the template are built under an exclusive lock on a file in the
//! temp dir, so parallel test processes wait for each other instead of racing.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long a fresh server may take to accept connections.
const START_DEADLINE: Duration = Duration::from_secs(15);
/// How long a stopping server may take before it is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(5);
/// How long a [`Postgres::batch`] may run.
const BATCH_DEADLINE: Duration = Duration::from_secs(30);
/// The superuser `initdb -U` creates; trusted over the socket.
const SUPERUSER: &str = "postgres";
/// The lock file that serialises installation and template building across processes.
const LOCK_FILE: &str = "connector-lab-postgres.lock";

/// A running PostgreSQL server. Dropping it stops the server and removes its files.
#[derive(Debug)]
pub struct Postgres {
    child: Option<Child>,
    bins: &'static Bins,
    runner: Option<Runner>,
    socket_dir: PathBuf,
    port: u16,
    version: String,
    // Last, so that it is removed after the server has stopped.
    dir: tempfile::TempDir,
}

impl Postgres {
    /// Starts a fresh server (from the template) in a new temp dir.
    pub fn start() -> anyhow::Result<Postgres> {
        let bins = binaries()?;
        let runner = runner();
        let template = template(bins, runner.as_ref())?;
        let dir = tempfile::Builder::new()
            .prefix("connector-lab-pg-")
            .tempdir_in(cluster_root())
            .or_else(|_| tempfile::Builder::new().prefix("connector-lab-pg-").tempdir())
            .context("cannot create the PostgreSQL temp dir")?;
        // The server's user must be able to reach its data and socket dirs inside.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .context("cannot open up the PostgreSQL temp dir")?;
        let data_dir = dir.path().join("data");
        let socket_dir = dir.path().join("socket");
        copy_dir(template, &data_dir)?;
        fs::create_dir(&socket_dir).context("cannot create the PostgreSQL socket dir")?;
        fs::set_permissions(&socket_dir, fs::Permissions::from_mode(0o755))?;
        if let Some(runner) = &runner {
            // `cp -a` kept the template's owner on the data; the socket dir is new.
            std::os::unix::fs::chown(&socket_dir, Some(runner.uid), Some(runner.gid))
                .context("cannot hand the socket dir to the server's user")?;
        }
        let port = free_port()?;
        let log = File::create(dir.path().join("postgres.log")).context("cannot create the server log")?;
        let mut command = Command::new(&bins.postgres);
        command
            .arg("-D")
            .arg(&data_dir)
            .arg("-k")
            .arg(&socket_dir)
            .arg("-p")
            .arg(port.to_string())
            .args(["-c", "listen_addresses="])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
            .args(["-c", "max_connections=50", "-c", "unix_socket_permissions=0777"])
            // Many labs run side by side: keep each one small and quiet.
            .args(["-c", "shared_buffers=16MB", "-c", "autovacuum=off"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        as_runner(&mut command, runner.as_ref());
        let child = command.spawn().with_context(|| format!("cannot run {}", bins.postgres.display()))?;
        let mut server =
            Postgres { child: Some(child), bins, runner, socket_dir, port, version: String::new(), dir };
        server.version = server.wait_until_ready()?;
        Ok(server)
    }

    /// The directory holding the server's Unix socket, and its port (the socket is
    /// `<dir>/.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The port in the socket's name; the server listens on no TCP port at all.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The socket itself, `<socket dir>/.s.PGSQL.<port>`.
    pub fn socket_path(&self) -> PathBuf {
        self.socket_dir.join(format!(".s.PGSQL.{}", self.port))
    }

    /// The superuser ("postgres"), trusted over the socket.
    pub fn superuser(&self) -> &str {
        SUPERUSER
    }

    /// A tokio-postgres config for `user` on `database` over the socket (trust auth).
    pub fn config(&self, user: &str, database: &str) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host_path(&self.socket_dir)
            .port(self.port)
            .user(user)
            .dbname(database)
            .application_name("connector-lab")
            .connect_timeout(Duration::from_secs(5));
        config
    }

    /// Runs SQL as the superuser on `database`, synchronously (own current-thread runtime, on
    /// a thread of its own so that it also works when called from async code); used while the
    /// lab starts, before its runtime exists. The text goes as one simple query: several
    /// statements run in one implicit transaction, so `CREATE DATABASE` needs a call of its own.
    pub fn batch(&self, database: &str, sql: &str) -> anyhow::Result<()> {
        let config = self.config(SUPERUSER, database);
        let sql = sql.to_owned();
        let database = database.to_owned();
        let worker = std::thread::Builder::new()
            .name("connector-lab-pg-batch".to_owned())
            .spawn(move || -> anyhow::Result<()> {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                runtime.block_on(async {
                    let work = async {
                        let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
                        let connection = tokio::spawn(connection);
                        let result = client.batch_execute(&sql).await;
                        drop(client);
                        let _ = connection.await;
                        result
                    };
                    match tokio::time::timeout(BATCH_DEADLINE, work).await {
                        Ok(Ok(())) => Ok(()),
                        Ok(Err(e)) => Err(anyhow::anyhow!("{}", describe_error(&e))),
                        Err(_) => bail!("no answer within {} s", BATCH_DEADLINE.as_secs()),
                    }
                })
            })
            .context("cannot start a thread for the SQL batch")?;
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("the SQL batch thread panicked"))?
            .with_context(|| format!("SQL on database {database:?} failed"))
    }

    /// The server's version string (`server_version`), for facts.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Polls the socket until the server completes a login; returns its `server_version`.
    fn wait_until_ready(&mut self) -> anyhow::Result<String> {
        let started = Instant::now();
        let socket = self.socket_path();
        let mut last = String::from("no socket yet");
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                bail!("PostgreSQL exited while starting ({status}): {}", self.log_tail());
            }
            if socket.exists() {
                match probe(&socket) {
                    Ok(version) => return Ok(version),
                    Err(e) => last = e,
                }
            }
            if started.elapsed() > START_DEADLINE {
                bail!(
                    "PostgreSQL did not accept connections within {} s ({last}): {}",
                    START_DEADLINE.as_secs(),
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    /// The end of the server's log, for error messages.
    fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(8)..].join(" | ");
        if tail.is_empty() { "(empty log)".to_owned() } else { tail }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        // Immediate shutdown (SIGQUIT): nothing here is worth a checkpoint. `pg_ctl kill` sends
        // the signal without `unsafe` code and returns at once; waiting on the child is quicker
        // than `pg_ctl stop`, which polls for the pid file ten times a second.
        let mut stop = Command::new(&self.bins.pg_ctl);
        stop.args(["kill", "QUIT"])
            .arg(child.id().to_string())
            .current_dir(&self.socket_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        as_runner(&mut stop, self.runner.as_ref());
        let _ = stop.status();
        let deadline = Instant::now() + STOP_DEADLINE;
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) if Instant::now() >= deadline => break,
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// tokio-postgres' `Display` says only "db error"; this gives the server's own words.
pub fn describe_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(inner) = source {
                text.push_str(": ");
                text.push_str(&inner.to_string());
                source = inner.source();
            }
            text
        }
    }
}

/// The server binaries in use.
#[derive(Debug)]
struct Bins {
    initdb: PathBuf,
    postgres: PathBuf,
    pg_ctl: PathBuf,
    /// `postgres --version`, e.g. `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`.
    version: String,
}

/// The unprivileged user a root process runs the server as.
#[derive(Debug, Clone)]
struct Runner {
    name: String,
    uid: u32,
    gid: u32,
}

fn as_runner(command: &mut Command, runner: Option<&Runner>) {
    if let Some(runner) = runner {
        command.uid(runner.uid).gid(runner.gid);
    }
}

/// Finds the binaries once per process, installing them first when that is possible.
fn binaries() -> anyhow::Result<&'static Bins> {
    static BINS: OnceLock<Result<Bins, String>> = OnceLock::new();
    BINS.get_or_init(|| find_or_install().map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn find_or_install() -> anyhow::Result<Bins> {
    if let Some(bins) = find() {
        return bins;
    }
    let debian = Path::new("/etc/debian_version").exists();
    if euid() == Some(0) && debian {
        let _lock = lock()?;
        // Another process may have installed them while this one waited for the lock.
        if let Some(bins) = find() {
            return bins;
        }
        for args in [&["update"][..], &["install", "-y", "--no-install-recommends", "postgresql"][..]] {
            let output = Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdin(Stdio::null())
                .output()
                .context("cannot run apt-get to install PostgreSQL")?;
            if !output.status.success() {
                bail!(
                    "apt-get {} failed ({}): {}; install the PostgreSQL server (initdb, postgres, pg_ctl) by hand",
                    args.join(" "),
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                );
            }
        }
        if let Some(bins) = find() {
            return bins;
        }
    }
    bail!(
        "the lab needs a PostgreSQL server: initdb, postgres and pg_ctl were found neither on PATH nor in \
         /usr/lib/postgresql/*/bin; install them (Debian/Ubuntu: `apt-get install postgresql`, \
         Fedora: `dnf install postgresql-server`, macOS: `brew install postgresql`)"
    )
}

/// The binaries on PATH, else in the newest `/usr/lib/postgresql/<version>/bin`.
fn find() -> Option<anyhow::Result<Bins>> {
    let on_path = |name: &str| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p))
    };
    let from_path = ["initdb", "postgres", "pg_ctl"].map(on_path);
    let [Some(initdb), Some(postgres), Some(pg_ctl)] = from_path else {
        let mut versions: Vec<(Vec<u32>, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let key = name.split('.').map(str::parse).collect::<Result<Vec<u32>, _>>().ok()?;
                let bin = entry.path().join("bin");
                ["initdb", "postgres", "pg_ctl"]
                    .iter()
                    .all(|b| is_executable(&bin.join(b)))
                    .then_some((key, bin))
            })
            .collect();
        versions.sort();
        let (_, bin) = versions.pop()?;
        return Some(bins(bin.join("initdb"), bin.join("postgres"), bin.join("pg_ctl")));
    };
    Some(bins(initdb, postgres, pg_ctl))
}

fn bins(initdb: PathBuf, postgres: PathBuf, pg_ctl: PathBuf) -> anyhow::Result<Bins> {
    let output = Command::new(&postgres)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {} --version", postgres.display()))?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || version.is_empty() {
        bail!("{} --version failed ({})", postgres.display(), output.status);
    }
    Ok(Bins { initdb, postgres, pg_ctl, version })
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The effective user ID, read from `/proc/self` (owned by it) so no `unsafe` call is needed.
fn euid() -> Option<u32> {
    fs::metadata("/proc/self").ok().map(|m| m.uid())
}

/// When running as root: the `postgres` system user if it exists, else `nobody`.
fn runner() -> Option<Runner> {
    static RUNNER: OnceLock<Option<Runner>> = OnceLock::new();
    let runner = RUNNER.get_or_init(|| {
        if euid() != Some(0) {
            return None;
        }
        let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
        let user = |wanted: &str| {
            passwd.lines().find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                match fields.as_slice() {
                    [name, _, uid, gid, ..] if *name == wanted => Some(Runner {
                        name: (*name).to_owned(),
                        uid: uid.parse().ok()?,
                        gid: gid.parse().ok()?,
                    }),
                    _ => None,
                }
            })
        };
        Some(user("postgres").or_else(|| user("nobody")).unwrap_or(Runner {
            name: "nobody".to_owned(),
            uid: 65534,
            gid: 65534,
        }))
    });
    runner.clone()
}

/// An exclusive lock on the machine-wide lock file, held until dropped.
fn lock() -> anyhow::Result<File> {
    let path = std::env::temp_dir().join(LOCK_FILE);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    // Anyone may need it, whatever user made it first.
    let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o666));
    file.lock().with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(file)
}

/// The template cluster for these binaries and this runner, built once per machine.
fn template(bins: &Bins, runner: Option<&Runner>) -> anyhow::Result<&'static Path> {
    static TEMPLATE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| build_template(bins, runner).map_err(|e| format!("{e:#}")))
        .as_ref()
        .map(PathBuf::as_path)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn build_template(bins: &Bins, runner: Option<&Runner>) -> anyhow::Result<PathBuf> {
    let version: String = bins
        .version
        .rsplit(") ")
        .next()
        .unwrap_or(&bins.version)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '_' })
        .take(60)
        .collect();
    let owner = runner.map_or_else(|| euid().unwrap_or(0), |r| r.uid);
    let template = std::env::temp_dir().join(format!("connector-lab-pg-template-{version}-{owner}"));
    let ready = |dir: &Path| dir.join("PG_VERSION").is_file() && dir.join("global").is_dir();
    if ready(&template) {
        return Ok(template);
    }
    let _lock = lock()?;
    if ready(&template) {
        return Ok(template);
    }
    let staging = template.with_extension(format!("building-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let _ = fs::remove_dir_all(&template);
    fs::create_dir(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
    fs::set_permissions(&staging, fs::Permissions::from_mode(0o700))?;
    if let Some(runner) = runner {
        std::os::unix::fs::chown(&staging, Some(runner.uid), Some(runner.gid)).with_context(|| {
            format!("cannot hand {} to the {} user for initdb", staging.display(), runner.name)
        })?;
    }
    let mut initdb = Command::new(&bins.initdb);
    initdb
        .args(["-A", "trust", "-U", SUPERUSER, "--no-sync", "-E", "UTF8", "--locale=C", "-D"])
        .arg(&staging)
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null());
    as_runner(&mut initdb, runner);
    let output = initdb.output().with_context(|| format!("cannot run {}", bins.initdb.display()))?;
    if !output.status.success() {
        let _ = fs::remove_dir_all(&staging);
        bail!(
            "initdb failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim(),
            runner.map_or(String::new(), |r| format!(" (run as the {} user)", r.name))
        );
    }
    fs::rename(&staging, &template)
        .with_context(|| format!("cannot move the template cluster to {}", template.display()))?;
    Ok(template)
}

/// Where the per-lab clusters go: `/dev/shm` when it is a tmpfs of at least 1 GiB, else the
/// temp dir. A cluster is about a thousand files; on a disk file system copying them costs most
/// of a lab's start (a second on a small VM), in memory a tenth of that.
fn cluster_root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let mounts = fs::read_to_string("/proc/mounts").unwrap_or_default();
        let roomy = mounts.lines().any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [_, "/dev/shm", "tmpfs", options, ..] = fields.as_slice() else { return false };
            // Without a size option a tmpfs may take half the memory.
            options
                .split(',')
                .find_map(|o| o.strip_prefix("size="))
                .is_none_or(|size| tmpfs_bytes(size) >= 1 << 30)
        });
        if roomy { PathBuf::from("/dev/shm") } else { std::env::temp_dir() }
    })
    .clone()
}

/// A tmpfs `size=` option (`65536k`, `24682416k`, `2g`, or bytes) in bytes.
fn tmpfs_bytes(size: &str) -> u64 {
    let (digits, unit) = size.split_at(size.find(|c: char| !c.is_ascii_digit()).unwrap_or(size.len()));
    let value: u64 = digits.parse().unwrap_or(0);
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        // A percentage of memory, or something new: assume it is enough.
        _ => return u64::MAX,
    };
    value.saturating_mul(scale)
}

/// Copies the template, keeping owners and modes (`cp -a`).
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    let output = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .stdin(Stdio::null())
        .output()
        .context("cannot run cp to copy the template cluster")?;
    if !output.status.success() {
        bail!("copying the template cluster failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(())
}

/// A port number for the socket's name. Nothing listens on it over TCP; taking one the kernel
/// hands out keeps the socket names of parallel labs apart in logs.
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// One login over the socket with the v3 protocol: `Ok(server_version)` once the server
/// answers `ReadyForQuery`, else what it said (e.g. "the database system is starting up").
fn probe(socket: &Path) -> Result<String, String> {
    let mut stream = UnixStream::connect(socket).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(Duration::from_secs(2))).map_err(|e| e.to_string())?;
    let mut body = Vec::new();
    body.extend_from_slice(&196_608_u32.to_be_bytes());
    for part in ["user", SUPERUSER, "database", "postgres", ""] {
        body.extend_from_slice(part.as_bytes());
        body.push(0);
    }
    let mut message = u32::try_from(body.len() + 4).unwrap_or(0).to_be_bytes().to_vec();
    message.extend_from_slice(&body);
    stream.write_all(&message).map_err(|e| e.to_string())?;
    let mut version = String::new();
    loop {
        let mut head = [0u8; 5];
        stream.read_exact(&mut head).map_err(|e| e.to_string())?;
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        if !(4..=1 << 20).contains(&len) {
            return Err(format!("bad message length {len}"));
        }
        let mut payload = vec![0u8; len - 4];
        stream.read_exact(&mut payload).map_err(|e| e.to_string())?;
        let fields: Vec<String> =
            payload.split(|b| *b == 0).map(|f| String::from_utf8_lossy(f).into_owned()).collect();
        match head[0] {
            b'S' if fields.first().is_some_and(|name| name == "server_version") => {
                version = fields.get(1).cloned().unwrap_or_default();
            }
            b'E' => {
                // Fields are a type byte then the text; `M` is the message.
                let text = fields.iter().find_map(|f| f.strip_prefix('M')).unwrap_or("error");
                return Err(text.to_owned());
            }
            b'Z' => {
                let _ = stream.write_all(&[b'X', 0, 0, 0, 4]);
                return Ok(version);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tmpfs_sizes() {
        assert_eq!(tmpfs_bytes("65536k"), 64 << 20);
        assert_eq!(tmpfs_bytes("2g"), 2 << 30);
        assert_eq!(tmpfs_bytes("4096"), 4096);
        assert_eq!(tmpfs_bytes("50%"), u64::MAX);
    }

    #[test]
    fn finds_the_binaries_and_their_version() {
        // Where no server is installed this is the error `start` gives, which must say what to do.
        match binaries() {
            Ok(bins) => assert!(bins.version.contains("PostgreSQL"), "{}", bins.version),
            Err(e) => assert!(e.to_string().contains("install"), "{e}"),
        }
    }
}
