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

/// One row through 500 complete trees of depth 6 reading 50 rank slots (the shape of the
/// tree-inference bench models): the 32-bit heaps' walk (the baseline: six dependent steps
/// a tree) against the byte heaps' whole-tree walk, on every ISA.
fn bench_tree_walks(c: &mut Criterion) {
    const TREES: usize = 500;
    const DEPTH: u32 = 6;
    const SLOTS: usize = 50;
    let mut state = 0x7472_6565_u64;
    let mut below = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        u8::try_from(state % n).unwrap_or(0)
    };
    let pairs: Vec<[u8; 2]> = (0..TREES << DEPTH)
        .map(|_| [below(SLOTS as u64), below(256)])
        .collect();
    let words: Vec<u32> = pairs
        .iter()
        .map(|&[s, l]| u32::from(s) | u32::from(l) << 16)
        .collect();
    let (heaps, bytes) = (
        sk::Heaps::new(DEPTH, SLOTS, &words),
        sk::ByteHeaps::new(DEPTH, SLOTS, &pairs),
    );
    // 64 rows of ranks, cycled, so no one path is learned.
    let rows8: Vec<Vec<u8>> = (0..64)
        .map(|_| (0..bytes.ranks_len()).map(|_| below(256)).collect())
        .collect();
    let rows16: Vec<Vec<u16>> = rows8
        .iter()
        .map(|r| r.iter().map(|&v| u16::from(v)).collect())
        .collect();
    let mut out = vec![0u32; TREES];
    let mut g = c.benchmark_group("tree_walk_500x6");
    g.throughput(Throughput::Elements(TREES as u64));
    for isa in isas() {
        let mut i = 0;
        g.bench_with_input(BenchmarkId::new("heaps_32bit", isa), &isa, |bn, &isa| {
            bn.iter(|| {
                i = (i + 1) % rows16.len();
                heaps.leaves_with(isa, black_box(&rows16[i]), 0, &mut out);
                out[TREES - 1]
            })
        });
        g.bench_with_input(BenchmarkId::new("byte_heaps", isa), &isa, |bn, &isa| {
            bn.iter(|| {
                i = (i + 1) % rows8.len();
                bytes.leaves_with(isa, black_box(&rows8[i]), 0, &mut out);
                out[TREES - 1]
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_machine_limits,
    bench_reductions,
    bench_updates,
    bench_tree_walks
);
criterion_main!(benches);
