//! Every slice kernel, written once over the private [`Vector`] trait.
//!
//! The per-ISA modules instantiate these inside `#[target_feature]` entry points; everything
//! here is `#[inline(always)]` so it is compiled with the caller's target features.

// Unrolled loops use one index for both an accumulator and a chunk offset; iterators would
// hide the register structure the code is about.
#![allow(clippy::needless_range_loop)]

use crate::moments::Moments;
use crate::vector::Vector;
use crate::Float;

/// Independent accumulators per reduction: enough to cover the add/FMA latency (4 cycles)
/// times the two vector ports, so reductions run at throughput, not latency.
const ACC: usize = 8;
/// Independent (sum, compensation) pairs in the compensated sum. It is throughput-bound
/// (7 vector ops per element vector), so fewer pairs suffice.
const COMP_ACC: usize = 4;

/// Sums lanes in a fixed pairwise order, so a given ISA always rounds the same way.
#[inline(always)]
fn reduce_lanes<T: Float, V: Vector<T>>(v: V) -> T {
    let mut buf = [T::ZERO; 16];
    v.to_array(&mut buf);
    let mut width = V::LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            buf[i] += buf[i + width];
        }
    }
    buf[0]
}

/// Adds the accumulators pairwise (tree order) into one vector.
#[inline(always)]
fn fold_acc<T: Float, V: Vector<T>>(mut acc: [V; ACC]) -> V {
    let mut width = ACC;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            acc[i] = acc[i].add(acc[i + width]);
        }
    }
    acc[0]
}

#[inline(always)]
pub(crate) fn dot<T: Float, V: Vector<T>>(a: &[T], b: &[T]) -> T {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let step = V::LANES * ACC;
    let main = n - n % step;
    let mut acc = [V::splat(T::ZERO); ACC];
    for (ca, cb) in a[..main]
        .chunks_exact(step)
        .zip(b[..main].chunks_exact(step))
    {
        for k in 0..ACC {
            let off = k * V::LANES;
            acc[k] = V::load(&ca[off..]).mul_add(V::load(&cb[off..]), acc[k]);
        }
    }
    let mut i = main;
    while i + V::LANES <= n {
        acc[0] = V::load(&a[i..]).mul_add(V::load(&b[i..]), acc[0]);
        i += V::LANES;
    }
    let mut s = reduce_lanes::<T, V>(fold_acc(acc));
    for j in i..n {
        s = V::mul_add_scalar(a[j], b[j], s);
    }
    s
}

#[inline(always)]
pub(crate) fn sum<T: Float, V: Vector<T>>(x: &[T]) -> T {
    let n = x.len();
    let step = V::LANES * ACC;
    let main = n - n % step;
    let mut acc = [V::splat(T::ZERO); ACC];
    for c in x[..main].chunks_exact(step) {
        for k in 0..ACC {
            acc[k] = acc[k].add(V::load(&c[k * V::LANES..]));
        }
    }
    let mut i = main;
    while i + V::LANES <= n {
        acc[0] = acc[0].add(V::load(&x[i..]));
        i += V::LANES;
    }
    let mut s = reduce_lanes::<T, V>(fold_acc(acc));
    for &v in &x[i..] {
        s += v;
    }
    s
}

/// Elements ahead of the compensated sum's read position to prefetch.
const PREFETCH_AHEAD: usize = 1024;

/// Hints the cache to fetch `x[i]` (no-op past the end).
#[inline(always)]
fn prefetch_read<T>(x: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(e) = x.get(i) {
        // SAFETY: a prefetch never faults and has no architectural effect; the pointer is
        // in bounds anyway.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (e as *const T).cast(),
            )
        };
    }
}

/// Knuth's TwoSum: `s + e == a + b` exactly (barring overflow), with `s = fl(a + b)`.
#[inline(always)]
fn two_sum<T: Float>(a: T, b: T) -> (T, T) {
    let s = a + b;
    let bp = s - a;
    let ap = s - bp;
    (s, (a - ap) + (b - bp))
}

