//! Which rows each leaf of the tree being grown holds: one array of row indices, each leaf
//! a contiguous range of it (LightGBM's data partition). Splitting a leaf reorders its range
//! only, stably (left rows first, in their order, then right rows), so no feature data is
//! copied and the order, hence every sum over a leaf, does not depend on anything but the
//! data.

use fast_math::Team;

/// The rows of every leaf.
#[derive(Clone, Debug)]
pub(super) struct Partition {
    rows: Vec<u32>,
    /// `(start, len)` of each leaf's range.
    ranges: Vec<(usize, usize)>,
    scratch: Vec<u32>,
}

impl Partition {
    /// One leaf (leaf 0) holding `rows`.
    pub fn new(rows: Vec<u32>) -> Self {
        let n = rows.len();
        Partition {
            rows,
            ranges: vec![(0, n)],
            scratch: Vec::new(),
        }
    }

    /// The rows of `leaf`.
    pub fn rows(&self, leaf: usize) -> &[u32] {
        let (s, n) = self.ranges[leaf];
        &self.rows[s..s + n]
    }

    /// Splits `leaf` by the bins `col` of its rows: rows whose bin passes `left` stay in
    /// `leaf`, the others form a new leaf, whose index is returned. A large leaf is split
    /// by the team's threads, into the same order.
    pub fn split(
        &mut self,
        leaf: usize,
        col: &[u8],
        left: impl Fn(u8) -> bool + Sync,
        team: &Team,
    ) -> usize {
        let blocks = team
            .threads()
            .min(self.ranges[leaf].1 / MIN_ROWS_PER_BLOCK)
            .max(1);
        self.split_in_blocks(leaf, col, left, team, blocks)
    }

    /// [`split`](Self::split) with the leaf's range cut into `blocks` contiguous blocks,
    /// each split by one job; then the blocks' left rows are joined, in block order, and
    /// their right rows after them: the order one block gives.
    fn split_in_blocks(
        &mut self,
        leaf: usize,
        col: &[u8],
        left: impl Fn(u8) -> bool + Sync,
        team: &Team,
        blocks: usize,
    ) -> usize {
        let (s, n) = self.ranges[leaf];
        let range = &mut self.rows[s..s + n];
        self.scratch.resize(n, 0);
        let moved_rows = &mut self.scratch[..n];
        let kept = if blocks <= 1 {
            let (kept, moved) = split_block(range, moved_rows, col, &left);
            range[kept..].copy_from_slice(&moved_rows[..moved]);
            kept
        } else {
            let per = n.div_ceil(blocks);
            let mut counts = vec![(0, 0); n.div_ceil(per)];
            let jobs: Vec<_> = range
                .chunks_mut(per)
                .zip(moved_rows.chunks_mut(per))
                .zip(&mut counts)
                .collect();
            team.for_each(jobs, |((r, m), out)| *out = split_block(r, m, col, &left));
            // Left rows move down to follow the previous block's (never past their own
            // start, so in block order no row is overwritten before it moves).
            let mut at = counts[0].0;
            for (b, &(kept, _)) in counts.iter().enumerate().skip(1) {
                range.copy_within(b * per..b * per + kept, at);
                at += kept;
            }
            let kept = at;
            for (b, &(_, moved)) in counts.iter().enumerate() {
                range[at..at + moved].copy_from_slice(&moved_rows[b * per..b * per + moved]);
                at += moved;
            }
            kept
        };
        self.ranges[leaf] = (s, kept);
        self.ranges.push((s + kept, n - kept));
        self.ranges.len() - 1
    }
}

/// Rows a thread's block of a split holds at least: a split costs a few nanoseconds a row,
/// so a block this large takes well over a hundred microseconds, far more than handing it
/// to the team's other thread costs (a microsecond when it is awake, tens when it sleeps on
/// a shared VM). Smaller blocks (8 192 rows) gained nothing measurable at 100k x 50 on a
/// Zen 3 EPYC: the many small leaves, split on one thread, dominate.
pub(super) const MIN_ROWS_PER_BLOCK: usize = 65_536;

