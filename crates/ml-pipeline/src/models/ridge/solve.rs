//! The solvers' shared numerics: the normal equations with a condition estimate, Hager and
//! Higham's 1-norm estimator, a compensated dot product; and the report of what was done.

use fast_math::{cholesky_with, Mat, MatMut, Par};
use simd_kernels::Isa;

use super::refine::Sum2;

/// How a ridge fit was solved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SolveMethod {
    /// Cholesky of the centered, column-equilibrated Gram matrix `Xc^T Xc + alpha I`.
    NormalEquations,
    /// Householder QR of the centered `[X y]` (chunked and merged: TSQR), stacked with
    /// `sqrt(alpha) I`.
    Qr,
}

/// What a ridge fit did: the solver and the condition estimate it was chosen by.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct RidgeReport {
    /// The solver used.
    pub method: SolveMethod,
    /// Estimated 1-norm condition number of the column-equilibrated system matrix
    /// `Xc^T Xc + alpha I` (uncentered without an intercept): from its Cholesky factor on
    /// the normal-equations path, as `cond(R)^2` of the QR factor on the QR path; within a
    /// small factor of the 2-norm value. `digits lost ~ log10(condition_estimate)` by the
    /// normal equations, half that by QR. Infinite when Cholesky failed.
    pub condition_estimate: f64,
    /// Steps of iterative refinement applied to the QR solution against the original rows
    /// (0 on the normal-equations path and for [`Ridge::finish_report`](super::Ridge::finish_report),
    /// which has no rows to refine against).
    pub refinement_steps: usize,
}

/// Solves `a w = b` (symmetric, `k x k`) by Cholesky after equilibrating `a` to a near-unit
/// diagonal; returns `w` and the estimated 1-norm condition number of the equilibrated
/// matrix, or `None` when a diagonal entry is not positive or Cholesky fails.
pub(super) fn normal_equations(isa: Isa, a: &Mat<f64>, b: &Mat<f64>) -> Option<(Vec<f64>, f64)> {
    let k = a.nrows();
    // Powers of two nearest sqrt(a_ii): scaling by them is exact, so the factorization
    // rounds as it would unscaled, and the diagonal lands in [0.5, 2].
    let d: Vec<f64> = (0..k)
        .map(|i| a[(i, i)].sqrt().log2().round().exp2())
        .collect();
    if d.iter().any(|&v| !(v > 0.0 && v.is_finite())) {
        return None;
    }
    let s = Mat::from_fn(k, k, |i, j| a[(i, j)] / d[i] / d[j]);
    let ch = cholesky_with(isa, s.as_ref(), Par::Seq).ok()?;
    let norm = (0..k)
        .map(|j| (0..k).map(|i| s[(i, j)].abs()).sum::<f64>())
        .fold(0.0f64, f64::max);
    let solve = |v: &mut [f64]| ch.solve_in_place(MatMut::from_col_major(v, k, 1));
    let cond = norm * inv_norm1_estimate(k, solve, solve);
    let mut w: Vec<f64> = (0..k).map(|i| b[(i, 0)] / d[i]).collect();
    solve(&mut w);
    w.iter_mut().zip(&d).for_each(|(w, d)| *w /= d);
    (w.iter().all(|v| v.is_finite()) && cond.is_finite()).then_some((w, cond))
}

/// Estimate of `||A^{-1}||_1` for a `k x k` matrix known through solves with `A`
/// (`solve`) and `A^T` (`solve_t`): Hager's method with Higham's refinements (LAPACK
/// `dlacon`): at most five iterations and the alternating-sign test vector. A lower bound,
/// in practice within a factor of 3 of the true value.
pub(super) fn inv_norm1_estimate(
    k: usize,
    solve: impl Fn(&mut [f64]),
    solve_t: impl Fn(&mut [f64]),
) -> f64 {
    let l1 = |v: &[f64]| v.iter().map(|x| x.abs()).sum::<f64>();
    let mut x = vec![1.0 / k as f64; k];
    let mut est = 0.0f64;
    for iter in 0..5 {
        let mut y = x.clone();
        solve(&mut y);
        let new = l1(&y);
        if iter > 0 && new <= est {
            break;
        }
        est = est.max(new);
        let mut z: Vec<f64> = y
            .iter()
            .map(|&v| if v >= 0.0 { 1.0 } else { -1.0 })
            .collect();
        solve_t(&mut z);
        let (j, zj) = z.iter().enumerate().fold((0, -1.0), |(bj, bv), (i, &v)| {
            if v.abs() > bv {
                (i, v.abs())
            } else {
                (bj, bv)
            }
        });
        let zx: f64 = z.iter().zip(&x).map(|(a, b)| a * b).sum();
        if iter > 0 && zj <= zx {
            break;
        }
        x = vec![0.0; k];
        x[j] = 1.0;
    }
    let mut alt: Vec<f64> = (0..k)
        .map(|i| {
            let s = if i % 2 == 0 { 1.0 } else { -1.0 };
            s * (1.0 + i as f64 / (k.max(2) - 1) as f64)
        })
        .collect();
    solve(&mut alt);
    est.max(2.0 * l1(&alt) / (3.0 * k as f64))
}

/// Dot product with compensated products and sums (Ogita, Rump and Oishi's `Dot2`): as
/// accurate as if computed in twice the working precision. For the intercept
/// `mean_y - mean_x . w`, whose terms cancel on polynomial designs.
pub(super) fn dot2(a: &[f64], b: &[f64]) -> f64 {
    let mut s = Sum2::default();
    for (&x, &y) in a.iter().zip(b) {
        s.add_product(x, y);
    }
    s.value()
}
