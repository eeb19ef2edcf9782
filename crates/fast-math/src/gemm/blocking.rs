//! Cache blocking: the `MC x KC` and `KC x NC` block sizes of the five-loop driver, derived
//! from the cache sizes of the machine the code runs on.

use crate::Scalar;
use simd_kernels::cache::CacheSizes;
use simd_kernels::gemm::{KernelShape, MicroKernel};
use simd_kernels::Isa;

/// Cache blocking for one micro-kernel: `mc`, `kc`, `nc` (multiples of MR and NR).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocking {
    /// Rows of `A` per packed block (the `MC x KC` block fills about half of L2).
    pub mc: usize,
    /// Depth of one packed slice (a `KC x NR` micro-panel of `B` fills about 2/3 of L1).
    pub kc: usize,
    /// Columns of `B` per packed block (the `KC x NC` block fills at most half of L3).
    pub nc: usize,
}

/// The blocking [`gemm`](crate::gemm()) uses for element type `T` on `isa` on this machine,
/// with the micro-kernel's `(MR, NR)`: [`blocking_for_caches`] of
/// [`CacheSizes::detect`].
pub fn blocking<T: Scalar>(isa: Isa) -> (Blocking, usize, usize) {
    let k = MicroKernel::<T>::new(isa, KernelShape::Wide);
    (blocking_for(T::BYTES, k.mr(), k.nr()), k.mr(), k.nr())
}

pub(super) fn blocking_for(bytes: usize, mr: usize, nr: usize) -> Blocking {
    blocking_for_caches(CacheSizes::detect(), bytes, mr, nr)
}

/// Smallest `KC` (see [`blocking_for_caches`]).
const KC_MIN: usize = 256;

/// Largest `NC`: beyond it a larger block of `B` buys nothing (it is reused across all of
/// `A` already) and delays the first tile.
const NC_MAX: usize = 4096;

/// The blocking for caches `c`, elements of `bytes` bytes and an `MR x NR` register tile,
/// by the analytical model of Low et al. ("Analytical modeling is enough for
/// high-performance BLIS", ACM TOMS 2016):
///
/// - `KC`: the `KC x NR` micro-panel of `B`, reused by every register tile of a row block,
///   must stay in L1 while the `MR x KC` micro-panel of `A` streams through it. In an
///   `W`-way set-associative L1 with least-recently-used replacement, that holds when the
///   two panels together take at most `W - 1` ways of each set (one way is left to the `C`
///   tile and the stack); sharing those ways in proportion to the panels' sizes (`MR : NR`)
///   gives `A` `floor((W - 1) * MR / (MR + NR))` ways, and `KC` fills them (a multiple of 8,
///   at most 1024).
///   Below 256 (`KC_MIN`) the model is overruled: each `KC` slice is one more pass that reads
///   and writes all of `C`, and with a large register tile (AVX-512's 24 x 8) the `A`
///   micro-panel outgrows L1 at any useful depth, so the L1 argument buys less than the
///   passes over `C` cost.
/// - `MC`: the packed `MC x KC` block of `A`, reused across every micro-panel of `B`, takes
///   at most a quarter of L2: while it is used the driver prefetches the rows the next block
///   packs into L2 as well, and the `B` micro-panels pass through it (a multiple of MR).
/// - `NC`: the packed `KC x NC` block of `B` takes at most half of L3 (a multiple of NR, at
///   most 4096).
///
/// What it gives:
///
/// | machine (L1d / L2 / L3)                   | ISA, type   | MR x NR | MC  | KC  | NC   |
/// |-------------------------------------------|-------------|---------|-----|-----|------|
/// | AMD EPYC, Zen 3 VM (32K 8-way/512K/32M)   | AVX2 f64    | 8 x 6   | 64  | 256 | 4092 |
/// | AMD EPYC, Zen 3 VM                        | AVX2 f32    | 16 x 6  | 96  | 320 | 4092 |
/// | AMD EPYC, Zen 4 VM (32K 8-way/1M/32M)     | AVX-512 f64 | 24 x 8  | 120 | 256 | 4096 |
/// | AMD EPYC, Zen 4 VM                        | AVX-512 f32 | 48 x 8  | 240 | 256 | 4096 |
/// | Xeon, Sapphire Rapids (48K 12-way/2M/105M)| AVX-512 f64 | 24 x 8  | 240 | 256 | 4096 |
/// | Xeon, Sapphire Rapids                     | AVX-512 f32 | 48 x 8  | 480 | 256 | 4096 |
///
/// On the EPYC, `KC = 256` is what the model predicts and what measured fastest: with `MC`
/// fixed at 72, 40 products of 1024 x 1024 alternated in one process, `KC = 256` beat 192,
/// 320, 384 and 448 (the earlier rule "the `B` micro-panel fills 2/3 of L1", whose 448 lets
/// the streaming `A` panel evict `B`) in 30 to 32 of 40 paired rounds; `MC` from 48 to 96
/// measured within the noise of that shared host. On a Zen 4 EPYC with AVX-512 the model
/// alone gives `KC` 104 (f64) and 128 (f32); 1024 x 1024 products alternated in one process
/// put `KC = 256` ahead of them in 16 of 16 paired rounds (f64: 91.8% of the FMA peak against
/// 89.4%) and ahead of 128, 192 and 384 in f32 (88.7% against 86.6% at 128), with `MC` from
/// 120 to 240 alike; hence the floor. On an Intel Xeon with AVX-512 (48 KiB 12-way L1d,
/// 2 MiB L2; the model gives `KC` 168, the floor 256), 1024 x 1024 products in one process,
/// `KC` from 128 to 512 by `MC` from 120 to 480 all ran at 92-105 GFLOP/s of a 124 GFLOP/s
/// peak, within that host's noise, the rule's 240 x 256 among the fastest: the micro-kernel,
/// not the blocking, sets the pace there (`perf`: 90% of the samples in it).
pub fn blocking_for_caches(c: CacheSizes, bytes: usize, mr: usize, nr: usize) -> Blocking {
    const LINE: usize = 64;
    let ways = c.l1d_ways.max(2);
    let sets = (c.l1d / (ways * LINE)).max(1);
    let a_ways = ((ways - 1) * mr / (mr + nr)).max(1);
    let kc = (a_ways * sets * LINE / (mr * bytes)) / 8 * 8;
    let kc = kc.clamp(KC_MIN, 1024);
    let mc = (c.l2 / 4 / (kc * bytes)) / mr * mr;
    let mc = mc.max(mr);
    let nc = (c.l3 / 2 / (kc * bytes)).min(NC_MAX) / nr * nr;
    let nc = nc.max(nr);
    Blocking { mc, kc, nc }
}

