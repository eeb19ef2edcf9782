//! Layer 1 benches: every slice kernel at four sizes, on every ISA, against its naive loop;
//! plus the machine's own limits (FMA peak, streaming read bandwidth).

// criterion_group!/criterion_main! generate undocumented items.
#![allow(missing_docs)]

use benches::{naive, random_f32, random_f64};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use simd_kernels::{self as sk, probe, Isa};
use std::time::Duration;

const SIZES: [usize; 4] = [64, 4096, 262_144, 16_777_216];
/// The DRAM-sized case: 128 MiB per f64 array, far beyond every cache.
const DRAM: usize = 16_777_216;

fn isas() -> Vec<Isa> {
    Isa::available().collect()
}

fn tune(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, n: usize) {
    if n >= DRAM {
        g.sample_size(10).measurement_time(Duration::from_secs(3));
    } else {
        g.sample_size(30).measurement_time(Duration::from_secs(1));
    }
    g.warm_up_time(Duration::from_millis(300));
}

fn bench_reductions(c: &mut Criterion) {
    for n in SIZES {
        let a = random_f64(n, 1);
        let b = random_f64(n, 2);
        let mut g = c.benchmark_group(format!("dot_f64/{n}"));
        tune(&mut g, n);
        g.throughput(Throughput::Bytes((16 * n) as u64));
        g.bench_function("naive", |bn| {
            bn.iter(|| naive::dot(black_box(&a), black_box(&b)))
        });
        for isa in isas() {
            g.bench_with_input(BenchmarkId::from_parameter(isa), &isa, |bn, &isa| {
                bn.iter(|| sk::dot_with(isa, black_box(&a), black_box(&b)))
            });
        }
        g.finish();

        let mut g = c.benchmark_group(format!("sum_f64/{n}"));
        tune(&mut g, n);
        g.throughput(Throughput::Bytes((8 * n) as u64));
        g.bench_function("naive", |bn| bn.iter(|| naive::sum(black_box(&a))));
        for isa in isas() {
            g.bench_with_input(BenchmarkId::from_parameter(isa), &isa, |bn, &isa| {
                bn.iter(|| sk::sum_with(isa, black_box(&a)))
            });
        }
        g.finish();

        let mut g = c.benchmark_group(format!("sum_compensated_f64/{n}"));
        tune(&mut g, n);
        g.throughput(Throughput::Bytes((8 * n) as u64));
        g.bench_function("naive", |bn| bn.iter(|| naive::sum_neumaier(black_box(&a))));
        for isa in isas() {
            g.bench_with_input(BenchmarkId::from_parameter(isa), &isa, |bn, &isa| {
                bn.iter(|| sk::sum_compensated_with(isa, black_box(&a)))
            });
        }
        g.finish();

        let mut g = c.benchmark_group(format!("min_max_f64/{n}"));
        tune(&mut g, n);
        g.throughput(Throughput::Bytes((8 * n) as u64));
        g.bench_function("naive", |bn| bn.iter(|| naive::min_max(black_box(&a))));
        for isa in isas() {
            g.bench_with_input(BenchmarkId::from_parameter(isa), &isa, |bn, &isa| {
                bn.iter(|| sk::min_max_with(isa, black_box(&a)))
            });
        }
        g.finish();

        let mut g = c.benchmark_group(format!("moments_f64/{n}"));
        tune(&mut g, n);
        g.throughput(Throughput::Bytes((8 * n) as u64));
        g.bench_function("naive_two_pass", |bn| {
            bn.iter(|| naive::moments_two_pass(black_box(&a)))
        });
        for isa in isas() {
            g.bench_with_input(BenchmarkId::from_parameter(isa), &isa, |bn, &isa| {
                bn.iter(|| sk::moments_with(isa, black_box(&a)))
            });
        }
        g.finish();

        let af = random_f32(n, 1);
        let bf = random_f32(n, 2);
        let mut g = c.benchmark_group(format!("dot_f32/{n}"));
        tune(&mut g, n);
        g.throughput(Throughput::Bytes((8 * n) as u64));
        g.bench_function("naive", |bn| {
            bn.iter(|| naive::dot(black_box(&af), black_box(&bf)))
        });
        for isa in isas() {
            g.bench_with_input(BenchmarkId::from_parameter(isa), &isa, |bn, &isa| {
                bn.iter(|| sk::dot_with(isa, black_box(&af), black_box(&bf)))
            });
        }
        g.finish();
    }
}

fn bench_updates(c: &mut Criterion) {
    for n in SIZES {
        let x = random_f64(n, 3);
        let mut y = random_f64(n, 4);
        let mut g = c.benchmark_group(format!("axpy_f64/{n}"));
        tune(&mut g, n);
        g.throughput(Throughput::Bytes((24 * n) as u64));
        g.bench_function("naive", |bn| {
            bn.iter(|| naive::axpy(1e-9, black_box(&x), black_box(&mut y)))
        });
        for isa in isas() {
            g.bench_with_input(BenchmarkId::from_parameter(isa), &isa, |bn, &isa| {
                bn.iter(|| sk::axpy_with(isa, 1e-9, black_box(&x), black_box(&mut y)))
            });
        }
        g.finish();

        let mut g = c.benchmark_group(format!("scale_f64/{n}"));
        tune(&mut g, n);
        g.throughput(Throughput::Bytes((16 * n) as u64));
        // alpha = 1 keeps the data stable across millions of iterations.
        g.bench_function("naive", |bn| {
            bn.iter(|| naive::scale(1.0, black_box(&mut y)))
        });
        for isa in isas() {
            g.bench_with_input(BenchmarkId::from_parameter(isa), &isa, |bn, &isa| {
                bn.iter(|| sk::scale_with(isa, 1.0, black_box(&mut y)))
            });
        }
        g.finish();
    }
}

fn bench_machine_limits(c: &mut Criterion) {
    let mut g = c.benchmark_group("machine");
    g.sample_size(20).measurement_time(Duration::from_secs(2));
    let x = random_f64(DRAM, 5);
    g.throughput(Throughput::Bytes((8 * DRAM) as u64));
    g.bench_function("read_bandwidth_probe", |bn| {
        bn.iter(|| probe::read_probe_f64(Isa::detect(), black_box(&x)))
    });
    let iterations = 100_000;
    for isa in isas() {
        g.throughput(Throughput::Elements(probe::fma_loop_flops(
            isa, iterations, 8,
        )));
        g.bench_with_input(BenchmarkId::new("fma_peak_f64", isa), &isa, |bn, &isa| {
            bn.iter(|| probe::fma_loop_f64(isa, black_box(iterations)))
        });
        g.throughput(Throughput::Elements(probe::fma_loop_flops(
            isa, iterations, 4,
        )));
        g.bench_with_input(BenchmarkId::new("fma_peak_f32", isa), &isa, |bn, &isa| {
            bn.iter(|| probe::fma_loop_f32(isa, black_box(iterations)))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_machine_limits,
    bench_reductions,
    bench_updates
);
criterion_main!(benches);
