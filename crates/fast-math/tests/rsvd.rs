//! Randomized SVD on matrices with known singular values, built as `U diag(s) V^T` from
//! random orthogonal factors.
#![allow(clippy::needless_range_loop)] // index loops mirror the math (s[i] vs svd.s[i])

use fast_math::rsvd::{randomized_svd, Normalizer, PowerIters, RsvdOptions};
use fast_math::{gemm, qr, LinalgError, Mat, Par};
use seeded_rng::Rng;

/// Test matrices draw their factors from seeds 1000 and up, so no factor shares a stream
/// with a sketch (whose seeds in these tests are small).
const DATA_SEEDS: u64 = 1000;

fn random_orthonormal(m: usize, r: usize, stream: u64) -> Mat<f64> {
    // Gaussian columns make Q Haar-distributed: an orthonormal basis with no preferred
    // direction.
    let mut rng = Rng::new(DATA_SEEDS + stream);
    let g = Mat::from_fn(m, r, |_, _| rng.normal());
    qr(g.as_ref()).unwrap().q()
}

/// `U diag(s) V^T` (`m x n`) with random orthonormal `U`, `V`.
fn with_spectrum(m: usize, n: usize, s: &[f64], seed: u64) -> Mat<f64> {
    let r = s.len();
    let mut us = random_orthonormal(m, r, 2 * seed);
    let v = random_orthonormal(n, r, 2 * seed + 1);
    for (j, &sj) in s.iter().enumerate() {
        for i in 0..m {
            us[(i, j)] *= sj;
        }
    }
    let mut a = Mat::zeros(m, n);
    gemm(1.0, us.as_ref(), v.as_ref().t(), 0.0, a.as_mut(), Par::Seq);
    a
}

fn residual_fro(a: &Mat<f64>, svd: &fast_math::rsvd::Svd) -> f64 {
    let mut us = svd.u.clone();
    for (j, &sj) in svd.s.iter().enumerate() {
        for i in 0..us.nrows() {
            us[(i, j)] *= sj;
        }
    }
    let mut r = a.clone();
    gemm(
        -1.0,
        us.as_ref(),
        svd.vt.as_ref(),
        1.0,
        r.as_mut(),
        Par::Seq,
    );
    r.as_ref().norm_frobenius()
}

fn assert_orthonormal_cols(q: &Mat<f64>, what: &str) {
    let mut g = Mat::zeros(q.ncols(), q.ncols());
    gemm(1.0, q.as_ref().t(), q.as_ref(), 0.0, g.as_mut(), Par::Seq);
    for i in 0..q.ncols() {
        for j in 0..q.ncols() {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!(
                (g[(i, j)] - want).abs() < 1e-12,
                "{what}: Q^T Q ({i},{j}) = {}",
                g[(i, j)]
            );
        }
    }
}

fn fast_decay(r: usize) -> Vec<f64> {
    (0..r).map(|i| 0.6f64.powi(i as i32) * 100.0).collect()
}

#[test]
fn fast_decay_top_singular_values_to_1e8_for_every_normalizer() {
    let (m, n, k) = (300, 200, 10);
    let s = fast_decay(n);
    let a = with_spectrum(m, n, &s, 1);
    for normalizer in [
        Normalizer::Auto,
        Normalizer::None,
        Normalizer::Lu,
        Normalizer::Qr,
    ] {
        // Without normalization many iterations collapse the sketch onto the top
        // singular vectors (why scikit-learn only skips it for <= 2 iterations).
        let power_iters = match normalizer {
            Normalizer::None => PowerIters::Fixed(2),
            _ => PowerIters::Auto,
        };
        let opts = RsvdOptions {
            normalizer,
            power_iters,
            ..RsvdOptions::new(k)
        };
        let svd = randomized_svd(a.as_ref(), &opts, Par::Seq).unwrap();
        assert_eq!(svd.s.len(), k);
        assert_eq!((svd.u.nrows(), svd.u.ncols()), (m, k));
        assert_eq!((svd.vt.nrows(), svd.vt.ncols()), (k, n));
        for i in 0..k {
            let rel = (svd.s[i] - s[i]).abs() / s[i];
            assert!(
                rel < 1e-8,
                "{normalizer:?}: s[{i}] = {} vs {} (rel {rel:e})",
                svd.s[i],
                s[i]
            );
        }
        assert!(svd.s.windows(2).all(|w| w[0] >= w[1]), "descending");
        assert_orthonormal_cols(&svd.u, "U");
        assert_orthonormal_cols(&svd.vt.transpose(), "V");
    }
}

