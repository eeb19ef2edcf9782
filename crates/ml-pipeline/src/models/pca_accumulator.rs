//! A mergeable PCA fit: the TSQR factor of the centered data, the same state as
//! [`RidgeAccumulator`](super::RidgeAccumulator) keeps, without a target column.

use super::checks::check_xy;
use super::pca::{fitted, top_singular_pairs, Pca, PcaModel};
use super::ridge::{state_len_of, Dd, QrState, StateKind};
use crate::error::{PipelineError, Result};
use crate::traits::{Accumulator, FitIncremental, Target};
use fast_math::{LinalgError, Mat, MatRef};
use simd_kernels::Isa;

/// Mergeable statistics of a PCA fit: the count, the means of the `k` features and the
/// upper-triangular `k x k` factor `R` of a QR factorization of the centered data
/// `X - 1 m^T`, kept in double-double and merged by TSQR, exactly as
/// [`RidgeAccumulator`](super::RidgeAccumulator) does (its documentation gives the
/// algorithm). Memory is O(k^2), whatever the number of rows.
///
/// Why a QR factor rather than the co-moment matrix `C = sum (x - m)(x - m)^T` merged by
/// Chan's formula: `R^T R = C`, so `R` holds the same information, but the centered data
/// and `R` share their singular values, so [`Pca::finish`](FitIncremental::finish) takes the
/// SVD of `R` itself instead of the eigenvectors of `C`. An eigensolver on `C` resolves the
/// small variances only to `eps * largest variance` (their square roots, the singular values,
/// to `sqrt(eps)` relative to the largest), while the SVD of `R` keeps them to
/// `eps * largest singular value`; and the factor is in double-double, so neither the
/// chunked updates nor the merges, in any order, lose anything measurable. The price is the
/// double-double QR of each chunk (the cost measured in `RidgeAccumulator`'s documentation).
///
/// [`covariance`](Self::covariance) gives `C / (n - 1)` for those who want it.
#[derive(Clone, Debug, PartialEq)]
pub struct PcaAccumulator {
    state: QrState<Dd>,
}

impl PcaAccumulator {
    /// An empty accumulator for `k` features.
    pub fn new(k: usize) -> Self {
        PcaAccumulator {
            state: QrState::with_columns(k),
        }
    }

    /// The means of the features seen (`None` before any row).
    pub fn mean(&self) -> Option<Vec<f64>> {
        (self.state.n > 0).then(|| self.state.mean.iter().map(|m| m.to_f64()).collect())
    }

    /// The sample covariance matrix (`k x k`, divided by `n - 1`) of the rows seen, from
    /// `R^T R` in double-double; `None` with fewer than two rows.
    pub fn covariance(&self) -> Option<Mat<f64>> {
        let (n, k) = (self.state.n, self.state.mean.len());
        if n < 2 {
            return None;
        }
        let dof = Dd::from_f64((n - 1) as f64);
        let r = &self.state.r;
        Some(Mat::from_fn(k, k, |i, j| {
            let s = (0..=i.min(j)).fold(Dd::ZERO, |s, l| s + r[l + i * k] * r[l + j * k]);
            (s / dof).to_f64()
        }))
    }

    /// The accumulator as a flat list of f64 (the layout of
    /// [`ACCUMULATOR_STATE_VERSION`](super::ACCUMULATOR_STATE_VERSION)'s module, kind 2):
    /// count, the `k` means and the upper triangle of the `k x k` factor, every
    /// double-double as its `hi, lo` pair. [`from_state`](Self::from_state) reads it back
    /// bit for bit; its length is [`state_len`](Self::state_len)`(k)`.
    pub fn to_state(&self) -> Vec<f64> {
        self.state.to_state(StateKind::Pca, self.n_features())
    }

    /// The accumulator of `k` features that [`to_state`](Self::to_state) encoded.
    ///
    /// # Errors
    /// [`PipelineError::AccumulatorState`] when `state` is not the encoding of a PCA
    /// accumulator of `k` features in this build's format version (another version or kind,
    /// another `k`, a wrong length, a count that is not a whole number, a value that is not a
    /// finite, normalized double-double).
    pub fn from_state(k: usize, state: &[f64]) -> Result<Self> {
        Ok(PcaAccumulator {
            state: QrState::from_state(StateKind::Pca, k, k, state)?,
        })
    }

    /// Length of [`to_state`](Self::to_state) for `k` features: `4 + 2 k + k (k + 1)`.
    pub fn state_len(k: usize) -> usize {
        state_len_of(k)
    }
}

impl Accumulator for PcaAccumulator {
    fn n_features(&self) -> usize {
        self.state.mean.len()
    }

    fn count(&self) -> u64 {
        self.state.n
    }

    /// Adds the rows of `x`; the target is ignored (PCA is unsupervised).
    fn update(&mut self, x: MatRef<'_, f64>, _y: Target<'_>) -> Result<()> {
        if x.ncols() != self.n_features() {
            return Err(PipelineError::ShapeMismatch {
                what: "feature columns",
                expected: self.n_features(),
                got: x.ncols(),
            });
        }
        if x.nrows() == 0 {
            return Ok(());
        }
        check_xy(x, None)?;
        self.state.update_rows_unchecked(Isa::detect(), x);
        Ok(())
    }

    fn merge(&mut self, other: &Self) -> Result<()> {
        self.state.merge_checked(&other.state, 0)
    }
}

impl FitIncremental for Pca {
    type Accumulator = PcaAccumulator;

    fn accumulator(&self, n_features: usize) -> PcaAccumulator {
        PcaAccumulator::new(n_features)
    }

    /// The PCA of every row the accumulator has seen: the SVD of its factor `R` (whose
    /// singular values are those of the centered data), with scikit-learn's definitions and
    /// sign convention, as [`Fit::fit`](crate::Fit::fit) gives.
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`] with no rows; [`PipelineError::InvalidHyperparameter`]
    /// when `n_components` is 0 or above `min(n, k)`; [`PipelineError::Linalg`] when the
    /// statistics overflowed; [`PipelineError::NoConvergence`] if the SVD does not converge.
    fn finish(&self, acc: &PcaAccumulator) -> Result<PcaModel> {
        use crate::traits::Fit;
        self.check()?;
        let (n, k) = (acc.state.n, acc.n_features());
        if n == 0 || k == 0 {
            return Err(PipelineError::EmptyData {
                rows: n as usize,
                cols: k,
            });
        }
        let most = (n as usize).min(k);
        if self.n_components > most {
            return Err(self.bad_components(format!("in 1..={most} for {n} x {k} data")));
        }
        let r = Mat::from_fn(k, k, |i, j| acc.state.r[i + j * k].to_f64());
        if let Some((row, col)) = (0..k)
            .flat_map(|j| (0..k).map(move |i| (i, j)))
            .find(|&(i, j)| !r[(i, j)].is_finite())
        {
            return Err(PipelineError::Linalg(LinalgError::NonFinite { row, col }));
        }
        let dof = (n as f64 - 1.0).max(1.0);
        let total = acc
            .state
            .r
            .iter()
            .fold(Dd::ZERO, |s, &v| s + v * v)
            .to_f64();
        let (s, vt) = top_singular_pairs(r, self.n_components)?;
        let mean = acc.mean().expect("n > 0");
        Ok(fitted(mean, &s, &vt, dof, total / dof))
    }
}
