//! RDS in the lab as the product meets it: the real SDK parses every control-plane reply and
//! error, and a real PostgreSQL client (tokio-postgres over rustls, trusting only the lab's
//! `rds-ca.pem`) logs in at the endpoints with IAM auth tokens signed by `aws-sigv4`, the
//! product's signer, and gets RDS's answers: accepted logins reach the real server, rejected
//! ones get RDS's exact texts and SQLSTATEs, and the lab's login log says why.

use std::io::{Read, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_rds::config::retry::RetryConfig;
use aws_sdk_rds::config::{BehaviorVersion, Region};
use aws_sdk_rds::error::ProvideErrorMetadata;
use aws_sdk_rds::types::{AuthScheme, DbProxyStatus, IamAuthMode};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use connector_lab::{Lab, LoginOutcome, Scenario};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, Socket};

const CI_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const CI_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const OUTSIDER_KEY: &str = "AKIAI44QH8DHBEXAMPLE";
const OUTSIDER_SECRET: &str = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";
const APP_DB_RESOURCE: &str = "db-APPDBEXAMPLE234567ABCDEFGH";

const WORLD: &str = r#"
account = "111122223333"
region = "us-west-1"

[pod]
source = "static"

[[user]]
name = "ci"
access_key_id = "AKIAIOSFODNN7EXAMPLE"
secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
[user.policies]
rds = '''{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["rds:DescribeDBInstances", "rds:DescribeDBClusters", "rds:DescribeDBProxies"], "Resource": "*"},
  {"Effect": "Allow", "Action": "rds-db:connect", "Resource": [
    "arn:aws:rds-db:us-west-1:111122223333:dbuser:db-APPDBEXAMPLE234567ABCDEFGH/*",
    "arn:aws:rds-db:us-west-1:111122223333:dbuser:cluster-APPAURORAEXAMPLE234567ABCD/*",
    "arn:aws:rds-db:us-west-1:111122223333:dbuser:prx-0123456789abcdef0/*"]},
  {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::111122223333:role/db-role"}]}'''

[[user]]
name = "outsider"
access_key_id = "AKIAI44QH8DHBEXAMPLE"
secret_access_key = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"

