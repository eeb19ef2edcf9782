//! Parquet and Arrow IPC input: the columns a command asks for, read batch by batch (only
//! those columns: a Parquet projection, an Arrow file's projection) into a [`Table`], as
//! [`crate::arrow_cells`] converts them.
//!
//! Row positions are row numbers (`row 12`), there being no lines. Parquet is read in
//! batches of [`BATCH_ROWS`]; an Arrow IPC file or stream in the batches it was written in.

use crate::arrow_cells::{is_numeric, is_text, push_numbers, TextCells};
use crate::csv_io::{find_column, Others, TextRequest};
use crate::error::{CliError, CliResult};
use crate::table::{is_index_name, RowKind, Table};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_ipc::reader::{FileReader, FileReaderBuilder, StreamReader};
use arrow_schema::SchemaRef;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::PathBuf;

/// Rows per batch read from Parquet.
pub const BATCH_ROWS: usize = 1 << 16;

/// Where an Arrow IPC file's bytes are: a file to open again with a projection, or memory
/// (standard input).
enum IpcFile {
    Path(PathBuf),
    Memory(Bytes),
}

/// A columnar source, opened: its schema is known, no data read yet.
enum Source {
    ParquetFile(ParquetRecordBatchReaderBuilder<File>),
    ParquetMemory(ParquetRecordBatchReaderBuilder<Bytes>),
    ArrowFile(IpcFile),
    ArrowStream(StreamReader<BufReader<Box<dyn Read>>>),
}

/// A Parquet or Arrow IPC file (or stream) whose schema has been read.
pub struct Columnar {
    schema: SchemaRef,
    source: Source,
    shown: String,
}

/// Batches of the projected columns, in file order.
type Batches = Box<dyn Iterator<Item = Result<RecordBatch, String>>>;

