//! Layer 3 benches: packed GEMM (ours, single thread and two threads) against faer and
//! nalgebra (matrixmultiply) in the same run, Strassen against classical GEMM, and the Gram
//! matrix of a tall matrix; throughput is reported in GFLOP/s (criterion's "elem/s" with
//! 2mnk elements, n*k*k for the Gram matrix), next to the machine's measured FMA peak.
//!
//! `cargo bench -p benches --bench math -- summary` prints one table instead: medians of
//! interleaved runs, GFLOP/s and percent of the measured peak for every implementation, and
//! the Gram matrix both in cache (rows filling L2) and from memory, and a fixed left operand
//! packed once (`PackedLhs`) against `gemm` repacking it per call.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use benches::{random_f32, random_f64};
use criterion::{black_box, criterion_group, BenchmarkId, Criterion, Throughput};
use fast_math::strassen::{self, StrassenConfig};
use fast_math::{gemm, gemm_prepacked, gram, Mat, PackedLhs, Par};
use simd_kernels::{probe, Isa};
use std::time::{Duration, Instant};

const SIZES: [usize; 4] = [64, 256, 1024, 2048];

/// Element type hooks for the generic bench bodies.
trait Elem: fast_math::Scalar + faer::traits::ComplexField + nalgebra::RealField + Copy {
    fn random(n: usize, seed: u64) -> Vec<Self>;
    fn peak() -> f64;
}

impl Elem for f64 {
    fn random(n: usize, seed: u64) -> Vec<f64> {
        random_f64(n, seed)
    }
    fn peak() -> f64 {
        probe::measure_fma_peak_gflops(Isa::detect(), 8, 5)
    }
}

impl Elem for f32 {
    fn random(n: usize, seed: u64) -> Vec<f32> {
        random_f32(n, seed)
    }
    fn peak() -> f64 {
        probe::measure_fma_peak_gflops(Isa::detect(), 4, 5)
    }
}

/// The same square operands for every library.
struct Operands<T: Elem> {
    a: Mat<T>,
    b: Mat<T>,
    c: Mat<T>,
    fa: faer::Mat<T>,
    fb: faer::Mat<T>,
    fc: faer::Mat<T>,
    na: nalgebra::DMatrix<T>,
    nb: nalgebra::DMatrix<T>,
    nc: nalgebra::DMatrix<T>,
}

impl<T: Elem> Operands<T> {
    fn new(n: usize) -> Self {
        let a = Mat::from_col_major(n, n, &T::random(n * n, 1));
        let b = Mat::from_col_major(n, n, &T::random(n * n, 2));
        let fa = faer::Mat::from_fn(n, n, |i, j| a[(i, j)]);
        let fb = faer::Mat::from_fn(n, n, |i, j| b[(i, j)]);
        let na = nalgebra::DMatrix::from_column_slice(n, n, a.as_slice());
        let nb = nalgebra::DMatrix::from_column_slice(n, n, b.as_slice());
        Operands {
            a,
            b,
            c: Mat::zeros(n, n),
            fa,
            fb,
            fc: faer::Mat::zeros(n, n),
            na,
            nb,
            nc: nalgebra::DMatrix::zeros(n, n),
        }
    }

    fn ours(&mut self, par: Par) {
        gemm(
            T::ONE,
            self.a.as_ref(),
            self.b.as_ref(),
            T::ZERO,
            self.c.as_mut(),
            par,
        );
    }

    fn faer(&mut self, threads: usize) {
        let par = if threads > 1 {
            faer::Par::rayon(threads)
        } else {
            faer::Par::Seq
        };
        faer::linalg::matmul::matmul(
            self.fc.as_mut(),
            faer::Accum::Replace,
            self.fa.as_ref(),
            self.fb.as_ref(),
            T::ONE,
            par,
        );
    }

    fn nalgebra(&mut self) {
        self.na.mul_to(&self.nb, &mut self.nc);
    }
}

fn tune(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, n: usize) {
    if n >= 1024 {
        g.sample_size(10).measurement_time(Duration::from_secs(4));
    } else {
        g.sample_size(30).measurement_time(Duration::from_secs(2));
    }
    g.warm_up_time(Duration::from_millis(500));
}

