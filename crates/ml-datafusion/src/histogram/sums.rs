//! The histograms of many groups, held flat (group, then feature, then bin), and how rows,
//! partial states and results go in and out of them.
//!
//! A partial state is one `List<Float64>` in one of two forms, told apart by its length:
//!
//! - a group's sums, `3 k 256` values: the `(gradient, hessian)` pairs of every
//!   (feature, bin), interleaved, then the counts of every (feature, bin);
//! - one row, `k + 2` values: its `k` bin codes, then its gradient and hessian (already
//!   rounded to float32). `convert_to_state` writes these when DataFusion stops
//!   pre-aggregating a partition whose groups hardly repeat: a group's sums for every row
//!   would be `3 k 256` values where the row needs `k + 2`.
//!
//! Both merge by adding, so states merge in any order. Counts travel as Float64, exact up to
//! 2^53 rows.

use super::batch::Batch;
use super::result::{GbdtHistograms, BINS, NAME};
use crate::state::states_array;
use datafusion::arrow::array::ArrayRef;
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::EmitTo;
use simd_kernels::{histogram_gh, histogram_gh_rows};

/// Rows of one group in a batch from which they go through the kernel; fewer are added one
/// at a time. Each kernel call zeroes and folds a 256-entry local histogram per feature,
/// about the work of adding as many rows one by one (not measured: the benchmark runs of
/// this machine are reserved).
const KERNEL_FROM_ROWS: usize = 64;

/// Most rows a count in a state can say exactly (counts travel as Float64).
const MAX_COUNT: f64 = 9_007_199_254_740_992.0;

/// The histograms of `groups()` groups over `k` features.
#[derive(Debug)]
pub(super) struct Sums {
    k: usize,
    /// `gh[(g k + j) 256 + b]`: the gradient and hessian sums of group `g`, feature `j`,
    /// bin `b`.
    gh: Vec<[f64; 2]>,
    /// The rows behind each entry of `gh`.
    count: Vec<u64>,
}

impl Sums {
    /// `groups` empty histograms over `k >= 1` features.
    pub fn new(k: usize, groups: usize) -> Self {
        let mut s = Sums {
            k,
            gh: Vec::new(),
            count: Vec::new(),
        };
        s.resize(groups);
        s
    }

    /// Entries of one group.
    fn width(&self) -> usize {
        self.k * BINS
    }

    /// Groups held.
    pub fn groups(&self) -> usize {
        self.count.len() / self.width()
    }

    /// Grows to `groups` groups (new ones empty).
    pub fn resize(&mut self, groups: usize) {
        let len = groups * self.width();
        if len > self.count.len() {
            self.gh.resize(len, [0.0; 2]);
            self.count.resize(len, 0);
        }
    }

    /// Memory held, in bytes.
    pub fn bytes(&self) -> usize {
        self.gh.capacity() * 16 + self.count.capacity() * 8
    }

    /// Adds the rows of `batch`, read with the same `groups` (`None`: all in group 0).
    pub fn add(&mut self, batch: &Batch, groups: Option<&[usize]>) {
        let group_of = |r: u32| groups.map_or(0, |g| g[r as usize]);
        let mut start = 0;
        while start < batch.rows.len() {
            let g = group_of(batch.rows[start]);
            let len = batch.rows[start..]
                .iter()
                .take_while(|&&r| group_of(r) == g)
                .count();
            self.add_run(batch, g, start..start + len);
            start += len;
        }
    }

    /// Adds the rows `batch.rows[run]`, all of group `g`.
    fn add_run(&mut self, batch: &Batch, g: usize, run: std::ops::Range<usize>) {
        let (rows, pairs) = (&batch.rows[run.clone()], &batch.pairs[run]);
        if rows.len() < KERNEL_FROM_ROWS {
            for (&r, p) in rows.iter().zip(pairs) {
                let codes = batch.codes.iter().map(|c| c[r as usize]);
                self.add_row(g, codes, [f64::from(p[0]), f64::from(p[1])]);
            }
            return;
        }
        let base = g * self.width();
        for (j, codes) in batch.codes.iter().enumerate() {
            let at = base + j * BINS..base + (j + 1) * BINS;
            let (hist, count) = (&mut self.gh[at.clone()], &mut self.count[at]);
            if batch.in_order {
                histogram_gh(codes, pairs, hist);
                codes.iter().for_each(|&c| count[usize::from(c)] += 1);
            } else {
                histogram_gh_rows(codes, rows, pairs, hist);
                rows.iter()
                    .for_each(|&r| count[usize::from(codes[r as usize])] += 1);
            }
        }
    }

