//! Cache blocking: the `MC x KC` and `KC x NC` block sizes of the five-loop driver.

use crate::Scalar;
use simd_kernels::gemm::{KernelShape, MicroKernel};
use simd_kernels::Isa;

/// Cache blocking for one micro-kernel: `mc`, `kc`, `nc` (multiples of MR and NR).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocking {
    /// Rows of `A` per packed block (fits in L2 with the `B` micro-panel).
    pub mc: usize,
    /// Depth of one packed slice (a `KC x NR` panel of `B` fills at most half of L1).
    pub kc: usize,
    /// Columns of `B` per packed block (fits in L3).
    pub nc: usize,
}

/// The blocking [`gemm`](crate::gemm()) uses for element type `T` on `isa`, with the
/// micro-kernel's `(MR, NR)`.
///
/// Sized for a 48 KiB L1d and 2 MiB L2 per core (Sapphire Rapids class); they are also sound
/// on 32 KiB / 1 MiB parts, where `KC x NR` still fits L1 and `MC x KC` fits L2.
///
/// | ISA, type     | MR x NR | MC  | KC  | NC   |
/// |---------------|---------|-----|-----|------|
/// | AVX-512 f64   | 24 x 8  | 240 | 512 | 4096 |
/// | AVX-512 f32   | 48 x 8  | 336 | 768 | 4096 |
/// | AVX2 f64      | 8 x 6   | 192 | 256 | 4080 |
/// | AVX2 f32      | 16 x 6  | 192 | 384 | 4080 |
/// | scalar        | 4 x 4   | 64  | 256 | 1024 |
pub fn blocking<T: Scalar>(isa: Isa) -> (Blocking, usize, usize) {
    let k = MicroKernel::<T>::new(isa, KernelShape::Wide);
    (blocking_for(isa, T::BYTES, k.mr(), k.nr()), k.mr(), k.nr())
}

pub(super) fn blocking_for(isa: Isa, bytes: usize, mr: usize, nr: usize) -> Blocking {
    let (mc, kc, nc): (usize, usize, usize) = match (isa, bytes) {
        (Isa::Avx512, 8) => (240, 512, 4096),
        (Isa::Avx512, _) => (336, 768, 4096),
        (Isa::Avx2Fma, 8) => (192, 256, 4080),
        (Isa::Avx2Fma, _) => (192, 384, 4080),
        (Isa::Scalar, _) => (64, 256, 1024),
    };
    Blocking {
        mc: mc.next_multiple_of(mr),
        kc,
        nc: nc.next_multiple_of(nr),
    }
}
