//! AVX2 + FMA: 256-bit registers, 4 f64 or 8 f32 lanes.

use std::arch::x86_64::*;

register!(
    F64x4,
    f64,
    __m256d,
    4,
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
    F32x8,
    f32,
    __m256,
    8,
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
    use super::F64x4;
    crate::generic::entry_points!(
        #[target_feature(enable = "avx2,fma")]
        f64,
        F64x4
    );

    #[target_feature(enable = "avx2,fma")]
    pub(crate) fn moments(x: &[f64]) -> crate::Moments {
        crate::generic::moments::<F64x4>(x)
    }
}

pub(crate) mod f32 {
    use super::F32x8;
    crate::generic::entry_points!(
        #[target_feature(enable = "avx2,fma")]
        f32,
        F32x8
    );
}
