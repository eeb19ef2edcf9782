//! GEMM register micro-kernels (the innermost loop of the Goto/BLIS scheme), per ISA, for
//! `f64` and `f32`.
//!
//! A micro-kernel computes one `MR x NR` tile of `C <- alpha * A_p * B_p + beta * C`, where
//! `A_p` is a packed `MR x kc` micro-panel (column `p` of the panel is the `MR` contiguous
//! elements at offset `p * MR`) and `B_p` a packed `kc x NR` micro-panel (row `p` is the `NR`
//! contiguous elements at offset `p * NR`). Packing, cache blocking and threading live in the
//! layer above (`fast-math`); this module only owns the register tile.
//!
//! | ISA       | f64 tile (MR x NR) | f32 tile (MR x NR) | accumulators |
//! |-----------|--------------------|--------------------|--------------|
//! | `Avx512`  | 24 x 8             | 48 x 8             | 24 zmm       |
//! | `Avx2Fma` | 8 x 6              | 16 x 6             | 12 ymm       |
//! | `Scalar`  | 4 x 4              | 4 x 4              | 16 scalars   |
//!
//! Every ISA also has a *narrow* variant ([`KernelShape::Narrow`]) with fewer rows
//! (AVX-512: 16 x 8 / 32 x 8, AVX2: 4 x 6 / 8 x 6, scalar: 4 x 4), which wastes less work on
//! small or triangular outputs such as a Gram matrix.
//!
//! The kernel follows BLAS: when `beta == 0`, `C` is overwritten without being read, so NaN or
//! infinite values already in `C` do not propagate. Edge tiles (`m < MR` or `n < NR`) and
//! non-unit row strides go through a tile on the stack, so the caller only zero-pads the
//! packed panels.
//!
//! ```
//! use simd_kernels::gemm::{MicroKernel, KernelShape};
//! use simd_kernels::Isa;
//!
//! let kern = MicroKernel::<f64>::new(Isa::detect(), KernelShape::Wide);
//! let (mr, nr, kc) = (kern.mr(), kern.nr(), 3);
//! let a = vec![1.0; mr * kc]; // packed MR x kc panel of ones
//! let b = vec![2.0; kc * nr]; // packed kc x NR panel of twos
//! let mut c = vec![f64::NAN; mr * nr]; // column-major tile, leading dimension mr
//! kern.run_slices(kc, 1.0, &a, &b, 0.0, &mut c, 1, mr, mr, nr);
//! assert!(c.iter().all(|&x| x == 6.0));
//! ```

use crate::{Float, Isa};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Signature shared by every micro-kernel.
///
/// Arguments: `kc`, `alpha`, `a` (column `p` of the `MR x kc` panel at `a + p * lda`),
/// `lda`, `b` (row `p` of the `kc x NR` panel at `b + p * ldb`), `ldb`, `beta`, `c`
/// (pointer to element `(0, 0)` of the tile), `rs_c`, `cs_c` (row and column strides of
/// `C`, in elements), `m <= MR` and `n <= NR` (the part of the tile that exists in `C`),
/// then an optional second output `c2` (null for none) with its `alpha2` and `beta2`,
/// sharing the strides of `C`.
pub type KernelFn<T> = unsafe fn(
    usize,
    T,
    *const T,
    usize,
    *const T,
    usize,
    T,
    *mut T,
    isize,
    isize,
    usize,
    usize,
    *mut T,
    T,
    T,
);

/// Which register tile to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KernelShape {
    /// The fastest tile for large products (most rows per tile).
    Wide,
    /// A tile with fewer rows: less padding waste for small or triangular outputs.
    Narrow,
}

/// Element types that have GEMM micro-kernels: `f32` and `f64` (sealed).
pub trait GemmScalar: Float + sealed::Sealed {
    #[doc(hidden)]
    fn select_kernel(isa: Isa, shape: KernelShape) -> (usize, usize, KernelFn<Self>);
}

