//! Every slice kernel (dot, sums, axpy, scale, min/max, moments), written once over
//! [`Simd`].
//!
//! The per-ISA modules instantiate these inside `#[target_feature]` entry points; everything
//! here is `#[inline(always)]` so it is compiled with the caller's target features.

// Unrolled loops use one index for both an accumulator and a chunk offset; iterators would
// hide the register structure the code is about.
#![allow(clippy::needless_range_loop)]

use crate::float::Float;
use crate::moments::Moments;
use crate::simd::Simd;

/// Independent accumulators per reduction: enough to cover the add/FMA latency (4 cycles)
/// times the two vector ports, so reductions run at throughput, not latency.
const ACC: usize = 8;
/// Independent (sum, compensation) pairs in the compensated sum. It is throughput-bound
/// (7 vector ops per element vector), so fewer pairs suffice.
const COMP_ACC: usize = 4;

/// Sums lanes in a fixed pairwise order, so a given ISA always rounds the same way.
#[inline(always)]
pub(crate) fn reduce_lanes<T: Float, S: Simd<T>>(simd: S, v: S::V) -> T {
    let mut buf = [T::ZERO; 16];
    simd.to_array(v, &mut buf);
    let mut width = S::LANES;
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
fn fold_acc<T: Float, S: Simd<T>>(simd: S, mut acc: [S::V; ACC]) -> S::V {
    let mut width = ACC;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            acc[i] = simd.add(acc[i], acc[i + width]);
        }
    }
    acc[0]
}

#[inline(always)]
pub(crate) fn dot<T: Float, S: Simd<T>>(simd: S, a: &[T], b: &[T]) -> T {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let step = S::LANES * ACC;
    let main = n - n % step;
    let mut acc = [simd.splat(T::ZERO); ACC];
    for (ca, cb) in a[..main]
        .chunks_exact(step)
        .zip(b[..main].chunks_exact(step))
    {
        for k in 0..ACC {
            let off = k * S::LANES;
            acc[k] = simd.mul_add(simd.load(&ca[off..]), simd.load(&cb[off..]), acc[k]);
        }
    }
    let mut i = main;
    while i + S::LANES <= n {
        acc[0] = simd.mul_add(simd.load(&a[i..]), simd.load(&b[i..]), acc[0]);
        i += S::LANES;
    }
    let mut s = reduce_lanes(simd, fold_acc(simd, acc));
    for j in i..n {
        s = simd.mul_add_scalar(a[j], b[j], s);
    }
    s
}

/// The plain sum; `next`, what the caller reads after `x` (or empty), is asked for from
/// the cache one line for each line of `x` read (see [`read_ahead`]), a hint that does not
/// change the result.
#[inline(always)]
pub(crate) fn sum<T: Float, S: Simd<T>>(simd: S, x: &[T], next: &[T]) -> T {
    let n = x.len();
    let step = S::LANES * ACC;
    let main = n - n % step;
    let mut acc = [simd.splat(T::ZERO); ACC];
    for (ci, c) in x[..main].chunks_exact(step).enumerate() {
        if !next.is_empty() {
            read_ahead(x, next, ci * step, step, n);
        }
        for k in 0..ACC {
            acc[k] = simd.add(acc[k], simd.load(&c[k * S::LANES..]));
        }
    }
    let mut i = main;
    while i + S::LANES <= n {
        acc[0] = simd.add(acc[0], simd.load(&x[i..]));
        i += S::LANES;
    }
    let mut s = reduce_lanes(simd, fold_acc(simd, acc));
    for &v in &x[i..] {
        s += v;
    }
    s
}

/// Elements ahead of the compensated sum's read position to prefetch.
const PREFETCH_AHEAD: usize = 1024;