[[role]]
name = "db-role"
trust = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/ci"}, "Action": "sts:AssumeRole"}]}'
policies = { connect = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": "arn:aws:rds-db:us-west-1:111122223333:dbuser:db-APPDBEXAMPLE234567ABCDEFGH/postgres"}]}' }

[[rds]]
id = "app-db"
resource_id = "db-APPDBEXAMPLE234567ABCDEFGH"
databases = ["postgres", "app"]
users = [{ name = "postgres", rds_iam = true }, { name = "app_rw", rds_iam = true }, { name = "legacy" }]
aliases = ["db.corp.example"]
security_groups = ["sg-0123456789abcdef0"]

[[rds]]
id = "plain-db"
iam_auth = false
users = [{ name = "postgres" }]

[[rds]]
id = "app-aurora"
type = "cluster"
resource_id = "cluster-APPAURORAEXAMPLE234567ABCD"
port = 5433

[[rds]]
id = "app-proxy"
type = "proxy"
resource_id = "prx-0123456789abcdef0"
targets = ["app-db"]
security_groups = ["sg-0fedcba9876543210"]

[[rds]]
id = "untrusted-db"
tls = "untrusted"

[[rds]]
id = "wrong-name-db"
tls = "wrong-name"

[[rds]]
id = "silent-db"
silent = true
"#;

/// The world, with top-level keys (`clock_skew_seconds = …`) put first.
fn lab(top: &str) -> Lab {
    Lab::start(Scenario::from_toml_str(&format!("{top}{WORLD}")).unwrap()).unwrap()
}

fn env(lab: &Lab, name: &str) -> String {
    lab.pod_env().into_iter().find(|(k, _)| k == name).unwrap_or_else(|| panic!("{name} not in pod_env")).1
}

// --- The control plane, through the SDK -------------------------------------------------------

fn rds(lab: &Lab, key: &str, secret: &str, region: &str) -> aws_sdk_rds::Client {
    let config = aws_sdk_rds::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(lab.aws_url())
        .retry_config(RetryConfig::disabled())
        .credentials_provider(Credentials::new(key, secret, None, None, "lab"))
        .build();
    aws_sdk_rds::Client::from_conf(config)
}

#[tokio::test]
async fn the_sdk_parses_every_describe_reply() {
    let lab = lab("");
    let client = rds(&lab, CI_KEY, CI_SECRET, "us-west-1");
    let (address, api_port, _) = lab.endpoint_of("app-db").unwrap();

    let out = client.describe_db_instances().send().await.unwrap();
    let ids: Vec<&str> = out.db_instances().iter().filter_map(|i| i.db_instance_identifier()).collect();
    assert_eq!(ids, ["app-db", "plain-db", "untrusted-db", "wrong-name-db", "silent-db"]);
    let out = client.describe_db_instances().db_instance_identifier("app-db").send().await.unwrap();
    let [db] = out.db_instances() else { panic!("{out:?}") };
    let endpoint = db.endpoint().unwrap();
    assert_eq!((endpoint.address(), endpoint.port()), (Some(address.as_str()), Some(i32::from(api_port))));
    assert!(address.starts_with("app-db.") && address.ends_with(".us-west-1.rds.amazonaws.com"), "{address}");
    assert!(endpoint.hosted_zone_id().is_some_and(|z| z.starts_with('Z')));
    assert_eq!(db.dbi_resource_id(), Some(APP_DB_RESOURCE));
    assert_eq!(db.db_instance_arn(), Some("arn:aws:rds:us-west-1:111122223333:db:app-db"));
    assert_eq!(db.engine(), Some("postgres"));
    assert_eq!(db.db_instance_status(), Some("available"));
    assert_eq!(db.iam_database_authentication_enabled(), Some(true));
    assert_eq!(db.master_username(), Some("postgres"));
    assert_eq!(db.db_name(), Some("postgres"));
    assert_eq!(db.publicly_accessible(), Some(false));
    assert_eq!(db.storage_encrypted(), Some(true));
    let version = db.engine_version().unwrap();
    assert!(lab.postgres().unwrap().version().starts_with(version), "{version}");
    let [group] = db.vpc_security_groups() else { panic!("{db:?}") };
    assert_eq!(group.vpc_security_group_id(), Some("sg-0123456789abcdef0"));
    assert_eq!(group.status(), Some("active"));
    // An instance's ARN names it as well as its identifier does.
    let out = client
        .describe_db_instances()
        .db_instance_identifier("arn:aws:rds:us-west-1:111122223333:db:plain-db")
        .send()
        .await
        .unwrap();
    assert_eq!(out.db_instances()[0].iam_database_authentication_enabled(), Some(false));

    let out = client.describe_db_clusters().send().await.unwrap();
    let [cluster] = out.db_clusters() else { panic!("{out:?}") };
    let (address, _, _) = lab.endpoint_of("app-aurora").unwrap();
    assert_eq!(cluster.db_cluster_identifier(), Some("app-aurora"));
    assert_eq!(cluster.endpoint(), Some(address.as_str()));
    assert!(address.starts_with("app-aurora.cluster-"), "{address}");
    assert!(cluster.reader_endpoint().unwrap().starts_with("app-aurora.cluster-ro-"));
    assert_eq!(cluster.port(), Some(5433));
    assert_eq!(cluster.engine(), Some("aurora-postgresql"));
    assert_eq!(cluster.status(), Some("available"));
    assert_eq!(cluster.db_cluster_resource_id(), Some("cluster-APPAURORAEXAMPLE234567ABCD"));
    assert_eq!(cluster.db_cluster_arn(), Some("arn:aws:rds:us-west-1:111122223333:cluster:app-aurora"));
    assert_eq!(cluster.iam_database_authentication_enabled(), Some(true));
    assert!(cluster.vpc_security_groups().is_empty());

    let out = client.describe_db_proxies().db_proxy_name("app-proxy").send().await.unwrap();
    let [proxy] = out.db_proxies() else { panic!("{out:?}") };
    let (address, _, _) = lab.endpoint_of("app-proxy").unwrap();
    assert_eq!(proxy.db_proxy_name(), Some("app-proxy"));
    assert_eq!(
        proxy.db_proxy_arn(),
        Some("arn:aws:rds:us-west-1:111122223333:db-proxy:prx-0123456789abcdef0")
    );
    assert_eq!(proxy.status(), Some(&DbProxyStatus::Available));
    assert_eq!(proxy.engine_family(), Some("POSTGRESQL"));
    assert_eq!(proxy.endpoint(), Some(address.as_str()));
    assert!(address.starts_with("app-proxy.proxy-"), "{address}");
    assert_eq!(proxy.require_tls(), Some(true));
    assert_eq!(proxy.vpc_security_group_ids(), ["sg-0fedcba9876543210"]);
    let [auth] = proxy.auth() else { panic!("{proxy:?}") };
    assert_eq!(auth.auth_scheme(), Some(&AuthScheme::Secrets));
    assert_eq!(auth.iam_auth(), Some(&IamAuthMode::Required));
    assert!(proxy.created_date().is_some());

    let calls: Vec<(String, String)> = lab.calls().into_iter().map(|c| (c.service, c.action)).collect();
    assert!(calls.contains(&("rds".to_owned(), "DescribeDBProxies".to_owned())), "{calls:?}");
}

#[tokio::test]
async fn the_sdk_parses_every_error() {
    let lab = lab("");
    let client = rds(&lab, CI_KEY, CI_SECRET, "us-west-1");
    let err = client.describe_db_instances().db_instance_identifier("gone").send().await.unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_db_instance_not_found_fault(), "{err:?}");
    assert_eq!(err.message(), Some("DBInstance gone not found."));
    let err = client.describe_db_clusters().db_cluster_identifier("gone").send().await.unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_db_cluster_not_found_fault(), "{err:?}");
    assert_eq!(err.message(), Some("DBCluster gone not found."));
    let err = client.describe_db_proxies().db_proxy_name("gone").send().await.unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_db_proxy_not_found_fault(), "{err:?}");
    assert_eq!(err.message(), Some("DBProxy gone is not found."));
    // The instance exists in us-west-1 only.
    let elsewhere = rds(&lab, CI_KEY, CI_SECRET, "eu-central-1");
    let err = elsewhere.describe_db_instances().db_instance_identifier("app-db").send().await.unwrap_err();
    assert!(err.into_service_error().is_db_instance_not_found_fault());
    let out = elsewhere.describe_db_instances().send().await.unwrap();
    assert!(out.db_instances().is_empty());

    let outsider = rds(&lab, OUTSIDER_KEY, OUTSIDER_SECRET, "us-west-1");
    let err = outsider.describe_db_instances().db_instance_identifier("app-db").send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    let err = err.into_service_error();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(
        err.message(),
        Some(
            "User: arn:aws:iam::111122223333:user/outsider is not authorized to perform: rds:DescribeDBInstances on resource: arn:aws:rds:us-west-1:111122223333:db:app-db because no identity-based policy allows the rds:DescribeDBInstances action"
        )
    );
    let err = outsider.describe_db_proxies().send().await.unwrap_err().into_service_error();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert!(err.message().unwrap().contains("on resource: arn:aws:rds:us-west-1:111122223333:db-proxy:*"));
    let unknown = rds(&lab, "AKIAUNKNOWNKEY000000", "x", "us-west-1");
    let err = unknown.describe_db_clusters().send().await.unwrap_err().into_service_error();
    assert_eq!(err.code(), Some("InvalidClientTokenId"));
}

