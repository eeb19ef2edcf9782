//! The Rust side of `cargo xtask compare`.
//!
//! - `compare data DIR`: writes the fixed-seed inputs both sides read (raw little-endian
//!   f64, matrices column-major) and `manifest.json` with their shapes.
//! - `compare time DIR ROUND`: times our implementation of every operation (medians),
//!   writes `ours_ROUND.json`, and our answers as `ours_<id>.f64` for the peers to check.
//! - `compare e2e-ours E2E_DIR MLP check | ROUND THREADS`: runs `mlp features` end to end
//!   ([`benches::e2e`]): once for the answer check, or timed as round ROUND at THREADS.
//! - `compare report DIR [PAGE]`: merges every round of ours and the peers' (of `DIR` and of
//!   the end-to-end rows' `DIR/e2e`) into `PAGE` (default `docs/COMPARISON.md`, relative to
//!   the workspace root).

use benches::measure::interleaved;
use benches::random_f64;
use benches::rounds::{self, median};
use fast_math::rsvd::{randomized_svd, RsvdOptions};
use fast_math::{gemm, matmul, Mat, Par};
use ml_pipeline::features::rolling_moments;
use ml_pipeline::models::{LogisticRegression, Pca, Ridge};
use ml_pipeline::{Fit, Target};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use zero_copy_pool::AlignedVec;

const WINDOW: usize = 64;

/// The page `report` writes unless told another.
const DEFAULT_PAGE: &str = "docs/COMPARISON.md";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["data", dir] => write_data(Path::new(dir)),
        ["time", dir, round] => time_ours(Path::new(dir), round),
        ["e2e-ours", dir, mlp, "check"] => benches::e2e::answers(Path::new(mlp), Path::new(dir)),
        ["e2e-ours", dir, mlp, round, threads] => threads
            .parse()
            .map_err(|_| format!("threads: {threads:?} is not a number"))
            .and_then(|t| benches::e2e::time(Path::new(mlp), Path::new(dir), round, t)),
        ["report", dir] => report(Path::new(dir), DEFAULT_PAGE),
        ["report", dir, page] => report(Path::new(dir), page),
        _ => Err(
            "usage: compare data DIR | time DIR ROUND | e2e-ours E2E_DIR MLP check | \
                  e2e-ours E2E_DIR MLP ROUND THREADS | report DIR"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::from(2)
        }
    }
}

fn io(e: std::io::Error) -> String {
    e.to_string()
}

fn write_f64(path: &Path, v: &[f64]) -> Result<(), String> {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// An input file, in the library's own buffer type: numpy's allocator asks the kernel for
/// huge pages for arrays of 4 MiB and more, and `AlignedVec` (the storage of every `Mat`)
/// does the same, so both sides read their inputs from the same kind of memory. (A 16 MB
/// `dot` from L3 measured 1.1-1.3x slower on 4 KiB pages on a Zen 4: the row
/// `dot_1M_small_pages` compares both sides there.)
fn read_f64(path: &Path) -> Result<AlignedVec<f64>, String> {
    let b = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

fn write_data(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut arrays = serde_json::Map::new();
    let mut put = |name: &str, shape: &[usize], v: &[f64]| -> Result<(), String> {
        arrays.insert(name.into(), json!(shape));
        write_f64(&dir.join(format!("{name}.f64")), v)
    };
    let n = 1024;
    put("mat_a", &[n, n], &random_f64(n * n, 11))?;
    put("mat_b", &[n, n], &random_f64(n * n, 12))?;
    put(
        "vec_x",
        &[1 << 20],
        &random_f64(1 << 20, 13)
            .iter()
            .map(|v| v + 1e3)
            .collect::<Vec<_>>(),
    )?;
    put("vec_y", &[1 << 20], &random_f64(1 << 20, 14))?;
    let (rn, rk) = (1_000_000, 64);
    let rx = random_f64(rn * rk, 15);
    let beta = random_f64(rk, 16);
    let noise = random_f64(rn, 17);
    let ry: Vec<f64> = (0..rn)
        .map(|i| (0..rk).map(|j| rx[j * rn + i] * beta[j]).sum::<f64>() + 0.1 * noise[i] + 2.0)
        .collect();
    put("ridge_x", &[rn, rk], &rx)?;
    put("ridge_y", &[rn], &ry)?;
    let (ln, lk) = (100_000, 16);
    let lx = random_f64(ln * lk, 18);
    let u = random_f64(ln, 19);
    let ly: Vec<f64> = (0..ln)
        .map(|i| {
            let z: f64 = (0..lk)
                .map(|j| lx[j * ln + i] * (j as f64 - 7.5) / 4.0)
                .sum::<f64>()
                + 0.3;
            f64::from(u8::from((u[i] + 1.0) / 2.0 < 1.0 / (1.0 + (-z).exp())))
        })
        .collect();
    put("logit_x", &[ln, lk], &lx)?;
    put("logit_y", &[ln], &ly)?;
    put("prices", &[1_000_000], &benches::random_walk(1_000_000, 42))?;
    // Low rank plus noise: the leading singular values and components are well separated,
    // so every correct method gives the same ones.
    let low_rank = |m: usize, n: usize, r: usize, seed: u64| {
        let b = Mat::from_col_major(m, r, &random_f64(m * r, seed));
        let mut c = Mat::from_col_major(r, n, &random_f64(r * n, seed + 1));
        for i in 0..r {
            for j in 0..n {
                c[(i, j)] *= 10.0 * 0.9f64.powi(i as i32);
            }
        }
        let mut a = Mat::from_col_major(
            m,
            n,
            &random_f64(m * n, seed + 2)
                .iter()
                .map(|v| v * 1e-3)
                .collect::<Vec<_>>(),
        );
        gemm(1.0, b.as_ref(), c.as_ref(), 1.0, a.as_mut(), Par::Seq);
        a
    };
    put(
        "pca_x",
        &[100_000, 64],
        low_rank(100_000, 64, 8, 30).as_slice(),
    )?;
    put(
        "svd_a",
        &[10_000, 2_000],
        low_rank(10_000, 2_000, 60, 40).as_slice(),
    )?;
    put("conv_signal", &[1 << 20], &random_f64(1 << 20, 20))?;
    put("conv_kernel", &[1024], &random_f64(1024, 21))?;
    let manifest = json!({ "arrays": arrays, "window": WINDOW });
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?,
    )
    .map_err(io)
}

struct Timer<'a> {
    dir: &'a Path,
    write_answers: bool,
    results: Vec<Value>,
}

