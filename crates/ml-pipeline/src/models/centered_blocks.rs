//! Blocks of rows copied centered on their own column means, for the fits that sum the Gram
//! matrices of such blocks (PCA, ridge's normal equations) and combine them by Chan et al.'s
//! pairwise update: X is read from memory once, straight into a block-sized centered copy,
//! and nothing of size `n x k` is written.

use fast_math::MatRef;
use simd_kernels::Isa;
use std::ops::Range;

/// PCA's rows per block for `k` columns: the block's `k` columns in half of L2, where it
/// stays while the Gram kernel reads it (at least 64 rows, at most 4096). Ridge takes
/// longer blocks (see `ridge::gram::CHUNK_ROWS`).
pub(crate) fn block_rows(k: usize) -> usize {
    let block_bytes = simd_kernels::cache::CacheSizes::detect().l2 / 2;
    (block_bytes / (k.max(1) * std::mem::size_of::<f64>())).clamp(64, 4096)
}

/// How [`center_block`] sums a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sums {
    /// Compensated (`simd_kernels::sum_compensated`): the block means, and the overall
    /// means built from them, accurate to about an ulp.
    Compensated,
    /// Plain (`simd_kernels::sum`): rounding errors that only shift the centering point by
    /// a few ulps, which the pairwise update absorbs to second order.
    Plain,
}

/// Copies rows `block` of every column of `x` into `buf` (column `j` at `j * ld`), each
/// centered on its own mean, and returns the columns' sums, taken as `sums` says.
///
/// A contiguous column is summed where it lies, then copied centered, both by SIMD
/// kernels; the sum asks the cache for the next column's rows of the block, or, for the
/// last column, the first column's rows of the next block within `range` (the caller's
/// rows): each column of a column-major block is a short run on a page of its own, where
/// the hardware prefetcher starts cold, and the read-ahead makes the block's columns stream
/// from memory like one long run (a 100k x 64 PCA on a Zen 5, one thread: AVX2 13.0-13.4
/// -> 11.0-11.3 ms, AVX-512 8.9-10.3 -> 7.5-8.8 ms). A strided column is gathered first.
pub(crate) fn center_block(
    isa: Isa,
    x: MatRef<'_, f64>,
    block: Range<usize>,
    range: Range<usize>,
    buf: &mut [f64],
    ld: usize,
    sums: Sums,
) -> Vec<f64> {
    let total = |col: &[f64], next: &[f64]| match sums {
        Sums::Compensated => simd_kernels::sum_compensated_ahead_with(isa, col, next),
        Sums::Plain => simd_kernels::sum_ahead_with(isa, col, next),
    };
    let m = block.len();
    let mut out = Vec::with_capacity(x.ncols());
    for (j, col) in buf.chunks_exact_mut(ld).take(x.ncols()).enumerate() {
        let col = &mut col[..m];
        let sum = match x.col_slice(j) {
            Some(src) => {
                let next = match x.col_slice(j + 1) {
                    Some(next) => &next[block.clone()],
                    None => x.col_slice(0).map_or(&[][..], |first| {
                        &first[block.end..(block.end + m).min(range.end)]
                    }),
                };
                let here = &src[block.clone()];
                let sum = total(here, next);
                simd_kernels::sub_scalar_into_with(isa, here, sum / m as f64, col);
                sum
            }
            None => {
                center_column(x, j, block.clone(), 0.0, col);
                let sum = total(col, &[]);
                let mu = sum / m as f64;
                for v in col.iter_mut() {
                    *v -= mu;
                }
                sum
            }
        };
        out.push(sum);
    }
    out
}

/// `dst = x[rows, j] - mu`, down the column where it is contiguous, element by element
/// where it is strided.
pub(crate) fn center_column(
    x: MatRef<'_, f64>,
    j: usize,
    rows: Range<usize>,
    mu: f64,
    dst: &mut [f64],
) {
    match x.col_slice(j) {
        Some(src) => {
            for (d, &v) in dst.iter_mut().zip(&src[rows]) {
                *d = v - mu;
            }
        }
        None => {
            for (d, i) in dst.iter_mut().zip(rows) {
                *d = x.get(i, j) - mu;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fast_math::Mat;

    /// Contiguous and strided columns alike: the copy is each column minus its block mean
    /// and the sums are exact for data whose sums are exact (small integers).
    #[test]
    fn blocks_are_centered_copies_with_their_sums() {
        let (n, k) = (300, 5);
        let x = Mat::from_fn(n, k, |i, j| {
            ((i * 7 + j * 13) % 23) as f64 - 11.0 + 1e6 * j as f64
        });
        let xt = x.transpose();
        for isa in Isa::available() {
            for view in [x.as_ref(), xt.as_ref().t()] {
                let range = 10..290;
                let ld = 136;
                let mut buf = vec![f64::NAN; ld * k];
                for r0 in range.clone().step_by(128) {
                    let block = r0..(r0 + 128).min(range.end);
                    for kind in [Sums::Compensated, Sums::Plain] {
                        let sums = center_block(
                            isa,
                            view,
                            block.clone(),
                            range.clone(),
                            &mut buf,
                            ld,
                            kind,
                        );
                        for j in 0..k {
                            let want: f64 = block.clone().map(|i| x[(i, j)]).sum();
                            assert_eq!(sums[j], want, "{isa} column {j}");
                            let mu = want / block.len() as f64;
                            for (t, i) in block.clone().enumerate() {
                                assert_eq!(buf[j * ld + t], x[(i, j)] - mu, "{isa} ({i}, {j})");
                            }
                        }
                    }
                }
            }
        }
    }
}
