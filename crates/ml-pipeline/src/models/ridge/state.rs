//! The encoding of a double-double TSQR state ([`RidgeAccumulator`](super::RidgeAccumulator),
//! [`PcaAccumulator`](crate::models::PcaAccumulator)) as a flat list of f64, for partial
//! states that cross a wire (an engine's aggregate state, a file).
//!
//! Layout, format version 1 ([`ACCUMULATOR_STATE_VERSION`]):
//!
//! | values | what |
//! |---|---|
//! | 1 | the format version, `1` |
//! | 1 | the kind: `1` ridge, `2` PCA |
//! | 1 | `k`, the number of features |
//! | 1 | the count of rows (an integer below 2^53) |
//! | `2 c` | the `c` column means, each double-double as `hi, lo` |
//! | `c (c + 1)` | the upper triangle of the `c x c` factor `R`, column by column (`R[0][j] .. R[j][j]`), each as `hi, lo` |
//!
//! where `c` is the number of columns the factor spans: `k + 1` for ridge (the features and
//! the target), `k` for PCA. Every value round-trips exactly: decoding an encoding gives the
//! same state bit for bit.

use super::dd::Dd;
use super::tsqr::QrState;
use crate::error::{PipelineError, Result};

/// The format version [`RidgeAccumulator::to_state`](super::RidgeAccumulator::to_state) and
/// [`PcaAccumulator::to_state`](crate::models::PcaAccumulator::to_state) write, the one their
/// `from_state` reads.
pub const ACCUMULATOR_STATE_VERSION: u32 = 1;

/// Values before the means.
const HEADER: usize = 4;

/// Which accumulator a state belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::models) enum StateKind {
    Ridge = 1,
    Pca = 2,
}

impl StateKind {
    fn name(self) -> &'static str {
        match self {
            StateKind::Ridge => "ridge",
            StateKind::Pca => "PCA",
        }
    }
}

/// Length of the encoding of a state whose factor spans `c` columns.
pub(in crate::models) fn state_len(c: usize) -> usize {
    HEADER + 2 * c + c * (c + 1)
}

impl QrState<Dd> {
    /// The encoding of the layout above; `k` is the number of features.
    pub(in crate::models) fn to_state(&self, kind: StateKind, k: usize) -> Vec<f64> {
        let c = self.mean.len();
        let mut out = Vec::with_capacity(state_len(c));
        out.extend([
            f64::from(ACCUMULATOR_STATE_VERSION),
            kind as u32 as f64,
            k as f64,
            self.n as f64,
        ]);
        let mut push = |v: Dd| out.extend([v.hi, v.lo]);
        self.mean.iter().for_each(|&m| push(m));
        for j in 0..c {
            for i in 0..=j {
                push(self.r[i + j * c]);
            }
        }
        out
    }

    /// Decodes the layout above for `k` features, the factor spanning `c` columns.
    ///
    /// # Errors
    /// [`PipelineError::AccumulatorState`] for another version or kind, another `k`, a
    /// length other than [`state_len`]`(c)`, a count that is not a whole number below 2^53,
    /// or a value that is not a finite, normalized double-double pair.
    pub(in crate::models) fn from_state(
        kind: StateKind,
        k: usize,
        c: usize,
        state: &[f64],
    ) -> Result<Self> {
        let bad = |message: String| PipelineError::AccumulatorState {
            what: kind.name(),
            message,
        };
        let want = state_len(c);
        if state.len() < HEADER {
            return Err(bad(format!(
                "{} values, expected {want} for {k} features",
                state.len()
            )));
        }
        let version = state[0];
        if version != f64::from(ACCUMULATOR_STATE_VERSION) {
            return Err(bad(format!(
                "format version {version}; this build reads version {ACCUMULATOR_STATE_VERSION}"
            )));
        }
        if state[1] != kind as u32 as f64 {
            return Err(bad(format!(
                "kind {} is not {} ({})",
                state[1],
                kind as u32,
                kind.name()
            )));
        }
        if state[2] != k as f64 {
            return Err(bad(format!("made for {} features, expected {k}", state[2])));
        }
        if state.len() != want {
            return Err(bad(format!(
                "{} values, expected {want} for {k} features",
                state.len()
            )));
        }
        let n = state[3];
        if !(n >= 0.0 && n < 2f64.powi(53) && n.fract() == 0.0) {
            return Err(bad(format!("count {n} is not a whole number of rows")));
        }
        let mut pairs = state[HEADER..].chunks_exact(2).enumerate().map(|(i, p)| {
            let (hi, lo) = (p[0], p[1]);
            if hi.is_finite() && lo.is_finite() && hi + lo == hi {
                Ok(Dd { hi, lo })
            } else {
                Err(bad(format!(
                    "value {i} ({hi}, {lo}) is not a finite, normalized double-double"
                )))
            }
        });
        let mut s = QrState::with_columns(c);
        s.n = n as u64;
        for m in &mut s.mean {
            *m = pairs.next().expect("length checked")?;
        }
        for j in 0..c {
            for i in 0..=j {
                s.r[i + j * c] = pairs.next().expect("length checked")?;
            }
        }
        Ok(s)
    }
}

impl super::RidgeAccumulator {
    /// The accumulator as a flat list of f64 (the layout of this module's documentation,
    /// kind 1): count, the `k + 1` means and the upper triangle of the `(k + 1) x (k + 1)`
    /// factor, every double-double as its `hi, lo` pair, so nothing is rounded.
    /// [`from_state`](Self::from_state) reads it back bit for bit; its length is
    /// [`state_len`](Self::state_len)`(k)`.
    pub fn to_state(&self) -> Vec<f64> {
        use crate::traits::Accumulator;
        self.state.to_state(StateKind::Ridge, self.n_features())
    }

    /// The accumulator of `k` features that [`to_state`](Self::to_state) encoded.
    ///
    /// # Errors
    /// [`PipelineError::AccumulatorState`] when `state` is not the encoding of a ridge
    /// accumulator of `k` features in this build's format version: another version or kind,
    /// another `k`, a wrong length, a count that is not a whole number, or a value that is not
    /// a finite, normalized double-double.
    pub fn from_state(k: usize, state: &[f64]) -> Result<Self> {
        Ok(super::RidgeAccumulator {
            state: QrState::from_state(StateKind::Ridge, k, k + 1, state)?,
        })
    }

    /// Length of [`to_state`](Self::to_state) for `k` features:
    /// `4 + 2 (k + 1) + (k + 1)(k + 2)`.
    pub fn state_len(k: usize) -> usize {
        state_len(k + 1)
    }
}
