//! AVX2 + FMA: 256-bit registers, 4 f64 or 8 f32 lanes.

use std::arch::x86_64::*;

/// Proof that the CPU has AVX2 and FMA: the token of this module's [`Simd`] impls.
///
/// Its only constructor, [`Avx2Fma::new`], is a safe `#[target_feature(enable = "avx2,fma")]`
/// function, which safe code can call only from functions compiled with AVX2 and FMA; those
/// run only on a CPU that has them (entering one is an `unsafe` call whose caller checked).
///
/// [`Simd`]: crate::simd::Simd
#[derive(Clone, Copy)]
pub(crate) struct Avx2Fma(());

impl Avx2Fma {
    /// The token; see the type's docs.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub(crate) fn new() -> Self {
        Avx2Fma(())
    }
}

register!(
    Avx2Fma,
    F64x4,
    f64,
    __m256d,
    4,
    16,
    _mm256_set1_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_add_pd,
    _mm256_sub_pd,
    _mm256_mul_pd,
    _mm256_fmadd_pd,
    _mm256_min_pd,
    _mm256_max_pd
);
register!(
    Avx2Fma,
    F32x8,
    f32,
    __m256,
    8,
    16,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_add_ps,
    _mm256_sub_ps,
    _mm256_mul_ps,
    _mm256_fmadd_ps,
    _mm256_min_ps,
    _mm256_max_ps
);

pub(crate) mod f64 {
    use super::Avx2Fma;
    crate::generic::entry_points!(
        #[target_feature(enable = "avx2,fma")]
        f64,
        Avx2Fma
    );

    #[target_feature(enable = "avx2,fma")]
    pub(crate) fn moments(x: &[f64]) -> crate::moments::Moments {
        crate::generic::slice::moments(Avx2Fma::new(), x)
    }

    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx2,fma")]
        gemm_8x6, f64, Avx2Fma, 8 x 6
    );
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx2,fma")]
        gemm_4x6, f64, Avx2Fma, 4 x 6
    );
    // The half-width tiles of the two above (see `MicroKernel`).
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx2,fma")]
        gemm_8x3, f64, Avx2Fma, 8 x 3
    );
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx2,fma")]
        gemm_4x3, f64, Avx2Fma, 4 x 3
    );

    #[target_feature(enable = "avx2,fma")]
    pub(crate) fn interleave_rows(rows: &[&[f64]], dst: &mut [f64]) {
        super::super::interleave::avx2_f64(rows, dst)
    }
}

pub(crate) mod f32 {
    use super::Avx2Fma;
    crate::generic::entry_points!(
        #[target_feature(enable = "avx2,fma")]
        f32,
        Avx2Fma
    );

    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx2,fma")]
        gemm_16x6, f32, Avx2Fma, 16 x 6
    );
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx2,fma")]
        gemm_8x6, f32, Avx2Fma, 8 x 6
    );
    // The half-width tiles of the two above (see `MicroKernel`).
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx2,fma")]
        gemm_16x3, f32, Avx2Fma, 16 x 3
    );
    crate::generic::gemm::microkernel!(
        #[target_feature(enable = "avx2,fma")]
        gemm_8x3, f32, Avx2Fma, 8 x 3
    );

    #[target_feature(enable = "avx2,fma")]
    pub(crate) fn interleave_rows(rows: &[&[f32]], dst: &mut [f32]) {
        super::super::interleave::avx2_f32(rows, dst)
    }
}

/// The histogram kernels, compiled for this ISA (the algorithm is scalar; see
/// `generic::histogram`).
pub(crate) mod histogram {
    crate::generic::histogram::histogram_entry_points!(#[target_feature(enable = "avx2,fma")]);
}

/// The split scan, compiled for this ISA (the algorithm is written once; see
/// `generic::split_scan`).
pub(crate) mod split_scan {
    crate::generic::split_scan::split_scan_entry_points!(#[target_feature(enable = "avx2,fma")]);
}