/// A micro-kernel selected for one ISA and element type: its tile shape and entry point.
///
/// Selecting is cheap but not free; select once per GEMM call and reuse it for every tile.
#[derive(Clone, Copy, Debug)]
pub struct MicroKernel<T> {
    isa: Isa,
    mr: usize,
    nr: usize,
    f: KernelFn<T>,
}

impl<T: GemmScalar> MicroKernel<T> {
    /// The kernel of `shape` for `isa`.
    ///
    /// # Panics
    /// If the CPU does not support `isa`.
    #[track_caller]
    pub fn new(isa: Isa, shape: KernelShape) -> Self {
        isa.assert_supported();
        let (mr, nr, f) = T::select_kernel(isa, shape);
        MicroKernel { isa, mr, nr, f }
    }

    /// The ISA this kernel runs on.
    #[inline]
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// Rows of the register tile (MR).
    #[inline]
    pub fn mr(&self) -> usize {
        self.mr
    }

    /// Columns of the register tile (NR).
    #[inline]
    pub fn nr(&self) -> usize {
        self.nr
    }

    /// Computes `C[0..m, 0..n] <- alpha * A_p * B_p + beta * C[0..m, 0..n]` for one tile.
    ///
    /// `a` is a packed `MR x kc` panel, `b` a packed `kc x NR` panel (see the module docs);
    /// element `(i, j)` of the tile is at `c.offset(i * rs_c + j * cs_c)`. With
    /// `beta == 0`, `C` is only written, never read.
    ///
    /// # Safety
    /// - `a` must be valid for reads of `MR * kc` elements and `b` of `kc * NR` elements;
    /// - for every `i < m`, `j < n`, `c.offset(i * rs_c + j * cs_c)` must be valid for reads
    ///   and writes, and no other thread may access those elements during the call;
    /// - `m <= MR` and `n <= NR`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub unsafe fn run(
        &self,
        kc: usize,
        alpha: T,
        a: *const T,
        b: *const T,
        beta: T,
        c: *mut T,
        rs_c: isize,
        cs_c: isize,
        m: usize,
        n: usize,
    ) {
        debug_assert!(
            m <= self.mr && n <= self.nr,
            "tile {m}x{n} exceeds {}x{}",
            self.mr,
            self.nr
        );
        // SAFETY: the caller upholds this function's contract, which is the kernel's with
        // packed panels (lda = MR, ldb = NR); the ISA was checked as supported in `new`.
        unsafe {
            (self.f)(
                kc,
                alpha,
                a,
                self.mr,
                b,
                self.nr,
                beta,
                c,
                rs_c,
                cs_c,
                m,
                n,
                std::ptr::null_mut(),
                alpha,
                beta,
            )
        }
    }

    /// [`run`](Self::run) on panels with explicit strides: column `p` of the `MR x kc` panel
    /// of `A` is the `MR` contiguous elements at `a + p * lda`, and row `p` of the `kc x NR`
    /// panel of `B` the `NR` contiguous elements at `b + p * ldb`. With `lda = MR` and
    /// `ldb = NR` this is [`run`](Self::run); a row-major matrix can serve as both panels
    /// without packing (as in a Gram matrix `X^T X`).
    ///
    /// # Safety
    /// As [`run`](Self::run), with `a` valid for reads of `(kc - 1) * lda + MR` elements
    /// and `b` of `(kc - 1) * ldb + NR` elements when `kc > 0`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub unsafe fn run_strided(
        &self,
        kc: usize,
        alpha: T,
        a: *const T,
        lda: usize,
        b: *const T,
        ldb: usize,
        beta: T,
        c: *mut T,
        rs_c: isize,
        cs_c: isize,
        m: usize,
        n: usize,
    ) {
        debug_assert!(
            m <= self.mr && n <= self.nr,
            "tile {m}x{n} exceeds {}x{}",
            self.mr,
            self.nr
        );
        // SAFETY: the caller upholds this function's contract, which is the kernel's; the
        // kernel's ISA was checked as supported in `new`.
        unsafe {
            (self.f)(
                kc,
                alpha,
                a,
                lda,
                b,
                ldb,
                beta,
                c,
                rs_c,
                cs_c,
                m,
                n,
                std::ptr::null_mut(),
                alpha,
                beta,
            )
        }
    }

    /// [`run`](Self::run) writing the same product to two tiles: `C1 <- alpha1 * A_p B_p +
    /// beta1 * C1` and `C2 <- alpha2 * A_p B_p + beta2 * C2`, both with strides
    /// `(rs_c, cs_c)` (the micro-kernel of a fused Strassen level).
    ///
    /// # Safety
    /// As [`run`](Self::run) for both `c1` and `c2`, and the two tiles must not overlap.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub unsafe fn run_dual(
        &self,
        kc: usize,
        a: *const T,
        b: *const T,
        (alpha1, beta1, c1): (T, T, *mut T),
        (alpha2, beta2, c2): (T, T, *mut T),
        rs_c: isize,
        cs_c: isize,
        m: usize,
        n: usize,
    ) {
        debug_assert!(
            m <= self.mr && n <= self.nr,
            "tile {m}x{n} exceeds {}x{}",
            self.mr,
            self.nr
        );
        debug_assert!(!c2.is_null());
        // SAFETY: the caller upholds this function's contract, which is the kernel's for
        // both outputs; the ISA was checked as supported in `new`.
        unsafe {
            (self.f)(
                kc, alpha1, a, self.mr, b, self.nr, beta1, c1, rs_c, cs_c, m, n, c2, alpha2, beta2,
            )
        }
    }

    /// [`run`](Self::run) on slices, with every access checked: a safe entry point for tests
    /// and one-off tiles. `c` holds the tile with element `(i, j)` at `i * rs_c + j * cs_c`.
    ///
    /// # Panics
    /// If a slice is too short for `kc`, the tile shape or the strides, or `m > MR`,
    /// `n > NR`.
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    pub fn run_slices(
        &self,
        kc: usize,
        alpha: T,
        a: &[T],
        b: &[T],
        beta: T,
        c: &mut [T],
        rs_c: usize,
        cs_c: usize,
        m: usize,
        n: usize,
    ) {
        assert!(
            m <= self.mr && n <= self.nr,
            "gemm micro-kernel: tile {m}x{n} exceeds {}x{}",
            self.mr,
            self.nr
        );
        assert!(
            a.len() >= self.mr * kc && b.len() >= self.nr * kc,
            "gemm micro-kernel: packed panels hold {} and {} elements, need {} and {}",
            a.len(),
            b.len(),
            self.mr * kc,
            self.nr * kc
        );
        if m == 0 || n == 0 {
            return;
        }
        let last = (m - 1) * rs_c + (n - 1) * cs_c;
        assert!(
            last < c.len(),
            "gemm micro-kernel: C holds {} elements, the tile reaches index {last}",
            c.len()
        );
        if m > 1 && n > 1 {
            // Distinct (i, j) must map to distinct elements, or the writes would race with
            // the reads within the tile.
            let (lo, hi) = if rs_c <= cs_c {
                (rs_c, cs_c)
            } else {
                (cs_c, rs_c)
            };
            let lo_extent = if rs_c <= cs_c { m } else { n };
            assert!(
                lo >= 1 && hi >= lo * lo_extent,
                "gemm micro-kernel: strides ({rs_c}, {cs_c}) alias within a {m}x{n} tile"
            );
        }
        // SAFETY: the panels are long enough (asserted), every tile element is in bounds of
        // `c` (largest offset asserted) and distinct (strides asserted), and `&mut c` gives
        // exclusive access.
        unsafe {
            self.run(
                kc,
                alpha,
                a.as_ptr(),
                b.as_ptr(),
                beta,
                c.as_mut_ptr(),
                rs_c as isize,
                cs_c as isize,
                m,
                n,
            )
        }
    }
}

