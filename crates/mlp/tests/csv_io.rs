//! The CSV reader of `mlp` (`mlp::csv_io`), driven in-process; regression tests
//! for what the `csv_ingest` fuzz target found.

use mlp::csv_io::{read_columns_from, read_numeric_from, Others, Table, TextRequest};
use std::io::Read;

/// Hands out at most `chunk` bytes per `read`, as a pipe may.
struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn read(data: &[u8], chunk: usize, required: &[&str]) -> Result<Table, String> {
    read_numeric_from(
        Chunked { data, chunk },
        "t.csv",
        &names(required),
        Others::Numeric,
    )
    .map_err(|e| e.to_string())
}

/// The same table (values compared bit for bit, NaN included) or the same error.
fn assert_same(want: &Result<Table, String>, got: &Result<Table, String>, what: &str) {
    match (want, got) {
        (Ok(w), Ok(g)) => {
            assert_eq!(w.names, g.names, "{what}");
            assert_eq!(w.lines, g.lines, "{what}");
            assert_eq!(
                format!("{:?}", w.columns),
                format!("{:?}", g.columns),
                "{what}"
            );
        }
        (Err(w), Err(g)) => assert_eq!(w, g, "{what}"),
        _ => panic!("{what}: {want:?} vs {got:?}"),
    }
}

#[test]
fn byte_order_mark_is_stripped_however_the_bytes_arrive() {
    let file = "\u{feff}close,b\n1,2\n\"3\",4\n".as_bytes();
    for chunk in 1..=8 {
        let t = read(file, chunk, &["close"]).expect("reads");
        assert_eq!(t.names, ["close", "b"], "chunk {chunk}");
        assert_eq!(t.columns, [vec![1.0, 3.0], vec![2.0, 4.0]], "chunk {chunk}");
        assert_eq!(t.lines, [2, 3], "chunk {chunk}");
    }
}

#[test]
fn a_file_holding_only_a_byte_order_mark_is_empty_in_every_chunking() {
    // Found by fuzzing: read one byte at a time, the mark used to become a header field.
    for chunk in 1..=4 {
        let err = read(b"\xEF\xBB\xBF", chunk, &["a"]).expect_err("no header");
        assert_eq!(err, "t.csv: the file is empty (a header row is required)");
    }
}

#[test]
fn short_files_parse_the_same_in_every_chunking() {
    let cases: [&[u8]; 6] = [
        b"a\n1",
        b"a\n\n2\n",
        b"\xEF\xBB",
        b"\xEF\xBB\xBF\xEF\xBB\xBFa\n5\n",
        b"a,b\n1\n",
        b"\"a\nb\",c\n1,2\n",
    ];
    for file in cases {
        let whole = read(file, usize::MAX, &[]);
        for chunk in 1..=7 {
            let got = read(file, chunk, &[]);
            assert_same(&whole, &got, &format!("{file:?} chunk {chunk}"));
        }
    }
}

#[test]
fn crlf_files_read_like_lf_files_with_the_same_line_numbers() {
    // The csv parser's CRLF mode counts the '\n' of "\r\n" into the next record, which made
    // every reported line after the header one too small (rust-csv issue 395).
    let files = [
        "close,b\n1,2\n3,4\nx,5\n",
        "close,b\n1,2\n\n3,4\n",
        "close\n1\n\n2\n",
        "close,b\n\"1\",\"2\"\n3 , 4 \n",
        "close,b\n1,2\n3\n",
        "close,b\n1,\"multi\nline\"\nx,5\n",
        "b,close\n1,\n,2\n",
    ];
    for lf in files {
        let crlf = lf.replace('\n', "\r\n");
        for chunk in [1, 3, usize::MAX] {
            let want = read(lf.as_bytes(), chunk, &["close"]);
            let got = read(crlf.as_bytes(), chunk, &["close"]);
            assert_same(&want, &got, &format!("{crlf:?} chunk {chunk}"));
        }
    }
    let err = read(b"close,b\r\n1,2\r\n3,4\r\nx,5\r\n", 1, &["close"]).expect_err("x");
    assert!(err.starts_with("t.csv: line 4, column 1"), "{err}");
    // Blank lines and newlines inside quotes count as lines too.
    for (file, line) in [
        (&b"close,b\n1,\"multi\nline\"\nx,5\n"[..], 4),
        (b"close\n1\n\n\nx\n", 5),
        (b"\n\nclose\n1\nx", 5),
    ] {
        let err = read(file, usize::MAX, &["close"]).expect_err("x");
        assert!(
            err.starts_with(&format!("t.csv: line {line}, column 1")),
            "{err}"
        );
    }
}

#[test]
fn classic_mac_line_endings_are_refused_with_a_clear_error() {
    let err = read(b"close,b\r1,2\r3,4\r", usize::MAX, &["close"]).expect_err("CR only");
    assert!(err.contains("carriage return"), "{err}");
}

/// Text columns: cells as written (quotes resolved, spaces kept), the CR of a CRLF ending
/// dropped from the last column only, optional names matched in any case; the same however
/// the bytes arrive and whatever the line endings.
#[test]
fn text_columns_are_read_verbatim() {
    let lf = "Date,Symbol,close\n\"Mon, 4 Mar\", A ,1.5\n\n2024-03-05,\"B \"\"x\"\"\",2\n,C,\n";
    let read_text = |file: &[u8], chunk: usize| {
        let keep = names(&["close", "Date"]);
        let text = TextRequest {
            required: &keep,
            optional: &["symbol", "date"],
        };
        read_columns_from(
            Chunked { data: file, chunk },
            "t.csv",
            &names(&["close"]),
            Others::Skip,
            text,
        )
        .expect("reads")
    };
    for file in [lf.to_string(), lf.replace('\n', "\r\n")] {
        for chunk in [1, 2, 5, usize::MAX] {
            let t = read_text(file.as_bytes(), chunk);
            assert_eq!(t.text_names, ["close", "Date", "Symbol"], "{file:?}");
            let cells: Vec<Vec<&[u8]>> = t.text.iter().map(|c| c.iter().collect()).collect();
            let want: [[&[u8]; 3]; 3] = [
                [b"1.5", b"2", b""],
                [b"Mon, 4 Mar", b"2024-03-05", b""],
                [b" A ", b"B \"x\"", b"C"],
            ];
            assert_eq!(cells, want, "{file:?} chunk {chunk}");
            assert_eq!(format!("{:?}", t.columns), "[[1.5, 2.0, NaN]]");
            assert_eq!(t.lines, [2, 4, 5]);
        }
    }
    let keep = names(&["volume"]);
    let text = TextRequest {
        required: &keep,
        optional: &[],
    };
    let err = read_columns_from(lf.as_bytes(), "t.csv", &[], Others::Skip, text).unwrap_err();
    assert!(err.to_string().contains("no column \"volume\""), "{err}");
}
