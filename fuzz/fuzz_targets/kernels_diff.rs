//! Differential fuzzing of the SIMD kernels: `dot_with`, `sum_with` and
//! `sum_compensated_with` on every available ISA against plain scalar loops, within each
//! kernel's documented error bound; non-finite inputs must give non-finite results alike.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simd_kernels::Isa;

const EPS: f64 = f64::EPSILON;

/// Neumaier's compensated sum: a scalar reference accurate to about `eps * |S|`.
fn neumaier(x: &[f64]) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for &v in x {
        let t = s + v;
        c += if s.abs() >= v.abs() {
            (s - t) + v
        } else {
            (v - t) + s
        };
        s = t;
    }
    s + c
}

/// Keeps values finite and below 1e100 in magnitude, so no sum or product overflows.
fn tame(bits: u64) -> f64 {
    let v = f64::from_bits(bits);
    if v.is_finite() && v.abs() <= 1e100 {
        v
    } else {
        (bits % 2001) as f64 - 1000.0
    }
}

fn agree_non_finite(got: f64, want: f64) -> bool {
    (got.is_nan() && want.is_nan()) || got == want
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let vals: Vec<f64> = rest
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .map(tame)
        .collect();
    let half = vals.len() / 2;
    let (a, b) = (&vals[..half], &vals[half..2 * half]);
    let n = a.len() as f64;
    let abs_sum: f64 = a.iter().map(|v| v.abs()).sum();
    let abs_dot: f64 = a.iter().zip(b).map(|(x, y)| (x * y).abs()).sum();
    let plain_sum: f64 = a.iter().sum();
    let plain_dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let exact_sum = neumaier(a);
    for isa in Isa::available() {
        let s = simd_kernels::sum_with(isa, a);
        let bound = 2.0 * n * EPS * abs_sum + f64::MIN_POSITIVE;
        assert!(
            (s - plain_sum).abs() <= bound,
            "{isa:?} sum {s} vs {plain_sum}"
        );
        let sc = simd_kernels::sum_compensated_with(isa, a);
        let bound = 4.0 * EPS * exact_sum.abs() + 4.0 * n * EPS * EPS * abs_sum + f64::MIN_POSITIVE;
        assert!(
            (sc - exact_sum).abs() <= bound,
            "{isa:?} sum_compensated {sc} vs {exact_sum} (bound {bound})"
        );
        let d = simd_kernels::dot_with(isa, a, b);
        let bound = 2.0 * (n + 1.0) * EPS * abs_dot + f64::MIN_POSITIVE;
        assert!(
            (d - plain_dot).abs() <= bound,
            "{isa:?} dot {d} vs {plain_dot}"
        );
    }
    // A non-finite value planted at a position chosen by the input.
    if !a.is_empty() {
        let special = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][usize::from(mode % 3)];
        let mut x = a.to_vec();
        x[usize::from(mode) % a.len()] = special;
        let want_sum: f64 = x.iter().sum();
        let want_dot: f64 = x.iter().zip(b).map(|(p, q)| p * q).sum();
        for isa in Isa::available() {
            let s = simd_kernels::sum_with(isa, &x);
            assert!(
                agree_non_finite(s, want_sum),
                "{isa:?} sum {s} vs {want_sum}"
            );
            let sc = simd_kernels::sum_compensated_with(isa, &x);
            assert!(
                agree_non_finite(sc, want_sum),
                "{isa:?} sum_compensated {sc} vs {want_sum}"
            );
            let d = simd_kernels::dot_with(isa, &x, b);
            assert!(
                !d.is_finite() || !want_dot.is_finite(),
                "{isa:?} dot {d} vs {want_dot}"
            );
            assert!(
                d.is_nan() == want_dot.is_nan(),
                "{isa:?} dot {d} vs {want_dot}"
            );
        }
    }
});