/// The private register abstraction the one generic kernel is written against.
///
/// Arithmetic methods are safe: values of an implementing type are only created inside the
/// `#[target_feature]` kernels of their ISA, which run only after `Isa::assert_supported`.
trait Reg<T: Copy>: Copy {
    const LANES: usize;
    fn zero() -> Self;
    fn splat(x: T) -> Self;
    fn mul(self, b: Self) -> Self;
    /// `self * b + c`.
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// Loads `LANES` elements.
    ///
    /// # Safety
    /// `p` valid for reading `LANES` elements.
    unsafe fn load(p: *const T) -> Self;
    /// Stores `LANES` elements.
    ///
    /// # Safety
    /// `p` valid for writing `LANES` elements.
    unsafe fn store(self, p: *mut T);
}

/// One rank-1 update of the accumulator tile: `acc += a[0..MR] * b[0..NR]^T`.
///
/// # Safety
/// `a` valid for reading `MV * V::LANES` elements, `b` for `NR`.
#[inline(always)]
unsafe fn rank1<T: Float, V: Reg<T>, const MV: usize, const NR: usize>(
    acc: &mut [[V; MV]; NR],
    a: *const T,
    b: *const T,
) {
    let mut av = [V::zero(); MV];
    for (i, v) in av.iter_mut().enumerate() {
        // SAFETY: i * LANES + LANES <= MV * LANES elements are readable at `a`.
        *v = unsafe { V::load(a.add(i * V::LANES)) };
    }
    for (j, col) in acc.iter_mut().enumerate() {
        // SAFETY: j < NR elements are readable at `b`.
        let bj = V::splat(unsafe { *b.add(j) });
        for i in 0..MV {
            col[i] = av[i].mul_add(bj, col[i]);
        }
    }
}

