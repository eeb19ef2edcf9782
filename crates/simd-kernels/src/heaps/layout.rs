//! What a [`Heaps`] holds, and the constructor and accessors every walk uses.

/// A cache line of nodes; heaps start on one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(64))]
struct Line([u32; 16]);

/// Deepest tree a [`Heaps`] holds: gather offsets of 32 blocks of `2^D` nodes must fit
/// `i32`, and a deeper complete tree would not fit any cache anyway.
pub const HEAPS_MAX_DEPTH: u32 = 16;

/// Walks (trees) per register on the AVX2 path, and per lockstep group on the scalar one.
pub(super) const LANES: usize = 8;

/// Complete binary trees of one depth, as heaps of `slot | lim << 16` nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heaps {
    pub(super) depth: u32,
    pub(super) n_trees: usize,
    /// Every node's slot is below this.
    pub(super) slots: usize,
    /// `n_trees` blocks of `2^depth` nodes, line aligned.
    lines: Vec<Line>,
}

impl Heaps {
    /// `Heaps::new` without the walk measurement (which itself builds heaps).
    pub(super) fn build(depth: u32, slots: usize, nodes: &[u32]) -> Self {
        assert!(
            depth <= HEAPS_MAX_DEPTH,
            "Heaps::new: depth {depth} above {HEAPS_MAX_DEPTH}"
        );
        let width = 1usize << depth;
        assert!(
            nodes.len().is_multiple_of(width),
            "Heaps::new: {} nodes is not a whole number of trees of {width}",
            nodes.len()
        );
        let n_trees = nodes.len() / width;
        for (t, block) in nodes.chunks_exact(width).enumerate() {
            for (h, &node) in block[..width - 1].iter().enumerate() {
                let slot = (node & 0xFFFF) as usize;
                assert!(
                    slot < slots,
                    "Heaps::new: tree {t} node {h} reads slot {slot}, not below {slots}"
                );
            }
        }
        let mut lines = vec![Line([0; 16]); nodes.len().div_ceil(16)];
        for (k, &node) in nodes.iter().enumerate() {
            // The ignored last word of each block is stored as 0 too: a valid node.
            lines[k / 16].0[k % 16] = if k % width == width - 1 { 0 } else { node };
        }
        Self {
            depth,
            n_trees,
            slots,
            lines,
        }
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

    /// Ranks a row must hold: `slots() + 1` (32-bit gathers read the rank after the one
    /// they need).
    pub fn ranks_len(&self) -> usize {
        self.slots + 1
    }

    /// The nodes as pairs of 16-bit halves (their order in memory: the slot first on a
    /// little-endian CPU).
    pub(super) fn pairs(&self) -> &[[u16; 2]] {
        let words = self.nodes();
        // SAFETY: `[u16; 2]` has the size of `u32` and a smaller alignment, so the `words`
        // initialized `u32`s are as many initialized pairs; the slice borrows `self`.
        unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<[u16; 2]>(), words.len()) }
    }

    pub(super) fn nodes(&self) -> &[u32] {
        // Lines are 16 `u32`s with no padding (size 64, align 64): a plain `u32` array.
        let words = self.lines.len() * 16;
        // SAFETY: `lines` is `words` initialized `u32`s laid out contiguously (`repr(C)`
        // array of 16 per line, no padding between lines since size == align), and the
        // slice borrows `self`.
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr().cast::<u32>(), words) }
    }
}
