//! The subcommands and output modes: explain, list-checks, text, markdown, colour, pipes.

use std::io::Read;
use std::process::{Command, Stdio};

use connector_doctor::outcome::Code;

use crate::support::{Options, binary, doctor, doctor_with, lab, run_with};

fn plain() -> Vec<(String, String)> {
    vec![("AWS_EC2_METADATA_DISABLED".into(), "true".into())]
}

#[test]
fn explain_prints_the_remedy_of_every_code() {
    let catalog = connector_doctor::catalog::catalog();
    for code in Code::ALL {
        let run = run_with(&plain(), &["explain", code.as_str()], &Options::default());
        assert_eq!(run.code, 0, "{code}: {}", run.stderr);
        let entry = catalog.code(*code).unwrap();
        assert!(
            run.stdout.contains(code.as_str()) && run.stdout.contains(&entry.title),
            "{code}: {}",
            run.stdout
        );
        let rendered = catalog.remedy(*code, &connector_doctor::outcome::Facts::new()).unwrap();
        let first_words: String = rendered.text.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
        assert!(run.stdout.contains(&first_words), "{code}: remedy missing: {}", run.stdout);
    }
    let run = run_with(&plain(), &["explain", "token-expird"], &Options::default());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("token-expired"), "suggests the near code: {}", run.stderr);
}

#[test]
fn list_checks_shows_every_check_and_code() {
    let run = run_with(&plain(), &["list-checks"], &Options::default());
    assert_eq!(run.code, 0);
    for entry in connector_doctor::catalog::catalog().checks() {
        assert!(run.stdout.contains(&entry.id), "{}", entry.id);
    }
    for code in Code::ALL {
        assert!(run.stdout.contains(code.as_str()), "{code}");
    }
}

#[test]
fn text_and_markdown_tell_the_same_story() {
    let lab = lab("token-expired");
    let text = doctor(&lab, &["--cluster-name", "xpander-prod"]);
    assert_eq!(text.code, 1);
    assert!(text.stdout.contains("✖ fail  identity.token"), "{}", text.stdout);
    assert!(text.stdout.contains("token-expired"), "{}", text.stdout);
    assert!(text.stdout.contains("✖ 1 failed"), "{}", text.stdout);
    assert!(!text.stdout.contains('\u{1b}'), "no colour when stdout is not a terminal");
    let md = doctor(&lab, &["--format", "markdown"]);
    assert_eq!(md.code, 1);
    assert!(md.stdout.contains("| ✖ fail | `identity.token`"), "{}", md.stdout);
    assert!(md.stdout.contains("### ✖ `identity.token` — `token-expired`"), "{}", md.stdout);
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let lab = lab("healthy-static");
    let run = doctor(&lab, &["--color", "always"]);
    assert!(run.stdout.contains("\u{1b}["), "{}", run.stdout);
    let run = doctor_with(
        &lab,
        &["--color", "auto"],
        &Options { env: vec![("NO_COLOR".into(), "1".into())], ..Options::default() },
    );
    assert!(!run.stdout.contains('\u{1b}'));
}

#[test]
fn output_file_gets_the_report() {
    let lab = lab("healthy-static");
    let path = lab.temp_dir().join("report.json");
    let run = doctor(&lab, &["--json", "--output", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    crate::support::assert_valid(&report);
}

#[test]
fn a_closed_pipe_is_success() {
    let lab = lab("token-expired");
    let mut child = Command::new(binary())
        .args(["list-checks"])
        .env_clear()
        .envs(lab.pod_env())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end at once: every write the doctor makes meets a broken pipe.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