impl Timer<'_> {
    /// Times `f` (median of `reps` rounds) and, on the first round, saves its answer.
    fn op(
        &mut self,
        id: &str,
        what: &str,
        reps: usize,
        f: impl FnMut() -> Vec<f64>,
    ) -> Result<(), String> {
        self.op_then(id, what, reps, f, |v| v.clone())
    }

    /// [`Timer::op`] for an `f` whose result becomes the saved answer after the timing
    /// (so turning it into values is not timed).
    fn op_then<R: Default>(
        &mut self,
        id: &str,
        what: &str,
        reps: usize,
        mut f: impl FnMut() -> R,
        answer_of: impl FnOnce(&R) -> Vec<f64>,
    ) -> Result<(), String> {
        let mut result = R::default();
        let t = interleaved(reps, &mut [&mut || result = f()]);
        if self.write_answers {
            write_f64(
                &self.dir.join(format!("ours_{id}.f64")),
                &answer_of(&result),
            )?;
        }
        eprintln!("compare: ours {what}: {:.3} ms", t.medians[0] * 1e3);
        self.results
            .push(json!({ "id": id, "what": what, "seconds": t.medians[0] }));
        Ok(())
    }
}

fn time_ours(dir: &Path, round: &str) -> Result<(), String> {
    let load = |name: &str| read_f64(&dir.join(format!("{name}.f64")));
    let mut t = Timer {
        dir,
        write_answers: round == "1",
        results: Vec::new(),
    };

    let n = 1024;
    let (a, b) = (
        Mat::from_col_major(n, n, &load("mat_a")?),
        Mat::from_col_major(n, n, &load("mat_b")?),
    );
    // What a user's `a @ b` costs: the product in a new matrix (numpy allocates too).
    t.op_then(
        "matmul_1024",
        "matmul f64 1024x1024",
        5,
        || Some(matmul(a.as_ref(), b.as_ref(), Par::Seq)),
        |c| {
            c.as_ref()
                .map(|c| c.as_slice().to_vec())
                .unwrap_or_default()
        },
    )?;
    // Into a caller's buffer, allocated once (numpy: `np.matmul(a, b, out=c)`).
    let mut c_out = Mat::zeros(n, n);
    t.op_then(
        "matmul_1024_into",
        "matmul f64 1024x1024 into a caller's buffer",
        5,
        || gemm(1.0, a.as_ref(), b.as_ref(), 0.0, c_out.as_mut(), Par::Seq),
        |_| Vec::new(),
    )?;
    if t.write_answers {
        write_f64(&dir.join("ours_matmul_1024_into.f64"), c_out.as_slice())?;
    }
    let (x, y) = (load("vec_x")?, load("vec_y")?);
    t.op("dot_1M", "dot f64, n = 1M", 21, || {
        vec![simd_kernels::dot(&x, &y)]
    })?;
    // The same inputs in plain `Vec`s, whose memory nobody advised for huge pages (the peer
    // reads a fresh anonymous mapping): 4 KiB pages where transparent huge pages are in
    // their `madvise` mode, the usual default.
    let (xv, yv) = (x.to_vec(), y.to_vec());
    t.op(
        "dot_1M_small_pages",
        "dot f64, n = 1M, memory without huge-page advice",
        21,
        || vec![simd_kernels::dot(&xv, &yv)],
    )?;
    t.op("sum_1M", "sum f64, n = 1M", 21, || {
        vec![simd_kernels::sum(&x)]
    })?;
    t.op("var_1M", "variance (ddof 1), n = 1M", 21, || {
        vec![simd_kernels::moments(&x).variance().unwrap_or(f64::NAN)]
    })?;

    let (rx, ry) = (load("ridge_x")?, load("ridge_y")?);
    let rx = Mat::from_col_major(ry.len(), rx.len() / ry.len(), &rx);
    t.op("ridge_1M_x_64", "Ridge(alpha=1) fit, 1M x 64", 3, || {
        let m = Ridge {
            alpha: 1.0,
            fit_intercept: true,
        }
        .fit(rx.as_ref(), ry.as_slice(), Par::Seq)
        .expect("ridge");
        std::iter::once(m.intercept).chain(m.coef).collect()
    })?;
    let (lx, ly) = (load("logit_x")?, load("logit_y")?);
    let lx = Mat::from_col_major(ly.len(), lx.len() / ly.len(), &lx);
    t.op(
        "logistic_100k_x_16",
        "LogisticRegression(C=1) fit, 100k x 16",
        3,
        || {
            let m = LogisticRegression {
                c: 1.0,
                ..LogisticRegression::default()
            }
            .fit(lx.as_ref(), ly.as_slice(), Par::Seq)
            .expect("logistic");
            std::iter::once(m.linear.intercept)
                .chain(m.linear.coef)
                .collect()
        },
    )?;
    let prices = load("prices")?;
    // The peers get the log returns; computing them is part of neither side's timing.
    let returns: AlignedVec<f64> = std::iter::once(f64::NAN)
        .chain(prices.windows(2).map(|w| (w[1] / w[0]).ln()))
        .collect();
    t.op(
        "rolling_1M_w64",
        &format!("rolling mean+std+skew+kurt, 1M, w = {WINDOW}"),
        3,
        || {
            let c = rolling_moments(&returns, WINDOW, Par::Seq).expect("rolling");
            [c.mean, c.std, c.skew, c.kurt].concat()
        },
    )?;
    let px = load("pca_x")?;
    let px = Mat::from_col_major(100_000, 64, &px);
    t.op(
        "pca_100k_x_64",
        "PCA(n_components=8) fit, 100k x 64",
        3,
        || {
            Pca { n_components: 8 }
                .fit(px.as_ref(), Target::None, Par::Seq)
                .expect("pca")
                .explained_variance
        },
    )?;
    let sa = Mat::from_col_major(10_000, 2_000, &load("svd_a")?);
    t.op(
        "rsvd_10k_x_2k_r50",
        "randomized_svd rank 50, 10000 x 2000",
        3,
        || {
            randomized_svd(sa.as_ref(), &RsvdOptions::new(50), Par::Seq)
                .expect("rsvd")
                .s
        },
    )?;
    let (sig, ker) = (load("conv_signal")?, load("conv_kernel")?);
    t.op("conv_1M_x_1024", "convolution 1M x 1024 (full)", 5, || {
        fast_math::conv::convolve(&sig, &ker)
    })?;

    // The machine's limit, measured in every round beside the times (see
    // `benches::compare_limits`).
    let peak = simd_kernels::probe::measure_fma_peak_gflops(simd_kernels::Isa::detect(), 8, 7);
    let out = json!({ "round": round, "results": t.results, "fma_peak_gflops": peak });
    std::fs::write(
        dir.join(format!("ours_{round}.json")),
        serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?,
    )
    .map_err(io)
}

