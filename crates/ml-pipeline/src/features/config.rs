//! What the feature extractor computes, and the names of its columns.

use crate::error::{PipelineError, Result};

/// Configuration of the rolling features.
///
/// Columns, in order: `log_return`, `roll_mean`, `roll_std`, `roll_skew`, `roll_kurt` (pandas
/// `rolling(window)` mean, std with ddof 1, skew G1 and excess kurtosis G2 of the log
/// returns), `zscore` (price against its rolling mean and std), one `ema_<span>` per span
/// (of price), `momentum` (`p_t / p_{t-window} - 1`), `roll_min`, `roll_max` (of price), and
/// `spec_<k>` for `k = 1..=spectral_bins` (power `|X_k|^2 / N` of the DFT of the last
/// `spectral_len` log returns).
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureConfig {
    /// Rolling window length `w` (at least 4, so kurtosis is defined; at most
    /// [`MAX_WINDOW`](Self::MAX_WINDOW)).
    pub window: usize,
    /// Spans of the exponential moving averages of price (`alpha = 2 / (span + 1)`; pandas'
    /// default `ewm(span, adjust=False).mean()`, whose weights count NaN gaps as elapsed time).
    pub ema_spans: Vec<usize>,
    /// Number of returns `N` in the sliding DFT (0 disables the spectral features).
    pub spectral_len: usize,
    /// Number of DFT bins reported, `1..=spectral_bins` (at most `N / 2`).
    pub spectral_bins: usize,
    /// Ticks between exact recomputations of the O(1) running sums; bounds their drift.
    pub recompute_every: usize,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            window: 64,
            ema_spans: vec![8, 32],
            spectral_len: 32,
            spectral_bins: 4,
            recompute_every: 1024,
        }
    }
}

impl FeatureConfig {
    /// The largest `window` and `spectral_len` accepted: the rolling state allocates a few
    /// buffers of that many values up front, so an absurd length must be an error, not an
    /// allocation failure that aborts the process.
    pub const MAX_WINDOW: usize = 1 << 22;

    /// A default configuration with the given window.
    pub fn with_window(window: usize) -> Self {
        FeatureConfig {
            window,
            ..FeatureConfig::default()
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`PipelineError::InvalidSetting`] naming the field and the allowed range.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, value: usize, expected: String| {
            Err(PipelineError::InvalidSetting {
                name,
                value: value.to_string(),
                expected,
            })
        };
        if self.window < 4 {
            return bad("window", self.window, "at least 4".into());
        }
        if self.window > Self::MAX_WINDOW {
            return bad(
                "window",
                self.window,
                format!("at most {}", Self::MAX_WINDOW),
            );
        }
        if self.spectral_len > Self::MAX_WINDOW {
            let most = format!("at most {}", Self::MAX_WINDOW);
            return bad("spectral_len", self.spectral_len, most);
        }
        if let Some(&s) = self.ema_spans.iter().find(|&&s| s == 0) {
            return bad("ema_spans", s, "at least 1 (each span)".into());
        }
        if self.spectral_bins > self.spectral_len / 2 {
            let most = format!("at most spectral_len / 2 = {}", self.spectral_len / 2);
            return bad("spectral_bins", self.spectral_bins, most);
        }
        if self.recompute_every == 0 {
            return bad("recompute_every", 0, "at least 1".into());
        }
        Ok(())
    }

    /// Column names, in the order of the values.
    pub fn names(&self) -> Vec<String> {
        let mut n: Vec<String> = [
            "log_return",
            "roll_mean",
            "roll_std",
            "roll_skew",
            "roll_kurt",
            "zscore",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        n.extend(self.ema_spans.iter().map(|s| format!("ema_{s}")));
        n.extend(
            ["momentum", "roll_min", "roll_max"]
                .iter()
                .map(|s| s.to_string()),
        );
        n.extend((1..=self.spectral_bins).map(|k| format!("spec_{k}")));
        n
    }

    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        9 + self.ema_spans.len() + self.spectral_bins
    }

    /// Index of the first tick (0-based) at which every feature is defined for a clean series.
    pub fn warmup(&self) -> usize {
        self.window.max(self.spectral_len)
    }

    /// Ticks of history after which an EMA's dependence on where it started is below
    /// 1e-17 of its value: `(1 - alpha)^L <= e^{-alpha L}`.
    pub(crate) fn ema_memory(&self) -> usize {
        self.ema_spans
            .iter()
            .map(|&s| (39.0 * (s as f64 + 1.0) / 2.0).ceil() as usize)
            .max()
            .unwrap_or(0)
    }
}
