//! Features of a long-format table (`date,symbol,price` rows, many symbols interleaved): each
//! group's rows are one series, computed as if that group were alone, and the rows come back
//! in the table's order.

use super::bars::Bars;
use super::batch::FeatureMatrix;
use super::config::FeatureConfig;
use super::streaming::RollingFeatures;
use crate::error::{PipelineError, Result};
use fast_math::Par;
use std::collections::HashMap;
use std::hash::Hash;

/// Which group each row of a table belongs to, and the rows of each group in table order.
///
/// Groups are numbered `0..n_groups()`. Build it from dense codes
/// ([`from_codes`](Self::from_codes)) or from any hashable keys
/// ([`from_keys`](Self::from_keys), numbered in order of first appearance).
///
/// ```
/// use ml_pipeline::features::Groups;
///
/// let (groups, names) = Groups::from_keys(["MSFT", "AMZN", "MSFT", "MSFT", "AMZN"]);
/// assert_eq!(names, ["MSFT", "AMZN"]);
/// assert_eq!(groups.rows(0), [0, 2, 3]);
/// assert_eq!(groups.rows(1), [1, 4]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Groups {
    /// Group of each row.
    of_row: Vec<u32>,
    /// Group `g`'s rows are `rows[starts[g]..starts[g + 1]]`.
    starts: Vec<usize>,
    /// Row indices, grouped, each group in table order (a stable counting sort of `of_row`).
    rows: Vec<usize>,
}

impl Groups {
    /// Groups from codes in `0..n_groups`, one per row (groups without rows are allowed).
    ///
    /// # Errors
    /// [`PipelineError::InvalidSetting`] naming the first row whose code is not below
    /// `n_groups`, or when `n_groups` exceeds `u32::MAX as usize + 1`.
    pub fn from_codes(codes: &[u32], n_groups: usize) -> Result<Groups> {
        if n_groups > u32::MAX as usize + 1 {
            return Err(PipelineError::InvalidSetting {
                name: "n_groups",
                value: n_groups.to_string(),
                expected: format!("at most {}", u32::MAX as u64 + 1),
            });
        }
        if let Some(row) = codes.iter().position(|&c| c as usize >= n_groups) {
            return Err(PipelineError::InvalidSetting {
                name: "group code",
                value: codes[row].to_string(),
                expected: format!("below the number of groups, {n_groups} (row {row})"),
            });
        }
        Ok(Self::build(codes.to_vec(), n_groups))
    }

    /// Groups numbered by first appearance of each distinct key; also returns the keys,
    /// `keys[g]` naming group `g`.
    ///
    /// # Panics
    /// With more than `u32::MAX as usize + 1` distinct keys.
    pub fn from_keys<K: Hash + Eq>(keys: impl IntoIterator<Item = K>) -> (Groups, Vec<K>) {
        let keys = keys.into_iter();
        let mut of_row = Vec::with_capacity(keys.size_hint().0);
        let mut code_of: HashMap<K, u32> = HashMap::new();
        for key in keys {
            let next = code_of.len();
            let code = *code_of
                .entry(key)
                .or_insert_with(|| u32::try_from(next).expect("at most 2^32 distinct group keys"));
            of_row.push(code);
        }
        let n_groups = code_of.len();
        // `code_of` owns the keys; hand them back in code order without asking for `Clone`.
        let mut names: Vec<Option<K>> = std::iter::repeat_with(|| None).take(n_groups).collect();
        for (k, c) in code_of {
            names[c as usize] = Some(k);
        }
        let names = names
            .into_iter()
            .map(|k| k.expect("every code named"))
            .collect();
        (Self::build(of_row, n_groups), names)
    }

    fn build(of_row: Vec<u32>, n_groups: usize) -> Groups {
        let mut starts = vec![0usize; n_groups + 1];
        for &c in &of_row {
            starts[c as usize + 1] += 1;
        }
        for g in 0..n_groups {
            starts[g + 1] += starts[g];
        }
        let mut next = starts[..n_groups].to_vec();
        let mut rows = vec![0usize; of_row.len()];
        for (r, &c) in of_row.iter().enumerate() {
            rows[next[c as usize]] = r;
            next[c as usize] += 1;
        }
        Groups {
            of_row,
            starts,
            rows,
        }
    }

