//! Bad input at the layer's entry points not covered by the per-module tests: NaN
//! propagation, overflow, wrong shapes. See docs/RELIABILITY.md.

use fast_math::conv::{convolve, direct_convolve, fft_convolve};
use fast_math::rsvd::{randomized_svd, RsvdOptions};
use fast_math::{cholesky, gemm, matmul, qr, LinalgError, Mat, Par};

fn spd(n: usize) -> Mat<f64> {
    Mat::from_fn(n, n, |i, j| {
        if i == j {
            n as f64 + 1.0
        } else {
            1.0 / (1.0 + (i + j) as f64)
        }
    })
}

#[test]
fn gemm_propagates_nan_and_inf_into_exactly_the_affected_entries() {
    // Small inputs must take the threaded paths too, whatever this machine measures.
    fast_math::set_min_parallel_macs(Some(0));
    let n = 37;
    let mut a = Mat::from_fn(n, n, |i, j| (i as f64 - j as f64) / n as f64);
    let b = Mat::from_fn(n, n, |i, j| ((i * j) % 5) as f64 + 1.0);
    a[(4, 9)] = f64::NAN;
    a[(20, 3)] = f64::INFINITY;
    for par in [Par::Seq, Par::Rayon(2)] {
        let mut c = Mat::zeros(n, n);
        gemm(1.0, a.as_ref(), b.as_ref(), 0.0, c.as_mut(), par);
        for i in 0..n {
            for j in 0..n {
                let v = c[(i, j)];
                match i {
                    4 => assert!(v.is_nan(), "({i},{j}) {v}"),
                    20 => assert_eq!(v, f64::INFINITY, "({i},{j})"),
                    _ => assert!(v.is_finite(), "({i},{j}) {v}"),
                }
            }
        }
    }
    let c = matmul(a.as_ref(), b.as_ref(), Par::Seq);
    assert!(c[(4, 0)].is_nan() && c[(0, 0)].is_finite());
    // One column, and one row, take the streamed GEMV: the same entries are affected, and
    // beta = 0 still never reads C (here all NaN).
    let mut c1 = Mat::filled(n, 1, f64::NAN);
    let b1 = b.as_ref().submatrix(0, 0, n, 1);
    gemm(1.0, a.as_ref(), b1, 0.0, c1.as_mut(), Par::Seq);
    for i in 0..n {
        let v = c1[(i, 0)];
        match i {
            4 => assert!(v.is_nan(), "column {i}: {v}"),
            20 => assert_eq!(v, f64::INFINITY, "column {i}"),
            _ => assert!(v.is_finite(), "column {i}: {v}"),
        }
    }
    for (row, bad) in [(4, true), (5, false)] {
        let mut r = Mat::filled(1, n, f64::NAN);
        gemm(
            1.0,
            a.as_ref().submatrix(row, 0, 1, n),
            b.as_ref(),
            0.0,
            r.as_mut(),
            Par::Seq,
        );
        for j in 0..n {
            assert_eq!(
                r[(0, j)].is_nan(),
                bad,
                "row {row}, column {j}: {}",
                r[(0, j)]
            );
        }
    }
}

#[test]
fn convolution_propagates_nan_on_every_path() {
    let mut signal: Vec<f64> = (0..3000).map(|i| (i as f64 * 0.01).sin()).collect();
    signal[1500] = f64::NAN;
    let kernel = [0.25, 0.5, 0.25];
    let direct = direct_convolve(&signal, &kernel);
    assert_eq!(direct.len(), signal.len() + kernel.len() - 1);
    for (i, v) in direct.iter().enumerate() {
        assert_eq!(v.is_nan(), (1500..1503).contains(&i), "direct {i}: {v}");
    }
    // The FFT mixes every output of a block, so NaN spreads through it: NaN is never lost.
    for out in [fft_convolve(&signal, &kernel), convolve(&signal, &kernel)] {
        assert!((1500..1503).all(|i| out[i].is_nan()));
    }
}

/// Every position of a non-finite value, on both sides of the chunks the contiguous check
/// reads and in a strided (transposed) view, is found by `is_all_finite` and named exactly by
/// the factorizations that check their input.
#[test]
fn a_non_finite_element_anywhere_is_found_and_named() {
    let (m, n) = (130, 3);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        for col in 0..n {
            for row in [0, 1, 63, 64, 65, 127, 128, 129] {
                let mut a = Mat::from_fn(m, n, |i, j| 1.0 + (i * n + j) as f64);
                assert!(a.as_ref().is_all_finite() && a.as_ref().t().is_all_finite());
                a[(row, col)] = bad;
                assert!(!a.as_ref().is_all_finite(), "({row}, {col}) = {bad}");
                assert!(
                    !a.as_ref().t().is_all_finite(),
                    "({row}, {col}) = {bad}, transposed"
                );
                assert_eq!(
                    qr(a.as_ref()).unwrap_err(),
                    LinalgError::NonFinite { row, col }
                );
            }
        }
    }
}

