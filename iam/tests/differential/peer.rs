//! Runs the peer, `@cloud-copilot/iam-simulate`, through `tests/peer/simulate.mjs`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::case::{Case, Outcome};

/// What the peer said about one case.
#[derive(Debug, Clone)]
pub struct PeerResult {
    /// `None` when the peer could not evaluate the case (`"Error"`).
    pub outcome: Option<Outcome>,
    pub detail: Option<String>,
    /// Context keys the peer dropped because it does not know them for the action.
    pub ignored_context_keys: Vec<String>,
}

/// `iam/tests/peer`.
pub fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("peer")
}

fn run(program: &str, args: &[&str], dir: &Path) -> std::io::Result<std::process::Output> {
    Command::new(program).args(args).current_dir(dir).stdin(Stdio::null()).output()
}

/// Installs the peer with `npm ci` unless `node_modules` already has it; `Ok(true)` when it did.
/// The error says why when npm is missing or the install fails, and the test fails with it: a
/// differential test that cannot run its peer has not passed.
pub fn ensure_installed() -> Result<bool, String> {
    let dir = peer_dir();
    let marker = dir.join("node_modules").join("@cloud-copilot").join("iam-simulate").join("package.json");
    if marker.is_file() {
        return Ok(false);
    }
    let output = run("npm", &["ci", "--no-audit", "--no-fund", "--loglevel=error"], &dir).map_err(|e| {
        format!(
            "the differential test needs npm to install its peer (@cloud-copilot/iam-simulate) in {}, \
             but running `npm ci` failed: {e}. Install Node.js 20+ with npm.",
            dir.display()
        )
    })?;
    if !output.status.success() {
        return Err(format!(
            "`npm ci` in {} failed ({}):\n{}\n{}",
            dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    if !marker.is_file() {
        return Err(format!("`npm ci` in {} succeeded but {} is missing", dir.display(), marker.display()));
    }
    Ok(true)
}

/// Evaluates every case with the peer in one `node simulate.mjs` run.
pub fn evaluate(cases: &[Case]) -> Result<Vec<PeerResult>, String> {
    let dir = peer_dir();
    let input = Value::Array(cases.iter().map(Case::to_peer_json).collect()).to_string();
    let mut child = Command::new("node")
        .arg("simulate.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("could not start `node simulate.mjs` in {}: {e}. Install Node.js 20+.", dir.display())
        })?;
    {
        let mut stdin = child.stdin.take().ok_or("node's stdin was not captured")?;
        stdin.write_all(input.as_bytes()).map_err(|e| format!("writing the cases to node: {e}"))?;
    }
    let output = child.wait_with_output().map_err(|e| format!("waiting for node: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`node simulate.mjs` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let parsed: Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        format!("`node simulate.mjs` printed no JSON ({e}):\n{}", String::from_utf8_lossy(&output.stdout))
    })?;
    let Value::Array(items) = parsed else {
        return Err("`node simulate.mjs` printed JSON that is not an array".into());
    };
    if items.len() != cases.len() {
        return Err(format!("the peer answered {} results for {} cases", items.len(), cases.len()));
    }
    let mut results = Vec::with_capacity(items.len());
    for (item, case) in items.iter().zip(cases) {
        let name = item["name"].as_str().unwrap_or_default().to_owned();
        if name != case.name {
            return Err(format!("the peer answered {name:?} where {:?} was expected", case.name));
        }
        let result = item["result"].as_str().unwrap_or_default();
        let outcome = Outcome::parse(result);
        if outcome.is_none() && result != "Error" {
            return Err(format!("the peer answered {result:?} for {name}"));
        }
        let ignored_context_keys = item["ignored_context_keys"]
            .as_array()
            .map(|keys| keys.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        results.push(PeerResult {
            outcome,
            detail: item["detail"].as_str().map(str::to_owned),
            ignored_context_keys,
        });
    }
    Ok(results)
}
