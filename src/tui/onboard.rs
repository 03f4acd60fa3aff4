//! The onboarding's interactive face: the preset's steps on the left, the selected step on the
//! right (what it does, its commands and policies with the user's values, the checks that prove
//! it, and for a step to do the failing check's remedy in place). The checks run live through
//! the same loop as the checklist, over the same check-level [`App`] state; this module only adds
//! the step list and how a step is judged from its checks. When the screen closes, the plain
//! summary of `onboard` is printed so the scrollback keeps it.

pub mod view;

use std::fmt::Write as _;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;

use super::app::{App, Command, Focus, Mode};
use super::keys::{Action, ONBOARD_BINDINGS, action_in};
use super::{Screen, run_terminal};
use crate::app::{EXIT_USAGE, Sink, finish, style_for};
use crate::aws::ResolvedRegion;
use crate::catalog::{catalog, placeholder};
use crate::cli::Args;
use crate::config::Config;
use crate::engine::{Board, Ctx, Event, Plan};
use crate::onboard::Onboarding;
use crate::onboard::guide::{self, StepPlan};
use crate::onboard::progress::{self, State, StepProgress};
use crate::onboard::values::external_id_var;
use crate::outcome::CheckKey;
use crate::report::{CheckReport, Context};
use crate::world::World;

/// A value a step still needs before its commands and policies can be shown whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeededValue {
    /// The key to give with `--value KEY=…`, or the placeholder that stays unfilled.
    pub key: String,
    /// The connector it belongs to.
    pub connector: Option<String>,
    /// What it is, when the preset says.
    pub what: Option<String>,
    /// A command that looks it up.
    pub find: Option<String>,
}

/// One step of the list: the guide's step and what the screen needs besides.
#[derive(Debug, Clone)]
pub struct StepView<'a> {
    /// The step, made concrete with the user's values.
    pub plan: StepPlan<'a>,
    /// The checks of this run that prove it.
    pub proven_by: Vec<CheckKey>,
    /// The values it waits for.
    pub missing: Vec<NeededValue>,
}

/// How the list shows a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Some check that proves it has not settled in this run yet.
    Checking,
    /// Not proven either way (blocked, or no check ran), and its commands or policies still
    /// lack values: giving them is the next thing to do. A step to do stays "to do", its
    /// failing check's remedy being the more useful news; its details name the values too.
    NeedsValues,
    /// Judged from its checks.
    Is(State),
}

/// The onboarding screen's state, owned by the UI loop alone.
#[derive(Debug)]
pub struct Onboard<'a> {
    /// The check-level state: results, runs, spinner, focus, help, message.
    pub app: App,
    /// The preset's name.
    pub preset: String,
    /// The steps, in guide order.
    pub steps: Vec<StepView<'a>>,
    /// The selected step.
    pub selected: usize,
    /// Whether the user moved the selection; until then a finished run selects the first step
    /// that is not done.
    pub moved: bool,
}

impl<'a> Onboard<'a> {
    /// The screen for `ob`, whose checks `plan` runs; `app` was made from the same plan.
    pub fn new(app: App, ob: &'a Onboarding, plan: &Plan) -> Self {
        let missing = ob.values.missing(ob.preset);
        let unproven = ob.prove().unproven;
        let steps = guide::steps(ob, &mut Vec::new())
            .into_iter()
            .map(|p| {
                let proven_by = plan
                    .checks
                    .iter()
                    .map(|c| &c.key)
                    .filter(|k| p.step.proves.iter().any(|id| id == k.id))
                    .filter(|k| match (&p.connector, &k.connector) {
                        (Some(want), Some(have)) => want == have,
                        _ => true,
                    })
                    .cloned()
                    .collect();
                let missing = needed(ob, &p, &missing, &unproven);
                StepView { plan: p, proven_by, missing }
            })
            .collect();
        Self { app, preset: ob.preset.name.clone(), steps, selected: 0, moved: false }
    }

    /// The settled checks as report rows, remedies filled with what the run learned.
    fn reports(&self) -> Vec<CheckReport> {
        self.app.rows.iter().filter_map(|r| self.app.report_of(&r.key)).collect()
    }

    /// Each step judged from the checks settled so far.
    pub fn progress(&self) -> Vec<StepProgress> {
        let plans: Vec<StepPlan<'a>> = self.steps.iter().map(|s| s.plan.clone()).collect();
        progress::judge(&plans, &self.reports())
    }

