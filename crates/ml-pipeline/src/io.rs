//! File output that never leaves a partial file behind.

use crate::error::{PipelineError, Result};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to a temporary file beside `path` (`.name.tmp<pid>`, on the same file
/// system, so the final rename cannot fail half-way), syncs it, then renames it over `path`.
///
/// # Errors
/// [`PipelineError::ModelFileIo`] naming the path when any step fails (the temporary file is
/// removed).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let err = |e: std::io::Error| PipelineError::ModelFileIo {
        path: path.to_path_buf(),
        action: "write",
        message: e.to_string(),
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}
