//! XGBoost JSON import: `GbdtModel::from_xgboost_json` on arbitrary bytes never panics;
//! a model it accepts predicts consistently (see `gbdt_check`).
#![no_main]

#[path = "gbdt_check.rs"]
mod gbdt_check;

use libfuzzer_sys::fuzz_target;
use ml_pipeline::models::GbdtModel;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = GbdtModel::from_xgboost_json(data) {
        gbdt_check::check(&model);
    }
});
