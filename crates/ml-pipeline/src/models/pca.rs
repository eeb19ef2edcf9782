//! Principal component analysis with scikit-learn's definitions, on randomized SVD.

use super::data::check_xy;
use crate::engine::Engine;
use crate::error::{PipelineError, Result};
use fast_math::rsvd::{randomized_svd, RsvdOptions};
use fast_math::{Mat, MatRef, Par};
use serde::{Deserialize, Serialize};

/// Widest data solved through the covariance matrix rather than randomized SVD.
const COVARIANCE_MAX_FEATURES: usize = 512;

/// PCA: centers the data and keeps the top `n_components` right singular vectors
/// (scikit-learn's `PCA(n_components)`).
///
/// Like scikit-learn's automatic solver choice, tall data with at most 512 features goes
/// through the covariance matrix (one pass for `X^T X`, then a small symmetric
/// eigenproblem); wider data through randomized SVD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pca {
    /// Components kept (1..=min(n, k)).
    pub n_components: usize,
}

/// A fitted PCA.
///
/// Sign convention (scikit-learn's): in each component the entry of largest magnitude is
/// positive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PcaModel {
    /// Feature means removed before projecting.
    pub mean: Vec<f64>,
    /// Components, one row per component, `n_components x k`, row-major.
    pub components: Vec<f64>,
    /// Variance along each component (`s^2 / (n - 1)`), descending.
    pub explained_variance: Vec<f64>,
    /// Share of the total variance along each component.
    pub explained_variance_ratio: Vec<f64>,
}

impl Pca {
    /// Fits on the rows of `x` with randomized SVD (scikit-learn's defaults, seed 0).
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`], [`PipelineError::NonFinite`],
    /// [`PipelineError::InvalidConfig`] when `n_components` is 0 or above `min(n, k)`.
    pub fn fit(&self, x: MatRef<'_, f64>, par: Par) -> Result<PcaModel> {
        self.fit_with(Engine::default(), x, par)
    }

    /// [`fit`](Self::fit) with an explicit [`Engine`]: with `fast_math` off, a full SVD
    /// (nalgebra) replaces the randomized one.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_with(&self, engine: Engine, x: MatRef<'_, f64>, par: Par) -> Result<PcaModel> {
        check_xy(x, None)?;
        let (n, k) = (x.nrows(), x.ncols());
        if self.n_components == 0 || self.n_components > n.min(k) {
            return Err(PipelineError::InvalidConfig(format!(
                "n_components must be in 1..={} for {n} x {k} data (got {})",
                n.min(k),
                self.n_components
            )));
        }
        // Centered copy, column by column (contiguous when the input is column-major).
        let mut xc = Mat::zeros(n, k);
        let mut mean = Vec::with_capacity(k);
        for j in 0..k {
            let col = &mut xc.as_mut_slice()[j * n..(j + 1) * n];
            match x.col_slice(j) {
                Some(src) => col.copy_from_slice(src),
                None => col
                    .iter_mut()
                    .enumerate()
                    .for_each(|(i, c)| *c = x.get(i, j)),
            }
            let mu = simd_kernels::sum_compensated_with(engine.isa, col) / n as f64;
            col.iter_mut().for_each(|c| *c -= mu);
            mean.push(mu);
        }
        let dof = (n as f64 - 1.0).max(1.0);
        let total_var: f64 = simd_kernels::dot_with(engine.isa, xc.as_slice(), xc.as_slice()) / dof;
        let r = self.n_components;
        let (s, vt): (Vec<f64>, Mat<f64>) = if engine.fast_math
            && k <= COVARIANCE_MAX_FEATURES
            && n >= 4 * k
        {
            // Tall and narrow (scikit-learn's "covariance_eigh" case): one pass for X^T X,
            // then a small symmetric eigenproblem. Singular values are sqrt(eigenvalues).
            let g = engine.gram(xc.as_ref(), par);
            let eig =
                nalgebra::SymmetricEigen::new(nalgebra::DMatrix::from_fn(k, k, |i, j| g[(i, j)]));
            let mut order: Vec<usize> = (0..k).collect();
            order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
            let s = order[..r]
                .iter()
                .map(|&i| eig.eigenvalues[i].max(0.0).sqrt())
                .collect();
            (
                s,
                Mat::from_fn(r, k, |c, j| eig.eigenvectors[(j, order[c])]),
            )
        } else if engine.fast_math {
            let svd = randomized_svd(xc.as_ref(), &RsvdOptions::new(r), par)?;
            (svd.s, svd.vt)
        } else {
            let svd = nalgebra::linalg::SVD::new(
                nalgebra::DMatrix::from_fn(n, k, |i, j| xc[(i, j)]),
                false,
                true,
            );
            let v_t = svd
                .v_t
                .ok_or_else(|| PipelineError::InvalidConfig("SVD did not converge".into()))?;
            let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
            order.sort_by(|&a, &b| svd.singular_values[b].total_cmp(&svd.singular_values[a]));
            let s = order[..r].iter().map(|&i| svd.singular_values[i]).collect();
            (s, Mat::from_fn(r, k, |c, j| v_t[(order[c], j)]))
        };
        let mut components = Vec::with_capacity(r * k);
        for c in 0..r {
            let row: Vec<f64> = (0..k).map(|j| vt[(c, j)]).collect();
            let big = row
                .iter()
                .copied()
                .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
            let sign = if big < 0.0 { -1.0 } else { 1.0 };
            components.extend(row.iter().map(|v| v * sign));
        }
        let explained_variance: Vec<f64> = s
            .iter()
            .map(|v| v * v / (n as f64 - 1.0).max(1.0))
            .collect();
        let explained_variance_ratio = explained_variance.iter().map(|v| v / total_var).collect();
        Ok(PcaModel {
            mean,
            components,
            explained_variance,
            explained_variance_ratio,
        })
    }
}

impl PcaModel {
    /// Number of components.
    pub fn n_components(&self) -> usize {
        self.explained_variance.len()
    }

    /// Projects one sample onto the components, writing `n_components` values (no
    /// allocation).
    ///
    /// # Panics
    /// If `x` does not have one value per feature or `out` one slot per component.
    #[inline]
    pub fn transform_one(&self, x: &[f64], centered: &mut [f64], out: &mut [f64]) {
        centered[..x.len()].copy_from_slice(x);
        self.transform_one_in_place(simd_kernels::Isa::detect(), &mut centered[..x.len()], out);
    }

    /// Centers `x` in place and writes its component scores to `out`.
    pub(crate) fn transform_one_in_place(
        &self,
        isa: simd_kernels::Isa,
        x: &mut [f64],
        out: &mut [f64],
    ) {
        let k = self.mean.len();
        assert_eq!(x.len(), k, "pca: {} values for {k} features", x.len());
        assert_eq!(
            out.len(),
            self.n_components(),
            "pca: {} outputs for {} components",
            out.len(),
            self.n_components()
        );
        for (v, m) in x.iter_mut().zip(&self.mean) {
            *v -= m;
        }
        for (o, comp) in out.iter_mut().zip(self.components.chunks_exact(k)) {
            *o = simd_kernels::dot_with(isa, x, comp);
        }
    }
}
