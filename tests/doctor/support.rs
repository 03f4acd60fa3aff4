//! Running the doctor against a lab scenario.

use std::fmt::Write as _;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use connector_lab::{Lab, Scenario};
use serde_json::Value;

/// The scenario files.
pub fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

/// Starts the lab for `tests/scenarios/<name>.toml`.
pub fn lab(name: &str) -> Lab {
    let path = scenario_dir().join(format!("{name}.toml"));
    let scenario = Scenario::from_file(&path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
    Lab::start(scenario).unwrap_or_else(|e| panic!("lab for {name}: {e:#}"))
}

/// One run of the binary.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Everything on stdout.
    pub stdout: String,
    /// Everything on stderr.
    pub stderr: String,
    /// How long it took.
    pub took: Duration,
}

impl Run {
    /// Stdout parsed as the JSON report, validated against the committed schema.
    pub fn report(&self) -> Value {
        let value: Value = serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        });
        assert_valid(&value);
        value
    }
}

static SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/report.schema.json"))
            .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the committed schema is itself valid")
});

/// Every way `report` breaks the committed JSON Schema.
pub fn schema_errors(report: &Value) -> Vec<String> {
    SCHEMA.iter_errors(report).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

/// Asserts that `report` matches the committed JSON Schema.
pub fn assert_valid(report: &Value) {
    let errors = schema_errors(report);
    assert!(
        errors.is_empty(),
        "report does not match assets/report.schema.json:\n{}\n{report:#}",
        errors.join("\n")
    );
}

/// The doctor binary.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_connector-doctor")
}

/// How to run the doctor.
#[derive(Debug, Default)]
pub struct Options {
    /// Extra or replaced variables (an empty value removes the variable).
    pub env: Vec<(String, String)>,
    /// Run as this user id (for unreadable-file tests as root).
    pub uid: Option<u32>,
    /// The working directory (so that no stray connector-doctor.toml is read).
    pub cwd: Option<PathBuf>,
    /// Run inside this network namespace (`ip netns exec`).
    pub netns: Option<String>,
}

/// Runs the doctor with exactly `env` (plus PATH), nothing inherited.
pub fn run_with(env: &[(String, String)], args: &[&str], options: &Options) -> Run {
    let mut cmd = match &options.netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, binary()]);
            c
        }
        None => Command::new(binary()),
    };
    cmd.args(args).env_clear().stdin(Stdio::null());
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env.iter().chain(&options.env) {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    let cwd = options.cwd.clone().unwrap_or_else(std::env::temp_dir);
    cmd.current_dir(cwd);
    if let Some(uid) = options.uid {
        cmd.uid(uid).gid(uid);
    }
    let started = Instant::now();
    let out = cmd.output().expect("run connector-doctor");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    }
}

/// Runs the doctor in the lab's pod environment.
pub fn doctor(lab: &Lab, args: &[&str]) -> Run {
    doctor_with(lab, args, &Options::default())
}

/// Runs the doctor in the lab's pod environment, with options.
pub fn doctor_with(lab: &Lab, args: &[&str], options: &Options) -> Run {
    let mut env = lab.pod_env();
    env.push(("HOME".into(), lab.temp_dir().display().to_string()));
    run_with(&env, args, options)
}

/// The report entry for check `id` (of the pod as a whole).
pub fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

/// Asserts a check's status and code.
pub fn assert_check(report: &Value, id: &str, status: &str, code: Option<&str>) {
    let c = check(report, id);
    assert_eq!(
        (c["status"].as_str(), c["code"].as_str()),
        (Some(status), code),
        "{id}: {}",
        serde_json::to_string_pretty(c).unwrap()
    );
}

/// Asserts that every remedy placeholder is filled, except those in `unknowable` (values the
/// doctor cannot learn from inside the pod, such as the cluster name when not configured).
pub fn assert_remedies_filled(report: &Value, unknowable: &[&str]) {
    for c in report["checks"].as_array().unwrap() {
        let Some(remedy) = c["remedy"].as_object() else {
            continue;
        };
        let mut texts = vec![remedy["text"].as_str().unwrap().to_owned()];
        texts.extend(remedy["commands"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()));
        for text in texts {
            for (name, _) in connector_doctor::catalog::placeholder::KNOWN {
                if !unknowable.contains(name) {
                    assert!(
                        !text.contains(&format!("<{name}>")),
                        "{}: <{name}> left unfilled in: {text}",
                        c["id"]
                    );
                }
            }
        }
    }
}

