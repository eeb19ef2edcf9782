//! Packed GEMM (and `A` read in place) against a compensated f64 reference: every ISA, f64
//! and f32, sequential and two threads, all operand layouts, alpha/beta in {0, 1, 2.3},
//! NaN-filled C for beta = 0.

mod common;

use common::{rand_mat, reference, Layout, Stored, LAYOUTS};
use fast_math::{
    gemm, gemm_with, gram_add_lower_with, gram_with, matmul_with, Mat, MatMut, MatRef, Par, Scalar,
};
use simd_kernels::Isa;

const SHAPES: &[(usize, usize, usize)] = &[
    (0, 0, 0),
    (0, 3, 4),
    (3, 0, 4),
    (3, 4, 0),
    (1, 1, 1),
    (7, 5, 3),
    (63, 2, 10),
    (65, 130, 257),
    (1000, 1, 1000),
    (1, 1000, 1),
    (1, 700, 900),   // one row by many: the transposed GEMV
    (777, 1, 3),     // one column, a short inner dimension
    (523, 70, 801),  // several MC blocks and KC slices
    (2000, 9, 33),   // tall
    (9, 2000, 33),   // wide
    (30, 4200, 20),  // more than one NC block; two threads split the columns
    (203, 120, 300), // few panels of B: A read in place (its partial last panel packed)
    (203, 126, 300), // 21 panels of 6 (AVX2): A packed
    (1024, 40, 300), // few panels, but columns 4 or 8 KiB apart fold onto few L1 sets: packed
];

const SCALARS: [f64; 3] = [0.0, 1.0, 2.3];

fn check_case<T: Scalar>(isa: Isa, par: Par, m: usize, n: usize, k: usize, seed: u64) {
    let a = rand_mat::<T>(m, k, seed);
    let b = rand_mat::<T>(k, n, seed + 1);
    let c0 = rand_mat::<T>(m, n, seed + 2);
    let (p, mag) = reference(a.as_ref(), b.as_ref());
    let small = m * n * k <= 20_000;
    // Every (layout A, layout B, layout C, alpha, beta) for small shapes; for large ones a
    // rotation that still gives every layout of every operand and every (alpha, beta).
    let combos: Vec<usize> = if small {
        (0..4 * 4 * 4 * 9).collect()
    } else {
        (0..9).map(|i| i * 73 + i / 3).collect()
    };
    let eps = T::EPSILON.to_f64();
    for combo in combos {
        let (la, lb, lc) = (
            LAYOUTS[combo % 4],
            LAYOUTS[(combo / 4) % 4],
            LAYOUTS[(combo / 16) % 4],
        );
        let ab = (combo / 64) % 9;
        let (alpha, beta) = (SCALARS[ab % 3], SCALARS[ab / 3]);
        let (ta, tb) = (T::from_f64(alpha), T::from_f64(beta));
        let sa = Stored::new(&a, la);
        let sb = Stored::new(&b, lb);
        // beta = 0 must overwrite C without reading it: fill it with NaN.
        let cinit = if beta == 0.0 {
            Mat::filled(m, n, T::NAN)
        } else {
            c0.clone()
        };
        let mut sc = Stored::new(&cinit, lc);
        gemm_with(isa, ta, sa.view(), sb.view(), tb, sc.view_mut(), par);
        let got = sc.view();
        for j in 0..n {
            for i in 0..m {
                let old = if beta == 0.0 {
                    0.0
                } else {
                    tb.to_f64() * c0[(i, j)].to_f64()
                };
                let want = ta.to_f64() * p[(i, j)] + old;
                let bound =
                    2.0 * (k as f64 + 2.0) * eps * (ta.to_f64().abs() * mag[(i, j)] + old.abs())
                        + f64::MIN_POSITIVE;
                let g = got.get(i, j).to_f64();
                assert!(
                    (g - want).abs() <= bound,
                    "{isa} {} {par:?} m={m} n={n} k={k} A {la:?} B {lb:?} C {lc:?} alpha={alpha} \
                     beta={beta}: C({i},{j}) = {g}, want {want} (bound {bound})",
                    T::NAME
                );
            }
        }
        assert!(
            sc.padding_intact(),
            "{isa} {par:?} m={m} n={n} k={k} C {lc:?}: wrote outside the view"
        );
    }
}

