//! Engine tests with scripted checks: order, concurrency, skips, deadlines, crashes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::mpsc;

use super::*;
use crate::outcome::Code;
use crate::world::SystemClock;

/// A check that sleeps, then returns a fixed outcome (or panics).
struct Scripted {
    sleep: Duration,
    outcome: Option<Outcome>,
}

impl Check for Scripted {
    fn run<'a>(&'a self, _ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            tokio::time::sleep(self.sleep).await;
            match &self.outcome {
                Some(o) => o.clone(),
                None => panic!("scripted crash"),
            }
        }
        .boxed()
    }
}

fn planned(
    id: &'static str,
    deps: &[&'static str],
    sleep_ms: u64,
    outcome: Option<Outcome>,
    deadline_ms: u64,
) -> Planned {
    Planned {
        key: CheckKey::global(id),
        depends_on: deps.iter().map(|d| CheckKey::global(d)).collect(),
        deadline: Duration::from_millis(deadline_ms),
        check: Arc::new(Scripted { sleep: Duration::from_millis(sleep_ms), outcome }),
    }
}

fn ctx() -> Arc<Ctx> {
    Arc::new(Ctx {
        world: World::with_env(Vec::<(String, String)>::new(), Arc::new(SystemClock)),
        config: Arc::new(Config::default()),
        board: Board::default(),
    })
}

async fn run(checks: Vec<Planned>, deadline_ms: u64) -> (Vec<Arc<Finished>>, Vec<Event>, Duration) {
    let engine = Engine::new(Plan { checks });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    let results = engine.run(ctx(), 7, Duration::from_millis(deadline_ms), tx).await;
    let took = started.elapsed();
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (results, events, took)
}

fn status_of(results: &[Arc<Finished>], id: &str) -> (Status, Option<&'static str>) {
    let f = results.iter().find(|f| f.key.id == id).unwrap();
    (f.outcome.status, f.outcome.blocked_by.as_ref().map(|k| k.id))
}

#[tokio::test]
async fn independent_checks_overlap_and_dependents_wait() {
    let pass = || Some(Outcome::pass("ok"));
    let (results, events, took) = run(
        vec![
            planned("a", &[], 200, pass(), 1000),
            planned("b", &[], 200, pass(), 1000),
            planned("c", &["a", "b"], 10, pass(), 1000),
        ],
        5000,
    )
    .await;
    assert!(took < Duration::from_millis(380), "a and b should overlap, took {took:?}");
    assert_eq!(results.iter().map(|f| f.key.id).collect::<Vec<_>>(), ["a", "b", "c"]);
    let order: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Finished(f) => Some(f.key.id),
            _ => None,
        })
        .collect();
    assert_eq!(order.last(), Some(&"c"));
    assert!(matches!(events.last(), Some(Event::Done { generation: 7 })));
    assert!(events.iter().all(|e| match e {
        Event::Started { generation, .. } | Event::Done { generation } => *generation == 7,
        Event::Finished(f) => f.generation == 7,
    }));
}

#[tokio::test]
async fn a_skip_names_the_root_of_the_trouble() {
    let (results, _, _) = run(
        vec![
            planned("root", &[], 0, Some(Outcome::fail(Code::NoCredentialSource, "none")), 1000),
            planned("mid", &["root"], 0, Some(Outcome::pass("ok")), 1000),
            planned("leaf", &["mid"], 0, Some(Outcome::pass("ok")), 1000),
            planned("na", &[], 0, Some(Outcome::not_applicable("n/a")), 1000),
            planned("after-na", &["na"], 0, Some(Outcome::pass("ok")), 1000),
        ],
        5000,
    )
    .await;
    assert_eq!(status_of(&results, "mid"), (Status::Skip, Some("root")));
    assert_eq!(status_of(&results, "leaf"), (Status::Skip, Some("root")));
    assert_eq!(status_of(&results, "after-na"), (Status::Pass, None), "not-applicable lets dependents run");
}

