//! Tick-by-tick feature extraction: O(1) per price (O(bins) for the spectral features), no
//! allocation after construction.

use super::config::FeatureConfig;
use super::window::{RollingMinMax, RollingMoments, SlidingDft};
use crate::error::Result;

/// Streaming feature extractor: feed prices one at a time with [`update`](Self::update).
///
/// ```
/// use ml_pipeline::features::{FeatureConfig, RollingFeatures};
///
/// let cfg = FeatureConfig::with_window(8);
/// let mut f = RollingFeatures::new(cfg).unwrap();
/// let mut last = None;
/// for t in 0..100 {
///     let price = 100.0 + (t as f64 * 0.3).sin();
///     last = f.update(price).map(|row| row.to_vec());
/// }
/// let row = last.expect("warmed up");
/// assert_eq!(row.len(), f.names().len());
/// ```
#[derive(Clone, Debug)]
pub struct RollingFeatures {
    cfg: FeatureConfig,
    names: Vec<String>,
    tick: usize,
    prev_price: f64,
    returns: RollingMoments,
    prices: RollingMoments,
    extrema: RollingMinMax,
    emas: Vec<Ema>,
    dft: SlidingDft,
    row: Vec<f64>,
}

/// Exponential moving average with `alpha = 2 / (span + 1)`, started at the first value:
/// pandas' `ewm(span, adjust=False)` with its default `ignore_na=False`. A NaN holds the
/// average, but time still passes: the value before a gap of `g` NaNs keeps the weight
/// `(1 - alpha)^(g + 1)` against the next observation's `alpha` (normalized), as pandas
/// weighs by position, not by observation count.
#[derive(Clone, Copy, Debug)]
struct Ema {
    alpha: f64,
    value: f64,
    /// Weight of `value` against the next observation: `1 - alpha` after each step.
    old_weight: f64,
}

impl Ema {
    fn new(span: usize) -> Self {
        Ema {
            alpha: 2.0 / (span as f64 + 1.0),
            value: f64::NAN,
            old_weight: 1.0,
        }
    }

    #[inline]
    fn push(&mut self, x: f64) {
        if self.value.is_nan() {
            // Before the first observation (NaN stays NaN).
            self.value = x;
            return;
        }
        let gap_free = self.old_weight == 1.0;
        self.old_weight *= 1.0 - self.alpha;
        if x.is_nan() {
            return;
        }
        self.value = if gap_free {
            self.value + self.alpha * (x - self.value)
        } else {
            (self.old_weight * self.value + self.alpha * x) / (self.old_weight + self.alpha)
        };
        self.old_weight = 1.0;
    }
}

impl RollingFeatures {
    /// A fresh extractor.
    ///
    /// # Errors
    /// [`PipelineError::InvalidSetting`](crate::PipelineError::InvalidSetting) when the
    /// configuration does not validate.
    pub fn new(cfg: FeatureConfig) -> Result<Self> {
        cfg.validate()?;
        let w = cfg.window;
        Ok(RollingFeatures {
            names: cfg.names(),
            tick: 0,
            prev_price: f64::NAN,
            returns: RollingMoments::new(w, cfg.recompute_every),
            prices: RollingMoments::with_order(w, cfg.recompute_every, false),
            extrema: RollingMinMax::new(w),
            emas: cfg.ema_spans.iter().map(|&s| Ema::new(s)).collect(),
            dft: SlidingDft::new(cfg.spectral_len, cfg.spectral_bins, cfg.recompute_every),
            row: vec![f64::NAN; cfg.n_features()],
            cfg,
        })
    }

    /// An extractor that will be fed the series from index `first_tick` on: its periodic
    /// recomputations fall on the same ticks as those of an extractor fed from index 0.
    pub(crate) fn starting_at(cfg: FeatureConfig, first_tick: usize) -> Result<Self> {
        let mut f = Self::new(cfg)?;
        let t = first_tick as u64;
        f.returns.set_start(t);
        f.prices.set_start(t);
        f.dft.set_start(t);
        Ok(f)
    }

    /// An extractor in the state it would reach after all of `history`, replaying only the
    /// tail that matters: every window, one shared exact recomputation (after which the
    /// rolling state matches a full replay bit for bit) and enough EMA history that its
    /// starting point weighs less than 1e-17.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn primed(cfg: FeatureConfig, history: &[f64]) -> Result<Self> {
        cfg.validate()?;
        let lookback = cfg.window.max(cfg.spectral_len) + 1;
        // Saturating: a huge `recompute_every` or EMA span means "replay everything".
        let keep = lookback.saturating_add(
            cfg.ema_memory()
                .max(cfg.recompute_every.saturating_add(lookback)),
        );
        let first = history.len().saturating_sub(keep);
        let mut f = Self::starting_at(cfg, first)?;
        for &p in &history[first..] {
            f.push(p);
        }
        Ok(f)
    }

    /// The configuration.
    pub fn config(&self) -> &FeatureConfig {
        &self.cfg
    }

    /// Column names of the rows returned by [`update`](Self::update).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Prices seen so far.
    pub fn ticks(&self) -> usize {
        self.tick
    }

    /// Feeds one price and returns the feature row once every feature has had enough
    /// history ([`FeatureConfig::warmup`] ticks), `None` before. Values that are undefined at
    /// this tick (a NaN in a window, zero variance for skew and kurtosis) are NaN.
    #[inline]
    pub fn update(&mut self, price: f64) -> Option<&[f64]> {
        self.push(price);
        (self.tick > self.cfg.warmup()).then_some(&self.row[..])
    }

    /// Feeds one price and writes the row whatever the warm-up state (NaN where undefined).
    #[inline]
    pub(crate) fn push(&mut self, price: f64) -> &[f64] {
        // NaN on the first tick; NaN or infinite around a non-positive or NaN price, which
        // the windows then treat as a gap.
        let r = (price / self.prev_price).ln();
        self.prev_price = price;
        self.tick += 1;
        self.returns.push(r);
        let p_old = self.prices.push(price);
        self.extrema.push(price);
        for e in &mut self.emas {
            e.push(price);
        }
        if self.cfg.spectral_bins > 0 {
            self.dft.push(r);
        }

        let rs = self.returns.stats();
        let ps = self.prices.stats();
        let row = &mut self.row;
        row[0] = r;
        row[1] = rs.mean;
        row[2] = rs.std;
        row[3] = rs.skew;
        row[4] = rs.kurt;
        row[5] = (price - ps.mean) / ps.std;
        let mut i = 6;
        for e in &self.emas {
            row[i] = e.value;
            i += 1;
        }
        // Momentum over `window` ticks: the price leaving the window is p_{t - window}.
        row[i] = p_old.map_or(f64::NAN, |old| price / old - 1.0);
        let (lo, hi) = self.extrema.get();
        row[i + 1] = lo;
        row[i + 2] = hi;
        self.dft.powers(&mut row[i + 3..]);
        &self.row
    }
}
