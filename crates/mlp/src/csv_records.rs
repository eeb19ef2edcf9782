//! CSV records with the line each starts on, read straight from the `csv-core` state
//! machine.
//!
//! The `csv` crate's buffered reader was used before; its record positions proved wrong in
//! three ways the fuzzer and the CRLF tests found: with CRLF line endings every line after
//! the header came out one too small (its CRLF mode counts the '\n' into the next record),
//! blank lines the parser skips were not counted in the record's start, and a byte-order
//! mark split across two reads was kept as header text. Here the bytes each parser call
//! consumes are known exactly, so the newlines are counted by us.

use std::io::{self, Read};

/// The UTF-8 byte-order mark some programs (Excel) write at the start of a CSV file.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Records of one CSV source, read one at a time into reused buffers.
pub(crate) struct Records<R> {
    source: R,
    parser: csv_core::Reader,
    /// Input bytes; `buf[pos..end]` not yet given to the parser.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// The source has returned end of file.
    eof: bool,
    /// Field bytes of the current record, and where each field ends in them.
    fields: Vec<u8>,
    ends: Vec<usize>,
    nfields: usize,
    /// Newlines consumed so far, plus one: the line the parser is on.
    line: u64,
}

impl<R: Read> Records<R> {
    /// A reader of `source` whose fields are separated by `sep` (`b','` for CSV); one
    /// leading byte-order mark is dropped.
    pub(crate) fn new(source: R, sep: u8) -> Self {
        Records {
            source,
            parser: csv_core::ReaderBuilder::new()
                .delimiter(sep)
                // Records end at '\n' only; a CR before it stays in the last cell, where
                // every use trims it with the spaces.
                .terminator(csv_core::Terminator::Any(b'\n'))
                .build(),
            buf: vec![0; 1 << 18],
            pos: 0,
            end: 0,
            eof: false,
            fields: vec![0; 1024],
            ends: vec![0; 64],
            nfields: 0,
            line: 1,
        }
    }

    /// Reads more input once `buf[pos..end]` is used up. The first call reads until it has
    /// seven bytes or the end of the file: room for our mark, the one the parser itself
    /// drops when its first input starts with one, and a byte after them (the parser takes
    /// an empty input for the end of the file). So how the bytes arrive never decides
    /// whether a mark is seen.
    fn refill(&mut self, first: bool) -> io::Result<()> {
        self.pos = 0;
        self.end = 0;
        let want = if first { 2 * UTF8_BOM.len() + 1 } else { 1 };
        while self.end < want && !self.eof {
            match self.source.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if first && self.buf[..self.end].starts_with(UTF8_BOM) {
            self.pos = UTF8_BOM.len();
        }
        Ok(())
    }

    /// The next record and the line it starts on (1-based), or `None` at the end.
    ///
    /// # Errors
    /// The source's read error.
    pub(crate) fn next_record(&mut self) -> io::Result<Option<u64>> {
        if self.line == 1 && self.end == 0 && !self.eof {
            self.refill(true)?;
        }
        let (mut out, mut nends) = (0, 0);
        // Blank lines before the record are skipped by the parser; they count as lines,
        // and the record starts after them.
        let mut start: Option<u64> = None;
        loop {
            if self.pos == self.end && !self.eof {
                self.refill(false)?;
            }
            let input = &self.buf[self.pos..self.end];
            let (result, nin, nout, nend) =
                self.parser
                    .read_record(input, &mut self.fields[out..], &mut self.ends[nends..]);
            let consumed = &input[..nin];
            if start.is_none() {
                let blank = consumed.iter().take_while(|&&b| b == b'\n').count();
                if blank < nin {
                    start = Some(self.line + blank as u64);
                }
            }
            self.line += memchr::memchr_iter(b'\n', consumed).count() as u64;
            self.pos += nin;
            out += nout;
            nends += nend;
            match result {
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull => {
                    let n = self.fields.len();
                    self.fields.resize(2 * n, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len();
                    self.ends.resize(2 * n, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    self.nfields = nends;
                    return Ok(Some(start.unwrap_or(self.line)));
                }
                csv_core::ReadRecordResult::End => {
                    self.nfields = 0;
                    return Ok(None);
                }
            }
        }
    }

    /// Number of fields of the current record.
    pub(crate) fn len(&self) -> usize {
        self.nfields
    }

    /// Field `j` of the current record (quotes removed, escapes resolved).
    pub(crate) fn field(&self, j: usize) -> &[u8] {
        let start = if j == 0 { 0 } else { self.ends[j - 1] };
        &self.fields[start..self.ends[j]]
    }

    /// The fields of the current record.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.nfields).map(|j| self.field(j))
    }
}
