//! Iterative refinement of a QR-path fit against the original data, with residuals and
//! gradients accumulated in twice the working precision.
//!
//! The QR solve's error is about `eps * cond(X)` (and `eps * cond(X)^2 * |r| / (|X| |w|)`
//! when the residual is large): on NIST Filip and Wampler4 that leaves 8 to 9 digits. One
//! refinement step computes the residual `r = y - b - X w` and the gradient
//! `g = Xc^T r - alpha w` of the objective from the original rows (never the rounded,
//! centered copy the factorization saw), each sum compensated, then solves
//! `R^T R dw = g` with the fit's own QR factor `R`. Because `R` is the factor of a
//! backward-stable QR of the data (not a Cholesky factor of its Gram matrix), the step
//! contracts the error by about `eps * cond(X)`, not `eps * cond(X)^2` (Björck's corrected
//! semi-normal equations): one or two steps recover the digits rounding took, while
//! `eps * cond(X) < 1`. Steps stop when the correction no longer shrinks (where the
//! contraction fails, the last good iterate is kept).

use super::super::linear::LinearModel;
use crate::workers::map_row_ranges;
use fast_math::{Mat, MatRef};

/// At most this many refinement steps.
const MAX_STEPS: usize = 3;

/// A sum carried in two doubles (TwoSum and FMA-based TwoProduct; Ogita, Rump and Oishi):
/// as accurate as a sum in twice the working precision.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Sum2 {
    hi: f64,
    lo: f64,
}

impl Sum2 {
    #[inline(always)]
    pub(super) fn add(&mut self, v: f64) {
        let t = self.hi + v;
        let b = t - self.hi;
        self.lo += (self.hi - (t - b)) + (v - b);
        self.hi = t;
    }

    #[inline(always)]
    pub(super) fn add_product(&mut self, a: f64, b: f64) {
        let p = a * b;
        self.lo += a.mul_add(b, -p);
        self.add(p);
    }

    /// Adds another compensated sum.
    #[inline(always)]
    pub(super) fn add_sum(&mut self, other: &Sum2) {
        self.add(other.hi);
        self.lo += other.lo;
    }

    #[inline(always)]
    pub(super) fn value(self) -> f64 {
        self.hi + self.lo
    }
}

/// What refinement needs besides the data: the upper `k x k` factor `R` with
/// `R^T R = Xc^T Xc + alpha I` (or the raw Gram without an intercept), the feature means,
/// and the penalty.
pub(super) struct Refinement<'a> {
    pub(super) r: &'a Mat<f64>,
    pub(super) mean_x: &'a [f64],
    pub(super) alpha: f64,
    pub(super) fit_intercept: bool,
}

/// Rows per block of a refinement pass: the block's residuals (hi and lo parts) stay in L1
/// while every column streams past them.
const BLOCK_ROWS: usize = 1024;

impl Refinement<'_> {
    /// Refines `model` in place, splitting the passes over the rows among `threads`;
    /// returns the number of steps kept.
    pub(super) fn run(
        &self,
        x: MatRef<'_, f64>,
        lo: Option<MatRef<'_, f64>>,
        y: &[f64],
        model: &mut LinearModel,
        threads: usize,
    ) -> usize {
        let (n, k) = (x.nrows(), x.ncols());
        if n == 0 || k == 0 {
            return 0;
        }
        let steps = self.run_passes(n, model, |m| {
            Ok::<_, std::convert::Infallible>(gradient(x, lo, y, m, threads))
        });
        match steps {
            Ok(kept) => kept,
        }
    }

    /// [`Refinement::run`] over rows read by `gradient`: each call is one pass over the `n`
    /// rows returning `X^T r` and `sum(r)` for the model it is given ([`gradient`] of the
    /// rows, summed over any split with [`Sum2::add_sum`]). A pass's error ends the
    /// refinement with it.
    pub(super) fn run_passes<E>(
        &self,
        n: usize,
        model: &mut LinearModel,
        mut gradient: impl FnMut(&LinearModel) -> Result<Gradient, E>,
    ) -> Result<usize, E> {
        let mut last = f64::INFINITY;
        let mut kept = 0;
        for _ in 0..MAX_STEPS {
            let (g, total) = gradient(model)?;
            let (dw, db) = self.correction(n, &g, total, model);
            let size = dw.iter().map(|v| v.abs()).fold(0.0f64, f64::max);
            // Divergence (eps * cond(X) >= 1) or the noise floor: keep the current iterate.
            if !size.is_finite() || size >= last {
                break;
            }
            model.coef.iter_mut().zip(&dw).for_each(|(w, d)| *w += d);
            model.intercept += db;
            kept += 1;
            let scale = model.coef.iter().map(|v| v.abs()).fold(0.0f64, f64::max);
            if size <= f64::EPSILON * scale {
                break;
            }
            last = size;
        }
        Ok(kept)
    }

    /// The correction `(dw, db)` of one step, from the gradient `g = X^T r` and
    /// `total = sum(r)` over the `n` rows.
    fn correction(
        &self,
        n: usize,
        g: &[Sum2],
        total: Sum2,
        model: &LinearModel,
    ) -> (Vec<f64>, f64) {
        let k = g.len();
        let total = total.value();
        let mut dw: Vec<f64> = g
            .iter()
            .zip(self.mean_x)
            .zip(&model.coef)
            .map(|((gj, &mj), &w)| {
                let mut s = *gj;
                if self.fit_intercept {
                    // Xc^T r = X^T r - mean_x * sum(r), exactly.
                    s.add_product(-mj, total);
                }
                s.add_product(-self.alpha, w);
                s.value()
            })
            .collect();
        // R^T R dw = g: a forward then a backward triangular solve.
        let r = self.r;
        for i in 0..k {
            let s: f64 = (0..i).map(|j| r[(j, i)] * dw[j]).sum();
            dw[i] = (dw[i] - s) / r[(i, i)];
        }
        for i in (0..k).rev() {
            let s: f64 = (i + 1..k).map(|j| r[(i, j)] * dw[j]).sum();
            dw[i] = (dw[i] - s) / r[(i, i)];
        }
        let db = if self.fit_intercept {
            let mut s = Sum2::default();
            s.add(total / n as f64);
            for (&m, &d) in self.mean_x.iter().zip(&dw) {
                s.add_product(-m, d);
            }
            s.value()
        } else {
            0.0
        };
        (dw, db)
    }
}

