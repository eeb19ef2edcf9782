//! The columns a command reads, whatever the file format: numbers as `f64` and text cells as
//! the file spells them (CSV) or as pandas would write them to CSV (Parquet, Arrow).

use std::fmt;

/// Numeric (and text) columns read from a file.
#[derive(Debug)]
pub struct Table {
    /// Column names: the requested ones in the order asked, then any others kept.
    pub names: Vec<String>,
    /// One vector of values per name (NaN for missing cells: empty, pandas' `NA` tokens,
    /// `nan`, Parquet/Arrow nulls).
    pub columns: Vec<Vec<f64>>,
    /// Where each data row is in the file: its line for CSV (1-based; the header is line 1),
    /// its row number for Parquet and Arrow (1-based, data rows only); [`Table::rows_are`]
    /// tells which.
    pub lines: Vec<u64>,
    /// Whether [`Table::lines`] holds file lines or row numbers.
    pub rows_are: RowKind,
    /// Names of the text columns read: the required ones in the order asked, then the
    /// optional ones found, as the header spells them.
    pub text_names: Vec<String>,
    /// One column of cells per text name.
    pub text: Vec<TextColumn>,
    /// A leading column read as pandas' index (an empty or `Unnamed: 0` CSV header field,
    /// `__index_level_0__` in Parquet) and so not taken as a numeric column by
    /// `Others::Numeric`: its name, for the note a command prints.
    pub index_column: Option<String>,
}

/// What a [`Table`]'s row positions count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// Lines of a text file (CSV), the header included.
    Line,
    /// Data rows of a columnar file (Parquet, Arrow), from 1.
    Row,
}

/// Row `i` of a table as its messages name it: `line 12` or `row 11`.
#[derive(Clone, Copy, Debug)]
pub struct Place {
    kind: RowKind,
    at: u64,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            RowKind::Line => write!(f, "line {}", self.at),
            RowKind::Row => write!(f, "row {}", self.at),
        }
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

    /// The note for [`Table::index_column`], when there is one: the column that was not taken
    /// as a feature, and why.
    pub fn index_note(&self) -> Option<String> {
        let name = self.index_column.as_ref()?;
        Some(match name.as_str() {
            "" => "column 1 has no name: read as pandas' index, not used as a feature".into(),
            "Unnamed: 0" => "column 1 (\"Unnamed: 0\") has no name: read as pandas' index, not \
                             used as a feature"
                .into(),
            _ => format!("column {name:?} is pandas' index: not used as a feature"),
        })
    }

    /// Where data row `i` (0-based) is, for messages: `line N` or `row N`.
    ///
    /// # Panics
    /// If `i` is not below the number of rows.
    pub fn place(&self, i: usize) -> Place {
        Place {
            kind: self.rows_are,
            at: self.lines[i],
        }
    }
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

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no cell.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Appends a cell.
    pub(crate) fn push(&mut self, cell: &[u8]) {
        self.bytes.extend_from_slice(cell);
        self.ends.push(self.bytes.len());
    }

    /// Appends a cell written by `write` into the column's bytes (no copy through a buffer).
    pub(crate) fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        write(&mut self.bytes);
        self.ends.push(self.bytes.len());
    }

    /// Room for `rows` more cells.
    pub(crate) fn reserve(&mut self, rows: usize) {
        self.ends.reserve(rows);
    }
}

/// Whether a leading column's name is the one pandas gives its index: empty (the header
/// `to_csv` writes), `Unnamed: 0` (that header read back by pandas and written again), or
/// `__index_level_0__` (`to_parquet` of a frame with a non-default index).
pub fn is_index_name(name: &str) -> bool {
    name.is_empty() || name == "Unnamed: 0" || name == "__index_level_0__"
}
