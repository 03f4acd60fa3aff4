//! The checklist as a whole. The app is driven by scripted engine events and real key events,
//! drawn on a test backend, and compared with committed screens (insta snapshots, colour off,
//! at 80×24 where the panes stack and at 200×50 where they sit side by side). The loop itself
//! runs on a test backend too, to prove that an idle screen draws nothing.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures::FutureExt;
use futures::future::BoxFuture;
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Size};
use ratatui::style::{Color, Modifier};
use ratatui::text::Span;

use super::app::{App, Command, Focus, Mode};
use super::{Input, run_loop};
use crate::catalog::catalog;
use crate::config::Config;
use crate::engine::{Board, Check, Ctx, Engine, Event, Finished, Plan, Planned};
use crate::outcome::{CheckKey, Code, Evidence, Outcome};
use crate::report::Context;
use crate::world::{SystemClock, World};

/// Two connectors, as an xpander pod might have them: 5 identity checks and 4 chain checks each.
const CONFIG: &str = r#"
region = "us-west-1"
base_role_arn = "arn:aws:iam::111122223333:role/xpander-base-role"
cluster_name = "xpander-prod"
preset = "xpander"

[[connector]]
name = "warehouse"
kind = "redshift"
role_arn = "arn:aws:iam::111122223333:role/xpander-redshift-access"
cluster_id = "xpander-redshift"
database = "xpander_demo"

[[connector]]
name = "app-db"
kind = "rds"
role_arn = "arn:aws:iam::111122223333:role/vcluster-db"
instance_id = "app-db"
user = "postgres"
database = "postgres"
"#;

const BASE_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/xpander-base-role/eks-xpander-prod-xpander-ai-gateway-6b7f9c8d4-q2w7x";

/// The two screen sizes every snapshot is taken at: stacked panes, and side by side.
const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

// ---------------------------------------------------------------------------------------
// A scripted run.

/// An app and the plan it was made from, fed events the way the loop feeds them.
struct Script {
    plan: Plan,
    app: App,
}

impl Script {
    fn new() -> Self {
        let config = Config::from_toml(std::path::Path::new("connector-doctor.toml"), CONFIG).unwrap();
        let plan = Plan::build(catalog(), &config, &crate::checks::factory);
        let context = Context {
            region: "us-west-1".to_owned(),
            credential_source: Some("pod-identity".to_owned()),
            caller_arn: Some(BASE_SESSION.to_owned()),
        };
        let app = App::new(&plan, catalog(), context, false);
        Self { plan, app }
    }

    /// The plan's key written as the screen writes it, such as `chain.assume[app-db]`.
    fn key(&self, name: &str) -> CheckKey {
        self.plan
            .checks
            .iter()
            .map(|p| p.key.clone())
            .find(|k| k.to_string() == name)
            .unwrap_or_else(|| panic!("no check {name} in the plan"))
    }

    fn started(&mut self, name: &str) {
        let event = Event::Started { generation: self.app.generation, key: self.key(name) };
        self.app.on_engine(&event);
    }

    /// The `Finished` event of `name` in run `generation`, as the engine would send it.
    fn finished_event(&self, name: &str, generation: u64, outcome: Outcome, ms: u64) -> Event {
        let key = self.key(name);
        let depends_on = self.plan.checks.iter().find(|p| p.key == key).unwrap().depends_on.clone();
        Event::Finished(Arc::new(Finished {
            key,
            generation,
            outcome,
            duration: Duration::from_millis(ms),
            depends_on,
        }))
    }

    fn finished(&mut self, name: &str, outcome: Outcome, ms: u64) {
        let event = self.finished_event(name, self.app.generation, outcome, ms);
        self.app.on_engine(&event);
    }

    /// A skip decided by the engine: `root` did not pass.
    fn blocked(&mut self, name: &str, root: &str) {
        let root = self.key(root);
        let summary = format!("Not run: {root} did not pass.");
        self.finished(name, Outcome::blocked(root, summary), 0);
    }

