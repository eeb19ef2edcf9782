//! Differential fuzzing of every slice kernel of `simd-kernels` on every available ISA,
//! against scalar references, within each kernel's documented guarantee:
//!
//! | kernel                  | types    | reference and check                                   |
//! |-------------------------|----------|-------------------------------------------------------|
//! | `sum_with`              | f64, f32 | exact sum; error <= n eps sum abs(x)                  |
//! | `sum_compensated_with`  | f64, f32 | exact sum; error <= 2 eps abs(S) + 4 n eps^2 sum abs(x) |
//! | `dot_with`              | f64, f32 | exact dot; error <= n eps sum abs(a b) (+ underflow)  |
//! | `axpy_with`             | f64, f32 | SIMD: == fused `x.mul_add(alpha, y)`; scalar: fused or `x * alpha + y` |
//! | `scale_with`            | f64, f32 | bit-identical to `x * alpha`                          |
//! | `min_max_with`          | f64, f32 | exact; NaN anywhere -> (NaN, NaN); empty -> None      |
//! | `moments_with`          | f64      | two-pass exact reference, condition-scaled tolerance |
//!
//! Inputs holding NaN or infinities must give the IEEE answer of the plain operation (NaN,
//! or the one infinity); where a finite overflow is possible only what IEEE order-independence
//! guarantees is checked. The plain forms (`sum`, `dot`, ...) must equal the `*_with` form on
//! `Isa::detect()` bit for bit (results are documented as reproducible per ISA).
//!
//! Input layout: `[selector, flags, aux, body...]`.
//! - `selector % 11` picks the kernel and element type (see [`KERNELS`]).
//! - `flags & 3` picks how `body` becomes values: 0 tame (bounded finite values from raw
//!   little-endian words), 1 raw bit patterns (NaN, infinities, subnormals, huge), 2 one byte
//!   per value (small multiples of 1/4 and -0.0: ties, duplicates, zeros), 3 expanded (length,
//!   seed and shape from the body; up to 2000 values with a chosen level and spread).
//! - `(flags >> 2) & 7` plants specials: 3 -0.0 and a subnormal, 4 NaN, 5 +inf, 6 -inf,
//!   7 +inf and -inf.
//! - `flags >> 5` is a misalignment offset (0..8 elements) of the slices.
//! - `aux & 15` picks alpha for `axpy`/`scale`; `aux` also moves the planted specials.
#![no_main]

/// The exact references of the crate's own tests (Shewchuk sums, two-pass moments).
#[path = "../../crates/simd-kernels/tests/common/mod.rs"]
mod reference;

use libfuzzer_sys::fuzz_target;
use reference::{exact_sum, reference_moments, Rng};
use simd_kernels::{Float, Isa, Moments};

/// Longest vector a single input produces.
const MAX_LEN: usize = 2000;

/// Magnitude cap of the values fed to `moments`: fourth powers of deviations, summed over
/// 2000 values, stay far from overflow.
const MOMENTS_TAME: f64 = 1e60;

// ---------------------------------------------------------------------------------------
// Element types
// ---------------------------------------------------------------------------------------

/// What the harness needs of an element type beyond [`Float`].
trait Elem: Float + std::fmt::LowerExp {
    /// Largest finite value, widened.
    const MAX: f64;
    /// Smallest positive subnormal, widened.
    const DENORM_MIN: f64;
    /// Magnitude cap of "tame" values: sums of 2000 products of two of them (or of alpha
    /// times one) stay far below `MAX`.
    const TAME: f64;
    /// Decodes `Self::BYTES` little-endian bytes.
    fn from_le(b: &[u8]) -> Self;
    /// The bit pattern, zero-extended.
    fn bits(self) -> u64;
    /// `a * b + c` with a single rounding.
    fn fused(a: Self, b: Self, c: Self) -> Self;
}

impl Elem for f64 {
    const MAX: f64 = f64::MAX;
    const DENORM_MIN: f64 = f64::from_bits(1);
    const TAME: f64 = 1e100;
    fn from_le(b: &[u8]) -> Self {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[..8]);
        f64::from_le_bytes(w)
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn fused(a: Self, b: Self, c: Self) -> Self {
        a.mul_add(b, c)
    }
}

