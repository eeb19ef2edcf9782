//! `mlp info` and the machine description the demo prints.

use simd_kernels::Isa;

pub use simd_kernels::probe::cpu_model;

/// The one-minute load average from `/proc/loadavg` (other work competing for the CPU), or
/// "unknown".
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// Threads the commands use: `RAYON_NUM_THREADS` when set to a positive number (as rayon
/// itself reads it), else the hardware threads this process may use.
pub fn threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&t| t > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |p| p.get()))
}

/// Prints version, CPU, threads, detected and available ISAs, and the measured FMA peak of
/// one core on the detected ISA.
pub fn run() {
    let isa = Isa::detect();
    let available: Vec<&str> = Isa::available().map(Isa::name).collect();
    say!("mlp {}", env!("CARGO_PKG_VERSION"));
    say!("cpu: {}", cpu_model());
    say!("threads: {}", threads());
    say!("isa detected: {}", isa.name());
    say!("isa available: {}", available.join(", "));
    let gflops = simd_kernels::probe::measure_fma_peak_gflops(isa, 8, 3);
    say!(
        "fma peak (f64, one core, {}): {gflops:.1} GFLOP/s",
        isa.name()
    );
}
