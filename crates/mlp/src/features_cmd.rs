//! `mlp features`: the rolling feature matrix of a price column or of OHLCV bars, of the
//! whole file or of each group (symbol) of a long-format file, with forward targets on
//! demand.

use crate::args::FeaturesArgs;
use crate::error::{CliError, CliResult};
use crate::input::Input;
use crate::order::{check_order, time_order};
use crate::sink::OutputColumns;
use crate::sink_open;
use crate::table::TextColumn;
use fast_math::Par;
use ml_pipeline::features::forward_target_names;
use ml_pipeline::{
    extract_bar_features, extract_bar_features_grouped, forward_targets, BarInputs, Bars,
    FeatureConfig, Groups, PipelineError,
};
use std::time::Instant;

/// Header names (ignoring case) of a column that tells symbols apart: read even without
/// `--group`, to warn when a file of several symbols is being read as one series.
const SYMBOL_COLUMNS: [&str; 2] = ["symbol", "ticker"];

/// Short groups named one per warning line before the rest are only counted.
const SHORT_GROUPS_NAMED: usize = 10;

/// The input columns the features read: the close (the price) and the bar columns.
struct BarColumns {
    close: String,
    open: Option<String>,
    high: Option<String>,
    low: Option<String>,
    volume: Option<String>,
}

impl BarColumns {
    /// From the flags and the file's header: `--column` reads that price and only the bar
    /// columns named by flags (today's price-only output when none is); otherwise the close
    /// (`--close`, or the column named close) and every bar column named by a flag or, when
    /// not, found by its usual name.
    fn resolve(args: &FeaturesArgs, header: &[String], shown: &str) -> CliResult<BarColumns> {
        if !args.ohlcv.is_empty() {
            let [open, high, low, close, volume] = <[String; 5]>::try_from(args.ohlcv.clone())
                .map_err(|given| {
                    CliError::new(format!(
                        "--ohlcv {:?}: expected five column names, open,high,low,close,volume",
                        given.join(",")
                    ))
                })?;
            return Ok(BarColumns {
                close,
                open: Some(open),
                high: Some(high),
                low: Some(low),
                volume: Some(volume),
            });
        }
        let by_name = |name: &str| {
            header
                .iter()
                .find(|h| h.eq_ignore_ascii_case(name))
                .cloned()
        };
        let close = match (&args.column, &args.close) {
            (Some(c), _) | (None, Some(c)) => c.clone(),
            (None, None) => by_name("close").ok_or_else(|| {
                CliError::new(format!(
                    "{shown}: no column named close: name the price with --column COL (price \
                     features) or the close with --close COL (the header has: {})",
                    header.join(", ")
                ))
            })?,
        };
        let pick = |given: &Option<String>, usual: &str| match given {
            Some(c) => Some(c.clone()),
            None if args.column.is_none() => by_name(usual).filter(|n| *n != close),
            None => None,
        };
        let cols = BarColumns {
            open: pick(&args.open, "open"),
            high: pick(&args.high, "high"),
            low: pick(&args.low, "low"),
            volume: pick(&args.volume, "volume"),
            close,
        };
        let lacking = match (&cols.open, &cols.high, &cols.low) {
            (_, Some(h), None) => Some(format!("a high column ({h:?}) but no low")),
            (_, None, Some(l)) => Some(format!("a low column ({l:?}) but no high")),
            (Some(o), None, None) => Some(format!("an open column ({o:?}) but no high and low")),
            _ => None,
        };
        if let Some(what) = lacking {
            return Err(CliError::new(format!(
                "{shown}: {what}: the range features need both high and low; name them with \
                 --high and --low, or pass --column {} for price features only",
                cols.close
            )));
        }
        Ok(cols)
    }

    /// The numeric columns to read: the close first, then the bar columns given.
    fn names(&self) -> Vec<String> {
        let bar = [&self.open, &self.high, &self.low, &self.volume];
        std::iter::once(self.close.clone())
            .chain(bar.into_iter().flatten().cloned())
            .collect()
    }

    fn inputs(&self) -> BarInputs {
        BarInputs {
            open: self.open.is_some(),
            high_low: self.high.is_some(),
            volume: self.volume.is_some(),
        }
    }
}

/// The feature configuration of the flags and the bar columns found.
fn config(args: &FeaturesArgs, inputs: BarInputs) -> FeatureConfig {
    let mut cfg = FeatureConfig::with_window(args.window);
    cfg.windows = args.windows.clone();
    cfg.bars = inputs;
    cfg.return_horizons = if !args.return_horizons.is_empty() {
        args.return_horizons.clone()
    } else if inputs.any() || !args.windows.is_empty() {
        cfg.effective_windows().to_vec()
    } else {
        Vec::new()
    };
    cfg
}

