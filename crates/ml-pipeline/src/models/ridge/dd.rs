//! Double-double arithmetic: a value is the unevaluated sum `hi + lo` of two f64 with
//! `|lo| <= ulp(hi) / 2`, about 106 bits of significand (relative error ~1e-32 per
//! operation). [`RidgeAccumulator`](super::RidgeAccumulator) keeps its factor in it, so that
//! its QR, merges and back substitution lose nothing measurable against the float64 input:
//! the rows cannot be revisited to refine the answer, as `Ridge::fit` does.
//!
//! The algorithms are the error-free transformations (Knuth's TwoSum, TwoProduct by FMA) and
//! the double-word operations analysed by Joldes, Muller and Popescu ("Tight and rigorous
//! error bounds for basic building blocks of double-word arithmetic", TOMS 2017): addition
//! within `3 u^2`, multiplication within `4 u^2` (`u = 2^-53`). Division and square root
//! take a Newton-style correction of the f64 quotient or root, within a few `u^2`.
//! Non-finite inputs give non-finite (often NaN) results; callers check before.

use std::ops::{Add, Div, Mul, Neg, Sub};

/// `hi + lo`, normalized (`hi = fl(hi + lo)`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(in crate::models) struct Dd {
    pub(in crate::models) hi: f64,
    pub(in crate::models) lo: f64,
}

/// `s + e == a + b` exactly, `s = fl(a + b)` (Knuth; no ordering needed).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// As [`two_sum`], for `|a| >= |b|` (or `a == 0`) (Dekker).
#[inline(always)]
fn fast_two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    Dd {
        hi: s,
        lo: b - (s - a),
    }
}

/// `p + e == a * b` exactly (barring underflow): the FMA rounds only once.
#[inline(always)]
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

impl Dd {
    pub(in crate::models) const ZERO: Dd = Dd { hi: 0.0, lo: 0.0 };

    /// The exact value of an f64.
    #[inline(always)]
    pub(in crate::models) const fn from_f64(v: f64) -> Dd {
        Dd { hi: v, lo: 0.0 }
    }

    /// The pair `hi + lo` as it is, for parts taken from a normalized value.
    #[inline(always)]
    pub(in crate::models) const fn from_parts(hi: f64, lo: f64) -> Dd {
        Dd { hi, lo }
    }

    /// The nearest f64 (the pair is normalized, so `hi` is within half an ulp; adding `lo`
    /// rounds it correctly except in ties).
    #[inline(always)]
    pub(in crate::models) fn to_f64(self) -> f64 {
        self.hi + self.lo
    }

    #[inline(always)]
    pub(in crate::models) fn is_finite(self) -> bool {
        self.hi.is_finite() && self.lo.is_finite()
    }

    /// `self * b` for an f64 `b` (DWTimesFP3, within `2 u^2`).
    #[inline(always)]
    pub(in crate::models) fn mul_f64(self, b: f64) -> Dd {
        let (ch, cl1) = two_prod(self.hi, b);
        let cl3 = self.lo.mul_add(b, cl1);
        fast_two_sum(ch, cl3)
    }

    /// The square root: the f64 root `s` corrected by `(x - s^2) / 2s`, one Newton step,
    /// whose residual is formed in double-double.
    pub(in crate::models) fn sqrt(self) -> Dd {
        if self.hi <= 0.0 {
            // Zero stays zero; a negative argument gives NaN, as f64 does.
            return Dd::from_f64(self.hi.sqrt());
        }
        let s = self.hi.sqrt();
        let r = self - Dd::from_f64(s).mul_f64(s);
        fast_two_sum(s, r.hi / (2.0 * s))
    }
}

impl Add for Dd {
    type Output = Dd;

    /// AccurateDWPlusDW: within `3 u^2` even when the operands cancel.
    #[inline(always)]
    fn add(self, y: Dd) -> Dd {
        let (sh, sl) = two_sum(self.hi, y.hi);
        let (th, tl) = two_sum(self.lo, y.lo);
        let c = fast_two_sum(sh, sl + th);
        fast_two_sum(c.hi, c.lo + tl)
    }
}

impl Neg for Dd {
    type Output = Dd;

    #[inline(always)]
    fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
}

impl Sub for Dd {
    type Output = Dd;

    #[inline(always)]
    fn sub(self, y: Dd) -> Dd {
        self + -y
    }
}

