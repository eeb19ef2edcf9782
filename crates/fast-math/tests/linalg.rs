//! Cholesky and QR against nalgebra, and their typed errors.

mod common;

use common::rand_mat;
use fast_math::{cholesky, cholesky_with, gemm, qr, qr_with, LinalgError, Mat, Par};
use simd_kernels::Isa;

fn spd(n: usize, seed: u64) -> Mat<f64> {
    let x = rand_mat::<f64>(n + 5, n, seed);
    let mut a = Mat::identity(n);
    gemm(1.0, x.as_ref().t(), x.as_ref(), 0.5, a.as_mut(), Par::Seq);
    a
}

fn to_na(m: &Mat<f64>) -> nalgebra::DMatrix<f64> {
    m.into()
}

#[test]
fn cholesky_matches_nalgebra_and_solves() {
    // Small inputs must take the threaded paths too, whatever this machine measures.
    fast_math::set_min_parallel_macs(Some(0));
    for isa in Isa::available() {
        for &n in &[1usize, 2, 7, 127, 128, 129, 300] {
            let a = spd(n, n as u64);
            let ch = cholesky_with(isa, a.as_ref(), Par::Seq).expect("SPD");
            let na = nalgebra::Cholesky::new(to_na(&a)).expect("nalgebra: SPD");
            let nl = na.l();
            let scale = a.as_ref().max_abs();
            for j in 0..n {
                for i in 0..n {
                    assert!(
                        (ch.l()[(i, j)] - nl[(i, j)]).abs() <= 1e-12 * scale * n as f64,
                        "{isa} n={n} L({i},{j}): {} vs {}",
                        ch.l()[(i, j)],
                        nl[(i, j)]
                    );
                }
            }
            let b = rand_mat::<f64>(n, 3, 77);
            let x = ch.solve(b.as_ref());
            let nx = na.solve(&to_na(&b));
            for j in 0..3 {
                for i in 0..n {
                    assert!((x[(i, j)] - nx[(i, j)]).abs() <= 1e-9 * (1.0 + nx[(i, j)].abs()));
                }
            }
            let inv = ch.inverse();
            let ninv = na.inverse();
            for j in 0..n {
                for i in 0..n {
                    assert!(
                        (inv[(i, j)] - ninv[(i, j)]).abs() <= 1e-9 * (1.0 + ninv[(i, j)].abs())
                    );
                }
            }
            let ld: f64 = (0..n).map(|i| nl[(i, i)].ln()).sum::<f64>() * 2.0;
            assert!((ch.log_det() - ld).abs() <= 1e-9 * (1.0 + ld.abs()));
        }
    }
    // Parallel panel updates agree with sequential ones.
    let a = spd(400, 9);
    let s = cholesky_with(Isa::detect(), a.as_ref(), Par::Seq).unwrap();
    let p = cholesky_with(Isa::detect(), a.as_ref(), Par::Rayon(2)).unwrap();
    assert_eq!(s.l().to_owned(), p.l().to_owned());
}

#[test]
fn cholesky_reports_the_failing_pivot_never_nan() {
    // Indefinite: diag(1, 4, -1, 9) with small coupling; pivot 2 fails.
    let mut a = Mat::from_fn(4, 4, |i, j| {
        if i == j {
            [1.0, 4.0, -1.0, 9.0][i]
        } else {
            0.01
        }
    });
    assert_eq!(
        cholesky(a.as_ref()).unwrap_err(),
        LinalgError::NotPositiveDefinite { pivot: 2 }
    );
    // Positive semidefinite (rank 1): the second pivot is exactly zero.
    let v = [1.0, 2.0, 3.0];
    let psd = Mat::from_fn(3, 3, |i, j| v[i] * v[j]);
    assert_eq!(
        cholesky(psd.as_ref()).unwrap_err(),
        LinalgError::NotPositiveDefinite { pivot: 1 }
    );
    // A large matrix failing inside a later block (pivot past the first 128).
    let mut big = spd(300, 4);
    for j in 0..300 {
        big[(200, j)] = 0.0;
        big[(j, 200)] = 0.0;
    }
    assert_eq!(
        cholesky(big.as_ref()).unwrap_err(),
        LinalgError::NotPositiveDefinite { pivot: 200 }
    );
    a[(0, 0)] = -0.0;
    assert_eq!(
        cholesky(a.as_ref()).unwrap_err(),
        LinalgError::NotPositiveDefinite { pivot: 0 }
    );
}

