//! The checklist's state, owned by the UI loop alone. Engine events and keys change it; the
//! view draws it; nothing else touches it. Results of a superseded run are dropped here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent};

use super::keys::{Action, action_for};
use crate::catalog::Catalog;
use crate::engine::{Event, Finished, Plan};
use crate::outcome::{CheckKey, Facts, Status};
use crate::report::{CheckReport, Context, Summary};

/// What the screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The checklist, with the selected check's details.
    Checklist,
    /// The help, drawn from the key table.
    Help,
    /// Typing a filter.
    Filter,
}

/// Where the arrow keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The checklist.
    List,
    /// The details pane (it scrolls).
    Details,
}

/// What the loop must do on the app's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Start run `generation` of these checks (all when `None`).
    Run {
        /// The new run's generation.
        generation: u64,
        /// The checks to redo; the rest keep their results.
        only: Option<BTreeSet<CheckKey>>,
    },
    /// Put this text on the local clipboard.
    Copy(String),
    /// Write the JSON report to a file.
    Export,
    /// Leave.
    Quit,
}

/// One row of the checklist.
#[derive(Debug, Clone)]
pub struct Row {
    /// The check.
    pub key: CheckKey,
    /// Its title.
    pub title: String,
    /// The title of its link, for the group headings.
    pub link: String,
}

/// The whole state.
#[derive(Debug)]
#[allow(clippy::struct_excessive_bools)] // Independent flags of one screen; the mode itself is an enum.
pub struct App {
    /// Every check of the plan, in plan order.
    pub rows: Vec<Row>,
    /// The latest result of each check.
    pub results: BTreeMap<CheckKey, Arc<Finished>>,
    /// Checks running now.
    pub running: BTreeSet<CheckKey>,
    /// The current run; events of older runs are dropped.
    pub generation: u64,
    /// The selected row, as an index into [`App::visible`].
    pub selected: usize,
    /// What is shown.
    pub mode: Mode,
    /// Where the arrow keys go.
    pub focus: Focus,
    /// The filter text.
    pub filter: String,
    /// Whether only problems are listed.
    pub problems_only: bool,
    /// How far the details are scrolled.
    pub detail_scroll: u16,
    /// A one-line message ("copied 2 commands").
    pub message: Option<String>,
    /// Region, credential source, caller.
    pub context: Context,
    /// When the current run started.
    pub started: Instant,
    /// How long the current run took, once done.
    pub took: Option<Duration>,
    /// Animation frame of the spinner; moves only while something runs.
    pub spinner: usize,
    /// Whether something changed since the last frame.
    pub dirty: bool,
    /// Colour on or off.
    pub color: bool,
    /// Values learned anywhere in the run, for remedies.
    pub run_facts: Facts,
    /// The list pane's title: "Checks" for the chain; the onboarding flow shows its step list
    /// on the same screen under its own title (each step a row, proven by its checks).
    pub list_title: &'static str,
    /// Whether the user has moved the selection; until then a finished run selects its first
    /// problem, which is what someone mid-incident wants to read.
    pub moved: bool,
    catalog: &'static Catalog,
    dependents: BTreeMap<CheckKey, BTreeSet<CheckKey>>,
}

impl App {
    /// A fresh app for `plan`, before anything has run.
    pub fn new(plan: &Plan, catalog: &'static Catalog, context: Context, color: bool) -> Self {
        let rows = plan
            .checks
            .iter()
            .map(|p| {
                let link = catalog
                    .links
                    .iter()
                    .find(|l| l.checks.iter().any(|c| c.id == p.key.id))
                    .map(|l| l.title.clone())
                    .unwrap_or_default();
                let title = catalog.check(p.key.id).map(|c| c.title.clone()).unwrap_or_default();
                Row { key: p.key.clone(), title, link }
            })
            .collect();
        let dependents = plan.checks.iter().map(|p| (p.key.clone(), plan.with_dependents(&p.key))).collect();
        Self {
            rows,
            results: BTreeMap::new(),
            running: BTreeSet::new(),
            generation: 1,
            selected: 0,
            mode: Mode::Checklist,
            focus: Focus::List,
            filter: String::new(),
            problems_only: false,
            detail_scroll: 0,
            message: None,
            context,
            started: Instant::now(),
            took: None,
            spinner: 0,
            dirty: true,
            color,
            run_facts: Facts::new(),
            moved: false,
            list_title: "Checks",
            catalog,
            dependents,
        }
    }