impl Elem for f32 {
    const MAX: f64 = f32::MAX as f64;
    const DENORM_MIN: f64 = f32::from_bits(1) as f64;
    const TAME: f64 = 1e15;
    fn from_le(b: &[u8]) -> Self {
        let mut w = [0u8; 4];
        w.copy_from_slice(&b[..4]);
        f32::from_le_bytes(w)
    }
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn fused(a: Self, b: Self, c: Self) -> Self {
        a.mul_add(b, c)
    }
}

fn eps<T: Elem>() -> f64 {
    T::EPSILON.to_f64()
}

/// Keeps finite values up to `cap` in magnitude; maps anything else to an integer in
/// -1000..=1000 derived from its bits.
fn tame<T: Elem>(v: T, cap: f64) -> T {
    if v.is_finite() && v.to_f64().abs() <= cap {
        v
    } else {
        T::from_f64((v.bits() % 2001) as f64 - 1000.0)
    }
}

/// Same value, or both NaN (the sign of a zero is not compared).
fn same<T: Elem>(a: T, b: T) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Bit-identical, or both NaN.
fn identical<T: Elem>(a: T, b: T) -> bool {
    a.bits() == b.bits() || (a.is_nan() && b.is_nan())
}

// ---------------------------------------------------------------------------------------
// Exact references
// ---------------------------------------------------------------------------------------

/// What IEEE arithmetic guarantees for a sum of terms, whatever the order of the additions.
#[derive(Debug)]
enum Expect {
    /// A NaN term, or infinities of both signs: NaN.
    Nan,
    /// Infinities of one sign and no possible overflow: that infinity.
    Inf(f64),
    /// Infinities of one sign, and finite terms large enough to overflow in some order
    /// (possibly to the other infinity): that infinity or NaN.
    InfOrNan(f64),
    /// Finite terms, no possible overflow: within the kernel's bound of `exact`.
    Finite { exact: f64, abs: f64 },
    /// Finite terms that may overflow: nothing is promised.
    Anything,
}

/// Classifies a sum. `special` holds the non-finite terms, `finite` the finite ones (each
/// possibly split into exact parts, as a product `p + e`); `abs` is the sum of their
/// magnitudes (possibly infinite for f64 products that overflow); `max` the type's largest
/// finite value. Below `max / 4` no partial sum, TwoSum or FMA intermediate can overflow.
fn expect(special: &[f64], finite: &[f64], abs: f64, max: f64) -> Expect {
    let nan = special.iter().any(|v| v.is_nan());
    let pinf = special.contains(&f64::INFINITY);
    let ninf = special.contains(&f64::NEG_INFINITY);
    let overflow = !(abs <= max / 4.0);
    match (nan || (pinf && ninf), pinf, ninf, overflow) {
        (true, ..) => Expect::Nan,
        (false, true, _, false) => Expect::Inf(f64::INFINITY),
        (false, true, _, true) => Expect::InfOrNan(f64::INFINITY),
        (false, _, true, false) => Expect::Inf(f64::NEG_INFINITY),
        (false, _, true, true) => Expect::InfOrNan(f64::NEG_INFINITY),
        (false, false, false, false) => Expect::Finite {
            exact: exact_sum(finite.iter().copied()),
            abs,
        },
        (false, false, false, true) => Expect::Anything,
    }
}

