//! Streaming CSV input: columns chosen by name, parsed as `f64` (pandas' missing-value tokens
//! read as missing) or kept verbatim as text. Other formats and the choice between them are
//! [`crate::input`]'s; CSV output is [`crate::csv_out`]'s.

use crate::csv_records::Records;
use crate::error::{CliError, CliResult};
use crate::table::is_index_name;
pub use crate::table::{RowKind, Table, TextColumn};
use std::io::{self, Read};

/// Which columns [`read_numeric_from`] keeps besides the required ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Others {
    /// Only the required columns.
    Skip,
    /// Also every other column whose cells all parse as numbers (and are not all empty).
    Numeric,
}

/// pandas' default missing-value tokens (`read_csv`'s `na_values`), besides the empty cell:
/// read as missing (NaN) in a numeric column. `nan`, `NaN` and `-nan` parse as numbers anyway.
pub const NA_TOKENS: [&[u8]; 18] = [
    b"NA",
    b"N/A",
    b"n/a",
    b"NULL",
    b"null",
    b"None",
    b"<NA>",
    b"NaN",
    b"nan",
    b"-NaN",
    b"-nan",
    b"#N/A",
    b"#N/A N/A",
    b"#NA",
    b"-1.#IND",
    b"-1.#QNAN",
    b"1.#IND",
    b"1.#QNAN",
];

/// Parses one cell: surrounding ASCII spaces ignored, empty means NaN, otherwise anything
/// `f64::from_str` accepts (`1`, `-2.5e-3`, `nan`, `inf`, ...) or, only when that fails, one
/// of pandas' [`NA_TOKENS`] (NaN).
#[inline]
fn parse_cell(bytes: &[u8]) -> Option<f64> {
    let b = bytes.trim_ascii();
    if b.is_empty() {
        return Some(f64::NAN);
    }
    match std::str::from_utf8(b).ok().and_then(|s| s.parse().ok()) {
        Some(v) => Some(v),
        None => missing_token(b),
    }
}

/// NaN when `cell` is one of [`NA_TOKENS`]; the slow path of [`parse_cell`], taken only by a
/// cell that is not a number.
#[cold]
#[inline(never)]
fn missing_token(cell: &[u8]) -> Option<f64> {
    NA_TOKENS.contains(&cell).then_some(f64::NAN)
}

/// One column being read: where it is in the record and where its values go.
struct Slot {
    field: usize,
    values: Vec<f64>,
    strict: bool,
    /// For lenient columns: still numeric so far, and whether any cell was non-empty.
    numeric: bool,
    any_value: bool,
}

/// The columns [`read_columns_from`] reads besides the numeric ones it is given.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextRequest<'a> {
    /// Columns read as text; each must be in the header.
    pub required: &'a [String],
    /// Columns read as text when the header has one of these names (compared ignoring ASCII
    /// case), each at most once.
    pub optional: &'a [&'a str],
}

/// Reads the columns `required` (every cell must be a number or missing, else an error naming
/// the line and column) and, with [`Others::Numeric`], every other all-numeric column but a
/// leading pandas index ([`Table::index_column`]).
///
/// The source is streamed record by record into one reused buffer. A UTF-8 byte-order mark
/// before the header, LF or CRLF line endings and quoted fields are accepted (a file with
/// classic-Mac CR-only line endings is an error); a row with another number of fields than
/// the header is an error naming its line. `shown` names the source in error messages.
///
/// # Errors
/// A [`CliError`] for a source that cannot be read, an empty one, a missing or duplicated
/// required column, a ragged row or a non-numeric cell.
pub fn read_numeric_from(
    source: impl Read,
    shown: &str,
    required: &[String],
    others: Others,
) -> CliResult<Table> {
    read_columns_from(source, shown, required, others, TextRequest::default())
}

/// [`read_numeric_from`], and the columns of `text` as text ([`Table::text`]). A column may
/// be read both ways (a price carried to the output as written, and parsed).
///
/// # Errors
/// As [`read_numeric_from`], and for a required text column missing or duplicated.
pub fn read_columns_from(
    source: impl Read,
    shown: &str,
    required: &[String],
    others: Others,
    text: TextRequest<'_>,
) -> CliResult<Table> {
    let (records, header) = open_records(source, b',', shown)?;
    read_body(records, &header, shown, required, others, text)
}