    /// The catalog the app draws titles from.
    pub fn catalog(&self) -> &'static Catalog {
        self.catalog
    }

    /// Whether any check is running.
    pub fn is_running(&self) -> bool {
        !self.running.is_empty()
    }

    /// The rows the list shows now, after the problem and text filters.
    pub fn visible(&self) -> Vec<&Row> {
        let needle = self.filter.to_lowercase();
        self.rows
            .iter()
            .filter(|r| {
                !self.problems_only
                    || self.results.get(&r.key).is_some_and(|f| {
                        matches!(f.outcome.status, Status::Fail | Status::Warn | Status::Error)
                    })
            })
            .filter(|r| {
                needle.is_empty() || {
                    let text = format!("{} {}", r.key, r.title).to_lowercase();
                    text.contains(&needle)
                        || self.results.get(&r.key).is_some_and(|f| {
                            f.outcome.code.is_some_and(|c| c.as_str().contains(&needle))
                                || f.outcome.summary.to_lowercase().contains(&needle)
                        })
                }
            })
            .collect()
    }

    /// The selected check, if any row is visible.
    pub fn selected_key(&self) -> Option<CheckKey> {
        self.visible().get(self.selected).map(|r| r.key.clone())
    }

    /// The report row of a settled check.
    pub fn report_of(&self, key: &CheckKey) -> Option<CheckReport> {
        self.results.get(key).map(|f| CheckReport::from_finished(f, self.catalog, &self.run_facts))
    }

    /// Counts by status of the current results.
    pub fn summary(&self) -> Summary {
        Summary::of(self.results.values().map(|f| f.outcome.status))
    }

    /// Takes in an engine event; events of a superseded run are ignored.
    pub fn on_engine(&mut self, event: &Event) {
        match event {
            Event::Started { generation, key } if *generation == self.generation => {
                self.running.insert(key.clone());
                self.dirty = true;
            }
            Event::Finished(f) if f.generation == self.generation => {
                self.running.remove(&f.key);
                self.results.insert(f.key.clone(), f.clone());
                self.dirty = true;
            }
            Event::Done { generation } if *generation == self.generation => {
                self.running.clear();
                self.took = Some(self.started.elapsed());
                self.dirty = true;
                if !self.moved {
                    let worst = |f: &Arc<Finished>| {
                        matches!(f.outcome.status, Status::Fail | Status::Error | Status::Warn)
                    };
                    if let Some(i) =
                        self.visible().iter().position(|r| self.results.get(&r.key).is_some_and(worst))
                    {
                        self.selected = i;
                    }
                }
            }
            _ => {}
        }
    }

    /// Advances the spinner; only called while something runs.
    pub fn tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
        self.dirty = true;
    }

    /// Takes in a key; returns what the loop must do.
    pub fn on_key(&mut self, key: &KeyEvent, page: usize) -> Vec<Command> {
        self.dirty = true;
        if self.mode == Mode::Filter {
            match key.code {
                KeyCode::Esc => {
                    self.filter.clear();
                    self.mode = Mode::Checklist;
                }
                KeyCode::Enter => self.mode = Mode::Checklist,
                KeyCode::Backspace => {
                    self.filter.pop();
                }
                KeyCode::Char(c) => self.filter.push(c),
                _ => {}
            }
            self.selected = 0;
            return Vec::new();
        }
        if self.mode == Mode::Help {
            // Any key closes the help; q still quits.
            self.mode = Mode::Checklist;
            return if action_for(key) == Some(Action::Quit) && key.code != KeyCode::Esc {
                vec![Command::Quit]
            } else {
                Vec::new()
            };
        }
        let Some(action) = action_for(key) else {
            self.dirty = false;
            return Vec::new();
        };
        self.message = None;
        let count = self.visible().len();
        let last = count.saturating_sub(1);
        let details = self.focus == Focus::Details;
        match action {
            Action::Up if details => self.detail_scroll = self.detail_scroll.saturating_sub(1),
            Action::Down if details => self.detail_scroll = (self.detail_scroll + 1).min(self.detail_end()),
            Action::PageUp if details => self.detail_scroll = self.detail_scroll.saturating_sub(10),
            Action::PageDown if details => {
                self.detail_scroll = (self.detail_scroll + 10).min(self.detail_end());
            }
            Action::Up => self.select(self.selected.saturating_sub(1)),
            Action::Down => self.select((self.selected + 1).min(last)),
            Action::PageUp => self.select(self.selected.saturating_sub(page.max(1))),
            Action::PageDown => self.select((self.selected + page.max(1)).min(last)),
            Action::Top => self.select(0),
            Action::Bottom => self.select(last),
            Action::Focus => {
                self.focus = if details { Focus::List } else { Focus::Details };
            }
            Action::Problems => {
                self.problems_only = !self.problems_only;
                self.selected = 0;
            }
            Action::Filter => self.mode = Mode::Filter,
            Action::Help => self.mode = Mode::Help,
            Action::Rerun => {
                if let Some(key) = self.selected_key() {
                    let only = self.dependents.get(&key).cloned().unwrap_or_else(|| BTreeSet::from([key]));
                    return vec![self.start_run(Some(only))];
                }
            }
            Action::RerunAll => return vec![self.start_run(None)],
            Action::CopyCommands => {
                let commands = self
                    .selected_key()
                    .and_then(|k| self.report_of(&k))
                    .and_then(|r| r.remedy)
                    .map(|r| r.commands);
                match commands {
                    Some(c) if !c.is_empty() => {
                        self.message = Some(format!("Copied {} command(s) to your clipboard.", c.len()));
                        return vec![Command::Copy(c.join("\n"))];
                    }
                    _ => self.message = Some("This check has no commands to copy.".to_owned()),
                }
            }
            Action::CopyReport => return vec![Command::Copy(String::new())],
            Action::Export => return vec![Command::Export],
            Action::Quit => return vec![Command::Quit],
        }
        Vec::new()
    }

    /// The furthest the details can scroll: their last line at the top.
    fn detail_end(&self) -> u16 {
        u16::try_from(self.details().lines.len().saturating_sub(1)).unwrap_or(u16::MAX)
    }

    fn select(&mut self, index: usize) {
        self.moved = true;
        if index != self.selected {
            self.selected = index;
            self.detail_scroll = 0;
        }
    }

    /// Starts a run of `keys` and every check that depends on one of them.
    pub(super) fn rerun_with_dependents(&mut self, keys: impl IntoIterator<Item = CheckKey>) -> Command {
        let mut only = BTreeSet::new();
        for key in keys {
            match self.dependents.get(&key) {
                Some(d) => only.extend(d.iter().cloned()),
                None => {
                    only.insert(key);
                }
            }
        }
        self.start_run(Some(only))
    }

    /// Starts a new run generation: the checks it redoes lose their results (so that a stale
    /// result cannot show as current) and the rest keep theirs.
    pub(super) fn start_run(&mut self, only: Option<BTreeSet<CheckKey>>) -> Command {
        self.generation += 1;
        match &only {
            Some(keys) => self.results.retain(|k, _| !keys.contains(k)),
            None => self.results.clear(),
        }
        self.running.clear();
        self.started = Instant::now();
        self.took = None;
        self.message = Some(match &only {
            Some(keys) => format!("Re-running {} check(s).", keys.len()),
            None => "Re-running every check.".to_owned(),
        });
        Command::Run { generation: self.generation, only }
    }
}