/// Checks a reduction result against its [`Expect`], with `bound(exact, abs)` the allowed
/// absolute error of a finite result.
fn check_reduction(
    what: &str,
    isa: Isa,
    got: f64,
    want: &Expect,
    bound: impl Fn(f64, f64) -> f64,
    input: &dyn std::fmt::Debug,
) {
    let ok = match *want {
        Expect::Nan => got.is_nan(),
        Expect::Inf(s) => got == s,
        Expect::InfOrNan(s) => got == s || got.is_nan(),
        Expect::Finite { exact, abs } => {
            let b = bound(exact, abs);
            // Written so that a NaN result fails.
            (got - exact).abs() <= b
        }
        Expect::Anything => true,
    };
    assert!(
        ok,
        "{isa:?} {what}: got {got:e}, want {want:?} (bound {:e}); input {input:?}",
        match *want {
            Expect::Finite { exact, abs } => bound(exact, abs),
            _ => 0.0,
        }
    );
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Up to `MAX_LEN` values: `len` (2 bytes), `seed` (8 bytes) and `shape` (1 byte) from the
/// body, values `level + spread * noise`, then the rest of the body overwrites the first
/// values (tame), so the fuzzer steers both the bulk and the details.
fn expand<T: Elem>(body: &[u8], cap: f64) -> Vec<T> {
    let byte = |i: usize| body.get(i).copied().unwrap_or(0);
    let len = usize::from(u16::from_le_bytes([byte(0), byte(1)])) % (MAX_LEN + 1);
    let seed = (2..10).fold(0u64, |s, i| s << 8 | u64::from(byte(i)));
    let shape = byte(10);
    const LEVELS: [f64; 8] = [0.0, 1.0, 1e3, -1e6, 1e9, 3.7e12, -1e-5, 1e15];
    const SPREADS: [f64; 4] = [1e-6, 1e-2, 1.0, 1e4];
    let level = LEVELS[usize::from(shape & 7)];
    let spread = SPREADS[usize::from(shape >> 3 & 3)];
    let kind = shape >> 5 & 3;
    let mut rng = Rng::new(seed);
    let mut v: Vec<T> = (0..len)
        .map(|_| {
            let u = rng.uniform();
            let noise = match kind {
                0 => 2.0 * u - 1.0,
                // Heavy tail: 1 / u, random sign.
                1 => (1.0 / u.max(1e-9)).copysign(rng.uniform() - 0.5),
                // Exponential (skewed).
                2 => -(u.max(1e-300)).ln(),
                _ => (rng.next_u64() % 17) as f64 - 8.0,
            };
            T::from_f64((level + spread * noise).clamp(-cap, cap))
        })
        .collect();
    for (slot, c) in v.iter_mut().zip(body.get(11..).unwrap_or(&[]).chunks_exact(T::BYTES)) {
        *slot = tame(T::from_le(c), cap);
    }
    v
}

/// Decodes the body into at most `MAX_LEN` values and plants specials (see the module docs).
fn decode<T: Elem>(flags: u8, aux: u8, body: &[u8], cap: f64) -> Vec<T> {
    let mut v: Vec<T> = match flags & 3 {
        0 => body
            .chunks_exact(T::BYTES)
            .map(|c| tame(T::from_le(c), cap))
            .collect(),
        1 => body.chunks_exact(T::BYTES).map(T::from_le).collect(),
        2 => body
            .iter()
            .map(|&b| {
                if b == 0x80 {
                    -T::ZERO
                } else {
                    T::from_f64(f64::from(b as i8) / 4.0)
                }
            })
            .collect(),
        _ => expand(body, cap),
    };
    v.truncate(MAX_LEN);
    let len = v.len();
    if len > 0 {
        let h = fnv(body) as usize;
        let p1 = (h ^ usize::from(aux >> 4) * 7919) % len;
        let p2 = (p1 + 1 + usize::from(aux)) % len;
        match flags >> 2 & 7 {
            3 => {
                v[p1] = -T::ZERO;
                let sub = T::from_f64(3.0 * T::DENORM_MIN);
                v[p2] = if aux & 0x10 != 0 { -sub } else { sub };
            }
            4 => v[p1] = T::NAN,
            5 => v[p1] = T::INFINITY,
            6 => v[p1] = -T::INFINITY,
            7 => {
                v[p1] = T::INFINITY;
                v[p2] = -T::INFINITY;
            }
            _ => {}
        }
    }
    v
}

/// `v` copied behind `off` leading zeros, so the kernels see misaligned starts.
fn shifted<T: Elem>(v: &[T], off: usize) -> Vec<T> {
    let mut buf = vec![T::ZERO; off];
    buf.extend_from_slice(v);
    buf
}

/// The alpha of `axpy` and `scale`: a fixed menu, or (15) the first value, taken out of `v`.
fn pick_alpha<T: Elem>(aux: u8, v: &mut Vec<T>) -> T {
    const MENU: [f64; 15] = [
        0.0,
        1.0,
        -1.0,
        0.5,
        2.0,
        -0.0,
        3.0,
        0.1,
        -2.5e-3,
        1e10,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e-300,
        f64::MAX,
    ];
    match MENU.get(usize::from(aux & 15)) {
        Some(&a) => T::from_f64(a),
        None if v.is_empty() => T::from_f64(1.5),
        None => v.remove(0),
    }
}

// ---------------------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------------------

fn check_sum<T: Elem>(x: &[T]) {
    let n = x.len() as f64;
    let w: Vec<f64> = x.iter().map(|v| v.to_f64()).collect();
    let (fin, spec): (Vec<f64>, Vec<f64>) = w.iter().partition(|v| v.is_finite());
    let abs: f64 = fin.iter().map(|v| v.abs()).sum();
    let want = expect(&spec, &fin, abs, T::MAX);
    let e = eps::<T>();
    for isa in Isa::available() {
        // Documented: error at most n * eps * sum |x| (additions never lose accuracy to
        // underflow, so no absolute slack is needed).
        let got = simd_kernels::sum_with(isa, x).to_f64();
        check_reduction("sum", isa, got, &want, |_, abs| n * e * abs, &x);
        // Documented: "about" eps * |S| + n * eps^2 * sum |x|. Inputs built so that the
        // compensation's own roundings all go one way reach 1.9 times that on the scalar
        // path, so allow 2x on the first term and 4x on the second (as the crate's tests do).
        let got = simd_kernels::sum_compensated_with(isa, x).to_f64();
        check_reduction(
            "sum_compensated",
            isa,
            got,
            &want,
            |exact, abs| 2.0 * e * exact.abs() + 4.0 * n * e * e * abs,
            &x,
        );
    }
    let isa = Isa::detect();
    assert!(identical(simd_kernels::sum(x), simd_kernels::sum_with(isa, x)));
    assert!(identical(
        simd_kernels::sum_compensated(x),
        simd_kernels::sum_compensated_with(isa, x)
    ));
}

fn check_dot<T: Elem>(a: &[T], b: &[T]) {
    let n = a.len() as f64;
    let (mut fin, mut spec) = (Vec::new(), Vec::new());
    let mut abs = 0.0;
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x.to_f64(), y.to_f64());
        if x.is_finite() && y.is_finite() {
            // TwoProduct: p + e == x * y exactly (f32 products are exact in f64; f64 ones
            // barring underflow, which the slack below covers).
            let p = x * y;
            fin.push(p);
            fin.push(x.mul_add(y, -p));
            abs += p.abs();
        } else {
            spec.push(x * y);
        }
    }
    let want = expect(&spec, &fin, abs, T::MAX);
    let e = eps::<T>();
    // Documented: n * eps * sum |a b|; products (or FMA results) that underflow lose up to
    // half a subnormal ulp each, and so may the f64 TwoProduct reference.
    let bound = |_: f64, abs: f64| n * e * abs + 2.0 * n * T::DENORM_MIN;
    for isa in Isa::available() {
        let got = simd_kernels::dot_with(isa, a, b).to_f64();
        check_reduction("dot", isa, got, &want, bound, &(a, b));
    }
    let isa = Isa::detect();
    assert!(identical(simd_kernels::dot(a, b), simd_kernels::dot_with(isa, a, b)));
}

