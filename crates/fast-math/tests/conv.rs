//! Convolution against an exact-as-possible direct reference, on every ISA for the direct
//! path, over adversarial lengths (0, 1, primes, powers of two, kernel longer than signal).

use fast_math::conv::{convolve, direct_convolve_with, fft_convolve, use_fft, Complex, ConvPlan};
use simd_kernels::Isa;

fn rand_vec(n: usize, seed: u64) -> Vec<f64> {
    seeded_rng::uniform_vec(n, seed, -1.0, 1.0)
}

/// Reference full convolution with compensated (Neumaier) sums, as numpy.convolve defines.
fn reference(x: &[f64], h: &[f64]) -> Vec<f64> {
    if x.is_empty() || h.is_empty() {
        return Vec::new();
    }
    (0..x.len() + h.len() - 1)
        .map(|i| {
            let (mut s, mut c) = (0.0f64, 0.0f64);
            for (j, &xj) in x.iter().enumerate() {
                if i >= j && i - j < h.len() {
                    let t = xj * h[i - j];
                    let u = s + t;
                    c += if s.abs() >= t.abs() {
                        (s - u) + t
                    } else {
                        (t - u) + s
                    };
                    s = u;
                }
            }
            s + c
        })
        .collect()
}

fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Normwise check: ||y - y_ref||_2 <= 8 log2(n + k) eps ||x||_2 ||h||_1 (Young's inequality
/// bounds ||x * h||_2 by ||x||_2 ||h||_1; the FFT error grows like log2 of its length).
fn assert_close(got: &[f64], x: &[f64], h: &[f64], what: &str) {
    let want = reference(x, h);
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: length (n={}, k={})",
        x.len(),
        h.len()
    );
    let err: Vec<f64> = got.iter().zip(&want).map(|(a, b)| a - b).collect();
    let h1: f64 = h.iter().map(|v| v.abs()).sum();
    let log = ((x.len() + h.len()) as f64).log2().max(1.0);
    let bound = 8.0 * log * f64::EPSILON * norm2(x) * h1;
    let e = norm2(&err);
    assert!(
        e <= bound,
        "{what}: n={} k={}: error {e:e} > bound {bound:e}",
        x.len(),
        h.len()
    );
}

const LENGTHS: [usize; 14] = [1, 2, 3, 7, 8, 13, 16, 31, 64, 97, 128, 257, 1000, 1031];

#[test]
fn empty_inputs_give_empty_output() {
    let x = [1.0, 2.0];
    for f in [convolve, fft_convolve] {
        assert!(f(&[], &x).is_empty());
        assert!(f(&x, &[]).is_empty());
        assert!(f(&[], &[]).is_empty());
    }
    for isa in Isa::available() {
        assert!(direct_convolve_with(isa, &[], &x).is_empty());
    }
    let plan = ConvPlan::new(&[]);
    assert_eq!(plan.output_len(5), 0);
    let mut out: Vec<f64> = Vec::new();
    plan.convolve_into(&[1.0; 5], &mut out, &mut []);
    let plan = ConvPlan::new(&x);
    assert_eq!(plan.output_len(0), 0);
    assert!(plan.convolve(&[]).is_empty());
}

#[test]
fn small_case_matches_numpy() {
    // numpy.convolve([1, 2, 3], [0, 1, 0.5]) == [0, 1, 2.5, 4, 1.5]
    let want = [0.0, 1.0, 2.5, 4.0, 1.5];
    for got in [
        convolve(&[1.0, 2.0, 3.0], &[0.0, 1.0, 0.5]),
        fft_convolve(&[1.0, 2.0, 3.0], &[0.0, 1.0, 0.5]),
    ] {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-14, "{got:?}");
        }
    }
    assert_eq!(convolve(&[3.0], &[-2.0]), vec![-6.0]);
}

