//! Which optimization layers a computation may use: the switches behind the pipeline's
//! ablation (`use_simd`, `use_fast_math`).

use fast_math::{gram_with, Mat, MatRef, Par};
use simd_kernels::Isa;

/// The instruction set and the algorithm family a computation runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Engine {
    /// ISA for every kernel call ([`Isa::Scalar`] turns the SIMD layer off).
    pub isa: Isa,
    /// `false` replaces packed GEMM by the textbook triple loop.
    pub fast_math: bool,
}

impl Default for Engine {
    fn default() -> Self {
        Engine {
            isa: Isa::detect(),
            fast_math: true,
        }
    }
}

impl Engine {
    /// `X^T X`: packed, triangle-only GEMM, or the textbook loop.
    pub(crate) fn gram(&self, x: MatRef<'_, f64>, par: Par) -> Mat<f64> {
        if self.fast_math {
            return gram_with(self.isa, x, par);
        }
        let k = x.ncols();
        let mut g = Mat::zeros(k, k);
        for i in 0..k {
            for j in 0..=i {
                let mut s = 0.0;
                for r in 0..x.nrows() {
                    s += x.get(r, i) * x.get(r, j);
                }
                g[(i, j)] = s;
                g[(j, i)] = s;
            }
        }
        g
    }
}