/// The `Date` header of a raw AWS reply, as epoch seconds.
fn date_header(lab: &Lab) -> i64 {
    let host = lab.aws_url().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let body = "Action=DescribeDBInstances&Version=2014-10-31";
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let dates: Vec<&str> = reply.lines().filter_map(|l| l.strip_prefix("date: ")).collect();
    let [date] = dates.as_slice() else { panic!("one Date header wanted: {reply}") };
    // `Sun, 06 Nov 1994 08:49:37 GMT`
    let parts: Vec<&str> = date.split([' ', ':']).collect();
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|m| *m == parts[2])
        .unwrap() as i64
        + 1;
    let (y, d): (i64, i64) = (parts[3].parse().unwrap(), parts[1].parse().unwrap());
    let (h, mi, s): (i64, i64, i64) =
        (parts[4].parse().unwrap(), parts[5].parse().unwrap(), parts[6].parse().unwrap());
    let (yy, mm) = if month <= 2 { (y - 1, month + 9) } else { (y, month - 3) };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + (153 * mm + 2) / 5 + d - 1;
    (era * 146_097 + doe - 719_468) * 86_400 + h * 3600 + mi * 60 + s
}

fn now() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn aws_replies_carry_aws_clock() {
    let lab = lab("");
    assert!((date_header(&lab) - now()).abs() <= 2);
    let skewed = Lab::start(Scenario::from_toml_str("clock_skew_seconds = 3600\n").unwrap()).unwrap();
    assert!((date_header(&skewed) - now() - 3600).abs() <= 2);
}

