//! `simd-kernels` (layer 1): slice kernels with runtime dispatch over AVX-512F, AVX2+FMA and
//! portable scalar code.
//!
//! Every kernel has a plain form, which runs on the best ISA this CPU has ([`Isa::detect`],
//! capped by the `SIMD_KERNELS_ISA` environment variable), and a `*_with` form that runs one
//! given [`Isa`]. The algorithms (slice kernels and GEMM micro-kernels alike) are written
//! once over one private SIMD trait; the per-ISA code only maps that trait onto intrinsics.
//!
//! ```
//! use simd_kernels::{dot, sum_compensated, moments, Isa};
//!
//! let a = [1.0, 2.0, 3.0];
//! let b = [4.0, 5.0, 6.0];
//! assert_eq!(dot(&a, &b), 32.0);
//! assert_eq!(sum_compensated(&[1e16, 1.0, -1e16]), 1.0);
//! let m = moments(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
//! assert_eq!(m.mean(), Some(5.0));
//! println!("running on {}", Isa::detect().name());
//! ```
//!
//! # Numerics
//! `sum`, `dot` and `axpy` use several accumulators and lane-wise partial sums, so their
//! rounding differs from a sequential loop and between ISAs (bounded by the usual
//! `n * eps * sum|x_i|`); for a given ISA and input the result is reproducible.
//! `sum_compensated` and `moments` are accurate to a few ulps and agree across ISAs.
//! The sign of a zero result is unspecified.

mod arch;
mod byte_heaps;
pub mod cache;
pub mod cpu;
mod cuts;
mod dispatch;
mod float;
pub mod gemm;
mod generic;
mod gram;
mod heaps;
mod histogram;
mod interleave;
mod isa;
mod moments;
pub mod probe;
mod simd;
mod split_scan;

pub use byte_heaps::{ByteHeaps, BYTE_HEAPS_MAX_DEPTH, BYTE_HEAPS_MAX_SLOTS};
pub use cuts::Cuts;
pub use float::Float;
pub use gram::{
    gram_l1_columns, gram_lanes_add_with, gram_lanes_len, gram_lower_add,
    gram_lower_add_ahead_with, gram_lower_add_with, GRAM_BLOCK_ROWS_MULTIPLE,
};
#[cfg(target_arch = "x86_64")]
pub use heaps::HEAP_WALK_ENV_VAR;
pub use heaps::{Heaps, HEAPS_MAX_DEPTH};
pub use histogram::{
    histogram_gh, histogram_gh_cols, histogram_gh_cols_with, histogram_gh_row_major,
    histogram_gh_row_major_with, histogram_gh_rows, histogram_gh_rows_with, histogram_gh_with,
};
pub use interleave::interleave_rows_with;
pub use isa::{Isa, ISA_ENV_VAR};
pub use moments::Moments;
pub use split_scan::{
    best_split_bin, best_split_bin_with, node_gain, SplitBin, SplitLimits, SPLIT_SCAN_MAX_ENTRIES,
};

/// Asks the cache for `x[i]` ahead of its use: a hint, with no effect on results (nothing
/// past the end of `x`, and nothing off x86_64). For a loop whose reads hop through memory
/// in an order the hardware cannot predict (rows of a tree's leaf, gathered by index), asked
/// a few dozen iterations ahead so the misses overlap.
#[inline(always)]
pub fn prefetch<T>(x: &[T], i: usize) {
    generic::slice::prefetch_read(x, i)
}

