//! Where strided columns land in a set-associative cache: whether a block read in place
//! spreads over the sets as a packed copy of it would, or folds onto a few of them.

/// Whether `count` column segments of `seg` bytes each, `stride` bytes apart, spread over
/// the sets of a cache of `bytes` bytes and `ways` ways about as evenly as the same lines
/// stored contiguously would.
///
/// The set index wraps every way (`bytes / ways`); modulo a way the segments start at
/// `way / gcd(stride, way)` distinct places, each covering the segment's lines. A stride
/// with a large power of two in it (a column-major matrix of 2048 or 65536 rows of `f64`)
/// folds every segment onto the same few sets, so that lines still to be reused evict
/// each other. They count as spread when their lines per occupied set are at most twice
/// those of the contiguous copy (which fills every set evenly), or at most half the ways
/// in any case (a short block fits wherever it lands).
pub(super) fn spreads(bytes: usize, ways: usize, stride: usize, count: usize, seg: usize) -> bool {
    const LINE: usize = 64;
    let ways = ways.max(1);
    let way = (bytes / ways).max(LINE);
    let sets = way / LINE;
    let seg_lines = seg.div_ceil(LINE).max(1);
    let places = way / gcd(stride, way).max(LINE);
    let occupied = (places * seg_lines).min(sets);
    let lines = count * seg_lines;
    let (dense, even) = (lines.div_ceil(occupied), lines.div_ceil(sets));
    dense <= (2 * even).max(ways / 2)
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcd_is_euclid() {
        assert_eq!(gcd(16_000, 4096), 128);
        assert_eq!(gcd(81_920, 4096), 4096);
        assert_eq!(gcd(7, 0), 7);
        assert_eq!(gcd(0, 64), 64);
    }

    #[test]
    fn power_of_two_strides_fold_and_others_spread() {
        // A 2 MiB 16-way L2 and 64 columns of 384 rows of f64 (3 KiB each).
        let l2 = |rows: usize| spreads(2 << 20, 16, rows * 8, 64, 384 * 8);
        for rows in [65_000, 66_048, 65_600, 100_000, 1_000_000] {
            assert!(l2(rows), "{rows} rows");
        }
        for rows in [65_536, 98_304, 131_072, 1 << 20] {
            assert!(!l2(rows), "{rows} rows");
        }
        // Any stride that is not a multiple of the line spreads.
        assert!(spreads(32 << 10, 8, 2001 * 8, 256, 64));
        assert!(spreads(32 << 10, 8, 7, 1024, 64));
        // A contiguous layout (the stride is the segment) spreads by definition.
        for seg in [64, 192, 3072, 4096, 8192] {
            assert!(spreads(2 << 20, 16, seg, 64, seg), "{seg}");
        }
    }
}
