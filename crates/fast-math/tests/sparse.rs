//! CSR construction, conversion and products against dense references.

use fast_math::sparse::{
    gemv_dense, matvec_auto, AutoMatrix, CsrMatrix, SparseError, CSR_DENSITY_CROSSOVER,
};
use fast_math::{Mat, MatRef};
use seeded_rng::Rng;

/// A dense matrix with about `density` of its entries nonzero, in [-1, 1), and one empty
/// row and column when large enough.
fn sparse_dense(m: usize, n: usize, density: f64, seed: u64) -> Mat<f64> {
    let mut r = Rng::new(seed);
    Mat::from_fn(m, n, |i, j| {
        let keep = r.uniform() < density && i != 1 && j != 2;
        let v = r.range(-1.0, 1.0);
        if keep {
            v
        } else {
            0.0
        }
    })
}

fn dense_mv(a: &Mat<f64>, x: &[f64]) -> Vec<f64> {
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[(i, j)] * x[j]).sum())
        .collect()
}

fn assert_vec_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

#[test]
fn triplets_sum_duplicates_in_any_order() {
    let t = [
        (2, 1, 1.0),
        (0, 3, 2.0),
        (2, 1, 0.25),
        (0, 0, -1.0),
        (2, 0, 5.0),
        (0, 3, -2.0),
    ];
    let a = CsrMatrix::from_triplets(3, 4, &t).unwrap();
    assert_eq!(a.nnz(), 4); // (0,0), (0,3) explicit zero, (2,0), (2,1)
    assert_eq!(a.indptr(), &[0, 2, 2, 4]);
    assert_eq!(a.indices(), &[0, 3, 0, 1]);
    assert_eq!(a.values(), &[-1.0, 0.0, 5.0, 1.25]);
    assert!((a.density() - 4.0 / 12.0).abs() < 1e-15);
    let d = a.to_dense();
    assert_eq!(d[(2, 1)], 1.25);
    assert_eq!(d[(0, 3)], 0.0);
    assert_eq!(d[(1, 2)], 0.0);
}

#[test]
fn construction_errors_are_typed() {
    let err = CsrMatrix::from_triplets(2, 2, &[(0, 0, 1.0), (1, 2, 1.0)]).unwrap_err();
    assert_eq!(
        err,
        SparseError::IndexOutOfBounds {
            index: 1,
            row: 1,
            col: 2,
            nrows: 2,
            ncols: 2
        }
    );
    let err = CsrMatrix::from_triplets(2, 2, &[(5, 0, 1.0)]).unwrap_err();
    assert!(matches!(
        err,
        SparseError::IndexOutOfBounds {
            index: 0,
            row: 5,
            ..
        }
    ));
    let err = CsrMatrix::from_triplets(2, 2, &[(0, 0, 1.0), (1, 1, f64::NAN)]).unwrap_err();
    assert_eq!(err, SparseError::NonFinite { row: 1, col: 1 });
    let err = CsrMatrix::<f64>::from_triplets(1, 1, &[(0, 0, f64::INFINITY)]).unwrap_err();
    assert_eq!(err, SparseError::NonFinite { row: 0, col: 0 });
    let too_wide = u32::MAX as usize + 1;
    assert_eq!(
        CsrMatrix::<f64>::zeros(0, too_wide).unwrap_err(),
        SparseError::TooManyColumns { ncols: too_wide }
    );
    let mut d = Mat::<f64>::zeros(3, 2);
    d[(2, 1)] = f64::NEG_INFINITY;
    assert_eq!(
        CsrMatrix::from_dense(d.as_ref(), 0.0).unwrap_err(),
        SparseError::NonFinite { row: 2, col: 1 }
    );
    let ok = Mat::<f64>::zeros(2, 2);
    assert!(matches!(
        CsrMatrix::from_dense(ok.as_ref(), -1.0),
        Err(SparseError::InvalidTolerance { .. })
    ));
    assert!(matches!(
        CsrMatrix::from_dense(ok.as_ref(), f64::NAN),
        Err(SparseError::InvalidTolerance { .. })
    ));
    assert!(err_message_names_position());
}

