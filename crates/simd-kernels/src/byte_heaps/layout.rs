//! What a [`ByteHeaps`] holds: each tree's nodes as two 64-byte lines (slots, limits) in
//! the lane order the mask tables read, and the tables.

/// Deepest tree a [`ByteHeaps`] holds: 63 nodes fill a 64-byte register.
pub const BYTE_HEAPS_MAX_DEPTH: u32 = 6;

/// Most slots a [`ByteHeaps`] reads: byte slots.
pub const BYTE_HEAPS_MAX_SLOTS: usize = 256;

/// Levels the top part of a tree has at most: its mask is a 7-bit table key.
const TOP_LEVELS: u32 = 3;

/// One tree's bytes for 64 lanes (slots or limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(64))]
pub(super) struct Line(pub [u8; 64]);

/// Complete binary trees of one depth (at most 6) with byte slots and limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteHeaps {
    pub(super) depth: u32,
    pub(super) n_trees: usize,
    pub(super) slots: usize,
    /// Each tree's node slots by lane; lanes that hold no node read slot 0.
    pub(super) slot_lines: Vec<Line>,
    /// Each tree's node limits by lane (0 where no node).
    pub(super) lim_lines: Vec<Line>,
    /// The mask tables (see `Tables`).
    pub(super) tables: Tables,
}

/// How a tree's 64-bit decision mask (bit `l` set: lane `l`'s node sends the walk right)
/// becomes its leaf place: `top = mask & top_mask`, then `sub = (mask >> shift[top]) &
/// sub_mask`, and the place is `base[top] + place[sub]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Tables {
    pub top_mask: u64,
    pub sub_mask: u64,
    /// The first lane of the subtree the top's bits choose.
    pub shift: [u8; 128],
    /// The first leaf place under that subtree.
    pub base: [u8; 128],
    /// The leaf place within a subtree its bits choose.
    pub place: [u8; 128],
    /// Each heap node's lane (`lane_of`), for the scalar walk.
    pub lane: [u8; 64],
}

/// The leaf place a `levels`-level heap's mask reaches (bit `h` is heap node `h`, 0-based,
/// set when the walk goes right there).
fn walk_mask(levels: u32, mask: usize) -> usize {
    let mut h = 0;
    for _ in 0..levels {
        h = 2 * h + 1 + (mask >> h & 1);
    }
    h + 1 - (1 << levels)
}

/// Top levels and subtree levels of a tree of `depth`.
pub(super) fn split(depth: u32) -> (u32, u32) {
    let a = depth.min(TOP_LEVELS);
    (a, depth - a)
}

/// The lane of heap node `h` (0-based) of a tree of `depth`.
pub(super) fn lane_of(depth: u32, h: usize) -> usize {
    let (a, b) = split(depth);
    let level = (h + 1).ilog2();
    if level < a {
        return h;
    }
    // The subtree root's place among the top's children, and `h`'s heap index inside it.
    let below = level - a;
    let one_based = h + 1;
    let root = one_based >> below;
    let s = root - (1 << a);
    let local = (1 << below) + one_based - (root << below);
    (1 << a) - 1 + s * ((1 << b) - 1) + local - 1
}

impl Tables {
    fn new(depth: u32) -> Self {
        let (a, b) = split(depth);
        let (top_bits, sub_bits) = ((1u32 << a) - 1, (1u32 << b) - 1);
        let (mut shift, mut base, mut place) = ([0u8; 128], [0u8; 128], [0u8; 128]);
        for key in 0..128 {
            let s = walk_mask(a, key & ((1 << top_bits) - 1));
            // Below 64 and 256: lanes of a 64-lane tree, places of 64 leaves.
            shift[key] = u8::try_from(top_bits as usize + s * sub_bits as usize).unwrap_or(0);
            base[key] = u8::try_from(s << b).unwrap_or(0);
            place[key] = u8::try_from(walk_mask(b, key & ((1 << sub_bits) - 1))).unwrap_or(0);
        }
        let mut lane = [0u8; 64];
        for (h, l) in lane.iter_mut().enumerate().take((1 << depth) - 1) {
            *l = u8::try_from(lane_of(depth, h)).unwrap_or(0);
        }
        Self {
            top_mask: (1 << top_bits) - 1,
            sub_mask: (1 << sub_bits) - 1,
            shift,
            base,
            place,
            lane,
        }
    }

    /// The leaf place of a tree whose decision mask is `mask`.
    #[inline(always)]
    pub fn leaf(&self, mask: u64) -> u32 {
        // Both keys are masked to at most 7 bits: below 128 (the `& 127` says so to the
        // compiler, which then checks no bounds).
        let top = (mask & self.top_mask) as usize & 127;
        let sub = (mask >> self.shift[top] & self.sub_mask) as usize & 127;
        u32::from(self.base[top]) + u32::from(self.place[sub])
    }
}

impl ByteHeaps {
    /// `ByteHeaps::new` without the walk measurement (which itself builds heaps).
    pub(super) fn build(depth: u32, slots: usize, nodes: &[[u8; 2]]) -> Self {
        assert!(
            depth <= BYTE_HEAPS_MAX_DEPTH,
            "ByteHeaps::new: depth {depth} above {BYTE_HEAPS_MAX_DEPTH}"
        );
        assert!(
            slots <= BYTE_HEAPS_MAX_SLOTS,
            "ByteHeaps::new: {slots} slots, at most {BYTE_HEAPS_MAX_SLOTS}"
        );
        let width = 1usize << depth;
        assert!(
            nodes.len().is_multiple_of(width),
            "ByteHeaps::new: {} nodes is not a whole number of trees of {width}",
            nodes.len()
        );
        let n_trees = nodes.len() / width;
        let mut slot_lines = vec![Line([0; 64]); n_trees];
        let mut lim_lines = vec![Line([0; 64]); n_trees];
        for (t, tree) in nodes.chunks_exact(width).enumerate() {
            for (h, &[slot, lim]) in tree[..width - 1].iter().enumerate() {
                assert!(
                    usize::from(slot) < slots,
                    "ByteHeaps::new: tree {t} node {h} reads slot {slot}, not below {slots}"
                );
                let lane = lane_of(depth, h);
                slot_lines[t].0[lane] = slot;
                lim_lines[t].0[lane] = lim;
            }
        }
        Self {
            depth,
            n_trees,
            slots,
            slot_lines,
            lim_lines,
            tables: Tables::new(depth),
        }
    }

    /// Trees `trees` with their slot and limit lines, for the walks.
    pub(super) fn lines(
        &self,
        trees: std::ops::Range<usize>,
    ) -> impl Iterator<Item = (usize, &Line, &Line)> {
        let lines = self.slot_lines[trees.clone()]
            .iter()
            .zip(&self.lim_lines[trees.clone()]);
        trees.zip(lines).map(|(t, (s, l))| (t, s, l))
    }

    /// Splits on every root-to-leaf path.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Trees held.
    pub fn n_trees(&self) -> usize {
        self.n_trees
    }

    /// The bound every slot is below.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Ranks a row must hold: 128, or 256 when there are more than 128 slots (the vector
    /// walk loads the whole table).
    pub fn ranks_len(&self) -> usize {
        if self.slots <= 128 {
            128
        } else {
            256
        }
    }
}
