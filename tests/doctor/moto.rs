//! Conformance against an independent peer: the built doctor run against stock moto (`PyPI`,
//! server mode) must reach the same verdicts (check id → status and failure code, and the exit
//! code) as against the lab for the same world.
//!
//! Each row of the table at the bottom names a lab scenario (optionally with a TOML overlay
//! merged into it) and the doctor's arguments. The test runs the doctor against the lab, then
//! builds the same world in a fresh `moto_server` of its own (IAM users and their keys, roles
//! with their trust policies, the OIDC providers, policies) from the parsed scenario, points
//! the pod's environment at moto instead of the lab, runs the doctor again and compares every
//! check. Adding a case is one row. The translation refuses, loudly, a world moto does not
//! model (see `unmodelled`), so a row can never compare something moto merely fakes.
//!
//! Setup is the test's own: a virtualenv under the cargo target dir
//! (`<target>/peers/moto-venv`), installed from `tests/peers/moto/requirements.txt` when it is
//! missing or the pins (or the Python) changed, once per machine, under a file lock. No
//! python3, no venv module, or a failed install fails the tests with the reason; nothing is
//! skipped. Every request goes to 127.0.0.1.
//!
//! Timings measured on this 2-core machine: creating the venv (139 MB) took 15 s with an
//! empty pip cache (everything downloaded from `PyPI`) and 19 s while a second test process
//! waited on the lock; a warm run of the whole table takes under 4 s, a row about 0.7 s of
//! which moto's start is about 0.4 s.
//!
//! # What moto 5.2.5 models, and what it does not (measured; see also `shared/notes/moto.md`)
//!
//! moto routes every request by the `SigV4` credential scope and serves IAM and STS from the
//! same in-memory state; in its default mode it checks no signature and evaluates no policy.
//! `POST /moto-api/reset-auth 0` turns on its authentication: then a key it never issued gets
//! `InvalidClientTokenId`, a wrong secret `SignatureDoesNotMatch`, and it verifies the Rust
//! SDK's signatures. It knows nothing of EKS Pod Identity (no agent; its Pod Identity APIs are
//! 404), of trust policies for web identity, of OIDC providers when exchanging a token, of
//! disabled STS regions, or of instance metadata as a node sees it.
//!
//! # Cases considered and rejected (moto does not model them; measured against 5.2.5)
//!
//! * `oidc-provider-missing`: `AssumeRoleWithWebIdentity` succeeds with no OIDC provider at all.
//! * `web-identity-denied`: the role's trust policy is never read for web identity, and with
//!   authentication on `AssumeRoleWithWebIdentity` is an HTTP 500 (`KeyError HTTP_AUTHORIZATION`).
//! * `role-arn-invalid`: `arn:aws:iam::::1234567890:role/example` is accepted and yields
//!   `assumed-role/example/…`, where STS answers `ValidationError`.
//! * IRSA into a role that does not exist: moto mints credentials for any role ARN, in any
//!   account (AWS answers `AccessDenied`).
//! * `token-audience-mismatch` at STS: moto reads neither the token nor the provider's client IDs.
//! * `sts-region-disabled`: no `RegionDisabledException`; moto serves every region.
//! * Expired keys (`reject_keys = "expired"`): nothing makes moto answer `ExpiredToken`
//!   within a test (its shortest sessions last 900 s).
//! * `node-role-fallback`: `moto_server` answers `/latest/meta-data/` with a fixed `default-role`
//!   whose keys (`test-key`) STS then calls `arn:aws:sts::123456789012:user/moto`, not a node
//!   role with an instance session.
//! * Every Pod Identity world (`identity.agent`): no agent.
//! * Profile worlds: the runs against moto use no shared config files, and from STS's side a
//!   profile's keys are static keys, which the static rows cover.
//! * Transport faults (`sts-unreachable`, `sts-hang`, garbage) and the token file's own faults
//!   (`token-*`): they are not AWS's behaviour, so moto has nothing to say about them.
//!
//! # moto's error shape
//!
//! moto renders the errors of its authentication layer (`InvalidClientTokenId`,
//! `SignatureDoesNotMatch`, and the `AccessDenied` its authorization gives `AssumeRole`) as
//! `<ErrorResponse><Errors><Error><Code>…`, one level deeper than AWS's awsQuery shape. The
//! Rust SDK reads no code from it; the doctor then reads the code from the raw body
//! (`CallFailure::from_sdk`), so those rows reach the lab's verdicts. A row whose world moto
//! gets measurably wrong can pin the divergence with a `Gap`; none needs one today.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use connector_lab::scenario::{FaultKind, RejectKeys, Source};
use connector_lab::{Lab, Scenario};
use serde_json::Value;

use crate::support::{Options, Run, doctor_with, run_with, scenario_dir};

