//! The lower triangle of a Gram matrix `X^T X` of column-major data, by dot products of its
//! columns read in place (no packing): the kernel of the tall and narrow Gram matrices of
//! ridge, PCA and logistic regression. See `generic::gram` for the register tile.

use crate::float::Float;
use crate::isa::Isa;

/// Columns the kernel on `isa` keeps in L1 at once: a band of register tiles (read once per
/// tile of the band) and the columns of one tile streaming past it. A caller blocking the
/// rows keeps `gram_l1_columns(isa) * rows` elements within L1.
pub fn gram_l1_columns(isa: Isa) -> usize {
    use crate::generic::gram::{tile_j, TI};
    let registers = match isa {
        Isa::Avx512 => 32,
        Isa::Avx2Fma | Isa::Scalar => 16,
    };
    TI + tile_j(registers)
}

/// Adds the Gram matrix of the columns `cols` (all of one length, the rows) to the lower
/// triangle of the `k x k` column-major `g` (`k = cols.len()`):
/// `g[i + j * k] += sum_r cols[i][r] * cols[j][r]` for `i >= j`. The strict upper triangle
/// of `g` is left as it is.
///
/// Numerics: each entry is a dot product of two columns, summed in `LANES` partial sums
/// (row `r` into lane `r % LANES`) combined pairwise, then the leftover rows in order; so,
/// as for [`dot`](crate::dot), the rounding depends on the ISA and is reproducible for a
/// given one (error at most `rows * eps * sum |x_ri x_rj|`, first order).
///
/// # Panics
/// If the columns differ in length, or `g.len() != k * k`; the message names the sizes.
///
/// ```
/// use simd_kernels::gram_lower_add;
/// let (a, b) = ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]);
/// let mut g = [0.0; 4];
/// gram_lower_add(&[&a, &b], &mut g);
/// assert_eq!(g, [14.0, 32.0, 0.0, 77.0]); // the upper entry g[(0, 1)] is untouched
/// ```
#[inline]
#[track_caller]
pub fn gram_lower_add<T: Float>(cols: &[&[T]], g: &mut [T]) {
    gram_lower_add_with(Isa::detect(), cols, g)
}

