//! The accurate, mergeable path: the QR factor of the centered `[X y]`, chunk by chunk and
//! merged by a QR of the stacked factors (TSQR).

use super::super::checks::check_xy;
use super::super::linear::LinearModel;
use super::dd::Dd;
use super::solve::{dot2, inv_norm1_estimate, RidgeReport, SolveMethod};
use crate::error::{PipelineError, Result};
use crate::traits::{Accumulator, Target};
use fast_math::{qr_with, LinalgError, Mat, MatRef};
use simd_kernels::Isa;
use std::fmt::Debug;
use std::ops::{Add, Div, Mul, Sub};

/// Rows per QR step of [`RidgeAccumulator`]: the stacked `(k + 1 + rows + 1) x (k + 1)`
/// block of one Householder QR stays in L2 for k up to ~100.
const QR_CHUNK_ROWS: usize = 512;

/// Mergeable statistics of a ridge fit that keep its accuracy: the count, the means of the
/// `k` features and of `y`, and the upper-triangular `(k + 1) x (k + 1)` factor `R` of a QR
/// factorization of the centered, augmented data `[X - mx, y - my]` (so
/// `R^T R = sum (z - m)(z - m)^T` for the rows `z = [x, y]`). Memory is O(k^2), whatever the
/// number of rows.
///
/// Rows are added in chunks: each chunk is centered on its own means and stacked under `R`
/// with one correction row, and the stack is reduced by Householder QR. Merging works the
/// same way (TSQR): for accumulators `a` and `b` with counts `na`, `nb` and means `ma`, `mb`,
/// the stack `[Ra; Rb; sqrt(na nb / n) (ma - mb)]` has the Gram matrix
/// `Ca + Cb + (na nb / n)(ma - mb)(ma - mb)^T`, which is the co-moment matrix of the union
/// about its mean (Chan et al.'s identity), so its QR factor is the union's `R`, up to
/// rounding, in any merge order. Without an intercept [`Ridge::finish`](crate::FitIncremental::finish)
/// stacks the row `sqrt(n) m`, which turns the centered Gram into the raw one
/// (`sum z z^T = C + n m m^T`).
///
/// The solve never forms `R^T R`: the coefficients come from `R11 w = r12` by back
/// substitution (with the rows `sqrt(alpha) I` stacked first when `alpha > 0`), so the error
/// grows as `cond(X)`, not `cond(X)^2` as through the normal equations. Rank: a column whose
/// diagonal entry of `R` is at most `10 (k + 1) eps` times its column norm (the part of it
/// outside the span of the earlier columns is lost in rounding) makes the solve fail with
/// [`LinalgError::RankDeficient`] naming it.
///
/// Precision: the accumulator keeps its means and `R` in double-double (each value the
/// unevaluated sum of two f64, ~32 significant digits) and runs the chunk QRs, the merges and
/// the back substitution in it. It cannot revisit the rows to refine its answer, so this is
/// what keeps the digits float64 QR loses on ill-conditioned designs: on NIST Filip
/// (`cond(X) ~ 1e9`) it reaches 7.6 correct digits, the exact least-squares solution of the
/// float64 data, where a float64 factor gives 6.8. The price is time, cut by running the
/// double-double QR with FMA, vectorized, in independent partial sums (`dd_qr`; the same bits
/// on every ISA): `cargo run --release -p ml-pipeline --example accumulator_speed` (`update`
/// of 200 000 x 20 rows, then `finish`) on an AMD EPYC Zen 4 (AVX-512) took 0.164 s with the
/// AVX-512 build, 0.218 s with AVX2, 0.83 s with the baseline x86-64 build (no FMA), and
/// 1.01 s before the QR was vectorized; `Ridge::fit` took 0.011-0.016 s on the same rows,
/// about 10x less. For speed on large, well-conditioned data, fit with
/// [`Ridge::fit`](crate::Fit::fit), which shares the algorithm but keeps a float64 factor
/// (SIMD Householder QR, or the normal equations when well conditioned), because it refines
/// its answer against the rows.
#[derive(Clone, Debug, PartialEq)]
pub struct RidgeAccumulator {
    pub(super) state: QrState<Dd>,
}

impl RidgeAccumulator {
    /// An empty accumulator for `k` features.
    pub fn new(k: usize) -> Self {
        RidgeAccumulator {
            state: QrState::new(k),
        }
    }
}

