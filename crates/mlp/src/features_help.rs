//! The output columns of `mlp features`, with their definitions: the long help's epilogue
//! (`mlp features --help`), kept apart from the flags so the table reads as one piece.

/// Every output column of `mlp features` and how it is computed.
pub const COLUMNS: &str = "\
Output columns (after the --keep columns), empty where undefined. p is the price (the close),
r = ln(p_t / p_{t-1}), o h l c v a bar's open, high, low, close, volume, c' the previous
close, mean_w / std_w / sum_w pandas' rolling(w) mean, std (ddof 1) and sum (empty until w
rows and while the window holds an empty cell). With --windows, every column below marked
[w] is repeated per window and named with it (roll_std_32); with --window alone the price
columns keep their plain names.

Price features:
  log_return                  r
  roll_mean roll_std          mean_w(r), std_w(r)                                      [w]
  roll_skew roll_kurt         pandas rolling(w).skew() (G1), .kurt() (G2, excess) of r [w]
  zscore                      (p - mean_w(p)) / std_w(p)                               [w]
  ema_8 ema_32                pandas ewm(span, adjust=False).mean() of p
  momentum                    p_t / p_{t-w} - 1                                        [w]
  roll_min roll_max           rolling min and max of p                                 [w]
  spec_1 .. spec_4            |X_k|^2 / 32, DFT of the last 32 returns

Bar features (with bar columns, or --windows / --return-horizons):
  log_return_<h>              ln(c_t / c_{t-h}), per --return-horizons
  bar_range                   h - l                                  (high and low)
  true_range                  max(h, c') - min(l, c'), empty on a series' first row
  dollar_volume               c * v                                  (volume)
  parkinson_<w>               sqrt(mean_w(ln(h/l)^2) / (4 ln 2))     (high and low)
  garman_klass_<w>            sqrt(mean_w(0.5 ln(h/l)^2 - (2 ln 2 - 1) ln(c/o)^2))  (open too)
  rogers_satchell_<w>         sqrt(mean_w(ln(h/c) ln(h/o) + ln(l/c) ln(l/o)))       (open too)
  vwap_<w>                    sum_w(c * v) / sum_w(v)                (volume)
  vwap_dev_<w>                c / vwap_w - 1
  volume_z_<w>                (v - mean_w(v)) / std_w(v)
Volatilities are per bar, not annualized.

Targets (--horizon h; for training, never read by a feature):
  fwd_log_return_<h>          ln(c_{t+h} / c_t) within the row's series; empty for its last h rows
  fwd_up_<h>                  1 if fwd_log_return_<h> > 0, 0 if <= 0

Bar columns must hold positive prices (close too, with bar features or targets), volumes
of at least 0 and a high no lower than its low: a row that breaks this is an error naming
its line (its row in Parquet and Arrow). Empty cells are gaps.";