fn err_message_names_position() -> bool {
    let e = SparseError::NonFinite { row: 7, col: 9 };
    e.to_string().contains("(7, 9)")
}

#[test]
fn from_dense_drops_below_tolerance_and_round_trips() {
    let d = sparse_dense(37, 23, 0.3, 1);
    let a = CsrMatrix::from_dense(d.as_ref(), 0.0).unwrap();
    assert_eq!(a.to_dense(), d);
    assert_eq!(a.nnz(), d.as_slice().iter().filter(|v| **v != 0.0).count());
    let b = CsrMatrix::from_dense(d.as_ref(), 0.5).unwrap();
    assert_eq!(
        b.nnz(),
        d.as_slice().iter().filter(|v| v.abs() > 0.5).count()
    );
    // A row-major view gives the same matrix.
    let dt = d.transpose();
    let c = CsrMatrix::from_dense(dt.as_ref().t(), 0.0).unwrap();
    assert_eq!(c, a);
}

#[test]
fn transpose_matches_dense_and_is_an_involution() {
    let d = sparse_dense(41, 29, 0.2, 2);
    let a = CsrMatrix::from_dense(d.as_ref(), 0.0).unwrap();
    let at = a.transpose();
    assert_eq!((at.nrows(), at.ncols()), (29, 41));
    assert_eq!(at.to_dense(), d.transpose());
    assert!(at.indptr().windows(2).all(|w| w[0] <= w[1]));
    for i in 0..at.nrows() {
        let s = &at.indices()[at.indptr()[i]..at.indptr()[i + 1]];
        assert!(s.windows(2).all(|w| w[0] < w[1]), "row {i} sorted");
    }
    assert_eq!(at.transpose(), a);
}

#[test]
fn spmv_and_spmv_t_match_dense() {
    for (m, n, dens) in [(1, 1, 1.0), (50, 70, 0.05), (70, 50, 0.4), (13, 200, 0.9)] {
        let d = sparse_dense(m, n, dens, (m * n) as u64);
        let a = CsrMatrix::from_dense(d.as_ref(), 0.0).unwrap();
        let mut r = Rng::new(99);
        let x: Vec<f64> = (0..n).map(|_| r.range(-0.5, 0.5)).collect();
        let mut y = vec![f64::NAN; m];
        a.spmv(&x, &mut y);
        assert_vec_close(&y, &dense_mv(&d, &x), "spmv");
        let xt: Vec<f64> = (0..m).map(|_| r.range(-0.5, 0.5)).collect();
        let mut yt = vec![f64::NAN; n];
        a.spmv_t(&xt, &mut yt);
        assert_vec_close(&yt, &dense_mv(&d.transpose(), &xt), "spmv_t");
    }
}

#[test]
fn empty_shapes_work() {
    let a = CsrMatrix::<f64>::from_triplets(0, 3, &[]).unwrap();
    let mut y: [f64; 0] = [];
    a.spmv(&[1.0, 2.0, 3.0], &mut y);
    assert_eq!(a.density(), 0.0);
    let b = CsrMatrix::<f64>::from_triplets(2, 0, &[]).unwrap();
    let mut y = [f64::NAN; 2];
    b.spmv(&[], &mut y);
    assert_eq!(y, [0.0, 0.0]);
    assert_eq!(b.spmm(Mat::<f64>::zeros(0, 3).as_ref()), Mat::zeros(2, 3));
}

#[test]
fn spmm_matches_dense_for_every_width_and_layout() {
    let d = sparse_dense(33, 27, 0.25, 3);
    let a = CsrMatrix::from_dense(d.as_ref(), 0.0).unwrap();
    for p in [1, 3, 4, 5, 9] {
        let mut r = Rng::new(p as u64 + 5);
        let b = Mat::from_fn(27, p, |_, _| r.range(-0.5, 0.5));
        let want: Mat<f64> =
            Mat::from_fn(33, p, |i, j| (0..27).map(|k| d[(i, k)] * b[(k, j)]).sum());
        let got = a.spmm(b.as_ref());
        let bt = b.transpose();
        let got_rm = a.spmm(bt.as_ref().t());
        for j in 0..p {
            for i in 0..33 {
                assert!(
                    (got[(i, j)] - want[(i, j)]).abs() < 1e-12,
                    "spmm ({i},{j}) p={p}"
                );
                assert_eq!(got_rm[(i, j)], got[(i, j)], "row-major B ({i},{j})");
            }
        }
    }
}

