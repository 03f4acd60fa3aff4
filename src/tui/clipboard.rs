//! The clipboard of the person at the keyboard, reached through the terminal: OSC 52 asks the
//! terminal emulator (and tmux) to put text on the local clipboard, which works over
//! `kubectl exec` where the container has no clipboard of its own.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The escape sequence that puts `text` on the clipboard.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", STANDARD.encode(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_osc_52_with_base64() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }
}
