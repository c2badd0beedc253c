//! A finished report directory read back: its `index.json` and, on demand, per-case JSON.

use std::path::{Path, PathBuf};

use serde_json::Value;
use wsspec_reports::files::read_bounded;
use wsspec_reports::index::parse_index;
use wsspec_reports::report_dir::{MAX_CASE_BYTES, MAX_INDEX_BYTES};
use wsspec_reports::{Index, IndexEntry, ReportError};

/// Why a report directory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The directory holds no `index.json`.
    #[error("{0} holds no index.json; is it a wsspec or Autobahn report directory?")]
    NoIndex(PathBuf),
    /// The index or a case file could not be read or parsed.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A per-case JSON file is not valid JSON.
    #[error("{path} is not valid JSON: {problem}")]
    MalformedCase {
        /// The case file.
        path: PathBuf,
        /// What the parser said.
        problem: String,
    },
}

/// A report directory: agent → case id → index entry, plus where the case files are.
#[derive(Debug, Clone)]
pub struct LoadedReport {
    /// The directory the report was read from.
    pub dir: PathBuf,
    /// Its `index.json`.
    pub index: Index,
}

impl LoadedReport {
    /// Read `dir/index.json` (bounded in size).
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        let path = dir.join("index.json");
        let bytes =
            read_bounded(&path, MAX_INDEX_BYTES)?.ok_or_else(|| LoadError::NoIndex(dir.into()))?;
        Ok(LoadedReport {
            dir: dir.to_path_buf(),
            index: parse_index(&path, &bytes)?,
        })
    }

    /// The agents in the report, sorted.
    pub fn agents(&self) -> impl Iterator<Item = &str> {
        self.index.keys().map(String::as_str)
    }

    /// The per-case JSON an index entry points to; `Ok(None)` when the file is missing.
    pub fn case_json(&self, entry: &IndexEntry) -> Result<Option<Value>, LoadError> {
        // The index comes from disk: never follow a report file name out of the directory.
        let name = Path::new(&entry.reportfile);
        if name.components().count() != 1 || entry.reportfile.contains("..") {
            return Ok(None);
        }
        let path = self.dir.join(name);
        let Some(bytes) = read_bounded(&path, MAX_CASE_BYTES)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| LoadError::MalformedCase {
                path,
                problem: e.to_string(),
            })
    }
}