    /// Adds one row of group `g`: its bin code in each feature, and its pair.
    fn add_row(&mut self, g: usize, codes: impl Iterator<Item = u8>, pair: [f64; 2]) {
        let base = g * self.width();
        for (j, c) in codes.enumerate() {
            let at = base + j * BINS + usize::from(c);
            self.gh[at][0] += pair[0];
            self.gh[at][1] += pair[1];
            self.count[at] += 1;
        }
    }

    /// Adds a partial state (either form) into group `g`.
    ///
    /// # Errors
    /// A state of another length, or with a count or bin code that is not a whole number in
    /// range: one this function did not write.
    pub fn merge(&mut self, g: usize, state: &[f64]) -> Result<()> {
        let (w, k) = (self.width(), self.k);
        if state.len() == k + 2 {
            let Some(codes) = state[..k]
                .iter()
                .map(|&c| whole(c, 255.0).map(|c| c as u8))
                .collect::<Option<Vec<u8>>>()
            else {
                return exec_err!("{NAME}: a row state with a bin code outside 0..=255");
            };
            self.add_row(g, codes.into_iter(), [state[k], state[k + 1]]);
            return Ok(());
        }
        if state.len() != 3 * w {
            return exec_err!(
                "{NAME}: a state of {} values, expected {} (the sums of {k} features) or {} (a row)",
                state.len(),
                3 * w,
                k + 2
            );
        }
        let (gh, count) = state.split_at(2 * w);
        let base = g * w;
        for (a, b) in self.gh[base..base + w].iter_mut().zip(gh.chunks_exact(2)) {
            a[0] += b[0];
            a[1] += b[1];
        }
        for (a, &c) in self.count[base..base + w].iter_mut().zip(count) {
            let Some(c) = whole(c, MAX_COUNT) else {
                return exec_err!("{NAME}: a state with a count of {c}");
            };
            *a += c;
        }
        Ok(())
    }

    /// Takes the groups `emit_to` asks for, the first ones; the others stay, renumbered from 0.
    pub fn take(&mut self, emit_to: EmitTo) -> Sums {
        let n = match emit_to {
            EmitTo::All => self.groups(),
            EmitTo::First(n) => n.min(self.groups()),
        };
        let at = n * self.width();
        let gh = self.gh.split_off(at);
        let count = self.count.split_off(at);
        Sums {
            k: self.k,
            gh: std::mem::replace(&mut self.gh, gh),
            count: std::mem::replace(&mut self.count, count),
        }
    }

    /// Group `g`'s partial state: its sums.
    pub fn state(&self, g: usize) -> Vec<f64> {
        let w = self.width();
        let at = g * w..(g + 1) * w;
        let mut s = Vec::with_capacity(3 * w);
        s.extend(self.gh[at.clone()].iter().flatten());
        s.extend(self.count[at].iter().map(|&c| c as f64));
        s
    }

    /// Each group's partial state, as a list array.
    pub fn states(&self) -> ArrayRef {
        states_array((0..self.groups()).map(|g| Some(self.state(g))))
    }

    /// The state of each row of `batch` (read as one group): the row's form for a used row,
    /// null for one that is not.
    pub fn row_states(batch: &Batch, rows: usize) -> ArrayRef {
        let mut used = batch.rows.iter().zip(&batch.pairs).peekable();
        states_array((0..rows).map(|i| {
            let (&r, p) = used.next_if(|(&r, _)| r as usize == i)?;
            let mut s: Vec<f64> = batch
                .codes
                .iter()
                .map(|c| f64::from(c[r as usize]))
                .collect();
            s.extend([f64::from(p[0]), f64::from(p[1])]);
            Some(s)
        }))
    }

    /// Each group's result: the JSON text of its histograms, or null for a group that saw no
    /// row. `names` are the features'.
    pub fn results(&self, names: &[String]) -> Vec<Option<String>> {
        let w = self.width();
        (0..self.groups())
            .map(|g| {
                let feature = |j: usize| g * w + j * BINS..g * w + (j + 1) * BINS;
                if self.count[feature(0)].iter().all(|&c| c == 0) {
                    return None;
                }
                let column = |f: &dyn Fn(usize) -> f64| -> Vec<Vec<f64>> {
                    (0..self.k).map(|j| feature(j).map(f).collect()).collect()
                };
                let h = GbdtHistograms {
                    features: self.k,
                    bins: BINS,
                    names: names.to_vec(),
                    grad: column(&|i| self.gh[i][0]),
                    hess: column(&|i| self.gh[i][1]),
                    count: (0..self.k)
                        .map(|j| self.count[feature(j)].to_vec())
                        .collect(),
                };
                Some(h.to_json())
            })
            .collect()
    }
}