/// One conformance case: a lab world and how the doctor is run in it.
#[derive(Debug, Clone, Copy)]
struct Case {
    /// The scenario file, `tests/scenarios/<lab>.toml`.
    lab: &'static str,
    /// TOML merged over the scenario (tables merge, everything else is replaced).
    overlay: &'static str,
    /// The doctor's arguments after `--json`.
    args: &'static [&'static str],
    /// Turn on moto's authentication (it is on anyway when the scenario rejects keys).
    auth: bool,
    /// The caller ARN the lab reports (session names as `*`); moto's must be the same.
    caller: Option<&'static str>,
    /// A measured moto divergence, asserted exactly; every other check must still agree.
    gap: Option<Gap>,
}

/// Where moto differs from AWS (and so from the lab) for one check.
#[derive(Debug, Clone, Copy)]
struct Gap {
    /// The check that differs.
    check: &'static str,
    /// moto's status and code for it.
    status: &'static str,
    code: Option<&'static str>,
    /// The exit code against moto.
    exit: i32,
    /// Why.
    why: &'static str,
}

const ROW: Case = Case { lab: "", overlay: "", args: &[], auth: false, caller: None, gap: None };

/// The table: one `#[test]` per row.
macro_rules! cases {
    ($($(#[$doc:meta])* $name:ident: $case:expr,)*) => {
        $(
            $(#[$doc])*
            #[test]
            fn $name() {
                conform(stringify!($name), &$case);
            }
        )*
    };
}

const BASE_ROLE: &str = "arn:aws:iam::111122223333:role/xpander-base-role";
const OTHER_ROLE: &str = "arn:aws:iam::111122223333:role/xpander-other-role";
const CI_USER: Option<&str> = Some("arn:aws:iam::111122223333:user/xpander-ci");
const BASE_SESSION: Option<&str> = Some("arn:aws:sts::111122223333:assumed-role/xpander-base-role/*");

cases! {
    /// An IAM user's keys in `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`: every check agrees,
    /// and so does the caller's user ARN.
    healthy_static: Case { lab: "healthy-static", caller: CI_USER, ..ROW },
    /// The same with moto checking signatures: moto accepts the doctor's `SigV4`.
    healthy_static_signed: Case { lab: "healthy-static", auth: true, caller: CI_USER, ..ROW },
    /// Static keys that are not the configured base role.
    static_unexpected_identity: Case {
        lab: "healthy-static",
        args: &["--base-role-arn", BASE_ROLE],
        caller: CI_USER,
        ..ROW
    },
    /// Keys the account never issued (credentials-rejected, with static keys instead of the
    /// agent's, which moto has not got): moto says `InvalidClientTokenId`, in its own shape.
    credentials_rejected: Case {
        lab: "credentials-rejected",
        overlay: r#"pod.source = "static""#,
        ..ROW
    },
    /// An issued key with the wrong secret: moto says `SignatureDoesNotMatch`, in its own shape.
    signature_rejected: Case {
        lab: "healthy-static",
        overlay: r#"sts.reject_keys = "signature""#,
        ..ROW
    },
    /// IRSA: the lab's projected token exchanged for the role, then `GetCallerIdentity` with the
    /// role's credentials.
    healthy_irsa: Case { lab: "healthy-irsa", caller: BASE_SESSION, ..ROW },
    /// IRSA into exactly the configured base role.
    irsa_is_the_base_role: Case {
        lab: "healthy-irsa",
        args: &["--base-role-arn", BASE_ROLE],
        caller: BASE_SESSION,
        ..ROW
    },
    /// IRSA into a role other than the configured base role.
    irsa_unexpected_identity: Case {
        lab: "healthy-irsa",
        args: &["--base-role-arn", OTHER_ROLE],
        caller: BASE_SESSION,
        ..ROW
    },
    /// Static keys beside IRSA: the source warns, the token is still exchanged, and the caller
    /// is the user whose keys win.
    static_keys_beside_irsa: Case {
        lab: "healthy-irsa",
        overlay: "pod.static_keys = true",
        caller: Some("arn:aws:iam::111122223333:user/lab-user"),
        ..ROW
    },
    /// A wrong ExternalId (Qualytics path B: an IAM user's static keys hop into the target
    /// role, whose trust demands `sts:ExternalId` with `StringEquals`): moto with authentication
    /// on evaluates that condition and denies, as AWS does. The user may not read IAM, so the
    /// lab's verdict is the generic `assume-denied`; the doctor's configuration moves with the pod.
    /// The user's policy allows `sts:AssumeRole` on `*` and the trust names it exactly, so the
    /// ExternalId is the only thing moto can refuse; it does, in its own error shape.
    external_id_mismatch: Case {
        lab: "qualytics-static-keys-external-id-mismatch",
        auth: true,
        caller: Some("arn:aws:iam::111122223333:user/qualytics-base-user"),
        ..ROW
    },
}

/// The two EC2 reads the network link signs by hand, against moto with its authentication on:
/// moto verifies the signature with a key it issued and authorizes the calls by the user's
/// policy, and what the doctor reads of its replies (an interface by its address, a
/// group's inbound rules from a group and a CIDR) is what moto was told. The rule judge then
/// admits the interface's group, as EC2 would.
#[test]
fn ec2_reads_agree_with_moto() {
    use connector_doctor::aws::ec2::Ec2;
    use connector_doctor::checks::net::rules::{Pod as Judged, Verdict, judge};

    let dir = tempfile::Builder::new().prefix("connector-moto-ec2-").tempdir().unwrap();
    let moto = Moto::start(venv(), dir.path());
    let account = "123456789012";
    let ec2 =
        |action: &str, params: &[(&str, &str)]| moto.query("ec2", "2016-11-15", account, action, params);
    let db = element(
        &ec2("CreateSecurityGroup", &[("GroupName", "app-db"), ("GroupDescription", "db")]),
        "groupId",
    );
    let nodes = element(
        &ec2("CreateSecurityGroup", &[("GroupName", "nodes"), ("GroupDescription", "nodes")]),
        "groupId",
    );
    ec2(
        "AuthorizeSecurityGroupIngress",
        &[
            ("GroupId", &db),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", "5432"),
            ("IpPermissions.1.ToPort", "5432"),
            ("IpPermissions.1.Groups.1.GroupId", &nodes),
            ("IpPermissions.1.IpRanges.1.CidrIp", "10.9.0.0/16"),
        ],
    );
    let subnets = ec2("DescribeSubnets", &[]);
    let subnet = element(&subnets, "subnetId");
    let cidr = element(&subnets, "cidrBlock");
    let vpc = element(&subnets, "vpcId");
    let prefix = cidr.rsplit_once('.').unwrap().0.to_owned();
    // moto's address filter matches an interface's primary address (a pod with its own branch
    // interface); secondary addresses are the lab's to prove.
    let pod_ip = format!("{prefix}.17");
    let eni = element(
        &ec2(
            "CreateNetworkInterface",
            &[("SubnetId", &subnet), ("PrivateIpAddress", &pod_ip), ("SecurityGroupId.1", &nodes)],
        ),
        "networkInterfaceId",
    );
    moto.iam(account, "CreateUser", &[("UserName", "net-reader")]);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeNetworkInterfaces","ec2:DescribeSecurityGroups"],"Resource":"*"}]}"#;
    moto.iam(
        account,
        "PutUserPolicy",
        &[("UserName", "net-reader"), ("PolicyName", "ReadTheNetwork"), ("PolicyDocument", policy)],
    );
    let key = moto.iam(account, "CreateAccessKey", &[("UserName", "net-reader")]);
    let credentials = aws_credential_types::Credentials::new(
        element(&key, "AccessKeyId"),
        element(&key, "SecretAccessKey"),
        None,
        None,
        "moto",
    );
    moto.authenticate();

    let world = connector_doctor::world::World::with_env(
        [("AWS_ENDPOINT_URL_EC2", moto.url.as_str())],
        std::sync::Arc::new(connector_doctor::world::SystemClock),
    );
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = Ec2::new(&world, &[], "us-east-1", credentials.clone(), Duration::from_secs(10));
    let interfaces =
        runtime.block_on(client.interfaces_holding(pod_ip.parse().unwrap(), Some(&vpc))).unwrap();
    assert_eq!(interfaces.len(), 1, "{interfaces:?}");
    assert_eq!(interfaces[0].id, eni);
    assert_eq!(interfaces[0].groups, [(nodes.clone(), "nodes".to_owned())]);
    let groups = runtime.block_on(client.security_groups(std::slice::from_ref(&db), true)).unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].vpc_id, vpc);
    // By filter, a group that does not exist is left out instead of failing the call.
    let lenient = [db.clone(), "sg-0123456789abcdef0".to_owned()];
    let found = runtime.block_on(client.security_groups(&lenient, false)).unwrap();
    assert_eq!(found.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), [db.as_str()]);
    // Another VPC holds no such address.
    let elsewhere =
        runtime.block_on(client.interfaces_holding(pod_ip.parse().unwrap(), Some("vpc-0ther"))).unwrap();
    assert!(elsewhere.is_empty(), "{elsewhere:?}");
    let rule = &groups[0].inbound[0];
    assert_eq!((rule.protocol.as_str(), rule.from_port, rule.to_port), ("tcp", Some(5432), Some(5432)));
    assert_eq!(rule.groups, std::slice::from_ref(&nodes));
    assert_eq!(rule.cidrs, ["10.9.0.0/16"]);
    let pod = Judged { ip: pod_ip.parse().unwrap(), groups: vec![nodes.clone()] };
    assert_eq!(
        judge(&pod, 5432, &groups, &std::collections::BTreeMap::new()),
        Verdict::Admitted { group: db.clone(), source: nodes }
    );

    // A key moto never issued is refused in EC2's words, which the check reads as a failure to
    // classify rather than a verdict on the rules.
    let stranger = aws_credential_types::Credentials::new("AKIANOTISSUED0000000", "x", None, None, "moto");
    let client = Ec2::new(&world, &[], "us-east-1", stranger, Duration::from_secs(10));
    match runtime.block_on(client.security_groups(&[db], true)) {
        Err(connector_doctor::aws::CallFailure::Service { code, .. }) => {
            assert!(code == "AuthFailure" || code == "InvalidClientTokenId", "{code}");
        }
        other => panic!("a key moto never issued: {other:?}"),
    }
}

