//! Which series of a pair is scored: the whole pair, and each class of
//! sizes sent with enough connections; the best one that may be reported.

use super::score::{self, size_classes, Params, Scores};
use super::{Config, PairState, UNKNOWN};

/// The best series of one pair in a window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Best {
    pub scores: Scores,
    /// Smallest and largest size of the best series when it is a size
    /// class, None for the whole pair.
    pub class: Option<(u32, u32)>,
    /// Size classes with at least `min_connections` connections.
    pub classes: usize,
    /// Score of the whole pair (None when it cannot be scored).
    pub score_all: Option<f64>,
}

/// The scoring parameters of `c`.
pub(crate) fn params(c: &Config) -> Params {
    Params {
        min_interval_secs: c.min_interval_secs,
        interval_madm_ratio: c.interval_madm_ratio,
        period_tolerance: c.period_tolerance,
        size_madm_ratio: c.size_madm_ratio,
        size_madm_floor_bytes: c.size_madm_floor_bytes,
        weights: [
            c.interval_weight,
            c.count_weight,
            c.period_weight,
            c.size_weight,
        ],
    }
}

/// The scores of the connections of `conns` (sorted by time) whose size is
/// in `class` (all of them when None), observed until `end` seconds.
fn series(conns: &[(f64, u32)], class: Option<(u32, u32)>, end: f64, p: &Params) -> Option<Scores> {
    let inside = |b: u32| class.is_none_or(|(lo, hi)| b != UNKNOWN && b >= lo && b <= hi);
    let times: Vec<f64> = conns.iter().filter(|c| inside(c.1)).map(|c| c.0).collect();
    let sizes: Vec<f64> = conns
        .iter()
        .filter(|c| inside(c.1) && c.1 != UNKNOWN)
        .map(|c| f64::from(c.1))
        .collect();
    score::score(&times, &sizes, end, p)
}

/// The best series of `st` that may be reported (enough connections over a
/// long enough span), observed until `end` seconds after the window's
/// start. Ties go to the whole pair.
pub(crate) fn best(st: &PairState, end: f64, c: &Config, p: &Params) -> Option<Best> {
    let mut conns: Vec<(f64, u32)> = st
        .conns
        .iter()
        .map(|&(t, b)| (f64::from(t) / 1e3, b))
        .collect();
    conns.sort_by(|a, b| a.0.total_cmp(&b.0));
    let reportable = |s: &Scores| s.n as u64 >= c.min_connections && s.span() >= c.min_span_secs;
    let all = series(&conns, None, end, p);
    // The whole pair counts every connection, kept or not.
    let mut best: Option<(Scores, Option<(u32, u32)>)> = all
        .filter(|s| st.count >= c.min_connections && s.span() >= c.min_span_secs)
        .map(|s| (s, None));
    let mut sizes: Vec<u32> = conns
        .iter()
        .map(|c| c.1)
        .filter(|&b| b != UNKNOWN)
        .collect();
    sizes.sort_unstable();
    let classes: Vec<(u32, u32, usize)> =
        size_classes(&sizes, c.size_class_ratio, c.size_madm_floor_bytes)
            .into_iter()
            .filter(|k| k.2 as u64 >= c.min_connections)
            .collect();
    for &(lo, hi, n) in &classes {
        if n >= conns.len() {
            continue; // the whole pair
        }
        let Some(s) = series(&conns, Some((lo, hi)), end, p).filter(|s| reportable(s)) else {
            continue;
        };
        if best.is_none_or(|b| s.score > b.0.score) {
            best = Some((s, Some((lo, hi))));
        }
    }
    let (scores, class) = best?;
    Some(Best {
        scores,
        class,
        classes: classes.len(),
        score_all: all.map(|s| s.score),
    })
}
