//! `connector-doctor onboard`: reads the configuration and values, then prints the guide
//! (`--print`), the plan proof (`--check-plan`), or each step's live status.

use std::fmt::Write as _;

use std::sync::Arc;

use super::guide;
use super::progress;
use super::saved::Saved;
use super::values::Source;
use super::{Learned, Onboarding, parse_values};
use crate::app::{EXIT_USAGE, Sink, finish};
use crate::catalog::catalog;
use crate::checks::identity::Source as CredentialSource;
use crate::checks::identity::pod_facts;
use crate::cli::{Args, Format, OnboardArgs};
use crate::config::Config;
use crate::engine::{Board, Ctx};
use crate::report::CheckReport;
use crate::world::World;

/// Runs `onboard` and returns the exit code.
pub fn run(args: &Args, o: &OnboardArgs) -> u8 {
    let usage = |message: String| {
        eprintln!("connector-doctor: onboard: {message}");
        EXIT_USAGE
    };
    let config = match Config::load(args.config.as_deref(), &args.overrides()) {
        Ok(c) => c,
        Err(e) => return usage(format!("configuration error: {e}")),
    };
    let flags = match parse_values(&o.values) {
        Ok(g) => g,
        Err(e) => return usage(e.to_string()),
    };
    let mut saved = match Saved::load(&o.progress) {
        Ok(s) => s,
        Err(e) => return usage(format!("cannot read the progress file {e}")),
    };
    // The flag, then the configuration, then the last run choose the preset; the last run's
    // values only count for the same preset.
    let preset = o.preset.clone().or_else(|| config.preset.clone()).or_else(|| saved.preset.clone());
    if saved.preset.is_some() && saved.preset != preset {
        saved = Saved::default();
    }
    let remembered = saved.values_without(&flags);
    let world = World::from_process();
    let env = |k: &str| world.var(k).map(str::to_owned);
    let mut ob = match Onboarding::prepare_with_saved(preset.as_deref(), &config, &flags, &remembered, &env) {
        Ok(ob) => ob,
        Err(e) => return usage(e.to_string()),
    };
    if o.discover {
        match discover(&config, &world) {
            Some(learned) => {
                for e in ob.learn(&learned) {
                    eprintln!("connector-doctor: onboard: a discovered value is refused: {e}");
                }
            }
            None => eprintln!(
                "connector-doctor: onboard: the caller identity could not be learned; run connector-doctor to see why"
            ),
        }
    }
    saved.preset = Some(ob.preset.name.clone());
    saved.remember(&flags, |k| ob.preset.value(k).is_some_and(|v| v.secret));
    let proof = ob.prove();
    let mut sink = match Sink::open(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if o.check_plan {
        let mut out = String::new();
        for l in &proof.lines {
            let mark = if l.ok { "✔ pass" } else { "✖ fail" };
            let _ = writeln!(out, "{mark}  [{}] {}: {} — {}", l.connector, l.policy, l.what, l.detail);
        }
        for m in ob.values.missing(ob.preset) {
            let whose = m.connector.map(|c| format!(" (connector {c})")).unwrap_or_default();
            let _ = writeln!(out, "– wait  {}{whose}: missing; give it with --value {}=…", m.key, m.key);
        }
        let failed = proof.failures().count();
        let _ = writeln!(
            out,
            "{} requests proven, {failed} decided against the chain, {} requirements waiting for values",
            proof.lines.len(),
            proof.unproven.len()
        );
        keep(&saved, &o.progress);
        return finish(sink.write(&out), u8::from(!proof.holds()));
    }
    if !o.print {
        keep(&saved, &o.progress);
        return if crate::app::interactive(args, &world) {
            crate::tui::onboard::run(args, &ob, with_known_pod(config, &ob), world, &mut sink)
        } else {
            live(args, &ob, with_known_pod(config, &ob), world, &mut sink)
        };
    }
    keep(&saved, &o.progress);
    let script_name = o.script.as_ref().map(|p| p.display().to_string());
    let g = guide::render(&ob, &proof, script_name.as_deref());
    if let Some(path) = &o.script
        && let Err(e) = std::fs::write(path, &g.script)
    {
        return usage(format!("cannot write the script to {}: {e}", path.display()));
    }
    let missing = ob.values.missing(ob.preset);
    if !missing.is_empty() {
        let mut keys: Vec<&str> = missing.iter().map(|m| m.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        eprintln!(
            "connector-doctor: onboard: the guide still misses {}; see its \"Missing values\" section",
            keys.join(", ")
        );
    }
    finish(sink.write(&g.markdown), u8::from(proof.failures().next().is_some()))
}

/// Learns what AWS can tell: the account and the base role from the caller identity, and per
/// connector what its link's first check described (an RDS database's resource id and
/// endpoint, a Serverless workgroup's ARN). Runs the checks as a live run does; a link that
/// fails just teaches nothing.
fn discover(config: &Config, world: &World) -> Option<Vec<Learned>> {
    let runtime = crate::app::runtime()?;
    let config = Arc::new(config.clone());
    let ctx = Arc::new(Ctx { world: world.clone(), config: config.clone(), board: Board::default() });
    let engine = crate::checks::engine(&config);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    runtime.block_on(engine.run(ctx.clone(), 1, config.timeout, tx));
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    let caller = ctx.board.get::<crate::checks::identity::CallerIdentity>(None)?;
    let global = |key, value: &str| Learned {
        connector: None,
        key,
        value: value.to_owned(),
        call: "sts:GetCallerIdentity",
    };
    let mut learned = vec![global("account", &caller.account)];
    let arn: Option<crate::config::Arn> = caller.arn.parse().ok();
    // The role is the pod's base role only when the pod's own source gave it: run from an admin
    // laptop, the caller is the admin, whose role the guide must never rewrite.
    let from_pod = ctx
        .board
        .get::<crate::checks::identity::Survey>(None)
        .is_some_and(|s| matches!(s.winner, CredentialSource::PodIdentity | CredentialSource::Irsa));
    if from_pod && let Some((role, _)) = arn.as_ref().and_then(|a| a.assumed_role()) {
        learned.push(global("base_role_name", role));
    }
    // The pod's own service-account token names its namespace and service account.
    let token = ctx.board.get::<crate::checks::identity::Token>(None);
    let call = "the pod's service-account token";
    if let Some((namespace, service_account)) = token.as_ref().and_then(|t| t.claims.service_account()) {
        learned.push(Learned { call, ..global("namespace", namespace) });
        learned.push(Learned { call, ..global("service_account", service_account) });
    }
    // An IRSA token's issuer is the cluster's OIDC provider, as IAM names it (no scheme).
    if let Some(issuer) = token.as_ref().and_then(|t| t.claims.iss.as_deref())
        && let Some(provider) = issuer.strip_prefix("https://")
    {
        learned.push(Learned { call, ..global("oidc_provider", provider.trim_end_matches('/')) });
    }
    for conn in &config.connectors {
        let name = Some(conn.name.clone());
        if let Some(db) = ctx.board.get::<crate::checks::rds::Database>(Some(&conn.name)) {
            let call = db.kind.describe_call();
            for (key, value) in [("db_resource_id", &db.resource_id), ("db_host", &db.endpoint)] {
                if !value.is_empty() {
                    learned.push(Learned { connector: name.clone(), key, value: value.clone(), call });
                }
            }
        }
        if let Some(found) = ctx.board.get::<crate::checks::redshift::Found>(Some(&conn.name))
            && conn.target.workgroup.is_some()
        {
            let value = found.arn.clone();
            learned.push(Learned {
                connector: name,
                key: "workgroup_arn",
                value,
                call: "redshift-serverless:GetWorkgroup",
            });
        }
    }
    Some(learned)
}

/// Writes the progress file; a read-only directory only costs the memory, not the run.
fn keep(saved: &Saved, path: &std::path::Path) {
    if let Err(e) = saved.store(path) {
        eprintln!("connector-doctor: onboard: cannot remember this run's values in {e}");
    }
}

/// The configuration with what the user told the onboarding of the pod (namespace, service
/// account, cluster) where the file says nothing, so that the live remedies name them instead
/// of leaving `<namespace>`. A preset's default is not taken: the pod's own token knows better.
fn with_known_pod(mut config: Config, ob: &Onboarding) -> Config {
    for (field, key) in [
        (&mut config.namespace, "namespace"),
        (&mut config.service_account, "service_account"),
        (&mut config.cluster_name, "cluster_name"),
    ] {
        if field.is_none()
            && let Some(known) = ob.values.global.get(key).filter(|k| k.from != Source::Default)
        {
            *field = Some(known.value.clone());
        }
    }
    config
}

/// Runs every check against the live environment and prints where each step stands; returns
/// the exit code.
fn live(args: &Args, ob: &Onboarding, config: Config, world: World, sink: &mut Sink) -> u8 {
    for id in ob.values.connectors.iter().filter_map(|c| c.external_id.as_ref()) {
        world.redactor.remember(id.expose());
    }
    let Some(runtime) = crate::app::runtime() else { return EXIT_USAGE };
    let timeout = config.timeout;
    let config = Arc::new(config);
    let ctx = Arc::new(Ctx { world, config: config.clone(), board: Board::default() });
    let engine = crate::checks::engine(&config);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let results = runtime.block_on(engine.run(ctx.clone(), 1, timeout, tx));
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    let facts = pod_facts(&ctx);
    let checks: Vec<CheckReport> =
        results.iter().map(|f| CheckReport::from_finished(f, catalog(), &facts)).collect();
    let mut unfilled = Vec::new();
    let plans = guide::steps(ob, &mut unfilled);
    let steps = progress::judge(&plans, &checks);
    let all_done = steps.iter().all(|s| s.state == progress::State::Done);
    let text = if args.format() == Format::Json {
        let doc = serde_json::json!({"preset": ob.preset.name, "done": all_done, "steps": steps});
        format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default())
    } else {
        progress::render(&ob.preset.name, &steps)
    };
    finish(sink.write(&text), u8::from(!all_done))
}
