//! `C = A B` for a transposed column-major `A = X^T` and a narrow `B`, computed as its
//! transpose `C^T = B^T X` with `X` read in place.
//!
//! Packed, `X^T` is copied `MR` rows in lockstep: `MR` columns of `X` gathered into each
//! micro-panel, a transposing copy of the whole of `X` per product that a narrow `B` (the
//! randomized SVD's `A^T Y`, 60 columns) cannot repay. Flipped, `X` is the right operand,
//! whose micro-panels are `NR` of its columns: the micro-kernel reads them where they lie,
//! each column a sequential stream ([`super::loops::Rhs::Columns`]), and only the narrow
//! `B^T` is packed. The tiles sum the same products in the same order as the packed path
//! would with the same `KC`; the in-place path's deeper slices
//! ([`super::blocking::kc_for_b_in_place`]) round differently, a fixed rule of the shape.

use super::blocking::{blocking_for, kc_for_b_in_place};
use super::loops::{gemm_core, Rhs};
use super::tile::Dest;
use super::Operand;
use crate::{MatMut, MatRef, Par, Scalar};
use simd_kernels::cache::CacheSizes;
use simd_kernels::gemm::MicroKernel;

/// Most columns of `B` for which the flipped product is taken: as many as 20 micro-panels
/// of `B` (the bound of `gemm`'s reading a column-major `A` in place,
/// `loops::A_IN_PLACE_MAX_PANELS`, for the mirrored shape).
const MAX_PANELS: usize = 20;

/// Whether `C = A B` (`m x n`, inner dimension `k`, `B` the matrix `b`) runs flipped: `A` is
/// the transpose of a column-major matrix (unit column stride), `B` has at most
/// [`MAX_PANELS`] micro-panels of columns, `A` takes at least four times L2, so that it
/// streams from beyond L2 whichever way it is read, and both the inner dimension and the
/// depth at which L2 holds the packed `B^T` ([`kc_for_b_in_place`]) reach [`MIN_KC`]. The
/// scratch copy of `C^T` is then at most `20 NR / MIN_KC` (a fifth on AVX-512) of `A`'s
/// size.
///
/// Measured on an Intel Xeon (2 MiB L2, one thread, `A` of `k x 2000` transposed by
/// `k x 60`), time of the packed product over the flipped one: through `gemm`, `k` = 10000
/// (160 MB) 1.03-1.19x (median 1.10x) on AVX-512 and 1.13-1.40x (1.16x) on AVX2, paired
/// rounds; through a probe's driver at `KC` 1024, 3000 (48 MB) 1.04x and 1.19x, 1000
/// (16 MB) 1.18x and 0.95x, 200 (3.2 MB, below the bound) 0.93x and 0.86x.
pub(super) fn applies<T: Scalar>(
    kern: &MicroKernel<T>,
    a: &MatRef<'_, T>,
    (m, n, k): (usize, usize, usize),
) -> bool {
    let transposed = a.col_stride() == 1 && a.row_stride() != 1 && m > 1 && k >= MIN_KC;
    if !transposed || n.div_ceil(kern.nr()) > MAX_PANELS {
        return false;
    }
    let caches = CacheSizes::detect();
    m.saturating_mul(k).saturating_mul(T::BYTES) >= 4 * caches.l2 && {
        let kc = blocking_for(T::BYTES, kern.mr(), kern.nr()).kc;
        kc_for_b_in_place(caches, T::BYTES, n.next_multiple_of(kern.mr()), kc) >= MIN_KC
    }
}

/// Shallowest `KC` of the in-place path for which [`applies`] takes it, and smallest inner
/// dimension: each slice is one more pass over `C^T` and one more start of the `NR` column
/// streams of every panel (a shallower product is one short slice), and
/// on the Xeon `A^T Y` above ran in 75-84 ms flipped at `KC` 512 and 89-91 ms at 256, against
/// 61-67 ms at 904 and about 71 ms packed. A machine whose L2 cannot hold `B^T` that deep
/// (a Zen 3's 512 KiB gives 256 for 60 columns) keeps the packed product.
const MIN_KC: usize = 768;

