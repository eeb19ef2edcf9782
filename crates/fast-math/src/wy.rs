//! Blocks of Householder reflectors in compact WY form (Schreiber and Van Loan, 1989): the
//! product `H_j0 H_j0+1 ... H_j1-1` of reflectors `H_j = I - tau_j v_j v_j^T` as
//! `I - V T V^T`, with `V` the reflectors' vectors side by side and `T` upper triangular. A
//! block of `b` reflectors then reaches a matrix through two GEMMs and a `b x b` triangle,
//! where one reflector at a time costs a dot product and an axpy per column, each reading
//! the whole column from cache: the blocked [`qr`](crate::qr) and its `Q` use it.

use crate::{gemm_with, gram_add_lower_with, Mat, MatMut, MatRef, Par};
use simd_kernels::Isa;

/// Reflectors per block of the blocked QR: the factor and `Q` run one reflector at a time
/// within a block (level-2 work that grows with the block) and through GEMMs between
/// blocks. Measured on an Intel Xeon (AVX-512, one thread), factor plus `Q`, blocks of 16 /
/// 32 / 64 against the unblocked loop: `10000 x 60` 12.0-12.3 / 13.7-14.7 / 28.0-28.3 ms
/// against 27.4; `2000 x 60` 2.0 / 2.1-2.2 / 3.2-3.4 against 3.3; `1000 x 200` 5.5-5.8 /
/// 5.9-6.4 / 7.6-7.8 against 12.5-13.1. (LAPACK's `dgeqrf` takes 32.) On a Zen 4 EPYC
/// (1 MiB L2) 16 held too: time with 8 / 32 over 16, four alternated rounds, `10000 x 60`
/// 1.20x / 1.10x, `2000 x 60` 0.93x / 1.04x, `1000 x 200` 1.17x / 1.03x. A factor of at most
/// this many columns is one block: the unblocked loop, bit for bit.
pub(crate) const QR_BLOCK: usize = 16;

/// `I - V T V^T` for reflectors `j0..j1` of a compact QR factor, `V = [V1; V2]`: `V1`, its
/// first `b` rows, the unit lower triangle (copied: the factor holds `R` above it), and
/// `V2`, the rest, read where the factor stores it (LAPACK's `dlarfb` split). Copying all of
/// `V` cost a fresh `(m - j0) x b` matrix per block, 12.8 MB for 100000 rows.
pub(crate) struct BlockReflector<'a> {
    isa: Isa,
    /// `b x b`: zero above the diagonal, one on it, the stored vectors below.
    v1: Mat<f64>,
    /// `(m - j0 - b) x b`, the stored vectors' rows below `V1`.
    v2: MatRef<'a, f64>,
    /// `b x b`, upper triangular.
    t: Mat<f64>,
}

impl<'a> BlockReflector<'a> {
    /// The block of reflectors `j0..j1` stored below the diagonal of the column-major
    /// factor `qr` (at least `j1` columns; unit leading entries implied, LAPACK's `geqr2`
    /// layout), with their scalars `tau[j0..j1]`.
    pub(crate) fn new(isa: Isa, qr: MatRef<'a, f64>, tau: &[f64], j0: usize, j1: usize) -> Self {
        let (m, b) = (qr.nrows(), j1 - j0);
        let v1 = Mat::from_fn(b, b, |i, c| match i.cmp(&c) {
            std::cmp::Ordering::Less => 0.0,
            std::cmp::Ordering::Equal => 1.0,
            std::cmp::Ordering::Greater => qr.get(j0 + i, j0 + c),
        });
        let v2 = qr.submatrix(j1, j0, m - j1, b);
        // LAPACK's `dlarft` (forward, columnwise): T[0..c, c] = -tau_c T[0..c, 0..c] w with
        // w = V[:, 0..c]^T v_c, all of them from one Gram matrix V^T V = V1^T V1 + V2^T V2
        // (one pass over V2; a dot product per pair read v_c once for each earlier column).
        let mut g = Mat::zeros(b, b);
        gram_add_lower_with(isa, v2, &mut g);
        for c in 0..b {
            for r in 0..c {
                let s: f64 = (c..b).map(|i| v1[(i, r)] * v1[(i, c)]).sum();
                g[(c, r)] += s;
            }
        }
        let mut t = Mat::zeros(b, b);
        for c in 0..b {
            let tau_c = tau[j0 + c];
            t[(c, c)] = tau_c;
            for r in 0..c {
                let s: f64 = (r..c).map(|q| t[(r, q)] * g[(c.max(q), c.min(q))]).sum();
                t[(r, c)] = -tau_c * s;
            }
        }
        BlockReflector { isa, v1, v2, t }
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

    fn apply_with(&self, c: MatMut<'_, f64>, transpose: bool) {
        let b = self.t.nrows();
        if c.ncols() == 0 || b == 0 {
            return;
        }
        debug_assert_eq!(c.nrows(), b + self.v2.nrows());
        let (mut c1, mut c2) = c.split_at_row(b);
        let mut w = Mat::zeros(b, c1.ncols());
        let (isa, v1, v2) = (self.isa, self.v1.as_ref(), self.v2);
        // W = V^T C = V1^T C1 + V2^T C2.
        // With no rows below V1 (a square factor's last block), V2's product adds nothing.
        gemm_with(isa, 1.0, v1.t(), c1.as_ref(), 0.0, w.as_mut(), Par::Seq);
        gemm_with(isa, 1.0, v2.t(), c2.as_ref(), 1.0, w.as_mut(), Par::Seq);
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
        // C -= V W: C1 -= V1 W, C2 -= V2 W.
        gemm_with(isa, -1.0, v1, w.as_ref(), 1.0, c1.as_mut(), Par::Seq);
        gemm_with(isa, -1.0, v2, w.as_ref(), 1.0, c2.as_mut(), Par::Seq);
    }
}
