//! Ranks of values among sorted thresholds, per feature: how many of a feature's thresholds
//! lie strictly below a value. Tree-ensemble inference turns a row into these ranks once,
//! so that every node's float test becomes one integer compare (see ml-pipeline's packed
//! forests).
//!
//! Layout. Each feature's thresholds, padded with +inf to a multiple of 16 (with at least
//! one +inf), form level 0 of a 16-ary search tree; level `l + 1` holds the last key of each
//! block of 16 of level `l`, padded the same way, until a level has 16 keys. A search reads
//! one block of 16 keys per level, top down: `c` = the keys below the value, the next block
//! is child `c`; at level 0, the rank is the block's start plus `c`. Compared with a binary
//! search (eight dependent loads, each a likely cache miss, for 255 thresholds) it is two
//! dependent steps of 16 independent comparisons over two or three cache lines, which SIMD
//! does in four instructions.
//!
//! Why the +inf guarantees the search stays in bounds: the top block's last key is +inf (it
//! covers the end of level 0), so no value is above all of a block's keys at any level but
//! the last, where a count of 16 is the rank itself.

use crate::isa::Isa;

/// Keys per block (and children per key).
const FANOUT: usize = 16;
/// Levels a feature may have: 16^7 thresholds is far beyond any model.
const MAX_LEVELS: usize = 7;

/// A block of 16 keys, aligned so that it spans two cache lines exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(64))]
struct Block([f64; FANOUT]);

/// Where one feature's levels start (in blocks), top level first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Levels {
    /// Block index of each level's first block, top level at 0.
    start: [u32; MAX_LEVELS],
    count: u32,
}

/// Each feature's sorted thresholds, as 16-ary search trees.
#[derive(Clone, Debug, PartialEq)]
pub struct Cuts {
    blocks: Vec<Block>,
    features: Vec<Levels>,
}

impl Cuts {
    /// The search trees of `cuts[f]`, feature `f`'s thresholds: ascending, distinct (as
    /// `<` sees them: not both -0.0 and 0.0) and not NaN.
    ///
    /// # Panics
    /// If a feature's thresholds are not strictly ascending or hold a NaN (the message names
    /// the feature and position).
    pub fn new(cuts: &[Vec<f64>]) -> Self {
        let mut blocks = Vec::new();
        let mut features = Vec::with_capacity(cuts.len());
        for (f, c) in cuts.iter().enumerate() {
            for (i, w) in c.windows(2).enumerate() {
                assert!(
                    w[0] < w[1],
                    "Cuts::new: feature {f}: threshold {} ({}) is not below the next ({})",
                    i,
                    w[0],
                    w[1]
                );
            }
            assert!(
                !c.iter().any(|v| v.is_nan()),
                "Cuts::new: feature {f} has a NaN threshold"
            );
            // Level 0: the thresholds and at least one +inf, to a multiple of 16.
            let mut levels: Vec<Vec<f64>> = vec![padded(c.clone())];
            while levels[levels.len() - 1].len() > FANOUT {
                let below = &levels[levels.len() - 1];
                let keys = below.chunks_exact(FANOUT).map(|b| b[FANOUT - 1]).collect();
                levels.push(padded(keys));
            }
            assert!(
                levels.len() <= MAX_LEVELS,
                "Cuts::new: feature {f} has {} thresholds",
                c.len()
            );
            let mut start = [0; MAX_LEVELS];
            for (slot, level) in start.iter_mut().zip(levels.iter().rev()) {
                *slot = u32::try_from(blocks.len()).expect("Cuts: below 2^32 blocks");
                blocks.extend(level.chunks_exact(FANOUT).map(|b| {
                    let mut block = Block([0.0; FANOUT]);
                    block.0.copy_from_slice(b);
                    block
                }));
            }
            features.push(Levels {
                start,
                count: u32::try_from(levels.len()).unwrap_or(u32::MAX),
            });
        }
        Self { blocks, features }
    }

