//! AVX-512F: 512-bit registers, 8 f64 or 16 f32 lanes.

use std::arch::x86_64::*;

/// Proof that the CPU has AVX-512F: the token of this module's [`Simd`] impls.
///
/// Its only constructor, [`Avx512::new`], is a safe `#[target_feature(enable = "avx512f")]`
/// function, which safe code can call only from functions compiled with AVX-512F; those
/// run only on a CPU that has them (entering one is an `unsafe` call whose caller checked).
///
/// [`Simd`]: crate::simd::Simd
#[derive(Clone, Copy)]
pub(crate) struct Avx512(());

impl Avx512 {
    /// The token; see the type's docs.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(crate) fn new() -> Self {
        Avx512(())
    }
}

register!(
    Avx512,
    F64x8,
    f64,
    __m512d,
    8,
    32,
    _mm512_set1_pd,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_add_pd,
    _mm512_sub_pd,
    _mm512_mul_pd,
    _mm512_fmadd_pd,
    _mm512_min_pd,
    _mm512_max_pd
);
register!(
    Avx512,
    F32x16,
    f32,
    __m512,
    16,
    32,
    _mm512_set1_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_add_ps,
    _mm512_sub_ps,
    _mm512_mul_ps,
    _mm512_fmadd_ps,
    _mm512_min_ps,
    _mm512_max_ps
);

pub(crate) mod f64 {
    use super::Avx512;
    crate::generic::entry_points!(
        #[target_feature(enable = "avx512f")]
        f64,
        Avx512
    );

    #[target_feature(enable = "avx512f")]
    pub(crate) fn moments(x: &[f64]) -> crate::moments::Moments {
        crate::generic::slice::moments(Avx512::new(), x)
    }

    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx512f")]
        gemm_24x8, f64, Avx512, 24 x 8
    );
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx512f")]
        gemm_16x8, f64, Avx512, 16 x 8
    );
    // The half-width tiles of the two above, for the last panel of B when it holds at most
    // half of NR columns (see `MicroKernel`).
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx512f")]
        gemm_24x4, f64, Avx512, 24 x 4
    );
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx512f")]
        gemm_16x4, f64, Avx512, 16 x 4
    );
    // The short tile of the narrow one (see `MicroKernel`).
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx512f")]
        gemm_8x8, f64, Avx512, 8 x 8
    );

    #[target_feature(enable = "avx512f")]
    pub(crate) fn interleave_rows(rows: &[&[f64]], dst: &mut [f64]) {
        super::super::interleave::avx512_f64(rows, dst)
    }
}

pub(crate) mod f32 {
    use super::Avx512;
    crate::generic::entry_points!(
        #[target_feature(enable = "avx512f")]
        f32,
        Avx512
    );

    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx512f")]
        gemm_48x8, f32, Avx512, 48 x 8
    );
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx512f")]
        gemm_32x8, f32, Avx512, 32 x 8
    );
    // The half-width tiles of the two above, for the last panel of B when it holds at most
    // half of NR columns (see `MicroKernel`).
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx512f")]
        gemm_48x4, f32, Avx512, 48 x 4
    );
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx512f")]
        gemm_32x4, f32, Avx512, 32 x 4
    );
    // The short tile of the narrow one (see `MicroKernel`).
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx512f")]
        gemm_16x8, f32, Avx512, 16 x 8
    );

    #[target_feature(enable = "avx512f")]
    pub(crate) fn interleave_rows(rows: &[&[f32]], dst: &mut [f32]) {
        super::super::interleave::avx2_f32(rows, dst)
    }
}

/// The histogram kernels, compiled for this ISA (the algorithm is scalar; see
/// `generic::histogram`).
pub(crate) mod histogram {
    crate::generic::histogram::histogram_entry_points!(#[target_feature(enable = "avx512f")]);
}

/// The split scan, compiled for this ISA (the algorithm is written once; see
/// `generic::split_scan`).
pub(crate) mod split_scan {
    crate::generic::split_scan::split_scan_entry_points!(#[target_feature(enable = "avx512f")]);
}
