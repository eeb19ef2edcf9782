//! Arrow arrays as the program's cells: numbers as `f64` (nulls as NaN), anything else as the
//! text pandas writes to CSV for it (nulls as empty cells), so that a Parquet or Arrow file
//! gives a command the [`crate::table::Table`] its CSV export would.

use crate::csv_out::push_cell;
use crate::table::TextColumn;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, Decimal32Type, Decimal64Type,
    Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    Time32MillisecondType, Time32SecondType, Time64MicrosecondType, Time64NanosecondType,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray};
use arrow_schema::{DataType, TimeUnit};
use std::io::Write as _;

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// Whether [`push_numbers`] reads arrays of this type: every integer and float width,
/// decimals, booleans (0/1), and dictionaries of those.
pub(crate) fn is_numeric(dt: &DataType) -> bool {
    use DataType as D;
    match dt {
        D::Dictionary(_, v) => is_numeric(v),
        D::Null | D::Boolean | D::Float16 | D::Float32 | D::Float64 => true,
        D::Decimal32(..) | D::Decimal64(..) | D::Decimal128(..) | D::Decimal256(..) => true,
        _ => dt.is_integer(),
    }
}

/// Whether [`TextCells::push`] writes arrays of this type: strings, dates, times,
/// timestamps, and the numeric types.
pub(crate) fn is_text(dt: &DataType) -> bool {
    use DataType as D;
    match dt {
        D::Dictionary(_, v) => is_text(v),
        D::Utf8 | D::LargeUtf8 | D::Utf8View => true,
        D::Date32 | D::Date64 | D::Timestamp(..) => true,
        D::Time32(TimeUnit::Second | TimeUnit::Millisecond) => true,
        D::Time64(TimeUnit::Microsecond | TimeUnit::Nanosecond) => true,
        _ => is_numeric(dt),
    }
}

/// Appends a primitive array's values converted by `f`, NaN for nulls.
fn extend<T: ArrowPrimitiveType>(
    array: &PrimitiveArray<T>,
    out: &mut Vec<f64>,
    f: impl Fn(T::Native) -> f64,
) {
    if array.null_count() == 0 {
        out.extend(array.values().iter().map(|&v| f(v)));
    } else {
        out.extend(array.iter().map(|v| v.map_or(f64::NAN, &f)));
    }
}

/// Appends the values of `array` (a type [`is_numeric`] accepts) to `out` as `f64`: NaN for
/// nulls, decimals scaled, booleans 0 and 1.
///
/// # Panics
/// For a type [`is_numeric`] refuses.
pub(crate) fn push_numbers(array: &dyn Array, out: &mut Vec<f64>) {
    use DataType as D;
    let scale = |s: i8| 10f64.powi(-i32::from(s));
    match array.data_type() {
        D::Float64 => extend(array.as_primitive::<Float64Type>(), out, |v| v),
        D::Float32 => extend(array.as_primitive::<Float32Type>(), out, f64::from),
        D::Float16 => extend(array.as_primitive::<Float16Type>(), out, |v| v.to_f64()),
        D::Int8 => extend(array.as_primitive::<Int8Type>(), out, f64::from),
        D::Int16 => extend(array.as_primitive::<Int16Type>(), out, f64::from),
        D::Int32 => extend(array.as_primitive::<Int32Type>(), out, f64::from),
        D::Int64 => extend(array.as_primitive::<Int64Type>(), out, |v| v as f64),
        D::UInt8 => extend(array.as_primitive::<UInt8Type>(), out, f64::from),
        D::UInt16 => extend(array.as_primitive::<UInt16Type>(), out, f64::from),
        D::UInt32 => extend(array.as_primitive::<UInt32Type>(), out, f64::from),
        D::UInt64 => extend(array.as_primitive::<UInt64Type>(), out, |v| v as f64),
        &D::Decimal32(_, s) => {
            let k = scale(s);
            extend(array.as_primitive::<Decimal32Type>(), out, |v| {
                f64::from(v) * k
            });
        }
        &D::Decimal64(_, s) => {
            let k = scale(s);
            extend(array.as_primitive::<Decimal64Type>(), out, |v| v as f64 * k);
        }
        &D::Decimal128(_, s) => {
            let k = scale(s);
            extend(array.as_primitive::<Decimal128Type>(), out, |v| {
                v as f64 * k
            });
        }
        &D::Decimal256(_, s) => {
            let k = scale(s);
            extend(array.as_primitive::<Decimal256Type>(), out, |v| {
                v.to_i128().map_or(f64::NAN, |v| v as f64 * k)
            });
        }
        D::Boolean => out.extend(
            array
                .as_boolean()
                .iter()
                .map(|b| b.map_or(f64::NAN, f64::from)),
        ),
        D::Null => out.extend(std::iter::repeat_n(f64::NAN, array.len())),
        D::Dictionary(..) => {
            let dict = array.as_any_dictionary();
            let mut values = Vec::with_capacity(dict.values().len());
            push_numbers(dict.values().as_ref(), &mut values);
            if values.is_empty() {
                out.extend(std::iter::repeat_n(f64::NAN, array.len()));
                return;
            }
            let nulls = array.logical_nulls();
            for (i, k) in dict.normalized_keys().into_iter().enumerate() {
                let null = nulls.as_ref().is_some_and(|n| n.is_null(i));
                out.push(if null { f64::NAN } else { values[k] });
            }
        }
        other => unreachable!("push_numbers called on {other}"),
    }
}

