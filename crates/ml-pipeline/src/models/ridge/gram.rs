//! The fast path's statistics: the centered Gram matrix of the features and their
//! cross-products with the target, gathered in one packed GEMM pass.

use crate::ablation::Ablation;
use crate::models::centered_blocks::{center_block, Sums};
use fast_math::{Mat, MatRef, Par};

/// Rows per block of the Gram pass. Longer than PCA's blocks (`block_rows`, half of L2):
/// each block here also builds, mirrors and merges a `k x k` matrix and its own
/// cross-products with `y`, which short blocks pay for too often (Zen 5, 1M x 64, one
/// thread: 93-94 ms with 4096 rows, 107-111 ms with 1024 or 2048). On a Zen 4 EPYC (1 MiB
/// L2, six alternated rounds) the two ISAs pulled apart: 8192 rows 1.07x as fast with
/// AVX-512, 0.88x with AVX2 (16384: 1.05x, 0.85x); 4096 kept.
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

    /// Adds the rows of `x` and `y`, in blocks of rows each centered on its own means
    /// ([`center_block`]: X read from memory once, straight into the centered copy).
    pub(super) fn update_unchecked(&mut self, ablation: Ablation, x: MatRef<'_, f64>, y: &[f64]) {
        let isa = ablation.isa;
        let (n, k) = (x.nrows(), x.ncols());
        let block = CHUNK_ROWS.min(n).max(1);
        let ld = fast_math::padded_col_stride::<f64>(block);
        let mut centered = vec![0.0; ld * k];
        let mut yc = vec![0.0; ld];
        for r0 in (0..n).step_by(block) {
            let m = block.min(n - r0);
            let mut part = GramStats::new(k);
            part.n = m as u64;
            let ys = &y[r0..r0 + m];
            part.mean_y = simd_kernels::sum_with(isa, ys) / m as f64;
            simd_kernels::sub_scalar_into_with(isa, ys, part.mean_y, &mut yc[..m]);
            // Plain sums, as the fit has always taken them: NIST's certified digits on
            // every ISA are tested against these bits (compensated block means moved
            // Norris's coefficients from 12.6 to 12.2 digits with AVX2, 13.3 with AVX-512:
            // rounding luck in the normal equations, not accuracy).
            let sums = center_block(isa, x, r0..r0 + m, 0..n, &mut centered, ld, Sums::Plain);
            for (mean, sum) in part.mean_x.iter_mut().zip(sums) {
                *mean = sum / m as f64;
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
