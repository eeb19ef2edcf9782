//! From an [`Isa`] value to a kernel: the `dispatch!` macro, and the [`Float`] impls of `f32`
//! and `f64`, whose hidden kernel methods dispatch.

use crate::float::Float;
use crate::isa::Isa;

/// Runs `$t`'s kernel `$f` on the path `$isa`, after checking the CPU supports it.
macro_rules! dispatch {
    ($isa:expr, $t:ident :: $f:ident ( $($arg:expr),* )) => {{
        let isa: $crate::isa::Isa = $isa;
        isa.assert_supported();
        match isa {
            $crate::isa::Isa::Scalar => $crate::arch::scalar::$t::$f($($arg),*),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: assert_supported above returned, so the CPU has AVX2 and FMA.
            $crate::isa::Isa::Avx2Fma => unsafe { $crate::arch::avx2::$t::$f($($arg),*) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: assert_supported above returned, so the CPU has AVX-512F.
            $crate::isa::Isa::Avx512 => unsafe { $crate::arch::avx512::$t::$f($($arg),*) },
            #[cfg(not(target_arch = "x86_64"))]
            _ => unreachable!("assert_supported rejects SIMD ISAs off x86_64"),
        }
    }};
}
pub(crate) use dispatch;

macro_rules! impl_float {
    ($t:ident) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NAN: Self = $t::NAN;
            const INFINITY: Self = $t::INFINITY;
            const EPSILON: Self = $t::EPSILON;
            const NAME: &'static str = stringify!($t);
            const BYTES: usize = std::mem::size_of::<$t>();

            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                $t::min(self, other)
            }

            #[inline]
            fn dot_kernel(isa: Isa, a: &[Self], b: &[Self]) -> Self {
                dispatch!(isa, $t::dot(a, b))
            }
            #[inline]
            fn sum_kernel(isa: Isa, x: &[Self], next: &[Self]) -> Self {
                dispatch!(isa, $t::sum(x, next))
            }
            #[inline]
            fn sum_compensated_kernel(isa: Isa, x: &[Self], next: &[Self]) -> Self {
                dispatch!(isa, $t::sum_compensated(x, next))
            }
            #[inline]
            fn axpy_kernel(isa: Isa, alpha: Self, x: &[Self], y: &mut [Self]) {
                dispatch!(isa, $t::axpy(alpha, x, y))
            }
            #[inline]
            fn axpy_columns_kernel(isa: Isa, alphas: &[Self], cols: &[&[Self]], y: &mut [Self]) {
                dispatch!(isa, $t::axpy_columns(alphas, cols, y))
            }
            #[inline]
            fn scale_kernel(isa: Isa, alpha: Self, x: &mut [Self]) {
                dispatch!(isa, $t::scale(alpha, x))
            }
            #[inline]
            fn sub_scalar_into_kernel(isa: Isa, x: &[Self], c: Self, out: &mut [Self]) {
                dispatch!(isa, $t::sub_scalar_into(x, c, out))
            }
            #[inline]
            fn gram_lower_lanes_kernel(
                isa: Isa,
                cols: &[&[Self]],
                next: &[&[Self]],
                lanes: Option<&mut [Self]>,
                carry_in: bool,
                g: Option<&mut [Self]>,
            ) {
                dispatch!(isa, $t::gram_lower_lanes(cols, next, lanes, carry_in, g))
            }
            #[inline]
            fn interleave_rows_kernel(isa: Isa, rows: &[&[Self]], dst: &mut [Self]) {
                dispatch!(isa, $t::interleave_rows(rows, dst))
            }
            #[inline]
            fn min_max_kernel(isa: Isa, x: &[Self]) -> Option<(Self, Self)> {
                dispatch!(isa, $t::min_max(x))
            }
        }
    };
}
impl_float!(f32);
impl_float!(f64);