/// The arithmetic a [`QrState`] keeps its means and factor in: f64 for `Ridge::fit` (which
/// refines its answer against the rows) and [`Dd`] for [`RidgeAccumulator`] (which cannot).
pub(in crate::models) trait Field:
    Copy
    + Debug
    + PartialEq
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
{
    const ZERO: Self;
    fn from_f64(v: f64) -> Self;
    /// The double-double value, rounded where the type is f64.
    fn from_dd(v: Dd) -> Self;
    fn to_f64(self) -> f64;
    fn sqrt(self) -> Self;
    /// The mean of a column of data.
    fn mean(isa: Isa, col: &[f64]) -> Self;
    /// The `k1 x k1` upper-triangular factor (column-major) of a Householder QR of the
    /// column-major `rows x k1` `stack` (rows below its row count zero; all NaN when the
    /// stack holds a non-finite value, which a solve reports).
    fn upper_factor(isa: Isa, stack: &[Self], rows: usize, k1: usize) -> Vec<Self>;
    /// `sum a_i b_i`, compensated where the type is f64.
    fn dot(a: &[Self], b: &[Self]) -> Self;
}

impl Field for f64 {
    const ZERO: f64 = 0.0;

    fn from_f64(v: f64) -> f64 {
        v
    }

    fn from_dd(v: Dd) -> f64 {
        v.to_f64()
    }

    fn to_f64(self) -> f64 {
        self
    }

    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }

    fn mean(isa: Isa, col: &[f64]) -> f64 {
        simd_kernels::sum_compensated_with(isa, col) / col.len() as f64
    }

    fn upper_factor(isa: Isa, stack: &[f64], rows: usize, k1: usize) -> Vec<f64> {
        let mut out = vec![0.0; k1 * k1];
        match qr_with(isa, MatRef::from_col_major(stack, rows, k1)) {
            Ok(q) => {
                let r = q.r();
                for j in 0..k1 {
                    for i in 0..r.nrows().min(k1) {
                        out[i + j * k1] = r[(i, j)];
                    }
                }
            }
            Err(_) => out.fill(f64::NAN),
        }
        out
    }

    fn dot(a: &[f64], b: &[f64]) -> f64 {
        dot2(a, b)
    }
}

impl Field for Dd {
    const ZERO: Dd = Dd::ZERO;

    fn from_f64(v: f64) -> Dd {
        Dd::from_f64(v)
    }

    fn from_dd(v: Dd) -> Dd {
        v
    }

    fn to_f64(self) -> f64 {
        Dd::to_f64(self)
    }

    fn sqrt(self) -> Dd {
        Dd::sqrt(self)
    }

    fn mean(isa: Isa, col: &[f64]) -> Dd {
        super::dd_qr::sum(isa, col) / Dd::from_f64(col.len() as f64)
    }

    fn upper_factor(isa: Isa, stack: &[Dd], rows: usize, k1: usize) -> Vec<Dd> {
        super::dd_qr::upper_factor(isa, stack, rows, k1)
    }

    fn dot(a: &[Dd], b: &[Dd]) -> Dd {
        a.iter().zip(b).fold(Dd::ZERO, |s, (&x, &y)| s + x * y)
    }
}

/// A value of a data column as a [`QrState`] reads it: an f64, or a double-double.
pub(super) trait Sample: Copy {
    /// The mean of a column, in the state's arithmetic.
    fn mean<T: Field>(isa: Isa, col: &[Self]) -> T;
    /// The value in the state's arithmetic.
    fn lift<T: Field>(self) -> T;
}

impl Sample for f64 {
    fn mean<T: Field>(isa: Isa, col: &[f64]) -> T {
        T::mean(isa, col)
    }

    fn lift<T: Field>(self) -> T {
        T::from_f64(self)
    }
}

impl Sample for Dd {
    fn mean<T: Field>(_: Isa, col: &[Dd]) -> T {
        let sum = col.iter().fold(Dd::ZERO, |s, &v| s + v);
        T::from_dd(sum / Dd::from_f64(col.len() as f64))
    }

    fn lift<T: Field>(self) -> T {
        T::from_dd(self)
    }
}

/// The state behind [`RidgeAccumulator`] (in [`Dd`]) and `Ridge::fit`'s QR path (in f64):
/// count, means and the column-major `(k + 1) x (k + 1)` upper factor `R`. The PCA
/// accumulator keeps one too, over its `k` columns alone (no target column).
#[derive(Clone, Debug, PartialEq)]
pub(in crate::models) struct QrState<T> {
    pub(in crate::models) n: u64,
    /// Means of the features, then of `y`.
    pub(in crate::models) mean: Vec<T>,
    /// `(k + 1) x (k + 1)`, upper triangular, column-major.
    pub(in crate::models) r: Vec<T>,
}

impl<T: Field> QrState<T> {
    /// An empty state for `k` features (and the target).
    pub(super) fn new(k: usize) -> Self {
        Self::with_columns(k + 1)
    }