/// Runs `case` against the lab and against moto and compares the verdicts.
fn conform(name: &str, case: &Case) {
    let started = Instant::now();
    let (world, scenario) = load(case);
    let args: Vec<&str> = ["--json"].iter().chain(case.args).copied().collect();

    let lab = Lab::start(scenario.clone()).unwrap_or_else(|e| panic!("{name}: lab: {e:#}"));
    let lab_run =
        doctor_with(&lab, &args, &Options { cwd: Some(lab.temp_dir().to_owned()), ..Options::default() });
    let lab_report = lab_run.report();

    let venv = venv();
    let dir = tempfile::Builder::new().prefix("connector-moto-").tempdir().unwrap();
    let auth = case.auth || scenario.sts.reject_keys != RejectKeys::None;
    let pod = Pod::of(&scenario, auth, &lab, dir.path()).unwrap_or_else(|why| panic!("{name}: {why}"));
    // The lab is gone before moto's run: nothing in it can answer for moto.
    drop(lab);
    let moto = Moto::start(venv, dir.path());
    let booted = started.elapsed();
    let keys = moto.arrange(&scenario, &world);
    if auth {
        moto.authenticate();
    }
    let env = pod.env(&moto, &scenario, &keys);
    let moto_run = run_with(&env, &args, &Options { cwd: Some(dir.path().to_owned()), ..Options::default() });
    let moto_report = moto_run.report();
    compare(name, case, (&lab_run, &lab_report), (&moto_run, &moto_report), &moto);
    eprintln!(
        "moto {name}: {:.1} s (lab run and moto up after {:.1} s, moto run {:.2} s)",
        started.elapsed().as_secs_f64(),
        booted.as_secs_f64(),
        moto_run.took.as_secs_f64()
    );
}

