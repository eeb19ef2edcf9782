//! The GEMM micro-kernel, written once over [`Simd`]: one `MR x NR` register tile of
//! `C <- alpha * A_p * B_p + beta * C` (see [`crate::gemm`] for the panel layout and the
//! contract), and the [`microkernel!`] macro that instantiates it per ISA and tile shape.

use crate::float::Float;
use crate::simd::Simd;

/// One rank-1 update of the accumulator tile: `acc += a[0..MR] * b[0..NR]^T`, element `j`
/// of `b` at `b + j * csb`.
///
/// # Safety
/// `a` valid for reading `MV * S::LANES` elements, `b + j * csb` for `j < NR`.
#[inline(always)]
unsafe fn rank1<T: Float, S: Simd<T>, const MV: usize, const NR: usize>(
    simd: S,
    acc: &mut [[S::V; MV]; NR],
    a: *const T,
    b: *const T,
    csb: usize,
) {
    let mut av = [simd.splat(T::ZERO); MV];
    for (i, v) in av.iter_mut().enumerate() {
        // SAFETY: i * LANES + LANES <= MV * LANES elements are readable at `a`.
        *v = unsafe { simd.load_ptr(a.add(i * S::LANES)) };
    }
    for (j, col) in acc.iter_mut().enumerate() {
        // SAFETY: element j < NR is readable at `b + j * csb`.
        let bj = simd.splat(unsafe { *b.add(j * csb) });
        for i in 0..MV {
            col[i] = simd.mul_add(av[i], bj, col[i]);
        }
    }
}

/// Four rank-1 updates: steps `p .. p + 4` from `a` (stride `lda`) and a packed `b` (stride
/// `ldb`, its elements contiguous).
///
/// # Safety
/// As [`rank1`] for each of the four steps.
#[inline(always)]
unsafe fn rank4<T: Float, S: Simd<T>, const MV: usize, const NR: usize>(
    simd: S,
    acc: &mut [[S::V; MV]; NR],
    a: *const T,
    lda: usize,
    b: *const T,
    ldb: usize,
) {
    for s in 0..4 {
        // SAFETY: the caller's contract covers the four steps.
        unsafe {
            rank1(
                simd,
                acc,
                a.wrapping_add(s * lda),
                b.wrapping_add(s * ldb),
                1,
            )
        };
    }
}

/// Hints the cache to load the lines at `p`, `p + 64`, ... below `p + bytes` into L1 (a
/// no-op off x86_64).
#[inline(always)]
fn prefetch_bytes(p: *const u8, bytes: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let mut off = 0;
        while off < bytes {
            // SAFETY: `prefetcht0` is SSE (baseline on x86_64) and has no architectural
            // effect: it cannot fault, whatever the address (so wrapping arithmetic will do).
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(off).cast()) };
            off += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, bytes);
}

/// Asks the cache to start loading the `C` tile, so its misses overlap the `k` loop.
#[inline(always)]
fn prefetch_tile<T>(c: *mut T, rs_c: isize, cs_c: isize, mr: usize, m: usize, n: usize) {
    if rs_c == 1 && m > 0 {
        let bytes = mr.min(m) * std::mem::size_of::<T>();
        for j in 0..n as isize {
            let col = c.wrapping_offset(j * cs_c) as *const u8;
            prefetch_bytes(col, bytes);
            // The column's last line too, when it does not start a line.
            prefetch_bytes(col.wrapping_add(bytes - 1), 1);
        }
    }
}

use crate::gemm::FetchRuns;

/// Where a kernel call is in its [`FetchRuns`].
struct FetchCursor {
    line: *const u8,
    run_start: *const u8,
    stride: isize,
    lines_left_in_run: usize,
    run_lines: usize,
    runs_left: usize,
}

impl FetchCursor {
    fn new(f: &FetchRuns) -> Self {
        FetchCursor {
            line: f.ptr,
            run_start: f.ptr,
            stride: f.stride,
            lines_left_in_run: f.run_lines,
            run_lines: f.run_lines,
            runs_left: if f.run_lines == 0 { 0 } else { f.runs },
        }
    }

    /// Lines to fetch per four steps so that all of them are asked for within `kc` steps.
    fn lines_per_4_steps(&self, kc: usize) -> usize {
        let total = self.runs_left * self.run_lines;
        (total * 4).div_ceil(kc.max(4))
    }

    /// Hints up to `n` more lines into L2.
    #[inline(always)]
    fn issue(&mut self, n: usize) {
        for _ in 0..n {
            if self.runs_left == 0 {
                return;
            }
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `prefetcht1` is SSE (baseline on x86_64) and has no architectural
            // effect: it cannot fault, whatever the address.
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T1};
                _mm_prefetch::<_MM_HINT_T1>(self.line as *const i8);
            }
            self.lines_left_in_run -= 1;
            if self.lines_left_in_run == 0 {
                self.runs_left -= 1;
                self.run_start = self.run_start.wrapping_offset(self.stride);
                self.line = self.run_start;
                self.lines_left_in_run = self.run_lines;
            } else {
                self.line = self.line.wrapping_add(64);
            }
        }
    }
}

