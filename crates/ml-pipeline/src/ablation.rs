//! The ablation switch: which optimization layers a computation may use (`use_simd`,
//! `use_fast_math` of the pipeline), so each layer's contribution can be measured by
//! turning it off.

use fast_math::{gram_add_lower_ahead_with, gram_with, Mat, MatRef, Par};
use simd_kernels::Isa;

/// The instruction set and the algorithm family a computation runs with: every layer on by
/// default ([`Ablation::default`]), or some turned off to measure what they contribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ablation {
    /// ISA for every kernel call ([`Isa::Scalar`] turns the SIMD layer off).
    pub isa: Isa,
    /// `false` replaces packed GEMM by the textbook triple loop.
    pub fast_math: bool,
}

impl Default for Ablation {
    fn default() -> Self {
        Ablation {
            isa: Isa::detect(),
            fast_math: true,
        }
    }
}

impl Ablation {
    /// Every layer off: the scalar ISA and textbook algorithms.
    pub fn all_off() -> Self {
        Ablation {
            isa: Isa::Scalar,
            fast_math: false,
        }
    }

    /// `X^T X`: packed, triangle-only GEMM, or the textbook loop.
    pub(crate) fn gram(&self, x: MatRef<'_, f64>, par: Par) -> Mat<f64> {
        if self.fast_math {
            return gram_with(self.isa, x, par);
        }
        let k = x.ncols();
        let mut g = Mat::zeros(k, k);
        self.gram_add_lower(x, &mut g);
        for j in 0..k {
            for i in 0..j {
                g[(i, j)] = g[(j, i)];
            }
        }
        g
    }

    /// Adds the lower triangle of `X^T X` to that of `g` (the strict upper triangle is left
    /// as it is): the Gram kernels in place, or the textbook loop.
    pub(crate) fn gram_add_lower(&self, x: MatRef<'_, f64>, g: &mut Mat<f64>) {
        self.gram_add_lower_ahead(x, x.submatrix(0, 0, 0, x.ncols()), g);
    }

    /// [`Ablation::gram_add_lower`] that prefetches `ahead` (the rows the caller reads next,
    /// with the columns of `x`) while it computes: `fast_math::gram_add_lower_ahead_with`.
    /// The textbook loop ignores `ahead`.
    pub(crate) fn gram_add_lower_ahead(
        &self,
        x: MatRef<'_, f64>,
        ahead: MatRef<'_, f64>,
        g: &mut Mat<f64>,
    ) {
        if self.fast_math {
            return gram_add_lower_ahead_with(self.isa, x, ahead, g);
        }
        for j in 0..x.ncols() {
            for i in j..x.ncols() {
                let mut s = 0.0;
                for r in 0..x.nrows() {
                    s += x.get(r, i) * x.get(r, j);
                }
                g[(i, j)] += s;
            }
        }
    }
}
