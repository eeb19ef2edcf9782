//! Every heap walk against the textbook walk of the same heaps: random nodes and ranks,
//! depths 0 to 12, tree and row counts around the lane and group widths, and limits at
//! the edges (0, equal to the rank, 0xFFFF).

use super::*;

/// The textbook walk: from the root, left when the rank is below the limit.
fn reference(nodes: &[u32], depth: u32, tree: usize, ranks: &[u16]) -> u32 {
    let width = 1usize << depth;
    let mut h = 0;
    for _ in 0..depth {
        let node = nodes[tree * width + h];
        let left = u32::from(ranks[(node & 0xFFFF) as usize]) < node >> 16;
        h = if left { 2 * h + 1 } else { 2 * h + 2 };
    }
    (h + 1 - width) as u32
}

struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, n: u64) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n) as u32
    }

    /// A rank or limit: often an edge value.
    fn value(&mut self) -> u32 {
        match self.below(6) {
            0 => 0,
            1 => 0xFFFF,
            2 => 1,
            _ => self.below(40),
        }
    }
}

/// The walks this machine can run: scalar, and on AVX2 the gathers too (both forms, whatever
/// the measured choice).
fn walks() -> Vec<(&'static str, WalkTrees, WalkRows)> {
    let mut w: Vec<(&'static str, WalkTrees, WalkRows)> =
        vec![("lockstep", walk_trees_scalar, walk_rows_scalar)];
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        fn trees(h: &Heaps, q: &[u16], first: usize, out: &mut [u32]) {
            // SAFETY: AVX2 checked before this walk is listed; the test passes valid trees
            // and `ranks_len` ranks.
            unsafe { avx2::walk_trees(h, q, first, out) }
        }
        fn rows(h: &Heaps, q: &[u16], stride: usize, tree: usize, out: &mut [u32]) {
            // SAFETY: as above; rows of `stride >= ranks_len` ranks, small strides.
            unsafe { avx2::walk_rows(h, q, stride, tree, out) }
        }
        w.push(("gather", trees, rows));
    }
    w
}

type WalkTrees = fn(&Heaps, &[u16], usize, &mut [u32]);
type WalkRows = fn(&Heaps, &[u16], usize, usize, &mut [u32]);

#[test]
fn every_walk_reaches_the_reference_leaf() {
    let mut rng = Xorshift(0x1234_5678_9abc_def1);
    for depth in 0..=12u32 {
        for n_trees in [1usize, 7, 8, 9, 31, 32, 33, 70] {
            if n_trees << depth > 1 << 18 {
                continue;
            }
            let slots = 1 + rng.below(30) as usize;
            let nodes: Vec<u32> = (0..n_trees << depth)
                .map(|_| rng.below(slots as u64) | rng.value() << 16)
                .collect();
            let heaps = Heaps::new(depth, slots, &nodes);
            let stride = heaps.ranks_len() + rng.below(3) as usize;
            let rows = 1 + rng.below(40) as usize;
            let ranks: Vec<u16> = (0..rows * stride).map(|_| rng.value() as u16).collect();
            for (name, trees, by_rows) in walks() {
                for first in [0, n_trees / 2, n_trees - 1] {
                    let mut out = vec![u32::MAX; n_trees - first];
                    trees(&heaps, &ranks, first, &mut out);
                    for (i, &o) in out.iter().enumerate() {
                        let want = reference(&nodes, depth, first + i, &ranks);
                        assert_eq!(o, want, "{name}: depth {depth}, tree {}", first + i);
                    }
                }
                let tree = rng.below(n_trees as u64) as usize;
                let mut out = vec![u32::MAX; rows];
                by_rows(&heaps, &ranks, stride, tree, &mut out);
                for (r, &o) in out.iter().enumerate() {
                    let want = reference(&nodes, depth, tree, &ranks[r * stride..]);
                    assert_eq!(o, want, "{name}: depth {depth}, tree {tree}, row {r}");
                }
            }
            // The public entry on every ISA agrees too.
            for isa in Isa::available() {
                let mut out = vec![0; n_trees];
                heaps.leaves_with(isa, &ranks[..stride], 0, &mut out);
                for (t, &o) in out.iter().enumerate() {
                    assert_eq!(o, reference(&nodes, depth, t, &ranks), "{isa:?}: tree {t}");
                }
            }
        }
    }
}

#[test]
#[should_panic(expected = "reads slot 5, not below 5")]
fn a_slot_out_of_range_is_refused() {
    Heaps::new(1, 5, &[5, 0]);
}

#[test]
#[should_panic(expected = "3 ranks, need 4")]
fn short_ranks_are_refused() {
    let heaps = Heaps::new(1, 3, &[2 | 7 << 16, 0]);
    heaps.leaves_with(Isa::Scalar, &[0; 3], 0, &mut [0]);
}

#[test]
#[should_panic(expected = "trees 1..3 of 2")]
fn trees_past_the_last_are_refused() {
    let heaps = Heaps::new(1, 3, &[0, 0, 0, 0]);
    heaps.leaves_with(Isa::Scalar, &[0; 4], 1, &mut [0, 0]);
}

#[test]
fn the_unused_word_of_a_block_is_ignored() {
    // The last word of each block may hold anything, even an out-of-range slot.
    let heaps = Heaps::new(1, 2, &[1 | 5 << 16, u32::MAX]);
    let mut out = [9];
    heaps.leaves_with(Isa::Scalar, &[0, 4, 0], 0, &mut out);
    assert_eq!(out, [0], "rank 4 < limit 5: left");
}
