//! The end-to-end section of docs/COMPARISON.md (issue 15): what `cargo xtask compare` left
//! in `target/compare-data/e2e` (our rounds from [`crate::e2e`], the peers' from
//! benches/python/features_peers.py, the answer check's `check.json`) as two tables, whole
//! runs and CSV-writing throughput. Apart from the report of the `ops` rows because its rows
//! are of another kind: whole processes, several thread counts, a throughput.

use crate::report::fmt_s;
use crate::rounds::{entries, median, read};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

/// The section's Markdown, or `None` when `dir` holds no rounds.
pub fn section(dir: &Path) -> Result<Option<String>, String> {
    let (ours, peers) = (read(dir, "ours_")?, read(dir, "peers_")?);
    if ours.is_empty() || peers.is_empty() {
        return Ok(None);
    }
    let check_path = dir.join("check.json");
    let check: Value = std::fs::read_to_string(&check_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or(format!(
            "{}: missing or unreadable: the answers were not checked",
            check_path.display()
        ))?;
    let (n_rounds, ours, peers) = (ours.len(), entries(&ours), entries(&peers));
    let rows = ours.first().and_then(|e| e["rows"].as_u64()).unwrap_or(0);
    let features = check["features"].as_u64().unwrap_or(0);
    let mut md = String::new();
    let _ = writeln!(md, "\n## End to end: `mlp features` on OHLCV bars\n");
    let _ = writeln!(
        md,
        "Issue 15's task: {rows} rows of 20 symbols (one bar per symbol and minute, the symbols \
         interleaved), Parquet in (Snappy), the {features} feature and target columns of `mlp features \
         --group-by symbol --order-by date --open open --high high --low low --close close \
         --volume volume --windows 8,32,128 --horizon 1 --keep date,symbol,open,high,low,close,\
         volume` beside the 7 kept columns, Parquet (Snappy) or CSV out. Ours: the whole `mlp` \
         process, wall clock from start to exit. Peers: one Python process each, \
         `time.perf_counter` from the read to the written file (interpreter start and imports \
         not counted); Polars with `.over(\"symbol\")` expressions on a lazy scan, pandas with \
         `groupby(...).rolling()`, `.ewm()` and `.shift()` (pandas computes on one thread \
         whatever the count, so it has one-thread rows only, and its `to_csv`, minutes long, \
         is timed in the first round only). One thread: both sides pinned \
         to the same CPU (`taskset`; `mlp` sizes its pool from the CPUs it may use), the \
         peers' pools set to one thread; two threads: neither pinned, Polars with \
         `POLARS_MAX_THREADS=2`. Before every timed run and every timed write, on both \
         sides, `sync` (not timed) writes back the page cache's dirty pages, so no contender \
         pays for the gigabytes the one before it wrote. Medians over {} round(s) alternated \
         ours / peers; ratio = peer time / our time.\n",
        n_rounds_per_threads(n_rounds, &ours)
    );
    let _ = writeln!(
        md,
        "Answers checked first, on the same files in the same run: every feature column of \
         each peer's Parquet output against ours, empty cells in the same places and values \
         within a relative tolerance of {} (of the column's median size where values cancel \
         to near zero), looser only where pandas' online rolling moments lose digits over a \
         long series ({}; benches/python/features_peers.py says why); our CSV output holds \
         our Parquet output's values exactly.\n",
        check["tolerance"],
        loose(&check)
    );
    let _ = writeln!(
        md,
        "| output | threads | peer | peer time | our time | ratio | ours: read / features / \
         write | agreement |\n|---|---:|---|---:|---:|---:|---|---|"
    );
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for e in &peers {
        let (id, peer) = (str_of(e, "id"), str_of(e, "peer"));
        if seen.contains(&(id, peer)) {
            continue;
        }
        seen.push((id, peer));
        let pt = med(&peers, id, Some(peer), |p| p["seconds"].as_f64());
        let ot = med(&ours, id, None, |o| o["seconds"].as_f64());
        let split: Vec<String> = ["read_seconds", "features_seconds", "write_seconds"]
            .iter()
            .map(|k| fmt_s(med(&ours, id, None, |o| o[*k].as_f64())))
            .collect();
        let (format, threads) = id.split_once('_').unwrap_or((id, "?"));
        let _ = writeln!(
            md,
            "| {} | {} | {peer} | {} | {} | {:.2}x | {} | {} |",
            if format == "csv" { "CSV" } else { "Parquet" },
            threads.trim_end_matches('t'),
            fmt_s(pt),
            fmt_s(ot),
            pt / ot,
            split.join(" / "),
            agreement(&check, peer)
        );
    }
    let _ = writeln!(
        md,
        "\nCSV writing throughput, from the same runs: megabytes (10^6 bytes) of CSV written per \
         second of writing alone. Ours: the write phase of `mlp features --timings` (rows \
         formatted and written, file renamed); peers: `to_csv` / `write_csv` of the finished \
         frame. Ratio = our throughput / the peer's.\n"
    );
    let _ = writeln!(
        md,
        "| writer | threads | its CSV | its write | its MB/s | our CSV | our write | our MB/s | \
         ratio |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mb_per_s = |e: &Value| Some(e["out_bytes"].as_f64()? / e["write_seconds"].as_f64()? / 1e6);
    for &(id, peer) in seen.iter().filter(|(id, _)| id.starts_with("csv_")) {
        let p_rate = med(&peers, id, Some(peer), mb_per_s);
        let o_rate = med(&ours, id, None, mb_per_s);
        let mb = |es: &[Value], p| med(es, id, p, |e| Some(e["out_bytes"].as_f64()? / 1e6));
        let write = |es: &[Value], p| fmt_s(med(es, id, p, |e| e["write_seconds"].as_f64()));
        let _ = writeln!(
            md,
            "| {peer} | {} | {:.1} MB | {} | {p_rate:.1} | {:.1} MB | {} | {o_rate:.1} | {:.2}x |",
            id.trim_start_matches("csv_").trim_end_matches('t'),
            mb(&peers, Some(peer)),
            write(&peers, Some(peer)),
            mb(&ours, None),
            write(&ours, None),
            o_rate / p_rate
        );
    }
    Ok(Some(md))
}

/// The looser tolerances of `check.json`, e.g. `pandas: zscore 0.0001, roll_skew 1e-06`.
fn loose(check: &Value) -> String {
    let Some(peers) = check["loose"].as_object() else {
        return "none".into();
    };
    let per_peer: Vec<String> = peers
        .iter()
        .map(|(peer, cols)| {
            let cols: Vec<String> = cols
                .as_object()
                .into_iter()
                .flatten()
                .map(|(c, t)| format!("{c} {t}"))
                .collect();
            format!("{peer}: {}", cols.join(", "))
        })
        .collect();
    per_peer.join("; ")
}

fn str_of<'a>(e: &'a Value, key: &str) -> &'a str {
    e[key].as_str().unwrap_or_default()
}

