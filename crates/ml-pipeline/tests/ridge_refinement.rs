//! The QR path's iterative refinement: on ill-conditioned designs the refined fit is the
//! exact minimizer of the ridge objective on the data as given (computed in rational
//! arithmetic) to nearly every digit, with and without an intercept and penalty, on every
//! ISA; so is the (unrefined, double-double) accumulator's.

use fast_math::{Mat, Par};
use ml_pipeline::{Ablation, Accumulator, FitIncremental, LinearModel, Ridge, SolveMethod, Target};
use num_rational::BigRational;
use num_traits::{One, ToPrimitive, Zero};
use seeded_rng::Rng;
use simd_kernels::Isa;

/// A degree-7 polynomial design on [1, 3] (cond(X) ~ 1e7 after column scaling) and a noisy
/// target.
fn polynomial(n: usize, seed: u64) -> (Mat<f64>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    let t: Vec<f64> = (0..n).map(|_| rng.range(1.0, 3.0)).collect();
    let x = Mat::from_fn(n, 7, |i, j| t[i].powi(j as i32 + 1));
    let y = t
        .iter()
        .map(|&v| 0.5 + v - 0.3 * v * v + 0.01 * v.powi(5) + 0.1 * rng.normal())
        .collect();
    (x, y)
}

/// The exact minimizer of the ridge objective on the data as given (every f64 is a
/// rational): the normal equations `(A^T A + alpha D) w = A^T y` in rational arithmetic, with
/// `A = [1 X]` (intercept unpenalized) or `X`.
fn exact_solution(x: &Mat<f64>, y: &[f64], alpha: f64, intercept: bool) -> LinearModel {
    let q = |v: f64| BigRational::from_float(v).expect("finite");
    let (n, k) = (x.nrows(), x.ncols());
    let off = usize::from(intercept);
    let p = k + off;
    let col = |i: usize, j: usize| {
        if intercept && j == 0 {
            BigRational::one()
        } else {
            q(x[(i, j - off)])
        }
    };
    let rows: Vec<Vec<BigRational>> = (0..n)
        .map(|i| (0..p).map(|j| col(i, j)).collect())
        .collect();
    let ys: Vec<BigRational> = y.iter().map(|&v| q(v)).collect();
    let mut a: Vec<Vec<BigRational>> = (0..p)
        .map(|r| {
            let mut row: Vec<BigRational> = (0..p)
                .map(|c| rows.iter().map(|z| &z[r] * &z[c]).sum())
                .collect();
            if r >= off {
                row[r] += q(alpha);
            }
            row.push(rows.iter().zip(&ys).map(|(z, t)| &z[r] * t).sum());
            row
        })
        .collect();
    for i in 0..p {
        let piv = a[i][i].clone();
        for r in 0..p {
            if r != i && !a[r][i].is_zero() {
                let f = &a[r][i] / &piv;
                let src = a[i].clone();
                for (v, s) in a[r].iter_mut().zip(&src) {
                    *v -= &f * s;
                }
            }
        }
    }
    let w: Vec<f64> = (0..p)
        .map(|i| (&a[i][p] / &a[i][i]).to_f64().expect("finite"))
        .collect();
    LinearModel {
        intercept: if intercept { w[0] } else { 0.0 },
        coef: w[off..].to_vec(),
    }
}

/// Largest relative error of a coefficient (intercept included where fitted).
fn forward_error(m: &LinearModel, exact: &LinearModel) -> f64 {
    std::iter::once((m.intercept, exact.intercept))
        .chain(m.coef.iter().copied().zip(exact.coef.iter().copied()))
        .filter(|(_, e)| *e != 0.0)
        .map(|(g, e)| ((g - e) / e).abs())
        .fold(0.0, f64::max)
}

#[test]
fn refinement_reaches_the_exact_minimizer_on_every_isa() {
    let (x, y) = polynomial(400, 5);
    for isa in Isa::available() {
        for (alpha, intercept) in [(0.0, true), (0.0, false), (1e-6, true), (1e-6, false)] {
            let ridge = Ridge {
                alpha,
                fit_intercept: intercept,
            };
            let ab = Ablation {
                isa,
                fast_math: true,
            };
            let (fit, report) = ridge
                .fit_report(ab, x.as_ref(), Target::Values(&y), Par::Seq)
                .unwrap();
            assert_eq!(report.method, SolveMethod::Qr, "{isa} alpha {alpha}");
            assert!(report.refinement_steps >= 1, "{isa}: {report:?}");
            // The accumulator cannot refine (it keeps no rows); its double-double factor
            // reaches the same minimizer unrefined.
            let mut acc = ridge.accumulator(x.ncols());
            acc.update(x.as_ref(), Target::Values(&y)).unwrap();
            let accumulated = ridge.finish(&acc).unwrap();
            let exact = exact_solution(&x, &y, alpha, intercept);
            let (e_fit, e_acc) = (
                forward_error(&fit, &exact),
                forward_error(&accumulated, &exact),
            );
            assert!(
                e_fit < 1e-13 && e_acc < 1e-13,
                "{isa} alpha {alpha} intercept {intercept}: refined {e_fit:e}, accumulator {e_acc:e}"
            );
        }
    }
}

#[test]
fn refined_fits_agree_across_isas_and_thread_counts() {
    let (x, y) = polynomial(3000, 8);
    let ridge = Ridge {
        alpha: 0.0,
        fit_intercept: true,
    };
    let fits: Vec<LinearModel> = Isa::available()
        .flat_map(|isa| [Par::Seq, Par::Rayon(2)].map(move |p| (isa, p)))
        .map(|(isa, par)| {
            let ab = Ablation {
                isa,
                fast_math: true,
            };
            ridge
                .fit_report(ab, x.as_ref(), Target::Values(&y), par)
                .unwrap()
                .0
        })
        .collect();
    for f in &fits[1..] {
        for (a, b) in f.coef.iter().zip(&fits[0].coef) {
            assert!((a - b).abs() <= 1e-11 * b.abs(), "{a} vs {b}");
        }
    }
}