#[track_caller]
#[inline]
fn check_len(kernel: &str, a: usize, b: usize) {
    if a != b {
        len_mismatch(kernel, a, b)
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn len_mismatch(kernel: &str, a: usize, b: usize) -> ! {
    panic!("simd_kernels::{kernel}: slice lengths differ ({a} vs {b})")
}

/// Dot product `sum a[i] * b[i]`, with FMA on SIMD paths.
///
/// Error: at most `n * eps * sum |a[i] * b[i]|` (first order).
///
/// # Panics
/// If `a.len() != b.len()`; the message names both lengths.
#[inline]
#[track_caller]
pub fn dot<T: Float>(a: &[T], b: &[T]) -> T {
    dot_with(Isa::detect(), a, b)
}

/// [`dot`] on one given ISA.
///
/// # Panics
/// If the lengths differ, or the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn dot_with<T: Float>(isa: Isa, a: &[T], b: &[T]) -> T {
    check_len("dot", a.len(), b.len());
    T::dot_kernel(isa, a, b)
}

/// Sum of the elements (`0` for an empty slice).
///
/// Error: at most `n * eps * sum |x[i]|` (first order); use [`sum_compensated`] when the
/// terms cancel.
#[inline]
pub fn sum<T: Float>(x: &[T]) -> T {
    sum_with(Isa::detect(), x)
}

/// [`sum`] on one given ISA.
///
/// # Panics
/// If the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn sum_with<T: Float>(isa: Isa, x: &[T]) -> T {
    T::sum_kernel(isa, x, &[])
}

/// [`sum_with`] that also asks the cache for `next`, the slice the caller reads after `x`,
/// as [`sum_compensated_ahead_with`] does; the result is bit for bit that of [`sum_with`].
///
/// # Panics
/// If the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn sum_ahead_with<T: Float>(isa: Isa, x: &[T], next: &[T]) -> T {
    T::sum_kernel(isa, x, next)
}

/// Compensated (Neumaier) sum, lane-parallel.
///
/// Error: at most about `eps * |sum x[i]| + n * eps^2 * sum |x[i]|`, so cancellation costs
/// almost nothing: `sum_compensated(&[1e16, 1.0, -1e16]) == 1.0`. Results agree across ISAs
/// to within that bound. An infinity or NaN in the input gives the IEEE result of a plain
/// sum; a partial sum that overflows gives an infinity even if the exact total is finite.
#[inline]
pub fn sum_compensated<T: Float>(x: &[T]) -> T {
    sum_compensated_with(Isa::detect(), x)
}

/// [`sum_compensated`] on one given ISA.
///
/// # Panics
/// If the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn sum_compensated_with<T: Float>(isa: Isa, x: &[T]) -> T {
    T::sum_compensated_kernel(isa, x, &[])
}

/// [`sum_compensated_with`] that also asks the cache for `next`, the slice the caller reads
/// after `x`, while it sums `x`: when `x` is short (a column of a block of rows) its own
/// read-ahead would end with it and the next slice would start cold, from memory. The result
/// is bit for bit that of [`sum_compensated_with`]. `next` may have any length: its first
/// elements, as many as `x` has up to the read-ahead distance (1024 elements), are asked for.
///
/// # Panics
/// If the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn sum_compensated_ahead_with<T: Float>(isa: Isa, x: &[T], next: &[T]) -> T {
    T::sum_compensated_kernel(isa, x, next)
}

/// `y[i] += alpha * x[i]` (fused multiply-add on SIMD paths).
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
#[inline]
#[track_caller]
pub fn axpy<T: Float>(alpha: T, x: &[T], y: &mut [T]) {
    axpy_with(Isa::detect(), alpha, x, y)
}

/// [`axpy`] on one given ISA.
///
/// # Panics
/// If the lengths differ, or the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn axpy_with<T: Float>(isa: Isa, alpha: T, x: &[T], y: &mut [T]) {
    check_len("axpy", x.len(), y.len());
    T::axpy_kernel(isa, alpha, x, y)
}

