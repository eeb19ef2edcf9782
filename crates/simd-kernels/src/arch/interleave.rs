//! Interleaving by register transposes: `f64` in 8 x 8 blocks with AVX-512 and 4 x 4 with
//! AVX2, `f32` in 8 x 8 and 4 x 4 blocks with AVX2 (which AVX-512 CPUs run too). A block of
//! rows is read as whole vectors (one per row) and written as whole vectors (one per
//! position), where the portable loop moves one element per load and store.

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
    let grouped = groups * 4;
    interleave_part(rows, 0..grouped, whole..len, dst);
    if m - grouped >= 2 {
        // A safe call: this function enables AVX2, which implies pair_f64's SSE2.
        pair_f64(rows, grouped, dst);
        interleave_part(rows, grouped + 2..m, 0..len, dst);
    } else {
        interleave_part(rows, grouped..m, 0..len, dst);
    }
}

/// Rows `r0` and `r0 + 1` of `rows` into their places in `dst` (`m = rows.len()` per
/// position): two positions at a time as one register per row, unpacked into a register
/// per position; the last odd position by the portable loop. The two rows left over by the
/// 4 x 4 transposes of a 6-row panel (AVX2's `NR`).
#[target_feature(enable = "sse2")]
fn pair_f64(rows: &[&[f64]], r0: usize, dst: &mut [f64]) {
    let m = rows.len();
    let (a, b) = (rows[r0], rows[r0 + 1]);
    let whole = a.len() / 2 * 2;
    for p in (0..whole).step_by(2) {
        // SAFETY: `a[p..p + 2]` and `b[p..p + 2]` hold 2 elements each (sliced); SSE2 is
        // enabled here.
        let (va, vb) = unsafe {
            (
                _mm_loadu_pd(a[p..p + 2].as_ptr()),
                _mm_loadu_pd(b[p..p + 2].as_ptr()),
            )
        };
        for (c, v) in [_mm_unpacklo_pd(va, vb), _mm_unpackhi_pd(va, vb)]
            .into_iter()
            .enumerate()
        {
            let out = &mut dst[(p + c) * m + r0..][..2];
            // SAFETY: `out` holds 2 elements; SSE2 is enabled here.
            unsafe { _mm_storeu_pd(out.as_mut_ptr(), v) };
        }
    }
    interleave_part(rows, r0..r0 + 2, whole..a.len(), dst);
}

