//! The histogram kernels on every available ISA against a plain one-accumulator reference:
//! exactly on dyadic inputs (every partial sum representable, so no order can round), within
//! the stated bound on random ones, and bit-identical across ISAs.

mod common;

use common::Rng;
use simd_kernels::{histogram_gh_rows_with, histogram_gh_with, Isa};

/// The plain loop: one histogram, rows in order.
fn reference(bins: &[u8], rows: Option<&[u32]>, gh: &[[f32; 2]], nbins: usize) -> Vec<[f64; 2]> {
    let mut h = vec![[0.0; 2]; nbins];
    for (k, p) in gh.iter().enumerate() {
        let b = match rows {
            Some(r) => bins[r[k] as usize],
            None => bins[k],
        };
        h[usize::from(b)][0] += f64::from(p[0]);
        h[usize::from(b)][1] += f64::from(p[1]);
    }
    h
}

/// Pairs of small dyadic values (multiples of 1/8 below 64): every sum is exact.
fn dyadic(n: usize, rng: &mut Rng) -> Vec<[f32; 2]> {
    (0..n)
        .map(|_| {
            let g = (rng.below(1024) as f32 - 512.0) / 8.0;
            let h = rng.below(512) as f32 / 8.0;
            [g, h]
        })
        .collect()
}

fn random(n: usize, rng: &mut Rng) -> Vec<[f32; 2]> {
    (0..n)
        .map(|_| [rng.normal() as f32, rng.uniform() as f32])
        .collect()
}

/// Bin patterns: spread over `nbins`, all rows in one bin, the last (missing) bin only,
/// alternating first and last bin.
fn patterns(n: usize, nbins: usize, rng: &mut Rng) -> Vec<(&'static str, Vec<u8>)> {
    let last = (nbins - 1) as u8;
    vec![
        ("spread", (0..n).map(|_| rng.below(nbins) as u8).collect()),
        ("one bin", vec![(nbins / 2) as u8; n]),
        ("missing bin only", vec![last; n]),
        (
            "alternating",
            (0..n).map(|i| if i % 2 == 0 { 0 } else { last }).collect(),
        ),
    ]
}

const LENGTHS: [usize; 12] = [0, 1, 3, 4, 5, 7, 1023, 1024, 1025, 1027, 4099, 100_000];
const BIN_COUNTS: [usize; 5] = [1, 2, 17, 255, 256];

#[test]
fn every_isa_matches_the_reference_exactly_on_dyadic_pairs() {
    let mut cases = 0;
    for &n in &LENGTHS {
        for &nbins in &BIN_COUNTS {
            let mut rng = Rng::new((n * 1000 + nbins) as u64);
            let gh = dyadic(n, &mut rng);
            for (what, bins) in patterns(n, nbins, &mut rng) {
                let want = reference(&bins, None, &gh, nbins);
                for isa in Isa::available() {
                    // Dirty start: the kernel adds to what is there.
                    let mut got = vec![[1.0, 2.0]; nbins];
                    histogram_gh_with(isa, &bins, &gh, &mut got);
                    for (b, (g, w)) in got.iter().zip(&want).enumerate() {
                        assert_eq!(
                            *g,
                            [w[0] + 1.0, w[1] + 2.0],
                            "{isa} n={n} nbins={nbins} {what} bin {b}"
                        );
                    }
                    cases += 1;
                }
            }
        }
    }
    assert!(cases >= LENGTHS.len() * BIN_COUNTS.len() * 4);
}

#[test]
fn row_subsets_match_the_reference_on_every_isa() {
    for &n in &LENGTHS {
        let mut rng = Rng::new(n as u64 + 7);
        let total = n * 2 + 3;
        let bins: Vec<u8> = (0..total).map(|_| rng.below(256) as u8).collect();
        // Rows in any order, some repeated: the kernel must not assume sorted or distinct.
        let rows: Vec<u32> = (0..n).map(|_| rng.below(total) as u32).collect();
        let gh = dyadic(n, &mut rng);
        let want = reference(&bins, Some(&rows), &gh, 256);
        for isa in Isa::available() {
            let mut got = vec![[0.0; 2]; 256];
            histogram_gh_rows_with(isa, &bins, &rows, &gh, &mut got);
            assert_eq!(got, want, "{isa} n={n}");
        }
    }
}

#[test]
fn random_pairs_agree_across_isas_bit_for_bit_and_with_the_reference_within_bound() {
    for &n in &LENGTHS {
        let mut rng = Rng::new(n as u64 + 99);
        let gh = random(n, &mut rng);
        for (what, bins) in patterns(n, 256, &mut rng) {
            let want = reference(&bins, None, &gh, 256);
            let mut first: Option<Vec<[f64; 2]>> = None;
            for isa in Isa::available() {
                let mut got = vec![[0.0; 2]; 256];
                histogram_gh_with(isa, &bins, &gh, &mut got);
                // Bound: n * eps * sum |g| over the bin's rows, here over all rows.
                let abs: f64 = gh
                    .iter()
                    .map(|p| f64::from(p[0].abs()) + f64::from(p[1]))
                    .sum();
                let tol = (n as f64) * f64::EPSILON * abs;
                for (g, w) in got.iter().zip(&want) {
                    assert!(
                        (g[0] - w[0]).abs() <= tol && (g[1] - w[1]).abs() <= tol,
                        "{isa} n={n} {what}"
                    );
                }
                match &first {
                    None => first = Some(got),
                    Some(f) => assert_eq!(&got, f, "{isa} differs from scalar, n={n} {what}"),
                }
            }
        }
    }
}

#[test]
fn empty_input_leaves_the_histogram_as_it_was() {
    for isa in Isa::available() {
        let mut h = vec![[3.0, 4.0]; 5];
        histogram_gh_with(isa, &[], &[], &mut h);
        histogram_gh_rows_with(isa, &[1, 2], &[], &[], &mut h);
        assert_eq!(h, vec![[3.0, 4.0]; 5]);
        // An empty histogram is fine for no rows too.
        histogram_gh_with(isa, &[], &[], &mut []);
    }
}

#[test]
#[should_panic(expected = "slice lengths differ (3 vs 2)")]
fn length_mismatch_names_both_lengths() {
    histogram_gh_with(Isa::Scalar, &[0, 1, 2], &[[0.0; 2]; 2], &mut [[0.0; 2]; 3]);
}

#[test]
#[should_panic(expected = "in bin 4, the histogram has 4 bins")]
fn a_bin_beyond_the_histogram_panics() {
    histogram_gh_with(Isa::Scalar, &[1, 4], &[[1.0, 1.0]; 2], &mut [[0.0; 2]; 4]);
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn a_row_beyond_the_column_panics() {
    histogram_gh_rows_with(
        Isa::Scalar,
        &[1, 2],
        &[2],
        &[[1.0, 1.0]],
        &mut [[0.0; 2]; 4],
    );
}
