//! Tick-by-tick feature extraction: O(1) per price or bar (O(bins) for the spectral
//! features, O(windows) for several windows), no allocation after construction.

use super::bar_state::BarState;
use super::bars::{Bar, Bars};
use super::config::FeatureConfig;
use super::window::{RollingMinMax, RollingMoments, SlidingDft};
use crate::error::Result;

/// Streaming feature extractor: feed prices one at a time with [`update`](Self::update), or
/// bars with [`update_bar`](Self::update_bar) when the configuration has bar features.
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
    windows: Vec<PriceWindow>,
    emas: Vec<Ema>,
    dft: SlidingDft,
    /// Present when the configuration has bar features.
    bars: Option<BarState>,
    /// Columns before the bar features.
    n_price: usize,
    row: Vec<f64>,
}

/// The windowed price statistics of one window.
#[derive(Clone, Debug)]
struct PriceWindow {
    returns: RollingMoments,
    prices: RollingMoments,
    extrema: RollingMinMax,
}

impl PriceWindow {
    fn new(w: usize, recompute_every: usize) -> Self {
        PriceWindow {
            returns: RollingMoments::new(w, recompute_every),
            prices: RollingMoments::with_order(w, recompute_every, false),
            extrema: RollingMinMax::new(w),
        }
    }
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
        let windows = cfg.effective_windows();
        Ok(RollingFeatures {
            names: cfg.names(),
            tick: 0,
            prev_price: f64::NAN,
            windows: windows
                .iter()
                .map(|&w| PriceWindow::new(w, cfg.recompute_every))
                .collect(),
            emas: cfg.ema_spans.iter().map(|&s| Ema::new(s)).collect(),
            dft: SlidingDft::new(cfg.spectral_len, cfg.spectral_bins, cfg.recompute_every),
            bars: cfg.has_bar_features().then(|| BarState::new(&cfg)),
            n_price: cfg.n_price_features(),
            row: vec![f64::NAN; cfg.n_features()],
            cfg,
        })
    }

    /// An extractor that will be fed the series from index `first_tick` on: its periodic
    /// recomputations fall on the same ticks as those of an extractor fed from index 0.
    pub(crate) fn starting_at(cfg: FeatureConfig, first_tick: usize) -> Result<Self> {
        let mut f = Self::new(cfg)?;
        let t = first_tick as u64;
        for w in &mut f.windows {
            w.returns.set_start(t);
            w.prices.set_start(t);
        }
        f.dft.set_start(t);
        if let Some(b) = &mut f.bars {
            b.set_start(t);
        }
        Ok(f)
    }

    /// An extractor in the state it would reach after all of `history`, replaying only the
    /// tail that matters: every window, one shared exact recomputation (after which the
    /// rolling state matches a full replay bit for bit) and enough EMA history that its
    /// starting point weighs less than 1e-17.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    ///
    /// Bar features, if configured, see NaN bars: use [`primed_bars`](Self::primed_bars).
    pub fn primed(cfg: FeatureConfig, history: &[f64]) -> Result<Self> {
        Self::primed_bars(cfg, &Bars::close(history))
    }

    /// [`primed`](Self::primed) from a history of bars.
    ///
    /// # Errors
    /// As [`new`](Self::new); and when `history` lacks a column the configuration reads or
    /// its columns differ in length.
    pub fn primed_bars(cfg: FeatureConfig, history: &Bars<'_>) -> Result<Self> {
        cfg.validate()?;
        history.check_shape(cfg.bars)?;
        let lookback = cfg.warmup() + 1;
        // Saturating: a huge `recompute_every` or EMA span means "replay everything".
        let keep = lookback.saturating_add(
            cfg.ema_memory()
                .max(cfg.recompute_every.saturating_add(lookback)),
        );
        let first = history.len().saturating_sub(keep);
        let mut f = Self::starting_at(cfg, first)?;
        for t in first..history.len() {
            f.push_bar(&history.bar(t));
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

    /// Feeds one bar and returns the feature row once warmed up, as
    /// [`update`](Self::update) does for a price; the bar's close is the price of the price
    /// features. Inputs the configuration does not read are ignored.
    #[inline]
    pub fn update_bar(&mut self, bar: &Bar) -> Option<&[f64]> {
        self.push_bar(bar);
        (self.tick > self.cfg.warmup()).then_some(&self.row[..])
    }

    /// Feeds one bar and returns the feature row whatever the warm-up state, NaN where a
    /// feature is not yet defined: one row per input row, as
    /// [`extract_bar_features`](super::extract_bar_features) and `mlp features` give them.
    #[inline]
    pub fn update_bar_row(&mut self, bar: &Bar) -> &[f64] {
        self.push_bar(bar)
    }

    /// Feeds one price and writes the row whatever the warm-up state (NaN where undefined).
    #[inline]
    pub(crate) fn push(&mut self, price: f64) -> &[f64] {
        self.push_bar(&Bar::price(price))
    }

    /// Feeds one bar and writes the row whatever the warm-up state (NaN where undefined).
    #[inline]
    pub(crate) fn push_bar(&mut self, bar: &Bar) -> &[f64] {
        let price = bar.close;
        // NaN on the first tick; NaN or infinite around a non-positive or NaN price, which
        // the windows then treat as a gap.
        let r = (price / self.prev_price).ln();
        self.prev_price = price;
        self.tick += 1;
        for e in &mut self.emas {
            e.push(price);
        }
        if self.cfg.spectral_bins > 0 {
            self.dft.push(r);
        }

        let (price_row, bar_row) = self.row.split_at_mut(self.n_price);
        price_row[0] = r;
        let mut i = 1;
        let n_windows = self.windows.len();
        // The momentum, minimum and maximum of each window follow the EMAs.
        let mut j = 1 + 5 * n_windows + self.emas.len();
        for w in &mut self.windows {
            w.returns.push(r);
            let p_old = w.prices.push(price);
            w.extrema.push(price);
            let rs = w.returns.stats();
            let ps = w.prices.stats();
            price_row[i..i + 5].copy_from_slice(&[
                rs.mean,
                rs.std,
                rs.skew,
                rs.kurt,
                (price - ps.mean) / ps.std,
            ]);
            i += 5;
            // Momentum over `w` ticks: the price leaving the window is p_{t - w}.
            let (lo, hi) = w.extrema.get();
            let momentum = p_old.map_or(f64::NAN, |old| price / old - 1.0);
            price_row[j..j + 3].copy_from_slice(&[momentum, lo, hi]);
            j += 3;
        }
        for e in &self.emas {
            price_row[i] = e.value;
            i += 1;
        }
        self.dft.powers(&mut price_row[j..]);
        if let Some(b) = &mut self.bars {
            b.push(bar, bar_row);
        }
        &self.row
    }
}
