//! Case files: a fuzz finding as JSON — the sequence (opening and actions) and metadata.
//! Loading one models the sequence again, so a case file needs nothing but its actions;
//! the expected events and the observed reaction it carries are for the reader.
//!
//! ```json
//! {
//!   "format": "wsspec-fuzz-case/1",
//!   "id": "fuzz.3f2a…",
//!   "description": "…",
//!   "opening": "standard",
//!   "actions": [ {"action": "ping", "payload": {"kind": "text", "text": "hi"}} ],
//!   "settle_ms": 600,
//!   "symptom": {"kind": "divergence", …}, "seed": 1, "sequence_index": 42,
//!   "expected": {…}, "observed": {…}
//! }
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::action::Sequence;
use super::model::{model_for, ModelError, Modeled, PeerRole, Timing};
use super::run::Symptom;
use crate::engine::event_record;

/// The format tag of case files.
pub const FORMAT: &str = "wsspec-fuzz-case/1";

/// Largest case file read.
const MAX_FILE: u64 = 16 * 1024 * 1024;

/// Why a case file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CaseFileError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a case file.
    #[error("{path}: not a wsspec fuzz case file: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The model cannot judge the sequence.
    #[error("{path}: {source}")]
    Model {
        /// The file.
        path: PathBuf,
        /// The model's reason.
        source: ModelError,
    },
}

fn is_server(p: &PeerRole) -> bool {
    *p == PeerRole::Server
}

fn default_settle() -> u64 {
    Timing::default().settle_ms
}

/// A case file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The case id (`fuzz.<hash>`), unique within a suite.
    pub id: String,
    /// What the sequence does, in words.
    #[serde(default)]
    pub description: String,
    /// Whether the case tests a server (the default) or a client.
    #[serde(default, skip_serializing_if = "is_server")]
    pub peer: PeerRole,
    /// The opening and the actions.
    #[serde(flatten)]
    pub sequence: Sequence,
    /// Base settle time of the case (see [`Timing`]).
    #[serde(default = "default_settle")]
    pub settle_ms: u64,
    /// The finding's symptom (hand-written files may leave it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symptom: Option<Symptom>,
    /// The run's seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The index of the sequence that first showed the finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_index: Option<u64>,
    /// Actions of that sequence before minimization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_actions: Option<usize>,
    /// Other recent sequences (crash findings: the server died while one of them ran).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suspects: Vec<Sequence>,
    /// What the model expects (informative; recomputed on load).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<serde_json::Value>,
    /// What the server did when the file was written (informative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<serde_json::Value>,
}

impl CaseFile {
    /// A case file for a sequence.
    pub fn new(id: &str, sequence: Sequence, timing: Timing) -> Self {
        CaseFile {
            format: FORMAT.to_string(),
            id: id.to_string(),
            description: sequence.to_string(),
            peer: PeerRole::Server,
            sequence,
            settle_ms: timing.settle_ms,
            symptom: None,
            seed: None,
            sequence_index: None,
            original_actions: None,
            suspects: Vec::new(),
            expected: None,
            observed: None,
        }
    }

    /// Record the finding it reproduces.
    pub fn with_finding(
        mut self,
        symptom: Symptom,
        seed: u64,
        index: u64,
        original: usize,
    ) -> Self {
        self.description = format!("{}. {}", symptom.describe(), self.sequence);
        self.symptom = Some(symptom);
        self.seed = Some(seed);
        self.sequence_index = Some(index);
        self.original_actions = Some(original);
        self
    }

    /// Record what the server did.
    pub fn with_observed(mut self, observed: Option<serde_json::Value>) -> Self {
        self.observed = observed;
        self
    }

    /// The timing of the case.
    pub fn timing(&self) -> Timing {
        Timing {
            settle_ms: self.settle_ms,
        }
    }

    /// The case, as the model judges the sequence; `path` names the file in errors.
    pub fn to_case(&self, path: &Path) -> Result<Modeled, CaseFileError> {
        let id = if self.id.starts_with("fuzz.") {
            self.id.clone()
        } else {
            format!("fuzz.{}", self.id)
        };
        let mut m = model_for(&self.sequence, &id, self.timing(), self.peer).map_err(|source| {
            CaseFileError::Model {
                path: path.to_path_buf(),
                source,
            }
        })?;
        if !self.description.is_empty() {
            m.case.description = self.description.clone();
        }
        Ok(m)
    }