#[tokio::test]
async fn a_check_past_its_deadline_is_stopped_and_a_crash_is_an_error() {
    let (results, _, took) = run(
        vec![
            planned("slow", &[], 10_000, Some(Outcome::pass("late")), 100),
            planned("crash", &[], 0, None, 1000),
        ],
        5000,
    )
    .await;
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(status_of(&results, "slow").0, Status::Error);
    let crash = results.iter().find(|f| f.key.id == "crash").unwrap();
    assert_eq!(crash.outcome.status, Status::Error);
    assert!(crash.outcome.summary.contains("scripted crash"), "{}", crash.outcome.summary);
}

#[tokio::test]
async fn the_run_deadline_settles_every_check() {
    let (results, events, took) = run(
        vec![
            planned("hang", &[], 60_000, Some(Outcome::pass("never")), 60_000),
            planned("next", &["hang"], 0, Some(Outcome::pass("ok")), 1000),
        ],
        150,
    )
    .await;
    assert!(took < Duration::from_millis(600), "{took:?}");
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|f| f.outcome.status == Status::Error));
    let finished = events.iter().filter(|e| matches!(e, Event::Finished(_))).count();
    assert_eq!(finished, 2);
}

#[tokio::test]
async fn secrets_are_scrubbed_from_every_outcome() {
    let c = ctx();
    c.world.redactor.remember("canary-secret-value");
    let leaky = Outcome::error("saw canary-secret-value")
        .evidence(Evidence::call("x").message("canary-secret-value"));
    let engine = Engine::new(Plan { checks: vec![planned("leak", &[], 0, Some(leaky), 1000)] });
    let (tx, _rx) = mpsc::unbounded_channel();
    let results = engine.run(c, 1, Duration::from_secs(5), tx).await;
    let text = format!("{:?}", results[0].outcome);
    assert!(!text.contains("canary-secret-value"), "{text}");
}

#[tokio::test]
async fn control_characters_from_outside_never_reach_a_report() {
    let hostile = Outcome::error("FATAL \u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}gone")
        .fact("cert_subject", "db\u{1b}[31m")
        .evidence(Evidence::call("x").message("line one\nline\rtwo"));
    let engine = Engine::new(Plan { checks: vec![planned("hostile", &[], 0, Some(hostile), 1000)] });
    let (tx, _rx) = mpsc::unbounded_channel();
    let results = engine.run(ctx(), 1, Duration::from_secs(5), tx).await;
    let o = &results[0].outcome;
    assert!(!o.summary.chars().any(char::is_control), "{:?}", o.summary);
    assert!(o.summary.ends_with("gone"));
    assert!(!o.facts["cert_subject"].chars().any(char::is_control));
    assert_eq!(o.evidence[0].message.as_deref(), Some("line one\nline\u{fffd}two"));
}

#[tokio::test]
async fn a_rerun_redoes_a_check_and_its_dependents_only() {
    let pass = || Some(Outcome::pass("ok"));
    let plan = Plan {
        checks: vec![
            planned("a", &[], 0, pass(), 1000),
            planned("b", &["a"], 0, pass(), 1000),
            planned("c", &[], 0, pass(), 1000),
        ],
    };
    let redo = plan.with_dependents(&CheckKey::global("a"));
    assert_eq!(redo.iter().map(|k| k.id).collect::<Vec<_>>(), ["a", "b"]);
    let engine = Engine::new(plan);
    let (tx, _rx) = mpsc::unbounded_channel();
    let first = engine.run(ctx(), 1, Duration::from_secs(5), tx.clone()).await;
    let keep: BTreeMap<CheckKey, Arc<Finished>> =
        first.iter().filter(|f| !redo.contains(&f.key)).map(|f| (f.key.clone(), f.clone())).collect();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let second = engine.rerun(ctx(), 2, Duration::from_secs(5), tx, Some(&keep)).await;
    let generations: Vec<(&str, u64)> = second.iter().map(|f| (f.key.id, f.generation)).collect();
    assert_eq!(generations, [("a", 2), ("b", 2), ("c", 1)]);
    let mut started = Vec::new();
    while let Ok(e) = rx.try_recv() {
        if let Event::Started { key, .. } = e {
            started.push(key.id);
        }
    }
    assert_eq!(started, ["a", "b"], "the kept check does not run again");
}
