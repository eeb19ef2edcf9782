//! Blocks of Householder reflectors in compact WY form (Schreiber and Van Loan, 1989): the
//! product `H_j0 H_j0+1 ... H_j1-1` of reflectors `H_j = I - tau_j v_j v_j^T` as
//! `I - V T V^T`, with `V` the reflectors' vectors side by side and `T` upper triangular. A
//! block of `b` reflectors then reaches a matrix through two GEMMs and a `b x b` triangle,
//! where one reflector at a time costs a dot product and an axpy per column, each reading
//! the whole column from cache: the blocked [`qr`](crate::qr) and its `Q` use it.

use crate::{gemm_with, gram_with, Mat, MatMut, Par};
use simd_kernels::Isa;

/// Reflectors per block of the blocked QR: the factor and `Q` run one reflector at a time
/// within a block (level-2 work that grows with the block) and through GEMMs between
/// blocks. Measured on an Intel Xeon (AVX-512, one thread), factor plus `Q`, blocks of 16 /
/// 32 / 64 against the unblocked loop: `10000 x 60` 12.0-12.3 / 13.7-14.7 / 28.0-28.3 ms
/// against 27.4; `2000 x 60` 2.0 / 2.1-2.2 / 3.2-3.4 against 3.3; `1000 x 200` 5.5-5.8 /
/// 5.9-6.4 / 7.6-7.8 against 12.5-13.1. (LAPACK's `dgeqrf` takes 32.) A factor of at most
/// this many columns is one block: the unblocked loop, bit for bit.
pub(crate) const QR_BLOCK: usize = 16;

/// `I - V T V^T` for reflectors `j0..j1` of a compact QR factor.
pub(crate) struct BlockReflector {
    isa: Isa,
    /// `(m - j0) x b`: column `c` is zero above row `c`, one on it, the stored vector below.
    v: Mat<f64>,
    /// `b x b`, upper triangular.
    t: Mat<f64>,
}

impl BlockReflector {
    /// The block of reflectors `j0..j1` stored below the diagonal of the column-major
    /// `m x n` `qr` (unit leading entries implied, LAPACK's `geqr2` layout), with their
    /// scalars `tau[j0..j1]`.
    pub(crate) fn new(isa: Isa, qr: &Mat<f64>, tau: &[f64], j0: usize, j1: usize) -> Self {
        let (m, b) = (qr.nrows(), j1 - j0);
        let rows = m - j0;
        // Column c: zeros above row c (the fresh matrix's), one on it, the stored vector
        // below, copied as one run.
        let mut v = Mat::zeros(rows, b);
        for (c, col) in v.as_mut_slice().chunks_exact_mut(rows).enumerate() {
            let stored = &qr.as_slice()[(j0 + c) * m + j0 + c + 1..(j0 + c + 1) * m];
            col[c] = 1.0;
            col[c + 1..].copy_from_slice(stored);
        }
        // LAPACK's `dlarft` (forward, columnwise): T[0..c, c] = -tau_c T[0..c, 0..c] w with
        // w = V[:, 0..c]^T v_c, all of them from one Gram matrix V^T V (one pass over V;
        // a dot product per pair read v_c once for each earlier column).
        let g = gram_with(isa, v.as_ref(), Par::Seq);
        let mut t = Mat::zeros(b, b);
        for c in 0..b {
            let tau_c = tau[j0 + c];
            t[(c, c)] = tau_c;
            for r in 0..c {
                let s: f64 = (r..c).map(|q| t[(r, q)] * g[(q, c)]).sum();
                t[(r, c)] = -tau_c * s;
            }
        }
        BlockReflector { isa, v, t }
    }

    /// `C <- (I - V T^T V^T) C`, the block's transpose applied (as the factorization
    /// applies it to the trailing columns); `c` has `m - j0` rows.
    pub(crate) fn apply_transpose(&self, c: MatMut<'_, f64>) {
        self.apply_with(c, true)
    }

    /// `C <- (I - V T V^T) C`, the block applied (as forming `Q` applies it).
    pub(crate) fn apply(&self, c: MatMut<'_, f64>) {
        self.apply_with(c, false)
    }

    fn apply_with(&self, mut c: MatMut<'_, f64>, transpose: bool) {
        let b = self.t.nrows();
        if c.ncols() == 0 || b == 0 {
            return;
        }
        debug_assert_eq!(c.nrows(), self.v.nrows());
        let mut w = Mat::zeros(b, c.ncols());
        let (isa, v) = (self.isa, self.v.as_ref());
        gemm_with(isa, 1.0, v.t(), c.as_ref(), 0.0, w.as_mut(), Par::Seq);
        // W <- T^T W (lower triangular: rows from the last up) or T W (upper: rows from the
        // first down), in place: each row reads only rows not yet overwritten.
        let t = &self.t;
        for j in 0..w.ncols() {
            if transpose {
                for r in (0..b).rev() {
                    w[(r, j)] = (0..=r).map(|q| t[(q, r)] * w[(q, j)]).sum();
                }
            } else {
                for r in 0..b {
                    w[(r, j)] = (r..b).map(|q| t[(r, q)] * w[(q, j)]).sum();
                }
            }
        }
        gemm_with(isa, -1.0, v, w.as_ref(), 1.0, c.as_mut(), Par::Seq);
    }
}
