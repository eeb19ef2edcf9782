//! Bar (OHLCV) inputs and the per-bar terms of the bar features.
//!
//! With `o, h, l, c, v` the bar's open, high, low, close and volume, `c'` the previous
//! close of the same series, and `mean_w` pandas' `rolling(w).mean()` (NaN until `w` bars
//! and while the window holds a NaN):
//!
//! | column | definition |
//! |---|---|
//! | `log_return_<h>` | `ln(c_t / c_{t-h})` |
//! | `bar_range` | `h - l` |
//! | `true_range` | `max(h, c') - min(l, c')` (NaN on a series' first bar) |
//! | `dollar_volume` | `c * v` |
//! | `parkinson_w` | `sqrt(mean_w(ln(h / l)^2) / (4 ln 2))` |
//! | `garman_klass_w` | `sqrt(mean_w(0.5 ln(h / l)^2 - (2 ln 2 - 1) ln(c / o)^2))` |
//! | `rogers_satchell_w` | `sqrt(mean_w(ln(h / c) ln(h / o) + ln(l / c) ln(l / o)))` |
//! | `vwap_w` | `sum_w(c * v) / sum_w(v)` (NaN when the window traded nothing) |
//! | `vwap_dev_w` | `c / vwap_w - 1` |
//! | `volume_z_w` | `(v - mean_w(v)) / std_w(v)` (std with ddof 1) |
//!
//! The volatilities are per bar (not annualized). The rolling means are those of
//! [`RollingMoments`](super::RollingMoments), kept to 1e-12 of exact, so batch and streaming,
//! which run the same state over the same terms, agree bit for bit.

use crate::error::{PipelineError, Result};

/// Which bar inputs besides the close the bar features read (see
/// [`FeatureConfig::bars`](super::FeatureConfig::bars)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BarInputs {
    /// The open (Garman-Klass and Rogers-Satchell; needs `high_low`).
    pub open: bool,
    /// The high and the low (bar range, true range, Parkinson).
    pub high_low: bool,
    /// The volume (dollar volume, VWAP and its deviation, volume z-score).
    pub volume: bool,
}

/// `2 ln 2 - 1`, the weight of the open-to-close term in Garman-Klass.
const GK_OPEN_CLOSE: f64 = 2.0 * std::f64::consts::LN_2 - 1.0;
/// `1 / (4 ln 2)`, Parkinson's scale of the mean squared log range.
pub(crate) const PARKINSON_SCALE: f64 = 1.0 / (4.0 * std::f64::consts::LN_2);

impl BarInputs {
    /// Every input: open, high, low, close and volume.
    pub const OHLCV: BarInputs = BarInputs {
        open: true,
        high_low: true,
        volume: true,
    };

    /// Whether any input besides the close is read.
    pub fn any(&self) -> bool {
        self.open || self.high_low || self.volume
    }

    /// Whether the Garman-Klass and Rogers-Satchell estimators are computed.
    pub(crate) fn ohlc(&self) -> bool {
        self.open && self.high_low
    }

    /// Columns per window.
    pub(crate) fn per_window(&self) -> usize {
        usize::from(self.high_low) + 2 * usize::from(self.ohlc()) + 3 * usize::from(self.volume)
    }

    /// Number of bar-feature columns for `horizons` return horizons and `windows` windows.
    pub(crate) fn n_features(&self, horizons: usize, windows: usize) -> usize {
        horizons
            + 2 * usize::from(self.high_low)
            + usize::from(self.volume)
            + windows * self.per_window()
    }

    /// Bar-feature column names, in the order of the values.
    pub(crate) fn names(&self, horizons: &[usize], windows: &[usize]) -> Vec<String> {
        let mut n: Vec<String> = horizons.iter().map(|h| format!("log_return_{h}")).collect();
        if self.high_low {
            n.extend(["bar_range".to_string(), "true_range".to_string()]);
        }
        if self.volume {
            n.push("dollar_volume".into());
        }
        for w in windows {
            if self.high_low {
                n.push(format!("parkinson_{w}"));
            }
            if self.ohlc() {
                n.extend([format!("garman_klass_{w}"), format!("rogers_satchell_{w}")]);
            }
            if self.volume {
                n.extend([
                    format!("vwap_{w}"),
                    format!("vwap_dev_{w}"),
                    format!("volume_z_{w}"),
                ]);
            }
        }
        n
    }
}

/// One bar of a series; inputs the configuration does not read may be anything (NaN).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close: the price of the price features.
    pub close: f64,
    /// Volume.
    pub volume: f64,
}

impl Bar {
    /// A bar of which only the price (close) is known.
    pub fn price(close: f64) -> Bar {
        Bar {
            open: f64::NAN,
            high: f64::NAN,
            low: f64::NAN,
            close,
            volume: f64::NAN,
        }
    }
}

/// The columns of a bar series (or of a long-format table of many), one value per row.
#[derive(Clone, Copy, Debug)]
pub struct Bars<'a> {
    /// Opens.
    pub open: Option<&'a [f64]>,
    /// Highs.
    pub high: Option<&'a [f64]>,
    /// Lows.
    pub low: Option<&'a [f64]>,
    /// Closes (the price).
    pub close: &'a [f64],
    /// Volumes.
    pub volume: Option<&'a [f64]>,
}

