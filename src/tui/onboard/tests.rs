//! The onboarding screen as a whole, driven by scripted engine events and real key events, drawn
//! on a test backend and compared with committed screens (insta snapshots, colour off, at 80×24
//! where the step list sits above the details and at 200×50 where they sit side by side).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::text::Span;

use super::{Onboard, Shown};
use crate::catalog::catalog;
use crate::config::Config;
use crate::engine::{Event, Finished, Plan};
use crate::onboard::Onboarding;
use crate::onboard::progress::State;
use crate::outcome::{CheckKey, Code, Evidence, Outcome};
use crate::report::Context;
use crate::tui::Screen;
use crate::tui::app::{App, Command, Focus, Mode};
use crate::tui::keys::ONBOARD_BINDINGS;

/// The xpander setup with one Redshift connector, as the lab's xpander worlds configure it.
const CONFIG: &str = r#"
region = "us-west-1"
base_role_arn = "arn:aws:iam::111122223333:role/xpander-base-role"
cluster_name = "xpander-prod"
preset = "xpander"

[[connector]]
name = "warehouse"
kind = "redshift"
role_arn = "arn:aws:iam::111122223333:role/xpander-redshift-access"
cluster_id = "xpander-redshift"
database = "xpander_demo"
"#;

const BASE_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/xpander-base-role/eks-xpander-prod-xpander-ai-gateway-6b7f9c8d4-q2w7x";

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

/// A screen and the plan it was made from, fed events the way the loop feeds them.
struct Script {
    plan: Plan,
    screen: Onboard<'static>,
}

impl Script {
    fn new(given: &[(&str, &str)]) -> Self {
        let config = Config::from_toml(std::path::Path::new("connector-doctor.toml"), CONFIG).unwrap();
        let given: Vec<(String, String)> =
            given.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        // The screen borrows the onboarding for the whole run, as `run` does; a test leaks it.
        let ob: &'static Onboarding =
            Box::leak(Box::new(Onboarding::prepare(None, &config, &given, &|_| None).unwrap()));
        let plan = Plan::build(catalog(), &config, &crate::checks::factory);
        let context = Context {
            region: "us-west-1".to_owned(),
            credential_source: Some("pod-identity".to_owned()),
            caller_arn: Some(BASE_SESSION.to_owned()),
        };
        let mut app = App::new(&plan, catalog(), context, false);
        app.list_title = "Steps";
        let screen = Onboard::new(app, ob, &plan);
        Self { plan, screen }
    }

    /// Every value known: no step waits for one.
    fn complete() -> Self {
        Self::new(&[("external_id", "org-7f3a9c2e")])
    }

    fn key(&self, name: &str) -> CheckKey {
        self.plan
            .checks
            .iter()
            .map(|p| p.key.clone())
            .find(|k| k.to_string() == name)
            .unwrap_or_else(|| panic!("no check {name} in the plan"))
    }

    fn started(&mut self, name: &str) {
        let event = Event::Started { generation: self.screen.app.generation, key: self.key(name) };
        self.screen.on_engine(&event);
    }

    fn finished(&mut self, name: &str, outcome: Outcome) {
        let key = self.key(name);
        let depends_on = self.plan.checks.iter().find(|p| p.key == key).unwrap().depends_on.clone();
        let event = Event::Finished(Arc::new(Finished {
            key,
            generation: self.screen.app.generation,
            outcome,
            duration: Duration::from_millis(9),
            depends_on,
        }));
        self.screen.on_engine(&event);
    }

    fn done(&mut self) {
        self.screen.on_engine(&Event::Done { generation: self.screen.app.generation });
        self.screen.app.took = Some(Duration::from_millis(42));
    }

    /// Every check passes, but those in `except`, which the caller settles.
    fn pass_all_but(&mut self, except: &[&str]) {
        let names: Vec<String> = self.plan.checks.iter().map(|p| p.key.to_string()).collect();
        for name in names.iter().filter(|n| !except.contains(&n.as_str())) {
            self.finished(name, Outcome::pass(format!("{name} holds.")));
        }
    }

