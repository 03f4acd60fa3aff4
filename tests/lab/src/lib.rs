//! The lab: an offline AWS world for connector-doctor, described by a scenario file and
//! served on 127.0.0.1 only.
//!
//! A [`Scenario`] says which credential source the pod has, what its service account token
//! looks like, how the EKS Pod Identity agent, IMDS and STS behave, and which roles and users
//! exist. [`Lab::start`] serves it: one AWS endpoint for every service, the agent and IMDS on
//! their own ports, and the pod's files in a temp dir. [`Lab::pod_env`] is the environment the
//! doctor should run with. Replies follow AWS's wire formats and error texts so the real SDK
//! parses them exactly as it would AWS's.
//!
//! Layout: `aws` is the shared endpoint (protocol dispatch and request authentication), one
//! module per service behind it (`sts`), `agent` and `imds` for the other endpoints, `trust`
//! for trust policies, `token` for service account tokens, `fault` for misbehaviour, `world`
//! for shared state and `server` for HTTP.

mod agent;
mod authz;
mod aws;
mod clock;
pub mod dns;
mod ec2;
mod exchange;
mod fault;
mod iam;
mod ids;
mod imds;
mod pod;
pub mod postgres;
mod rds;
mod redshift;
pub mod scenario;
mod server;
mod sts;
mod tls;
mod token;
mod world;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;
use tokio::sync::watch;

pub use postgres::Postgres;
pub use rds::front::{Login, LoginOutcome};
pub use redshift::{Statement, StatementStatus};
pub use scenario::Scenario;
pub use world::Call;

use fault::Fault;
use server::Endpoint;
use world::World;

/// A running lab. Dropping it stops the servers and removes the temp dir.
#[derive(Debug)]
pub struct Lab {
    world: Arc<World>,
    aws_url: String,
    agent_url: String,
    env: Vec<(String, String)>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
    // Bound but never listening: connecting gets "connection refused", and the port cannot
    // be taken by anyone else while the lab lives.
    _refusing: Vec<tokio::net::TcpSocket>,
    // Listening, never accepting: the kernel completes TCP handshakes for the warehouses'
    // database ports, which is all a reachability probe asks of them.
    _warehouses: Option<TcpListener>,
    // The RDS endpoints (their own thread), when the scenario has `[[rds]]` entries.
    rds: Option<rds::front::Front>,
    // The DNS responder, when started with one (`start_with_dns`).
    dns: Option<dns::Responder>,
    temp: tempfile::TempDir,
}

impl Lab {
    /// Starts every endpoint on 127.0.0.1 ephemeral ports on a background thread with its own
    /// tokio runtime (a sync API, so plain `#[test]`s can use it), writes the pod's files
    /// (token file, profile files) into a fresh temp dir owned by the Lab, and returns once
    /// listening.
    pub fn start(scenario: Scenario) -> anyhow::Result<Lab> {
        Self::launch(scenario, None)
    }

    /// [`Lab::start`], plus a DNS responder (UDP and TCP) at `dns` answering the scenario's
    /// names (see [`dns::Zone::of`]): port 0 picks a free port; in a network namespace of
    /// its own a test would use `127.0.0.53:53` and name it in the namespace's `resolv.conf`.
    pub fn start_with_dns(scenario: Scenario, dns: SocketAddr) -> anyhow::Result<Lab> {
        Self::launch(scenario, Some(dns))
    }

