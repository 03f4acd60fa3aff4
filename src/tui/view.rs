//! Drawing the app: a pure function of its state. Wide terminals get the checklist and the
//! details side by side; below 100 columns they stack. Status is a glyph and a word, so the
//! screen reads without colour.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::app::{App, Focus, Mode};
use super::keys::{Action, BINDINGS, Binding};
use crate::outcome::Status;

/// Below this width the panes stack.
pub(super) const WIDE: u16 = 100;

/// The spinner's frames.
pub(super) const SPINNER: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl App {
    /// `style`, or only its bold and reverse when colour is off.
    pub(super) fn style(&self, style: Style) -> Style {
        if self.color {
            style
        } else {
            Style::default().add_modifier(style.add_modifier & (Modifier::BOLD | Modifier::REVERSED))
        }
    }

    /// The colour of a status.
    pub(super) fn status_style(&self, status: Status) -> Style {
        self.style(match status {
            Status::Pass => Style::default().fg(Color::Green),
            Status::Warn => Style::default().fg(Color::Yellow),
            Status::Fail => Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            Status::Skip => Style::default().fg(Color::DarkGray),
            Status::Error => Style::default().fg(Color::Magenta).add_modifier(Modifier::BOLD),
        })
    }

    fn header(&self) -> Line<'_> {
        self.header_titled("connector-doctor".to_owned())
    }

    /// The top line: `title`, the run's time or spinner, then where and as whom it runs.
    pub(super) fn header_titled(&self, title: String) -> Line<'_> {
        let dim = self.style(Style::default().fg(Color::DarkGray));
        let time = match self.took {
            Some(t) => format!("{} ms", t.as_millis()),
            None => format!("{} running", SPINNER[self.spinner % SPINNER.len()]),
        };
        // The run's state comes first: on a narrow terminal the caller ARN is what gets cut.
        Line::from(vec![
            Span::styled(title, self.style(Style::default().add_modifier(Modifier::BOLD))),
            Span::styled(" · ", dim),
            Span::raw(time),
            Span::styled(" · ", dim),
            Span::raw(self.context.region.clone()),
            Span::styled(" · ", dim),
            Span::raw(self.context.credential_source.clone().unwrap_or_else(|| "source unknown".into())),
            Span::styled(" · ", dim),
            Span::raw(self.context.caller_arn.clone().unwrap_or_else(|| "caller unknown".into())),
        ])
    }

    fn checklist(&self, height: usize) -> Text<'_> {
        let visible = self.visible();
        let mut lines: Vec<Line<'_>> = Vec::new();
        let mut selected_line = 0;
        let mut link = "";
        for (i, row) in visible.iter().enumerate() {
            if row.link != link {
                link = &row.link;
                lines.push(Line::styled(
                    row.link.clone(),
                    self.style(Style::default().add_modifier(Modifier::BOLD)),
                ));
            }
            let (badge, style, tail) = match self.results.get(&row.key) {
                _ if self.running.contains(&row.key) => (
                    format!("{} run ", SPINNER[self.spinner % SPINNER.len()]),
                    self.style(Style::default().fg(Color::Cyan)),
                    String::new(),
                ),
                Some(f) => {
                    let o = &f.outcome;
                    let tail = match (&o.code, &o.blocked_by) {
                        (Some(code), _) => format!("  {code}"),
                        (None, Some(by)) => format!("  blocked by {by}"),
                        (None, None) if o.status == Status::Skip => "  not applicable".to_owned(),
                        _ => format!("  {} ms", f.duration.as_millis()),
                    };
                    (
                        format!("{} {:<4}", o.status.glyph(), o.status.word()),
                        self.status_style(o.status),
                        tail,
                    )
                }
                None => {
                    ("· wait".to_owned(), self.style(Style::default().fg(Color::DarkGray)), String::new())
                }
            };
            let mut entry = Line::from(vec![
                Span::raw("  "),
                Span::styled(badge, style),
                Span::raw(" "),
                Span::raw(row.key.to_string()),
                Span::styled(tail, self.style(Style::default().fg(Color::DarkGray))),
            ]);
            if i == self.selected {
                selected_line = lines.len();
                entry = entry.style(self.style(Style::default().add_modifier(Modifier::REVERSED)));
            }
            lines.push(entry);
        }
        if visible.is_empty() {
            lines.push(Line::raw(if self.problems_only {
                "  No problems."
            } else {
                "  Nothing matches the filter."
            }));
        }
        let offset = (selected_line + 1).saturating_sub(height);
        Text::from(lines.into_iter().skip(offset).collect::<Vec<_>>())
    }

    pub(super) fn details(&self) -> Text<'_> {
        let Some(key) = self.selected_key() else { return Text::raw("") };
        let bold = self.style(Style::default().add_modifier(Modifier::BOLD));
        let dim = self.style(Style::default().fg(Color::DarkGray));
        let mut lines = Vec::new();
        let proves = self.catalog().check(key.id).map(|c| c.proves.clone()).unwrap_or_default();
        let title = self.rows.iter().find(|r| r.key == key).map(|r| r.title.clone()).unwrap_or_default();
        lines.push(Line::from(vec![Span::styled(format!("{key}  "), bold), Span::raw(title)]));
        lines.push(Line::styled(proves, dim));
        lines.push(Line::raw(""));
        let Some(report) = self.report_of(&key) else {
            let what = if self.running.contains(&key) {
                "Running…"
            } else {
                "Waiting for the checks it depends on."
            };
            lines.push(Line::raw(what));
            return Text::from(lines);
        };
        let mut status = vec![Span::styled(
            format!("{} {}", report.status.glyph(), report.status.word()),
            self.status_style(report.status),
        )];
        if let Some(code) = report.code {
            status.push(Span::styled(format!("  {code}"), bold));
        }
        status.push(Span::styled(format!("  {} ms", report.duration_ms), dim));
        lines.push(Line::from(status));
        lines.push(Line::raw(report.summary.clone()));
        if let Some(remedy) = &report.remedy {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Remedy", bold));
            lines.extend(remedy.text.trim().lines().map(|l| Line::raw(l.to_owned())));
            for c in &remedy.commands {
                lines.push(Line::from(vec![Span::styled("$ ", dim), Span::raw(c.clone())]));
            }
        }
        if !report.facts.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Facts", bold));
            for (k, v) in &report.facts {
                lines.push(Line::from(vec![Span::styled(format!("{k}: "), dim), Span::raw(v.clone())]));
            }
        }
        if !report.evidence.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Evidence", bold));
            for e in &report.evidence {
                let mut parts = vec![e.call.clone()];
                parts.extend(e.http_status.map(|s| format!("HTTP {s}")));
                parts.extend(e.error_code.clone());
                parts.extend(e.request_id.as_ref().map(|r| format!("request {r}")));
                parts.extend(e.message.clone());
                lines.push(Line::raw(parts.join(" · ")));
            }
        }
        Text::from(lines)
    }

    fn footer(&self) -> Line<'_> {
        let mut spans = Vec::new();
        if self.mode == Mode::Filter {
            spans.push(Span::raw(format!("/{}▏ Enter keeps · Esc clears", self.filter)));
            return Line::from(spans);
        }
        if let Some(m) = &self.message {
            spans.push(Span::styled(m.clone(), self.style(Style::default().fg(Color::Cyan))));
            spans.push(Span::raw("  "));
        }
        let summary = self.summary();
        spans.push(Span::styled(summary.line(), self.status_style(summary.status)));
        spans.push(Span::raw("  "));
        spans.push(self.footer_keys(BINDINGS));
        Line::from(spans)
    }

    /// The footer's key hints from `table`, help and quit first: they are what a narrow
    /// terminal must not cut.
    pub(super) fn footer_keys(&self, table: &[Binding]) -> Span<'static> {
        let dim = self.style(Style::default().fg(Color::DarkGray));
        let first = |b: &&Binding| !matches!(b.action, Action::Help | Action::Quit);
        let mut shown: Vec<&Binding> = table.iter().filter(|b| b.footer.is_some()).collect();
        shown.sort_by_key(first);
        let keys: Vec<String> =
            shown.iter().filter_map(|b| Some(format!("{} {}", b.label, b.footer?))).collect();
        Span::styled(keys.join(" · "), dim)
    }

    /// The help drawn from `table`, in a popup over `area`.
    pub(super) fn help_popup(&self, table: &[Binding], area: Rect, buf: &mut Buffer) {
        let w = area.width.saturating_sub(4).min(72);
        let h = area.height.saturating_sub(2).min(u16::try_from(table.len() + 6).unwrap_or(u16::MAX));
        let popup =
            Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
        Clear.render(popup, buf);
        Paragraph::new(self.help(table)).block(Block::bordered().title(" Help ")).render(popup, buf);
    }

    /// The two panes' frames, the focused one marked in colour and, readable without colour,
    /// in its title.
    pub(super) fn pane_blocks(&self, list_title: &str) -> (Block<'static>, Block<'static>) {
        let focused = self.style(Style::default().fg(Color::Cyan));
        let list = self.focus == Focus::List;
        let (list_title, detail_title) = if list {
            (format!(" ▸ {list_title} "), " Details ")
        } else {
            (format!(" {list_title} "), " ▸ Details ")
        };
        let list_block =
            Block::bordered().title(list_title).border_style(if list { focused } else { Style::default() });
        let detail_block =
            Block::bordered().title(detail_title).border_style(if list { Style::default() } else { focused });
        (list_block, detail_block)
    }

    fn help(&self, table: &[Binding]) -> Text<'_> {
        let bold = self.style(Style::default().add_modifier(Modifier::BOLD));
        let mut lines = vec![Line::styled("Keys", bold), Line::raw("")];
        for b in table {
            lines.push(Line::from(vec![Span::styled(format!("  {:<6}", b.label), bold), Span::raw(b.help)]));
        }
        lines.push(Line::raw(""));
        lines.push(Line::raw("Any key closes this help."));
        Text::from(lines)
    }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [header, body, footer] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(area);
        Paragraph::new(self.header()).render(header, buf);
        Paragraph::new(self.footer()).render(footer, buf);
        let (list_area, detail_area) = if area.width >= WIDE {
            let [l, d] =
                Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
            (l, d)
        } else {
            let [l, d] =
                Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
            (l, d)
        };
        let (list_block, detail_block) = self.pane_blocks(self.list_title);
        let inner_height = usize::from(list_block.inner(list_area).height);
        Paragraph::new(self.checklist(inner_height)).block(list_block).render(list_area, buf);
        let details = self.details();
        // Scrolling stops with the last line at the top of the pane.
        let last = u16::try_from(details.lines.len().saturating_sub(1)).unwrap_or(u16::MAX);
        Paragraph::new(details)
            .wrap(Wrap { trim: false })
            .scroll((self.detail_scroll.min(last), 0))
            .block(detail_block)
            .render(detail_area, buf);
        if self.mode == Mode::Help {
            self.help_popup(BINDINGS, area, buf);
        }
    }
}
