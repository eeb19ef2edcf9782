//! `mlp features`: the rolling feature matrix of one price column, of the whole file or of
//! each group (symbol) of a long-format file.

use crate::args::FeaturesArgs;
use crate::csv_io::{
    header_with_kept, push_cell, push_kept_cells, read_columns, write_header, Others, Output,
    TextColumn, TextRequest,
};
use crate::error::{CliError, CliResult};
use fast_math::Par;
use ml_pipeline::{extract_features, extract_features_grouped, FeatureConfig, Groups};
use std::io::Write;
use std::time::Instant;

/// Header names (ignoring case) of a column that tells symbols apart: read even without
/// `--group`, to warn when a file of several symbols is being read as one series.
const SYMBOL_COLUMNS: [&str; 2] = ["symbol", "ticker"];

/// Short groups named one per warning line before the rest are only counted.
const SHORT_GROUPS_NAMED: usize = 10;

/// Reads the price column (and the `--keep` and `--group` columns as text), computes
/// [`extract_features`] with a default configuration of the given window, per group with
/// `--group` ([`extract_features_grouped`]), and writes one row per input row: the kept
/// columns as written, then the features under the names of [`FeatureConfig::names`] (an
/// empty cell where a feature is undefined).
///
/// Warns on standard error, without failing, when a `symbol`/`ticker` column holds several
/// values but no `--group` was given, and when a group (or the file) has too few rows for
/// any row to have every feature.
///
/// # Errors
/// Input, configuration and output errors, each as one line.
pub fn run(args: &FeaturesArgs) -> CliResult<()> {
    let cfg = FeatureConfig::with_window(args.window);
    cfg.validate()
        .map_err(|e| CliError::pipeline("--window", e))?;
    let header = header_with_kept(&args.keep, &cfg.names())?;

    let t0 = Instant::now();
    let mut text = args.keep.clone();
    if let Some(g) = args.group.as_ref().filter(|g| !args.keep.contains(g)) {
        text.push(g.clone());
    }
    let optional: &[&str] = if args.group.is_none() {
        &SYMBOL_COLUMNS
    } else {
        &[]
    };
    let request = TextRequest {
        required: &text,
        optional,
    };
    let table = read_columns(
        &args.input,
        std::slice::from_ref(&args.column),
        Others::Skip,
        request,
    )?;
    let prices = &table.columns[0];
    let t_read = t0.elapsed();

    let t1 = Instant::now();
    let column = |name: &str| {
        let j = table.text_names.iter().position(|n| n == name);
        &table.text[j.expect("requested columns are read")]
    };
    let fm = match &args.group {
        Some(name) => {
            let (groups, keys) = Groups::from_keys(column(name).iter());
            warn_short_groups(name, &groups, &keys, &cfg);
            let par = Par::Rayon(std::thread::available_parallelism().map_or(1, |p| p.get()));
            extract_features_grouped(prices, &groups, &cfg, par)
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
            extract_features(prices, &cfg, Par::Seq)
        }
    }
    .map_err(|e| CliError::pipeline("features", e))?;
    let t_features = t1.elapsed();

    let t2 = Instant::now();
    let kept = &table.text[..args.keep.len()];
    let mut out = Output::create(args.output.as_deref())?;
    let what = out.describe();
    let io_err = |e| CliError::io(format!("cannot write {what}"), e);
    write_header(&mut out, &header).map_err(io_err)?;
    let mut line = Vec::with_capacity(32 * header.len());
    for t in 0..fm.nrows() {
        line.clear();
        push_kept_cells(&mut line, kept, t);
        for (j, &v) in fm.row(t).iter().enumerate() {
            if j > 0 {
                line.push(b',');
            }
            push_cell(&mut line, v);
        }
        line.push(b'\n');
        out.write_all(&line).map_err(io_err)?;
    }
    out.commit()?;
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

/// From which row of a series every feature is defined, and why; with the fix when the
/// window is what decides it.
fn rows_needed(cfg: &FeatureConfig) -> String {
    let row = cfg.warmup() + 1;
    if cfg.spectral_len > cfg.window {
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
