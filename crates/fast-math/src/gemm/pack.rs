//! Packing: operands copied into micro-panel order, zero-padded at the edges, so the
//! micro-kernel never sees a partial panel or a stride.
//!
//! An [`Operand`] may be a sum `x + coef * y`; the sum is formed here, while packing, which
//! is what lets Strassen's last level run without temporary matrices.

use crate::{MatRef, Scalar};
use simd_kernels::gemm::FetchRuns;
use simd_kernels::Isa;

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

    /// The matrix itself when the operand is not a sum.
    pub(super) fn plain(self) -> Option<MatRef<'a, T>> {
        self.y.is_none().then_some(self.x)
    }

    pub(super) fn submatrix(self, i: usize, j: usize, r: usize, c: usize) -> Self {
        Operand {
            x: self.x.submatrix(i, j, r, c),
            y: self.y.map(|(k, y)| (k, y.submatrix(i, j, r, c))),
        }
    }
}

/// `Some(body)` with the const `$m` bound to `$mr` when it is one of the micro-kernels'
/// panel heights (so the body can use it as a const generic), `None` otherwise.
macro_rules! with_panel_height {
    ($mr:expr, $m:ident => $body:expr) => {
        match $mr {
            4 => Some({
                const $m: usize = 4;
                $body
            }),
            8 => Some({
                const $m: usize = 8;
                $body
            }),
            16 => Some({
                const $m: usize = 16;
                $body
            }),
            24 => Some({
                const $m: usize = 24;
                $body
            }),
            32 => Some({
                const $m: usize = 32;
                $body
            }),
            48 => Some({
                const $m: usize = 48;
                $body
            }),
            _ => None,
        }
    };
}

/// Packs rows `r0 .. r1` of the operand's `m x kb` block into consecutive micro-panels
/// (element `(r0 + q MR + i, p)` at `dst[q MR kb + p MR + i]`, zero past row `r1`), plus
/// `coef * y` when the operand is a sum. `dst` holds `ceil((r1 - r0) / MR) * MR * kb`
/// elements.
#[inline]
pub(super) fn pack_a_block_op<T: Scalar>(
    a: Operand<'_, T>,
    r0: usize,
    r1: usize,
    kb: usize,
    mr: usize,
    dst: &mut [T],
) {
    pack_a_block::<T, false>(a.x, T::ONE, r0, r1, kb, mr, dst);
    if let Some((coef, y)) = a.y {
        pack_a_block::<T, true>(y, coef, r0, r1, kb, mr, dst);
    }
}

/// `dst = a` (`ADD == false`, zero padding included) or `dst += coef * a` (`ADD == true`)
/// over the panels of rows `r0 .. r1`, visiting memory in the order it is laid out: a
/// column-major block is read down each column (one contiguous run of `r1 - r0` elements
/// per column, scattered into the panels), a row-major one along `MR` rows in lockstep.
/// Reading panel by panel instead touches a new page for every element of a tall
/// column-major operand, which costs as much as the multiplication when `n` is small.
#[inline]
fn pack_a_block<T: Scalar, const ADD: bool>(
    a: MatRef<'_, T>,
    coef: T,
    r0: usize,
    r1: usize,
    kb: usize,
    mr: usize,
    dst: &mut [T],
) {
    let mb = r1 - r0;
    let panels = mb.div_ceil(mr);
    debug_assert!(dst.len() == panels * mr * kb && a.ncols() >= kb && a.nrows() >= r1);
    let put = |d: &mut T, v: T| {
        if ADD {
            *d += coef * v
        } else {
            *d = v
        }
    };
    if a.row_stride() == 1 {
        // The common panel heights as fixed-size copies: a run-time length makes every
        // MR-element copy a call to memmove.
        let fixed = with_panel_height!(mr, MR => scatter_columns_on_isa::<T, MR, ADD>(
            Isa::detect(), a, coef, r0, mb, kb, dst
        ));
        if fixed.is_some() {
            return;
        }
        for p in 0..kb {
            for (q, src) in column_run(a, r0, mb, p).chunks(mr).enumerate() {
                let d = &mut dst[q * mr * kb + p * mr..][..mr];
                for (x, &v) in d.iter_mut().zip(src) {
                    put(x, v);
                }
                if !ADD {
                    d[src.len()..].fill(T::ZERO);
                }
            }
        }
        return;
    }
    for (q, panel) in dst.chunks_exact_mut(mr * kb).enumerate() {
        let i0 = r0 + q * mr;
        let rows = mr.min(r1 - i0);
        if a.col_stride() == 1
            && rows == mr
            && with_panel_height!(mr, MR => gather_rows::<T, MR, ADD>(a, coef, i0, kb, panel))
                .is_some()
        {
            continue;
        }
        for (p, d) in panel.chunks_exact_mut(mr).enumerate() {
            for (i, x) in d[..rows].iter_mut().enumerate() {
                // SAFETY: i0 + i < r1 <= m and p < kb: in bounds of the view. With a unit
                // column stride the `rows` reads of one `p` come from `rows` rows read
                // in lockstep, each sequentially.
                put(x, unsafe { a.get_unchecked(i0 + i, p) });
            }
            if !ADD {
                d[rows..].fill(T::ZERO);
            }
        }
    }
}

