//! AVX-512F: 512-bit registers, 8 f64 or 16 f32 lanes.

use std::arch::x86_64::*;

register!(
    F64x8,
    f64,
    __m512d,
    8,
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
    F32x16,
    f32,
    __m512,
    16,
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
    use super::F64x8;
    crate::generic::entry_points!(
        #[target_feature(enable = "avx512f")]
        f64,
        F64x8
    );

    #[target_feature(enable = "avx512f")]
    pub(crate) fn moments(x: &[f64]) -> crate::Moments {
        crate::generic::moments::<F64x8>(x)
    }
}

pub(crate) mod f32 {
    use super::F32x16;
    crate::generic::entry_points!(
        #[target_feature(enable = "avx512f")]
        f32,
        F32x16
    );
}
