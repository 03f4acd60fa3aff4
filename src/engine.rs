//! The engine: runs a plan of checks as a dependency graph, each with a deadline, independent
//! checks at the same time, and reports what happens as events.
//!
//! A check whose prerequisite did not pass is not run: it is a `skip` that names the check at the
//! root of the trouble. A check that overruns its deadline is stopped; so is the whole run when
//! its own deadline ends. Every event carries the run's generation, so that a presenter that
//! starts a new run can drop late results of the old one.

pub mod board;
pub mod plan;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared, join_all};
use tokio::sync::mpsc::UnboundedSender;

pub use board::Board;
pub use plan::{Plan, Planned};

use crate::config::Config;
use crate::outcome::{CheckKey, Evidence, Outcome, Status, duration_ms};
use crate::world::World;

/// What every check may read: the world, the configuration, and the board on which earlier
/// checks leave what later ones need.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Environment, clock, redactor.
    pub world: World,
    /// The configuration.
    pub config: Arc<Config>,
    /// Results passed between checks.
    pub board: Board,
}

/// One check's code: it probes the world and judges what it saw.
pub trait Check: Send + Sync {
    /// Runs the check. A broken link is an [`Outcome`] with status `fail`, not a panic or an error.
    fn run<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Outcome>;

    /// Whether the check can still say something useful although `prerequisite` did not pass.
    /// The caller check uses this to follow the SDKs into instance metadata.
    fn proceeds_despite(&self, _prerequisite: &Finished, _ctx: &Ctx) -> bool {
        false
    }
}

/// A check's settled result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// Which check.
    pub key: CheckKey,
    /// The run it belongs to.
    pub generation: u64,
    /// What it found.
    pub outcome: Outcome,
    /// How long it ran (zero for a skip decided without running).
    pub duration: Duration,
    /// The checks it needs.
    pub depends_on: Vec<CheckKey>,
}

/// What presenters hear while a run goes on.
#[derive(Debug, Clone)]
pub enum Event {
    /// A check began to run.
    Started {
        /// The run.
        generation: u64,
        /// The check.
        key: CheckKey,
    },
    /// A check settled.
    Finished(Arc<Finished>),
    /// Every check of the run has settled.
    Done {
        /// The run.
        generation: u64,
    },
}