/// The case's world: the scenario file with the overlay merged in, as TOML (for the parts
/// the typed scenario does not expose) and parsed.
fn load(case: &Case) -> (toml::Table, Scenario) {
    let path = scenario_dir().join(format!("{}.toml", case.lab));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut world: toml::Table = text.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let overlay: toml::Table =
        case.overlay.parse().unwrap_or_else(|e| panic!("overlay {:?}: {e}", case.overlay));
    merge(&mut world, overlay);
    let merged = toml::to_string(&world).unwrap();
    let scenario = Scenario::from_toml_str(&merged)
        .unwrap_or_else(|e| panic!("{} with overlay {:?}: {e:#}", path.display(), case.overlay));
    (world, scenario)
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(old)), toml::Value::Table(new)) => merge(old, new),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// Checks each report's verdicts against the other's.
fn compare(name: &str, case: &Case, lab: (&Run, &Value), moto: (&Run, &Value), server: &Moto) {
    let (lab_run, lab_report) = lab;
    let (moto_run, moto_report) = moto;
    let ours = verdicts(lab_report);
    let theirs = verdicts(moto_report);
    let show = || {
        let mut text = format!("{name}\n{:<24} {:<32} moto\n", "check", "lab");
        for id in ours.keys().chain(theirs.keys().filter(|k| !ours.contains_key(*k))) {
            let cell = |v: Option<&(String, Option<String>)>| match v {
                Some((status, Some(code))) => format!("{status} {code}"),
                Some((status, None)) => status.clone(),
                None => "-".to_owned(),
            };
            let _ = writeln!(text, "{id:<24} {:<32} {}", cell(ours.get(id)), cell(theirs.get(id)));
        }
        let _ = writeln!(text, "exit: lab {}, moto {}", lab_run.code, moto_run.code);
        for c in moto_report["checks"].as_array().into_iter().flatten() {
            let _ = writeln!(text, "moto {}: {} {}", c["id"], c["summary"], c["evidence"]);
        }
        text + &format!("moto_server log:\n{}", server.log_tail())
    };
    let mut expected = ours.clone();
    let mut exit = lab_run.code;
    if let Some(gap) = &case.gap {
        let gapped = (gap.status.to_owned(), gap.code.map(str::to_owned));
        assert_ne!(
            ours.get(gap.check),
            Some(&gapped),
            "{name}: the lab agrees with the gap; drop it\n{}",
            show()
        );
        assert!(
            theirs != ours || moto_run.code != lab_run.code,
            "{name}: moto now agrees with the lab; drop the gap ({})\n{}",
            gap.why,
            show()
        );
        expected.insert(gap.check.to_owned(), gapped);
        exit = gap.exit;
    }
    assert_eq!(theirs, expected, "{name}: verdicts differ\n{}", show());
    assert_eq!(moto_run.code, exit, "{name}: exit code\n{}\nstderr: {}", show(), moto_run.stderr);
    assert_eq!(
        moto_report["context"]["credential_source"],
        lab_report["context"]["credential_source"],
        "{name}: credential source\n{}",
        show()
    );
    let caller = |r: &Value| r["context"]["caller_arn"].as_str().map(shape);
    if let Some(expected) = case.caller {
        assert_eq!(caller(lab_report).as_deref(), Some(expected), "{name}: the lab's caller\n{}", show());
    }
    if case.gap.is_none() {
        assert_eq!(
            caller(moto_report),
            caller(lab_report),
            "{name}: caller ARN (sessions aside)\n{}",
            show()
        );
    }
}