/// The records of a CSV source separated by `sep`, and its header (the first record), read.
///
/// # Errors
/// A source that cannot be read, an empty one, a header name that is not UTF-8.
pub(crate) fn open_records<R: Read>(
    source: R,
    sep: u8,
    shown: &str,
) -> CliResult<(Records<R>, Vec<String>)> {
    let mut record = Records::new(source, sep);
    let read_err = |e: io::Error| CliError::io(format!("cannot read {shown}"), e);
    let Some(header_line) = record.next_record().map_err(read_err)? else {
        return Err(CliError::new(format!(
            "{shown}: the file is empty (a header row is required)"
        )));
    };
    let header = header_names(&record, shown, header_line)?;
    Ok((record, header))
}

/// The rest of [`read_columns_from`]: the data records after the `header` read by
/// [`open_records`].
pub(crate) fn read_body<R: Read>(
    record: Records<R>,
    header: &[String],
    shown: &str,
    required: &[String],
    others: Others,
    text: TextRequest<'_>,
) -> CliResult<Table> {
    let mut body = CsvChunks::new(record, header, shown, required, others, text)?;
    let mut table = body.next_chunk(usize::MAX)?;
    // A lenient column is kept only when it holds a value somewhere.
    let read = body.slots.iter().filter(|s| s.strict || s.numeric);
    let keep: Vec<bool> = read.map(|s| s.strict || s.any_value).collect();
    let columns = std::mem::take(&mut table.columns);
    let names = std::mem::take(&mut table.names);
    for ((name, column), keep) in names.into_iter().zip(columns).zip(keep) {
        if keep {
            table.names.push(name);
            table.columns.push(column);
        }
    }
    Ok(table)
}

/// The data records of a CSV source read a chunk of rows at a time (`CsvChunks::next_chunk`).
/// A lenient column ([`Others::Numeric`]) found not numeric in one chunk is left out of that
/// chunk and every later one; one numeric so far is in each chunk's table, even when all its
/// cells so far are empty (`read_body`, reading everything, leaves those out).
pub struct CsvChunks<R: Read> {
    record: Records<R>,
    header: Vec<String>,
    shown: String,
    slots: Vec<Slot>,
    names: Vec<String>,
    text_fields: Vec<usize>,
    text_names: Vec<String>,
    index_column: Option<String>,
}

impl<R: Read> CsvChunks<R> {
    /// The columns to read, found in `header` (the header record already read).
    ///
    /// # Errors
    /// A required column (numeric or text) missing or named twice in the header.
    pub(crate) fn new(
        record: Records<R>,
        header: &[String],
        shown: &str,
        required: &[String],
        others: Others,
        text: TextRequest<'_>,
    ) -> CliResult<Self> {
        let width = header.len();
        let index_column = (others == Others::Numeric && width > 1 && is_index_name(&header[0]))
            .then(|| header[0].clone());
        let slot = |field, strict| Slot {
            field,
            values: Vec::new(),
            strict,
            numeric: true,
            any_value: false,
        };
        let mut slots: Vec<Slot> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for name in required {
            slots.push(slot(find_column(shown, header, name)?, true));
            names.push(name.clone());
        }
        if others == Others::Numeric {
            for (field, name) in header.iter().enumerate() {
                if names.contains(name) || (field == 0 && index_column.is_some()) {
                    continue;
                }
                slots.push(slot(field, false));
                names.push(name.clone());
            }
        }
        let mut text_fields: Vec<usize> = Vec::new();
        let mut text_names: Vec<String> = Vec::new();
        for name in text.required {
            text_fields.push(find_column(shown, header, name)?);
            text_names.push(name.clone());
        }
        for want in text.optional {
            if let Some(field) = header.iter().position(|h| h.eq_ignore_ascii_case(want)) {
                if !text_fields.contains(&field) {
                    text_fields.push(field);
                    text_names.push(header[field].clone());
                }
            }
        }
        Ok(CsvChunks {
            record,
            header: header.to_vec(),
            shown: shown.to_string(),
            slots,
            names,
            text_fields,
            text_names,
            index_column,
        })
    }

