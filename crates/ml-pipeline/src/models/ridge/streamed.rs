//! [`Ridge::fit_chunks`]: the fit of [`Ridge::fit`](crate::Fit::fit) over data read in
//! chunks, pass after pass, so memory holds one chunk and the statistics (O(k^2)) whatever
//! the row count.
//!
//! The passes are [`Ridge::fit`]'s: the centered Gram statistics (one pass), the normal
//! equations when they are well conditioned; otherwise the QR factor of the centered data
//! (a second pass) and refinement steps against the rows (one pass each, at most three).
//! Each chunk is split among the threads as `fit` splits its rows, and the parts are merged
//! in row order, so the answer does not depend on thread timing; it differs from `fit`'s on
//! the same rows only by the order of the merges (rounding).

use super::super::checks::{check_finite, check_shapes, shift_row};
use super::super::linear::LinearModel;
use super::gram::GramStats;
use super::refine::{gradient, Refinement, Sum2};
use super::solve::RidgeReport;
use super::tsqr::QrState;
use super::Ridge;
use crate::ablation::Ablation;
use crate::error::{PipelineError, Result};
use crate::traits::{Fit, RowChunks};
use crate::workers::map_row_ranges;
use fast_math::{MatRef, Par};

impl Ridge {
    /// Fits on every row of `data`, reading it in chunks: two passes for well-conditioned
    /// data, up to five for ill-conditioned data, never more than one chunk in memory.
    /// The answer is [`Fit::fit`]'s on the same rows, up to rounding (the statistics of the
    /// chunks are merged in another order).
    ///
    /// # Errors
    /// `data`'s own errors; converted from [`PipelineError`]: [`PipelineError::EmptyData`]
    /// for no rows (or no feature), [`PipelineError::ShapeMismatch`] for a chunk of another
    /// width or target length, [`PipelineError::NonFinite`] naming the row (counted from
    /// the first row of the data) and column, [`PipelineError::InvalidHyperparameter`] and
    /// [`PipelineError::Linalg`] as [`Fit::fit`].
    pub fn fit_chunks<S: RowChunks>(
        &self,
        data: &mut S,
        par: Par,
    ) -> std::result::Result<(LinearModel, RidgeReport), S::Error> {
        self.check()?;
        let ablation = Ablation::default();
        let k = data.n_features();
        let threads = par.threads().max(1);
        let mut stats = GramStats::new(k);
        let mut seen = 0usize;
        data.pass(&mut |x, y| {
            let n = check_chunk(x, y, k, seen)?;
            let part = map_row_ranges(n, threads, |rows| {
                let mut acc = GramStats::new(k);
                acc.update_unchecked(
                    ablation,
                    x.submatrix(rows.start, 0, rows.len(), k),
                    &y[rows],
                );
                acc
            })
            .iter()
            .fold(GramStats::new(k), |a, b| a.merged(b));
            if !part.is_finite() {
                check_finite(x, Some(y)).map_err(|e| shift_row(e, seen))?;
            }
            stats = stats.merged(&part);
            seen += n;
            Ok(())
        })?;
        if seen == 0 || k == 0 {
            return Err(PipelineError::EmptyData {
                rows: seen,
                cols: k,
            }
            .into());
        }
        let condition_estimate = match self.normal_equations_fit(ablation, &stats) {
            Ok(fitted) => return Ok(fitted),
            Err(cond) => cond,
        };

        // The QR factor of the centered data, then refinement against the rows.
        let mut acc = QrState::<f64>::new(k);
        data.pass(&mut |x, y| {
            let n = check_chunk(x, y, k, 0)?;
            for part in map_row_ranges(n, threads, |rows| {
                let mut part = QrState::<f64>::new(k);
                part.update_unchecked(
                    ablation.isa,
                    x.submatrix(rows.start, 0, rows.len(), k),
                    &y[rows],
                );
                part
            }) {
                acc.merge(ablation.isa, &part);
            }
            Ok(())
        })?;
        let (mut model, mut report, r) = acc
            .solve(ablation.isa, self.alpha, self.fit_intercept)
            .map_err(S::Error::from)?;
        let refinement = Refinement {
            r: &r,
            mean_x: &acc.mean[..k],
            alpha: self.alpha,
            fit_intercept: self.fit_intercept,
        };
        report.refinement_steps = refinement.run_passes(seen, &mut model, |m| {
            let (mut g, mut total) = (vec![Sum2::default(); k], Sum2::default());
            data.pass(&mut |x, y| {
                let (pg, pt) = gradient(x, None, y, m, threads);
                g.iter_mut().zip(&pg).for_each(|(a, b)| a.add_sum(b));
                total.add_sum(&pt);
                Ok(())
            })?;
            Ok::<_, S::Error>((g, total))
        })?;
        if !report.condition_estimate.is_finite() {
            report.condition_estimate = condition_estimate;
        }
        Ok((model, report))
    }
}

/// Checks a chunk's shape (`k` columns, a target per row; an empty chunk is allowed) and
/// returns its row count; `seen` rows came before it.
fn check_chunk(x: MatRef<'_, f64>, y: &[f64], k: usize, seen: usize) -> Result<usize> {
    if x.nrows() == 0 && y.is_empty() {
        return Ok(0);
    }
    if x.ncols() != k {
        return Err(PipelineError::ShapeMismatch {
            what: "chunk feature columns",
            expected: k,
            got: x.ncols(),
        });
    }
    check_shapes(x, Some(y)).map_err(|e| shift_row(e, seen))?;
    Ok(x.nrows())
}
