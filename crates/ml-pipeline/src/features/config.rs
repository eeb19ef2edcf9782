//! What the feature extractor computes, and the names of its columns.

use super::bars::BarInputs;
use crate::error::{PipelineError, Result};

/// Configuration of the rolling features.
///
/// Columns, in order: `log_return`, `roll_mean`, `roll_std`, `roll_skew`, `roll_kurt` (pandas
/// `rolling(window)` mean, std with ddof 1, skew G1 and excess kurtosis G2 of the log
/// returns), `zscore` (price against its rolling mean and std), one `ema_<span>` per span
/// (of price), `momentum` (`p_t / p_{t-window} - 1`), `roll_min`, `roll_max` (of price), and
/// `spec_<k>` for `k = 1..=spectral_bins` (power `|X_k|^2 / N` of the DFT of the last
/// `spectral_len` log returns).
///
/// With [`windows`](Self::windows) set, the windowed price features are computed for each
/// window and named with it (`roll_mean_8`, `roll_std_32`, `zscore_32`, `momentum_8`,
/// `roll_min_128`, ...): `log_return`, then `roll_mean_w .. zscore_w` for each window, the
/// EMAs, `momentum_w, roll_min_w, roll_max_w` for each window, the spectral bins.
///
/// After those come the bar features ([`bars`](Self::bars), [`return_horizons`](Self::return_horizons);
/// none by default), in this order: `log_return_<h>` per horizon; with high and low,
/// `bar_range`, `true_range`; with volume, `dollar_volume`; then for each window `w`:
/// `parkinson_w` (high, low), `garman_klass_w`, `rogers_satchell_w` (open, high, low),
/// `vwap_w`, `vwap_dev_w`, `volume_z_w` (volume). Their definitions are in
/// [`bars`](super::bars)' module documentation.
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
    /// Several windows at once (e.g. `[8, 32, 128]`), each at least 4; every windowed
    /// column's name then ends in `_<w>`. Empty (the default): `window` alone, with today's
    /// unsuffixed price-feature names (the bar features are still suffixed with it).
    pub windows: Vec<usize>,
    /// Horizons `h` of the `log_return_<h>` columns, `ln(close_t / close_{t-h})`; none by
    /// default.
    pub return_horizons: Vec<usize>,
    /// Which bar inputs besides the close the bar features read; none by default (price
    /// features only).
    pub bars: BarInputs,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            window: 64,
            ema_spans: vec![8, 32],
            spectral_len: 32,
            spectral_bins: 4,
            recompute_every: 1024,
            windows: Vec::new(),
            return_horizons: Vec::new(),
            bars: BarInputs::default(),
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
        let most = format!("at most {}", Self::MAX_WINDOW);
        let windows = std::iter::once(("window", self.window))
            .chain(self.windows.iter().map(|&w| ("windows", w)));
        for (name, w) in windows {
            if w < 4 {
                return bad(name, w, "at least 4".into());
            }
            if w > Self::MAX_WINDOW {
                return bad(name, w, most.clone());
            }
        }
        if let Some(&h) = self
            .return_horizons
            .iter()
            .find(|&&h| h == 0 || h > Self::MAX_WINDOW)
        {
            return bad(
                "return_horizons",
                h,
                format!("from 1 to {}", Self::MAX_WINDOW),
            );
        }
        if self.bars.open && !self.bars.high_low {
            return Err(PipelineError::InvalidSetting {
                name: "bars",
                value: "open without high and low".into(),
                expected: "high and low with open (the open is used only by the \
                           Garman-Klass and Rogers-Satchell estimators)"
                    .into(),
            });
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

    /// The windows the windowed features are computed over: [`windows`](Self::windows), or
    /// `window` alone when that is empty.
    pub fn effective_windows(&self) -> &[usize] {
        if self.windows.is_empty() {
            std::slice::from_ref(&self.window)
        } else {
            &self.windows
        }
    }

    /// Column names, in the order of the values.
    pub fn names(&self) -> Vec<String> {
        let suffix = |name: &str, w: usize| {
            if self.windows.is_empty() {
                name.to_string()
            } else {
                format!("{name}_{w}")
            }
        };
        let windows = self.effective_windows();
        let mut n = vec!["log_return".to_string()];
        for &w in windows {
            let names = ["roll_mean", "roll_std", "roll_skew", "roll_kurt", "zscore"];
            n.extend(names.iter().map(|s| suffix(s, w)));
        }
        n.extend(self.ema_spans.iter().map(|s| format!("ema_{s}")));
        for &w in windows {
            let names = ["momentum", "roll_min", "roll_max"];
            n.extend(names.iter().map(|s| suffix(s, w)));
        }
        n.extend((1..=self.spectral_bins).map(|k| format!("spec_{k}")));
        n.extend(self.bars.names(&self.return_horizons, windows));
        debug_assert_eq!(n.len(), self.n_features());
        n
    }

    /// Number of price-feature columns (those before the bar features).
    pub(crate) fn n_price_features(&self) -> usize {
        1 + 8 * self.effective_windows().len() + self.ema_spans.len() + self.spectral_bins
    }

    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.n_price_features()
            + self
                .bars
                .n_features(self.return_horizons.len(), self.effective_windows().len())
    }

    /// This configuration without the bar features: the price features alone, the same
    /// values in the same columns.
    pub(crate) fn price_only(&self) -> FeatureConfig {
        FeatureConfig {
            return_horizons: Vec::new(),
            bars: BarInputs::default(),
            ..self.clone()
        }
    }

    /// Whether any bar feature is configured.
    pub(crate) fn has_bar_features(&self) -> bool {
        !self.return_horizons.is_empty() || self.bars.any()
    }

    /// Index of the first tick (0-based) at which every feature is defined for a clean series.
    pub fn warmup(&self) -> usize {
        let longest = self.effective_windows().iter().copied().max().unwrap_or(0);
        let horizon = self.return_horizons.iter().copied().max().unwrap_or(0);
        longest.max(self.spectral_len).max(horizon)
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
