//! Packed GEMM (the Goto/BLIS scheme) on the register micro-kernels of
//! [`simd_kernels::gemm`].
//!
//! Five loops surround the micro-kernel: `jc` over `NC`-column blocks of `B` and `C`, `pc`
//! over `KC`-deep slices (the packed `KC x NC` block of `B` stays in L3), `ic` over
//! `MC`-row blocks of `A` (the packed `MC x KC` block of `A` stays in L2), `jr` over
//! `NR`-column micro-panels of `B` (one stays in L1), and `ir` over `MR`-row micro-panels of
//! `A`. Packing copies operands into panel order and zero-pads the edges, so the
//! micro-kernel never sees a partial panel; alpha and beta are applied in its store.

use crate::{Mat, MatMut, MatRef, Scalar};
use rayon::prelude::*;
use simd_kernels::gemm::{KernelShape, MicroKernel};
use simd_kernels::Isa;
use std::sync::{Arc, Mutex};

/// How many threads an operation may use. Parallelism is always an explicit argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Par {
    /// Run on the calling thread only.
    Seq,
    /// Run on a cached rayon pool of this many threads (`Rayon(0)` and `Rayon(1)` behave
    /// like [`Par::Seq`]).
    Rayon(usize),
}

impl Par {
    /// Number of threads this value asks for (at least 1).
    pub fn threads(self) -> usize {
        match self {
            Par::Seq => 1,
            Par::Rayon(n) => n.max(1),
        }
    }
}

/// A rayon pool of `n` threads, built once per distinct `n` and cached for the process.
fn thread_pool(n: usize) -> Option<Arc<rayon::ThreadPool>> {
    static POOLS: Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(Vec::new());
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = pools.iter().find(|(k, _)| *k == n) {
        return Some(p.clone());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(move |i| format!("fast-math-{n}-{i}"))
        .build()
        .ok()?;
    let pool = Arc::new(pool);
    pools.push((n, pool.clone()));
    Some(pool)
}

/// Runs `f` inside the pool for `par` (or directly when sequential), and reports how many
/// threads it may use.
pub(crate) fn run_in<R: Send>(par: Par, f: impl FnOnce(usize) -> R + Send) -> R {
    let n = par.threads();
    if n > 1 {
        if let Some(pool) = thread_pool(n) {
            return pool.install(|| f(n));
        }
    }
    f(1)
}

/// Cache blocking for one micro-kernel: `mc`, `kc`, `nc` (multiples of MR and NR).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocking {
    /// Rows of `A` per packed block (fits in L2 with the `B` micro-panel).
    pub mc: usize,
    /// Depth of one packed slice (a `KC x NR` panel of `B` fills at most half of L1).
    pub kc: usize,
    /// Columns of `B` per packed block (fits in L3).
    pub nc: usize,
}

/// The blocking [`gemm`] uses for element type `T` on `isa`, with the micro-kernel's
/// `(MR, NR)`.
///
/// Sized for a 48 KiB L1d and 2 MiB L2 per core (Sapphire Rapids class); they are also sound
/// on 32 KiB / 1 MiB parts, where `KC x NR` still fits L1 and `MC x KC` fits L2.
///
/// | ISA, type     | MR x NR | MC  | KC  | NC   |
/// |---------------|---------|-----|-----|------|
/// | AVX-512 f64   | 24 x 8  | 240 | 512 | 4096 |
/// | AVX-512 f32   | 48 x 8  | 336 | 768 | 4096 |
/// | AVX2 f64      | 8 x 6   | 192 | 256 | 4080 |
/// | AVX2 f32      | 16 x 6  | 192 | 384 | 4080 |
/// | scalar        | 4 x 4   | 64  | 256 | 1024 |
pub fn blocking<T: Scalar>(isa: Isa) -> (Blocking, usize, usize) {
    let k = MicroKernel::<T>::new(isa, KernelShape::Wide);
    (blocking_for(isa, T::BYTES, k.mr(), k.nr()), k.mr(), k.nr())
}

