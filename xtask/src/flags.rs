//! The command line of `cargo xtask`, declared once: clap derives both the parser and the
//! `--help` text from these types, so the usage cannot drift from what is accepted. Each
//! task module takes its arguments from here; this module imports none of them.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Project tasks, as code. Results land under target/ (and docs/ for the reports).
#[derive(Debug, Parser)]
#[command(
    name = "xtask",
    bin_name = "cargo xtask",
    arg_required_else_help = true
)]
pub struct Xtask {
    /// The task to run.
    #[command(subcommand)]
    pub task: Task,
}

/// One task.
#[derive(Debug, Subcommand)]
pub enum Task {
    /// Every check CI runs: format, tidy, lints, tests (per layer and per ISA), valgrind, docs.
    ///
    /// Runs each step even when an earlier one failed, prints a summary table, and exits
    /// non-zero if any step failed.
    Ci,
    /// Keeps the tree honest: no import cycles, no long files, clean library dependencies.
    ///
    /// No import cycle between the modules of any crate; no file under crates/*/src over
    /// 600 lines of non-test code unless allow-listed; library crates without program-only
    /// dependencies; every layer depends only on layers below. One line per violation.
    Tidy,
    /// The criterion benches of benches/, one bench target per layer.
    Bench(BenchArgs),
    /// Every layer against its baseline, interleaved, in one process.
    ///
    /// Writes target/validate.json, docs/BENCHMARKS.md and docs/benchmarks.svg; fails when
    /// a ratio is below its floor in benches/floors.toml.
    Validate(ValidateArgs),
    /// Ours against numpy, SciPy, scikit-learn, pandas and Polars on the same data.
    ///
    /// One thread each, answers checked, rounds alternated (`COMPARE_ROUNDS`, default 2);
    /// creates a pinned Python venv under target/compare-venv once; writes
    /// docs/COMPARISON.md. The `e2e` rows time `mlp features` end to end (Parquet in, Parquet
    /// or CSV out) against Polars and pandas on `E2E_ROWS` rows (default 5000000) of 20
    /// symbols, at the thread counts of `E2E_THREADS` (default 1,2).
    Compare(CompareArgs),
    /// Tree-ensemble inference against XGBoost, LightGBM, Treelite, lleaves, ONNX Runtime.
    ///
    /// 500 trees of depth 6 over 50 features, trained by XGBoost and LightGBM into
    /// target/tree-bench (benches/python/make_tree_bench.py); single-row latency and batch
    /// ns per tree per row (`TREES_ROWS` rows, default all 1M; `TREES_ROUNDS` rounds), peers
    /// on one thread, answers checked; creates a pinned Python
    /// 3.12 venv under target/trees-venv once; writes docs/COMPARISON_TREES.md.
    CompareTrees(CompareTreesArgs),
    /// GBDT training against LightGBM and XGBoost hist, one and two threads.
    ///
    /// Sizes `$GBDT_SIZES` (default 100000x50,1000000x50), 100 trees of 63 leaves, 255
    /// bins; the data under target/gbdt-bench, peers in the venv of `compare-trees`;
    /// writes docs/COMPARISON_GBDT.md with our time by phase.
    CompareGbdt,
    /// Our LREs on NIST's StRD per ISA, beside numpy lstsq and statsmodels.
    ///
    /// Runs the ignored test `lre_table` of ml-pipeline's nist_strd and
    /// benches/python/nist_peers.py (in the venv of `compare`); rewrites the generated part
    /// of docs/RELIABILITY.md's "Numerical accuracy" section.
    Nist,
    /// Peak memory of `mlp train --model ridge` on `RSS_ROWS` rows (default 5000000) x 20
    /// features of Parquet: the file read in chunks against the same file read into memory
    /// from standard input.
    ///
    /// Runs benches/python/train_rss.py in the venv of `compare`; data in target/train-rss.
    TrainRss,
    /// The cargo-fuzz targets of fuzz/ on the nightly toolchain; not part of ci.
    ///
    /// Prints runs per target and writes target/fuzz.json; crashes land in
    /// `fuzz/artifacts/<target>/`, logs in `target/fuzz-<target>.log`.
    Fuzz(FuzzArgs),
    /// The pool, fast-math, ml-pipeline and mlp tests under sanitizers; not part of ci.
    ///
    /// AddressSanitizer and ThreadSanitizer need the nightly toolchain; memcheck needs
    /// valgrind. With no flag, all three run.
    Sanitize(SanitizeArgs),
}

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Only this layer's bench target (default: every layer, bottom up).
    #[arg(long, value_name = "LAYER")]
    pub layer: Option<BenchLayer>,
    /// Short measurements without plots (criterion's --quick --noplot).
    #[arg(long)]
    pub quick: bool,
}

