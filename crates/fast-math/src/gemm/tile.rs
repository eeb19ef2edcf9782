//! One register tile of the five-loop driver: where it writes (`Dest`), which panels of `A`
//! and `B` it reads (packed or in place), and the micro-kernel call that writes it to every
//! destination.

use crate::{MatMut, MatRef, Scalar};
use simd_kernels::gemm::{FetchRuns, MicroKernel};

/// Raw pointer to `C` shared by the worker threads.
#[derive(Clone, Copy)]
struct CPtr<T>(*mut T);
// SAFETY: the pointer addresses the exclusively borrowed `C` of one GEMM call; the driver
// hands each worker a disjoint set of tiles, so no element is accessed by two threads.
unsafe impl<T: Send> Send for CPtr<T> {}
// SAFETY: as above: concurrent users touch disjoint tiles only.
unsafe impl<T: Send> Sync for CPtr<T> {}

/// One output of a GEMM: `C <- beta * C + coef * (A B)`, as a raw strided pointer.
#[derive(Clone, Copy)]
pub(crate) struct Dest<T> {
    ptr: CPtr<T>,
    rs: isize,
    cs: isize,
    coef: T,
    beta: T,
    /// Only the register tiles that reach the diagonal or below it are computed (the
    /// Gram matrix, whose other half is its mirror image).
    lower: bool,
}

impl<T: Scalar> Dest<T> {
    /// A destination covering the whole of `c` (which must outlive its use).
    pub(crate) fn new(c: &mut MatMut<'_, T>, coef: T, beta: T) -> Self {
        Dest {
            ptr: CPtr(c.as_mut_ptr()),
            rs: c.row_stride() as isize,
            cs: c.col_stride() as isize,
            coef,
            beta,
            lower: false,
        }
    }

    /// As [`Dest::new`], but tiles entirely above the diagonal are neither computed nor
    /// written.
    pub(crate) fn lower_triangle(c: &mut MatMut<'_, T>, coef: T, beta: T) -> Self {
        Dest {
            lower: true,
            ..Dest::new(c, coef, beta)
        }
    }
}

/// The `MR x kb` panel of `A` a register tile reads.
#[derive(Clone, Copy)]
pub(super) enum APanel<'a, T> {
    /// Packed: column `p` at `p * MR`.
    Packed(&'a [T]),
    /// An `MR x kb` column-major view of `A` itself (row stride 1).
    InPlace(MatRef<'a, T>),
}

/// The `kb x NR` panel of `B` a register tile reads.
#[derive(Clone, Copy)]
pub(super) enum BPanel<'a, T> {
    /// Packed: row `p` at `p * NR`.
    Packed(&'a [T]),
    /// A `kb x NR` column-major view of `B` itself (row stride 1, each column a sequential
    /// stream the micro-kernel fetches ahead), at most `NR` columns.
    InPlace(MatRef<'a, T>),
}

/// One register tile at `(i0, j0)` of every destination.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(super) fn tile<T: Scalar>(
    kern: MicroKernel<T>,
    kb: usize,
    ap: APanel<'_, T>,
    bp: BPanel<'_, T>,
    dests: &[Dest<T>],
    first: bool,
    i0: usize,
    j0: usize,
    mm: usize,
    nn: usize,
    fetch: Option<&FetchRuns>,
) {
    let beta_of = |d: &Dest<T>| if first { d.beta } else { T::ONE };
    if let [d] = dests {
        if d.lower && i0 + mm <= j0 {
            return;
        }
        let off = i0 as isize * d.rs + j0 as isize * d.cs;
        let (a_ptr, lda) = match ap {
            APanel::Packed(p) => (p.as_ptr(), kern.mr()),
            APanel::InPlace(x) => {
                debug_assert!(x.row_stride() == 1 && x.nrows() == kern.mr() && x.ncols() == kb);
                (x.as_ptr(), x.col_stride())
            }
        };
        let b = match bp {
            BPanel::Packed(p) => (p.as_ptr(), kern.nr(), 1),
            BPanel::InPlace(x) => {
                debug_assert!(x.row_stride() == 1 && x.nrows() == kb && x.ncols() == kern.nr());
                (x.as_ptr(), 1, x.col_stride())
            }
        };
        // The A panel is packed (MR*kb elements) or an MR x kb view of A with row stride 1;
        // the B panel packed (kb*NR elements) or a kb x NR view of B with row stride 1 (a
        // partial last panel is always packed); the mm x nn tile at (i0, j0) lies inside
        // the destination (i0 + mm <= m, j0 + nn <= n), which the caller of gemm_core
        // borrows exclusively.
        // SAFETY: column p < kb of A's panel is MR readable elements at a_ptr + p * lda;
        // element (p, j), p < kb, j < NR, of B's panel is readable at b + p * rsb + j * csb;
        // each tile is written by exactly one work item.
        unsafe {
            kern.run_b_strided_fetching(
                kb,
                d.coef,
                a_ptr,
                lda,
                b,
                beta_of(d),
                d.ptr.0.offset(off),
                (d.rs, d.cs),
                (mm, nn),
                fetch,
            );
        }
        return;
    }
    let (d1, d2) = (dests[0], dests[1]);
    debug_assert!(
        d1.rs == d2.rs && d1.cs == d2.cs,
        "two destinations share strides"
    );
    let off = i0 as isize * d1.rs + j0 as isize * d1.cs;
    let (APanel::Packed(ap), BPanel::Packed(bp)) = (ap, bp) else {
        unreachable!("operands are read in place only with one destination")
    };
    // SAFETY: as in the one-destination case, for both destinations, which are disjoint
    // matrices with the same shape and strides.
    unsafe {
        kern.run_dual(
            kb,
            ap.as_ptr(),
            bp.as_ptr(),
            (d1.coef, beta_of(&d1), d1.ptr.0.offset(off)),
            (d2.coef, beta_of(&d2), d2.ptr.0.offset(off)),
            d1.rs,
            d1.cs,
            mm,
            nn,
        );
    }
}
