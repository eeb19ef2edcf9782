//! Walks of complete binary decision trees stored as heaps: the inner loop of tree-ensemble
//! inference.
//!
//! A [`Heaps`] holds trees of one depth `D`, each a block of `2^D` 32-bit nodes in heap order
//! (node `h`'s children are `2h + 1` and `2h + 2`; the block's last word is unused, so blocks
//! of 16 nodes and more start on cache lines). A node is `slot | lim << 16`: the walk goes
//! left when `ranks[slot] < lim`. The caller maps a row's values to `u16` ranks beforehand,
//! so that one integer comparison decides each node (see ml-pipeline's packed forests). A
//! walk takes exactly `D` steps and ends on a leaf place `0..2^D`, counted from the left.
//!
//! Paths. Scalar: eight walks in lockstep, the depth a constant, so their chains of
//! dependent loads overlap and their places stay in registers (about five instructions a
//! step). AVX2: eight walks per register, nodes and ranks fetched by `vpgatherdd`, four
//! registers in flight (two gathers and five arithmetic instructions a step for eight
//! walks), or the scalar lockstep walk, whichever this CPU runs faster (measured once per
//! process, see `choice`: gathers are cheap on some cores and slow on others). The AVX-512
//! path runs the AVX2 code (every AVX-512 CPU has AVX2); a 16-lane form could not be tested
//! on the machines at hand.

use crate::isa::Isa;

/// A cache line of nodes; heaps start on one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(64))]
struct Line([u32; 16]);

/// Deepest tree a [`Heaps`] holds: gather offsets of 32 blocks of `2^D` nodes must fit
/// `i32`, and a deeper complete tree would not fit any cache anyway.
pub const HEAPS_MAX_DEPTH: u32 = 16;

/// Walks (trees) per register on the AVX2 path, and per lockstep group on the scalar one.
const LANES: usize = 8;

/// Complete binary trees of one depth, as heaps of `slot | lim << 16` nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heaps {
    depth: u32,
    n_trees: usize,
    /// Every node's slot is below this.
    slots: usize,
    /// `n_trees` blocks of `2^depth` nodes, line aligned.
    lines: Vec<Line>,
}

impl Heaps {
    /// Trees of depth `depth` from `nodes`: `2^depth` words per tree in heap order (the last
    /// word of each block is ignored), each `slot | lim << 16`; every slot must be below
    /// `slots`.
    ///
    /// # Panics
    /// If `depth > HEAPS_MAX_DEPTH`, `nodes.len()` is not a multiple of `2^depth`, or a node
    /// names a slot at or above `slots` (the message names the tree and node).
    pub fn new(depth: u32, slots: usize, nodes: &[u32]) -> Self {
        // The walk this CPU runs faster is measured now, once per process, so that no walk
        // waits for (or allocates in) the measurement.
        #[cfg(target_arch = "x86_64")]
        choice::choice();
        Self::build(depth, slots, nodes)
    }

    /// [`new`](Self::new) without the walk measurement (which itself builds heaps).
    fn build(depth: u32, slots: usize, nodes: &[u32]) -> Self {
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

    fn nodes(&self) -> &[u32] {
        // Lines are 16 `u32`s with no padding (size 64, align 64): a plain `u32` array.
        let words = self.lines.len() * 16;
        // SAFETY: `lines` is `words` initialized `u32`s laid out contiguously (`repr(C)`
        // array of 16 per line, no padding between lines since size == align), and the
        // slice borrows `self`.
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr().cast::<u32>(), words) }
    }

    /// The leaf place one row reaches in each of the trees `first..first + out.len()`, into
    /// `out`; `ranks` is the row's ranks.
    ///
    /// # Panics
    /// If `ranks.len() < ranks_len()`, the trees run past the last one, or the CPU does not
    /// support `isa`.
    #[track_caller]
    pub fn leaves_with(&self, isa: Isa, ranks: &[u16], first: usize, out: &mut [u32]) {
        isa.assert_supported();
        assert!(
            ranks.len() >= self.ranks_len(),
            "Heaps::leaves: {} ranks, need {}",
            ranks.len(),
            self.ranks_len()
        );
        assert!(
            first <= self.n_trees && out.len() <= self.n_trees - first,
            "Heaps::leaves: trees {first}..{} of {}",
            first + out.len(),
            self.n_trees
        );
        match isa {
            Isa::Scalar => walk_trees_scalar(self, ranks, first, out),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma | Isa::Avx512
                if std::arch::is_x86_feature_detected!("avx2") && choice::choice().trees =>
            {
                // SAFETY: the CPU has AVX2 (checked just now); the checks above give
                // `avx2::walk_trees` its contract.
                unsafe { avx2::walk_trees(self, ranks, first, out) }
            }
            _ => walk_trees_scalar(self, ranks, first, out),
        }
    }

    /// The leaf place each of `out.len()` rows reaches in tree `tree`, into `out`: row `r`'s
    /// ranks are `ranks[r * stride..]`.
    ///
    /// # Panics
    /// If `stride < ranks_len()`, `ranks.len() < out.len() * stride`, `tree` is not below
    /// `n_trees()`, or the CPU does not support `isa`.
    #[track_caller]
    pub fn leaves_rows_with(
        &self,
        isa: Isa,
        ranks: &[u16],
        stride: usize,
        tree: usize,
        out: &mut [u32],
    ) {
        isa.assert_supported();
        assert!(
            stride >= self.ranks_len(),
            "Heaps::leaves_rows: stride {stride}, need {}",
            self.ranks_len()
        );
        assert!(
            out.len()
                .checked_mul(stride)
                .is_some_and(|n| ranks.len() >= n),
            "Heaps::leaves_rows: {} ranks for {} rows of {stride}",
            ranks.len(),
            out.len()
        );
        assert!(
            tree < self.n_trees,
            "Heaps::leaves_rows: tree {tree} of {}",
            self.n_trees
        );
        match isa {
            Isa::Scalar => walk_rows_scalar(self, ranks, stride, tree, out),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma | Isa::Avx512
                if std::arch::is_x86_feature_detected!("avx2")
                    && choice::choice().rows
                    && stride.checked_mul(8 * LANES).is_some_and(|b| b < 1 << 30) =>
            {
                // SAFETY: the CPU has AVX2 (checked just now); the checks above, and the
                // stride bound just checked (byte offsets of a group's rows fit `i32`), give
                // `avx2::walk_rows` its contract.
                unsafe { avx2::walk_rows(self, ranks, stride, tree, out) }
            }
            _ => walk_rows_scalar(self, ranks, stride, tree, out),
        }
    }
}

