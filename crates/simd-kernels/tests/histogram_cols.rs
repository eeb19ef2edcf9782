//! The several-column histogram kernel on every available ISA against the textbook loop
//! (one accumulator per entry, rows in order): bit for bit on random pairs, for any number
//! of columns, all rows or a row list (sorted, sparse, or in any order with repeats), on
//! both sides of the few-rows threshold.

mod common;

use common::Rng;
use simd_kernels::{histogram_gh_cols_with, histogram_gh_row_major_with, Isa};

fn reference(col: &[u8], rows: Option<&[u32]>, gh: &[[f32; 2]], nbins: usize) -> Vec<[f64; 2]> {
    let mut h = vec![[0.0; 2]; nbins];
    for (k, p) in gh.iter().enumerate() {
        let r = rows.map_or(k, |rows| rows[k] as usize);
        let b = usize::from(col[r]);
        h[b][0] += f64::from(p[0]);
        h[b][1] += f64::from(p[1]);
    }
    h
}

/// A column of `len` bins below `nbins`, of one of several shapes.
fn column(len: usize, nbins: usize, shape: usize, rng: &mut Rng) -> Vec<u8> {
    (0..len)
        .map(|i| match shape {
            0 => rng.below(nbins) as u8,
            1 => (nbins - 1) as u8,
            2 => (if i % 2 == 0 { 0 } else { nbins - 1 }) as u8,
            _ => (i / 7 % nbins) as u8,
        })
        .collect()
}

#[test]
fn every_isa_equals_the_textbook_loop_bit_for_bit() {
    let mut cases = 0;
    for n in [0, 1, 5, 255, 256, 257, 1023, 4099, 20_000] {
        for ncols in [1, 2, 3, 4, 5, 7, 9] {
            let mut rng = Rng::new((n * 31 + ncols) as u64);
            let total = n * 3 + 11;
            let nbins: Vec<usize> = (0..ncols).map(|c| [256, 17, 2, 255][c % 4]).collect();
            let cols: Vec<Vec<u8>> = (0..ncols)
                .map(|c| column(total, nbins[c], c % 4, &mut rng))
                .collect();
            let sorted: Vec<u32> = {
                let mut r: Vec<u32> = (0..n).map(|_| rng.below(total) as u32).collect();
                r.sort_unstable();
                r
            };
            let sparse: Vec<u32> = (0..n as u32).map(|i| i * 3).collect();
            let any: Vec<u32> = (0..n).map(|_| rng.below(total) as u32).collect();
            let gh: Vec<[f32; 2]> = (0..n)
                .map(|_| [rng.normal() as f32, rng.uniform() as f32])
                .collect();
            let col_refs: Vec<&[u8]> = cols.iter().map(Vec::as_slice).collect();
            for rows in [None, Some(&sorted), Some(&sparse), Some(&any)] {
                let rows = rows.map(Vec::as_slice);
                let want: Vec<Vec<[f64; 2]>> = (0..ncols)
                    .map(|c| reference(&cols[c], rows, &gh, nbins[c]))
                    .collect();
                for isa in Isa::available() {
                    let mut got: Vec<Vec<[f64; 2]>> =
                        nbins.iter().map(|&b| vec![[0.0; 2]; b]).collect();
                    let mut outs: Vec<&mut [[f64; 2]]> =
                        got.iter_mut().map(Vec::as_mut_slice).collect();
                    histogram_gh_cols_with(isa, &col_refs, rows, &gh, &mut outs);
                    for c in 0..ncols {
                        let same = got[c].iter().zip(&want[c]).all(|(g, w)| {
                            g[0].to_bits() == w[0].to_bits() && g[1].to_bits() == w[1].to_bits()
                        });
                        assert!(
                            same,
                            "{isa} n={n} {ncols} columns, column {c}, rows {:?}",
                            rows.map(<[u32]>::len)
                        );
                    }
                    cases += 1;
                }
            }
        }
    }
    assert!(cases >= 9 * 7 * 4);
}

#[test]
fn the_kernel_adds_into_what_is_there() {
    // Dyadic pairs: every sum exact, so the order of additions cannot show.
    let mut rng = Rng::new(3);
    for n in [10, 1000] {
        let col: Vec<u8> = (0..n).map(|_| rng.below(8) as u8).collect();
        let gh: Vec<[f32; 2]> = (0..n)
            .map(|_| [rng.below(64) as f32 / 8.0 - 4.0, rng.below(8) as f32 / 4.0])
            .collect();
        let want = reference(&col, None, &gh, 8);
        for isa in Isa::available() {
            let mut h = vec![[1.0, 2.0]; 8];
            histogram_gh_cols_with(isa, &[&col], None, &gh, &mut [&mut h]);
            for (g, w) in h.iter().zip(&want) {
                assert_eq!(*g, [w[0] + 1.0, w[1] + 2.0], "{isa} n={n}");
            }
        }
    }
}

