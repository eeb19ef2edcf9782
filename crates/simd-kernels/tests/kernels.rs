//! One harness, every available ISA: each slice kernel against an exact or scalar reference
//! over adversarial lengths, misaligned starts and special values.

mod common;

use common::*;
use simd_kernels::*;

/// Places `v` at element offset `off` inside a larger buffer, so kernels see misaligned starts.
fn at_offset<T: Float>(v: &[T], off: usize) -> Vec<T> {
    let mut buf = vec![T::ZERO; off];
    buf.extend_from_slice(v);
    buf
}

fn offsets(n: usize) -> std::ops::Range<usize> {
    // The big case runs at two offsets only, to keep the suite fast.
    if n >= 10_000 {
        0..2
    } else {
        0..8
    }
}

fn harness<T: Float>() {
    let mut failures = Vec::new();
    let mut cases = 0usize;
    for isa in Isa::available() {
        for (li, &n) in lengths().iter().enumerate() {
            for kind in KINDS {
                let mut rng = Rng::new((li as u64) << 8 ^ kind as u64);
                let a = gen::<T>(n, kind, &mut rng);
                let b = gen::<T>(n, Kind::Normal, &mut rng);
                let c = gen::<T>(n, kind, &mut rng);
                let alpha = T::from_f64(2.3);
                for off in offsets(n) {
                    let (pa, pb, pc) = (at_offset(&a, off), at_offset(&b, off), at_offset(&c, off));
                    let (sa, sb, sc) = (&pa[off..], &pb[off..], &pc[off..]);
                    let results = [
                        check_sum(isa, sa),
                        check_sum_compensated(isa, sa),
                        check_dot(isa, sa, sb),
                        check_axpy(isa, alpha, sc, sa),
                        check_axpy_columns(isa, sc, sa),
                        check_scale(isa, alpha, sa),
                        check_sub_scalar(isa, alpha, sa),
                        check_min_max(isa, sa),
                    ];
                    for r in results {
                        cases += 1;
                        if let Err(e) = r {
                            failures
                                .push(format!("{} {isa} n={n} off={off} {kind:?}: {e}", T::NAME));
                        }
                    }
                }
            }
        }
    }
    assert!(cases > 10_000, "harness ran only {cases} cases");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed; first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

#[test]
fn every_kernel_on_every_isa_f64() {
    harness::<f64>();
}

#[test]
fn every_kernel_on_every_isa_f32() {
    harness::<f32>();
}

#[test]
fn plain_forms_use_the_detected_isa() {
    let mut rng = Rng::new(7);
    let a = gen::<f64>(1000, Kind::Normal, &mut rng);
    let b = gen::<f64>(1000, Kind::Normal, &mut rng);
    let isa = Isa::detect();
    assert_eq!(dot(&a, &b).to_bits(), dot_with(isa, &a, &b).to_bits());
    assert_eq!(sum(&a).to_bits(), sum_with(isa, &a).to_bits());
    assert_eq!(
        sum_compensated(&a).to_bits(),
        sum_compensated_with(isa, &a).to_bits()
    );
    assert_eq!(min_max(&a), min_max_with(isa, &a));
    assert_eq!(moments(&a), moments_with(isa, &a));
}

#[test]
fn results_are_reproducible_run_to_run() {
    let mut rng = Rng::new(11);
    let a = gen::<f64>(4099, Kind::FiniteSpecials, &mut rng);
    for isa in Isa::available() {
        let first = sum_with(isa, &a).to_bits();
        for _ in 0..5 {
            assert_eq!(sum_with(isa, &a).to_bits(), first, "{isa}");
        }
    }
}

#[test]
#[should_panic(expected = "slice lengths differ (3 vs 4)")]
fn dot_length_mismatch_names_both_lengths() {
    dot(&[1.0f64; 3], &[1.0f64; 4]);
}

#[test]
#[should_panic(expected = "sub_scalar_into: slice lengths differ (2 vs 3)")]
fn sub_scalar_length_mismatch_names_both_lengths() {
    let mut out = [0.0f64; 3];
    sub_scalar_into(&[1.0f64; 2], 1.0, &mut out);
}

#[test]
#[should_panic(expected = "slice lengths differ (5 vs 2)")]
fn axpy_length_mismatch_names_both_lengths() {
    let mut y = [0.0f32; 2];
    axpy(1.0, &[1.0f32; 5], &mut y);
}

#[test]
#[should_panic(expected = "axpy_columns: slice lengths differ (4 vs 3)")]
fn axpy_columns_length_mismatch_names_both_lengths() {
    let mut y = [0.0f64; 3];
    axpy_columns(&[1.0, 2.0], &[&[1.0; 3], &[1.0; 4]], &mut y);
}

#[test]
#[should_panic(expected = "axpy_columns: 1 coefficients for 2 columns")]
fn axpy_columns_needs_one_coefficient_per_column() {
    let mut y = [0.0f64; 3];
    axpy_columns(&[1.0], &[&[1.0; 3], &[1.0; 3]], &mut y);
}

#[test]
fn empty_inputs() {
    for isa in Isa::available() {
        assert_eq!(dot_with::<f64>(isa, &[], &[]), 0.0);
        assert_eq!(sum_with::<f32>(isa, &[]), 0.0);
        assert_eq!(sum_compensated_with::<f64>(isa, &[]), 0.0);
        assert_eq!(min_max_with::<f64>(isa, &[]), None);
        let m = moments_with(isa, &[]);
        assert_eq!(m.count, 0);
        assert_eq!(m.mean(), None);
    }
}