/// Splits `range` stably: its left rows to its front, in order, its right rows to the front
/// of `moved_rows`, in order; returns their counts.
fn split_block(
    range: &mut [u32],
    moved_rows: &mut [u32],
    col: &[u8],
    left: &impl Fn(u8) -> bool,
) -> (usize, usize) {
    let sparse = is_sparse(range);
    // Branch-free: each row is written to both places and only the count of its side
    // advances. A row's side is data (half the time either way), which a branch would
    // mispredict about once in two rows. `kept <= k`, so the write never overtakes the
    // read, and the left rows keep their order.
    let (mut kept, mut moved) = (0, 0);
    for k in 0..range.len() {
        if sparse {
            if let Some(&ahead) = range.get(k + PREFETCH_AHEAD) {
                simd_kernels::prefetch(col, ahead as usize);
            }
        }
        let r = range[k];
        let l = left(col[r as usize]);
        range[kept] = r;
        moved_rows[moved] = r;
        kept += usize::from(l);
        moved += usize::from(!l);
    }
    (kept, moved)
}

/// Rows ahead whose data a loop over a sparse leaf asks the cache for.
pub(super) const PREFETCH_AHEAD: usize = 32;

/// Whether `rows` (ascending) are on average more than 16 apart: then a loop over them reads
/// a column of bins (64 to a cache line) or of gradient pairs (8 to a line) by hops the
/// hardware's prefetcher does not follow, and prefetching `PREFETCH_AHEAD` rows ahead
/// overlaps the misses.
pub(super) fn is_sparse(rows: &[u32]) -> bool {
    match (rows.first(), rows.last()) {
        (Some(&a), Some(&b)) => b.abs_diff(a) as usize + 1 > 16 * rows.len(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_are_stable_and_cover_every_row_once() {
        let one = Team::new(1);
        let mut p = Partition::new((0..10).collect());
        let col: Vec<u8> = (0..10).collect();
        let r = p.split(0, &col, |x| x % 3 == 0, &one);
        assert_eq!(p.rows(0), &[0, 3, 6, 9]);
        assert_eq!(p.rows(r), &[1, 2, 4, 5, 7, 8]);
        let r2 = p.split(r, &col, |x| x > 4, &one);
        assert_eq!(p.rows(r), &[5, 7, 8]);
        assert_eq!(p.rows(r2), &[1, 2, 4]);
        assert_eq!(p.rows(0), &[0, 3, 6, 9]);
        let empty = p.split(0, &col, |_| true, &one);
        assert!(p.rows(empty).is_empty());
    }

    #[test]
    fn sparse_rows_split_as_dense_ones_do() {
        // Rows 40 apart: the prefetching loop; the same split as a plain filter.
        let rows: Vec<u32> = (0..500).map(|i| i * 40).collect();
        let col: Vec<u8> = (0..20_000u32).map(|r| (r * 7 % 251) as u8).collect();
        assert!(is_sparse(&rows) && !is_sparse(&[1, 2, 3]) && !is_sparse(&[]));
        let mut p = Partition::new(rows.clone());
        let r = p.split(0, &col, |b| b < 100, &Team::new(1));
        let want: (Vec<u32>, Vec<u32>) = rows.iter().partition(|&&x| col[x as usize] < 100);
        assert_eq!((p.rows(0).to_vec(), p.rows(r).to_vec()), want);
    }

    #[test]
    fn splits_in_blocks_give_the_one_block_order() {
        let col: Vec<u8> = (0..5000u32).map(|r| (r * 37 % 256) as u8).collect();
        let team = Team::new(2);
        // Dense and sparse leaves, blocks that divide the rows and blocks that do not,
        // sides that take every row, none or some.
        let leaves: [Vec<u32>; 3] = [
            (0..5000).collect(),
            (0..5000).step_by(19).collect(),
            (0..1001).rev().collect(),
        ];
        for rows in &leaves {
            for cut in [0u8, 1, 100, 200, 255] {
                let want: (Vec<u32>, Vec<u32>) = rows.iter().partition(|&&r| col[r as usize] < cut);
                for blocks in 1..=7 {
                    let mut p = Partition::new(rows.clone());
                    let r = p.split_in_blocks(0, &col, |b| b < cut, &team, blocks);
                    let got = (p.rows(0).to_vec(), p.rows(r).to_vec());
                    assert_eq!(got, want, "cut {cut}, {blocks} blocks");
                }
            }
        }
    }
}
