//! LightGBM text import: `GbdtModel::from_lightgbm_text` on arbitrary text never panics;
//! a model it accepts predicts consistently (see `gbdt_check`).
#![no_main]

#[path = "gbdt_check.rs"]
mod gbdt_check;

use libfuzzer_sys::fuzz_target;
use ml_pipeline::models::GbdtModel;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(model) = GbdtModel::from_lightgbm_text(text) {
        gbdt_check::check(&model);
    }
});
