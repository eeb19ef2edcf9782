//! Per-ISA register types and entry points. Thin by design: the algorithms live in
//! `generic`, and each module here only maps [`Vector`](crate::vector::Vector) onto one
//! instruction set and stamps out the `#[target_feature]` entry points.

/// Declares an x86 register type and its [`Vector`](crate::vector::Vector) impl from the
/// intrinsic names of one ISA.
#[cfg(target_arch = "x86_64")]
macro_rules! register {
    ($name:ident, $t:ty, $reg:ty, $lanes:expr, $set1:ident, $loadu:ident, $storeu:ident,
     $add:ident, $sub:ident, $mul:ident, $fmadd:ident, $min:ident, $max:ident) => {
        #[derive(Clone, Copy)]
        pub(crate) struct $name($reg);

        // SAFETY (for every unsafe block in this impl): values of this type are created only
        // inside their ISA module's `#[target_feature]` entry points, which the dispatcher
        // calls only after `Isa::assert_supported` confirmed the CPU supports that ISA.
        impl $crate::vector::Vector<$t> for $name {
            const LANES: usize = $lanes;
            #[inline(always)]
            fn splat(x: $t) -> Self {
                // SAFETY: the CPU supports this ISA (impl comment above).
                Self(unsafe { $set1(x) })
            }
            #[inline(always)]
            fn load(s: &[$t]) -> Self {
                assert!(s.len() >= $lanes);
                // SAFETY: s holds at least LANES elements (asserted); the load is unaligned;
                // the CPU supports this ISA (impl comment above).
                Self(unsafe { $loadu(s.as_ptr()) })
            }
            #[inline(always)]
            fn store(self, s: &mut [$t]) {
                assert!(s.len() >= $lanes);
                // SAFETY: s holds at least LANES writable elements (asserted); unaligned store.
                unsafe { $storeu(s.as_mut_ptr(), self.0) }
            }
            #[inline(always)]
            fn add(self, b: Self) -> Self {
                // SAFETY: the CPU supports this ISA (impl comment above).
                Self(unsafe { $add(self.0, b.0) })
            }
            #[inline(always)]
            fn sub(self, b: Self) -> Self {
                // SAFETY: the CPU supports this ISA (impl comment above).
                Self(unsafe { $sub(self.0, b.0) })
            }
            #[inline(always)]
            fn mul(self, b: Self) -> Self {
                // SAFETY: the CPU supports this ISA (impl comment above).
                Self(unsafe { $mul(self.0, b.0) })
            }
            #[inline(always)]
            fn mul_add(self, b: Self, c: Self) -> Self {
                // SAFETY: the CPU supports this ISA, FMA included (impl comment above).
                Self(unsafe { $fmadd(self.0, b.0, c.0) })
            }
            #[inline(always)]
            fn min(self, b: Self) -> Self {
                // SAFETY: the CPU supports this ISA (impl comment above).
                Self(unsafe { $min(self.0, b.0) })
            }
            #[inline(always)]
            fn max(self, b: Self) -> Self {
                // SAFETY: the CPU supports this ISA (impl comment above).
                Self(unsafe { $max(self.0, b.0) })
            }
            #[inline(always)]
            fn mul_add_scalar(a: $t, b: $t, c: $t) -> $t {
                // Inlined into an FMA-enabled entry point, this is one vfmadd instruction.
                a.mul_add(b, c)
            }
            #[inline(always)]
            fn to_array(self, out: &mut [$t]) {
                <Self as $crate::vector::Vector<$t>>::store(self, out)
            }
        }
    };
}

pub(crate) mod scalar;

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
