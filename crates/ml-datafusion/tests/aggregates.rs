//! `moments`, `ridge_fit`, `ols_fit` and `pca_fit`: GROUP BY results against the library's
//! per-group fits, nulls skipped, partial states merged across partitions and files, and
//! the errors.

mod common;

use common::{assert_close, context, error_of, floats, query, strings, with_memtable, Table, K};
use fast_math::{Mat, Par};
use ml_pipeline::{
    Accumulator, Fit, FitIncremental, Model, Pca, Ridge, RidgeAccumulator, SavedModel, Target,
};
use simd_kernels::Moments;

const SIZES: [(&str, usize); 4] = [("AAA", 700), ("BBB", 1300), ("CCC", 40), ("DDD", 5)];

fn rows_matrix(t: &Table, rows: &[usize]) -> (Mat<f64>, Vec<f64>) {
    let x = Mat::from_fn(rows.len(), K, |i, j| t.x[j][rows[i]]);
    let y = rows.iter().map(|&i| t.y[i]).collect();
    (x, y)
}

fn model_of(json: &str) -> SavedModel {
    SavedModel::from_json(json).expect("a model file")
}

fn linear(saved: &SavedModel) -> (Vec<f64>, f64) {
    let m = saved.model.linear().expect("a linear model");
    (m.coef.clone(), m.intercept)
}

#[tokio::test]
async fn moments_by_group_equal_the_library_per_group() {
    let t = Table::new(&SIZES, 1);
    for partitions in [1, 3] {
        let ctx = with_memtable(context(partitions), &t, 5);
        let b = query(
            &ctx,
            "SELECT symbol, moments(x2)['count'] AS n, moments(x2)['mean'] AS mean, \
             moments(x2)['var'] AS var, moments(x2)['std'] AS std, moments(x2)['skew'] AS skew, \
             moments(x2)['kurt'] AS kurt FROM t GROUP BY symbol ORDER BY symbol",
        )
        .await;
        let symbols = strings(&b, "symbol");
        for (i, s) in symbols.iter().enumerate() {
            let rows = t.rows_of(s.as_deref().unwrap());
            let values: Vec<f64> = rows.iter().map(|&r| t.x[1][r]).collect();
            let want = simd_kernels::moments(&values);
            assert_eq!(floats(&b, "n")[i], Some(values.len() as f64));
            let pairs = [
                ("mean", want.mean()),
                ("var", want.variance()),
                ("std", want.std()),
                ("skew", want.skewness()),
                ("kurt", want.kurtosis()),
            ];
            for (name, w) in pairs {
                let got = floats(&b, name)[i];
                assert_close(got.unwrap(), w.unwrap(), 1e-12, 1e-12, name);
            }
        }
    }
}

#[tokio::test]
async fn moments_skip_nulls_and_give_null_where_pandas_gives_nan() {
    let ctx = context(2);
    let b = query(
        &ctx,
        "SELECT moments(v) AS m FROM (VALUES (1.0), (NULL), (2.0), (4.0)) AS s(v)",
    )
    .await;
    let one = query(&ctx, "SELECT moments(v)['kurt'] AS k, moments(v)['skew'] AS s, moments(v)['count'] AS n FROM (VALUES (1.0), (NULL), (2.0), (4.0)) AS s(v)").await;
    assert_eq!(floats(&one, "n"), [Some(3.0)]);
    assert_eq!(floats(&one, "k"), [None], "kurtosis needs 4 values");
    let want = simd_kernels::moments(&[1.0, 2.0, 4.0]);
    assert_close(
        floats(&one, "s")[0].unwrap(),
        want.skewness().unwrap(),
        1e-14,
        0.0,
        "skew",
    );
    assert_eq!(b.num_rows(), 1);
    let empty = query(&ctx, "SELECT moments(v)['count'] AS n, moments(v)['mean'] AS m FROM (VALUES (CAST(NULL AS DOUBLE))) AS s(v)").await;
    assert_eq!(floats(&empty, "n"), [Some(0.0)]);
    assert_eq!(floats(&empty, "m"), [None]);
    // Merging the partial states of single values equals the one-pass moments.
    let m = [1.0, 2.0, 4.0]
        .iter()
        .map(|&x| Moments {
            count: 1,
            mean: x,
            ..Moments::default()
        })
        .fold(Moments::default(), |a, b| a.merge(&b));
    assert_close(m.m2, want.m2, 1e-14, 0.0, "m2");
}

