//! Differential fuzzing of `fast_math::gemm_with` (`C <- alpha A B + beta C`) for f64 and f32
//! on every available ISA, against a compensated f64 triple loop.
//!
//! Checked, per the doc comment of `gemm`:
//! - every element within the documented first-order bound
//!   `k eps |alpha| (|A||B|)_ij + eps |beta c_ij|`, times 2, plus 2 eps of the result (the
//!   reference's own rounding and the final stores) and a subnormal slack;
//! - `beta == 0`: C starts as NaN and none may leak (its old contents are never read);
//! - `alpha == 0`: A and B hold NaN and must not be read (C becomes `beta C`);
//! - nothing outside the views is read (padding of A and B is NaN) or written (padding of C
//!   keeps its sentinel bits);
//! - the plain `gemm` equals `gemm_with(Isa::detect())` bit for bit.
//!
//! Shapes `m, n, k` in `0..=70`, often at the micro-tile edges (AVX-512 24x8 / 48x8, AVX2
//! 8x6 / 16x6, scalar 4x4); layouts column-major, row-major, padded sub-views (through
//! `submatrix`, with and without `t()`), non-unit strides, zero-stride (broadcast) A and B,
//! owned `Mat`s (`from_row_major`, `transpose`); `Par::Seq` or `Par::Rayon(2)`.
//!
//! Input layout: `[flags, m, n, k, alpha | beta << 4, layout A | layout B << 3, layout C,
//! seed (8 bytes), raw values...]`. `flags`: bit 0 f32, bits 1-3 value class, bit 4
//! `Par::Rayon(2)`. Sizes: a byte below 0x80 is taken mod 71, others index a list of edge
//! sizes.
#![no_main]

/// The exact references of the crate's own tests (Shewchuk sums, two-pass moments).
#[path = "../../crates/simd-kernels/tests/common/mod.rs"]
mod reference;

use fast_math::{gemm, gemm_with, Mat, MatMut, MatRef, Par, Scalar};
use libfuzzer_sys::fuzz_target;
use reference::Rng;
use simd_kernels::Isa;

const MAX_DIM: usize = 70;

/// Sizes around the register tiles (4, 6, 8, 16, 24, 48) and their multiples.
const EDGE: [usize; 28] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 50, 63,
    64, 65, 70,
];

/// Magnitude cap of raw values: products summed over k <= 70, times |alpha| <= 4, stay far
/// from f32 overflow.
const TAME: f64 = 1e6;

// ---------------------------------------------------------------------------------------
// Element types
// ---------------------------------------------------------------------------------------

trait Elem: Scalar + std::fmt::LowerExp {
    /// Smallest positive subnormal, widened.
    const DENORM_MIN: f64;
    /// The bit pattern, zero-extended.
    fn bits(self) -> u64;
}

impl Elem for f64 {
    const DENORM_MIN: f64 = f64::from_bits(1);
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

impl Elem for f32 {
    const DENORM_MIN: f64 = f32::from_bits(1) as f64;
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
}

fn identical<T: Elem>(a: T, b: T) -> bool {
    a.bits() == b.bits() || (a.is_nan() && b.is_nan())
}

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

/// Matrix entries of one value class (all bounded in magnitude, so the error bound is
/// meaningful and nothing overflows).
struct Gen<'a> {
    rng: Rng,
    class: u8,
    raw: &'a [u8],
}

