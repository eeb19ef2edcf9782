//! GEMM register micro-kernels (the innermost loop of the Goto/BLIS scheme), per ISA, for
//! `f64` and `f32`.
//!
//! A micro-kernel computes one `MR x NR` tile of `C <- alpha * A_p * B_p + beta * C`, where
//! `A_p` is a packed `MR x kc` micro-panel (column `p` of the panel is the `MR` contiguous
//! elements at offset `p * MR`) and `B_p` a packed `kc x NR` micro-panel (row `p` is the `NR`
//! contiguous elements at offset `p * NR`). Packing, cache blocking and threading live in the
//! layer above (`fast-math`); this module is the register tile's public interface. The
//! kernel itself is written once over the crate's SIMD trait (`generic::gemm`) and
//! instantiated per ISA and tile shape beside the other per-ISA code (`arch`).
//!
//! | ISA       | f64 tile (MR x NR) | f32 tile (MR x NR) | accumulators |
//! |-----------|--------------------|--------------------|--------------|
//! | `Avx512`  | 24 x 8             | 48 x 8             | 24 zmm       |
//! | `Avx2Fma` | 8 x 6              | 16 x 6             | 12 ymm       |
//! | `Scalar`  | 4 x 4              | 4 x 4              | 16 scalars   |
//!
//! Every ISA also has a *narrow* variant ([`KernelShape::Narrow`]) with fewer rows
//! (AVX-512: 16 x 8 / 32 x 8, AVX2: 4 x 6 / 8 x 6, scalar: 4 x 4), which wastes less work on
//! small or triangular outputs such as a Gram matrix.
//!
//! Each tile also has a *half-width* twin, `MR x NR/2` (AVX-512 f64 24 x 4, AVX2 f64 8 x 3,
//! ...), which [`MicroKernel`] runs by itself for a tile of at most `NR / 2` columns: the last
//! panel of a product whose column count is not a multiple of `NR`, e.g. the 60 columns of a
//! randomized SVD's sketch, which the full AVX-512 tile computes as 64. It reads the same
//! packed panels and sums each element in the same order, and an edge tile stores through
//! the full tile's vector arithmetic (on a stack copy of its part of `C`), so the result is
//! the same bits. Measured on an Intel Xeon (one thread, the two shapes alternated in one
//! process, median ratio of their times): AVX-512, `10000 x 2000` by `2000 x 60` over
//! `2000 x 64` 0.998 -> 0.969 (the padded tile made 60 columns cost as much as 64), in L2
//! (`480 x 256`) 1.013-1.016 -> 0.960-0.973; AVX2 (capped), 51 columns over 48 in L2
//! 1.113 -> 1.074-1.082 (proportional: 1.062).
//!
//! Where a tile has more than one register of rows, a *short* twin with one register fewer
//! per column (AVX-512 f64 16 x 8 under 24 x 8 and 8 x 8 under 16 x 8, AVX2 f64 4 x 6 under
//! 8 x 6, f32 alike) runs the tiles of more than `NR / 2` columns that have few enough rows:
//! the last panel of rows of a product whose row count is not a multiple of `MR`. It reads
//! the first rows of the same packed panel, so the bits are again the same. Paired rounds on
//! the Xeon, `k = 256`: AVX-512, 64 rows over 48 by 64 columns 1.725-1.751 -> 1.651-1.652;
//! AVX2, 12 rows over 8 by 60 columns 1.833 -> 1.743.
//!
//! The wide AVX-512 tiles, three registers of rows, also have a *shorter* twin of one
//! register (f64 8 x 8, f32 16 x 8), and a tile runs on whichever twin that covers it has
//! the fewest elements: 8 rows of f64 by 4 columns go to 8 x 8 (64 elements), not 24 x 4
//! (96). Before, a last panel of one register of rows was computed two registers high.
//! Paired rounds on the Xeon, `k = n = 64`: f64 56 rows over 48 1.577-1.580 -> 1.419-1.453,
//! f32 64 rows over 48 1.973-1.985 -> 1.732-1.750.
//!
//! The kernel follows BLAS: when `beta == 0`, `C` is overwritten without being read, so NaN or
//! infinite values already in `C` do not propagate. Edge tiles (`m < MR` or `n < NR`) and
//! non-unit row strides go through a tile on the stack, so the caller only zero-pads the
//! packed panels.
//!
//! ```
//! use simd_kernels::gemm::{MicroKernel, KernelShape};
//! use simd_kernels::Isa;
//!
//! let kern = MicroKernel::<f64>::new(Isa::detect(), KernelShape::Wide);
//! let (mr, nr, kc) = (kern.mr(), kern.nr(), 3);
//! let a = vec![1.0; mr * kc]; // packed MR x kc panel of ones
//! let b = vec![2.0; kc * nr]; // packed kc x NR panel of twos
//! let mut c = vec![f64::NAN; mr * nr]; // column-major tile, leading dimension mr
//! kern.run_slices(kc, 1.0, &a, &b, 0.0, &mut c, 1, mr, mr, nr);
//! assert!(c.iter().all(|&x| x == 6.0));
//! ```