/// Rows `r0 .. r0 + mb` of column `p` of the column-major `a`.
#[inline(always)]
fn column_run<T: Scalar>(a: MatRef<'_, T>, r0: usize, mb: usize, p: usize) -> &[T] {
    debug_assert!(a.row_stride() == 1 && r0 + mb <= a.nrows() && p < a.ncols());
    // SAFETY: rows r0..r0 + mb of column p are in bounds (checked by the callers: r1 <= m,
    // p < kb) and consecutive (unit row stride) in the borrowed allocation.
    unsafe { std::slice::from_raw_parts(a.as_ptr().add(r0 + p * a.col_stride()), mb) }
}

/// Every column of a column-major block into the panels ([`scatter_column`]), compiled
/// for the widest vector moves the CPU has: this crate is built for baseline x86_64, where
/// a panel column (192 bytes of AVX-512's `f64` tile) moves in twelve 16-byte pieces, and
/// packing took 24% of the samples of a 64 x 64 product (AVX-512, Xeon); with these
/// moves, 64 x 64 products ran 1.11x (`f64`) and 1.16x (`f32`) as fast, 128 x 128 1.04x,
/// 1024 x 1024 level (medians of six alternated runs). An `isa` the CPU lacks falls back
/// to baseline moves; the moves never change a value.
#[inline]
fn scatter_columns_on_isa<T: Scalar, const MR: usize, const ADD: bool>(
    isa: Isa,
    a: MatRef<'_, T>,
    coef: T,
    r0: usize,
    mb: usize,
    kb: usize,
    dst: &mut [T],
) {
    #[cfg(target_arch = "x86_64")]
    if isa.is_supported() {
        match isa {
            Isa::Avx512 => {
                // SAFETY: the CPU supports AVX-512 (checked above), which implies AVX-512F.
                return unsafe { scatter_columns_avx512::<T, MR, ADD>(a, coef, r0, mb, kb, dst) };
            }
            Isa::Avx2Fma => {
                // SAFETY: the CPU supports AVX2 and FMA (checked above).
                return unsafe { scatter_columns_avx2::<T, MR, ADD>(a, coef, r0, mb, kb, dst) };
            }
            _ => {}
        }
    }
    scatter_columns::<T, MR, ADD>(a, coef, r0, mb, kb, dst)
}

/// [`scatter_columns`] compiled with a target feature: `scatter_columns_for!(name, "feature")`.
macro_rules! scatter_columns_for {
    ($name:ident, $feature:literal) => {
        #[doc = concat!("[`scatter_columns`] with `", $feature, "` moves.")]
        ///
        /// # Safety
        /// The CPU must support the target feature.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $feature)]
        unsafe fn $name<T: Scalar, const MR: usize, const ADD: bool>(
            a: MatRef<'_, T>,
            coef: T,
            r0: usize,
            mb: usize,
            kb: usize,
            dst: &mut [T],
        ) {
            scatter_columns::<T, MR, ADD>(a, coef, r0, mb, kb, dst)
        }
    };
}
scatter_columns_for!(scatter_columns_avx512, "avx512f");
scatter_columns_for!(scatter_columns_avx2, "avx2");

/// Columns `0 .. kb` (rows `r0 .. r0 + mb`) of the column-major `a` into their panels.
#[inline(always)]
fn scatter_columns<T: Scalar, const MR: usize, const ADD: bool>(
    a: MatRef<'_, T>,
    coef: T,
    r0: usize,
    mb: usize,
    kb: usize,
    dst: &mut [T],
) {
    for p in 0..kb {
        scatter_column::<T, MR, ADD>(column_run(a, r0, mb, p), coef, kb, p, dst);
    }
}

