//! The QR path's iterative refinement: on ill-conditioned designs the refined fit is the
//! exact minimizer of the ridge objective on the data as given (computed in rational
//! arithmetic) to nearly every digit, with and without an intercept and penalty, on every
//! ISA; so is the (unrefined, double-double) accumulator's. A polynomial fit through
//! `PolynomialDesign` reaches the minimizer of the exact powers of `x`, which a float64
//! design cannot hold.

use fast_math::{Mat, Par};
use ml_pipeline::{
    Ablation, Accumulator, FitIncremental, LinearModel, PipelineError, PolynomialDesign, Ridge,
    SolveMethod, Target,
};
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
    exact_solution_of(
        x.nrows(),
        x.ncols(),
        |i, j| q(x[(i, j)]),
        y,
        alpha,
        intercept,
    )
}

/// [`exact_solution`] for the rational `n x k` design whose entries `design(i, j)` gives.
fn exact_solution_of(
    n: usize,
    k: usize,
    design: impl Fn(usize, usize) -> BigRational,
    y: &[f64],
    alpha: f64,
    intercept: bool,
) -> LinearModel {
    let q = |v: f64| BigRational::from_float(v).expect("finite");
    let off = usize::from(intercept);
    let p = k + off;
    let col = |i: usize, j: usize| {
        if intercept && j == 0 {
            BigRational::one()
        } else {
            design(i, j - off)
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

/// `t` on [1, 3] and a noisy target, for polynomial fits of degree 7.
fn polynomial_data(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let (x, y) = polynomial(n, seed);
    ((0..n).map(|i| x[(i, 0)]).collect(), y)
}

/// The exact minimizer on the exact powers `t^j` of the f64 `t`.
fn exact_polynomial(
    t: &[f64],
    degree: usize,
    y: &[f64],
    alpha: f64,
    intercept: bool,
) -> LinearModel {
    use num_traits::Pow;
    let q: Vec<BigRational> = t
        .iter()
        .map(|&v| BigRational::from_float(v).expect("finite"))
        .collect();
    exact_solution_of(
        t.len(),
        degree,
        |i, j| q[i].clone().pow(j as i32 + 1),
        y,
        alpha,
        intercept,
    )
}

#[test]
fn polynomial_fits_reach_the_minimizer_of_the_exact_powers() {
    let (t, y) = polynomial_data(400, 11);
    let design = PolynomialDesign::new(&t, 7).unwrap();
    // The design's two parts sum to the exact power, to double-double accuracy.
    for (i, &v) in t.iter().enumerate().step_by(37) {
        let exact = BigRational::from_float(v).unwrap();
        let mut p = BigRational::one();
        for j in 0..7 {
            p *= &exact;
            let got = BigRational::from_float(design.rounded().get(i, j)).unwrap()
                + BigRational::from_float(design.rounding_errors().get(i, j)).unwrap();
            let rel = ((got - &p) / &p).to_f64().unwrap().abs();
            assert!(rel < 1e-30, "row {i} power {}: {rel:e}", j + 1);
        }
    }
    for (alpha, intercept) in [(0.0, true), (0.0, false), (1e-6, true)] {
        let ridge = Ridge {
            alpha,
            fit_intercept: intercept,
        };
        let exact = exact_polynomial(&t, 7, &y, alpha, intercept);
        for isa in Isa::available() {
            let ab = Ablation {
                isa,
                fast_math: true,
            };
            let (fit, report) = ridge.fit_polynomial(ab, &design, &y, Par::Seq).unwrap();
            assert_eq!(report.method, SolveMethod::Qr);
            let e = forward_error(&fit, &exact);
            assert!(
                e < 1e-13,
                "{isa} alpha {alpha} intercept {intercept}: {e:e} ({report:?})"
            );
            // The same fit on the float64 design answers the rounded design's problem, which
            // differs from the exact powers' by far more than the polynomial fit's error.
            let (rounded, _) = ridge
                .fit_report(ab, design.rounded(), Target::Values(&y), Par::Seq)
                .unwrap();
            let e_rounded = forward_error(&rounded, &exact);
            assert!(
                e_rounded > 10.0 * e,
                "{isa}: float64 design {e_rounded:e} vs {e:e}"
            );
        }
        // The accumulator, fed in three chunks merged out of order.
        let cuts = [0, 150, 151, 400];
        let mut parts: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let mut acc = ridge.accumulator(7);
                let d = PolynomialDesign::new(&t[w[0]..w[1]], 7).unwrap();
                acc.update_polynomial(&d, &y[w[0]..w[1]]).unwrap();
                acc
            })
            .collect();
        let mut acc = parts.pop().unwrap();
        acc.merge(&parts[0]).unwrap();
        acc.merge(&parts[1]).unwrap();
        let e = forward_error(&ridge.finish(&acc).unwrap(), &exact);
        assert!(
            e < 1e-13,
            "accumulator alpha {alpha} intercept {intercept}: {e:e}"
        );
    }
}

#[test]
fn polynomial_fits_agree_across_thread_counts() {
    let (t, y) = polynomial_data(5000, 12);
    let design = PolynomialDesign::new(&t, 7).unwrap();
    let ridge = Ridge {
        alpha: 0.0,
        fit_intercept: true,
    };
    let ab = Ablation::default();
    let one = ridge.fit_polynomial(ab, &design, &y, Par::Seq).unwrap().0;
    let two = ridge
        .fit_polynomial(ab, &design, &y, Par::Rayon(2))
        .unwrap()
        .0;
    assert!(forward_error(&two, &one) < 1e-13, "{one:?} vs {two:?}");
}

#[test]
fn polynomial_designs_reject_bad_input_by_name() {
    let err = |r: Result<PolynomialDesign, PipelineError>| r.unwrap_err().to_string();
    assert!(err(PolynomialDesign::new(&[1.0, 2.0], 0)).contains("degree must be >= 1"));
    assert!(err(PolynomialDesign::new(&[], 2)).contains("no training data"));
    assert!(err(PolynomialDesign::new(&[1.0, f64::NAN], 2)).contains("row 1, column 0"));
    // 1e200^2 overflows: the row and the power's column are named.
    assert!(err(PolynomialDesign::new(&[1.0, 2.0, 1e200], 3)).contains("row 2, column 1"));
    let design = PolynomialDesign::new(&[1.0, 2.0, 3.0, 4.0], 2).unwrap();
    let ridge = Ridge {
        alpha: 0.0,
        fit_intercept: true,
    };
    let short = ridge.fit_polynomial(Ablation::default(), &design, &[1.0, 2.0], Par::Seq);
    assert!(matches!(short, Err(PipelineError::ShapeMismatch { .. })));
    let bad_y = ridge.fit_polynomial(
        Ablation::default(),
        &design,
        &[1.0, 2.0, f64::INFINITY, 0.0],
        Par::Seq,
    );
    assert!(matches!(
        bad_y,
        Err(PipelineError::NonFinite { row: 2, .. })
    ));
    let mut acc = ridge.accumulator(3);
    let wrong = acc.update_polynomial(&design, &[1.0, 2.0, 3.0, 4.0]);
    assert!(matches!(
        wrong,
        Err(PipelineError::ShapeMismatch {
            expected: 3,
            got: 2,
            ..
        })
    ));
    // Too few distinct points for the degree: rank-deficient, not a wrong answer.
    let flat = PolynomialDesign::new(&[2.0, 2.0, 2.0, 2.0], 2).unwrap();
    let rank = ridge.fit_polynomial(Ablation::default(), &flat, &[1.0, 2.0, 3.0, 4.0], Par::Seq);
    assert!(matches!(rank, Err(PipelineError::Linalg(_))), "{rank:?}");
}
