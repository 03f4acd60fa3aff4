//! The report: one typed value built from a run's results, which every presenter reads. The
//! JSON form is a public contract (`schema_version` 1, schema in `assets/report.schema.json`).

pub mod json;
pub mod markdown;
pub mod style;
pub mod text;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::catalog::{Catalog, Remedy};
use crate::engine::Finished;
use crate::outcome::{Code, Evidence, Facts, Status};

/// The version of the JSON report's shape. Bump it only for changes that break readers.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The shape's version.
    pub schema_version: u32,
    /// Which tool made it.
    pub tool: Tool,
    /// When the run started, RFC 3339 in UTC.
    pub started_at: String,
    /// How long the run took.
    pub duration_ms: u64,
    /// Where and as whom it ran.
    pub context: Context,
    /// Counts by status, and the overall status.
    pub summary: Summary,
    /// Every check, in plan order.
    pub checks: Vec<CheckReport>,
}

/// The tool's name and version.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// Always `connector-doctor`.
    pub name: &'static str,
    /// The version.
    pub version: &'static str,
}

/// Where and as whom the run happened.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Context {
    /// The region in force.
    pub region: String,
    /// The credential source the pod's SDKs use (`pod-identity`, `irsa`, …), if known.
    pub credential_source: Option<String>,
    /// Who STS says the pod is, if it answered.
    pub caller_arn: Option<String>,
}

/// Counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The overall status: `fail` if any check failed, else `error`, else `warn`, else `pass`.
    pub status: Status,
    /// Checks that passed.
    pub pass: usize,
    /// Checks that warned.
    pub warn: usize,
    /// Checks that failed.
    pub fail: usize,
    /// Checks skipped.
    pub skip: usize,
    /// Checks the tool could not decide.
    pub error: usize,
}

impl Summary {
    /// Counts `statuses`.
    pub fn of(statuses: impl IntoIterator<Item = Status>) -> Self {
        let mut s = Summary::default();
        for status in statuses {
            *match status {
                Status::Pass => &mut s.pass,
                Status::Warn => &mut s.warn,
                Status::Fail => &mut s.fail,
                Status::Skip => &mut s.skip,
                Status::Error => &mut s.error,
            } += 1;
        }
        s.status = if s.fail > 0 {
            Status::Fail
        } else if s.error > 0 {
            Status::Error
        } else if s.warn > 0 {
            Status::Warn
        } else {
            Status::Pass
        };
        s
    }

    /// The process exit code of the contract: 0 when nothing failed (warnings allowed unless
    /// `strict`), 1 when a check failed or errored.
    pub fn exit_code(&self, strict: bool) -> u8 {
        u8::from(self.fail > 0 || self.error > 0 || (strict && self.warn > 0))
    }

    /// "✔ 4 passed · ✖ 1 failed · – 3 skipped": the non-zero counts, each with its glyph.
    pub fn line(&self) -> String {
        let parts: Vec<String> = [
            (Status::Pass, self.pass, "passed"),
            (Status::Warn, self.warn, "warned"),
            (Status::Fail, self.fail, "failed"),
            (Status::Error, self.error, "errored"),
            (Status::Skip, self.skip, "skipped"),
        ]
        .into_iter()
        .filter(|(_, n, _)| *n > 0)
        .map(|(s, n, word)| format!("{} {n} {word}", s.glyph()))
        .collect();
        if parts.is_empty() { "no checks ran".to_owned() } else { parts.join(" · ") }
    }
}

/// One check in the report.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The check id.
    pub id: &'static str,
    /// The connector, or `null` for checks of the pod as a whole.
    pub connector: Option<String>,
    /// The verdict.
    pub status: Status,
    /// The failure code, for `fail` and `warn`.
    pub code: Option<Code>,
    /// The check's title.
    pub title: String,
    /// What was found, in a sentence or two.
    pub summary: String,
    /// How long it ran.
    pub duration_ms: u64,
    /// The checks it needs.
    pub depends_on: Vec<&'static str>,
    /// For a skip: the check at the root of the trouble.
    pub blocked_by: Option<&'static str>,
    /// Values seen.
    pub facts: BTreeMap<String, String>,
    /// Calls made.
    pub evidence: Vec<Evidence>,
    /// What to do, for `fail` and `warn`.
    pub remedy: Option<Remedy>,
}

impl CheckReport {
    /// The report row for a finished check.
    /// `run_facts` are values learned anywhere in the run (account, namespace, …); the check's
    /// own facts win over them.
    pub fn from_finished(f: &Finished, catalog: &Catalog, run_facts: &Facts) -> Self {
        let o = &f.outcome;
        let mut facts = run_facts.clone();
        facts.extend(o.facts.iter().map(|(k, v)| (k.clone(), v.clone())));
        CheckReport {
            id: f.key.id,
            connector: f.key.connector.clone(),
            status: o.status,
            code: o.code,
            title: catalog.check(f.key.id).map(|c| c.title.clone()).unwrap_or_default(),
            summary: o.summary.clone(),
            duration_ms: crate::outcome::duration_ms(f.duration),
            depends_on: f.depends_on.iter().map(|k| k.id).collect(),
            blocked_by: o.blocked_by.as_ref().map(|k| k.id),
            facts: o.facts.clone(),
            evidence: o.evidence.clone(),
            remedy: o.code.and_then(|c| catalog.remedy(c, &facts)),
        }
    }
}

impl Report {
    /// Builds the report of a run.
    pub fn build(
        results: &[Arc<Finished>],
        catalog: &Catalog,
        context: Context,
        run_facts: &Facts,
        started_at: std::time::SystemTime,
        duration: std::time::Duration,
    ) -> Self {
        let checks: Vec<CheckReport> =
            results.iter().map(|f| CheckReport::from_finished(f, catalog, run_facts)).collect();
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool { name: "connector-doctor", version: crate::VERSION },
            started_at: aws_smithy_types::DateTime::from(started_at)
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .unwrap_or_default(),
            duration_ms: crate::outcome::duration_ms(duration),
            context,
            summary: Summary::of(checks.iter().map(|c| c.status)),
            checks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_and_exit_codes() {
        let s = Summary::of([Status::Pass, Status::Warn, Status::Skip]);
        assert_eq!((s.status, s.exit_code(false), s.exit_code(true)), (Status::Warn, 0, 1));
        let s = Summary::of([Status::Pass, Status::Error]);
        assert_eq!((s.status, s.exit_code(false)), (Status::Error, 1));
        let s = Summary::of([Status::Fail, Status::Error, Status::Skip, Status::Skip]);
        assert_eq!(s.status, Status::Fail);
        assert_eq!(s.line(), "✖ 1 failed · ‼ 1 errored · – 2 skipped");
    }
}