/// Column `p` of a column-major block (`col`, one value per row) into its place in every
/// `MR`-row panel of `dst` (`= v`, zero padded, or `+= coef * v` when `ADD`).
#[inline(always)]
fn scatter_column<T: Scalar, const MR: usize, const ADD: bool>(
    col: &[T],
    coef: T,
    kb: usize,
    p: usize,
    dst: &mut [T],
) {
    let mut chunks = col.chunks_exact(MR);
    let mut q = 0;
    for src in &mut chunks {
        let d: &mut [T; MR] = (&mut dst[q * MR * kb + p * MR..][..MR])
            .try_into()
            .expect("MR elements");
        let s: &[T; MR] = src.try_into().expect("MR elements");
        if ADD {
            for (x, &v) in d.iter_mut().zip(s) {
                *x += coef * v;
            }
        } else {
            copy_panel_column(s, d);
        }
        q += 1;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let d = &mut dst[q * MR * kb + p * MR..][..MR];
        for (x, &v) in d.iter_mut().zip(rest) {
            *x = if ADD { *x + coef * v } else { v };
        }
        if !ADD {
            d[rest.len()..].fill(T::ZERO);
        }
    }
}

/// `*d = *s` in pieces of 64 bytes: a copy of that size is inlined as vector moves, while
/// one of a whole AVX-512 `f64` panel column (192 bytes) was a call to memmove per column
/// of every panel (1.9% of a 1024 x 1024 product's samples on a Zen 5).
#[inline(always)]
fn copy_panel_column<T: Scalar, const MR: usize>(s: &[T; MR], d: &mut [T; MR]) {
    let piece = (64 / T::BYTES).max(1);
    for (dc, sc) in d.chunks_mut(piece).zip(s.chunks(piece)) {
        dc.copy_from_slice(sc);
    }
}

/// One full `MR`-row panel of a row-major block: rows `i0 .. i0 + MR`, columns `0 .. kb`,
/// read in lockstep (`MR` sequential streams) and written in panel order.
#[inline(always)]
fn gather_rows<T: Scalar, const MR: usize, const ADD: bool>(
    a: MatRef<'_, T>,
    coef: T,
    i0: usize,
    kb: usize,
    panel: &mut [T],
) {
    debug_assert!(a.col_stride() == 1 && i0 + MR <= a.nrows() && kb <= a.ncols());
    let rows: [&[T]; MR] = std::array::from_fn(|i| {
        // SAFETY: row i0 + i < nrows; its columns 0..kb are in bounds and consecutive
        // (unit column stride) in the borrowed allocation.
        unsafe { std::slice::from_raw_parts(a.as_ptr().add((i0 + i) * a.row_stride()), kb) }
    });
    if !ADD {
        // A transposing copy: register transposes where the ISA has them.
        simd_kernels::interleave_rows_with(Isa::detect(), &rows, &mut panel[..MR * kb]);
        return;
    }
    for (p, d) in panel.chunks_exact_mut(MR).enumerate() {
        for (x, row) in d.iter_mut().zip(&rows) {
            *x += coef * row[p];
        }
    }
}

/// Columns `j0 .. j0 + NR` of a column-major `kb x nb` block into one panel.
#[inline(always)]
fn gather_cols<T: Scalar, const NR: usize>(b: MatRef<'_, T>, j0: usize, kb: usize, dst: &mut [T]) {
    debug_assert!(b.row_stride() == 1 && j0 + NR <= b.ncols() && kb <= b.nrows());
    let cols: [&[T]; NR] = std::array::from_fn(|j| {
        // SAFETY: column j0 + j < ncols; its rows 0..kb are in bounds and consecutive
        // (unit row stride) in the borrowed allocation.
        unsafe { std::slice::from_raw_parts(b.as_ptr().add((j0 + j) * b.col_stride()), kb) }
    });
    simd_kernels::interleave_rows_with(Isa::detect(), &cols, &mut dst[..NR * kb]);
}

/// Asks the memory system for part `part` of `parts` of the block `x` (its plain operand
/// when it is a sum), which the driver will pack next: the next slice of `B`, a part
/// between two register tiles (the next block of `A` is fetched by the micro-kernel itself,
/// see [`fetch_part`]). Prefetches into L2 only (L1 holds the
/// kernel's panels), and only column-major blocks: their columns are contiguous runs the
/// hardware prefetchers do not follow from one to the next, while a row-major block is
/// packed along its rows in lockstep, sequential streams they do follow (measured:
/// prefetching it stalled on the prefetch instructions).
#[inline]
pub(super) fn prefetch_part<T: Scalar>(x: Operand<'_, T>, part: usize, parts: usize) {
    let x = x.x;
    if x.row_stride() != 1 {
        return;
    }
    let line = 64 / T::BYTES;
    let (runs, run_len) = (x.ncols(), x.nrows());
    let base = x.as_ptr();
    for run in share(part, parts, runs) {
        let p = base.wrapping_add(run * x.col_stride());
        for off in (0..run_len).step_by(line) {
            prefetch_l2(p.wrapping_add(off));
        }
    }
}

