//! The JSON report: one document, nothing else on stdout.

use super::Report;

/// The report as pretty-printed JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    // Serialising plain structs of strings and numbers cannot fail.
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