/// How many steps of `k` ahead the kernel fetches the columns of an `A` it reads in place
/// (`lda != MR`). Such columns lie a column stride apart, a page or more, so the hardware
/// prefetchers, which follow sequential runs within a page, miss them, and each step waits
/// for its lines; a packed `A` is one sequential run they follow, so it gets no hint (on a
/// Xeon, AVX2, the hints slowed a packed product 3-5%). Measured on an Intel Xeon (AVX-512,
/// one thread), `10000 x 2000` by `2000 x 60` with `A` in place: 4 and 8 steps ahead both
/// 1.1-1.2x as fast as no hint (46 -> 38-41 ms, AVX2 70 -> 60 ms), 16 steps less.
const A_PREFETCH_STEPS: usize = 8;

/// How many steps of `k` ahead the kernel fetches the columns of a `B` it reads in place
/// (`csb != 1`): the first register tile over a panel pulls its `NR` columns from memory,
/// in runs of `KC` elements too short for the hardware prefetchers to get ahead of. Measured
/// on an Intel Xeon (one thread, `Y^T A` for `A` of 10000 x 2000 in place, `KC` 1024,
/// against `gemm`'s `A^T Y`): 64 steps 1.12-1.13x (AVX2 1.14x), 32 steps 1.03-1.07x (AVX2
/// 0.95-1.01x), no hint 1.06-1.09x.
const B_PREFETCH_STEPS: usize = 64;

/// Hints the cache to load the `MR`-element columns of four steps of `A` from `a` on
/// (column `s` at `a + s * lda`).
#[inline(always)]
fn prefetch_a_columns<T>(a: *const T, lda: usize, mr: usize) {
    for s in 0..4 {
        prefetch_bytes(
            a.wrapping_add(s * lda).cast(),
            mr * std::mem::size_of::<T>(),
        );
    }
}

/// The one micro-kernel: `MV` registers of rows by `NR` columns of accumulators, so the
/// tile is `MR x NR` with `MR = MV * S::LANES`. Its arguments after `simd` are those of
/// [`KernelFn`](crate::gemm::KernelFn).
///
/// # Safety
/// The contract of [`MicroKernel::run`](crate::gemm::MicroKernel::run) for an `MR x NR`
/// tile, with `a` valid for reads of `(kc - 1) * lda + MR` elements and `b` of
/// `(kc - 1) * ldb + (NR - 1) * csb + 1` elements when `kc > 0` (element `j` of row `p` of
/// `B`'s panel at `b + p * ldb + j * csb`); when `c2` is not null, the same for the
/// tile at `c2`, which must not overlap the one at `c`; `fetch` null or valid for reading
/// one [`FetchRuns`] (the addresses it describes need not be valid).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn kernel<T: Float, S: Simd<T>, const MV: usize, const NR: usize>(
    simd: S,
    kc: usize,
    alpha: T,
    a: *const T,
    lda: usize,
    b: *const T,
    ldb: usize,
    csb: usize,
    beta: T,
    c: *mut T,
    rs_c: isize,
    cs_c: isize,
    m: usize,
    n: usize,
    c2: *mut T,
    alpha2: T,
    beta2: T,
    fetch: *const FetchRuns,
) {
    let mr = MV * S::LANES;
    // SAFETY: by the contract `fetch` is null or points to a valid `FetchRuns`.
    let mut fetch = unsafe { fetch.as_ref() }.map(FetchCursor::new);
    let per_step = fetch.as_ref().map_or(0, |f| f.lines_per_4_steps(kc));
    let strided_a = lda != mr;
    let mut acc = [[simd.splat(T::ZERO); MV]; NR];
    let (mut pa, mut pb) = (a, b);
    prefetch_tile::<T>(c, rs_c, cs_c, mr, m, n);
    if !c2.is_null() {
        prefetch_tile::<T>(c2, rs_c, cs_c, mr, m, n);
    }

    // SAFETY: step p reads MR elements at a + p*lda and NR at b + p*ldb, p < kc: in bounds
    // by the contract. The pointers advance with wrapping arithmetic, so stepping past the
    // last row is not UB; they are only dereferenced while p < kc.
    unsafe {
        let mut p = 0;
        // Three copies of the loop: B read in place; a packed tile with nothing to hint runs
        // the bare one (the hints' bookkeeping in the loop cost the AVX2 tile 5-8% on a Xeon
        // even when idle); the rest.
        if csb != 1 {
            // B read in place from NR columns (`ldb == 1`): each a sequential stream, whose
            // line `B_PREFETCH_STEPS` steps ahead is asked for every eight steps (a line of f64)
            // (hints only: a strided A is correct without its own). One step per iteration:
            // unrolled by four, the compiler hoisted the 32 broadcasts of the strided
            // addresses and spilled the accumulators to the stack.
            while p < kc {
                if p % 4 == 0 {
                    if let Some(f) = fetch.as_mut() {
                        f.issue(per_step);
                    }
                }
                if p % 8 == 0 {
                    for j in 0..NR {
                        let next = pb.wrapping_add(B_PREFETCH_STEPS * ldb + j * csb);
                        prefetch_bytes(next.cast(), 1);
                    }
                }
                rank1(simd, &mut acc, pa, pb, csb);
                pa = pa.wrapping_add(lda);
                pb = pb.wrapping_add(ldb);
                p += 1;
            }
        } else if fetch.is_none() && !strided_a {
            while p + 4 <= kc {
                rank4(simd, &mut acc, pa, lda, pb, ldb);
                pa = pa.wrapping_add(4 * lda);
                pb = pb.wrapping_add(4 * ldb);
                p += 4;
            }
        } else {
            // A packed B's stride is the constant NR: passed as one, it frees the register
            // AVX2's loop (16 of them, with the hints' bookkeeping) otherwise spills for it.
            // Measured on a Zen 4 EPYC, AVX2 (capped), one thread, 10000 x 2000 by 2000 x 60:
            // `A` in place, median ratios 1.01-1.05x (ahead in 23 of 34 alternated rounds);
            // `A^T` packed 1.02-1.10x (21 of 28); AVX-512's 32 registers: level.
            (p, pa, pb) = if ldb == NR {
                hinted_steps(
                    simd, &mut acc, kc, pa, lda, pb, NR, &mut fetch, per_step, strided_a,
                )
            } else {
                hinted_steps(
                    simd, &mut acc, kc, pa, lda, pb, ldb, &mut fetch, per_step, strided_a,
                )
            };
        }
        while p < kc {
            rank1(simd, &mut acc, pa, pb, csb);
            pa = pa.wrapping_add(lda);
            pb = pb.wrapping_add(ldb);
            p += 1;
        }
    }

    // SAFETY: the tile at `c` (and at `c2` when it is not null) is valid by the contract.
    unsafe {
        store_tile(simd, &acc, alpha, beta, c, rs_c, cs_c, m, n);
        if !c2.is_null() {
            store_tile(simd, &acc, alpha2, beta2, c2, rs_c, cs_c, m, n);
        }
    }
}