/// A bench target of `benches/`, in layer order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchLayer {
    /// simd-kernels.
    Simd,
    /// zero-copy-pool.
    Pool,
    /// fast-math.
    Math,
    /// fast-math's algorithms (FFT convolution, sparse, randomized SVD).
    Algos,
    /// ml-pipeline.
    Pipeline,
    /// ml-pipeline's tree ensembles (needs target/tree-bench: `cargo xtask compare-trees`
    /// makes it; skipped with a note without it).
    Gbdt,
}

impl BenchLayer {
    /// The bench target's name in benches/Cargo.toml.
    pub fn target(self) -> &'static str {
        match self {
            BenchLayer::Simd => "simd",
            BenchLayer::Pool => "pool",
            BenchLayer::Math => "math",
            BenchLayer::Algos => "algos",
            BenchLayer::Pipeline => "pipeline",
            BenchLayer::Gbdt => "gbdt",
        }
    }
}

/// Arguments of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Only this group of rows (default: both); the report keeps the other group's rows
    /// from its last run.
    #[arg(long, value_name = "GROUP")]
    pub only: Option<CompareGroup>,
    /// The page to write, relative to the workspace root (default docs/COMPARISON.md): a
    /// run on another ISA class writes its own page, e.g. docs/COMPARISON_AVX512.md.
    #[arg(long, value_name = "FILE")]
    pub page: Option<String>,
}

/// Options of `compare-trees`.
#[derive(Debug, Args)]
pub struct CompareTreesArgs {
    /// The page to write, relative to the workspace root (default
    /// docs/COMPARISON_TREES.md): a run on another machine class writes its own page, e.g.
    /// docs/COMPARISON_TREES_XEON.md.
    #[arg(long, value_name = "FILE")]
    pub page: Option<String>,
}

/// Options of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The page to write, relative to the workspace root (default docs/BENCHMARKS.md; its
    /// chart is written beside it, named after it in lower case): a run on another ISA class
    /// writes its own page, e.g. docs/BENCHMARKS_AVX512.md.
    #[arg(long, value_name = "FILE")]
    pub page: Option<String>,
}

/// A group of rows of `compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompareGroup {
    /// Kernels and models (matmul, ridge, rolling moments, ...) against numpy, SciPy,
    /// scikit-learn, pandas and Polars.
    Ops,
    /// `mlp features` end to end on OHLCV bars against Polars and pandas (issue 15).
    E2e,
}

impl CompareArgs {
    /// Whether `group`'s rows run.
    pub fn runs(&self, group: CompareGroup) -> bool {
        self.only.is_none_or(|g| g == group)
    }
}

/// Arguments of `fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// Seconds to fuzz each target (a positive integer).
    #[arg(long, value_name = "N", default_value_t = 60, value_parser = positive)]
    pub seconds: u64,
    /// Only this target (default: every target).
    #[arg(long, value_name = "T")]
    pub target: Option<FuzzTarget>,
}

/// A positive integer.
fn positive(arg: &str) -> Result<u64, String> {
    arg.parse()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| "expected a positive integer".into())
}

/// A cargo-fuzz target, as named in fuzz/Cargo.toml.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum FuzzTarget {
    /// Model files: load, validate, predict.
    ModelJson,
    /// Rolling features, streaming against batch.
    Features,
    /// Every kernel on every ISA against the scalar reference.
    KernelsDiff,
    /// GEMM against the naive triple loop.
    GemmDiff,
    /// The CSV reader.
    CsvIngest,
    /// The mlp program's argument handling.
    CliArgs,
    /// XGBoost JSON tree ensembles: import, predict.
    GbdtXgboostJson,
    /// XGBoost UBJSON tree ensembles: import, predict.
    GbdtUbjson,
    /// LightGBM text tree ensembles: import, predict.
    GbdtLightgbm,
}

impl FuzzTarget {
    /// The target's name in fuzz/Cargo.toml.
    pub fn name(self) -> &'static str {
        match self {
            FuzzTarget::ModelJson => "model_json",
            FuzzTarget::Features => "features",
            FuzzTarget::KernelsDiff => "kernels_diff",
            FuzzTarget::GemmDiff => "gemm_diff",
            FuzzTarget::CsvIngest => "csv_ingest",
            FuzzTarget::CliArgs => "cli_args",
            FuzzTarget::GbdtXgboostJson => "gbdt_xgboost_json",
            FuzzTarget::GbdtUbjson => "gbdt_ubjson",
            FuzzTarget::GbdtLightgbm => "gbdt_lightgbm",
        }
    }
}

/// Arguments of `sanitize`.
#[derive(Debug, Args)]
pub struct SanitizeArgs {
    /// AddressSanitizer (nightly), leak detection on.
    #[arg(long)]
    pub asan: bool,
    /// ThreadSanitizer (nightly, std uninstrumented, xtask/tsan-suppressions.txt).
    #[arg(long)]
    pub tsan: bool,
    /// valgrind memcheck of every test binary.
    #[arg(long)]
    pub valgrind: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Task, clap::Error> {
        Xtask::try_parse_from(std::iter::once("xtask").chain(args.iter().copied())).map(|x| x.task)
    }

