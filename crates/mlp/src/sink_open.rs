//! Opening the [`RowSink`] of `--output`: the format (flag, extension, or CSV), the file or
//! standard output, and the check of `--keep` against the output's own columns. Apart from
//! [`crate::sink`], which the sinks themselves implement.

use crate::columnar_out::ColumnarSink;
use crate::csv_out::{CsvSink, Output};
use crate::error::{CliError, CliResult};
use crate::formats::{by_extension, choose, is_stdio, FileFormat, Format, CSV};
use crate::sink::{OutputColumns, RowSink};
use std::path::Path;

/// The format of `--output PATH`: `format` when given, else by the extension (`.csv`,
/// `.csv.gz`, `.tsv`, `.parquet`, `.arrow`, ...); CSV for standard output (`-` or no path)
/// and for other extensions.
pub fn output_format(path: Option<&Path>, format: Option<Format>) -> FileFormat {
    let named = path.filter(|p| !is_stdio(p)).and_then(by_extension);
    choose(format, named).unwrap_or(CSV)
}

/// A sink writing `columns` to `path` (standard output for `-` or none) in the format of
/// [`output_format`]; the header (CSV) or schema (Parquet, Arrow) is written at once.
///
/// # Errors
/// The output cannot be created, or its header written.
pub fn create(
    path: Option<&Path>,
    format: Option<Format>,
    columns: &OutputColumns,
) -> CliResult<Box<dyn RowSink>> {
    let ff = output_format(path, format);
    let out = Output::create(path.filter(|p| !is_stdio(p)))?;
    Ok(match ff.format {
        Format::Csv => Box::new(CsvSink::new(out, ff.gzip, ff.sep, columns)?),
        Format::Parquet | Format::Arrow => Box::new(ColumnarSink::new(out, ff.format, columns)?),
    })
}

/// The error of a kept-columns list that names a column twice or one the output already has.
///
/// # Errors
/// A column named twice in `keep`, or also one of `names` (the output would have two
/// columns of that name).
pub fn check_kept(keep: &[String], names: &[String]) -> CliResult<()> {
    for (i, k) in keep.iter().enumerate() {
        if keep[..i].contains(k) {
            return Err(CliError::new(format!("--keep names {k:?} twice")));
        }
        if names.contains(k) {
            return Err(CliError::new(format!(
                "--keep {k:?}: the output already has a column of that name; the input's \
                 would make a second one (leave it out of --keep)"
            )));
        }
    }
    Ok(())
}
