//! How what `validate` measured is checked and written: the floors of
//! `benches/floors.toml`, `target/validate.json`, `docs/BENCHMARKS.md` (with the SVG chart of
//! [`crate::chart`]) and the summary on stdout. The measurements themselves are the types of
//! [`crate::results`], which the chart reads too.

use crate::results::{Ablation, Machine, Section, ABLATION_CONFIGS};
use std::fmt::Write as _;
use std::path::Path;

/// Minimum ratios, read from `benches/floors.toml`: `key = number` lines, `#` comments.
#[derive(Clone, Debug, Default)]
pub struct Floors {
    entries: Vec<(String, f64)>,
}

impl Floors {
    /// Parses the floors file (a flat TOML table of numbers).
    pub fn load(path: &Path) -> Result<Floors, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| format!("{}:{}: expected key = number", path.display(), i + 1))?;
            let v: f64 = v
                .trim()
                .parse()
                .map_err(|_| format!("{}:{}: {v:?} is not a number", path.display(), i + 1))?;
            entries.push((k.trim().trim_matches('"').to_string(), v));
        }
        Ok(Floors { entries })
    }

    /// The floor of `id`, if set.
    pub fn get(&self, id: &str) -> Option<f64> {
        self.entries.iter().find(|(k, _)| k == id).map(|(_, v)| *v)
    }

    /// Every measurement below its floor, described.
    pub fn check(&self, sections: &[Section], ablation: &Ablation) -> Vec<String> {
        let mut bad = Vec::new();
        for row in sections.iter().flat_map(|s| &s.rows) {
            if let Some(f) = self.get(&row.id).filter(|f| row.ratio() < *f) {
                bad.push(format!("{} = {:.2}, floor {f}", row.id, row.ratio()));
            }
        }
        if let Some(f) = self
            .get("pipeline.ablation_all_off")
            .filter(|f| ablation.slowdown(4) < *f)
        {
            bad.push(format!(
                "pipeline.ablation_all_off = {:.2}, floor {f}",
                ablation.slowdown(4)
            ));
        }
        for (k, _) in &self.entries {
            let known = k == "pipeline.ablation_all_off"
                || sections.iter().flat_map(|s| &s.rows).any(|r| &r.id == k);
            if !known {
                bad.push(format!("floor {k} names no measurement"));
            }
        }
        bad
    }
}