fn bench_gemm_type<T: Elem>(c: &mut Criterion) {
    for n in SIZES {
        let mut ops = Operands::<T>::new(n);
        let mut g = c.benchmark_group(format!("gemm_{}/{n}", T::NAME));
        tune(&mut g, n);
        g.throughput(Throughput::Elements(2 * (n * n * n) as u64));
        g.bench_function("ours_1t", |bn| bn.iter(|| ops.ours(Par::Seq)));
        g.bench_function("ours_2t", |bn| bn.iter(|| ops.ours(Par::Rayon(2))));
        g.bench_function("faer_1t", |bn| bn.iter(|| ops.faer(1)));
        g.bench_function("faer_2t", |bn| bn.iter(|| ops.faer(2)));
        g.bench_function("nalgebra_1t", |bn| bn.iter(|| ops.nalgebra()));
        g.finish();
        black_box(&ops.c);
    }
}

fn bench_peak(c: &mut Criterion) {
    let mut g = c.benchmark_group("fma_peak");
    let iters = 200_000u64;
    for (name, bytes) in [("f64", 8usize), ("f32", 4)] {
        let isa = Isa::detect();
        g.throughput(Throughput::Elements(probe::fma_loop_flops(
            isa, iters, bytes,
        )));
        g.bench_with_input(BenchmarkId::from_parameter(name), &bytes, |bn, &bytes| {
            bn.iter(|| {
                if bytes == 8 {
                    probe::fma_loop_f64(isa, black_box(iters))
                } else {
                    f64::from(probe::fma_loop_f32(isa, black_box(iters)))
                }
            })
        });
    }
    g.finish();
}

fn bench_gemm(c: &mut Criterion) {
    bench_gemm_type::<f64>(c);
    bench_gemm_type::<f32>(c);
}

fn bench_strassen(c: &mut Criterion) {
    for n in [1024, 2048, 4096] {
        let a = Mat::from_col_major(n, n, &random_f64(n * n, 1));
        let b = Mat::from_col_major(n, n, &random_f64(n * n, 2));
        let mut out = Mat::zeros(n, n);
        let mut g = c.benchmark_group(format!("strassen_f64/{n}"));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(if n >= 4096 { 15 } else { 5 }));
        g.warm_up_time(Duration::from_millis(500));
        g.throughput(Throughput::Elements(2 * (n * n * n) as u64));
        g.bench_function("classical_1t", |bn| {
            bn.iter(|| gemm(1.0, a.as_ref(), b.as_ref(), 0.0, out.as_mut(), Par::Seq))
        });
        for depth in [1, 2] {
            let cfg = StrassenConfig {
                cutoff: 512,
                max_depth: depth,
            };
            g.bench_function(format!("strassen_d{depth}_1t"), |bn| {
                bn.iter(|| {
                    strassen::gemm(
                        1.0,
                        a.as_ref(),
                        b.as_ref(),
                        0.0,
                        out.as_mut(),
                        Par::Seq,
                        cfg,
                    )
                })
            });
        }
        g.finish();
    }
}

const GRAM_ROWS: usize = 1_000_000;
const GRAM_COLS: usize = 64;

fn bench_gram(c: &mut Criterion) {
    let x = Mat::from_col_major(GRAM_ROWS, GRAM_COLS, &random_f64(GRAM_ROWS * GRAM_COLS, 3));
    let mut g = c.benchmark_group(format!("gram_f64/{GRAM_ROWS}x{GRAM_COLS}"));
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(
        (GRAM_ROWS * GRAM_COLS * GRAM_COLS) as u64,
    ));
    g.bench_function("ours_1t", |bn| bn.iter(|| gram(x.as_ref(), Par::Seq)));
    g.bench_function("ours_2t", |bn| bn.iter(|| gram(x.as_ref(), Par::Rayon(2))));
    g.finish();
}

/// A fixed left operand times narrow batches (a served layer's weights, the randomized
/// SVD's `A^T`): `(m, k, n, A row-major)`.
const PREPACKED_SHAPES: [(usize, usize, usize, bool); 4] = [
    (512, 512, 8, true),
    (512, 512, 8, false),
    (2000, 2000, 16, true),
    (2000, 2000, 16, false),
];

/// One [`PREPACKED_SHAPES`] case: the left operand's storage (transposed when row-major),
/// the right operand, and the left one packed once.
struct PrepackedCase {
    src: Mat<f64>,
    b: Mat<f64>,
    row_major: bool,
    packed: PackedLhs<f64>,
}