    /// Features held.
    pub fn n_features(&self) -> usize {
        self.features.len()
    }

    /// `out[k]` = the thresholds of feature `first + k` strictly below `values[k]` (0 for
    /// NaN, which is below nothing), for every `k`.
    ///
    /// # Panics
    /// If `values` and `out` differ in length, the features run past the last one, or the
    /// CPU does not support `isa`.
    #[track_caller]
    pub fn ranks_with(&self, isa: Isa, first: usize, values: &[f64], out: &mut [u32]) {
        isa.assert_supported();
        crate::check_len("Cuts::ranks", values.len(), out.len());
        assert!(
            first <= self.features.len() && out.len() <= self.features.len() - first,
            "Cuts::ranks: features {first}..{} of {}",
            first + out.len(),
            self.features.len()
        );
        let features = &self.features[first..first + out.len()];
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("popcnt") =>
            {
                // SAFETY: the CPU has AVX-512F and POPCNT (checked just now).
                unsafe { ranks_avx512(&self.blocks, features, values, out) }
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma | Isa::Avx512
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("popcnt") =>
            {
                // SAFETY: the CPU has AVX2 and POPCNT (checked just now).
                unsafe { ranks_avx2(&self.blocks, features, values, out) }
            }
            _ => ranks(&self.blocks, features, values, out, count_below_scalar),
        }
    }
}

/// `v` padded with +inf to a multiple of 16, with at least one +inf.
fn padded(mut v: Vec<f64>) -> Vec<f64> {
    let len = (v.len() + 1).div_ceil(FANOUT) * FANOUT;
    v.resize(len, f64::INFINITY);
    v
}

/// The search of every feature, with `count(block, v)` counting a block's keys below `v`.
#[inline(always)]
fn ranks(
    blocks: &[Block],
    features: &[Levels],
    values: &[f64],
    out: &mut [u32],
    count: impl Fn(&Block, f64) -> usize,
) {
    for ((levels, &v), o) in features.iter().zip(values).zip(out) {
        let top = levels.count as usize - 1;
        let mut p = 0;
        for (l, &start) in levels.start[..top].iter().enumerate() {
            // `p` indexes this level's blocks; `c < 16` here (see the module notes), so
            // child block `p * 16 + c` exists on the next level.
            let c = count(&blocks[start as usize + p], v);
            debug_assert!(c < FANOUT, "level {l}: all 16 keys below {v}");
            p = p * FANOUT + c;
        }
        let c = count(&blocks[levels.start[top] as usize + p], v);
        *o = u32::try_from(p * FANOUT + c).unwrap_or(u32::MAX);
    }
}

#[inline(always)]
fn count_below_scalar(block: &Block, v: f64) -> usize {
    block.0.iter().filter(|&&k| k < v).count()
}

/// [`ranks`] with the 16 comparisons of a block in four AVX2 instructions.
///
/// # Safety
/// The CPU must support AVX2 and POPCNT.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
unsafe fn ranks_avx2(blocks: &[Block], features: &[Levels], values: &[f64], out: &mut [u32]) {
    use std::arch::x86_64::{
        _mm256_cmp_pd, _mm256_loadu_pd, _mm256_movemask_pd, _mm256_set1_pd, _CMP_LT_OQ,
    };
    ranks(blocks, features, values, out, |block, v| {
        let v = _mm256_set1_pd(v);
        let p = block.0.as_ptr();
        // SAFETY: a block is 16 `f64`s; the four loads read its quarters.
        let q = unsafe { [0, 4, 8, 12].map(|k| _mm256_loadu_pd(p.add(k))) };
        // Ordered, non-signalling `<`: false for NaN, as the scalar `<`.
        let m = q.map(|q| _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_LT_OQ>(q, v)));
        let bits = m[0] | m[1] << 4 | m[2] << 8 | m[3] << 12;
        bits.count_ones() as usize
    })
}

