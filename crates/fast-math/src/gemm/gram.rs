//! The Gram matrix `X^T X`: only the lower triangle's register tiles, from row slabs that
//! serve directly as both micro-kernel operands (no per-operand packing).

use crate::par::run_in;
use crate::{Mat, MatRef, Par, Scalar};
use rayon::prelude::*;
use simd_kernels::gemm::{KernelShape, MicroKernel};
use simd_kernels::Isa;

/// The Gram matrix `X^T X` (`k x k` for an `n x k` matrix `X`), on the detected ISA.
///
/// Only register tiles touching the lower triangle are computed, with a narrow tile to
/// waste little work on the diagonal, then mirrored: about `n * k * k` flops instead of the
/// `2 n k k` of a general product, and the result is exactly symmetric. `X` is processed in
/// slabs of rows copied once into a row-major, L2-resident buffer (from the pool layer),
/// which serves directly as both operands of the micro-kernel, so there is no per-operand
/// packing. With `Par::Rayon(t)`, the slabs are split among threads and the partial
/// products summed.
///
/// Error: as [`gemm`](crate::gemm()), with inner dimension `n`.
///
/// ```
/// use fast_math::{gram, Mat, Par};
/// let x = Mat::from_row_major(3, 2, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// let g = gram(x.as_ref(), Par::Seq);
/// assert_eq!(g, Mat::from_row_major(2, 2, &[35.0, 44.0, 44.0, 56.0]));
/// ```
#[track_caller]
pub fn gram<T: Scalar>(x: MatRef<'_, T>, par: Par) -> Mat<T> {
    gram_with(Isa::detect(), x, par)
}

/// [`gram`] on one given ISA.
///
/// # Panics
/// If the CPU does not support `isa`.
#[track_caller]
pub fn gram_with<T: Scalar>(isa: Isa, x: MatRef<'_, T>, par: Par) -> Mat<T> {
    let kern = MicroKernel::<T>::new(isa, KernelShape::Narrow);
    let (n, k) = (x.nrows(), x.ncols());
    let slab = gram_slab_rows::<T>(kern, k);
    let nt = par.threads().min(n.div_ceil(slab)).max(1);
    let mut g = if nt <= 1 {
        let mut g = Mat::zeros(k, k);
        gram_accumulate(kern, x, &mut g);
        g
    } else {
        // Contiguous row ranges, in whole slabs, one per thread.
        let per = n.div_ceil(slab).div_ceil(nt) * slab;
        let parts: Vec<Mat<T>> = run_in(Par::Rayon(nt), |_| {
            (0..nt)
                .into_par_iter()
                .with_max_len(1)
                .map(|t| {
                    let r0 = (t * per).min(n);
                    let r1 = (r0 + per).min(n);
                    let mut g = Mat::zeros(k, k);
                    gram_accumulate(kern, x.submatrix(r0, 0, r1 - r0, k), &mut g);
                    g
                })
                .collect()
        });
        let mut parts = parts.into_iter();
        let mut g = parts.next().unwrap_or_else(|| Mat::zeros(k, k));
        for p in parts {
            for (d, s) in g.as_mut_slice().iter_mut().zip(p.as_slice()) {
                *d += *s;
            }
        }
        g
    };
    for j in 0..k {
        for i in 0..j {
            g[(i, j)] = g[(j, i)];
        }
    }
    g
}

/// How far ahead (in rows) the Gram slab copy prefetches each column of `X`.
const GRAM_PREFETCH_ROWS: usize = 256;

