//! The judge's statistics against values computed by scipy
//! (`scripts/analysis-expectations.py` wrote the fixture).

use ripcord_analysis::mann_whitney::mann_whitney_u;
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    name: String,
    x: Vec<f64>,
    y: Vec<f64>,
    u: f64,
    p: f64,
}

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[test]
fn mann_whitney_equals_scipy_within_1e_9() {
    let text = include_str!("fixtures/analysis/mann_whitney.json");
    let fixture: Fixture = serde_json::from_str(text).expect("fixture parses");
    assert!(fixture.cases.len() >= 10);
    for case in &fixture.cases {
        let got = mann_whitney_u(&case.x, &case.y).expect("non-empty samples");
        assert!(
            (got.u - case.u).abs() <= 1e-9,
            "{}: U {} vs scipy {}",
            case.name,
            got.u,
            case.u
        );
        assert!(
            (got.p - case.p).abs() <= 1e-9,
            "{}: p {} vs scipy {}",
            case.name,
            got.p,
            case.p
        );
        // Tiny p-values must also agree in relative terms, or "p < 1e-9" could be wrong.
        if case.p > 0.0 {
            let rel = (got.p / case.p - 1.0).abs();
            assert!(
                rel < 1e-6,
                "{}: p {} vs scipy {} (relative {rel})",
                case.name,
                got.p,
                case.p
            );
        }
    }
}
