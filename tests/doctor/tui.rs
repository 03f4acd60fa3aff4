//! The interactive checklist on a real terminal: the built doctor runs in a tmux pane (a private
//! tmux server per test) against a lab started in this process, keys go in with `send-keys`,
//! and the screen comes back with `capture-pane`. Every wait polls the screen against a
//! deadline. tmux is installed when missing and we are root; otherwise the tests fail, saying so.

use std::fmt::Write as _;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use connector_lab::Lab;

use crate::support::{binary, check, doctor, doctor_in, lab};

/// The scenario: the hop into warehouse's role works, its self-assume does not.
const SCENARIO: &str = "xpander-self-assume-missing";

/// The checklist's summary of that scenario, in the footer and, after quitting, in the scrollback.
const SUMMARY: &str = "✔ 12 passed · ✖ 2 failed · – 5 skipped";

/// How long any one thing may take to show on screen.
const WAIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------
// tmux.

fn tmux_version() -> Option<String> {
    let out = Command::new("tmux").arg("-V").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Makes sure tmux is there: installs it once (across test processes too) when it is missing
/// and we are root, else fails with what to do.
fn ensure_tmux() {
    static READY: OnceLock<Result<String, String>> = OnceLock::new();
    if let Err(why) = READY.get_or_init(install_tmux) {
        panic!("{why}");
    }
}

fn install_tmux() -> Result<String, String> {
    if let Some(version) = tmux_version() {
        return Ok(version);
    }
    let lock_path = std::env::temp_dir().join("connector-doctor-tmux-install.lock");
    let lock = std::fs::File::create(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    lock.lock().map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    if let Some(version) = tmux_version() {
        return Ok(version);
    }
    let uid =
        Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if uid.as_deref().ok() != Some("0") {
        return Err("The checklist's terminal tests need tmux, which is not installed, and only root may \
                    install it here. Install tmux (apt-get install tmux) and run the tests again."
            .to_owned());
    }
    for args in [&["update"][..], &["install", "-y", "--no-install-recommends", "tmux"][..]] {
        let out = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .map_err(|e| format!("tmux is not installed and apt-get cannot run ({e}); install tmux"))?;
        if !out.status.success() {
            return Err(format!(
                "tmux is not installed and `apt-get {}` failed; install tmux:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    tmux_version().ok_or_else(|| "apt-get installed tmux, but `tmux -V` still fails".to_owned())
}

/// Single-quotes `text` for sh.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A private tmux server with one pane running the doctor in `lab`'s pod environment, as
/// `sh run.sh`: the doctor, then `EXIT=<its code>` and the terminal's `icanon`/`echo` modes,
/// then a sleep that keeps the pane open to be read. Dropping it kills the server; its socket
/// lives in the pane's temp dir, so nothing is left behind.
struct Pane {
    socket: std::path::PathBuf,
    /// The doctor's unique `--cluster-name`, to find its process.
    tag: String,
    dir: tempfile::TempDir,
}

impl Pane {
    fn start(lab: &Lab, width: u16, height: u16) -> Self {
        Self::start_with(lab, width, height, &[])
    }

    /// As [`start`](Self::start), with `args` (such as a subcommand) before the doctor's flags.
    fn start_with(lab: &Lab, width: u16, height: u16, args: &[&str]) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        ensure_tmux();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tag = format!("tui-test-{}-{n}", std::process::id());
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("tmux.sock");

        let mut env = lab.pod_env();
        env.push(("HOME".into(), lab.temp_dir().display().to_string()));
        env.push(("PATH".into(), std::env::var("PATH").unwrap_or_default()));
        env.push(("TERM".into(), "xterm-256color".into()));
        let mut script = format!("cd {}\nenv -i", quote(&dir.path().display().to_string()));
        for (k, v) in &env {
            write!(script, " {}", quote(&format!("{k}={v}"))).unwrap();
        }
        write!(script, " {}", quote(binary())).unwrap();
        for arg in args {
            write!(script, " {}", quote(arg)).unwrap();
        }
        writeln!(script, " --cluster-name {tag}").unwrap();
        script.push_str("echo EXIT=$?\n");
        script.push_str(
            "echo TTY=$(stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' ')\n",
        );
        script.push_str("sleep 60\n");
        std::fs::write(dir.path().join("run.sh"), script).unwrap();
        // OSC 52 from the pane becomes a tmux buffer.
        std::fs::write(dir.path().join("tmux.conf"), "set -g set-clipboard on\n").unwrap();

        let pane = Self { socket, tag, dir };
        let conf = pane.dir.path().join("tmux.conf").display().to_string();
        let run = format!("sh {}", quote(&pane.dir.path().join("run.sh").display().to_string()));
        let (w, h) = (width.to_string(), height.to_string());
        pane.tmux_ok(&["-f", &conf, "new-session", "-d", "-s", "doctor", "-x", &w, "-y", &h, &run]);
        pane
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    fn tmux_ok(&self, args: &[&str]) -> String {
        let out = self.tmux(args);
        assert!(out.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// What the pane shows now.
    fn screen(&self) -> String {
        self.tmux_ok(&["capture-pane", "-p", "-t", "doctor"])
    }

    /// The pane's scrollback and screen together.
    fn scrollback(&self) -> String {
        self.tmux_ok(&["capture-pane", "-p", "-J", "-S", "-", "-t", "doctor"])
    }

    /// Polls the screen until `ok` holds; returns that screen.
    fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "waited {WAIT:?} for {what}; the screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |s| s.contains(text))
    }

    /// Waits for the checklist with the run settled and the failing check selected.
    fn wait_for_the_verdict(&self) -> String {
        self.wait_until("the checklist with the run's verdict and the remedy", |s| {
            s.contains("Checks ─")
                && s.contains(SUMMARY)
                && s.contains("Remedy")
                && s.contains("✖ fail  self-assume-denied")
        })
    }

    fn keys(&self, keys: &str) {
        self.tmux_ok(&["send-keys", "-t", "doctor", keys]);
    }

    /// A tmux format of the pane, such as `#{alternate_on}`.
    fn format(&self, format: &str) -> String {
        self.tmux_ok(&["display-message", "-p", "-t", "doctor", format]).trim().to_owned()
    }

    /// The doctor's process id.
    fn doctor_pid(&self) -> String {
        let pattern = format!("connector-doctor --cluster-name {}$", self.tag);
        let out = Command::new("pgrep").arg("-f").arg(&pattern).output().expect("run pgrep");
        let pids: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect();
        assert_eq!(pids.len(), 1, "processes matching {pattern:?}: {pids:?}");
        pids.into_iter().next().unwrap()
    }

    /// Asserts that the doctor is gone and left the terminal as it found it: its summary line
    /// and exit code in the scrollback, no alternate screen, the cursor shown, and the line
    /// discipline back (canonical mode and echo).
    fn assert_restored(&self) {
        let screen = self.assert_left(&["Checks ─", "Remedy"]);
        assert!(screen.lines().any(|l| l == SUMMARY), "no summary line left behind:\n{screen}");
    }

    /// Asserts that the doctor is gone with exit code 1 and left the terminal as it found it,
    /// none of `drawn` left on screen; returns the scrollback.
    fn assert_left(&self, drawn: &[&str]) -> String {
        let screen = self.wait_for("EXIT=");
        assert_eq!(self.format("#{alternate_on}"), "0", "still on the alternate screen:\n{screen}");
        assert!(!drawn.iter().any(|d| screen.contains(d)), "the screen is still shown:\n{screen}");
        assert!(screen.lines().any(|l| l == "EXIT=1"), "the exit code is not 1:\n{screen}");
        let tty = self.wait_for("TTY=");
        assert!(tty.lines().any(|l| l.trim() == "TTY=icanon echo"), "the terminal is still raw:\n{tty}");
        assert_eq!(self.format("#{cursor_flag}"), "1", "the cursor is still hidden");
        self.scrollback()
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn started(lab: &Lab) -> (Pane, Instant) {
    let clock = Instant::now();
    (Pane::start(lab, 120, 32), clock)
}

fn took(name: &str, clock: Instant) {
    eprintln!("{name}: {:.2} s", clock.elapsed().as_secs_f64());
}

// ---------------------------------------------------------------------------------------
// The cases.

#[test]
fn shows_the_checklist_and_selects_the_failing_check() {
    let lab = lab(SCENARIO);
    let (pane, clock) = started(&lab);
    let screen = pane.wait_for_the_verdict();
    // The run settled on its only failure, selected: its details and remedy are on screen.
    assert!(screen.contains("┌ Details"), "{screen}");
    assert!(screen.contains("chain.self_assume[warehouse]  Self-assume for refresh"), "{screen}");
    assert!(screen.contains("✖ fail  self-assume-denied"), "{screen}");
    assert!(screen.contains("SelfAssume"), "{screen}");
    assert!(screen.contains("✔ pass identity.caller"), "{screen}");

    // g goes to the top: the first check's details, which have no remedy.
    // (Wait for the whole frame: capture-pane can catch one half drawn.)
    pane.keys("g");
    pane.wait_until("the first check's details, without a remedy", |s| {
        s.contains("identity.source  Credential source") && !s.contains("Remedy")
    });

    // f lists only the problems, the failing check first and selected.
    pane.keys("f");
    let screen = pane.wait_until("only the failing check listed", |s| {
        s.contains("✖ fail chain.self_assume[warehouse]") && !s.contains("✔ pass") && s.contains("Remedy")
    });
    assert!(screen.contains("SelfAssume"), "{screen}");
    pane.keys("q");
    pane.assert_restored();
    took("start, navigate, quit", clock);
}

#[test]
fn r_reruns_the_selected_check() {
    let lab = lab(SCENARIO);
    let (pane, clock) = started(&lab);
    pane.wait_for_the_verdict();
    let before = lab.calls().len();
    pane.keys("r");
    // Only the selected check runs again (nothing depends on it); the verdict comes back.
    pane.wait_for("Re-running 1 check(s).");
    pane.wait_until("the re-run's calls to the lab", |_| lab.calls().len() > before);
    pane.wait_until("the re-run's verdict", |s| {
        s.contains("Re-running 1 check(s).") && s.contains(SUMMARY) && s.contains("Remedy")
    });
    pane.keys("q");
    pane.assert_restored();
    took("re-run", clock);
}

#[test]
fn c_copies_the_remedys_commands_through_osc_52() {
    let lab = lab(SCENARIO);
    let (pane, clock) = started(&lab);
    // The same commands as the JSON report of the same pod and flags.
    let report = doctor(&lab, &["--json", "--cluster-name", &pane.tag]).report();
    let commands: Vec<&str> = check(&report, "chain.self_assume")["remedy"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(commands.len(), 3);
    pane.wait_for_the_verdict();
    pane.keys("c");
    pane.wait_for("Copied 3 command(s) to your clipboard.");
    let deadline = Instant::now() + WAIT;
    let buffer = loop {
        let out = pane.tmux(&["show-buffer"]);
        if out.status.success() {
            break String::from_utf8_lossy(&out.stdout).into_owned();
        }
        assert!(Instant::now() < deadline, "no tmux buffer after {WAIT:?}: OSC 52 did not reach tmux");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(buffer, commands.join("\n"));
    pane.keys("q");
    pane.assert_restored();
    took("copy", clock);
}

#[test]
fn q_quits_and_restores_the_terminal() {
    let lab = lab(SCENARIO);
    let (pane, clock) = started(&lab);
    pane.wait_for_the_verdict();
    assert_eq!(pane.format("#{alternate_on}"), "1", "the checklist is not on the alternate screen");
    pane.keys("q");
    pane.assert_restored();
    took("quit", clock);
}

#[test]
fn sigterm_restores_the_terminal() {
    let lab = lab(SCENARIO);
    let (pane, clock) = started(&lab);
    pane.wait_for_the_verdict();
    let pid = pane.doctor_pid();
    let status = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
    assert!(status.success());
    pane.assert_restored();
    took("SIGTERM", clock);
}

#[test]
fn onboard_shows_the_steps_and_the_remedy_then_leaves_its_summary() {
    let lab = lab(SCENARIO);
    let clock = Instant::now();
    // The smallest terminal the screen is made for.
    let pane = Pane::start_with(&lab, 80, 24, &["onboard"]);
    let screen = pane.wait_until("the steps with the run settled and the first step to do selected", |s| {
        s.contains("Steps ─") && s.contains("✔ 4 of 6 steps done · ✖ 2 to do") && s.contains("Remedy")
    });
    assert!(screen.contains("✖ to do    3. Create the connector role xpander-redshift-access"), "{screen}");
    assert!(screen.contains("✔ done     1. Create the base role"), "{screen}");
    assert!(screen.contains("Step 3 of 6. Create the connector role xpander-redshift-access"), "{screen}");
    assert!(screen.contains("✖ to do  chain.self_assume[warehouse]"), "{screen}");
    assert_eq!(pane.format("#{alternate_on}"), "1", "the steps are not on the alternate screen");

    // j moves to the next step, which is done.
    pane.keys("j");
    pane.wait_until("step 4's details", |s| s.contains("Step 4 of 6.") && !s.contains("Remedy"));
    pane.keys("q");
    let scrollback = pane.assert_left(&["Steps ─", "Details ─"]);
    // The same summary as the plain run, kept in the scrollback.
    let plain = doctor_in(&lab, &["onboard"]);
    let summary: Vec<&str> = plain.stdout.lines().filter(|l| !l.is_empty()).collect();
    assert!(summary[0].starts_with("Onboarding xpander: 4 of 6 steps done"), "{}", plain.stdout);
    for line in &summary {
        assert!(
            scrollback.lines().any(|l| l.trim_end() == line.trim_end()),
            "{line:?} is not in the scrollback:\n{scrollback}"
        );
    }
    took("onboard", clock);
}