/// Hints the cache to fetch `x[i]` (no-op past the end).
#[inline(always)]
pub(crate) fn prefetch_read<T>(x: &[T], i: usize) {
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

/// Hints the cache to fetch the line holding `p` into L2 (not L1, whose lines the
/// computation in progress needs). `p` need not be valid: a prefetch never faults.
#[inline(always)]
pub(crate) fn prefetch_l2<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch has no architectural effect and never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(p.cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Asks the cache for the lines `PREFETCH_AHEAD` elements past `x[at .. at + len]`, or a
/// whole `x` past them when `x` (of `n` elements) is shorter, running on into `next` past
/// the end of `x`: then every line read asks for the line at the same offset in `next`,
/// one line for one line, so a chain of short slices streams like one long slice.
#[inline(always)]
fn read_ahead<T>(x: &[T], next: &[T], at: usize, len: usize, n: usize) {
    let ahead = PREFETCH_AHEAD.min(n);
    for line in (0..len).step_by(64 / std::mem::size_of::<T>()) {
        let i = at + line + ahead;
        if i < n {
            prefetch_read(x, i);
        } else {
            prefetch_read(next, i - n);
        }
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
///
/// `next` is what the caller reads after `x` (or empty): the read-ahead runs on into it, so
/// a chain of short slices streams from memory like one long slice (see
/// [`crate::sum_compensated_ahead_with`]). It is a cache hint only: the result does not
/// depend on it.
pub(crate) fn sum_compensated<T: Float, S: Simd<T>>(simd: S, x: &[T], next: &[T]) -> T {
    let n = x.len();
    let step = S::LANES * COMP_ACC;
    let main = n - n % step;
    let mut s = [simd.splat(T::ZERO); COMP_ACC];
    let mut c = [simd.splat(T::ZERO); COMP_ACC];
    for (ci, chunk) in x[..main].chunks_exact(step).enumerate() {
        // Each compensated element costs several dependent vector ops, so the hardware
        // prefetcher alone falls behind at DRAM sizes (and a short slice ends before it
        // starts): ask for every cache line ahead.
        read_ahead(x, next, ci * step, step, n);
        for k in 0..COMP_ACC {
            let v = simd.load(&chunk[k * S::LANES..]);
            let t = simd.add(s[k], v);
            let bp = simd.sub(t, s[k]);
            let ap = simd.sub(t, bp);
            let e = simd.add(simd.sub(s[k], ap), simd.sub(v, bp));
            c[k] = simd.add(c[k], e);
            s[k] = t;
        }
    }
    // Fold the pairs into one with vector TwoSums, then the lanes with scalar ones: the
    // serial scalar chain is LANES long, not LANES * COMP_ACC.
    let (mut vs, mut vc) = (s[0], c[0]);
    for k in 1..COMP_ACC {
        let t = simd.add(vs, s[k]);
        let bp = simd.sub(t, vs);
        let ap = simd.sub(t, bp);
        let e = simd.add(simd.sub(vs, ap), simd.sub(s[k], bp));
        vc = simd.add(simd.add(vc, c[k]), e);
        vs = t;
    }
    let mut lanes_s = [T::ZERO; 16];
    let mut lanes_c = [T::ZERO; 16];
    simd.to_array(vs, &mut lanes_s);
    simd.to_array(vc, &mut lanes_c);
    let (mut total, mut comp) = (T::ZERO, T::ZERO);
    for &v in lanes_s[..S::LANES].iter().chain(&x[main..]) {
        let (t, e) = two_sum(total, v);
        total = t;
        comp += e;
    }
    if !total.is_finite() {
        // An infinity or NaN was summed: the compensation is NaN and meaningless, while the
        // plain running sums already carry the IEEE answer.
        return total;
    }
    for &v in &lanes_c[..S::LANES] {
        comp += v;
    }
    total + comp
}

#[inline(always)]
pub(crate) fn axpy<T: Float, S: Simd<T>>(simd: S, alpha: T, x: &[T], y: &mut [T]) {
    debug_assert_eq!(x.len(), y.len());
    let n = x.len().min(y.len());
    let (x, y) = (&x[..n], &mut y[..n]);
    let a = simd.splat(alpha);
    let main = n - n % S::LANES;
    for (cx, cy) in x[..main]
        .chunks_exact(S::LANES)
        .zip(y[..main].chunks_exact_mut(S::LANES))
    {
        let r = simd.mul_add(simd.load(cx), a, simd.load(cy));
        simd.store(r, cy);
    }
    for (xi, yi) in x[main..].iter().zip(&mut y[main..]) {
        *yi = simd.mul_add_scalar(*xi, alpha, *yi);
    }
}

/// `y += sum_t alphas[t] * cols[t]` as one `axpy` per column in column order (the same
/// fused multiply-adds on each element, so the same bits), up to `AXPY_GROUP` columns per
/// pass over `y`: `y` is loaded and stored once per group instead of once per column.
/// Lengths checked by the caller.
#[inline(always)]
pub(crate) fn axpy_columns<T: Float, S: Simd<T>>(
    simd: S,
    alphas: &[T],
    cols: &[&[T]],
    y: &mut [T],
) {
    for (a, c) in alphas.chunks(AXPY_GROUP).zip(cols.chunks(AXPY_GROUP)) {
        match c.len() {
            8 => axpy_group::<T, S, 8>(simd, a, c, y),
            7 => axpy_group::<T, S, 7>(simd, a, c, y),
            6 => axpy_group::<T, S, 6>(simd, a, c, y),
            5 => axpy_group::<T, S, 5>(simd, a, c, y),
            4 => axpy_group::<T, S, 4>(simd, a, c, y),
            3 => axpy_group::<T, S, 3>(simd, a, c, y),
            2 => axpy_group::<T, S, 2>(simd, a, c, y),
            _ => axpy(simd, a[0], c[0], y),
        }
    }
}

/// Columns per pass of [`axpy_columns`]: their `G` broadcast coefficients, the running
/// sum and one loaded column fit the 16 vector registers of AVX2.
const AXPY_GROUP: usize = 8;

/// [`axpy_columns`] for exactly `G` columns.
#[inline(always)]
fn axpy_group<T: Float, S: Simd<T>, const G: usize>(simd: S, a: &[T], c: &[&[T]], y: &mut [T]) {
    let n = y.len();
    let av: [S::V; G] = std::array::from_fn(|t| simd.splat(a[t]));
    let cs: [&[T]; G] = std::array::from_fn(|t| &c[t][..n]);
    let main = n - n % S::LANES;
    let mut i = 0;
    while i < main {
        // SAFETY: `i + LANES <= main <= n`, and `y` and every `cs[t]` hold `n` elements.
        let mut acc = unsafe { simd.load_ptr(y.as_ptr().add(i)) };
        for t in 0..G {
            // SAFETY: as above.
            let x = unsafe { simd.load_ptr(cs[t].as_ptr().add(i)) };
            acc = simd.mul_add(x, av[t], acc);
        }
        // SAFETY: as above.
        unsafe { simd.store_ptr(acc, y.as_mut_ptr().add(i)) };
        i += S::LANES;
    }
    for i in main..n {
        let mut v = y[i];
        for t in 0..G {
            v = simd.mul_add_scalar(cs[t][i], a[t], v);
        }
        y[i] = v;
    }
}

#[inline(always)]
pub(crate) fn scale<T: Float, S: Simd<T>>(simd: S, alpha: T, x: &mut [T]) {
    let a = simd.splat(alpha);
    let main = x.len() - x.len() % S::LANES;
    for c in x[..main].chunks_exact_mut(S::LANES) {
        let r = simd.mul(simd.load(c), a);
        simd.store(r, c);
    }
    for v in &mut x[main..] {
        *v *= alpha;
    }
}

/// `out[i] = x[i] - c` (lengths checked by the caller).
#[inline(always)]
pub(crate) fn sub_scalar_into<T: Float, S: Simd<T>>(simd: S, x: &[T], c: T, out: &mut [T]) {
    let cv = simd.splat(c);
    let main = x.len() - x.len() % S::LANES;
    for (o, v) in out[..main]
        .chunks_exact_mut(S::LANES)
        .zip(x[..main].chunks_exact(S::LANES))
    {
        simd.store(simd.sub(simd.load(v), cv), o);
    }
    for (o, &v) in out[main..].iter_mut().zip(&x[main..]) {
        *o = v - c;
    }
}

#[inline(always)]
pub(crate) fn min_max<T: Float, S: Simd<T>>(simd: S, x: &[T]) -> Option<(T, T)> {
    let first = *x.first()?;
    const K: usize = 4;
    let step = S::LANES * K;
    let main = x.len() - x.len() % step;
    let mut lo = [simd.splat(first); K];
    let mut hi = [simd.splat(first); K];
    // x * 0 is NaN exactly when x is NaN or infinite; one FMA per vector flags both, and the
    // rare flagged case is settled by a scalar rescan below.
    let zero = simd.splat(T::ZERO);
    let mut probe = zero;
    for c in x[..main].chunks_exact(step) {
        for k in 0..K {
            let v = simd.load(&c[k * S::LANES..]);
            lo[k] = simd.min(lo[k], v);
            hi[k] = simd.max(hi[k], v);
            probe = simd.mul_add(v, zero, probe);
        }
    }
    let mut probe_buf = [T::ZERO; 16];
    simd.to_array(probe, &mut probe_buf);
    let flagged = probe_buf[..S::LANES].iter().any(|p| p.is_nan());
    if flagged && x[..main].iter().any(|v| v.is_nan()) {
        return Some((T::NAN, T::NAN));
    }
    // No NaN in the body, so the vector min/max below are exact.
    let (mut vlo, mut vhi) = (lo[0], hi[0]);
    for k in 1..K {
        vlo = simd.min(vlo, lo[k]);
        vhi = simd.max(vhi, hi[k]);
    }
    let mut lo_buf = [first; 16];
    let mut hi_buf = [first; 16];
    simd.to_array(vlo, &mut lo_buf);
    simd.to_array(vhi, &mut hi_buf);
    let (mut mn, mut mx) = (first, first);
    for &v in lo_buf[..S::LANES].iter().chain(&x[main..]) {
        if v.is_nan() {
            return Some((T::NAN, T::NAN));
        }
        if v < mn {
            mn = v;
        }
    }
    for &v in hi_buf[..S::LANES].iter().chain(&x[main..]) {
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
pub(crate) fn moments<S: Simd<f64>>(simd: S, x: &[f64]) -> Moments {
    let mut total = Moments::default();
    for block in x.chunks(MOMENT_BLOCK) {
        total = total.merge(&block_moments(simd, block));
    }
    total
}

#[inline(always)]
fn block_moments<S: Simd<f64>>(simd: S, x: &[f64]) -> Moments {
    let n = x.len() as f64;
    let mut shift = sum(simd, x, &[]) / n;
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
    let sv = simd.splat(shift);
    const K: usize = 2;
    let step = S::LANES * K;
    let main = x.len() - x.len() % step;
    let zero = simd.splat(0.0);
    let (mut s1, mut s2, mut s3, mut s4) = ([zero; K], [zero; K], [zero; K], [zero; K]);
    for c in x[..main].chunks_exact(step) {
        for k in 0..K {
            let d = simd.sub(simd.load(&c[k * S::LANES..]), sv);
            let d2 = simd.mul(d, d);
            s1[k] = simd.add(s1[k], d);
            s2[k] = simd.add(s2[k], d2);
            s3[k] = simd.mul_add(d2, d, s3[k]);
            s4[k] = simd.mul_add(d2, d2, s4[k]);
        }
    }
    let fold = |a: [S::V; K]| reduce_lanes(simd, simd.add(a[0], a[1]));
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