/// Asks the cache to start loading the `C` tile, so its misses overlap the `k` loop.
#[inline(always)]
fn prefetch_tile<T>(c: *mut T, rs_c: isize, cs_c: isize, mr: usize, m: usize, n: usize) {
    #[cfg(target_arch = "x86_64")]
    if rs_c == 1 && m > 0 {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let col_bytes = (mr.min(m) * std::mem::size_of::<T>()) as isize;
        for j in 0..n as isize {
            // Prefetching is a hint: it never faults and needs no valid address, so plain
            // wrapping arithmetic suffices.
            let p = c.wrapping_offset(j * cs_c) as *const i8;
            let mut off = 0;
            while off < col_bytes {
                // SAFETY: `prefetcht0` is SSE (baseline on x86_64) and has no architectural
                // effect: it cannot fault, whatever the address.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_offset(off)) };
                off += 64;
            }
            // SAFETY: as above.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_offset(col_bytes - 1)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (c, rs_c, cs_c, mr, m, n);
}

/// The one micro-kernel: `MV` vectors of rows by `NR` columns of accumulators.
///
/// # Safety
/// The contract of [`MicroKernel::run`] with `MR = MV * V::LANES`, and the CPU must support
/// `V`'s ISA (callers are `#[target_feature]` functions reached through [`MicroKernel`]).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn kernel<T: Float, V: Reg<T>, const MV: usize, const NR: usize>(
    kc: usize,
    alpha: T,
    a: *const T,
    lda: usize,
    b: *const T,
    ldb: usize,
    beta: T,
    c: *mut T,
    rs_c: isize,
    cs_c: isize,
    m: usize,
    n: usize,
    c2: *mut T,
    alpha2: T,
    beta2: T,
) {
    let mr = MV * V::LANES;
    let mut acc = [[V::zero(); MV]; NR];
    let (mut pa, mut pb) = (a, b);
    prefetch_tile::<T>(c, rs_c, cs_c, mr, m, n);
    if !c2.is_null() {
        prefetch_tile::<T>(c2, rs_c, cs_c, mr, m, n);
    }

    // SAFETY: step p reads MR elements at a + p*lda and NR at b + p*ldb, p < kc: in bounds
    // by the contract. The pointers advance with wrapping arithmetic, so stepping past the
    // last row is not UB; they are only dereferenced while p < kc.
    unsafe {
        let mut p = 0;
        while p + 4 <= kc {
            rank1::<T, V, MV, NR>(&mut acc, pa, pb);
            rank1::<T, V, MV, NR>(&mut acc, pa.wrapping_add(lda), pb.wrapping_add(ldb));
            rank1::<T, V, MV, NR>(&mut acc, pa.wrapping_add(2 * lda), pb.wrapping_add(2 * ldb));
            rank1::<T, V, MV, NR>(&mut acc, pa.wrapping_add(3 * lda), pb.wrapping_add(3 * ldb));
            pa = pa.wrapping_add(4 * lda);
            pb = pb.wrapping_add(4 * ldb);
            p += 4;
        }
        while p < kc {
            rank1::<T, V, MV, NR>(&mut acc, pa, pb);
            pa = pa.wrapping_add(lda);
            pb = pb.wrapping_add(ldb);
            p += 1;
        }
    }

    // SAFETY: the tile at `c` (and at `c2` when it is not null) is valid by the contract.
    unsafe {
        store::<T, V, MV, NR>(&acc, alpha, beta, c, rs_c, cs_c, m, n);
        if !c2.is_null() {
            store::<T, V, MV, NR>(&acc, alpha2, beta2, c2, rs_c, cs_c, m, n);
        }
    }
}

/// Writes `C <- alpha * acc + beta * C` for the `m x n` part of the tile (BLAS `beta == 0`).
///
/// # Safety
/// For every `i < m`, `j < n`, `c.offset(i * rs_c + j * cs_c)` is valid for reads and
/// writes; `m <= MR`, `n <= NR`; the CPU supports `V`'s ISA.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn store<T: Float, V: Reg<T>, const MV: usize, const NR: usize>(
    acc: &[[V; MV]; NR],
    alpha: T,
    beta: T,
    c: *mut T,
    rs_c: isize,
    cs_c: isize,
    m: usize,
    n: usize,
) {
    let mr = MV * V::LANES;
    let alpha_v = V::splat(alpha);
    let beta_zero = beta == T::ZERO;
    if rs_c == 1 && m == mr && n == NR {
        // Full tile, contiguous columns: vector read-modify-write of C straight from registers.
        let beta_v = V::splat(beta);
        for (j, col) in acc.iter().enumerate() {
            // SAFETY: column j of the tile is the MR contiguous elements at c + j*cs_c, all
            // valid for reads and writes by the contract (m == MR, n == NR, rs_c == 1).
            unsafe {
                let cj = c.offset(j as isize * cs_c);
                for (i, v) in col.iter().enumerate() {
                    let p = cj.add(i * V::LANES);
                    let r = if beta_zero {
                        v.mul(alpha_v)
                    } else {
                        v.mul_add(alpha_v, V::load(p).mul(beta_v))
                    };
                    r.store(p);
                }
            }
        }
    } else {
        // Edge tile or strided C: spill alpha * acc to a column-major MR x NR stack tile.
        let mut tile = [[V::zero(); MV]; NR];
        for (t, col) in tile.iter_mut().zip(acc.iter()) {
            for (ti, v) in t.iter_mut().zip(col.iter()) {
                *ti = v.mul(alpha_v);
            }
        }
        let tp = tile.as_ptr() as *const T;
        for j in 0..n {
            for i in 0..m {
                // SAFETY: `tile` is NR * MV registers of LANES elements laid out contiguously
                // (arrays of plain register types), so element (i, j) is at j*MR + i < MR*NR;
                // the C element (i, j) with i < m, j < n is valid by the contract.
                unsafe {
                    let t = *tp.add(j * mr + i);
                    let cij = c.offset(i as isize * rs_c + j as isize * cs_c);
                    *cij = if beta_zero { t } else { beta * *cij + t };
                }
            }
        }
    }
}

