//! A left operand packed once for many products: [`PackedLhs`] and [`gemm_prepacked`].
//!
//! [`gemm`](crate::gemm()) packs `A` into micro-panels for every call. When the same `A`
//! meets many right-hand sides (the randomized SVD's power iterations, a served model's
//! weights) and `A` is transposed or row-major, that copy gathers `MR` rows in lockstep and
//! costs a pass over memory per product that the arithmetic cannot hide; a `PackedLhs`
//! does it once, in the order the driver reads it, so each product streams one contiguous
//! buffer.
//!
//! Measured on an Intel Xeon (AVX-512, one thread; the probe and `cargo bench -p benches
//! --bench math -- summary`, two noisy runs): `512 x 512` by `512 x 8`, row-major or
//! column-major `A`, 2.4-3.4x as fast as `gemm` (337-391 us against 113-138 us); `2000 x
//! 2000` by `2000 x 16` 1.2-1.5x; `1024^3` level (the packing is a sliver of the work
//! there). Not used by the randomized SVD: its `A^T` (160 MB) took 100-125 ms to pack
//! once, more than the 3-9 ms it saved in each of the products that reuse it (whose
//! packing `gemm` overlaps with the arithmetic by fetching ahead). Since `gemm` reads a
//! large transposed `A` by a narrow `B` in place (`flipped`), it beats the prepacked
//! product there: the same bench, `2000 x 2000` row-major by `2000 x 16`, `gemm` 3.1 ms
//! against 5.1 ms prepacked (the column-major `A` still 1.19x prepacked).

use super::blocking::blocking_for;
use super::check_dims;
use super::loops::{gemm_core, scale_in_place, Lhs, PackedView};
use super::pack::{pack_a_block_op, Operand};
use super::tile::Dest;
use crate::buffer::Storage;
use crate::par::run_in;
use crate::{MatMut, MatRef, Par, Scalar};
use rayon::prelude::*;
use simd_kernels::gemm::{KernelShape, MicroKernel};
use simd_kernels::Isa;

/// An `m x k` left operand packed for [`gemm_prepacked`]: the micro-panels that
/// [`gemm`](crate::gemm()) would pack from it, all of them, kept.
///
/// Layout: `KC`-deep slices of `A` one after the other (the driver's `KC` for this kernel
/// on this machine); within a slice, the `MR`-row micro-panels top to bottom, zero-padded
/// below the last row. Every block the driver asks for, a row range of one slice, is one
/// contiguous run, and a product reads the buffer in address order.
///
/// Memory: `ceil(m / MR) * MR * k` elements, a copy of `A`.
pub struct PackedLhs<T: Scalar> {
    data: Storage<T>,
    kern: MicroKernel<T>,
    m: usize,
    k: usize,
    kc: usize,
}

impl<T: Scalar> PackedLhs<T> {
    /// Packs `a` for the detected ISA.
    pub fn new(a: MatRef<'_, T>, par: Par) -> Self {
        Self::new_with(Isa::detect(), a, par)
    }

    /// Packs `a` for products on `isa`, with the register tile [`gemm_with`] would choose
    /// for `a` there, so that [`gemm_prepacked`] reproduces its bits (see there).
    ///
    /// # Panics
    /// If the CPU does not support `isa`, or the copy's length overflows `usize`.
    ///
    /// [`gemm_with`]: crate::gemm_with
    pub fn new_with(isa: Isa, a: MatRef<'_, T>, par: Par) -> Self {
        let kern = MicroKernel::<T>::new(isa, KernelShape::Wide);
        let (m, k) = (a.nrows(), a.ncols());
        let (mr, nr) = (kern.mr(), kern.nr());
        let kc = blocking_for(T::BYTES, mr, nr).kc;
        let mpad = m.div_ceil(mr) * mr;
        let len = mpad
            .checked_mul(k)
            .expect("packed operand length overflows usize");
        let mut data = Storage::zeroed(len);
        if len > 0 {
            let slice_len = mpad * kc;
            let pack = |(s, dst): (usize, &mut [T])| {
                let pc = s * kc;
                let kb = kc.min(k - pc);
                pack_a_block_op(Operand::one(a.submatrix(0, pc, m, kb)), 0, m, kb, mr, dst);
            };
            run_in(par, |nt| {
                let data = data.as_mut_slice();
                if nt > 1 {
                    data.par_chunks_mut(slice_len).enumerate().for_each(pack);
                } else {
                    data.chunks_mut(slice_len).enumerate().for_each(pack);
                }
            });
        }
        PackedLhs {
            data,
            kern,
            m,
            k,
            kc,
        }
    }

