//! The micro-kernels against a reference product, on every ISA this machine has.

use super::*;

/// Deterministic values in [-1, 1) with no special structure.
fn fill<T: Float>(len: usize, seed: u64) -> Vec<T> {
    seeded_rng::uniform_vec(len, seed, -1.0, 1.0)
        .into_iter()
        .map(T::from_f64)
        .collect()
}

fn check<T: GemmScalar>(isa: Isa, shape: KernelShape) {
    let kern = MicroKernel::<T>::new(isa, shape);
    let (mr, nr) = (kern.mr(), kern.nr());
    for kc in [0, 1, 3, 4, 5, 17, 64] {
        let a = fill::<T>(mr * kc, 1 + kc as u64);
        let b = fill::<T>(nr * kc, 2 + kc as u64);
        // Row-major and column-major C with padding, full and edge tiles.
        for (m, n) in [
            (mr, nr),
            (mr - 1, nr),
            (mr, nr - 1),
            (1, 1),
            (mr / 2 + 1, 2),
            (mr, nr / 2),
            (mr - 1, nr / 2 + 1),
            (kern.short_mr.max(1), nr),
            ((kern.short_mr + 1).min(mr), nr - 1),
            (kern.shorter_mr.max(1), nr),
            (kern.shorter_mr.max(1), nr / 2),
            ((kern.shorter_mr + 1).min(mr), nr / 2),
        ] {
            for &(rs, cs) in &[(1, mr + 3), (nr + 2, 1)] {
                for (alpha, beta) in [(1.0, 0.0), (2.5, 0.0), (1.0, 1.0), (-0.5, 2.25)] {
                    let (alpha, beta) = (T::from_f64(alpha), T::from_f64(beta));
                    let len = (m.max(1) - 1) * rs + (n.max(1) - 1) * cs + 1;
                    let c0: Vec<T> = if beta == T::ZERO {
                        vec![T::NAN; len]
                    } else {
                        fill(len, 99)
                    };
                    let mut c = c0.clone();
                    kern.run_slices(kc, alpha, &a, &b, beta, &mut c, rs, cs, m, n);
                    let mut touched = vec![false; len];
                    for i in 0..m {
                        for j in 0..n {
                            let mut s = 0.0f64;
                            let mut mag = 0.0f64;
                            for p in 0..kc {
                                let t = a[p * mr + i].to_f64() * b[p * nr + j].to_f64();
                                s += t;
                                mag += t.abs();
                            }
                            let at = i * rs + j * cs;
                            touched[at] = true;
                            let old = if beta == T::ZERO {
                                0.0
                            } else {
                                c0[at].to_f64()
                            };
                            let want = alpha.to_f64() * s + beta.to_f64() * old;
                            let tol = 4.0
                                * (kc as f64 + 2.0)
                                * T::EPSILON.to_f64()
                                * (alpha.to_f64().abs() * mag + (beta.to_f64() * old).abs());
                            let got = c[at].to_f64();
                            assert!(
                                (got - want).abs() <= tol,
                                "{isa} {} {shape:?} kc={kc} m={m} n={n} rs={rs} cs={cs} \
                                 ({i},{j}): got {got}, want {want}",
                                T::NAME
                            );
                        }
                    }
                    for (at, t) in touched.iter().enumerate() {
                        if !t {
                            assert!(
                                c[at].to_f64().to_bits() == c0[at].to_f64().to_bits(),
                                "{isa} {shape:?}: element {at} outside the tile was written"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn gemm_microkernels_match_reference_on_every_isa() {
    for isa in Isa::available() {
        for shape in [KernelShape::Wide, KernelShape::Narrow] {
            check::<f64>(isa, shape);
            check::<f32>(isa, shape);
        }
    }
}

#[test]
fn twin_tiles_give_the_bits_of_the_full_tile() {
    fn check<T: GemmScalar>(isa: Isa, shape: KernelShape) {
        let kern = MicroKernel::<T>::new(isa, shape);
        let full = MicroKernel {
            half_nr: 0,
            short_mr: 0,
            shorter_mr: 0,
            ..kern
        };
        let (mr, nr) = (kern.mr(), kern.nr());
        let mut heights = vec![
            1,
            mr - 1,
            mr,
            kern.short_mr,
            kern.short_mr + 1,
            kern.shorter_mr,
            kern.shorter_mr + 1,
        ];
        heights.retain(|&m| (1..=mr).contains(&m));
        for kc in [1, 3, 4, 7, 64, 301] {
            let (a, b) = (fill::<T>(mr * kc, 11), fill::<T>(nr * kc, 12));
            for n in 1..=nr {
                for &m in &heights {
                    for (alpha, beta) in [(1.0, 0.0), (-0.75, 1.5)] {
                        let (alpha, beta) = (T::from_f64(alpha), T::from_f64(beta));
                        let mut want = fill::<T>(mr * nr, 13);
                        let mut got = want.clone();
                        full.run_slices(kc, alpha, &a, &b, beta, &mut want, 1, mr, m, n);
                        kern.run_slices(kc, alpha, &a, &b, beta, &mut got, 1, mr, m, n);
                        let bits =
                            |v: &[T]| v.iter().map(|x| x.to_f64().to_bits()).collect::<Vec<_>>();
                        assert_eq!(
                            bits(&got),
                            bits(&want),
                            "{isa} {} {shape:?} kc={kc} m={m} n={n}",
                            T::NAME
                        );
                    }
                }
            }
        }
    }
    for isa in Isa::available() {
        for shape in [KernelShape::Wide, KernelShape::Narrow] {
            check::<f64>(isa, shape);
            check::<f32>(isa, shape);
        }
    }
}

#[test]
fn gemm_strided_panels_match_packed_ones() {
    for isa in Isa::available() {
        let kern = MicroKernel::<f64>::new(isa, KernelShape::Narrow);
        let (mr, nr, kc) = (kern.mr(), kern.nr(), 37);
        // A row-major kc x ld matrix serves as both panels (columns 0..MR and 3..3+NR).
        let ld = mr + nr + 5;
        let x = fill::<f64>(kc * ld, 5);
        let pa: Vec<f64> = (0..kc)
            .flat_map(|p| x[p * ld..p * ld + mr].to_vec())
            .collect();
        let pb: Vec<f64> = (0..kc)
            .flat_map(|p| x[p * ld + 3..p * ld + 3 + nr].to_vec())
            .collect();
        let mut c1 = vec![0.5; mr * nr];
        let mut c2 = c1.clone();
        kern.run_slices(kc, 1.5, &pa, &pb, 2.0, &mut c1, 1, mr, mr, nr);
        // SAFETY: every panel read (row p < kc, columns < 3 + NR <= ld) is inside `x`,
        // and the MR x NR column-major tile fits `c2` exactly.
        unsafe {
            kern.run_strided(
                kc,
                1.5,
                x.as_ptr(),
                ld,
                x.as_ptr().add(3),
                ld,
                2.0,
                c2.as_mut_ptr(),
                1,
                mr as isize,
                mr,
                nr,
            );
        }
        assert_eq!(c1, c2, "{isa}");
    }
}

#[test]
fn fetching_while_computing_changes_nothing() {
    for isa in Isa::available() {
        for shape in [KernelShape::Wide, KernelShape::Narrow] {
            let kern = MicroKernel::<f64>::new(isa, shape);
            let (mr, nr) = (kern.mr(), kern.nr());
            for kc in [0, 1, 3, 4, 9, 64, 257] {
                let (a, b) = (fill::<f64>(mr * kc, 7), fill::<f64>(nr * kc, 8));
                let mut want = vec![0.25; mr * nr];
                kern.run_slices(kc, 1.5, &a, &b, 2.0, &mut want, 1, mr, mr, nr);
                let other = fill::<f64>(4096, 9);
                // Runs inside `other`, one far outside any allocation (a hint may name
                // any address), and an empty one.
                for fetch in [
                    FetchRuns {
                        ptr: other.as_ptr().cast(),
                        stride: 1024,
                        runs: 20,
                        run_lines: 3,
                    },
                    FetchRuns {
                        ptr: std::ptr::without_provenance(64 << 40),
                        stride: -(1 << 20),
                        runs: 1000,
                        run_lines: 40,
                    },
                    FetchRuns {
                        ptr: std::ptr::null(),
                        stride: 0,
                        runs: 5,
                        run_lines: 0,
                    },
                ] {
                    let mut got = vec![0.25; mr * nr];
                    // SAFETY: the packed panels hold MR * kc and NR * kc elements and the
                    // MR x NR column-major tile fits `got` exactly; `fetch` is only a hint.
                    unsafe {
                        kern.run_strided_fetching(
                            kc,
                            1.5,
                            a.as_ptr(),
                            mr,
                            b.as_ptr(),
                            nr,
                            2.0,
                            got.as_mut_ptr(),
                            1,
                            mr as isize,
                            mr,
                            nr,
                            Some(&fetch),
                        );
                    }
                    assert_eq!(got, want, "{isa} {shape:?} kc={kc} {fetch:?}");
                }
            }
        }
    }
}

#[test]
fn gemm_tile_shapes_fit_the_registers() {
    for isa in Isa::available() {
        let k = MicroKernel::<f64>::new(isa, KernelShape::Wide);
        assert_eq!(k.mr() % isa.f64_lanes(), 0);
        let k32 = MicroKernel::<f32>::new(isa, KernelShape::Wide);
        assert_eq!(k32.mr() % (isa.f64_lanes() * 2).min(k32.mr()), 0);
        assert_eq!(k.isa(), isa);
    }
}

#[test]
#[should_panic(expected = "exceeds")]
fn gemm_run_slices_rejects_oversized_tiles() {
    let k = MicroKernel::<f64>::new(Isa::Scalar, KernelShape::Wide);
    let mut c = vec![0.0; 64];
    k.run_slices(1, 1.0, &[0.0; 8], &[0.0; 8], 0.0, &mut c, 1, 8, 5, 4);
}

/// `B`'s panel read in place from a column-major matrix gives the packed panel's bits, for
/// every tile twin (tiles of every height and width) and depth, fetching or not.
#[test]
fn gemm_b_columns_in_place_match_packed_panels() {
    fn check<T: GemmScalar + std::fmt::Debug>(isa: Isa, shape: KernelShape) {
        let kern = MicroKernel::<T>::new(isa, shape);
        let (mr, nr) = (kern.mr(), kern.nr());
        for kc in [0, 1, 3, 8, 9, 67, 130] {
            // A column-major kc x NR block of B inside a matrix of `ld` rows.
            let ld = kc + 5;
            let x = fill::<T>(ld * nr + 3, 11);
            let b0 = 2;
            let pb: Vec<T> = (0..kc)
                .flat_map(|p| (0..nr).map(move |j| (p, j)))
                .map(|(p, j)| x[b0 + p + j * ld])
                .collect();
            let pa = fill::<T>(mr * kc, 12);
            let other = fill::<f64>(512, 13);
            let fetch = FetchRuns {
                ptr: other.as_ptr().cast(),
                stride: 256,
                runs: 7,
                run_lines: 2,
            };
            for (m, n) in [
                (mr, nr),
                (mr, nr / 2),
                (1, nr),
                (mr - 1, 1),
                (mr / 2, nr - 1),
            ] {
                for f in [None, Some(&fetch)] {
                    let c0 = fill::<T>(mr * nr, 14);
                    let (mut want, mut got) = (c0.clone(), c0.clone());
                    let (alpha, beta) = (T::from_f64(1.5), T::from_f64(-0.75));
                    kern.run_slices(kc, alpha, &pa, &pb, beta, &mut want, 1, mr, m, n);
                    // B's element (p, j), p < kc, j < NR, is at b0 + p + j * ld < ld * NR + 3.
                    // SAFETY: so B's panel lies in `x`; A's holds MR * kc elements; the m x n
                    // tile (m <= MR, n <= NR, leading dimension MR) fits `got`.
                    unsafe {
                        kern.run_b_strided_fetching(
                            kc,
                            alpha,
                            pa.as_ptr(),
                            mr,
                            (x.as_ptr().add(b0), 1, ld),
                            beta,
                            got.as_mut_ptr(),
                            (1, mr as isize),
                            (m, n),
                            f,
                        );
                    }
                    assert_eq!(want, got, "{isa} {shape:?} kc {kc} tile {m}x{n}");
                }
            }
        }
    }
    for isa in Isa::available() {
        for shape in [KernelShape::Wide, KernelShape::Narrow] {
            check::<f64>(isa, shape);
            check::<f32>(isa, shape);
        }
    }
}
