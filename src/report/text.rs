//! Plain text: one line per check as it settles, the remedy beneath a problem, and a closing
//! summary line. Used when stdout is not a terminal, and for `--format text`.

use std::fmt::Write as _;

use super::style::Style;
use super::{CheckReport, Context, Report};
use crate::outcome::Status;

/// Width of the check-id column.
const ID_WIDTH: usize = 30;

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
    let badge = style.status(c.status, &format!("{} {:<5}", c.status.glyph(), c.status.word()));
    let code = c.code.map(|code| format!("{code}: ")).unwrap_or_default();
    let took = if c.duration_ms > 0 || c.status != Status::Skip {
        style.dim(&format!("  {} ms", c.duration_ms))
    } else {
        String::new()
    };
    let _ = writeln!(out, "{badge} {id:<ID_WIDTH$} {code}{}{took}", c.summary);
    if let Some(remedy) = &c.remedy {
        for line in remedy.text.trim().lines() {
            // Prose is wrapped; a policy or other block (starting with a brace or indent) is
            // kept line for line so it can be copied.
            let prose = line.starts_with(|ch: char| ch.is_alphanumeric());
            let pieces =
                if prose { wrap(line.trim_end(), REMEDY_WIDTH) } else { vec![line.trim_end().to_owned()] };
            for piece in pieces {
                let _ = writeln!(out, "        {piece}");
            }
        }
        for command in &remedy.commands {
            let _ = writeln!(out, "          {} {command}", style.dim("$"));
        }
    }
    out
}

/// Remedy prose is wrapped to this width (plus its indent); commands are never wrapped, so
/// that they paste whole.
const REMEDY_WIDTH: usize = 92;

/// Splits `line` at spaces into pieces of at most `width` characters (longer words stay whole).
fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    out.push(current);
    out
}

/// The closing lines: who the pod is, and the summary.
pub fn footer(style: Style, report: &Report) -> String {
    let mut out = String::new();
    let Context { credential_source, caller_arn, .. } = &report.context;
    if let Some(arn) = caller_arn {
        let _ = writeln!(out, "\ncaller: {arn} (via {})", credential_source.as_deref().unwrap_or("unknown"));
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

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_spaces_and_keeps_long_words() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("arn:aws:iam::111122223333:role/x y", 10), ["arn:aws:iam::111122223333:role/x", "y"]);
        assert_eq!(wrap("", 5), [""]);
    }
}
