//! What the CPU's identification (CPUID) says about how it executes vector code, where that
//! decides a choice above this layer and the ISA flags alone do not.

use std::sync::OnceLock;

/// Whether this CPU executes 512-bit AVX-512 operations as two 256-bit halves, so that they
/// deliver the floating-point throughput of AVX2, not twice it: AMD's Zen 4 (family 19h with
/// AVX-512). Such a CPU gains from AVX-512 only where the wider registers save instructions
/// or loads (a large GEMM's 24 x 8 tile); where the narrower AVX2 tiles waste less padding
/// (a small Gram matrix), they are as fast per operation and do less. `false` on every other
/// CPU, and on Intel's AVX-512 parts, whose 512-bit FMA units do double the work.
///
/// Read once per process from CPUID leaf 0 (vendor) and leaf 1 (family).
pub fn avx512_in_halves() -> bool {
    static HALVES: OnceLock<bool> = OnceLock::new();
    *HALVES.get_or_init(detect_halves)
}

#[cfg(target_arch = "x86_64")]
fn detect_halves() -> bool {
    use std::arch::x86_64::__cpuid;
    if !std::arch::is_x86_feature_detected!("avx512f") {
        return false;
    }
    // CPUID leaves 0 and 1 exist on every x86_64 processor (the intrinsic is safe there).
    let (leaf0, leaf1) = (__cpuid(0), __cpuid(1));
    let vendor: Vec<u8> = [leaf0.ebx, leaf0.edx, leaf0.ecx]
        .iter()
        .flat_map(|r| r.to_le_bytes())
        .collect();
    let base = (leaf1.eax >> 8) & 0xF;
    let family = if base == 0xF {
        base + ((leaf1.eax >> 20) & 0xFF)
    } else {
        base
    };
    vendor == b"AuthenticAMD" && family == 0x19
}

#[cfg(not(target_arch = "x86_64"))]
fn detect_halves() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_avx512_cpu_can_run_it_in_halves() {
        if avx512_in_halves() {
            assert!(crate::Isa::Avx512.is_supported());
        }
        assert_eq!(avx512_in_halves(), avx512_in_halves());
    }
}
