//! The Mann-Whitney U test and the Hodges-Lehmann shift, in O(n log n).
//!
//! The test is two-sided with the tie-corrected normal approximation and a continuity
//! correction: the same U and p as `scipy.stats.mannwhitneyu(x, y, alternative='two-sided',
//! method='asymptotic', use_continuity=True)`, checked against committed scipy values.

use super::normal;

/// The test's answer for samples `x` and `y`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U of `x`: the number of pairs in which the `x` value is larger, ties counting half.
    pub u: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// The U test of `x` against `y`. `None` when either sample is empty or a value is NaN.
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    if x.is_empty() || y.is_empty() || x.iter().chain(y).any(|v| v.is_nan()) {
        return None;
    }
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    let n = n1 + n2;
    let mut all: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Average ranks over runs of ties; the tie term Σ(t³ − t) corrects the variance.
    let mut rank_sum_x = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_x += rank * all[i..=j].iter().filter(|(_, from_x)| *from_x).count() as f64;
        tie_term += t * t * t - t;
        i = j + 1;
    }
    let u1 = rank_sum_x - n1 * (n1 + 1.0) / 2.0;
    let u = u1.max(n1 * n2 - u1);
    let mu = n1 * n2 / 2.0;
    let sigma = (n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
    // Every value equal: no evidence of a difference (the z of −∞ gives p = 1 too).
    let z = if sigma > 0.0 {
        (u - mu - 0.5) / sigma
    } else {
        f64::NEG_INFINITY
    };
    let p = (2.0 * normal::sf(z)).clamp(0.0, 1.0);
    Some(MannWhitney { u: u1, p })
}

/// The Hodges-Lehmann estimate of how far `y` sits above `x` (the median of every
/// difference y − x), with a distribution-free confidence interval at `confidence`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Shift {
    pub estimate: f64,
    pub lower: f64,
    pub upper: f64,
}

/// `None` when either sample is empty or holds a NaN.
pub fn hodges_lehmann(x: &[f64], y: &[f64], confidence: f64) -> Option<Shift> {
    if x.is_empty() || y.is_empty() || x.iter().chain(y).any(|v| v.is_nan()) {
        return None;
    }
    let mut x = x.to_vec();
    let mut y = y.to_vec();
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    let diffs = Differences { x: &x, y: &y };
    let pairs = x.len() * y.len();
    let estimate = if pairs % 2 == 1 {
        diffs.kth(pairs.div_ceil(2))
    } else {
        (diffs.kth(pairs / 2) + diffs.kth(pairs / 2 + 1)) / 2.0
    };
    // The interval runs from the (K+1)-th to the (N−K)-th smallest difference, K from the
    // normal approximation to the U statistic's distribution.
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    let z = normal::quantile(1.0 - (1.0 - confidence.clamp(0.0, 1.0)) / 2.0);
    let k = (n1 * n2 / 2.0 - z * (n1 * n2 * (n1 + n2 + 1.0) / 12.0).sqrt()).floor();
    let k = if k.is_finite() && k > 0.0 {
        (k as usize).min((pairs - 1) / 2)
    } else {
        0
    };
    Some(Shift {
        estimate,
        lower: diffs.kth(k + 1),
        upper: diffs.kth(pairs - k),
    })
}

/// Every difference y[j] − x[i] of two sorted samples, without building the n·m list.
struct Differences<'a> {
    x: &'a [f64],
    y: &'a [f64],
}