#[test]
fn works_in_f32() {
    let a = CsrMatrix::<f32>::from_triplets(2, 2, &[(0, 1, 2.0), (1, 0, 3.0)]).unwrap();
    let mut y = [0.0f32; 2];
    a.spmv(&[1.0, 10.0], &mut y);
    assert_eq!(y, [20.0, 3.0]);
}

#[test]
#[should_panic(expected = "operator is 3x4, so x needs 4 values and y 3; got x of 5 and y of 3")]
fn spmv_shape_mismatch_panics_naming_both_shapes() {
    let a = CsrMatrix::<f64>::zeros(3, 4).unwrap();
    a.spmv(&[0.0; 5], &mut [0.0; 3]);
}

#[test]
#[should_panic(expected = "operator is 4x3")]
fn spmv_t_shape_mismatch_panics() {
    let a = CsrMatrix::<f64>::zeros(3, 4).unwrap();
    a.spmv_t(&[0.0; 3], &mut [0.0; 3]);
}

#[test]
#[should_panic(expected = "A is 3x4, B is 5x2")]
fn spmm_shape_mismatch_panics() {
    let a = CsrMatrix::<f64>::zeros(3, 4).unwrap();
    let _ = a.spmm(Mat::<f64>::zeros(5, 2).as_ref());
}

#[test]
fn auto_matrix_picks_storage_by_density_and_matches() {
    let sparse = sparse_dense(60, 40, CSR_DENSITY_CROSSOVER / 4.0, 4);
    let dense = sparse_dense(60, 40, 0.95, 5);
    let x = seeded_rng::uniform_vec(40, 6, 0.0, 1.0);
    for (d, want_sparse) in [(&sparse, true), (&dense, false)] {
        let a = AutoMatrix::from_dense(d.as_ref(), 0.0).unwrap();
        assert_eq!(matches!(a, AutoMatrix::Sparse(_)), want_sparse);
        assert_eq!((a.nrows(), a.ncols()), (60, 40));
        let mut y = vec![f64::NAN; 60];
        matvec_auto(&a, &x, &mut y);
        assert_vec_close(&y, &dense_mv(d, &x), "matvec_auto");
        let b = AutoMatrix::from_csr(CsrMatrix::from_dense(d.as_ref(), 0.0).unwrap());
        assert_eq!(matches!(b, AutoMatrix::Sparse(_)), want_sparse);
    }
}

#[test]
fn gemv_dense_matches_on_every_layout() {
    // More rows than one L1 block, and 19 columns: two fused groups of 8 plus 3 single ones.
    let d = sparse_dense(5000, 19, 1.0, 7);
    let x: Vec<f64> = (0..19).map(|i| i as f64 - 3.0).collect();
    let want = dense_mv(&d, &x);
    let mut y = vec![f64::NAN; 5000];
    gemv_dense(d.as_ref(), &x, &mut y);
    assert_vec_close(&y, &want, "col-major");
    let dt = d.transpose();
    gemv_dense(dt.as_ref().t(), &x, &mut y);
    assert_vec_close(&y, &want, "row-major");
    let big = Mat::from_fn(10_000, 38, |i, j| {
        if i % 2 == 0 && j % 2 == 0 {
            d[(i / 2, j / 2)]
        } else {
            f64::NAN
        }
    });
    let strided = MatRef::from_slice(big.as_slice(), 5000, 19, 2, 2 * 10_000);
    gemv_dense(strided, &x, &mut y);
    assert_vec_close(&y, &want, "strided");
}
