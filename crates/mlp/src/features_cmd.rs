//! `mlp features`: the rolling feature matrix of one price column.

use crate::args::FeaturesArgs;
use crate::csv_io::{push_cell, read_numeric, write_header, Others, Output};
use crate::error::{CliError, CliResult};
use fast_math::Par;
use ml_pipeline::{extract_features, FeatureConfig};
use std::io::Write;
use std::time::Instant;

/// Reads the price column, computes [`extract_features`] with a default configuration of the
/// given window, and writes one row per input row with the names of
/// [`FeatureConfig::names`] as header (an empty cell where a feature is undefined).
///
/// # Errors
/// Input, configuration and output errors, each as one line.
pub fn run(args: &FeaturesArgs) -> CliResult<()> {
    let cfg = FeatureConfig::with_window(args.window);
    cfg.validate()
        .map_err(|e| CliError::pipeline("--window", e))?;

    let t0 = Instant::now();
    let table = read_numeric(
        &args.input,
        std::slice::from_ref(&args.column),
        Others::Skip,
    )?;
    let prices = &table.columns[0];
    let t_read = t0.elapsed();

    let t1 = Instant::now();
    let fm =
        extract_features(prices, &cfg, Par::Seq).map_err(|e| CliError::pipeline("features", e))?;
    let t_features = t1.elapsed();

    let t2 = Instant::now();
    let mut out = Output::create(args.output.as_deref())?;
    let what = out.describe();
    let io_err = |e| CliError::io(format!("cannot write {what}"), e);
    write_header(&mut out, fm.names()).map_err(io_err)?;
    let mut line = Vec::with_capacity(32 * fm.ncols());
    for t in 0..fm.nrows() {
        line.clear();
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