    fn press(&mut self, code: KeyCode) -> Vec<Command> {
        self.screen.on_key(&KeyEvent::new(code, KeyModifiers::NONE), 10)
    }

    fn assert_screens(&self, name: &str) {
        for (width, height) in SIZES {
            insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen(&self.screen, width, height));
        }
    }

    fn shown(&self) -> Vec<Shown> {
        let progress = self.screen.progress();
        progress.iter().enumerate().map(|(i, p)| self.screen.shown(i, p)).collect()
    }
}

/// warehouse's role cannot assume itself: the trust policy lacks its `SelfAssume` statement.
fn self_assume_denied() -> Outcome {
    let facts: crate::outcome::Facts = [
        ("connector", "warehouse"),
        ("connector_role_arn", "arn:aws:iam::111122223333:role/xpander-redshift-access"),
        ("connector_role_name", "xpander-redshift-access"),
        ("base_role_arn", "arn:aws:iam::111122223333:role/xpander-base-role"),
        ("base_role_name", "xpander-base-role"),
        ("session_name", "connector-doctor"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    Outcome::fail(
        Code::SelfAssumeDenied,
        "arn:aws:sts::111122223333:assumed-role/xpander-redshift-access/connector-doctor cannot assume \
         arn:aws:iam::111122223333:role/xpander-redshift-access again.",
    )
    .facts(&facts)
    .evidence(
        Evidence::call("sts:AssumeRole (self-assume, without an ExternalId)")
            .http_status(403)
            .error_code("AccessDenied")
            .request_id(Some("40396a1c-c154-42be-ad33-adbf37138db8")),
    )
}

fn screen(screen: &Onboard<'_>, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| screen.draw(f)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buffer.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            skip = Span::raw(symbol).width().saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn running_shows_each_step_checking_until_its_checks_settle() {
    let mut s = Script::complete();
    for p in &s.plan.checks.clone() {
        s.started(&p.key.to_string());
    }
    for name in
        ["identity.source", "identity.token", "identity.agent", "identity.web_identity", "identity.caller"]
    {
        s.finished(name, Outcome::pass(format!("{name} holds.")));
    }
    s.screen.app.spinner = 3;
    assert!(s.screen.app.is_running());
    assert!(s.shown().contains(&Shown::Checking), "{:?}", s.shown());
    s.assert_screens("onboard_running");
}

#[test]
fn a_finished_run_selects_the_first_step_to_do_and_shows_its_remedy_filled_in() {
    let mut s = Script::complete();
    s.pass_all_but(&["chain.self_assume[warehouse]"]);
    s.finished("chain.self_assume[warehouse]", self_assume_denied());
    s.done();
    let progress = s.screen.progress();
    let todo: Vec<usize> = progress.iter().filter(|p| p.state == State::Todo).map(|p| p.number).collect();
    // The connector settings are proven by the self-assume too.
    assert_eq!(todo, [3, 6], "{progress:?}");
    assert_eq!(s.screen.selected, 2, "the first step not done is selected");
    let shown = screen(&s.screen, 200, 50);
    assert!(shown.contains("✖ to do    3. Create the connector role xpander-redshift-access"), "{shown}");
    assert!(shown.contains("Remedy"), "{shown}");
    assert!(
        shown.contains("aws iam update-assume-role-policy --role-name xpander-redshift-access"),
        "{shown}"
    );
    assert!(shown.contains("✖ fail chain.self_assume[warehouse]  self-assume-denied"), "{shown}");
    assert!(!shown.contains("{connector_role_name}"), "every placeholder is filled: {shown}");
    s.assert_screens("onboard_step_to_do");

    // Below 100 columns the details are short: Tab focuses them and the arrows scroll them.
    s.press(KeyCode::Tab);
    assert_eq!(s.screen.app.focus, Focus::Details);
    s.press(KeyCode::Down);
    s.press(KeyCode::Down);
    assert_eq!(s.screen.app.detail_scroll, 2);
    assert_eq!(s.screen.selected, 2, "the arrows scroll the details, not the list");
    s.press(KeyCode::Tab);
    s.press(KeyCode::Char('k'));
    assert_eq!((s.screen.selected, s.screen.app.detail_scroll), (1, 0), "a new step starts at its top");
}

#[test]
fn everything_done() {
    let mut s = Script::complete();
    s.pass_all_but(&[]);
    s.done();
    assert!(s.shown().iter().all(|s| *s == Shown::Is(State::Done)), "{:?}", s.shown());
    assert_eq!(s.screen.selected, 0, "with every step done, the selection stays at the top");
    let shown = screen(&s.screen, 80, 24);
    assert!(shown.contains("✔ 6 of 6 steps done"), "{shown}");
    s.assert_screens("onboard_all_done");
}

#[test]
fn help_lists_every_binding_and_any_key_closes_it() {
    let mut s = Script::complete();
    s.pass_all_but(&[]);
    s.done();
    assert_eq!(s.press(KeyCode::Char('?')), Vec::new());
    assert_eq!(s.screen.app.mode, Mode::Help);
    let shown = screen(&s.screen, 200, 50);
    for b in ONBOARD_BINDINGS {
        assert!(shown.contains(b.help), "the help lacks {:?}:\n{shown}", b.help);
    }
    s.assert_screens("onboard_help");
    assert_eq!(s.press(KeyCode::Char('r')), Vec::new(), "the key that closes the help does nothing else");
    assert_eq!(s.screen.app.mode, Mode::Checklist);
    s.press(KeyCode::Char('?'));
    assert_eq!(s.press(KeyCode::Char('q')), vec![Command::Quit]);
}

#[test]
fn r_reruns_the_steps_checks_and_what_depends_on_them() {
    let mut s = Script::complete();
    s.pass_all_but(&["chain.self_assume[warehouse]"]);
    s.finished("chain.self_assume[warehouse]", self_assume_denied());
    s.done();
    let step = &s.screen.steps[s.screen.selected];
    let mut expected = std::collections::BTreeSet::new();
    for key in &step.proven_by {
        expected.extend(s.plan.with_dependents(key));
    }
    assert!(expected.contains(&s.key("chain.self_assume[warehouse]")));
    assert_eq!(
        s.press(KeyCode::Char('r')),
        vec![Command::Run { generation: 2, only: Some(expected.clone()) }]
    );
    // The step's checks lost their results: the step is being checked again, the others stand.
    assert_eq!(s.shown()[2], Shown::Checking);
    assert_eq!(s.screen.app.results.len(), s.plan.checks.len() - expected.len());
    // A result of the replaced run is dropped.
    let stale = Event::Finished(Arc::new(Finished {
        key: s.key("chain.self_assume[warehouse]"),
        generation: 1,
        outcome: self_assume_denied(),
        duration: Duration::ZERO,
        depends_on: Vec::new(),
    }));
    s.screen.on_engine(&stale);
    assert_eq!(s.shown()[2], Shown::Checking);
    assert_eq!(s.press(KeyCode::Char('R')), vec![Command::Run { generation: 3, only: None }]);
}

#[test]
fn c_copies_the_steps_policy_files_and_commands() {
    let mut s = Script::complete();
    s.pass_all_but(&["chain.self_assume[warehouse]"]);
    s.finished("chain.self_assume[warehouse]", self_assume_denied());
    s.done();
    let plan = s.screen.steps[2].plan.clone();
    let commands = s.press(KeyCode::Char('c'));
    let [Command::Copy(text)] = commands.as_slice() else { panic!("{commands:?}") };
    for d in &plan.documents {
        let file = crate::onboard::guide::shell_quote(&d.file);
        assert!(text.contains(&format!("> {file} <<'JSON'")), "{text}");
    }
    // A file with an ExternalId is filled only after the variable passed its check.
    if text.contains("sed -e") {
        let check = text.find("check_external_id EXTERNAL_ID_").unwrap_or(usize::MAX);
        assert!(check < text.find("sed -e").unwrap_or(0), "{text}");
    }
    for c in &plan.commands {
        assert!(text.contains(c.as_str()), "{text}");
    }
    assert_eq!(
        s.screen.app.message,
        Some(format!(
            "Copied {} policy file(s) and {} command(s) to your clipboard.",
            plan.documents.len(),
            plan.commands.len()
        ))
    );
    // Ctrl-C quits, as in raw mode it arrives as a key.
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(s.screen.on_key(&ctrl_c, 10), vec![Command::Quit]);
}

#[test]
fn a_step_waiting_for_values_names_them_and_how_to_give_them() {
    // No ExternalId given, and the pod's identity is broken, so the connector's steps are
    // blocked: what the user can do for them now is give the missing value.
    let mut s = Script::new(&[]);
    let caller = "identity.caller";
    let names: Vec<String> = s.plan.checks.iter().map(|p| p.key.to_string()).collect();
    let later: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| n.starts_with("chain.") || n.starts_with("redshift."))
        .collect();
    let mut except = later.clone();
    except.push(caller);
    s.pass_all_but(&except);
    s.finished(caller, Outcome::fail(Code::CredentialsRejected, "STS rejected the pod's credentials."));
    for name in later {
        s.finished(name, Outcome::blocked(s.key(caller), format!("Not run: {caller} did not pass.")));
    }
    s.done();
    let step = s.screen.steps.iter().position(|v| v.plan.step.id == "connector-role").unwrap();
    assert_eq!(s.shown()[step], Shown::NeedsValues, "{:?}", s.shown());
    assert_eq!(s.screen.steps[step].missing[0].key, "external_id");
    s.screen.selected = step;
    let shown = screen(&s.screen, 200, 50);
    assert!(shown.contains("… values   3. Create the connector role"), "{shown}");
    assert!(shown.contains("Missing values"), "{shown}");
    assert!(shown.contains("external_id (connector warehouse): "), "{shown}");
    assert!(shown.contains("--value external_id=…"), "{shown}");
}

#[test]
fn leaving_before_the_run_settles_proves_no_step_done() {
    let mut s = Script::complete();
    for name in
        ["identity.source", "identity.token", "identity.agent", "identity.web_identity", "identity.caller"]
    {
        s.finished(name, Outcome::pass(format!("{name} holds.")));
    }
    let progress = s.screen.final_progress();
    for (p, view) in progress.iter().zip(&s.screen.steps) {
        let settled = view.proven_by.iter().all(|k| s.screen.app.results.contains_key(k));
        assert_eq!(p.state == State::Done, settled, "{progress:?}");
    }
    assert_eq!(progress[1].state, State::Done, "the Pod Identity step rests on the identity checks alone");
}

#[test]
fn the_readme_lists_every_onboarding_key() {
    let mut table = String::from("| key | what it does |\n|---|---|\n");
    for b in ONBOARD_BINDINGS {
        writeln!(table, "| `{}` | {} |", b.label, b.help).unwrap();
    }
    let readme = include_str!("../../../README.md");
    assert!(
        readme.contains(&table),
        "the README's onboarding key table is not the one src/tui/keys.rs makes; paste this under \"Onboarding\":\n\n{table}"
    );
}

/// The onboarding in the real loop, on a recording backend: the identity checks take a while;
/// `keys` come at the given times after the start, and SIGTERM at `end`.
async fn in_the_loop(
    keys: Vec<(Duration, KeyCode)>,
    end: Duration,
) -> (Onboard<'static>, Vec<(Instant, String)>, Vec<u8>, Instant) {
    use futures::StreamExt;

    use crate::engine::{Board, Ctx, Engine, Planned};
    use crate::tui::tests::{Recorder, Slow};
    use crate::tui::{Input, run_loop};
    use crate::world::{SystemClock, World};

    let config = Config::from_toml(std::path::Path::new("connector-doctor.toml"), CONFIG).unwrap();
    let ob: &'static Onboarding = Box::leak(Box::new(
        Onboarding::prepare(None, &config, &[("external_id".to_owned(), "org-7f3a9c2e".to_owned())], &|_| {
            None
        })
        .unwrap(),
    ));
    let slow = |id: &'static str, ms: u64| Planned {
        key: CheckKey::global(id),
        depends_on: Vec::new(),
        deadline: Duration::from_secs(10),
        check: Arc::new(Slow(Duration::from_millis(ms))),
    };
    let engine = Engine::new(Plan {
        checks: vec![slow("identity.source", 300), slow("identity.agent", 350), slow("identity.caller", 400)],
    });
    let ctx = Arc::new(Ctx {
        world: World::with_env(Vec::<(String, String)>::new(), Arc::new(SystemClock)),
        config: Arc::new(Config::default()),
        board: Board::default(),
    });
    let mut screen =
        Onboard::new(App::new(engine.plan(), catalog(), Context::default(), false), ob, engine.plan());
    let mut terminal =
        Terminal::new(Recorder { inner: TestBackend::new(80, 24), frames: Vec::new() }).unwrap();
    let started = tokio::time::Instant::now();
    let mut script: Vec<(Duration, Input)> = keys
        .into_iter()
        .map(|(at, code)| {
            (at, Input::Term(crossterm::event::Event::Key(KeyEvent::new(code, KeyModifiers::NONE))))
        })
        .collect();
    script.push((end, Input::Terminate));
    let input = futures::stream::iter(script).then(move |(at, input)| async move {
        tokio::time::sleep_until(started + at).await;
        input
    });
    let input = futures::stream::select(input, futures::stream::pending());
    let mut out = Vec::new();
    run_loop(&mut terminal, &mut screen, &engine, &ctx, Duration::from_secs(10), Box::pin(input), &mut out)
        .await;
    let ended = Instant::now();
    (screen, terminal.backend().frames.clone(), out, ended)
}

