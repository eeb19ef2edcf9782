//! Strassen–Winograd against classical GEMM and a compensated high-precision reference.

mod common;

use common::{dot_exactish, rand_mat, Layout, Stored};
use fast_math::strassen::{self, StrassenConfig, ERROR_GROWTH_PER_LEVEL};
use fast_math::{gemm_with, Mat, MatRef, Par, Scalar};
use simd_kernels::Isa;

/// Max-norm error of `c` against the compensated product `a * b` (f64 reference).
fn max_err<T: Scalar>(a: MatRef<'_, T>, b: MatRef<'_, T>, c: &Mat<T>) -> f64 {
    let (m, n, k) = (a.nrows(), b.ncols(), a.ncols());
    let mut worst = 0.0f64;
    for j in 0..n {
        let bc: Vec<f64> = (0..k).map(|p| b.get(p, j).to_f64()).collect();
        for i in 0..m {
            let ar: Vec<f64> = (0..k).map(|p| a.get(i, p).to_f64()).collect();
            let (exact, _) = dot_exactish(&ar, &bc);
            worst = worst.max((c[(i, j)].to_f64() - exact).abs());
        }
    }
    worst
}

/// Levels Strassen applies for this shape and configuration.
fn levels(mut m: usize, mut n: usize, mut k: usize, cfg: StrassenConfig) -> u32 {
    let mut d = 0;
    while d < cfg.max_depth && m.min(n).min(k) >= cfg.cutoff.max(2) {
        m /= 2;
        n /= 2;
        k /= 2;
        d += 1;
    }
    d as u32
}

fn check<T: Scalar>(
    isa: Isa,
    m: usize,
    n: usize,
    k: usize,
    cfg: StrassenConfig,
    par: Par,
    seed: u64,
) {
    let a = rand_mat::<T>(m, k, seed);
    let b = rand_mat::<T>(k, n, seed + 1);
    let mut cs = Mat::filled(m, n, T::NAN);
    strassen::gemm_with(
        isa,
        T::ONE,
        a.as_ref(),
        b.as_ref(),
        T::ZERO,
        cs.as_mut(),
        par,
        cfg,
    );
    let mut cc = Mat::zeros(m, n);
    gemm_with(
        isa,
        T::ONE,
        a.as_ref(),
        b.as_ref(),
        T::ZERO,
        cc.as_mut(),
        par,
    );
    let es = max_err(a.as_ref(), b.as_ref(), &cs);
    let ec = max_err(a.as_ref(), b.as_ref(), &cc);
    let d = levels(m, n, k, cfg);
    let eps = T::EPSILON.to_f64();
    let amax = a.as_ref().max_abs().to_f64();
    let bmax = b.as_ref().max_abs().to_f64();
    // The documented bound (module docs of fast_math::strassen).
    let bound = ERROR_GROWTH_PER_LEVEL.powi(d as i32) * (k as f64) * eps * amax * bmax;
    assert!(
        es <= bound,
        "{isa} {} {m}x{n}x{k} depth {d}: error {es:e} exceeds bound {bound:e}",
        T::NAME
    );
    // Against classical GEMM's own error on the same data (floored at one ulp of the
    // largest |C| element, since classical GEMM is often almost exact).
    let floor = eps * (k as f64).sqrt() * amax * bmax;
    let ratio = es / ec.max(floor).max(f64::MIN_POSITIVE);
    // Measured here: about 1.3-2.8x at one level and 5-10x at three levels.
    let allowed = 2.0 * ERROR_GROWTH_PER_LEVEL.powi(d as i32);
    assert!(
        ratio <= allowed,
        "{isa} {} {m}x{n}x{k} depth {d}: Strassen error {es:e} is {ratio:.1}x classical {ec:e} (allowed {allowed})",
        T::NAME
    );
    if d == 0 {
        assert_eq!(
            cs, cc,
            "without a Strassen level the result is the classical one"
        );
    }
}

#[test]
fn strassen_error_stays_within_its_bound_and_ratio_to_classical() {
    // Small inputs must take the threaded paths too, whatever this machine measures.
    fast_math::set_min_parallel_macs(Some(0));
    let cfg1 = StrassenConfig {
        cutoff: 16,
        max_depth: 1,
    };
    let cfg3 = StrassenConfig {
        cutoff: 16,
        max_depth: 3,
    };
    for isa in Isa::available() {
        for &(m, n, k) in &[
            (0, 0, 0),
            (1, 1, 1),
            (7, 5, 3),
            (63, 2, 10),
            (65, 130, 257),
            (1000, 1, 1000),
            (1, 1000, 1),
        ] {
            check::<f64>(isa, m, n, k, cfg1, Par::Seq, 3);
        }
        for &(m, n, k) in &[
            (64, 64, 64),
            (97, 101, 103),
            (130, 66, 98),
            (257, 255, 129),
            (200, 200, 200),
        ] {
            check::<f64>(isa, m, n, k, cfg1, Par::Seq, 5);
            check::<f64>(isa, m, n, k, cfg3, Par::Rayon(2), 7);
            check::<f32>(isa, m, n, k, cfg3, Par::Seq, 9);
        }
    }
    check::<f64>(Isa::detect(), 515, 515, 515, cfg3, Par::Rayon(2), 11);
    check::<f32>(Isa::detect(), 515, 515, 515, cfg3, Par::Seq, 13);
}

#[test]
fn strassen_handles_alpha_beta_layouts_and_nan_c() {
    let cfg = StrassenConfig {
        cutoff: 8,
        max_depth: 2,
    };
    let (m, n, k) = (37, 41, 43);
    let a = rand_mat::<f64>(m, k, 1);
    let b = rand_mat::<f64>(k, n, 2);
    let c0 = rand_mat::<f64>(m, n, 3);
    for (alpha, beta) in [(1.0, 0.0), (2.3, 0.0), (1.0, 1.0), (2.3, 2.3), (0.0, 2.3)] {
        for layout in [Layout::ColMajor, Layout::RowMajorViaT, Layout::Strided] {
            let sa = Stored::new(&a, layout);
            let sb = Stored::new(&b, layout);
            let init = if beta == 0.0 {
                Mat::filled(m, n, f64::NAN)
            } else {
                c0.clone()
            };
            let mut sc = Stored::new(&init, layout);
            strassen::gemm(
                alpha,
                sa.view(),
                sb.view(),
                beta,
                sc.view_mut(),
                Par::Seq,
                cfg,
            );
            let mut want = c0.clone();
            gemm_with(
                Isa::detect(),
                alpha,
                a.as_ref(),
                b.as_ref(),
                beta,
                want.as_mut(),
                Par::Seq,
            );
            for j in 0..n {
                for i in 0..m {
                    let got = sc.view().get(i, j);
                    assert!(
                        (got - want[(i, j)]).abs() <= 1e-12,
                        "alpha={alpha} beta={beta} {layout:?} ({i},{j}): {got} vs {}",
                        want[(i, j)]
                    );
                }
            }
            assert!(sc.padding_intact());
        }
    }
}

#[test]
#[should_panic(expected = "A is 3x4, B is 5x6")]
fn strassen_panics_on_shape_mismatch() {
    let a = Mat::<f64>::zeros(3, 4);
    let b = Mat::<f64>::zeros(5, 6);
    let mut c = Mat::<f64>::zeros(3, 6);
    strassen::gemm(
        1.0,
        a.as_ref(),
        b.as_ref(),
        0.0,
        c.as_mut(),
        Par::Seq,
        StrassenConfig::default(),
    );
}