/// Aborts a spawned task when dropped, so that cancelling a run stops its checks.
pub(crate) struct AbortOnDrop<T>(pub(crate) tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

type Node = Shared<BoxFuture<'static, Arc<Finished>>>;

/// Runs plans.
#[derive(Debug, Clone)]
pub struct Engine {
    plan: Arc<Plan>,
}

impl Engine {
    /// An engine for `plan`.
    pub fn new(plan: Plan) -> Self {
        Self { plan: Arc::new(plan) }
    }

    /// The plan it runs.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Runs every check of the plan once, as run `generation`, within `deadline`. Results come
    /// back in plan order and, as they settle, on `events`. Dropping the future cancels the run.
    pub async fn run(
        &self,
        ctx: Arc<Ctx>,
        generation: u64,
        deadline: Duration,
        events: UnboundedSender<Event>,
    ) -> Vec<Arc<Finished>> {
        self.rerun(ctx, generation, deadline, events, None).await
    }

    /// As [`run`](Self::run), but when `keep` is given, only the checks it does not hold run
    /// again; the results it holds stand for the others (their board entries are still there).
    /// Used to re-run one check and what depends on it.
    pub async fn rerun(
        &self,
        ctx: Arc<Ctx>,
        generation: u64,
        deadline: Duration,
        events: UnboundedSender<Event>,
        keep: Option<&BTreeMap<CheckKey, Arc<Finished>>>,
    ) -> Vec<Arc<Finished>> {
        let settled: Arc<Mutex<BTreeMap<CheckKey, Arc<Finished>>>> = Arc::default();
        let mut nodes: BTreeMap<CheckKey, Node> = BTreeMap::new();
        for planned in &self.plan.checks {
            if let Some(kept) = keep.and_then(|k| k.get(&planned.key)) {
                settled
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(planned.key.clone(), kept.clone());
                nodes.insert(planned.key.clone(), futures::future::ready(kept.clone()).boxed().shared());
                continue;
            }
            let prerequisites: Vec<Node> =
                planned.depends_on.iter().filter_map(|k| nodes.get(k).cloned()).collect();
            let node = run_node(
                planned.clone(),
                prerequisites,
                ctx.clone(),
                generation,
                events.clone(),
                settled.clone(),
            )
            .boxed()
            .shared();
            nodes.insert(planned.key.clone(), node);
        }
        let all = join_all(nodes.into_values());
        if tokio::time::timeout(deadline, all).await.is_err() {
            // The nodes were dropped with the timeout, which aborted their tasks. Settle the rest.
            let mut done = settled.lock().unwrap_or_else(PoisonError::into_inner);
            for planned in &self.plan.checks {
                if !done.contains_key(&planned.key) {
                    let outcome = Outcome::error(format!(
                        "Stopped: the run's deadline of {} s ended before this check finished.",
                        deadline.as_secs()
                    ));
                    let finished = Arc::new(Finished {
                        key: planned.key.clone(),
                        generation,
                        outcome,
                        duration: Duration::ZERO,
                        depends_on: planned.depends_on.clone(),
                    });
                    let _ = events.send(Event::Finished(finished.clone()));
                    done.insert(planned.key.clone(), finished);
                }
            }
        }
        let _ = events.send(Event::Done { generation });
        let done = settled.lock().unwrap_or_else(PoisonError::into_inner);
        self.plan.checks.iter().filter_map(|p| done.get(&p.key).cloned()).collect()
    }
}

async fn run_node(
    planned: Planned,
    prerequisites: Vec<Node>,
    ctx: Arc<Ctx>,
    generation: u64,
    events: UnboundedSender<Event>,
    settled: Arc<Mutex<BTreeMap<CheckKey, Arc<Finished>>>>,
) -> Arc<Finished> {
    let before = join_all(prerequisites).await;
    let blocker =
        before.iter().find(|f| !f.outcome.lets_dependents_run() && !planned.check.proceeds_despite(f, &ctx));
    let (outcome, duration) = if let Some(blocker) = blocker {
        // Name the root of the trouble, not the nearest skip.
        let root = match (&blocker.outcome.status, &blocker.outcome.blocked_by) {
            (Status::Skip, Some(root)) => root.clone(),
            _ => blocker.key.clone(),
        };
        let summary = format!("Not run: {root} did not pass.");
        (Outcome::blocked(root, summary), Duration::ZERO)
    } else {
        let _ = events.send(Event::Started { generation, key: planned.key.clone() });
        let started = Instant::now();
        let check = planned.check.clone();
        let task_ctx = ctx.clone();
        let task = AbortOnDrop(tokio::spawn(async move { check.run(&task_ctx).await }));
        let outcome = match tokio::time::timeout(planned.deadline, async { (&mut { task }.0).await }).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) if e.is_panic() => Outcome::error(format!(
                "The check crashed ({}). This is a bug in connector-doctor; please report it with this report attached.",
                panic_message(&*e.into_panic())
            )),
            Ok(Err(_)) => Outcome::error("The check was cancelled."),
            Err(_) => Outcome::error(format!(
                "The check did not finish within its deadline of {:.1} s and was stopped.",
                planned.deadline.as_secs_f64()
            ))
            .evidence(Evidence::call(planned.key.id).message("deadline exceeded").took(planned.deadline)),
        };
        (outcome, started.elapsed())
    };
    let finished = Arc::new(Finished {
        key: planned.key.clone(),
        generation,
        outcome: redact(outcome, &ctx.world),
        duration,
        depends_on: planned.depends_on.clone(),
    });
    settled.lock().unwrap_or_else(PoisonError::into_inner).insert(planned.key.clone(), finished.clone());
    let _ = events.send(Event::Finished(finished.clone()));
    finished
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned())
}

/// Scrubs every secret the run has seen from an outcome's free text, in one place, so that no
/// check can forget to.
fn redact(mut o: Outcome, world: &World) -> Outcome {
    let clean = |text: &str| printable(&world.redactor.scrub(text));
    o.summary = clean(&o.summary);
    for value in o.facts.values_mut() {
        *value = clean(value);
    }
    for e in &mut o.evidence {
        for text in [&mut e.message, &mut e.endpoint, &mut e.error_code].into_iter().flatten() {
            *text = clean(text);
        }
    }
    o
}

/// Text from outside (a server's error, a certificate's name) without control characters, so
/// that nothing it carries (an escape sequence) can rewrite the terminal a report is shown on.
fn printable(text: &str) -> String {
    if text.chars().any(char::is_control) {
        text.chars().map(|c| if c.is_control() && c != '\n' { '\u{fffd}' } else { c }).collect()
    } else {
        text.to_owned()
    }
}

/// Milliseconds of a finished check, for reports.
pub fn finished_ms(f: &Finished) -> u64 {
    duration_ms(f.duration)
}

#[cfg(test)]
mod tests;