    /// Rows of the table.
    pub fn nrows(&self) -> usize {
        self.of_row.len()
    }

    /// Number of groups (including any without rows, from [`from_codes`](Self::from_codes)).
    pub fn n_groups(&self) -> usize {
        self.starts.len() - 1
    }

    /// The group of each row.
    pub fn codes(&self) -> &[u32] {
        &self.of_row
    }

    /// The rows of group `g`, in table order.
    ///
    /// # Panics
    /// If `g >= n_groups()`.
    pub fn rows(&self, g: usize) -> &[usize] {
        &self.rows[self.starts[g]..self.starts[g + 1]]
    }

    /// Number of rows of group `g`.
    ///
    /// # Panics
    /// If `g >= n_groups()`.
    pub fn len_of(&self, g: usize) -> usize {
        self.starts[g + 1] - self.starts[g]
    }

    /// Groups with rows but too few of them for any row to have every feature of `cfg`
    /// defined (at most [`FeatureConfig::warmup`] rows), as `(group, rows)` in group order.
    /// Their rows are still computed, NaN where undefined; callers warn about them.
    pub fn short_groups(&self, cfg: &FeatureConfig) -> Vec<(usize, usize)> {
        (0..self.n_groups())
            .map(|g| (g, self.len_of(g)))
            .filter(|&(_, n)| n > 0 && n <= cfg.warmup())
            .collect()
    }

    /// The groups split into at most `bins` lists of near-equal total rows: longest group
    /// first onto the least-loaded list (ties to the lowest index), so the split depends only
    /// on the group sizes.
    fn balanced(&self, bins: usize) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.n_groups()).collect();
        order.sort_by_key(|&g| (std::cmp::Reverse(self.len_of(g)), g));
        let mut lists = vec![Vec::new(); bins.max(1)];
        let mut load = vec![0usize; lists.len()];
        for g in order {
            let (i, _) = load
                .iter()
                .enumerate()
                .min_by_key(|&(i, &l)| (l, i))
                .expect("at least one list");
            load[i] += self.len_of(g);
            lists[i].push(g);
        }
        lists
    }
}

/// One group's output rows, in its time order.
type GroupRows<'a> = Vec<&'a mut [f64]>;

/// Rows per thread below which another thread costs more than it saves.
const MIN_ROWS_PER_THREAD: usize = 1 << 14;

/// Features of a long-format table: row `t` is what [`RollingFeatures`] yields (NaN where
/// undefined, as in [`extract_features`](super::extract_features)) after the prices of
/// `t`'s group up to and including `t`, in table order. So each group's rows equal
/// `extract_features` on that group's prices alone, bit for bit, and never see another
/// group's prices.
///
/// `prices[t]` is row `t`'s price; rows of a group must be in time order within the table,
/// groups may be interleaved. Work is split over `par`'s threads by whole groups (each group
/// runs sequentially), so results are identical for any thread count; a table with one
/// group runs on one thread (use [`extract_features`](super::extract_features) for one long
/// series).
///
/// # Errors
/// [`PipelineError::ShapeMismatch`] when `prices` and `groups` differ in rows;
/// [`PipelineError::InvalidSetting`] for a bad configuration, or one whose bar features read
/// more than the close (use [`extract_bar_features_grouped`]).
pub fn extract_features_grouped(
    prices: &[f64],
    groups: &Groups,
    cfg: &FeatureConfig,
    par: Par,
) -> Result<FeatureMatrix> {
    extract_bar_features_grouped(&Bars::close(prices), groups, cfg, par)
}