impl PrepackedCase {
    fn new((m, k, n, row_major): (usize, usize, usize, bool)) -> Self {
        let (r, c) = if row_major { (k, m) } else { (m, k) };
        let src = Mat::from_col_major(r, c, &random_f64(m * k, 5));
        let view = if row_major {
            src.as_ref().t()
        } else {
            src.as_ref()
        };
        let packed = PackedLhs::new(view, Par::Seq);
        PrepackedCase {
            src,
            b: Mat::from_col_major(k, n, &random_f64(k * n, 6)),
            row_major,
            packed,
        }
    }

    /// The left operand, `m x k`.
    fn a(&self) -> fast_math::MatRef<'_, f64> {
        if self.row_major {
            self.src.as_ref().t()
        } else {
            self.src.as_ref()
        }
    }
}

fn bench_prepacked(c: &mut Criterion) {
    for shape in PREPACKED_SHAPES {
        let (m, k, n, row_major) = shape;
        let case = PrepackedCase::new(shape);
        let (a, b, packed) = (case.a(), &case.b, &case.packed);
        let mut out = Mat::zeros(m, n);
        let layout = if row_major { "row_major" } else { "col_major" };
        let mut g = c.benchmark_group(format!("prepacked_f64/{m}x{k}x{n}_{layout}"));
        g.throughput(Throughput::Elements((2 * m * k * n) as u64));
        g.bench_function("gemm", |bn| {
            bn.iter(|| gemm(1.0, a, b.as_ref(), 0.0, out.as_mut(), Par::Seq))
        });
        g.bench_function("prepacked", |bn| {
            bn.iter(|| gemm_prepacked(1.0, packed, b.as_ref(), 0.0, out.as_mut(), Par::Seq))
        });
        g.finish();
    }
}

criterion_group!(
    math,
    bench_peak,
    bench_gemm,
    bench_strassen,
    bench_gram,
    bench_prepacked
);

