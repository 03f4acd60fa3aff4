//! The key table: one list drives key handling, the footer and the help screen, so the three
//! can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Select the previous row (or scroll the details up).
    Up,
    /// Select the next row (or scroll the details down).
    Down,
    /// A page up.
    PageUp,
    /// A page down.
    PageDown,
    /// The first row.
    Top,
    /// The last row.
    Bottom,
    /// Move the focus between the checklist and the details.
    Focus,
    /// Re-run the selected check and what depends on it.
    Rerun,
    /// Re-run everything.
    RerunAll,
    /// Show only problems, or everything.
    Problems,
    /// Filter rows by text.
    Filter,
    /// Copy the selected remedy's commands to the local clipboard.
    CopyCommands,
    /// Copy the JSON report to the local clipboard.
    CopyReport,
    /// Write the JSON report to a file.
    Export,
    /// Show or hide help.
    Help,
    /// Leave.
    Quit,
}

/// One binding: the keys, how the help names them, what they do.
#[derive(Debug)]
pub struct Binding {
    /// The keys.
    pub codes: &'static [KeyCode],
    /// The keys as the help shows them.
    pub label: &'static str,
    /// What the help says.
    pub help: &'static str,
    /// What they do.
    pub action: Action,
    /// The word the one-line footer shows, for the bindings it shows.
    pub footer: Option<&'static str>,
}

/// Every binding.
pub const BINDINGS: &[Binding] = &[
    Binding {
        codes: &[KeyCode::Up, KeyCode::Char('k')],
        label: "↑/k",
        help: "previous check (scroll details when focused)",
        action: Action::Up,
        footer: None,
    },
    Binding {
        codes: &[KeyCode::Down, KeyCode::Char('j')],
        label: "↓/j",
        help: "next check (scroll details when focused)",
        action: Action::Down,
        footer: Some("move"),
    },
    Binding {
        codes: &[KeyCode::PageUp],
        label: "PgUp",
        help: "a page up",
        action: Action::PageUp,
        footer: None,
    },
    Binding {
        codes: &[KeyCode::PageDown],
        label: "PgDn",
        help: "a page down",
        action: Action::PageDown,
        footer: None,
    },
    Binding {
        codes: &[KeyCode::Char('g'), KeyCode::Home],
        label: "g",
        help: "first check",
        action: Action::Top,
        footer: None,
    },
    Binding {
        codes: &[KeyCode::Char('G'), KeyCode::End],
        label: "G",
        help: "last check",
        action: Action::Bottom,
        footer: None,
    },
    Binding {
        codes: &[KeyCode::Tab, KeyCode::Enter],
        label: "Tab",
        help: "focus the details pane / the checklist",
        action: Action::Focus,
        footer: Some("details"),
    },
    Binding {
        codes: &[KeyCode::Char('r')],
        label: "r",
        help: "re-run the selected check and what depends on it",
        action: Action::Rerun,
        footer: Some("re-run"),
    },
    Binding {
        codes: &[KeyCode::Char('R')],
        label: "R",
        help: "re-run everything",
        action: Action::RerunAll,
        footer: None,
    },
    Binding {
        codes: &[KeyCode::Char('f')],
        label: "f",
        help: "show only problems / everything",
        action: Action::Problems,
        footer: Some("problems"),
    },
    Binding {
        codes: &[KeyCode::Char('/')],
        label: "/",
        help: "filter checks by text (Enter keeps it, Esc clears it)",
        action: Action::Filter,
        footer: Some("filter"),
    },
    Binding {
        codes: &[KeyCode::Char('c')],
        label: "c",
        help: "copy the remedy's commands to your clipboard (OSC 52)",
        action: Action::CopyCommands,
        footer: Some("copy"),
    },
    Binding {
        codes: &[KeyCode::Char('y')],
        label: "y",
        help: "copy the JSON report to your clipboard (OSC 52)",
        action: Action::CopyReport,
        footer: None,
    },
    Binding {
        codes: &[KeyCode::Char('e')],
        label: "e",
        help: "write the JSON report to a file",
        action: Action::Export,
        footer: Some("export"),
    },
    Binding {
        codes: &[KeyCode::Char('?')],
        label: "?",
        help: "this help",
        action: Action::Help,
        footer: Some("help"),
    },
    Binding {
        codes: &[KeyCode::Char('q'), KeyCode::Esc],
        label: "q",
        help: "quit",
        action: Action::Quit,
        footer: Some("quit"),
    },
];

/// The onboarding screen's bindings: the checklist's keys, said of steps, without the ones
/// that only make sense for a flat list of checks (filters, the JSON report).
pub const ONBOARD_BINDINGS: &[Binding] = &[
    Binding {
        codes: &[KeyCode::Up, KeyCode::Char('k')],
        label: "↑/k",
        help: "previous step (scroll details when focused)",
        action: Action::Up,
        footer: None,
    },
    Binding {
        codes: &[KeyCode::Down, KeyCode::Char('j')],
        label: "↓/j",
        help: "next step (scroll details when focused)",
        action: Action::Down,
        footer: Some("move"),
    },
    Binding {
        codes: &[KeyCode::PageUp],
        label: "PgUp",
        help: "a page up",
        action: Action::PageUp,
        footer: None,
    },
    Binding {
        codes: &[KeyCode::PageDown],
        label: "PgDn",
        help: "a page down",
        action: Action::PageDown,
        footer: None,
    },
    Binding {
        codes: &[KeyCode::Char('g'), KeyCode::Home],
        label: "g",
        help: "first step",
        action: Action::Top,
        footer: None,
    },
    Binding {
        codes: &[KeyCode::Char('G'), KeyCode::End],
        label: "G",
        help: "last step",
        action: Action::Bottom,
        footer: None,
    },
    Binding {
        codes: &[KeyCode::Tab, KeyCode::Enter],
        label: "Tab",
        help: "focus the details pane / the steps",
        action: Action::Focus,
        footer: Some("details"),
    },
    Binding {
        codes: &[KeyCode::Char('r')],
        label: "r",
        help: "re-run the step's checks and what depends on them",
        action: Action::Rerun,
        footer: Some("re-run"),
    },
    Binding {
        codes: &[KeyCode::Char('R')],
        label: "R",
        help: "re-run everything",
        action: Action::RerunAll,
        footer: None,
    },
    Binding {
        codes: &[KeyCode::Char('c')],
        label: "c",
        help: "copy the step's policy files and commands (OSC 52)",
        action: Action::CopyCommands,
        footer: Some("copy"),
    },
    Binding {
        codes: &[KeyCode::Char('?')],
        label: "?",
        help: "this help",
        action: Action::Help,
        footer: Some("help"),
    },
    Binding {
        codes: &[KeyCode::Char('q'), KeyCode::Esc],
        label: "q",
        help: "quit (the summary stays in the terminal)",
        action: Action::Quit,
        footer: Some("quit"),
    },
];

/// The action bound to `key` in the checklist, if any.
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    action_in(BINDINGS, key)
}

/// The action bound to `key` in `table`, if any. Ctrl-C quits too: in raw mode it arrives as a
/// key.
pub fn action_in(table: &[Binding], key: &KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    table.iter().find(|b| b.codes.contains(&key.code)).map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        for table in [BINDINGS, ONBOARD_BINDINGS] {
            let mut seen = Vec::new();
            for b in table {
                for code in b.codes {
                    assert!(!seen.contains(code), "{code:?} is bound twice");
                    seen.push(*code);
                }
            }
        }
    }
}
