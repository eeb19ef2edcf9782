//! Parquet and Arrow IPC output of `features` and `predict`: rows gathered into record
//! batches of [`BATCH_ROWS`] and written through the `parquet` and `arrow-ipc` writers to an
//! [`Output`] (a temporary file renamed when done, or standard output).
//!
//! Columns: the kept input columns in their input type when given as arrays
//! ([`OutputColumns::typed_kept`], from a Parquet or Arrow input), else as `Utf8` text (the
//! cells the CSV output would hold); the
//! numbers as `Float64` ([`ValueKind::Int`] ones as `Int64`), null where the CSV has an
//! empty cell. Parquet is Snappy-compressed, with dictionary encoding for the text columns
//! only (floats rarely repeat), in row groups of [`ROW_GROUP_ROWS`]; Arrow IPC is the
//! uncompressed file format (Feather v2).

use crate::csv_out::Output;
use crate::error::{CliError, CliResult};
use crate::formats::Format;
use crate::sink::{OutputColumns, RowSink, ValueKind};
use crate::table::TextColumn;
use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_array::{Float64Array, Int64Array, StringArray};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_ipc::writer::FileWriter;
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnWriter, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use std::sync::Arc;

/// Rows per record batch written.
pub const BATCH_ROWS: usize = 1 << 16;

/// Rows per Parquet row group at most: the writer holds a row group's encoded pages in
/// memory until it is complete.
pub const ROW_GROUP_ROWS: usize = 1 << 18;

/// The writer of a [`ColumnarSink`].
enum Writer {
    Parquet(Box<ParquetColumns>),
    Arrow(Box<FileWriter<Output>>),
}

/// A Parquet file written a row group at a time, its columns encoded by several threads:
/// the encoding (statistics, levels, Snappy) is most of a write, and columns are
/// independent.
struct ParquetColumns {
    file: SerializedFileWriter<Output>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// The current row group's column writers, and its index and rows so far.
    writers: Vec<ArrowColumnWriter>,
    group: usize,
    rows: usize,
    threads: usize,
}

impl ParquetColumns {
    /// Encodes one batch's columns into the current row group (the columns split into one
    /// contiguous range per thread), closing the group once it holds [`ROW_GROUP_ROWS`].
    fn write(&mut self, arrays: &[ArrayRef], rows: usize) -> parquet::errors::Result<()> {
        let mut leaves = Vec::with_capacity(arrays.len());
        for (field, array) in self.schema.fields().iter().zip(arrays) {
            leaves.extend(compute_leaves(field, array)?);
        }
        let per = leaves.len().div_ceil(self.threads.max(1)).max(1);
        std::thread::scope(|s| {
            let jobs: Vec<_> = self
                .writers
                .chunks_mut(per)
                .zip(leaves.chunks(per))
                .map(|(writers, leaves)| {
                    s.spawn(move || -> parquet::errors::Result<()> {
                        for (w, leaf) in writers.iter_mut().zip(leaves) {
                            w.write(leaf)?;
                        }
                        Ok(())
                    })
                })
                .collect();
            jobs.into_iter()
                .try_for_each(|j| j.join().expect("an encoding thread panicked"))
        })?;
        self.rows += rows;
        if self.rows >= ROW_GROUP_ROWS {
            self.close_group()?;
        }
        Ok(())
    }

    /// Appends the current row group's column chunks to the file, in column order.
    fn close_group(&mut self) -> parquet::errors::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        self.group += 1;
        let next = self.factory.create_column_writers(self.group)?;
        let writers = std::mem::replace(&mut self.writers, next);
        let mut group = self.file.next_row_group()?;
        for w in writers {
            w.close()?.append_to_row_group(&mut group)?;
        }
        group.close()?;
        self.rows = 0;
        Ok(())
    }

    /// Closes the last row group and the file; returns the output.
    fn finish(mut self) -> parquet::errors::Result<Output> {
        self.close_group()?;
        self.file.into_inner()
    }
}

/// One column of numbers being gathered (NaN for a missing value), its kind as written.
struct Numbers {
    kind: ValueKind,
    values: Vec<f64>,
}

