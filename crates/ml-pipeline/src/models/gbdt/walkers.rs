//! The walks a prediction can take through a forest's compiled form, behind one trait:
//! the packed nodes' lockstep walks (any forest), or the kernel layer's heap walks (nearly
//! complete forests, see `Perfect`). [`with_walk!`] picks the one a forest allows.

use super::compiled::Forest;
use super::packed::{Packed, Rank};
use super::perfect::Perfect;
use simd_kernels::Isa;

/// Walks that find the leaves rows reach, for a `GbdtModel`'s predictions.
pub(super) trait Walk<Q> {
    /// Folds `f` over trees `0..used` in order, `acc = f(acc, t, leaf)` with the leaf the
    /// row `x` (ranks `q`) reaches in tree `t`; `places` is scratch of at least `used`
    /// values. A fold, not a visitor: a sum passed by value stays in a register even where
    /// the walk runs in a kernel compiled apart from the caller.
    #[allow(clippy::too_many_arguments)] // a row, its ranks, scratch, and the fold
    fn row_leaves<A>(
        &self,
        isa: Isa,
        used: usize,
        x: &[f64],
        q: &[Q],
        places: &mut [u32],
        acc: A,
        f: impl FnMut(A, usize, f64) -> A,
    ) -> A;

    /// Calls `visit(r, leaf)` for rows `0..n` in order, with the leaf row `r` (values
    /// `xs[r * k..]`, ranks `qs[r * stride..]`) reaches in tree `t`; `places` is scratch of
    /// at least `n` values.
    #[allow(clippy::too_many_arguments)] // a row block's layout: values, ranks, their strides
    fn tree_leaves(
        &self,
        isa: Isa,
        t: usize,
        xs: (&[f64], usize),
        qs: (&[Q], usize),
        n: usize,
        places: &mut [u32],
        visit: impl FnMut(usize, f64),
    );
}

/// Trees walked together for one row (see `Packed::walk`).
const LANES: usize = 16;
/// Rows walking one tree together in a batch: more chains in flight than `LANES`, since the
/// batch has rows to spare.
const ROW_LANES: usize = 8;

/// The packed nodes' walk, with or without categorical (`SLOW`) nodes.
pub(super) struct PackedWalk<'a, Q, const SLOW: bool>(pub &'a Packed<Q>, pub &'a Forest);

impl<Q: Rank, const SLOW: bool> Walk<Q> for PackedWalk<'_, Q, SLOW> {
    #[inline(always)]
    fn row_leaves<A>(
        &self,
        _: Isa,
        used: usize,
        x: &[f64],
        q: &[Q],
        _: &mut [u32],
        mut acc: A,
        mut fold: impl FnMut(A, usize, f64) -> A,
    ) -> A {
        let (p, f) = (self.0, self.1);
        // LANES trees walked together, their leaves then visited one by one in tree order.
        let mut t = 0;
        while t + LANES <= used {
            let trees = std::array::from_fn(|k| t + k);
            let leaves = p.walk::<LANES, SLOW>(f, trees, [q; LANES], [x; LANES]);
            for (k, leaf) in leaves.into_iter().enumerate() {
                acc = fold(acc, t + k, leaf);
            }
            t += LANES;
        }
        for t in t..used {
            let [leaf] = p.walk::<1, SLOW>(f, [t], [q], [x]);
            acc = fold(acc, t, leaf);
        }
        acc
    }

    #[inline(always)]
    fn tree_leaves(
        &self,
        _: Isa,
        t: usize,
        (xs, k): (&[f64], usize),
        (qs, stride): (&[Q], usize),
        n: usize,
        _: &mut [u32],
        mut visit: impl FnMut(usize, f64),
    ) {
        let (p, f) = (self.0, self.1);
        let row = |r: usize| (&xs[r * k..(r + 1) * k], &qs[r * stride..(r + 1) * stride]);
        // ROW_LANES rows walk the tree together.
        let mut r = 0;
        while r + ROW_LANES <= n {
            let xr = std::array::from_fn(|j| row(r + j).0);
            let qr = std::array::from_fn(|j| row(r + j).1);
            let leaves = p.walk::<ROW_LANES, SLOW>(f, [t; ROW_LANES], qr, xr);
            for (j, leaf) in leaves.into_iter().enumerate() {
                visit(r + j, leaf);
            }
            r += ROW_LANES;
        }
        for r in r..n {
            let (xr, qr) = row(r);
            let [leaf] = p.walk::<1, SLOW>(f, [t], [qr], [xr]);
            visit(r, leaf);
        }
    }
}

/// The heap walks of a perfect forest (`u16` ranks only: `Perfect::build` makes no other).
pub(super) struct PerfectWalk<'a>(pub &'a Perfect);

impl<Q: Rank> Walk<Q> for PerfectWalk<'_> {
    #[inline(always)]
    fn row_leaves<A>(
        &self,
        isa: Isa,
        used: usize,
        _: &[f64],
        q: &[Q],
        places: &mut [u32],
        acc: A,
        f: impl FnMut(A, usize, f64) -> A,
    ) -> A {
        self.0
            .row_leaves(isa, narrow(q), &mut places[..used], acc, f)
    }

    #[inline(always)]
    fn tree_leaves(
        &self,
        isa: Isa,
        t: usize,
        _: (&[f64], usize),
        (qs, stride): (&[Q], usize),
        n: usize,
        places: &mut [u32],
        visit: impl FnMut(usize, f64),
    ) {
        self.0
            .tree_leaves(isa, t, narrow(qs), stride, &mut places[..n], visit);
    }
}

