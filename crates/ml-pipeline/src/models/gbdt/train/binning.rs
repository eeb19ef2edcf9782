//! Quantile binning: each feature's values become u8 bin codes, computed once before
//! training and stored column by column.
//!
//! As LightGBM does, bin bounds come from a seeded sample of rows (all rows up to
//! `sample_rows`); a feature with at most `max_bin` distinct values gets one bin per value,
//! otherwise bins hold about equal numbers of sampled rows, a value never split across two;
//! either way a bin holds at least 3 sampled rows (LightGBM's `min_data_in_bin`), but the
//! last.
//! Bounds are float32 and a value `x` falls in bin `k` when `bounds[k-1] <= (x as f32) <
//! bounds[k]`, so "bins up to `k` go left" is exactly XGBoost's test `(float)x < bounds[k]`
//! and a trained tree exports to XGBoost without changing any prediction. NaN has a bin of its
//! own after the value bins (the missing bin).

use fast_math::{for_each_job, MatRef, Par};
use seeded_rng::Rng;

/// The bins of one feature.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct BinMapper {
    /// Strictly increasing float32 upper bounds of every value bin but the last.
    pub bounds: Vec<f32>,
}

impl BinMapper {
    /// Value bins (at least 1).
    pub fn value_bins(&self) -> usize {
        self.bounds.len() + 1
    }

    /// Histogram entries: the value bins and the missing bin.
    pub fn n_bins(&self) -> usize {
        self.bounds.len() + 2
    }

    /// The bin of NaN.
    pub fn missing_bin(&self) -> u8 {
        Self::code(self.bounds.len() + 1)
    }

    /// The bin of `x`: float32 rounding first, as XGBoost reads inputs.
    #[inline]
    #[allow(clippy::cast_possible_truncation)] // the float32 reading is the point
    pub fn bin(&self, x: f64) -> u8 {
        if x.is_nan() {
            return self.missing_bin();
        }
        let x = x as f32;
        Self::code(self.bounds.partition_point(|&t| t <= x))
    }

    #[allow(clippy::cast_possible_truncation)] // at most 255 value bins + 1 (checked by `check`)
    fn code(k: usize) -> u8 {
        debug_assert!(k <= usize::from(u8::MAX), "bin {k}");
        k as u8
    }

    /// Bins for the sorted non-NaN float32 values of a sample: at most `max_bin` value bins.
    pub fn from_sorted(values: &[f32], max_bin: usize) -> Self {
        let mut distinct: Vec<f32> = Vec::new();
        let mut counts: Vec<usize> = Vec::new();
        for &v in values {
            // -0.0 and 0.0 read as one value, as the float32 comparison sees them.
            if distinct.last() == Some(&v) {
                *counts.last_mut().unwrap_or(&mut 0) += 1;
            } else {
                distinct.push(v);
                counts.push(1);
            }
        }
        let bounds = if distinct.len() <= max_bin {
            // One bin per value, except that a bin closes only once it holds
            // `MIN_DATA_IN_BIN` rows (the last bin takes what is left).
            let mut bounds = Vec::new();
            let mut in_bin = 0;
            for i in 0..distinct.len().saturating_sub(1) {
                in_bin += counts[i];
                if in_bin >= MIN_DATA_IN_BIN {
                    bounds.push(between(distinct[i], distinct[i + 1]));
                    in_bin = 0;
                }
            }
            bounds
        } else {
            let rows: usize = counts.iter().sum();
            let max_bin = max_bin.min(rows / MIN_DATA_IN_BIN).max(1);
            greedy_bounds(&distinct, &counts, max_bin)
        };
        BinMapper { bounds }
    }
}

/// Fewest sampled rows in a bin (but the last), LightGBM's `min_data_in_bin` default: on
/// small data a bin per distinct value would let a split isolate a row or two, which
/// LightGBM's bins do not allow.
const MIN_DATA_IN_BIN: usize = 3;

/// A float32 `t` with `a < t <= b` for `a < b`: their midpoint when it lies strictly above
/// `a`, else the float32 after `a`.
fn between(a: f32, b: f32) -> f32 {
    #[allow(clippy::cast_possible_truncation)] // a float32 bound is what is wanted
    let mid = ((f64::from(a) + f64::from(b)) / 2.0) as f32;
    if mid > a && mid <= b && mid.is_finite() {
        mid
    } else {
        a.next_up()
    }
}

