//! CSV ingestion of `mlp`: `mlp::csv_io::read_numeric_from` on arbitrary bytes never
//! panics, and what it returns does not depend on how the bytes arrive.
//!
//! Input layout: byte 0 chooses the required columns (bits 0-2, from a small vocabulary)
//! and whether other numeric columns are kept (bit 3); byte 1 is the chunk size of a reader
//! that hands the rest over in pieces; the rest is the file.
//!
//! Checked on every input:
//! - an error is one non-empty line;
//! - a table has one value per row in every column, required columns first in the order
//!   asked, and strictly increasing line numbers after the header;
//! - reading all at once and reading in small chunks give the same result, bit for bit;
//! - the required columns are the same whether other columns are kept or not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlp::csv_io::{read_numeric_from, Others, Table};
use std::io::Read;

/// Hands out at most `chunk` bytes per `read`, to move buffer boundaries around.
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

/// Names a fuzzed header is likely to contain (libFuzzer finds them through comparisons).
const NAMES: [&str; 3] = ["a", "close", "x y"];

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn check_shape(t: &Table, required: &[String]) {
    assert_eq!(t.names.len(), t.columns.len());
    assert!(t.names.len() >= required.len());
    assert_eq!(&t.names[..required.len()], required);
    for c in &t.columns {
        assert_eq!(c.len(), t.nrows(), "a column with another length than the rows");
    }
    let mut last = 1;
    for &line in &t.lines {
        assert!(line > last, "line numbers not increasing: {:?}", t.lines);
        last = line;
    }
}

fn check_error(e: &mlp::CliError) {
    let shown = e.to_string();
    assert!(!shown.is_empty(), "empty error message");
    assert!(!shown.contains('\n') && !shown.contains('\r'), "{shown:?}");
}

fuzz_target!(|data: &[u8]| {
    let (Some(&mode), Some(&chunk)) = (data.first(), data.get(1)) else {
        return;
    };
    let file = &data[2..];
    let required: Vec<String> = NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| mode & (1 << i) != 0)
        .map(|(_, n)| n.to_string())
        .collect();
    let others = if mode & 8 != 0 {
        Others::Numeric
    } else {
        Others::Skip
    };

    let whole = read_numeric_from(file, "fuzz.csv", &required, others);
    let pieces = read_numeric_from(
        Chunked {
            data: file,
            chunk: usize::from(chunk % 17) + 1,
        },
        "fuzz.csv",
        &required,
        others,
    );
    match (&whole, &pieces) {
        (Ok(a), Ok(b)) => {
            check_shape(a, &required);
            assert_eq!(a.names, b.names);
            assert_eq!(a.lines, b.lines);
            for (x, y) in a.columns.iter().zip(&b.columns) {
                assert!(same_bits(x, y), "chunked read gave other values");
            }
        }
        (Err(a), Err(b)) => {
            check_error(a);
            assert_eq!(a.to_string(), b.to_string(), "chunked read gave another error");
        }
        _ => panic!(
            "whole and chunked reads disagree: {:?} vs {:?}",
            whole.as_ref().map(|t| t.nrows()),
            pieces.as_ref().map(|t| t.nrows())
        ),
    }

    // Keeping other columns never changes the required ones.
    if let (Ok(a), Others::Numeric) = (&whole, others) {
        let skip = read_numeric_from(file, "fuzz.csv", &required, Others::Skip)
            .expect("the same file read with fewer columns");
        assert_eq!(skip.lines, a.lines);
        for (j, name) in required.iter().enumerate() {
            assert_eq!(&skip.names[j], name);
            assert!(same_bits(&skip.columns[j], &a.columns[j]));
        }
    }
});
