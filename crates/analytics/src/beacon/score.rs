//! The beacon score of one pair's series (the formula is in the
//! documentation of [`super`]).

use crate::stats::quantile;

/// Quartiles, skewness and median absolute deviation of a series, and their
/// scores.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Spread {
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub skew: f64,
    pub madm: f64,
    pub skew_score: f64,
    pub madm_score: f64,
}

/// The spread of `values`; `scale` is the MADM at which the dispersion
/// score reaches 0. None when empty.
pub(crate) fn spread(values: &[f64], scale: impl Fn(f64) -> f64) -> Option<Spread> {
    let q1 = quantile(values, 0.25)?;
    let median = quantile(values, 0.5)?;
    let q3 = quantile(values, 0.75)?;
    let skew = if q3 > q1 {
        ((q3 + q1 - 2.0 * median) / (q3 - q1)).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let dev: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
    let madm = quantile(&dev, 0.5)?;
    let denom = scale(median);
    let madm_score = if madm <= 0.0 {
        1.0
    } else if denom > 0.0 {
        (1.0 - madm / denom).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Some(Spread {
        q1,
        median,
        q3,
        skew,
        madm,
        skew_score: 1.0 - skew.abs(),
        madm_score,
    })
}

/// The scores of one pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Scores {
    pub intervals: Spread,
    pub count_score: f64,
    pub ts_score: f64,
    pub sizes: Option<Spread>,
    pub size_score: Option<f64>,
    pub score: f64,
}

/// What the scoring needs from the settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Params {
    pub min_interval_secs: f64,
    pub interval_madm_ratio: f64,
    pub size_madm_ratio: f64,
    pub size_madm_floor_bytes: f64,
}

/// Scores a pair from its sorted start times (seconds), the sizes known,
/// the connections counted and the seconds of the window observed. None
/// with fewer than two start times.
pub(crate) fn score(
    times: &[f64],
    sizes: &[f64],
    count: u64,
    coverage: f64,
    p: Params,
) -> Option<Scores> {
    let intervals: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let iv = spread(&intervals, |m| m * p.interval_madm_ratio)?;
    let count_score = if coverage > 0.0 {
        (count.saturating_sub(1) as f64 * iv.median / coverage).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let ts_score = if iv.median < p.min_interval_secs {
        0.0
    } else {
        (iv.skew_score + iv.madm_score + count_score) / 3.0
    };
    let sized = sizes.len() * 2 >= times.len() && !sizes.is_empty();
    let sz = if sized {
        spread(sizes, |m| {
            (m * p.size_madm_ratio).max(p.size_madm_floor_bytes)
        })
    } else {
        None
    };
    let size_score = sz.map(|s| (s.skew_score + s.madm_score) / 2.0);
    let score = match size_score {
        Some(s) => (ts_score + s) / 2.0,
        None => ts_score,
    };
    Some(Scores {
        intervals: iv,
        count_score,
        ts_score,
        sizes: sz,
        size_score,
        score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Params = Params {
        min_interval_secs: 1.0,
        interval_madm_ratio: 0.5,
        size_madm_ratio: 0.5,
        size_madm_floor_bytes: 32.0,
    };

    #[test]
    fn bowley_skew_and_madm() {
        // Quartiles 2, 3, 10: skew (10 + 2 - 6) / 8 = 0.75.
        let s = spread(&[1.0, 2.0, 3.0, 10.0, 11.0], |m| m).unwrap();
        assert_eq!((s.q1, s.median, s.q3), (2.0, 3.0, 10.0));
        assert!((s.skew - 0.75).abs() < 1e-12);
        assert!((s.skew_score - 0.25).abs() < 1e-12);
        // Deviations 2, 1, 0, 7, 8: MADM 2, scale 3 → 1 − 2/3.
        assert_eq!(s.madm, 2.0);
        assert!((s.madm_score - 1.0 / 3.0).abs() < 1e-12);
        let flat = spread(&[5.0; 4], |_| 0.0).unwrap();
        assert_eq!(
            (flat.skew, flat.skew_score, flat.madm_score),
            (0.0, 1.0, 1.0)
        );
    }

    #[test]
    fn a_perfect_series_scores_one_and_a_burst_scores_no_time() {
        let times: Vec<f64> = (0..50).map(|i| f64::from(i) * 60.0).collect();
        let s = score(&times, &[100.0; 50], 50, 49.0 * 60.0, P).unwrap();
        assert_eq!((s.ts_score, s.size_score, s.score), (1.0, Some(1.0), 1.0));
        // Over twice the time observed, the count score halves.
        let s = score(&times, &[], 50, 98.0 * 60.0, P).unwrap();
        assert!((s.count_score - 0.5).abs() < 1e-12 && s.size_score.is_none());
        let burst: Vec<f64> = (0..50).map(|i| f64::from(i) * 0.1).collect();
        assert_eq!(score(&burst, &[], 50, 5.0, P).unwrap().ts_score, 0.0);
        assert!(score(&[1.0], &[], 1, 1.0, P).is_none());
    }
}