    /// The next `max_rows` data rows (fewer at the end; none once every row is read).
    ///
    /// # Errors
    /// A read error, a ragged row, a non-numeric cell in a required column; each naming the
    /// line.
    pub(crate) fn next_chunk(&mut self, max_rows: usize) -> CliResult<Table> {
        let shown = &self.shown;
        let read_err = |e: io::Error| CliError::io(format!("cannot read {shown}"), e);
        let width = self.header.len();
        let mut text_columns: Vec<TextColumn> = self
            .text_fields
            .iter()
            .map(|_| TextColumn::default())
            .collect();
        let mut lines = Vec::new();
        while lines.len() < max_rows {
            let Some(line) = self.record.next_record().map_err(read_err)? else {
                break;
            };
            let record = &self.record;
            // Blank lines are skipped, as by pandas (`skip_blank_lines`); the parser drops
            // "\n" lines itself but hands on the "\r" of a CRLF one.
            if record.len() == 1 && matches!(record.field(0), b"" | b"\r") {
                continue;
            }
            if record.len() != width {
                return Err(ragged(shown, line, record.len(), width));
            }
            for slot in &mut self.slots {
                if !slot.numeric {
                    continue;
                }
                let cell = record.field(slot.field);
                match parse_cell(cell) {
                    Some(v) => {
                        slot.any_value |= !v.is_nan();
                        slot.values.push(v);
                    }
                    None if slot.strict => {
                        return Err(CliError::new(format!(
                            "{shown}: line {line}, column {} ({:?}): {:?} is not a number",
                            slot.field + 1,
                            self.header[slot.field],
                            String::from_utf8_lossy(cell.trim_ascii())
                        )));
                    }
                    None => {
                        slot.numeric = false;
                        slot.values = Vec::new();
                    }
                }
            }
            for (col, &field) in text_columns.iter_mut().zip(&self.text_fields) {
                let cell = record.field(field);
                let cell = if field + 1 == width {
                    cell.strip_suffix(b"\r").unwrap_or(cell)
                } else {
                    cell
                };
                col.push(cell);
            }
            lines.push(line);
        }
        let mut table = Table {
            names: Vec::with_capacity(self.slots.len()),
            columns: Vec::with_capacity(self.slots.len()),
            lines,
            rows_are: RowKind::Line,
            text_names: self.text_names.clone(),
            text: text_columns,
            index_column: self.index_column.clone(),
        };
        for (slot, name) in self.slots.iter_mut().zip(&self.names) {
            if slot.strict || slot.numeric {
                table.names.push(name.clone());
                table.columns.push(std::mem::take(&mut slot.values));
            }
        }
        Ok(table)
    }
}

/// The header record's names, trimmed; an error for a name that is not UTF-8 or holds a
/// carriage return.
fn header_names<R: Read>(record: &Records<R>, shown: &str, line: u64) -> CliResult<Vec<String>> {
    let mut header: Vec<String> = Vec::with_capacity(record.len());
    for (j, field) in record.iter().enumerate() {
        let name = std::str::from_utf8(field).map_err(|_| {
            CliError::new(format!(
                "{shown}: line {line}: header field {} is not valid UTF-8",
                j + 1
            ))
        })?;
        let name = name.trim();
        if name.contains('\r') {
            return Err(CliError::new(format!(
                "{shown}: line {line}: header field {} holds a carriage return; lines must end in \
                 LF or CRLF (convert classic-Mac CR line endings first)",
                j + 1
            )));
        }
        header.push(name.to_string());
    }
    Ok(header)
}

/// The field of the one header column called `name`.
pub(crate) fn find_column(shown: &str, header: &[String], name: &str) -> CliResult<usize> {
    let mut at = header.iter().enumerate().filter(|(_, h)| *h == name);
    let Some((field, _)) = at.next() else {
        return Err(CliError::new(format!(
            "{shown}: no column {name:?} (the header has: {})",
            header.join(", ")
        )));
    };
    if at.next().is_some() {
        return Err(CliError::new(format!(
            "{shown}: column {name:?} appears more than once in the header"
        )));
    }
    Ok(field)
}

/// The error for a row whose number of fields differs from the header's.
fn ragged(shown: &str, line: u64, len: usize, width: usize) -> CliError {
    let fields = if len == 1 { "field" } else { "fields" };
    CliError::new(format!(
        "{shown}: line {line} has {len} {fields}, the header has {width}"
    ))
}
