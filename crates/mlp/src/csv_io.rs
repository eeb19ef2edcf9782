//! Streaming CSV input (columns chosen by name, parsed as `f64` or kept verbatim as text) and
//! output written through a temporary file and a rename, so a failure never leaves a partial
//! file behind.

use crate::csv_records::Records;
use crate::error::{CliError, CliResult};
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Numeric (and text) columns read from a CSV file.
#[derive(Debug)]
pub struct Table {
    /// Column names: the requested ones in the order asked, then any others kept.
    pub names: Vec<String>,
    /// One vector of values per name (NaN for empty cells and `nan`).
    pub columns: Vec<Vec<f64>>,
    /// Line in the file where each data row starts (1-based; the header is line 1).
    pub lines: Vec<u64>,
    /// Names of the text columns read ([`read_columns`]): the required ones in the order
    /// asked, then the optional ones found, as the header spells them.
    pub text_names: Vec<String>,
    /// One column of cells per text name.
    pub text: Vec<TextColumn>,
}

/// The cells of one column as the file holds them (quotes removed, escapes resolved, spaces
/// kept; only a CRLF line ending's carriage return is dropped): dates, symbols, any column
/// carried through to the output unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextColumn {
    bytes: Vec<u8>,
    /// Cell `i` is `bytes[ends[i - 1]..ends[i]]` (from 0 for the first).
    ends: Vec<usize>,
}

impl TextColumn {
    /// Cell `i`.
    ///
    /// # Panics
    /// If `i` is not below the number of rows.
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// Every cell, in row order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.ends.len()).map(|i| self.get(i))
    }

    pub(crate) fn push(&mut self, cell: &[u8]) {
        self.bytes.extend_from_slice(cell);
        self.ends.push(self.bytes.len());
    }
}

impl Table {
    /// Number of data rows.
    pub fn nrows(&self) -> usize {
        self.lines.len()
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        let j = self.names.iter().position(|n| n == name)?;
        Some(&self.columns[j])
    }
}

/// Which columns [`read_numeric`] keeps besides the required ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Others {
    /// Only the required columns.
    Skip,
    /// Also every other column whose cells all parse as numbers (and are not all empty).
    Numeric,
}

/// Parses one cell: surrounding ASCII spaces ignored, empty means NaN, otherwise anything
/// `f64::from_str` accepts (`1`, `-2.5e-3`, `nan`, `inf`, ...).
#[inline]
fn parse_cell(bytes: &[u8]) -> Option<f64> {
    let b = bytes.trim_ascii();
    if b.is_empty() {
        return Some(f64::NAN);
    }
    std::str::from_utf8(b).ok()?.parse().ok()
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

/// The columns [`read_columns`] reads besides the numeric ones it is given.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextRequest<'a> {
    /// Columns read as text; each must be in the header.
    pub required: &'a [String],
    /// Columns read as text when the header has one of these names (compared ignoring ASCII
    /// case), each at most once.
    pub optional: &'a [&'a str],
}

/// Reads the columns `required` (every cell must be a number or empty, else an error naming
/// the line and column) and, with [`Others::Numeric`], every other all-numeric column.
///
/// The file is streamed record by record into one reused buffer. A UTF-8 byte-order mark
/// before the header, LF or CRLF line endings and quoted fields are accepted (a file with
/// classic-Mac CR-only line endings is an error); a row with another
/// number of fields than the header is an error naming its line.
///
/// # Errors
/// A [`CliError`] for a file that cannot be opened or read, an empty file, a missing or
/// duplicated required column, a ragged row or a non-numeric cell.
pub fn read_numeric(path: &Path, required: &[String], others: Others) -> CliResult<Table> {
    read_columns(path, required, others, TextRequest::default())
}

/// [`read_numeric`], and the columns of `text` as text ([`Table::text`]). A column may be
/// read both ways (a price carried to the output as written, and parsed).
///
/// # Errors
/// As [`read_numeric`], and for a required text column missing or duplicated.
pub fn read_columns(
    path: &Path,
    required: &[String],
    others: Others,
    text: TextRequest<'_>,
) -> CliResult<Table> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|e| CliError::io(format!("cannot open {shown}"), e))?;
    read_columns_from(file, &shown, required, others, text)
}

/// [`read_numeric`] over any reader; `shown` names the source in error messages.
///
/// # Errors
/// As [`read_numeric`], except opening.
pub fn read_numeric_from(
    source: impl Read,
    shown: &str,
    required: &[String],
    others: Others,
) -> CliResult<Table> {
    read_columns_from(source, shown, required, others, TextRequest::default())
}