/// The scenario `tests/scenarios/<base>.toml` with `edits` applied to its text, each
/// `(from, to)` once; every `from` must occur, so a stale edit fails loudly.
pub fn edited_scenario(base: &str, edits: &[(&str, &str)]) -> Scenario {
    let path = scenario_dir().join(format!("{base}.toml"));
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (from, to) in edits {
        assert!(text.contains(from), "the edit expects {from:?} in {base}");
        text = text.replacen(from, to, 1);
    }
    Scenario::from_toml_str(&text).unwrap_or_else(|e| panic!("{base} (edited): {e:#}"))
}

/// Runs the doctor in the lab's pod, from the pod's temp dir (so that no stray
/// `./connector-doctor.toml` is read): the configuration is the scenario's `doctor_config`.
pub fn doctor_in(lab: &Lab, args: &[&str]) -> Run {
    let env = lab.pod_env();
    assert!(
        env.iter().any(|(k, _)| k == "CONNECTOR_DOCTOR_CONFIG"),
        "the scenario has no doctor_config: the doctor would check no connector"
    );
    doctor_with(lab, args, &Options { cwd: Some(lab.temp_dir().to_owned()), ..Options::default() })
}

/// The report entry for check `id` of connector `connector`.
pub fn connector_check<'a>(report: &'a Value, connector: &str, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == id && c["connector"] == connector))
        .unwrap_or_else(|| panic!("no check {id} for connector {connector} in {report:#}"))
}

/// The checks `ids` of `connector` as `id: status code duration — summary` lines, for failure
/// messages.
pub fn connector_table(report: &Value, connector: &str, ids: &[&str]) -> String {
    let mut out = String::new();
    for id in ids {
        let c = connector_check(report, connector, id);
        let _ =
            writeln!(out, "{id}: {} {} {} ms — {}", c["status"], c["code"], c["duration_ms"], c["summary"]);
    }
    out
}

/// What one row of a link's end-to-end table expects of one connector's checks.
pub struct Expected<'a> {
    /// The row's name, for failure messages.
    pub row: &'a str,
    /// The connector.
    pub connector: &'a str,
    /// The link's checks, in plan order.
    pub checks: &'a [&'a str],
    /// The `(status, code)` of each check, in the same order.
    pub verdicts: &'a [(&'a str, Option<&'a str>)],
    /// The exit code.
    pub exit: i32,
    /// Words the first check with a code must say in its summary, remedy or commands.
    pub says: &'a [&'a str],
}

/// Asserts a run against `expected`; returns the report.
pub fn assert_link(run: &Run, expected: &Expected<'_>) -> Value {
    let report = run.report();
    let table = || connector_table(&report, expected.connector, expected.checks);
    for (id, (status, code)) in expected.checks.iter().zip(expected.verdicts) {
        let c = connector_check(&report, expected.connector, id);
        assert_eq!(
            (c["status"].as_str(), c["code"].as_str()),
            (Some(*status), *code),
            "{}: {id}\n{}",
            expected.row,
            table()
        );
    }
    assert_eq!(run.code, expected.exit, "{}: exit code\n{}", expected.row, table());
    let first_with_code = expected
        .checks
        .iter()
        .map(|id| connector_check(&report, expected.connector, id))
        .find(|c| c["code"].is_string());
    if let Some(failing) = first_with_code {
        let remedy = &failing["remedy"];
        let commands: Vec<&str> =
            remedy["commands"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let text = format!(
            "{} {} {}",
            failing["summary"].as_str().unwrap_or_default(),
            remedy["text"].as_str().unwrap_or_default(),
            commands.join(" ")
        );
        for word in expected.says {
            assert!(text.contains(word), "{}: {word:?} missing from {text}", expected.row);
        }
    }
    report
}