impl Gen<'_> {
    fn next(&mut self) -> f64 {
        let class = if self.class >= 6 {
            (self.rng.next_u64() % 6) as u8
        } else {
            self.class
        };
        let r = &mut self.rng;
        match class {
            // Small integers: exact products and sums.
            0 => (r.below(17) as f64) - 8.0,
            1 => 2.0 * r.uniform() - 1.0,
            // Wide dynamic range: 2^-20 .. 2^21, random signs (cancellation).
            2 => {
                let m = 1.0 + r.uniform();
                let e = r.below(41) as i32 - 20;
                let s = if r.next_u64() & 1 == 0 { 1.0 } else { -1.0 };
                s * m * 2f64.powi(e)
            }
            // Sparse, with signed zeros.
            3 => match r.below(10) {
                0 => -0.0,
                1..=7 => 0.0,
                _ => 2.0 * r.uniform() - 1.0,
            },
            // Raw words from the input, tamed; the PRNG once they run out.
            4 => match self.raw.split_first_chunk::<8>() {
                Some((w, rest)) => {
                    self.raw = rest;
                    let v = f64::from_le_bytes(*w);
                    if v.is_finite() && v.abs() <= TAME {
                        v
                    } else {
                        (u64::from_le_bytes(*w) % 2001) as f64 - 1000.0
                    }
                }
                None => 2.0 * r.uniform() - 1.0,
            },
            // Near +-1: heavy cancellation in the sums.
            _ => {
                let s = if r.next_u64() & 1 == 0 { 1.0 } else { -1.0 };
                s * (1.0 + r.uniform() * 2f64.powi(-(10 + r.below(20) as i32)))
            }
        }
    }
}

/// Alpha or beta: 0, 1, -1, 0.5, 2, an arbitrary value in [-4, 4], -0, 1.
fn scalar_from(sel: u8, rng: &mut Rng) -> f64 {
    match sel & 7 {
        0 => 0.0,
        1 => 1.0,
        2 => -1.0,
        3 => 0.5,
        4 => 2.0,
        5 => 8.0 * rng.uniform() - 4.0,
        6 => -0.0,
        _ => 1.0,
    }
}

fn dim(b: u8) -> usize {
    if b < 0x80 {
        usize::from(b) % (MAX_DIM + 1)
    } else {
        EDGE[usize::from(b) % EDGE.len()]
    }
}

// ---------------------------------------------------------------------------------------
// Layouts
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Build {
    /// `from_col_major` on an exact buffer.
    ColMajor,
    /// `from_row_major` on an exact buffer.
    RowMajor,
    /// `from_slice` with the layout's strides.
    Strided,
    /// `from_slice` of the transposed shape and strides, then `t()`.
    Transposed,
    /// `submatrix` of a larger padded view.
    Sub,
    /// `submatrix` of the `t()` of a larger padded view.
    SubT,
    /// An owned `Mat`.
    Owned,
}

/// Where element `(i, j)` of a `rows x cols` operand lives: `(bi + i) * rs + (bj + j) * cs`
/// in a buffer that holds a `br x bc` matrix (the view itself unless `Sub`/`SubT`).
#[derive(Clone, Copy, Debug)]
struct Layout {
    build: Build,
    rs: usize,
    cs: usize,
    bi: usize,
    bj: usize,
    br: usize,
    bc: usize,
    /// For `Owned`: built through `transpose` (else straight from row-major data).
    transposed: bool,
}

impl Layout {
    fn new(code: u8, rows: usize, cols: usize, is_c: bool, rng: &mut Rng) -> Layout {
        let (pi, pj, q) = (rng.below(4), rng.below(4), rng.below(3));
        let transposed = rng.next_u64() & 1 == 0;
        let plain = |build, rs, cs| Layout {
            build,
            rs,
            cs,
            bi: 0,
            bj: 0,
            br: rows,
            bc: cols,
            transposed,
        };
        let sub = |build, row_major: bool, rng: &mut Rng| {
            let (br, bc) = (rows + pi, cols + pj);
            let (rs, cs) = if row_major { (bc + q, 1) } else { (1, br + q) };
            Layout {
                build,
                rs,
                cs,
                bi: rng.below(pi + 1),
                bj: rng.below(pj + 1),
                br,
                bc,
                transposed,
            }
        };
        match code & 7 {
            0 => plain(Build::ColMajor, 1, rows),
            1 => plain(Build::RowMajor, cols, 1),
            2 => sub(Build::Sub, false, rng),
            3 => sub(Build::SubT, true, rng),
            4 => plain(Build::Strided, 2, 2 * rows + 1),
            5 => plain(Build::Transposed, 2 * cols + 1, 2),
            // A zero row stride: every row of A (or B) is the same memory. C may not alias.
            6 if !is_c => plain(Build::Strided, 0, 1),
            _ => plain(Build::Owned, 1, rows),
        }
    }

