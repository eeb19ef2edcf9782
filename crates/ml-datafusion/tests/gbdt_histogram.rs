//! `gbdt_histogram`: against a plain scalar sum and the trainer's one-call kernel, with nulls,
//! by group, over any number of partitions (exact on dyadic values), through DataFusion's
//! row-by-row states, and its errors.

mod common;

use common::{context, error_of, query, strings};
use datafusion::arrow::array::{ArrayRef, Float64Array, Int32Array, Int64Array, UInt8Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use ml_datafusion::{GbdtHistograms, BINS};
use seeded_rng::Rng;
use std::sync::Arc;

/// Bin-code columns.
const K: usize = 3;
/// Rows of a batch: a partition holds several, a leaf's rows in one are mostly above the
/// kernel's threshold (leaf 4's below it), and DataFusion's probe for skipping
/// pre-aggregation looks after the first.
const BATCH_ROWS: usize = 500;

/// Rows of a leaf id, a gradient, a hessian and `K` bin codes (UInt8, Int32, Int64), with
/// some nulls.
struct Rows {
    leaf: Vec<i64>,
    g: Vec<Option<f64>>,
    h: Vec<Option<f64>>,
    b: [Vec<Option<i64>>; K],
}

impl Rows {
    /// `n` rows over 5 leaves (leaf 4 rare: its rows are added one by one); `dyadic` pairs are
    /// multiples of 2^-8 and 2^-10 of moderate size, so that every sum is exact.
    fn new(n: usize, seed: u64, dyadic: bool) -> Rows {
        let mut rng = Rng::new(seed);
        let mut r = Rows {
            leaf: vec![],
            g: vec![],
            h: vec![],
            b: [vec![], vec![], vec![]],
        };
        for _ in 0..n {
            r.leaf.push(if rng.below(100) == 0 {
                4
            } else {
                rng.below(4) as i64
            });
            let (g, h) = if dyadic {
                (
                    (rng.below(4001) as f64 - 2000.0) / 256.0,
                    (rng.below(1000) + 1) as f64 / 1024.0,
                )
            } else {
                (3.0 * rng.normal(), rng.uniform())
            };
            r.g.push((rng.below(50) != 0).then_some(g));
            r.h.push((rng.below(100) != 0).then_some(h));
            // Feature 3 puts half its rows in 255, a missing-value bin.
            let codes = [
                rng.below(256),
                rng.below(16),
                if rng.below(2) == 0 {
                    255
                } else {
                    rng.below(40)
                },
            ];
            for (j, c) in codes.into_iter().enumerate() {
                r.b[j].push((j != 1 || rng.below(50) != 0).then_some(c as i64));
            }
        }
        r
    }

    fn schema() -> Arc<Schema> {
        Arc::new(Schema::new(vec![
            Field::new("leaf", DataType::Int64, false),
            Field::new("g", DataType::Float64, true),
            Field::new("h", DataType::Float64, true),
            Field::new("b1", DataType::UInt8, true),
            Field::new("b2", DataType::Int32, true),
            Field::new("b3", DataType::Int64, true),
        ]))
    }

    fn batch(&self, range: std::ops::Range<usize>) -> RecordBatch {
        let b = |j: usize| self.b[j][range.clone()].iter().copied();
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(self.leaf[range.clone()].to_vec())),
            Arc::new(Float64Array::from(self.g[range.clone()].to_vec())),
            Arc::new(Float64Array::from(self.h[range.clone()].to_vec())),
            Arc::new(b(0).map(|c| c.map(|c| c as u8)).collect::<UInt8Array>()),
            Arc::new(b(1).map(|c| c.map(|c| c as i32)).collect::<Int32Array>()),
            Arc::new(b(2).collect::<Int64Array>()),
        ];
        RecordBatch::try_new(Self::schema(), cols).unwrap()
    }

    /// `ctx` with the rows registered as `t` in `parts` partitions of batches of
    /// `BATCH_ROWS` rows.
    fn register(&self, ctx: SessionContext, parts: usize) -> SessionContext {
        let n = self.leaf.len();
        let parts = (0..parts)
            .map(|p| {
                let (start, end) = (p * n / parts, (p + 1) * n / parts);
                (start..end)
                    .step_by(BATCH_ROWS)
                    .map(|b| self.batch(b..(b + BATCH_ROWS).min(end)))
                    .collect()
            })
            .collect();
        let mem = MemTable::try_new(Self::schema(), parts).unwrap();
        ctx.register_table("t", Arc::new(mem)).unwrap();
        ctx
    }

    /// The rows without a null, of leaf `leaf` (all leaves for `None`): their codes and
    /// their pairs rounded to float32.
    fn used(&self, leaf: Option<i64>) -> Vec<([usize; K], [f32; 2])> {
        (0..self.leaf.len())
            .filter(|&i| leaf.is_none_or(|l| self.leaf[i] == l))
            .filter_map(|i| {
                let codes = [self.b[0][i]?, self.b[1][i]?, self.b[2][i]?].map(|c| c as usize);
                Some((codes, [self.g[i]? as f32, self.h[i]? as f32]))
            })
            .collect()
    }

    /// The plain reference: per feature and bin, the sums of `f64(f32(g))`, of `f64(f32(h))`
    /// and of `|f64(f32(g))|` (the scale of the gradient's rounding), and the count.
    fn reference(&self, leaf: Option<i64>) -> Reference {
        let mut r = Reference {
            grad: vec![vec![0.0; BINS]; K],
            hess: vec![vec![0.0; BINS]; K],
            abs: vec![vec![0.0; BINS]; K],
            count: vec![vec![0; BINS]; K],
        };
        for (codes, p) in self.used(leaf) {
            for (j, &c) in codes.iter().enumerate() {
                r.grad[j][c] += f64::from(p[0]);
                r.hess[j][c] += f64::from(p[1]);
                r.abs[j][c] += f64::from(p[0]).abs();
                r.count[j][c] += 1;
            }
        }
        r
    }

    /// What the trainer computes for a node holding these rows: one `histogram_gh` call per
    /// feature over the node's codes and pairs.
    fn trainer(&self, leaf: Option<i64>) -> Vec<Vec<[f64; 2]>> {
        let used = self.used(leaf);
        let pairs: Vec<[f32; 2]> = used.iter().map(|u| u.1).collect();
        (0..K)
            .map(|j| {
                let codes: Vec<u8> = used.iter().map(|u| u.0[j] as u8).collect();
                let mut hist = vec![[0.0; 2]; BINS];
                simd_kernels::histogram_gh(&codes, &pairs, &mut hist);
                hist
            })
            .collect()
    }
}