/// `X^T r` (one compensated sum per feature) and `sum(r)`, with `r = y - b - X w`.
pub(super) type Gradient = (Vec<Sum2>, Sum2);

/// [`Gradient`] of every row of `x` (`x + lo` where `lo` is given), the rows split among
/// `threads` and the parts summed in row order.
pub(super) fn gradient(
    x: MatRef<'_, f64>,
    lo: Option<MatRef<'_, f64>>,
    y: &[f64],
    model: &LinearModel,
    threads: usize,
) -> Gradient {
    let (n, k) = (x.nrows(), x.ncols());
    let parts = map_row_ranges(n, threads, |rows| gradient_part(x, lo, y, model, rows));
    let (mut g, mut total) = (vec![Sum2::default(); k], Sum2::default());
    for (pg, pt) in &parts {
        g.iter_mut().zip(pg).for_each(|(a, b)| a.add_sum(b));
        total.add_sum(pt);
    }
    (g, total)
}

/// `X^T r` and `sum(r)` over `rows`, with `r = y - b - X w` (`X = x + lo` where `lo` is
/// given), every sum compensated. Rows go in blocks whose residuals are built column by
/// column (contiguous reads of a column-major `X`).
fn gradient_part(
    x: MatRef<'_, f64>,
    lo: Option<MatRef<'_, f64>>,
    y: &[f64],
    model: &LinearModel,
    rows: std::ops::Range<usize>,
) -> (Vec<Sum2>, Sum2) {
    let k = x.ncols();
    let mut g = vec![Sum2::default(); k];
    let mut total = Sum2::default();
    let mut resid = [Sum2::default(); BLOCK_ROWS];
    let mut r = [0.0; BLOCK_ROWS];
    for b0 in rows.clone().step_by(BLOCK_ROWS) {
        let m = BLOCK_ROWS.min(rows.end - b0);
        let blocks = [Some(x), lo].map(|d| d.map(|d| d.submatrix(b0, 0, m, k)));
        for (acc, &yi) in resid[..m].iter_mut().zip(&y[b0..b0 + m]) {
            *acc = Sum2::default();
            acc.add(yi);
            acc.add(-model.intercept);
        }
        for (j, &w) in model.coef.iter().enumerate() {
            for block in blocks.iter().flatten() {
                subtract_column(&mut resid[..m], *block, j, w);
            }
        }
        for (ri, acc) in r[..m].iter_mut().zip(&resid[..m]) {
            *ri = acc.value();
            total.add(*ri);
        }
        for (j, gj) in g.iter_mut().enumerate() {
            for block in blocks.iter().flatten() {
                add_column_dot(gj, *block, j, &r[..m]);
            }
        }
    }
    (g, total)
}

/// `resid -= w * block[.., j]`, compensated.
fn subtract_column(resid: &mut [Sum2], block: MatRef<'_, f64>, j: usize, w: f64) {
    match block.col_slice(j) {
        Some(col) => {
            for (acc, &v) in resid.iter_mut().zip(col) {
                acc.add_product(-v, w);
            }
        }
        None => {
            for (i, acc) in resid.iter_mut().enumerate() {
                acc.add_product(-block.get(i, j), w);
            }
        }
    }
}

/// `gj += block[.., j] . r`, compensated.
fn add_column_dot(gj: &mut Sum2, block: MatRef<'_, f64>, j: usize, r: &[f64]) {
    match block.col_slice(j) {
        Some(col) => {
            // Four interleaved sums: one compensated sum is a chain of dependent additions;
            // four keep the adders busy.
            let mut lanes = [Sum2::default(); 4];
            let (cols, rs) = (col.chunks_exact(4), r.chunks_exact(4));
            let (col_tail, r_tail) = (cols.remainder(), rs.remainder());
            for (c4, r4) in cols.zip(rs) {
                for l in 0..4 {
                    lanes[l].add_product(c4[l], r4[l]);
                }
            }
            for (&v, &ri) in col_tail.iter().zip(r_tail) {
                lanes[0].add_product(v, ri);
            }
            lanes.iter().for_each(|l| gj.add_sum(l));
        }
        None => (0..r.len()).for_each(|i| gj.add_product(block.get(i, j), r[i])),
    }
}