/// Check id (with its connector) → status and code.
fn verdicts(report: &Value) -> BTreeMap<String, (String, Option<String>)> {
    let checks = report["checks"].as_array().expect("checks");
    checks
        .iter()
        .map(|c| {
            let id = c["id"].as_str().unwrap_or_default();
            let key = match c["connector"].as_str() {
                Some(connector) => format!("{id}[{connector}]"),
                None => id.to_owned(),
            };
            let status = c["status"].as_str().unwrap_or_default().to_owned();
            (key, (status, c["code"].as_str().map(str::to_owned)))
        })
        .collect()
}

/// An ARN without its session name (`…:assumed-role/ROLE/*`); anything else as it is.
fn shape(arn: &str) -> String {
    match arn.split_once(":assumed-role/") {
        Some((head, rest)) => {
            let role = rest.split('/').next().unwrap_or_default();
            format!("{head}:assumed-role/{role}/*")
        }
        None => arn.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------
// The pod as moto's world sees it.

/// The lab pod's environment, minus what must change for moto, with its files copied.
struct Pod {
    env: Vec<(String, String)>,
    home: PathBuf,
}

impl Pod {
    /// Copies what the pod needs from the lab (its token file) into `dir` and keeps the rest
    /// of its environment, refusing a world moto does not model.
    fn of(scenario: &Scenario, auth: bool, lab: &Lab, dir: &Path) -> Result<Pod, String> {
        if let Some(why) = unmodelled(scenario, auth) {
            return Err(format!("not a moto row: {why}"));
        }
        let lab_dir = lab.temp_dir();
        let lab_url = lab.aws_url();
        let lab_agent = lab.agent_url();
        let mut env = Vec::new();
        for (key, value) in lab.pod_env() {
            let value = match key.as_str() {
                "AWS_ENDPOINT_URL" | "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => value,
                "AWS_CONFIG_FILE" | "AWS_SHARED_CREDENTIALS_FILE" => {
                    if Path::new(&value).exists() {
                        return Err(format!("not a moto row: the pod has shared config files ({key})"));
                    }
                    dir.join("nonexistent").join(Path::new(&value).file_name().unwrap()).display().to_string()
                }
                // The pod's files move with it: the token, and the doctor's configuration.
                "AWS_WEB_IDENTITY_TOKEN_FILE" | "CONNECTOR_DOCTOR_CONFIG" => {
                    let from = Path::new(&value);
                    let relative =
                        from.strip_prefix(lab_dir).map_err(|_| format!("{key}={value} is not the lab's"))?;
                    let to = dir.join(relative);
                    fs::create_dir_all(to.parent().unwrap()).unwrap();
                    if from.exists() {
                        fs::copy(from, &to).map_err(|e| format!("copy {value}: {e}"))?;
                    }
                    to.display().to_string()
                }
                _ if value.contains(&lab_url)
                    || value.contains(&lab_agent)
                    || value.contains(&*lab_dir.to_string_lossy()) =>
                {
                    return Err(format!("not a moto row: {key}={value} points into the lab"));
                }
                _ => value,
            };
            env.push((key, value));
        }
        Ok(Pod { env, home: dir.to_owned() })
    }

    /// The environment for the run against `moto`, with moto's keys for the pod's user.
    fn env(&self, moto: &Moto, scenario: &Scenario, keys: &[(String, String)]) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        let reject = scenario.sts.reject_keys;
        for (key, value) in &mut env {
            match key.as_str() {
                "AWS_ENDPOINT_URL" => value.clone_from(&moto.url),
                // Keys moto never issued stay the lab's: moto rejects them as AWS would.
                "AWS_ACCESS_KEY_ID" if reject != RejectKeys::Invalid => value.clone_from(&keys[0].0),
                // An issued key with a secret that is not its own.
                "AWS_SECRET_ACCESS_KEY" if reject == RejectKeys::None => value.clone_from(&keys[0].1),
                _ => {}
            }
        }
        env.push(("HOME".into(), self.home.display().to_string()));
        let get = |k: &str| env.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("AWS_ENDPOINT_URL"), Some(moto.url.as_str()));
        assert_eq!(get("AWS_EC2_METADATA_DISABLED"), Some("true"));
        assert!(get("AWS_REGION").is_some_and(|r| !r.is_empty()), "no AWS_REGION");
        for file in ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"] {
            assert!(get(file).is_some_and(|f| !Path::new(f).exists()), "{file} must name no file");
        }
        env
    }
}

