//! The five-loop driver over packed panels and the register tile that ends it.

use super::blocking::{blocking_for, kc_for_b_in_place};
use super::pack::{fetch_part, pack_a_block_op, pack_b_op, prefetch_part, Operand};
use super::sets::spreads;
use super::tile::{tile, APanel, BPanel, Dest};
use crate::par::{min_parallel_macs, run_in};
use crate::{MatMut, MatRef, Par, Scalar};
use rayon::prelude::*;
use simd_kernels::cache::CacheSizes;
use simd_kernels::gemm::MicroKernel;

/// The left operand of [`gemm_core`]: packed by the driver block by block, or beforehand.
#[derive(Clone, Copy)]
pub(crate) enum Lhs<'a, T: Scalar> {
    Op(Operand<'a, T>),
    Packed(PackedView<'a, T>),
}

/// A left operand packed beforehand (`PackedLhs`): its `KC`-deep slices one after the
/// other, each the `MR`-row micro-panels of all `m` rows top to bottom, zero-padded.
#[derive(Clone, Copy)]
pub(crate) struct PackedView<'a, T> {
    pub(crate) data: &'a [T],
    pub(crate) m: usize,
    pub(crate) k: usize,
    pub(crate) kc: usize,
    pub(crate) mr: usize,
}

impl<'a, T> PackedView<'a, T> {
    /// The panels of rows `r0 .. r1` (`r0` a multiple of `MR`) of the slice starting at
    /// column `pc`, `kb` deep: `ceil((r1 - r0) / MR)` panels of `MR * kb` elements.
    fn block(&self, pc: usize, kb: usize, r0: usize, r1: usize) -> &'a [T] {
        let mr = self.mr;
        debug_assert!(pc.is_multiple_of(self.kc) && r0.is_multiple_of(mr) && r1 <= self.m);
        debug_assert!(kb == self.kc.min(self.k - pc));
        let mpad = self.m.div_ceil(mr) * mr;
        let start = pc * mpad + r0 * kb;
        &self.data[start..start + (r1 - r0).div_ceil(mr) * mr * kb]
    }
}

impl<'a, T: Scalar> From<Operand<'a, T>> for Lhs<'a, T> {
    fn from(op: Operand<'a, T>) -> Self {
        Lhs::Op(op)
    }
}

/// The right operand of [`gemm_core`]: packed by the driver slice by slice, or read in place.
#[derive(Clone, Copy)]
pub(crate) enum Rhs<'a, T: Scalar> {
    Op(Operand<'a, T>),
    /// A column-major matrix (row stride 1) whose whole `NR`-column micro-panels the
    /// micro-kernel reads where they lie, in `KC`-deep slices of [`kc_for_b_in_place`];
    /// only a partial last panel is packed. For a wide, short left operand (few register
    /// tiles reuse each panel of `B`), so that `B`'s copy is not repaid.
    Columns(MatRef<'a, T>),
}

impl<'a, T: Scalar> From<Operand<'a, T>> for Rhs<'a, T> {
    fn from(op: Operand<'a, T>) -> Self {
        Rhs::Op(op)
    }
}

