//! Whether a topic's posts in an hour are a spike. The baseline is seasonal: what the same
//! hour of the day held on earlier days, averaged with exponentially falling weights (the
//! newest day weighs `alpha`, the one before `alpha·(1−alpha)`, …; an EWMA over days), with
//! a floor so that a topic never seen at 3 a.m. does not alert on its first two posts. The
//! hour's count is compared with a Poisson variable of that mean: it is a spike when a count
//! at least that large would happen by chance less often than `p` (one hour in a thousand at
//! the default) and it reaches `min_count`. The threshold is therefore the smallest count
//! with an upper tail below `p`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpikeParams {
    /// The newest day's weight in the baseline, 0–1.
    pub alpha: f64,
    /// How unlikely by chance a count must be to alert.
    pub p: f64,
    /// An hour with fewer posts never alerts.
    pub min_count: u32,
    /// The smallest baseline (posts an hour).
    pub floor: f64,
}

impl Default for SpikeParams {
    fn default() -> Self {
        SpikeParams { alpha: 0.3, p: 0.001, min_count: 20, floor: 1.0 }
    }
}

/// The expected posts in an hour, from the same hour on earlier days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baseline {
    pub expected: f64,
    /// Days the baseline was learnt from.
    pub days: usize,
}

impl Baseline {
    /// From the same hour's counts on earlier days, oldest first.
    pub fn learn(history: &[u32], params: &SpikeParams) -> Baseline {
        let mut level: Option<f64> = None;
        for c in history {
            let c = f64::from(*c);
            level = Some(match level {
                None => c,
                Some(l) => params.alpha * c + (1.0 - params.alpha) * l,
            });
        }
        Baseline { expected: level.unwrap_or(0.0).max(params.floor), days: history.len() }
    }
}

/// An hour above its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spike {
    pub count: u32,
    pub expected: f64,
    /// The smallest count that would have alerted.
    pub threshold: u32,
    /// P(X ≥ count) for X ~ Poisson(expected).
    pub p_value: f64,
}

/// P(X ≥ k) for X ~ Poisson(lambda), summed in log space so large means do not underflow.
pub fn upper_tail(lambda: f64, k: u32) -> f64 {
    if k == 0 {
        return 1.0;
    }
    // P(X ≥ k) = 1 − Σ_{i<k} P(X = i); past the mean, summing the tail itself is exact.
    let ln_pmf = |i: u32| -> f64 { f64::from(i) * lambda.ln() - lambda - ln_factorial(i) };
    if f64::from(k) > lambda {
        let mut sum = 0.0;
        let mut i = k;
        loop {
            let term = ln_pmf(i).exp();
            sum += term;
            if term < sum * 1e-17 || i > k + 10_000 {
                break;
            }
            i += 1;
        }
        sum.min(1.0)
    } else {
        let below: f64 = (0..k).map(|i| ln_pmf(i).exp()).sum();
        (1.0 - below).clamp(0.0, 1.0)
    }
}

fn ln_factorial(n: u32) -> f64 {
    (2..=n).map(|i| f64::from(i).ln()).sum()
}

/// The smallest count whose upper tail under `expected` is below `p`.
pub fn threshold(expected: f64, p: f64) -> u32 {
    let mut k = expected.ceil() as u32;
    while upper_tail(expected, k) >= p {
        k += 1;
    }
    k
}

/// Whether `count` in an hour is a spike over `baseline`.
pub fn check(count: u32, baseline: Baseline, params: &SpikeParams) -> Option<Spike> {
    if count < params.min_count {
        return None;
    }
    let p_value = upper_tail(baseline.expected, count);
    (p_value < params.p).then(|| Spike {
        count,
        expected: baseline.expected,
        threshold: threshold(baseline.expected, params.p).max(params.min_count),
        p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The brute-force model: the tail as one minus the plain sum of the pmf, term by term in
    /// ordinary floating point (fine for small means).
    fn naive_tail(lambda: f64, k: u32) -> f64 {
        let mut pmf = (-lambda).exp();
        let mut below = 0.0;
        for i in 0..k {
            below += pmf;
            pmf *= lambda / f64::from(i + 1);
        }
        1.0 - below
    }

    #[test]
    fn the_baseline_weighs_recent_days_more() {
        let p = SpikeParams::default();
        let b = Baseline::learn(&[10, 10, 10, 40], &p);
        assert!((b.expected - 19.0).abs() < 1e-9, "{b:?}");
        assert_eq!(Baseline::learn(&[], &p).expected, p.floor, "no history: the floor");
    }

    #[test]
    fn a_usual_hour_is_quiet_and_a_tenfold_one_alerts() {
        let p = SpikeParams::default();
        let b = Baseline::learn(&[8, 12, 9, 11, 10, 10, 9], &p);
        assert_eq!(check(14, b, &p), None);
        let s = check(100, b, &p).expect("a spike");
        assert!(s.threshold > 14 && s.threshold < 100 && s.p_value < 1e-6, "{s:?}");
        assert_eq!(check(5, Baseline::learn(&[0, 0, 0], &p), &p), None, "below min_count never alerts");
    }

    proptest! {
        #[test]
        fn the_tail_agrees_with_the_plain_sum(lambda in 0.1f64..40.0, k in 0u32..120) {
            let a = upper_tail(lambda, k);
            let b = naive_tail(lambda, k).max(0.0);
            prop_assert!((a - b).abs() < 1e-9 + 1e-6 * b, "{} vs {}", a, b);
        }

        #[test]
        fn the_threshold_is_the_first_count_below_p(lambda in 0.5f64..60.0) {
            let t = threshold(lambda, 0.001);
            prop_assert!(upper_tail(lambda, t) < 0.001);
            prop_assert!(t == 0 || upper_tail(lambda, t - 1) >= 0.001 || (t as f64) <= lambda.ceil());
        }
    }
}
