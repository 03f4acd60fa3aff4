//! Where an onboarding stands: each step is done when every check that proves it passed against
//! the real environment. A step whose check failed shows that check's remedy in place; a step
//! whose checks could not run names the step that blocks it.

use serde::Serialize;

use super::guide::StepPlan;
use crate::catalog::Remedy;
use crate::outcome::{Code, Status};
use crate::report::CheckReport;

/// A step's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Every check that proves it passed (or does not apply here).
    Done,
    /// A check that proves it failed: the step is not done, or done wrong.
    Todo,
    /// Its checks could not run: an earlier link is broken.
    Blocked,
    /// None of its checks is in this run (its connector is not in the configuration yet).
    Unproven,
}

impl State {
    /// A glyph and a word, readable without colour.
    pub fn label(self) -> &'static str {
        match self {
            State::Done => "✔ done",
            State::Todo => "✖ to do",
            State::Blocked => "– blocked",
            State::Unproven => "· unproven",
        }
    }
}

/// One check behind a step.
#[derive(Debug, Clone, Serialize)]
pub struct StepCheck {
    /// The check id.
    pub id: &'static str,
    /// Its connector.
    pub connector: Option<String>,
    /// Its status.
    pub status: Status,
    /// Its code.
    pub code: Option<Code>,
}

/// The check that keeps a step from being done.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// `id[connector]`.
    pub check: String,
    /// What it found.
    pub summary: String,
    /// What to do, filled in.
    pub remedy: Option<Remedy>,
}

/// One step's progress.
#[derive(Debug, Clone, Serialize)]
pub struct StepProgress {
    /// Its position, from 1.
    pub number: usize,
    /// The step's id.
    pub step: String,
    /// The connector, for per-connector steps.
    pub connector: Option<String>,
    /// Its title.
    pub title: String,
    /// Its state.
    pub state: State,
    /// The checks that prove it.
    pub checks: Vec<StepCheck>,
    /// The first failing check, or for a blocked step the check that blocks it.
    pub problem: Option<Problem>,
}

fn key(c: &CheckReport) -> String {
    match &c.connector {
        Some(conn) => format!("{}[{conn}]", c.id),
        None => c.id.to_owned(),
    }
}

/// Judges each step from the run's checks.
pub fn judge(plans: &[StepPlan<'_>], checks: &[CheckReport]) -> Vec<StepProgress> {
    plans
        .iter()
        .enumerate()
        .map(|(n, plan)| {
            let mine: Vec<&CheckReport> = checks
                .iter()
                .filter(|c| plan.step.proves.iter().any(|id| id == c.id))
                .filter(|c| match (&plan.connector, &c.connector) {
                    (Some(want), Some(have)) => want == have,
                    _ => true,
                })
                .filter(|c| about_this_step(plan, c))
                .collect();
            let failing = mine.iter().find(|c| matches!(c.status, Status::Fail | Status::Error));
            let blocked = mine.iter().find(|c| c.status == Status::Skip && c.blocked_by.is_some());
            let (state, problem) = match (failing, blocked) {
                _ if mine.is_empty() => (State::Unproven, None),
                (Some(c), _) => (State::Todo, Some(problem(c))),
                (None, Some(c)) => (State::Blocked, Some(problem(c))),
                (None, None) => (State::Done, None),
            };
            StepProgress {
                number: n + 1,
                step: plan.step.id.clone(),
                connector: plan.connector.clone(),
                title: plan.title.clone(),
                state,
                checks: mine
                    .iter()
                    .map(|c| StepCheck {
                        id: c.id,
                        connector: c.connector.clone(),
                        status: c.status,
                        code: c.code,
                    })
                    .collect(),
                problem,
            }
        })
        .collect()
}

/// The policy audit speaks about one role at a time: its finding belongs to the step that
/// writes that role's policies, not to every step the audit proves.
fn about_this_step(plan: &StepPlan<'_>, c: &CheckReport) -> bool {
    let (Some(role), Some(owner)) = (c.facts.get("policy_role"), plan.documents.first()) else {
        return true;
    };
    c.id != "chain.policies" || *role == owner.owner_name
}

fn problem(c: &CheckReport) -> Problem {
    Problem { check: key(c), summary: c.summary.clone(), remedy: c.remedy.clone() }
}

/// The progress as text: one line a step, the problem and its remedy under each step not done.
pub fn render(preset: &str, steps: &[StepProgress]) -> String {
    use std::fmt::Write as _;
    let done = steps.iter().filter(|s| s.state == State::Done).count();
    let mut out = format!("Onboarding {preset}: {done} of {} steps done\n\n", steps.len());
    for s in steps {
        let label = s.state.label();
        let pad = 11 - label.chars().count();
        let _ = writeln!(out, "{label}{:pad$}Step {}. {}", "", s.number, s.title);
        if s.state == State::Unproven {
            let _ = writeln!(
                out,
                "             none of its checks ran: add the connector to the configuration ([[connector]])"
            );
        }
        if let Some(p) = &s.problem {
            let pad = "             ";
            if s.state == State::Blocked {
                let _ = writeln!(out, "{pad}waits for {}: {}", p.check, p.summary);
                continue;
            }
            let _ = writeln!(out, "{pad}{}: {}", p.check, p.summary);
            if let Some(r) = &p.remedy {
                for line in r.text.trim().lines() {
                    let _ = writeln!(out, "{pad}{line}");
                }
                for c in &r.commands {
                    let _ = writeln!(out, "{pad}  $ {c}");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;
    use crate::onboard::Onboarding;
    use crate::onboard::guide::steps;

    #[test]
    fn a_step_whose_checks_did_not_run_is_not_done() {
        let config = Config::from_toml(Path::new("cd.toml"), "region = \"us-west-1\"\n").unwrap();
        let ob = Onboarding::prepare(Some("vcluster-rds"), &config, &[], &|_| None).unwrap();
        let plans = steps(&ob, &mut Vec::new());
        let progress = judge(&plans, &[]);
        assert!(progress.iter().all(|s| s.state == State::Unproven), "{progress:?}");
        let text = render("vcluster-rds", &progress);
        assert!(text.starts_with("Onboarding vcluster-rds: 0 of 6 steps done"), "{text}");
        assert!(text.contains("· unproven Step 1.") && text.contains("add the connector"), "{text}");
    }
}
