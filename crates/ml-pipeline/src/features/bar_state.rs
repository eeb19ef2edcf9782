//! The streaming state of the bar features: O(windows) per bar, buffers allocated at
//! construction only. Definitions in [`bars`](super::bars).

use super::bars::{true_range, Bar, BarInputs, Terms, PARKINSON_SCALE};
use super::config::FeatureConfig;
use super::window::{Ring, RollingMoments};

/// The rolling means of one window (each present only when its inputs are read).
#[derive(Clone, Debug)]
pub(crate) struct BarWindow {
    pub(crate) range_sq: Option<RollingMoments>,
    pub(crate) gk: Option<RollingMoments>,
    pub(crate) rs: Option<RollingMoments>,
    pub(crate) pv: Option<RollingMoments>,
    /// Mean and standard deviation of the volume.
    pub(crate) volume: Option<RollingMoments>,
}

impl BarWindow {
    pub(crate) fn new(w: usize, inputs: BarInputs, recompute_every: usize) -> Self {
        let mean_of = |on: bool| on.then(|| RollingMoments::with_order(w, recompute_every, false));
        BarWindow {
            range_sq: mean_of(inputs.high_low),
            gk: mean_of(inputs.ohlc()),
            rs: mean_of(inputs.ohlc()),
            pv: mean_of(inputs.volume),
            volume: mean_of(inputs.volume),
        }
    }

    fn states(&mut self) -> impl Iterator<Item = &mut RollingMoments> {
        [
            &mut self.range_sq,
            &mut self.gk,
            &mut self.rs,
            &mut self.pv,
            &mut self.volume,
        ]
        .into_iter()
        .flatten()
    }
}

/// `sqrt(mean / (4 ln 2))`: Parkinson's volatility from the mean squared log range.
#[inline(always)]
pub(crate) fn parkinson(mean_range_sq: f64) -> f64 {
    (mean_range_sq * PARKINSON_SCALE).sqrt()
}

/// `[vwap, vwap_dev, volume_z]` of a bar from its window's mean `c * v`, and mean and std of
/// `v`: the one formula both paths call.
#[inline(always)]
pub(crate) fn volume_columns(
    close: f64,
    volume: f64,
    mean_pv: f64,
    mean_v: f64,
    std_v: f64,
) -> [f64; 3] {
    // The ratio of the window's means is the ratio of its sums.
    let vwap = mean_pv / mean_v;
    [vwap, close / vwap - 1.0, (volume - mean_v) / std_v]
}

/// Streaming bar features of one series.
#[derive(Clone, Debug)]
pub(crate) struct BarState {
    inputs: BarInputs,
    horizons: Vec<usize>,
    /// The last `max(horizons)` closes.
    closes: Ring,
    prev_close: f64,
    windows: Vec<BarWindow>,
}

impl BarState {
    pub(crate) fn new(cfg: &FeatureConfig) -> Self {
        let longest = cfg.return_horizons.iter().copied().max().unwrap_or(0);
        BarState {
            inputs: cfg.bars,
            horizons: cfg.return_horizons.clone(),
            closes: Ring::new(longest),
            prev_close: f64::NAN,
            windows: cfg
                .effective_windows()
                .iter()
                .map(|&w| BarWindow::new(w, cfg.bars, cfg.recompute_every))
                .collect(),
        }
    }

    /// See [`RollingMoments::set_start`].
    pub(crate) fn set_start(&mut self, ticks_before: u64) {
        for w in &mut self.windows {
            w.states().for_each(|m| m.set_start(ticks_before));
        }
    }

    /// Feeds bar `b` and writes its bar-feature columns into `out` (in the order of
    /// [`BarInputs::names`]).
    #[inline]
    pub(crate) fn push(&mut self, b: &Bar, out: &mut [f64]) {
        let mut i = 0;
        for &h in &self.horizons {
            out[i] = self
                .closes
                .back(h)
                .map_or(f64::NAN, |old| (b.close / old).ln());
            i += 1;
        }
        if !self.horizons.is_empty() {
            self.closes.push(b.close);
        }
        if self.inputs.high_low {
            out[i] = b.high - b.low;
            out[i + 1] = true_range(b.high, b.low, self.prev_close);
            i += 2;
        }
        self.prev_close = b.close;
        let terms = Terms::of(b, self.inputs);
        if self.inputs.volume {
            out[i] = terms.pv;
            i += 1;
        }
        for w in &mut self.windows {
            if let Some(m) = &mut w.range_sq {
                m.push(terms.range_sq);
                out[i] = parkinson(m.mean());
                i += 1;
            }
            if let (Some(gk), Some(rs)) = (&mut w.gk, &mut w.rs) {
                gk.push(terms.gk);
                rs.push(terms.rs);
                out[i] = gk.mean().sqrt();
                out[i + 1] = rs.mean().sqrt();
                i += 2;
            }
            if let (Some(pv), Some(v)) = (&mut w.pv, &mut w.volume) {
                pv.push(terms.pv);
                v.push(b.volume);
                let s = v.stats();
                let cols = volume_columns(b.close, b.volume, pv.mean(), s.mean, s.std);
                out[i..i + 3].copy_from_slice(&cols);
                i += 3;
            }
        }
        debug_assert_eq!(i, out.len(), "bar columns written");
    }
}