fn blocking_for(isa: Isa, bytes: usize, mr: usize, nr: usize) -> Blocking {
    let (mc, kc, nc): (usize, usize, usize) = match (isa, bytes) {
        (Isa::Avx512, 8) => (240, 512, 4096),
        (Isa::Avx512, _) => (336, 768, 4096),
        (Isa::Avx2Fma, 8) => (192, 256, 4080),
        (Isa::Avx2Fma, _) => (192, 384, 4080),
        (Isa::Scalar, _) => (64, 256, 1024),
    };
    Blocking {
        mc: mc.next_multiple_of(mr),
        kc,
        nc: nc.next_multiple_of(nr),
    }
}

/// Raw pointer to `C` shared by the worker threads.
#[derive(Clone, Copy)]
struct CPtr<T>(*mut T);
// SAFETY: the pointer addresses the exclusively borrowed `C` of one GEMM call; the driver
// hands each worker a disjoint set of tiles, so no element is accessed by two threads.
unsafe impl<T: Send> Send for CPtr<T> {}
// SAFETY: as above: concurrent users touch disjoint tiles only.
unsafe impl<T: Send> Sync for CPtr<T> {}

/// `C <- alpha * A * B + beta * C` on the detected ISA.
///
/// Follows BLAS: with `beta == 0`, `C` is overwritten and its old contents (even NaN) are
/// never read; with `alpha == 0` or an inner dimension of 0, `A` and `B` are not read.
/// Any strides work for every operand (column-major, row-major, transposed, sub-views);
/// column-major `C` is fastest, and row-major `C` is handled as the transposed product.
///
/// Error: each element satisfies `|c - c_exact| <= k * eps * (|alpha| * (|A| |B|)_ij) +
/// eps * |beta c_ij|` to first order (blocked sums with FMA; `k` the inner dimension).
/// For a given ISA, tile shape and thread count, results are reproducible; they differ
/// between ISAs in rounding only.
///
/// # Panics
/// If the shapes do not conform (`A` is `m x k`, `B` is `k x n`, `C` is `m x n`); the
/// message names all three shapes.
///
/// ```
/// use fast_math::{gemm, Mat, Par};
/// let a = Mat::from_row_major(2, 2, &[1.0, 2.0, 3.0, 4.0]);
/// let b = Mat::<f64>::identity(2);
/// let mut c = Mat::filled(2, 2, f64::NAN);
/// gemm(2.0, a.as_ref(), b.as_ref(), 0.0, c.as_mut(), Par::Seq);
/// assert_eq!(c, Mat::from_row_major(2, 2, &[2.0, 4.0, 6.0, 8.0]));
/// ```
#[track_caller]
pub fn gemm<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
    par: Par,
) {
    gemm_with(Isa::detect(), alpha, a, b, beta, c, par)
}

/// [`gemm`] on one given ISA.
///
/// # Panics
/// If the shapes do not conform, or the CPU does not support `isa`.
#[track_caller]
pub fn gemm_with<T: Scalar>(
    isa: Isa,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
    par: Par,
) {
    check_shapes("gemm", &a, &b, &c);
    let kern = MicroKernel::<T>::new(isa, KernelShape::Wide);
    gemm_kernel(kern, alpha, a, b, beta, c, par);
}

