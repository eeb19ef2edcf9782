//! The multi-pass logistic fit over DataFusion against the library's own fit.

mod common;

use common::{assert_close, context, with_memtable, Table, K};
use fast_math::{Mat, Par};
use ml_datafusion::logistic::fit_logistic;
use ml_pipeline::{Fit, LogisticRegression};

#[tokio::test]
async fn multi_pass_logistic_equals_the_library_fit() {
    let t = Table::new(&[("AAA", 900), ("BBB", 700)], 31);
    let ctx = with_memtable(context(3), &t, 4);
    let df = ctx.table("t").await.unwrap();
    for c in [1.0, 0.05] {
        let params = LogisticRegression {
            c,
            ..LogisticRegression::default()
        };
        let got = fit_logistic(&df, "label", &["x1", "x2", "x3"], &params)
            .await
            .unwrap();
        let x = Mat::from_fn(t.len(), K, |i, j| t.x[j][i]);
        let want = params.fit(x.as_ref(), &t.label, Par::Seq).unwrap();
        for (a, b) in got
            .linear
            .coef
            .iter()
            .zip(&want.linear.coef)
            .chain([(&got.linear.intercept, &want.linear.intercept)])
        {
            assert_close(*a, *b, 1e-8, 1e-8, "coefficient");
        }
        assert!(got.iterations >= 3 && got.iterations <= want.iterations + 1);
    }
}

#[tokio::test]
async fn bad_labels_and_settings_are_errors() {
    let t = Table::new(&[("AAA", 50)], 32);
    let ctx = with_memtable(context(1), &t, 1);
    let df = ctx.table("t").await.unwrap();
    let e = fit_logistic(&df, "y", &["x1"], &LogisticRegression::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("is not 0 or 1"), "{e}");
    let bad = LogisticRegression {
        c: 0.0,
        ..LogisticRegression::default()
    };
    let e = fit_logistic(&df, "label", &["x1"], &bad).await.unwrap_err();
    assert!(e.to_string().contains("c must be finite and > 0"), "{e}");
}