/// Cuts between distinct values so each of `max_bin` bins holds about the rows not yet
/// binned over the bins left; a value whose rows alone fill a bin gets its own.
#[allow(clippy::cast_precision_loss)] // row counts are far below 2^53
fn greedy_bounds(distinct: &[f32], counts: &[usize], max_bin: usize) -> Vec<f32> {
    let mut bounds = Vec::with_capacity(max_bin - 1);
    let mut rows_left: usize = counts.iter().sum();
    let mut bins_left = max_bin;
    let mut current = 0;
    for i in 0..distinct.len() - 1 {
        current += counts[i];
        if bins_left <= 1 {
            break;
        }
        let target = rows_left as f64 / bins_left as f64;
        if current as f64 >= target || counts[i + 1] as f64 >= target {
            bounds.push(between(distinct[i], distinct[i + 1]));
            rows_left -= current;
            current = 0;
            bins_left -= 1;
        }
    }
    bounds
}

/// The training data as bin codes, one column per feature.
#[derive(Clone, Debug)]
pub(super) struct Binned {
    pub rows: usize,
    /// `cols[j][i]`: the bin of row `i` in feature `j`.
    pub cols: Vec<Vec<u8>>,
    pub mappers: Vec<BinMapper>,
    /// Where each feature's entries start in a histogram of all features.
    pub offsets: Vec<usize>,
    /// Histogram entries of all features.
    pub total_bins: usize,
}

/// Values binned (or sorted for bounds) per thread at least: a thread's share of binning then
/// takes milliseconds, far more than handing it to the pool costs.
const MIN_VALUES_PER_THREAD: usize = 1 << 20;

/// Rows binned at a time: a block of a row-major matrix that fills a quarter of the L2
/// cache, so it stays there while each of its columns is binned in turn (a column of a
/// row-major block touches one cache line per row: without blocking, every column would
/// stream the whole matrix from memory again). At least 64 rows.
fn block_rows(k: usize) -> usize {
    (simd_kernels::cache::CacheSizes::detect().l2 / 4 / (8 * k.max(1))).max(64)
}

impl Binned {
    /// Bins `x` with bounds computed on a seeded sample of at most `sample_rows` rows, the
    /// features shared among `par`'s threads.
    pub fn fit(
        x: MatRef<'_, f64>,
        max_bin: usize,
        sample_rows: usize,
        seed: u64,
        par: Par,
    ) -> Self {
        let sample = sample_rows_of(x.nrows(), sample_rows, seed);
        let mappers = mappers_of(
            x.ncols(),
            sample.len(),
            |s, j| x.get(sample[s], j),
            max_bin,
            par,
        );
        let mut b = Self::empty(mappers, x.nrows());
        b.push(x, par);
        b
    }

    /// Bins `x` with given bounds (a validation set, with the training set's).
    pub fn with_mappers(x: MatRef<'_, f64>, mappers: Vec<BinMapper>) -> Self {
        let mut b = Self::empty(mappers, x.nrows());
        b.push(x, Par::Seq);
        b
    }

    /// No rows yet, room for `rows`.
    pub fn empty(mappers: Vec<BinMapper>, rows: usize) -> Self {
        let cols = mappers.iter().map(|_| Vec::with_capacity(rows)).collect();
        let mut offsets = Vec::with_capacity(mappers.len());
        let mut total_bins = 0;
        for m in &mappers {
            offsets.push(total_bins);
            total_bins += m.n_bins();
        }
        Binned {
            rows: 0,
            cols,
            mappers,
            offsets,
            total_bins,
        }
    }

    /// Appends the bins of the rows of `x` (as many columns as mappers), the features shared
    /// among `par`'s threads (each column is one thread's: the codes do not depend on it).
    pub fn push(&mut self, x: MatRef<'_, f64>, par: Par) {
        debug_assert_eq!(x.ncols(), self.mappers.len());
        let n = x.nrows();
        let k = self.mappers.len();
        let threads = par.threads().min(n * k / MIN_VALUES_PER_THREAD).max(1);
        let per = k.div_ceil(threads).max(1);
        let jobs: Vec<_> = self
            .mappers
            .chunks(per)
            .zip(self.cols.chunks_mut(per))
            .enumerate()
            .collect();
        let block = block_rows(k);
        for_each_job(Par::Rayon(threads), jobs, |(g, (mappers, cols))| {
            let mut start = 0;
            while start < n {
                let end = (start + block).min(n);
                for (c, (m, col)) in mappers.iter().zip(cols.iter_mut()).enumerate() {
                    let j = g * per + c;
                    col.extend((start..end).map(|i| m.bin(x.get(i, j))));
                }
                start = end;
            }
        });
        self.rows += n;
    }

