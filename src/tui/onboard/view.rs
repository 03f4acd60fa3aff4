//! Drawing the onboarding: a pure function of its state, with the checklist's pieces (header,
//! pane frames, footer keys, help popup, colours). Wide terminals get the steps beside the
//! details; below 100 columns the step list sits above them, as short as the steps allow.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{Onboard, Shown};
use crate::onboard::progress::{State, StepProgress};
use crate::outcome::Status;
use crate::tui::app::Mode;
use crate::tui::keys::ONBOARD_BINDINGS;
use crate::tui::view::{SPINNER, WIDE};

/// The width of a step's state in the list.
const LABEL: usize = 11;

impl Onboard<'_> {
    fn spinner(&self) -> &'static str {
        SPINNER[self.app.spinner % SPINNER.len()]
    }

    /// A step's state as a glyph and a word, and its colour.
    fn label(&self, shown: Shown) -> (String, Style) {
        let app = &self.app;
        match shown {
            Shown::Checking => {
                (format!("{} checking", self.spinner()), app.style(Style::default().fg(Color::Cyan)))
            }
            Shown::NeedsValues => ("… values".to_owned(), app.style(Style::default().fg(Color::Yellow))),
            Shown::Is(State::Done) => (State::Done.label().to_owned(), app.status_style(Status::Pass)),
            Shown::Is(State::Todo) => (State::Todo.label().to_owned(), app.status_style(Status::Fail)),
            Shown::Is(s) => (s.label().to_owned(), app.status_style(Status::Skip)),
        }
    }

    fn step_list(&self, progress: &[StepProgress], height: usize) -> Text<'_> {
        let mut lines = Vec::new();
        for (i, p) in progress.iter().enumerate() {
            let (label, style) = self.label(self.shown(i, p));
            let pad = LABEL.saturating_sub(label.chars().count());
            let mut line = Line::from(vec![
                Span::raw(" "),
                Span::styled(label, style),
                Span::raw(" ".repeat(pad)),
                Span::raw(format!("{}. {}", p.number, p.title)),
            ]);
            if i == self.selected {
                line = line.style(self.app.style(Style::default().add_modifier(Modifier::REVERSED)));
            }
            lines.push(line);
        }
        let offset = (self.selected + 1).saturating_sub(height);
        Text::from(lines.into_iter().skip(offset).collect::<Vec<_>>())
    }

    /// The selected step: what it does, where it stands (with the failing check's remedy), the
    /// values it waits for, the checks that prove it, its commands and its policies.
    pub(super) fn details(&self, progress: &[StepProgress]) -> Text<'_> {
        let (Some(view), Some(p)) = (self.steps.get(self.selected), progress.get(self.selected)) else {
            return Text::raw("This preset has no step for the configured connectors.");
        };
        let app = &self.app;
        let bold = app.style(Style::default().add_modifier(Modifier::BOLD));
        let dim = app.style(Style::default().fg(Color::DarkGray));
        let plan = &view.plan;
        let mut lines = Vec::new();
        let mut title =
            vec![Span::styled(format!("Step {} of {}. {}", p.number, progress.len(), plan.title), bold)];
        if let Some(c) = &plan.connector {
            title.push(Span::styled(format!("  · connector {c}"), dim));
        }
        lines.push(Line::from(title));

        let shown = self.shown(self.selected, p);
        let (label, style) = self.label(shown);
        let settled = view.proven_by.iter().filter(|k| app.results.contains_key(*k)).count();
        let state = match (shown, &p.problem) {
            (Shown::Checking, _) => format!("{settled} of {} checks settled", view.proven_by.len()),
            (Shown::Is(State::Done), _) => "every check that proves it passed".to_owned(),
            (Shown::Is(State::Unproven), _) => {
                "none of its checks ran: add the connector to the configuration ([[connector]])".to_owned()
            }
            (_, Some(problem)) if p.state == State::Blocked => {
                format!("waits for {}: {}", problem.check, problem.summary)
            }
            (_, Some(problem)) => format!("{}: {}", problem.check, problem.summary),
            (_, None) => String::new(),
        };
        lines.push(Line::from(vec![Span::styled(label, style), Span::raw("  "), Span::raw(state)]));
        if shown != Shown::Checking
            && p.state == State::Todo
            && let Some(remedy) = p.problem.as_ref().and_then(|pr| pr.remedy.as_ref())
        {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Remedy", bold));
            lines.extend(remedy.text.trim().lines().map(|l| Line::raw(l.to_owned())));
            for c in &remedy.commands {
                lines.push(Line::from(vec![Span::styled("$ ", dim), Span::raw(c.clone())]));
            }
        }

        // What the step does comes after where it stands: on a short terminal the remedy is
        // what must be on screen without scrolling.
        lines.push(Line::raw(""));
        lines.extend(plan.does.lines().map(|l| Line::raw(l.to_owned())));

        if !view.missing.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Missing values", bold));
            for m in &view.missing {
                let whose = m.connector.as_ref().map(|c| format!(" (connector {c})")).unwrap_or_default();
                let how = match &m.what {
                    Some(what) => format!("{what}; give it with --value {}=…", m.key),
                    None => "filled in once the values it is made from are given".to_owned(),
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("{}{whose}: ", m.key), bold),
                    Span::raw(how),
                ]));
                if let Some(find) = &m.find {
                    lines
                        .push(Line::from(vec![Span::styled("  look it up: ", dim), Span::raw(find.clone())]));
                }
            }
        }

        self.proven_by(view, p, &mut lines);

        if !plan.commands.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Commands", bold));
            for c in &plan.commands {
                lines.push(Line::from(vec![Span::styled("$ ", dim), Span::raw(c.clone())]));
            }
        }
        for d in &plan.documents {
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled(d.file.clone(), bold),
                Span::styled(format!("  {}", d.label()), dim),
            ]));
            lines.extend(d.json.pretty().lines().map(|l| Line::raw(l.to_owned())));
        }
        Text::from(lines)
    }

    /// The checks that prove the step, each with its status in this run.
    fn proven_by(&self, view: &super::StepView<'_>, p: &StepProgress, lines: &mut Vec<Line<'_>>) {
        if view.proven_by.is_empty() {
            return;
        }
        let app = &self.app;
        let dim = app.style(Style::default().fg(Color::DarkGray));
        let bold = app.style(Style::default().add_modifier(Modifier::BOLD));
        lines.push(Line::raw(""));
        lines.push(Line::styled("Proven by", bold));
        for key in &view.proven_by {
            let judged = p.checks.iter().find(|c| c.id == key.id && c.connector == key.connector);
            let (badge, style, tail) = match (app.results.get(key), judged) {
                _ if app.running.contains(key) => (
                    format!("{} run ", self.spinner()),
                    app.style(Style::default().fg(Color::Cyan)),
                    String::new(),
                ),
                // The policy audit speaks of one role; another step owns this finding.
                (Some(_), None) => continue,
                (Some(_), Some(c)) => (
                    format!("{} {:<4}", c.status.glyph(), c.status.word()),
                    app.status_style(c.status),
                    c.code.map(|code| format!("  {code}")).unwrap_or_default(),
                ),
                (None, _) => ("· wait".to_owned(), dim, String::new()),
            };
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(badge, style),
                Span::raw(" "),
                Span::raw(key.to_string()),
                Span::styled(tail, dim),
            ]));
        }
    }

    fn footer(&self, progress: &[StepProgress]) -> Line<'_> {
        let app = &self.app;
        let mut spans = Vec::new();
        if let Some(m) = &app.message {
            spans.push(Span::styled(m.clone(), app.style(Style::default().fg(Color::Cyan))));
            spans.push(Span::raw("  "));
        }
        let count =
            |want: Shown| progress.iter().enumerate().filter(|(i, p)| self.shown(*i, p) == want).count();
        let done = count(Shown::Is(State::Done));
        let mut parts = vec![format!("✔ {done} of {} steps done", progress.len())];
        for (shown, word) in [
            (Shown::Is(State::Todo), "✖ {} to do"),
            (Shown::Is(State::Blocked), "– {} blocked"),
            (Shown::NeedsValues, "… {} need values"),
            (Shown::Is(State::Unproven), "· {} unproven"),
        ] {
            let n = count(shown);
            if n > 0 {
                parts.push(word.replace("{}", &n.to_string()));
            }
        }
        let status = if done == progress.len() { Status::Pass } else { Status::Fail };
        let style = if app.took.is_some() { app.status_style(status) } else { Style::default() };
        spans.push(Span::styled(parts.join(" · "), style));
        spans.push(Span::raw("  "));
        spans.push(app.footer_keys(ONBOARD_BINDINGS));
        Line::from(spans)
    }
}

