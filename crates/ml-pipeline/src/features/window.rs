//! O(1) rolling-window state: moments, extrema and a sliding DFT. Each allocates its
//! buffers once, at construction; updates never touch the allocator.

/// A fixed-capacity ring of the last `cap` values.
#[derive(Clone, Debug)]
pub(crate) struct Ring {
    buf: Vec<f64>,
    head: usize,
    len: usize,
}

impl Ring {
    pub(crate) fn new(cap: usize) -> Self {
        Ring {
            buf: vec![0.0; cap.max(1)],
            head: 0,
            len: 0,
        }
    }

    /// Appends `x`; returns the value it evicted once the ring is full.
    #[inline]
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        let cap = self.buf.len();
        let old = (self.len == cap).then(|| self.buf[self.head]);
        self.buf[self.head] = x;
        self.head = if self.head + 1 == cap {
            0
        } else {
            self.head + 1
        };
        self.len = (self.len + 1).min(cap);
        old
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The `k`-th newest value (`k = 1` the last pushed), if the ring holds that many.
    #[inline]
    pub(crate) fn back(&self, k: usize) -> Option<f64> {
        if k == 0 || k > self.len {
            return None;
        }
        let cap = self.buf.len();
        Some(self.buf[(self.head + cap - k) % cap])
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    /// Oldest to newest.
    pub(crate) fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        let cap = self.buf.len();
        let start = (self.head + cap - self.len) % cap;
        (0..self.len).map(move |i| self.buf[(start + i) % cap])
    }
}

/// Largest relative rounding error the running sums of [`RollingMoments`] may carry (as
/// bounded, for the centered second moment and the fourth power sum) before they are
/// recomputed exactly. The bound is a worst case; typical errors are far below it, which
/// keeps the statistics within 1e-12 (mean, std) and 1e-9 (skew, kurtosis) of exact.
pub(crate) const MAX_RELATIVE_ERROR: f64 = 1e-12;

/// Half the distance from 1.0 to the next f64: the largest relative error of one rounding.
pub(crate) const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;

/// Statistics of one full window, NaN where pandas gives NaN.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowStats {
    /// Mean.
    pub mean: f64,
    /// Standard deviation, ddof 1.
    pub std: f64,
    /// Bias-corrected skewness G1.
    pub skew: f64,
    /// Bias-corrected excess kurtosis G2.
    pub kurt: f64,
}

impl WindowStats {
    const NAN: WindowStats = WindowStats {
        mean: f64::NAN,
        std: f64::NAN,
        skew: f64::NAN,
        kurt: f64::NAN,
    };
}

/// Rolling count, mean and central moments of the last `window` values in O(1) per update.
///
/// Keeps power sums of `x - shift` over the window, where `shift` is the window mean at the
/// last exact recomputation, so the sums never suffer the cancellation of raw `E[x^2]`.
///
/// Sliding sums still cancel when large values leave the window: after a volatility burst,
/// or when the price stops moving, the sums are small differences of the large values they
/// once held, and the digits those held are lost. So each update also accumulates a bound on
/// the rounding error of the second and fourth power sums (every addition's error is at most
/// the unit roundoff times the partial sum it produced, so the bound is the unit roundoff
/// times the sum of the partial sums since the last recomputation). Once a bound exceeds
/// 1e-12 of the quantity it guards (the centered second moment, the fourth
/// power sum), the sums are recomputed exactly, two-pass, from the stored window. On ordinary
/// data the bound grows by about two window sums per update and never comes near; after a
/// burst it trips as soon as the window's own sums fall far below those it held.
///
/// The sums are also recomputed every `recompute_every` updates (which refreshes the shift
/// and puts extractors started mid-series on the same ticks as a sequential pass) and
/// whenever a non-finite value leaves the window. A window holding NaN or ±Inf gives NaN
/// statistics; a window whose values are all equal gives std exactly 0 and NaN
/// skew/kurtosis (as pandas does, by the same run count).
#[derive(Clone, Debug)]
pub struct RollingMoments {
    window: usize,
    ring: Ring,
    shift: f64,
    sums: [f64; 4],
    /// Bounds on the absolute rounding error of `sums[1]` and `sums[3]`, in units of the unit
    /// roundoff: the sum of the partial sums produced since the last exact recomputation.
    error_bound: [f64; 2],
    inv_window: f64,
    non_finite: usize,
    /// Pushes left until the next exact recomputation. Recomputes fall on multiples of
    /// `recompute_every` counted from the series start, so extractors started mid-series
    /// (parallel chunks) recompute on the same ticks as a sequential pass and then hold
    /// bit-identical state. A countdown, because a division per push costs more than the
    /// update itself.
    until_recompute: usize,
    recompute_every: usize,
    /// Whether the third and fourth power sums are kept (skew and kurtosis wanted).
    higher: bool,
    run_value: f64,
    run_len: usize,
}

