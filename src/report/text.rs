//! Plain text: one line per check as it settles, the remedy beneath a problem, and a closing
//! summary line. Used when stdout is not a terminal, and for `--format text`.

use std::fmt::Write as _;

use super::style::Style;
use super::{CheckReport, Context, Report};
use crate::outcome::Status;

/// Width of the check-id column.
const ID_WIDTH: usize = 22;

/// The header line: tool, region, where the region came from.
pub fn header(style: Style, region: &str, region_from: &str) -> String {
    format!(
        "{} {} · region {} {}\n",
        style.bold("connector-doctor"),
        crate::VERSION,
        region,
        style.dim(&format!("({region_from})"))
    )
}

/// The block for one settled check: its line, and for a problem its remedy.
pub fn check(style: Style, c: &CheckReport) -> String {
    let mut out = String::new();
    let id = match &c.connector {
        Some(conn) => format!("{}[{conn}]", c.id),
        None => c.id.to_owned(),
    };
    let badge = style.status(
        c.status,
        &format!("{} {:<5}", c.status.glyph(), c.status.word()),
    );
    let code = c.code.map(|code| format!("{code}: ")).unwrap_or_default();
    let took = if c.duration_ms > 0 || c.status != Status::Skip {
        style.dim(&format!("  {} ms", c.duration_ms))
    } else {
        String::new()
    };
    let _ = writeln!(out, "{badge} {id:<ID_WIDTH$} {code}{}{took}", c.summary);
    if let Some(remedy) = &c.remedy {
        for line in remedy.text.trim().lines() {
            let _ = writeln!(out, "        {}", line.trim_end());
        }
        for command in &remedy.commands {
            let _ = writeln!(out, "          {} {command}", style.dim("$"));
        }
    }
    out
}

/// The closing lines: who the pod is, and the summary.
pub fn footer(style: Style, report: &Report) -> String {
    let mut out = String::new();
    let Context {
        credential_source,
        caller_arn,
        ..
    } = &report.context;
    if let Some(arn) = caller_arn {
        let _ = writeln!(
            out,
            "\ncaller: {arn} (via {})",
            credential_source.as_deref().unwrap_or("unknown")
        );
    } else {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{}  {}",
        style.status(report.summary.status, &report.summary.line()),
        style.dim(&format!("({} ms)", report.duration_ms))
    );
    out
}

/// The whole report at once (for `--output` and tests): header, checks in plan order, footer.
pub fn render(style: Style, report: &Report, region_from: &str) -> String {
    let mut out = header(style, &report.context.region, region_from);
    for c in &report.checks {
        out.push_str(&check(style, c));
    }
    out.push_str(&footer(style, report));
    out
}
