//! `--order-by COL`: the check that the rows of each series are in time order, since rolling
//! features of a series read its rows in file order; with `--sort`, the order to read them in
//! instead.
//!
//! Order values compare as numbers when both cells parse as numbers (epoch seconds, bar
//! indices: `9` before `10`), else as text, byte by byte, which orders ISO 8601 dates and
//! times (`2024-03-01 09:30`) as time does. Equal values are in order (several rows of one
//! timestamp keep their file order).

use crate::error::{CliError, CliResult};
use crate::table::{Table, TextColumn};
use std::cmp::Ordering;
use std::collections::HashMap;

/// How two order cells compare.
fn compare(a: &[u8], b: &[u8]) -> Ordering {
    let number = |c: &[u8]| {
        std::str::from_utf8(c.trim_ascii())
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|v| !v.is_nan())
    };
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    }
}

/// Checks that `order`'s cells never decrease within a series: within each value of `group`
/// (a column's name and cells), or over the whole file without one.
///
/// # Errors
/// The first row whose order value is below its series' previous row's, naming both rows
/// (line or row), the values and the series.
pub(crate) fn check_order(
    shown: &str,
    table: &Table,
    order: (&str, &TextColumn),
    group: Option<(&str, &TextColumn)>,
) -> CliResult<()> {
    let (name, cells) = order;
    let mut last: HashMap<&[u8], usize> = HashMap::new();
    for i in 0..table.nrows() {
        let key = group.map_or(&b""[..], |(_, g)| g.get(i));
        if let Some(&p) = last.get(key) {
            if compare(cells.get(i), cells.get(p)) == Ordering::Less {
                let series = group.map_or_else(
                    || "the file".to_string(),
                    |(g, _)| format!("{g} {:?}", String::from_utf8_lossy(key)),
                );
                return Err(CliError::new(format!(
                    "{shown}: {}: {name} {:?} comes before {:?} of {} in {series}; the rows of each series must be in time order (sort the file first)",
                    table.place(i),
                    String::from_utf8_lossy(cells.get(i)),
                    String::from_utf8_lossy(cells.get(p)),
                    table.place(p),
                )));
            }
        }
        last.insert(key, i);
    }
    Ok(())
}

/// The rows in time order, for `--sort`: a stable sort of the row numbers by their `order`
/// cell, as numbers when every cell is one (`9` before `10`), else as text, byte by byte
/// (ISO 8601 dates and times). `None` when the rows already are in that order, so a sorted
/// file costs no copy. Sorting the whole file sorts each series too: a group's rows keep
/// their relative order within it.
pub(crate) fn time_order(cells: &TextColumn) -> Option<Vec<usize>> {
    let numbers: Option<Vec<f64>> = cells
        .iter()
        .map(|c| {
            std::str::from_utf8(c.trim_ascii())
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|v| !v.is_nan())
        })
        .collect();
    let mut order: Vec<usize> = (0..cells.len()).collect();
    match &numbers {
        Some(v) if v.is_sorted_by(|a, b| a <= b) => return None,
        Some(v) => order.sort_by(|&a, &b| v[a].total_cmp(&v[b])),
        None if cells.iter().is_sorted() => return None,
        None => order.sort_by(|&a, &b| cells.get(a).cmp(cells.get(b))),
    }
    Some(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_as_numbers_and_text_as_text() {
        assert_eq!(compare(b"9", b"10"), Ordering::Less);
        assert_eq!(compare(b" 2.5", b"2.5 "), Ordering::Equal);
        assert_eq!(
            compare(b"2024-03-01 09:30", b"2024-03-01 10:00"),
            Ordering::Less
        );
        assert_eq!(
            compare(b"2024-03-02", b"2024-03-01 23:59"),
            Ordering::Greater
        );
        // A number against text: as text.
        assert_eq!(compare(b"10", b"a"), Ordering::Less);
    }

    fn column(cells: &[&str]) -> TextColumn {
        let mut c = TextColumn::default();
        for cell in cells {
            c.push(cell.as_bytes());
        }
        c
    }

    #[test]
    fn time_order_is_stable_and_numeric_when_it_can_be() {
        assert_eq!(time_order(&column(&["1", "2", "2", "10"])), None);
        assert_eq!(
            time_order(&column(&["10", "9", "9", "1"])),
            Some(vec![3, 1, 2, 0])
        );
        assert_eq!(
            time_order(&column(&[
                "2024-01-02",
                "2024-01-01",
                "2024-01-02",
                "2024-01-01"
            ])),
            Some(vec![1, 3, 0, 2])
        );
        // One cell that is not a number: every cell compares as text.
        assert_eq!(time_order(&column(&["9", "10", "x"])), Some(vec![1, 0, 2]));
        assert_eq!(time_order(&column(&[])), None);
    }
}