/// `x` as a whole number from 0 to `max`, if it is one.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked just before
fn whole(x: f64, max: f64) -> Option<u64> {
    (x >= 0.0 && x <= max && x.fract() == 0.0).then_some(x as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::each_state;
    use datafusion::arrow::array::{Float64Array, Int64Array};
    use std::sync::Arc;

    /// A batch of `n` rows over two features whose pairs are dyadic (every sum exact).
    fn batch(n: usize, groups: Option<&[usize]>) -> Batch {
        let g: Vec<f64> = (0..n).map(|i| (i % 17) as f64 / 8.0 - 1.0).collect();
        let h: Vec<f64> = (0..n).map(|i| (i % 5) as f64 / 4.0).collect();
        let b1: Vec<i64> = (0..n).map(|i| (i * 7 % 256) as i64).collect();
        let b2: Vec<i64> = (0..n).map(|i| (i % 3) as i64).collect();
        let values: Vec<ArrayRef> = vec![
            Arc::new(Float64Array::from(g)),
            Arc::new(Float64Array::from(h)),
            Arc::new(Int64Array::from(b1)),
            Arc::new(Int64Array::from(b2)),
        ];
        let mut b = Batch::default();
        b.read(&values, None, groups).unwrap();
        b
    }

    #[test]
    fn kernel_runs_one_by_one_rows_and_both_state_forms_give_the_same_sums() {
        let n = 1000;
        // Group 0 gets most rows (the kernel), groups 1 and 2 a few (one by one).
        let groups: Vec<usize> = (0..n)
            .map(|i| [0, 0, 0, 1, 0, 0, 2][i % 7] * usize::from(i % 3 == 0))
            .collect();
        let mut by_group = Sums::new(2, 3);
        by_group.add(&batch(n, Some(&groups)), Some(&groups));
        // The same rows one per row state, merged into their groups.
        let single = batch(n, None);
        let rows = Sums::row_states(&single, n);
        let mut merged = Sums::new(2, 3);
        for (state, &g) in each_state(NAME, &rows).unwrap().zip(&groups) {
            merged.merge(g, state.unwrap()).unwrap();
        }
        assert_eq!(by_group.gh, merged.gh);
        assert_eq!(by_group.count, merged.count);
        // Dense states, taken in two parts, merged into fresh groups.
        let first = by_group.take(EmitTo::First(1));
        assert_eq!((first.groups(), by_group.groups()), (1, 2));
        let mut again = Sums::new(2, 3);
        for (g, state) in [(0, first.states()), (1, by_group.states())] {
            for (i, s) in each_state(NAME, &state).unwrap().enumerate() {
                again.merge(g + i, s.unwrap()).unwrap();
            }
        }
        assert_eq!(again.gh, merged.gh);
        assert_eq!(again.count, merged.count);
        let total: u64 = again.count[..BINS].iter().sum();
        assert_eq!(total as usize, groups.iter().filter(|&&g| g == 0).count());
        // Every row in one group, in batch order (one `histogram_gh` call per feature),
        // equals the three groups' states added up.
        assert!(single.in_order);
        let mut one = Sums::new(2, 1);
        one.add(&single, None);
        let mut added = Sums::new(2, 1);
        for s in each_state(NAME, &again.states()).unwrap() {
            added.merge(0, s.unwrap()).unwrap();
        }
        assert_eq!(one.gh, added.gh);
        assert_eq!(one.count, added.count);
    }

    #[test]
    fn foreign_states_are_errors() {
        let mut s = Sums::new(2, 1);
        assert!(s.merge(0, &[1.0, 2.0, 3.0]).is_err());
        assert!(s.merge(0, &[1.0, 256.0, 0.5, 0.5]).is_err());
        let mut dense = vec![0.0; 3 * 2 * BINS];
        dense[2 * 2 * BINS] = 0.5;
        assert!(s
            .merge(0, &dense)
            .unwrap_err()
            .to_string()
            .contains("count of 0.5"));
        assert_eq!(s.results(&["a".into(), "b".into()]), [None]);
    }
}