/// [`read_columns`] over any reader; `shown` names the source in error messages.
///
/// # Errors
/// As [`read_columns`], except opening.
pub fn read_columns_from(
    source: impl Read,
    shown: &str,
    required: &[String],
    others: Others,
    text: TextRequest<'_>,
) -> CliResult<Table> {
    let mut record = Records::new(source);
    let read_err = |e: io::Error| CliError::io(format!("cannot read {shown}"), e);
    let Some(header_line) = record.next_record().map_err(read_err)? else {
        return Err(CliError::new(format!(
            "{shown}: the file is empty (a header row is required)"
        )));
    };
    let header = header_names(&record, shown, header_line)?;
    let width = header.len();

    let mut slots: Vec<Slot> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for name in required {
        let field = find_column(shown, &header, name)?;
        slots.push(Slot {
            field,
            values: Vec::new(),
            strict: true,
            numeric: true,
            any_value: false,
        });
        names.push(name.clone());
    }
    if others == Others::Numeric {
        for (field, name) in header.iter().enumerate() {
            if names.contains(name) {
                continue;
            }
            slots.push(Slot {
                field,
                values: Vec::new(),
                strict: false,
                numeric: true,
                any_value: false,
            });
            names.push(name.clone());
        }
    }

    let mut text_fields: Vec<usize> = Vec::new();
    let mut text_names: Vec<String> = Vec::new();
    for name in text.required {
        text_fields.push(find_column(shown, &header, name)?);
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
    let mut text_columns: Vec<TextColumn> =
        text_fields.iter().map(|_| TextColumn::default()).collect();

    let mut lines = Vec::new();
    while let Some(line) = record.next_record().map_err(read_err)? {
        // Blank lines are skipped, as by pandas (`skip_blank_lines`); the parser drops
        // "\n" lines itself but hands on the "\r" of a CRLF one.
        if record.len() == 1 && matches!(record.field(0), b"" | b"\r") {
            continue;
        }
        if record.len() != width {
            return Err(ragged(shown, line, record.len(), width));
        }
        for slot in &mut slots {
            if !slot.numeric {
                continue;
            }
            let cell = record.field(slot.field);
            match parse_cell(cell) {
                Some(v) => {
                    slot.any_value |= !v.is_nan() || !cell.trim_ascii().is_empty();
                    slot.values.push(v);
                }
                None if slot.strict => {
                    return Err(CliError::new(format!(
                        "{shown}: line {line}, column {} ({:?}): {:?} is not a number",
                        slot.field + 1,
                        header[slot.field],
                        String::from_utf8_lossy(cell.trim_ascii())
                    )));
                }
                None => {
                    slot.numeric = false;
                    slot.values = Vec::new();
                }
            }
        }
        for (col, &field) in text_columns.iter_mut().zip(&text_fields) {
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
        names: Vec::with_capacity(slots.len()),
        columns: Vec::with_capacity(slots.len()),
        lines,
        text_names,
        text: text_columns,
    };
    for (slot, name) in slots.into_iter().zip(names) {
        if slot.strict || (slot.numeric && slot.any_value) {
            table.names.push(name);
            table.columns.push(slot.values);
        }
    }
    Ok(table)
}

/// The column names of the file at `path` (its first record), as [`read_columns`] reads
/// them: to choose columns by the names a file has before reading them.
///
/// # Errors
/// As [`read_columns`], for the file and its header.
pub fn read_header(path: &Path) -> CliResult<Vec<String>> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|e| CliError::io(format!("cannot open {shown}"), e))?;
    let mut record = Records::new(file);
    let read_err = |e: io::Error| CliError::io(format!("cannot read {shown}"), e);
    match record.next_record().map_err(read_err)? {
        Some(line) => header_names(&record, &shown, line),
        None => Err(CliError::new(format!(
            "{shown}: the file is empty (a header row is required)"
        ))),
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
fn find_column(shown: &str, header: &[String], name: &str) -> CliResult<usize> {
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

/// Where output goes: standard output, or a temporary file renamed over the target by
/// [`Output::commit`]. Dropping an uncommitted file output removes the temporary file.
pub enum Output {
    /// Buffered standard output.
    Stdout(BufWriter<io::Stdout>),
    /// A temporary file beside the target.
    File {
        /// The buffered temporary file (None once committed).
        writer: Option<BufWriter<File>>,
        /// The temporary file's path.
        tmp: PathBuf,
        /// The final path.
        target: PathBuf,
    },
}

impl Output {
    /// Standard output when `path` is None, else a temporary file in `path`'s directory.
    ///
    /// # Errors
    /// A [`CliError`] when the temporary file cannot be created.
    pub fn create(path: Option<&Path>) -> CliResult<Output> {
        let Some(path) = path else {
            return Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 16,
                io::stdout(),
            )));
        };
        let tmp = temp_path(path);
        let file = File::create(&tmp).map_err(|e| {
            CliError::io(format!("cannot create output file {}", path.display()), e)
        })?;
        Ok(Output::File {
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
            tmp,
            target: path.to_path_buf(),
        })
    }

    /// A description of the destination for messages.
    pub fn describe(&self) -> String {
        match self {
            Output::Stdout(_) => "standard output".into(),
            Output::File { target, .. } => target.display().to_string(),
        }
    }

    /// Flushes, and for a file syncs it and renames it over the target.
    ///
    /// # Errors
    /// A [`CliError`] naming the output when any step fails (the temporary file is removed).
    pub fn commit(mut self) -> CliResult<()> {
        let what = self.describe();
        let err = |e: io::Error| CliError::io(format!("cannot write {what}"), e);
        match &mut self {
            Output::Stdout(w) => w.flush().map_err(err),
            Output::File {
                writer,
                tmp,
                target,
            } => {
                let Some(w) = writer.take() else {
                    return Ok(());
                };
                let file = w.into_inner().map_err(|e| err(e.into_error()))?;
                file.sync_all().map_err(err)?;
                drop(file);
                std::fs::rename(&*tmp, &*target).map_err(err)
            }
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Output::File {
            writer: writer @ Some(_),
            tmp,
            ..
        } = self
        {
            drop(writer.take());
            let _ = std::fs::remove_file(&*tmp);
        }
    }
}

impl Write for Output {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File { writer, .. } => match writer {
                Some(w) => w.write(buf),
                None => Err(io::Error::other("output already committed")),
            },
        }
    }

    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.write_all(buf),
            Output::File { writer, .. } => match writer {
                Some(w) => w.write_all(buf),
                None => Err(io::Error::other("output already committed")),
            },
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File { writer, .. } => writer.as_mut().map_or(Ok(()), |w| w.flush()),
        }
    }
}