/// The five-loop driver: every destination gets `beta * C + coef * (A B)` for the `m x n`
/// product with inner dimension `k >= 1` (`m, n >= 1`). With two destinations (disjoint
/// matrices of the same shape), each tile is computed once and added to both.
///
/// Every `Dest` must point to an `m x n` matrix exclusively borrowed by the caller for the
/// whole call, and no two destinations may overlap.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_core<'a, 'b, T: Scalar>(
    kern: MicroKernel<T>,
    a: impl Into<Lhs<'a, T>>,
    b: impl Into<Rhs<'b, T>>,
    dests: &[Dest<T>],
    m: usize,
    n: usize,
    k: usize,
    par: Par,
) {
    debug_assert!(m > 0 && n > 0 && k > 0 && !dests.is_empty() && dests.len() <= 2);
    let a = a.into();
    let mut bl = blocking_for(T::BYTES, kern.mr(), kern.nr());
    let (mr, nr) = (kern.mr(), kern.nr());
    let (b, b_in_place) = match b.into() {
        Rhs::Op(op) => (op, None),
        Rhs::Columns(x) => {
            debug_assert!(x.row_stride() == 1 && dests.len() == 1);
            let caches = CacheSizes::detect();
            bl.kc = kc_for_b_in_place(caches, T::BYTES, m.next_multiple_of(mr), bl.kc);
            (Operand::one(x), Some(x))
        }
    };
    // A prepacked operand fixes the slices' depth (the same rule made it, so this only
    // matters if the caches' description changed in between).
    let (a_op, a_pre) = match a {
        Lhs::Op(op) => (Some(op), None),
        Lhs::Packed(p) => {
            assert!(
                p.mr == mr,
                "a packed operand is multiplied by its own kernel"
            );
            bl.kc = p.kc;
            (None, Some(p))
        }
    };
    // Below this machine's threshold, waking a second thread costs more than it saves.
    let par = if par.threads() > 1 && m.saturating_mul(n).saturating_mul(k) < min_parallel_macs() {
        Par::Seq
    } else {
        par
    };
    let nc = bl.nc.min(n.next_multiple_of(nr));
    let kc_max = bl.kc.min(k);
    // In place, only a partial last panel of B is packed.
    let b_len = kc_max * if b_in_place.is_some() { nr } else { nc };

    T::with_pack(b_len, |bpack| {
        run_in(par, |nt| {
            let mut jc = 0;
            while jc < n {
                let nb = bl.nc.min(n - jc);
                let npanels = nb.div_ceil(nr);
                let mut pc = 0;
                while pc < k {
                    let kb = bl.kc.min(k - pc);
                    let bsub = b.submatrix(pc, jc, kb, nb);
                    if b_in_place.is_some() {
                        if !nb.is_multiple_of(nr) {
                            pack_b_op(bsub, (npanels - 1) * nr, kb, nr, &mut bpack[..kb * nr]);
                        }
                    } else if nt > 1 {
                        let bpack = &mut bpack[..npanels * kb * nr];
                        let per = npanels.div_ceil(nt * 4).max(1);
                        bpack
                            .par_chunks_mut(kb * nr * per)
                            .enumerate()
                            .for_each(|(q, dst)| {
                                for (t, panel) in dst.chunks_exact_mut(kb * nr).enumerate() {
                                    pack_b_op(bsub, (q * per + t) * nr, kb, nr, panel);
                                }
                            });
                    } else {
                        let bpack = &mut bpack[..npanels * kb * nr];
                        for (p, panel) in bpack.chunks_exact_mut(kb * nr).enumerate() {
                            pack_b_op(bsub, p * nr, kb, nr, panel);
                        }
                    }
                    let bpack: &[T] = bpack;

                    // Work items: row chunks (each at most MC rows) x panel ranges of B.
                    let mtiles = m.div_ceil(mr);
                    let mut row_chunks = m.div_ceil(bl.mc);
                    let mut col_splits = 1;
                    if nt > 1 {
                        if mtiles >= 2 * nt {
                            row_chunks = row_chunks.next_multiple_of(nt).min(mtiles);
                        } else {
                            col_splits = nt.min(npanels);
                        }
                    }
                    let chunk_rows = |rc: usize| chunk_rows(rc, row_chunks, m, mr);
                    let panels_per_split = npanels.div_ceil(col_splits);
                    let col_splits = npanels.div_ceil(panels_per_split);
                    let items = row_chunks * col_splits;
                    let a_block = a_op.map(|a| a.submatrix(0, pc, m, kb));
                    // Read in place (see A_IN_PLACE_MAX_PANELS): a plain column-major A,
                    // one destination (the kernel for two reads packed panels only).
                    let a_in_place = a_block
                        .filter(|_| npanels <= A_IN_PLACE_MAX_PANELS && dests.len() == 1)
                        .and_then(|x| x.plain())
                        .filter(|x| x.row_stride() == 1)
                        .filter(|x| {
                            let caches = CacheSizes::detect();
                            let stride = x.col_stride() * T::BYTES;
                            spreads_over_l1(stride, kb, mr * T::BYTES, caches)
                                || few_reads_from_l2(npanels, m * kb * T::BYTES, caches)
                        });
                    // The next KC-slice of B is fetched ahead only when it can stay in L2
                    // until it is packed, after every item of this slice: when the packed
                    // block of B, which streams through L2 in every item, takes at most a
                    // quarter of it. A larger slice is pushed out before its packing, and
                    // its column runs are sequential, which the hardware prefetchers follow
                    // anyway (1024 x 1024 on a Zen 3 EPYC: packing's share of the samples of
                    // `perf record` 5.3-5.8% -> 4.1-4.3%, three alternated runs each).
                    let b_bytes = kb * nb * T::BYTES;
                    let l2_quarter = CacheSizes::detect().l2 / 4;
                    let b_fits_l2_quarter = b_bytes <= l2_quarter && b_in_place.is_none();
                    let work = |item: usize| {
                        let (rc, cs) = (item / col_splits, item % col_splits);
                        let (r0, r1) = chunk_rows(rc);
                        let p0 = cs * panels_per_split;
                        let p1 = (p0 + panels_per_split).min(npanels);
                        let mb = r1 - r0;
                        let apanels = mb.div_ceil(mr);
                        // In place, only a last partial panel is packed (the kernel reads
                        // whole panels).
                        let in_place = if a_in_place.is_some() { mb / mr } else { 0 };
                        let packed_r0 = r0 + in_place * mr;
                        let body = |apack: &mut [T]| {
                            if let Some(a_block) = a_block.filter(|_| packed_r0 < r1) {
                                pack_a_block_op(a_block, packed_r0, r1, kb, mr, apack);
                            }
                            // A prepacked operand's block is one run of its buffer.
                            let apack: &[T] = match a_pre {
                                Some(p) => p.block(pc, kb, r0, r1),
                                None => apack,
                            };
                            // Fetched a slice per register tile: the rows of A this
                            // thread's next item will pack or read in place (when it is the
                            // next row chunk), by the micro-kernel as it computes
                            // (`fetch_part`), and this item's share of the next KC-slice of
                            // B, between tiles.
                            let a_next = a_op.zip(a_block).and_then(|(a, a_block)| {
                                if r1 < m {
                                    let r2 = chunk_rows(rc + 1).1;
                                    Some(a_block.submatrix(r1, 0, r2 - r1, kb))
                                } else if pc + kb < k {
                                    // The last row chunk: the next is the first of the next
                                    // KC-slice.
                                    let k2 = bl.kc.min(k - pc - kb);
                                    Some(a.submatrix(0, pc + kb, chunk_rows(0).1, k2))
                                } else {
                                    None
                                }
                            });
                            let b_next = (pc + kb < k && b_fits_l2_quarter).then(|| {
                                let (c0, c1) = (item * nb / items, (item + 1) * nb / items);
                                let k2 = bl.kc.min(k - pc - kb);
                                b.submatrix(pc + kb, jc + c0, k2, c1 - c0)
                            });
                            let parts = apanels * (p1 - p0);
                            let a_window = a_prefetch_window(parts, b_bytes, l2_quarter);
                            let mut part: usize = 0;
                            for jp in p0..p1 {
                                let j0 = jp * nr;
                                let nn = nr.min(nb - j0);
                                let bp = match b_in_place {
                                    Some(x) if nn == nr => {
                                        BPanel::InPlace(x.submatrix(pc, jc + j0, kb, nr))
                                    }
                                    Some(_) => BPanel::Packed(&bpack[..kb * nr]),
                                    None => {
                                        BPanel::Packed(&bpack[jp * kb * nr..(jp + 1) * kb * nr])
                                    }
                                };
                                for ip in 0..apanels {
                                    let i0 = r0 + ip * mr;
                                    let mm = mr.min(r1 - i0);
                                    let ap = if let Some(x) = a_in_place.filter(|_| ip < in_place) {
                                        // Column p of this panel: MR contiguous rows of
                                        // the column-major block, one column stride apart.
                                        APanel::InPlace(x.submatrix(i0, 0, mr, kb))
                                    } else {
                                        let q = ip - in_place;
                                        APanel::Packed(&apack[q * mr * kb..(q + 1) * mr * kb])
                                    };
                                    let fetch = a_next
                                        .zip(part.checked_sub(parts.saturating_sub(a_window)))
                                        .and_then(|(x, at)| fetch_part(x, at, a_window));
                                    if let Some(b_next) = b_next {
                                        prefetch_part(b_next, part, parts);
                                    }
                                    part += 1;
                                    let fetch = fetch.as_ref();
                                    tile(
                                        kern,
                                        kb,
                                        ap,
                                        bp,
                                        dests,
                                        pc == 0,
                                        i0,
                                        jc + j0,
                                        mm,
                                        nn,
                                        fetch,
                                    );
                                }
                            }
                        };
                        match a_pre {
                            Some(_) => body(&mut []),
                            None => T::with_pack((apanels - in_place) * mr * kb, body),
                        }
                    };
                    if nt > 1 && items > 1 {
                        (0..items).into_par_iter().with_max_len(1).for_each(work);
                    } else {
                        (0..items).for_each(work);
                    }
                    pc += kb;
                }
                jc += nb;
            }
        })
    });
}