    /// The run ends; its time is pinned so that the header is stable.
    fn done(&mut self) {
        self.app.on_engine(&Event::Done { generation: self.app.generation });
        self.app.took = Some(Duration::from_millis(42));
    }

    fn press(&mut self, code: KeyCode) -> Vec<Command> {
        self.app.on_key(&KeyEvent::new(code, KeyModifiers::NONE), 10)
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            assert_eq!(self.press(KeyCode::Char(c)), Vec::new());
        }
    }

    /// The healthy identity link of a Pod Identity pod.
    fn identity_passes(&mut self) {
        self.finished("identity.source", Outcome::pass("The pod's SDKs will use EKS Pod Identity."), 1);
        self.finished(
            "identity.token",
            Outcome::pass(
                "A valid token for system:serviceaccount:xpander:xpander, audience pods.eks.amazonaws.com, \
                 expires in 1 d 0 h.",
            ),
            7,
        );
        self.finished(
            "identity.agent",
            Outcome::pass("The agent handed out credentials (ASIA…6254), valid until 2026-11-21T13:51:41Z."),
            2,
        );
        self.finished(
            "identity.web_identity",
            Outcome::not_applicable("No IRSA variables (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE) are set."),
            0,
        );
        self.finished(
            "identity.caller",
            Outcome::pass(format!(
                "STS says the caller is {BASE_SESSION} (account 111122223333), using EKS Pod Identity."
            )),
            48,
        );
    }

    fn assume_passes(&mut self, connector: &str, role: &str) {
        self.finished(
            &format!("chain.assume[{connector}]"),
            Outcome::pass(format!(
                "{BASE_SESSION} assumed arn:aws:sts::111122223333:assumed-role/{role}/connector-doctor, \
                 valid until 2026-11-21T08:51:42Z. PackedPolicySize 75 %."
            )),
            9,
        );
    }

    /// Every check passes (or does not apply).
    fn all_pass(&mut self) {
        self.identity_passes();
        for (connector, role) in [("warehouse", "xpander-redshift-access"), ("app-db", "vcluster-db")] {
            self.assume_passes(connector, role);
            self.finished(
                &format!("chain.tag_session[{connector}]"),
                Outcome::pass(format!(
                    "Tagged hops into arn:aws:iam::111122223333:role/{role} work; the connector's hop fills \
                     75 % of STS's packed space (with the probe tag: 81 %)."
                )),
                9,
            );
            self.finished(
                &format!("chain.self_assume[{connector}]"),
                Outcome::pass(format!("{role} can assume itself without an ExternalId.")),
                17,
            );
            self.finished(
                &format!("chain.external_id[{connector}]"),
                Outcome::not_applicable(format!("No ExternalId is configured for {connector}.")),
                0,
            );
            self.finished(
                &format!("chain.policies[{connector}]"),
                Outcome::pass(format!(
                    "The real policies of {role} hold every statement the preset requires."
                )),
                21,
            );
        }
        let at = "app-db.c9akciq32lab.us-west-1.rds.amazonaws.com:5432";
        self.finished(
            "rds.instance[app-db]",
            Outcome::pass(format!(
                "The instance app-db (postgres, available) is at {at}, resource id \
                 db-ABCDEFGHIJKLMNOPQRSTUVWXYZ, IAM authentication on."
            )),
            12,
        );
        self.finished(
            "rds.token[app-db]",
            Outcome::pass(format!("Signed an IAM auth token for postgres at {at} in us-west-1.")),
            0,
        );
        self.finished(
            "rds.connect[app-db]",
            Outcome::pass(format!("Logged in to postgres as postgres at {at} over TLSv1_3.")),
            31,
        );
        self.finished("rds.grant[app-db]", Outcome::pass("postgres is a member of rds_iam."), 2);
        let user = "IAMR:xpander-redshift-access";
        self.finished(
            "redshift.cluster[warehouse]",
            Outcome::pass("The cluster xpander-redshift is available at xpander-redshift.1791a4c0f069.us-west-1.redshift.amazonaws.com:5439."),
            13,
        );
        self.finished(
            "redshift.credentials[warehouse]",
            Outcome::pass(format!("redshift:GetClusterCredentialsWithIAM for database xpander_demo maps the role to the database user {user}.")),
            5,
        );
        self.finished(
            "redshift.query[warehouse]",
            Outcome::pass(format!(
                "The Data API ran select current_user, version() on database xpander_demo as {user}."
            )),
            320,
        );
        self.finished(
            "redshift.grants[warehouse]",
            Outcome::pass(format!("{user} has USAGE on schema public in database xpander_demo and may SELECT all 2 of its tables.")),
            320,
        );
        self.finished(
            "redshift.catalog[warehouse]",
            Outcome::pass("pg_catalog.svv_all_columns shows 12 columns of schema public."),
            310,
        );
        for connector in ["warehouse", "app-db"] {
            self.finished(&format!("net.dns[{connector}]"), Outcome::pass("Resolved in 2 ms."), 2);
            self.finished(&format!("net.tcp[{connector}]"), Outcome::pass("Every destination is open."), 3);
        }
        self.finished(
            "net.security_groups[warehouse]",
            Outcome::not_applicable("warehouse reaches only HTTPS endpoints."),
            0,
        );
        self.finished(
            "net.security_groups[app-db]",
            Outcome::pass("sg-0db admits this pod on 5432 (from sg-0nodes)."),
            40,
        );
        self.finished("net.tls[warehouse]", Outcome::pass("TLS 1.3 with the Redshift Data API."), 21);
        self.finished("net.tls[app-db]", Outcome::not_applicable("app-db has no HTTPS destination."), 0);
        self.done();
    }

    /// A warning and two failures: app-db's hop is refused by its trust policy (so its other
    /// chain checks are skipped, naming it), warehouse's session tags nearly fill their space,
    /// and warehouse's role cannot assume itself.
    fn mixed(&mut self) {
        self.identity_passes();
        self.assume_passes("warehouse", "xpander-redshift-access");
        self.finished("chain.assume[app-db]", assume_denied_by_trust(), 11);
        self.finished(
            "chain.tag_session[warehouse]",
            Outcome::warn(
                Code::PackedPolicyNearLimit,
                "The connector's hop fills 91 % of STS's packed space for session tags; a few more tags \
                 and the hop fails with PackedPolicyTooLarge.",
            )
            .facts(&connector_facts("warehouse", "xpander-redshift-access"))
            .fact("packed_percent", "91"),
            9,
        );
        self.blocked("chain.tag_session[app-db]", "chain.assume[app-db]");
        self.finished("chain.self_assume[warehouse]", self_assume_denied(), 17);
        self.blocked("chain.self_assume[app-db]", "chain.assume[app-db]");
        self.finished(
            "chain.external_id[warehouse]",
            Outcome::not_applicable("No ExternalId is configured for warehouse."),
            0,
        );
        self.blocked("chain.external_id[app-db]", "chain.assume[app-db]");
        for connector in ["warehouse", "app-db"] {
            self.finished(
                &format!("chain.policies[{connector}]"),
                Outcome::not_applicable(
                    "No preset is configured, so there is nothing to compare the policies with.",
                ),
                0,
            );
        }
        for check in ["rds.instance", "rds.token", "rds.connect", "rds.grant"] {
            self.blocked(&format!("{check}[app-db]"), "chain.assume[app-db]");
        }
        self.finished(
            "redshift.cluster[warehouse]",
            Outcome::pass("The cluster xpander-redshift is available."),
            13,
        );
        self.finished(
            "redshift.credentials[warehouse]",
            Outcome::pass("The role maps to the database user IAMR:xpander-redshift-access."),
            5,
        );
        for check in ["redshift.query", "redshift.grants", "redshift.catalog"] {
            self.finished(&format!("{check}[warehouse]"), Outcome::pass("The statement ran."), 300);
        }
        for check in ["net.dns", "net.security_groups", "net.tcp", "net.tls"] {
            self.finished(&format!("{check}[warehouse]"), Outcome::pass("Reachable."), 3);
            self.blocked(&format!("{check}[app-db]"), "chain.assume[app-db]");
        }
        self.done();
    }

    /// Every screen size's text, each in its own snapshot.
    fn assert_screens(&self, name: &str) {
        for (width, height) in SIZES {
            insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen(&self.app, width, height));
        }
    }
}