#[test]
fn direct_matches_reference_on_every_isa() {
    for isa in Isa::available() {
        for &n in &LENGTHS {
            for &k in &LENGTHS {
                if n * k > 300_000 {
                    continue;
                }
                let x = rand_vec(n, n as u64);
                let h = rand_vec(k, 1000 + k as u64);
                let got = direct_convolve_with(isa, &x, &h);
                assert_close(&got, &x, &h, &format!("direct {isa}"));
            }
        }
    }
}

#[test]
fn fft_and_auto_match_reference() {
    for &n in &LENGTHS {
        for &k in &LENGTHS {
            let x = rand_vec(n, 7 * n as u64);
            let h = rand_vec(k, 3 + k as u64);
            assert_close(&fft_convolve(&x, &h), &x, &h, "fft");
            assert_close(&convolve(&x, &h), &x, &h, "auto");
        }
    }
}

#[test]
fn kernel_longer_than_signal_is_symmetric() {
    let x = rand_vec(5, 1);
    let h = rand_vec(300, 2);
    let a = convolve(&x, &h);
    let b = convolve(&h, &x);
    assert_close(&a, &x, &h, "short signal");
    assert_close(&b, &h, &x, "short kernel");
    let plan = ConvPlan::new(&h);
    assert_close(
        &plan.convolve(&x),
        &x,
        &h,
        "plan, signal shorter than kernel",
    );
}

#[test]
fn plan_with_many_blocks_odd_and_even_counts_and_dirty_scratch() {
    let h = rand_vec(37, 11);
    // fft_len 64 => blocks of 28 samples: exercise 1, 2, 3 and many blocks, with partial
    // last blocks, so both halves of the packed complex transform carry data or padding.
    let plan = ConvPlan::with_fft_len(&h, 64);
    assert_eq!(plan.block_len(), 28);
    for n in [1, 27, 28, 29, 56, 57, 84, 85, 1000, 1009] {
        let x = rand_vec(n, n as u64 + 99);
        let mut out = vec![f64::NAN; plan.output_len(n)];
        let mut scratch = vec![Complex::new(f64::NAN, f64::INFINITY); plan.scratch_len() + 3];
        plan.convolve_into(&x, &mut out, &mut scratch);
        assert_close(&out, &x, &h, "plan 64");
        // Reusing the (now dirty) scratch and output gives the same answer.
        let first = out.clone();
        plan.convolve_into(&x, &mut out, &mut scratch);
        assert_eq!(first, out);
    }
}

#[test]
fn fft_len_three_times_power_of_two_works() {
    let h = rand_vec(100, 5);
    let plan = ConvPlan::with_fft_len(&h, 384);
    let x = rand_vec(5000, 6);
    assert_close(&plan.convolve(&x), &x, &h, "plan 384");
}

#[test]
fn long_signal_crosses_to_fft() {
    // Well past the measured crossover, the automatic choice must be the FFT, and short
    // kernels must stay direct.
    assert!(use_fft(1 << 20, 1024));
    assert!(!use_fft(1 << 20, 4));
    assert!(!use_fft(1, 1 << 20));
    let x = rand_vec(20_000, 8);
    let h = rand_vec(1024, 9);
    let got = convolve(&x, &h);
    // Reference for 20k x 1k is 20M compensated terms: fine at opt-level 3.
    assert_close(&got, &x, &h, "auto long");
}

#[test]
#[should_panic(expected = "output has 3 values")]
fn plan_output_length_mismatch_panics() {
    let plan = ConvPlan::new(&[1.0, 2.0]);
    let mut scratch = vec![Complex::new(0.0, 0.0); plan.scratch_len()];
    plan.convolve_into(&[1.0, 2.0, 3.0], &mut [0.0; 3], &mut scratch);
}

#[test]
#[should_panic(expected = "shorter than the kernel")]
fn plan_fft_len_shorter_than_kernel_panics() {
    let _ = ConvPlan::with_fft_len(&[1.0; 10], 8);
}