/// Why moto cannot stand in for the lab in `scenario`, if it cannot.
fn unmodelled(scenario: &Scenario, auth: bool) -> Option<String> {
    let irsa = scenario.pod.source == Source::Irsa;
    let reject = scenario.sts.reject_keys;
    let why = match scenario.pod.source {
        Source::PodIdentity => "moto has no EKS Pod Identity agent",
        Source::Profile => "the runs against moto use no shared config files",
        _ if scenario.imds.is_some() => "moto's instance metadata is not a node's",
        _ if scenario.sts.fault != FaultKind::None => "transport faults are not moto's",
        _ if !scenario.sts.disabled_regions.is_empty() => "moto has no disabled STS regions",
        _ if reject != RejectKeys::None
            && reject != RejectKeys::Invalid
            && reject != RejectKeys::Signature =>
        {
            "moto only rejects unknown keys and wrong secrets"
        }
        _ if irsa && auth => "moto answers web identity with HTTP 500 when auth is on",
        _ if irsa && !irsa_exchange_modelled(scenario) => {
            "moto exchanges any token for any role: the IRSA role must exist, keep its default trust, \
             and the issuer's provider must be registered for the token's audience"
        }
        _ => return None,
    };
    Some(why.to_owned())
}

/// Whether the lab's `AssumeRoleWithWebIdentity` would succeed for reasons moto does not check
/// (so that moto's always-yes is the right answer).
fn irsa_exchange_modelled(scenario: &Scenario) -> bool {
    let arn = scenario.role_arn();
    let Some(role) =
        scenario.roles.iter().find(|r| format!("arn:aws:iam::{}:role/{}", scenario.account, r.name) == arn)
    else {
        return false;
    };
    let issuer = scenario.issuer();
    let provider = issuer.trim_start_matches("https://");
    role.trust.is_none()
        && scenario.oidc_providers().iter().any(|p| p == provider)
        && scenario.sts.oidc_client_ids.contains(&scenario.audience())
}

// ---------------------------------------------------------------------------------------
// moto_server.

/// A running `moto_server` on 127.0.0.1, killed on drop.
struct Moto {
    child: Child,
    port: u16,
    url: String,
    log: PathBuf,
}