impl Differences<'_> {
    /// How many differences are at most `d`, in one merge-like pass.
    fn count_at_most(&self, d: f64) -> usize {
        // For each y, the pairs differing by more than d are a prefix of the sorted x, and
        // the prefix only grows as y does. Differences are compared as computed, so the
        // count agrees exactly with `kth`'s final pass.
        let mut below = 0;
        let mut count = 0;
        for &yj in self.y {
            while below < self.x.len() && yj - self.x[below] > d {
                below += 1;
            }
            count += self.x.len() - below;
        }
        count
    }

    /// The k-th smallest difference (1-based): bisect on the value, then take the exact
    /// difference that the bracket closes on.
    fn kth(&self, k: usize) -> f64 {
        let (x, y) = (self.x, self.y);
        let mut lo = y[0] - x[x.len() - 1];
        let mut hi = y[y.len() - 1] - x[0];
        if k <= 1 || self.count_at_most(lo) >= k {
            return lo;
        }
        // Invariant: fewer than k differences are ≤ lo, at least k are ≤ hi.
        for _ in 0..200 {
            let mid = lo + (hi - lo) / 2.0;
            if mid <= lo || mid >= hi {
                break;
            }
            if self.count_at_most(mid) >= k {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        // The answer is the smallest difference above lo: for each y, the one made with the
        // last x of the prefix that differs by more than lo.
        y.iter()
            .filter_map(|&yj| {
                let i = x.partition_point(|&xi| yj - xi > lo);
                i.checked_sub(1).map(|i| yj - x[i])
            })
            .fold(hi, f64::min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_kth(x: &[f64], y: &[f64], k: usize) -> f64 {
        let mut all: Vec<f64> = y
            .iter()
            .flat_map(|yj| x.iter().map(move |xi| yj - xi))
            .collect();
        all.sort_by(f64::total_cmp);
        all[k - 1]
    }

    #[test]
    fn kth_difference_matches_the_full_sorted_list() {
        let x = [0.3, 1.0, 1.0, 2.5, 4.0, -1.0, 0.1];
        let y = [2.0, 0.5, 3.3, 1.0, 7.25];
        let mut xs = x.to_vec();
        let mut ys = y.to_vec();
        xs.sort_by(f64::total_cmp);
        ys.sort_by(f64::total_cmp);
        let d = Differences { x: &xs, y: &ys };
        for k in 1..=x.len() * y.len() {
            assert_eq!(d.kth(k), brute_kth(&x, &y, k), "k={k}");
        }
    }

    #[test]
    fn kth_difference_matches_on_random_samples_with_ties() {
        let mut seed = 12345u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Coarse values so that ties are common.
            ((seed >> 33) % 50) as f64 * 0.1 - 2.0
        };
        for (n1, n2) in [(1, 1), (3, 8), (17, 5), (30, 30)] {
            let mut x: Vec<f64> = (0..n1).map(|_| next()).collect();
            let mut y: Vec<f64> = (0..n2).map(|_| next()).collect();
            let (bx, by) = (x.clone(), y.clone());
            x.sort_by(f64::total_cmp);
            y.sort_by(f64::total_cmp);
            let d = Differences { x: &x, y: &y };
            for k in 1..=n1 * n2 {
                assert_eq!(d.kth(k), brute_kth(&bx, &by, k), "n1={n1} n2={n2} k={k}");
            }
        }
    }

    #[test]
    fn shift_of_a_shifted_sample_is_the_shift() {
        let x: Vec<f64> = (0..40).map(|i| f64::from(i) * 0.25).collect();
        let y: Vec<f64> = x.iter().map(|v| v + 3.0).collect();
        let s = hodges_lehmann(&x, &y, 0.98).expect("samples");
        assert_eq!(s.estimate, 3.0);
        assert!(s.lower < 3.0 && s.upper > 3.0, "{s:?}");
        let wider = hodges_lehmann(&x, &y, 0.999).expect("samples");
        assert!(wider.lower < s.lower && wider.upper > s.upper);
    }

    #[test]
    fn the_estimate_is_the_median_difference_for_odd_and_even_counts() {
        // 3 × 5 = 15 differences: the 8th.
        let (x, y) = ([0.0, 1.0, 4.0], [0.5, 2.0, 2.5, 7.0, 9.0]);
        let s = hodges_lehmann(&x, &y, 0.9).expect("samples");
        assert_eq!(s.estimate, brute_kth(&x, &y, 8));
        // 2 × 5 = 10: halfway between the 5th and the 6th.
        let x = [0.0, 4.0];
        let s = hodges_lehmann(&x, &y, 0.9).expect("samples");
        let middle = (brute_kth(&x, &y, 5) + brute_kth(&x, &y, 6)) / 2.0;
        assert_eq!(s.estimate, middle);
        assert_ne!(brute_kth(&x, &y, 5), brute_kth(&x, &y, 6));
    }

    #[test]
    fn the_interval_runs_from_the_k_plus_first_to_the_n_minus_kth_difference() {
        // n1 = n2 = 10 at 95%: K = floor(100/2 − 1.95996 × sqrt(100 × 21 / 12)) = 24, so the
        // interval is the 25th to the 76th of the 100 sorted differences.
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let y: Vec<f64> = (0..10).map(|i| f64::from(i * i) * 0.37 + 0.1).collect();
        let s = hodges_lehmann(&x, &y, 0.95).expect("samples");
        assert_eq!(
            (s.lower, s.upper),
            (brute_kth(&x, &y, 25), brute_kth(&x, &y, 76))
        );
        // n1 = 10, n2 = 4 at 90%: K = floor(20 − 1.64485 × sqrt(40 × 15 / 12)) = 8.
        let y = [0.25, 3.5, 6.0, 12.0];
        let s = hodges_lehmann(&x, &y, 0.90).expect("samples");
        assert_eq!(
            (s.lower, s.upper),
            (brute_kth(&x, &y, 9), brute_kth(&x, &y, 32))
        );
        // n1 = n2 = 20 at 95%: K = floor(200 − 1.95996 × sqrt(400 × 41 / 12)) = 127 (the
        // smaller cases above round the same with n1 + n2 or n1 + n2 + 1 under the root).
        let x: Vec<f64> = (0..20).map(f64::from).collect();
        let y: Vec<f64> = (0..20).map(|i| f64::from(i * i) * 0.11 - 3.0).collect();
        let s = hodges_lehmann(&x, &y, 0.95).expect("samples");
        assert_eq!(
            (s.lower, s.upper),
            (brute_kth(&x, &y, 128), brute_kth(&x, &y, 273))
        );
    }

    #[test]
    fn at_no_confidence_the_interval_closes_on_the_middle_differences() {
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let y: Vec<f64> = (0..10).map(|i| f64::from(i * i) * 0.37 + 0.1).collect();
        let s = hodges_lehmann(&x, &y, 0.0).expect("samples");
        assert_eq!(
            (s.lower, s.upper),
            (brute_kth(&x, &y, 50), brute_kth(&x, &y, 51))
        );
        let (x, y) = ([0.0, 1.0, 4.0], [0.5, 2.0, 2.5, 7.0, 9.0]);
        let s = hodges_lehmann(&x, &y, 0.0).expect("samples");
        assert_eq!((s.lower, s.upper), (s.estimate, s.estimate));
    }

    #[test]
    fn empty_or_nan_samples_have_no_answer() {
        assert!(mann_whitney_u(&[], &[1.0]).is_none());
        assert!(mann_whitney_u(&[f64::NAN], &[1.0]).is_none());
        assert!(hodges_lehmann(&[1.0], &[], 0.9).is_none());
    }
}