fn run_all<T: Scalar>() {
    // Small inputs must take the threaded paths too, whatever this machine measures.
    fast_math::set_min_parallel_macs(Some(0));
    for isa in Isa::available() {
        for par in [Par::Seq, Par::Rayon(2)] {
            for (s, &(m, n, k)) in SHAPES.iter().enumerate() {
                check_case::<T>(isa, par, m, n, k, 10 * s as u64);
            }
        }
    }
}

#[test]
fn gemm_f64_matches_reference_on_every_isa_layout_and_scalar() {
    run_all::<f64>();
}

#[test]
fn gemm_f32_matches_reference_on_every_isa_layout_and_scalar() {
    run_all::<f32>();
}

#[test]
fn gemm_results_are_reproducible_and_thread_count_independent() {
    // Small inputs must take the threaded paths too, whatever this machine measures.
    fast_math::set_min_parallel_macs(Some(0));
    let a = rand_mat::<f64>(300, 500, 1);
    let b = rand_mat::<f64>(500, 200, 2);
    for isa in Isa::available() {
        let mut c1 = Mat::zeros(300, 200);
        let mut c2 = Mat::zeros(300, 200);
        let mut c3 = Mat::zeros(300, 200);
        gemm_with(isa, 1.0, a.as_ref(), b.as_ref(), 0.0, c1.as_mut(), Par::Seq);
        gemm_with(isa, 1.0, a.as_ref(), b.as_ref(), 0.0, c2.as_mut(), Par::Seq);
        gemm_with(
            isa,
            1.0,
            a.as_ref(),
            b.as_ref(),
            0.0,
            c3.as_mut(),
            Par::Rayon(2),
        );
        assert_eq!(c1, c2, "{isa}: two sequential runs differ");
        assert_eq!(c1, c3, "{isa}: Rayon(2) differs from Seq");
    }
}

#[test]
fn gemm_alpha_zero_does_not_read_a_or_b() {
    // Small inputs must take the threaded paths too, whatever this machine measures.
    fast_math::set_min_parallel_macs(Some(0));
    let a = Mat::filled(4, 3, f64::NAN);
    let b = Mat::filled(3, 5, f64::INFINITY);
    let mut c = Mat::filled(4, 5, 2.0);
    gemm(0.0, a.as_ref(), b.as_ref(), 0.5, c.as_mut(), Par::Seq);
    assert!(c.as_slice().iter().all(|&x| x == 1.0));
    gemm(0.0, a.as_ref(), b.as_ref(), 0.0, c.as_mut(), Par::Rayon(2));
    assert!(c.as_slice().iter().all(|&x| x == 0.0));
}

#[test]
#[should_panic(expected = "A is 2x3, B is 4x5, C is 2x5")]
fn gemm_panics_on_shape_mismatch_naming_the_shapes() {
    let a = Mat::<f64>::zeros(2, 3);
    let b = Mat::<f64>::zeros(4, 5);
    let mut c = Mat::<f64>::zeros(2, 5);
    gemm(1.0, a.as_ref(), b.as_ref(), 0.0, c.as_mut(), Par::Seq);
}

#[test]
fn matmul_matches_reference() {
    for isa in Isa::available() {
        let a = rand_mat::<f64>(37, 91, 5);
        let b = rand_mat::<f64>(91, 45, 6);
        let c = matmul_with(isa, a.as_ref(), b.as_ref(), Par::Seq);
        let (p, mag) = reference(a.as_ref(), b.as_ref());
        for j in 0..45 {
            for i in 0..37 {
                assert!((c[(i, j)] - p[(i, j)]).abs() <= 2.0 * 93.0 * f64::EPSILON * mag[(i, j)]);
            }
        }
    }
}