struct Reference {
    grad: Vec<Vec<f64>>,
    hess: Vec<Vec<f64>>,
    abs: Vec<Vec<f64>>,
    count: Vec<Vec<u64>>,
}

impl Reference {
    /// `got` equals the reference: exactly, or (`tol > 0`) each sum within `tol` of the sum of
    /// the absolute values behind it.
    fn check(&self, got: &GbdtHistograms, tol: f64, what: &str) {
        assert_eq!((got.features, got.bins), (K, BINS), "{what}");
        assert_eq!(got.names, ["b1", "b2", "b3"], "{what}");
        assert_eq!(got.count, self.count, "{what}: counts");
        if tol == 0.0 {
            assert_eq!(got.grad, self.grad, "{what}: gradients");
            assert_eq!(got.hess, self.hess, "{what}: hessians");
            return;
        }
        for j in 0..K {
            for b in 0..BINS {
                let (g, h) = (got.grad[j][b], got.hess[j][b]);
                let (wg, wh) = (self.grad[j][b], self.hess[j][b]);
                assert!(
                    (g - wg).abs() <= tol * self.abs[j][b],
                    "{what}: gradient of feature {j} bin {b}: {g:e} vs {wg:e}"
                );
                assert!(
                    (h - wh).abs() <= tol * wh,
                    "{what}: hessian of feature {j} bin {b}: {h:e} vs {wh:e}"
                );
            }
        }
    }
}