impl Mul for Dd {
    type Output = Dd;

    /// DWTimesDW3: within `4 u^2`.
    #[inline(always)]
    fn mul(self, y: Dd) -> Dd {
        let (ch, cl1) = two_prod(self.hi, y.hi);
        let tl0 = self.lo * y.lo;
        let tl1 = self.hi.mul_add(y.lo, tl0);
        let cl2 = self.lo.mul_add(y.hi, tl1);
        fast_two_sum(ch, cl1 + cl2)
    }
}

impl Div for Dd {
    type Output = Dd;

    /// Long division (the QD library's `accurate_div`): three f64 quotient digits, each
    /// from the remainder left by the previous ones, computed in double-double.
    fn div(self, y: Dd) -> Dd {
        let q1 = self.hi / y.hi;
        let r = self - y.mul_f64(q1);
        let q2 = r.hi / y.hi;
        let r = r - y.mul_f64(q2);
        let q3 = r.hi / y.hi;
        fast_two_sum(q1, q2) + Dd::from_f64(q3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigInt;
    use num_rational::BigRational;
    use num_traits::{FromPrimitive, Signed, ToPrimitive, Zero};

    fn exact(v: Dd) -> BigRational {
        BigRational::from_f64(v.hi).unwrap() + BigRational::from_f64(v.lo).unwrap()
    }

    /// `|got - want| / |want|`, as f64 (scaled by 2^140 before the conversion so errors
    /// near `u^2` keep their digits).
    fn rel(got: &BigRational, want: &BigRational) -> f64 {
        if want.is_zero() {
            return if got.is_zero() { 0.0 } else { f64::INFINITY };
        }
        let scale = BigRational::from_integer(BigInt::from(1u8) << 140);
        let e = ((got - want) / want).abs() * scale;
        e.to_integer().to_f64().unwrap() / 2f64.powi(140)
    }

    /// Deterministic double-doubles across many magnitudes and both signs, including pairs
    /// that nearly cancel.
    fn samples() -> Vec<Dd> {
        let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut out = Vec::new();
        for i in 0..60 {
            let e = (i % 15) * 7 - 50;
            let hi = (next() + 0.5) * 2f64.powi(e) * if i % 2 == 0 { 1.0 } else { -1.0 };
            let lo = (next() - 0.5) * hi.abs() * f64::EPSILON;
            out.push(fast_two_sum(hi, lo));
        }
        let x = out[3];
        out.push(-x + Dd::from_f64(x.hi * (1.0 + f64::EPSILON)));
        out
    }

    const U2: f64 = f64::EPSILON * f64::EPSILON / 4.0;

    #[test]
    fn operations_are_within_a_few_units_of_double_double_rounding() {
        let xs = samples();
        for &a in &xs {
            let ea = exact(a);
            for &b in &xs {
                let eb = exact(b);
                let sum = exact(a + b);
                assert!(rel(&sum, &(&ea + &eb)) <= 3.0 * U2, "{a:?} + {b:?}");
                let diff = exact(a - b);
                assert!(rel(&diff, &(&ea - &eb)) <= 3.0 * U2, "{a:?} - {b:?}");
                let prod = exact(a * b);
                assert!(rel(&prod, &(&ea * &eb)) <= 4.0 * U2, "{a:?} * {b:?}");
                let quot = exact(a / b);
                assert!(rel(&quot, &(&ea / &eb)) <= 8.0 * U2, "{a:?} / {b:?}");
            }
        }
    }

    #[test]
    fn results_stay_normalized() {
        let xs = samples();
        for &a in &xs {
            for &b in &xs {
                for v in [a + b, a - b, a * b, a / b] {
                    assert_eq!(v.hi, v.hi + v.lo, "{v:?}");
                }
            }
        }
    }

    #[test]
    fn square_root_squares_back_within_a_few_units() {
        for a in samples() {
            let x = Dd {
                hi: a.hi.abs(),
                lo: a.lo.copysign(a.hi),
            };
            let s = exact(x.sqrt());
            // |s^2 / x - 1| ~ 2 |s / sqrt(x) - 1|.
            assert!(rel(&(&s * &s), &exact(x)) <= 8.0 * U2, "sqrt {x:?}");
        }
        assert_eq!(Dd::ZERO.sqrt(), Dd::ZERO);
        assert!(Dd::from_f64(-1.0).sqrt().hi.is_nan());
    }
}