/// The median of `f` over the entries of `id` (and of `peer`, when given).
fn med(es: &[Value], id: &str, peer: Option<&str>, f: impl Fn(&Value) -> Option<f64>) -> f64 {
    median(
        es.iter()
            .filter(|e| str_of(e, "id") == id && peer.is_none_or(|p| str_of(e, "peer") == p))
            .filter_map(f)
            .collect(),
    )
}

/// Rounds per thread count: each round writes one of our files per thread count.
fn n_rounds_per_threads(files: usize, ours: &[Value]) -> usize {
    let mut counts: Vec<u64> = ours.iter().filter_map(|e| e["threads"].as_u64()).collect();
    counts.sort_unstable();
    counts.dedup();
    files / counts.len().max(1)
}

/// The check's verdict on `peer` (its label, e.g. `polars 2.1.0`): the column closest to
/// its tolerance.
fn agreement(check: &Value, peer: &str) -> String {
    let Some(columns) = check["peers"]
        .as_object()
        .and_then(|ps| ps.values().find(|p| p["peer"] == peer))
        .and_then(|p| p["columns"].as_object())
    else {
        return "not checked".into();
    };
    let ratio =
        |c: &Value| c["rel"].as_f64().unwrap_or(f64::NAN) / c["tolerance"].as_f64().unwrap_or(1.0);
    match columns
        .iter()
        .max_by(|a, b| ratio(a.1).total_cmp(&ratio(b.1)))
    {
        Some((name, c)) => format!(
            "ok, {} columns; closest: {name} {:.1e} (tol {})",
            columns.len(),
            c["rel"].as_f64().unwrap_or(f64::NAN),
            c["tolerance"]
        ),
        None => "not checked".into(),
    }
}