/// Lane-parallel Neumaier (Kahan-Babuska) summation.
///
/// Each lane keeps a running sum and a running compensation; the rounding error of every
/// addition is captured exactly by TwoSum (the branch-free form of Neumaier's update, which
/// computes the same error term without comparing magnitudes). Lanes are combined at the end
/// with the same error-free transformation, so the result is within about one rounding of
/// the exact sum plus a second-order term `n * u^2 * sum(|x|)`.
#[inline(always)]
pub(crate) fn sum_compensated<T: Float, V: Vector<T>>(x: &[T]) -> T {
    let n = x.len();
    let step = V::LANES * COMP_ACC;
    let main = n - n % step;
    let mut s = [V::splat(T::ZERO); COMP_ACC];
    let mut c = [V::splat(T::ZERO); COMP_ACC];
    for (ci, chunk) in x[..main].chunks_exact(step).enumerate() {
        // Each compensated element costs several dependent vector ops, so the hardware
        // prefetcher alone falls behind at DRAM sizes: ask for every cache line ahead.
        for line in (0..step).step_by(64 / std::mem::size_of::<T>()) {
            prefetch_read(x, ci * step + line + PREFETCH_AHEAD);
        }
        for k in 0..COMP_ACC {
            let v = V::load(&chunk[k * V::LANES..]);
            let t = s[k].add(v);
            let bp = t.sub(s[k]);
            let ap = t.sub(bp);
            let e = s[k].sub(ap).add(v.sub(bp));
            c[k] = c[k].add(e);
            s[k] = t;
        }
    }
    // Fold the pairs into one with vector TwoSums, then the lanes with scalar ones: the
    // serial scalar chain is LANES long, not LANES * COMP_ACC.
    let (mut vs, mut vc) = (s[0], c[0]);
    for k in 1..COMP_ACC {
        let t = vs.add(s[k]);
        let bp = t.sub(vs);
        let ap = t.sub(bp);
        let e = vs.sub(ap).add(s[k].sub(bp));
        vc = vc.add(c[k]).add(e);
        vs = t;
    }
    let mut lanes_s = [T::ZERO; 16];
    let mut lanes_c = [T::ZERO; 16];
    vs.to_array(&mut lanes_s);
    vc.to_array(&mut lanes_c);
    let (mut total, mut comp) = (T::ZERO, T::ZERO);
    for &v in lanes_s[..V::LANES].iter().chain(&x[main..]) {
        let (t, e) = two_sum(total, v);
        total = t;
        comp += e;
    }
    if !total.is_finite() {
        // An infinity or NaN was summed: the compensation is NaN and meaningless, while the
        // plain running sums already carry the IEEE answer.
        return total;
    }
    for &v in &lanes_c[..V::LANES] {
        comp += v;
    }
    total + comp
}

#[inline(always)]
pub(crate) fn axpy<T: Float, V: Vector<T>>(alpha: T, x: &[T], y: &mut [T]) {
    debug_assert_eq!(x.len(), y.len());
    let n = x.len().min(y.len());
    let (x, y) = (&x[..n], &mut y[..n]);
    let a = V::splat(alpha);
    let main = n - n % V::LANES;
    for (cx, cy) in x[..main]
        .chunks_exact(V::LANES)
        .zip(y[..main].chunks_exact_mut(V::LANES))
    {
        V::load(cx).mul_add(a, V::load(cy)).store(cy);
    }
    for (xi, yi) in x[main..].iter().zip(&mut y[main..]) {
        *yi = V::mul_add_scalar(*xi, alpha, *yi);
    }
}

#[inline(always)]
pub(crate) fn scale<T: Float, V: Vector<T>>(alpha: T, x: &mut [T]) {
    let a = V::splat(alpha);
    let main = x.len() - x.len() % V::LANES;
    for c in x[..main].chunks_exact_mut(V::LANES) {
        V::load(c).mul(a).store(c);
    }
    for v in &mut x[main..] {
        *v *= alpha;
    }
}

#[inline(always)]
pub(crate) fn min_max<T: Float, V: Vector<T>>(x: &[T]) -> Option<(T, T)> {
    let first = *x.first()?;
    const K: usize = 4;
    let step = V::LANES * K;
    let main = x.len() - x.len() % step;
    let mut lo = [V::splat(first); K];
    let mut hi = [V::splat(first); K];
    // x * 0 is NaN exactly when x is NaN or infinite; one FMA per vector flags both, and the
    // rare flagged case is settled by a scalar rescan below.
    let zero = V::splat(T::ZERO);
    let mut probe = zero;
    for c in x[..main].chunks_exact(step) {
        for k in 0..K {
            let v = V::load(&c[k * V::LANES..]);
            lo[k] = lo[k].min(v);
            hi[k] = hi[k].max(v);
            probe = v.mul_add(zero, probe);
        }
    }
    let mut probe_buf = [T::ZERO; 16];
    probe.to_array(&mut probe_buf);
    let flagged = probe_buf[..V::LANES].iter().any(|p| p.is_nan());
    if flagged && x[..main].iter().any(|v| v.is_nan()) {
        return Some((T::NAN, T::NAN));
    }
    // No NaN in the body, so the vector min/max below are exact.
    let (mut vlo, mut vhi) = (lo[0], hi[0]);
    for k in 1..K {
        vlo = vlo.min(lo[k]);
        vhi = vhi.max(hi[k]);
    }
    let mut lo_buf = [first; 16];
    let mut hi_buf = [first; 16];
    vlo.to_array(&mut lo_buf);
    vhi.to_array(&mut hi_buf);
    let (mut mn, mut mx) = (first, first);
    for &v in lo_buf[..V::LANES].iter().chain(&x[main..]) {
        if v.is_nan() {
            return Some((T::NAN, T::NAN));
        }
        if v < mn {
            mn = v;
        }
    }
    for &v in hi_buf[..V::LANES].iter().chain(&x[main..]) {
        if v > mx {
            mx = v;
        }
    }
    Some((mn, mx))
}

