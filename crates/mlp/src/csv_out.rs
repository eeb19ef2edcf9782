//! CSV output: cells, and the destination every output goes through (a temporary file and a
//! rename, so a failure never leaves a partial file behind); [`CsvSink`] writes the rows of
//! `features` and `predict`.

use crate::error::{CliError, CliResult};
use crate::sink::{push_each, OutputColumns, RowSink, RowValues, ValueKind};
use crate::table::TextColumn;
use fast_math::Par;
use flate2::write::GzEncoder;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

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

    /// Flushes, and for a file renames it over the target: readers see the old file or the
    /// whole new one, never a part. The file is not synced to disk (neither pandas nor
    /// Polars do; on a 450 MB output the sync alone took 0.85 s): the rename protects from
    /// a failed run, not from a power cut.
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

/// Appends one CSV cell holding `text` as it is, quoted when it holds the separator `sep`, a
/// quote or a line break.
#[inline]
pub fn push_text_cell(line: &mut Vec<u8>, text: &[u8], sep: u8) {
    if !text
        .iter()
        .any(|&b| b == sep || matches!(b, b'"' | b'\n' | b'\r'))
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

/// Rows written as CSV (gzip-compressed or not) to an [`Output`].
pub struct CsvSink {
    writer: CsvWriter,
    format: RowFormat,
    line: Vec<u8>,
    what: String,
}

/// The blocks of one round of [`CsvSink`]'s `push_rows`, each its formatted bytes and a
/// buffer for a row's numbers.
type Round = Vec<(Vec<u8>, Vec<f64>)>;

/// How a row becomes a CSV line.
struct RowFormat {
    sep: u8,
    kinds: Vec<ValueKind>,
    /// A row with a single empty cell is written `""`, not as a blank line readers skip.
    single: bool,
}

impl RowFormat {
    /// Appends row `row`'s line to `line`: its cells of `kept`, then `values`.
    fn push(&self, line: &mut Vec<u8>, kept: &[TextColumn], row: usize, values: &[f64]) {
        let start = line.len();
        for col in kept {
            push_text_cell(line, col.get(row), self.sep);
            line.push(self.sep);
        }
        for (j, (&v, kind)) in values.iter().zip(&self.kinds).enumerate() {
            if j > 0 {
                line.push(self.sep);
            }
            match kind {
                ValueKind::Int if v.is_finite() => {
                    let _ = write!(line, "{}", v as i64);
                }
                _ => push_cell(line, v),
            }
        }
        if kept.is_empty() && self.single && line.len() == start {
            line.extend_from_slice(b"\"\"");
        }
        line.push(b'\n');
    }
}

/// Where a [`CsvSink`]'s bytes go.
enum CsvWriter {
    Plain(Output),
    Gzip(Box<GzEncoder<Output>>),
}

impl CsvWriter {
    fn write_all(&mut self, bytes: &[u8], what: &str) -> CliResult<()> {
        let r = match self {
            CsvWriter::Plain(w) => w.write_all(bytes),
            CsvWriter::Gzip(w) => w.write_all(bytes),
        };
        r.map_err(|e| CliError::io(format!("cannot write {what}"), e))
    }
}

/// Rows per block formatted on one thread by [`CsvSink`]'s `push_rows`: a few hundred
/// kilobytes of text, so a block's hand-off is negligible against its formatting.
const FORMAT_BLOCK_ROWS: usize = 1024;

/// Blocks per thread in one round of `push_rows` (formatted in parallel, then written in
/// order by the writer thread while the next round is formatted).
const BLOCKS_PER_THREAD: usize = 4;

impl CsvSink {
    /// A sink writing to `out` (compressed with gzip when `gzip`), fields separated by `sep`;
    /// writes the header row.
    ///
    /// # Errors
    /// The header cannot be written.
    pub fn new(out: Output, gzip: bool, sep: u8, columns: &OutputColumns) -> CliResult<Self> {
        let what = out.describe();
        let mut writer = if gzip {
            CsvWriter::Gzip(Box::new(GzEncoder::new(
                out,
                flate2::Compression::default(),
            )))
        } else {
            CsvWriter::Plain(out)
        };
        let names: Vec<&String> = columns.names().collect();
        let mut line = Vec::with_capacity(32 * names.len());
        for (j, name) in names.iter().enumerate() {
            if j > 0 {
                line.push(sep);
            }
            push_text_cell(&mut line, name.as_bytes(), sep);
        }
        line.push(b'\n');
        writer.write_all(&line, &what)?;
        Ok(CsvSink {
            writer,
            format: RowFormat {
                sep,
                kinds: columns.values.iter().map(|v| v.1).collect(),
                single: names.len() == 1,
            },
            line,
            what,
        })
    }
}

impl RowSink for CsvSink {
    fn push_row(&mut self, kept: &[TextColumn], row: usize, values: &[f64]) -> CliResult<()> {
        self.line.clear();
        self.format.push(&mut self.line, kept, row, values);
        self.writer.write_all(&self.line, &self.what)
    }

    /// Formatting the numbers is most of the cost of a CSV output (the shortest round-trip
    /// text of each float), so with several threads the rows are formatted in blocks on
    /// all of them, round by round, while a writer thread writes the previous round's
    /// blocks in row order (a large output waits on the disk as long as it formats: the two
    /// overlap).
    fn push_rows(
        &mut self,
        kept: &[TextColumn],
        rows: Range<usize>,
        values: &RowValues<'_>,
        par: Par,
    ) -> CliResult<()> {
        let threads = par.threads();
        if threads <= 1 || rows.len() < 2 * FORMAT_BLOCK_ROWS {
            return push_each(self, kept, rows, values);
        }
        let blocks = threads * BLOCKS_PER_THREAD;
        let per_round = blocks * FORMAT_BLOCK_ROWS;
        let (format, writer, what) = (&self.format, &mut self.writer, self.what.as_str());
        // Two rounds of buffers: one being formatted, one being written.
        let (to_writer, written) = mpsc::sync_channel::<Round>(1);
        let (recycle, free) = mpsc::channel::<Round>();
        for _ in 0..2 {
            let round: Round = (0..blocks).map(|_| Default::default()).collect();
            recycle.send(round).expect("the receiver is alive");
        }
        std::thread::scope(|s| {
            // Owned here, so that a panic while formatting drops it and ends the writer's
            // loop instead of leaving the scope waiting for it.
            let to_writer = to_writer;
            let writing = s.spawn(move || -> CliResult<()> {
                for round in written {
                    for (line, _) in &round {
                        writer.write_all(line, what)?;
                    }
                    // The formatter may have stopped; then the buffers are just dropped.
                    let _ = recycle.send(round);
                }
                Ok(())
            });
            for r0 in rows.clone().step_by(per_round) {
                // No buffers back: the writer failed and dropped them; its error is below.
                let Ok(mut round) = free.recv() else { break };
                let jobs: Vec<_> = round
                    .iter_mut()
                    .enumerate()
                    .map(|(b, block)| {
                        let start = (r0 + b * FORMAT_BLOCK_ROWS).min(rows.end);
                        (start..(start + FORMAT_BLOCK_ROWS).min(rows.end), block)
                    })
                    .collect();
                fast_math::for_each_job(par, jobs, |(block_rows, (line, buf))| {
                    line.clear();
                    for t in block_rows {
                        buf.clear();
                        values(t, buf);
                        format.push(line, kept, t, buf);
                    }
                });
                if to_writer.send(round).is_err() {
                    break;
                }
            }
            drop(to_writer);
            writing
                .join()
                .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
        })
    }

    fn finish(self: Box<Self>) -> CliResult<()> {
        match self.writer {
            CsvWriter::Plain(out) => out.commit(),
            CsvWriter::Gzip(gz) => {
                let what = self.what;
                let out = gz
                    .finish()
                    .map_err(|e| CliError::io(format!("cannot write {what}"), e))?;
                out.commit()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes a sink writes for `n` rows: two kept text columns (one needing quotes),
    /// a float column with NaN and infinities, an integer column.
    fn written(n: usize, par: Par, one_by_one: bool) -> Vec<u8> {
        let (mut a, mut b) = (TextColumn::default(), TextColumn::default());
        for t in 0..n {
            a.push(format!("s{}", t % 7).as_bytes());
            b.push(if t % 5 == 0 { b"x,\"y\"" } else { b"plain" });
        }
        let mut columns = OutputColumns::floats(&["a".into(), "b".into()], &["v".into()]);
        columns.values.push(("k".into(), ValueKind::Int));
        let path = std::env::temp_dir().join(format!(
            "mlp_csv_out_{}_{n}_{}_{one_by_one}.csv",
            std::process::id(),
            par.threads()
        ));
        let out = Output::create(Some(&path)).unwrap();
        let mut sink: Box<dyn RowSink> =
            Box::new(CsvSink::new(out, false, b',', &columns).unwrap());
        let values = |t: usize, v: &mut Vec<f64>| {
            let x = match t % 11 {
                3 => f64::NAN,
                4 => f64::INFINITY,
                5 => f64::NEG_INFINITY,
                _ => (t as f64 * 0.37).sin() * 1e3,
            };
            v.extend_from_slice(&[x, (t % 4) as f64]);
        };
        let kept = [a, b];
        if one_by_one {
            let mut v = Vec::new();
            for t in 0..n {
                v.clear();
                values(t, &mut v);
                sink.push_row(&kept, t, &v).unwrap();
            }
        } else {
            sink.push_rows(&kept, 0..n, &values, par).unwrap();
        }
        sink.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        bytes
    }

    #[test]
    fn rows_formatted_on_threads_are_the_bytes_written_one_by_one() {
        // Around the block and round sizes, and a partial last round.
        for n in [0, 1, 2047, 2048, 8192, 8193, 20_000] {
            let want = written(n, Par::Seq, true);
            assert_eq!(written(n, Par::Seq, false), want, "{n} rows, one thread");
            assert_eq!(
                written(n, Par::Rayon(2), false),
                want,
                "{n} rows, two threads"
            );
            assert_eq!(
                written(n, Par::Rayon(3), false),
                want,
                "{n} rows, three threads"
            );
        }
        let text = String::from_utf8(written(12, Par::Rayon(2), false)).unwrap();
        assert!(text.starts_with("a,b,v,k\ns0,\"x,\"\"y\"\"\","));
        assert!(text.contains(",,3\n"), "NaN is an empty cell: {text}");
        assert!(
            text.contains(",inf,0\n") && text.contains(",-inf,1\n"),
            "{text}"
        );
    }

    #[test]
    #[should_panic(expected = "row 5000 has no values")]
    fn a_panic_while_formatting_on_threads_reaches_the_caller() {
        let columns = OutputColumns::floats(&[], &["v".into()]);
        let path = std::env::temp_dir().join(format!("mlp_csv_panic_{}.csv", std::process::id()));
        let out = Output::create(Some(&path)).unwrap();
        let mut sink = CsvSink::new(out, false, b',', &columns).unwrap();
        let values = |t: usize, v: &mut Vec<f64>| {
            assert!(t != 5000, "row 5000 has no values");
            v.push(t as f64);
        };
        let _ = sink.push_rows(&[], 0..20_000, &values, Par::Rayon(2));
    }
}
