//! The fast path's statistics: the centered Gram matrix of the features and their
//! cross-products with the target, gathered in one packed GEMM pass.

use crate::ablation::Ablation;
use fast_math::{Mat, MatRef, Par};

/// Rows per accumulation chunk of the Gram pass: a centered copy of this many rows stays in
/// L2.
pub(super) const CHUNK_ROWS: usize = 4096;

/// The normal equations' statistics, gathered by [`Ridge::fit`]'s fast path: count, means of
/// X and y, centered cross-products `Cxx = sum (x - mx)(x - mx)^T` and
/// `cxy = sum (x - mx)(y - my)` (chunks centered on their own means and merged by Chan et
/// al.'s pairwise update, so features with large means do not cancel).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct GramStats {
    pub(super) n: u64,
    pub(super) mean_x: Vec<f64>,
    pub(super) mean_y: f64,
    pub(super) cxx: Mat<f64>,
    pub(super) cxy: Vec<f64>,
}

impl GramStats {
    /// Every statistic is finite (false after a NaN or infinity in the data, or sums that
    /// overflowed).
    pub(super) fn is_finite(&self) -> bool {
        self.mean_y.is_finite()
            && self.mean_x.iter().all(|v| v.is_finite())
            && self.cxy.iter().all(|v| v.is_finite())
            && self.cxx.as_slice().iter().all(|v| v.is_finite())
    }

    /// An empty accumulator for `k` features.
    pub(super) fn new(k: usize) -> Self {
        GramStats {
            n: 0,
            mean_x: vec![0.0; k],
            mean_y: 0.0,
            cxx: Mat::zeros(k, k),
            cxy: vec![0.0; k],
        }
    }

    pub(super) fn update_unchecked(&mut self, ablation: Ablation, x: MatRef<'_, f64>, y: &[f64]) {
        let isa = ablation.isa;
        let k = x.ncols();
        let ld = fast_math::padded_col_stride::<f64>(CHUNK_ROWS.min(x.nrows()));
        // One chunk at a time, centered on its own means, column-major for the Gram kernel.
        let mut centered = vec![0.0; ld * k];
        let mut yc = vec![0.0; ld];
        for r0 in (0..x.nrows()).step_by(CHUNK_ROWS) {
            let m = CHUNK_ROWS.min(x.nrows() - r0);
            let mut part = GramStats::new(k);
            part.n = m as u64;
            part.mean_y = simd_kernels::sum_with(isa, &y[r0..r0 + m]) / m as f64;
            for j in 0..k {
                let col = &mut centered[j * ld..j * ld + m];
                match x.col_slice(j) {
                    Some(src) => col.copy_from_slice(&src[r0..r0 + m]),
                    None => col
                        .iter_mut()
                        .enumerate()
                        .for_each(|(i, c)| *c = x.get(r0 + i, j)),
                }
                let mean = simd_kernels::sum_with(isa, col) / m as f64;
                col.iter_mut().for_each(|c| *c -= mean);
                part.mean_x[j] = mean;
            }
            for (v, &t) in yc.iter_mut().zip(&y[r0..r0 + m]) {
                *v = t - part.mean_y;
            }
            let chunk = MatRef::from_col_major(&centered, ld, k).submatrix(0, 0, m, k);
            part.cxx = ablation.gram(chunk, Par::Seq);
            for j in 0..k {
                part.cxy[j] = simd_kernels::dot_with(isa, &centered[j * ld..j * ld + m], &yc[..m]);
            }
            *self = self.merged(&part);
        }
    }

    /// The statistics of both accumulators' rows together (Chan et al.'s pairwise update);
    /// the widths are equal.
    pub(super) fn merged(&self, other: &GramStats) -> GramStats {
        debug_assert_eq!(self.mean_x.len(), other.mean_x.len());
        if other.n == 0 {
            return self.clone();
        }
        if self.n == 0 {
            return other.clone();
        }
        let k = self.mean_x.len();
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        let f = na * nb / n;
        let dx: Vec<f64> = (0..k).map(|j| other.mean_x[j] - self.mean_x[j]).collect();
        let dy = other.mean_y - self.mean_y;
        let cxx = Mat::from_fn(k, k, |i, j| {
            self.cxx[(i, j)] + other.cxx[(i, j)] + f * dx[i] * dx[j]
        });
        let cxy = (0..k)
            .map(|j| self.cxy[j] + other.cxy[j] + f * dx[j] * dy)
            .collect();
        let mean_x = (0..k).map(|j| self.mean_x[j] + dx[j] * nb / n).collect();
        GramStats {
            n: self.n + other.n,
            mean_x,
            mean_y: self.mean_y + dy * nb / n,
            cxx,
            cxy,
        }
    }

    /// `(Cxx + alpha I, cxy)`, or the raw (uncentered) moments without an intercept.
    pub(super) fn system(&self, alpha: f64, fit_intercept: bool) -> (Mat<f64>, Mat<f64>) {
        let k = self.mean_x.len();
        let n = self.n as f64;
        let (mx, my) = (&self.mean_x, self.mean_y);
        let a = Mat::from_fn(k, k, |i, j| {
            let raw = if fit_intercept {
                0.0
            } else {
                n * mx[i] * mx[j]
            };
            self.cxx[(i, j)] + raw + if i == j { alpha } else { 0.0 }
        });
        let b = Mat::from_fn(k, 1, |i, _| {
            self.cxy[i] + if fit_intercept { 0.0 } else { n * mx[i] * my }
        });
        (a, b)
    }
}
