//! Shared by the program's tests that read its CSV output.

/// Reads a CSV with a header into (header, rows of optional numbers: None for an empty cell).
// Not every test binary that shares this module reads numbers.
#[allow(dead_code)]
pub fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<Option<f64>>>) {
    let (header, rows) = read_cells(text);
    let rows = rows
        .into_iter()
        .map(|r| {
            r.iter()
                .map(|c| {
                    if c.is_empty() {
                        None
                    } else {
                        Some(c.parse::<f64>().expect("a number"))
                    }
                })
                .collect()
        })
        .collect();
    (header, rows)
}

/// Reads a CSV with a header into (header, rows of cells as text).
pub fn read_cells(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header = rdr
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = rdr
        .records()
        .map(|r| r.expect("record").iter().map(String::from).collect())
        .collect();
    (header, rows)
}