/// `C <- beta * C` (`beta == 0` writes zeros without reading).
pub(crate) fn scale_in_place<T: Scalar>(beta: T, c: &mut MatMut<'_, T>) {
    if beta == T::ZERO {
        c.fill(T::ZERO);
    } else if beta != T::ONE {
        for j in 0..c.ncols() {
            for i in 0..c.nrows() {
                let v = c.get(i, j);
                c.set(i, j, beta * v);
            }
        }
    }
}

/// Rows `r0..r1` of row chunk `rc` of `chunks` over `m` rows in register tiles of `mr`:
/// chunk `rc` holds tiles `rc * tiles / chunks ..`, so the chunks' sizes differ by at most
/// one tile and two threads taking half of them each get equal shares. Cutting every chunk
/// but the last at the largest size left the last short: at n = 1024 (43 tiles of 24 rows
/// on AVX-512, six chunks) one thread got 24 tiles and the other 19, and the two-thread
/// product ran 1.63x one thread against 1.80x balanced (median of 61 paired rounds on an
/// Intel Xeon, 2 vCPUs; 1.85x against 1.92x at n = 2048). Which thread computes a tile
/// never changes the result.
fn chunk_rows(rc: usize, chunks: usize, m: usize, mr: usize) -> (usize, usize) {
    let tiles = m.div_ceil(mr);
    let t0 = rc * tiles / chunks;
    let t1 = (rc + 1) * tiles / chunks;
    (t0 * mr, (t1 * mr).min(m))
}