impl RollingMoments {
    /// State for windows of `window` values, recomputed exactly every `recompute_every`.
    pub fn new(window: usize, recompute_every: usize) -> Self {
        Self::with_order(window, recompute_every, true)
    }

    /// As [`new`](Self::new); with `higher == false` only the mean and standard deviation are
    /// maintained, and skew and kurtosis read NaN.
    pub fn with_order(window: usize, recompute_every: usize, higher: bool) -> Self {
        RollingMoments {
            window: window.max(1),
            ring: Ring::new(window),
            shift: 0.0,
            sums: [0.0; 4],
            error_bound: [0.0; 2],
            inv_window: 1.0 / window.max(1) as f64,
            non_finite: 0,
            until_recompute: recompute_every.max(1),
            recompute_every: recompute_every.max(1),
            higher,
            run_value: f64::NAN,
            run_len: 0,
        }
    }

    /// Adds `x`, evicting the oldest value once the window is full; returns the evicted one.
    #[inline]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        if x == self.run_value {
            self.run_len += 1;
        } else {
            self.run_value = x;
            self.run_len = 1;
        }
        let old = self.ring.push(x);
        let mut need_recompute = false;
        if x.is_finite() {
            self.add(x, 1.0);
        } else {
            self.non_finite += 1;
        }
        if let Some(o) = old {
            if o.is_finite() {
                self.add(o, -1.0);
            } else {
                self.non_finite -= 1;
                // The sums never held it, but the shift may be stale after a gap: refresh.
                need_recompute = self.non_finite == 0;
            }
        }
        self.until_recompute -= 1;
        if self.until_recompute == 0 {
            self.until_recompute = self.recompute_every;
            self.recompute();
        } else if need_recompute || self.cancelled() {
            self.recompute();
        }
        old
    }

    /// Whether the accumulated rounding error may exceed [`MAX_RELATIVE_ERROR`] of the
    /// centered second moment or of the fourth power sum, or (when skew and kurtosis are
    /// kept) the shift has drifted more than a standard deviation from the window's mean:
    /// the fourth central moment is then a difference of terms up to `(drift / std)^4`
    /// times larger than itself.
    #[inline(always)]
    fn cancelled(&self) -> bool {
        let [s1, s2, _, s4] = self.sums;
        let m2 = s2 - s1 * s1 * self.inv_window;
        let limit = MAX_RELATIVE_ERROR / UNIT_ROUNDOFF;
        self.error_bound[0] > limit * m2
            || (self.higher && (self.error_bound[1] > limit * s4 || s1 * s1 * self.inv_window > m2))
    }

    /// Sets how many values the series had before this state's first push (see
    /// `until_recompute`).
    pub(crate) fn set_start(&mut self, ticks_before: u64) {
        let r = self.recompute_every as u64;
        self.until_recompute = (r - ticks_before % r) as usize;
    }

    #[inline(always)]
    fn add(&mut self, x: f64, sign: f64) {
        let d = x - self.shift;
        let d2 = d * d;
        self.sums[0] += sign * d;
        self.sums[1] += sign * d2;
        self.error_bound[0] += self.sums[1];
        if self.higher {
            self.sums[2] += sign * d2 * d;
            self.sums[3] += sign * d2 * d2;
            self.error_bound[1] += self.sums[3];
        }
    }

    /// Exact two-pass recomputation over the stored window.
    #[cold]
    pub(crate) fn recompute(&mut self) {
        let (mut n, mut total) = (0usize, 0.0);
        for v in self.ring.iter().filter(|v| v.is_finite()) {
            n += 1;
            total += v;
        }
        self.shift = if n > 0 { total / n as f64 } else { 0.0 };
        self.sums = [0.0; 4];
        let shift = self.shift;
        for v in self.ring.iter().filter(|v| v.is_finite()) {
            let d = v - shift;
            let d2 = d * d;
            self.sums[0] += d;
            self.sums[1] += d2;
            self.sums[2] += d2 * d;
            self.sums[3] += d2 * d2;
        }
        // Recursive summation of n non-negative terms errs by at most (n - 1) roundings of
        // the total.
        let n = n as f64;
        self.error_bound = [n * self.sums[1], n * self.sums[3]];
    }

    /// The values currently in the window, oldest first.
    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.ring.iter()
    }

    /// Whether the window holds `window` values.
    pub fn is_full(&self) -> bool {
        self.ring.is_full()
    }

    /// The window's mean alone ([`stats`](Self::stats)`.mean` without the other
    /// statistics): NaN until it is full or while it holds a non-finite value.
    #[inline]
    pub fn mean(&self) -> f64 {
        if !self.ring.is_full() || self.non_finite > 0 {
            return f64::NAN;
        }
        if self.run_len >= self.window {
            return self.run_value;
        }
        self.shift + self.sums[0] / self.window as f64
    }

    /// Statistics of the window: all NaN until it is full or while it holds a non-finite
    /// value; skew NaN below 3 values, kurtosis below 4, both NaN at zero variance.
    #[inline]
    pub fn stats(&self) -> WindowStats {
        if !self.ring.is_full() || self.non_finite > 0 {
            return WindowStats::NAN;
        }
        if self.run_len >= self.window {
            let std = if self.window >= 2 { 0.0 } else { f64::NAN };
            return WindowStats {
                mean: self.run_value,
                std,
                skew: f64::NAN,
                kurt: f64::NAN,
            };
        }
        let m = simd_kernels::Moments::from_shifted_sums(self.window as u64, self.shift, self.sums);
        let std = m.std().unwrap_or(f64::NAN);
        if !self.higher {
            return WindowStats {
                mean: m.mean,
                std,
                skew: f64::NAN,
                kurt: f64::NAN,
            };
        }
        WindowStats {
            mean: m.mean,
            std,
            skew: m.skewness().unwrap_or(f64::NAN),
            kurt: m.kurtosis().unwrap_or(f64::NAN),
        }
    }
}