use crate::arch;
use crate::float::Float;
use crate::isa::Isa;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Signature shared by every micro-kernel.
///
/// Arguments: `kc`, `alpha`, `a` (column `p` of the `MR x kc` panel at `a + p * lda`),
/// `lda`, `b` (element `j` of row `p` of the `kc x NR` panel at `b + p * ldb + j * csb`),
/// `ldb`, `csb`, `beta`, `c`
/// (pointer to element `(0, 0)` of the tile), `rs_c`, `cs_c` (row and column strides of
/// `C`, in elements), `m <= MR` and `n <= NR` (the part of the tile that exists in `C`),
/// then an optional second output `c2` (null for none) with its `alpha2` and `beta2`,
/// sharing the strides of `C`, and last the lines to hint into L2 while the tile computes
/// (null for none, see [`FetchRuns`]).
pub type KernelFn<T> = unsafe fn(
    usize,
    T,
    *const T,
    usize,
    *const T,
    usize,
    usize,
    T,
    *mut T,
    isize,
    isize,
    usize,
    usize,
    *mut T,
    T,
    T,
    *const FetchRuns,
);

/// Memory a register tile asks into L2 while it computes, a few lines every four steps of
/// `k`, so the data the caller packs next streams in alongside the arithmetic instead of in
/// bursts between tiles (a burst of software prefetches fills the core's miss buffers and
/// stalls it): `runs` runs of `run_lines` cache lines each, the first line of run `r` at
/// `ptr + r * stride` bytes. Only a hint: any address will do.
#[derive(Clone, Copy, Debug)]
pub struct FetchRuns {
    /// First byte of the first run.
    pub ptr: *const u8,
    /// Bytes from the start of one run to the start of the next.
    pub stride: isize,
    /// Number of runs.
    pub runs: usize,
    /// Cache lines (64 bytes) per run.
    pub run_lines: usize,
}

/// Which register tile to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KernelShape {
    /// The fastest tile for large products (most rows per tile).
    Wide,
    /// A tile with fewer rows: less padding waste for small or triangular outputs.
    Narrow,
}

/// Element types that have GEMM micro-kernels: `f32` and `f64` (sealed).
pub trait GemmScalar: Float + sealed::Sealed {
    #[doc(hidden)]
    fn select_kernel(isa: Isa, shape: KernelShape) -> Tiles<Self>;
}

/// The tiles of one ISA, element type and shape: `MR x NR`, its `MR x NR/2` twin, and
/// shorter tiles of one and two registers fewer per column, `MR' x NR`, where `MR` holds
/// more registers than that.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Tiles<T> {
    mr: usize,
    nr: usize,
    full: KernelFn<T>,
    half: KernelFn<T>,
    short: Option<(usize, KernelFn<T>)>,
    shorter: Option<(usize, KernelFn<T>)>,
}

/// A micro-kernel selected for one ISA and element type: its tile shape and entry points.
///
/// A tile of at most `NR / 2` columns runs on the half-width twin (see the module docs),
/// which does half the multiply-adds of the full tile and gives the same bits; a tile of few
/// enough rows runs on a short twin, likewise: whichever twin that covers the tile has the
/// fewest elements.
///
/// Selecting is cheap but not free; select once per GEMM call and reuse it for every tile.
#[derive(Clone, Copy, Debug)]
pub struct MicroKernel<T> {
    isa: Isa,
    mr: usize,
    nr: usize,
    f: KernelFn<T>,
    /// The `MR x half_nr` twin, run when a tile has at most `half_nr` columns.
    half: KernelFn<T>,
    half_nr: usize,
    /// The `short_mr x NR` twin, for tiles of at most `short_mr` rows (`short_mr == 0`:
    /// none).
    short: KernelFn<T>,
    short_mr: usize,
    /// The `shorter_mr x NR` twin, one register of rows under `short` (`0`: none).
    shorter: KernelFn<T>,
    shorter_mr: usize,
}

