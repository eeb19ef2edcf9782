//! Model loading: `SavedModel::from_json` on arbitrary text never panics; whatever it
//! accepts round-trips bit for bit and predicts without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ml_pipeline::{Predict, SavedModel};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(model) = SavedModel::from_json(text) else {
        return;
    };
    let again = SavedModel::from_json(&model.to_json()).expect("a loaded model re-loads");
    assert_eq!(again, model, "round trip changed the model");
    let k = model.feature_names.len();
    let mut scratch = vec![f64::NAN; model.scratch_len()];
    let raw = vec![0.5; k];
    let mut out = vec![0.0; model.output().width()];
    model.predict_one(&raw, &mut scratch, &mut out);
    let nan = vec![f64::NAN; k];
    if k > 0 {
        model.predict_one(&nan, &mut scratch, &mut out);
        assert!(out.iter().all(|v| v.is_nan()), "NaN input must give NaN");
    }
});
