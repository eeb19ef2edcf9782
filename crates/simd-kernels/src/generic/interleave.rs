//! Interleaving rows (a transposing copy): `dst[p * m + i] = rows[i][p]`, the layout of a
//! GEMM's packed panel built from `m` contiguous runs (the rows of a row-major block of `A`,
//! or the columns of a column-major block of `B`). The portable form, for the rows no
//! register transpose covers and for the ISAs without one.

/// Rows `from ..` of `rows` into `dst` (`m = rows.len()` elements per position `p`), from
/// position `p0` on. The caller checked the lengths.
#[inline(always)]
pub(crate) fn interleave_from<T: Copy>(rows: &[&[T]], from: usize, p0: usize, dst: &mut [T]) {
    let m = rows.len();
    if from >= m {
        return;
    }
    let len = rows.first().map_or(0, |r| r.len());
    for p in p0..len {
        let d = &mut dst[p * m..(p + 1) * m];
        for (x, row) in d[from..].iter_mut().zip(&rows[from..]) {
            *x = row[p];
        }
    }
}