/// Reads the price or bar columns (and the `--keep` and `--group` columns as text), computes
/// the features ([`extract_bar_features`], per group with `--group`,
/// [`extract_bar_features_grouped`]) and the `--horizon` targets ([`forward_targets`]), and
/// writes one row per input row: the kept columns as written, the features under the names
/// of [`FeatureConfig::names`], the targets (an empty cell where a value is undefined).
///
/// Warns on standard error, without failing, when a `symbol`/`ticker` column holds several
/// values but no `--group` was given, and when a group (or the file) has too few rows for
/// any row to have every feature.
///
/// # Errors
/// Input, configuration and output errors, each as one line; a bad bar (non-positive price,
/// negative volume, high below low) names its line.
pub fn run(args: &FeaturesArgs) -> CliResult<()> {
    let t0 = Instant::now();
    let input = Input::open(&args.input, args.read.format, args.read.sep)?;
    let shown = input.shown().to_string();
    let bar_columns = BarColumns::resolve(args, input.header(), &shown)?;
    let cfg = config(args, bar_columns.inputs());
    let flag = if args.windows.is_empty() {
        "--window"
    } else {
        "--windows"
    };
    cfg.validate().map_err(|e| CliError::pipeline(flag, e))?;
    let horizons = &args.horizon;
    forward_targets(&[], None, horizons).map_err(|e| CliError::pipeline("--horizon", e))?;
    let mut out_names = cfg.names();
    out_names.extend(forward_target_names(horizons));
    let keep: Vec<String> = match (args.no_keep, args.keep.is_empty()) {
        (true, _) => Vec::new(),
        (false, true) => kept_by_default(input.header(), &out_names, &shown),
        (false, false) => args.keep.clone(),
    };
    sink_open::check_kept(&keep, &out_names)?;

    let columnar_out = sink_open::is_columnar(args.output.as_deref(), args.output_format);
    let text: Vec<String> = [&args.group, &args.order_by]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let optional: &[&str] = if args.group.is_none() {
        &SYMBOL_COLUMNS
    } else {
        &[]
    };
    let numeric = bar_columns.names();
    let (table, typed_kept) =
        sink_open::read_with_kept(input, &numeric, &text, optional, &keep, columnar_out)?;
    let col = |name: &Option<String>| name.as_ref().and_then(|n| table.column(n));
    let bars = Bars {
        open: col(&bar_columns.open),
        high: col(&bar_columns.high),
        low: col(&bar_columns.low),
        close: &table.columns[0],
        volume: col(&bar_columns.volume),
    };
    let positive_close = cfg.bars.any() || !cfg.return_horizons.is_empty() || !horizons.is_empty();
    bars.check(positive_close).map_err(|e| match e {
        // The file's line (or a columnar file's row), not the data row the library counts.
        PipelineError::InvalidBar { row, problem } => {
            CliError::new(format!("{shown}: {}: {problem}", table.place(row)))
        }
        other => CliError::pipeline("features", other),
    })?;
    let t_read = t0.elapsed();

    let t1 = Instant::now();
    let column = |name: &str| {
        let j = table.text_names.iter().position(|n| n == name);
        &table.text[j.expect("requested columns are read")]
    };
    // With --sort, `order[j]` is the input row at place `j` in time; the features are
    // computed in that order and written back to each row's input place.
    let order = match &args.order_by {
        Some(o) if args.sort => time_order(column(o)),
        Some(o) => {
            let group = args.group.as_deref().map(|g| (g, column(g)));
            check_order(&shown, &table, (o, column(o)), group)?;
            None
        }
        None => None,
    };
    let sorted: Vec<Vec<f64>>;
    let bars = match &order {
        Some(order) => {
            sorted = [
                bars.open,
                bars.high,
                bars.low,
                Some(bars.close),
                bars.volume,
            ]
            .iter()
            .map(|c| c.map_or_else(Vec::new, |c| order.iter().map(|&i| c[i]).collect()))
            .collect();
            let col = |j: usize, given: Option<&[f64]>| given.map(|_| sorted[j].as_slice());
            Bars {
                open: col(0, bars.open),
                high: col(1, bars.high),
                low: col(2, bars.low),
                close: &sorted[3],
                volume: col(4, bars.volume),
            }
        }
        None => bars,
    };
    let prices = bars.close;
    let groups = match &args.group {
        Some(name) => {
            let cells = column(name);
            let (groups, keys) = match &order {
                Some(order) => Groups::from_keys(order.iter().map(|&i| cells.get(i))),
                None => Groups::from_keys(cells.iter()),
            };
            warn_short_groups(name, &groups, &keys, &cfg);
            Some(groups)
        }
        None => {
            let symbols = table
                .text_names
                .iter()
                .find(|n| SYMBOL_COLUMNS.iter().any(|s| n.eq_ignore_ascii_case(s)));
            if let Some(name) = symbols {
                warn_mixed_symbols(name, column(name));
            }
            if (1..=cfg.warmup()).contains(&prices.len()) {
                eprintln!(
                    "mlp: warning: the file has {} data rows; {}, so no output row has every \
                     feature",
                    prices.len(),
                    rows_needed(&cfg)
                );
            }
            None
        }
    };
    let par = Par::Rayon(crate::info::threads());
    let fm = match &groups {
        Some(groups) => extract_bar_features_grouped(&bars, groups, &cfg, par),
        // One series, sequentially: the output is then the library's `Par::Seq` values bit
        // for bit (parallel chunks agree with them only to 1e-17 in the EMAs).
        None => extract_bar_features(&bars, &cfg, Par::Seq),
    }
    .map_err(|e| CliError::pipeline("features", e))?;
    let targets = forward_targets(prices, groups.as_ref(), horizons)
        .map_err(|e| CliError::pipeline("--horizon", e))?;
    let t_features = t1.elapsed();

    let t2 = Instant::now();
    let kept = if columnar_out {
        &[][..]
    } else {
        &table.text[..keep.len()]
    };
    let mut columns = OutputColumns::floats(&keep, &out_names);
    columns.typed_kept = typed_kept;
    let mut out = sink_open::create(args.output.as_deref(), args.output_format, &columns)?;
    let place = order.as_deref().map(inverse);
    let values = |t: usize, values: &mut Vec<f64>| {
        let at = place.as_ref().map_or(t, |p| p[t]);
        values.extend_from_slice(fm.row(at));
        values.extend_from_slice(targets.row(at));
    };
    out.push_rows(kept, 0..fm.nrows(), &values, par)?;
    out.finish()?;
    let t_write = t2.elapsed();

    if args.timings {
        eprintln!(
            "timings: read {:.3} s ({} rows), features {:.3} s, write {:.3} s",
            t_read.as_secs_f64(),
            table.nrows(),
            t_features.as_secs_f64(),
            t_write.as_secs_f64()
        );
    }
    Ok(())
}