#[track_caller]
pub(crate) fn check_shapes<T: Scalar>(
    what: &str,
    a: &MatRef<'_, T>,
    b: &MatRef<'_, T>,
    c: &MatMut<'_, T>,
) {
    if a.ncols() != b.nrows() || a.nrows() != c.nrows() || b.ncols() != c.ncols() {
        shape_mismatch(what, a, b, c)
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn shape_mismatch<T: Scalar>(
    what: &str,
    a: &MatRef<'_, T>,
    b: &MatRef<'_, T>,
    c: &MatMut<'_, T>,
) -> ! {
    panic!(
        "{what}: shapes do not conform: A is {}x{}, B is {}x{}, C is {}x{} \
         (need A m x k, B k x n, C m x n)",
        a.nrows(),
        a.ncols(),
        b.nrows(),
        b.ncols(),
        c.nrows(),
        c.ncols()
    )
}

/// `C <- beta * C` (`beta == 0` writes zeros without reading).
pub(crate) fn scale_in_place<T: Scalar>(beta: T, c: &mut MatMut<'_, T>) {
    if beta == T::ZERO {
        c.fill(T::ZERO);
    } else if beta != T::ONE {
        for j in 0..c.ncols() {
            for i in 0..c.nrows() {
                let v = c.get(i, j);
                c.set(i, j, beta * v);
            }
        }
    }
}

/// The driver on an already selected kernel (shapes already checked).
pub(crate) fn gemm_kernel<T: Scalar>(
    kern: MicroKernel<T>,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
    par: Par,
) {
    let (m, n, k) = (c.nrows(), c.ncols(), a.ncols());
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 || alpha == T::ZERO {
        scale_in_place(beta, &mut c);
        return;
    }
    // The kernel's fast store wants unit row stride: a row-major C is C^T = B^T A^T.
    if c.row_stride() != 1 && c.col_stride() == 1 && m > 1 {
        gemm_kernel(kern, alpha, b.t(), a.t(), beta, c.t(), par);
        return;
    }
    let dest = Dest {
        ptr: CPtr(c.as_mut_ptr()),
        rs: c.row_stride() as isize,
        cs: c.col_stride() as isize,
        coef: alpha,
        beta,
    };
    gemm_core(
        kern,
        Operand::one(a),
        Operand::one(b),
        &[dest],
        m,
        n,
        k,
        par,
    );
}

/// A GEMM operand `x + coef * y` (`y` optional); the sum is formed while packing, so it
/// costs no temporary matrix (the "Strassen reloaded" trick).
#[derive(Clone, Copy)]
pub(crate) struct Operand<'a, T> {
    x: MatRef<'a, T>,
    y: Option<(T, MatRef<'a, T>)>,
}

impl<'a, T: Scalar> Operand<'a, T> {
    /// The plain operand `x`.
    pub(crate) fn one(x: MatRef<'a, T>) -> Self {
        Operand { x, y: None }
    }

    /// `x + coef * y` (same shapes).
    pub(crate) fn sum(x: MatRef<'a, T>, coef: T, y: MatRef<'a, T>) -> Self {
        debug_assert!(x.nrows() == y.nrows() && x.ncols() == y.ncols());
        Operand {
            x,
            y: Some((coef, y)),
        }
    }

    fn submatrix(self, i: usize, j: usize, r: usize, c: usize) -> Self {
        Operand {
            x: self.x.submatrix(i, j, r, c),
            y: self.y.map(|(k, y)| (k, y.submatrix(i, j, r, c))),
        }
    }
}

/// One output of a GEMM: `C <- beta * C + coef * (A B)`, as a raw strided pointer.
#[derive(Clone, Copy)]
pub(crate) struct Dest<T> {
    ptr: CPtr<T>,
    rs: isize,
    cs: isize,
    coef: T,
    beta: T,
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
        }
    }
}

/// Smallest `m * n * k` that [`gemm_core`] runs on more than one thread.
const PAR_MIN_WORK: usize = 128 * 128 * 128;

