//! The input of `features`, `train` and `predict`, whatever its format: [`Input::open`]
//! chooses the reader (CSV, gzip-compressed CSV, Parquet, Arrow IPC; a file or standard
//! input) and reads the header; [`Input::read`] reads the columns asked for into a
//! [`Table`].

use crate::columnar_in::{Columnar, NumericChunks};
use crate::csv_io::{open_records, read_body, CsvChunks, Others, TextRequest};
use crate::csv_records::Records;
use crate::error::{CliError, CliResult};
use crate::formats::{by_content, by_extension, choose, is_stdio, Format, CSV};
use crate::table::Table;
use bytes::Bytes;
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::Path;

/// An input whose header has been read.
pub struct Input {
    shown: String,
    header: Vec<String>,
    body: Body,
}

enum Body {
    Csv(Box<Records<Box<dyn Read>>>),
    Columnar(Box<Columnar>),
}

/// Bytes read to tell the format from the content.
const MAGIC_LEN: usize = 8;

/// Reads up to `n` bytes (fewer only at the end of the source).
fn read_prefix(source: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n);
    source.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

impl Input {
    /// Opens `path` (`-`: standard input) and reads its header or schema. The format is
    /// `format` when given, else the extension's ([`by_extension`]), else the content's
    /// ([`by_content`]: Parquet, Arrow, gzip), else CSV. CSV fields are separated by `sep`
    /// when given, else by a tab for `.tsv`, else by a comma; a CSV whose bytes are gzip's is
    /// decompressed whatever its name.
    ///
    /// # Errors
    /// The input cannot be opened or read, is empty, or is not of its format.
    pub fn open(path: &Path, format: Option<Format>, sep: Option<u8>) -> CliResult<Input> {
        let stdin = is_stdio(path);
        let shown = if stdin {
            "standard input".to_string()
        } else {
            path.display().to_string()
        };
        let open_err = |e| CliError::io(format!("cannot open {shown}"), e);
        let read_err = |e| CliError::io(format!("cannot read {shown}"), e);
        let mut source: Box<dyn Read> = if stdin {
            Box::new(io::stdin().lock())
        } else {
            Box::new(File::open(path).map_err(open_err)?)
        };
        let magic = read_prefix(&mut source, MAGIC_LEN).map_err(read_err)?;
        let named = if stdin { None } else { by_extension(path) };
        let ff = choose(format, named)
            .or_else(|| by_content(&magic))
            .unwrap_or(CSV);
        let whole = |mut source: Box<dyn Read>, magic: Vec<u8>| -> CliResult<Bytes> {
            let mut all = magic;
            source.read_to_end(&mut all).map_err(read_err)?;
            Ok(Bytes::from(all))
        };
        let body = match ff.format {
            Format::Csv => {
                let gzip = magic.starts_with(&[0x1f, 0x8b]);
                let mut source: Box<dyn Read> = Box::new(Cursor::new(magic).chain(source));
                if gzip {
                    source = Box::new(MultiGzDecoder::new(source));
                }
                let (records, header) = open_records(source, sep.unwrap_or(ff.sep), &shown)?;
                return Ok(Input {
                    shown,
                    header,
                    body: Body::Csv(Box::new(records)),
                });
            }
            Format::Parquet if stdin => Columnar::parquet_bytes(whole(source, magic)?, &shown)?,
            Format::Parquet => {
                drop(source);
                Columnar::parquet_file(File::open(path).map_err(open_err)?, &shown)?
            }
            Format::Arrow if magic.starts_with(b"ARROW1") && stdin => {
                Columnar::arrow_bytes(whole(source, magic)?, &shown)?
            }
            Format::Arrow if magic.starts_with(b"ARROW1") => {
                Columnar::arrow_file(path.to_path_buf(), &shown)?
            }
            Format::Arrow => {
                Columnar::arrow_stream(Box::new(Cursor::new(magic).chain(source)), &shown)?
            }
        };
        Ok(Input {
            shown,
            header: body.header(),
            body: Body::Columnar(Box::new(body)),
        })
    }

    /// The column names, in file order.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The input as messages name it: its path, or `standard input`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Whether the input is Parquet or Arrow IPC (its columns have Arrow types).
    pub fn is_columnar(&self) -> bool {
        matches!(self.body, Body::Columnar(_))
    }

    /// [`Input::read`] of a Parquet or Arrow input, and the columns `arrays` in their own
    /// Arrow type, one array each (see `Columnar::read_with_arrays`).
    ///
    /// # Errors
    /// As [`Input::read`].
    ///
    /// # Panics
    /// For a CSV input (see [`Input::is_columnar`]).
    pub fn read_with_arrays(
        self,
        required: &[String],
        others: Others,
        text: TextRequest<'_>,
        arrays: &[String],
    ) -> CliResult<(Table, Vec<arrow_array::ArrayRef>)> {
        match self.body {
            Body::Columnar(c) => c.read_with_arrays(required, others, text, arrays),
            Body::Csv(_) => panic!("read_with_arrays of a CSV input"),
        }
    }

    /// The numeric columns `required` (and, with [`Others::Numeric`], every other numeric
    /// one but pandas' index) a chunk of rows at a time, for a pass that holds one chunk in
    /// memory ([`Chunks::next_chunk`]).
    ///
    /// # Errors
    /// A missing, duplicated or (columnar files) non-numeric column.
    pub fn chunks(self, required: &[String], others: Others) -> CliResult<Chunks> {
        Ok(match self.body {
            Body::Csv(records) => Chunks::Csv(Box::new(CsvChunks::new(
                *records,
                &self.header,
                &self.shown,
                required,
                others,
                TextRequest::default(),
            )?)),
            Body::Columnar(c) => Chunks::Columnar(c.chunks(required, others)?),
        })
    }

    /// Reads the columns `required` as numbers, with [`Others::Numeric`] every other numeric
    /// column too (not pandas' index), and the `text` columns as text.
    ///
    /// # Errors
    /// A missing, duplicated or non-numeric column, a malformed row or file, a read error;
    /// each naming the input (and the line or row and column where there is one).
    pub fn read(
        self,
        required: &[String],
        others: Others,
        text: TextRequest<'_>,
    ) -> CliResult<Table> {
        match self.body {
            Body::Csv(records) => {
                read_body(*records, &self.header, &self.shown, required, others, text)
            }
            Body::Columnar(c) => c.read(required, others, text),
        }
    }
}

/// Rows of CSV read per chunk: a few MB of numbers for tens of columns.
const CSV_CHUNK_ROWS: usize = 1 << 16;

/// An input read a chunk of rows at a time ([`Input::chunks`]): CSV in chunks of
/// `CSV_CHUNK_ROWS` (65 536) rows, Parquet and Arrow a batch at a time.
pub enum Chunks {
    /// CSV text.
    Csv(Box<CsvChunks<Box<dyn Read>>>),
    /// Parquet or Arrow IPC.
    Columnar(NumericChunks),
}

impl Chunks {
    /// The next rows, as a table of the numeric columns; none (a table of no rows) once
    /// every row is read. Every chunk of a columnar file holds the same columns; a CSV
    /// chunk leaves out a lenient column found not to be numeric in it or an earlier chunk.
    ///
    /// # Errors
    /// A read error or malformed row, named as [`Input::read`] names them.
    pub fn next_chunk(&mut self) -> CliResult<Table> {
        match self {
            Chunks::Csv(c) => c.next_chunk(CSV_CHUNK_ROWS),
            Chunks::Columnar(c) => c.next_chunk(),
        }
    }
}