/// Rolling minimum and maximum of the last `window` values with monotonic deques:
/// amortized O(1) per update. A window holding NaN gives NaN.
#[derive(Clone, Debug)]
pub struct RollingMinMax {
    window: usize,
    tick: u64,
    nan_until: u64,
    min_q: Deque,
    max_q: Deque,
}

/// A fixed-capacity deque of (tick, value), as a ring.
#[derive(Clone, Debug)]
struct Deque {
    items: Vec<(u64, f64)>,
    head: usize,
    len: usize,
}

impl Deque {
    fn new(cap: usize) -> Self {
        Deque {
            items: vec![(0, 0.0); cap.max(1)],
            head: 0,
            len: 0,
        }
    }
    #[inline]
    fn idx(&self, i: usize) -> usize {
        (self.head + i) % self.items.len()
    }
    #[inline]
    fn front(&self) -> Option<(u64, f64)> {
        (self.len > 0).then(|| self.items[self.head])
    }
    #[inline]
    fn back(&self) -> Option<(u64, f64)> {
        (self.len > 0).then(|| self.items[self.idx(self.len - 1)])
    }
    #[inline]
    fn pop_front(&mut self) {
        self.head = self.idx(1);
        self.len -= 1;
    }
    #[inline]
    fn pop_back(&mut self) {
        self.len -= 1;
    }
    #[inline]
    fn push_back(&mut self, item: (u64, f64)) {
        debug_assert!(
            self.len < self.items.len(),
            "deque over capacity {}",
            self.items.len()
        );
        let i = self.idx(self.len);
        self.items[i] = item;
        self.len += 1;
    }
}

impl RollingMinMax {
    /// Extrema over windows of `window` values.
    pub fn new(window: usize) -> Self {
        let window = window.max(1);
        RollingMinMax {
            window,
            tick: 0,
            nan_until: 0,
            min_q: Deque::new(window),
            max_q: Deque::new(window),
        }
    }