/// A text column being read: cells written as they come, or timestamps kept as numbers until
/// the whole column is known, because pandas writes them all with the precision the column
/// needs (whole seconds, milli-, micro- or nanoseconds; the date alone when every value is at
/// midnight).
pub(crate) enum TextCells {
    /// Cells as text.
    Cells(TextColumn),
    /// Nanoseconds since the epoch (`i64::MIN` for null, as pandas' NaT), and the time
    /// zone's offset in seconds for a zoned timestamp (the cells are local time with it).
    Times {
        /// The instants.
        nanos: Vec<i64>,
        /// `Some(offset)` when the column has a time zone.
        offset: Option<i32>,
    },
}

impl TextCells {
    /// An empty column for arrays of type `dt`.
    pub(crate) fn new(dt: &DataType) -> Self {
        match dt {
            DataType::Timestamp(_, tz) => TextCells::Times {
                nanos: Vec::new(),
                offset: tz.as_deref().map(zone_offset),
            },
            _ => TextCells::Cells(TextColumn::default()),
        }
    }

    /// Appends the cells of `array` (a type [`is_text`] accepts).
    pub(crate) fn push(&mut self, array: &dyn Array) {
        match self {
            TextCells::Cells(col) => push_text(array, col),
            TextCells::Times { nanos, .. } => push_nanos(array, nanos),
        }
    }

    /// The column of cells.
    pub(crate) fn finish(self) -> TextColumn {
        match self {
            TextCells::Cells(col) => col,
            TextCells::Times { nanos, offset } => format_times(&nanos, offset),
        }
    }
}

/// The offset of a time zone given as `UTC`, `Z` or `+HH:MM` / `-HHMM`; a named zone other
/// than UTC is not known without a zone database: its instants are written in UTC (offset 0,
/// shown as `+00:00`), the same instants.
fn zone_offset(tz: &str) -> i32 {
    let b = tz.as_bytes();
    let sign = match b.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return 0,
    };
    let digits: Vec<i32> = b[1..]
        .iter()
        .filter(|c| c.is_ascii_digit())
        .map(|c| i32::from(c - b'0'))
        .collect();
    match digits[..] {
        [h1, h2, m1, m2] => sign * ((h1 * 10 + h2) * 3600 + (m1 * 10 + m2) * 60),
        [h1, h2] => sign * (h1 * 10 + h2) * 3600,
        _ => 0,
    }
}

/// Appends a timestamp array's instants in nanoseconds (`i64::MIN` for null).
fn push_nanos(array: &dyn Array, out: &mut Vec<i64>) {
    fn scaled<T: ArrowPrimitiveType<Native = i64>>(a: &dyn Array, k: i64, out: &mut Vec<i64>) {
        let a = a.as_primitive::<T>();
        out.extend(
            a.iter()
                .map(|v| v.map_or(i64::MIN, |v| v.saturating_mul(k))),
        );
    }
    match array.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            scaled::<TimestampSecondType>(array, 1_000_000_000, out)
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            scaled::<TimestampMillisecondType>(array, 1_000_000, out)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            scaled::<TimestampMicrosecondType>(array, 1_000, out)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            scaled::<TimestampNanosecondType>(array, 1, out)
        }
        other => unreachable!("push_nanos called on {other}"),
    }
}