// --- The login front, with a real PostgreSQL client -------------------------------------------

/// SigV4's URI encoding, for the user name in the URL the signer is given.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What a token is signed with and for.
struct Signer<'a> {
    key: &'a str,
    secret: &'a str,
    session: Option<&'a str>,
    region: &'a str,
    at: SystemTime,
}

impl Default for Signer<'_> {
    fn default() -> Self {
        Self { key: CI_KEY, secret: CI_SECRET, session: None, region: "us-west-1", at: SystemTime::now() }
    }
}

impl Signer<'_> {
    /// An IAM auth token, signed with `aws-sigv4` the way the product signs it.
    fn token(&self, host: &str, port: u16, user: &str) -> String {
        let identity: Identity =
            Credentials::new(self.key, self.secret, self.session.map(str::to_owned), None, "test").into();
        let mut settings = SigningSettings::default();
        settings.expires_in = Some(Duration::from_secs(900));
        settings.signature_location = SignatureLocation::QueryParams;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name("rds-db")
            .time(self.at)
            .settings(settings)
            .build()
            .unwrap();
        let base = format!("{host}:{port}/?Action=connect&DBUser={}", encode(user));
        let url = format!("https://{base}");
        let signable =
            SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[])).unwrap();
        let (instructions, _) = sign(signable, &params.into()).unwrap().into_parts();
        let mut token = base;
        for (name, value) in instructions.params() {
            token.push_str(&format!("&{name}={}", encode(value)));
        }
        token
    }
}

/// A tokio-postgres TLS connector on rustls (aws-lc-rs) that trusts only the given roots.
#[derive(Clone)]
struct Rustls(Arc<rustls::ClientConfig>);

impl Rustls {
    fn trusting(ca: &std::path::Path) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        Self(Arc::new(config))
    }
}