#[tokio::test]
async fn ridge_and_ols_by_group_equal_the_library_per_group() {
    let t = Table::new(&SIZES, 2);
    let ctx = with_memtable(context(4), &t, 7);
    let b = query(
        &ctx,
        "SELECT symbol, ridge_fit(y, x1, x2, x3, 0.5) AS ridge, ridge_fit(y, x1, x2, x3) AS ridge1, \
         ols_fit(y, x1, x2, x3) AS ols FROM t GROUP BY symbol ORDER BY symbol",
    )
    .await;
    let symbols = strings(&b, "symbol");
    for (col, alpha) in [("ridge", 0.5), ("ridge1", 1.0), ("ols", 0.0)] {
        for (i, m) in strings(&b, col).iter().enumerate() {
            let saved = model_of(m.as_deref().unwrap());
            assert_eq!(saved.feature_names, ["x1", "x2", "x3"]);
            assert!(matches!(saved.model, Model::Ridge(_)));
            let rows = t.rows_of(symbols[i].as_deref().unwrap());
            let (x, y) = rows_matrix(&t, &rows);
            let ridge = Ridge {
                alpha,
                fit_intercept: true,
            };
            // Against the accumulator over the group's rows in one pass...
            let mut acc = RidgeAccumulator::new(K);
            acc.update(x.as_ref(), Target::Values(&y)).unwrap();
            let want = ridge.finish(&acc).unwrap();
            let (coef, b0) = linear(&saved);
            for (a, w) in coef.iter().zip(&want.coef).chain([(&b0, &want.intercept)]) {
                assert_close(*a, *w, 1e-10, 1e-12, col);
            }
            // ...and against the batch fit, which refines against the rows.
            let fit = ridge.fit(x.as_ref(), &y, Par::Seq).unwrap();
            for (a, w) in coef.iter().zip(&fit.coef).chain([(&b0, &fit.intercept)]) {
                assert_close(*a, *w, 1e-9, 1e-9, col);
            }
        }
    }
}

#[tokio::test]
async fn fits_skip_rows_with_a_null_in_any_argument() {
    let ctx = context(1);
    let b = query(
        &ctx,
        "SELECT ols_fit(y, a) AS m FROM (VALUES (1.0, 0.0), (3.0, 1.0), (NULL, 7.0), (100.0, NULL), \
         (5.0, 2.0)) AS s(y, a)",
    )
    .await;
    let (coef, b0) = linear(&model_of(strings(&b, "m")[0].as_deref().unwrap()));
    assert_close(coef[0], 2.0, 1e-14, 1.0, "slope");
    assert_close(b0, 1.0, 1e-14, 1.0, "intercept");
    // No usable row: null, as SQL aggregates over nothing give.
    let none = query(
        &ctx,
        "SELECT ridge_fit(y, a) AS m FROM (VALUES (CAST(NULL AS DOUBLE), 1.0)) AS s(y, a)",
    )
    .await;
    assert_eq!(strings(&none, "m"), [None]);
}

/// Files and partitions change the merge order; the fits agree to 1e-10.
#[tokio::test]
async fn partial_states_from_many_files_and_partitions_merge_to_the_single_partition_fit() {
    let t = Table::new(&SIZES, 3);
    let dir = tempfile::tempdir().unwrap();
    t.write_parquet(&dir.path().join("data"), 6);
    let path = dir.path().join("data");
    let sql =
        "SELECT symbol, ridge_fit(y, x1, x2, x3, 0.1) AS ridge, pca_fit(x1, x2, x3, 2) AS pca, \
               moments(y)['var'] AS var FROM t GROUP BY symbol ORDER BY symbol";
    let mut results = Vec::new();
    for partitions in [1, 4] {
        let ctx = context(partitions);
        ctx.register_parquet("t", path.to_str().unwrap(), Default::default())
            .await
            .unwrap();
        results.push(query(&ctx, sql).await);
    }
    let (one, four) = (&results[0], &results[1]);
    assert_eq!(strings(one, "symbol"), strings(four, "symbol"));
    for (a, b) in strings(one, "ridge").iter().zip(strings(four, "ridge")) {
        let (ca, ia) = linear(&model_of(a.as_deref().unwrap()));
        let (cb, ib) = linear(&model_of(b.as_deref().unwrap()));
        for (x, y) in ca.iter().zip(&cb).chain([(&ia, &ib)]) {
            assert_close(*x, *y, 1e-10, 1e-12, "ridge across partitions");
        }
    }
    for (a, b) in strings(one, "pca").iter().zip(strings(four, "pca")) {
        let (pa, pb) = (
            model_of(a.as_deref().unwrap()),
            model_of(b.as_deref().unwrap()),
        );
        let (pa, pb) = (pa.pca().unwrap(), pb.pca().unwrap());
        for (x, y) in pa
            .components
            .iter()
            .zip(&pb.components)
            .chain(pa.explained_variance.iter().zip(&pb.explained_variance))
        {
            assert_close(*x, *y, 1e-10, 1e-12, "pca across partitions");
        }
    }
    for (a, b) in floats(one, "var").iter().zip(floats(four, "var")) {
        assert_close(
            a.unwrap(),
            b.unwrap(),
            1e-12,
            0.0,
            "variance across partitions",
        );
    }
}

