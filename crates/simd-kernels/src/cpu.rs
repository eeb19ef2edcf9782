//! What the CPU's identification (CPUID) says about how it executes vector code, where that
//! decides a choice above this layer and the ISA flags alone do not.

use std::sync::OnceLock;

/// Whether this CPU executes 512-bit AVX-512 operations as two 256-bit halves, so that they
/// deliver the floating-point throughput of AVX2, not twice it: AMD's Zen 4 (family 19h with
/// AVX-512). Such a CPU gains from AVX-512 only where the wider registers save instructions,
/// loads or copies. `false` on every other CPU, and on Intel's AVX-512 parts, whose 512-bit
/// FMA units do double the work.
///
/// No choice in this workspace depends on it now: fast-math once gave a row-major left
/// operand (and the packed Gram matrix) AVX2's tiles on such a CPU, measured when packing
/// `MR` rows in lockstep was an element-by-element gather; once that copy ran on register
/// transposes, AVX-512's tiles measured as fast or faster on the same Zen 4 in every shape
/// tried (see fast-math's `gemm` module docs).
///
/// Read once per process from CPUID leaf 0 (vendor) and leaf 1 (family).
pub fn avx512_in_halves() -> bool {
    static HALVES: OnceLock<bool> = OnceLock::new();
    *HALVES.get_or_init(detect_halves)
}

#[cfg(target_arch = "x86_64")]
fn detect_halves() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && signature().is_some_and(|sig| sig.vendor == "AuthenticAMD" && sig.family == 0x19)
}

/// The vendor, family and model CPUID reports: what tells two machines apart where a
/// cloud's model name says only "AMD EPYC" (a Zen 4 is family 19h, a Zen 5 family 1Ah).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The vendor string of leaf 0 ("GenuineIntel", "AuthenticAMD").
    pub vendor: String,
    /// The display family (base family, plus the extended family when the base is 0Fh).
    pub family: u32,
    /// The display model (base model, with the extended model in its high nibble on the
    /// families that use it).
    pub model: u32,
}

/// This CPU's [`Signature`], read once per process from CPUID leaves 0 and 1; `None` off x86_64.
pub fn signature() -> Option<Signature> {
    static SIGNATURE: OnceLock<Option<Signature>> = OnceLock::new();
    SIGNATURE.get_or_init(read_signature).clone()
}

#[cfg(target_arch = "x86_64")]
fn read_signature() -> Option<Signature> {
    use std::arch::x86_64::__cpuid;
    // CPUID leaves 0 and 1 exist on every x86_64 processor (the intrinsic is safe there).
    let (leaf0, leaf1) = (__cpuid(0), __cpuid(1));
    let vendor: Vec<u8> = [leaf0.ebx, leaf0.edx, leaf0.ecx]
        .iter()
        .flat_map(|r| r.to_le_bytes())
        .collect();
    let base_family = (leaf1.eax >> 8) & 0xF;
    let base_model = (leaf1.eax >> 4) & 0xF;
    let extended_model = (leaf1.eax >> 16) & 0xF;
    let family = if base_family == 0xF {
        base_family + ((leaf1.eax >> 20) & 0xFF)
    } else {
        base_family
    };
    // Intel's and AMD's manuals: the extended model counts for families 6 and 0Fh and up.
    let model = if base_family == 0x6 || base_family == 0xF {
        (extended_model << 4) | base_model
    } else {
        base_model
    };
    Some(Signature {
        vendor: String::from_utf8_lossy(&vendor).into_owned(),
        family,
        model,
    })
}

#[cfg(not(target_arch = "x86_64"))]
fn read_signature() -> Option<Signature> {
    None
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

    #[test]
    fn the_signature_reads_the_known_fields() {
        let sig = signature();
        assert_eq!(sig.is_some(), cfg!(target_arch = "x86_64"));
        if let Some(sig) = sig {
            assert_eq!(sig.vendor.len(), 12, "{sig:?}");
            assert!(sig.family >= 6, "{sig:?}");
            assert!(sig.model <= 0xFF, "{sig:?}");
            assert_eq!(signature(), Some(sig));
        }
    }
}