#[tokio::test]
async fn an_idle_onboarding_draws_no_frames() {
    let (screen, frames, out, ended) = in_the_loop(Vec::new(), Duration::from_secs(2)).await;
    let headers: Vec<&str> = frames.iter().map(|(_, h)| h.as_str()).collect();
    assert!(headers.iter().all(|h| h.starts_with("connector-doctor onboard xpander · ")), "{headers:#?}");
    let done = headers
        .iter()
        .position(|h| !h.contains("running"))
        .unwrap_or_else(|| panic!("the run never showed as done: {headers:#?}"));
    assert_eq!(done + 1, frames.len(), "frames were drawn after the run settled: {headers:#?}");
    assert!(ended - frames[done].0 >= Duration::from_millis(1400), "the screen was not left idle");
    assert!(done >= 2, "the spinner did not move: {headers:#?}");
    assert!(out.is_empty(), "nothing but frames was written");
    // The connector's checks are not in this plan: the first step not done is selected.
    assert_eq!(screen.app.results.len(), 3);
    assert_eq!(screen.selected, 2, "{:?}", screen.progress());
}

#[tokio::test]
async fn c_in_the_loop_puts_the_steps_shell_on_the_clipboard() {
    let keys = vec![
        (Duration::from_millis(800), KeyCode::Char('g')),
        (Duration::from_millis(900), KeyCode::Char('c')),
    ];
    let (screen, _, out, _) = in_the_loop(keys, Duration::from_millis(1200)).await;
    let (text, _, _) = screen.step_script().unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), crate::tui::clipboard::osc52(&text));
    assert!(text.contains("aws iam create-role --role-name xpander-base-role"), "{}", text);
}
