//! Markdown for pasting into a ticket: the context, a table of every check, then each problem
//! with its evidence and remedy.

use std::fmt::Write as _;

use super::Report;
use crate::outcome::Status;

/// Escapes table-breaking characters.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## connector-doctor report\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Result | {} {} |", report.summary.status.glyph(), report.summary.line());
    let _ = writeln!(out, "| Region | `{}` |", report.context.region);
    if let Some(source) = &report.context.credential_source {
        let _ = writeln!(out, "| Credential source | `{source}` |");
    }
    if let Some(arn) = &report.context.caller_arn {
        let _ = writeln!(out, "| Caller | `{arn}` |");
    }
    let _ = writeln!(out, "| Started | {} ({} ms) |", report.started_at, report.duration_ms);
    let _ = writeln!(out, "| Tool | connector-doctor {} |\n", report.tool.version);
    let _ = writeln!(out, "| Status | Check | Connector | Code | Summary |\n|---|---|---|---|---|");
    for c in &report.checks {
        let _ = writeln!(
            out,
            "| {} {} | `{}` | {} | {} | {} |",
            c.status.glyph(),
            c.status,
            c.id,
            c.connector.as_deref().unwrap_or("–"),
            c.code.map(|code| format!("`{code}`")).unwrap_or_default(),
            cell(&c.summary)
        );
    }
    let problems: Vec<_> = report
        .checks
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Warn | Status::Error))
        .collect();
    for c in problems {
        let code = c.code.map(|code| format!(" — `{code}`")).unwrap_or_default();
        let _ = writeln!(out, "\n### {} `{}`{code}\n\n{}\n", c.status.glyph(), c.id, c.summary);
        for e in &c.evidence {
            let mut parts = vec![format!("`{}`", e.call)];
            if let Some(s) = e.http_status {
                parts.push(format!("HTTP {s}"));
            }
            if let Some(code) = &e.error_code {
                parts.push(format!("`{code}`"));
            }
            if let Some(id) = &e.request_id {
                parts.push(format!("request id `{id}`"));
            }
            if let Some(m) = &e.message {
                parts.push(cell(m));
            }
            let _ = writeln!(out, "- {}", parts.join(" · "));
        }
        if let Some(remedy) = &c.remedy {
            let _ = writeln!(out, "\n**Remedy.** {}", remedy.text.trim());
            if !remedy.commands.is_empty() {
                let _ = writeln!(out, "\n```sh\n{}\n```", remedy.commands.join("\n"));
            }
        }
    }
    out
}