    /// How the list shows step `i`, judged as `p`.
    pub fn shown(&self, i: usize, p: &StepProgress) -> Shown {
        let step = &self.steps[i];
        let unsettled = step.proven_by.iter().any(|k| !self.app.results.contains_key(k));
        if unsettled && self.app.took.is_none() {
            Shown::Checking
        } else if matches!(p.state, State::Blocked | State::Unproven) && !step.missing.is_empty() {
            Shown::NeedsValues
        } else {
            Shown::Is(p.state)
        }
    }

    /// The progress to print and remember when the screen closes: a step whose checks did not
    /// all settle (the user left early) is not proven done.
    pub fn final_progress(&self) -> Vec<StepProgress> {
        let mut steps = self.progress();
        for (s, view) in steps.iter_mut().zip(&self.steps) {
            if s.state == State::Done && view.proven_by.iter().any(|k| !self.app.results.contains_key(k)) {
                s.state = State::Unproven;
            }
        }
        steps
    }

    fn select(&mut self, index: usize) {
        self.moved = true;
        if index != self.selected {
            self.selected = index;
            self.app.detail_scroll = 0;
        }
    }

    /// The furthest the details can scroll: their last line at the top.
    fn detail_end(&self) -> u16 {
        let progress = self.progress();
        u16::try_from(self.details(&progress).lines.len().saturating_sub(1)).unwrap_or(u16::MAX)
    }

    /// The shell that carries out the selected step: its policy files, then its commands.
    pub fn step_script(&self) -> Option<(String, usize, usize)> {
        let plan = &self.steps.get(self.selected)?.plan;
        let mut text = String::new();
        let mut guarded = Vec::new();
        for d in &plan.documents {
            if let Some(c) = &plan.connector
                && d.json.pretty().contains("${EXTERNAL_ID_")
                && !guarded.contains(c)
            {
                if guarded.is_empty() {
                    let _ = writeln!(text, "{}", guide::CHECK_EXTERNAL_ID);
                }
                text.push_str(&guide::external_id_guard(&external_id_var(c), &format!(" of connector {c}")));
                guarded.push(c.clone());
            }
            text.push_str(&guide::heredoc(d));
        }
        for c in &plan.commands {
            let _ = writeln!(text, "{c}");
        }
        Some((text, plan.documents.len(), plan.commands.len()))
    }
}

/// The values step `p` waits for: each placeholder its text leaves unfilled, named by the
/// preset's value when there is one, and the ExternalId of a policy statement it writes that the
/// plan proof could not render without one (`unproven`: connector and requirement).
fn needed(
    ob: &Onboarding,
    p: &StepPlan<'_>,
    missing: &[crate::onboard::values::Missing],
    unproven: &[(String, String)],
) -> Vec<NeededValue> {
    let conn = p.connector.as_ref().and_then(|c| ob.values.connectors.iter().find(|v| &v.name == c));
    let conn = conn.or_else(|| if p.step.per_connector { None } else { ob.values.connectors.first() });
    let facts = ob.values.facts(conn);
    let mut texts: Vec<&str> = vec![&p.step.title, &p.step.does];
    texts.extend(p.step.commands.iter().map(String::as_str));
    texts.extend(p.step.documents.iter().map(String::as_str));
    texts.extend(p.step.policy_command.as_deref());
    let mut names: Vec<String> = Vec::new();
    for name in texts.into_iter().flat_map(placeholder::names) {
        if !facts.contains_key(&name) && name != "policy" && name != "file" && !names.contains(&name) {
            names.push(name);
        }
    }
    for (connector, id) in unproven {
        let Some(r) = ob.preset.requirement(id) else { continue };
        let mine = p.connector.as_ref().is_none_or(|c| c == connector)
            && p.step.role == Some(r.role)
            && p.step.policies.contains(&r.policy);
        let key = "external_id".to_owned();
        if mine
            && r.external_id
            && !names.contains(&key)
            && missing.iter().any(|m| m.key == key && m.connector.as_ref() == Some(connector))
        {
            names.push(key);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let known = missing
                .iter()
                .find(|m| m.key == name && (m.connector.is_none() || m.connector == p.connector));
            NeededValue {
                connector: known.map_or_else(|| p.connector.clone(), |m| m.connector.clone()),
                what: known.map(|m| m.what.clone()),
                find: known.and_then(|m| m.find.clone()),
                key: name,
            }
        })
        .collect()
}

