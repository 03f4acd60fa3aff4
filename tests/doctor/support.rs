//! Running the doctor against a lab scenario.

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
}

/// Runs the doctor with exactly `env` (plus PATH), nothing inherited.
pub fn run_with(env: &[(String, String)], args: &[&str], options: &Options) -> Run {
    let mut cmd = Command::new(binary());
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