    /// Write the file (pretty JSON), with the model's expectation filled in.
    pub fn save(&self, path: &Path) -> Result<(), CaseFileError> {
        let mut file = self.clone();
        if let Ok(m) = model_for(&self.sequence, &self.id, self.timing(), self.peer) {
            let c = &m.case.expected_close;
            file.expected = Some(serde_json::json!({
                "events": m.meta.primary.iter().map(event_record).collect::<Vec<_>>(),
                "acceptableEventSequences": m.meta.alternatives,
                "readings": m.meta.worlds,
                "close": {
                    "closedByMe": c.closed_by_me,
                    "codes": c.codes,
                    "requireClean": c.require_clean,
                    "eitherEndpoint": m.case.rule == wsspec_cases::VerdictRule::EitherEndpointCloses,
                },
                "expectation": m.case.expectation,
            }));
        }
        let json = serde_json::to_string_pretty(&file).map_err(|e| CaseFileError::Format {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        std::fs::write(path, json + "\n").map_err(|source| CaseFileError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Read a case file.
    pub fn load(path: &Path) -> Result<CaseFile, CaseFileError> {
        use std::io::Read;
        let io = |source| CaseFileError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(MAX_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        Self::parse(path, &bytes)
    }

    /// Parse the bytes of a case file (`path` only names it in errors).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<CaseFile, CaseFileError> {
        let format = |reason: String| CaseFileError::Format {
            path: path.to_path_buf(),
            reason,
        };
        if bytes.len() as u64 > MAX_FILE {
            return Err(format(format!("larger than {MAX_FILE} octets")));
        }
        let file: CaseFile = serde_json::from_slice(bytes).map_err(|e| format(e.to_string()))?;
        if file.format != FORMAT {
            return Err(format(format!(
                "format {:?}, expected {FORMAT:?}",
                file.format
            )));
        }
        Ok(file)
    }

    /// Every case file (`*.json`) in `dir` and its `findings/` subdirectory, by name.
    pub fn load_dir(dir: &Path) -> Result<Vec<(PathBuf, CaseFile)>, CaseFileError> {
        let mut paths = Vec::new();
        for d in [dir.to_path_buf(), dir.join("findings")] {
            let entries = match std::fs::read_dir(&d) {
                Ok(e) => e,
                Err(_) if d != dir => continue,
                Err(source) => return Err(CaseFileError::Io { path: d, source }),
            };
            for entry in entries.flatten() {
                let p = entry.path();
                if p.extension().is_some_and(|e| e == "json") && p.is_file() {
                    paths.push(p);
                }
            }
        }
        paths.sort();
        let mut out = Vec::new();
        for p in paths {
            // A report or summary file in the same directory is not a case file: skip it.
            if p.file_name()
                .is_some_and(|n| n == "summary.json" || n == "index.json")
            {
                continue;
            }
            let file = CaseFile::load(&p)?;
            out.push((p, file));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netfuzz::action::{Action, CloseSpec, OpeningKind, Payload};
    use crate::netfuzz::model::model;

    fn sample() -> CaseFile {
        let seq = Sequence {
            opening: OpeningKind::KeepAliveUpgrade,
            actions: vec![
                Action::Ping {
                    payload: Payload::text("hi"),
                },
                Action::Close(CloseSpec::Code {
                    code: 1005,
                    reason: Payload::empty(),
                }),
            ],
        };
        CaseFile::new("fuzz.sample", seq, Timing { settle_ms: 300 }).with_finding(
            Symptom::Hang {
                phase: "case".into(),
            },
            1,
            2,
            7,
        )
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        let file = sample();
        file.save(&path).unwrap();
        let back = CaseFile::load(&path).unwrap();
        assert_eq!(back.sequence, file.sequence);
        assert_eq!(back.symptom, file.symptom);
        assert_eq!(back.settle_ms, 300);
        assert_eq!(back.original_actions, Some(7));
        // The expectation was written for the reader.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"codes\""), "{text}");
        // And the case is the same as modeling the sequence directly.
        let a = back.to_case(&path).unwrap().case;
        let b = model(&file.sequence, "fuzz.sample", Timing { settle_ms: 300 })
            .unwrap()
            .case;
        assert_eq!(a.steps, b.steps);
        assert_eq!(a.expected, b.expected);
        assert_eq!(a.expected_close, b.expected_close);
    }

    #[test]
    fn hand_written_files_need_only_actions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hand.json");
        std::fs::write(
            &path,
            r#"{"format": "wsspec-fuzz-case/1", "id": "mine", "opening": "standard",
                "actions": [{"action": "message", "binary": false,
                             "payload": {"kind": "text", "text": "hi"},
                             "fragments": 2, "write": "whole"}]}"#,
        )
        .unwrap();
        let file = CaseFile::load(&path).unwrap();
        let m = file.to_case(&path).unwrap();
        assert_eq!(m.case.id, "fuzz.mine");
        assert_eq!(m.meta.primary, vec![wsspec_cases::Event::text("hi")]);
        let loaded = CaseFile::load_dir(dir.path()).unwrap();
        assert_eq!(loaded.len(), 1);
    }

    #[test]
    fn other_json_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        std::fs::write(
            &path,
            r#"{"format": "other", "id": "x", "opening": "standard", "actions": []}"#,
        )
        .unwrap();
        assert!(matches!(
            CaseFile::load(&path),
            Err(CaseFileError::Format { .. })
        ));
        std::fs::write(&path, "not json").unwrap();
        assert!(CaseFile::load(&path).is_err());
    }
}
