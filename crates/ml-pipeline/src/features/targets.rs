//! Forward targets for training: what happens after each row, within its group. Kept apart
//! from the features (their own matrix, their own function) so no feature can read a row's
//! future: a model trained on features of row `t` against the target of row `t` learns to
//! predict, not to copy.

use super::batch::FeatureMatrix;
use super::config::FeatureConfig;
use super::grouped::Groups;
use crate::error::{PipelineError, Result};

/// Column names of [`forward_targets`]: `fwd_log_return_<h>`, `fwd_up_<h>` per horizon.
pub fn forward_target_names(horizons: &[usize]) -> Vec<String> {
    horizons
        .iter()
        .flat_map(|h| [format!("fwd_log_return_{h}"), format!("fwd_up_{h}")])
        .collect()
}

/// Forward targets of a price series, or of each group of a long-format table.
///
/// For each horizon `h`, two columns: `fwd_log_return_<h>` at row `t` is
/// `ln(p_{t+h} / p_t)`, where `t + h` counts `h` rows further in `t`'s group (the series
/// when `groups` is None): NaN for the last `h` rows of each group, never a price of
/// another group. `fwd_up_<h>` is 1 where that return is positive, 0 where it is zero or
/// negative, NaN where it is NaN.
///
/// # Errors
/// [`PipelineError::InvalidSetting`] for a horizon of 0 or above
/// [`FeatureConfig::MAX_WINDOW`]; [`PipelineError::ShapeMismatch`] when `groups` has
/// another number of rows.
pub fn forward_targets(
    prices: &[f64],
    groups: Option<&Groups>,
    horizons: &[usize],
) -> Result<FeatureMatrix> {
    if let Some(&h) = horizons
        .iter()
        .find(|&&h| h == 0 || h > FeatureConfig::MAX_WINDOW)
    {
        return Err(PipelineError::InvalidSetting {
            name: "horizon",
            value: h.to_string(),
            expected: format!("from 1 to {}", FeatureConfig::MAX_WINDOW),
        });
    }
    if let Some(g) = groups.filter(|g| g.nrows() != prices.len()) {
        return Err(PipelineError::ShapeMismatch {
            what: "prices against group rows",
            expected: g.nrows(),
            got: prices.len(),
        });
    }
    let cols = 2 * horizons.len();
    let mut data = vec![f64::NAN; prices.len() * cols];
    let all: Vec<usize>;
    let series: Vec<&[usize]> = match groups {
        Some(g) => (0..g.n_groups()).map(|k| g.rows(k)).collect(),
        None => {
            all = (0..prices.len()).collect();
            vec![&all]
        }
    };
    for rows in series {
        for (k, &h) in horizons.iter().enumerate() {
            for (i, &t) in rows.iter().enumerate() {
                let Some(&later) = rows.get(i + h) else { break };
                let r = (prices[later] / prices[t]).ln();
                let up = if r.is_nan() {
                    f64::NAN
                } else {
                    f64::from(u8::from(r > 0.0))
                };
                data[t * cols + 2 * k] = r;
                data[t * cols + 2 * k + 1] = up;
            }
        }
    }
    Ok(FeatureMatrix::from_parts(
        forward_target_names(horizons),
        prices.len(),
        data,
    ))
}