/// The kernel's loop with hints, four steps at a time while four remain: asks `fetch` for
/// its lines and, when `A` is read in place (`strided_a`), the columns `A_PREFETCH_STEPS`
/// ahead. Returns the steps done and the advanced pointers.
///
/// # Safety
/// As [`kernel`]'s loop: step `p < kc` reads `MR` elements at `a + p * lda` and `NR` at
/// `b + p * ldb`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn hinted_steps<T: Float, S: Simd<T>, const MV: usize, const NR: usize>(
    simd: S,
    acc: &mut [[S::V; MV]; NR],
    kc: usize,
    mut pa: *const T,
    lda: usize,
    mut pb: *const T,
    ldb: usize,
    fetch: &mut Option<FetchCursor>,
    per_step: usize,
    strided_a: bool,
) -> (usize, *const T, *const T) {
    let mr = MV * S::LANES;
    let mut p = 0;
    while p + 4 <= kc {
        if let Some(f) = fetch.as_mut() {
            f.issue(per_step);
        }
        if strided_a {
            prefetch_a_columns::<T>(pa.wrapping_add(A_PREFETCH_STEPS * lda), lda, mr);
        }
        // SAFETY: steps p .. p + 4 are below kc, in bounds by the caller's contract.
        unsafe { rank4(simd, acc, pa, lda, pb, ldb) };
        pa = pa.wrapping_add(4 * lda);
        pb = pb.wrapping_add(4 * ldb);
        p += 4;
    }
    (p, pa, pb)
}

