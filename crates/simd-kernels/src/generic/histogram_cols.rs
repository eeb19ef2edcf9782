//! Histograms of several columns over the same rows in one pass, written once.
//!
//! The one-column kernel reads a row's index and pair once per feature; a leaf's histogram
//! over k features reads them k times, and with them streams the leaf's rows through the
//! cache k times. Here [`COLS`] columns share each read: per row, one index, one pair (widened
//! once) and `COLS` scatters into `COLS` local histograms. Consecutive scatters go to
//! different histograms, so they do not wait on one another the way one column's rows in
//! one bin do, and each column keeps a single accumulator per bin: rows are summed in order,
//! the textbook loop's sums bit for bit, on every ISA.

use super::histogram::{accumulate_beyond, PREFETCH_AHEAD, SPARSE_GAP};

/// Columns per pass: four 4 KiB local histograms (16 KiB) leave half of a 32 KiB L1 to the
/// rows, the pairs and the column lines in flight.
pub(crate) const COLS: usize = 4;

/// Rows below which the pairs go straight into the caller's histograms: zeroing and folding
/// the local ones costs more than the bounds checks they save on so few rows.
const DIRECT_BELOW_ROWS: usize = 256;

/// Entries of a local histogram: every `u8` bin, so indexing by a bin needs no check.
const BINS: usize = 256;

/// Adds the pairs into the histograms of every column of `cols`, `COLS` columns a pass.
/// `rows: None` means row `k` of each column is `k`. Lengths were checked by the caller
/// (`cols.len() == hists.len()`, columns as long as `gh` when `rows` is `None`).
#[inline(always)]
pub(crate) fn accumulate_cols(
    cols: &[&[u8]],
    rows: Option<&[u32]>,
    gh: &[[f32; 2]],
    hists: &mut [&mut [[f64; 2]]],
) {
    let mut at = 0;
    while at < cols.len() {
        let c = &cols[at..];
        let h = &mut hists[at..];
        at += match c.len() {
            1 => pass::<1>(c, rows, gh, h),
            2 => pass::<2>(c, rows, gh, h),
            3 => pass::<3>(c, rows, gh, h),
            _ => pass::<COLS>(c, rows, gh, h),
        };
    }
}

/// One pass over the rows for the first `C` columns; returns `C`.
#[inline(always)]
fn pass<const C: usize>(
    cols: &[&[u8]],
    rows: Option<&[u32]>,
    gh: &[[f32; 2]],
    hists: &mut [&mut [[f64; 2]]],
) -> usize {
    let cols: [&[u8]; C] = std::array::from_fn(|c| cols[c]);
    let hists = &mut hists[..C];
    if gh.len() < DIRECT_BELOW_ROWS {
        direct(cols, rows, gh, hists);
        return C;
    }
    let mut local = [[[0.0f64; 2]; BINS]; C];
    match rows {
        None => {
            let cols: [&[u8]; C] = std::array::from_fn(|c| &cols[c][..gh.len()]);
            for (i, p) in gh.iter().enumerate() {
                let (g, h) = (f64::from(p[0]), f64::from(p[1]));
                for c in 0..C {
                    let e = &mut local[c][usize::from(cols[c][i])];
                    e[0] += g;
                    e[1] += h;
                }
            }
        }
        Some(rows) => {
            // Every row checked once against every column, so the loop reads unchecked.
            let end = rows.iter().fold(0, |m, &r| m.max(r as usize + 1));
            if let Some(short) = cols.iter().find(|c| c.len() < end) {
                row_beyond(end - 1, short.len());
            }
            let sparse = match (rows.first(), rows.last()) {
                (Some(&a), Some(&b)) => b.abs_diff(a) as usize + 1 > SPARSE_GAP * rows.len(),
                _ => false,
            };
            for (k, (&r, p)) in rows.iter().zip(gh).enumerate() {
                if sparse {
                    if let Some(&ahead) = rows.get(k + PREFETCH_AHEAD) {
                        for col in cols {
                            super::slice::prefetch_read(col, ahead as usize);
                        }
                    }
                }
                let (g, h) = (f64::from(p[0]), f64::from(p[1]));
                let r = r as usize;
                for c in 0..C {
                    // SAFETY: `r < end <= cols[c].len()`, checked above for every row and column.
                    let bin = unsafe { *cols[c].get_unchecked(r) };
                    let e = &mut local[c][usize::from(bin)];
                    e[0] += g;
                    e[1] += h;
                }
            }
        }
    }
    for (l, hist) in local.iter().zip(hists.iter_mut()) {
        for (b, e) in l.iter().enumerate() {
            match hist.get_mut(b) {
                Some(out) => {
                    out[0] += e[0];
                    out[1] += e[1];
                }
                None if *e != [0.0, 0.0] => accumulate_beyond(b, hist.len()),
                None => {}
            }
        }
    }
    C
}

/// [`pass`] for a few rows: each pair added where it belongs in the caller's histograms.
#[inline(always)]
fn direct<const C: usize>(
    cols: [&[u8]; C],
    rows: Option<&[u32]>,
    gh: &[[f32; 2]],
    hists: &mut [&mut [[f64; 2]]],
) {
    for (k, p) in gh.iter().enumerate() {
        let r = rows.map_or(k, |rows| rows[k] as usize);
        let (g, h) = (f64::from(p[0]), f64::from(p[1]));
        for (col, hist) in cols.iter().zip(hists.iter_mut()) {
            add_checked(hist, col[r], [g, h], p);
        }
    }
}

/// Adds the widened pair `gh` of pair `p` into bin `bin` of `hist`; a bin beyond the
/// histogram is an error unless the pair is zero.
#[inline(always)]
fn add_checked(hist: &mut [[f64; 2]], bin: u8, gh: [f64; 2], p: &[f32; 2]) {
    let b = usize::from(bin);
    match hist.get_mut(b) {
        Some(e) => {
            e[0] += gh[0];
            e[1] += gh[1];
        }
        None if *p != [0.0, 0.0] => accumulate_beyond(b, hist.len()),
        None => {}
    }
}

#[cold]
#[inline(never)]
fn row_beyond(row: usize, len: usize) -> ! {
    panic!("simd_kernels::histogram_gh_cols: row {row} is beyond a column of {len} bins")
}

/// The histograms of the features `features` of a row-major bin matrix (`width` bins per
/// row) over the row list `rows`, added row by row into `hists`: one cache line brings a
/// row's bins for every feature, where columns cost a line per feature and row. Lengths and
/// feature indices were checked by the caller.
#[inline(always)]
pub(crate) fn accumulate_row_major(
    bins: &[u8],
    width: usize,
    rows: &[u32],
    gh: &[[f32; 2]],
    features: &[usize],
    hists: &mut [&mut [[f64; 2]]],
) {
    for (k, (&r, p)) in rows.iter().zip(gh).enumerate() {
        if let Some(&ahead) = rows.get(k + PREFETCH_AHEAD) {
            super::slice::prefetch_read(bins, ahead as usize * width);
        }
        let row = &bins[r as usize * width..][..width];
        let (g, h) = (f64::from(p[0]), f64::from(p[1]));
        for (&j, hist) in features.iter().zip(hists.iter_mut()) {
            add_checked(hist, row[j], [g, h], p);
        }
    }
}