#[test]
fn slow_decay_residual_within_one_percent_of_optimal() {
    // Small inputs must take the threaded paths too, whatever this machine measures.
    fast_math::set_min_parallel_macs(Some(0));
    let (m, n, k) = (400, 250, 20);
    let s: Vec<f64> = (0..n).map(|i| 1.0 / ((i + 1) as f64).sqrt()).collect();
    let a = with_spectrum(m, n, &s, 2);
    let optimal = s[k..].iter().map(|v| v * v).sum::<f64>().sqrt();
    for par in [Par::Seq, Par::Rayon(2)] {
        let svd = randomized_svd(a.as_ref(), &RsvdOptions::new(k), par).unwrap();
        let res = residual_fro(&a, &svd);
        assert!(
            res <= 1.01 * optimal,
            "{par:?}: residual {res} vs optimal {optimal} (ratio {})",
            res / optimal
        );
        assert!(
            res >= optimal * (1.0 - 1e-12),
            "no rank-{k} approximation beats the SVD"
        );
    }
}

#[test]
fn wide_matrix_goes_through_the_transpose() {
    let (m, n, k) = (120, 310, 8);
    let s = fast_decay(m);
    let a = with_spectrum(m, n, &s, 3);
    let svd = randomized_svd(a.as_ref(), &RsvdOptions::new(k), Par::Seq).unwrap();
    assert_eq!(
        (svd.u.nrows(), svd.u.ncols(), svd.vt.nrows(), svd.vt.ncols()),
        (m, k, k, n)
    );
    for i in 0..k {
        assert!((svd.s[i] - s[i]).abs() / s[i] < 1e-8, "s[{i}]");
    }
    assert_orthonormal_cols(&svd.u, "U wide");
}

#[test]
fn exactly_low_rank_input_with_lu_normalizer() {
    // Rank 3, asking for 6: the sketch is rank deficient, so LU meets tiny pivots.
    let s = [5.0, 2.0, 1.0];
    let a = with_spectrum(200, 90, &s, 4);
    let opts = RsvdOptions {
        normalizer: Normalizer::Lu,
        power_iters: PowerIters::Fixed(5),
        ..RsvdOptions::new(6)
    };
    let svd = randomized_svd(a.as_ref(), &opts, Par::Seq).unwrap();
    for i in 0..3 {
        assert!((svd.s[i] - s[i]).abs() < 1e-10, "s[{i}] = {}", svd.s[i]);
    }
    for i in 3..6 {
        assert!(svd.s[i] < 1e-10, "s[{i}] = {} should vanish", svd.s[i]);
    }
    assert!(residual_fro(&a, &svd) < 1e-10);
}

#[test]
fn same_seed_same_bits_and_documented_signs() {
    let a = with_spectrum(150, 80, &fast_decay(80), 5);
    let opts = RsvdOptions {
        seed: 42,
        ..RsvdOptions::new(5)
    };
    let x = randomized_svd(a.as_ref(), &opts, Par::Seq).unwrap();
    let y = randomized_svd(a.as_ref(), &opts, Par::Seq).unwrap();
    assert_eq!(x.s, y.s);
    assert_eq!(x.u, y.u);
    assert_eq!(x.vt, y.vt);
    for c in 0..5 {
        let col: Vec<f64> = (0..150).map(|i| x.u[(i, c)]).collect();
        let big = col
            .iter()
            .cloned()
            .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        assert!(
            big > 0.0,
            "column {c}: largest-magnitude entry {big} must be positive"
        );
    }
    // A different seed gives the same subspace, hence (up to rounding) the same factors,
    // because the sign convention removes the only freedom.
    let z = randomized_svd(a.as_ref(), &RsvdOptions { seed: 7, ..opts }, Par::Seq).unwrap();
    for i in 0..150 {
        assert!((z.u[(i, 0)] - x.u[(i, 0)]).abs() < 1e-9, "u[{i}, 0]");
    }
}