    /// Rows of `A`.
    pub fn nrows(&self) -> usize {
        self.m
    }

    /// Columns of `A` (the inner dimension of its products).
    pub fn ncols(&self) -> usize {
        self.k
    }

    /// The ISA whose register tiles the panels are laid out for.
    pub fn isa(&self) -> Isa {
        self.kern.isa()
    }

    /// The view the driver reads.
    fn view(&self) -> PackedView<'_, T> {
        PackedView {
            data: self.data.as_slice(),
            m: self.m,
            k: self.k,
            kc: self.kc,
            mr: self.kern.mr(),
        }
    }
}

/// `C <- alpha * A * B + beta * C` with `A` packed beforehand.
///
/// The result is the same, bit for bit, as [`gemm_with`] on the packed operand's ISA and
/// the original `A` whenever `C` has unit row stride and more than one column (the layouts
/// for which `gemm` neither transposes the product nor runs the one-column path); other
/// layouts are computed correctly through the same packed panels, rounding as the tiles do.
/// BLAS conventions as in [`gemm`](crate::gemm()): with `beta == 0` the old `C` is never
/// read.
///
/// # Panics
/// If the shapes do not conform (`A` is `m x k`, `B` is `k x n`, `C` is `m x n`).
///
/// ```
/// use fast_math::{gemm, gemm_prepacked, Mat, PackedLhs, Par};
/// let a = Mat::from_fn(50, 30, |i, j| (i as f64 - j as f64).sin());
/// let at = PackedLhs::new(a.as_ref().t(), Par::Seq);
/// let y = Mat::from_fn(50, 4, |i, j| (i * j) as f64);
/// let (mut z1, mut z2) = (Mat::zeros(30, 4), Mat::zeros(30, 4));
/// gemm_prepacked(1.0, &at, y.as_ref(), 0.0, z1.as_mut(), Par::Seq);
/// gemm(1.0, a.as_ref().t(), y.as_ref(), 0.0, z2.as_mut(), Par::Seq);
/// assert_eq!(z1, z2);
/// ```
///
/// [`gemm_with`]: crate::gemm_with
#[track_caller]
pub fn gemm_prepacked<T: Scalar>(
    alpha: T,
    a: &PackedLhs<T>,
    b: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
    par: Par,
) {
    check_dims(
        "gemm_prepacked",
        (a.m, a.k),
        (b.nrows(), b.ncols()),
        (c.nrows(), c.ncols()),
    );
    let (m, n, k) = (a.m, b.ncols(), a.k);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 || alpha == T::ZERO {
        scale_in_place(beta, &mut c);
        return;
    }
    let dest = Dest::new(&mut c, alpha, beta);
    gemm_core(
        a.kern,
        Lhs::Packed(a.view()),
        Operand::one(b),
        &[dest],
        m,
        n,
        k,
        par,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{gemm_with, Mat};

    fn filled(m: usize, n: usize, seed: u64) -> Mat<f64> {
        let mut r = seeded_rng::Rng::new(seed);
        Mat::from_fn(m, n, |_, _| r.normal())
    }

    /// Every layout of `A`, edge shapes around the tiles and `KC`, scalars and thread
    /// counts: the prepacked product is the plain one, bit for bit.
    #[test]
    fn prepacked_products_are_gemm_bit_for_bit() {
        crate::set_min_parallel_macs(Some(0));
        for isa in Isa::available() {
            let kc = {
                let kern = MicroKernel::<f64>::new(isa, KernelShape::Wide);
                blocking_for(8, kern.mr(), kern.nr()).kc
            };
            for &(m, k, n) in &[
                (1, 1, 2),
                (7, 3, 5),
                (25, kc + 1, 9),
                (49, 2 * kc + 7, 17),
                (130, 40, 61),
                // A column stride of 2 KiB folds onto few L1 sets: read in place by `gemm`
                // only through `few_reads_from_l2` (one or two panels of B).
                (256, 70, 8),
                (256, 70, 12),
            ] {
                let src = filled(m, k, (m * k + n) as u64);
                let srct = src.transpose();
                let b = filled(k, n, 3);
                let views = [src.as_ref(), srct.as_ref().t()];
                for (v, a) in views.into_iter().enumerate() {
                    for par in [Par::Seq, Par::Rayon(2)] {
                        for (alpha, beta) in [(1.0, 0.0), (-0.5, 1.5)] {
                            let p = PackedLhs::new_with(isa, a, par);
                            let c0 = filled(m, n, 9);
                            let (mut c1, mut c2) = (c0.clone(), c0.clone());
                            gemm_prepacked(alpha, &p, b.as_ref(), beta, c1.as_mut(), par);
                            gemm_with(isa, alpha, a, b.as_ref(), beta, c2.as_mut(), par);
                            assert_eq!(c1, c2, "{isa:?} {m}x{k}x{n} view {v} {par:?}");
                        }
                    }
                }
            }
        }
        crate::set_min_parallel_macs(None);
    }

    #[test]
    fn other_layouts_of_c_and_degenerate_shapes_are_correct() {
        let a = filled(13, 11, 1);
        let b = filled(11, 6, 2);
        let p = PackedLhs::new(a.as_ref(), Par::Seq);
        let mut want = Mat::zeros(13, 6);
        gemm_with(
            Isa::Scalar,
            1.0,
            a.as_ref(),
            b.as_ref(),
            0.0,
            want.as_mut(),
            Par::Seq,
        );
        // Row-major C (strided store) and one column.
        let mut ct = Mat::zeros(6, 13);
        gemm_prepacked(1.0, &p, b.as_ref(), 0.0, ct.as_mut().t(), Par::Seq);
        let mut one = Mat::zeros(13, 1);
        gemm_prepacked(
            1.0,
            &p,
            b.as_ref().submatrix(0, 2, 11, 1),
            0.0,
            one.as_mut(),
            Par::Seq,
        );
        for i in 0..13 {
            for j in 0..6 {
                let tol = 1e-12 * (1.0 + want[(i, j)].abs());
                assert!((ct[(j, i)] - want[(i, j)]).abs() <= tol);
            }
            assert!((one[(i, 0)] - want[(i, 2)]).abs() <= 1e-12 * (1.0 + want[(i, 2)].abs()));
        }
        // k = 0 and alpha = 0 scale C by beta; an empty A packs to nothing.
        let empty = PackedLhs::new(Mat::<f64>::zeros(4, 0).as_ref(), Par::Seq);
        let mut c = Mat::filled(4, 3, 2.0);
        gemm_prepacked(
            1.0,
            &empty,
            Mat::zeros(0, 3).as_ref(),
            0.5,
            c.as_mut(),
            Par::Seq,
        );
        assert_eq!(c, Mat::filled(4, 3, 1.0));
        let mut c = Mat::filled(13, 6, f64::NAN);
        gemm_prepacked(0.0, &p, b.as_ref(), 0.0, c.as_mut(), Par::Seq);
        assert_eq!(c, Mat::zeros(13, 6));
    }

    #[test]
    #[should_panic(expected = "gemm_prepacked: shapes do not conform: A is 3x4, B is 5x2")]
    fn mismatched_shapes_panic_with_all_three() {
        let p = PackedLhs::new(Mat::<f64>::zeros(3, 4).as_ref(), Par::Seq);
        let mut c = Mat::zeros(3, 2);
        gemm_prepacked(
            1.0,
            &p,
            Mat::zeros(5, 2).as_ref(),
            0.0,
            c.as_mut(),
            Par::Seq,
        );
    }
}