#[test]
fn a_bin_beyond_its_histogram_panics_on_both_paths() {
    for n in [3, 300] {
        let mut col = vec![1u8; n];
        col[n - 1] = 4;
        let gh = vec![[1.0f32, 1.0]; n];
        let r = std::panic::catch_unwind(|| {
            let mut h = vec![[0.0; 2]; 4];
            histogram_gh_cols_with(Isa::Scalar, &[&col], None, &gh, &mut [&mut h]);
        });
        let msg = r.expect_err("a bin beyond the histogram must panic");
        let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            msg.contains("in bin 4, the histogram has 4 bins"),
            "{n}: {msg}"
        );
    }
    // A zero pair in such a bin adds nothing, and is allowed.
    let mut h = vec![[0.0; 2]; 4];
    histogram_gh_cols_with(
        Isa::Scalar,
        &[&[1, 4]],
        None,
        &[[1.0, 1.0], [0.0, 0.0]],
        &mut [&mut h],
    );
    assert_eq!(h[1], [1.0, 1.0]);
}

#[test]
#[should_panic(expected = "slice lengths differ (2 vs 1)")]
fn columns_and_histograms_must_pair_up() {
    let mut h = vec![[0.0; 2]; 4];
    histogram_gh_cols_with(
        Isa::Scalar,
        &[&[0], &[1]],
        None,
        &[[1.0, 1.0]],
        &mut [&mut h],
    );
}

#[test]
#[should_panic(expected = "slice lengths differ (1 vs 2)")]
fn a_column_shorter_than_the_pairs_is_refused() {
    let mut h = vec![[0.0; 2]; 4];
    histogram_gh_cols_with(Isa::Scalar, &[&[0]], None, &[[1.0, 1.0]; 2], &mut [&mut h]);
}

#[test]
#[should_panic(expected = "row 2 is beyond a column of 2 bins")]
fn a_row_beyond_a_column_is_refused() {
    let mut h = vec![[0.0; 2]; 4];
    let gh = vec![[1.0f32, 1.0]; 300];
    let mut rows = vec![0u32; 300];
    rows[150] = 2;
    histogram_gh_cols_with(Isa::Scalar, &[&[0, 1]], Some(&rows), &gh, &mut [&mut h]);
}

#[test]
fn the_row_major_kernel_gives_the_column_kernels_sums_bit_for_bit() {
    let mut rng = Rng::new(11);
    let (height, width) = (3000, 7);
    let nbins = [256, 17, 2, 255, 256, 64, 9];
    let cols: Vec<Vec<u8>> = (0..width)
        .map(|c| column(height, nbins[c], c % 4, &mut rng))
        .collect();
    let matrix: Vec<u8> = (0..height)
        .flat_map(|r| cols.iter().map(move |c| c[r]))
        .collect();
    for n in [0, 1, 200, 257, 2999] {
        let sparse: Vec<u32> = (0..n as u32).map(|i| i * 41 % height as u32).collect();
        let gh: Vec<[f32; 2]> = (0..n)
            .map(|_| [rng.normal() as f32, rng.uniform() as f32])
            .collect();
        for features in [vec![0, 1, 2, 3, 4, 5, 6], vec![6, 1, 3]] {
            let col_refs: Vec<&[u8]> = features.iter().map(|&f| cols[f].as_slice()).collect();
            for isa in Isa::available() {
                let fresh = || -> Vec<Vec<[f64; 2]>> {
                    features.iter().map(|&f| vec![[0.0; 2]; nbins[f]]).collect()
                };
                let (mut want, mut got) = (fresh(), fresh());
                let mut w: Vec<&mut [[f64; 2]]> = want.iter_mut().map(Vec::as_mut_slice).collect();
                histogram_gh_cols_with(isa, &col_refs, Some(&sparse), &gh, &mut w);
                let mut g: Vec<&mut [[f64; 2]]> = got.iter_mut().map(Vec::as_mut_slice).collect();
                histogram_gh_row_major_with(isa, &matrix, width, &sparse, &gh, &features, &mut g);
                let bits = |v: &Vec<Vec<[f64; 2]>>| -> Vec<u64> {
                    v.iter()
                        .flatten()
                        .flat_map(|e| [e[0].to_bits(), e[1].to_bits()])
                        .collect()
                };
                assert_eq!(bits(&got), bits(&want), "{isa} n={n} features {features:?}");
            }
        }
    }
}

#[test]
#[should_panic(expected = "do not hold")]
fn a_row_beyond_the_matrix_is_refused() {
    let mut h = vec![[0.0; 2]; 4];
    histogram_gh_row_major_with(
        Isa::Scalar,
        &[0, 1, 2, 3],
        2,
        &[2],
        &[[1.0, 1.0]],
        &[0],
        &mut [&mut h],
    );
}

#[test]
#[should_panic(expected = "do not hold")]
fn a_feature_beyond_the_width_is_refused() {
    let mut h = vec![[0.0; 2]; 4];
    histogram_gh_row_major_with(
        Isa::Scalar,
        &[0, 1, 2, 3],
        2,
        &[1],
        &[[1.0, 1.0]],
        &[2],
        &mut [&mut h],
    );
}
