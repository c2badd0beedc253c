//! Errors of the report writers, each naming the file and what went wrong with it.

use std::path::PathBuf;

/// Everything that can go wrong while writing or merging a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The report directory (or a parent) could not be created.
    #[error("cannot create report directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The report path exists but is not a directory.
    #[error("report path {path} exists and is not a directory")]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// A probe file could not be written: the directory is not writable.
    #[error("report directory {path} is not writable: {source}")]
    NotWritable {
        /// The probe file that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Writing a (temporary) report file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Moving a finished temporary file into place failed.
    #[error("cannot rename {from} to {to}: {source}")]
    Rename {
        /// The temporary file.
        from: PathBuf,
        /// The final file name.
        to: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Reading an existing report file failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An existing file is larger than we are willing to read.
    #[error("{path} is {size} bytes, more than the {limit}-byte limit; refusing to read it")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (at least this many bytes).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// An existing index.json is not a valid Autobahn index; it is left untouched.
    #[error("{path} is not a valid report index ({problem}); move it away or fix it, it was left untouched")]
    MalformedIndex {
        /// The index file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// A case id cannot be turned into a safe file name.
    #[error("case id {id:?} cannot be used in a file name (only letters, digits, '.', '-' and '_' are allowed)")]
    InvalidCaseId {
        /// The offending id.
        id: String,
    },
    /// A result could not be serialized to JSON.
    #[error("cannot serialize {what} to JSON: {source}")]
    Serialize {
        /// What was being serialized.
        what: String,
        /// The underlying error.
        source: serde_json::Error,
    },
}