    /// The bins row by row: row `i`'s bins at `i * k..(i + 1) * k`, transposed in blocks of
    /// rows shared among `par`'s threads.
    pub fn row_major(&self, par: Par) -> Vec<u8> {
        let (n, k) = (self.rows, self.cols.len());
        let mut out = vec![0u8; n * k];
        if k == 0 {
            return out;
        }
        let block = block_rows(k);
        let threads = par.threads().min(n * k / MIN_VALUES_PER_THREAD).max(1);
        let per = n.div_ceil(threads).max(1);
        let jobs: Vec<_> = out.chunks_mut(per * k).enumerate().collect();
        for_each_job(Par::Rayon(threads), jobs, |(b, part)| {
            let lo = b * per;
            let rows = part.len() / k;
            let mut start = 0;
            while start < rows {
                let end = (start + block).min(rows);
                for (j, col) in self.cols.iter().enumerate() {
                    for (i, &v) in col[lo + start..lo + end].iter().enumerate() {
                        part[(start + i) * k + j] = v;
                    }
                }
                start = end;
            }
        });
        out
    }

    /// The histogram entries of feature `j`.
    pub fn range(&self, j: usize) -> std::ops::Range<usize> {
        self.offsets[j]..self.offsets[j] + self.mappers[j].n_bins()
    }
}

/// The bin mappers of `k` features from a sample of `n_sample` rows, `value(s, j)` being
/// feature `j` of sample row `s`.
pub(super) fn mappers_of(
    k: usize,
    n_sample: usize,
    value: impl Fn(usize, usize) -> f64 + Sync,
    max_bin: usize,
    par: Par,
) -> Vec<BinMapper> {
    let mut mappers = vec![BinMapper { bounds: Vec::new() }; k];
    let threads = par
        .threads()
        .min(k * n_sample / MIN_VALUES_PER_THREAD)
        .max(1);
    let per = k.div_ceil(threads).max(1);
    let jobs: Vec<_> = mappers.chunks_mut(per).enumerate().collect();
    for_each_job(Par::Rayon(threads), jobs, |(g, out)| {
        let mut values = Vec::with_capacity(n_sample);
        for (c, m) in out.iter_mut().enumerate() {
            let j = g * per + c;
            values.clear();
            #[allow(clippy::cast_possible_truncation)] // float32 is how inputs are read
            values.extend(
                (0..n_sample)
                    .map(|s| value(s, j) as f32)
                    .filter(|v| !v.is_nan()),
            );
            values.sort_unstable_by(f32::total_cmp);
            // total_cmp puts -0.0 before 0.0; the comparisons treat them as one value.
            for v in &mut values {
                if *v == 0.0 {
                    *v = 0.0;
                }
            }
            *m = BinMapper::from_sorted(&values, max_bin);
        }
    });
    mappers
}