impl Numbers {
    /// The gathered values as an array (null where NaN); the column is then empty again,
    /// with as much room.
    fn finish(&mut self) -> ArrayRef {
        let nulls = self
            .values
            .iter()
            .any(|v| v.is_nan())
            .then(|| NullBuffer::from_iter(self.values.iter().map(|v| !v.is_nan())));
        let array: ArrayRef = match self.kind {
            ValueKind::Float => {
                let room = self.values.capacity();
                let values = std::mem::replace(&mut self.values, Vec::with_capacity(room));
                Arc::new(Float64Array::new(ScalarBuffer::from(values), nulls))
            }
            ValueKind::Int => Arc::new(Int64Array::new(
                self.values
                    .iter()
                    .map(|&v| if v.is_nan() { 0 } else { v as i64 })
                    .collect(),
                nulls,
            )),
        };
        self.values.clear();
        array
    }
}

/// Rows written as Parquet or Arrow IPC.
pub struct ColumnarSink {
    writer: Writer,
    schema: SchemaRef,
    kept: Vec<StringBuilder>,
    /// The kept columns given as arrays ([`OutputColumns::typed_kept`]), sliced per batch.
    typed: Vec<ArrayRef>,
    /// Rows in the batches already written.
    written: usize,
    values: Vec<Numbers>,
    rows: usize,
    what: String,
}

impl ColumnarSink {
    /// A sink writing `columns` to `out` as `format` (Parquet or Arrow); the schema is fixed
    /// here.
    ///
    /// # Errors
    /// The writer cannot be created (the schema written to `out`).
    pub fn new(out: Output, format: Format, columns: &OutputColumns) -> CliResult<Self> {
        let what = out.describe();
        let typed = &columns.typed_kept;
        let text = columns.kept.iter().enumerate().map(|(j, n)| {
            let dt = typed
                .get(j)
                .map_or(DataType::Utf8, |a| a.data_type().clone());
            Field::new(n, dt, true)
        });
        let numbers = columns.values.iter().map(|(n, kind)| {
            let dt = match kind {
                ValueKind::Float => DataType::Float64,
                ValueKind::Int => DataType::Int64,
            };
            Field::new(n, dt, true)
        });
        let schema = Arc::new(Schema::new(text.chain(numbers).collect::<Vec<_>>()));
        let err = |e: String| CliError::new(format!("cannot write {what}: {e}"));
        let writer = match format {
            Format::Parquet => {
                let mut props = WriterProperties::builder()
                    .set_compression(Compression::SNAPPY)
                    .set_dictionary_enabled(false)
                    .set_max_row_group_row_count(Some(ROW_GROUP_ROWS));
                // Dictionaries for kept text (symbols repeat), not for timestamps or numbers.
                for (j, name) in columns.kept.iter().enumerate() {
                    let text = typed.get(j).is_none_or(|a| {
                        matches!(
                            a.data_type(),
                            DataType::Utf8 | DataType::LargeUtf8 | DataType::Dictionary(..)
                        )
                    });
                    if text {
                        props = props
                            .set_column_dictionary_enabled(ColumnPath::from(name.as_str()), true);
                    }
                }
                // The arrow writer sets up the file (the Arrow schema kept in its metadata, so
                // readers get the kept columns' types back); its lower-level parts write it.
                let w = ArrowWriter::try_new(out, schema.clone(), Some(props.build()))
                    .map_err(|e| err(e.to_string()))?;
                let (file, factory) = w.into_serialized_writer().map_err(|e| err(e.to_string()))?;
                let writers = factory
                    .create_column_writers(0)
                    .map_err(|e| err(e.to_string()))?;
                Writer::Parquet(Box::new(ParquetColumns {
                    file,
                    factory,
                    schema: schema.clone(),
                    writers,
                    group: 0,
                    rows: 0,
                    threads: crate::info::threads(),
                }))
            }
            Format::Arrow | Format::Csv => {
                let w = FileWriter::try_new(out, &schema).map_err(|e| err(e.to_string()))?;
                Writer::Arrow(Box::new(w))
            }
        };
        let cap = BATCH_ROWS;
        Ok(ColumnarSink {
            writer,
            schema,
            kept: columns
                .kept
                .iter()
                .skip(typed.len())
                .map(|_| StringBuilder::with_capacity(cap, 16 * cap))
                .collect(),
            typed: typed.clone(),
            written: 0,
            values: columns
                .values
                .iter()
                .map(|&(_, kind)| Numbers {
                    kind,
                    values: Vec::with_capacity(cap),
                })
                .collect(),
            rows: 0,
            what,
        })
    }

