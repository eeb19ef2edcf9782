//! The `mlp` argument paths: `mlp::run` on fuzzed command lines over a fuzzed
//! CSV file never panics, fails with one line, and never leaves a temporary file behind.
//!
//! Input layout: segments separated by 0xFF. The first is written to `in.csv`; each other
//! segment is one argument: a single byte below 0x40 picks a word from [`WORDS`] (flags,
//! subcommands, the file paths, awkward numbers), anything else is used as UTF-8 text.
//!
//! `demo` and `info` are left out: they read no input and take seconds (their argument
//! checks are covered by the `cli_bad_input` tests).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Words an argument byte below 0x40 stands for; `@in`, `@out`, `@model`, `@json` become
/// paths in this process's scratch directory.
const WORDS: [&str; 48] = [
    "features", "train", "predict", "--input", "@in", "--output", "@out", "--column", "close",
    "--window", "--target", "--features", "--model", "ridge", "logistic", "--alpha", "--c",
    "--pca", "--out", "@model", "@json", "--timings", "--help", "--version", "-1", "0", "1",
    "2", "3", "4", "64", "1e400", "nan", "inf", "-0", "1e-300", "18446744073709551615",
    "4194305", "a", "b", "a,b", "close,a", ",", "", "=", "--", "-", "y",
];

/// The scratch directory, with a valid model at `@model` to start from.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("mlp-fuzz-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        let csv = dir.join("seed.csv");
        let mut text = String::from("a,b,close,y\n");
        for i in 0..50 {
            let x = f64::from(i);
            text.push_str(&format!("{},{},{},{}\n", x.sin(), x.cos(), 100.0 + x, i % 2));
        }
        std::fs::write(&csv, text).expect("seed csv");
        let model = dir.join("model.json");
        let argv = ["mlp", "train", "--model", "ridge", "--target", "y", "--input"];
        let seed = argv
            .iter()
            .map(|s| s.to_string())
            .chain([csv.display().to_string(), "--out".into()])
            .chain([model.display().to_string()]);
        mlp::run(seed, None).expect("seed model trains");
        dir
    })
}

fn arg(segment: &[u8], dir: &std::path::Path) -> String {
    let word = match segment {
        [b] if *b < 0x40 => WORDS[usize::from(*b) % WORDS.len()].to_string(),
        _ => String::from_utf8_lossy(segment).into_owned(),
    };
    match word.as_str() {
        "@in" => dir.join("in.csv").display().to_string(),
        "@out" => dir.join("out.csv").display().to_string(),
        "@model" => dir.join("model.json").display().to_string(),
        "@json" => dir.join("trained.json").display().to_string(),
        _ => word,
    }
}

fuzz_target!(|data: &[u8]| {
    let dir = dir();
    let mut segments = data.split(|&b| b == 0xFF);
    let csv = segments.next().unwrap_or_default();
    let argv: Vec<String> = std::iter::once("mlp".to_string())
        .chain(segments.map(|s| arg(s, dir)))
        .collect();
    if argv.len() > 24 || argv.iter().any(|a| a == "demo" || a == "info") {
        return;
    }
    std::fs::write(dir.join("in.csv"), csv).expect("write input");

    if let Err(e) = mlp::run(&argv, None) {
        if !e.usage {
            let shown = e.to_string();
            assert!(!shown.is_empty(), "empty error for {argv:?}");
            assert!(!shown.contains('\n'), "multi-line error for {argv:?}: {shown:?}");
        }
    }
    // Outputs are written to a temporary file and renamed: none may be left behind, on
    // success or failure.
    for entry in std::fs::read_dir(dir).expect("scratch directory") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            ["seed.csv", "in.csv", "out.csv", "model.json", "trained.json"].contains(&&*name),
            "stray file {name:?} after {argv:?}"
        );
    }
});