struct Connect(Arc<rustls::ClientConfig>, ServerName<'static>);

struct Tls(tokio_rustls::client::TlsStream<Socket>);

impl MakeTlsConnect<Socket> for Rustls {
    type Stream = Tls;
    type TlsConnect = Connect;
    type Error = rustls::pki_types::InvalidDnsNameError;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Connect, Self::Error> {
        Ok(Connect(Arc::clone(&self.0), ServerName::try_from(domain.to_owned())?))
    }
}

impl TlsConnect<Socket> for Connect {
    type Stream = Tls;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<Tls>> + Send>>;

    fn connect(self, stream: Socket) -> Self::Future {
        Box::pin(
            async move { Ok(Tls(tokio_rustls::TlsConnector::from(self.0).connect(self.1, stream).await?)) },
        )
    }
}

impl AsyncRead for Tls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tls {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl tokio_postgres::tls::TlsStream for Tls {
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

/// Logs in at the `[[rds]]` entry `id` the way the product does: TLS verified against the lab's
/// CA for the endpoint's name, over a TCP connection to the loopback port that serves it.
async fn login(
    lab: &Lab,
    id: &str,
    user: &str,
    database: &str,
    password: &str,
) -> Result<Client, tokio_postgres::Error> {
    let (address, _, real_port) = lab.endpoint_of(id).unwrap();
    let mut config = tokio_postgres::Config::new();
    config
        .host(&address)
        .hostaddr(std::net::Ipv4Addr::LOCALHOST.into())
        .port(real_port)
        .user(user)
        .dbname(database)
        .password(password)
        .ssl_mode(tokio_postgres::config::SslMode::Require)
        .connect_timeout(Duration::from_secs(5));
    let (client, connection) = config.connect(Rustls::trusting(&lab.rds_ca_path().unwrap())).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// A fresh token for the entry's endpoint, signed by `ci`.
fn token_for(lab: &Lab, id: &str, user: &str) -> String {
    let (address, api_port, _) = lab.endpoint_of(id).unwrap();
    Signer::default().token(&address, api_port, user)
}

/// The SQLSTATE and message of a login the server refused.
async fn refusal(lab: &Lab, id: &str, user: &str, database: &str, password: &str) -> (String, String) {
    let err = match login(lab, id, user, database, password).await {
        Ok(_) => panic!("{id}: {user} was let in"),
        Err(e) => e,
    };
    let db = err.as_db_error().unwrap_or_else(|| panic!("not a server error: {err:?}"));
    assert_eq!(db.severity(), "FATAL");
    (db.code().code().to_owned(), db.message().to_owned())
}

fn last_reason(lab: &Lab) -> String {
    lab.login_log().pop().unwrap().reason
}

#[tokio::test]
async fn the_pod_is_told_where_the_endpoints_are() {
    let lab = lab("");
    assert_eq!(env(&lab, "PGSSLROOTCERT"), lab.rds_ca_path().unwrap().to_string_lossy());
    let pem = std::fs::read_to_string(lab.rds_ca_path().unwrap()).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let connect_to = env(&lab, "CONNECTOR_DOCTOR_CONNECT_TO");
    let (address, api_port, real_port) = lab.endpoint_of("app-db").unwrap();
    assert_eq!(api_port, 5432);
    for name in [address.as_str(), "db.corp.example"] {
        let route = format!("{name}:5432:127.0.0.1:{real_port}");
        assert!(connect_to.split(',').any(|r| r == route), "{route} not in {connect_to}");
    }
    let (cluster, cluster_port, cluster_real) = lab.endpoint_of("app-aurora").unwrap();
    assert_eq!(cluster_port, 5433);
    assert!(connect_to.contains(&format!("{cluster}:5433:127.0.0.1:{cluster_real}")));
    assert_eq!(connect_to.split(',').count(), 8, "{connect_to}");
    assert!(lab.endpoint_of("nope").is_none());
    let plain = Lab::start(Scenario::from_toml_str("").unwrap()).unwrap();
    assert!(plain.rds_ca_path().is_none() && plain.postgres().is_none());
    assert!(!plain.pod_env().iter().any(|(k, _)| k == "PGSSLROOTCERT" || k == "CONNECTOR_DOCTOR_CONNECT_TO"));
}

#[tokio::test]
async fn an_accepted_login_reaches_the_real_server() {
    let lab = lab("");
    let client =
        login(&lab, "app-db", "postgres", "postgres", &token_for(&lab, "app-db", "postgres")).await.unwrap();
    let row =
        client.query_one("SELECT 1::int4, current_user::text, current_database()::text", &[]).await.unwrap();
    assert_eq!((row.get::<_, i32>(0), row.get::<_, String>(1)), (1, "postgres".to_owned()));
    let client = login(&lab, "app-db", "app_rw", "app", &token_for(&lab, "app-db", "app_rw")).await.unwrap();
    let row =
        client.query_one("SELECT current_user::text, pg_has_role('rds_iam', 'member')", &[]).await.unwrap();
    assert_eq!((row.get::<_, String>(0), row.get::<_, bool>(1)), ("app_rw".to_owned(), true));
    // Aurora, on its own port.
    let client =
        login(&lab, "app-aurora", "postgres", "postgres", &token_for(&lab, "app-aurora", "postgres"))
            .await
            .unwrap();
    assert_eq!(client.query_one("SELECT 2::int4", &[]).await.unwrap().get::<_, i32>(0), 2);
    // A proxy with IAM auth checks every user's token and does not care about rds_iam.
    let client =
        login(&lab, "app-proxy", "legacy", "app", &token_for(&lab, "app-proxy", "legacy")).await.unwrap();
    assert_eq!(
        client.query_one("SELECT current_user::text", &[]).await.unwrap().get::<_, String>(0),
        "legacy"
    );

    let log = lab.login_log();
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(log.iter().all(|l| l.outcome == LoginOutcome::Accepted && l.reason.is_empty()), "{log:?}");
    assert_eq!((log[1].endpoint.as_str(), log[1].database.as_str()), ("app-db", "app"));
    assert_eq!(log[0].access_key_id.as_deref(), Some(CI_KEY));
    let connects = lab.calls().into_iter().filter(|c| c.endpoint == "postgres").count();
    assert_eq!(connects, 4);
    let call = lab.calls().into_iter().find(|c| c.endpoint == "postgres").unwrap();
    assert_eq!((call.service.as_str(), call.action.as_str()), ("rds-db", "connect"));

    // Accepted by the front, refused by the server: its own words reach the client.
    let (code, message) =
        refusal(&lab, "app-db", "postgres", "nope", &token_for(&lab, "app-db", "postgres")).await;
    assert_eq!((code.as_str(), message.as_str()), ("3D000", "database \"nope\" does not exist"));
}

#[tokio::test]
async fn each_rejection_has_rds_words_and_a_logged_reason() {
    let lab = lab("");
    let (address, port, _) = lab.endpoint_of("app-db").unwrap();
    let pam = |user: &str| ("28000".to_owned(), format!("PAM authentication failed for user \"{user}\""));
    let password =
        |user: &str| ("28P01".to_owned(), format!("password authentication failed for user \"{user}\""));

    // Not in rds_iam: the token is checked as a password.
    let token = token_for(&lab, "app-db", "legacy");
    assert_eq!(refusal(&lab, "app-db", "legacy", "postgres", &token).await, password("legacy"));
    assert!(last_reason(&lab).contains("not a member of rds_iam"), "{}", last_reason(&lab));
    assert_eq!(lab.login_log().pop().unwrap().outcome, LoginOutcome::PasswordFailed);
    // IAM auth disabled on the instance.
    let token = token_for(&lab, "plain-db", "postgres");
    assert_eq!(refusal(&lab, "plain-db", "postgres", "postgres", &token).await, password("postgres"));
    assert!(last_reason(&lab).contains("IAM auth is disabled"), "{}", last_reason(&lab));

    let cases: Vec<(String, &str)> = vec![
        // Signed for the alias the client resolved, not for the endpoint.
        (Signer::default().token("db.corp.example", port, "postgres"), "signed for db.corp.example:5432"),
        (Signer::default().token(&address, 5433, "postgres"), "not the endpoint"),
        (Signer::default().token(&address, port, "app_rw"), "DBUser \"app_rw\""),
        (
            Signer { at: SystemTime::now() - Duration::from_secs(20 * 60), ..Signer::default() }
                .token(&address, port, "postgres"),
            "the token expired at",
        ),
        (
            Signer { region: "us-east-1", ..Signer::default() }.token(&address, port, "postgres"),
            "region us-east-1",
        ),
        (
            Signer { secret: "not-the-secret", ..Signer::default() }.token(&address, port, "postgres"),
            "signature does not match",
        ),
        (
            Signer { key: "AKIAUNKNOWNKEY000000", ..Signer::default() }.token(&address, port, "postgres"),
            "AKIAUNKNOWNKEY000000 does not exist",
        ),
        (
            Signer { session: Some("IQoJb3JpZ2luX2VjEXAMPLE"), ..Signer::default() }
                .token(&address, port, "postgres"),
            "long-term key",
        ),
        (
            Signer { key: OUTSIDER_KEY, secret: OUTSIDER_SECRET, ..Signer::default() }
                .token(&address, port, "postgres"),
            "arn:aws:iam::111122223333:user/outsider may not rds-db:connect to arn:aws:rds-db:us-west-1:111122223333:dbuser:db-APPDBEXAMPLE234567ABCDEFGH/postgres",
        ),
        ("hunter2".to_owned(), "not an IAM auth token"),
        (format!("https://{}", Signer::default().token(&address, port, "postgres")), "URL scheme"),
    ];
    for (token, reason) in cases {
        assert_eq!(
            refusal(&lab, "app-db", "postgres", "postgres", &token).await,
            pam("postgres"),
            "{reason}"
        );
        let login = lab.login_log().pop().unwrap();
        assert_eq!(login.outcome, LoginOutcome::PamFailed);
        assert!(login.reason.contains(reason), "{reason:?} not in {:?}", login.reason);
    }
    // A tampered signature.
    let token = token_for(&lab, "app-db", "postgres");
    let tampered = format!("{}{}", &token[..token.len() - 1], if token.ends_with('0') { '1' } else { '0' });
    assert_eq!(refusal(&lab, "app-db", "postgres", "postgres", &tampered).await, pam("postgres"));
    assert!(last_reason(&lab).contains("signature does not match"));
}

#[tokio::test]
async fn session_credentials_sign_tokens_too() {
    let lab = lab("");
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-west-1"))
            .endpoint_url(lab.aws_url())
            .credentials_provider(Credentials::new(CI_KEY, CI_SECRET, None, None, "lab"))
            .build(),
    );
    let out = sts
        .assume_role()
        .role_arn("arn:aws:iam::111122223333:role/db-role")
        .role_session_name("db-test")
        .send()
        .await
        .unwrap();
    let creds = out.credentials().unwrap();
    let (address, port, _) = lab.endpoint_of("app-db").unwrap();
    let signer = Signer {
        key: creds.access_key_id(),
        secret: creds.secret_access_key(),
        session: Some(creds.session_token()),
        ..Signer::default()
    };
    let client = login(&lab, "app-db", "postgres", "postgres", &signer.token(&address, port, "postgres"))
        .await
        .unwrap();
    assert_eq!(client.query_one("SELECT 3::int4", &[]).await.unwrap().get::<_, i32>(0), 3);
    assert_eq!(lab.login_log().pop().unwrap().access_key_id.as_deref(), Some(creds.access_key_id()));
    // The role may connect as postgres only; and the session token must be the key's own.
    let (code, _) =
        refusal(&lab, "app-db", "app_rw", "postgres", &signer.token(&address, port, "app_rw")).await;
    assert_eq!(code, "28000");
    assert!(
        last_reason(&lab).contains("assumed-role/db-role/db-test may not rds-db:connect"),
        "{}",
        last_reason(&lab)
    );
    let forged = Signer { session: Some("IQoJb3JpZ2luX2VjFORGED"), ..signer };
    let (code, _) =
        refusal(&lab, "app-db", "postgres", "postgres", &forged.token(&address, port, "postgres")).await;
    assert_eq!(code, "28000");
    assert!(last_reason(&lab).contains("session token does not belong"), "{}", last_reason(&lab));
}

#[tokio::test]
async fn aws_clock_decides_token_expiry() {
    // AWS is 20 minutes ahead: a token the pod has just signed is already too old.
    let lab = lab("clock_skew_seconds = 1200\n");
    let token = token_for(&lab, "app-db", "postgres");
    let (code, _) = refusal(&lab, "app-db", "postgres", "postgres", &token).await;
    assert_eq!(code, "28000");
    assert!(last_reason(&lab).contains("the token expired at"), "{}", last_reason(&lab));
    // AWS is 10 minutes behind: the pod's token is dated in the future.
    let lab = self::lab("clock_skew_seconds = -600\n");
    let token = token_for(&lab, "app-db", "postgres");
    let (code, _) = refusal(&lab, "app-db", "postgres", "postgres", &token).await;
    assert_eq!(code, "28000");
    assert!(last_reason(&lab).contains("in the future"), "{}", last_reason(&lab));
}

#[tokio::test]
async fn without_tls_there_is_no_pg_hba_entry() {
    let lab = lab("");
    let (address, _, real_port) = lab.endpoint_of("app-db").unwrap();
    let mut config = tokio_postgres::Config::new();
    config
        .host(&address)
        .hostaddr(std::net::Ipv4Addr::LOCALHOST.into())
        .port(real_port)
        .user("postgres")
        .dbname("app")
        .password(token_for(&lab, "app-db", "postgres"))
        .ssl_mode(tokio_postgres::config::SslMode::Disable);
    let err = match config.connect(tokio_postgres::NoTls).await {
        Ok(_) => panic!("logged in without TLS"),
        Err(e) => e,
    };
    let db = err.as_db_error().unwrap();
    assert_eq!((db.severity(), db.code().code()), ("FATAL", "28000"));
    assert_eq!(
        db.message(),
        "no pg_hba.conf entry for host \"127.0.0.1\", user \"postgres\", database \"app\", no encryption"
    );
    let login = lab.login_log().pop().unwrap();
    assert_eq!((login.outcome, login.database.as_str()), (LoginOutcome::NoEncryption, "app"));
}

#[tokio::test]
async fn certificates_that_must_not_verify_do_not() {
    let lab = lab("");
    for (id, wanted) in [("untrusted-db", "UnknownIssuer"), ("wrong-name-db", "NotValidForName")] {
        let err = match login(&lab, id, "postgres", "postgres", &token_for(&lab, id, "postgres")).await {
            Ok(_) => panic!("{id}: verified"),
            Err(e) => e,
        };
        assert!(err.as_db_error().is_none());
        assert!(format!("{err:?}").contains(wanted), "{id}: {err:?}");
    }
    // The good certificate names every endpoint, and a client checking the alias fails.
    assert!(
        login(&lab, "app-db", "postgres", "postgres", &token_for(&lab, "app-db", "postgres")).await.is_ok()
    );
    let (_, _, real_port) = lab.endpoint_of("app-db").unwrap();
    let mut config = tokio_postgres::Config::new();
    config
        .host("db.corp.example")
        .hostaddr(std::net::Ipv4Addr::LOCALHOST.into())
        .port(real_port)
        .user("postgres");
    config.ssl_mode(tokio_postgres::config::SslMode::Require);
    let err = config.connect(Rustls::trusting(&lab.rds_ca_path().unwrap())).await.err().unwrap();
    assert!(format!("{err:?}").contains("NotValidForName"), "{err:?}");
}

#[tokio::test]
async fn a_silent_server_never_answers() {
    let lab = lab("");
    let started = std::time::Instant::now();
    let attempt = login(&lab, "silent-db", "postgres", "postgres", "x");
    assert!(tokio::time::timeout(Duration::from_secs(2), attempt).await.is_err(), "it answered");
    assert!(started.elapsed() >= Duration::from_secs(2));
    // The TCP connection itself is accepted.
    let (_, _, real_port) = lab.endpoint_of("silent-db").unwrap();
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", real_port)).await.unwrap();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(
        Duration::from_millis(500),
        tokio::io::AsyncReadExt::read(&mut stream, &mut byte),
    );
    assert!(read.await.is_err(), "it said something");
    assert!(lab.login_log().is_empty());
}

#[tokio::test]
async fn garbage_from_a_client_closes_only_its_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let lab = lab("");
    let (_, _, real_port) = lab.endpoint_of("app-db").unwrap();
    for garbage in [
        &b"GET / HTTP/1.1\r\n\r\n"[..],
        &[0, 0, 0, 3],
        &[0x7f, 0xff, 0xff, 0xff, 0, 0],
        &[0, 0, 0, 8, 0, 2, 0, 0],
    ] {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", real_port)).await.unwrap();
        stream.write_all(garbage).await.unwrap();
        let mut reply = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply)).await;
        assert!(read.is_ok(), "{garbage:?}: the connection stayed open");
        assert!(reply.is_empty() || reply[0] == b'E', "{garbage:?}: {reply:?}");
    }
    // Still serving.
    assert!(
        login(&lab, "app-db", "postgres", "postgres", &token_for(&lab, "app-db", "postgres")).await.is_ok()
    );
}