fn check_axpy<T: Elem>(alpha: T, x: &[T], y: &[T], off: usize) {
    for isa in Isa::available() {
        let mut buf = shifted(y, off);
        simd_kernels::axpy_with(isa, alpha, x, &mut buf[off..]);
        let got = &buf[off..];
        for i in 0..x.len() {
            // Documented: a fused multiply-add on SIMD paths, so exactly one rounding of
            // alpha * x + y; the scalar path may round the product first.
            let fused = T::fused(x[i], alpha, y[i]);
            let plain = x[i] * alpha + y[i];
            let ok = if isa == Isa::Scalar {
                same(got[i], fused) || same(got[i], plain)
            } else {
                same(got[i], fused)
            };
            assert!(
                ok,
                "{isa:?} axpy[{i}] alpha={alpha:e} x={:e} y={:e}: got {:e}, fused {fused:e}, \
                 unfused {plain:e} (n={})",
                x[i],
                y[i],
                got[i],
                x.len()
            );
        }
        assert!(buf[..off].iter().all(|v| v.bits() == 0), "{isa:?} axpy wrote before y");
    }
    let mut p = y.to_vec();
    let mut q = y.to_vec();
    simd_kernels::axpy(alpha, x, &mut p);
    simd_kernels::axpy_with(Isa::detect(), alpha, x, &mut q);
    assert!(p.iter().zip(&q).all(|(&u, &v)| identical(u, v)));
}

