//! File formats and how one is chosen: `--format`/`--output-format` when given, else the
//! file's extension, else (reading) the file's first bytes; `-` is standard input or output.

use clap::ValueEnum;
use std::path::Path;

/// A file format the program reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Delimited text with a header row (comma-separated unless `--sep` or `.tsv`;
    /// gzip-compressed when the name ends in `.gz`, or reading, when the bytes are gzip's).
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC: the file format (Feather v2) or the stream format.
    Arrow,
}

/// How a file is read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileFormat {
    /// The format.
    pub format: Format,
    /// CSV compressed with gzip.
    pub gzip: bool,
    /// The CSV field separator.
    pub sep: u8,
}

/// Whether `path` is `-`: standard input or output.
pub fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The format a path's extension names (`.csv`, `.tsv`, `.txt`, any of them `.gz`;
/// `.parquet`, `.pq`; `.arrow`, `.feather`, `.ipc`, `.arrows`), or `None`.
pub fn by_extension(path: &Path) -> Option<FileFormat> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let (stem, gzip) = match name.strip_suffix(".gz") {
        Some(stem) => (stem, true),
        None => (name.as_str(), false),
    };
    let ext = stem.rsplit_once('.').map(|(_, e)| e);
    let csv = |sep| FileFormat {
        format: Format::Csv,
        gzip,
        sep,
    };
    let columnar = |format| FileFormat {
        format,
        gzip: false,
        sep: b',',
    };
    match (ext, gzip) {
        (Some("tsv" | "tab"), _) => Some(csv(b'\t')),
        (Some("csv" | "txt"), _) | (_, true) => Some(csv(b',')),
        (Some("parquet" | "pq"), false) => Some(columnar(Format::Parquet)),
        (Some("arrow" | "feather" | "ipc" | "arrows"), false) => Some(columnar(Format::Arrow)),
        _ => None,
    }
}

/// CSV separated by commas, uncompressed.
pub const CSV: FileFormat = FileFormat {
    format: Format::Csv,
    gzip: false,
    sep: b',',
};

/// The format given by a flag (`given`), else the one a name shows (`named`): the name's
/// details (gzip, tab) kept when it names the flag's format too.
pub fn choose(given: Option<Format>, named: Option<FileFormat>) -> Option<FileFormat> {
    match (given, named) {
        (Some(f), Some(n)) if f == n.format => Some(n),
        (Some(format), _) => Some(FileFormat { format, ..CSV }),
        (None, named) => named,
    }
}

/// The format `magic` (a file's first bytes) shows: Parquet's `PAR1`, Arrow's `ARROW1` or
/// stream continuation marker, gzip's `1f 8b` (CSV inside); `None` for anything else.
pub fn by_content(magic: &[u8]) -> Option<FileFormat> {
    let of = |format, gzip| FileFormat {
        format,
        gzip,
        sep: b',',
    };
    if magic.starts_with(b"PAR1") {
        Some(of(Format::Parquet, false))
    } else if magic.starts_with(b"ARROW1") || magic.starts_with(&[0xff, 0xff, 0xff, 0xff]) {
        Some(of(Format::Arrow, false))
    } else if magic.starts_with(&[0x1f, 0x8b]) {
        Some(of(Format::Csv, true))
    } else {
        None
    }
}

/// Parses `--sep`: one ASCII character other than a quote or line break, or a name for one
/// (`tab` or `\t`, `comma`, `semicolon`, `pipe`, `space`).
///
/// # Errors
/// A message for clap when the value names no separator.
pub fn parse_sep(s: &str) -> Result<u8, String> {
    let byte = match s {
        "\\t" | "tab" | "TAB" => b'\t',
        "comma" => b',',
        "semicolon" => b';',
        "pipe" => b'|',
        "space" => b' ',
        _ if s.len() == 1 => s.as_bytes()[0],
        _ => {
            return Err(format!(
                "{s:?} is not one character (give one ASCII character, or tab, comma, \
                 semicolon, pipe, space)"
            ))
        }
    };
    if !byte.is_ascii() || matches!(byte, b'"' | b'\n' | b'\r') {
        return Err(format!("{s:?} cannot separate fields"));
    }
    Ok(byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_name_formats() {
        let f = |p: &str| by_extension(Path::new(p)).map(|f| (f.format, f.gzip, f.sep));
        assert_eq!(f("a.csv"), Some((Format::Csv, false, b',')));
        assert_eq!(f("a.CSV.gz"), Some((Format::Csv, true, b',')));
        assert_eq!(f("d/a.tsv"), Some((Format::Csv, false, b'\t')));
        assert_eq!(f("a.parquet"), Some((Format::Parquet, false, b',')));
        assert_eq!(f("a.feather"), Some((Format::Arrow, false, b',')));
        assert_eq!(f("a.dat"), None);
        assert_eq!(f("-"), None);
    }

    #[test]
    fn separators() {
        assert_eq!(parse_sep(";"), Ok(b';'));
        assert_eq!(parse_sep("\\t"), Ok(b'\t'));
        assert_eq!(parse_sep("\t"), Ok(b'\t'));
        assert_eq!(parse_sep("tab"), Ok(b'\t'));
        assert!(parse_sep("\"").is_err());
        assert!(parse_sep(";;").is_err());
    }
}