/// Elements per block in [`moments`]. A block is read twice (mean, then central powers)
/// while it sits in L1, so the whole slice is streamed from memory once yet each block gets
/// two-pass accuracy. Fixed across ISAs so every path blocks identically.
pub(crate) const MOMENT_BLOCK: usize = 1024;

#[inline(always)]
pub(crate) fn moments<V: Vector<f64>>(x: &[f64]) -> Moments {
    let mut total = Moments::default();
    for block in x.chunks(MOMENT_BLOCK) {
        total = total.merge(&block_moments::<V>(block));
    }
    total
}

#[inline(always)]
fn block_moments<V: Vector<f64>>(x: &[f64]) -> Moments {
    let n = x.len() as f64;
    let mut shift = sum::<f64, V>(x) / n;
    // Snap the shift to a data value when it is within the sum's rounding error (n eps
    // |x|) of one: a constant block then has deviations of exactly 0 (at 1e300 a shift a few
    // ulps off gives deviations whose squares overflow), and a sum that overflowed on finite
    // values (near f64::MAX) still gives a finite shift. Any shift near the data is valid;
    // the exact block mean is recovered from the power sums. A NaN or infinity in the data
    // keeps the non-finite shift, so every statistic comes out NaN as documented.
    let x0 = x[0];
    let overflowed = || !shift.is_finite() && x.iter().all(|v| v.is_finite());
    if (shift - x0).abs() <= n * f64::EPSILON * x0.abs() || overflowed() {
        shift = x0;
    }
    let sv = V::splat(shift);
    const K: usize = 2;
    let step = V::LANES * K;
    let main = x.len() - x.len() % step;
    let zero = V::splat(0.0);
    let (mut s1, mut s2, mut s3, mut s4) = ([zero; K], [zero; K], [zero; K], [zero; K]);
    for c in x[..main].chunks_exact(step) {
        for k in 0..K {
            let d = V::load(&c[k * V::LANES..]).sub(sv);
            let d2 = d.mul(d);
            s1[k] = s1[k].add(d);
            s2[k] = s2[k].add(d2);
            s3[k] = d2.mul_add(d, s3[k]);
            s4[k] = d2.mul_add(d2, s4[k]);
        }
    }
    let fold = |a: [V; K]| reduce_lanes::<f64, V>(a[0].add(a[1]));
    let (mut p1, mut p2, mut p3, mut p4) = (fold(s1), fold(s2), fold(s3), fold(s4));
    for &v in &x[main..] {
        let d = v - shift;
        let d2 = d * d;
        p1 += d;
        p2 += d2;
        p3 += d2 * d;
        p4 += d2 * d2;
    }
    // Power sums about `shift` -> central sums about the exact block mean shift + p1/n.
    Moments::from_shifted_sums(x.len() as u64, shift, [p1, p2, p3, p4])
}

/// Instantiates every slice kernel for one ISA and element type as safe functions carrying
/// the ISA's `#[target_feature]` attribute (none for scalar).
macro_rules! entry_points {
    ($(#[$attr:meta])* $t:ty, $v:ty) => {
        $(#[$attr])*
        pub(crate) fn dot(a: &[$t], b: &[$t]) -> $t {
            $crate::generic::dot::<$t, $v>(a, b)
        }
        $(#[$attr])*
        pub(crate) fn sum(x: &[$t]) -> $t {
            $crate::generic::sum::<$t, $v>(x)
        }
        $(#[$attr])*
        pub(crate) fn sum_compensated(x: &[$t]) -> $t {
            $crate::generic::sum_compensated::<$t, $v>(x)
        }
        $(#[$attr])*
        pub(crate) fn axpy(alpha: $t, x: &[$t], y: &mut [$t]) {
            $crate::generic::axpy::<$t, $v>(alpha, x, y)
        }
        $(#[$attr])*
        pub(crate) fn scale(alpha: $t, x: &mut [$t]) {
            $crate::generic::scale::<$t, $v>(alpha, x)
        }
        $(#[$attr])*
        pub(crate) fn fma_loop(iterations: u64) -> $t {
            $crate::probe::fma_loop::<$t, $v>(iterations)
        }
        $(#[$attr])*
        pub(crate) fn read_probe(x: &[$t]) -> $t {
            $crate::probe::read_probe::<$t, $v>(x)
        }
        $(#[$attr])*
        pub(crate) fn min_max(x: &[$t]) -> Option<($t, $t)> {
            $crate::generic::min_max::<$t, $v>(x)
        }
    };
}
pub(crate) use entry_points;