/// `dst[p * m + i] = rows[i][p]` for `f32` with AVX2: groups of 8 rows by 8 x 8 transposes
/// of 256-bit registers, then groups of 4 rows (the 6-column panels of AVX2's `B`, the
/// leftover of a 12-row one) by 4 x 4 transposes of 128-bit ones; the rest by the portable
/// loop. Element by element, the packing of `B` took 23-32% of an `f32` product of
/// 64 x 64 to 256 x 256 on an Intel Xeon (`perf record`); with the transposes, one thread,
/// alternated runs: AVX-512 n = 64 25.6-27.5 -> 32.8-34.7 GFLOP/s, n = 256 54.6-67.6 ->
/// 85 GFLOP/s; AVX2 (capped) n = 64 22.5-30.0 -> 30.6-32.9, n = 256 45.4-47.4 -> 46.9-54.7.
///
/// The caller checked that every row holds `len` elements and `dst` `m * len`; the slicing
/// below checks it again.
#[target_feature(enable = "avx2")]
pub(crate) fn avx2_f32(rows: &[&[f32]], dst: &mut [f32]) {
    let m = rows.len();
    let len = rows.first().map_or(0, |r| r.len());
    let (eights, fours) = (m / 8, m % 8 / 4);
    let (whole8, whole4) = (len / 8 * 8, len / 4 * 4);
    for p0 in (0..whole4).step_by(CHUNK) {
        for g in 0..eights {
            let rs = &rows[g * 8..g * 8 + 8];
            for p in (p0..(p0 + CHUNK).min(whole8)).step_by(8) {
                let mut r = [_mm256_setzero_ps(); 8];
                for (v, row) in r.iter_mut().zip(rs) {
                    let src = &row[p..p + 8];
                    // SAFETY: `src` holds 8 elements; AVX2 is enabled here.
                    *v = unsafe { _mm256_loadu_ps(src.as_ptr()) };
                }
                // Pairs of rows, per 128-bit lane: [a0 b0 a1 b1 | a4 b4 a5 b5] and the odd
                // halves [a2 b2 a3 b3 | a6 b6 a7 b7].
                let t: [__m256; 8] = std::array::from_fn(|i| {
                    let (a, b) = (r[i / 2 * 2], r[i / 2 * 2 + 1]);
                    if i % 2 == 0 {
                        _mm256_unpacklo_ps(a, b)
                    } else {
                        _mm256_unpackhi_ps(a, b)
                    }
                });
                // Quads of rows: s[q] holds position q of four rows in its low lane and
                // position q + 4 in its high one (rows 0-3 in s[0..4], rows 4-7 in s[4..8]).
                let quad = |lo: __m256, hi: __m256| {
                    [
                        _mm256_shuffle_ps::<0x44>(lo, hi),
                        _mm256_shuffle_ps::<0xEE>(lo, hi),
                    ]
                };
                let [s0, s1] = quad(t[0], t[2]);
                let [s2, s3] = quad(t[1], t[3]);
                let [s4, s5] = quad(t[4], t[6]);
                let [s6, s7] = quad(t[5], t[7]);
                let cols = [
                    _mm256_permute2f128_ps::<0x20>(s0, s4),
                    _mm256_permute2f128_ps::<0x20>(s1, s5),
                    _mm256_permute2f128_ps::<0x20>(s2, s6),
                    _mm256_permute2f128_ps::<0x20>(s3, s7),
                    _mm256_permute2f128_ps::<0x31>(s0, s4),
                    _mm256_permute2f128_ps::<0x31>(s1, s5),
                    _mm256_permute2f128_ps::<0x31>(s2, s6),
                    _mm256_permute2f128_ps::<0x31>(s3, s7),
                ];
                for (c, v) in cols.into_iter().enumerate() {
                    let at = (p + c) * m + g * 8;
                    let out = &mut dst[at..at + 8];
                    // SAFETY: `out` holds 8 elements; AVX2 is enabled here.
                    unsafe { _mm256_storeu_ps(out.as_mut_ptr(), v) };
                }
            }
        }
        for g in 0..fours {
            let r0 = eights * 8 + g * 4;
            let rs = &rows[r0..r0 + 4];
            for p in (p0..(p0 + CHUNK).min(whole4)).step_by(4) {
                let mut r = [_mm_setzero_ps(); 4];
                for (v, row) in r.iter_mut().zip(rs) {
                    let src = &row[p..p + 4];
                    // SAFETY: `src` holds 4 elements; SSE is enabled here (AVX2 implies it).
                    *v = unsafe { _mm_loadu_ps(src.as_ptr()) };
                }
                let t0 = _mm_unpacklo_ps(r[0], r[1]);
                let t1 = _mm_unpackhi_ps(r[0], r[1]);
                let t2 = _mm_unpacklo_ps(r[2], r[3]);
                let t3 = _mm_unpackhi_ps(r[2], r[3]);
                let cols = [
                    _mm_movelh_ps(t0, t2),
                    _mm_movehl_ps(t2, t0),
                    _mm_movelh_ps(t1, t3),
                    _mm_movehl_ps(t3, t1),
                ];
                for (c, v) in cols.into_iter().enumerate() {
                    let at = (p + c) * m + r0;
                    let out = &mut dst[at..at + 4];
                    // SAFETY: `out` holds 4 elements; SSE is enabled here.
                    unsafe { _mm_storeu_ps(out.as_mut_ptr(), v) };
                }
            }
        }
    }
    let grouped8 = eights * 8;
    let grouped = grouped8 + fours * 4;
    interleave_part(rows, 0..grouped8, whole8..len, dst);
    interleave_part(rows, grouped8..grouped, whole4..len, dst);
    if m - grouped >= 2 {
        // A safe call: this function enables AVX2, which implies pair_f32's SSE4.1.
        pair_f32(rows, grouped, dst);
        interleave_part(rows, grouped + 2..m, 0..len, dst);
    } else {
        interleave_part(rows, grouped..m, 0..len, dst);
    }
}

/// [`pair_f64`] for `f32`: four positions at a time, each position's two elements written
/// as one 8-byte store.
#[target_feature(enable = "sse4.1")]
fn pair_f32(rows: &[&[f32]], r0: usize, dst: &mut [f32]) {
    let m = rows.len();
    let (a, b) = (rows[r0], rows[r0 + 1]);
    let whole = a.len() / 4 * 4;
    for p in (0..whole).step_by(4) {
        // SAFETY: `a[p..p + 4]` and `b[p..p + 4]` hold 4 elements each (sliced); SSE is
        // enabled here.
        let (va, vb) = unsafe {
            (
                _mm_loadu_ps(a[p..p + 4].as_ptr()),
                _mm_loadu_ps(b[p..p + 4].as_ptr()),
            )
        };
        let lo = _mm_castps_si128(_mm_unpacklo_ps(va, vb));
        let hi = _mm_castps_si128(_mm_unpackhi_ps(va, vb));
        let pairs = [
            _mm_cvtsi128_si64(lo),
            _mm_extract_epi64::<1>(lo),
            _mm_cvtsi128_si64(hi),
            _mm_extract_epi64::<1>(hi),
        ];
        for (c, v) in pairs.into_iter().enumerate() {
            let out = &mut dst[(p + c) * m + r0..][..2];
            // SAFETY: `out` holds 2 `f32`s, the 8 bytes written (unaligned) with the bits of
            // row r0's and row r0 + 1's element at position p + c, in that order.
            unsafe { out.as_mut_ptr().cast::<i64>().write_unaligned(v) };
        }
    }
    interleave_part(rows, r0..r0 + 2, whole..a.len(), dst);
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
