//! Interleaving rows (a transposing copy): `dst[p * m + i] = rows[i][p]`, the layout of a
//! GEMM's packed panel built from `m` contiguous runs (the rows of a row-major block of `A`,
//! or the columns of a column-major block of `B`). The portable form, for the parts no
//! register transpose covers and for the ISAs without one.

use std::ops::Range;

/// Every row of `rows` into `dst` (`m = rows.len()` elements per position). The caller
/// checked the lengths.
#[inline(always)]
pub(crate) fn interleave<T: Copy>(rows: &[&[T]], dst: &mut [T]) {
    let len = rows.first().map_or(0, |r| r.len());
    interleave_part(rows, 0..rows.len(), 0..len, dst);
}

/// The rows `which` of `rows`, at the positions `at`, into their places in `dst`.
#[inline(always)]
pub(crate) fn interleave_part<T: Copy>(
    rows: &[&[T]],
    which: Range<usize>,
    at: Range<usize>,
    dst: &mut [T],
) {
    let m = rows.len();
    for p in at {
        let d = &mut dst[p * m..(p + 1) * m];
        for (x, row) in d[which.clone()].iter_mut().zip(&rows[which.clone()]) {
            *x = row[p];
        }
    }
}
