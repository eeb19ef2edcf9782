//! The instruction-set value every kernel dispatches on.

use std::sync::atomic::{AtomicU8, Ordering};

/// An instruction-set path a kernel can run on.
///
/// Ordered from least to most capable, so `Isa::Avx2Fma < Isa::Avx512`.
/// The plain kernel functions run on [`Isa::detect`]; the `*_with` forms take one explicitly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// Portable code with no explicit SIMD intrinsics.
    Scalar,
    /// 256-bit AVX2 with fused multiply-add.
    Avx2Fma,
    /// 512-bit AVX-512F (foundation).
    Avx512,
}

/// Name of the environment variable that caps detection for the whole process.
pub const ISA_ENV_VAR: &str = "SIMD_KERNELS_ISA";

const ALL: [Isa; 3] = [Isa::Scalar, Isa::Avx2Fma, Isa::Avx512];

// 0 means "not detected yet"; otherwise 1 + the index in ALL.
static DETECTED: AtomicU8 = AtomicU8::new(0);

impl Isa {
    /// The best ISA this CPU supports, capped by `SIMD_KERNELS_ISA` when it is set.
    ///
    /// Detection runs once; later calls are a single relaxed atomic load.
    ///
    /// # Panics
    /// If `SIMD_KERNELS_ISA` is set to something other than `scalar`, `avx2` or `avx512`
    /// (a typo there would otherwise silently benchmark the wrong path).
    #[inline]
    pub fn detect() -> Isa {
        match DETECTED.load(Ordering::Relaxed) {
            0 => Self::detect_slow(),
            k => ALL[usize::from(k - 1)],
        }
    }

    #[cold]
    #[inline(never)]
    fn detect_slow() -> Isa {
        let cap = Self::env_cap().unwrap_or_else(|msg| panic!("{msg}"));
        let best = ALL
            .into_iter()
            .rev()
            .find(|isa| isa.is_supported() && cap.is_none_or(|c| *isa <= c))
            .unwrap_or(Isa::Scalar);
        let code = ALL.iter().position(|i| *i == best).unwrap_or(0) as u8 + 1;
        DETECTED.store(code, Ordering::Relaxed);
        best
    }

    /// Reads the cap from `SIMD_KERNELS_ISA`: `Ok(None)` when unset or empty.
    ///
    /// # Errors
    /// A message naming the bad value when it is not a known ISA name.
    pub fn env_cap() -> Result<Option<Isa>, String> {
        match std::env::var(ISA_ENV_VAR) {
            Ok(v) if v.trim().is_empty() => Ok(None),
            Ok(v) => Isa::from_name(v.trim()).map(Some).ok_or_else(|| {
                format!("{ISA_ENV_VAR}={v:?} is not one of \"scalar\", \"avx2\", \"avx512\"")
            }),
            Err(_) => Ok(None),
        }
    }

    /// Every ISA this process may use, from least to most capable: those the CPU supports,
    /// capped by `SIMD_KERNELS_ISA`. Always contains [`Isa::Scalar`].
    pub fn available() -> impl Iterator<Item = Isa> {
        let best = Isa::detect();
        ALL.into_iter().filter(move |isa| *isa <= best)
    }

    /// Whether this CPU can execute the ISA, whatever the cap says.
    #[inline]
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// Panics with a clear message unless the CPU supports this ISA.
    #[inline]
    #[track_caller]
    pub(crate) fn assert_supported(self) {
        if !self.is_supported() {
            unsupported(self)
        }
    }

    /// The short name used by `SIMD_KERNELS_ISA`: `"scalar"`, `"avx2"` or `"avx512"`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2Fma => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// Parses a short name as printed by [`Isa::name`].
    pub fn from_name(name: &str) -> Option<Isa> {
        ALL.into_iter()
            .find(|isa| isa.name().eq_ignore_ascii_case(name))
    }

    /// Number of `f64` lanes in one vector register of this ISA.
    pub fn f64_lanes(self) -> usize {
        match self {
            Isa::Scalar => 1,
            Isa::Avx2Fma => 4,
            Isa::Avx512 => 8,
        }
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn unsupported(isa: Isa) -> ! {
    panic!(
        "simd-kernels: ISA {:?} ({}) was requested but this CPU does not support it",
        isa,
        isa.name()
    )
}

impl std::fmt::Display for Isa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
