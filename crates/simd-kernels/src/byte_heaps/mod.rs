//! Walks of complete binary trees of depth at most 6 whose nodes are bytes: a whole tree's
//! decisions at once, for single-row tree-ensemble inference.
//!
//! Why. A row's walk of a depth-6 tree is six dependent steps, each a load of the node, a
//! load of the rank it names and a compare (see [`Heaps`](crate::Heaps)): about 30
//! instructions a tree, which bound a 500-tree prediction however the walks are
//! interleaved. When slots and limits fit a byte, one tree's 63 nodes fit one 64-byte
//! register: one byte permute (`vpermi2b`, a 128-entry table in two registers) fetches the
//! rank every node reads, one compare gives all 63 decisions as a 64-bit mask, and two
//! lookups in 128-entry tables turn the mask into the leaf place. Every node is decided,
//! not only the six on the path, but in four instructions instead of thirty.
//!
//! Lanes. The mask is read by tables of 7-bit keys, so the tree is cut into its top `a =
//! min(D, 3)` levels and `2^a` subtrees of the `b = D - a` levels below; each part's nodes
//! sit in consecutive lanes in heap order: the top's `2^a - 1` nodes in lanes `0..`, then
//! subtree `s`'s `2^b - 1` nodes from lane `2^a - 1 + s (2^b - 1)` (63 lanes at depth 6).
//! The top's bits pick the subtree, its own bits the leaf below it.
//!
//! Nodes and ranks. A node is `(slot, lim)`; the walk goes left when `ranks[slot] < lim`,
//! as in [`Heaps`](crate::Heaps), with bytes: up to 256 slots (two permutes and a blend
//! above 128) and ranks and limits in `0..=255`. Paths: AVX-512 with VBMI (Ice Lake and
//! later Intel cores, AMD Zen 4 and later); AVX2 for at most 64 slots (four 16-entry
//! `vpshufb` look-ups per 32 nodes: about 40 instructions a tree, so whether it beats the
//! 32-bit walk depends on the core and is measured once per process, see `choice`); else a
//! scalar walk over the same lanes, correct but no faster than [`Heaps`](crate::Heaps)'
//! walks. Callers ask [`ByteHeaps::is_fast_on`] and keep 32-bit heaps where it says no.

use crate::isa::Isa;

mod layout;
mod scalar;

pub use layout::{ByteHeaps, BYTE_HEAPS_MAX_DEPTH, BYTE_HEAPS_MAX_SLOTS};

impl ByteHeaps {
    /// Trees of depth `depth` from `nodes`: `2^depth` `(slot, lim)` pairs per tree in heap
    /// order (node `h`'s children are `2h + 1` and `2h + 2`; the last pair of each tree is
    /// ignored), every slot below `slots`.
    ///
    /// # Panics
    /// If `depth > BYTE_HEAPS_MAX_DEPTH`, `slots > BYTE_HEAPS_MAX_SLOTS`, `nodes.len()` is
    /// not a multiple of `2^depth`, or a node names a slot at or above `slots` (the message
    /// names the tree and node).
    pub fn new(depth: u32, slots: usize, nodes: &[[u8; 2]]) -> Self {
        let heaps = Self::build(depth, slots, nodes);
        // Whether the AVX2 walk is the faster is measured now, once per process, so that no
        // walk waits for (or allocates in) the measurement.
        #[cfg(target_arch = "x86_64")]
        if heaps.path(Isa::Avx2Fma) == Path::Avx2 {
            choice::bytes_on_avx2();
        }
        heaps
    }

    /// Whether these heaps' walk on `isa` beats the 32-bit heaps' walks on this CPU: on
    /// AVX-512 with VBMI always; on AVX2 (at most 64 slots) when the once-per-process
    /// measurement says so.
    pub fn is_fast_on(&self, isa: Isa) -> bool {
        match self.path(isa) {
            #[cfg(target_arch = "x86_64")]
            Path::Vbmi => true,
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => choice::bytes_on_avx2(),
            Path::Scalar => false,
        }
    }

    /// The fastest walk of these heaps `isa` allows on this CPU.
    fn path(&self, isa: Isa) -> Path {
        #[cfg(target_arch = "x86_64")]
        {
            if isa == Isa::Avx512 && avx512::is_supported() {
                return Path::Vbmi;
            }
            if matches!(isa, Isa::Avx2Fma | Isa::Avx512)
                && self.slots <= avx2::MAX_SLOTS
                && std::arch::is_x86_feature_detected!("avx2")
            {
                return Path::Avx2;
            }
        }
        let _ = isa;
        Path::Scalar
    }

    /// The leaf place (`0..2^depth`, counted from the left) one row reaches in each of the
    /// trees `first..first + out.len()`, into `out`; `ranks` is the row's ranks, at least
    /// [`ranks_len`](Self::ranks_len) of them.
    ///
    /// # Panics
    /// If `ranks` is too short, the trees run past the last one, or the CPU does not support
    /// `isa`.
    #[track_caller]
    pub fn leaves_with(&self, isa: Isa, ranks: &[u8], first: usize, out: &mut [u32]) {
        let trees = first..first.saturating_add(out.len());
        self.fold_leaves_with(isa, ranks, trees, (), |(), t, place| out[t - first] = place);
    }

    /// Folds `f` over the trees `trees` in order: `acc = f(acc, t, place)` with the leaf
    /// place the row (its `ranks`) reaches in tree `t`; returns the last `acc`. This is
    /// [`leaves_with`](Self::leaves_with) with the caller's use of each place (summing its
    /// leaf, say) inside the walk's loop, where it overlaps the next trees' work; the
    /// accumulator passes by value, so a sum stays in a register (through a captured
    /// reference it would go through memory at every tree: the walk's loop is compiled
    /// apart from the caller, for its ISA).
    ///
    /// # Panics
    /// As [`leaves_with`](Self::leaves_with).
    #[track_caller]
    #[inline]
    pub fn fold_leaves_with<A>(
        &self,
        isa: Isa,
        ranks: &[u8],
        trees: std::ops::Range<usize>,
        acc: A,
        f: impl FnMut(A, usize, u32) -> A,
    ) -> A {
        isa.assert_supported();
        assert!(
            ranks.len() >= self.ranks_len(),
            "ByteHeaps::leaves: {} ranks, need {}",
            ranks.len(),
            self.ranks_len()
        );
        assert!(
            trees.start <= trees.end && trees.end <= self.n_trees,
            "ByteHeaps::leaves: trees {}..{} of {}",
            trees.start,
            trees.end,
            self.n_trees
        );
        match self.path(isa) {
            // SAFETY: the CPU has AVX-512 F, BW and VBMI (`path`); the checks above give
            // `walk_trees` its contract.
            #[cfg(target_arch = "x86_64")]
            Path::Vbmi => unsafe { avx512::walk_trees(self, ranks, trees, acc, f) },
            // SAFETY: the CPU has AVX2 and there are at most 64 slots (`path`); the checks
            // above give the rest of `walk_trees`' contract (`ranks_len` is 128).
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => unsafe { avx2::walk_trees(self, ranks, trees, acc, f) },
            Path::Scalar => scalar::walk_trees(self, ranks, trees, acc, f),
        }
    }
}

/// The walks of a [`ByteHeaps`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    #[cfg(target_arch = "x86_64")]
    Vbmi,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Scalar,
}

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
mod choice;
#[cfg(test)]
mod tests;