/// The five-loop driver: every destination gets `beta * C + coef * (A B)` for the `m x n`
/// product with inner dimension `k >= 1` (`m, n >= 1`). With two destinations (disjoint
/// matrices of the same shape), each tile is computed once and added to both.
///
/// Every `Dest` must point to an `m x n` matrix exclusively borrowed by the caller for the
/// whole call, and no two destinations may overlap.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_core<T: Scalar>(
    kern: MicroKernel<T>,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    dests: &[Dest<T>],
    m: usize,
    n: usize,
    k: usize,
    par: Par,
) {
    debug_assert!(m > 0 && n > 0 && k > 0 && !dests.is_empty() && dests.len() <= 2);
    let bl = blocking_for(kern.isa(), T::BYTES, kern.mr(), kern.nr());
    let (mr, nr) = (kern.mr(), kern.nr());
    // Below about 128^3 multiply-adds, waking a second thread costs more than it saves.
    let par = if m.saturating_mul(n).saturating_mul(k) < PAR_MIN_WORK {
        Par::Seq
    } else {
        par
    };
    let nc = bl.nc.min(n.next_multiple_of(nr));
    let kc_max = bl.kc.min(k);
    let b_len = kc_max * nc;

    T::with_pack(b_len, |bpack| {
        run_in(par, |nt| {
            let mut jc = 0;
            while jc < n {
                let nb = bl.nc.min(n - jc);
                let npanels = nb.div_ceil(nr);
                let mut pc = 0;
                while pc < k {
                    let kb = bl.kc.min(k - pc);
                    let bsub = b.submatrix(pc, jc, kb, nb);
                    let bpack = &mut bpack[..npanels * kb * nr];
                    if nt > 1 {
                        let per = npanels.div_ceil(nt * 4).max(1);
                        bpack
                            .par_chunks_mut(kb * nr * per)
                            .enumerate()
                            .for_each(|(q, dst)| {
                                for (t, panel) in dst.chunks_exact_mut(kb * nr).enumerate() {
                                    pack_b_op(bsub, (q * per + t) * nr, kb, nr, panel);
                                }
                            });
                    } else {
                        for (p, panel) in bpack.chunks_exact_mut(kb * nr).enumerate() {
                            pack_b_op(bsub, p * nr, kb, nr, panel);
                        }
                    }
                    let bpack: &[T] = bpack;

                    // Work items: row chunks (each at most MC rows) x panel ranges of B.
                    let mtiles = m.div_ceil(mr);
                    let mut row_chunks = m.div_ceil(bl.mc);
                    let mut col_splits = 1;
                    if nt > 1 {
                        if mtiles >= 2 * nt {
                            row_chunks = row_chunks.next_multiple_of(nt).min(mtiles);
                        } else {
                            col_splits = nt.min(npanels);
                        }
                    }
                    let tiles_per_chunk = mtiles.div_ceil(row_chunks);
                    let row_chunks = mtiles.div_ceil(tiles_per_chunk);
                    let panels_per_split = npanels.div_ceil(col_splits);
                    let col_splits = npanels.div_ceil(panels_per_split);
                    let items = row_chunks * col_splits;
                    let a_block = a.submatrix(0, pc, m, kb);
                    let work = |item: usize| {
                        let (rc, cs) = (item / col_splits, item % col_splits);
                        let r0 = rc * tiles_per_chunk * mr;
                        let r1 = (r0 + tiles_per_chunk * mr).min(m);
                        let p0 = cs * panels_per_split;
                        let p1 = (p0 + panels_per_split).min(npanels);
                        let mb = r1 - r0;
                        let apanels = mb.div_ceil(mr);
                        T::with_pack(apanels * mr * kb, |apack| {
                            for (q, panel) in apack.chunks_exact_mut(mr * kb).enumerate() {
                                pack_a_op(a_block, r0 + q * mr, m, kb, mr, panel);
                            }
                            for jp in p0..p1 {
                                let j0 = jp * nr;
                                let nn = nr.min(nb - j0);
                                let bp = &bpack[jp * kb * nr..(jp + 1) * kb * nr];
                                for ip in 0..apanels {
                                    let i0 = r0 + ip * mr;
                                    let mm = mr.min(r1 - i0);
                                    let ap = &apack[ip * mr * kb..(ip + 1) * mr * kb];
                                    tile(kern, kb, ap, bp, dests, pc == 0, i0, jc + j0, mm, nn);
                                }
                            }
                        });
                    };
                    if nt > 1 && items > 1 {
                        (0..items).into_par_iter().with_max_len(1).for_each(work);
                    } else {
                        (0..items).for_each(work);
                    }
                    pc += kb;
                }
                jc += nb;
            }
        })
    });
}