    /// Writes the rows gathered as one record batch.
    fn flush_batch(&mut self) -> CliResult<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for a in &self.typed {
            arrays.push(a.slice(self.written, self.rows));
        }
        for b in &mut self.kept {
            arrays.push(Arc::new(b.finish()));
        }
        for b in &mut self.values {
            arrays.push(b.finish());
        }
        self.written += self.rows;
        self.rows = 0;
        let what = &self.what;
        let err = |e: String| CliError::new(format!("cannot write {what}: {e}"));
        let batch =
            RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| err(e.to_string()))?;
        match &mut self.writer {
            Writer::Parquet(w) => w
                .write(batch.columns(), batch.num_rows())
                .map_err(|e| err(e.to_string())),
            Writer::Arrow(w) => w.write(&batch).map_err(|e| err(e.to_string())),
        }
    }
}

impl RowSink for ColumnarSink {
    fn push_row(&mut self, kept: &[TextColumn], row: usize, values: &[f64]) -> CliResult<()> {
        for (b, col) in self.kept.iter_mut().zip(kept) {
            // Cells are the input's bytes: UTF-8 for Parquet and Arrow input, and for CSV
            // input as good as the file (invalid sequences replaced).
            match std::str::from_utf8(col.get(row)) {
                Ok(s) => b.append_value(s),
                Err(_) => b.append_value(String::from_utf8_lossy(col.get(row))),
            }
        }
        for (b, &v) in self.values.iter_mut().zip(values) {
            b.values.push(v);
        }
        self.rows += 1;
        if self.rows == BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> CliResult<()> {
        self.flush_batch()?;
        let what = self.what;
        let err = |e: String| CliError::new(format!("cannot write {what}: {e}"));
        let out = match self.writer {
            Writer::Parquet(w) => w.finish().map_err(|e| err(e.to_string()))?,
            Writer::Arrow(w) => w.into_inner().map_err(|e| err(e.to_string()))?,
        };
        out.commit()
    }
}

/// A kept column of text cells (a CSV input's) as the array a Parquet or Arrow output holds,
/// typed as pandas' `read_csv` would type it: `Int64` when every cell is an integer, else
/// `Float64` when every cell is a number, else `Utf8`; missing cells (empty, pandas' `NA`
/// tokens) are nulls in a number column.
pub fn typed_from_text(col: &TextColumn) -> ArrayRef {
    let cells = || col.iter().map(|c| c.trim_ascii());
    let missing = |c: &[u8]| c.is_empty() || crate::csv_io::NA_TOKENS.contains(&c);
    let parse = |c: &[u8]| std::str::from_utf8(c).ok().map(str::to_string);
    let ints: Option<Vec<Option<i64>>> = cells()
        .map(|c| match missing(c) {
            true => Some(None),
            false => parse(c).and_then(|s| s.parse().ok()).map(Some),
        })
        .collect();
    if let Some(v) = ints.filter(|v| v.iter().any(Option::is_some)) {
        return Arc::new(Int64Array::from(v));
    }
    let floats: Option<Vec<Option<f64>>> = cells()
        .map(|c| match missing(c) {
            true => Some(None),
            false => parse(c)
                .and_then(|s| s.parse::<f64>().ok())
                .map(|v| (!v.is_nan()).then_some(v)),
        })
        .collect();
    if let Some(v) = floats.filter(|v| v.iter().any(Option::is_some)) {
        return Arc::new(Float64Array::from(v));
    }
    Arc::new(StringArray::from_iter_values(
        col.iter().map(|c| String::from_utf8_lossy(c).into_owned()),
    ))
}