/// `y[i] += sum_t alphas[t] * cols[t][i]`: [`axpy`] of each column in turn, with the same
/// result bit for bit, but `y` is loaded and stored once per eight columns instead of once
/// per column (`X theta` of a block of column-major rows, for instance).
///
/// # Panics
/// If `alphas` and `cols` differ in length, or a column's length differs from `y`'s; the
/// message names the lengths.
///
/// ```
/// use simd_kernels::{axpy, axpy_columns};
/// let (a, b) = ([1.0, 2.0, 3.0], [0.5, 0.25, 0.125]);
/// let mut y = [10.0, 20.0, 30.0];
/// axpy_columns(&[2.0, -4.0], &[&a, &b], &mut y);
/// let mut want = [10.0, 20.0, 30.0];
/// axpy(2.0, &a, &mut want);
/// axpy(-4.0, &b, &mut want);
/// assert_eq!(y, want);
/// ```
#[inline]
#[track_caller]
pub fn axpy_columns<T: Float>(alphas: &[T], cols: &[&[T]], y: &mut [T]) {
    axpy_columns_with(Isa::detect(), alphas, cols, y)
}

/// [`axpy_columns`] on one given ISA.
///
/// # Panics
/// As [`axpy_columns`]; also if the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn axpy_columns_with<T: Float>(isa: Isa, alphas: &[T], cols: &[&[T]], y: &mut [T]) {
    if alphas.len() != cols.len() {
        panic!(
            "simd_kernels::axpy_columns: {} coefficients for {} columns",
            alphas.len(),
            cols.len()
        );
    }
    for c in cols {
        check_len("axpy_columns", c.len(), y.len());
    }
    T::axpy_columns_kernel(isa, alphas, cols, y)
}

/// `x[i] *= alpha`, exactly rounded (identical on every ISA).
#[inline]
pub fn scale<T: Float>(alpha: T, x: &mut [T]) {
    scale_with(Isa::detect(), alpha, x)
}

/// [`scale`] on one given ISA.
///
/// # Panics
/// If the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn scale_with<T: Float>(isa: Isa, alpha: T, x: &mut [T]) {
    T::scale_kernel(isa, alpha, x)
}

/// `out[i] = x[i] - c`, exactly rounded (identical on every ISA): a column centered on its
/// mean into a buffer of the caller's, as PCA and standardization need.
///
/// # Panics
/// If the lengths differ.
///
/// ```
/// let mut out = [0.0; 3];
/// simd_kernels::sub_scalar_into(&[1.0, 2.5, 4.0], 2.5, &mut out);
/// assert_eq!(out, [-1.5, 0.0, 1.5]);
/// ```
#[inline]
#[track_caller]
pub fn sub_scalar_into<T: Float>(x: &[T], c: T, out: &mut [T]) {
    sub_scalar_into_with(Isa::detect(), x, c, out)
}

/// [`sub_scalar_into`] on one given ISA.
///
/// # Panics
/// If the lengths differ, or the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn sub_scalar_into_with<T: Float>(isa: Isa, x: &[T], c: T, out: &mut [T]) {
    check_len("sub_scalar_into", x.len(), out.len());
    T::sub_scalar_into_kernel(isa, x, c, out)
}

/// Smallest and largest element: `None` for an empty slice, `Some((NaN, NaN))` when any
/// element is NaN (as numpy's `min`/`max`). The sign of a zero extreme is unspecified.
#[inline]
pub fn min_max<T: Float>(x: &[T]) -> Option<(T, T)> {
    min_max_with(Isa::detect(), x)
}

/// [`min_max`] on one given ISA.
///
/// # Panics
/// If the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn min_max_with<T: Float>(isa: Isa, x: &[T]) -> Option<(T, T)> {
    T::min_max_kernel(isa, x)
}

/// Count, mean and central sums M2..M4 in one streaming pass.
///
/// The slice is processed in blocks of 1024 values; each block, while in L1 cache, gets an
/// exact-mean two-pass treatment, and blocks are combined with [`Moments::merge`]. This keeps
/// the variance of data with mean 1e9 and standard deviation 1 accurate to about 1e-12
/// relative, where the textbook `E[x^2] - E[x]^2` loses every digit.
#[inline]
pub fn moments(x: &[f64]) -> Moments {
    moments_with(Isa::detect(), x)
}

/// [`moments()`] on one given ISA.
///
/// # Panics
/// If the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn moments_with(isa: Isa, x: &[f64]) -> Moments {
    dispatch::dispatch!(isa, f64::moments(x))
}