    /// Adds `x` to the window.
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.tick += 1;
        let t = self.tick;
        let w = self.window as u64;
        for q in [&mut self.min_q, &mut self.max_q] {
            while q.front().is_some_and(|(i, _)| i + w <= t) {
                q.pop_front();
            }
        }
        if x.is_nan() {
            // The window holds a NaN until this tick leaves it.
            self.nan_until = t + w;
            return;
        }
        while self.min_q.back().is_some_and(|(_, v)| v >= x) {
            self.min_q.pop_back();
        }
        self.min_q.push_back((t, x));
        while self.max_q.back().is_some_and(|(_, v)| v <= x) {
            self.max_q.pop_back();
        }
        self.max_q.push_back((t, x));
    }

    /// `(min, max)` of the window; NaN until it is full or while it holds a NaN.
    #[inline]
    pub fn get(&self) -> (f64, f64) {
        if self.tick < self.window as u64 || self.tick < self.nan_until {
            return (f64::NAN, f64::NAN);
        }
        match (self.min_q.front(), self.max_q.front()) {
            (Some((_, lo)), Some((_, hi))) => (lo, hi),
            _ => (f64::NAN, f64::NAN),
        }
    }
}

/// Power of DFT bins `1..=bins` of the last `n` values, updated in O(bins) per value:
/// `X_k <- (X_k - x_old + x_new) * e^{2 pi i k / n}`. The rotation accumulates rounding, so
/// the bins are recomputed exactly every `recompute_every` updates and when a non-finite
/// value leaves the window.
#[derive(Clone, Debug)]
pub struct SlidingDft {
    n: usize,
    ring: Ring,
    /// `(cos, sin)` of `2 pi j / n` for `j` in `0..n`.
    twiddle: Vec<(f64, f64)>,
    /// `(re, im)` per bin.
    bins: Vec<(f64, f64)>,
    non_finite: usize,
    /// Pushes left until the next exact recomputation (as in [`RollingMoments`]).
    until_recompute: usize,
    recompute_every: usize,
}

impl SlidingDft {
    /// Bins `1..=bins` of an `n`-point DFT.
    pub fn new(n: usize, bins: usize, recompute_every: usize) -> Self {
        let n = n.max(1);
        let twiddle = (0..n)
            .map(|j| {
                let a = 2.0 * std::f64::consts::PI * j as f64 / n as f64;
                (a.cos(), a.sin())
            })
            .collect();
        SlidingDft {
            n,
            ring: Ring::new(n),
            twiddle,
            bins: vec![(0.0, 0.0); bins],
            non_finite: 0,
            until_recompute: recompute_every.max(1),
            recompute_every: recompute_every.max(1),
        }
    }

    /// Adds `x`, evicting the value `n` updates old.
    #[inline]
    pub fn push(&mut self, x: f64) {
        let old = self.ring.push(x).unwrap_or(0.0);
        let mut need_recompute = false;
        if !x.is_finite() {
            self.non_finite += 1;
        }
        if !old.is_finite() {
            self.non_finite -= 1;
            need_recompute = self.non_finite == 0;
        }
        self.until_recompute -= 1;
        if self.until_recompute == 0 || need_recompute {
            if self.until_recompute == 0 {
                self.until_recompute = self.recompute_every;
            }
            self.recompute();
            return;
        }
        if self.non_finite > 0 {
            return;
        }
        let diff = x - old;
        for (k, (re, im)) in self.bins.iter_mut().enumerate() {
            let (c, s) = self.twiddle[k + 1];
            let r = *re + diff;
            let i = *im;
            *re = r * c - i * s;
            *im = r * s + i * c;
        }
    }

    /// Sets how many values the series had before this state's first push.
    pub(crate) fn set_start(&mut self, ticks_before: u64) {
        let r = self.recompute_every as u64;
        self.until_recompute = (r - ticks_before % r) as usize;
    }

    #[cold]
    fn recompute(&mut self) {
        if self.non_finite > 0 {
            return;
        }
        // Zeros stand in for values not yet seen, as in the sliding update.
        let pad = self.n - self.ring.len();
        for (k, bin) in self.bins.iter_mut().enumerate() {
            let (mut re, mut im) = (0.0, 0.0);
            for (j, v) in self.ring.iter().enumerate() {
                let (c, s) = self.twiddle[((k + 1) * (j + pad)) % self.n];
                re += v * c;
                im -= v * s;
            }
            *bin = (re, im);
        }
    }

    /// Writes `|X_k|^2 / n` for each bin; NaN until `n` values are in or while the window
    /// holds a non-finite value.
    #[inline]
    pub fn powers(&self, out: &mut [f64]) {
        let ready = self.ring.is_full() && self.non_finite == 0;
        for (o, (re, im)) in out.iter_mut().zip(&self.bins) {
            *o = if ready {
                (re * re + im * im) / self.n as f64
            } else {
                f64::NAN
            };
        }
    }
}