/// Part `part` of `parts` of the block `x` of `A` that the driver packs next, as the lines
/// a register tile fetches into L2 while it computes ([`FetchRuns`]: a few every four
/// steps of `k`, so the block streams in from memory alongside the arithmetic). The runs
/// are the block's contiguous columns (column-major) or rows (row-major). Asked for between
/// tiles instead, a slice per tile, the same lines came in bursts that filled the core's
/// miss buffers and stalled it (`perf` put the samples on the prefetch instructions): on an
/// Intel Xeon, one thread, `10000 x 2000` by `2000 x 60` (`A` in place) 48 -> 39 ms with
/// AVX-512 and 65 -> 60 ms with AVX2, and its transpose by `10000 x 60` (row-major `A`, not
/// fetched before) 42 -> 38 ms and 58 -> 53 ms; 1024 x 1024 level. `None` for an empty
/// share or a block with neither unit stride.
pub(super) fn fetch_part<T: Scalar>(
    x: Operand<'_, T>,
    part: usize,
    parts: usize,
) -> Option<FetchRuns> {
    let x = x.x;
    let (runs, run_len, stride) = if x.row_stride() == 1 {
        (x.ncols(), x.nrows(), x.col_stride())
    } else if x.col_stride() == 1 {
        (x.nrows(), x.ncols(), x.row_stride())
    } else {
        return None;
    };
    let mine = share(part, parts, runs);
    (!mine.is_empty() && run_len > 0).then(|| FetchRuns {
        ptr: x.as_ptr().wrapping_add(mine.start * stride).cast(),
        stride: (stride * T::BYTES) as isize,
        runs: mine.len(),
        run_lines: (run_len * T::BYTES).div_ceil(64),
    })
}

/// Part `part` of `parts` of `0..n`, the parts as even as whole items allow.
fn share(part: usize, parts: usize, n: usize) -> std::ops::Range<usize> {
    let parts = parts.max(1);
    part * n / parts..(part + 1) * n / parts
}

/// A hint to load the cache line holding `p` into L2 (no effect off x86_64).
#[inline(always)]
pub(super) fn prefetch_l2<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht1` is baseline SSE on x86_64 and architecturally a hint: it never
    // faults and reads nothing the program can observe, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(p as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// [`pack_b`] of `x`, plus `coef * y` when the operand is a sum.
#[inline]
pub(super) fn pack_b_op<T: Scalar>(
    b: Operand<'_, T>,
    j0: usize,
    kb: usize,
    nr: usize,
    dst: &mut [T],
) {
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
    } else if b.row_stride() == 1 && cols == nr && matches!(nr, 4 | 6 | 8) {
        // Column-major B: the NR columns read in lockstep (sequential streams), the panel
        // written in order.
        match nr {
            4 => gather_cols::<T, 4>(b, j0, kb, dst),
            6 => gather_cols::<T, 6>(b, j0, kb, dst),
            _ => gather_cols::<T, 8>(b, j0, kb, dst),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Mat;

    /// The vector-move copies of every ISA write what the plain loop writes: the panels,
    /// their zero padding, and the `+= coef * a` of a Strassen sum.
    #[test]
    fn column_scatter_is_the_same_on_every_isa() {
        let a = Mat::from_fn(61, 9, |i, j| (i * 10 + j) as f64 + 0.5);
        let (r0, mb, kb): (usize, usize, usize) = (3, 53, 7);
        let want = |add: bool| {
            let mut d = vec![1.0; mb.div_ceil(24) * 24 * kb];
            for p in 0..kb {
                for i in 0..mb.div_ceil(24) * 24 {
                    let v = if i < mb { a[(r0 + i, p)] } else { 0.0 };
                    let x = &mut d[(i / 24) * 24 * kb + p * 24 + i % 24];
                    *x = if add { *x + 2.0 * v } else { v };
                }
            }
            d
        };
        for isa in Isa::available() {
            let mut d = vec![1.0; mb.div_ceil(24) * 24 * kb];
            scatter_columns_on_isa::<f64, 24, false>(isa, a.as_ref(), 2.0, r0, mb, kb, &mut d);
            assert_eq!(d, want(false), "{isa:?}");
            let mut d = vec![1.0; mb.div_ceil(24) * 24 * kb];
            scatter_columns_on_isa::<f64, 24, true>(isa, a.as_ref(), 2.0, r0, mb, kb, &mut d);
            assert_eq!(d, want(true), "{isa:?}");
        }
    }
}
