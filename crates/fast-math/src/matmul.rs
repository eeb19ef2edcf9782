//! The `matmul` planner: it alone chooses which multiplication algorithm runs.
//!
//! As in rustfft's planner, an algorithm never decides which other algorithm to call:
//! [`strassen`] recurses into the classical [`gemm`](crate::gemm()) it is
//! built on, and the classical GEMM knows nothing of Strassen. The choice between them,
//! by the measured crossover, is made here and only here.

use crate::gemm::{check_shapes, gemm_with};
use crate::strassen::{self, StrassenConfig, CROSSOVER};
use crate::{Mat, MatRef, Par, Scalar};
use simd_kernels::Isa;

/// The algorithm [`matmul`] runs for one product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    Classical,
    Strassen(StrassenConfig),
}

/// The algorithm for an `m x k` by `k x n` product.
fn plan(m: usize, k: usize, n: usize) -> Algorithm {
    if m.min(k).min(n) >= CROSSOVER {
        Algorithm::Strassen(StrassenConfig::default())
    } else {
        Algorithm::Classical
    }
}

/// `A * B` as a new matrix, on the detected ISA.
///
/// Uses [`strassen::gemm`] when all three dimensions are at least
/// [`strassen::CROSSOVER`] (measured on this project's machine;
/// below it the classical product is faster), classical [`gemm`](crate::gemm()) otherwise. Its error bound
/// is therefore the weaker, normwise one of Strassen for large products.
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
    match plan(a.nrows(), a.ncols(), b.ncols()) {
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

    #[test]
    fn strassen_only_when_every_dimension_reaches_the_crossover() {
        let big = CROSSOVER;
        assert_eq!(
            plan(big, big, big),
            Algorithm::Strassen(StrassenConfig::default())
        );
        assert_eq!(plan(big - 1, big, big), Algorithm::Classical);
        assert_eq!(plan(big, big - 1, big), Algorithm::Classical);
        assert_eq!(plan(big, big, big - 1), Algorithm::Classical);
        assert_eq!(plan(0, 0, 0), Algorithm::Classical);
    }
}
