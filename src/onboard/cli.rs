//! `connector-doctor onboard`: reads the configuration and values, then prints the guide
//! (`--print`), the plan proof (`--check-plan`), or each step's live status.

use std::fmt::Write as _;

use super::guide;
use super::{Onboarding, parse_values};
use crate::app::{EXIT_USAGE, Sink, finish};
use crate::cli::{Args, OnboardArgs};
use crate::config::Config;
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
    let given = match parse_values(&o.values) {
        Ok(g) => g,
        Err(e) => return usage(e.to_string()),
    };
    let world = World::from_process();
    let ob =
        match Onboarding::prepare(o.preset.as_deref(), &config, &given, &|k| world.var(k).map(str::to_owned))
        {
            Ok(ob) => ob,
            Err(e) => return usage(e.to_string()),
        };
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
        return finish(sink.write(&out), u8::from(!proof.holds()));
    }
    if !o.print {
        return usage(
            "say what to do: --print writes the filled-in guide, --check-plan proves the generated policies"
                .to_owned(),
        );
    }
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
        keys.dedup();
        eprintln!(
            "connector-doctor: onboard: the guide still misses {}; see its \"Missing values\" section",
            keys.join(", ")
        );
    }
    finish(sink.write(&g.markdown), u8::from(proof.failures().next().is_some()))
}
