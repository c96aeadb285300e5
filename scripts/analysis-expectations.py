#!/usr/bin/env python3
"""Writes analysis/tests/fixtures/analysis/mann_whitney.json: fixed-seed sample pairs with the U
statistic and two-sided p-value that scipy computes for them, for the judge's tests.

    pip install numpy scipy && scripts/analysis-expectations.py

The committed file is the reference; rerun only to add cases.
"""
import json
import pathlib

import numpy as np
from scipy.stats import mannwhitneyu

rng = np.random.default_rng(20261129)


def case(name, x, y):
    res = mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)
    return {
        "name": name,
        "x": [float(v) for v in x],
        "y": [float(v) for v in y],
        "u": float(res.statistic),
        "p": float(res.pvalue),
    }


cases = [
    case("equal normals", rng.normal(1.0, 0.2, 40), rng.normal(1.0, 0.2, 40)),
    case("shifted normals", rng.normal(1.0, 0.2, 50), rng.normal(1.3, 0.2, 50)),
    case("far apart", rng.normal(8.1, 0.5, 60), rng.normal(1.0, 0.3, 60)),
    case("unequal sizes", rng.normal(0.5, 1.0, 7), rng.normal(0.9, 1.0, 31)),
    case("tiny", [1.0, 2.0], [3.0, 4.0, 5.0]),
    case("ties", rng.integers(0, 5, 30).astype(float), rng.integers(1, 6, 25).astype(float)),
    case("heavy ties", [1.0] * 10 + [2.0] * 3, [1.0] * 4 + [2.0] * 9),
    case("constant equal", [0.5] * 12, [0.5] * 9),
    case("constant apart", [0.5] * 12, [0.7] * 9),
    case("one each apart", [0.1, 0.2, 0.3], [0.1]),
    case("latency skewed", rng.lognormal(5.0, 0.4, 120), rng.lognormal(5.1, 0.4, 90)),
    case("error ratios", rng.beta(2, 150, 80), rng.beta(2, 30, 80)),
    case("negative values", rng.normal(-3.0, 2.0, 45), rng.normal(-2.0, 2.0, 35)),
]

out = pathlib.Path(__file__).resolve().parent.parent / "analysis/tests/fixtures/analysis/mann_whitney.json"
out.write_text(json.dumps({"generator": "scipy.stats.mannwhitneyu(x, y, alternative='two-sided', method='asymptotic', use_continuity=True)", "cases": cases}, indent=1) + "\n")
print(f"wrote {len(cases)} cases to {out}")
