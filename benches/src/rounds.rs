//! The rounds a compare task leaves in its data directory (`PREFIX*.json`, one file per
//! round and side) and the medians its report takes over them, shared by the report's
//! sections so each reads rounds the same way.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// Every `PREFIX*.json` of `dir`, parsed, in file-name order; none when `dir` is missing.
pub fn read(dir: &Path, prefix: &str) -> Result<Vec<Value>, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            name.starts_with(prefix) && name.ends_with(".json")
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
        })
        .collect()
}

/// The `results` entries of every round, in order.
pub fn entries(rounds: &[Value]) -> Vec<Value> {
    rounds
        .iter()
        .flat_map(|r| r["results"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// The median (the upper one of an even count); NaN when `v` is empty.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}
