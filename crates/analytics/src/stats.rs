//! Robust statistics for baselines: a bounded sample window with median,
//! MAD, robust z-score and quantiles ([`Window`], and [`Sorted`] to compute
//! several of them from one sort); Shannon entropy of a string; bytes for
//! people ([`human_bytes`]).

use serde::{Deserialize, Serialize};

/// The last `cap` values of a series (a ring), for robust statistics that
/// need the values themselves (median, MAD, quantiles). The values are
/// allocated as they come (a window of one value holds one), growing to
/// `cap`, and kept as `f32`: histories are the bulk of a long-running
/// state, and seven significant digits are plenty for a baseline (a
/// count is exact up to 16 777 216, a byte volume within 0.00001 %).
/// Statistics are computed in `f64`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    cap: u32,
    next: u32,
    values: Vec<f32>,
    /// Values ever added.
    pub seen: u64,
}

impl Window {
    /// A window of the last `cap` values (at least 1, at most 2³²−1).
    pub fn new(cap: usize) -> Window {
        Window {
            cap: u32::try_from(cap.max(1)).unwrap_or(u32::MAX),
            next: 0,
            values: Vec::new(),
            seen: 0,
        }
    }

    /// Adds a value (the oldest goes when full). NaN is ignored.
    pub fn push(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        // Rounded to the nearest `f32` (beyond its range: infinite).
        let v = v as f32;
        self.seen += 1;
        let cap = self.cap.max(1) as usize;
        if self.values.len() < cap {
            let len = self.values.len();
            if len == self.values.capacity() {
                // One at a time while short (most series stay short), then
                // by half rather than double: long histories are the bulk
                // of the state, and their slack would be too.
                let extra = if len < 4 { 1 } else { len / 2 };
                self.values.reserve_exact(extra.min(cap - len));
            }
            self.values.push(v);
        } else if let Some(slot) = self.values.get_mut(self.next as usize) {
            *slot = v;
            self.next = (self.next + 1) % self.cap.max(1);
        }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        crate::state::alloc_size(self.values.capacity() * std::mem::size_of::<f32>())
    }

    /// The values as `f64`.
    fn wide(&self) -> Vec<f64> {
        self.values.iter().map(|&x| f64::from(x)).collect()
    }

    /// The values sorted once, for several statistics.
    pub fn sorted(&self) -> Sorted {
        let mut v = self.wide();
        v.sort_by(f64::total_cmp);
        Sorted { v }
    }

    /// A copy of the values for order statistics by selection.
    pub fn selector(&self) -> Selector {
        Selector { v: self.wide() }
    }

    /// Values held.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values held (as stored: `f32`), oldest first not guaranteed.
    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.values.iter().map(|&x| f64::from(x))
    }

    /// The `q` quantile (0–1, linear interpolation), None when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.sorted().quantile(q)
    }

    /// The median, None when empty.
    pub fn median(&self) -> Option<f64> {
        self.quantile(0.5)
    }

    /// The median absolute deviation from the median, None when empty.
    pub fn mad(&self) -> Option<f64> {
        self.sorted().mad()
    }

    /// How far `v` is above the median in robust standard deviations
    /// (MAD × 1.4826); `floor` is the smallest spread used, so a flat history
    /// does not turn every change into an outlier. None when empty.
    pub fn robust_z(&self, v: f64, floor: f64) -> Option<f64> {
        self.sorted().robust_z(v, floor)
    }
}

/// The `q` quantile of `values` (linear interpolation between closest
/// ranks), None when empty.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    Sorted::of(values).quantile(q)
}

/// The `q` quantile of sorted values.
fn sorted_quantile(v: &[f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let q = q.clamp(0.0, 1.0);
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    let (a, b) = (v.get(lo)?, v.get(hi)?);
    Some(a + (b - a) * frac)
}

/// Values sorted once: the statistics of [`Window`] without a sort each
/// (the same numbers, bit for bit).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sorted {
    v: Vec<f64>,
}

impl Sorted {
    /// `values`, sorted.
    pub fn of(values: &[f64]) -> Sorted {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Sorted { v }
    }

    /// Values held.
    pub fn len(&self) -> usize {
        self.v.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// The `q` quantile (0–1, linear interpolation), None when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        sorted_quantile(&self.v, q)
    }

    /// The median, None when empty.
    pub fn median(&self) -> Option<f64> {
        self.quantile(0.5)
    }

    /// The median absolute deviation from the median, None when empty.
    pub fn mad(&self) -> Option<f64> {
        let m = self.median()?;
        let mut dev: Vec<f64> = self.v.iter().map(|v| (v - m).abs()).collect();
        dev.sort_by(f64::total_cmp);
        sorted_quantile(&dev, 0.5)
    }

