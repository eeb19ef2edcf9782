//! The pinned Python venv the peer tasks (`compare`, `nist`) run their scripts in: one venv,
//! so the peers' versions are the same in every report.

use crate::cmd::{root, step};
use std::path::PathBuf;
use std::process::Command;

/// Pinned peer versions (Python 3.11).
const PINS: [&str; 7] = [
    "numpy==2.4.6",
    "scipy==1.17.1",
    "scikit-learn==1.9.1",
    "pandas==3.1.1",
    "polars==2.1.0",
    "statsmodels==0.15.0",
    // pandas' read_parquet and to_parquet, and the end-to-end rows' data and answer check.
    "pyarrow==26.0.1",
];

/// The venv's `python`. The venv, `target/compare-venv`, is created and the pins installed
/// unless its `pins.txt` marker lists exactly [`PINS`], so a changed pin rebuilds it once.
pub fn python(task: &str) -> Result<PathBuf, String> {
    python_in(task, "target/compare-venv", "python3", &PINS)
}

/// Pinned tree-ensemble peers (Python 3.12: xgboost 3.4.1 needs it).
const TREE_PINS: [&str; 10] = [
    "numpy==2.5.5",
    "xgboost==3.4.1",
    "lightgbm==4.7.0",
    "treelite==4.8.1",
    "tl2cgen==1.0.0",
    "lleaves==1.3.0",
    // lleaves 1.3.0 calls llvmlite's legacy pass manager, which newer llvmlite removed.
    "llvmlite==0.43.0",
    "onnxruntime==1.31.1",
    "onnxmltools==1.16.0",
    "onnx==1.23.2",
];

/// The venv of `compare-trees`, `target/trees-venv`, made with `$TREES_PYTHON` (default
/// `python3.12`), as [`python`] makes its own.
pub fn trees_python(task: &str) -> Result<PathBuf, String> {
    let interpreter = std::env::var("TREES_PYTHON").unwrap_or_else(|_| "python3.12".into());
    python_in(task, "target/trees-venv", &interpreter, &TREE_PINS)
}

fn python_in(task: &str, dir: &str, interpreter: &str, pins: &[&str]) -> Result<PathBuf, String> {
    let venv = root().join(dir);
    let marker = venv.join("pins.txt");
    let pins_text = pins.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(pins_text.as_str()) {
        step(
            task,
            "create venv",
            Command::new(interpreter).args(["-m", "venv"]).arg(&venv),
        )?;
        step(
            task,
            "install peers",
            // `python -m pip`, not `bin/pip`: a venv directory that was moved keeps a working
            // interpreter link but a `pip` whose first line names the old place.
            Command::new(venv.join("bin/python"))
                .args(["-m", "pip", "install", "--quiet"])
                .args(pins),
        )?;
        std::fs::write(&marker, &pins_text).map_err(|e| e.to_string())?;
    }
    Ok(venv.join("bin/python"))
}

/// numpy's AVX-512 dispatch targets (numpy 2.x names), switched off for a capped run.
const NUMPY_AVX512_TARGETS: &str = "X86_V4 AVX512_ICL AVX512_SPR";

/// When our code is capped to AVX2 (`SIMD_KERNELS_ISA=avx2`, to measure the AVX2 path on an
/// AVX-512 machine), caps the peers alike, so the run stands for a machine without AVX-512
/// on both sides: OpenBLAS's Haswell kernels (`OPENBLAS_CORETYPE`, which numpy's and
/// SciPy's OpenBLAS builds read) and numpy's own loops without their AVX-512 targets
/// (`NPY_DISABLE_CPU_FEATURES`). The peers' page names the OpenBLAS kernels they loaded.
pub fn cap_like_ours(cmd: &mut Command) -> &mut Command {
    if std::env::var("SIMD_KERNELS_ISA").is_ok_and(|v| v.eq_ignore_ascii_case("avx2")) {
        cmd.env("OPENBLAS_CORETYPE", "Haswell")
            .env("NPY_DISABLE_CPU_FEATURES", NUMPY_AVX512_TARGETS);
    }
    cmd
}

/// Sets the peers' thread pools to one thread, so a comparison with our single-threaded
/// code is even and the two shared cores stay free.
pub fn single_threaded(cmd: &mut Command) -> &mut Command {
    threads(cmd, 1)
}

/// Sets the thread pools of the peers (and rayon's, for ours) to `n` threads.
pub fn threads(cmd: &mut Command, n: usize) -> &mut Command {
    let n = n.to_string();
    for var in [
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "POLARS_MAX_THREADS",
        "RAYON_NUM_THREADS",
    ] {
        cmd.env(var, &n);
    }
    cmd
}