/// `k` rows out of `n`, increasing, chosen by selection sampling (each subset equally
/// likely); all rows when `n <= k`.
pub(super) fn sample_rows_of(n: usize, k: usize, seed: u64) -> Vec<usize> {
    if n <= k {
        return (0..n).collect();
    }
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(k);
    for i in 0..n {
        // Take row i with probability (still needed) / (still left).
        if rng.below(n - i) < k - out.len() {
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fast_math::Mat;

    /// The brute-force bin: how many bounds the float32 value reaches.
    fn brute_bin(bounds: &[f32], x: f64) -> usize {
        #[allow(clippy::cast_possible_truncation)]
        let x = x as f32;
        bounds.iter().filter(|&&t| x >= t).count()
    }

    #[test]
    fn few_distinct_values_get_one_bin_each_and_bins_match_brute_force() {
        let mut rng = Rng::new(3);
        let x: Vec<f64> = (0..500)
            .map(|_| (rng.below(40) as f64) * 0.37 - 3.0)
            .collect();
        let m = Mat::from_fn(500, 1, |i, _| x[i]);
        let b = Binned::fit(m.as_ref(), 255, 200_000, 1, Par::Seq);
        let mapper = &b.mappers[0];
        let mut distinct: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        distinct.sort_by(f32::total_cmp);
        distinct.dedup();
        assert_eq!(mapper.value_bins(), distinct.len());
        for (i, &v) in x.iter().enumerate() {
            assert_eq!(usize::from(b.cols[0][i]), brute_bin(&mapper.bounds, v));
            // Each distinct value has its own bin: its index among the distinct values.
            let pos = distinct.iter().position(|&d| d == v as f32).unwrap();
            assert_eq!(usize::from(b.cols[0][i]), pos);
        }
    }

    #[test]
    fn many_distinct_values_make_balanced_quantile_bins() {
        let mut rng = Rng::new(5);
        let n = 20_000;
        let x: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let m = Mat::from_fn(n, 1, |i, _| x[i]);
        for max_bin in [2, 16, 255] {
            let b = Binned::fit(m.as_ref(), max_bin, 200_000, 1, Par::Seq);
            let mapper = &b.mappers[0];
            assert!(mapper.value_bins() <= max_bin && mapper.value_bins() >= max_bin - 1);
            assert!(mapper.bounds.windows(2).all(|w| w[0] < w[1]));
            let mut counts = vec![0usize; mapper.n_bins()];
            for (i, &v) in x.iter().enumerate() {
                let bin = usize::from(b.cols[0][i]);
                assert_eq!(bin, brute_bin(&mapper.bounds, v));
                counts[bin] += 1;
            }
            let ideal = n / max_bin;
            assert!(
                counts[..mapper.value_bins()]
                    .iter()
                    .all(|&c| c <= 2 * ideal + 2),
                "max_bin {max_bin}: {counts:?}"
            );
        }
    }

    #[test]
    fn bounds_are_exact_for_the_float32_test_and_nan_has_its_own_bin() {
        let vals = [
            f64::NEG_INFINITY,
            -1.0,
            -0.0,
            0.0,
            1e-40,
            1.0,
            f64::from(f32::MAX),
            f64::INFINITY,
        ];
        // Each value on 3 rows (the fewest a bin holds), then one NaN.
        let m = Mat::from_fn(3 * vals.len() + 1, 1, |i, _| {
            vals.get(i / 3).copied().unwrap_or(f64::NAN)
        });
        let b = Binned::fit(m.as_ref(), 255, 200_000, 1, Par::Seq);
        let mapper = &b.mappers[0];
        // -0.0 and 0.0 are one value: 7 value bins.
        assert_eq!(mapper.value_bins(), 7);
        assert_eq!(b.cols[0][3 * vals.len()], mapper.missing_bin());
        for (k, &t) in mapper.bounds.iter().enumerate() {
            for (i, &v) in vals.iter().enumerate() {
                #[allow(clippy::cast_possible_truncation)]
                let xgboost_left = (v as f32) < t;
                assert_eq!(
                    usize::from(b.cols[0][3 * i]) <= k,
                    xgboost_left,
                    "bound {t} value {v}"
                );
            }
        }
    }

    #[test]
    fn a_bin_holds_at_least_three_rows_but_the_last() {
        // Distinct values 0..7 with 1, 1, 1, 2, 5, 1, 1 rows: bins close at 3 rows (values
        // 0-2) and 7 (values 3-4); the last 2 rows (values 5-6) form the last bin.
        let per_value = [1, 1, 1, 2, 5, 1, 1];
        let mut sorted = Vec::new();
        for (v, &n) in per_value.iter().enumerate() {
            sorted.extend(std::iter::repeat_n(v as f32, n));
        }
        let mapper = BinMapper::from_sorted(&sorted, 255);
        assert_eq!(mapper.bounds, vec![2.5, 4.5]);
        // More distinct values than bins: at most rows / 3 bins.
        let many: Vec<f32> = (0..30).map(|v| v as f32).collect();
        assert_eq!(BinMapper::from_sorted(&many, 16).value_bins(), 10);
    }

    #[test]
    fn constant_and_all_missing_columns_have_one_value_bin() {
        let m = Mat::from_fn(10, 2, |_, j| if j == 0 { 4.0 } else { f64::NAN });
        let b = Binned::fit(m.as_ref(), 255, 200_000, 1, Par::Seq);
        assert_eq!(b.mappers[0].value_bins(), 1);
        assert_eq!(b.mappers[1].value_bins(), 1);
        assert!(b.cols[1].iter().all(|&c| c == 1));
        assert_eq!(b.total_bins, 4);
    }

    #[test]
    fn the_sample_is_seeded_and_of_the_asked_size() {
        let a = sample_rows_of(1000, 100, 7);
        assert_eq!(a.len(), 100);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(a, sample_rows_of(1000, 100, 7));
        assert_ne!(a, sample_rows_of(1000, 100, 8));
    }
}