fn histograms(text: &Option<String>) -> GbdtHistograms {
    GbdtHistograms::from_json(text.as_deref().expect("a histogram")).unwrap()
}

const CALL: &str = "gbdt_histogram(g, h, b1, b2, b3)";

#[tokio::test]
async fn one_group_equals_the_scalar_reference_and_the_trainers_kernel() {
    for (dyadic, tol) in [(true, 0.0), (false, 1e-12)] {
        let rows = Rows::new(30_000, 1, dyadic);
        let ctx = rows.register(context(2), 3);
        let b = query(&ctx, &format!("SELECT {CALL} AS r FROM t")).await;
        let got = histograms(&strings(&b, "r")[0]);
        rows.reference(None).check(&got, tol, "one group");
        assert_eq!(got.rows() as usize, rows.used(None).len());
        for (j, want) in rows.trainer(None).iter().enumerate() {
            for (g, w) in got.pairs(j).iter().zip(want) {
                for (g, w) in g.iter().zip(w) {
                    assert!((g - w).abs() <= tol * w.abs().max(1.0), "{g:e} vs {w:e}");
                }
            }
            if dyadic {
                assert_eq!(
                    &got.pairs(j),
                    want,
                    "the trainer's histogram of feature {j}"
                );
            }
        }
        // Float32 gradients, the trainer's own type, give the same sums.
        let sql =
            "SELECT gbdt_histogram(CAST(g AS FLOAT), CAST(h AS FLOAT), b1, b2, b3) AS r FROM t";
        let b32 = query(&ctx, sql).await;
        rows.reference(None)
            .check(&histograms(&strings(&b32, "r")[0]), tol, "float32");
    }
}

#[tokio::test]
async fn group_by_leaf_gives_each_leaf_its_histograms() {
    for (dyadic, tol) in [(true, 0.0), (false, 1e-12)] {
        let rows = Rows::new(40_000, 2, dyadic);
        let ctx = rows.register(context(3), 4);
        let sql = format!("SELECT leaf, {CALL} AS r FROM t GROUP BY leaf ORDER BY leaf");
        let b = query(&ctx, &sql).await;
        let leaves = strings(&b, "leaf");
        assert_eq!(leaves.len(), 5);
        for (leaf, r) in leaves.iter().zip(strings(&b, "r")) {
            let leaf: i64 = leaf.as_deref().unwrap().parse().unwrap();
            rows.reference(Some(leaf))
                .check(&histograms(&r), tol, &format!("leaf {leaf}"));
        }
    }
}

#[tokio::test]
async fn partitions_and_merge_order_change_nothing_on_dyadic_values() {
    let rows = Rows::new(20_000, 3, true);
    let sql = format!("SELECT leaf, {CALL} AS r FROM t GROUP BY leaf ORDER BY leaf");
    let mut results = Vec::new();
    for parts in [1, 3, 7] {
        let ctx = rows.register(context(parts), parts);
        results.push(strings(&query(&ctx, &sql).await, "r"));
        let one = query(&ctx, &format!("SELECT {CALL} AS r FROM t")).await;
        rows.reference(None)
            .check(&histograms(&strings(&one, "r")[0]), 0.0, "no GROUP BY");
    }
    assert_eq!(results[0], results[1], "1 and 3 partitions");
    assert_eq!(results[0], results[2], "1 and 7 partitions");
}

