//! Where the rows of `features` and `predict` go, whatever the format: a [`RowSink`] takes
//! one output row at a time (the kept input cells, then the numbers) and writes CSV
//! ([`crate::csv_out::CsvSink`]) or Parquet / Arrow IPC ([`crate::columnar_out::ColumnarSink`]).

use crate::columnar_out::ColumnarSink;
use crate::csv_out::{CsvSink, Output};
use crate::error::{CliError, CliResult};
use crate::formats::{by_extension, choose, is_stdio, FileFormat, Format, CSV};
use crate::table::TextColumn;
use std::path::Path;

/// How an output column of numbers is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// A float: CSV as the shortest round-trip text (empty for NaN), Parquet/Arrow `Float64`
    /// (null for NaN).
    Float,
    /// An integer held in an `f64` (a class index, a 0/1 prediction): CSV in decimal,
    /// Parquet/Arrow `Int64`; NaN is an empty cell or null.
    Int,
}

/// The columns of an output: the kept input columns (text), then the columns of numbers.
#[derive(Clone, Debug, Default)]
pub struct OutputColumns {
    /// Names of the kept columns, first in each row.
    pub kept: Vec<String>,
    /// Names and kinds of the columns of numbers.
    pub values: Vec<(String, ValueKind)>,
}

impl OutputColumns {
    /// Kept columns `kept`, then float columns `names`.
    pub fn floats(kept: &[String], names: &[String]) -> Self {
        OutputColumns {
            kept: kept.to_vec(),
            values: names
                .iter()
                .map(|n| (n.clone(), ValueKind::Float))
                .collect(),
        }
    }

    /// Every name, kept columns first.
    pub fn names(&self) -> impl Iterator<Item = &String> + '_ {
        self.kept.iter().chain(self.values.iter().map(|v| &v.0))
    }
}

/// Rows of output, written one at a time; nothing is visible at the destination before
/// [`RowSink::finish`] succeeds (a file output goes through a temporary file and a rename).
pub trait RowSink {
    /// Writes one row: cell `row` of each of `kept` (as many as the kept names), then
    /// `values` (as many as the value columns).
    ///
    /// # Errors
    /// A write error, naming the destination.
    fn push_row(&mut self, kept: &[TextColumn], row: usize, values: &[f64]) -> CliResult<()>;

    /// Writes what is buffered and commits the output.
    ///
    /// # Errors
    /// A write error, naming the destination (a file output is then removed).
    fn finish(self: Box<Self>) -> CliResult<()>;
}

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
