//! Which micro-kernels make up each ISA's tiles: the table of the module docs, as code.

use super::{arch, GemmScalar, Isa, KernelShape, Tiles};

impl GemmScalar for f64 {
    fn select_kernel(isa: Isa, shape: KernelShape) -> Tiles<f64> {
        use KernelShape::*;
        match (isa, shape) {
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx512, Wide) => Tiles {
                mr: 24,
                nr: 8,
                full: arch::avx512::f64::gemm_24x8,
                half: arch::avx512::f64::gemm_24x4,
                short: Some((16, arch::avx512::f64::gemm_16x8)),
                shorter: Some((8, arch::avx512::f64::gemm_8x8)),
            },
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx512, Narrow) => Tiles {
                mr: 16,
                nr: 8,
                full: arch::avx512::f64::gemm_16x8,
                half: arch::avx512::f64::gemm_16x4,
                short: Some((8, arch::avx512::f64::gemm_8x8)),
                shorter: None,
            },
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx2Fma, Wide) => Tiles {
                mr: 8,
                nr: 6,
                full: arch::avx2::f64::gemm_8x6,
                half: arch::avx2::f64::gemm_8x3,
                short: Some((4, arch::avx2::f64::gemm_4x6)),
                shorter: None,
            },
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx2Fma, Narrow) => Tiles {
                mr: 4,
                nr: 6,
                full: arch::avx2::f64::gemm_4x6,
                half: arch::avx2::f64::gemm_4x3,
                short: None,
                shorter: None,
            },
            (Isa::Scalar, Wide | Narrow) => Tiles {
                mr: 4,
                nr: 4,
                full: arch::scalar::f64::gemm_4x4,
                half: arch::scalar::f64::gemm_4x2,
                short: None,
                shorter: None,
            },
            #[cfg(not(target_arch = "x86_64"))]
            _ => unreachable!("assert_supported rejects SIMD ISAs off x86_64"),
        }
    }
}

impl GemmScalar for f32 {
    fn select_kernel(isa: Isa, shape: KernelShape) -> Tiles<f32> {
        use KernelShape::*;
        match (isa, shape) {
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx512, Wide) => Tiles {
                mr: 48,
                nr: 8,
                full: arch::avx512::f32::gemm_48x8,
                half: arch::avx512::f32::gemm_48x4,
                short: Some((32, arch::avx512::f32::gemm_32x8)),
                shorter: Some((16, arch::avx512::f32::gemm_16x8)),
            },
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx512, Narrow) => Tiles {
                mr: 32,
                nr: 8,
                full: arch::avx512::f32::gemm_32x8,
                half: arch::avx512::f32::gemm_32x4,
                short: Some((16, arch::avx512::f32::gemm_16x8)),
                shorter: None,
            },
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx2Fma, Wide) => Tiles {
                mr: 16,
                nr: 6,
                full: arch::avx2::f32::gemm_16x6,
                half: arch::avx2::f32::gemm_16x3,
                short: Some((8, arch::avx2::f32::gemm_8x6)),
                shorter: None,
            },
            #[cfg(target_arch = "x86_64")]
            (Isa::Avx2Fma, Narrow) => Tiles {
                mr: 8,
                nr: 6,
                full: arch::avx2::f32::gemm_8x6,
                half: arch::avx2::f32::gemm_8x3,
                short: None,
                shorter: None,
            },
            (Isa::Scalar, Wide | Narrow) => Tiles {
                mr: 4,
                nr: 4,
                full: arch::scalar::f32::gemm_4x4,
                half: arch::scalar::f32::gemm_4x2,
                short: None,
                shorter: None,
            },
            #[cfg(not(target_arch = "x86_64"))]
            _ => unreachable!("assert_supported rejects SIMD ISAs off x86_64"),
        }
    }
}