fn check_scale<T: Elem>(alpha: T, x: &[T], off: usize) {
    for isa in Isa::available() {
        let mut buf = shifted(x, off);
        simd_kernels::scale_with(isa, alpha, &mut buf[off..]);
        for (i, (&g, &v)) in buf[off..].iter().zip(x).enumerate() {
            // Documented: exactly rounded, identical on every ISA.
            let want = v * alpha;
            assert!(
                identical(g, want),
                "{isa:?} scale[{i}] {v:e} * {alpha:e}: got {g:e}, want {want:e} (bits)"
            );
        }
    }
    let mut p = x.to_vec();
    let mut q = x.to_vec();
    simd_kernels::scale(alpha, &mut p);
    simd_kernels::scale_with(Isa::detect(), alpha, &mut q);
    assert!(p.iter().zip(&q).all(|(&u, &v)| identical(u, v)));
}

fn check_min_max<T: Elem>(x: &[T]) {
    // Documented: None when empty, (NaN, NaN) when any element is NaN, else the exact
    // extremes (the sign of a zero extreme is unspecified, so zeros compare equal).
    let want = if x.is_empty() {
        None
    } else if x.iter().any(|v| v.is_nan()) {
        Some((T::NAN, T::NAN))
    } else {
        let (mut lo, mut hi) = (x[0], x[0]);
        for &v in x {
            if v < lo {
                lo = v;
            }
            if v > hi {
                hi = v;
            }
        }
        Some((lo, hi))
    };
    for isa in Isa::available() {
        let got = simd_kernels::min_max_with(isa, x);
        let ok = match (got, want) {
            (None, None) => true,
            (Some((g0, g1)), Some((w0, w1))) => same(g0, w0) && same(g1, w1),
            _ => false,
        };
        assert!(ok, "{isa:?} min_max: got {got:?}, want {want:?}; input {x:?}");
    }
    let (p, q) = (simd_kernels::min_max(x), simd_kernels::min_max_with(Isa::detect(), x));
    let ok = match (p, q) {
        (None, None) => true,
        (Some((a, b)), Some((c, d))) => identical(a, c) && identical(b, d),
        _ => false,
    };
    assert!(ok, "min_max {p:?} vs min_max_with(detect) {q:?}");
}

fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs()
}