    /// An empty state of `k1` columns in all.
    pub(in crate::models) fn with_columns(k1: usize) -> Self {
        QrState {
            n: 0,
            mean: vec![T::ZERO; k1],
            r: vec![T::ZERO; k1 * k1],
        }
    }

    /// Adds rows whose shapes and values have been checked.
    pub(super) fn update_unchecked(&mut self, isa: Isa, x: MatRef<'_, f64>, y: &[f64]) {
        let k = x.ncols();
        self.update_columns(isa, x.nrows(), |j, rows, col: &mut Vec<f64>| {
            if j < k {
                col.extend(rows.map(|i| x.get(i, j)));
            } else {
                col.extend_from_slice(&y[rows]);
            }
        });
    }

    /// Adds the rows of `x` as they are (every column of the state is a column of `x`),
    /// whose values have been checked.
    pub(in crate::models) fn update_rows_unchecked(&mut self, isa: Isa, x: MatRef<'_, f64>) {
        self.update_columns(isa, x.nrows(), |j, rows, col: &mut Vec<f64>| {
            col.extend(rows.map(|i| x.get(i, j)));
        });
    }

    /// Adds `nrows` rows, chunk by chunk: `fill(j, rows, col)` appends column `j`'s values
    /// of those rows to `col` (f64 data, or double-double values such as a polynomial
    /// design's powers).
    pub(super) fn update_columns<S: Sample>(
        &mut self,
        isa: Isa,
        nrows: usize,
        mut fill: impl FnMut(usize, std::ops::Range<usize>, &mut Vec<S>),
    ) {
        let k1 = self.mean.len();
        let mut col = Vec::with_capacity(QR_CHUNK_ROWS);
        let mut block = Vec::with_capacity(QR_CHUNK_ROWS * k1);
        for r0 in (0..nrows).step_by(QR_CHUNK_ROWS) {
            let m = QR_CHUNK_ROWS.min(nrows - r0);
            block.clear();
            let mut mean = Vec::with_capacity(k1);
            for j in 0..k1 {
                col.clear();
                fill(j, r0..r0 + m, &mut col);
                let mj: T = S::mean(isa, &col);
                block.extend(col.iter().map(|&v| v.lift::<T>() - mj));
                mean.push(mj);
            }
            self.absorb(isa, &block, m, m as u64, &mean);
        }
    }

    /// [`merge`](Self::merge) after checking that `other` spans as many columns; the error
    /// counts features, the columns less `extra` (1 where the last column is the target).
    pub(in crate::models) fn merge_checked(&mut self, other: &Self, extra: usize) -> Result<()> {
        if other.mean.len() != self.mean.len() {
            return Err(PipelineError::ShapeMismatch {
                what: "accumulator widths",
                expected: self.mean.len() - extra,
                got: other.mean.len() - extra,
            });
        }
        self.merge(Isa::detect(), other);
        Ok(())
    }

    /// Merges another state (TSQR).
    pub(in crate::models) fn merge(&mut self, isa: Isa, other: &Self) {
        self.absorb(isa, &other.r, self.mean.len(), other.n, &other.mean);
    }

    /// Folds in `nb` rows whose centered co-moments are `block^T block` (`block` column-major
    /// with `block_rows` rows: a chunk of centered rows, or another state's `R`) and whose
    /// means are `mean_b`: the QR factor of `[R; block; sqrt(na nb / n) (mean - mean_b)]`.
    fn absorb(&mut self, isa: Isa, block: &[T], block_rows: usize, nb: u64, mean_b: &[T]) {
        if nb == 0 {
            return;
        }
        let k1 = self.mean.len();
        let na = self.n;
        let top = if na == 0 { 0 } else { k1 };
        let rows = top + block_rows + usize::from(na > 0);
        let n = na + nb;
        let f = (T::from_f64(na as f64) * T::from_f64(nb as f64) / T::from_f64(n as f64)).sqrt();
        let mut stack = Vec::with_capacity(rows * k1);
        for j in 0..k1 {
            if top > 0 {
                stack.extend_from_slice(&self.r[j * k1..(j + 1) * k1]);
            }
            stack.extend_from_slice(&block[j * block_rows..(j + 1) * block_rows]);
            if na > 0 {
                stack.push(f * (self.mean[j] - mean_b[j]));
            }
        }
        self.r = T::upper_factor(isa, &stack, rows, k1);
        if na == 0 {
            self.mean.copy_from_slice(mean_b);
        } else {
            let w = T::from_f64(nb as f64) / T::from_f64(n as f64);
            for (m, &b) in self.mean.iter_mut().zip(mean_b) {
                *m = *m + (b - *m) * w;
            }
        }
        self.n = n;
    }