fn report(dir: &Path, page: &str) -> Result<(), String> {
    let ops = ops_table(dir)?;
    let e2e = benches::e2e_report::section(&dir.join("e2e"))?;
    if ops.is_none() && e2e.is_none() {
        return Err(format!("no timing rounds in {}", dir.display()));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Comparison with the libraries users would pick instead\n"
    );
    let isa = simd_kernels::Isa::detect();
    let available: Vec<String> = simd_kernels::Isa::available()
        .map(|i| i.to_string())
        .collect();
    let c = simd_kernels::cache::CacheSizes::detect();
    let _ = writeln!(
        md,
        "Generated by `cargo xtask compare`; do not edit by hand. CPU: {}; ISA in use `{isa}` \
         (available: {}); caches L1d {} KiB {}-way, L2 {} KiB, L3 {} MiB. Figures for another \
         ISA class come from a run on such a machine, never from this page.",
        benches::results::cpu_model(),
        available.join(", "),
        c.l1d >> 10,
        c.l1d_ways,
        c.l2 >> 10,
        c.l3 >> 20
    );
    if isa == simd_kernels::Isa::Avx2Fma && simd_kernels::Isa::Avx512.is_supported() {
        let _ = writeln!(
            md,
            "Ours capped with `SIMD_KERNELS_ISA=avx2` on a CPU with AVX-512; the peers capped \
             alike by `cargo xtask compare` (`OPENBLAS_CORETYPE=Haswell`, numpy's AVX-512 \
             loops off by `NPY_DISABLE_CPU_FEATURES`; the matmul rows name the OpenBLAS kernels \
             numpy loaded), so the page stands for a machine without AVX-512 on both sides."
        );
    } else if let Ok(core) = std::env::var("OPENBLAS_CORETYPE") {
        let _ = writeln!(
            md,
            "The peers' OpenBLAS (numpy's and SciPy's) forced to its `{core}` kernels by \
             `OPENBLAS_CORETYPE={core}` in the environment, instead of those it picks for this \
             CPU itself (the matmul rows name the kernels numpy loaded)."
        );
    }
    md.push_str(ops.as_deref().unwrap_or(""));
    if let Some(e2e) = &e2e {
        md.push_str(e2e);
        eprint!("{e2e}");
    }
    let path = root.join(page);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(&path, md).map_err(io)?;
    eprintln!("compare: wrote {page}");
    Ok(())
}

