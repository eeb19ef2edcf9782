//! What every GBDT importer target checks on a model that loads: predictions of rows of
//! ordinary, extreme and missing values do not panic, `predict_into` on one and two threads
//! equals `predict_one` bit for bit, and raw margins and truncation behave.

use fast_math::{MatRef, Par};
use ml_pipeline::models::GbdtModel;
use ml_pipeline::{Output, Predict};

pub fn check(model: &GbdtModel) {
    let k = model.n_features();
    let values = [
        0.0,
        -0.0,
        1.0,
        -2.5,
        0.1,
        1e-36,
        3.0,
        1e300,
        -1e300,
        f64::NAN,
    ];
    let rows: Vec<f64> = (0..values.len() * k.max(1))
        .map(|i| values[(i * 7 + i / 3) % values.len()])
        .take(values.len() * k)
        .collect();
    let n = if k == 0 { 0 } else { rows.len() / k };
    let w = model.output().width();
    let mut scratch = vec![f64::NAN; model.scratch_len()];
    let mut one = vec![0.0; n * w];
    for (r, o) in rows.chunks_exact(k.max(1)).zip(one.chunks_exact_mut(w)) {
        model.predict_one(r, &mut scratch, o);
    }
    let x = MatRef::from_row_major(&rows, n, k);
    for par in [Par::Seq, Par::Rayon(2)] {
        let mut batch = vec![f64::NAN; n * w];
        model.predict_into(x, &mut batch, par);
        assert!(
            batch
                .iter()
                .zip(&one)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "predict_into({par:?}) differs from predict_one"
        );
    }
    let raw = model.clone().with_raw_margin(true);
    assert_eq!(raw.output(), Output::Margins(model.n_margins()));
    let first = model.clone().truncate(1);
    assert_eq!(first.is_ok(), model.n_iterations() >= 1);
}
