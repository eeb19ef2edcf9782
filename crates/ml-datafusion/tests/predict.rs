//! `predict` and `predict_proba`: fits round-tripped through SQL, and models of every kind
//! saved by the library.

mod common;

use common::{assert_close, context, error_of, floats, query, strings, with_memtable, Table, K};
use fast_math::{Mat, Par};
use ml_pipeline::{Fit, LogisticRegression, Model, Predict, SavedModel, SoftmaxRegression};

const SIZES: [(&str, usize); 3] = [("AAA", 400), ("BBB", 300), ("CCC", 200)];

fn row(t: &Table, i: usize) -> Vec<f64> {
    (0..K).map(|j| t.x[j][i]).collect()
}

#[tokio::test]
async fn predict_of_a_grouped_fit_equals_the_library_model() {
    let t = Table::new(&SIZES, 11);
    let ctx = with_memtable(context(3), &t, 4);
    let b = query(
        &ctx,
        "WITH m AS (SELECT symbol, ridge_fit(y, x1, x2, x3, 0.5) AS model FROM t GROUP BY symbol) \
         SELECT t.symbol, t.ts, m.model, predict(m.model, t.x1, t.x2, t.x3) AS p \
         FROM t JOIN m ON t.symbol = m.symbol ORDER BY t.symbol, t.ts",
    )
    .await;
    assert_eq!(b.num_rows(), t.len());
    let (symbols, ts, models, p) = (
        strings(&b, "symbol"),
        floats(&b, "ts"),
        strings(&b, "model"),
        floats(&b, "p"),
    );
    for i in 0..b.num_rows() {
        let s = symbols[i].as_deref().unwrap();
        let r = t.rows_of(s)[ts[i].unwrap() as usize];
        let saved = SavedModel::from_json(models[i].as_deref().unwrap()).unwrap();
        let mut out = [0.0];
        saved.predict_one(&row(&t, r), &mut [], &mut out);
        assert_eq!(p[i].unwrap().to_bits(), out[0].to_bits(), "row {i}");
    }
}

#[tokio::test]
async fn predict_with_a_model_from_a_scalar_subquery() {
    let t = Table::new(&SIZES[..1], 12);
    let ctx = with_memtable(context(2), &t, 3);
    let b = query(
        &ctx,
        "SELECT predict((SELECT ols_fit(y, x1, x2, x3) FROM t), x1, x2, x3) AS p, y FROM t",
    )
    .await;
    // An unbiased fit of a well-specified model: residuals at the noise level.
    for (p, y) in floats(&b, "p").iter().zip(floats(&b, "y")) {
        assert!((p.unwrap() - y.unwrap()).abs() < 0.5);
    }
}

/// Registers a table `m` of one model file per row (`kind`, `model`).
async fn with_models(
    t: &Table,
    models: &[(&str, SavedModel)],
) -> datafusion::prelude::SessionContext {
    let ctx = with_memtable(context(2), t, 2);
    let values: Vec<String> = models
        .iter()
        .map(|(k, m)| {
            format!(
                "('{k}', '{}')",
                serde_json::to_string(m).unwrap().replace('\'', "''")
            )
        })
        .collect();
    ctx.sql(&format!(
        "CREATE VIEW m AS SELECT * FROM (VALUES {}) AS v(kind, model)",
        values.join(", ")
    ))
    .await
    .unwrap();
    ctx
}

#[tokio::test]
async fn every_model_kind_predicts_what_the_library_does() {
    let t = Table::new(&SIZES, 13);
    let n = t.len();
    let x = Mat::from_fn(n, K, |i, j| t.x[j][i]);
    let names: Vec<String> = (1..=K).map(|j| format!("x{j}")).collect();
    let logistic = LogisticRegression::default()
        .fit(x.as_ref(), &t.label, Par::Seq)
        .unwrap();
    let classes: Vec<f64> = (0..n)
        .map(|i| (t.x[0][i] > 0.5) as u8 as f64 + (t.x[1][i] > 1.0) as u8 as f64)
        .collect();
    let softmax = SoftmaxRegression::default()
        .fit(x.as_ref(), &classes, Par::Seq)
        .unwrap();
    let models = [
        (
            "logistic",
            SavedModel::new(names.clone(), vec![], Model::Logistic(logistic)),
        ),
        (
            "softmax",
            SavedModel::new(names.clone(), vec![], Model::Softmax(softmax)),
        ),
    ];
    let ctx = with_models(&t, &models).await;
    let b = query(
        &ctx,
        "SELECT m.kind, t.x1, t.x2, t.x3, predict(m.model, t.x1, t.x2, t.x3) AS p, \
         predict_proba(m.model, t.x1, t.x2, t.x3) AS q FROM t CROSS JOIN m ORDER BY m.kind, t.symbol, t.ts",
    )
    .await;
    let (kinds, p, q) = (strings(&b, "kind"), floats(&b, "p"), floats(&b, "q"));
    let xs: Vec<Vec<Option<f64>>> = ["x1", "x2", "x3"].iter().map(|c| floats(&b, c)).collect();
    for i in 0..b.num_rows() {
        let (k, model) = &models[if kinds[i].as_deref() == Some("logistic") {
            0
        } else {
            1
        }];
        let r: Vec<f64> = xs.iter().map(|c| c[i].unwrap()).collect();
        let mut out = vec![0.0; model.output().width()];
        model.predict_one(&r, &mut [], &mut out);
        let best = ml_pipeline::likeliest(&out);
        let (want_p, want_q) = match *k {
            "logistic" => (f64::from(u8::from(out[0] > 0.5)), out[0]),
            _ => (best as f64, out[best]),
        };
        assert_eq!(p[i], Some(want_p), "{k} class, row {i}");
        assert_close(q[i].unwrap(), want_q, 0.0, 0.0, "probability");
    }
}

