//! The portable path: one element per "register", no intrinsics.

use crate::vector::Vector;

/// A single element posing as a one-lane vector.
#[derive(Clone, Copy)]
pub(crate) struct One<T>(T);

macro_rules! one_lane {
    ($t:ty) => {
        impl Vector<$t> for One<$t> {
            const LANES: usize = 1;
            #[inline(always)]
            fn splat(x: $t) -> Self {
                One(x)
            }
            #[inline(always)]
            fn load(s: &[$t]) -> Self {
                One(s[0])
            }
            #[inline(always)]
            fn store(self, s: &mut [$t]) {
                s[0] = self.0;
            }
            #[inline(always)]
            fn add(self, b: Self) -> Self {
                One(self.0 + b.0)
            }
            #[inline(always)]
            fn sub(self, b: Self) -> Self {
                One(self.0 - b.0)
            }
            #[inline(always)]
            fn mul(self, b: Self) -> Self {
                One(self.0 * b.0)
            }
            #[inline(always)]
            fn mul_add(self, b: Self, c: Self) -> Self {
                // Unfused: a software fma would cost ~20x, and this path must stay portable.
                One(self.0 * b.0 + c.0)
            }
            #[inline(always)]
            fn min(self, b: Self) -> Self {
                if b.0 < self.0 {
                    b
                } else {
                    self
                }
            }
            #[inline(always)]
            fn max(self, b: Self) -> Self {
                if b.0 > self.0 {
                    b
                } else {
                    self
                }
            }
            #[inline(always)]
            fn mul_add_scalar(a: $t, b: $t, c: $t) -> $t {
                a * b + c
            }
            #[inline(always)]
            fn to_array(self, out: &mut [$t]) {
                out[0] = self.0;
            }
        }
    };
}
one_lane!(f64);
one_lane!(f32);

pub(crate) mod f64 {
    use super::One;
    crate::generic::entry_points!(f64, One<f64>);

    pub(crate) fn moments(x: &[f64]) -> crate::Moments {
        crate::generic::moments::<One<f64>>(x)
    }
}

pub(crate) mod f32 {
    use super::One;
    crate::generic::entry_points!(f32, One<f32>);
}