    /// The model and its report: least squares on `[R; sqrt(n) m (no intercept);
    /// sqrt(alpha) [I 0]]`; also the upper factor of that stack, rounded to f64 (its leading
    /// `k x k` block is the `R` of the system the model solves, for refinement).
    pub(super) fn solve(
        &self,
        isa: Isa,
        alpha: f64,
        fit_intercept: bool,
    ) -> Result<(LinearModel, RidgeReport, Mat<f64>)> {
        let k1 = self.mean.len();
        let k = k1 - 1;
        let raw = !fit_intercept;
        let ridge = alpha > 0.0;
        let extra = usize::from(raw) + if ridge { k } else { 0 };
        let r = if extra == 0 {
            self.r.clone()
        } else {
            let (sn, sa) = (T::from_f64(self.n as f64).sqrt(), T::from_f64(alpha).sqrt());
            let rows = k1 + extra;
            let mut stack = vec![T::ZERO; rows * k1];
            for (j, col) in stack.chunks_exact_mut(rows).enumerate() {
                col[..k1].copy_from_slice(&self.r[j * k1..(j + 1) * k1]);
                if raw {
                    col[k1] = sn * self.mean[j];
                }
                if ridge && j < k {
                    col[k1 + usize::from(raw) + j] = sa;
                }
            }
            T::upper_factor(isa, &stack, rows, k1)
        };
        let rf = Mat::from_fn(k1, k1, |i, j| r[i + j * k1].to_f64());
        if let Some((row, col)) = (0..k1)
            .flat_map(|j| (0..k1).map(move |i| (i, j)))
            .find(|&(i, j)| !rf[(i, j)].is_finite())
        {
            return Err(PipelineError::Linalg(LinalgError::NonFinite { row, col }));
        }
        // Column norms of R11 (those of the centered, possibly augmented, design).
        let norms: Vec<f64> = (0..k)
            .map(|j| (0..=j).map(|i| rf[(i, j)] * rf[(i, j)]).sum::<f64>().sqrt())
            .collect();
        let tol = 10.0 * k1 as f64 * f64::EPSILON;
        if let Some(col) = (0..k).find(|&j| rf[(j, j)].abs() <= tol * norms[j]) {
            return Err(PipelineError::Linalg(LinalgError::RankDeficient { col }));
        }
        let mut coef = vec![T::ZERO; k];
        for i in (0..k).rev() {
            let s = (i + 1..k).fold(T::ZERO, |s, j| s + r[i + j * k1] * coef[j]);
            coef[i] = (r[i + k * k1] - s) / r[i + i * k1];
        }
        // cond_1 of R11 with unit columns, by triangular solves; squared for the Gram.
        let rs = Mat::from_fn(k, k, |i, j| rf[(i, j)] / norms[j]);
        let norm = (0..k)
            .map(|j| (0..=j).map(|i| rs[(i, j)].abs()).sum::<f64>())
            .fold(0.0f64, f64::max);
        let upper = |v: &mut [f64]| {
            for i in (0..k).rev() {
                let s: f64 = (i + 1..k).map(|j| rs[(i, j)] * v[j]).sum();
                v[i] = (v[i] - s) / rs[(i, i)];
            }
        };
        let upper_t = |v: &mut [f64]| {
            for i in 0..k {
                let s: f64 = (0..i).map(|j| rs[(j, i)] * v[j]).sum();
                v[i] = (v[i] - s) / rs[(i, i)];
            }
        };
        let cond = if k == 0 {
            1.0
        } else {
            norm * inv_norm1_estimate(k, upper, upper_t)
        };
        let intercept = if fit_intercept {
            (self.mean[k] - T::dot(&self.mean[..k], &coef)).to_f64()
        } else {
            0.0
        };
        let report = RidgeReport {
            method: SolveMethod::Qr,
            condition_estimate: cond * cond,
            refinement_steps: 0,
        };
        let coef = coef.iter().map(|c| c.to_f64()).collect();
        Ok((LinearModel { coef, intercept }, report, rf))
    }
}

impl Accumulator for RidgeAccumulator {
    fn n_features(&self) -> usize {
        self.state.mean.len() - 1
    }

    fn count(&self) -> u64 {
        self.state.n
    }

    fn update(&mut self, x: MatRef<'_, f64>, y: Target<'_>) -> Result<()> {
        let y = y.values("ridge")?;
        if x.ncols() != self.n_features() {
            return Err(PipelineError::ShapeMismatch {
                what: "feature columns",
                expected: self.n_features(),
                got: x.ncols(),
            });
        }
        if x.nrows() == 0 && y.is_empty() {
            return Ok(());
        }
        check_xy(x, Some(y))?;
        self.state.update_unchecked(Isa::detect(), x, y);
        Ok(())
    }

    fn merge(&mut self, other: &Self) -> Result<()> {
        self.state.merge_checked(&other.state, 1)
    }
}
