//! `f64` interleaving by register transposes: 8 x 8 blocks with AVX-512, 4 x 4 with AVX2.
//! A block of rows is read as whole vectors (one per row) and written as whole vectors (one
//! per position), where the portable loop moves one element per load and store.

use crate::generic::interleave::interleave_part;
use std::arch::x86_64::*;

/// `dst[p * m + i] = rows[i][p]` with AVX-512: each group of 8 rows, 8 positions at a time,
/// by a register transpose; the rest by the portable loop.
///
/// The caller checked that every row holds `len` elements and `dst` `m * len`; the slicing
/// below checks it again.
#[target_feature(enable = "avx512f")]
pub(crate) fn avx512_f64(rows: &[&[f64]], dst: &mut [f64]) {
    let m = rows.len();
    let len = rows.first().map_or(0, |r| r.len());
    let whole = len / 8 * 8;
    let groups = m / 8;
    // Indices for `_mm512_permutex2var_pd` (8 and up select from the second operand).
    let even = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
    let odd = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    for p0 in (0..whole).step_by(CHUNK) {
        for g in 0..groups {
            let rs = &rows[g * 8..g * 8 + 8];
            for p in (p0..(p0 + CHUNK).min(whole)).step_by(8) {
                let mut r = [_mm512_setzero_pd(); 8];
                for (v, row) in r.iter_mut().zip(rs) {
                    let src = &row[p..p + 8];
                    // SAFETY: `src` holds 8 elements; AVX-512F is enabled here.
                    *v = unsafe { _mm512_loadu_pd(src.as_ptr()) };
                }
                // Pairs of rows, within 128-bit lanes: [r0[0] r1[0] r0[2] r1[2] ...].
                let t0 = _mm512_unpacklo_pd(r[0], r[1]);
                let t1 = _mm512_unpackhi_pd(r[0], r[1]);
                let t2 = _mm512_unpacklo_pd(r[2], r[3]);
                let t3 = _mm512_unpackhi_pd(r[2], r[3]);
                let t4 = _mm512_unpacklo_pd(r[4], r[5]);
                let t5 = _mm512_unpackhi_pd(r[4], r[5]);
                let t6 = _mm512_unpacklo_pd(r[6], r[7]);
                let t7 = _mm512_unpackhi_pd(r[6], r[7]);
                // Quads of rows: u0 holds positions 0 and 4 of rows 0-3, u1 positions 2 and 6,
                // u2 1 and 5, u3 3 and 7; u4..u7 the same of rows 4-7.
                let u0 = _mm512_permutex2var_pd(t0, even, t2);
                let u1 = _mm512_permutex2var_pd(t0, odd, t2);
                let u2 = _mm512_permutex2var_pd(t1, even, t3);
                let u3 = _mm512_permutex2var_pd(t1, odd, t3);
                let u4 = _mm512_permutex2var_pd(t4, even, t6);
                let u5 = _mm512_permutex2var_pd(t4, odd, t6);
                let u6 = _mm512_permutex2var_pd(t5, even, t7);
                let u7 = _mm512_permutex2var_pd(t5, odd, t7);
                // Low 256 bits of each quad pair: the lower position; high: the upper one.
                let cols = [
                    _mm512_shuffle_f64x2::<0x44>(u0, u4),
                    _mm512_shuffle_f64x2::<0x44>(u2, u6),
                    _mm512_shuffle_f64x2::<0x44>(u1, u5),
                    _mm512_shuffle_f64x2::<0x44>(u3, u7),
                    _mm512_shuffle_f64x2::<0xEE>(u0, u4),
                    _mm512_shuffle_f64x2::<0xEE>(u2, u6),
                    _mm512_shuffle_f64x2::<0xEE>(u1, u5),
                    _mm512_shuffle_f64x2::<0xEE>(u3, u7),
                ];
                for (c, v) in cols.into_iter().enumerate() {
                    let at = (p + c) * m + g * 8;
                    let out = &mut dst[at..at + 8];
                    // SAFETY: `out` holds 8 elements; AVX-512F is enabled here.
                    unsafe { _mm512_storeu_pd(out.as_mut_ptr(), v) };
                }
            }
        }
    }
    tails(rows, groups * 8, whole, dst);
}

/// `dst[p * m + i] = rows[i][p]` with AVX2: each group of 4 rows, 4 positions at a time, by
/// a register transpose; the rest by the portable loop.
///
/// The caller checked that every row holds `len` elements and `dst` `m * len`; the slicing
/// below checks it again.
#[target_feature(enable = "avx2")]
pub(crate) fn avx2_f64(rows: &[&[f64]], dst: &mut [f64]) {
    let m = rows.len();
    let len = rows.first().map_or(0, |r| r.len());
    let whole = len / 4 * 4;
    let groups = m / 4;
    for p0 in (0..whole).step_by(CHUNK) {
        for g in 0..groups {
            let rs = &rows[g * 4..g * 4 + 4];
            for p in (p0..(p0 + CHUNK).min(whole)).step_by(4) {
                let mut r = [_mm256_setzero_pd(); 4];
                for (v, row) in r.iter_mut().zip(rs) {
                    let src = &row[p..p + 4];
                    // SAFETY: `src` holds 4 elements; AVX2 is enabled here.
                    *v = unsafe { _mm256_loadu_pd(src.as_ptr()) };
                }
                let t0 = _mm256_unpacklo_pd(r[0], r[1]);
                let t1 = _mm256_unpackhi_pd(r[0], r[1]);
                let t2 = _mm256_unpacklo_pd(r[2], r[3]);
                let t3 = _mm256_unpackhi_pd(r[2], r[3]);
                let cols = [
                    _mm256_permute2f128_pd::<0x20>(t0, t2),
                    _mm256_permute2f128_pd::<0x20>(t1, t3),
                    _mm256_permute2f128_pd::<0x31>(t0, t2),
                    _mm256_permute2f128_pd::<0x31>(t1, t3),
                ];
                for (c, v) in cols.into_iter().enumerate() {
                    let at = (p + c) * m + g * 4;
                    let out = &mut dst[at..at + 4];
                    // SAFETY: `out` holds 4 elements; AVX2 is enabled here.
                    unsafe { _mm256_storeu_pd(out.as_mut_ptr(), v) };
                }
            }
        }
    }
    tails(rows, groups * 4, whole, dst);
}

/// Positions per chunk of the register transposes: 8 cache lines of each row. Within a
/// chunk every group of rows takes its turn, so the chunk's runs of `dst` (`m` consecutive
/// elements per position) are filled by all the groups while they are still in L1, and
/// each row is read 8 lines at a time, a run the hardware prefetchers follow. (Group by
/// group over every position, each group wrote a slice of every run of `dst`, lines that a
/// 24-row AVX-512 panel (48 KiB) pushed out of L1 before the next group filled them: 7.0 ->
/// 6.0 us per 120 x 256 block in L2 on a Zen 5; position by position, every row was a
/// stream of its own, and from memory it ran 1.6x slower.)
const CHUNK: usize = 64;

/// What the register transposes leave: the rows past the last whole group (every
/// position), and the positions past the last whole block (the grouped rows).
#[inline(always)]
fn tails(rows: &[&[f64]], grouped: usize, whole: usize, dst: &mut [f64]) {
    let len = rows.first().map_or(0, |r| r.len());
    interleave_part(rows, grouped..rows.len(), 0..len, dst);
    interleave_part(rows, 0..grouped, whole..len, dst);
}
