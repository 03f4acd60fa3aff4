//! The application: reads the command line and configuration, runs the engine, streams or
//! renders the report, and decides the exit code. Exit codes (a contract): 0 nothing failed,
//! 1 a check failed or errored (or warned, with `--strict`), 2 bad usage, bad configuration,
//! or the tool's own crash.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::sync::mpsc;

use crate::aws::ResolvedRegion;
use crate::catalog::{Catalog, catalog};
use crate::checks::identity::{CallerIdentity, Survey, pod_facts};
use crate::cli::{Args, Command, Format};
use crate::config::Config;
use crate::engine::{Board, Ctx, Event};
use crate::report::style::Style;
use crate::report::{self, CheckReport, Context, Report};
use crate::world::World;

/// Exit code for usage and configuration errors, and for the tool's own crash.
pub const EXIT_USAGE: u8 = 2;

/// Runs the command line and returns the process exit code. Never panics: a crash inside is
/// reported on stderr and exits 2.
pub fn main(args: &Args) -> u8 {
    if let Ok(code) = std::panic::catch_unwind(AssertUnwindSafe(|| run(args))) {
        code
    } else {
        eprintln!(
            "connector-doctor: internal error: the tool crashed. Please report this with the command you ran."
        );
        EXIT_USAGE
    }
}

fn run(args: &Args) -> u8 {
    match &args.command {
        Some(Command::Explain { code }) => explain(args, code),
        Some(Command::ListChecks) => list_checks(args),
        Some(Command::Onboard(o)) => crate::onboard::cli::run(args, o),
        None => diagnose(args),
    }
}

/// Why output stopped early.
pub(crate) enum Stop {
    /// The reader went away (`| head`): that is success, not an error.
    BrokenPipe,
    /// Another write error.
    Failed(std::io::Error),
}

/// Where the report goes: stdout, or the `--output` file.
pub(crate) struct Sink {
    out: Box<dyn Write>,
}

impl Sink {
    pub(crate) fn open(args: &Args) -> Result<Self, u8> {
        let out: Box<dyn Write> = match &args.output {
            Some(path) => match std::fs::File::create(path) {
                Ok(f) => Box::new(std::io::BufWriter::new(f)),
                Err(e) => {
                    eprintln!("connector-doctor: cannot write {}: {e}", path.display());
                    return Err(EXIT_USAGE);
                }
            },
            None => Box::new(std::io::stdout()),
        };
        Ok(Self { out })
    }

    pub(crate) fn write(&mut self, text: &str) -> Result<(), Stop> {
        self.out.write_all(text.as_bytes()).and_then(|()| self.out.flush()).map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe { Stop::BrokenPipe } else { Stop::Failed(e) }
        })
    }
}

/// Maps a write outcome to an exit code: a closed pipe is success.
pub(crate) fn finish(result: Result<(), Stop>, code: u8) -> u8 {
    match result {
        Ok(()) => code,
        Err(Stop::BrokenPipe) => 0,
        Err(Stop::Failed(e)) => {
            eprintln!("connector-doctor: cannot write the report: {e}");
            EXIT_USAGE
        }
    }
}

pub(crate) fn style_for(args: &Args, world: &World) -> Style {
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    Style::decide(
        args.color,
        to_terminal,
        world.var("NO_COLOR").is_some(),
        world.var("TERM").is_some_and(|t| t == "dumb"),
    )
}

/// Whether the run gets a screen rather than a report: stdout and stdin are a terminal that
/// can draw, and no report was asked for (an explicit --format, even text, asks for one).
pub(crate) fn interactive(args: &Args, world: &World) -> bool {
    args.format.is_none()
        && !args.json
        && args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::io::stdin().is_terminal()
        && world.var("TERM").is_some_and(|t| t != "dumb")
}