/// `KC` when the micro-kernel reads `B`'s panels in place (`loops::Rhs::Columns`) for a
/// left operand of `m_padded` rows (a multiple of `MR`): the deepest slice, a multiple of 8
/// of at most `KC_IN_PLACE_MAX`, whose packed `m_padded x KC` block of `A` takes at most a
/// quarter of L2 (the room `MC x KC` has otherwise), and never shallower than the packed
/// rule's `kc`. In place, the first register tile over a panel pulls its `NR` columns from
/// memory as runs of `KC` elements, which stream better the longer they are, and there is
/// no packed panel of `B` to keep in L1. For 60 rows the rule gives 904 on AVX-512 (72
/// padded rows) and 1024 on AVX2 (64). Measured on an Intel Xeon (2 MiB L2, one thread,
/// `A^T Y` with `A` 10000 x 2000, `Y` 60 columns, the depths alternated three times in a
/// noisy hour), median times: AVX-512 `KC` 256 89-91 ms, 512 75-84, 904 61-67, 2048
/// 65-72; AVX2 best times 256 125-189 ms, 512 145-170, 1024 102-115, 2048 113-139.
pub(super) fn kc_for_b_in_place(c: CacheSizes, bytes: usize, m_padded: usize, kc: usize) -> usize {
    let fit = (c.l2 / 4 / (m_padded.max(1) * bytes)) / 8 * 8;
    fit.min(KC_IN_PLACE_MAX).max(kc)
}

/// Deepest `KC` of [`kc_for_b_in_place`].
const KC_IN_PLACE_MAX: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use simd_kernels::cache::CacheSource;

    fn caches(l1d: usize, l1d_ways: usize, l2: usize, l3: usize) -> CacheSizes {
        CacheSizes {
            l1d,
            l1d_ways,
            l2,
            l2_ways: 8,
            l3,
            source: CacheSource::Sysfs,
        }
    }

    #[test]
    fn the_rule_gives_the_documented_table() {
        let spr = caches(48 << 10, 12, 2 << 20, 105 << 20);
        let zen = caches(32 << 10, 8, 512 << 10, 32 << 20);
        let b = |mc, kc, nc| Blocking { mc, kc, nc };
        let zen4 = caches(32 << 10, 8, 1 << 20, 32 << 20);
        assert_eq!(blocking_for_caches(spr, 8, 24, 8), b(240, 256, 4096));
        assert_eq!(blocking_for_caches(spr, 4, 48, 8), b(480, 256, 4096));
        assert_eq!(blocking_for_caches(zen4, 8, 24, 8), b(120, 256, 4096));
        assert_eq!(blocking_for_caches(zen4, 4, 48, 8), b(240, 256, 4096));
        assert_eq!(blocking_for_caches(zen, 8, 8, 6), b(64, 256, 4092));
        assert_eq!(blocking_for_caches(zen, 4, 16, 6), b(96, 320, 4092));
    }

    #[test]
    fn blocks_fit_their_caches_and_tiles_on_any_machine() {
        for l1 in [16 << 10, 32 << 10, 48 << 10, 64 << 10] {
            for l2 in [256 << 10, 512 << 10, 1 << 20, 2 << 20] {
                for (l3, ways) in [(l2, 4), (8 << 20, 8), (32 << 20, 12), (256 << 20, 16)] {
                    for (bytes, mr, nr) in
                        [(8, 24, 8), (4, 48, 8), (8, 8, 6), (4, 16, 6), (8, 4, 4)]
                    {
                        let c = caches(l1, ways, l2, l3);
                        let bl = blocking_for_caches(c, bytes, mr, nr);
                        assert!(bl.mc.is_multiple_of(mr) && bl.mc >= mr, "{bl:?}");
                        assert!(
                            bl.nc.is_multiple_of(nr) && bl.nc >= nr && bl.nc <= NC_MAX,
                            "{bl:?}"
                        );
                        assert!(
                            (KC_MIN..=1024).contains(&bl.kc) && bl.kc.is_multiple_of(8),
                            "{bl:?}"
                        );
                        if bl.kc > KC_MIN {
                            // Above the floor, both micro-panels fit in W - 1 ways of each
                            // L1 set.
                            let way = l1 / ways;
                            let lines = |b: usize| b.div_ceil(way);
                            let (pa, pb) = (bl.kc * mr * bytes, bl.kc * nr * bytes);
                            assert!(lines(pa) + lines(pb) < ways, "{bl:?}");
                        }
                        if bl.mc > mr {
                            assert!(bl.mc * bl.kc * bytes <= l2 / 4, "{bl:?}");
                        }
                    }
                }
            }
        }
    }
}