/// How many of an item's last `parts` register tiles fetch the rows of `A` the next item
/// packs ([`fetch_part`]), when the packed block of `B` the item streams through L2 takes
/// `b_bytes`: as many as pass at most a quarter of L2 (`l2_quarter` bytes) of `B` through
/// it. Fetched earlier, the lines are pushed out of L2 by `B`'s micro-panels before they are
/// packed (LRU): spread over the
/// whole item of a 1024 x 1024 product on a Zen 3 EPYC (512 KiB L2, 2 MiB of `B` per
/// item), packing took 8-9.5% of the samples of `perf record`; over its last sixteenth (a
/// quarter of L2), 5.9-6.5%, in three alternated runs each.
fn a_prefetch_window(parts: usize, b_bytes: usize, l2_quarter: usize) -> usize {
    if b_bytes <= l2_quarter {
        parts
    } else {
        (parts * l2_quarter / b_bytes).clamp(1, parts.max(1))
    }
}

/// Most micro-panels of `B` in a block for which a column-major `A` is read in place
/// instead of packed. Each packed element of `A` serves one register tile per panel of `B`;
/// when there are few (a tall, skinny product such as the randomized SVD's `A Omega`), the
/// copy costs more than its contiguous, TLB-friendly reads save, and reading `A` in place
/// (each column of a register tile's panel is `MR` contiguous elements, one column stride
/// apart) is faster. A rule of the shape only: packed or not, each tile sums the same
/// products in the same order, so the result is the same bits. Measured on a Zen 3 EPYC
/// (AVX2, `NR = 6`), `10000 x 2000` by `2000 x n`, five alternated runs each, time packed /
/// in place: `n = 60` (10 panels) 1.11x, 120 (20) 1.04x, 240 (40) 1.00x, 480 (80) 0.91x.
/// On an Intel Xeon, with the micro-kernel fetching the next block ahead (`fetch_part`)
/// and the in-place columns ahead: AVX-512 (`NR = 8`) `n = 60` (8 panels) 1.06-1.07x, 120
/// (15) 0.99x; AVX2 (capped) `n = 60` 1.04-1.10x. (Before the in-kernel fetch, packing won
/// there, 0.92-0.98x: the rule follows how well each path's memory stream is hidden, so it
/// was measured again when that changed.) On a Zen 4 EPYC, `n = 60`: 1.05x on AVX-512 and
/// 1.03x on AVX2 (capped), five of five alternated rounds each.
const A_IN_PLACE_MAX_PANELS: usize = 20;

/// Whether an `MR x kb` panel of `A` read in place, its columns `stride` bytes apart and
/// `panel_col` bytes each, spreads over the L1 sets about as its packed copy would
/// ([`spreads`]), so that it evicts no more of the resident micro-panel of `B` (and its row
/// block no more of L2, where the same power of two folds it) than packing does. On an Intel
/// Xeon (AVX-512, 48 KiB 12-way L1d), `A` of 10240 x 2000 in place by 2000 x 60 ran at
/// 16-18 GFLOP/s against 30-38 packed, four of four alternated runs, and 2048 rows alike
/// (17-21 against 35-38); AVX2 the same (9 against 17); 10000 and 4000 rows, whose panels
/// spread, stayed as fast in place as packed or faster.
fn spreads_over_l1(stride: usize, kb: usize, panel_col: usize, c: CacheSizes) -> bool {
    spreads(c.l1d, c.l1d_ways, stride, kb, panel_col)
}