#[test]
fn gram_matches_reference_and_is_exactly_symmetric() {
    // Small inputs must take the threaded paths too, whatever this machine measures.
    fast_math::set_min_parallel_macs(Some(0));
    for isa in Isa::available() {
        for &(n, k) in &[
            (0usize, 3usize),
            (5, 0),
            (1, 1),
            (50, 7),
            (3000, 64),
            (777, 33),
            // Enough rows for two threads, each over several KC slices.
            (5000, 20),
            // Columns 256 KiB apart fold onto few L2 sets: blocks copied before the kernel.
            (32768, 40),
            // Around the widest X the dot kernel takes (64 to 128 columns, by L2): each side.
            (2000, 100),
            (1500, 129),
        ] {
            for par in [Par::Seq, Par::Rayon(2)] {
                for layout in [Layout::ColMajor, Layout::RowMajorViaT, Layout::Strided] {
                    let x = rand_mat::<f64>(n, k, (n * 31 + k) as u64);
                    let sx = Stored::new(&x, layout);
                    let g = gram_with(isa, sx.view(), par);
                    assert_eq!((g.nrows(), g.ncols()), (k, k));
                    let (p, mag) = reference(x.as_ref().t(), x.as_ref());
                    for j in 0..k {
                        for i in 0..k {
                            let bound = 2.0 * (n as f64 + 2.0) * f64::EPSILON * mag[(i, j)];
                            assert!(
                                (g[(i, j)] - p[(i, j)]).abs() <= bound,
                                "{isa} {par:?} {layout:?} n={n} k={k} ({i},{j}): {} vs {}",
                                g[(i, j)],
                                p[(i, j)]
                            );
                            assert_eq!(g[(i, j)].to_bits(), g[(j, i)].to_bits());
                        }
                    }
                }
            }
        }
        let x = rand_mat::<f32>(500, 20, 3);
        let g = gram_with(isa, x.as_ref(), Par::Seq);
        let (p, mag) = reference(x.as_ref().t(), x.as_ref());
        for j in 0..20 {
            for i in 0..20 {
                let bound = 2.0 * 502.0 * f64::from(f32::EPSILON) * mag[(i, j)];
                assert!((f64::from(g[(i, j)]) - p[(i, j)]).abs() <= bound);
            }
        }
    }
}

#[test]
fn gram_add_lower_adds_the_lower_triangle_and_leaves_the_upper() {
    // Both paths: narrow column-major X (dot kernel), wide or row-major X (packed GEMM).
    for isa in Isa::available() {
        for &(n, k) in &[
            (0usize, 3usize),
            (5, 0),
            (1, 1),
            (777, 33),
            (3000, 64),
            (600, 70),
        ] {
            for layout in [Layout::ColMajor, Layout::RowMajorViaT, Layout::Strided] {
                let x = rand_mat::<f64>(n, k, (n * 7 + k) as u64);
                let sx = Stored::new(&x, layout);
                let start = rand_mat::<f64>(k, k, 99);
                let mut g = start.clone();
                gram_add_lower_with(isa, sx.view(), &mut g);
                let (p, mag) = reference(x.as_ref().t(), x.as_ref());
                for j in 0..k {
                    for i in 0..k {
                        if i < j {
                            assert_eq!(
                                g[(i, j)].to_bits(),
                                start[(i, j)].to_bits(),
                                "upper ({i},{j})"
                            );
                            continue;
                        }
                        let want = start[(i, j)] + p[(i, j)];
                        let bound = 2.0
                            * (n as f64 + 3.0)
                            * f64::EPSILON
                            * (mag[(i, j)] + start[(i, j)].abs());
                        assert!(
                            (g[(i, j)] - want).abs() <= bound,
                            "{isa} {layout:?} n={n} k={k} ({i},{j}): {} vs {want}",
                            g[(i, j)]
                        );
                    }
                }
            }
        }
    }
}