    #[test]
    fn the_command_is_well_formed() {
        Xtask::command().debug_assert();
    }

    #[test]
    fn help_lists_every_task() {
        let help = Xtask::command().render_help().to_string();
        for task in [
            "ci", "tidy", "bench", "validate", "compare", "nist", "fuzz", "sanitize",
        ] {
            assert!(
                help.lines().any(|l| l.trim_start().starts_with(task)),
                "{task} missing from:\n{help}"
            );
        }
    }

    #[test]
    fn value_names_are_the_target_names() {
        for l in BenchLayer::value_variants() {
            assert_eq!(l.to_possible_value().unwrap().get_name(), l.target());
        }
        for t in FuzzTarget::value_variants() {
            assert_eq!(t.to_possible_value().unwrap().get_name(), t.name());
        }
    }

    /// The `name`s of the `[[table]]` entries of a manifest, e.g. `[[bench]]`.
    fn target_names(manifest: &str, table: &str) -> Vec<String> {
        let path = crate::cmd::root().join(manifest);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut names = Vec::new();
        let mut inside = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                inside = line == format!("[[{table}]]");
            } else if let Some(v) = line.strip_prefix("name").filter(|_| inside) {
                names.push(
                    v.trim_start_matches([' ', '='])
                        .trim_matches('"')
                        .to_string(),
                );
            }
        }
        names.sort();
        names
    }

    #[test]
    fn every_bench_and_fuzz_target_is_offered() {
        let mut layers: Vec<String> = BenchLayer::value_variants()
            .iter()
            .map(|l| l.target().to_string())
            .collect();
        layers.sort();
        assert_eq!(layers, target_names("benches/Cargo.toml", "bench"));
        let mut targets: Vec<String> = FuzzTarget::value_variants()
            .iter()
            .map(|t| t.name().to_string())
            .collect();
        targets.sort();
        assert_eq!(targets, target_names("fuzz/Cargo.toml", "bin"));
    }

    #[test]
    fn flags_parse_as_before() {
        let Task::Fuzz(f) = parse(&["fuzz", "--seconds", "5", "--target", "gemm_diff"]).unwrap()
        else {
            panic!("not fuzz")
        };
        assert_eq!((f.seconds, f.target), (5, Some(FuzzTarget::GemmDiff)));
        let Task::Fuzz(f) = parse(&["fuzz"]).unwrap() else {
            panic!("not fuzz")
        };
        assert_eq!((f.seconds, f.target), (60, None));
        assert!(parse(&["fuzz", "--seconds", "0"]).is_err());
        assert!(parse(&["fuzz", "--target", "nope"]).is_err());

        let Task::Bench(b) = parse(&["bench", "--layer", "algos", "--quick"]).unwrap() else {
            panic!("not bench")
        };
        assert_eq!((b.layer, b.quick), (Some(BenchLayer::Algos), true));
        assert!(parse(&["bench", "--layer", "gpu"]).is_err());

        let Task::Sanitize(s) = parse(&["sanitize", "--tsan", "--valgrind"]).unwrap() else {
            panic!("not sanitize")
        };
        assert_eq!((s.asan, s.tsan, s.valgrind), (false, true, true));

        assert!(matches!(parse(&["tidy"]), Ok(Task::Tidy)));
        assert!(parse(&["ci", "extra"]).is_err());
        assert!(parse(&["validate", "--quick"]).is_err());
        assert!(matches!(parse(&["nist"]), Ok(Task::Nist)));
        assert!(matches!(parse(&["train-rss"]), Ok(Task::TrainRss)));
        assert!(matches!(
            parse(&["compare-trees"]),
            Ok(Task::CompareTrees(_))
        ));
        let Ok(Task::CompareTrees(t)) = parse(&["compare-trees", "--page", "docs/T.md"]) else {
            panic!("not compare-trees")
        };
        assert_eq!(t.page.as_deref(), Some("docs/T.md"));
        assert!(matches!(parse(&["compare-gbdt"]), Ok(Task::CompareGbdt)));
        let Task::Compare(c) = parse(&["compare", "--only", "e2e"]).unwrap() else {
            panic!("not compare")
        };
        assert!(c.runs(CompareGroup::E2e) && !c.runs(CompareGroup::Ops));
        let Task::Compare(c) = parse(&["compare"]).unwrap() else {
            panic!("not compare")
        };
        assert!(c.runs(CompareGroup::E2e) && c.runs(CompareGroup::Ops));
        assert!(parse(&["compare", "--only", "gpu"]).is_err());
        assert!(parse(&[]).is_err());
    }
}
