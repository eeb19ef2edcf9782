//! [`ColumnSelect`]: a stage that picks input columns by position, so a model can read some
//! columns of a wider row, in its own order (a tree model's features among a pipeline's
//! feature columns) without copying the row per tick.

use crate::error::{PipelineError, Result};
use crate::traits::Transform;
use serde::{Deserialize, Serialize};
use simd_kernels::Isa;

/// Picks columns of each row: output `j` is input column `columns[j]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSelect {
    /// Values of each input row.
    pub n_inputs: usize,
    /// The input column of each output, in output order.
    pub columns: Vec<usize>,
}

impl ColumnSelect {
    /// The columns of `inputs` named by `wanted`, in `wanted`'s order.
    ///
    /// # Errors
    /// [`PipelineError::MissingFeature`] naming the first wanted name `inputs` lacks.
    pub fn by_name(inputs: &[String], wanted: &[String]) -> Result<Self> {
        let columns = wanted
            .iter()
            .map(|w| {
                inputs
                    .iter()
                    .position(|i| i == w)
                    .ok_or_else(|| PipelineError::MissingFeature {
                        feature: w.clone(),
                        available: inputs.to_vec(),
                    })
            })
            .collect::<Result<_>>()?;
        Ok(ColumnSelect {
            n_inputs: inputs.len(),
            columns,
        })
    }

    /// Whether the stage changes nothing (every column, in order).
    pub fn is_identity(&self) -> bool {
        self.columns.len() == self.n_inputs && self.columns.iter().enumerate().all(|(j, &c)| c == j)
    }

    /// A file's stage reads `k` values and picks only columns it has.
    pub(crate) fn validate(&self, field: &str, k: usize) -> Result<()> {
        if self.n_inputs != k {
            return Err(PipelineError::content(
                format!("{field}.n_inputs"),
                format!("is {}, the values before it are {k}", self.n_inputs),
            ));
        }
        if let Some((j, c)) = self.columns.iter().enumerate().find(|(_, &c)| c >= k) {
            return Err(PipelineError::content(
                format!("{field}.columns[{j}]"),
                format!("is {c}, beyond the {k} input columns"),
            ));
        }
        Ok(())
    }
}

impl Transform for ColumnSelect {
    fn n_features(&self) -> usize {
        self.n_inputs
    }

    fn n_outputs(&self) -> usize {
        self.columns.len()
    }

    #[inline]
    fn transform_one_with(&self, _isa: Isa, x: &[f64], _scratch: &mut [f64], out: &mut [f64]) {
        // A copy per column: no arithmetic, so the ISA does not matter.
        assert_eq!(
            x.len(),
            self.n_inputs,
            "column select: {} values, stage reads {}",
            x.len(),
            self.n_inputs
        );
        assert_eq!(
            out.len(),
            self.columns.len(),
            "column select: output of {} values, stage writes {}",
            out.len(),
            self.columns.len()
        );
        for (o, &c) in out.iter_mut().zip(&self.columns) {
            *o = x[c];
        }
    }
}