    fn pos(&self, i: usize, j: usize) -> usize {
        (self.bi + i) * self.rs + (self.bj + j) * self.cs
    }

    /// Buffer length: the big matrix plus a little tail padding.
    fn len(&self) -> usize {
        let last = if self.br == 0 || self.bc == 0 {
            0
        } else {
            (self.br - 1) * self.rs + (self.bc - 1) * self.cs
        };
        last + 5
    }

    /// A buffer holding the `rows x cols` column-major `vals` at their places, `pad`
    /// everywhere else.
    fn fill<T: Elem>(&self, vals: &[T], rows: usize, cols: usize, pad: T) -> Vec<T> {
        let mut buf = vec![pad; self.len()];
        for j in 0..cols {
            for i in 0..rows {
                buf[self.pos(i, j)] = vals[i + j * rows];
            }
        }
        buf
    }

    fn view<'a, T: Elem>(&self, buf: &'a [T], rows: usize, cols: usize) -> MatRef<'a, T> {
        let (rs, cs, br, bc) = (self.rs, self.cs, self.br, self.bc);
        match self.build {
            Build::ColMajor => MatRef::from_col_major(buf, rows, cols),
            Build::RowMajor => MatRef::from_row_major(buf, rows, cols),
            Build::Strided | Build::Owned => MatRef::from_slice(buf, rows, cols, rs, cs),
            Build::Transposed => MatRef::from_slice(buf, cols, rows, cs, rs).t(),
            Build::Sub => {
                MatRef::from_slice(buf, br, bc, rs, cs).submatrix(self.bi, self.bj, rows, cols)
            }
            Build::SubT => MatRef::from_slice(buf, bc, br, cs, rs).t().submatrix(
                self.bi, self.bj, rows, cols,
            ),
        }
    }

    fn view_mut<'a, T: Elem>(&self, buf: &'a mut [T], rows: usize, cols: usize) -> MatMut<'a, T> {
        let (rs, cs, br, bc) = (self.rs, self.cs, self.br, self.bc);
        match self.build {
            Build::ColMajor => MatMut::from_col_major(buf, rows, cols),
            Build::RowMajor => MatMut::from_row_major(buf, rows, cols),
            Build::Strided | Build::Owned => MatMut::from_slice(buf, rows, cols, rs, cs),
            Build::Transposed => MatMut::from_slice(buf, cols, rows, cs, rs).t(),
            Build::Sub => MatMut::from_slice(buf, br, bc, rs, cs)
                .submatrix_mut(self.bi, self.bj, rows, cols),
            Build::SubT => MatMut::from_slice(buf, bc, br, cs, rs)
                .t()
                .submatrix_mut(self.bi, self.bj, rows, cols),
        }
    }
}

/// An owned `Mat` equal to the column-major `vals`, built through `from_row_major` (and,
/// when `transposed`, through `transpose` of the row-major transpose).
fn owned<T: Elem>(vals: &[T], rows: usize, cols: usize, transposed: bool) -> Mat<T> {
    if transposed {
        // Row-major data of the cols x rows transpose is exactly the column-major `vals`.
        Mat::from_row_major(cols, rows, vals).transpose()
    } else {
        let rm: Vec<T> = (0..rows * cols)
            .map(|t| vals[t / cols + (t % cols) * rows])
            .collect();
        Mat::from_row_major(rows, cols, &rm)
    }
}

/// An operand as `gemm` will see it.
enum Operand<T: Elem> {
    Buf(Layout, Vec<T>),
    Owned(Mat<T>),
}