impl Screen for Onboard<'_> {
    fn app(&self) -> &App {
        &self.app
    }

    fn app_mut(&mut self) -> &mut App {
        &mut self.app
    }

    fn on_engine(&mut self, event: &Event) {
        self.app.on_engine(event);
        if let Event::Done { generation } = event
            && *generation == self.app.generation
            && !self.moved
        {
            let progress = self.progress();
            if let Some(i) =
                progress.iter().enumerate().position(|(i, p)| self.shown(i, p) != Shown::Is(State::Done))
            {
                self.selected = i;
                self.app.detail_scroll = 0;
            }
        }
    }

    fn on_key(&mut self, key: &KeyEvent, page: usize) -> Vec<Command> {
        self.app.dirty = true;
        let action = action_in(ONBOARD_BINDINGS, key);
        if self.app.mode == Mode::Help {
            // Any key closes the help; q still quits.
            self.app.mode = Mode::Checklist;
            return if action == Some(Action::Quit) && key.code != KeyCode::Esc {
                vec![Command::Quit]
            } else {
                Vec::new()
            };
        }
        let Some(action) = action else {
            self.app.dirty = false;
            return Vec::new();
        };
        self.app.message = None;
        let last = self.steps.len().saturating_sub(1);
        let details = self.app.focus == Focus::Details;
        let scroll = self.app.detail_scroll;
        match action {
            Action::Up if details => self.app.detail_scroll = scroll.saturating_sub(1),
            Action::Down if details => self.app.detail_scroll = (scroll + 1).min(self.detail_end()),
            Action::PageUp if details => self.app.detail_scroll = scroll.saturating_sub(10),
            Action::PageDown if details => self.app.detail_scroll = (scroll + 10).min(self.detail_end()),
            Action::Up => self.select(self.selected.saturating_sub(1)),
            Action::Down => self.select((self.selected + 1).min(last)),
            Action::PageUp => self.select(self.selected.saturating_sub(page.max(1))),
            Action::PageDown => self.select((self.selected + page.max(1)).min(last)),
            Action::Top => self.select(0),
            Action::Bottom => self.select(last),
            Action::Focus => self.app.focus = if details { Focus::List } else { Focus::Details },
            Action::Help => self.app.mode = Mode::Help,
            Action::Rerun => {
                let keys = self.steps.get(self.selected).map(|s| s.proven_by.clone()).unwrap_or_default();
                if keys.is_empty() {
                    self.app.message = Some("No check of this run proves this step.".to_owned());
                } else {
                    return vec![self.app.rerun_with_dependents(keys)];
                }
            }
            Action::RerunAll => return vec![self.app.start_run(None)],
            Action::CopyCommands => match self.step_script() {
                Some((text, files, commands)) if !text.is_empty() => {
                    self.app.message = Some(if files == 0 {
                        format!("Copied {commands} command(s) to your clipboard.")
                    } else {
                        format!("Copied {files} policy file(s) and {commands} command(s) to your clipboard.")
                    });
                    return vec![Command::Copy(text)];
                }
                _ => self.app.message = Some("This step has no commands to copy.".to_owned()),
            },
            Action::Quit => return vec![Command::Quit],
            Action::Problems | Action::Filter | Action::CopyReport | Action::Export => {}
        }
        Vec::new()
    }

    fn draw(&self, frame: &mut Frame<'_>) {
        frame.render_widget(self, frame.area());
    }
}

/// Runs the onboarding on the terminal, then prints the plain summary; returns the exit code
/// (as the plain run's: 0 when every step is done).
pub(crate) fn run(args: &Args, ob: &Onboarding, config: Config, world: World, sink: &mut Sink) -> u8 {
    for id in ob.values.connectors.iter().filter_map(|c| c.external_id.as_ref()) {
        world.redactor.remember(id.expose());
    }
    let style = style_for(args, &world);
    let Some(runtime) = crate::app::runtime() else { return EXIT_USAGE };
    let region = ResolvedRegion::resolve(&world, &config);
    let timeout = config.timeout;
    let config = Arc::new(config);
    let ctx = Arc::new(Ctx { world, config: config.clone(), board: Board::default() });
    let engine = crate::checks::engine(&config);
    let initial = Context { region: region.name.clone(), credential_source: None, caller_arn: None };
    let mut app = App::new(engine.plan(), catalog(), initial, style.color);
    app.list_title = "Steps";
    let mut screen = Onboard::new(app, ob, engine.plan());
    let shown = runtime.block_on(run_terminal(&mut screen, &engine, &ctx, timeout));
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    if let Err(e) = shown {
        eprintln!("connector-doctor: the terminal could not be used ({e}); run onboard with --format text");
        return EXIT_USAGE;
    }
    let steps = screen.final_progress();
    let all_done = steps.iter().all(|s| s.state == State::Done);
    let text = progress::render(&ob.preset.name, &steps);
    finish(sink.write(&text), u8::from(!all_done))
}

#[cfg(test)]
mod tests;