/// `q` as the `u16` ranks it is (a perfect forest exists only over `u16` ranks).
#[inline(always)]
fn narrow<Q: Rank>(q: &[Q]) -> &[u16] {
    assert_eq!(
        std::mem::size_of::<Q>(),
        2,
        "perfect forests have u16 ranks"
    );
    bytemuck::cast_slice(q)
}

/// Runs `$run` with `$w` bound to the walk packed form `$p` (of forest `$f`) allows: the
/// heap walk when it has a perfect form, else the packed walk (with categorical nodes or
/// without).
macro_rules! with_walk {
    ($p:expr, $f:expr, |$w:ident| $run:expr) => {{
        use $crate::models::gbdt::walkers::{PackedWalk, PerfectWalk};
        let p = $p;
        match p.perfect() {
            Some(perfect) => {
                let $w = &PerfectWalk(perfect);
                $run
            }
            None if p.has_slow() => {
                let $w = &PackedWalk::<_, true>(p, $f);
                $run
            }
            None => {
                let $w = &PackedWalk::<_, false>(p, $f);
                $run
            }
        }
    }};
}
pub(super) use with_walk;

#[cfg(test)]
mod tests {
    use super::super::compiled::{Forest, RawNode, Split, LIGHTGBM_ZERO};
    use super::super::packed::PackedForest;
    use proptest::prelude::*;
    use simd_kernels::Isa;

    const VALUES: [f64; 8] = [
        f64::NEG_INFINITY,
        -1.5,
        -0.0,
        0.0,
        LIGHTGBM_ZERO,
        0.25,
        1.5,
        f64::INFINITY,
    ];

    /// A tree of depth at most `depth`, nearly complete (a leaf above the bottom one time
    /// in eight), from a stream of choices; leaves numbered from `*leaves`.
    fn tree(choices: &mut impl Iterator<Item = u8>, depth: u32, leaves: &mut f64) -> Vec<RawNode> {
        let mut nodes = vec![RawNode::Leaf(0.0)];
        let mut open = vec![(0usize, 0u32)];
        while let Some((i, d)) = open.pop() {
            let pick = choices.next().unwrap_or(0);
            if d == depth || pick.is_multiple_of(8) {
                *leaves += 1.0;
                nodes[i] = RawNode::Leaf(*leaves);
                continue;
            }
            let (left, right) = (nodes.len(), nodes.len() + 1);
            nodes.extend([RawNode::Leaf(0.0), RawNode::Leaf(0.0)]);
            nodes[i] = RawNode::Split {
                feature: usize::from(choices.next().unwrap_or(0) % 3),
                split: Split::Numeric {
                    threshold: VALUES[usize::from(choices.next().unwrap_or(0)) % VALUES.len()],
                    nan_left: pick & 1 == 1,
                    zero_missing: pick & 2 == 2,
                },
                left,
                right,
            };
            open.push((right, d + 1));
            open.push((left, d + 1));
        }
        nodes
    }

    proptest! {
        /// The heap walk reaches, on every ISA, the leaf the packed walk (tested against
        /// the textbook walk in `packed`) reaches, for rows with NaN, zeros, ties and
        /// infinities.
        #[test]
        fn heaps_reach_the_packed_walks_leaves(
            choices in proptest::collection::vec(any::<u8>(), 50..600),
            depth in 0u32..7,
            rows in proptest::collection::vec(proptest::collection::vec(0usize..10, 3), 1..6),
        ) {
            let mut c = choices.iter().copied().cycle();
            let mut forest = Forest::default();
            let mut leaves = 0.0;
            for _ in 0..(choices.len() / 40).max(1) {
                forest.push_tree(&tree(&mut c, depth, &mut leaves), 0, 3).unwrap();
            }
            let PackedForest::Narrow(p) = PackedForest::new(&forest) else { panic!("narrow") };
            let Some(perfect) = p.perfect() else {
                // Only when padding would cost more than twice the nodes.
                let d = (0..forest.n_trees()).map(|t| forest.depth(t)).max().unwrap_or(0);
                prop_assert!(forest.n_trees() << d > 2 * forest.n_nodes());
                return Ok(());
            };
            // Small limits, few slots: single-row walks may take the byte heaps.
            prop_assert_eq!(perfect.has_bytes(), depth <= simd_kernels::BYTE_HEAPS_MAX_DEPTH);
            for row in &rows {
                let x: Vec<f64> = row
                    .iter()
                    .map(|&k| VALUES.get(k).copied().unwrap_or(if k == 8 { f64::NAN } else { 0.7 }))
                    .collect();
                let mut q = vec![0u16; p.rank_len()];
                p.rank_row(Isa::detect(), &x, &mut q);
                let want: Vec<f64> = (0..forest.n_trees())
                    .map(|t| p.walk::<1, false>(&forest, [t], [&q], [&x])[0])
                    .collect();
                for isa in Isa::available() {
                    let mut places = vec![0; forest.n_trees()];
                    let mut got = Vec::new();
                    perfect.row_leaves(isa, &q, &mut places, (), |(), _, leaf| got.push(leaf));
                    prop_assert_eq!(&got, &want, "{:?}, row {:?}", isa, x);
                    for (t, &want) in want.iter().enumerate() {
                        let mut got = Vec::new();
                        perfect.tree_leaves(isa, t, &q, q.len(), &mut places[..1], |_, leaf| got.push(leaf));
                        prop_assert_eq!(got[0], want, "{:?}, tree {}", isa, t);
                    }
                }
            }
        }
    }
}