    /// How far `v` is above the median in robust standard deviations
    /// (MAD × 1.4826, at least `floor`); None when empty.
    pub fn robust_z(&self, v: f64, floor: f64) -> Option<f64> {
        self.robust_z_with(v, floor, self.median()?, self.mad()?)
    }

    /// [`Sorted::robust_z`] with the median and MAD already known.
    pub fn robust_z_with(&self, v: f64, floor: f64, median: f64, mad: f64) -> Option<f64> {
        if self.v.is_empty() {
            return None;
        }
        let spread = (mad * 1.4826).max(floor).max(f64::MIN_POSITIVE);
        Some((v - median) / spread)
    }
}

/// The `q` quantile of `v` as [`quantile`] gives it (bit for bit), by
/// selection rather than sorting (O(n)); `v` is left reordered.
pub fn select_quantile(v: &mut [f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let q = q.clamp(0.0, 1.0);
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    if lo >= v.len() {
        return None;
    }
    let (_, a, rest) = v.select_nth_unstable_by(lo, f64::total_cmp);
    let a = *a;
    // The next value in order is the smallest of those after it.
    let b = if hi > lo {
        rest.iter().copied().min_by(f64::total_cmp).unwrap_or(a)
    } else {
        a
    };
    Some(a + (b - a) * frac)
}

/// A copy of a window's values for a few order statistics by selection
/// (O(n) each, no sort): for long windows of which only a quantile or two
/// are needed, such as the peers' thousands of hours.
#[derive(Clone, Debug, Default)]
pub struct Selector {
    v: Vec<f64>,
}

impl Selector {
    /// A copy of `values`.
    pub fn of(values: &[f64]) -> Selector {
        Selector { v: values.to_vec() }
    }

    /// Values held.
    pub fn len(&self) -> usize {
        self.v.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// The `q` quantile, as [`quantile`] gives it.
    pub fn quantile(&mut self, q: f64) -> Option<f64> {
        select_quantile(&mut self.v, q)
    }

    /// The median.
    pub fn median(&mut self) -> Option<f64> {
        self.quantile(0.5)
    }

    /// The median absolute deviation from the median, as
    /// [`Window::mad`] gives it.
    pub fn mad(&mut self) -> Option<f64> {
        let m = self.median()?;
        let mut dev: Vec<f64> = self.v.iter().map(|v| (v - m).abs()).collect();
        select_quantile(&mut dev, 0.5)
    }
}

/// Bytes for people, in decimal units: `980 bytes`, `12 kB`, `350 MB`,
/// `2.1 GB`.
pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.0} kB", b / 1e3)
    } else {
        format!("{bytes} bytes")
    }
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
        let mut v: Vec<f64> = w.values().collect();
        v.sort_by(f64::total_cmp);
        assert_eq!(v, [3.0, 4.0, 5.0]);
        assert_eq!(w.seen, 5);
        w.push(f64::NAN);
        assert_eq!(w.seen, 5);
    }

    #[test]
    fn sorted_gives_the_windows_numbers() {
        let mut w = Window::new(50);
        for i in 0..80u32 {
            w.push(f64::from((i * 7919) % 97) * 1.5);
        }
        let s = w.sorted();
        assert_eq!(s.median(), w.median());
        assert_eq!(s.mad(), w.mad());
        assert_eq!(s.quantile(0.99), w.quantile(0.99));
        assert_eq!(s.robust_z(200.0, 1.0), w.robust_z(200.0, 1.0));
        assert_eq!(w.len(), 50);
        assert!(w.heap_bytes() >= 50 * 4 && w.heap_bytes() < 80 * 4);
        assert_eq!(Sorted::of(&[]).robust_z(1.0, 1.0), None);
    }

    #[test]
    fn selection_gives_the_sorted_numbers() {
        let mut x: u64 = 12345;
        for n in [1usize, 2, 3, 10, 101, 1000] {
            let mut w = Window::new(n);
            for _ in 0..n {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                // Many repeats, and both zeros.
                let v = ((x >> 40) % 50) as f64 - 25.0;
                w.push(if v == 0.0 && x.is_multiple_of(2) {
                    -0.0
                } else {
                    v * 1.25
                });
            }
            let s = w.sorted();
            let mut sel = w.selector();
            for q in [0.0, 0.1, 0.5, 0.9, 0.99, 1.0] {
                let (a, b) = (s.quantile(q), sel.quantile(q));
                assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "n {n} q {q}");
            }
            assert_eq!(s.mad().map(f64::to_bits), sel.mad().map(f64::to_bits));
            assert_eq!(sel.len(), n);
        }
        assert_eq!(Selector::of(&[]).quantile(0.5), None);
    }

    #[test]
    fn bytes_for_people() {
        assert_eq!(human_bytes(980), "980 bytes");
        assert_eq!(human_bytes(12_400), "12 kB");
        assert_eq!(human_bytes(350_000_000), "350 MB");
        assert_eq!(human_bytes(2_140_000_000), "2.1 GB");
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
