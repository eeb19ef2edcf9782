//! Where the rows of `features` and `predict` go, whatever the format: a [`RowSink`] takes
//! one output row at a time (the kept input cells, then the numbers) and writes CSV
//! (`csv_out::CsvSink`) or Parquet / Arrow IPC (`columnar_out::ColumnarSink`);
//! [`crate::sink_open`] chooses and opens one.

use crate::error::CliResult;
use crate::table::TextColumn;
use fast_math::Par;
use std::ops::Range;

/// The numbers of output row `t`, appended to a buffer the caller has cleared.
pub type RowValues<'a> = dyn Fn(usize, &mut Vec<f64>) + Sync + 'a;

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
    /// The kept columns as the input's Arrow arrays (one per kept name, every row), when
    /// both input and output are Parquet or Arrow: written in their own type (timestamps,
    /// dictionaries, integers stay what they were). Empty: the kept columns are text cells,
    /// passed to [`RowSink::push_row`].
    pub typed_kept: Vec<arrow_array::ArrayRef>,
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
            typed_kept: Vec::new(),
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
    /// Writes one row: cell `row` of each of `kept` (as many as the kept names; none when
    /// the columns were given as [`OutputColumns::typed_kept`], whose rows are written in
    /// the order pushed), then `values` (as many as the value columns).
    ///
    /// # Errors
    /// A write error, naming the destination.
    fn push_row(&mut self, kept: &[TextColumn], row: usize, values: &[f64]) -> CliResult<()>;

    /// Writes the rows `rows` in order, as [`push_row`](RowSink::push_row) would one by one,
    /// row `t`'s numbers given by `values(t, ..)`. A sink may prepare rows on the threads of
    /// `par` (CSV formats them there); the bytes written are the same either way.
    ///
    /// # Errors
    /// As [`push_row`](RowSink::push_row).
    fn push_rows(
        &mut self,
        kept: &[TextColumn],
        rows: Range<usize>,
        values: &RowValues<'_>,
        par: Par,
    ) -> CliResult<()> {
        let _ = par;
        push_each(self, kept, rows, values)
    }

    /// Writes what is buffered and commits the output.
    ///
    /// # Errors
    /// A write error, naming the destination (a file output is then removed).
    fn finish(self: Box<Self>) -> CliResult<()>;
}

/// [`RowSink::push_rows`] one row at a time, on the calling thread.
///
/// # Errors
/// As [`RowSink::push_row`].
pub fn push_each<S: RowSink + ?Sized>(
    sink: &mut S,
    kept: &[TextColumn],
    rows: Range<usize>,
    values: &RowValues<'_>,
) -> CliResult<()> {
    let mut buf = Vec::new();
    for t in rows {
        buf.clear();
        values(t, &mut buf);
        sink.push_row(kept, t, &buf)?;
    }
    Ok(())
}
