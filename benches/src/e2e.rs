//! Our side of the end-to-end rows of `cargo xtask compare` (issue 15): `mlp features` run
//! as a user runs it, one whole process per output format, timed by the wall clock from
//! spawn to exit (start-up, reading, computing, writing and the rename included). Its
//! `--timings` line splits that time into reading, features and writing; the writing phase
//! alone is the CSV-throughput figure (the same work pandas' `to_csv` does on a frame in
//! memory), read from the run itself rather than as the difference of two whole runs, which
//! would carry the noise of both. The command line is written here once, for the answers
//! that are checked and for the runs that are timed.

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// `mlp` arguments before `--input` and `--output`: the OHLCV features, every bar
/// column named by its flag (so the command reads the same whatever defaults `mlp` has).
pub const FEATURE_ARGS: [&str; 22] = [
    "features",
    "--group-by",
    "symbol",
    "--order-by",
    "date",
    "--open",
    "open",
    "--high",
    "high",
    "--low",
    "low",
    "--close",
    "close",
    "--volume",
    "volume",
    "--windows",
    "8,32,128",
    "--horizon",
    "1",
    "--keep",
    "date,symbol,open,high,low,close,volume",
    "--timings",
];

/// The output formats timed, by extension.
pub const FORMATS: [&str; 2] = ["parquet", "csv"];

/// One timed run of `mlp features`.
#[derive(Clone, Debug)]
pub struct Run {
    /// Wall-clock seconds of the whole process.
    pub seconds: f64,
    /// Rows read, from `--timings`.
    pub rows: u64,
    /// Reading, features and writing seconds, from `--timings`.
    pub read: f64,
    /// See [`Run::read`].
    pub features: f64,
    /// See [`Run::read`].
    pub write: f64,
    /// Bytes of the output file.
    pub out_bytes: u64,
}

/// Runs `mlp features` on `dir/bars.parquet` into `dir/ours.<format>`; its standard error,
/// but the timings line, is passed on.
pub fn run_mlp(mlp: &Path, dir: &Path, format: &str) -> Result<Run, String> {
    let out_path = dir.join(format!("ours.{format}"));
    // The peers write to a path that does not exist yet; so does ours (replacing the last
    // run's file would add the freeing of its blocks to our time).
    let _ = std::fs::remove_file(&out_path);
    let mut cmd = Command::new(mlp);
    cmd.args(FEATURE_ARGS)
        .arg("--input")
        .arg(dir.join("bars.parquet"))
        .arg("--output")
        .arg(&out_path);
    // The dirty pages of earlier runs (ours or a peer's gigabytes) are written back first,
    // untimed, as the peers' script does before each of its timed steps.
    let _ = Command::new("sync").status();
    let start = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| format!("{}: {e}", mlp.display()))?;
    let seconds = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let timings = stderr.lines().find(|l| l.starts_with("timings:"));
    for line in stderr.lines().filter(|l| !l.starts_with("timings:")) {
        eprintln!("{line}");
    }
    if !out.status.success() {
        return Err(format!(
            "mlp features (into {format}) failed: {}",
            out.status
        ));
    }
    let line = timings.ok_or("mlp features printed no `timings:` line")?;
    let out_bytes = std::fs::metadata(&out_path)
        .map_err(|e| format!("{}: {e}", out_path.display()))?
        .len();
    Ok(Run {
        seconds,
        rows: number_after(line, "(")? as u64,
        read: number_after(line, "read ")?,
        features: number_after(line, "features ")?,
        write: number_after(line, "write ")?,
        out_bytes,
    })
}

/// The number that follows the first `key` in `line`.
fn number_after(line: &str, key: &str) -> Result<f64, String> {
    line.split_once(key)
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.trim_end_matches([',', 's']).parse().ok())
        .ok_or(format!("no number after {key:?} in mlp's {line:?}"))
}

/// Our outputs for the answer check, one run per format (not timed).
pub fn answers(mlp: &Path, dir: &Path) -> Result<(), String> {
    for format in FORMATS {
        let run = run_mlp(mlp, dir, format)?;
        eprintln!(
            "e2e: ours.{format}: {} rows, {:.1} MB",
            run.rows,
            run.out_bytes as f64 / 1e6
        );
    }
    Ok(())
}

/// Times one round at `threads` threads (the caller sets them: see `cargo xtask compare`)
/// and writes `dir/ours_ROUND_<threads>t.json`.
pub fn time(mlp: &Path, dir: &Path, round: &str, threads: usize) -> Result<(), String> {
    let mut results = Vec::new();
    for format in FORMATS {
        let r = run_mlp(mlp, dir, format)?;
        eprintln!(
            "e2e: ours {format} at {threads} thread(s): {:.3} s (read {:.3} s, features {:.3} \
             s, write {:.3} s, {:.1} MB)",
            r.seconds,
            r.read,
            r.features,
            r.write,
            r.out_bytes as f64 / 1e6
        );
        results.push(json!({
            "id": format!("{format}_{threads}t"), "threads": threads, "rows": r.rows,
            "seconds": r.seconds, "read_seconds": r.read, "features_seconds": r.features,
            "write_seconds": r.write, "out_bytes": r.out_bytes,
        }));
    }
    let out: Value = json!({ "round": round, "threads": threads, "results": results });
    let path = dir.join(format!("ours_{round}_{threads}t.json"));
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timings_line_parses() {
        let line = "timings: read 0.779 s (1000000 rows), features 1.619 s, write 4.158 s";
        assert_eq!(number_after(line, "(").unwrap(), 1e6);
        assert_eq!(number_after(line, "read ").unwrap(), 0.779);
        assert_eq!(number_after(line, "features ").unwrap(), 1.619);
        assert_eq!(number_after(line, "write ").unwrap(), 4.158);
        assert!(number_after("timings: read soon", "read ").is_err());
    }
}
