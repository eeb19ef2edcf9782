//! The loops behind the machine probes of [`crate::probe`], written once over [`Simd`].

use crate::float::Float;
use crate::simd::Simd;

/// Independent FMA chains: more than latency (4) x ports (2), and within 16 registers.
pub(crate) const FMA_CHAINS: usize = 12;

#[inline(always)]
pub(crate) fn fma_loop<T: Float, S: Simd<T>>(simd: S, iterations: u64) -> T {
    // acc <- acc * m + c converges to c / (1 - m) = 1: values stay normal, never overflow.
    // The chains start away from that fixed point and the constants are opaque, or the
    // compiler proves the loop invariant and deletes it.
    let m = simd.splat(std::hint::black_box(T::from_f64(0.999_999)));
    let c = simd.splat(std::hint::black_box(T::from_f64(1e-6)));
    let mut acc = [simd.splat(T::ZERO); FMA_CHAINS];
    for (k, a) in acc.iter_mut().enumerate() {
        *a = simd.splat(T::from_f64(0.5 + k as f64 / 64.0));
    }
    for _ in 0..iterations {
        for a in &mut acc {
            *a = simd.mul_add(*a, m, c);
        }
    }
    let mut out = [T::ZERO; 16];
    let mut total = T::ZERO;
    for a in acc {
        simd.to_array(a, &mut out);
        total += out[0];
    }
    total
}

#[inline(always)]
pub(crate) fn read_probe<T: Float, S: Simd<T>>(simd: S, x: &[T]) -> T {
    // A max-reduction: one cheap op per loaded vector, nothing but the loads to limit it.
    const K: usize = 8;
    let step = S::LANES * K;
    let main = x.len() - x.len() % step;
    let mut acc = [simd.splat(T::ZERO); K];
    for c in x[..main].chunks_exact(step) {
        for k in 0..K {
            acc[k] = simd.max(acc[k], simd.load(&c[k * S::LANES..]));
        }
    }
    let mut buf = [T::ZERO; 16];
    let mut best = T::ZERO;
    for a in acc {
        simd.to_array(a, &mut buf);
        for &v in &buf[..S::LANES] {
            best = best.max(v);
        }
    }
    x[main..].iter().fold(best, |m, &v| m.max(v))
}
