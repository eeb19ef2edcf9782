//! One-pass central moments with the definitions pandas users know.

/// Count, mean and central sums `M2 = sum (x - mean)^2`, `M3`, `M4` of a sample.
///
/// Built by [`moments`](crate::moments()) in one streaming pass and combined with
/// [`Moments::merge`], so chunks computed on different threads (or days) combine into the
/// moments of the whole. The statistics follow pandas: [`variance`](Self::variance) has
/// ddof = 1, [`skewness`](Self::skewness) is the bias-corrected G1 and
/// [`kurtosis`](Self::kurtosis) the bias-corrected excess G2. Each returns `None` where pandas
/// gives NaN for a lack of data or zero variance; a NaN or infinity in the data makes every
/// statistic `Some(NaN)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    /// Number of values.
    pub count: u64,
    /// Arithmetic mean (0 when `count == 0`).
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
    /// Sum of cubed deviations from the mean.
    pub m3: f64,
    /// Sum of fourth powers of deviations from the mean.
    pub m4: f64,
}

impl Moments {
    /// Moments of `count` values from their power sums about `shift`:
    /// `sums[k - 1] = sum (x - shift)^k` for `k = 1..=4`. Exact in exact arithmetic, and
    /// accurate in floating point when `shift` is near the mean (so the sums do not cancel).
    pub fn from_shifted_sums(count: u64, shift: f64, sums: [f64; 4]) -> Moments {
        if count == 0 {
            return Moments::default();
        }
        let n = count as f64;
        let [p1, p2, p3, p4] = sums;
        let delta = p1 / n;
        let m2 = p2 - n * delta * delta;
        let m3 = p3 - 3.0 * delta * p2 + 2.0 * n * delta.powi(3);
        let m4 = p4 - 4.0 * delta * p3 + 6.0 * delta * delta * p2 - 3.0 * n * delta.powi(4);
        // Rounding can leave the even moments slightly negative; clamp those to 0, but keep
        // a NaN (`f64::max` would turn it into 0 and hide a NaN or infinity in the data).
        let non_negative = |m: f64| if m < 0.0 { 0.0 } else { m };
        Moments {
            count,
            mean: shift + delta,
            m2: non_negative(m2),
            m3,
            m4: non_negative(m4),
        }
    }

    /// Moments of the union of two samples (Chan et al. for M2; Terriberry and Pébay for
    /// M3 and M4). Exact in exact arithmetic, and stable: only deviations are combined.
    pub fn merge(&self, other: &Moments) -> Moments {
        if other.count == 0 {
            return *self;
        }
        if self.count == 0 {
            return *other;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        let delta = other.mean - self.mean;
        let d_n = delta / n;
        let d_n2 = d_n * d_n;
        let term1 = delta * d_n * na * nb;
        let mean = self.mean + d_n * nb;
        let m2 = self.m2 + other.m2 + term1;
        let m3 = self.m3
            + other.m3
            + term1 * d_n * (na - nb)
            + 3.0 * d_n * (na * other.m2 - nb * self.m2);
        let m4 = self.m4
            + other.m4
            + term1 * d_n2 * (na * na - na * nb + nb * nb)
            + 6.0 * d_n2 * (na * na * other.m2 + nb * nb * self.m2)
            + 4.0 * d_n * (na * other.m3 - nb * self.m3);
        Moments {
            count: self.count + other.count,
            mean,
            m2,
            m3,
            m4,
        }
    }

    /// The mean, or `None` for an empty sample.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.mean)
    }

    /// Sample variance with ddof = 1 (pandas `.var()`); `None` below 2 values.
    pub fn variance(&self) -> Option<f64> {
        (self.count >= 2).then(|| self.m2 / (self.count - 1) as f64)
    }

    /// Sample standard deviation with ddof = 1 (pandas `.std()`); `None` below 2 values.
    pub fn std(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }

    /// Bias-corrected skewness G1 (pandas `.skew()`); `None` below 3 values or when the
    /// variance is zero.
    pub fn skewness(&self) -> Option<f64> {
        if self.count < 3 || self.m2 == 0.0 {
            return None;
        }
        let n = self.count as f64;
        let (m2, m3) = (self.m2 / n, self.m3 / n);
        Some((n * (n - 1.0)).sqrt() / (n - 2.0) * m3 / (m2 * m2.sqrt()))
    }

    /// Bias-corrected excess kurtosis G2 (pandas `.kurt()`); `None` below 4 values or when
    /// the variance is zero.
    pub fn kurtosis(&self) -> Option<f64> {
        if self.count < 4 || self.m2 == 0.0 {
            return None;
        }
        let n = self.count as f64;
        let denom = (n - 2.0) * (n - 3.0);
        let g = (n + 1.0) * n * (n - 1.0) / denom * self.m4 / (self.m2 * self.m2);
        Some(g - 3.0 * (n - 1.0) * (n - 1.0) / denom)
    }
}
