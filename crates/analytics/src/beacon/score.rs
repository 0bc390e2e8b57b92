//! The beacon score of one connection series (the formula is in the
//! documentation of [`super`]).

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
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let q1 = sorted_quantile(&v, 0.25)?;
    let median = sorted_quantile(&v, 0.5)?;
    let q3 = sorted_quantile(&v, 0.75)?;
    let skew = if q3 > q1 {
        ((q3 + q1 - 2.0 * median) / (q3 - q1)).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let mut dev: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let madm = sorted_quantile(&dev, 0.5)?;
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

/// The `q` quantile of sorted values, as [`crate::stats::quantile`]
/// without sorting again. None when empty.
fn sorted_quantile(v: &[f64], q: f64) -> Option<f64> {
    let last = v.len().checked_sub(1)?;
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let (a, b) = (*v.get(lo)?, *v.get(hi)?);
    Some(a + (b - a) * (pos - lo as f64))
}

/// The periodicity of a series: its dominant period and how many of its
/// connections are followed by another one about a period later.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Periodicity {
    /// Dominant period, seconds (0 when none).
    pub period: f64,
    /// Intervals in the densest band, around the period.
    pub in_band: usize,
    /// Connections followed, or early enough to have been followed before
    /// the end.
    pub eligible: usize,
    /// Of those, the ones with a successor within `period·(1 ± tolerance)`.
    pub followed: usize,
    /// Share of connections random arrivals at the series' rate would
    /// leave followed: `1 − exp(−rate · 2·tolerance·period)`.
    pub chance: f64,
}

impl Periodicity {
    /// The share followed, above chance: `(followed/eligible − chance) /
    /// (1 − chance)`, clamped to [0, 1].
    pub(crate) fn score(&self) -> f64 {
        if self.eligible == 0 || self.chance >= 1.0 {
            return 0.0;
        }
        let seen = self.followed as f64 / self.eligible as f64;
        ((seen - self.chance) / (1.0 - self.chance)).clamp(0.0, 1.0)
    }
}

/// The dominant period of `intervals`: the median of the densest band
/// `[d, d·(1 + 2·tol)]` of the intervals of at least `min` seconds (and
/// above 0), with its population. None without such intervals.
pub(crate) fn dominant_period(intervals: &[f64], min: f64, tol: f64) -> Option<(f64, usize)> {
    let mut d: Vec<f64> = intervals
        .iter()
        .copied()
        .filter(|&x| x > 0.0 && x >= min)
        .collect();
    d.sort_by(f64::total_cmp);
    let k = 1.0 + 2.0 * tol.max(0.0);
    let (mut best, mut lo, mut j) = (0, 0, 0);
    for (i, &x) in d.iter().enumerate() {
        j = j.max(i);
        while j < d.len() && d[j] <= x * k {
            j += 1;
        }
        if j - i > best {
            best = j - i;
            lo = i;
        }
    }
    let period = sorted_quantile(d.get(lo..lo + best)?, 0.5)?;
    Some((period, best))
}

/// Periodicity of the sorted start times `times` observed until `end`
/// (seconds); the period is the dominant one of their intervals.
fn periodicity(times: &[f64], intervals: &[f64], end: f64, p: &Params) -> Periodicity {
    let tol = p.period_tolerance.max(0.0);
    let Some((period, in_band)) = dominant_period(intervals, p.min_interval_secs, tol) else {
        return Periodicity::default();
    };
    let (lo, hi) = (period * (1.0 - tol), period * (1.0 + tol));
    let (mut eligible, mut followed, mut j) = (0, 0, 0);
    for (i, &t) in times.iter().enumerate() {
        j = j.max(i + 1);
        while j < times.len() && times[j] < t + lo {
            j += 1;
        }
        if times.get(j).is_some_and(|&u| u <= t + hi) {
            followed += 1;
            eligible += 1;
        } else if t + hi <= end {
            eligible += 1;
        }
    }
    let (first, last) = (times.first().copied(), times.last().copied());
    let span = last.zip(first).map_or(0.0, |(l, f)| l - f);
    let chance = if span > 0.0 {
        let rate = (times.len() - 1) as f64 / span;
        1.0 - (-rate * (hi - lo)).exp()
    } else {
        1.0
    };
    Periodicity {
        period,
        in_band,
        eligible,
        followed,
        chance,
    }
}

