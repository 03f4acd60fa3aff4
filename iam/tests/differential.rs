//! Differential test: every case of the corpus is decided by our evaluator (`connector_iam`) and
//! by an independent one, `@cloud-copilot/iam-simulate` (npm, run through
//! `tests/peer/simulate.mjs`), and the two must agree.
//!
//! A disagreement passes only when it is explained: the case is in
//! [`differential::known::KNOWN_PEER_ERRORS`] with the AWS documentation that shows the peer is
//! wrong, and our evaluator gives AWS's answer. Cases where our evaluator is wrong go to
//! [`differential::known::OUR_OPEN_BUGS`], which keeps this test failing until they are fixed.
//!
//! The peer is installed with `npm ci` on first use. Without npm or node the test fails: a
//! differential test that did not run has not passed.

mod differential {
    pub mod case;
    pub mod generated;
    pub mod known;
    pub mod peer;
    pub mod seeds;
}

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::time::Instant;

use connector_iam::{Context, Decision, Policies, Policy, Principal, Request, authorize};
use serde_json::Value;

use differential::case::{Caller, Case, Outcome, Source, Val};
use differential::known::{KNOWN_PEER_ERRORS, OUR_OPEN_BUGS};
use differential::peer::{self, PeerResult};

/// The corpus must stay at least this large.
const MIN_CASES: usize = 300;

fn corpus() -> Vec<Case> {
    let mut cases = differential::seeds::cases();
    cases.extend(differential::generated::cases());
    cases
}

fn parse(name: &str, document: &Value) -> Result<Policy, String> {
    Policy::parse(&document.to_string()).map_err(|e| format!("policy {name} does not parse: {e}"))
}

/// Our evaluator's decision on one case.
fn ours(case: &Case) -> Result<Outcome, String> {
    let principal = match &case.caller {
        Caller::Arn(arn) => Principal::from_arn(arn).map_err(|e| format!("caller {arn}: {e}"))?,
        Caller::Service(service) => Principal::service(service),
        Caller::Federated(provider) => Principal::federated(provider),
    };
    let mut context = Context::new();
    for (key, value) in &case.context {
        match value {
            Val::One(v) => context.set(key, v.as_str()),
            Val::Many(list) => context.set(key, list.clone()),
        }
    }
    let mut identity = Vec::new();
    for (name, document) in &case.identity {
        identity.push((name.clone(), parse(name, document)?));
    }
    let resource = match &case.resource_policy {
        Some((name, document)) => Some((name.clone(), parse(name, document)?)),
        None => None,
    };
    let boundary = match &case.boundary {
        Some((name, document)) => Some((name.clone(), parse(name, document)?)),
        None => None,
    };
    let request = Request {
        principal,
        action: case.action.clone(),
        resource: case.resource.clone(),
        resource_account: Some(case.resource_account.clone()),
        context,
    };
    let policies = Policies { identity, resource, boundary };
    Ok(match authorize(&request, &policies).decision {
        Decision::Allow => Outcome::Allowed,
        Decision::ImplicitDeny => Outcome::ImplicitlyDenied,
        Decision::ExplicitDeny => Outcome::ExplicitlyDenied,
    })
}