/// Portable "register": one element.
#[derive(Clone, Copy)]
struct One<T>(T);

impl<T: Float> Reg<T> for One<T> {
    const LANES: usize = 1;
    #[inline(always)]
    fn zero() -> Self {
        One(T::ZERO)
    }
    #[inline(always)]
    fn splat(x: T) -> Self {
        One(x)
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        One(self.0 * b.0)
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // Unfused: a software fma would be far slower, and this path must stay portable.
        One(self.0 * b.0 + c.0)
    }
    #[inline(always)]
    unsafe fn load(p: *const T) -> Self {
        // SAFETY: the caller guarantees `p` is valid for one read.
        One(unsafe { *p })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut T) {
        // SAFETY: the caller guarantees `p` is valid for one write.
        unsafe { *p = self.0 }
    }
}

macro_rules! scalar_kernels {
    ($t:ty, $wide:ident, $narrow:ident) => {
        /// # Safety
        /// The contract of [`MicroKernel::run`] for a 4 x 4 tile.
        #[allow(clippy::too_many_arguments)]
        unsafe fn $wide(
            kc: usize,
            alpha: $t,
            a: *const $t,
            lda: usize,
            b: *const $t,
            ldb: usize,
            beta: $t,
            c: *mut $t,
            rs_c: isize,
            cs_c: isize,
            m: usize,
            n: usize,
            c2: *mut $t,
            alpha2: $t,
            beta2: $t,
        ) {
            // SAFETY: forwarded contract; the scalar path needs no CPU feature.
            unsafe {
                kernel::<$t, One<$t>, 4, 4>(
                    kc, alpha, a, lda, b, ldb, beta, c, rs_c, cs_c, m, n, c2, alpha2, beta2,
                )
            }
        }
        use $wide as $narrow;
    };
}
scalar_kernels!(f64, scalar_f64_4x4, scalar_f64_narrow);
scalar_kernels!(f32, scalar_f32_4x4, scalar_f32_narrow);

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{kernel, Reg};
    use std::arch::x86_64::*;

    macro_rules! reg {
        ($name:ident, $t:ty, $reg:ty, $lanes:expr, $zero:ident, $set1:ident, $loadu:ident,
         $storeu:ident, $mul:ident, $fmadd:ident) => {
            #[derive(Clone, Copy)]
            #[repr(transparent)]
            pub(super) struct $name($reg);

            impl Reg<$t> for $name {
                const LANES: usize = $lanes;
                #[inline(always)]
                fn zero() -> Self {
                    // SAFETY: values of this type exist only inside kernels compiled for and
                    // dispatched to a CPU with this ISA (see the `Reg` docs).
                    Self(unsafe { $zero() })
                }
                #[inline(always)]
                fn splat(x: $t) -> Self {
                    // SAFETY: as in `zero`: the CPU supports this ISA.
                    Self(unsafe { $set1(x) })
                }
                #[inline(always)]
                fn mul(self, b: Self) -> Self {
                    // SAFETY: as in `zero`: the CPU supports this ISA.
                    Self(unsafe { $mul(self.0, b.0) })
                }
                #[inline(always)]
                fn mul_add(self, b: Self, c: Self) -> Self {
                    // SAFETY: as in `zero`: the CPU supports this ISA, FMA included.
                    Self(unsafe { $fmadd(self.0, b.0, c.0) })
                }
                #[inline(always)]
                unsafe fn load(p: *const $t) -> Self {
                    // SAFETY: the caller guarantees LANES readable elements at `p`; the load
                    // is unaligned; the CPU supports this ISA.
                    Self(unsafe { $loadu(p) })
                }
                #[inline(always)]
                unsafe fn store(self, p: *mut $t) {
                    // SAFETY: the caller guarantees LANES writable elements at `p`; the store
                    // is unaligned; the CPU supports this ISA.
                    unsafe { $storeu(p, self.0) }
                }
            }
        };
    }

    reg!(
        F64x8,
        f64,
        __m512d,
        8,
        _mm512_setzero_pd,
        _mm512_set1_pd,
        _mm512_loadu_pd,
        _mm512_storeu_pd,
        _mm512_mul_pd,
        _mm512_fmadd_pd
    );
    reg!(
        F32x16,
        f32,
        __m512,
        16,
        _mm512_setzero_ps,
        _mm512_set1_ps,
        _mm512_loadu_ps,
        _mm512_storeu_ps,
        _mm512_mul_ps,
        _mm512_fmadd_ps
    );
    reg!(
        F64x4,
        f64,
        __m256d,
        4,
        _mm256_setzero_pd,
        _mm256_set1_pd,
        _mm256_loadu_pd,
        _mm256_storeu_pd,
        _mm256_mul_pd,
        _mm256_fmadd_pd
    );
    reg!(
        F32x8,
        f32,
        __m256,
        8,
        _mm256_setzero_ps,
        _mm256_set1_ps,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        _mm256_mul_ps,
        _mm256_fmadd_ps
    );

    macro_rules! entry {
        ($name:ident, $feat:literal, $t:ty, $reg:ident, $mv:literal, $nr:literal) => {
            /// # Safety
            /// The contract of [`MicroKernel::run`](super::MicroKernel::run) for this tile,
            /// and the CPU must support the target features.
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments)]
            pub(super) unsafe fn $name(
                kc: usize,
                alpha: $t,
                a: *const $t,
                lda: usize,
                b: *const $t,
                ldb: usize,
                beta: $t,
                c: *mut $t,
                rs_c: isize,
                cs_c: isize,
                m: usize,
                n: usize,
                c2: *mut $t,
                alpha2: $t,
                beta2: $t,
            ) {
                // SAFETY: forwarded contract; this function's target features are the ones
                // `$reg` needs and the caller guarantees the CPU has them.
                unsafe {
                    kernel::<$t, $reg, $mv, $nr>(
                        kc, alpha, a, lda, b, ldb, beta, c, rs_c, cs_c, m, n, c2, alpha2, beta2,
                    )
                }
            }
        };
    }

    entry!(avx512_f64_24x8, "avx512f", f64, F64x8, 3, 8);
    entry!(avx512_f64_16x8, "avx512f", f64, F64x8, 2, 8);
    entry!(avx512_f32_48x8, "avx512f", f32, F32x16, 3, 8);
    entry!(avx512_f32_32x8, "avx512f", f32, F32x16, 2, 8);
    entry!(avx2_f64_8x6, "avx2,fma", f64, F64x4, 2, 6);
    entry!(avx2_f64_4x6, "avx2,fma", f64, F64x4, 1, 6);
    entry!(avx2_f32_16x6, "avx2,fma", f32, F32x8, 2, 6);
    entry!(avx2_f32_8x6, "avx2,fma", f32, F32x8, 1, 6);
}