impl<'a> Bars<'a> {
    /// Closes only.
    pub fn close(close: &'a [f64]) -> Bars<'a> {
        Bars {
            open: None,
            high: None,
            low: None,
            close,
            volume: None,
        }
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.close.len()
    }

    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }

    /// The inputs given (open counts only with high and low).
    pub fn inputs(&self) -> BarInputs {
        let high_low = self.high.is_some() && self.low.is_some();
        BarInputs {
            open: self.open.is_some() && high_low,
            high_low,
            volume: self.volume.is_some(),
        }
    }

    /// Row `t` (NaN for a column not given).
    #[inline]
    pub(crate) fn bar(&self, t: usize) -> Bar {
        let at = |c: Option<&[f64]>| c.map_or(f64::NAN, |c| c[t]);
        Bar {
            open: at(self.open),
            high: at(self.high),
            low: at(self.low),
            close: self.close[t],
            volume: at(self.volume),
        }
    }

    /// Checks that every column has a value per row and that the columns `inputs` reads are
    /// given.
    ///
    /// # Errors
    /// [`PipelineError::ShapeMismatch`] for a column of another length,
    /// [`PipelineError::InvalidSetting`] for a column `inputs` reads but is not given.
    pub(crate) fn check_shape(&self, inputs: BarInputs) -> Result<()> {
        let columns = [
            ("open", self.open, inputs.open),
            ("high", self.high, inputs.high_low),
            ("low", self.low, inputs.high_low),
            ("volume", self.volume, inputs.volume),
        ];
        for (name, column, wanted) in columns {
            match column {
                Some(c) if c.len() != self.len() => {
                    return Err(PipelineError::ShapeMismatch {
                        what: "bar column against the closes",
                        expected: self.len(),
                        got: c.len(),
                    })
                }
                None if wanted => {
                    return Err(PipelineError::InvalidSetting {
                        name: "bars",
                        value: format!("no {name} column"),
                        expected: format!("a {name} column, which the configuration reads"),
                    })
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Checks the values the bar features take logarithms and ratios of: every given open,
    /// high and low, and the close when `positive_close`, must be positive; volumes must not
    /// be negative; a high must not be below its low. Empty values (NaN) are allowed: they
    /// are gaps, and the windows holding them give NaN.
    ///
    /// The feature functions do not call this (a bad bar gives NaN or a meaningless value,
    /// as streaming, which cannot fail per tick, would); call it on data from outside.
    ///
    /// # Errors
    /// [`PipelineError::InvalidBar`] naming the first bad row.
    pub fn check(&self, positive_close: bool) -> Result<()> {
        let bad = |row, problem: String| Err(PipelineError::InvalidBar { row, problem });
        let positive = [
            ("open", self.open),
            ("high", self.high),
            ("low", self.low),
            ("close", positive_close.then_some(self.close)),
        ];
        for (name, column) in positive {
            let Some(c) = column else { continue };
            if let Some(row) = c.iter().position(|&x| x <= 0.0) {
                let v = c[row];
                return bad(
                    row,
                    format!("{name} {v} is not positive (logarithms need > 0)"),
                );
            }
        }
        if let Some(v) = self.volume {
            if let Some(row) = v.iter().position(|&x| x < 0.0) {
                return bad(row, format!("volume {} is negative", v[row]));
            }
        }
        if let (Some(h), Some(l)) = (self.high, self.low) {
            if let Some(row) = h.iter().zip(l).position(|(h, l)| h < l) {
                return bad(row, format!("high {} is below low {}", h[row], l[row]));
            }
        }
        Ok(())
    }
}

/// The per-bar terms whose rolling means the bar features take.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Terms {
    /// `ln(h / l)^2` (Parkinson).
    pub(crate) range_sq: f64,
    /// `0.5 ln(h / l)^2 - (2 ln 2 - 1) ln(c / o)^2` (Garman-Klass).
    pub(crate) gk: f64,
    /// `ln(h / c) ln(h / o) + ln(l / c) ln(l / o)` (Rogers-Satchell).
    pub(crate) rs: f64,
    /// `c * v` (VWAP's numerator, dollar volume).
    pub(crate) pv: f64,
}

impl Terms {
    /// The terms of one bar: the one formula batch and streaming both call, so they agree
    /// bit for bit. Terms of inputs not read are NaN, their logarithms skipped (a
    /// logarithm costs more than the rest of a bar's update).
    #[inline(always)]
    pub(crate) fn of(b: &Bar, inputs: BarInputs) -> Terms {
        let (mut range_sq, mut gk, mut rs) = (f64::NAN, f64::NAN, f64::NAN);
        if inputs.high_low {
            let hl = (b.high / b.low).ln();
            range_sq = hl * hl;
        }
        if inputs.ohlc() {
            let co = (b.close / b.open).ln();
            gk = 0.5 * range_sq - GK_OPEN_CLOSE * (co * co);
            rs = (b.high / b.close).ln() * (b.high / b.open).ln()
                + (b.low / b.close).ln() * (b.low / b.open).ln();
        }
        Terms {
            range_sq,
            gk,
            rs,
            pv: b.close * b.volume,
        }
    }
}

/// `max(h, c') - min(l, c')`, NaN when any of them is (`f64::max` would skip a NaN).
#[inline(always)]
pub(crate) fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    if high.is_nan() || low.is_nan() || prev_close.is_nan() {
        return f64::NAN;
    }
    high.max(prev_close) - low.min(prev_close)
}
