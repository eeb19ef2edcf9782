//! The `matmul` planner: it alone chooses which multiplication algorithm runs.
//!
//! As in rustfft's planner, an algorithm never decides which other algorithm to call:
//! [`strassen`] recurses into the classical [`gemm`](crate::gemm()) it is
//! built on, and the classical GEMM knows nothing of Strassen. The choice between them is
//! made here and only here.

use crate::gemm::{check_shapes, gemm_with};
use crate::strassen::{self, StrassenConfig};
use crate::{Mat, MatRef, Par, Scalar};
use simd_kernels::Isa;

/// The algorithm [`matmul`] runs for one product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    Classical,
    Strassen(StrassenConfig),
}

/// The environment variable that turns Strassen on in [`matmul`]: the smallest dimension
/// (at least 512) from which products use it, measured on the machine that sets it.
pub const STRASSEN_CUTOFF_ENV: &str = "FAST_MATH_STRASSEN_CUTOFF";

/// The Strassen cutoff of this process: [`STRASSEN_CUTOFF_ENV`] when it holds a number of
/// at least 512, else none (read once).
fn strassen_cutoff() -> Option<usize> {
    static CUTOFF: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();
    *CUTOFF.get_or_init(|| parse_cutoff(std::env::var(STRASSEN_CUTOFF_ENV).ok().as_deref()))
}

fn parse_cutoff(value: Option<&str>) -> Option<usize> {
    value?.trim().parse().ok().filter(|&c: &usize| c >= 512)
}

/// The algorithm for an `m x k` by `k x n` product, given the process's Strassen cutoff.
fn plan(cutoff: Option<usize>, m: usize, k: usize, n: usize) -> Algorithm {
    match cutoff {
        Some(c) if m.min(k).min(n) >= c => Algorithm::Strassen(StrassenConfig {
            cutoff: c,
            ..StrassenConfig::default()
        }),
        _ => Algorithm::Classical,
    }
}

/// `A * B` as a new matrix, on the detected ISA.
///
/// Runs the classical [`gemm`](crate::gemm()) unless the process was started with
/// [`STRASSEN_CUTOFF_ENV`] set: then products whose three dimensions all reach that cutoff
/// use [`strassen::gemm`], with its weaker, normwise error bound. Strassen is opt-in because
/// whether it wins depends on the machine and the gain is small: one fused level measured
/// 1.07-1.09x the classical product at n = 4096 on an AVX-512 Xeon, but 0.97-0.98x on an
/// AVX2 AMD EPYC (Zen 3), one thread (`cargo bench -p benches --bench math -- summary`
/// prints the ratio on yours), so no built-in crossover holds for every machine, and a
/// product's rounding should not change with the machine it runs on unasked.
///
/// # Panics
/// If `a.ncols() != b.nrows()`; the message names both shapes.
#[track_caller]
pub fn matmul<T: Scalar>(a: MatRef<'_, T>, b: MatRef<'_, T>, par: Par) -> Mat<T> {
    matmul_with(Isa::detect(), a, b, par)
}

/// [`matmul`] on one given ISA.
///
/// # Panics
/// If the inner dimensions differ, or the CPU does not support `isa`.
#[track_caller]
pub fn matmul_with<T: Scalar>(isa: Isa, a: MatRef<'_, T>, b: MatRef<'_, T>, par: Par) -> Mat<T> {
    let mut c = Mat::zeros(a.nrows(), b.ncols());
    check_shapes("matmul", &a, &b, &c.as_mut());
    match plan(strassen_cutoff(), a.nrows(), a.ncols(), b.ncols()) {
        Algorithm::Strassen(cfg) => {
            strassen::gemm_with(isa, T::ONE, a, b, T::ZERO, c.as_mut(), par, cfg);
        }
        Algorithm::Classical => gemm_with(isa, T::ONE, a, b, T::ZERO, c.as_mut(), par),
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strassen::CROSSOVER;

    #[test]
    fn strassen_only_when_opted_in_and_every_dimension_reaches_the_cutoff() {
        let big = CROSSOVER;
        let on = Some(big);
        let strassen = Algorithm::Strassen(StrassenConfig {
            cutoff: big,
            ..StrassenConfig::default()
        });
        assert_eq!(plan(on, big, big, big), strassen);
        assert_eq!(plan(on, big - 1, big, big), Algorithm::Classical);
        assert_eq!(plan(on, big, big - 1, big), Algorithm::Classical);
        assert_eq!(plan(on, big, big, big - 1), Algorithm::Classical);
        assert_eq!(plan(on, 0, 0, 0), Algorithm::Classical);
        assert_eq!(plan(None, 2 * big, 2 * big, 2 * big), Algorithm::Classical);
    }

    #[test]
    fn the_cutoff_variable_needs_a_number_of_at_least_512() {
        assert_eq!(parse_cutoff(None), None);
        assert_eq!(parse_cutoff(Some("4096")), Some(4096));
        assert_eq!(parse_cutoff(Some(" 3072\n")), Some(3072));
        assert_eq!(parse_cutoff(Some("100")), None);
        assert_eq!(parse_cutoff(Some("yes")), None);
    }
}
