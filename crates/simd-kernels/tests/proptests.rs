//! Property tests: random lengths and values, every kernel, every available ISA.

mod common;

use common::{
    check_axpy, check_axpy_columns, check_dot, check_min_max, check_scale, check_sum,
    check_sum_compensated, Rng,
};
use proptest::prelude::*;
use simd_kernels::{moments_with, Isa};

fn isa_strategy() -> impl Strategy<Value = Isa> {
    let isas: Vec<Isa> = Isa::available().collect();
    proptest::sample::select(isas)
}

fn values() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![
            8 => -1e6f64..1e6,
            1 => -1e-3f64..1e-3,
            1 => prop::num::f64::NORMAL | prop::num::f64::ZERO | prop::num::f64::SUBNORMAL,
        ],
        0..400,
    )
    .prop_map(|v| v.into_iter().map(|x| x.clamp(-1e300, 1e300)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn f64_kernels_match_references(isa in isa_strategy(), a in values(), seed in any::<u64>(), off in 0usize..8) {
        let mut rng = Rng::new(seed);
        let b: Vec<f64> = (0..a.len()).map(|_| rng.normal()).collect();
        let a = &a[off.min(a.len())..];
        let b = &b[off.min(b.len())..];
        check_sum(isa, a).map_err(TestCaseError::fail)?;
        check_sum_compensated(isa, a).map_err(TestCaseError::fail)?;
        check_dot(isa, a, b).map_err(TestCaseError::fail)?;
        check_axpy(isa, -0.75, b, a).map_err(TestCaseError::fail)?;
        check_axpy_columns(isa, b, a).map_err(TestCaseError::fail)?;
        check_scale(isa, 1.0 / 3.0, a).map_err(TestCaseError::fail)?;
        check_min_max(isa, a).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn f32_kernels_match_references(isa in isa_strategy(), a in values(), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let a: Vec<f32> = a.iter().map(|&v| (v as f32).clamp(-1e30, 1e30)).collect();
        let b: Vec<f32> = (0..a.len()).map(|_| rng.normal() as f32).collect();
        check_sum(isa, &a).map_err(TestCaseError::fail)?;
        check_sum_compensated(isa, &a).map_err(TestCaseError::fail)?;
        check_dot(isa, &a, &b).map_err(TestCaseError::fail)?;
        check_axpy(isa, 2.5f32, &b, &a).map_err(TestCaseError::fail)?;
        check_scale(isa, -0.1f32, &a).map_err(TestCaseError::fail)?;
        check_min_max(isa, &a).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn moments_merge_is_consistent(isa in isa_strategy(), x in prop::collection::vec(-1e3f64..1e3, 2..3000), cut in 0usize..3000) {
        let cut = cut.min(x.len());
        let whole = moments_with(isa, &x);
        let merged = moments_with(isa, &x[..cut]).merge(&moments_with(isa, &x[cut..]));
        prop_assert_eq!(merged.count, whole.count);
        let scale = whole.m2.max(1e-300);
        prop_assert!((merged.m2 - whole.m2).abs() <= 1e-10 * scale, "{} vs {}", merged.m2, whole.m2);
        prop_assert!((merged.mean - whole.mean).abs() <= 1e-10 * (whole.mean.abs() + 1.0));
    }
}
