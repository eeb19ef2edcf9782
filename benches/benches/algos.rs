//! Layer 3 algorithm benches (custom harness, medians of interleaved runs): FFT convolution
//! against SciPy, CSR sparse products against dense GEMV and the machine's read bandwidth,
//! randomized SVD against scikit-learn and nalgebra.
//!
//! `cargo bench -p benches --bench algos [-- conv | conv-grid | sparse | rsvd]...`
//!
//! Peers in Python run from `target/pyvenv` when it exists (else `python3`), single-threaded,
//! on the same data, which this bench writes as `.npy` files under `target/algos-data`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Median (and minimum) wall time in seconds of `reps` runs of `f`, after one warm-up.
fn time_median(reps: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let mut t: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    (t[t.len() / 2], t[0])
}

/// Medians of several closures measured round-robin, so machine noise hits all alike.
fn time_interleaved(reps: usize, fs: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    for f in fs.iter_mut() {
        f();
    }
    let mut times = vec![Vec::with_capacity(reps); fs.len()];
    for _ in 0..reps.max(1) {
        for (f, t) in fs.iter_mut().zip(times.iter_mut()) {
            let s = Instant::now();
            f();
            t.push(s.elapsed().as_secs_f64());
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ lives in the workspace root")
        .to_path_buf()
}

fn data_dir() -> PathBuf {
    let d = workspace_root().join("target").join("algos-data");
    std::fs::create_dir_all(&d).expect("create target/algos-data");
    d
}

/// Writes a little-endian f64 `.npy` file (version 1.0); `shape` of two dimensions is
/// stored column-major (`fortran_order`), as `fast_math::Mat` holds it.
fn write_npy(path: &Path, shape: &[usize], data: &[f64]) {
    assert_eq!(
        shape.iter().product::<usize>(),
        data.len(),
        "npy shape vs data"
    );
    let dims = match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header =
        format!("{{'descr': '<f8', 'fortran_order': True, 'shape': {dims}, }}").into_bytes();
    // Magic (6) + version (2) + header length (2) + header, padded to 64 bytes with '\n'.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create npy"));
    f.write_all(b"\x93NUMPY\x01\x00").expect("write npy");
    f.write_all(&(header.len() as u16).to_le_bytes())
        .expect("write npy");
    f.write_all(&header).expect("write npy");
    for v in data {
        f.write_all(&v.to_le_bytes()).expect("write npy");
    }
}

/// Runs the Python peer script single-threaded; returns its JSON lines (empty if Python or
/// its packages are missing, with the reason printed).
fn run_python(args: &[&str]) -> Vec<String> {
    let root = workspace_root();
    let venv = root.join("target/pyvenv/bin/python");
    let python = if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    };
    let script = root.join("benches/python/algos_peers.py");
    let out = Command::new(&python)
        .arg(&script)
        .args(args)
        .env("OMP_NUM_THREADS", "1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("MKL_NUM_THREADS", "1")
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_owned)
            .collect(),
        Ok(o) => {
            println!(
                "  (python peer failed: {})",
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
            Vec::new()
        }
        Err(e) => {
            println!("  (python not runnable: {e})");
            Vec::new()
        }
    }
}

/// The number after `"key": ` in a flat JSON line.
fn json_num(line: &str, key: &str) -> Option<f64> {
    let at = line.find(&format!("\"{key}\": "))? + key.len() + 4;
    let rest = &line[at..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

fn json_line<'a>(lines: &'a [String], what: &str) -> Option<&'a String> {
    lines.iter().find(|l| l.contains(what))
}

mod conv_bench {
    use super::*;
    use benches::random_f64;
    use fast_math::conv::{self, Complex, ConvPlan};

    /// 1_048_576 x 1_024: ours (auto, plan without allocation, direct) vs SciPy.
    pub fn headline() {
        let (n, k) = (1 << 20, 1024);
        let x = random_f64(n, 1);
        let h = random_f64(k, 2);
        let plan = ConvPlan::for_signal_len(&h, n);
        let mut out = vec![0.0; plan.output_len(n)];
        let mut scratch = vec![Complex::new(0.0, 0.0); plan.scratch_len()];
        let mut auto_out = Vec::new();
        let t = time_interleaved(
            15,
            &mut [&mut || auto_out = conv::convolve(&x, &h), &mut || {
                plan.convolve_into(&x, &mut out, &mut scratch)
            }],
        );
        let (t_direct, _) = time_median(3, || {
            std::hint::black_box(conv::direct_convolve(&x, &h));
        });
        println!(
            "conv {n} x {k}: convolve (auto, fft={}) {:.2} ms | ConvPlan::convolve_into \
             (fft_len {}) {:.2} ms | direct {:.1} ms",
            conv::use_fft(n, k),
            t[0] * 1e3,
            plan.fft_len(),
            t[1] * 1e3,
            t_direct * 1e3
        );
        let d = data_dir();
        write_npy(&d.join("conv_signal.npy"), &[n], &x);
        write_npy(&d.join("conv_kernel.npy"), &[k], &h);
        write_npy(&d.join("conv_rust.npy"), &[auto_out.len()], &auto_out);
        let lines = run_python(&["conv", d.to_str().expect("utf-8 path"), "15"]);
        if let Some(l) = json_line(&lines, "oaconvolve") {
            let s = json_num(l, "median_s").unwrap_or(f64::NAN);
            println!(
                "  scipy oaconvolve {:.2} ms (rel. diff vs ours {:.1e}) -> ours/scipy: auto {:.3}, plan {:.3}",
                s * 1e3,
                json_num(l, "rel_diff_vs_rust").unwrap_or(f64::NAN),
                t[0] / s,
                t[1] / s
            );
        }
        if let Some(l) = json_line(&lines, "fftconvolve") {
            println!(
                "  scipy fftconvolve {:.2} ms",
                json_num(l, "median_s").unwrap_or(f64::NAN) * 1e3
            );
        }
    }

    /// The direct/FFT choice on a grid: auto vs the faster of the two, plus the per-unit
    /// constants the cost model in `fast_math::conv` uses.
    pub fn grid() {
        println!(
            "conv grid: n, k, direct ms, fft ms, auto ms, auto/min, choice, ns/MAC, ns/fft-unit"
        );
        let mut worst: f64 = 0.0;
        for &n in &[1_000usize, 10_000, 100_000, 1_000_000] {
            for &k in &[2usize, 8, 16, 32, 48, 64, 96, 128, 256, 1024, 4096] {
                if k > n {
                    continue;
                }
                let x = random_f64(n, 3);
                let h = random_f64(k, 4);
                let reps = (2_000_000_000 / (n * k).max(1)).clamp(3, 51);
                let t = time_interleaved(
                    reps,
                    &mut [
                        &mut || {
                            std::hint::black_box(conv::direct_convolve(&x, &h));
                        },
                        &mut || {
                            std::hint::black_box(conv::fft_convolve(&x, &h));
                        },
                        &mut || {
                            std::hint::black_box(conv::convolve(&x, &h));
                        },
                    ],
                );
                let best = t[0].min(t[1]);
                let ratio = t[2] / best;
                worst = worst.max(ratio);
                println!(
                    "  {n:>8} {k:>5} {:>9.4} {:>9.4} {:>9.4} {:>6.3} {:>6} {:.4} {:.4}",
                    t[0] * 1e3,
                    t[1] * 1e3,
                    t[2] * 1e3,
                    ratio,
                    if conv::use_fft(n, k) { "fft" } else { "direct" },
                    t[0] * 1e9 / (n * k) as f64,
                    t[1] * 1e9 / conv::fft_cost_units(n, k),
                );
            }
        }
        println!("  worst auto/min(direct, fft) = {worst:.3}");
    }
}

mod sparse_bench {
    use super::*;
    use fast_math::sparse::{gemv_dense, CsrMatrix, CSR_DENSITY_CROSSOVER};
    use fast_math::{gemm, Mat, Par};
    use seeded_rng::Rng;
    use simd_kernels::{probe, Isa};

    /// `nrows x ncols` with `per_row` distinct random columns per row.
    fn random_csr(nrows: usize, ncols: usize, density: f64, seed: u64) -> CsrMatrix<f64> {
        let mut rng = Rng::new(seed);
        let mut t = Vec::with_capacity((nrows as f64 * ncols as f64 * density * 1.01) as usize);
        for i in 0..nrows {
            for j in 0..ncols {
                // Bernoulli(density) per element.
                if rng.uniform() < density {
                    t.push((i, j, rng.range(-0.5, 0.5)));
                }
            }
        }
        CsrMatrix::from_triplets(nrows, ncols, &t).expect("in bounds and finite")
    }

    /// Same as [`random_csr`] for huge sparse shapes: `nnz_per_row` columns drawn per row.
    fn random_csr_rows(n: usize, nnz_per_row: usize, seed: u64) -> CsrMatrix<f64> {
        let mut rng = Rng::new(seed);
        let mut t = Vec::with_capacity(n * nnz_per_row);
        for i in 0..n {
            for _ in 0..nnz_per_row {
                let j = rng.below(n);
                t.push((i, j, rng.range(-0.5, 0.5)));
            }
        }
        CsrMatrix::from_triplets(n, n, &t).expect("in bounds and finite")
    }

    pub fn run() {
        let isa = Isa::detect();
        let bw = probe::measure_read_bandwidth_gbs(isa, 1 << 24, 5);
        let n = 100_000;
        let a = random_csr_rows(n, 100, 11);
        let x = benches::random_f64(n, 12);
        let mut y = vec![0.0; n];
        let (t, best) = time_median(21, || a.spmv(&x, &mut y));
        let bytes_nnz = a.nnz() as f64 * 12.0;
        let bytes_all = bytes_nnz + (n as f64 + 1.0) * 8.0 + 2.0 * n as f64 * 8.0;
        println!(
            "spmv {n}x{n}, density {:.4}% ({} nnz): median {:.2} ms (min {:.2}) | stored-nonzero \
             bandwidth {:.2} GB/s (all operands {:.2} GB/s) = {:.0}% of measured read \
             bandwidth {bw:.2} GB/s",
            a.density() * 100.0,
            a.nnz(),
            t * 1e3,
            best * 1e3,
            bytes_nnz / t / 1e9,
            bytes_all / t / 1e9,
            100.0 * bytes_nnz / t / 1e9 / bw
        );
        let (t_t, _) = time_median(11, || a.spmv_t(&x, &mut y));
        println!("  spmv_t (scatter) median {:.2} ms", t_t * 1e3);

        let n = 4000;
        let x = benches::random_f64(n, 13);
        println!(
            "spmv vs dense GEMV at {n}x{n} (matvec_auto crossover density {CSR_DENSITY_CROSSOVER}):"
        );
        for density in [0.01, 0.1, 0.2, 0.3, 0.4, 0.5] {
            let a = random_csr(n, n, density, 14);
            let d: Mat<f64> = a.to_dense();
            let xm = Mat::from_col_major(n, 1, &x);
            let mut ym = Mat::zeros(n, 1);
            let mut y1 = vec![0.0; n];
            let mut y2 = vec![0.0; n];
            let t = time_interleaved(
                15,
                &mut [
                    &mut || a.spmv(&x, &mut y1),
                    &mut || gemv_dense(d.as_ref(), &x, &mut y2),
                    &mut || gemm(1.0, d.as_ref(), xm.as_ref(), 0.0, ym.as_mut(), Par::Seq),
                ],
            );
            println!(
                "  density {:>4.0}%: csr spmv {:.3} ms | gemv_dense {:.3} ms | fast_math::gemm \
                 n=1 {:.3} ms | csr/gemv_dense {:.3}",
                density * 100.0,
                t[0] * 1e3,
                t[1] * 1e3,
                t[2] * 1e3,
                t[0] / t[1]
            );
        }
    }
}

mod rsvd_bench {
    use super::*;
    use fast_math::rsvd::{randomized_svd, RsvdOptions, Svd};
    use fast_math::{gemm, Mat, Par};

    /// `m x n` with singular values decaying like `exp(-i / 20)` over 200 directions, plus
    /// Gaussian-like noise of 1e-3: the kind of matrix PCA meets.
    fn test_matrix(m: usize, n: usize) -> Mat<f64> {
        let r = 200.min(n);
        let g = benches::random_f64(m * r, 21);
        let mut left = Mat::from_col_major(m, r, &g);
        for j in 0..r {
            let w = (-(j as f64) / 20.0).exp();
            for i in 0..m {
                left[(i, j)] *= w;
            }
        }
        let h = benches::random_f64(r * n, 22);
        let right = Mat::from_col_major(r, n, &h);
        let noise = benches::random_f64(m * n, 23);
        let mut a = Mat::from_col_major(m, n, &noise);
        for v in a.as_mut_slice() {
            *v *= 1e-3;
        }
        gemm(
            1.0,
            left.as_ref(),
            right.as_ref(),
            1.0,
            a.as_mut(),
            Par::Seq,
        );
        a
    }

    fn residual(a: &Mat<f64>, svd: &Svd) -> f64 {
        let mut us = svd.u.clone();
        for (j, &s) in svd.s.iter().enumerate() {
            for i in 0..us.nrows() {
                us[(i, j)] *= s;
            }
        }
        let mut r = a.clone();
        gemm(
            -1.0,
            us.as_ref(),
            svd.vt.as_ref(),
            1.0,
            r.as_mut(),
            Par::Seq,
        );
        r.as_ref().norm_frobenius()
    }

    pub fn run() {
        let (m, n, k) = (10_000, 2_000, 50);
        let a = test_matrix(m, n);
        let opts = RsvdOptions::new(k);
        let mut svd = None;
        let (t, best) = time_median(5, || {
            svd = Some(randomized_svd(a.as_ref(), &opts, Par::Seq).expect("valid input"));
        });
        let svd = svd.expect("ran");
        let res = residual(&a, &svd);
        let flops = 2.0 * m as f64 * n as f64 * (k + 10) as f64 * 16.0;
        println!(
            "rsvd {m}x{n} rank {k} (7 power iterations, LU), Par::Seq: median {:.3} s (min \
             {:.3}) = {:.1} GFLOP/s in the 16 products with A | residual ||A - U S V^T||_F \
             {res:.6e} | s[0..3] {:.6} {:.6} {:.6}",
            t,
            best,
            flops / t / 1e9,
            svd.s[0],
            svd.s[1],
            svd.s[2]
        );
        let (t2, _) = time_median(3, || {
            std::hint::black_box(randomized_svd(a.as_ref(), &opts, Par::Rayon(2)).expect("ok"));
        });
        println!("  Par::Rayon(2): median {t2:.3} s");
        let d = data_dir();
        write_npy(&d.join("rsvd_a.npy"), &[m, n], a.as_slice());
        let lines = run_python(&["rsvd", d.to_str().expect("utf-8 path"), "5", &k.to_string()]);
        if let Some(l) = json_line(&lines, "randomized_svd") {
            let ts = json_num(l, "median_s").unwrap_or(f64::NAN);
            let rs = json_num(l, "residual_fro").unwrap_or(f64::NAN);
            println!(
                "  sklearn randomized_svd (1 thread): median {ts:.3} s, residual {rs:.6e} -> \
                 ours/sklearn time {:.3}, residual ratio {:.6}",
                t / ts,
                res / rs
            );
        }

        // nalgebra's full SVD is far too slow at 10000 x 2000; compare on 2000 x 400.
        let (m2, n2) = (2_000, 400);
        let b = test_matrix(m2, n2);
        let bn = nalgebra::DMatrix::from_column_slice(m2, n2, b.as_slice());
        let mut nal_s = Vec::new();
        let mut ours_s = Vec::new();
        let t = time_interleaved(
            3,
            &mut [
                &mut || {
                    let s = nalgebra::linalg::SVD::new(bn.clone(), true, true);
                    nal_s = s.singular_values.as_slice()[..k].to_vec();
                },
                &mut || {
                    ours_s = randomized_svd(b.as_ref(), &opts, Par::Seq).expect("ok").s;
                },
            ],
        );
        let worst = nal_s
            .iter()
            .zip(&ours_s)
            .map(|(x, y)| ((x - y) / x).abs())
            .fold(0.0, f64::max);
        println!(
            "rsvd {m2}x{n2} rank {k}: ours {:.1} ms vs nalgebra full SVD {:.1} ms (ratio {:.3}); \
             worst relative difference of the top {k} singular values {worst:.1e}",
            t[1] * 1e3,
            t[0] * 1e3,
            t[1] / t[0]
        );
    }

    /// Where the time of the 10000 x 2000 rank-50 case goes.
    pub fn parts() {
        let (m, n, l) = (10_000, 2_000, 60);
        let a = test_matrix(m, n);
        let z = Mat::from_col_major(n, l, &benches::random_f64(n * l, 31));
        let mut y = Mat::zeros(m, l);
        let mut z2 = Mat::zeros(n, l);
        let y_in = Mat::from_col_major(m, l, &benches::random_f64(m * l, 32));
        let t = time_interleaved(
            5,
            &mut [
                &mut || gemm(1.0, a.as_ref(), z.as_ref(), 0.0, y.as_mut(), Par::Seq),
                &mut || {
                    gemm(
                        1.0,
                        a.as_ref().t(),
                        y_in.as_ref(),
                        0.0,
                        z2.as_mut(),
                        Par::Seq,
                    )
                },
                &mut || {
                    std::hint::black_box(fast_math::qr(y_in.as_ref()).expect("finite").q());
                },
            ],
        );
        let f = 2.0 * (m * n * l) as f64;
        println!(
            "rsvd parts: A Z {:.1} ms ({:.1} GFLOP/s) | A^T Y {:.1} ms ({:.1} GFLOP/s) | \
             QR + Q of 10000x60 {:.1} ms",
            t[0] * 1e3,
            f / t[0] / 1e9,
            t[1] * 1e3,
            f / t[1] / 1e9,
            t[2] * 1e3
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    let isa = simd_kernels::Isa::detect();
    println!(
        "algos bench: ISA {isa}, {} thread(s) available",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if want("conv") {
        conv_bench::headline();
    }
    if want("conv-grid") {
        conv_bench::grid();
    }
    if want("sparse") {
        sparse_bench::run();
    }
    if want("rsvd") {
        rsvd_bench::run();
    }
    if want("rsvd-parts") {
        rsvd_bench::parts();
    }
}