impl Columnar {
    /// A Parquet file; `shown` names it in messages.
    ///
    /// # Errors
    /// The file is not Parquet (or is damaged), naming it.
    pub fn parquet_file(file: File, shown: &str) -> CliResult<Self> {
        let b = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| not_a(shown, e))?;
        Ok(Self::new(b.schema().clone(), Source::ParquetFile(b), shown))
    }

    /// Parquet bytes (standard input, read to its end).
    ///
    /// # Errors
    /// As [`Columnar::parquet_file`].
    pub fn parquet_bytes(bytes: Bytes, shown: &str) -> CliResult<Self> {
        let b = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| not_a(shown, e))?;
        Ok(Self::new(
            b.schema().clone(),
            Source::ParquetMemory(b),
            shown,
        ))
    }

    /// An Arrow IPC file (the file format, `ARROW1`) at `path`.
    ///
    /// # Errors
    /// The file cannot be opened, or is not an Arrow IPC file.
    pub fn arrow_file(path: PathBuf, shown: &str) -> CliResult<Self> {
        let file =
            File::open(&path).map_err(|e| CliError::io(format!("cannot open {shown}"), e))?;
        let schema = FileReader::try_new_buffered(file, None)
            .map_err(|e| not_a(shown, e))?
            .schema();
        Ok(Self::new(
            schema,
            Source::ArrowFile(IpcFile::Path(path)),
            shown,
        ))
    }

    /// Arrow IPC file-format bytes (standard input, read to its end).
    ///
    /// # Errors
    /// The bytes are not an Arrow IPC file.
    pub fn arrow_bytes(bytes: Bytes, shown: &str) -> CliResult<Self> {
        let schema = FileReader::try_new(Cursor::new(bytes.clone()), None)
            .map_err(|e| not_a(shown, e))?
            .schema();
        Ok(Self::new(
            schema,
            Source::ArrowFile(IpcFile::Memory(bytes)),
            shown,
        ))
    }

    /// An Arrow IPC stream.
    ///
    /// # Errors
    /// The stream does not start with an Arrow schema message.
    pub fn arrow_stream(source: Box<dyn Read>, shown: &str) -> CliResult<Self> {
        let r = StreamReader::try_new_buffered(source, None).map_err(|e| not_a(shown, e))?;
        Ok(Self::new(r.schema(), Source::ArrowStream(r), shown))
    }

    fn new(schema: SchemaRef, source: Source, shown: &str) -> Self {
        Columnar {
            schema,
            source,
            shown: shown.to_string(),
        }
    }

    /// The column names, in file order.
    pub fn header(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// The rows' rough count when the file says it, to reserve room.
    fn rows_hint(&self) -> usize {
        let rows = match &self.source {
            Source::ParquetFile(b) => b.metadata().file_metadata().num_rows(),
            Source::ParquetMemory(b) => b.metadata().file_metadata().num_rows(),
            _ => 0,
        };
        usize::try_from(rows).unwrap_or(0)
    }

    /// Batches holding the fields `projection` (ascending), in that order.
    fn batches(self, projection: &[usize]) -> Result<Batches, String> {
        let shown = self.shown;
        let err = move |e: &dyn std::fmt::Display| format!("cannot read {shown}: {e}");
        let project = projection.to_vec();
        Ok(match self.source {
            Source::ParquetFile(b) => {
                let mask = ProjectionMask::roots(b.parquet_schema(), project);
                let r = b.with_projection(mask).with_batch_size(BATCH_ROWS).build();
                Box::new(r.map_err(|e| err(&e))?.map(move |b| b.map_err(|e| err(&e))))
            }
            Source::ParquetMemory(b) => {
                let mask = ProjectionMask::roots(b.parquet_schema(), project);
                let r = b.with_projection(mask).with_batch_size(BATCH_ROWS).build();
                Box::new(r.map_err(|e| err(&e))?.map(move |b| b.map_err(|e| err(&e))))
            }
            Source::ArrowFile(file) => {
                let builder = FileReaderBuilder::new().with_projection(project);
                let reader: Box<dyn Iterator<Item = _>> = match file {
                    IpcFile::Path(p) => {
                        let f = File::open(&p).map_err(|e| err(&e))?;
                        Box::new(builder.build(BufReader::new(f)).map_err(|e| err(&e))?)
                    }
                    IpcFile::Memory(b) => {
                        Box::new(builder.build(Cursor::new(b)).map_err(|e| err(&e))?)
                    }
                };
                Box::new(reader.map(move |b| b.map_err(|e| err(&e))))
            }
            Source::ArrowStream(r) => {
                Box::new(r.map(move |b| b.and_then(|b| b.project(&project)).map_err(|e| err(&e))))
            }
        })
    }

    /// pandas' index column (a leading unnamed or `Unnamed: 0` one, `__index_level_0__`),
    /// not read as a feature by [`Others::Numeric`]; none otherwise.
    fn index_column(&self, others: Others) -> Option<String> {
        let header = self.header();
        header
            .iter()
            .enumerate()
            .find(|(j, n)| (*j == 0 || n.starts_with("__index_level_")) && is_index_name(n))
            .filter(|_| others == Others::Numeric && header.len() > 1)
            .map(|(_, n)| n.clone())
    }

    /// The numeric columns to read: `required` (each must have a numeric type, else an error
    /// naming it and its type) then, with [`Others::Numeric`], every other numeric column
    /// but `index`; as (field, name, required).
    fn numeric_columns(
        &self,
        required: &[String],
        others: Others,
        index: Option<&str>,
    ) -> CliResult<Vec<(usize, String, bool)>> {
        let shown = &self.shown;
        let header = self.header();
        let fields = self.schema.fields();
        let type_of = |j: usize| fields[j].data_type();
        let mut numeric = Vec::new();
        for name in required {
            let j = find_column(shown, &header, name)?;
            if !is_numeric(type_of(j)) {
                return Err(CliError::new(format!(
                    "{shown}: column {name:?} holds {} values, not numbers (a numeric column \
                     is an integer, float, decimal or boolean one)",
                    type_of(j)
                )));
            }
            numeric.push((j, name.clone(), true));
        }
        if others == Others::Numeric {
            for (j, name) in header.iter().enumerate() {
                let skip = required.contains(name) || index == Some(name.as_str());
                if !skip && is_numeric(type_of(j)) {
                    numeric.push((j, name.clone(), false));
                }
            }
        }
        Ok(numeric)
    }

    /// The numeric columns `required` (and, with [`Others::Numeric`], every other numeric
    /// column but pandas' index) a batch at a time: [`NumericChunks::next_chunk`] gives a
    /// [`Table`] of each batch (no text columns), all of them holding the same columns
    /// (one all null so far included).
    ///
    /// # Errors
    /// As [`Columnar::read`].
    pub fn chunks(self, required: &[String], others: Others) -> CliResult<NumericChunks> {
        let index_column = self.index_column(others);
        let numeric = self.numeric_columns(required, others, index_column.as_deref())?;
        let mut projection: Vec<usize> = numeric.iter().map(|c| c.0).collect();
        projection.sort_unstable();
        projection.dedup();
        let at = numeric
            .iter()
            .map(|c| projection.binary_search(&c.0).expect("projected"))
            .collect();
        let batches = self.batches(&projection).map_err(CliError::new)?;
        Ok(NumericChunks {
            batches,
            names: numeric.into_iter().map(|c| c.1).collect(),
            at,
            rows: 0,
            index_column,
        })
    }

    /// Reads the columns `required` as numbers (each must have a numeric type, else an error
    /// naming it and its type) and, with [`Others::Numeric`], every other numeric column
    /// that is not all null and not pandas' index; and the `text` columns as text.
    ///
    /// # Errors
    /// A missing, duplicated or wrongly typed column; a damaged file, naming it.
    pub fn read(
        self,
        required: &[String],
        others: Others,
        text: TextRequest<'_>,
    ) -> CliResult<Table> {
        self.read_with_arrays(required, others, text, &[])
            .map(|(table, _)| table)
    }

    /// [`Columnar::read`], and the columns `arrays` as they are in the file (any type), each
    /// one array of every row: carried to a Parquet or Arrow output in their own type.
    ///
    /// # Errors
    /// As [`Columnar::read`], and for a column of `arrays` missing or named twice.
    pub fn read_with_arrays(
        self,
        required: &[String],
        others: Others,
        text: TextRequest<'_>,
        arrays: &[String],
    ) -> CliResult<(Table, Vec<ArrayRef>)> {
        let shown = self.shown.clone();
        let header = self.header();
        let fields = self.schema.fields().clone();
        let type_of = |j: usize| fields[j].data_type();
        let index_column = self.index_column(others);

        // (field, name, values, strict, any value)
        let mut numeric: Vec<(usize, String, Vec<f64>, bool, bool)> = self
            .numeric_columns(required, others, index_column.as_deref())?
            .into_iter()
            .map(|(j, name, strict)| (j, name, Vec::new(), strict, false))
            .collect();
        let mut wanted: Vec<(usize, String)> = Vec::new();
        for name in text.required {
            wanted.push((find_column(&shown, &header, name)?, name.clone()));
        }
        for want in text.optional {
            if let Some(j) = header.iter().position(|h| h.eq_ignore_ascii_case(want)) {
                if !wanted.iter().any(|w| w.0 == j) {
                    wanted.push((j, header[j].clone()));
                }
            }
        }
        let mut texts: Vec<(usize, TextCells)> = Vec::new();
        for (j, name) in &wanted {
            if !is_text(type_of(*j)) {
                return Err(CliError::new(format!(
                    "{shown}: column {name:?} holds {} values, which are not read as text",
                    type_of(*j)
                )));
            }
            texts.push((*j, TextCells::new(type_of(*j))));
        }
        let text_names = wanted.into_iter().map(|w| w.1).collect();

        let mut raw: Vec<(usize, Vec<ArrayRef>)> = Vec::new();
        for name in arrays {
            raw.push((find_column(&shown, &header, name)?, Vec::new()));
        }
        let mut projection: Vec<usize> = numeric.iter().map(|c| c.0).collect();
        projection.extend(texts.iter().map(|t| t.0));
        projection.extend(raw.iter().map(|r| r.0));
        projection.sort_unstable();
        projection.dedup();
        let hint = self.rows_hint();
        for col in &mut numeric {
            col.2.reserve(hint);
        }
        let at = |j: usize| projection.binary_search(&j).expect("projected");
        let mut nrows = 0usize;
        for batch in self.batches(&projection).map_err(CliError::new)? {
            let batch = batch.map_err(CliError::new)?;
            for (j, _, values, _, any) in &mut numeric {
                let start = values.len();
                push_numbers(batch.column(at(*j)).as_ref(), values);
                *any |= values[start..].iter().any(|v| !v.is_nan());
            }
            for (j, cells) in &mut texts {
                cells.push(batch.column(at(*j)).as_ref());
            }
            for (j, parts) in &mut raw {
                parts.push(batch.column(at(*j)).clone());
            }
            nrows += batch.num_rows();
        }

        let mut table = Table {
            names: Vec::new(),
            columns: Vec::new(),
            lines: (1..=nrows as u64).collect(),
            rows_are: RowKind::Row,
            text_names,
            text: texts.into_iter().map(|(_, c)| c.finish()).collect(),
            index_column,
        };
        for (_, name, values, strict, any) in numeric {
            if strict || any {
                table.names.push(name);
                table.columns.push(values);
            }
        }
        let mut whole = Vec::with_capacity(raw.len());
        for ((j, parts), name) in raw.into_iter().zip(arrays) {
            whole.push(match parts.len() {
                1 => parts.into_iter().next().expect("one part"),
                0 => arrow_array::new_empty_array(type_of(j)),
                _ => {
                    let parts: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
                    arrow_select::concat::concat(&parts)
                        .map_err(|e| CliError::new(format!("{shown}: column {name:?}: {e}")))?
                }
            });
        }
        Ok((table, whole))
    }
}

