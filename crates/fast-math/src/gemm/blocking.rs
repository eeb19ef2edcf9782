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

/// Largest `NC`: beyond it a larger block of `B` buys nothing (it is reused across all of
/// `A` already) and delays the first tile.
const NC_MAX: usize = 4096;

/// The blocking for caches `c`, elements of `bytes` bytes and an `MR x NR` register tile
/// (the analytical model of Low et al., "Analytical modeling is enough for high-performance
/// BLIS", 2016, in its simplest form):
///
/// - `KC`: the `KC x NR` micro-panel of `B`, reused by every register tile of a row block,
///   takes at most 2/3 of L1d, leaving the rest to the `MR x KC` panel of `A` streaming
///   through (a multiple of 8, between 64 and 1024).
/// - `MC`: the packed `MC x KC` block of `A`, reused across every micro-panel of `B`, takes at
///   most half of L2, leaving the rest to the `B` panels and the prefetched next block (a
///   multiple of MR).
/// - `NC`: the packed `KC x NC` block of `B` takes at most half of L3 (a multiple of NR, at
///   most 4096).
///
/// What it gives (the table the hand-tuned constants it replaced were measured against):
///
/// | machine (L1d / L2 / L3)             | ISA, type   | MR x NR | MC  | KC   | NC   |
/// |-------------------------------------|-------------|---------|-----|------|------|
/// | Xeon, Sapphire Rapids (48K/2M/105M) | AVX-512 f64 | 24 x 8  | 240 | 512  | 4096 |
/// | Xeon, Sapphire Rapids               | AVX-512 f32 | 48 x 8  | 240 | 1024 | 4096 |
/// | AMD EPYC, Zen 3 VM (32K/512K/32M)   | AVX2 f64    | 8 x 6   | 72  | 448  | 4092 |
/// | AMD EPYC, Zen 3 VM                  | AVX2 f32    | 16 x 6  | 64  | 904  | 4092 |
///
/// The Xeon's rows equal (f64) or come close to (f32: MC 336, KC 768) the constants tuned
/// on it by measurement. On the EPYC the constants tuned on the Xeon's AVX2 path were
/// (192, 256, 4080); against them the rule's blocks measured within the noise of that shared
/// host (40 products of 1024 x 1024, five alternated runs each: best 2.83 s against 3.08 s,
/// median 3.48 s against 3.17 s), and unlike them they leave half of L2 to the `B` panels
/// and the prefetched next block of `A`.
pub fn blocking_for_caches(c: CacheSizes, bytes: usize, mr: usize, nr: usize) -> Blocking {
    let kc = (c.l1d * 2 / 3 / (nr * bytes)) / 8 * 8;
    let kc = kc.clamp(64, 1024);
    let mc = (c.l2 / 2 / (kc * bytes)) / mr * mr;
    let mc = mc.max(mr);
    let nc = (c.l3 / 2 / (kc * bytes)).min(NC_MAX) / nr * nr;
    let nc = nc.max(nr);
    Blocking { mc, kc, nc }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simd_kernels::cache::CacheSource;

    fn caches(l1d: usize, l2: usize, l3: usize) -> CacheSizes {
        CacheSizes {
            l1d,
            l2,
            l3,
            source: CacheSource::Sysfs,
        }
    }

    #[test]
    fn the_rule_gives_the_documented_table() {
        let spr = caches(48 << 10, 2 << 20, 105 << 20);
        let zen = caches(32 << 10, 512 << 10, 32 << 20);
        let b = |mc, kc, nc| Blocking { mc, kc, nc };
        assert_eq!(blocking_for_caches(spr, 8, 24, 8), b(240, 512, 4096));
        assert_eq!(blocking_for_caches(spr, 4, 48, 8), b(240, 1024, 4096));
        assert_eq!(blocking_for_caches(zen, 8, 8, 6), b(72, 448, 4092));
        assert_eq!(blocking_for_caches(zen, 4, 16, 6), b(64, 904, 4092));
    }

    #[test]
    fn blocks_fit_their_caches_and_tiles_on_any_machine() {
        for l1 in [16 << 10, 32 << 10, 48 << 10, 64 << 10] {
            for l2 in [256 << 10, 512 << 10, 1 << 20, 2 << 20] {
                for l3 in [l2, 8 << 20, 32 << 20, 256 << 20] {
                    for (bytes, mr, nr) in
                        [(8, 24, 8), (4, 48, 8), (8, 8, 6), (4, 16, 6), (8, 4, 4)]
                    {
                        let bl = blocking_for_caches(caches(l1, l2, l3), bytes, mr, nr);
                        assert!(bl.mc.is_multiple_of(mr) && bl.mc >= mr, "{bl:?}");
                        assert!(
                            bl.nc.is_multiple_of(nr) && bl.nc >= nr && bl.nc <= NC_MAX,
                            "{bl:?}"
                        );
                        assert!(
                            (64..=1024).contains(&bl.kc) && bl.kc.is_multiple_of(8),
                            "{bl:?}"
                        );
                        if bl.kc > 64 {
                            assert!(bl.kc * nr * bytes <= l1 * 2 / 3, "{bl:?}");
                        }
                        if bl.mc > mr {
                            assert!(bl.mc * bl.kc * bytes <= l2 / 2, "{bl:?}");
                        }
                    }
                }
            }
        }
    }
}
