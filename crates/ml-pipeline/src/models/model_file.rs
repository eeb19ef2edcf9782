//! [`ModelFile`]: any model file this build reads (its own JSON, XGBoost's `.json`/`.ubj`,
//! LightGBM's `.txt`), told apart by content, so a program takes whichever it is given.

use super::gbdt::json_top_level_keys;
use super::persist::SavedModel;
use super::saved_gbdt::{read, unknown_format, GbdtFormat, SavedGbdt};
use crate::error::{PipelineError, Result};
use std::path::Path;

/// Any model file this build reads.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ModelFile {
    /// A model file of this project ([`SavedModel`], with its `format` field).
    Saved(SavedModel),
    /// A tree ensemble in XGBoost's or LightGBM's own file.
    Gbdt(SavedGbdt),
}

impl ModelFile {
    /// Reads a model file, telling its kind from the content: a LightGBM model starts with
    /// `tree`; UBJSON has a type marker where JSON has a key; a JSON object with `format` is
    /// ours, one with `learner` is XGBoost's. Where the content cannot tell (a corrupt file),
    /// the extension chooses whose error to report: `.json` ours, `.ubj` XGBoost's UBJSON,
    /// `.txt` LightGBM's.
    ///
    /// # Errors
    /// [`PipelineError::ModelFileIo`] when the file cannot be read; the errors of
    /// [`SavedModel::from_json`] or of the importer chosen; [`PipelineError::ModelFileContent`]
    /// naming `format` for a JSON object of neither kind; [`PipelineError::ModelImport`]
    /// naming the file when neither content nor extension tells what it is.
    pub fn load(path: &Path) -> Result<Self> {
        Self::from_bytes(read(path)?, path)
    }

    /// [`load`](Self::load) on bytes already read from `path`.
    ///
    /// # Errors
    /// As [`load`](Self::load), except reading.
    pub fn from_bytes(bytes: Vec<u8>, path: &Path) -> Result<Self> {
        let format = match sniff(&bytes) {
            Some(Sniffed::Saved) => None,
            Some(Sniffed::Gbdt(f)) => Some(f),
            Some(Sniffed::OtherJson) => {
                return Err(PipelineError::content(
                    "format",
                    "missing: a JSON object that is neither a model file of this project (with \
                     a \"format\" field) nor an XGBoost model (with a \"learner\" field)",
                ))
            }
            None => match path.extension().and_then(|e| e.to_str()) {
                Some(e) if e.eq_ignore_ascii_case("json") => None,
                _ => Some(GbdtFormat::from_extension(path).ok_or_else(|| unknown_format(path))?),
            },
        };
        match format {
            Some(f) => SavedGbdt::import(f, bytes).map(ModelFile::Gbdt),
            None => {
                let text = String::from_utf8(bytes).map_err(|e| {
                    // Where the valid text stops, as a JSON parser would say it.
                    let at = e.utf8_error().valid_up_to();
                    let before = &e.as_bytes()[..at];
                    let line_start = before
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |i| i + 1);
                    PipelineError::ModelFileSyntax {
                        line: before.iter().filter(|&&b| b == b'\n').count() + 1,
                        column: at - line_start + 1,
                        message: format!("not UTF-8 text (byte {at})"),
                    }
                })?;
                SavedModel::from_json(&text).map(ModelFile::Saved)
            }
        }
    }

    /// The model as a [`SavedModel`]: a tree ensemble reads its own feature names.
    pub fn into_saved(self) -> SavedModel {
        match self {
            ModelFile::Saved(m) => m,
            ModelFile::Gbdt(g) => SavedModel::gbdt(g),
        }
    }
}

/// What a model file's content says it is.
enum Sniffed {
    Saved,
    Gbdt(GbdtFormat),
    /// A JSON object with neither `format` nor `learner`.
    OtherJson,
}

/// The kind of model file `bytes` hold, when their content tells.
fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    let t = bytes.trim_ascii_start();
    if t.starts_with(b"tree\n") || t.starts_with(b"tree\r\n") {
        return Some(Sniffed::Gbdt(GbdtFormat::LightgbmText));
    }
    // UBJSON writes a key's length with a type marker right after `{` (or `$`/`#` for a
    // typed object), where JSON has whitespace, a quote or `}`.
    if let [b'{', next, ..] = bytes {
        if b"iUIlL$#".contains(next) {
            return Some(Sniffed::Gbdt(GbdtFormat::XgboostUbjson));
        }
    }
    if !t.starts_with(b"{") {
        return None;
    }
    let keys = json_top_level_keys(bytes)?;
    if keys.iter().any(|k| k == "format") {
        Some(Sniffed::Saved)
    } else if keys.iter().any(|k| k == "learner") {
        Some(Sniffed::Gbdt(GbdtFormat::XgboostJson))
    } else {
        Some(Sniffed::OtherJson)
    }
}