#[test]
fn factorizations_reject_empty_nonsquare_and_nonfinite_input() {
    let e = Mat::<f64>::zeros(0, 0);
    assert_eq!(
        cholesky(e.as_ref()).unwrap_err(),
        LinalgError::Empty { nrows: 0, ncols: 0 }
    );
    assert_eq!(
        qr(Mat::<f64>::zeros(3, 0).as_ref()).unwrap_err(),
        LinalgError::Empty { nrows: 3, ncols: 0 }
    );
    assert_eq!(
        cholesky(Mat::<f64>::zeros(2, 3).as_ref()).unwrap_err(),
        LinalgError::NotSquare { nrows: 2, ncols: 3 }
    );
    let mut a = spd(5, 1);
    a[(3, 1)] = f64::NAN;
    assert_eq!(
        cholesky(a.as_ref()).unwrap_err(),
        LinalgError::NonFinite { row: 3, col: 1 }
    );
    a[(3, 1)] = 0.0;
    a[(4, 4)] = f64::INFINITY;
    assert_eq!(
        qr(a.as_ref()).unwrap_err(),
        LinalgError::NonFinite { row: 4, col: 4 }
    );
    let msg = LinalgError::NotPositiveDefinite { pivot: 7 }.to_string();
    assert!(msg.contains("pivot 7"), "{msg}");
}

#[test]
fn qr_matches_nalgebra_and_solves_least_squares() {
    for &(m, n) in &[
        (1usize, 1usize),
        (5, 3),
        (3, 5),
        (50, 50),
        (200, 17),
        (64, 1),
        // Past one block of reflectors (16): blocked factor and Q, a partial last block,
        // a wide matrix whose last block takes the columns past min(m, n).
        (300, 70),
        (1000, 65),
        (40, 100),
        (96, 96),
    ] {
        let a = rand_mat::<f64>(m, n, (m * 100 + n) as u64);
        let f = qr(a.as_ref()).unwrap();
        let (q, r) = (f.q(), f.r());
        let k = m.min(n);
        assert_eq!((q.nrows(), q.ncols(), r.nrows(), r.ncols()), (m, k, k, n));
        // Q^T Q = I, Q R = A.
        let mut qtq = Mat::zeros(k, k);
        gemm(1.0, q.as_ref().t(), q.as_ref(), 0.0, qtq.as_mut(), Par::Seq);
        let mut qr_prod = Mat::zeros(m, n);
        gemm(1.0, q.as_ref(), r.as_ref(), 0.0, qr_prod.as_mut(), Par::Seq);
        for j in 0..k {
            for i in 0..k {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((qtq[(i, j)] - want).abs() <= 1e-13 * m as f64);
            }
        }
        for j in 0..n {
            for i in 0..m {
                assert!((qr_prod[(i, j)] - a[(i, j)]).abs() <= 1e-13 * m as f64);
            }
        }
        // R agrees with nalgebra's up to the sign of each row.
        let nr = nalgebra::linalg::QR::new(to_na(&a)).r();
        for i in 0..k {
            let s = if (r[(i, i)] >= 0.0) == (nr[(i, i)] >= 0.0) {
                1.0
            } else {
                -1.0
            };
            for j in i..n {
                assert!(
                    (r[(i, j)] - s * nr[(i, j)]).abs() <= 1e-12 * m as f64,
                    "m={m} n={n} R({i},{j})"
                );
            }
        }
        if m >= n {
            let b = rand_mat::<f64>(m, 2, 5);
            let x = f.solve_least_squares(b.as_ref()).unwrap();
            // Normal equations: A^T (A x - b) = 0.
            let mut res = b.clone();
            gemm(1.0, a.as_ref(), x.as_ref(), -1.0, res.as_mut(), Par::Seq);
            let mut g = Mat::zeros(n, 2);
            gemm(1.0, a.as_ref().t(), res.as_ref(), 0.0, g.as_mut(), Par::Seq);
            assert!(
                g.as_ref().max_abs() <= 1e-11 * m as f64,
                "m={m} n={n}: gradient {}",
                g.as_ref().max_abs()
            );
            let na = to_na(&a);
            let nx = na.clone().svd(true, true).solve(&to_na(&b), 1e-14).unwrap();
            for j in 0..2 {
                for i in 0..n {
                    assert!((x[(i, j)] - nx[(i, j)]).abs() <= 1e-9 * (1.0 + nx[(i, j)].abs()));
                }
            }
        } else {
            let b = rand_mat::<f64>(m, 1, 5);
            assert_eq!(
                f.solve_least_squares(b.as_ref()).unwrap_err(),
                LinalgError::Underdetermined { nrows: m, ncols: n }
            );
        }
    }
}

