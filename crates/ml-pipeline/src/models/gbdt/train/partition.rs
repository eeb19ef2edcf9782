//! Which rows each leaf of the tree being grown holds: one array of row indices, each leaf
//! a contiguous range of it (LightGBM's data partition). Splitting a leaf reorders its range
//! only, stably (left rows first, in their order, then right rows), so no feature data is
//! copied and the order, hence every sum over a leaf, does not depend on anything but the
//! data.

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

    /// Splits `leaf`: rows where `left(row)` stay in `leaf`, the others form a new leaf,
    /// whose index is returned.
    pub fn split(&mut self, leaf: usize, left: impl Fn(u32) -> bool) -> usize {
        let (s, n) = self.ranges[leaf];
        let range = &mut self.rows[s..s + n];
        self.scratch.resize(n, 0);
        let moved_rows = &mut self.scratch[..n];
        // Branch-free: each row is written to both places and only the count of its side
        // advances. A row's side is data (half the time either way), which a branch would
        // mispredict about once in two rows. `kept <= k`, so the write never overtakes the
        // read, and the left rows keep their order.
        let (mut kept, mut moved) = (0, 0);
        for k in 0..n {
            let r = range[k];
            let l = left(r);
            range[kept] = r;
            moved_rows[moved] = r;
            kept += usize::from(l);
            moved += usize::from(!l);
        }
        range[kept..].copy_from_slice(&moved_rows[..moved]);
        self.ranges[leaf] = (s, kept);
        self.ranges.push((s + kept, n - kept));
        self.ranges.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_are_stable_and_cover_every_row_once() {
        let mut p = Partition::new((0..10).collect());
        let r = p.split(0, |x| x % 3 == 0);
        assert_eq!(p.rows(0), &[0, 3, 6, 9]);
        assert_eq!(p.rows(r), &[1, 2, 4, 5, 7, 8]);
        let r2 = p.split(r, |x| x > 4);
        assert_eq!(p.rows(r), &[5, 7, 8]);
        assert_eq!(p.rows(r2), &[1, 2, 4]);
        assert_eq!(p.rows(0), &[0, 3, 6, 9]);
        let empty = p.split(0, |_| true);
        assert!(p.rows(empty).is_empty());
    }
}