impl GemmScalar for f64 {
    fn select_kernel(isa: Isa, shape: KernelShape) -> (usize, usize, KernelFn<f64>) {
        use KernelShape::*;
        match (isa, shape) {
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx512, Wide) => (24, 8, x86::avx512_f64_24x8),
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx512, Narrow) => (16, 8, x86::avx512_f64_16x8),
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx2Fma, Wide) => (8, 6, x86::avx2_f64_8x6),
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx2Fma, Narrow) => (4, 6, x86::avx2_f64_4x6),
            (Isa::Scalar, Wide) => (4, 4, scalar_f64_4x4),
            (Isa::Scalar, Narrow) => (4, 4, scalar_f64_narrow),
            #[cfg(not(target_arch = "x86_64"))]
            _ => unreachable!("assert_supported rejects SIMD ISAs off x86_64"),
        }
    }
}

impl GemmScalar for f32 {
    fn select_kernel(isa: Isa, shape: KernelShape) -> (usize, usize, KernelFn<f32>) {
        use KernelShape::*;
        match (isa, shape) {
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx512, Wide) => (48, 8, x86::avx512_f32_48x8),
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx512, Narrow) => (32, 8, x86::avx512_f32_32x8),
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx2Fma, Wide) => (16, 6, x86::avx2_f32_16x6),
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx2Fma, Narrow) => (8, 6, x86::avx2_f32_8x6),
            (Isa::Scalar, Wide) => (4, 4, scalar_f32_4x4),
            (Isa::Scalar, Narrow) => (4, 4, scalar_f32_narrow),
            #[cfg(not(target_arch = "x86_64"))]
            _ => unreachable!("assert_supported rejects SIMD ISAs off x86_64"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in [-1, 1) with no special structure.
    fn fill<T: Float>(len: usize, seed: u64) -> Vec<T> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                T::from_f64((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0)
            })
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
}