/// The scores of one series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Scores {
    /// Connections in the series.
    pub n: usize,
    /// First and last start, and the end of the time observed, seconds.
    pub first: f64,
    pub last: f64,
    pub end: f64,
    pub intervals: Spread,
    pub periodicity: Periodicity,
    /// `(skew_score + madm_score) / 2` of the intervals.
    pub interval_score: f64,
    pub count_score: f64,
    pub period_score: f64,
    /// Whether the series is a burst (median interval below the minimum):
    /// its timing scores are 0.
    pub burst: bool,
    pub sizes: Option<Spread>,
    pub size_score: Option<f64>,
    pub score: f64,
}

impl Scores {
    /// Seconds from the first connection to the last.
    pub(crate) fn span(&self) -> f64 {
        self.last - self.first
    }
}

/// What the scoring needs from the settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Params {
    pub min_interval_secs: f64,
    pub interval_madm_ratio: f64,
    pub period_tolerance: f64,
    pub size_madm_ratio: f64,
    pub size_madm_floor_bytes: f64,
    /// Weights of the interval, count, period and size scores.
    pub weights: [f64; 4],
}

/// Scores a series from its sorted start times (seconds), the sizes known
/// and the end of the time observed (seconds, not before the last start).
/// None with fewer than two start times.
pub(crate) fn score(times: &[f64], sizes: &[f64], end: f64, p: &Params) -> Option<Scores> {
    let (&first, &last) = (times.first()?, times.last()?);
    let intervals: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let iv = spread(&intervals, |m| m * p.interval_madm_ratio)?;
    let burst = iv.median < p.min_interval_secs;
    let per = if burst {
        Periodicity::default()
    } else {
        periodicity(times, &intervals, end.max(last), p)
    };
    let (interval_score, count_score, period_score) = if burst || per.period <= 0.0 {
        (0.0, 0.0, 0.0)
    } else {
        let observed = end.max(last) - first;
        let count = if observed > 0.0 {
            ((times.len() - 1) as f64 * per.period / observed).clamp(0.0, 1.0)
        } else {
            0.0
        };
        ((iv.skew_score + iv.madm_score) / 2.0, count, per.score())
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
    let w = p
        .weights
        .map(|w| if w.is_finite() { w.max(0.0) } else { 0.0 });
    let mut parts = vec![
        (w[0], interval_score),
        (w[1], count_score),
        (w[2], period_score),
    ];
    if let Some(s) = size_score {
        parts.push((w[3], s));
    }
    let total: f64 = parts.iter().map(|(w, _)| w).sum();
    let score = if total > 0.0 {
        parts.iter().map(|(w, s)| w * s).sum::<f64>() / total
    } else {
        parts.iter().map(|(_, s)| s).sum::<f64>() / parts.len() as f64
    };
    Some(Scores {
        n: times.len(),
        first,
        last,
        end: end.max(last),
        intervals: iv,
        periodicity: per,
        interval_score,
        count_score,
        period_score,
        burst,
        sizes: sz,
        size_score,
        score,
    })
}

/// Size classes of `sorted` sizes (ascending): a new class starts where a
/// size is at least `ratio` times the previous one, both raised to `floor`.
/// Each class as (smallest, largest, connections). One class when `ratio`
/// is 1 or less.
pub(crate) fn size_classes(sorted: &[u32], ratio: f64, floor: f64) -> Vec<(u32, u32, usize)> {
    let mut out: Vec<(u32, u32, usize)> = Vec::new();
    let split = ratio > 1.0;
    let mut prev: Option<u32> = None;
    for &b in sorted {
        let gap = prev
            .is_some_and(|a| split && f64::from(b).max(floor) >= ratio * f64::from(a).max(floor));
        match out.last_mut() {
            Some(c) if !gap => {
                c.1 = b;
                c.2 += 1;
            }
            _ => out.push((b, b, 1)),
        }
        prev = Some(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Params = Params {
        min_interval_secs: 1.0,
        interval_madm_ratio: 0.5,
        period_tolerance: 0.2,
        size_madm_ratio: 0.5,
        size_madm_floor_bytes: 32.0,
        weights: [0.25; 4],
    };

    #[test]
    fn quantiles_match_the_shared_ones() {
        let v = [9.0, 1.0, 4.0, 4.5, 100.0, -3.0];
        let mut sorted = v.to_vec();
        sorted.sort_by(f64::total_cmp);
        for q in [0.0, 0.1, 0.25, 0.5, 0.75, 1.0] {
            assert_eq!(
                sorted_quantile(&sorted, q),
                crate::stats::quantile(&v, q),
                "{q}"
            );
        }
        assert!(sorted_quantile(&[], 0.5).is_none());
    }

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
        let s = score(&times, &[100.0; 50], 49.0 * 60.0, &P).unwrap();
        assert_eq!(
            (s.interval_score, s.count_score, s.size_score, s.score),
            (1.0, 1.0, Some(1.0), 1.0)
        );
        // The last connection has no time left for a successor.
        assert_eq!((s.periodicity.eligible, s.periodicity.followed), (49, 49));
        let s = score(&times, &[], 49.0 * 60.0 + 72.0, &P).unwrap();
        assert_eq!((s.periodicity.eligible, s.periodicity.followed), (50, 49));
        // Observed for twice as long, the count score halves.
        let s = score(&times, &[], 98.0 * 60.0, &P).unwrap();
        assert!((s.count_score - 0.5).abs() < 1e-12 && s.size_score.is_none());
        let burst: Vec<f64> = (0..50).map(|i| f64::from(i) * 0.1).collect();
        let b = score(&burst, &[], 5.0, &P).unwrap();
        assert!(b.burst && b.interval_score == 0.0 && b.period_score == 0.0);
        assert!(score(&[1.0], &[], 1.0, &P).is_none());
    }

    #[test]
    fn the_dominant_period_ignores_interleaved_connections() {
        // A beat every 600 s, and an extra connection 300 s after every
        // third beat: intervals 600, 600, 300, 300, …
        let mut times = Vec::new();
        for k in 0..60 {
            let t = f64::from(k) * 600.0;
            times.push(t);
            if k % 3 == 2 {
                times.push(t + 300.0);
            }
        }
        let iv: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        let (period, band) = dominant_period(&iv, 1.0, 0.2).unwrap();
        assert_eq!(period, 600.0);
        assert_eq!(band, 40);
        let s = score(&times, &[], 60.0 * 600.0, &P).unwrap();
        assert_eq!(s.periodicity.period, 600.0);
        // Every beat is followed a period later; the extras are not.
        assert_eq!(
            (s.periodicity.eligible, s.periodicity.followed),
            (59 + 19, 59)
        );
        // 59 of 78 followed, against 41 % by chance at 80 connections over
        // 35 700 s: (0.756 − 0.414) / 0.586.
        let chance = 1.0 - (-(79.0 / 35_700.0) * 240.0_f64).exp();
        assert!((s.periodicity.chance - chance).abs() < 1e-12);
        let expect = (59.0 / 78.0 - chance) / (1.0 - chance);
        assert!((s.period_score - expect).abs() < 1e-12, "{s:?}");
        assert!(dominant_period(&[0.0, 0.5], 1.0, 0.2).is_none());
    }

    #[test]
    fn sizes_split_at_large_gaps_only() {
        let c = size_classes(&[0, 10, 40, 300, 600, 900, 2_000_000, 6_000_000], 4.0, 32.0);
        assert_eq!(c, [(0, 40, 3), (300, 900, 3), (2_000_000, 6_000_000, 2)]);
        assert_eq!(size_classes(&[1, 100, 10_000], 1.0, 32.0), [(1, 10_000, 3)]);
        assert!(size_classes(&[], 4.0, 32.0).is_empty());
    }
}