/// The cells of a timestamp column, as pandas' `to_csv` writes them: `YYYY-MM-DD HH:MM:SS`
/// with as many fraction digits (3, 6 or 9) as the column needs, the date alone when every
/// time of a column without zone is midnight, `+HH:MM` after a zoned one.
fn format_times(nanos: &[i64], offset: Option<i32>) -> TextColumn {
    let shift = i64::from(offset.unwrap_or(0)) * 1_000_000_000;
    let local = |n: i64| n.saturating_add(shift);
    let valid = nanos.iter().copied().filter(|&n| n != i64::MIN);
    let (mut date_only, mut digits) = (offset.is_none(), 0);
    for n in valid.map(local) {
        let in_day = n.rem_euclid(NANOS_PER_DAY);
        date_only &= in_day == 0;
        digits = digits.max(fraction_digits(in_day));
    }
    let mut col = TextColumn::default();
    col.reserve(nanos.len());
    for &n in nanos {
        col.push_with(|out| {
            if n == i64::MIN {
                return;
            }
            let n = local(n);
            let day = n.div_euclid(NANOS_PER_DAY);
            push_date(out, day);
            if date_only {
                return;
            }
            out.push(b' ');
            push_time_of_day(out, n.rem_euclid(NANOS_PER_DAY), digits);
            if let Some(off) = offset {
                let sign = if off < 0 { '-' } else { '+' };
                let off = off.unsigned_abs();
                let _ = write!(out, "{sign}{:02}:{:02}", off / 3600, off / 60 % 60);
            }
        });
    }
    col
}

/// `YYYY-MM-DD` of the day `days` after 1970-01-01 (proleptic Gregorian; Howard Hinnant's
/// `civil_from_days`).
fn push_date(out: &mut Vec<u8>, days: i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}");
}

/// `HH:MM:SS` and `digits` fraction digits (0, 3, 6 or 9) of `nanos` since midnight.
fn push_time_of_day(out: &mut Vec<u8>, nanos: i64, digits: u32) {
    let secs = nanos / 1_000_000_000;
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if digits > 0 {
        let frac = nanos % 1_000_000_000 / 10i64.pow(9 - digits);
        let _ = write!(out, ".{frac:0width$}", width = digits as usize);
    }
}

/// Fraction digits a time of day needs: 0, 3, 6 or 9.
fn fraction_digits(nanos: i64) -> u32 {
    match nanos % 1_000_000_000 {
        0 => 0,
        f if f % 1_000_000 == 0 => 3,
        f if f % 1_000 == 0 => 6,
        _ => 9,
    }
}

/// Appends one cell per value of `array`, written by `f` (nothing for a null: an empty cell).
fn cells<T: ArrowPrimitiveType>(
    array: &dyn Array,
    col: &mut TextColumn,
    f: impl Fn(&mut Vec<u8>, T::Native),
) {
    let a = array.as_primitive::<T>();
    col.reserve(a.len());
    for v in a.iter() {
        col.push_with(|out| {
            if let Some(v) = v {
                f(out, v);
            }
        });
    }
}