/// The temporary file beside `path` that an output goes through before its final rename:
/// `dir/.name.tmp<pid>`, on the same file system, so the rename cannot fail half-way.
pub fn temp_path(path: &Path) -> PathBuf {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    dir.join(format!(".{name}.tmp{}", std::process::id()))
}

/// Appends one CSV cell for `v` to `line`: empty for NaN, `inf`/`-inf` for infinities, else
/// the shortest text that reads back as the same `f64` (zmij; exponent notation for very small
/// or large magnitudes).
#[inline]
pub fn push_cell(line: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        line.extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
    } else if v.is_nan() {
        // An empty cell.
    } else if v > 0.0 {
        line.extend_from_slice(b"inf");
    } else {
        line.extend_from_slice(b"-inf");
    }
}

/// Appends one CSV cell holding `text` as it is, quoted when it holds a comma, quote or line
/// break.
#[inline]
pub fn push_text_cell(line: &mut Vec<u8>, text: &[u8]) {
    if !text
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        line.extend_from_slice(text);
        return;
    }
    line.push(b'"');
    for &b in text {
        if b == b'"' {
            line.push(b'"');
        }
        line.push(b);
    }
    line.push(b'"');
}

/// The output header with the `--keep` columns first: `keep`, then `names`.
///
/// # Errors
/// A column named twice in `keep`, or also one of `names` (the output would have two
/// columns of that name).
pub fn header_with_kept(keep: &[String], names: &[String]) -> CliResult<Vec<String>> {
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
    Ok(keep.iter().chain(names).cloned().collect())
}

/// Appends row `row` of each of `columns` as text cells, each followed by a comma: the kept
/// input columns that start an output row.
#[inline]
pub fn push_kept_cells(line: &mut Vec<u8>, columns: &[TextColumn], row: usize) {
    for col in columns {
        push_text_cell(line, col.get(row));
        line.push(b',');
    }
}

/// Writes a header row, quoting names that need it.
pub fn write_header(w: &mut impl Write, names: &[String]) -> io::Result<()> {
    let mut line = Vec::new();
    for (j, name) in names.iter().enumerate() {
        if j > 0 {
            line.push(b',');
        }
        push_text_cell(&mut line, name.as_bytes());
    }
    line.push(b'\n');
    w.write_all(&line)
}