/// `C <- alpha * A * B + beta * C` as `C^T <- alpha * B^T A^T + beta * C^T`, with `A^T`
/// read in place, into a column-major scratch copy of `C^T` (the micro-kernel's fast store
/// wants unit row stride) that is transposed back into `C` at the end. Shapes already
/// checked, `m, n, k >= 1`, `alpha != 0`.
pub(super) fn gemm_flipped<T: Scalar>(
    kern: MicroKernel<T>,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: &mut MatMut<'_, T>,
    par: Par,
) {
    let (m, n, k) = (c.nrows(), c.ncols(), a.ncols());
    T::with_pack(n * m, |scratch| {
        let mut ct = MatMut::from_col_major(scratch, n, m);
        if beta != T::ZERO {
            ct.copy_from(c.as_ref().t());
        }
        let dest = Dest::new(&mut ct, alpha, beta);
        gemm_core(
            kern,
            Operand::one(b.t()),
            Rhs::Columns(a.t()),
            &[dest],
            n,
            m,
            k,
            par,
        );
        c.copy_from(ct.as_ref().t());
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{gemm_with, Mat};
    use simd_kernels::gemm::KernelShape;
    use simd_kernels::Isa;

    fn filled(m: usize, n: usize, seed: u64) -> Mat<f64> {
        let mut r = seeded_rng::Rng::new(seed);
        Mat::from_fn(m, n, |_, _| r.normal())
    }

    /// `alpha * X^T B + beta * C0` by the textbook loop, and `|X|^T |B|` for the bound.
    fn reference(
        alpha: f64,
        x: &Mat<f64>,
        b: &Mat<f64>,
        beta: f64,
        c0: &Mat<f64>,
    ) -> (Mat<f64>, Mat<f64>) {
        let (k, m, n) = (x.nrows(), x.ncols(), b.ncols());
        let (x, b, c0) = (x.as_ref(), b.as_ref(), c0.as_ref());
        let mut want = Mat::zeros(m, n);
        let mut size = Mat::zeros(m, n);
        for i in 0..m {
            for j in 0..n {
                let (mut s, mut a) = (0.0, 0.0);
                for p in 0..k {
                    s += x.get(p, i) * b.get(p, j);
                    a += (x.get(p, i) * b.get(p, j)).abs();
                }
                want.as_mut().set(i, j, alpha * s + beta * c0.get(i, j));
                size.as_mut()
                    .set(i, j, alpha.abs() * a + (beta * c0.get(i, j)).abs());
            }
        }
        (want, size)
    }

    fn assert_close(got: &Mat<f64>, want: &Mat<f64>, size: &Mat<f64>, k: usize, what: &str) {
        let (got, want, size) = (got.as_ref(), want.as_ref(), size.as_ref());
        for j in 0..got.ncols() {
            for i in 0..got.nrows() {
                let tol = 2.0 * (k as f64 + 2.0) * f64::EPSILON * size.get(i, j);
                let d = (got.get(i, j) - want.get(i, j)).abs();
                assert!(d <= tol, "{what}: ({i}, {j}) off by {d:e}, bound {tol:e}");
            }
        }
    }

    /// On every ISA, around the tiles and the slices, with scalars and threads: within the
    /// error bound of the textbook sum, and, for one slice of the packed path's depth, the
    /// packed product's bits.
    #[test]
    fn flipped_products_match_the_packed_path_and_the_reference() {
        crate::set_min_parallel_macs(Some(0));
        for isa in Isa::available() {
            let kern = MicroKernel::<f64>::new(isa, KernelShape::Wide);
            let kc = blocking_for(8, kern.mr(), kern.nr()).kc;
            let (mr, nr) = (kern.mr(), kern.nr());
            let deep = kc_for_b_in_place(CacheSizes::detect(), 8, 8, kc);
            for &(m, k, n) in &[
                (2, 2, 2),
                (nr, 5, 1),
                (3 * nr + 1, kc - 3, mr + 1),
                (5 * nr - 1, 40, 60),
                (17, deep + 5, 2 * mr - 1),
                (41, 2 * deep + 3, 12),
            ] {
                let x = filled(k, m, (m * k + n) as u64);
                let b = filled(k, n, 3);
                for par in [Par::Seq, Par::Rayon(2)] {
                    for (alpha, beta) in [(1.0, 0.0), (-0.5, 1.5)] {
                        let c0 = filled(m, n, 9);
                        let mut got = c0.clone();
                        gemm_flipped(
                            kern,
                            alpha,
                            x.as_ref().t(),
                            b.as_ref(),
                            beta,
                            &mut got.as_mut(),
                            par,
                        );
                        let what = format!("{isa:?} {m}x{k}x{n} {par:?} alpha {alpha}");
                        let (want, size) = reference(alpha, &x, &b, beta, &c0);
                        assert_close(&got, &want, &size, k, &what);
                        // One column goes to `gemv` in `gemm`, another algorithm.
                        if k <= kc && n > 1 {
                            let mut packed = c0.clone();
                            gemm_with(
                                isa,
                                alpha,
                                x.as_ref().t(),
                                b.as_ref(),
                                beta,
                                packed.as_mut(),
                                par,
                            );
                            assert_eq!(got, packed, "{what}");
                        }
                    }
                }
            }
        }
        crate::set_min_parallel_macs(None);
    }

    /// `f32` on every ISA: the packed path's bits for one slice, several slices within the
    /// bound.
    #[test]
    fn flipped_f32_products_match_the_packed_path() {
        for isa in Isa::available() {
            let kern = MicroKernel::<f32>::new(isa, KernelShape::Wide);
            let kc = blocking_for(4, kern.mr(), kern.nr()).kc;
            for (m, k, n) in [
                (3 * kern.nr() + 2, kc - 1, kern.mr() + 3),
                (9, 3 * kc + 1, 5),
            ] {
                let mut r = seeded_rng::Rng::new(m as u64);
                let x = Mat::<f32>::from_fn(k, m, |_, _| r.normal() as f32);
                let b = Mat::<f32>::from_fn(k, n, |_, _| r.normal() as f32);
                let c0 = Mat::<f32>::from_fn(m, n, |_, _| r.normal() as f32);
                let (mut got, mut packed) = (c0.clone(), c0.clone());
                let a = x.as_ref().t();
                gemm_flipped(kern, 0.5, a, b.as_ref(), 2.0, &mut got.as_mut(), Par::Seq);
                gemm_with(isa, 0.5, a, b.as_ref(), 2.0, packed.as_mut(), Par::Seq);
                if k <= kc {
                    assert_eq!(got, packed, "{isa:?} {m}x{k}x{n}");
                }
                let (got, packed) = (got.as_ref(), packed.as_ref());
                let (xr, br, cr) = (x.as_ref(), b.as_ref(), c0.as_ref());
                for j in 0..n {
                    for i in 0..m {
                        // Both within (k + 2) eps (|alpha| |A| |B| + |beta C0|) of the exact
                        // value, so within twice that of each other.
                        let size: f32 = (0..k).map(|p| (xr.get(p, i) * br.get(p, j)).abs()).sum();
                        let size = 0.5 * size + 2.0 * cr.get(i, j).abs();
                        let tol = 2.0 * (k as f32 + 2.0) * f32::EPSILON * size;
                        let (g, p) = (got.get(i, j), packed.get(i, j));
                        assert!(
                            (g - p).abs() <= tol,
                            "{isa:?} {m}x{k}x{n} ({i}, {j}): {g} {p}"
                        );
                    }
                }
            }
        }
    }

    /// `gemm` takes the flipped path for a transposed operand of four L2s by a narrow one
    /// where L2 holds the narrow one deep enough, and not for a small or wide one; either
    /// way the product is right.
    #[test]
    fn gemm_flips_a_large_transposed_operand_by_a_narrow_one() {
        let kern = MicroKernel::<f64>::new(Isa::detect(), KernelShape::Wide);
        let caches = CacheSizes::detect();
        let m = 50;
        let k = 4 * caches.l2 / (8 * m) + 1;
        let x = filled(k, m, 5);
        let a = x.as_ref().t();
        let b = filled(k, 12, 7);
        let wide = filled(k, 21 * kern.nr(), 7);
        // Whether this machine's L2 holds B^T deep enough.
        let kc = blocking_for(8, kern.mr(), kern.nr()).kc;
        let deep = kc_for_b_in_place(caches, 8, 12usize.next_multiple_of(kern.mr()), kc) >= MIN_KC;
        assert_eq!(applies(&kern, &a, (m, 12, k)), deep);
        assert!(!applies(&kern, &a, (m, wide.ncols(), k)));
        assert!(!applies(&kern, &x.as_ref(), (k, 12, m)));
        // As large, but shallower than MIN_KC: one short slice, kept packed.
        let wide_m = 4 * caches.l2 / (8 * (MIN_KC - 1)) + 1;
        let shallow = filled(MIN_KC - 1, wide_m, 6);
        let dims = (wide_m, 12, MIN_KC - 1);
        assert!(!applies(&kern, &shallow.as_ref().t(), dims));
        let small = filled(100, m, 6);
        assert!(!applies(&kern, &small.as_ref().t(), (m, 12, 100)));

        let c0 = filled(m, 12, 8);
        let mut got = c0.clone();
        crate::gemm(2.0, a, b.as_ref(), -1.0, got.as_mut(), Par::Seq);
        let (want, size) = reference(2.0, &x, &b, -1.0, &c0);
        assert_close(&got, &want, &size, k, "gemm, flipped");
    }
}