/// Appends an integer's decimal text.
fn int(out: &mut Vec<u8>, v: impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

/// Appends the cells of `array` (a type [`is_text`] accepts, timestamps aside) as pandas
/// writes them to CSV: strings as they are, dates `YYYY-MM-DD`, times `HH:MM:SS[.fff]`,
/// integers in decimal, floats as their shortest round-trip text, booleans `True`/`False`,
/// nulls (and float NaN) as empty cells.
///
/// # Panics
/// For a type [`is_text`] refuses.
pub(crate) fn push_text(array: &dyn Array, col: &mut TextColumn) {
    use DataType as D;
    let n = array.len();
    match array.data_type() {
        D::Utf8 => push_strings(array.as_string::<i32>().iter(), n, col),
        D::LargeUtf8 => push_strings(array.as_string::<i64>().iter(), n, col),
        D::Utf8View => push_strings(array.as_string_view().iter(), n, col),
        D::Date32 => cells::<Date32Type>(array, col, |o, d| push_date(o, i64::from(d))),
        D::Date64 => cells::<Date64Type>(array, col, |o, ms| {
            push_date(o, ms.div_euclid(86_400_000));
        }),
        D::Time32(TimeUnit::Second) => cells::<Time32SecondType>(array, col, |o, s| {
            push_time_of_day(o, i64::from(s) * 1_000_000_000, 0);
        }),
        D::Time32(_) => cells::<Time32MillisecondType>(array, col, |o, ms| {
            let ns = i64::from(ms) * 1_000_000;
            push_time_of_day(o, ns, fraction_digits(ns));
        }),
        D::Time64(TimeUnit::Microsecond) => cells::<Time64MicrosecondType>(array, col, |o, us| {
            let ns = us * 1_000;
            push_time_of_day(o, ns, fraction_digits(ns));
        }),
        D::Time64(_) => cells::<Time64NanosecondType>(array, col, |o, ns| {
            push_time_of_day(o, ns, fraction_digits(ns));
        }),
        D::Timestamp(..) => {
            let mut nanos = Vec::with_capacity(n);
            push_nanos(array, &mut nanos);
            let offset = match array.data_type() {
                D::Timestamp(_, tz) => tz.as_deref().map(zone_offset),
                _ => None,
            };
            let times = format_times(&nanos, offset);
            for cell in times.iter() {
                col.push(cell);
            }
        }
        D::Float64 => cells::<Float64Type>(array, col, push_cell),
        D::Float32 => cells::<Float32Type>(array, col, |o, v| {
            if v.is_finite() {
                o.extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
            } else {
                push_cell(o, f64::from(v));
            }
        }),
        D::Float16 => cells::<Float16Type>(array, col, |o, v| push_cell(o, v.to_f64())),
        D::Int8 => cells::<Int8Type>(array, col, int),
        D::Int16 => cells::<Int16Type>(array, col, int),
        D::Int32 => cells::<Int32Type>(array, col, int),
        D::Int64 => cells::<Int64Type>(array, col, int),
        D::UInt8 => cells::<UInt8Type>(array, col, int),
        D::UInt16 => cells::<UInt16Type>(array, col, int),
        D::UInt32 => cells::<UInt32Type>(array, col, int),
        D::UInt64 => cells::<UInt64Type>(array, col, int),
        D::Decimal32(..) | D::Decimal64(..) | D::Decimal128(..) | D::Decimal256(..) => {
            let mut values = Vec::with_capacity(n);
            push_numbers(array, &mut values);
            for v in values {
                col.push_with(|o| push_cell(o, v));
            }
        }
        D::Boolean => {
            for b in array.as_boolean().iter() {
                col.push(match b {
                    Some(true) => b"True",
                    Some(false) => b"False",
                    None => b"",
                });
            }
        }
        D::Null => {
            for _ in 0..n {
                col.push(b"");
            }
        }
        D::Dictionary(..) => {
            let dict = array.as_any_dictionary();
            let mut values = TextColumn::default();
            push_text(dict.values().as_ref(), &mut values);
            let nulls = array.logical_nulls();
            let keys = if values.is_empty() {
                vec![0; n]
            } else {
                dict.normalized_keys()
            };
            col.reserve(n);
            for (i, k) in keys.into_iter().enumerate() {
                let null = values.is_empty() || nulls.as_ref().is_some_and(|m| m.is_null(i));
                col.push(if null { b"" } else { values.get(k) });
            }
        }
        other => unreachable!("push_text called on {other}"),
    }
}

/// Appends string cells (an empty cell for a null).
fn push_strings<'a>(values: impl Iterator<Item = Option<&'a str>>, n: usize, col: &mut TextColumn) {
    col.reserve(n);
    for v in values {
        col.push(v.unwrap_or("").as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).expect("utf-8")
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(text(|o| push_date(o, 0)), "1970-01-01");
        assert_eq!(text(|o| push_date(o, 19_723)), "2024-01-01");
        assert_eq!(text(|o| push_date(o, 19_782)), "2024-02-29");
        assert_eq!(text(|o| push_date(o, -1)), "1969-12-31");
    }

    #[test]
    fn timestamps_take_the_column_precision() {
        let day = NANOS_PER_DAY;
        let col = format_times(&[19_723 * day, i64::MIN, 19_724 * day], None);
        let cells: Vec<&[u8]> = col.iter().collect();
        assert_eq!(cells, [&b"2024-01-01"[..], b"", b"2024-01-02"]);
        let t = 19_723 * day + 34_200 * 1_000_000_000;
        let col = format_times(&[t, t + 500_000_000], None);
        let cells: Vec<&[u8]> = col.iter().collect();
        assert_eq!(
            cells,
            [&b"2024-01-01 09:30:00.000"[..], b"2024-01-01 09:30:00.500"]
        );
        let col = format_times(&[t], Some(-5 * 3600));
        assert_eq!(col.get(0), b"2024-01-01 04:30:00-05:00");
        assert_eq!(zone_offset("+05:30"), 5 * 3600 + 30 * 60);
        assert_eq!(zone_offset("UTC"), 0);
    }
}
