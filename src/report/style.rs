//! Colour, decided once per run: `--color always|never`, or on `auto` only when stdout is a
//! terminal, `NO_COLOR` is unset and `TERM` is not `dumb`. Status always reads without colour
//! (a glyph and a word), so colour only helps the eye.

use crate::outcome::Status;

/// Whether to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Colour on or off.
    pub color: bool,
}

impl Style {
    /// No colour.
    pub const PLAIN: Style = Style { color: false };

    /// Decides colour from the user's choice and the terminal.
    pub fn decide(choice: ColorChoice, is_terminal: bool, no_color: bool, term_dumb: bool) -> Self {
        Style {
            color: match choice {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => is_terminal && !no_color && !term_dumb,
            },
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }

    /// `text` in the colour of `status`.
    pub fn status(self, status: Status, text: &str) -> String {
        let code = match status {
            Status::Pass => "32",
            Status::Warn => "33",
            Status::Fail => "1;31",
            Status::Skip => "2",
            Status::Error => "1;35",
        };
        self.paint(code, text)
    }

    /// Bold.
    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Dim.
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// The `--color` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_policy() {
        assert!(Style::decide(ColorChoice::Auto, true, false, false).color);
        assert!(!Style::decide(ColorChoice::Auto, true, true, false).color);
        assert!(!Style::decide(ColorChoice::Auto, false, false, false).color);
        assert!(!Style::decide(ColorChoice::Auto, true, false, true).color);
        assert!(Style::decide(ColorChoice::Always, false, true, false).color);
        assert_eq!(Style::PLAIN.status(Status::Fail, "x"), "x");
    }
}