/// The version the peer's package.json pins, checked against the installed one.
fn peer_version() -> Result<String, String> {
    let read = |path: std::path::PathBuf| -> Result<Value, String> {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let dir = peer::peer_dir();
    let pinned = read(dir.join("package.json"))?["dependencies"]["@cloud-copilot/iam-simulate"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let installed = read(dir.join("node_modules/@cloud-copilot/iam-simulate/package.json"))?["version"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if pinned != installed {
        return Err(format!(
            "tests/peer/package.json pins @cloud-copilot/iam-simulate {pinned} but node_modules has {installed}; \
             delete tests/peer/node_modules and run the test again"
        ));
    }
    Ok(installed)
}

/// Checks the corpus and the tables before anything runs.
fn check_corpus(cases: &[Case]) -> Vec<String> {
    let mut problems = Vec::new();
    if cases.len() < MIN_CASES {
        problems.push(format!("the corpus has {} cases, fewer than {MIN_CASES}", cases.len()));
    }
    let mut names = HashSet::new();
    for case in cases {
        if !names.insert(case.name.as_str()) {
            problems.push(format!("two cases are named {}", case.name));
        }
    }
    let mut listed = HashSet::new();
    for name in KNOWN_PEER_ERRORS.iter().map(|k| k.case).chain(OUR_OPEN_BUGS.iter().map(|b| b.case)) {
        if !names.contains(name) {
            problems.push(format!("the tables in differential/known.rs name {name}, which is not a case"));
        }
        if !listed.insert(name) {
            problems.push(format!("the tables in differential/known.rs list {name} twice"));
        }
    }
    problems
}

#[derive(Default)]
struct Tally {
    agree: usize,
    agree_with_dropped_keys: usize,
    known_peer_errors: usize,
    open_bugs: usize,
    unexplained: usize,
    by_source: BTreeMap<Source, usize>,
}

/// Compares one case; returns a problem to report, if any.
fn compare(case: &Case, peer: &PeerResult, tally: &mut Tally) -> Option<String> {
    *tally.by_source.entry(case.source).or_default() += 1;
    let ours = match ours(case) {
        Ok(outcome) => outcome,
        Err(e) => {
            tally.unexplained += 1;
            return Some(format!("our evaluator could not take the case: {e}\n  {}", case.describe()));
        }
    };
    let Some(theirs) = peer.outcome else {
        tally.unexplained += 1;
        return Some(format!(
            "the peer could not evaluate the case ({}); fix the case\n  {}",
            peer.detail.as_deref().unwrap_or("no detail"),
            case.describe()
        ));
    };
    if let Some(known) = KNOWN_PEER_ERRORS.iter().find(|k| k.case == case.name) {
        if theirs == known.aws {
            tally.unexplained += 1;
            return Some(format!(
                "{} is listed as a known peer error but the peer now answers {theirs}, as AWS does: \
                 remove it from KNOWN_PEER_ERRORS",
                case.name
            ));
        }
        if ours != known.aws {
            tally.unexplained += 1;
            return Some(format!(
                "our evaluator answers {ours} where AWS answers {} ({}); the peer answers {theirs} ({})\n  {}",
                known.aws,
                known.citation,
                known.why,
                case.describe()
            ));
        }
        tally.known_peer_errors += 1;
        return None;
    }
    if let Some(bug) = OUR_OPEN_BUGS.iter().find(|b| b.case == case.name) {
        tally.open_bugs += 1;
        let state = match (ours == bug.aws, theirs == bug.aws) {
            (true, true) => "now FIXED: remove it from OUR_OPEN_BUGS",
            (true, false) => {
                "now FIXED: move it from OUR_OPEN_BUGS to KNOWN_PEER_ERRORS (the peer is wrong too)"
            }
            (false, _) => "still open",
        };
        return Some(format!(
            "open evaluator bug, {state}: {} — ours {ours}, peer {theirs}, AWS {} ({}): {}",
            case.name, bug.aws, bug.citation, bug.why
        ));
    }
    if ours != theirs {
        tally.unexplained += 1;
        let dropped = if peer.ignored_context_keys.is_empty() {
            String::new()
        } else {
            format!(" (the peer dropped context keys {:?})", peer.ignored_context_keys)
        };
        return Some(format!(
            "unexplained disagreement: ours {ours}, peer {theirs}{dropped}\n  {}",
            case.describe()
        ));
    }
    tally.agree += 1;
    if !peer.ignored_context_keys.is_empty() {
        tally.agree_with_dropped_keys += 1;
    }
    None
}

#[test]
fn our_evaluator_agrees_with_iam_simulate() {
    let started = Instant::now();
    let cases = corpus();
    let problems = check_corpus(&cases);
    assert!(problems.is_empty(), "the corpus is not usable:\n{}", problems.join("\n"));

    let installed_now = peer::ensure_installed().unwrap_or_else(|e| panic!("{e}"));
    let version = peer_version().unwrap_or_else(|e| panic!("{e}"));
    let peer_results = peer::evaluate(&cases).unwrap_or_else(|e| panic!("{e}"));

    let mut tally = Tally::default();
    let problems: Vec<String> =
        cases.iter().zip(&peer_results).filter_map(|(case, peer)| compare(case, peer, &mut tally)).collect();

    let sources: Vec<String> = tally.by_source.iter().map(|(source, n)| format!("{source}: {n}")).collect();
    let summary = format!(
        "differential: {} cases ({}); {} agree ({} of them with context keys the peer dropped), \
         {} known peer errors, {} open evaluator bugs, {} unexplained; peer @cloud-copilot/iam-simulate {version}{}; {:.1} s",
        cases.len(),
        sources.join(", "),
        tally.agree,
        tally.agree_with_dropped_keys,
        tally.known_peer_errors,
        tally.open_bugs,
        tally.unexplained,
        if installed_now { " (installed now with npm ci)" } else { "" },
        started.elapsed().as_secs_f64()
    );
    // Straight to the process's stderr, past the test harness's capture: the summary shows on
    // every run, not only on failure.
    let _ = writeln!(std::io::stderr(), "{summary}");

    assert!(problems.is_empty(), "{summary}\n\n{}", problems.join("\n\n"));
}