/// One register tile at `(i0, j0)` of every destination.
#[allow(clippy::too_many_arguments)]
#[inline]
fn tile<T: Scalar>(
    kern: MicroKernel<T>,
    kb: usize,
    ap: &[T],
    bp: &[T],
    dests: &[Dest<T>],
    first: bool,
    i0: usize,
    j0: usize,
    mm: usize,
    nn: usize,
) {
    let beta_of = |d: &Dest<T>| if first { d.beta } else { T::ONE };
    if let [d] = dests {
        let off = i0 as isize * d.rs + j0 as isize * d.cs;
        // SAFETY: ap holds MR*kb and bp kb*NR packed elements; the mm x nn tile at (i0, j0)
        // lies inside the destination (i0 + mm <= m, j0 + nn <= n), which the caller of
        // gemm_core borrows exclusively, and each tile is written by exactly one work item.
        unsafe {
            kern.run(
                kb,
                d.coef,
                ap.as_ptr(),
                bp.as_ptr(),
                beta_of(d),
                d.ptr.0.offset(off),
                d.rs,
                d.cs,
                mm,
                nn,
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

/// One Strassen level with the operand sums formed while packing and each product added
/// straight into one or two quadrants of `C` (Huang, Smith, Henry, van de Geijn, "Strassen's
/// algorithm reloaded", SC16): `C <- A B` for even dimensions, no temporaries.
pub(crate) fn strassen_abc<T: Scalar>(
    kern: MicroKernel<T>,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    mut c: MatMut<'_, T>,
    par: Par,
) {
    let (m, n, k) = (a.nrows() / 2, b.ncols() / 2, a.ncols() / 2);
    debug_assert!(
        a.nrows() == 2 * m && b.ncols() == 2 * n && a.ncols() == 2 * k && m > 0 && n > 0 && k > 0
    );
    let qa = |i: usize, j: usize| a.submatrix(i * m, j * k, m, k);
    let qb = |i: usize, j: usize| b.submatrix(i * k, j * n, k, n);
    let (one, neg, zero) = (T::ONE, -T::ONE, T::ZERO);
    let (top, bottom) = c.as_mut().split_at_row(m);
    let (mut c11, mut c12) = top.split_at_col(n);
    let (mut c21, mut c22) = bottom.split_at_col(n);
    let d = |c: &mut MatMut<'_, T>, coef: T, beta: T| Dest::new(c, coef, beta);
    let run = |a: Operand<'_, T>, b: Operand<'_, T>, dests: &[Dest<T>]| {
        gemm_core(kern, a, b, dests, m, n, k, par)
    };
    // M1 = (A11 + A22)(B11 + B22): C11 = M1, C22 = M1.
    run(
        Operand::sum(qa(0, 0), one, qa(1, 1)),
        Operand::sum(qb(0, 0), one, qb(1, 1)),
        &[d(&mut c11, one, zero), d(&mut c22, one, zero)],
    );
    // M2 = (A21 + A22) B11: C21 = M2, C22 -= M2.
    run(
        Operand::sum(qa(1, 0), one, qa(1, 1)),
        Operand::one(qb(0, 0)),
        &[d(&mut c21, one, zero), d(&mut c22, neg, one)],
    );
    // M3 = A11 (B12 - B22): C12 = M3, C22 += M3.
    run(
        Operand::one(qa(0, 0)),
        Operand::sum(qb(0, 1), neg, qb(1, 1)),
        &[d(&mut c12, one, zero), d(&mut c22, one, one)],
    );
    // M4 = A22 (B21 - B11): C11 += M4, C21 += M4.
    run(
        Operand::one(qa(1, 1)),
        Operand::sum(qb(1, 0), neg, qb(0, 0)),
        &[d(&mut c11, one, one), d(&mut c21, one, one)],
    );
    // M5 = (A11 + A12) B22: C11 -= M5, C12 += M5.
    run(
        Operand::sum(qa(0, 0), one, qa(0, 1)),
        Operand::one(qb(1, 1)),
        &[d(&mut c11, neg, one), d(&mut c12, one, one)],
    );
    // M6 = (A21 - A11)(B11 + B12): C22 += M6.
    run(
        Operand::sum(qa(1, 0), neg, qa(0, 0)),
        Operand::sum(qb(0, 0), one, qb(0, 1)),
        &[d(&mut c22, one, one)],
    );
    // M7 = (A12 - A22)(B21 + B22): C11 += M7.
    run(
        Operand::sum(qa(0, 1), neg, qa(1, 1)),
        Operand::sum(qb(1, 0), one, qb(1, 1)),
        &[d(&mut c11, one, one)],
    );
}

/// [`pack_a`] of `x`, plus `coef * y` when the operand is a sum.
#[inline]
fn pack_a_op<T: Scalar>(
    a: Operand<'_, T>,
    i0: usize,
    m: usize,
    kb: usize,
    mr: usize,
    dst: &mut [T],
) {
    pack_a(a.x, i0, m, kb, mr, dst);
    if let Some((coef, y)) = a.y {
        let rows = mr.min(m - i0);
        for (p, d) in dst.chunks_exact_mut(mr).enumerate() {
            for (i, x) in d[..rows].iter_mut().enumerate() {
                // SAFETY: i0 + i < m and p < kb: in bounds of `y` (same shape as `x`).
                *x += coef * unsafe { y.get_unchecked(i0 + i, p) };
            }
        }
    }
}

/// [`pack_b`] of `x`, plus `coef * y` when the operand is a sum.
#[inline]
fn pack_b_op<T: Scalar>(b: Operand<'_, T>, j0: usize, kb: usize, nr: usize, dst: &mut [T]) {
    pack_b(b.x, j0, kb, nr, dst);
    if let Some((coef, y)) = b.y {
        let cols = nr.min(y.ncols() - j0);
        if y.row_stride() == 1 {
            // Column-major y: walk each column contiguously.
            for j in 0..cols {
                let col = y.col_slice(j0 + j).expect("unit row stride");
                for (p, &v) in col[..kb].iter().enumerate() {
                    dst[p * nr + j] += coef * v;
                }
            }
        } else {
            for (p, d) in dst.chunks_exact_mut(nr).enumerate() {
                for (j, x) in d[..cols].iter_mut().enumerate() {
                    // SAFETY: p < kb and j0 + j < nb: in bounds of `y` (same shape as `x`).
                    *x += coef * unsafe { y.get_unchecked(p, j0 + j) };
                }
            }
        }
    }
}

/// Packs rows `i0 .. i0 + MR` (zero past row `m`) of the `m x kb` block `a` into one
/// micro-panel: element `(i0 + i, p)` goes to `dst[p * MR + i]`.
#[inline]
fn pack_a<T: Scalar>(a: MatRef<'_, T>, i0: usize, m: usize, kb: usize, mr: usize, dst: &mut [T]) {
    let rows = mr.min(m - i0);
    debug_assert!(dst.len() == mr * kb);
    if a.row_stride() == 1 {
        for (p, d) in dst.chunks_exact_mut(mr).enumerate() {
            // SAFETY: rows i0..i0+rows of column p are in bounds (i0 + rows <= m, p < kb) and
            // consecutive (unit row stride) in the borrowed allocation.
            let src = unsafe {
                std::slice::from_raw_parts(a.as_ptr().add(i0 + p * a.col_stride()), rows)
            };
            d[..rows].copy_from_slice(src);
            d[rows..].fill(T::ZERO);
        }
    } else if a.col_stride() == 1 {
        // Row-major A (e.g. a transposed column-major matrix): read rows contiguously.
        if rows < mr {
            dst.fill(T::ZERO);
        }
        for i in 0..rows {
            // SAFETY: columns 0..kb of row i0 + i are in bounds (i0 + i < m) and consecutive
            // (unit column stride) in the borrowed allocation.
            let src = unsafe {
                std::slice::from_raw_parts(a.as_ptr().add((i0 + i) * a.row_stride()), kb)
            };
            for (p, &v) in src.iter().enumerate() {
                dst[p * mr + i] = v;
            }
        }
    } else {
        for (p, d) in dst.chunks_exact_mut(mr).enumerate() {
            for (i, x) in d.iter_mut().enumerate() {
                *x = if i < rows {
                    // SAFETY: i0 + i < m and p < kb: in bounds of the view.
                    unsafe { a.get_unchecked(i0 + i, p) }
                } else {
                    T::ZERO
                };
            }
        }
    }
}

/// Packs columns `j0 .. j0 + NR` (zero past the last column) of the `kb x nb` block `b`
/// into one micro-panel: element `(p, j0 + j)` goes to `dst[p * NR + j]`.
#[inline]
fn pack_b<T: Scalar>(b: MatRef<'_, T>, j0: usize, kb: usize, nr: usize, dst: &mut [T]) {
    let cols = nr.min(b.ncols() - j0);
    debug_assert!(dst.len() == nr * kb);
    if b.col_stride() == 1 && cols == nr {
        for (p, d) in dst.chunks_exact_mut(nr).enumerate() {
            // SAFETY: columns j0..j0+nr of row p are in bounds and consecutive.
            let src =
                unsafe { std::slice::from_raw_parts(b.as_ptr().add(p * b.row_stride() + j0), nr) };
            d.copy_from_slice(src);
        }
    } else if b.row_stride() == 1 {
        if cols < nr {
            dst.fill(T::ZERO);
        }
        for j in 0..cols {
            // SAFETY: rows 0..kb of column j0 + j are in bounds and consecutive.
            let src = unsafe {
                std::slice::from_raw_parts(b.as_ptr().add((j0 + j) * b.col_stride()), kb)
            };
            for (p, &v) in src.iter().enumerate() {
                dst[p * nr + j] = v;
            }
        }
    } else {
        for (p, d) in dst.chunks_exact_mut(nr).enumerate() {
            for (j, x) in d.iter_mut().enumerate() {
                *x = if j < cols {
                    // SAFETY: p < kb and j0 + j < nb: in bounds of the view.
                    unsafe { b.get_unchecked(p, j0 + j) }
                } else {
                    T::ZERO
                };
            }
        }
    }
}

/// `A * B` as a new matrix, on the detected ISA.
///
/// Uses [`strassen::gemm`](crate::strassen::gemm) when all three dimensions are at least
/// [`strassen::CROSSOVER`](crate::strassen::CROSSOVER) (measured on this project's machine;
/// below it the classical product is faster), classical [`gemm`] otherwise. Its error bound
/// is therefore the weaker, normwise one of Strassen for large products.
///
/// # Panics
/// If `a.ncols() != b.nrows()`; the message names both shapes.
#[track_caller]
pub fn matmul<T: Scalar>(a: MatRef<'_, T>, b: MatRef<'_, T>, par: Par) -> Mat<T> {
    matmul_with(Isa::detect(), a, b, par)
}

/// [`matmul`] on one given ISA.
///
/// # Panics
/// If the inner dimensions differ, or the CPU does not support `isa`.
#[track_caller]
pub fn matmul_with<T: Scalar>(isa: Isa, a: MatRef<'_, T>, b: MatRef<'_, T>, par: Par) -> Mat<T> {
    let mut c = Mat::zeros(a.nrows(), b.ncols());
    check_shapes("matmul", &a, &b, &c.as_mut());
    let min_dim = a.nrows().min(a.ncols()).min(b.ncols());
    if min_dim >= crate::strassen::CROSSOVER {
        crate::strassen::gemm_with(
            isa,
            T::ONE,
            a,
            b,
            T::ZERO,
            c.as_mut(),
            par,
            crate::strassen::StrassenConfig::default(),
        );
    } else {
        gemm_with(isa, T::ONE, a, b, T::ZERO, c.as_mut(), par);
    }
    c
}

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
/// Error: as [`gemm`], with inner dimension `n`.
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
