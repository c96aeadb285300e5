//! The standard normal distribution's tail and quantile, to double precision.

use std::f64::consts::{PI, SQRT_2};

/// Survival function: P(Z > z) for a standard normal Z.
pub fn sf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    0.5 * erfc(z / SQRT_2)
}

/// The complementary error function. A series for small |x| (all terms positive, so no
/// cancellation) and a continued fraction in the tail, where it keeps relative precision
/// for values as small as 1e-300.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.5 {
        1.0 - erf_series(x)
    } else if x > 27.0 {
        0.0
    } else {
        erfc_continued_fraction(x)
    }
}

/// erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)).
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term > sum * 1e-17 {
        n += 1.0;
        term *= 2.0 * x2 / (2.0 * n + 1.0);
        sum += term;
    }
    2.0 / PI.sqrt() * (-x2).exp() * sum
}

/// erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), by Lentz's method.
fn erfc_continued_fraction(x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..500 {
        let a = f64::from(k) / 2.0;
        d = x + a * d;
        d = if d == 0.0 { TINY } else { d };
        c = x + a / c;
        c = if c == 0.0 { TINY } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / PI.sqrt() / f
}

/// The quantile: z with P(Z ≤ z) = p. Acklam's rational approximation, polished by two
/// Halley steps on `sf`.
pub fn quantile(p: f64) -> f64 {
    // NaN is in no range, so this refuses it too.
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        let q = (-2.0 * q.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let mut z = if p < 0.02425 {
        tail(p)
    } else if p > 1.0 - 0.02425 {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    for _ in 0..2 {
        let e = (1.0 - sf(z)) - p;
        let u = e * (2.0 * PI).sqrt() * (z * z / 2.0).exp();
        z -= u / (1.0 + z * u / 2.0);
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_matches_known_values() {
        // Reference values from the closed forms tabulated to 16 digits.
        assert!((sf(0.0) - 0.5).abs() < 1e-16);
        assert!((sf(1.0) - 0.158_655_253_931_457_05).abs() < 1e-15);
        assert!((sf(1.959_963_984_540_054) - 0.025).abs() < 1e-15);
        assert!((sf(-1.0) - 0.841_344_746_068_542_9).abs() < 1e-15);
        let far = sf(8.0);
        assert!(
            (far / 6.220_960_574_271_785e-16 - 1.0).abs() < 1e-12,
            "{far}"
        );
        let farther = sf(20.0);
        assert!(
            (farther / 2.753_624_118_606_233_7e-89 - 1.0).abs() < 1e-12,
            "{farther}"
        );
        assert_eq!(sf(f64::INFINITY), 0.0);
        assert_eq!(sf(f64::NEG_INFINITY), 1.0);
    }

    #[test]
    fn erfc_is_continuous_where_the_methods_meet() {
        let below = erfc(2.5 - 1e-12);
        let above = erfc(2.5);
        assert!((below - above).abs() < 1e-14, "{below} vs {above}");
    }

    #[test]
    fn erfc_keeps_relative_precision_at_the_edges_of_its_methods() {
        // At 2.5 the tail form is used: 1 − erf would lose four digits to cancellation.
        let at = erfc(2.5);
        assert!((at / 4.069_520_174_449_589e-4 - 1.0).abs() < 1e-14, "{at}");
        // Up to 27 the tail is still a (subnormal) number; beyond, it is 0.
        let last = erfc(27.0);
        assert!((last / 5.237_05e-319 - 1.0).abs() < 1e-3, "{last}");
        assert_eq!(erfc(27.5), 0.0);
    }

    #[test]
    fn quantile_inverts_the_tail() {
        for p in [1e-12, 1e-6, 0.01, 0.02425, 0.3, 0.5, 0.9, 0.99, 1.0 - 1e-9] {
            let z = quantile(p);
            assert!(
                ((1.0 - sf(z)) - p).abs() < 1e-15 + p * 1e-12,
                "p={p}, z={z}"
            );
        }
        assert!((quantile(0.99) - 2.326_347_874_040_841).abs() < 1e-12);
        assert!(quantile(-0.1).is_nan());
        assert!(quantile(1.5).is_nan());
        assert!(quantile(f64::NAN).is_nan());
    }
}