#[tokio::test]
async fn pca_by_group_equals_the_library() {
    let t = Table::new(&SIZES[..2], 4);
    let ctx = with_memtable(context(2), &t, 3);
    let b = query(
        &ctx,
        "SELECT symbol, pca_fit(x1, x2, x3, 2) AS m FROM t GROUP BY symbol ORDER BY symbol",
    )
    .await;
    for (s, m) in strings(&b, "symbol").iter().zip(strings(&b, "m")) {
        let saved = model_of(m.as_deref().unwrap());
        let rows = t.rows_of(s.as_deref().unwrap());
        let (x, _) = rows_matrix(&t, &rows);
        let want = Pca { n_components: 2 }
            .fit(x.as_ref(), Target::None, Par::Seq)
            .unwrap();
        let got = saved.pca().unwrap();
        for (a, w) in got.components.iter().zip(&want.components) {
            assert_close(*a, *w, 1e-9, 1e-3, "component");
        }
        for (a, w) in got
            .explained_variance_ratio
            .iter()
            .zip(&want.explained_variance_ratio)
        {
            assert_close(*a, *w, 1e-10, 0.0, "explained variance ratio");
        }
    }
}

#[tokio::test]
async fn errors_are_clear() {
    let t = Table::new(&SIZES[..1], 5);
    let ctx = with_memtable(context(1), &t, 1);
    let e = error_of(&ctx, "SELECT ridge_fit(y, symbol) FROM t").await;
    assert!(
        e.contains("ridge_fit: argument 2 is of type Utf8, expected a number"),
        "{e}"
    );
    let e = error_of(&ctx, "SELECT ridge_fit(y) FROM t").await;
    assert!(
        e.contains("ridge_fit takes the target and at least one feature"),
        "{e}"
    );
    let e = error_of(&ctx, "SELECT moments(x1, x2) FROM t").await;
    assert!(e.contains("moments takes one argument"), "{e}");
    let e = error_of(&ctx, "SELECT ridge_fit(y, x1, -1.0) FROM t").await;
    assert!(e.contains("alpha must be finite and >= 0"), "{e}");
    let e = error_of(&ctx, "SELECT pca_fit(x1, x2, x3) FROM t").await;
    assert!(
        e.contains("pca_fit: the last argument, n_components, must be a constant"),
        "{e}"
    );
    let e = error_of(&ctx, "SELECT pca_fit(x1, x2, 3) FROM t").await;
    assert!(e.contains("n_components is 3"), "{e}");
    // Fewer rows than features without a penalty: the system is rank-deficient.
    let e = error_of(&ctx, "SELECT ols_fit(y, x1, x2, x3) FROM t WHERE ts < 2").await;
    assert!(e.contains("ols_fit:") && e.contains("rank"), "{e}");
    let e = error_of(
        &ctx,
        "SELECT ols_fit(y, x1) FROM (VALUES (1.0, 'NaN'::double), (2.0, 1.0)) AS s(y, x1)",
    )
    .await;
    assert!(e.contains("ols_fit:") && e.contains("non-finite"), "{e}");
}

#[tokio::test]
async fn features_named_by_their_columns_or_by_position() {
    let t = Table::new(&SIZES[..1], 6);
    let ctx = with_memtable(context(1), &t, 1);
    let b = query(&ctx, "SELECT ridge_fit(y, x1, x2 * 2, x1) AS m FROM t").await;
    let saved = model_of(strings(&b, "m")[0].as_deref().unwrap());
    assert_eq!(saved.feature_names, ["x1", "x2", "x3"]);
}
