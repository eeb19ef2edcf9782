//! The tree-ensemble bench inputs (issue 16): the 500-tree depth-6 models over 50 features
//! that `benches/python/make_tree_bench.py` trains with XGBoost and LightGBM, and the rows
//! they predict. The bench and `compare_trees` read the same files.

use fast_math::Mat;
use ml_pipeline::models::GbdtModel;
use std::path::{Path, PathBuf};

/// Where the generated files live: `$TREE_BENCH_DIR`, or `<workspace>/target/tree-bench`.
pub fn dir() -> PathBuf {
    std::env::var_os("TREE_BENCH_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tree-bench"),
        PathBuf::from,
    )
}

/// The models by name: `("xgboost", xgb.json)`, `("lightgbm", lgb.txt)`.
///
/// # Errors
/// A message telling how to make the files when they are missing or unreadable.
pub fn models(dir: &Path) -> Result<Vec<(&'static str, GbdtModel)>, String> {
    [("xgboost", "xgb.json"), ("lightgbm", "lgb.txt")]
        .into_iter()
        .map(|(name, file)| {
            GbdtModel::load(&dir.join(file))
                .map(|m| (name, m))
                .map_err(|e| {
                    format!(
                        "{e}: run `cargo xtask compare-trees` (or \
                     benches/python/make_tree_bench.py {}) first",
                        dir.display()
                    )
                })
        })
        .collect()
}

/// The first `n` rows of `rows.f64` (row-major, 50 features) as a row-major matrix.
///
/// # Errors
/// When the file is missing or shorter than asked.
pub fn rows(dir: &Path, n: usize, features: usize) -> Result<Mat<f64>, String> {
    let path = dir.join("rows.f64");
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let need = n * features * 8;
    if bytes.len() < need {
        return Err(format!(
            "{}: {} bytes, need {need}",
            path.display(),
            bytes.len()
        ));
    }
    let v: Vec<f64> = bytes[..need]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    Ok(Mat::from_row_major(n, features, &v))
}
