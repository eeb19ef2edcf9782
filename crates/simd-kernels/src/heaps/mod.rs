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
//! dependent loads overlap and their places stay in registers; a step reads the node's two
//! 16-bit halves straight from memory, places counting from 1 (five instructions: a load of
//! the slot, a load of its rank, a compare with the limit in memory, a flag, an address). AVX2: eight walks per register, nodes and ranks fetched by `vpgatherdd`, four
//! registers in flight (two gathers and five arithmetic instructions a step for eight
//! walks), or the scalar lockstep walk, whichever this CPU runs faster (measured once per
//! process, see `choice`: gathers are cheap on some cores and slow on others). The AVX-512
//! path runs the AVX2 code (every AVX-512 CPU has AVX2); a single row's walk there is
//! faster still through [`ByteHeaps`](crate::ByteHeaps) when the trees fit its bytes.

use crate::isa::Isa;

mod layout;
mod scalar;

use layout::LANES;
pub use layout::{Heaps, HEAPS_MAX_DEPTH};
use scalar::{walk_rows_scalar, walk_trees_scalar};

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

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod choice;
#[cfg(target_arch = "x86_64")]
pub use choice::HEAP_WALK_ENV_VAR;
#[cfg(test)]
mod tests;