#[tokio::test]
async fn nulls_give_null_and_bad_models_are_errors() {
    let t = Table::new(&SIZES[..1], 14);
    let ctx = with_memtable(context(1), &t, 1);
    let b = query(
        &ctx,
        "WITH m AS (SELECT ridge_fit(y, x1) AS model FROM t) \
         SELECT predict(model, CAST(NULL AS DOUBLE)) AS a, predict(CAST(NULL AS VARCHAR), 1.0) AS b, \
         predict(model, 2.0) AS c FROM m",
    )
    .await;
    assert_eq!(floats(&b, "a"), [None]);
    assert_eq!(floats(&b, "b"), [None]);
    assert!(floats(&b, "c")[0].is_some());
    let e = error_of(&ctx, "SELECT predict('{}', x1) FROM t").await;
    assert!(e.contains("predict: the model is not a model file"), "{e}");
    let e = error_of(
        &ctx,
        "WITH m AS (SELECT ridge_fit(y, x1, x2) AS model FROM t) SELECT predict(model, 1.0) FROM m",
    )
    .await;
    assert!(
        e.contains("the model reads 2 features (x1, x2), 1 given"),
        "{e}"
    );
    let e = error_of(&ctx, "WITH m AS (SELECT ridge_fit(y, x1) AS model FROM t) SELECT predict_proba(model, 1.0) FROM m").await;
    assert!(e.contains("not class probabilities"), "{e}");
    let e = error_of(&ctx, "SELECT predict(1.0, x1) FROM t").await;
    assert!(e.contains("expected the text of a model file"), "{e}");
}

#[tokio::test]
async fn a_pca_model_predicts_the_first_component_score() {
    let t = Table::new(&SIZES[..1], 15);
    let ctx = with_memtable(context(1), &t, 1);
    let b = query(
        &ctx,
        "WITH m AS (SELECT pca_fit(x1, x2, x3, 2) AS model FROM t) \
         SELECT m.model, predict(m.model, t.x1, t.x2, t.x3) AS s, t.x1, t.x2, t.x3 FROM t CROSS JOIN m",
    )
    .await;
    let saved = SavedModel::from_json(strings(&b, "model")[0].as_deref().unwrap()).unwrap();
    let pca = saved.pca().unwrap();
    let s = floats(&b, "s");
    let xs: Vec<Vec<Option<f64>>> = ["x1", "x2", "x3"].iter().map(|c| floats(&b, c)).collect();
    for i in 0..b.num_rows() {
        let score: f64 = (0..K)
            .map(|j| (xs[j][i].unwrap() - pca.mean[j]) * pca.components[j])
            .sum();
        assert_close(s[i].unwrap(), score, 1e-12, 1e-9, "first component score");
    }
}

#[tokio::test]
async fn a_tree_model_predicts_as_the_library_and_takes_null_as_missing() {
    use ml_pipeline::models::{GbdtParams, TrainExtras};
    let t = Table::new(&SIZES, 16);
    let n = t.len();
    let x = Mat::from_fn(n, K, |i, j| t.x[j][i]);
    let params = GbdtParams {
        n_estimators: 20,
        num_leaves: 15,
        min_data_in_leaf: 5,
        ..GbdtParams::default()
    };
    let trained = params
        .train(x.as_ref(), &t.y, TrainExtras::default(), Par::Seq)
        .unwrap();
    let saved = SavedModel::gbdt(trained.to_saved().unwrap());
    let ctx = with_models(&t, &[("gbdt", saved.clone())]).await;
    let b = query(
        &ctx,
        "SELECT t.x1, t.x2, t.x3, predict(m.model, t.x1, t.x2, t.x3) AS p, \
         predict(m.model, t.x1, CAST(NULL AS DOUBLE), t.x3) AS missing FROM t CROSS JOIN m",
    )
    .await;
    let (p, missing) = (floats(&b, "p"), floats(&b, "missing"));
    let xs: Vec<Vec<Option<f64>>> = ["x1", "x2", "x3"].iter().map(|c| floats(&b, c)).collect();
    let mut routed_differently = 0;
    for i in 0..b.num_rows() {
        let mut r: Vec<f64> = xs.iter().map(|c| c[i].unwrap()).collect();
        let mut out = [0.0];
        saved.predict_one(&r, &mut vec![0.0; saved.scratch_len()], &mut out);
        assert_eq!(p[i].unwrap().to_bits(), out[0].to_bits(), "row {i}");
        r[1] = f64::NAN;
        let mut gap = [0.0];
        saved.predict_one(&r, &mut vec![0.0; saved.scratch_len()], &mut gap);
        assert_eq!(
            missing[i].unwrap().to_bits(),
            gap[0].to_bits(),
            "row {i} with x2 missing"
        );
        routed_differently += usize::from(gap[0] != out[0]);
    }
    assert!(routed_differently > 0, "x2 matters to the trees");
}