impl Moto {
    /// Starts `moto_server` from `venv` on a free port and waits (10 s at most) for it to answer.
    fn start(venv: &Path, dir: &Path) -> Moto {
        let mut last = String::new();
        for attempt in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).unwrap().port();
            let log = dir.join(format!("moto_server-{attempt}.log"));
            let out = File::create(&log).unwrap();
            let child = Command::new(venv.join("bin/moto_server"))
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("HOME", dir)
                .env("LANG", "C.UTF-8")
                .env("PYTHONUNBUFFERED", "1")
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}/bin/moto_server: {e}", venv.display()));
            let mut moto = Moto { child, port, url: format!("http://127.0.0.1:{port}"), log };
            match moto.wait_ready(Duration::from_secs(10)) {
                Ok(()) => return moto,
                Err(why) => last = format!("{why}\n{}", moto.log_tail()),
            }
        }
        panic!("moto_server did not come up (delete {} to reinstall it): {last}", venv.display());
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("moto_server exited ({status})"));
            }
            if let Ok((200, _)) = http(self.port, "GET", "/moto-api/", &[], b"") {
                return Ok(());
            }
            if started.elapsed() > limit {
                return Err(format!("moto_server did not answer GET /moto-api/ within {limit:?}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Turns on authentication: from now on every request must be signed with keys moto issued.
    fn authenticate(&self) {
        let (status, body) =
            http(self.port, "POST", "/moto-api/reset-auth", &[("Content-Type", "text/plain")], b"0")
                .unwrap_or_else(|e| panic!("reset-auth: {e}"));
        assert_eq!(status, 200, "reset-auth: {body}");
    }

    /// One IAM call (awsQuery) in `account`; panics unless moto answers 200.
    fn iam(&self, account: &str, action: &str, params: &[(&str, &str)]) -> String {
        self.query("iam", "2010-05-08", account, action, params)
    }

    /// One query-protocol call to `service` in `account` (unsigned: authentication is still
    /// off while the world is arranged); panics unless moto answers 200.
    fn query(
        &self,
        service: &str,
        version: &str,
        account: &str,
        action: &str,
        params: &[(&str, &str)],
    ) -> String {
        let mut form = format!("Action={action}&Version={version}");
        for (k, v) in params {
            let _ = write!(form, "&{}={}", encode(k), encode(v));
        }
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAMOTOSETUP0000000/20261121/us-east-1/{service}/aws4_request, \
             SignedHeaders=host, Signature=0"
        );
        let headers = [
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("Authorization", authorization.as_str()),
            ("x-moto-account-id", account),
        ];
        let (status, body) = http(self.port, "POST", "/", &headers, form.as_bytes())
            .unwrap_or_else(|e| panic!("{service} {action}: {e}"));
        assert_eq!(status, 200, "{service} {action} {params:?}: {body}");
        body
    }

    /// Builds the scenario's IAM world and returns each user's access key (id, secret).
    fn arrange(&self, scenario: &Scenario, world: &toml::Table) -> Vec<(String, String)> {
        let account = scenario.account.as_str();
        let tables = |key: &str| -> Vec<&toml::Table> {
            world
                .get(key)
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(toml::Value::as_table)
                .collect()
        };
        let named = |key: &str, name: &str| {
            tables(key).into_iter().find(|t| t.get("name").and_then(toml::Value::as_str) == Some(name))
        };
        let role_account = |name: &str| {
            named("role", name)
                .and_then(|t| t.get("account"))
                .and_then(toml::Value::as_str)
                .unwrap_or(account)
        };
        // Managed policies exist in every account that has a role, as if each had created its own.
        let mut accounts: Vec<&str> = scenario.roles.iter().map(|r| role_account(&r.name)).collect();
        accounts.push(account);
        accounts.sort_unstable();
        accounts.dedup();
        for policy in tables("policy") {
            let text = |k: &str| policy.get(k).and_then(toml::Value::as_str).unwrap_or_default();
            for in_account in &accounts {
                self.iam(
                    in_account,
                    "CreatePolicy",
                    &[("PolicyName", text("name")), ("PolicyDocument", text("document"))],
                );
            }
        }
        for provider in scenario.oidc_providers() {
            let url = format!("https://{provider}");
            let mut params = vec![
                ("Url".to_owned(), url),
                ("ThumbprintList.member.1".to_owned(), "9e99a48a9960b14926bb7f3b02e22da2b0ab7280".to_owned()),
            ];
            for (i, id) in scenario.sts.oidc_client_ids.iter().enumerate() {
                params.push((format!("ClientIDList.member.{}", i + 1), id.clone()));
            }
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            self.iam(account, "CreateOpenIDConnectProvider", &params);
        }
        for role in &scenario.roles {
            let extra = named("role", &role.name);
            let get = |k: &str| extra.and_then(|t| t.get(k));
            let in_account = role_account(&role.name);
            let policy_arn = |name: &str| format!("arn:aws:iam::{in_account}:policy/{name}");
            let trust = scenario.trust_of(role);
            let mut params =
                vec![("RoleName", role.name.as_str()), ("AssumeRolePolicyDocument", trust.as_str())];
            let max = get("max_session_seconds").and_then(toml::Value::as_integer).map(|s| s.to_string());
            if let Some(max) = &max {
                params.push(("MaxSessionDuration", max));
            }
            let boundary = get("boundary").and_then(toml::Value::as_str).map(policy_arn);
            if let Some(boundary) = &boundary {
                params.push(("PermissionsBoundary", boundary));
            }
            self.iam(in_account, "CreateRole", &params);
            self.policies(in_account, "Role", &role.name, extra, &policy_arn);
        }
        let policy_arn = |name: &str| format!("arn:aws:iam::{account}:policy/{name}");
        let mut keys = Vec::new();
        for user in &scenario.users {
            self.iam(account, "CreateUser", &[("UserName", &user.name)]);
            self.policies(account, "User", &user.name, named("user", &user.name), &policy_arn);
            let body = self.iam(account, "CreateAccessKey", &[("UserName", &user.name)]);
            keys.push((element(&body, "AccessKeyId"), element(&body, "SecretAccessKey")));
        }
        keys
    }

    /// A role's or user's inline (`policies`) and attached (`managed`) policies.
    fn policies(
        &self,
        account: &str,
        kind: &str,
        name: &str,
        table: Option<&toml::Table>,
        arn: &dyn Fn(&str) -> String,
    ) {
        let Some(table) = table else { return };
        let key = format!("{kind}Name");
        if let Some(inline) = table.get("policies").and_then(toml::Value::as_table) {
            for (policy, document) in inline {
                let document = document.as_str().unwrap_or_default();
                self.iam(
                    account,
                    &format!("Put{kind}Policy"),
                    &[(&key, name), ("PolicyName", policy), ("PolicyDocument", document)],
                );
            }
        }
        for managed in table.get("managed").and_then(toml::Value::as_array).into_iter().flatten() {
            let policy = arn(managed.as_str().unwrap_or_default());
            self.iam(account, &format!("Attach{kind}Policy"), &[(&key, name), ("PolicyArn", &policy)]);
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text of the first `<name>` element of `xml`.
fn element(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = xml.find(&open).unwrap_or_else(|| panic!("no <{name}> in {xml}")) + open.len();
    let end = start + xml[start..].find('<').unwrap();
    xml[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Form encoding (application/x-www-form-urlencoded, spaces as %20).
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// One HTTP/1.0 request to 127.0.0.1:`port`; the status and the body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut head =
        format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    head += "\r\n";
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    let reply = String::from_utf8_lossy(&reply);
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, body.to_owned()))
}

// ---------------------------------------------------------------------------------------
// The virtualenv.

/// The pinned requirements.
fn requirements() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/moto/requirements.txt")
}

/// `<target>/peers`: beside the profile directory that holds the doctor binary, so it follows
/// `CARGO_TARGET_DIR` and `--target`.
fn peers_dir() -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_connector-doctor"));
    binary.parent().and_then(Path::parent).expect("the binary lives in <target>/<profile>/").join("peers")
}

/// The virtualenv with the pinned moto (and the botocore it brings), installed once per machine
/// (per pin).
pub(crate) fn venv() -> &'static Path {
    static VENV: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match VENV.get_or_init(install) {
        Ok(path) => path,
        Err(why) => panic!("the moto peer could not be set up: {why}"),
    }
}