/// A read prefetch hint (no effect off x86_64).
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht0` is baseline SSE on x86_64 and architecturally a no-op: it never
    // faults and reads nothing the program can observe, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Padded row length of the Gram slab: every row panel `i0..i0 + MR` and column panel
/// `j0..j0 + NR` that starts below `k` fits.
fn gram_width<T: Scalar>(kern: MicroKernel<T>, k: usize) -> usize {
    k.next_multiple_of(kern.mr())
        .max(k.next_multiple_of(kern.nr()))
}

/// Rows per slab: the row-major slab (padded width) takes about 512 KiB, within L2.
fn gram_slab_rows<T: Scalar>(kern: MicroKernel<T>, k: usize) -> usize {
    let width = gram_width(kern, k).max(1);
    ((512 << 10) / (width * T::BYTES)).clamp(64, 4096)
}

/// `G[lower tiles] += X^T X` (G must start as zeros or a previous partial sum).
fn gram_accumulate<T: Scalar>(kern: MicroKernel<T>, x: MatRef<'_, T>, g: &mut Mat<T>) {
    let (n, k) = (x.nrows(), x.ncols());
    if n == 0 || k == 0 {
        return;
    }
    let (mr, nr) = (kern.mr(), kern.nr());
    let width = gram_width(kern, k);
    let slab = gram_slab_rows(kern, k);
    let gp = g.as_mut_slice().as_mut_ptr();
    T::with_pack(slab.min(n) * width, |buf| {
        let mut r0 = 0;
        while r0 < n {
            let rb = slab.min(n - r0);
            let rows = &mut buf[..rb * width];
            // Transpose-copy the slab to row-major with zero padding to `width` columns.
            for row in rows.chunks_exact_mut(width) {
                row[k..].fill(T::ZERO);
            }
            if x.row_stride() == 1 {
                // Blocks of 32 rows: the destination block (32 x width) stays in L1 while
                // every column contributes its 32 contiguous elements.
                for pb in (0..rb).step_by(32) {
                    let pe = (pb + 32).min(rb);
                    let dst = &mut rows[pb * width..pe * width];
                    for j in 0..k {
                        // With k separate column streams the hardware prefetchers lose
                        // track: ask for this column's rows a few blocks ahead ourselves.
                        let ahead = r0 + pb + GRAM_PREFETCH_ROWS;
                        if ahead + 32 <= n {
                            let p = x.submatrix(ahead, j, 32, 1).as_ptr();
                            for line in 0..(32 * T::BYTES).div_ceil(64) {
                                prefetch(p.wrapping_byte_add(64 * line));
                            }
                        }
                        let col = x
                            .submatrix(r0 + pb, j, pe - pb, 1)
                            .col_slice(0)
                            .expect("unit row stride");
                        for (d, &v) in dst.chunks_exact_mut(width).zip(col) {
                            d[j] = v;
                        }
                    }
                }
            } else {
                for (p, row) in rows.chunks_exact_mut(width).enumerate() {
                    for (j, d) in row[..k].iter_mut().enumerate() {
                        // SAFETY: r0 + p < n and j < k: in bounds of the view.
                        *d = unsafe { x.get_unchecked(r0 + p, j) };
                    }
                }
            }
            let base = rows.as_ptr();
            for j0 in (0..k).step_by(nr) {
                let nn = nr.min(k - j0);
                // Row panels whose last row reaches the diagonal of this column panel.
                for i0 in (j0 / mr * mr..k).step_by(mr) {
                    let mm = mr.min(k - i0);
                    // The slab holds rb rows of `width >= i0 + MR` and `>= j0 + NR`
                    // elements (see `gram_width`; i0 < k, j0 < k), so every panel
                    // read (row p, columns i0..i0+MR and j0..j0+NR) is inside `rows`; the
                    // C tile (i0.., j0..) of mm x nn elements is inside the k x k matrix
                    // `g`, exclusively borrowed here.
                    // SAFETY: those bounds and that exclusive borrow are `run_strided`'s contract.
                    unsafe {
                        kern.run_strided(
                            rb,
                            T::ONE,
                            base.add(i0),
                            width,
                            base.add(j0),
                            width,
                            T::ONE,
                            gp.add(i0 + j0 * k),
                            1,
                            k as isize,
                            mm,
                            nn,
                        );
                    }
                }
            }
            r0 += rb;
        }
    });
}
