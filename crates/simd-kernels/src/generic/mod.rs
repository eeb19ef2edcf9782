//! Every algorithm of the crate, written once over the [`Simd`](crate::simd::Simd) trait: the
//! slice kernels, the loops of the machine probes, the GEMM micro-kernel and the Gram
//! matrix by column dot products.
//!
//! Nothing here names an ISA. The per-ISA modules of `arch` instantiate these functions inside
//! their `#[target_feature]` entry points, stamped out by [`entry_points!`] and
//! [`microkernel!`](gemm::microkernel); every function here is `#[inline(always)]`, so it is
//! compiled with the entry point's target features.

pub(crate) mod gemm;
pub(crate) mod gram;
pub(crate) mod histogram;
pub(crate) mod histogram_cols;
pub(crate) mod interleave;
pub(crate) mod probe;
pub(crate) mod slice;
pub(crate) mod split_scan;

/// Instantiates every slice kernel and probe loop for one element type and one ISA token as
/// safe functions carrying the ISA's `#[target_feature]` attribute (none for scalar).
///
/// Each entry point makes the token with `<$s>::new()`, a safe call only because the entry
/// point enables the token's target features (see [`Simd`](crate::simd::Simd)).
macro_rules! entry_points {
    ($(#[$attr:meta])* $t:ty, $s:ty) => {
        $(#[$attr])*
        pub(crate) fn dot(a: &[$t], b: &[$t]) -> $t {
            $crate::generic::slice::dot::<$t, $s>(<$s>::new(), a, b)
        }
        $(#[$attr])*
        pub(crate) fn sum(x: &[$t], next: &[$t]) -> $t {
            $crate::generic::slice::sum::<$t, $s>(<$s>::new(), x, next)
        }
        $(#[$attr])*
        pub(crate) fn sum_compensated(x: &[$t], next: &[$t]) -> $t {
            $crate::generic::slice::sum_compensated::<$t, $s>(<$s>::new(), x, next)
        }
        $(#[$attr])*
        pub(crate) fn axpy(alpha: $t, x: &[$t], y: &mut [$t]) {
            $crate::generic::slice::axpy::<$t, $s>(<$s>::new(), alpha, x, y)
        }
        $(#[$attr])*
        pub(crate) fn axpy_columns(alphas: &[$t], cols: &[&[$t]], y: &mut [$t]) {
            $crate::generic::slice::axpy_columns::<$t, $s>(<$s>::new(), alphas, cols, y)
        }
        $(#[$attr])*
        pub(crate) fn scale(alpha: $t, x: &mut [$t]) {
            $crate::generic::slice::scale::<$t, $s>(<$s>::new(), alpha, x)
        }
        $(#[$attr])*
        pub(crate) fn sub_scalar_into(x: &[$t], c: $t, out: &mut [$t]) {
            $crate::generic::slice::sub_scalar_into::<$t, $s>(<$s>::new(), x, c, out)
        }
        $(#[$attr])*
        pub(crate) fn fma_loop(iterations: u64) -> $t {
            $crate::generic::probe::fma_loop::<$t, $s>(<$s>::new(), iterations)
        }
        $(#[$attr])*
        pub(crate) fn read_probe(x: &[$t]) -> $t {
            $crate::generic::probe::read_probe::<$t, $s>(<$s>::new(), x)
        }
        $(#[$attr])*
        pub(crate) fn gram_lower_lanes(
            cols: &[&[$t]],
            next: &[&[$t]],
            lanes: Option<&mut [$t]>,
            carry_in: bool,
            g: Option<&mut [$t]>,
        ) {
            $crate::generic::gram::gram_lower_lanes::<$t, $s>(
                <$s>::new(), cols, next, lanes, carry_in, g,
            )
        }
        $(#[$attr])*
        pub(crate) fn min_max(x: &[$t]) -> Option<($t, $t)> {
            $crate::generic::slice::min_max::<$t, $s>(<$s>::new(), x)
        }
    };
}
pub(crate) use entry_points;
