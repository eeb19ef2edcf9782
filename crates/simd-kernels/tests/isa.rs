//! The `Isa` value: detection, the environment cap, names.

use simd_kernels::{Isa, ISA_ENV_VAR};

#[test]
fn available_is_ordered_supported_and_ends_at_detect() {
    let all: Vec<Isa> = Isa::available().collect();
    assert_eq!(all.first(), Some(&Isa::Scalar));
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    assert!(all.iter().all(|i| i.is_supported()));
    assert_eq!(all.last().copied(), Some(Isa::detect()));
}

#[test]
fn detect_respects_the_cap() {
    if let Ok(Some(cap)) = Isa::env_cap() {
        assert!(
            Isa::detect() <= cap,
            "{ISA_ENV_VAR} caps {cap} but detect gave {}",
            Isa::detect()
        );
    }
    // Detection is cached: the same answer every time.
    assert_eq!(Isa::detect(), Isa::detect());
}

#[test]
fn names_round_trip() {
    for isa in [Isa::Scalar, Isa::Avx2Fma, Isa::Avx512] {
        assert_eq!(Isa::from_name(isa.name()), Some(isa));
        assert_eq!(isa.to_string(), isa.name());
    }
    assert_eq!(Isa::from_name("AVX2"), Some(Isa::Avx2Fma));
    assert_eq!(Isa::from_name("sse"), None);
}

#[test]
fn an_unsupported_isa_panics_clearly() {
    for isa in [Isa::Avx2Fma, Isa::Avx512] {
        if !isa.is_supported() {
            let r = std::panic::catch_unwind(|| simd_kernels::sum_with(isa, &[1.0f64]));
            let msg = r.expect_err("must panic").downcast::<String>().unwrap();
            assert!(msg.contains("does not support"), "{msg}");
        }
    }
}
