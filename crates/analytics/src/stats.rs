//! Robust statistics for baselines: a bounded sample window with median,
//! MAD, robust z-score and quantiles; Shannon entropy of a string.

use serde::{Deserialize, Serialize};

/// The last `cap` values of a series (a ring), for robust statistics that
/// need the values themselves (median, MAD, quantiles).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    cap: usize,
    values: Vec<f64>,
    next: usize,
    /// Values ever added.
    pub seen: u64,
}

impl Window {
    /// A window of the last `cap` values (at least 1).
    pub fn new(cap: usize) -> Window {
        Window {
            cap: cap.max(1),
            values: Vec::new(),
            next: 0,
            seen: 0,
        }
    }

    /// Adds a value (the oldest goes when full). NaN is ignored.
    pub fn push(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        self.seen += 1;
        if self.values.len() < self.cap {
            self.values.push(v);
        } else {
            self.values[self.next] = v;
            self.next = (self.next + 1) % self.cap;
        }
    }

    /// Values held.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values held, oldest first not guaranteed.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The `q` quantile (0–1, linear interpolation), None when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        quantile(&self.values, q)
    }

    /// The median, None when empty.
    pub fn median(&self) -> Option<f64> {
        self.quantile(0.5)
    }

    /// The median absolute deviation from the median, None when empty.
    pub fn mad(&self) -> Option<f64> {
        let m = self.median()?;
        let dev: Vec<f64> = self.values.iter().map(|v| (v - m).abs()).collect();
        quantile(&dev, 0.5)
    }

    /// How far `v` is above the median in robust standard deviations
    /// (MAD × 1.4826); `floor` is the smallest spread used, so a flat history
    /// does not turn every change into an outlier. None when empty.
    pub fn robust_z(&self, v: f64, floor: f64) -> Option<f64> {
        let m = self.median()?;
        let spread = (self.mad()? * 1.4826).max(floor).max(f64::MIN_POSITIVE);
        Some((v - m) / spread)
    }
}

/// The `q` quantile of `values` (linear interpolation between closest
/// ranks), None when empty.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let q = q.clamp(0.0, 1.0);
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    Some(v[lo] + (v[hi] - v[lo]) * frac)
}

/// Shannon entropy of `s`'s bytes, in bits per byte (0 for empty).
pub fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_mad_and_z() {
        let mut w = Window::new(100);
        for v in [10.0, 12.0, 11.0, 9.0, 10.0, 10.0, 13.0] {
            w.push(v);
        }
        assert_eq!(w.median(), Some(10.0));
        assert_eq!(w.mad(), Some(1.0));
        let z = w.robust_z(20.0, 0.0).unwrap();
        assert!((z - 10.0 / 1.4826).abs() < 1e-9, "{z}");
        // A flat history uses the floor.
        let mut flat = Window::new(10);
        for _ in 0..5 {
            flat.push(100.0);
        }
        assert_eq!(flat.robust_z(110.0, 5.0), Some(2.0));
        assert_eq!(Window::new(3).median(), None);
    }

    #[test]
    fn window_keeps_the_last_values() {
        let mut w = Window::new(3);
        for v in 1..=5 {
            w.push(f64::from(v));
        }
        let mut v = w.values().to_vec();
        v.sort_by(f64::total_cmp);
        assert_eq!(v, [3.0, 4.0, 5.0]);
        assert_eq!(w.seen, 5);
        w.push(f64::NAN);
        assert_eq!(w.seen, 5);
    }

    #[test]
    fn quantiles_and_entropy() {
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile(&[5.0], 0.99), Some(5.0));
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(entropy(b""), 0.0);
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-12);
    }
}
