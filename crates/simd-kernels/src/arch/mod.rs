//! Per-ISA code, and nothing else: each module defines its ISA's token and registers (the
//! [`Simd`](crate::simd::Simd) impls) and stamps out the `#[target_feature]` entry points of
//! the slice kernels and the GEMM micro-kernels. The algorithms live in `generic`.

/// Declares an x86 register type and the [`Simd`](crate::simd::Simd) impl of an ISA token
/// for it, from the intrinsic names of that ISA.
#[cfg(target_arch = "x86_64")]
macro_rules! register {
    ($token:ident, $name:ident, $t:ty, $reg:ty, $lanes:expr, $registers:expr, $set1:ident, $loadu:ident,
     $storeu:ident, $add:ident, $sub:ident, $mul:ident, $fmadd:ident, $min:ident,
     $max:ident) => {
        #[doc = concat!("A register of ", stringify!($lanes), " `", stringify!($t), "` lanes.")]
        #[derive(Clone, Copy)]
        #[repr(transparent)]
        pub(crate) struct $name($reg);

        // Every intrinsic call below is justified by `self`: a `$token` exists only on a CPU
        // that supports its ISA (see the token's docs).
        impl $crate::simd::Simd<$t> for $token {
            type V = $name;
            const LANES: usize = $lanes;
            const REGISTERS: usize = $registers;
            #[inline(always)]
            fn splat(self, x: $t) -> $name {
                // SAFETY: `self` proves the CPU supports this ISA.
                $name(unsafe { $set1(x) })
            }
            #[inline(always)]
            fn load(self, s: &[$t]) -> $name {
                assert!(s.len() >= $lanes);
                // SAFETY: s holds at least LANES elements (asserted).
                unsafe { self.load_ptr(s.as_ptr()) }
            }
            #[inline(always)]
            fn store(self, v: $name, s: &mut [$t]) {
                assert!(s.len() >= $lanes);
                // SAFETY: s holds at least LANES writable elements (asserted).
                unsafe { self.store_ptr(v, s.as_mut_ptr()) }
            }
            #[inline(always)]
            unsafe fn load_ptr(self, p: *const $t) -> $name {
                // SAFETY: the caller guarantees LANES readable elements at `p`; the load is
                // unaligned; `self` proves the CPU supports this ISA.
                $name(unsafe { $loadu(p) })
            }
            #[inline(always)]
            unsafe fn store_ptr(self, v: $name, p: *mut $t) {
                // SAFETY: the caller guarantees LANES writable elements at `p`; the store is
                // unaligned; `self` proves the CPU supports this ISA.
                unsafe { $storeu(p, v.0) }
            }
            #[inline(always)]
            fn add(self, a: $name, b: $name) -> $name {
                // SAFETY: `self` proves the CPU supports this ISA.
                $name(unsafe { $add(a.0, b.0) })
            }
            #[inline(always)]
            fn sub(self, a: $name, b: $name) -> $name {
                // SAFETY: `self` proves the CPU supports this ISA.
                $name(unsafe { $sub(a.0, b.0) })
            }
            #[inline(always)]
            fn mul(self, a: $name, b: $name) -> $name {
                // SAFETY: `self` proves the CPU supports this ISA.
                $name(unsafe { $mul(a.0, b.0) })
            }
            #[inline(always)]
            fn mul_add(self, a: $name, b: $name, c: $name) -> $name {
                // SAFETY: `self` proves the CPU supports this ISA, FMA included.
                $name(unsafe { $fmadd(a.0, b.0, c.0) })
            }
            #[inline(always)]
            fn min(self, a: $name, b: $name) -> $name {
                // SAFETY: `self` proves the CPU supports this ISA.
                $name(unsafe { $min(a.0, b.0) })
            }
            #[inline(always)]
            fn max(self, a: $name, b: $name) -> $name {
                // SAFETY: `self` proves the CPU supports this ISA.
                $name(unsafe { $max(a.0, b.0) })
            }
            #[inline(always)]
            fn mul_add_scalar(self, a: $t, b: $t, c: $t) -> $t {
                // Inlined into an FMA-enabled entry point, this is one vfmadd instruction.
                a.mul_add(b, c)
            }
            #[inline(always)]
            fn to_array(self, v: $name, out: &mut [$t]) {
                <Self as $crate::simd::Simd<$t>>::store(self, v, out)
            }
        }
    };
}

pub(crate) mod scalar;

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
#[cfg(target_arch = "x86_64")]
mod interleave;