/// [`gram_lower_add`] on one given ISA.
///
/// # Panics
/// As [`gram_lower_add`]; also if the CPU does not support `isa`.
#[inline]
#[track_caller]
pub fn gram_lower_add_with<T: Float>(isa: Isa, cols: &[&[T]], g: &mut [T]) {
    let k = cols.len();
    if k.checked_mul(k) != Some(g.len()) {
        panic!(
            "gram_lower_add: g holds {} elements, {k} columns need k * k",
            g.len()
        );
    }
    if let Some(first) = cols.first() {
        if let Some((j, c)) = cols
            .iter()
            .enumerate()
            .find(|(_, c)| c.len() != first.len())
        {
            panic!(
                "gram_lower_add: column {j} has {} rows, column 0 has {}",
                c.len(),
                first.len()
            );
        }
    }
    T::gram_lower_add_kernel(isa, cols, g)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small integers: every product and sum is exact, so any summation order agrees.
    fn int_data(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|i| ((i * 7 + seed * 13) % 23) as f64 - 11.0)
            .collect()
    }

    fn reference(x: &[f64], rows: usize, k: usize, ld: usize) -> Vec<f64> {
        let mut g = vec![0.0; k * k];
        for j in 0..k {
            for i in j..k {
                g[i + j * k] = (0..rows).map(|r| x[r + i * ld] * x[r + j * ld]).sum();
            }
        }
        g
    }

    fn columns<T>(x: &[T], rows: usize, k: usize, ld: usize) -> Vec<&[T]> {
        (0..k).map(|c| &x[c * ld..c * ld + rows]).collect()
    }

    #[test]
    fn every_isa_gives_the_exact_lower_triangle_and_leaves_the_upper_alone() {
        for isa in Isa::available() {
            for k in (0..=10).chain([13, 17, 64]) {
                for rows in (0..=9).chain([15, 16, 17, 31, 100, 257]) {
                    for pad in [0, 3] {
                        let ld = rows + pad;
                        let x = int_data((k * ld).max(1), k + rows);
                        let want = reference(&x, rows, k, ld);
                        // Start from a non-zero g: the kernel adds.
                        let mut g: Vec<f64> = (0..k * k).map(|v| v as f64 + 0.5).collect();
                        gram_lower_add_with(isa, &columns(&x, rows, k, ld), &mut g);
                        for j in 0..k {
                            for i in 0..k {
                                let start = (i + j * k) as f64 + 0.5;
                                let expect = if i >= j {
                                    start + want[i + j * k]
                                } else {
                                    start
                                };
                                assert_eq!(
                                    g[i + j * k],
                                    expect,
                                    "{isa} k={k} rows={rows} ld={ld} ({i},{j})"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_isa_is_within_the_dot_product_bound_on_random_data() {
        let (rows, k) = (1001, 11);
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let x: Vec<f64> = (0..rows * k)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 11) as f64 / (1u64 << 53) as f64 - 0.3
            })
            .collect();
        for isa in Isa::available() {
            let mut g = vec![0.0; k * k];
            gram_lower_add_with(isa, &columns(&x, rows, k, rows), &mut g);
            for j in 0..k {
                for i in j..k {
                    let (a, b) = (&x[i * rows..][..rows], &x[j * rows..][..rows]);
                    let exact: f64 = a.iter().zip(b).map(|(p, q)| p * q).sum();
                    let scale: f64 = a.iter().zip(b).map(|(p, q)| (p * q).abs()).sum();
                    let bound = rows as f64 * f64::EPSILON * scale;
                    assert!((g[i + j * k] - exact).abs() <= bound, "{isa} ({i},{j})");
                }
            }
        }
    }

    #[test]
    fn f32_matches_the_exact_integer_result() {
        let (rows, k) = (70, 5);
        let x: Vec<f32> = int_data(rows * k, 1).iter().map(|&v| v as f32).collect();
        let want = reference(
            &x.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
            rows,
            k,
            rows,
        );
        for isa in Isa::available() {
            let mut g = vec![0.0f32; k * k];
            gram_lower_add_with(isa, &columns(&x, rows, k, rows), &mut g);
            for j in 0..k {
                for i in j..k {
                    assert_eq!(f64::from(g[i + j * k]), want[i + j * k], "{isa} ({i},{j})");
                }
            }
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_l1_columns_follow_each_isa_tile() {
        use crate::generic::gram::{tile_j, TI};
        use crate::simd::Simd;
        let wide = <crate::arch::avx512::Avx512 as Simd<f64>>::REGISTERS;
        let narrow = <crate::arch::avx2::Avx2Fma as Simd<f64>>::REGISTERS;
        assert_eq!(gram_l1_columns(Isa::Avx512), TI + tile_j(wide));
        assert_eq!(gram_l1_columns(Isa::Avx2Fma), TI + tile_j(narrow));
        assert_eq!(
            (gram_l1_columns(Isa::Avx512), gram_l1_columns(Isa::Scalar)),
            (10, 8)
        );
    }

    #[test]
    #[should_panic(expected = "column 2 has 2 rows, column 0 has 3")]
    fn columns_of_different_lengths_are_refused() {
        gram_lower_add(&[&[0.0; 3][..], &[0.0; 3], &[0.0; 2]], &mut [0.0; 9]);
    }

    #[test]
    #[should_panic(expected = "g holds 3 elements, 2 columns need k * k")]
    fn a_wrong_size_g_is_refused() {
        gram_lower_add(&[&[0.0; 3][..], &[0.0; 3]], &mut [0.0; 3]);
    }
}
