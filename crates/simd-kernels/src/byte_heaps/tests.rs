//! Every byte-heap walk against the textbook walk of the same heaps: random nodes and
//! ranks, depths 0 to 6, slot counts on both sides of 128, tree counts around the chunk
//! sizes callers use, and ranks and limits at the edges (0, equal, 255).

use super::*;

/// The textbook walk: from the root, left when the rank is below the limit.
fn reference(nodes: &[[u8; 2]], depth: u32, tree: usize, ranks: &[u8]) -> u32 {
    let width = 1usize << depth;
    let mut h = 0;
    for _ in 0..depth {
        let [slot, lim] = nodes[tree * width + h];
        let left = ranks[usize::from(slot)] < lim;
        h = if left { 2 * h + 1 } else { 2 * h + 2 };
    }
    (h + 1 - width) as u32
}

struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    /// A rank or limit: often an edge value or one of a few close values.
    fn value(&mut self) -> u8 {
        match self.below(6) {
            0 => 0,
            1 => 255,
            2 => 1 + self.below(3) as u8,
            _ => self.below(256) as u8,
        }
    }
}

/// The walks this machine can run on the given heaps.
fn walks() -> Vec<(&'static str, Walk)> {
    fn plain(h: &ByteHeaps, q: &[u8], first: usize, out: &mut [u32]) {
        let trees = first..first + out.len();
        scalar::walk_trees(h, q, trees, (), |(), t, p| out[t - first] = p);
    }
    let mut w: Vec<(&'static str, Walk)> = vec![("scalar", plain)];
    #[cfg(target_arch = "x86_64")]
    if avx512::is_supported() {
        fn vector(h: &ByteHeaps, q: &[u8], first: usize, out: &mut [u32]) {
            let trees = first..first + out.len();
            // SAFETY: AVX-512 VBMI checked before this walk is listed; the test passes valid
            // trees and `ranks_len` ranks.
            unsafe { avx512::walk_trees(h, q, trees, (), |(), t, p| out[t - first] = p) };
        }
        w.push(("avx512-vbmi", vector));
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        fn shuffles(h: &ByteHeaps, q: &[u8], first: usize, out: &mut [u32]) {
            if h.slots() > avx2::MAX_SLOTS {
                // Beyond the AVX2 walk's table: the scalar walk stands in.
                return scalar::walk_trees(h, q, first..first + out.len(), (), |(), t, p| {
                    out[t - first] = p;
                });
            }
            let trees = first..first + out.len();
            // SAFETY: AVX2 checked before this walk is listed; at most 64 slots (checked
            // just now), valid trees and `ranks_len` (128) ranks.
            unsafe { avx2::walk_trees(h, q, trees, (), |(), t, p| out[t - first] = p) };
        }
        w.push(("avx2", shuffles));
    }
    w
}

type Walk = fn(&ByteHeaps, &[u8], usize, &mut [u32]);

#[test]
fn every_walk_reaches_the_reference_leaf() {
    let mut rng = Xorshift(0x6279_7465_6865_6170);
    for depth in 0..=BYTE_HEAPS_MAX_DEPTH {
        for slots in [1usize, 2, 50, 64, 65, 127, 128, 129, 200, 256] {
            for n_trees in [1usize, 7, 32, 33, 70] {
                let nodes: Vec<[u8; 2]> = (0..n_trees << depth)
                    .map(|_| [rng.below(slots as u64) as u8, rng.value()])
                    .collect();
                let heaps = ByteHeaps::new(depth, slots, &nodes);
                assert_eq!(heaps.ranks_len(), if slots <= 128 { 128 } else { 256 });
                for _ in 0..4 {
                    let ranks: Vec<u8> = (0..heaps.ranks_len()).map(|_| rng.value()).collect();
                    let want: Vec<u32> = (0..n_trees)
                        .map(|t| reference(&nodes, depth, t, &ranks))
                        .collect();
                    for (name, walk) in walks() {
                        // Every start and length that a chunked caller could ask for.
                        for first in [0, n_trees / 2, n_trees] {
                            let mut out = vec![u32::MAX; n_trees - first];
                            walk(&heaps, &ranks, first, &mut out);
                            assert_eq!(
                                out,
                                want[first..],
                                "{name}: depth {depth}, {slots} slots, {n_trees} trees from \
                                 {first}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn every_isa_reaches_the_reference_leaf() {
    let nodes: Vec<[u8; 2]> = (0..64u8).map(|i| [i % 3, i.wrapping_mul(37)]).collect();
    let heaps = ByteHeaps::new(6, 3, &nodes);
    let ranks: Vec<u8> = (0..128u8).map(|i| i.wrapping_mul(101)).collect();
    let want = reference(&nodes, 6, 0, &ranks);
    for isa in Isa::available() {
        let mut out = [u32::MAX];
        heaps.leaves_with(isa, &ranks, 0, &mut out);
        assert_eq!(out[0], want, "{isa:?}");
    }
}

#[test]
fn lanes_hold_each_node_once() {
    for depth in 0..=BYTE_HEAPS_MAX_DEPTH {
        let mut seen = [false; 64];
        for h in 0..(1usize << depth) - 1 {
            let lane = layout::lane_of(depth, h);
            assert!(
                lane < 64 && !seen[lane],
                "depth {depth}: node {h} on lane {lane}"
            );
            seen[lane] = true;
        }
    }
}

#[test]
#[should_panic(expected = "tree 1 node 2 reads slot 5, not below 5")]
fn a_slot_past_the_ranks_is_refused() {
    let mut nodes = vec![[0u8, 0]; 8];
    nodes[6] = [5, 1];
    let _ = ByteHeaps::new(2, 5, &nodes);
}

#[test]
#[should_panic(expected = "depth 7 above 6")]
fn a_deeper_tree_is_refused() {
    let _ = ByteHeaps::new(7, 1, &[[0, 0]; 128]);
}

#[test]
#[should_panic(expected = "ByteHeaps::leaves: 100 ranks, need 128")]
fn short_ranks_are_refused() {
    let heaps = ByteHeaps::new(1, 1, &[[0, 0]; 2]);
    heaps.leaves_with(Isa::Scalar, &[0; 100], 0, &mut [0]);
}
