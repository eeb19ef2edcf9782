//! Shared by the program's tests that read its CSV output.

/// Reads a CSV with a header into (header, rows of optional numbers: None for an empty cell).
pub fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<Option<f64>>>) {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header = rdr
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = rdr
        .records()
        .map(|r| {
            r.expect("record")
                .iter()
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