/// [`extract_features_grouped`] over bars: row `t` is what
/// [`RollingFeatures::update_bar`] yields after the bars of `t`'s group up to and including
/// `t`, so each group's rows equal [`extract_bar_features`](super::extract_bar_features) on
/// that group's bars alone, bit for bit.
///
/// # Errors
/// As [`extract_features_grouped`]; and as
/// [`extract_bar_features`](super::extract_bar_features) for missing or mismatched columns.
pub fn extract_bar_features_grouped(
    bars: &Bars<'_>,
    groups: &Groups,
    cfg: &FeatureConfig,
    par: Par,
) -> Result<FeatureMatrix> {
    cfg.validate()?;
    bars.check_shape(cfg.bars)?;
    let prices = bars.close;
    if prices.len() != groups.nrows() {
        return Err(PipelineError::ShapeMismatch {
            what: "prices against group rows",
            expected: groups.nrows(),
            got: prices.len(),
        });
    }
    let cols = cfg.n_features();
    let mut data = vec![f64::NAN; prices.len() * cols];
    // Each group's output rows, gathered so one worker can own them while the rows of
    // other groups, interleaved with them, belong to other workers.
    let mut outs: Vec<GroupRows> = (0..groups.n_groups())
        .map(|g| Vec::with_capacity(groups.len_of(g)))
        .collect();
    for (row, &g) in data.chunks_exact_mut(cols).zip(&groups.of_row) {
        outs[g as usize].push(row);
    }
    let mut outs: Vec<Option<GroupRows>> = outs.into_iter().map(Some).collect();

    let run_group = |g: usize, out: GroupRows| {
        // The start `extract_features` gives its first chunk, so values agree bit for bit.
        let mut f = RollingFeatures::starting_at(cfg.clone(), 0).expect("validated above");
        for (row, &t) in out.into_iter().zip(groups.rows(g)) {
            row.copy_from_slice(f.push_bar(&bars.bar(t)));
        }
    };
    let threads = par
        .threads()
        .min(groups.n_groups())
        .min(prices.len() / MIN_ROWS_PER_THREAD)
        .max(1);
    let work: Vec<Vec<(usize, GroupRows)>> = groups
        .balanced(threads)
        .into_iter()
        .map(|list| {
            list.into_iter()
                .map(|g| (g, outs[g].take().expect("each group listed once")))
                .collect()
        })
        .collect();
    if threads == 1 {
        for (g, out) in work.into_iter().flatten() {
            run_group(g, out);
        }
    } else {
        std::thread::scope(|s| {
            let workers = work
                .into_iter()
                .map(|mine| {
                    let run_group = &run_group;
                    s.spawn(move || {
                        for (g, out) in mine {
                            run_group(g, out);
                        }
                    })
                })
                .collect();
            crate::workers::join_in_order(workers);
        });
    }
    Ok(FeatureMatrix::from_parts(cfg.names(), prices.len(), data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_out_of_range_name_the_row() {
        let err = Groups::from_codes(&[0, 1, 3, 1], 3).unwrap_err();
        assert!(err.to_string().contains("row 2"), "{err}");
        let g = Groups::from_codes(&[2, 0, 2], 4).unwrap();
        assert_eq!(g.n_groups(), 4);
        assert_eq!(g.rows(1), [] as [usize; 0]);
        assert_eq!(g.rows(2), [0, 2]);
    }

    #[test]
    fn balanced_lists_cover_every_group_once() {
        let codes: Vec<u32> = (0..1000u32).map(|i| (i * 7 + i / 3) % 13).collect();
        let g = Groups::from_codes(&codes, 13).unwrap();
        for bins in 1..6 {
            let mut all: Vec<usize> = g.balanced(bins).into_iter().flatten().collect();
            all.sort_unstable();
            assert_eq!(all, (0..13).collect::<Vec<_>>(), "bins {bins}");
        }
    }

    #[test]
    fn empty_table() {
        let (g, names) = Groups::from_keys(Vec::<&str>::new());
        assert!(names.is_empty());
        let fm =
            extract_features_grouped(&[], &g, &FeatureConfig::default(), Par::Rayon(2)).unwrap();
        assert_eq!(fm.nrows(), 0);
    }
}