impl<T: Elem> Operand<T> {
    fn new(layout: Layout, vals: &[T], rows: usize, cols: usize) -> Self {
        if layout.build == Build::Owned {
            Operand::Owned(owned(vals, rows, cols, layout.transposed))
        } else {
            Operand::Buf(layout, layout.fill(vals, rows, cols, T::NAN))
        }
    }
    fn view(&self, rows: usize, cols: usize) -> MatRef<'_, T> {
        match self {
            Operand::Buf(l, b) => l.view(b, rows, cols),
            Operand::Owned(m) => m.as_ref(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Reference
// ---------------------------------------------------------------------------------------

fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bp = s - a;
    (s, (a - (s - bp)) + (b - bp))
}

fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

struct Case<T: Elem> {
    m: usize,
    k: usize,
    alpha: T,
    beta: T,
    /// Column-major logical operands.
    a: Vec<T>,
    b: Vec<T>,
    c: Vec<T>,
}

impl<T: Elem> Case<T> {
    /// `(want, tolerance)` for element `(i, j)`.
    fn reference(&self, i: usize, j: usize) -> (f64, f64) {
        let (m, k) = (self.m, self.k);
        let (al, be) = (self.alpha.to_f64(), self.beta.to_f64());
        let (mut s, mut comp, mut abs) = (0.0f64, 0.0f64, 0.0f64);
        if al != 0.0 {
            // alpha * sum a b with every product split exactly and the sum compensated:
            // accurate to about one f64 rounding, far below T's bound.
            for p in 0..k {
                let x = self.a[i + p * m].to_f64();
                let y = self.b[p + j * k].to_f64();
                let (ph, pl) = two_prod(x, y);
                let (qh, ql) = two_prod(al, ph);
                let (t, e) = two_sum(s, qh);
                s = t;
                comp += e + ql + al * pl;
                abs += ph.abs();
            }
        }
        let mut beta_c = 0.0;
        if be != 0.0 {
            let cv = self.c[i + j * m].to_f64();
            let (qh, ql) = two_prod(be, cv);
            let (t, e) = two_sum(s, qh);
            s = t;
            comp += e + ql;
            beta_c = qh.abs();
        }
        let want = s + comp;
        let eps = T::EPSILON.to_f64();
        let kf = k as f64;
        // Documented (first order): k eps |alpha| (|A||B|)_ij + eps |beta c_ij|. Twice that
        // covers the second-order terms and the roundings of alpha * acc, beta * c and their
        // sum on paths that do not fuse them (k + 2 roundings on the scalar edge path vs the
        // documented k); 2 eps |want| covers the reference; subnormal products may each lose
        // half a subnormal ulp.
        let tol = 2.0 * (kf * eps * al.abs() * abs + eps * beta_c)
            + 2.0 * eps * want.abs()
            + 4.0 * (kf * al.abs() + 2.0) * T::DENORM_MIN;
        (want, tol)
    }
}

// ---------------------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------------------

fn check<T: Elem>(head: &[u8; 7], seed: u64, raw: &[u8]) {
    let [flags, bm, bn, bk, ab, lab, lc] = *head;
    let (m, n, k) = (dim(bm), dim(bn), dim(bk));
    let par = if flags & 0x10 != 0 {
        Par::Rayon(2)
    } else {
        Par::Seq
    };
    let mut gen = Gen {
        rng: Rng::new(seed),
        class: flags >> 1 & 7,
        raw,
    };
    let alpha = T::from_f64(scalar_from(ab, &mut gen.rng));
    let beta = T::from_f64(scalar_from(ab >> 4, &mut gen.rng));
    let la = Layout::new(lab, m, k, false, &mut gen.rng);
    let lb = Layout::new(lab >> 3, k, n, false, &mut gen.rng);
    let lcl = Layout::new(lc, m, n, true, &mut gen.rng);
    let mut a: Vec<T> = (0..m * k).map(|_| T::from_f64(gen.next())).collect();
    let mut b: Vec<T> = (0..k * n).map(|_| T::from_f64(gen.next())).collect();
    let c: Vec<T> = (0..m * n).map(|_| T::from_f64(gen.next())).collect();
    // A zero row stride makes every row the same memory: make the logical rows equal.
    if la.rs == 0 {
        for t in 0..m * k {
            a[t] = a[(t / m) * m];
        }
    }
    if lb.rs == 0 {
        for t in 0..k * n {
            b[t] = b[(t / k) * k];
        }
    }
    let case = Case {
        m,
        k,
        alpha,
        beta,
        a,
        b,
        c,
    };
    let refs: Vec<(f64, f64)> = (0..m * n).map(|t| case.reference(t % m, t / m)).collect();

    // Documented: with alpha == 0, A and B are not read; poison them.
    let (a_in, b_in) = if alpha == T::ZERO {
        (vec![T::NAN; m * k], vec![T::NAN; k * n])
    } else {
        (case.a.clone(), case.b.clone())
    };
    let oa = Operand::new(la, &a_in, m, k);
    let ob = Operand::new(lb, &b_in, k, n);
    // Documented: with beta == 0, C's old contents (even NaN) are never read.
    let c_in: Vec<T> = if beta == T::ZERO {
        vec![T::NAN; m * n]
    } else {
        case.c.clone()
    };
    let sentinel = T::from_f64(-7.25e-3);
    let what = |isa: Isa| {
        format!(
            "{isa:?} {} m={m} n={n} k={k} alpha={alpha:e} beta={beta:e} {par:?} \
             A {la:?} B {lb:?} C {lcl:?}",
            T::NAME
        )
    };

    let run = |isa: Option<Isa>| -> Vec<T> {
        let (av, bv) = (oa.view(m, k), ob.view(k, n));
        let call = |cv: MatMut<'_, T>| match isa {
            Some(isa) => gemm_with(isa, alpha, av, bv, beta, cv, par),
            None => gemm(alpha, av, bv, beta, cv, par),
        };
        if lcl.build == Build::Owned {
            let mut cm = owned(&c_in, m, n, lcl.transposed);
            call(cm.as_mut());
            (0..m * n).map(|t| cm[(t % m, t / m)]).collect()
        } else {
            let mut buf = lcl.fill(&c_in, m, n, sentinel);
            call(lcl.view_mut(&mut buf, m, n));
            let got: Vec<T> = (0..m * n).map(|t| buf[lcl.pos(t % m, t / m)]).collect();
            // Nothing outside the view may be written.
            let mut mask = vec![false; buf.len()];
            for t in 0..m * n {
                mask[lcl.pos(t % m, t / m)] = true;
            }
            for (p, v) in buf.iter().enumerate() {
                assert!(
                    mask[p] || v.bits() == sentinel.bits(),
                    "{}: wrote {v:e} at buffer offset {p}, outside the view of C",
                    what(isa.unwrap_or(Isa::detect()))
                );
            }
            got
        }
    };

    for isa in Isa::available() {
        let got = run(Some(isa));
        for (t, (&g, &(want, tol))) in got.iter().zip(&refs).enumerate() {
            let (i, j) = (t % m, t / m);
            let g = g.to_f64();
            // Written so that a NaN (leaked from C, A, B or padding) fails.
            assert!(
                (g - want).abs() <= tol,
                "{}: C({i},{j}) = {g:e}, want {want:e}, error {:e} > tol {tol:e}",
                what(isa),
                (g - want).abs()
            );
        }
        if isa == Isa::detect() {
            let plain = run(None);
            assert!(
                plain.iter().zip(&got).all(|(&p, &q)| identical(p, q)),
                "{}: gemm differs from gemm_with(detect)",
                what(isa)
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<7>() else {
        return;
    };
    let (seed_bytes, raw) = rest.split_at(rest.len().min(8));
    let seed = seed_bytes
        .iter()
        .fold(0u64, |s, &b| s << 8 | u64::from(b));
    if head[0] & 1 == 0 {
        check::<f64>(head, seed, raw);
    } else {
        check::<f32>(head, seed, raw);
    }
});