/// Groups that hardly repeat make DataFusion stop pre-aggregating and send each row as a
/// state (`convert_to_state`): the histograms are still exact.
#[tokio::test]
async fn rows_sent_as_states_when_groups_hardly_repeat_merge_exactly() {
    let rows = Rows::new(6_000, 4, true);
    let mut config = SessionConfig::new().with_target_partitions(3);
    let exec = &mut config.options_mut().execution;
    exec.skip_partial_aggregation_probe_rows_threshold = 100;
    exec.skip_partial_aggregation_probe_ratio_threshold = 0.1;
    let ctx = SessionContext::new_with_config(config);
    ml_datafusion::register(&ctx);
    let ctx = rows.register(ctx, 3);
    // Up to 4,096 groups over 6,000 rows: most groups are new when the probe looks.
    let sql = format!("SELECT b1, b2, {CALL} AS r FROM t GROUP BY b1, b2");
    let b = query(&ctx, &sql).await;
    let plan = query(&ctx, &format!("EXPLAIN ANALYZE {sql}")).await;
    let plan = strings(&plan, "plan")
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n");
    let skipped: usize = plan
        .split("skipped_aggregation_rows=")
        .skip(1)
        .map(|s| {
            s.split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert!(skipped > 0, "pre-aggregation was not skipped: {plan}");
    // The groups' histograms add up to the table's.
    let mut sum = rows.reference(None);
    for r in strings(&b, "r").iter().flatten() {
        let h = GbdtHistograms::from_json(r).unwrap();
        for j in 0..K {
            for bin in 0..BINS {
                sum.grad[j][bin] -= h.grad[j][bin];
                sum.hess[j][bin] -= h.hess[j][bin];
                sum.count[j][bin] -= h.count[j][bin];
            }
        }
    }
    let zero = vec![vec![0.0; BINS]; K];
    assert_eq!((sum.grad, sum.hess), (zero.clone(), zero));
    assert_eq!(sum.count, vec![vec![0; BINS]; K]);
}

#[tokio::test]
async fn the_result_parses_back_and_bad_arguments_are_named() {
    let ctx = context(1);
    let b = query(
        &ctx,
        "SELECT gbdt_histogram(g, h, b) AS r FROM (VALUES (1.5, 0.25, 3), (NULL, 1.0, 3), \
         (-0.5, 0.25, 255), (2.0, 1.0, NULL)) AS s(g, h, b)",
    )
    .await;
    let text = strings(&b, "r")[0].clone().unwrap();
    let h = GbdtHistograms::from_json(&text).unwrap();
    assert_eq!((h.features, h.bins, h.rows()), (1, 256, 2));
    assert_eq!(h.names, ["b"]);
    assert_eq!((h.grad[0][3], h.hess[0][3], h.count[0][3]), (1.5, 0.25, 1));
    assert_eq!((h.grad[0][255], h.count[0][255]), (-0.5, 1));
    assert_eq!(GbdtHistograms::from_json(&h.to_json()).unwrap(), h);
    let short = text.replacen("\"bins\":256", "\"bins\":255", 1);
    assert!(GbdtHistograms::from_json(&short).is_err());
    // No usable row: null.
    let none = query(&ctx, "SELECT gbdt_histogram(g, h, b) AS r FROM (VALUES (CAST(NULL AS DOUBLE), 1.0, 1)) AS s(g, h, b)").await;
    assert_eq!(strings(&none, "r"), [None]);

    let cases = [
        ("gbdt_histogram(g, h, b, 300)", "bin code 300 in argument 4 (feature 2) is outside 0..=255"),
        ("gbdt_histogram(g, h, b - 10)", "bin code -7 in argument 3 (feature 1) is outside 0..=255"),
        ("gbdt_histogram(g, h, g)", "gbdt_histogram: argument 3 (the bin codes of feature 1) is of type Float64, expected integers"),
        ("gbdt_histogram(g, h, b, 'x')", "argument 4 (the bin codes of feature 2) is of type Utf8"),
        ("gbdt_histogram('x', h, b)", "gbdt_histogram: argument 1 is of type Utf8, expected a number"),
        ("gbdt_histogram(g, h)", "gbdt_histogram takes the gradient, the hessian and at least one bin-code column"),
        ("gbdt_histogram(g * 1e300, h, b)", "the gradient (argument 1) is 1.5e300, which is not finite as a float32"),
        ("gbdt_histogram(g, CAST('inf' AS DOUBLE), b)", "the hessian (argument 2) is inf, which is not finite as a float32"),
    ];
    for (call, want) in cases {
        let sql = format!("SELECT {call} FROM (VALUES (1.5, 0.25, 3)) AS s(g, h, b)");
        let e = error_of(&ctx, &sql).await;
        assert!(e.contains(want), "{call}: {e}");
    }
}