#[test]
fn cholesky_overflow_and_indefinite_are_typed_never_nan() {
    // Finite entries whose products overflow.
    let mut a = spd(4);
    a[(0, 0)] = 1e300;
    a[(1, 0)] = 1e300;
    a[(0, 1)] = 1e300;
    match cholesky(a.as_ref()) {
        Ok(c) => assert!(c.l().to_owned().as_slice().iter().all(|v| v.is_finite())),
        Err(e) => assert!(
            matches!(e, LinalgError::NotPositiveDefinite { .. }),
            "{e:?}"
        ),
    }
    // Singular: a zero matrix fails at the first pivot.
    assert_eq!(
        cholesky(Mat::<f64>::zeros(3, 3).as_ref()).unwrap_err(),
        LinalgError::NotPositiveDefinite { pivot: 0 }
    );
    // Negative definite.
    let neg = Mat::from_fn(3, 3, |i, j| if i == j { -1.0 } else { 0.0 });
    assert_eq!(
        cholesky(neg.as_ref()).unwrap_err(),
        LinalgError::NotPositiveDefinite { pivot: 0 }
    );
}

#[test]
fn least_squares_rejects_underdetermined_singular_and_non_finite_rhs() {
    let wide = Mat::from_fn(2, 3, |i, j| (i + j) as f64 + 1.0);
    let b = Mat::<f64>::zeros(2, 1);
    let r = qr(wide.as_ref()).and_then(|q| q.solve_least_squares(b.as_ref()));
    assert_eq!(
        r.unwrap_err(),
        LinalgError::Underdetermined { nrows: 2, ncols: 3 }
    );
    let zero = Mat::<f64>::zeros(4, 2);
    let r = qr(zero.as_ref()).and_then(|q| q.solve_least_squares(Mat::zeros(4, 1).as_ref()));
    assert!(
        matches!(r, Err(LinalgError::RankDeficient { col: 0 })),
        "{r:?}"
    );
    let a = spd(4);
    let mut rhs = Mat::<f64>::zeros(4, 1);
    rhs[(2, 0)] = f64::NAN;
    let r = qr(a.as_ref()).unwrap().solve_least_squares(rhs.as_ref());
    assert_eq!(r.unwrap_err(), LinalgError::NonFinite { row: 2, col: 0 });
}

#[test]
#[should_panic(expected = "right-hand side has 3 rows, A is 4x4")]
fn cholesky_solve_with_wrong_rhs_rows_panics_naming_them() {
    let c = cholesky(spd(4).as_ref()).unwrap();
    c.solve(Mat::<f64>::zeros(3, 1).as_ref());
}

#[test]
fn rsvd_rank_above_either_dimension_is_invalid_rank() {
    for (m, n) in [(30, 6), (6, 30)] {
        let a = Mat::from_fn(m, n, |i, j| ((i * 7 + j * 3) % 11) as f64);
        for rank in [7, usize::MAX] {
            assert_eq!(
                randomized_svd(a.as_ref(), &RsvdOptions::new(rank), Par::Seq).unwrap_err(),
                LinalgError::InvalidRank { rank, max_rank: 6 },
                "{m}x{n}"
            );
        }
    }
    // Rank above the numerical rank is allowed: the extra singular values are ~0.
    let ones = Mat::filled(20, 5, 1.0);
    let svd = randomized_svd(ones.as_ref(), &RsvdOptions::new(3), Par::Seq).unwrap();
    assert!(svd.s.iter().all(|v| v.is_finite()), "{:?}", svd.s);
    assert!(
        (svd.s[0] - 10.0).abs() < 1e-9 && svd.s[1].abs() < 1e-9,
        "{:?}",
        svd.s
    );
}

#[test]
fn rsvd_huge_oversampling_sketches_every_column() {
    // Regression: rank + oversamples overflowed.
    let a = Mat::from_fn(40, 8, |i, j| {
        ((i * 7 + j * 3) % 11) as f64 + (i == j) as u8 as f64
    });
    let mut opts = RsvdOptions::new(3);
    let full = RsvdOptions {
        oversamples: 5,
        ..opts
    };
    let want = randomized_svd(a.as_ref(), &full, Par::Seq).unwrap();
    opts.oversamples = usize::MAX;
    let got = randomized_svd(a.as_ref(), &opts, Par::Seq).unwrap();
    for (g, w) in got.s.iter().zip(&want.s) {
        assert!((g - w).abs() <= 1e-9 * w, "{:?} vs {:?}", got.s, want.s);
    }
}

/// The panic message of `f`, which must panic (not abort).
fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("must panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn impossible_matrix_sizes_panic_with_a_message_instead_of_aborting() {
    let m = panic_message(|| {
        let _ = Mat::<f64>::zeros(1 << 33, 1 << 33);
    });
    assert!(m.contains("8589934592x8589934592 overflows usize"), "{m}");
    let m = panic_message(|| {
        let _ = Mat::<f64>::identity(usize::MAX);
    });
    assert!(m.contains("overflows usize"), "{m}");
    // Representable as a count, not as bytes.
    for (r, c) in [(1usize << 31, 1usize << 31), (usize::MAX / 4, 1)] {
        let m = panic_message(move || {
            let _ = Mat::<f64>::filled(r, c, 1.0);
        });
        assert!(m.contains("capacity overflow"), "{r}x{c}: {m}");
    }
    // Empty in one dimension: no storage, whatever the other.
    let wide = Mat::<f64>::zeros(0, usize::MAX);
    assert_eq!((wide.nrows(), wide.ncols()), (0, usize::MAX));
}