/// Median wall time of `reps` runs of `f`, in seconds.
fn median(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn summary_type<T: Elem>(peak: f64) {
    for n in SIZES {
        let mut ops = Operands::<T>::new(n);
        let flops = 2.0 * (n as f64).powi(3);
        let reps = (2e10 / flops).clamp(5.0, 2000.0) as usize;
        // Interleave the implementations so drifting machine load hits them alike.
        let mut times = [Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..5 {
            times[0].push(median(reps / 5 + 1, || ops.ours(Par::Seq)));
            times[1].push(median(reps / 5 + 1, || ops.ours(Par::Rayon(2))));
            times[2].push(median(reps / 5 + 1, || ops.faer(1)));
            times[3].push(median(reps / 5 + 1, || ops.faer(2)));
            times[4].push(median(reps / 5 + 1, || ops.nalgebra()));
        }
        let names = ["ours 1t", "ours 2t", "faer 1t", "faer 2t", "nalgebra 1t"];
        let mut line = format!("{} n={n:5}:", T::NAME);
        let mut best = [0.0; 5];
        for (i, t) in times.iter_mut().enumerate() {
            t.sort_by(f64::total_cmp);
            best[i] = flops / t[t.len() / 2] / 1e9;
            let pct = if i % 2 == 1 {
                best[i] / (2.0 * peak)
            } else {
                best[i] / peak
            } * 100.0;
            line += &format!("  {} {:6.1} ({:4.1}%)", names[i], best[i], pct);
        }
        println!(
            "{line}   2t/1t ours {:.2}x faer {:.2}x",
            best[1] / best[0],
            best[3] / best[2]
        );
    }
}

fn summary() {
    let isa = Isa::detect();
    let p64 = f64::peak();
    let p32 = f32::peak();
    println!("ISA {isa}; measured FMA peak per core: f64 {p64:.1} GFLOP/s, f32 {p32:.1} GFLOP/s");
    println!("(percent is of the one-core peak, and of twice it for 2-thread runs)");
    summary_type::<f64>(p64);
    summary_type::<f32>(p32);

    for n in [2048, 3072, 4096] {
        let a = Mat::from_col_major(n, n, &random_f64(n * n, 1));
        let b = Mat::from_col_major(n, n, &random_f64(n * n, 2));
        let mut out = Mat::zeros(n, n);
        let flops = 2.0 * (n as f64).powi(3);
        let reps = if n >= 3072 { 3 } else { 5 };
        let mut t = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..reps {
            t[0].push(median(1, || {
                gemm(1.0, a.as_ref(), b.as_ref(), 0.0, out.as_mut(), Par::Seq)
            }));
            for d in [1usize, 2] {
                let cfg = StrassenConfig {
                    cutoff: 512,
                    max_depth: d,
                };
                t[d].push(median(1, || {
                    strassen::gemm(
                        1.0,
                        a.as_ref(),
                        b.as_ref(),
                        0.0,
                        out.as_mut(),
                        Par::Seq,
                        cfg,
                    )
                }));
            }
        }
        for v in &mut t {
            v.sort_by(f64::total_cmp);
        }
        let m: Vec<f64> = t.iter().map(|v| v[v.len() / 2]).collect();
        println!(
            "strassen f64 n={n}: classical {:.1} GFLOP/s; depth 1 {:.3}x, depth 2 {:.3}x faster than classical",
            flops / m[0] / 1e9,
            m[0] / m[1],
            m[0] / m[2]
        );
    }

    // In cache: rows that fill L2 (4000 x 64 f64 is 2 MB), timed over many calls.
    let rows = (simd_kernels::cache::CacheSizes::detect().l2 / (GRAM_COLS * 8)).max(64);
    let x = Mat::from_col_major(rows, GRAM_COLS, &random_f64(rows * GRAM_COLS, 4));
    let flops = (rows * GRAM_COLS * GRAM_COLS) as f64;
    let reps = (2e9 / flops).max(5.0) as usize;
    let t = median(reps, || {
        black_box(gram(x.as_ref(), Par::Seq));
    });
    println!(
        "gram f64 {rows}x{GRAM_COLS} in cache (n*k*k flops): 1t {:.1} GFLOP/s ({:.1}% of peak)",
        flops / t / 1e9,
        flops / t / 1e9 / p64 * 100.0
    );

    let x = Mat::from_col_major(GRAM_ROWS, GRAM_COLS, &random_f64(GRAM_ROWS * GRAM_COLS, 3));
    let flops = (GRAM_ROWS * GRAM_COLS * GRAM_COLS) as f64;
    let t1 = median(5, || {
        black_box(gram(x.as_ref(), Par::Seq));
    });
    let t2 = median(5, || {
        black_box(gram(x.as_ref(), Par::Rayon(2)));
    });
    println!(
        "gram f64 {GRAM_ROWS}x{GRAM_COLS} from memory (n*k*k flops): 1t {:.1} GFLOP/s ({:.1}% of peak), 2t {:.1} GFLOP/s",
        flops / t1 / 1e9,
        flops / t1 / 1e9 / p64 * 100.0,
        flops / t2 / 1e9
    );

    for shape in PREPACKED_SHAPES {
        let (m, k, n, row_major) = shape;
        let case = PrepackedCase::new(shape);
        let (a, b, packed) = (case.a(), &case.b, &case.packed);
        let mut out = Mat::zeros(m, n);
        let reps = (1e9 / (2.0 * (m * k * n) as f64)).max(5.0) as usize;
        let mut t = [Vec::new(), Vec::new()];
        for _ in 0..5 {
            t[0].push(median(reps / 5 + 1, || {
                gemm(1.0, a, b.as_ref(), 0.0, out.as_mut(), Par::Seq)
            }));
            t[1].push(median(reps / 5 + 1, || {
                gemm_prepacked(1.0, packed, b.as_ref(), 0.0, out.as_mut(), Par::Seq)
            }));
        }
        for v in &mut t {
            v.sort_by(f64::total_cmp);
        }
        let (g, p) = (t[0][2], t[1][2]);
        let layout = if row_major {
            "row-major"
        } else {
            "column-major"
        };
        println!(
            "prepacked f64 {m}x{k} ({layout}) by {k}x{n}: gemm {:.1} us, prepacked {:.1} us ({:.2}x)",
            g * 1e6,
            p * 1e6,
            g / p
        );
    }
}

fn main() {
    if std::env::args().skip(1).any(|a| a == "summary") {
        summary();
        return;
    }
    math();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
