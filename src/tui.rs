//! The interactive checklist, for `kubectl exec -it`: the chain live, each check beside its
//! remedy. One loop owns the terminal and the [`App`]; the engine runs in a task and sends
//! events; frames are drawn only when something changed, and the spinner ticks only while a
//! check runs, so an idle screen costs nothing. The onboarding's steps ([`onboard`]) are a
//! second [`Screen`] over the same state, run by the same loop.

pub mod app;
pub mod clipboard;
pub mod keys;
pub mod onboard;
pub mod view;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, KeyEvent, KeyEventKind};
use futures::{Stream, StreamExt};
use ratatui::backend::Backend;
use ratatui::{Frame, Terminal};
use tokio::sync::mpsc;

pub use app::App;
use app::Command;

use crate::engine::{Ctx, Engine, Event, Finished};
use crate::outcome::CheckKey;

/// How often the spinner moves while checks run.
const TICK: Duration = Duration::from_millis(120);

/// What the loop hears from the terminal.
#[derive(Debug)]
pub enum Input {
    /// A terminal event (a key, a resize).
    Term(TermEvent),
    /// SIGTERM or SIGHUP: leave at once, restoring the terminal.
    Terminate,
}

/// What the loop did, for the exit code and for tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Frames drawn.
    pub frames: u64,
}

/// A screen the loop can run: the checklist, or the onboarding steps drawn over the same
/// check-level state. The loop feeds it engine events and keys and draws it when it is dirty.
pub trait Screen {
    /// The check-level state: results, runs, spinner, focus, message.
    fn app(&self) -> &App;
    /// The same, to change.
    fn app_mut(&mut self) -> &mut App;
    /// Takes in an engine event.
    fn on_engine(&mut self, event: &Event) {
        self.app_mut().on_engine(event);
    }
    /// Takes in a key; returns what the loop must do.
    fn on_key(&mut self, key: &KeyEvent, page: usize) -> Vec<Command>;
    /// Draws the whole screen.
    fn draw(&self, frame: &mut Frame<'_>);
}

impl Screen for App {
    fn app(&self) -> &App {
        self
    }

    fn app_mut(&mut self) -> &mut App {
        self
    }

    fn on_key(&mut self, key: &KeyEvent, page: usize) -> Vec<Command> {
        App::on_key(self, key, page)
    }

    fn draw(&self, frame: &mut Frame<'_>) {
        frame.render_widget(self, frame.area());
    }
}

/// Runs `screen` on `terminal` until the user quits or input ends. `out` receives the
/// sequences that are not drawing (OSC 52 for the clipboard).
pub async fn run_loop<B: Backend, I: Stream<Item = Input> + Unpin, S: Screen>(
    terminal: &mut Terminal<B>,
    screen: &mut S,
    engine: &Engine,
    ctx: &Arc<Ctx>,
    deadline: Duration,
    mut input: I,
    out: &mut dyn Write,
) -> Stats {
    let mut stats = Stats::default();
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let mut run = Some(spawn_run(engine, ctx, screen.app().generation, deadline, tx.clone(), None));
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if screen.app().dirty {
            let app = screen.app_mut();
            app.run_facts = crate::checks::identity::pod_facts(ctx);
            app.context = context_now(app, ctx);
            if terminal.draw(|f| screen.draw(f)).is_err() {
                break;
            }
            stats.frames += 1;
            screen.app_mut().dirty = false;
        }
        let page = terminal.size().map_or(10, |s| usize::from(s.height / 2));
        let running = screen.app().is_running();
        let commands = tokio::select! {
            Some(event) = rx.recv() => {
                screen.on_engine(&event);
                Vec::new()
            }
            next = input.next() => match next {
                Some(Input::Term(TermEvent::Key(key))) if key.kind != KeyEventKind::Release => screen.on_key(&key, page),
                Some(Input::Term(TermEvent::Resize(_, _))) => {
                    screen.app_mut().dirty = true;
                    Vec::new()
                }
                Some(Input::Term(_)) => Vec::new(),
                Some(Input::Terminate) | None => vec![Command::Quit],
            },
            _ = tick.tick(), if running => {
                screen.app_mut().tick();
                Vec::new()
            }
        };
        let app = screen.app_mut();
        for command in commands {
            match command {
                Command::Quit => {
                    if let Some(task) = run.take() {
                        task.abort();
                    }
                    return stats;
                }
                Command::Run { generation, only } => {
                    if let Some(task) = run.take() {
                        task.abort();
                    }
                    let keep: Option<BTreeMap<CheckKey, Arc<Finished>>> = only.map(|redo| {
                        app.results
                            .iter()
                            .filter(|(k, _)| !redo.contains(*k))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    });
                    run = Some(spawn_run(engine, ctx, generation, deadline, tx.clone(), keep));
                }
                Command::Copy(text) => {
                    let text = if text.is_empty() { report_json(app, ctx) } else { text };
                    if text.len() > 100_000 {
                        app.message = Some(
                            "The report is too large for the clipboard; use e to write it to a file.".into(),
                        );
                    } else {
                        let _ = out.write_all(clipboard::osc52(&text).as_bytes()).and_then(|()| out.flush());
                        if app.message.is_none() {
                            app.message = Some("Copied the JSON report to your clipboard.".into());
                        }
                    }
                }
                Command::Export => {
                    app.message = Some(export(app, ctx));
                }
            }
        }
    }
    stats
}