    fn launch(scenario: Scenario, dns_addr: Option<SocketAddr>) -> anyhow::Result<Lab> {
        let zone = dns_addr.map(|_| dns::Zone::of(&scenario));
        let dns = match (dns_addr, zone) {
            (Some(addr), Some(zone)) => Some(
                dns::Responder::start(addr, zone).with_context(|| format!("cannot serve DNS at {addr}"))?,
            ),
            _ => None,
        };
        let imds_wanted = scenario.imds.is_some();
        let aws_fault = scenario.sts.fault();
        let agent_fault = scenario.agent.fault();
        let postgres = if scenario.needs_postgres() {
            Some(Postgres::start().context("cannot start the lab's PostgreSQL server")?)
        } else {
            None
        };
        let world = Arc::new(World::new(scenario).with_postgres(postgres));
        if let Some(server) = world.postgres() {
            redshift::provision(&world.scenario, server).context("cannot set up Redshift's databases")?;
        }
        let temp = tempfile::Builder::new()
            .prefix("connector-lab-")
            .tempdir()
            .context("cannot create the lab's temp dir")?;
        // Like a pod's volumes: traversable by whatever user the doctor runs as.
        std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755))
            .context("cannot open up the lab's temp dir")?;

        let mut refusing = Vec::new();
        let mut listeners = Vec::new();
        let mut open = |endpoint: Endpoint, fault: Fault| -> anyhow::Result<u16> {
            if fault == Fault::Refused {
                let socket = tokio::net::TcpSocket::new_v4()?;
                socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
                let port = socket.local_addr()?.port();
                refusing.push(socket);
                return Ok(port);
            }
            let listener =
                TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot listen on 127.0.0.1")?;
            listener.set_nonblocking(true)?;
            let port = listener.local_addr()?.port();
            listeners.push((listener, endpoint, fault));
            Ok(port)
        };
        let aws_port = open(Endpoint::Aws, aws_fault)?;
        let agent_port = open(Endpoint::Agent, agent_fault)?;
        let imds_port = if imds_wanted { Some(open(Endpoint::Imds, Fault::None)?) } else { None };

        let rds = rds::front::Front::start(&world, temp.path()).context("cannot start the RDS endpoints")?;
        // The warehouses' database ports (5439) open TCP and speak nothing (the connectors the
        // doctor checks over SQL use the Data API); their names lead there, so that no probe of
        // them ever asks a real resolver.
        let warehouses = redshift::addresses(&world.scenario);
        let warehouse_listener = if warehouses.is_empty() {
            None
        } else {
            Some(TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot listen on 127.0.0.1")?)
        };
        let warehouse_port =
            warehouse_listener.as_ref().map(TcpListener::local_addr).transpose()?.map(|a| a.port());
        let urls = pod::Urls {
            aws: format!("http://127.0.0.1:{aws_port}"),
            agent: format!("http://127.0.0.1:{agent_port}/v1/credentials"),
            imds: imds_port.map(|port| format!("http://127.0.0.1:{port}")),
            rds: rds.as_ref().map(|front| pod::RdsRoutes {
                ca_file: front.ca_path().to_string_lossy().into_owned(),
                connect_to: front.connect_to(),
            }),
            warehouses: warehouse_port
                .map(|port| {
                    warehouses.iter().map(|(name, api)| format!("{name}:{api}:127.0.0.1:{port}")).collect()
                })
                .unwrap_or_default(),
        };
        let env = pod::prepare(&world, temp.path(), &urls).context("cannot write the pod's files")?;

        let (stop, stopped) = watch::channel(false);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread_world = Arc::clone(&world);
        let thread = std::thread::Builder::new()
            .name("connector-lab".to_owned())
            .spawn(move || run(listeners, thread_world, stopped, &ready_tx))
            .context("cannot start the lab thread")?;
        ready_rx
            .recv()
            .context("the lab thread died while starting")?
            .context("the lab could not start its servers")?;

        Ok(Lab {
            world,
            aws_url: urls.aws,
            agent_url: urls.agent,
            env,
            stop,
            thread: Some(thread),
            _refusing: refusing,
            _warehouses: warehouse_listener,
            rds,
            dns,
            temp,
        })
    }

    /// The complete environment the pod (the doctor process) should see. Run the doctor with
    /// `env_clear()` plus these (and PATH/HOME if wanted). Always includes `AWS_REGION`,
    /// `AWS_ENDPOINT_URL`, `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` (which exist
    /// only for `source = "profile"`), and either `AWS_EC2_METADATA_DISABLED=true` or
    /// `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
    pub fn pod_env(&self) -> Vec<(String, String)> {
        self.env.clone()
    }

    /// The AWS endpoint (`http://127.0.0.1:<port>`).
    pub fn aws_url(&self) -> String {
        self.aws_url.clone()
    }

    /// The Pod Identity agent's full URI, including `/v1/credentials`.
    pub fn agent_url(&self) -> String {
        self.agent_url.clone()
    }

    /// The temp dir holding the pod's files.
    pub fn temp_dir(&self) -> &Path {
        self.temp.path()
    }

    /// Every request served, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.world.calls()
    }

    /// Every Redshift Data API statement submitted so far, in order, with its status now.
    pub fn statements(&self) -> Vec<Statement> {
        self.world.statements.all()
    }

    /// The real PostgreSQL server behind the lab's database endpoints, when the scenario
    /// needs one ([`Scenario::needs_postgres`]).
    pub fn postgres(&self) -> Option<&Postgres> {
        self.world.postgres()
    }

    /// The lab's RDS CA bundle (`<temp dir>/rds-ca.pem`, the pod's `PGSSLROOTCERT`), when the
    /// scenario has `[[rds]]` entries.
    pub fn rds_ca_path(&self) -> Option<PathBuf> {
        self.rds.as_ref().map(|front| front.ca_path().to_owned())
    }

    /// Where the `[[rds]]` entry `id` is: its endpoint address, the port the API reports (and
    /// tokens are signed for), and the loopback port that really serves it.
    pub fn endpoint_of(&self, id: &str) -> Option<(String, u16, u16)> {
        let routes = self.rds.as_ref()?.routes();
        routes.iter().find(|r| r.id == id).map(|r| (r.address.clone(), r.api_port, r.real_port))
    }

    /// Where the DNS responder answers, when the lab was started with one.
    pub fn dns_addr(&self) -> Option<SocketAddr> {
        self.dns.as_ref().map(dns::Responder::addr)
    }

    /// Every login attempt at the RDS endpoints, in order, with why it ended as it did.
    pub fn login_log(&self) -> Vec<Login> {
        self.rds.as_ref().map(rds::front::Front::logins).unwrap_or_default()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // The TempDir field removes the directory after this.
    }
}

/// The lab thread: one runtime serving every listener until told to stop.
fn run(
    listeners: Vec<(TcpListener, Endpoint, Fault)>,
    world: Arc<World>,
    stopped: watch::Receiver<bool>,
    ready: &std::sync::mpsc::Sender<anyhow::Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(e.into()));
            return;
        }
    };
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for (listener, endpoint, fault) in listeners {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => tasks.push(tokio::spawn(server::serve(
                    listener,
                    endpoint,
                    fault,
                    Arc::clone(&world),
                    stopped.clone(),
                ))),
                Err(e) => {
                    let _ = ready.send(Err(e.into()));
                    return;
                }
            }
        }
        let _ = ready.send(Ok(()));
        for task in tasks {
            let _ = task.await;
        }
    });
    // Dropping the runtime cancels the connections still open (hanging faults included).
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
}