/// [`ranks`] with the 16 comparisons of a block in two AVX-512 instructions, straight into
/// mask registers.
///
/// # Safety
/// The CPU must support AVX-512F and POPCNT.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,popcnt")]
unsafe fn ranks_avx512(blocks: &[Block], features: &[Levels], values: &[f64], out: &mut [u32]) {
    use std::arch::x86_64::{_mm512_cmp_pd_mask, _mm512_loadu_pd, _mm512_set1_pd, _CMP_LT_OQ};
    ranks(blocks, features, values, out, |block, v| {
        let v = _mm512_set1_pd(v);
        let p = block.0.as_ptr();
        // SAFETY: a block is 16 `f64`s; the two loads read its halves.
        let (lo, hi) = unsafe { (_mm512_loadu_pd(p), _mm512_loadu_pd(p.add(8))) };
        // Ordered, non-signalling `<`: false for NaN, as the scalar `<`.
        let bits = u32::from(_mm512_cmp_pd_mask::<_CMP_LT_OQ>(lo, v))
            | u32::from(_mm512_cmp_pd_mask::<_CMP_LT_OQ>(hi, v)) << 8;
        bits.count_ones() as usize
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain count.
    fn reference(cuts: &[f64], v: f64) -> u32 {
        cuts.iter().filter(|&&c| c < v).count() as u32
    }

    #[test]
    fn ranks_count_the_thresholds_below_on_every_isa() {
        // Feature sizes around the block and level edges.
        let sizes = [
            0usize, 1, 2, 15, 16, 17, 31, 255, 256, 257, 4095, 4096, 5000,
        ];
        let cuts: Vec<Vec<f64>> = sizes
            .iter()
            .map(|&m| (0..m).map(|i| i as f64 * 0.5 - 3.0).collect())
            .collect();
        let table = Cuts::new(&cuts);
        let probes = |m: usize| {
            let mut p = vec![
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NAN,
                -0.0,
                0.0,
                -1e300,
                1e300,
            ];
            for i in 0..m.min(300) {
                let c = i as f64 * 0.5 - 3.0;
                p.extend([c, c - 0.25, c + 0.25, c - 1e-12]);
            }
            p.push(m as f64 * 0.5 - 3.0);
            p
        };
        for isa in Isa::available() {
            for (f, c) in cuts.iter().enumerate() {
                for v in probes(c.len()) {
                    let mut out = [u32::MAX];
                    table.ranks_with(isa, f, &[v], &mut out);
                    assert_eq!(out[0], reference(c, v), "{isa:?}: feature {f}, value {v}");
                }
            }
            // All features at once.
            let values: Vec<f64> = sizes.iter().map(|&m| m as f64 * 0.25 - 3.0).collect();
            let mut out = vec![0; sizes.len()];
            table.ranks_with(isa, 0, &values, &mut out);
            for (f, (&o, &v)) in out.iter().zip(&values).enumerate() {
                assert_eq!(o, reference(&cuts[f], v), "{isa:?}: feature {f}");
            }
        }
    }

    #[test]
    fn infinite_thresholds_are_counted_like_any_other() {
        let cuts = vec![vec![f64::NEG_INFINITY, 0.0, f64::INFINITY]];
        let table = Cuts::new(&cuts);
        for isa in Isa::available() {
            for (v, want) in [
                (f64::NEG_INFINITY, 0),
                (-1.0, 1),
                (1.0, 2),
                (f64::INFINITY, 2),
            ] {
                let mut out = [9];
                table.ranks_with(isa, 0, &[v], &mut out);
                assert_eq!(out[0], want, "{isa:?}: {v}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "feature 1: threshold 0 (0) is not below the next (-0)")]
    fn equal_thresholds_are_refused() {
        Cuts::new(&[vec![1.0], vec![0.0, -0.0]]);
    }

    #[test]
    #[should_panic(expected = "features 1..3 of 2")]
    fn features_past_the_last_are_refused() {
        Cuts::new(&[vec![], vec![]]).ranks_with(Isa::Scalar, 1, &[0.0, 0.0], &mut [0, 0]);
    }
}