/// The input's columns carried into the output when `--keep` is not given: all of them,
/// but one named as an output column or as an earlier input column (the output would have
/// two columns of that name), which is left out with a note.
fn kept_by_default(header: &[String], out_names: &[String], shown: &str) -> Vec<String> {
    let mut keep: Vec<String> = Vec::with_capacity(header.len());
    let mut left_out: Vec<&str> = Vec::new();
    for name in header {
        if out_names.contains(name) || keep.contains(name) {
            left_out.push(name);
        } else {
            keep.push(name.clone());
        }
    }
    if !left_out.is_empty() {
        eprintln!(
            "mlp: note: {shown}: input columns not copied to the output, which has columns of \
             those names: {} (choose the kept columns with --keep)",
            left_out.join(", ")
        );
    }
    keep
}

/// Where each input row goes: `inverse(order)[order[j]] == j`.
fn inverse(order: &[usize]) -> Vec<usize> {
    let mut place = vec![0; order.len()];
    for (j, &i) in order.iter().enumerate() {
        place[i] = j;
    }
    place
}

/// From which row of a series every feature is defined, and why; with the fix when the
/// window is what decides it.
fn rows_needed(cfg: &FeatureConfig) -> String {
    let row = cfg.warmup() + 1;
    if let Some(longest) = cfg.windows.iter().max() {
        format!(
            "features are all defined only from a series' row {row} on (longest window \
             {longest}; smaller --windows need fewer rows)"
        )
    } else if cfg.spectral_len > cfg.window {
        format!(
            "features are all defined only from a series' row {row} on ({} returns for the \
             spectral features)",
            cfg.spectral_len
        )
    } else {
        format!(
            "features are all defined only from a series' row {row} on (window {}; a smaller \
             --window needs fewer rows)",
            cfg.window
        )
    }
}

/// A symbol column with several values, read as one series: returns and windows would run
/// from one symbol into the next, which is almost never what was meant.
fn warn_mixed_symbols(name: &str, cells: &TextColumn) {
    let (groups, keys) = Groups::from_keys(cells.iter());
    if groups.n_groups() < 2 {
        return;
    }
    let shown: Vec<String> = keys
        .iter()
        .take(3)
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect();
    let more = if keys.len() > 3 { ", ..." } else { "" };
    eprintln!(
        "mlp: warning: column {name:?} holds {} different values ({}{more}) but the prices are \
         read as one series, so returns and windows mix symbols; pass --group {name} to \
         compute each symbol's features on its own rows",
        keys.len(),
        shown.join(", ")
    );
}

/// One line per group too short for any row to have every feature (the first
/// [`SHORT_GROUPS_NAMED`], then a count of the rest).
fn warn_short_groups(column: &str, groups: &Groups, keys: &[&[u8]], cfg: &FeatureConfig) {
    let short = groups.short_groups(cfg);
    if short.is_empty() {
        return;
    }
    let needed = rows_needed(cfg);
    for &(g, n) in short.iter().take(SHORT_GROUPS_NAMED) {
        let rows = if n == 1 { "row" } else { "rows" };
        eprintln!(
            "mlp: warning: {column} {:?} has {n} {rows}; {needed}, so none of its rows has \
             every feature",
            String::from_utf8_lossy(keys[g])
        );
    }
    if short.len() > SHORT_GROUPS_NAMED {
        eprintln!(
            "mlp: warning: {} more values of {column} have too few rows for every feature",
            short.len() - SHORT_GROUPS_NAMED
        );
    }
}