#[test]
#[should_panic(expected = "gram_add_lower: output 3x3, X has 2 columns")]
fn gram_add_lower_refuses_an_output_of_another_size() {
    let x = Mat::<f64>::zeros(4, 2);
    gram_add_lower_with(Isa::Scalar, x.as_ref(), &mut Mat::zeros(3, 3));
}

#[test]
fn mat_constructors_and_views_agree() {
    let rm = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let a = Mat::from_row_major(2, 3, &rm);
    let b = Mat::from_col_major(2, 3, &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    let c = Mat::from_fn(2, 3, |i, j| (3 * i + j + 1) as f64);
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(a.as_ref().t().to_owned(), a.transpose());
    assert_eq!(a.as_ref().t()[(2, 1)], 6.0);
    let v = MatRef::from_row_major(&rm, 2, 3);
    assert_eq!(v.to_owned(), a);
    let s = a.as_ref().submatrix(1, 1, 1, 2);
    assert_eq!((s.nrows(), s.ncols(), s[(0, 1)]), (1, 2, 6.0));
    assert_eq!(a.as_ref().col(2).to_owned().as_slice(), &[3.0, 6.0]);
    assert_eq!(a.as_ref().row(1).to_owned().as_slice(), &[4.0, 5.0, 6.0]);
    let id = Mat::<f32>::identity(3);
    assert_eq!(
        id.as_slice(),
        &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    );
    assert_eq!(a.as_slice().as_ptr() as usize % 64, 0);

    let mut m = Mat::<f64>::zeros(4, 4);
    {
        let (top, bottom) = m.as_mut().split_at_row(1);
        let (mut tl, _) = top.split_at_col(2);
        tl[(0, 1)] = 5.0;
        let mut bt = bottom.t();
        bt.set(3, 2, 9.0); // element (3, 3) of m
    }
    assert_eq!(m[(0, 1)], 5.0);
    assert_eq!(m[(3, 3)], 9.0);
}

#[test]
#[should_panic(expected = "alias")]
fn mat_mut_rejects_aliasing_strides() {
    let mut buf = vec![0.0f64; 16];
    let _ = MatMut::from_slice(&mut buf, 3, 3, 1, 2);
}

#[test]
#[should_panic(expected = "out of bounds")]
fn mat_index_out_of_bounds_panics() {
    let m = Mat::<f64>::zeros(2, 2);
    let _ = m[(2, 0)];
}

#[test]
fn nalgebra_views_round_trip_without_copies() {
    let mut d = nalgebra::DMatrix::<f64>::from_fn(4, 3, |i, j| (i * 10 + j) as f64);
    let r: MatRef<'_, f64> = (&d).into();
    assert_eq!(r.as_ptr(), d.as_ptr());
    assert_eq!(r[(3, 2)], 32.0);
    let back = r.t().as_nalgebra();
    assert_eq!(back.shape(), (3, 4));
    assert_eq!(back[(2, 3)], 32.0);
    let view = d.view((1, 1), (3, 2));
    let rv: MatRef<'_, f64> = view.into();
    assert_eq!(rv[(2, 1)], 32.0);
    assert_eq!(rv.as_ptr(), &d[(1, 1)] as *const f64);
    {
        let mut mm: MatMut<'_, f64> = (&mut d).into();
        mm[(0, 0)] = -1.0;
    }
    assert_eq!(d[(0, 0)], -1.0);
    let owned = Mat::from(&d);
    let again: nalgebra::DMatrix<f64> = (&owned).into();
    assert_eq!(again, d);

    // A product through views of nalgebra storage equals nalgebra's own product.
    let a = nalgebra::DMatrix::<f64>::from_fn(20, 30, |i, j| ((i * 7 + j * 3) % 11) as f64);
    let b = nalgebra::DMatrix::<f64>::from_fn(30, 10, |i, j| ((i + 2 * j) % 5) as f64);
    let mut c = nalgebra::DMatrix::<f64>::zeros(20, 10);
    gemm(
        1.0,
        (&a).into(),
        (&b).into(),
        0.0,
        (&mut c).into(),
        Par::Seq,
    );
    assert_eq!(c, &a * &b);
}