/// QR on every ISA of columns scaled far from one: sums of squares that overflow (1e200)
/// or underflow (1e-200, and 1e-160, whose squares are subnormal, a few digits each) take the scaled
/// norm, the rest the plain one. `R` must be the unscaled factor's, scaled, and `Q` the
/// same, to rounding.
#[test]
fn qr_is_scale_invariant_across_magnitudes_on_every_isa() {
    let (m, n) = (300, 40);
    let base = rand_mat::<f64>(m, n, 77);
    for isa in Isa::available() {
        let f0 = qr_with(isa, base.as_ref()).unwrap();
        let (q0, r0) = (f0.q(), f0.r());
        for scales in [
            vec![1e200; n],
            vec![1e-200; n],
            vec![1e-160; n],
            (0..n)
                .map(|j| [1e-200, 1.0, 1e200, 1e-160][j % 4])
                .collect::<Vec<f64>>(),
        ] {
            let a = Mat::from_fn(m, n, |i, j| base[(i, j)] * scales[j]);
            let f = qr_with(isa, a.as_ref()).unwrap();
            let (q, r) = (f.q(), f.r());
            for j in 0..n {
                for i in 0..n.min(m) {
                    let (got, want) = (r[(i, j)], r0[(i, j)] * scales[j]);
                    assert!(
                        (got - want).abs() <= 1e-12 * (r0[(i, j)].abs() + 1.0) * scales[j],
                        "{isa}: R({i},{j}) = {got:e}, want {want:e}"
                    );
                }
            }
            // Column scaling leaves Q unchanged (each R_jj keeps the sign the reflectors give).
            for j in 0..n {
                for i in 0..m {
                    assert!(
                        (q[(i, j)] - q0[(i, j)]).abs() <= 1e-12,
                        "{isa}: Q({i},{j}) {} vs {}",
                        q[(i, j)],
                        q0[(i, j)]
                    );
                }
            }
        }
    }
}

#[test]
fn qr_least_squares_detects_rank_deficiency() {
    // Column 2 = column 0 + column 1.
    let a = Mat::from_fn(6, 3, |i, j| match j {
        0 => i as f64,
        1 => (i * i) as f64,
        _ => (i + i * i) as f64,
    });
    let b = Mat::from_fn(6, 1, |i, _| i as f64);
    assert_eq!(
        qr(a.as_ref())
            .unwrap()
            .solve_least_squares(b.as_ref())
            .unwrap_err(),
        LinalgError::RankDeficient { col: 2 }
    );
    let mut bad = b.clone();
    bad[(2, 0)] = f64::NAN;
    let full = Mat::from_fn(6, 2, |i, j| if j == 0 { 1.0 } else { i as f64 });
    assert_eq!(
        qr(full.as_ref())
            .unwrap()
            .solve_least_squares(bad.as_ref())
            .unwrap_err(),
        LinalgError::NonFinite { row: 2, col: 0 }
    );
}
