//! The canary judge on 2 × 10,000 samples: the Mann-Whitney test, the Hodges-Lehmann
//! interval, and one metric's whole judgement. All are O(n log n); a frame is ~16 ms.

use criterion::{criterion_group, criterion_main, Criterion};
use ripcord::analysis::judge::{judge_metric, MetricRule, DEFAULT_CONFIDENCE};
use ripcord::analysis::mann_whitney::{hodges_lehmann, mann_whitney_u};
use std::hint::black_box;
use std::time::Duration;

const SAMPLES: usize = 10_000;

/// Latency-like samples from a fixed-seed generator (skewed, with ties from rounding).
fn samples(seed: u64, scale: f64) -> Vec<f64> {
    let mut state = seed;
    (0..SAMPLES)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = ((state >> 11) as f64 / (1u64 << 53) as f64).max(1e-12);
            (scale * (-u.ln()) * 100.0).round() / 100.0
        })
        .collect()
}

fn judge(c: &mut Criterion) {
    let baseline = samples(1, 120.0);
    let canary = samples(2, 126.0);
    c.bench_function("mann_whitney_u 2x10k", |b| {
        b.iter(|| black_box(mann_whitney_u(&canary, &baseline)))
    });
    c.bench_function("hodges_lehmann 2x10k", |b| {
        b.iter(|| black_box(hodges_lehmann(&baseline, &canary, DEFAULT_CONFIDENCE)))
    });
    let rule = MetricRule::default();
    c.bench_function("judge_metric 2x10k", |b| {
        b.iter(|| {
            black_box(judge_metric(
                "latency",
                &rule,
                &canary,
                &baseline,
                DEFAULT_CONFIDENCE,
            ))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = judge
}
criterion_main!(benches);
