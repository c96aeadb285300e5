//! Feature-flag evaluation: a realistic flagd flag set (`bench/flags/flags.json`: fractional
//! rollouts, `sem_ver`, nested `if`, a shared `$ref`, a disabled kill switch) for 100,000
//! evaluation contexts. After criterion's measurement the same flags and contexts are timed
//! in `@openfeature/flagd-core`, flagd's own JavaScript evaluator, when Node and
//! `bench/flags/node_modules` are there (`bench/flags/run` installs them), and the ratio is
//! printed; the two must agree on every flag's variant counts.

use criterion::Criterion;
use ripcord::flags::{FlagSet, FlagType};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const CONTEXTS: usize = 100_000;
const TIMESTAMP: i64 = 1_700_000_000;

fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/flags")
}

/// Deterministic contexts with the attributes the flags look at.
fn contexts(n: usize) -> Vec<Value> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |m: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % m
    };
    let versions = ["1.9.3", "2.0.1", "2.1.0", "2.4.7", "3.0.0-beta.1", "v2.2"];
    let countries = ["de", "fr", "it", "es", "us", "br", "jp"];
    let platforms = ["ios-phone", "ios-tablet", "android", "web"];
    let os = ["16.4", "17.1.2", "18.0", "13"];
    let tiers = ["gold", "silver", "bronze"];
    (0..n)
        .map(|i| {
            let domain = if next(20) == 0 {
                "example.com"
            } else {
                "mail.test"
            };
            let mut ctx = json!({
                "targetingKey": format!("user-{i}"),
                "email": format!("u{i}@{domain}"),
                "app_version": versions[next(versions.len())],
                "country": countries[next(countries.len())],
                "plan": if next(4) == 0 { "pro" } else { "free" },
                "tier": tiers[next(tiers.len())],
                "platform": platforms[next(platforms.len())],
                "os_version": os[next(os.len())],
                "api_level": 28 + next(8),
                "user": {"id": format!("u{i}")},
            });
            if next(10) == 0 {
                ctx["beta_opt_out"] = json!(true);
            }
            ctx
        })
        .collect()
}

fn flag_types(set: &FlagSet) -> Vec<(String, FlagType)> {
    set.flags
        .values()
        .map(|f| {
            let sample = f
                .default_variant
                .as_ref()
                .and_then(|d| f.variants.get(d))
                .or_else(|| f.variants.values().next());
            let ty = match sample {
                Some(Value::Bool(_)) => FlagType::Boolean,
                Some(Value::String(_)) => FlagType::String,
                Some(Value::Number(_)) => FlagType::Float,
                _ => FlagType::Object,
            };
            (f.key.clone(), ty)
        })
        .collect()
}

fn evaluate_all(set: &FlagSet, flags: &[(String, FlagType)], contexts: &[Value]) -> usize {
    let mut matched = 0;
    for ctx in contexts {
        for (key, ty) in flags {
            let r = set.evaluate(key, ctx, TIMESTAMP, *ty);
            matched += usize::from(r.variant.is_some());
        }
    }
    matched
}

fn counts(
    set: &FlagSet,
    flags: &[(String, FlagType)],
    contexts: &[Value],
) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for ctx in contexts {
        for (key, ty) in flags {
            let r = set.evaluate(key, ctx, TIMESTAMP, *ty);
            let label = r
                .variant
                .unwrap_or_else(|| format!("({})", r.reason.as_str()));
            *out.entry(key.clone())
                .or_default()
                .entry(label)
                .or_default() += 1;
        }
    }
    out
}

/// The same set in flagd-core: its ns per evaluation, or why it was not run.
fn flagd_core(contexts: &[Value], passes: usize) -> Result<Value, String> {
    let dir = bench_dir();
    if !dir.join("node_modules/@openfeature/flagd-core").exists() {
        return Err("bench/flags/node_modules is missing: run bench/flags/run".into());
    }
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/flags-bench-contexts.json");
    let text = serde_json::to_string(contexts).map_err(|e| e.to_string())?;
    std::fs::write(&file, text).map_err(|e| format!("writing {}: {e}", file.display()))?;
    let out = Command::new("node")
        .current_dir(&dir)
        .arg("flagd-core.mjs")
        .arg(dir.join("flags.json"))
        .arg(&file)
        .arg(passes.to_string())
        .output()
        .map_err(|e| format!("running node: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "node failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("node's answer: {e}"))
}

fn main() {
    let text = std::fs::read_to_string(bench_dir().join("flags.json")).expect("bench flags");
    let set = FlagSet::parse("flags.json", &text).expect("bench flags parse");
    let flags = flag_types(&set);
    let contexts = contexts(CONTEXTS);
    let smoke = std::env::args().any(|a| a == "--test");

    let mut c = Criterion::default().sample_size(10).configure_from_args();
    c.bench_function("flags/8 flags x 100k contexts", |b| {
        b.iter(|| black_box(evaluate_all(&set, &flags, &contexts)))
    });
    c.final_summary();

    // The same work timed by hand, as the Node side is: the median of several passes.
    let passes = if smoke { 1 } else { 5 };
    let mut times: Vec<f64> = (0..passes)
        .map(|_| {
            let start = Instant::now();
            black_box(evaluate_all(&set, &flags, &contexts));
            start.elapsed().as_nanos() as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let evaluations = (contexts.len() * flags.len()) as f64;
    let ours = times[times.len() / 2] / evaluations;
    println!("ripcord: {ours:.0} ns per evaluation ({evaluations} per pass)");

    match flagd_core(&contexts, passes) {
        Ok(theirs) => {
            let ns = theirs["ns_per_eval"].as_f64().unwrap_or(f64::NAN);
            let mine = serde_json::to_value(counts(&set, &flags, &contexts)).expect("counts");
            assert_eq!(
                mine, theirs["counts"],
                "ripcord and flagd-core disagree on the variants"
            );
            println!("flagd-core: {ns:.0} ns per evaluation; the same variants for every flag");
            println!(
                "ratio: ripcord is {:.1}x {} than flagd-core",
                if ns > ours { ns / ours } else { ours / ns },
                if ns > ours { "faster" } else { "slower" }
            );
        }
        Err(why) => println!("flagd-core not timed: {why}"),
    }
}
