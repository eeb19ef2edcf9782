//! Interleaving equal-length rows into one buffer, position by position: the transposing
//! copy that builds a GEMM's packed panel from contiguous runs.

use crate::{Float, Isa};

/// Writes `dst[p * m + i] = rows[i][p]` for the `m = rows.len()` rows (all of one length)
/// and every position `p`: the rows side by side, one position after another. This is the
/// layout of a GEMM's packed panel of `MR` rows of a row-major `A` (or `NR` columns of a
/// column-major `B`), built from contiguous runs.
///
/// With AVX-512 or AVX2, whole vectors move through register transposes (`f64` in 8 x 8 or
/// 4 x 4 blocks, `f32` in 8 x 8 and 4 x 4 ones) and two leftover rows in pairs; the rest
/// element by element. A pure copy: the result is the same on every ISA.
///
/// # Panics
/// If the rows differ in length, `dst` does not hold `m` times their length, or the CPU
/// does not support `isa`.
///
/// ```
/// use simd_kernels::{interleave_rows_with, Isa};
/// let (a, b) = ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]);
/// let mut dst = [0.0; 6];
/// interleave_rows_with(Isa::detect(), &[&a[..], &b[..]], &mut dst);
/// assert_eq!(dst, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
/// ```
#[inline]
#[track_caller]
pub fn interleave_rows_with<T: Float>(isa: Isa, rows: &[&[T]], dst: &mut [T]) {
    let len = rows.first().map_or(0, |r| r.len());
    if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != len) {
        panic!(
            "interleave_rows: row {i} has {} elements, row 0 has {len}",
            r.len()
        );
    }
    if rows.len().checked_mul(len) != Some(dst.len()) {
        panic!(
            "interleave_rows: dst holds {} elements, {} rows of {len} need their product",
            dst.len(),
            rows.len()
        );
    }
    T::interleave_rows_kernel(isa, rows, dst)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference<T: Copy>(rows: &[&[T]], dst: &mut [T]) {
        let m = rows.len();
        for (i, row) in rows.iter().enumerate() {
            for (p, &v) in row.iter().enumerate() {
                dst[p * m + i] = v;
            }
        }
    }

    /// Every row count and length around the register blocks (4 and 8) and the chunks of
    /// positions (64), on every ISA, with rows at every alignment (offsets into one buffer)
    /// and distinct values everywhere.
    #[test]
    fn matches_the_elementwise_copy_on_every_isa() {
        for isa in Isa::available() {
            for m in [0, 1, 3, 4, 5, 6, 8, 9, 12, 14, 16, 24, 25, 48] {
                for len in [0, 1, 3, 4, 7, 8, 9, 17, 63, 64, 65, 71, 72, 128, 133, 256] {
                    for offset in [0, 1, 3] {
                        let data: Vec<f64> = (0..offset + m * (len + 2))
                            .map(|v| v as f64 * 0.5 - 7.0)
                            .collect();
                        let rows: Vec<&[f64]> = (0..m)
                            .map(|i| &data[offset + i * (len + 2)..][..len])
                            .collect();
                        let mut want = vec![f64::NAN; m * len];
                        reference(&rows, &mut want);
                        let mut got = vec![f64::NAN; m * len];
                        interleave_rows_with(isa, &rows, &mut got);
                        assert_eq!(got, want, "{isa} m {m} len {len} offset {offset}");
                        let rows32: Vec<Vec<f32>> = rows
                            .iter()
                            .map(|r| r.iter().map(|&v| v as f32).collect())
                            .collect();
                        let rows32: Vec<&[f32]> = rows32.iter().map(|r| &r[..]).collect();
                        let mut want32 = vec![f32::NAN; m * len];
                        reference(&rows32, &mut want32);
                        let mut got32 = vec![f32::NAN; m * len];
                        interleave_rows_with(isa, &rows32, &mut got32);
                        assert_eq!(got32, want32, "{isa} f32 m {m} len {len}");
                    }
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "row 1 has 2 elements, row 0 has 3")]
    fn rows_of_different_lengths_are_refused() {
        let mut dst = [0.0; 6];
        interleave_rows_with(
            Isa::Scalar,
            &[&[1.0, 2.0, 3.0][..], &[1.0, 2.0][..]],
            &mut dst,
        );
    }

    #[test]
    #[should_panic(expected = "dst holds 5 elements, 2 rows of 3 need their product")]
    fn a_short_destination_is_refused() {
        let mut dst = [0.0; 5];
        let r = [1.0, 2.0, 3.0];
        interleave_rows_with(Isa::Scalar, &[&r[..], &r[..]], &mut dst);
    }
}