/// Writes `C <- alpha * acc + beta * C` for the `m x n` part of the tile (BLAS `beta == 0`).
///
/// # Safety
/// For every `i < m`, `j < n`, `c.offset(i * rs_c + j * cs_c)` is valid for reads and
/// writes; `m <= MR`, `n <= NR`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn store_tile<T: Float, S: Simd<T>, const MV: usize, const NR: usize>(
    simd: S,
    acc: &[[S::V; MV]; NR],
    alpha: T,
    beta: T,
    c: *mut T,
    rs_c: isize,
    cs_c: isize,
    m: usize,
    n: usize,
) {
    let mr = MV * S::LANES;
    let alpha_v = simd.splat(alpha);
    let beta_zero = beta == T::ZERO;
    let beta_v = simd.splat(beta);
    // The one arithmetic of both paths below, so an element rounds the same way in a full
    // tile and in an edge tile (a kernel's twins run full tiles where it has edges). With
    // beta == 0, `old` is ignored and C never read.
    let update = |v: S::V, old: S::V| {
        if beta_zero {
            simd.mul(v, alpha_v)
        } else {
            simd.mul_add(v, alpha_v, simd.mul(old, beta_v))
        }
    };
    if rs_c == 1 && m == mr && n == NR {
        // Full tile, contiguous columns: vector read-modify-write of C straight from registers.
        for (j, col) in acc.iter().enumerate() {
            // SAFETY: column j of the tile is the MR contiguous elements at c + j*cs_c, all
            // valid for reads and writes by the contract (m == MR, n == NR, rs_c == 1).
            unsafe {
                let cj = c.offset(j as isize * cs_c);
                for (i, v) in col.iter().enumerate() {
                    let p = cj.add(i * S::LANES);
                    let old = if beta_zero { *v } else { simd.load_ptr(p) };
                    simd.store_ptr(update(*v, old), p);
                }
            }
        }
    } else {
        // Edge tile or strided C: the same `update` on a column-major MR x NR stack copy of
        // C's part of the tile.
        let mut tile = [[simd.splat(T::ZERO); MV]; NR];
        // `Simd`'s contract: a register is LANES contiguous elements with no padding.
        const { assert!(size_of::<S::V>() == S::LANES * size_of::<T>()) };
        let tp = tile.as_mut_ptr() as *mut T;
        if !beta_zero {
            for j in 0..n {
                for i in 0..m {
                    // SAFETY: `tile` is NR * MV padding-free registers of LANES elements
                    // (asserted above), so element (i, j) is at j*MR + i < MR*NR; C's (i, j),
                    // i < m, j < n, is valid by the contract.
                    unsafe {
                        *tp.add(j * mr + i) = *c.offset(i as isize * rs_c + j as isize * cs_c)
                    };
                }
            }
        }
        for (t, col) in tile.iter_mut().zip(acc.iter()) {
            for (ti, v) in t.iter_mut().zip(col.iter()) {
                *ti = update(*v, *ti);
            }
        }
        let tp = tile.as_ptr() as *const T;
        for j in 0..n {
            for i in 0..m {
                // SAFETY: as for the copy in above.
                unsafe { *c.offset(i as isize * rs_c + j as isize * cs_c) = *tp.add(j * mr + i) };
            }
        }
    }
}

/// Instantiates [`kernel`] for one element type, ISA token and tile shape as an entry point
/// of type [`KernelFn`](crate::gemm::KernelFn) carrying the ISA's `#[target_feature]`
/// attribute (none for scalar): `microkernel!(#[attrs] name, f64, Token, MR x NR)`.
///
/// The entry point makes the token with `<$s>::new()`, a safe call only because the entry
/// point enables the token's target features (see [`Simd`]). `MR` must be a multiple of the
/// token's `LANES` (checked at compile time).
macro_rules! microkernel {
    ($(#[$attr:meta])* $name:ident, $t:ty, $s:ty, $mr:literal x $nr:literal) => {
        #[doc = concat!(
            "The ", stringify!($mr), " x ", stringify!($nr), " GEMM micro-kernel."
        )]
        ///
        /// # Safety
        /// The contract of [`kernel`](crate::generic::gemm::kernel) for this tile; when this
        /// function has target features, the CPU must support them.
        $(#[$attr])*
        #[allow(clippy::too_many_arguments)]
        pub(crate) unsafe fn $name(
            kc: usize,
            alpha: $t,
            a: *const $t,
            lda: usize,
            b: *const $t,
            ldb: usize,
            csb: usize,
            beta: $t,
            c: *mut $t,
            rs_c: isize,
            cs_c: isize,
            m: usize,
            n: usize,
            c2: *mut $t,
            alpha2: $t,
            beta2: $t,
            fetch: *const $crate::gemm::FetchRuns,
        ) {
            const LANES: usize = <$s as $crate::simd::Simd<$t>>::LANES;
            const { assert!(usize::is_multiple_of($mr, LANES)) };
            // Outside the `unsafe` block, so the compiler checks this function enables the
            // token's target features.
            let simd = <$s>::new();
            // SAFETY: this function's contract is the kernel's for an MR x NR tile.
            unsafe {
                $crate::generic::gemm::kernel::<$t, $s, { $mr / LANES }, $nr>(
                    simd,
                    kc,
                    alpha,
                    a,
                    lda,
                    b,
                    ldb,
                    csb,
                    beta,
                    c,
                    rs_c,
                    cs_c,
                    m,
                    n,
                    c2,
                    alpha2,
                    beta2,
                    fetch,
                )
            }
        }
    };
}
pub(crate) use microkernel;