fn git_commit(root: &Path) -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Today's UTC date as YYYY-MM-DD (civil-from-days, no date crate needed).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Writes the JSON, the Markdown page and the chart.
pub fn write_all(
    root: &Path,
    page: &str,
    m: &Machine,
    sections: &[Section],
    ab: &Ablation,
    floors: &Floors,
) -> std::io::Result<()> {
    let commit = git_commit(root);
    let date = today();
    let isas: Vec<&str> = m.isas.iter().map(|i| i.name()).collect();
    let json = serde_json::json!({
        "date": date, "commit": commit, "cpu": m.cpu, "isa": m.isa.name(), "isas": isas,
        "fma_peak_f64_gflops": m.fma_peak_f64, "fma_peak_f32_gflops": m.fma_peak_f32, "read_gbs": m.read_gbs,
        "sections": sections.iter().map(|s| serde_json::json!({
            "title": s.title,
            "rows": s.rows.iter().map(|r| serde_json::json!({
                "id": r.id, "what": r.what, "baseline": r.baseline, "baseline_s": r.base_s,
                "ours_s": r.ours_s, "ratio": r.ratio(), "floor": floors.get(&r.id), "note": r.note,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "ablation": ABLATION_CONFIGS.iter().zip(&ab.seconds).map(|((n, s, p, f), t)| serde_json::json!({
            "config": n, "use_simd": s, "use_pools": p, "use_fast_math": f, "seconds": t,
        })).collect::<Vec<_>>(),
    });
    std::fs::create_dir_all(root.join("target"))?;
    std::fs::write(
        root.join("target/validate.json"),
        serde_json::to_string_pretty(&json).unwrap_or_default(),
    )?;

    let mut md = String::new();
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(md, "Generated by `cargo xtask validate` on {date} at commit `{commit}`. Do not edit by hand.\n");
    let _ = writeln!(
        md,
        "Machine: {} — ISA in use `{}` (available: {}).",
        m.cpu,
        m.isa.name(),
        isas.join(", ")
    );
    let _ = writeln!(
        md,
        "Measured limits, one core: FMA peak {:.1} GFLOP/s f64, {:.1} GFLOP/s f32; streaming read {:.1} GB/s.\n",
        m.fma_peak_f64, m.fma_peak_f32, m.read_gbs
    );
    let _ = writeln!(md, "Each row runs the baseline and ours interleaved (A B A B ...) in one process on the same fixed-seed data; times are medians; ratio = baseline / ours (higher is better for ours). The machine is shared, so compare ratios, not absolute times.\n");
    for s in sections {
        let _ = writeln!(md, "## {}\n", s.title);
        let _ = writeln!(md, "| operation | baseline | baseline time | our time | ratio | floor | note |\n|---|---|---:|---:|---:|---:|---|");
        for r in &s.rows {
            let floor = floors
                .get(&r.id)
                .map(|f| format!("{f}"))
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {:.2}x | {} | {} |",
                r.what,
                r.baseline,
                fmt_s(r.base_s),
                fmt_s(r.ours_s),
                r.ratio(),
                floor,
                r.note
            );
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## Pipeline ablation\n\nFit on 500 000 prices (31 features: window 64, six EMAs, 16 spectral bins), then 100 000 streamed `update` calls; each configuration interleaved with the others.\n");
    let _ = writeln!(
        md,
        "| configuration | time | slower than all-on |\n|---|---:|---:|"
    );
    for (i, (name, ..)) in ABLATION_CONFIGS.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {name} | {} | {:.2}x |",
            fmt_s(ab.seconds[i]),
            ab.slowdown(i)
        );
    }
    let _ = writeln!(
        md,
        "\nCombined factor (all off / all on): {:.2}x; product of the three single-layer factors: {:.2}x{}.\n",
        ab.slowdown(4),
        ab.product_of_single(),
        if (ab.slowdown(4) / ab.product_of_single() - 1.0).abs() > 0.15 { " — the layers do not multiply" } else { "" }
    );
    // The chart beside the page, named after it: docs/BENCHMARKS.md -> benchmarks.svg.
    let page = root.join(page);
    let stem = page
        .file_stem()
        .map_or("benchmarks".into(), |s| s.to_string_lossy());
    let svg_name = format!("{}.svg", stem.to_lowercase());
    let svg = page.with_file_name(&svg_name);
    let _ = writeln!(md, "![speedups]({svg_name})");
    if let Some(dir) = page.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&page, md)?;
    crate::chart::write_svg(&svg, sections, ab).map_err(std::io::Error::other)
}

/// A duration in seconds, with a unit that keeps three or four significant digits.
pub fn fmt_s(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else if s >= 1e-6 {
        format!("{:.2} µs", s * 1e6)
    } else {
        format!("{:.1} ns", s * 1e9)
    }
}

/// One line per measurement on stdout.
pub fn print_summary(sections: &[Section], ab: &Ablation) {
    for s in sections {
        println!("{}", s.title);
        for r in &s.rows {
            println!(
                "  {:<44} {:>10} vs {:>10}  {:>7.2}x  {}",
                r.what,
                fmt_s(r.ours_s),
                fmt_s(r.base_s),
                r.ratio(),
                r.note
            );
        }
    }
    println!("pipeline ablation (fit 500k x 31 features + 100k updates)");
    for (i, (name, ..)) in ABLATION_CONFIGS.iter().enumerate() {
        println!(
            "  {:<20} {:>10}  {:.2}x",
            name,
            fmt_s(ab.seconds[i]),
            ab.slowdown(i)
        );
    }
}
