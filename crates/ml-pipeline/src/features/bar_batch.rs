//! The bar features of a whole series, column by column: the per-bar terms elementwise over
//! whole columns, each rolling mean one sequential pass over its column (the passes spread
//! over threads), the final formulas elementwise again. Every value is the streaming state's
//! ([`BarState`](super::bar_state::BarState)) bit for bit: the same terms, the same
//! [`RollingMoments`] fed the same values, the same final formulas.

use super::bar_state::{parkinson, volume_columns, BarWindow};
use super::bars::{true_range, Bar, Bars, Terms};
use super::config::FeatureConfig;
use super::window::RollingMoments;
use fast_math::Par;

/// Rows below which the rolling passes run on the calling thread.
const MIN_PARALLEL_ROWS: usize = 1 << 15;

/// One rolling pass: a state and the column it runs over; `std` wanted too.
struct Pass<'a> {
    state: RollingMoments,
    input: &'a [f64],
    with_std: bool,
}

/// The pass's output: the window mean at every row, and the std when asked.
type PassOut = (Vec<f64>, Vec<f64>);

impl Pass<'_> {
    fn run(mut self) -> PassOut {
        let n = self.input.len();
        let mut mean = Vec::with_capacity(n);
        let mut std = Vec::with_capacity(if self.with_std { n } else { 0 });
        for &x in self.input {
            self.state.push(x);
            if self.with_std {
                let s = self.state.stats();
                mean.push(s.mean);
                std.push(s.std);
            } else {
                mean.push(self.state.mean());
            }
        }
        (mean, std)
    }
}

/// Runs the passes over up to `threads` threads (whole passes per thread, so the results do
/// not depend on the count); results in pass order.
fn run_passes(passes: Vec<Pass<'_>>, threads: usize) -> Vec<PassOut> {
    let threads = threads.min(passes.len()).max(1);
    if threads == 1 {
        return passes.into_iter().map(Pass::run).collect();
    }
    let mut lists: Vec<Vec<(usize, Pass<'_>)>> = (0..threads).map(|_| Vec::new()).collect();
    for (k, p) in passes.into_iter().enumerate() {
        lists[k % threads].push((k, p));
    }
    let mut done: Vec<(usize, PassOut)> = std::thread::scope(|s| {
        let workers = lists
            .into_iter()
            .map(|list| {
                s.spawn(move || {
                    list.into_iter()
                        .map(|(k, p)| (k, p.run()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        crate::workers::join_in_order(workers)
    })
    .into_iter()
    .flatten()
    .collect();
    done.sort_by_key(|&(k, _)| k);
    done.into_iter().map(|(_, out)| out).collect()
}

/// Writes the bar-feature columns of every row of `bars` into `data` (row-major, `cols`
/// values per row, the bar features from column `first`).
pub(crate) fn fill(
    bars: &Bars<'_>,
    cfg: &FeatureConfig,
    par: Par,
    data: &mut [f64],
    first: usize,
    cols: usize,
) {
    let n = bars.len();
    let inputs = cfg.bars;
    let threads = if n >= MIN_PARALLEL_ROWS {
        par.threads()
    } else {
        1
    };
    // Output columns, in the order of `BarInputs::names`, filled then scattered into rows.
    let mut out: Vec<Vec<f64>> = Vec::new();
    let close = bars.close;
    for &h in &cfg.return_horizons {
        let col = (0..n)
            .map(|t| {
                if t < h {
                    f64::NAN
                } else {
                    (close[t] / close[t - h]).ln()
                }
            })
            .collect();
        out.push(col);
    }
    let rows: Vec<Bar> = (0..n).map(|t| bars.bar(t)).collect();
    if inputs.high_low {
        out.push(rows.iter().map(|b| b.high - b.low).collect());
        let prev = |t: usize| if t == 0 { f64::NAN } else { close[t - 1] };
        let tr = (0..n).map(|t| true_range(rows[t].high, rows[t].low, prev(t)));
        out.push(tr.collect());
    }
    let terms: Vec<Terms> = rows.iter().map(|b| Terms::of(b, inputs)).collect();
    let column = |f: fn(&Terms) -> f64| -> Vec<f64> { terms.iter().map(f).collect() };
    let range_sq = column(|t| t.range_sq);
    let (gk, rs) = (column(|t| t.gk), column(|t| t.rs));
    let pv = column(|t| t.pv);
    drop(terms);
    if inputs.volume {
        out.push(pv.clone());
    }
    let volume = bars.volume.unwrap_or(&[]);

    let mut passes = Vec::new();
    for &w in cfg.effective_windows() {
        // The states the streaming path builds, so recomputations fall on the same ticks.
        let BarWindow {
            range_sq: s_range,
            gk: s_gk,
            rs: s_rs,
            pv: s_pv,
            volume: s_v,
        } = BarWindow::new(w, inputs, cfg.recompute_every);
        let inputs_of = [
            (s_range, &range_sq[..], false),
            (s_gk, &gk[..], false),
            (s_rs, &rs[..], false),
            (s_pv, &pv[..], false),
            (s_v, volume, true),
        ];
        for (state, input, with_std) in inputs_of {
            if let Some(state) = state {
                passes.push(Pass {
                    state,
                    input,
                    with_std,
                });
            }
        }
    }
    let mut results = run_passes(passes, threads).into_iter();
    for _ in cfg.effective_windows() {
        if inputs.high_low {
            let (mut m, _) = results.next().expect("a pass per mean");
            m.iter_mut().for_each(|x| *x = parkinson(*x));
            out.push(m);
        }
        if inputs.ohlc() {
            for _ in 0..2 {
                let (mut m, _) = results.next().expect("a pass per mean");
                m.iter_mut().for_each(|x| *x = x.sqrt());
                out.push(m);
            }
        }
        if inputs.volume {
            let (mean_pv, _) = results.next().expect("a pass per mean");
            let (mean_v, std_v) = results.next().expect("a pass per mean");
            let mut cols = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
            for t in 0..n {
                let v = volume_columns(close[t], volume[t], mean_pv[t], mean_v[t], std_v[t]);
                for (c, x) in cols.iter_mut().zip(v) {
                    c[t] = x;
                }
            }
            out.extend(cols);
        }
    }
    debug_assert_eq!(first + out.len(), cols, "bar columns computed");
    for (t, row) in data.chunks_exact_mut(cols).enumerate() {
        for (dst, col) in row[first..].iter_mut().zip(&out) {
            *dst = col[t];
        }
    }
}
