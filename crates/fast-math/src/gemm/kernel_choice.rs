//! Which register tiles a product runs, from the layout of its left operand and the CPU.

use crate::{MatRef, Scalar};
use simd_kernels::gemm::{KernelShape, MicroKernel};
use simd_kernels::Isa;

/// The ISA whose tiles a product on `isa` runs when its left operand is `a`: the AVX2 ISA
/// for a row-major `A` (a transposed operand, whose packing gathers `MR` rows in lockstep)
/// on a CPU that runs AVX-512 in two 256-bit halves
/// ([`simd_kernels::cpu::avx512_in_halves`]), where AVX2's 8-row panels pack from fewer
/// streams at the same arithmetic rate; `isa` otherwise. [`gemm`](crate::gemm()) and
/// [`gram`](crate::gram()) (whose left operand is `X^T`) both follow it. Measured on a Zen 4
/// EPYC, one thread, AVX2 tile against AVX-512's: 2000 x 10000 by 10000 x 60 with `A`
/// transposed 1.14x as fast, 64 x 100000 by 100000 x 8 transposed 1.22x, the Gram matrix of
/// 1M x 64 1.11x (32.2 against 29.0 useful GFLOP/s, AVX-512 on its best tile) and of
/// 100k x 17 1.38x; with `A` column-major AVX-512 stayed ahead or level (1024^3 0.95x,
/// 100000 x 64 by 64 x 8 0.79x, 10000 x 2000 by 2000 x 60 1.05x), so those keep it. A rule
/// of the layout and the CPU: the same call rounds the same way on every run.
pub(super) fn tile_isa<T: Scalar>(isa: Isa, a: &MatRef<'_, T>) -> Isa {
    let row_major = a.col_stride() == 1 && a.row_stride() != 1 && a.ncols() > 1;
    if row_major && isa == Isa::Avx512 && simd_kernels::cpu::avx512_in_halves() {
        Isa::Avx2Fma
    } else {
        isa
    }
}

/// `kern`, or the wide kernel of [`tile_isa`]'s ISA when that differs.
pub(super) fn transposing_kernel<T: Scalar>(
    kern: MicroKernel<T>,
    a: &MatRef<'_, T>,
) -> MicroKernel<T> {
    let isa = tile_isa(kern.isa(), a);
    if isa == kern.isa() {
        kern
    } else {
        MicroKernel::new(isa, KernelShape::Wide)
    }
}