fn install() -> Result<PathBuf, String> {
    let started = Instant::now();
    let peers = peers_dir();
    fs::create_dir_all(&peers).map_err(|e| format!("create {}: {e}", peers.display()))?;
    let venv = peers.join("moto-venv");
    // Other test processes (another `cargo test` on the same target dir) wait here.
    let lock = File::create(peers.join("moto-venv.lock")).map_err(|e| format!("lock file: {e}"))?;
    lock.lock().map_err(|e| format!("lock {}: {e}", peers.display()))?;

    let pins =
        fs::read_to_string(requirements()).map_err(|e| format!("{}: {e}", requirements().display()))?;
    let python =
        Command::new("python3").args(["-c", "import sys; print(sys.version)"]).output().map_err(|e| {
            format!("cannot run python3 ({e}): this suite needs python3 (3.9 or newer) with venv and pip")
        })?;
    if !python.status.success() {
        return Err(format!("python3 failed: {}", String::from_utf8_lossy(&python.stderr)));
    }
    let stamp = format!("{pins}\n# python {}", String::from_utf8_lossy(&python.stdout).trim());
    let stamp_file = venv.join("connector-doctor.stamp");
    if fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp) && venv.join("bin/moto_server").exists() {
        return Ok(venv);
    }

    eprintln!("moto: installing the pinned moto into {} …", venv.display());
    if venv.exists() {
        fs::remove_dir_all(&venv).map_err(|e| format!("remove the stale {}: {e}", venv.display()))?;
    }
    let log = peers.join("moto-venv.log");
    let out = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let step = |what: &str, cmd: &mut Command| -> Result<(), String> {
        let status = cmd
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out.try_clone().unwrap())
            .spawn()
            .and_then(|mut child| wait(&mut child, Duration::from_mins(15)))
            .map_err(|e| format!("{what}: {e}"))?;
        if status {
            return Ok(());
        }
        let text = fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(25).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!("{what} failed (full log: {}):\n{}", log.display(), tail.join("\n")))
    };
    step(
        "python3 -m venv (on Debian: apt-get install python3-venv)",
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
    )?;
    step(
        "pip install -r tests/peers/moto/requirements.txt",
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--no-input", "--disable-pip-version-check", "-r"])
            .arg(requirements()),
    )?;
    fs::write(&stamp_file, stamp).map_err(|e| format!("{}: {e}", stamp_file.display()))?;
    eprintln!("moto: venv ready in {:.1} s", started.elapsed().as_secs_f64());
    Ok(venv)
}

/// Waits for `child` at most `limit`, killing it then; whether it succeeded.
fn wait(child: &mut Child, limit: Duration) -> std::io::Result<bool> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status.success());
        }
        if started.elapsed() > limit {
            child.kill()?;
            child.wait()?;
            return Err(std::io::Error::other(format!("still running after {limit:?}; killed")));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