fn diagnose(args: &Args) -> u8 {
    let config = match Config::load(args.config.as_deref(), &args.overrides()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("connector-doctor: configuration error: {e}");
            return EXIT_USAGE;
        }
    };
    let world = World::from_process();
    let style = style_for(args, &world);
    let mut sink = match Sink::open(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Some(runtime) = runtime() else { return EXIT_USAGE };
    for id in config.connectors.iter().filter_map(|c| c.external_id.as_ref()) {
        world.redactor.remember(id.expose());
    }
    let code = if interactive(args, &world) {
        runtime.block_on(checklist(args, config, world, style))
    } else {
        runtime.block_on(run_and_report(args, config, world, style, &mut sink))
    };
    // A check stuck in a blocking call (a slow resolver) must not keep the process alive past
    // its deadline: the runtime waits for such threads only briefly.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}

/// Runs the engine, streaming text as checks settle, then writes the report in its format.
async fn run_and_report(args: &Args, config: Config, world: World, style: Style, sink: &mut Sink) -> u8 {
    let streaming = args.format() == Format::Text && args.output.is_none();
    let strict = args.strict;
    let format = args.format();

    let region = ResolvedRegion::resolve(&world, &config);
    let timeout = config.timeout;
    let zero_config = config.connectors.is_empty();
    let config = Arc::new(config);
    let ctx = Arc::new(Ctx { world, config: config.clone(), board: Board::default() });
    let engine = crate::checks::engine(&config);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let started_at = SystemTime::now();
    let clock = Instant::now();
    let mut written = Ok(());
    if streaming {
        written = sink.write(&report::text::header(style, &region.name, region.from));
    }
    let run = engine.run(ctx.clone(), 1, timeout, tx);
    tokio::pin!(run);
    let show = |event: Event, sink: &mut Sink, written: &mut Result<(), Stop>| {
        if let (true, Ok(()), Event::Finished(f)) = (streaming, &*written, event) {
            *written = sink.write(&report::text::check(
                style,
                &CheckReport::from_finished(&f, catalog(), &pod_facts(&ctx)),
            ));
        }
    };
    let results = loop {
        tokio::select! {
            results = &mut run => break results,
            Some(event) = rx.recv() => show(event, sink, &mut written),
        }
    };
    while let Ok(event) = rx.try_recv() {
        show(event, sink, &mut written);
    }
    let report = Report::build(
        &results,
        catalog(),
        context(&ctx, &region),
        &pod_facts(&ctx),
        started_at,
        clock.elapsed(),
    );
    let code = report.summary.exit_code(strict);
    if written.is_ok() {
        written = sink.write(&match format {
                Format::Json => report::json::render(&report),
                Format::Markdown => report::markdown::render(&report),
                Format::Text if streaming => {
                    let mut footer = report::text::footer(style, &report);
                    if zero_config {
                        footer.push_str(&style.dim(
                            "Only the identity link was checked: add [[connector]] entries to connector-doctor.toml to check role chains and data access.\n",
                        ));
                    }
                    footer
                }
                Format::Text => report::text::render(style, &report, region.from),
            });
    }
    if let Some(path) = &args.output
        && written.is_ok()
    {
        eprintln!("connector-doctor: report written to {}", path.display());
    }
    finish(written, code)
}

/// The interactive checklist; when it closes, the summary stays in the scrollback.
async fn checklist(args: &Args, config: Config, world: World, style: Style) -> u8 {
    let region = ResolvedRegion::resolve(&world, &config);
    let timeout = config.timeout;
    let config = Arc::new(config);
    let ctx = Arc::new(Ctx { world, config: config.clone(), board: Board::default() });
    let engine = crate::checks::engine(&config);
    let initial = Context { region: region.name.clone(), credential_source: None, caller_arn: None };
    let mut app = crate::tui::App::new(engine.plan(), catalog(), initial, style.color);
    if let Err(e) = crate::tui::run_terminal(&mut app, &engine, &ctx, timeout).await {
        eprintln!("connector-doctor: the terminal could not be used ({e}); run with --format text");
        return EXIT_USAGE;
    }
    let summary = app.summary();
    println!("{}", style.status(summary.status, &summary.line()));
    // Leaving before every check settled proves nothing about the rest.
    let unfinished = app.results.len() < app.rows.len();
    summary.exit_code(args.strict).max(u8::from(unfinished))
}

fn context(ctx: &Ctx, region: &ResolvedRegion) -> Context {
    let survey = ctx.board.get::<Survey>(None);
    let caller = ctx.board.get::<CallerIdentity>(None);
    Context {
        region: region.name.clone(),
        credential_source: survey
            .map(|s| if s.present.is_empty() { "none".to_owned() } else { s.winner.name().to_owned() }),
        caller_arn: caller.map(|c| c.arn.clone()),
    }
}

fn explain(args: &Args, name: &str) -> u8 {
    let cat: &Catalog = catalog();
    let Some(entry) = cat.code_named(name.trim()) else {
        let near: Vec<&str> = cat
            .codes()
            .map(|c| c.code.as_str())
            .filter(|c| name.split('-').filter(|w| w.len() > 2).any(|w| c.contains(w)))
            .collect();
        let hint =
            if near.is_empty() { String::new() } else { format!(" Did you mean: {}?", near.join(", ")) };
        eprintln!(
            "connector-doctor: unknown failure code {name:?}.{hint} `connector-doctor list-checks` lists every code."
        );
        return EXIT_USAGE;
    };
    let world = World::from_process();
    let style = style_for(args, &world);
    let code = crate::outcome::Code::parse(&entry.code);
    let remedy = code.and_then(|c| cat.remedy(c, &crate::outcome::Facts::new()));
    let mut out = format!(
        "{} ({} · reported by {})\n{}\n\n",
        style.bold(&entry.code),
        style.status(entry.status, entry.status.word()),
        entry.checks.join(", "),
        entry.title
    );
    if let Some(remedy) = remedy {
        out.push_str(remedy.text.trim());
        out.push('\n');
        if !remedy.commands.is_empty() {
            out.push('\n');
            for c in &remedy.commands {
                let _ = writeln!(out, "  $ {c}");
            }
        }
        out.push_str(
            &style.dim("\nValues in <angle brackets> are filled in from the live run in a report.\n"),
        );
    }
    let mut sink = match Sink::open(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    finish(sink.write(&out), 0)
}

fn list_checks(args: &Args) -> u8 {
    let cat = catalog();
    let world = World::from_process();
    let style = style_for(args, &world);
    let mut out = String::new();
    for link in &cat.links {
        let _ = writeln!(out, "{}", style.bold(&link.title));
        for check in &link.checks {
            let needs = if check.depends_on.is_empty() {
                String::new()
            } else {
                format!(" · needs {}", check.depends_on.join(", "))
            };
            let deadline = format!("deadline {:.0} s{needs}", check.deadline().as_secs_f64());
            let _ = writeln!(out, "  {:<24}{}  {}", check.id, check.title, style.dim(&deadline));
            let _ = writeln!(out, "  {:<24}{}", "", check.proves);
            let codes: Vec<String> = cat
                .codes_of(&check.id)
                .iter()
                .map(|c| {
                    if c.status == crate::outcome::Status::Warn {
                        format!("{} (warn)", c.code)
                    } else {
                        c.code.clone()
                    }
                })
                .collect();
            if !codes.is_empty() {
                let _ = writeln!(out, "  {:<24}{}", "", style.dim(&format!("codes: {}", codes.join(", "))));
            }
        }
        out.push('\n');
    }
    let mut sink = match Sink::open(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    finish(sink.write(&out), 0)
}

/// The async runtime a command runs its checks on (two workers: the checks wait on the network,
/// not the CPU); `None`, said on stderr, when it cannot start.
pub fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("connector-doctor: cannot start the async runtime: {e}");
            None
        }
    }
}