/// The table of the `ops` rows (operations on arrays against numpy, SciPy, scikit-learn,
/// pandas, Polars), or `None` when `dir` holds no rounds of them.
fn ops_table(dir: &Path) -> Result<Option<String>, String> {
    let (ours, peers) = (rounds::read(dir, "ours_")?, rounds::read(dir, "peers_")?);
    if ours.is_empty() || peers.is_empty() {
        return Ok(None);
    }
    let peak = benches::compare_limits::peak_gflops(&ours);
    let (ours, peers) = (rounds::entries(&ours), rounds::entries(&peers));
    let ours_time = |id: &str| {
        median(
            ours.iter()
                .filter(|e| e["id"] == id)
                .filter_map(|e| e["seconds"].as_f64())
                .collect(),
        )
    };
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut timed = Vec::new();
    let mut md = String::new();
    let _ = writeln!(md, "Everything single-threaded (peers with OMP/OPENBLAS/MKL_NUM_THREADS=1, ours with `Par::Seq`), same input files (on memory advised for huge pages on both sides: numpy's allocator asks for them for large arrays, ours are in `zero_copy_pool::AlignedVec`, the storage of every `Mat`; the row that says otherwise has neither), timings alternated ours / peers over several rounds; times are medians. Ratio = peer time / our time (above 1: ours is faster). Agreement: the largest relative difference between the peer's answer and ours, checked before the time is reported.\n");
    let _ = writeln!(md, "| operation | peer | peer time | our time | ratio | agreement |\n|---|---|---:|---:|---:|---|");
    for e in &peers {
        let (id, peer) = (
            e["id"].as_str().unwrap_or_default().to_string(),
            e["peer"].as_str().unwrap_or_default().to_string(),
        );
        if seen.contains(&(id.clone(), peer.clone())) {
            continue;
        }
        seen.push((id.clone(), peer.clone()));
        let pt = median(
            peers
                .iter()
                .filter(|p| p["id"] == id.as_str() && p["peer"] == peer.as_str())
                .filter_map(|p| p["seconds"].as_f64())
                .collect(),
        );
        let ot = ours_time(&id);
        let ag = &e["agreement"];
        let agreement = match (ag["ok"].as_bool(), ag["max_rel_diff"].as_f64()) {
            (Some(true), Some(d)) => format!("ok: {d:.1e} (tol {})", ag["tolerance"]),
            (Some(false), Some(d)) => format!("**differs**: {d:.1e} (tol {})", ag["tolerance"]),
            _ => format!("not checked: {}", ag["why"].as_str().unwrap_or("?")),
        };
        let what = e["what"].as_str().unwrap_or(&id).to_string();
        let _ = writeln!(
            md,
            "| {what} | {peer} | {} | {} | {:.2}x | {agreement} |",
            benches::report::fmt_s(pt),
            benches::report::fmt_s(ot),
            pt / ot
        );
        timed.push(benches::compare_limits::Timed {
            id,
            what,
            peer,
            peer_s: pt,
            ours_s: ot,
        });
    }
    if let Some(limits) = benches::compare_limits::section(peak, &timed) {
        md.push_str(&limits);
    }
    Ok(Some(md))
}