fn spawn_run(
    engine: &Engine,
    ctx: &Arc<Ctx>,
    generation: u64,
    deadline: Duration,
    tx: mpsc::UnboundedSender<Event>,
    keep: Option<BTreeMap<CheckKey, Arc<Finished>>>,
) -> tokio::task::JoinHandle<()> {
    let engine = engine.clone();
    let ctx = ctx.clone();
    tokio::spawn(async move {
        engine.rerun(ctx, generation, deadline, tx, keep.as_ref()).await;
    })
}

fn context_now(app: &App, ctx: &Ctx) -> crate::report::Context {
    let mut c = app.context.clone();
    if let Some(survey) = ctx.board.get::<crate::checks::identity::Survey>(None) {
        c.credential_source =
            Some(if survey.present.is_empty() { "none".to_owned() } else { survey.winner.name().to_owned() });
    }
    if let Some(caller) = ctx.board.get::<crate::checks::identity::CallerIdentity>(None) {
        c.caller_arn = Some(caller.arn.clone());
    }
    c
}

/// The JSON report of what is on screen.
fn report_json(app: &App, ctx: &Ctx) -> String {
    let results: Vec<Arc<Finished>> =
        app.rows.iter().filter_map(|r| app.results.get(&r.key).cloned()).collect();
    let report = crate::report::Report::build(
        &results,
        app.catalog(),
        context_now(app, ctx),
        &app.run_facts,
        std::time::SystemTime::now(),
        app.took.unwrap_or_default(),
    );
    crate::report::json::render(&report)
}

/// Writes the JSON report next to the user (or in the temp dir when that is read-only) and
/// says where.
fn export(app: &App, ctx: &Ctx) -> String {
    let name = format!(
        "connector-doctor-report-{}.json",
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs()
    );
    let json = report_json(app, ctx);
    for dir in [std::path::PathBuf::from("."), std::env::temp_dir()] {
        let path = dir.join(&name);
        if std::fs::write(&path, &json).is_ok() {
            let shown = std::fs::canonicalize(&path).unwrap_or(path);
            return format!("Wrote the report to {}.", shown.display());
        }
    }
    "Could not write the report here or in the temp dir.".to_owned()
}

/// The terminal, put back as it was however the checklist ends: on return, on error, and (via
/// the panic hook) on a panic.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        restore();
    }
}

fn restore() {
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Runs `screen` (the checklist, or the onboarding) on the real terminal.
pub async fn run_terminal<S: Screen>(
    screen: &mut S,
    engine: &Engine,
    ctx: &Arc<Ctx>,
    deadline: Duration,
) -> std::io::Result<()> {
    crossterm::terminal::enable_raw_mode()?;
    let _restore = Restore;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::cursor::Hide
    )?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    let mut terminal = Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))?;
    let keys = EventStream::new().filter_map(|e| async move { e.ok().map(Input::Term) });
    let signals = signal_stream();
    let input = futures::stream::select(keys, signals);
    let mut out = std::io::stdout();
    run_loop(&mut terminal, screen, engine, ctx, deadline, Box::pin(input), &mut out).await;
    Ok(())
}

/// SIGTERM and SIGHUP as input, so that the loop leaves through the same door as `q`.
fn signal_stream() -> impl Stream<Item = Input> {
    use tokio::signal::unix::{SignalKind, signal};
    let streams: Vec<_> = [SignalKind::terminate(), SignalKind::hangup()]
        .into_iter()
        .filter_map(|kind| signal(kind).ok())
        .map(|mut s| {
            futures::stream::poll_fn(move |cx| s.poll_recv(cx).map(|o| o.map(|()| Input::Terminate)))
        })
        .collect();
    futures::stream::select_all(streams)
}

#[cfg(test)]
mod tests;
