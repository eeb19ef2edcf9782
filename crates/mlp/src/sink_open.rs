//! Opening the [`RowSink`] of `--output`: the format (flag, extension, or CSV), the file or
//! standard output, the check of `--keep` against the output's own columns, and the reading
//! of the kept columns in the form the output takes them. Apart from
//! [`crate::sink`], which the sinks themselves implement.

use crate::columnar_out::{typed_from_text, ColumnarSink};
use crate::csv_io::{Others, TextRequest};
use crate::csv_out::{CsvSink, Output};
use crate::error::{CliError, CliResult};
use crate::formats::{by_extension, choose, is_stdio, FileFormat, Format, CSV};
use crate::input::Input;
use crate::sink::{OutputColumns, RowSink};
use crate::table::Table;
use arrow_array::ArrayRef;
use std::path::Path;

/// The format of `--output PATH`: `format` when given, else by the extension (`.csv`,
/// `.csv.gz`, `.tsv`, `.parquet`, `.arrow`, ...); CSV for standard output (`-` or no path)
/// and for other extensions.
pub fn output_format(path: Option<&Path>, format: Option<Format>) -> FileFormat {
    let named = path.filter(|p| !is_stdio(p)).and_then(by_extension);
    choose(format, named).unwrap_or(CSV)
}

/// Whether the output of [`output_format`] is Parquet or Arrow (columns with types), not
/// CSV.
pub fn is_columnar(path: Option<&Path>, format: Option<Format>) -> bool {
    output_format(path, format).format != Format::Csv
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

/// The kept columns of an output, read with the rest of the input: [`Input::read`] of the
/// numeric columns `numeric` and the text columns `text` (with the `optional` ones), and the
/// columns `keep` as the output will hold them. For a CSV output they are text columns,
/// first in [`Table::text`] (a name in both `keep` and `text` read once); for a Parquet or
/// Arrow output (`columnar_out`) they are arrays, in [`OutputColumns::typed_kept`]'s terms:
/// the input's own arrays when it is Parquet or Arrow, else typed from their text
/// (`columnar_out::typed_from_text`), and `Table::text` holds `text` only.
///
/// # Errors
/// As [`Input::read`].
pub fn read_with_kept(
    input: Input,
    numeric: &[String],
    text: &[String],
    optional: &[&str],
    keep: &[String],
    columnar_out: bool,
) -> CliResult<(Table, Vec<ArrayRef>)> {
    let typed = input.is_columnar() && columnar_out;
    let mut names: Vec<String> = if typed { Vec::new() } else { keep.to_vec() };
    for c in text {
        if !names.contains(c) {
            names.push(c.clone());
        }
    }
    let request = TextRequest {
        required: &names,
        optional,
    };
    if typed {
        return input.read_with_arrays(numeric, Others::Skip, request, keep);
    }
    let table = input.read(numeric, Others::Skip, request)?;
    let arrays = match columnar_out {
        true => table.text[..keep.len()]
            .iter()
            .map(typed_from_text)
            .collect(),
        false => Vec::new(),
    };
    Ok((table, arrays))
}
