//! What `validate` measures: the machine's limits, optimized-versus-baseline rows grouped
//! by layer, and the pipeline ablation. Plain data, shared by [`crate::report`] (JSON,
//! Markdown, floors) and [`crate::chart`] (SVG), neither of which imports the other's types.

use simd_kernels::{probe, Isa};

/// The machine's own limits, measured in the same process.
#[derive(Clone, Debug)]
pub struct Machine {
    /// CPU model string.
    pub cpu: String,
    /// ISAs this process may use.
    pub isas: Vec<Isa>,
    /// The ISA in use.
    pub isa: Isa,
    /// f64 FMA peak, GFLOP/s, one core.
    pub fma_peak_f64: f64,
    /// f32 FMA peak, GFLOP/s, one core.
    pub fma_peak_f32: f64,
    /// Streaming read bandwidth over 128 MiB, GB/s, one core.
    pub read_gbs: f64,
}

impl Machine {
    /// Measures the FMA peak and the read bandwidth on `isa`.
    pub fn measure(isa: Isa) -> Machine {
        Machine {
            cpu: cpu_model(),
            isas: Isa::available().collect(),
            isa,
            fma_peak_f64: probe::measure_fma_peak_gflops(isa, 8, 7),
            fma_peak_f32: probe::measure_fma_peak_gflops(isa, 4, 7),
            read_gbs: probe::measure_read_bandwidth_gbs(isa, 1 << 24, 7),
        }
    }
}

pub use simd_kernels::probe::cpu_model;

/// One optimized-versus-baseline measurement.
#[derive(Clone, Debug)]
pub struct Row {
    /// Stable identifier, the key in `floors.toml`.
    pub id: String,
    /// What was measured.
    pub what: String,
    /// What it was measured against.
    pub baseline: String,
    /// Median seconds of the baseline.
    pub base_s: f64,
    /// Median seconds of ours.
    pub ours_s: f64,
    /// Extra context (GFLOP/s, % of peak).
    pub note: String,
}

impl Row {
    /// A row from two medians.
    pub fn new(id: &str, what: &str, baseline: &str, base_s: f64, ours_s: f64) -> Row {
        Row {
            id: id.into(),
            what: what.into(),
            baseline: baseline.into(),
            base_s,
            ours_s,
            note: String::new(),
        }
    }
    /// Adds context.
    pub fn note(mut self, note: String) -> Row {
        self.note = note;
        self
    }
    /// Baseline time / our time.
    pub fn ratio(&self) -> f64 {
        self.base_s / self.ours_s
    }
}

/// The rows of one layer.
#[derive(Clone, Debug)]
pub struct Section {
    /// Layer name.
    pub title: String,
    /// Its measurements.
    pub rows: Vec<Row>,
}

impl Section {
    /// A named section.
    pub fn new(title: &str, rows: Vec<Row>) -> Section {
        Section {
            title: title.into(),
            rows,
        }
    }
}

/// `(name, use_simd, use_pools, use_fast_math)` of each ablation run, all-on first.
pub const ABLATION_CONFIGS: [(&str, bool, bool, bool); 5] = [
    ("all layers on", true, true, true),
    ("simd off", false, true, true),
    ("pools off", true, false, true),
    ("fast-math off", true, true, false),
    ("all layers off", false, false, false),
];

/// Median seconds of each ablation configuration, in [`ABLATION_CONFIGS`] order.
#[derive(Clone, Debug)]
pub struct Ablation {
    /// Seconds per run (fit on 500k prices with 31 features + 100k streamed updates).
    pub seconds: Vec<f64>,
}

impl Ablation {
    /// How much slower each configuration is than all-on (1.0 for all-on itself).
    pub fn slowdown(&self, i: usize) -> f64 {
        self.seconds[i] / self.seconds[0]
    }
    /// Product of the single-layer contributions, to compare with all-off.
    pub fn product_of_single(&self) -> f64 {
        (1..4).map(|i| self.slowdown(i)).product()
    }
}