impl Widget for &Onboard<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let progress = self.progress();
        let [header, body, footer] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(area);
        Paragraph::new(self.app.header_titled(format!("connector-doctor onboard {}", self.preset)))
            .render(header, buf);
        Paragraph::new(self.footer(&progress)).render(footer, buf);
        let (list_area, detail_area) = if area.width >= WIDE {
            let [l, d] =
                Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(body);
            (l, d)
        } else {
            // The list needs a line a step; the rest goes to the details, where the remedy is.
            let rows = u16::try_from(self.steps.len() + 2).unwrap_or(u16::MAX);
            let [l, d] =
                Layout::vertical([Constraint::Length(rows.min(body.height * 2 / 5)), Constraint::Min(3)])
                    .areas(body);
            (l, d)
        };
        let (list_block, detail_block) = self.app.pane_blocks(self.app.list_title);
        let inner_height = usize::from(list_block.inner(list_area).height);
        Paragraph::new(self.step_list(&progress, inner_height)).block(list_block).render(list_area, buf);
        let details = self.details(&progress);
        let last = u16::try_from(details.lines.len().saturating_sub(1)).unwrap_or(u16::MAX);
        Paragraph::new(details)
            .wrap(Wrap { trim: false })
            .scroll((self.app.detail_scroll.min(last), 0))
            .block(detail_block)
            .render(detail_area, buf);
        if self.app.mode == Mode::Help {
            self.app.help_popup(ONBOARD_BINDINGS, area, buf);
        }
    }
}