impl<T: GemmScalar> MicroKernel<T> {
    /// The kernel of `shape` for `isa`.
    ///
    /// # Panics
    /// If the CPU does not support `isa`.
    #[track_caller]
    pub fn new(isa: Isa, shape: KernelShape) -> Self {
        isa.assert_supported();
        let t = T::select_kernel(isa, shape);
        MicroKernel {
            isa,
            mr: t.mr,
            nr: t.nr,
            f: t.full,
            half: t.half,
            half_nr: t.nr / 2,
            short: t.short.map_or(t.full, |(_, f)| f),
            short_mr: t.short.map_or(0, |(mr, _)| mr),
            shorter: t.shorter.map_or(t.full, |(_, f)| f),
            shorter_mr: t.shorter.map_or(0, |(mr, _)| mr),
        }
    }

    /// The ISA this kernel runs on.
    #[inline]
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// Rows of the register tile (MR).
    #[inline]
    pub fn mr(&self) -> usize {
        self.mr
    }

    /// Columns of the register tile (NR).
    #[inline]
    pub fn nr(&self) -> usize {
        self.nr
    }

    /// Computes `C[0..m, 0..n] <- alpha * A_p * B_p + beta * C[0..m, 0..n]` for one tile.
    ///
    /// `a` is a packed `MR x kc` panel, `b` a packed `kc x NR` panel (see the module docs);
    /// element `(i, j)` of the tile is at `c.offset(i * rs_c + j * cs_c)`. With
    /// `beta == 0`, `C` is only written, never read.
    ///
    /// # Safety
    /// - `a` must be valid for reads of `MR * kc` elements and `b` of `kc * NR` elements;
    /// - for every `i < m`, `j < n`, `c.offset(i * rs_c + j * cs_c)` must be valid for reads
    ///   and writes, and no other thread may access those elements during the call;
    /// - `m <= MR` and `n <= NR`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub unsafe fn run(
        &self,
        kc: usize,
        alpha: T,
        a: *const T,
        b: *const T,
        beta: T,
        c: *mut T,
        rs_c: isize,
        cs_c: isize,
        m: usize,
        n: usize,
    ) {
        // SAFETY: the caller upholds this function's contract, which is `run_strided`'s with
        // packed panels (lda = MR, ldb = NR).
        unsafe { self.run_strided(kc, alpha, a, self.mr, b, self.nr, beta, c, rs_c, cs_c, m, n) }
    }

    /// [`run`](Self::run) on panels with explicit strides: column `p` of the `MR x kc` panel
    /// of `A` is the `MR` contiguous elements at `a + p * lda`, and row `p` of the `kc x NR`
    /// panel of `B` the `NR` contiguous elements at `b + p * ldb`. With `lda = MR` and
    /// `ldb = NR` this is [`run`](Self::run); a row-major matrix can serve as both panels
    /// without packing (as in a Gram matrix `X^T X`).
    ///
    /// # Safety
    /// As [`run`](Self::run), with `a` valid for reads of `(kc - 1) * lda + MR` elements
    /// and `b` of `(kc - 1) * ldb + NR` elements when `kc > 0`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub unsafe fn run_strided(
        &self,
        kc: usize,
        alpha: T,
        a: *const T,
        lda: usize,
        b: *const T,
        ldb: usize,
        beta: T,
        c: *mut T,
        rs_c: isize,
        cs_c: isize,
        m: usize,
        n: usize,
    ) {
        // SAFETY: the caller upholds this function's contract, which is
        // `run_strided_fetching`'s.
        unsafe {
            self.run_strided_fetching(kc, alpha, a, lda, b, ldb, beta, c, rs_c, cs_c, m, n, None)
        }
    }

    /// [`run_strided`](Self::run_strided), hinting `fetch`'s lines into L2 while the tile
    /// computes (see [`FetchRuns`]); the result is the same.
    ///
    /// # Safety
    /// As [`run_strided`](Self::run_strided).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub unsafe fn run_strided_fetching(
        &self,
        kc: usize,
        alpha: T,
        a: *const T,
        lda: usize,
        b: *const T,
        ldb: usize,
        beta: T,
        c: *mut T,
        rs_c: isize,
        cs_c: isize,
        m: usize,
        n: usize,
        fetch: Option<&FetchRuns>,
    ) {
        // SAFETY: the caller upholds this function's contract, which is
        // `run_b_strided_fetching`'s with B's row `p` the `NR` contiguous elements at
        // `b + p * ldb`.
        unsafe {
            self.run_b_strided_fetching(
                kc,
                alpha,
                a,
                lda,
                (b, ldb, 1),
                beta,
                c,
                (rs_c, cs_c),
                (m, n),
                fetch,
            )
        }
    }

    /// [`run`](Self::run) writing the same product to two tiles: `C1 <- alpha1 * A_p B_p +
    /// beta1 * C1` and `C2 <- alpha2 * A_p B_p + beta2 * C2`, both with strides
    /// `(rs_c, cs_c)` (the micro-kernel of a fused Strassen level).
    ///
    /// # Safety
    /// As [`run`](Self::run) for both `c1` and `c2`, and the two tiles must not overlap.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub unsafe fn run_dual(
        &self,
        kc: usize,
        a: *const T,
        b: *const T,
        (alpha1, beta1, c1): (T, T, *mut T),
        (alpha2, beta2, c2): (T, T, *mut T),
        rs_c: isize,
        cs_c: isize,
        m: usize,
        n: usize,
    ) {
        debug_assert!(!c2.is_null());
        // SAFETY: the caller upholds this function's contract, which is `tile`'s with packed
        // panels (lda = MR, ldb = NR) and a second output that does not overlap the first.
        unsafe {
            self.tile(
                kc,
                a,
                self.mr,
                (b, self.nr, 1),
                (alpha1, beta1, c1),
                (alpha2, beta2, c2),
                rs_c,
                cs_c,
                m,
                n,
                None,
            )
        }
    }

    /// [`run_strided_fetching`](Self::run_strided_fetching) with `B`'s panel read in place
    /// from any strides: element `j` of row `p` at `b + p * rsb + j * csb`. With `rsb = 1`
    /// and `csb` the column stride of a column-major matrix, its `NR` columns are read
    /// where they lie, each a sequential stream the kernel fetches ahead, instead of being
    /// packed `NR` in lockstep first. Each element of the tile sums the same products in
    /// the same order as from a packed panel, so the result is the same bits.
    ///
    /// # Safety
    /// As [`run_strided`](Self::run_strided), with `b + p * rsb + j * csb` valid for reads
    /// for every `p < kc`, `j < NR`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub unsafe fn run_b_strided_fetching(
        &self,
        kc: usize,
        alpha: T,
        a: *const T,
        lda: usize,
        (b, rsb, csb): (*const T, usize, usize),
        beta: T,
        c: *mut T,
        (rs_c, cs_c): (isize, isize),
        (m, n): (usize, usize),
        fetch: Option<&FetchRuns>,
    ) {
        // SAFETY: the caller upholds this function's contract, which is `tile`'s with no
        // second output.
        unsafe {
            self.tile(
                kc,
                a,
                lda,
                (b, rsb, csb),
                (alpha, beta, c),
                (alpha, beta, std::ptr::null_mut()),
                rs_c,
                cs_c,
                m,
                n,
                fetch,
            )
        }
    }

    /// The one call of the kernel behind [`run`](Self::run), [`run_strided`](Self::run_strided),
    /// [`run_b_strided_fetching`](Self::run_b_strided_fetching) and
    /// [`run_dual`](Self::run_dual): `C1 <- alpha1 * A_p B_p + beta1 * C1` and, when `c2` is
    /// not null, `C2 <- alpha2 * A_p B_p + beta2 * C2`, on panels with strides `lda` and
    /// `(ldb, csb)` (see [`run_b_strided_fetching`](Self::run_b_strided_fetching)).
    ///
    /// # Safety
    /// As [`run_b_strided_fetching`](Self::run_b_strided_fetching) for `c1`, and, when `c2`
    /// is not null, for `c2` too, whose tile must not overlap `c1`'s.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    unsafe fn tile(
        &self,
        kc: usize,
        a: *const T,
        lda: usize,
        (b, ldb, csb): (*const T, usize, usize),
        (alpha1, beta1, c1): (T, T, *mut T),
        (alpha2, beta2, c2): (T, T, *mut T),
        rs_c: isize,
        cs_c: isize,
        m: usize,
        n: usize,
        fetch: Option<&FetchRuns>,
    ) {
        debug_assert!(
            m <= self.mr && n <= self.nr,
            "tile {m}x{n} exceeds {}x{}",
            self.mr,
            self.nr
        );
        // The half-width twin reads the first half_nr columns of each row of B's panel (row
        // p still at b + p * ldb), which are all the tile needs when n <= half_nr; a short
        // one the first short_mr (shorter_mr) rows of each column of A's (column p still at
        // a + p * lda), all it needs when m <= short_mr. Of those that cover the tile, the
        // one with the fewest elements does the fewest multiply-adds.
        let (mut f, mut area) = (self.f, self.mr * self.nr);
        for (fits, rows, cols, twin) in [
            (n <= self.half_nr, self.mr, self.half_nr, self.half),
            (m <= self.short_mr, self.short_mr, self.nr, self.short),
            (m <= self.shorter_mr, self.shorter_mr, self.nr, self.shorter),
        ] {
            if fits && rows * cols < area {
                (f, area) = (twin, rows * cols);
            }
        }
        // SAFETY: the caller upholds this function's contract, which is the kernel's
        // (`KernelFn`) for the full tile and so for its twins when they are chosen above;
        // `new` checked the CPU supports the kernels' ISA.
        unsafe {
            f(
                kc,
                alpha1,
                a,
                lda,
                b,
                ldb,
                csb,
                beta1,
                c1,
                rs_c,
                cs_c,
                m,
                n,
                c2,
                alpha2,
                beta2,
                fetch.map_or(std::ptr::null(), |f| f as *const FetchRuns),
            )
        }
    }

    /// [`run`](Self::run) on slices, with every access checked: a safe entry point for tests
    /// and one-off tiles. `c` holds the tile with element `(i, j)` at `i * rs_c + j * cs_c`.
    ///
    /// # Panics
    /// If a slice is too short for `kc`, the tile shape or the strides, or `m > MR`,
    /// `n > NR`.
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    pub fn run_slices(
        &self,
        kc: usize,
        alpha: T,
        a: &[T],
        b: &[T],
        beta: T,
        c: &mut [T],
        rs_c: usize,
        cs_c: usize,
        m: usize,
        n: usize,
    ) {
        assert!(
            m <= self.mr && n <= self.nr,
            "gemm micro-kernel: tile {m}x{n} exceeds {}x{}",
            self.mr,
            self.nr
        );
        assert!(
            a.len() >= self.mr * kc && b.len() >= self.nr * kc,
            "gemm micro-kernel: packed panels hold {} and {} elements, need {} and {}",
            a.len(),
            b.len(),
            self.mr * kc,
            self.nr * kc
        );
        if m == 0 || n == 0 {
            return;
        }
        let last = (m - 1) * rs_c + (n - 1) * cs_c;
        assert!(
            last < c.len(),
            "gemm micro-kernel: C holds {} elements, the tile reaches index {last}",
            c.len()
        );
        if m > 1 && n > 1 {
            // Distinct (i, j) must map to distinct elements, or the writes would race with
            // the reads within the tile.
            let (lo, hi) = if rs_c <= cs_c {
                (rs_c, cs_c)
            } else {
                (cs_c, rs_c)
            };
            let lo_extent = if rs_c <= cs_c { m } else { n };
            assert!(
                lo >= 1 && hi >= lo * lo_extent,
                "gemm micro-kernel: strides ({rs_c}, {cs_c}) alias within a {m}x{n} tile"
            );
        }
        // SAFETY: the panels are long enough (asserted), every tile element is in bounds of
        // `c` (largest offset asserted) and distinct (strides asserted), and `&mut c` gives
        // exclusive access.
        unsafe {
            self.run(
                kc,
                alpha,
                a.as_ptr(),
                b.as_ptr(),
                beta,
                c.as_mut_ptr(),
                rs_c as isize,
                cs_c as isize,
                m,
                n,
            )
        }
    }
}

mod tables;

#[cfg(test)]
mod tests;