fn check_moments(x: &[f64]) {
    let count = x.len();
    let n = count as f64;
    let e = f64::EPSILON;
    let non_finite = x.iter().any(|v| !v.is_finite());
    let tame = !non_finite && x.iter().all(|v| v.abs() <= MOMENTS_TAME);
    let r = if tame && count > 0 {
        Some(reference_moments(x))
    } else {
        None
    };
    for isa in Isa::available() {
        let m = simd_kernels::moments_with(isa, x);
        let ctx = || format!("{isa:?} moments n={count}: got {m:?}, reference {r:?}");
        assert_eq!(m.count, count as u64, "{}", ctx());
        if count == 0 {
            assert!(
                m.mean().is_none() && m.variance().is_none() && m.skewness().is_none(),
                "{}",
                ctx()
            );
            continue;
        }
        if non_finite {
            // Documented: a NaN or infinity in the data makes every statistic Some(NaN)
            // (where it exists at all for this count).
            let nan = |s: Option<f64>, min: usize| {
                if count >= min {
                    s.is_some_and(f64::is_nan)
                } else {
                    s.is_none()
                }
            };
            assert!(nan(m.mean(), 1), "{} mean {:?}", ctx(), m.mean());
            assert!(nan(m.variance(), 2), "{} variance {:?}", ctx(), m.variance());
            assert!(nan(m.skewness(), 3), "{} skewness {:?}", ctx(), m.skewness());
            assert!(nan(m.kurtosis(), 4), "{} kurtosis {:?}", ctx(), m.kurtosis());
            continue;
        }
        let Some(r) = r else {
            // Finite but huge: powers of the deviations may overflow; nothing is promised.
            continue;
        };
        let mean_abs = x.iter().map(|v| v.abs()).sum::<f64>() / n;
        // Mean absolute deviation (no squares, so no underflow for tiny data).
        let mad = x.iter().map(|v| (v - r.mean).abs()).sum::<f64>() / n;
        // The mean: one rounding of its value, plus the block sums of the deviations
        // (n eps times their mean magnitude, which is at most the mean absolute deviation
        // plus the shift error n eps mean|x| of the first pass).
        let got_mean = m.mean().unwrap_or(f64::NAN);
        let tol = 4.0 * e * r.mean.abs() + 4.0 * (n + 2.0) * e * (mad + n * e * mean_abs);
        assert!(
            (got_mean - r.mean).abs() <= tol,
            "{} mean off by {:e} > {tol:e}",
            ctx(),
            (got_mean - r.mean).abs()
        );
        if count < 2 {
            assert!(m.variance().is_none() && m.skewness().is_none(), "{}", ctx());
            continue;
        }
        if x.iter().all(|&v| v == x[0]) {
            // All values equal. Documented (pandas): zero variance, and no skewness or
            // kurtosis.
            assert_eq!(m.variance(), Some(0.0), "{}", ctx());
            assert_eq!(m.skewness(), None, "{}", ctx());
            assert_eq!(m.kurtosis(), None, "{}", ctx());
            continue;
        }
        let var = m.variance().unwrap_or(f64::NAN);
        assert!(var >= 0.0 && var.is_finite(), "{} variance {var}", ctx());
        // Condition of the variance: kappa = |x|_2 / sqrt(m2) (about |mean| / sd). The
        // relative error is about (n + kappa) eps: n eps from the block sums, eps kappa from
        // the rounding of the block means that the merges combine. Only assert where that
        // bound is meaningful (n eps kappa small) and no fourth power underflows.
        let sd = (r.m2 / n).sqrt();
        let kappa = (x.iter().map(|v| v * v).sum::<f64>() / r.m2).sqrt();
        let c = n * e * kappa;
        if !(c <= 1e-2 && sd >= 1e-60) {
            continue;
        }
        let tol = 4.0 * e * (n * (1.0 + c) + kappa);
        let d: Vec<f64> = x.iter().map(|v| v - r.mean).collect();
        // Sum |d|^3: the scale of M3's error (its terms cancel).
        let a3: f64 = d.iter().map(|v| (v * v * v).abs()).sum();
        assert!(rel(m.m2, r.m2) <= tol, "{} m2 rel {:e} > {tol:e}", ctx(), rel(m.m2, r.m2));
        assert!(
            (m.m3 - r.m3).abs() <= tol * a3,
            "{} m3 off by {:e} > {:e}",
            ctx(),
            (m.m3 - r.m3).abs(),
            tol * a3
        );
        assert!(rel(m.m4, r.m4) <= tol, "{} m4 rel {:e} > {tol:e}", ctx(), rel(m.m4, r.m4));
        let rv = r.variance().unwrap_or(f64::NAN);
        assert!(rel(var, rv) <= tol + 2.0 * e, "{} variance {var} vs {rv}", ctx());
        // Skewness G1 = c_n sqrt(n) M3 / M2^1.5: the M3 error scaled like G1, plus 1.5 times
        // M2's relative error, plus the rounding of the formula itself.
        match (m.skewness(), r.skewness()) {
            (None, None) => assert!(count < 3, "{}", ctx()),
            (Some(g), Some(w)) => {
                let cn = (n * (n - 1.0)).sqrt() / (n - 2.0);
                let s3 = cn * n.sqrt() * a3 / r.m2.powf(1.5);
                let tol = tol * (s3 + 1.5 * w.abs()) + 16.0 * e * (w.abs() + s3);
                assert!((g - w).abs() <= tol, "{} skewness {g} vs {w} (tol {tol:e})", ctx());
            }
            (g, w) => panic!("{} skewness {g:?} vs {w:?}", ctx()),
        }
        // Kurtosis G2 = A M4 / M2^2 - B: (G2 + B) times M4's and twice M2's relative error.
        match (m.kurtosis(), r.kurtosis()) {
            (None, None) => assert!(count < 4, "{}", ctx()),
            (Some(g), Some(w)) => {
                let b = 3.0 * (n - 1.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0));
                let tol = 3.0 * tol * (w + b).abs() + 16.0 * e * (w.abs() + 2.0 * b);
                assert!((g - w).abs() <= tol, "{} kurtosis {g} vs {w} (tol {tol:e})", ctx());
            }
            (g, w) => panic!("{} kurtosis {g:?} vs {w:?}", ctx()),
        }
    }
    let (p, q) = (simd_kernels::moments(x), simd_kernels::moments_with(Isa::detect(), x));
    let bits = |m: &Moments| [m.mean, m.m2, m.m3, m.m4].map(f64::to_bits);
    assert!(
        p.count == q.count && bits(&p) == bits(&q),
        "moments {p:?} vs moments_with(detect) {q:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Entry
// ---------------------------------------------------------------------------------------

/// Number of cases `selector % KERNELS` picks from: for f64 (0..=4) then f32 (5..=9) the
/// kernels of [`run`] (sums, dot, axpy, scale, min_max), then (10) moments, f64 only.
const KERNELS: u8 = 11;

/// Kernel `kernel` on element type `T`: 0 `sum` and `sum_compensated`, 1 `dot`, 2 `axpy`,
/// 3 `scale`, 4 `min_max`.
fn run<T: Elem>(kernel: u8, flags: u8, aux: u8, body: &[u8]) {
    let off = usize::from(flags >> 5);
    let mut v = decode::<T>(flags, aux, body, T::TAME);
    match kernel {
        0 => check_sum(&shifted(&v, off)[off..]),
        1 => {
            let half = v.len() / 2;
            let (pa, pb) = (shifted(&v[..half], off), shifted(&v[half..2 * half], off));
            check_dot(&pa[off..], &pb[off..]);
        }
        2 => {
            let alpha = pick_alpha(aux, &mut v);
            let half = v.len() / 2;
            let px = shifted(&v[..half], off);
            check_axpy(alpha, &px[off..], &v[half..2 * half], off);
        }
        3 => {
            let alpha = pick_alpha(aux, &mut v);
            check_scale(alpha, &v, off);
        }
        _ => check_min_max(&shifted(&v, off)[off..]),
    }
}

fuzz_target!(|data: &[u8]| {
    let [selector, flags, aux, body @ ..] = data else {
        return;
    };
    let (flags, aux) = (*flags, *aux);
    match selector % KERNELS {
        s @ 0..=4 => run::<f64>(s, flags, aux, body),
        s @ 5..=9 => run::<f32>(s - 5, flags, aux, body),
        _ => {
            let x = decode::<f64>(flags, aux, body, MOMENTS_TAME);
            let off = usize::from(flags >> 5);
            check_moments(&shifted(&x, off)[off..]);
        }
    }
});