/// The numeric columns of a columnar file, a batch at a time ([`Columnar::chunks`]).
pub struct NumericChunks {
    batches: Batches,
    names: Vec<String>,
    /// Where each name's column is in a batch.
    at: Vec<usize>,
    /// Rows handed out so far.
    rows: u64,
    index_column: Option<String>,
}

impl NumericChunks {
    /// The next batch's rows (none once every row is read).
    ///
    /// # Errors
    /// A damaged file, naming it.
    pub fn next_chunk(&mut self) -> CliResult<Table> {
        let mut table = Table {
            names: self.names.clone(),
            columns: Vec::with_capacity(self.names.len()),
            lines: Vec::new(),
            rows_are: RowKind::Row,
            text_names: Vec::new(),
            text: Vec::new(),
            index_column: self.index_column.clone(),
        };
        // Batches of no rows (an empty row group) are skipped.
        let batch = loop {
            match self.batches.next() {
                None => {
                    table.columns = vec![Vec::new(); self.names.len()];
                    return Ok(table);
                }
                Some(b) => {
                    let b = b.map_err(CliError::new)?;
                    if b.num_rows() > 0 {
                        break b;
                    }
                }
            }
        };
        for &a in &self.at {
            let mut values = Vec::with_capacity(batch.num_rows());
            push_numbers(batch.column(a).as_ref(), &mut values);
            table.columns.push(values);
        }
        let n = batch.num_rows() as u64;
        table.lines = (self.rows + 1..=self.rows + n).collect();
        self.rows += n;
        Ok(table)
    }
}

/// The error for bytes the Parquet or Arrow reader rejects at the start.
fn not_a(shown: &str, e: impl std::fmt::Display) -> CliError {
    CliError::new(format!("{shown}: cannot read the file: {e}"))
}