fn connector_facts(connector: &str, role: &str) -> crate::outcome::Facts {
    [
        ("connector", connector.to_owned()),
        ("connector_role_arn", format!("arn:aws:iam::111122223333:role/{role}")),
        ("connector_role_name", role.to_owned()),
        ("base_role_arn", "arn:aws:iam::111122223333:role/xpander-base-role".to_owned()),
        ("base_role_name", "xpander-base-role".to_owned()),
        ("session_name", "connector-doctor".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn assume_denied_by_trust() -> Outcome {
    Outcome::fail(
        Code::AssumeDeniedByTrust,
        "No statement of vcluster-db's trust policy admits arn:aws:iam::111122223333:role/xpander-base-role.",
    )
    .facts(&connector_facts("app-db", "vcluster-db"))
    .evidence(
        Evidence::call("sts:AssumeRole")
            .http_status(403)
            .error_code("AccessDenied")
            .request_id(Some("0f4c2a57-6a51-4a0e-9a49-4d0c8e0f3b21")),
    )
}

fn self_assume_denied() -> Outcome {
    Outcome::fail(
        Code::SelfAssumeDenied,
        "arn:aws:sts::111122223333:assumed-role/xpander-redshift-access/connector-doctor cannot assume \
         arn:aws:iam::111122223333:role/xpander-redshift-access again: the trust policy needs a statement \
         naming the role itself (SelfAssume), and the role's own policy must allow sts:AssumeRole and \
         sts:TagSession on itself.",
    )
    .facts(&connector_facts("warehouse", "xpander-redshift-access"))
    .evidence(
        Evidence::call("sts:AssumeRole (self-assume, without an ExternalId)")
            .http_status(403)
            .error_code("AccessDenied")
            .request_id(Some("40396a1c-c154-42be-ad33-adbf37138db8")),
    )
}

// ---------------------------------------------------------------------------------------
// Drawing.

fn draw(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| f.render_widget(app, f.area())).unwrap();
    terminal.backend().buffer().clone()
}

/// A buffer's text, one line per row, trailing blanks trimmed.
fn text(buffer: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buffer.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            skip = Span::raw(symbol).width().saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn screen(app: &App, width: u16, height: u16) -> String {
    text(&draw(app, width, height))
}

/// The row of `buffer` whose text contains `needle`.
fn row_of(buffer: &Buffer, needle: &str) -> u16 {
    (0..buffer.area.height)
        .find(|&y| {
            let line: String = (0..buffer.area.width).map(|x| buffer[(x, y)].symbol()).collect();
            line.contains(needle)
        })
        .unwrap_or_else(|| panic!("{needle} is not on screen:\n{}", text(buffer)))
}

// ---------------------------------------------------------------------------------------
// Screens.

#[test]
fn running_shows_a_spinner_on_each_running_check() {
    let mut s = Script::new();
    s.finished("identity.source", Outcome::pass("The pod's SDKs will use EKS Pod Identity."), 1);
    s.finished("identity.token", Outcome::pass("A valid token."), 7);
    s.started("identity.agent");
    s.finished(
        "identity.web_identity",
        Outcome::not_applicable("No IRSA variables (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE) are set."),
        0,
    );
    s.app.spinner = 3;
    assert!(s.app.is_running());
    assert_eq!(s.app.took, None);
    s.assert_screens("running");

    // The spinner moves only by ticks, and each tick asks for a frame.
    s.app.dirty = false;
    s.app.tick();
    assert!(s.app.dirty);
    let after = screen(&s.app, 200, 50);
    assert!(after.contains("⠼ run  identity.agent"), "{after}");
    assert!(after.contains("⠼ running"), "{after}");
}

#[test]
fn all_passed() {
    let mut s = Script::new();
    for p in &s.plan.checks {
        let event = Event::Started { generation: 1, key: p.key.clone() };
        s.app.on_engine(&event);
    }
    s.all_pass();
    assert!(!s.app.is_running());
    assert_eq!(s.app.selected, 0, "with nothing wrong, the selection stays at the top");
    assert_eq!(s.app.summary().line(), "✔ 27 passed · – 5 skipped");
    s.assert_screens("all_passed");
}

#[test]
fn a_finished_run_selects_its_first_problem_and_shows_its_remedy() {
    let mut s = Script::new();
    s.mixed();
    assert_eq!(s.app.selected_key(), Some(s.key("chain.assume[app-db]")));
    assert_eq!(s.app.summary().line(), "✔ 14 passed · ▲ 1 warned · ✖ 2 failed · – 15 skipped");
    s.assert_screens("failures_first_problem");
}

#[test]
fn moving_to_a_failed_check_shows_its_remedy_filled_in() {
    let mut s = Script::new();
    s.mixed();
    for _ in 0..3 {
        assert_eq!(s.press(KeyCode::Char('j')), Vec::new());
    }
    let key = s.key("chain.self_assume[warehouse]");
    assert_eq!(s.app.selected_key(), Some(key.clone()));
    let remedy = s.app.report_of(&key).unwrap().remedy.unwrap();
    assert_eq!(remedy.unfilled, Vec::<String>::new());
    s.assert_screens("failures_self_assume_remedy");

    // Below 100 columns the details pane is short: Tab focuses it and the arrows scroll it to
    // the commands.
    assert_eq!(s.press(KeyCode::Tab), Vec::new());
    assert_eq!(s.app.focus, Focus::Details);
    s.press(KeyCode::PageDown);
    s.press(KeyCode::PageDown);
    s.press(KeyCode::Down);
    s.press(KeyCode::Down);
    s.press(KeyCode::Up);
    assert_eq!(s.app.detail_scroll, 21);
    assert_eq!(s.app.selected_key(), Some(key), "the arrows scroll the details, not the list");
    insta::assert_snapshot!("failures_self_assume_commands_80x24", screen(&s.app, 80, 24));
}

#[test]
fn a_skip_names_the_check_that_blocked_it() {
    let mut s = Script::new();
    s.mixed();
    // From the auto-selected chain.assume[app-db], two rows down is chain.tag_session[app-db].
    s.press(KeyCode::Char('j'));
    s.press(KeyCode::Char('j'));
    let key = s.key("chain.tag_session[app-db]");
    assert_eq!(s.app.selected_key(), Some(key.clone()));
    assert_eq!(s.app.results[&key].outcome.blocked_by, Some(s.key("chain.assume[app-db]")));
    let shown = screen(&s.app, 200, 50);
    assert!(shown.contains("– skip chain.tag_session[app-db]  blocked by chain.assume[app-db]"), "{shown}");
    assert!(shown.contains("Not run: chain.assume[app-db] did not pass."), "{shown}");
    s.assert_screens("skip_blocked_by");
}

#[test]
fn help_lists_every_binding_and_any_key_closes_it() {
    let mut s = Script::new();
    s.all_pass();
    assert_eq!(s.press(KeyCode::Char('?')), Vec::new());
    assert_eq!(s.app.mode, Mode::Help);
    let shown = screen(&s.app, 80, 24);
    for b in super::keys::BINDINGS {
        assert!(shown.contains(b.help), "the help lacks {:?}:\n{shown}", b.help);
    }
    s.assert_screens("help");

    // Any key closes it without acting; q closes it and quits.
    assert_eq!(s.press(KeyCode::Char('R')), Vec::new());
    assert_eq!(s.app.mode, Mode::Checklist);
    assert_eq!(s.app.generation, 1, "the key that closed the help did not re-run");
    s.press(KeyCode::Char('?'));
    assert_eq!(s.press(KeyCode::Esc), Vec::new(), "Esc only closes the help");
    s.press(KeyCode::Char('?'));
    assert_eq!(s.press(KeyCode::Char('q')), vec![Command::Quit]);
}

#[test]
fn filter_by_text_then_keep_or_clear_it() {
    let mut s = Script::new();
    s.mixed();
    assert_eq!(s.press(KeyCode::Char('/')), Vec::new());
    assert_eq!(s.app.mode, Mode::Filter);
    s.type_text("self");
    let visible: Vec<String> = s.app.visible().iter().map(|r| r.key.to_string()).collect();
    assert_eq!(visible, ["chain.self_assume[warehouse]", "chain.self_assume[app-db]"]);
    s.assert_screens("filter_typing");

    // Enter keeps the filter; Esc in a new filter clears it.
    s.press(KeyCode::Enter);
    assert_eq!((s.app.mode.clone(), s.app.filter.as_str()), (Mode::Checklist, "self"));
    assert_eq!(s.app.visible().len(), 2);
    s.press(KeyCode::Char('/'));
    s.press(KeyCode::Esc);
    assert_eq!((s.app.mode.clone(), s.app.filter.as_str()), (Mode::Checklist, ""));
    assert_eq!(s.app.visible().len(), s.plan.checks.len());

    // The filter also matches failure codes.
    s.press(KeyCode::Char('/'));
    s.type_text("denied");
    let visible: Vec<String> = s.app.visible().iter().map(|r| r.key.to_string()).collect();
    assert_eq!(visible, ["chain.assume[app-db]", "chain.self_assume[warehouse]"]);
}

#[test]
fn problems_only_lists_fail_warn_and_error() {
    let mut s = Script::new();
    s.mixed();
    s.press(KeyCode::Char('f'));
    let visible: Vec<String> = s.app.visible().iter().map(|r| r.key.to_string()).collect();
    assert_eq!(
        visible,
        ["chain.assume[app-db]", "chain.tag_session[warehouse]", "chain.self_assume[warehouse]"]
    );
    s.press(KeyCode::Char('f'));
    assert_eq!(s.app.visible().len(), s.plan.checks.len());
}

#[test]
fn a_rerun_ignores_results_of_the_run_it_replaced() {
    let mut s = Script::new();
    s.mixed();
    assert_eq!(s.press(KeyCode::Char('R')), vec![Command::Run { generation: 2, only: None }]);
    assert_eq!(s.app.generation, 2);
    assert!(s.app.results.is_empty(), "a full re-run forgets every result");
    assert_eq!(s.app.took, None);

    // Run 1's last result arrives late: nothing changes, not even a frame.
    s.app.dirty = false;
    let stale = s.finished_event("chain.self_assume[warehouse]", 1, self_assume_denied(), 17);
    s.app.on_engine(&stale);
    s.app.on_engine(&Event::Started { generation: 1, key: s.key("identity.caller") });
    s.app.on_engine(&Event::Done { generation: 1 });
    assert!(s.app.results.is_empty(), "a result of run 1 was taken as current");
    assert!(!s.app.is_running());
    assert_eq!(s.app.took, None, "run 1's end ended run 2");
    assert!(!s.app.dirty, "a stale event asked for a frame");

    // Run 2 goes on.
    s.finished("identity.source", Outcome::pass("The pod's SDKs will use EKS Pod Identity."), 1);
    s.started("identity.token");
    s.app.spinner = 0;
    assert_eq!(s.app.results.len(), 1);
    s.assert_screens("rerun_ignores_stale");
}

#[test]
fn r_reruns_the_selected_check_and_what_depends_on_it() {
    let mut s = Script::new();
    s.mixed();
    // The auto-selected chain.assume[app-db] and its ten dependents.
    let commands = s.press(KeyCode::Char('r'));
    let expected: BTreeSet<CheckKey> = [
        "chain.assume[app-db]",
        "chain.tag_session[app-db]",
        "chain.self_assume[app-db]",
        "chain.external_id[app-db]",
        "rds.instance[app-db]",
        "rds.token[app-db]",
        "rds.connect[app-db]",
        "rds.grant[app-db]",
        "net.dns[app-db]",
        "net.security_groups[app-db]",
        "net.tcp[app-db]",
        "net.tls[app-db]",
    ]
    .iter()
    .map(|k| s.key(k))
    .collect();
    assert_eq!(commands, vec![Command::Run { generation: 2, only: Some(expected.clone()) }]);
    assert_eq!(s.app.message.as_deref(), Some("Re-running 12 check(s)."));
    assert_eq!(
        s.app.results.len(),
        s.plan.checks.len() - expected.len(),
        "the other checks keep their results"
    );
    assert!(s.app.results.keys().all(|k| !expected.contains(k)));
}

#[test]
fn c_copies_the_selected_remedys_commands() {
    let mut s = Script::new();
    s.mixed();
    s.press(KeyCode::Char('j'));
    s.press(KeyCode::Char('j'));
    s.press(KeyCode::Char('j'));
    let remedy = s.app.report_of(&s.key("chain.self_assume[warehouse]")).unwrap().remedy.unwrap();
    assert_eq!(s.press(KeyCode::Char('c')), vec![Command::Copy(remedy.commands.join("\n"))]);
    assert_eq!(
        s.app.message.as_deref(),
        Some(format!("Copied {} command(s) to your clipboard.", remedy.commands.len()).as_str())
    );
    // A check without a remedy has nothing to copy.
    s.press(KeyCode::Char('g'));
    assert_eq!(s.press(KeyCode::Char('c')), Vec::new());
    assert_eq!(s.app.message.as_deref(), Some("This check has no commands to copy."));
    // Ctrl-C quits, as in raw mode it arrives as a key.
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(s.app.on_key(&ctrl_c, 10), vec![Command::Quit]);
}

#[test]
fn without_colour_only_bold_and_reverse_remain() {
    let mut s = Script::new();
    s.mixed();
    let buffer = draw(&s.app, 200, 50);
    for cell in &buffer.content {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "a coloured cell: {cell:?}");
        assert!((Modifier::BOLD | Modifier::REVERSED).contains(cell.modifier), "{cell:?}");
    }
    // The selection shows without colour: its row is reversed.
    let y = row_of(&buffer, "✖ fail chain.assume[app-db]");
    assert!(buffer[(3, y)].modifier.contains(Modifier::REVERSED));
    let other = row_of(&buffer, "✔ pass chain.assume[warehouse]");
    assert!(!buffer[(3, other)].modifier.contains(Modifier::REVERSED));

    // With colour, a failure is red.
    s.app.color = true;
    let buffer = draw(&s.app, 200, 50);
    let y = row_of(&buffer, "✖ fail chain.self_assume[warehouse]");
    assert_eq!(buffer[(3, y)].fg, Color::Red);
}

// ---------------------------------------------------------------------------------------
// The loop: frames only when something changed.

/// A test backend that notes when each frame was flushed and what its first line said.
pub(super) struct Recorder {
    pub(super) inner: TestBackend,
    pub(super) frames: Vec<(Instant, String)>,
}

impl Backend for Recorder {
    type Error = std::convert::Infallible;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()?;
        let header = text(self.inner.buffer()).lines().next().unwrap_or_default().to_owned();
        self.frames.push((Instant::now(), header));
        Ok(())
    }
}

/// A check that takes a while and passes.
pub(super) struct Slow(pub(super) Duration);

impl Check for Slow {
    fn run<'a>(&'a self, _ctx: &'a Ctx) -> BoxFuture<'a, Outcome> {
        async move {
            tokio::time::sleep(self.0).await;
            Outcome::pass("done")
        }
        .boxed()
    }
}

#[tokio::test]
async fn an_idle_screen_draws_no_frames() {
    const IDLE: Duration = Duration::from_millis(2500);
    let engine = Engine::new(Plan {
        checks: vec![Planned {
            key: CheckKey::global("identity.source"),
            depends_on: Vec::new(),
            deadline: Duration::from_secs(10),
            check: Arc::new(Slow(Duration::from_millis(400))),
        }],
    });
    let ctx = Arc::new(Ctx {
        world: World::with_env(Vec::<(String, String)>::new(), Arc::new(SystemClock)),
        config: Arc::new(Config::default()),
        board: Board::default(),
    });
    let mut app = App::new(engine.plan(), catalog(), Context::default(), false);
    let mut terminal =
        Terminal::new(Recorder { inner: TestBackend::new(80, 24), frames: Vec::new() }).unwrap();
    // No key ever comes; SIGTERM does, once the run has long settled.
    let input = futures::stream::select(
        futures::stream::pending(),
        futures::stream::once(async {
            tokio::time::sleep(IDLE).await;
            Input::Terminate
        }),
    );
    let started = Instant::now();
    let mut out = Vec::new();
    let stats =
        run_loop(&mut terminal, &mut app, &engine, &ctx, Duration::from_secs(10), Box::pin(input), &mut out)
            .await;
    let ended = Instant::now();

    let frames = &terminal.backend().frames;
    assert_eq!(stats.frames, frames.len() as u64);
    let headers: Vec<&str> = frames.iter().map(|(_, h)| h.as_str()).collect();
    // The run's last frame is the one that shows its time instead of the spinner.
    let done = headers
        .iter()
        .position(|h| !h.contains("running"))
        .unwrap_or_else(|| panic!("the run never showed as done: {headers:#?}"));
    assert!(
        headers[done].starts_with("connector-doctor · ") && headers[done].contains(" ms · "),
        "{}",
        headers[done]
    );
    assert_eq!(done + 1, frames.len(), "frames were drawn after the run settled: {headers:#?}");
    let idle = ended - frames[done].0;
    assert!(
        idle >= Duration::from_secs(2),
        "the screen was idle only {idle:?} ({:?} in all)",
        ended - started
    );
    // While the check ran, the spinner moved, one frame per tick.
    let spinners: BTreeSet<&str> =
        headers[..done].iter().filter_map(|h| h.split(" · ").nth(1)?.split(' ').next()).collect();
    assert!(spinners.len() >= 2, "the spinner did not move: {headers:#?}");
    assert!(out.is_empty(), "nothing but frames was written");
    assert_eq!(app.results.len(), 1);
}

// ---------------------------------------------------------------------------------------
// The README.

/// The README's key table, as generated from the key table itself.
fn readme_key_table() -> String {
    let mut table = String::from("| key | what it does |\n|---|---|\n");
    for b in super::keys::BINDINGS {
        writeln!(table, "| `{}` | {} |", b.label, b.help).unwrap();
    }
    table
}

#[test]
fn the_readme_lists_every_key() {
    let readme = include_str!("../../README.md");
    let table = readme_key_table();
    assert!(
        readme.contains(&table),
        "the README's key table is not the one src/tui/keys.rs makes; paste this under \"The interactive checklist\":\n\n{table}"
    );
}