/// Whether a column-major `A` whose panels fold onto few L1 sets ([`spreads_over_l1`]) is
/// still read in place: when `B`'s block has at most two micro-panels, so each element of
/// `A` serves one or two register tiles and there is little reuse for the folding to spoil,
/// and the `m x kb` slice of `A` (`slice_bytes`) fits in L2, so the register tiles, which
/// read `MR` rows of every column in turn, find it there instead of in memory. Packing's
/// copy then costs more than it saves: on an Intel Xeon (2 MiB L2, one thread, products
/// alternated in one process), AVX-512, `256 x 256` by `256 x 8` 2.0-2.2x as fast in place,
/// `512 x 512` by `512 x 8` 1.8-1.9x, by `512 x 16` 1.4-1.5x; AVX2 1.7-1.8x, 1.4x, 1.1-1.2x.
/// Slices from memory went the other way on AVX2 (`1024 x 1024` by `1024 x 8` 0.8-0.9x,
/// `4096 x 512` 0.6x, one line per column per tile being a poor stream) though not on
/// AVX-512 (1.2-1.6x), so they stay packed. A rule of the shape and the caches: in place or
/// packed, each tile sums the same products in the same order (the same bits).
fn few_reads_from_l2(npanels: usize, slice_bytes: usize, c: CacheSizes) -> bool {
    npanels <= 2 && slice_bytes <= c.l2
}

#[cfg(test)]
mod tests {
    use super::*;
    use simd_kernels::cache::CacheSource;

    fn caches(l1d: usize, l1d_ways: usize) -> CacheSizes {
        CacheSizes {
            l1d,
            l1d_ways,
            l2: 2 << 20,
            l2_ways: 16,
            l3: 32 << 20,
            source: CacheSource::Sysfs,
        }
    }

    #[test]
    fn row_chunks_cover_the_rows_in_near_equal_shares() {
        for (m, mr) in [(1024usize, 24usize), (2048, 24), (1000, 8), (7, 8), (97, 6)] {
            let tiles = m.div_ceil(mr);
            for chunks in 1..=tiles.min(12) {
                let mut next = 0;
                let mut sizes = vec![];
                for rc in 0..chunks {
                    let (r0, r1) = chunk_rows(rc, chunks, m, mr);
                    assert_eq!(r0, next, "m {m} mr {mr} chunks {chunks}");
                    assert!(r1 > r0 && r0 % mr == 0);
                    sizes.push((r1 - r0).div_ceil(mr));
                    next = r1;
                }
                assert_eq!(next, m);
                let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(hi - lo <= 1, "m {m} mr {mr} chunks {chunks}: {sizes:?}");
            }
        }
    }

    #[test]
    fn panels_folded_by_a_power_of_two_stride_are_packed() {
        let xeon = caches(48 << 10, 12);
        // AVX-512 f64: 24-row panels (192 bytes a column), KC = 256.
        let in_place = |rows: usize| spreads_over_l1(rows * 8, 256, 24 * 8, xeon);
        for rows in [1000, 2000, 3000, 4000, 10_000, 100_000] {
            assert!(in_place(rows), "{rows} rows");
        }
        for rows in [1024, 1984, 2048, 4096, 8192, 10_240] {
            assert!(!in_place(rows), "{rows} rows");
        }
        // A short panel fits wherever it lands; a folded long one does not.
        assert!(spreads_over_l1(100_000 * 8, 64, 8 * 8, xeon));
        assert!(!spreads_over_l1(4096 * 8, 256, 8 * 8, xeon));
        // Folded or not, one or two panels of B over a slice that L2 holds are read in
        // place; three panels, or a slice beyond L2, are not.
        let l2 = caches(48 << 10, 12).l2;
        assert!(few_reads_from_l2(1, l2, xeon) && few_reads_from_l2(2, 4096, xeon));
        assert!(!few_reads_from_l2(3, 4096, xeon) && !few_reads_from_l2(1, l2 + 1, xeon));
        // Any stride that is not a multiple of the line spreads.
        let zen = caches(32 << 10, 8);
        assert!(spreads_over_l1(2001 * 8, 256, 8 * 8, zen));
        assert!(spreads_over_l1(7, 1024, 64, zen));
    }
}