#[tokio::test]
async fn cancel_requests_reach_the_server() {
    let lab = lab("");
    let client =
        login(&lab, "app-db", "postgres", "postgres", &token_for(&lab, "app-db", "postgres")).await.unwrap();
    let ca = lab.rds_ca_path().unwrap();
    let cancel = client.cancel_token();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        cancel.cancel_query(Rustls::trusting(&ca)).await
    });
    let err = client.simple_query("SELECT pg_sleep(20)").await.unwrap_err();
    canceller.await.unwrap().unwrap();
    assert_eq!(err.code(), Some(&tokio_postgres::error::SqlState::QUERY_CANCELED), "{err:?}");
}

#[tokio::test]
async fn gssapi_encryption_is_declined_before_the_no_encryption_refusal() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let lab = lab("");
    let (_, _, real_port) = lab.endpoint_of("app-db").unwrap();
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", real_port)).await.unwrap();
    stream.write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30]).await.unwrap();
    let mut answer = [0u8; 1];
    stream.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"N");
    let mut startup = vec![0, 3, 0, 0];
    startup.extend_from_slice(b"user\0ci\0\0");
    let mut message = u32::try_from(startup.len() + 4).unwrap().to_be_bytes().to_vec();
    message.extend_from_slice(&startup);
    stream.write_all(&message).await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with(b"E") && text.contains("C28000"), "{text}");
    assert!(
        text.contains(
            "no pg_hba.conf entry for host \"127.0.0.1\", user \"ci\", database \"ci\", no encryption"
        ),
        "{text}"
    );
}