#[test]
fn options_follow_scikit_learn_defaults() {
    let o = RsvdOptions::new(50);
    assert_eq!(o.oversamples, 10);
    assert_eq!(o.iterations(10_000, 2_000), 7); // 50 < 200
    assert_eq!(o.iterations(10_000, 400), 4); // 50 >= 40
    assert_eq!(o.resolved_normalizer(7), Normalizer::Lu);
    assert_eq!(o.resolved_normalizer(2), Normalizer::None);
    let fixed = RsvdOptions {
        power_iters: PowerIters::Fixed(1),
        ..o
    };
    assert_eq!(fixed.iterations(10, 10), 1);
}

#[test]
fn full_rank_request_and_zero_iterations_work() {
    let s: Vec<f64> = (0..12).map(|i| 12.0 - i as f64).collect();
    let a = with_spectrum(30, 12, &s, 6);
    let opts = RsvdOptions {
        power_iters: PowerIters::Fixed(0),
        ..RsvdOptions::new(12)
    };
    let svd = randomized_svd(a.as_ref(), &opts, Par::Seq).unwrap();
    for i in 0..12 {
        assert!((svd.s[i] - s[i]).abs() < 1e-10, "s[{i}]");
    }
}

#[test]
fn bad_inputs_give_typed_errors() {
    let a = with_spectrum(20, 10, &[1.0, 0.5], 7);
    assert_eq!(
        randomized_svd(a.as_ref(), &RsvdOptions::new(11), Par::Seq).unwrap_err(),
        LinalgError::InvalidRank {
            rank: 11,
            max_rank: 10
        }
    );
    assert_eq!(
        randomized_svd(a.as_ref(), &RsvdOptions::new(0), Par::Seq).unwrap_err(),
        LinalgError::InvalidRank {
            rank: 0,
            max_rank: 10
        }
    );
    let empty = Mat::<f64>::zeros(0, 5);
    assert_eq!(
        randomized_svd(empty.as_ref(), &RsvdOptions::new(1), Par::Seq).unwrap_err(),
        LinalgError::Empty { nrows: 0, ncols: 5 }
    );
    let mut bad = a.clone();
    bad[(13, 4)] = f64::NAN;
    bad[(2, 6)] = f64::INFINITY;
    assert_eq!(
        randomized_svd(bad.as_ref(), &RsvdOptions::new(2), Par::Seq).unwrap_err(),
        LinalgError::NonFinite { row: 13, col: 4 }
    );
}

/// The first product checks the input (see `first_sketch`): every kind of non-finite value,
/// anywhere, in a tall or a wide matrix (factored through its transpose), with or without
/// power iterations, is named at its place in the caller's matrix, the first column by
/// column.
#[test]
fn non_finite_values_are_named_wherever_they_are() {
    let tall = with_spectrum(40, 12, &[3.0, 1.0, 0.5], 11);
    let wide = tall.transpose();
    for a in [&tall, &wide] {
        let (m, n) = (a.nrows(), a.ncols());
        for (i, j) in [(0, 0), (m - 1, n - 1), (m / 2, 3), (7, n - 1)] {
            for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                for iters in [PowerIters::Fixed(0), PowerIters::Auto] {
                    let mut b = a.clone();
                    b[(i, j)] = bad;
                    // A row of zeros around it: the product still carries it (inf * 0).
                    for c in 0..n {
                        if c != j {
                            b[(i, c)] = 0.0;
                        }
                    }
                    let opts = RsvdOptions {
                        power_iters: iters,
                        ..RsvdOptions::new(2)
                    };
                    assert_eq!(
                        randomized_svd(b.as_ref(), &opts, Par::Seq).unwrap_err(),
                        LinalgError::NonFinite { row: i, col: j },
                        "{m} x {n}, {bad} at ({i}, {j}), {iters:?}"
                    );
                    // A second one later, column by column, is not the one named.
                    if (i, j) != (m - 1, n - 1) {
                        b[(m - 1, n - 1)] = f64::NAN;
                        assert_eq!(
                            randomized_svd(b.as_ref(), &opts, Par::Seq).unwrap_err(),
                            LinalgError::NonFinite { row: i, col: j }
                        );
                    }
                }
            }
        }
    }
}