/// One step from place `h` of the block at `base`, on `ranks`.
///
/// # Safety
/// `base + h` is a node of `nodes` (an inner place of a tree's block), and `ranks` holds
/// more than every slot of `nodes`.
#[inline(always)]
unsafe fn step(nodes: &[u32], base: usize, h: usize, ranks: &[u16]) -> usize {
    // SAFETY: the caller's contract.
    let node = unsafe { *nodes.get_unchecked(base + h) };
    // SAFETY: the slot of a node is below `slots` (`Heaps::new`), below `ranks.len()`.
    let r = unsafe { *ranks.get_unchecked((node & 0xFFFF) as usize) };
    // Left `2h + 1` when the rank is below the limit, else `2h + 2`: arithmetic on the
    // comparison, nothing for the branch predictor to miss.
    2 * h + 2 - usize::from(u32::from(r) < node >> 16)
}

/// [`Heaps::leaves_with`] on the scalar path, for the heaps' depth as a constant.
fn walk_trees_scalar(heaps: &Heaps, ranks: &[u16], first: usize, out: &mut [u32]) {
    macro_rules! by_depth {
        ($($d:literal)*) => {
            match heaps.depth {
                $($d => walk_trees_depth::<$d>(heaps, ranks, first, out),)*
                d => unreachable!("depth {d} above HEAPS_MAX_DEPTH"),
            }
        };
    }
    by_depth!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

/// `LANES` consecutive trees in lockstep, so their chains of dependent loads overlap. With
/// the depth a constant, lane `k`'s block sits `k * 2^D` nodes from the group's first: an
/// address is one register (the lane's place) plus constants, and the eight places stay in
/// registers.
#[inline(always)]
fn walk_trees_depth<const D: u32>(heaps: &Heaps, ranks: &[u16], first: usize, out: &mut [u32]) {
    let (nodes, width) = (heaps.nodes(), 1usize << D);
    for (g, o) in out.chunks_mut(LANES).enumerate() {
        let t0 = first + g * LANES;
        let mut h = [0usize; LANES];
        if o.len() == LANES {
            let block = &nodes[t0 * width..(t0 + LANES) * width];
            for _ in 0..D {
                for (k, h) in h.iter_mut().enumerate() {
                    // SAFETY: before step `s` of `D`, `h` is in `2^s - 1 ..= 2^(s+1) - 2`, an
                    // inner place of lane `k`'s block (inside `block`, which holds `LANES`
                    // blocks); `ranks` holds `slots + 1` ranks.
                    *h = unsafe { step(block, k * width, *h, ranks) };
                }
            }
        } else {
            for _ in 0..D {
                for (k, h) in h.iter_mut().enumerate().take(o.len()) {
                    // SAFETY: tree `t0 + k` is below `n_trees` (checked by the caller), and
                    // `h` is an inner place before each step, as above.
                    *h = unsafe { step(nodes, (t0 + k) * width, *h, ranks) };
                }
            }
        }
        for (o, h) in o.iter_mut().zip(h) {
            // After `D` steps `h` is in `width - 1 ..= 2 * width - 2`.
            *o = u32::try_from(h + 1 - width).expect("depth <= 16");
        }
    }
}

/// [`Heaps::leaves_rows_with`] on the scalar path: `LANES` rows in lockstep.
fn walk_rows_scalar(heaps: &Heaps, ranks: &[u16], stride: usize, tree: usize, out: &mut [u32]) {
    let (nodes, width) = (heaps.nodes(), 1usize << heaps.depth);
    let base = tree * width;
    for (g, o) in out.chunks_mut(LANES).enumerate() {
        let r0 = g * LANES;
        let mut h = [0usize; LANES];
        for _ in 0..heaps.depth {
            for (k, h) in h.iter_mut().enumerate().take(o.len()) {
                let row = &ranks[(r0 + k) * stride..(r0 + k + 1) * stride];
                // SAFETY: `tree < n_trees` and `h` is an inner place (as in
                // `walk_trees_scalar`); each row holds `stride >= slots + 1` ranks.
                *h = unsafe { step(nodes, base, *h, row) };
            }
        }
        for (o, h) in o.iter_mut().zip(h) {
            *o = u32::try_from(h + 1 - width).expect("depth <= 16");
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod choice;
#[cfg(target_arch = "x86_64")]
pub use choice::HEAP_WALK_ENV_VAR;
#[cfg(test)]
mod tests;
