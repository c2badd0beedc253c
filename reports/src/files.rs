//! Report file names (Autobahn's rule, made safe) and atomic file writes.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::ReportError;

/// Longest agent part of a file name, so names stay far below file-system limits.
pub const MAX_AGENT_FILENAME_LEN: usize = 100;

/// Agent part used when an agent name has no usable characters at all.
pub const UNKNOWN_AGENT: &str = "unknown";

/// Autobahn's `cleanForFilename`: lowercase, every character outside `[a-z0-9]` becomes a
/// space, the ends are stripped and each remaining space becomes `_`; bounded to
/// [`MAX_AGENT_FILENAME_LEN`] characters, and `unknown` when nothing is left.
pub fn clean_for_filename(agent: &str) -> String {
    let spaced: String = agent
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                ' '
            }
        })
        .collect();
    // Only ASCII remains, so byte slicing below is on character boundaries.
    let mut cleaned = spaced.trim().replace(' ', "_");
    if cleaned.len() > MAX_AGENT_FILENAME_LEN {
        cleaned.truncate(MAX_AGENT_FILENAME_LEN);
        let kept = cleaned.trim_end_matches('_').len();
        cleaned.truncate(kept);
    }
    if cleaned.is_empty() {
        UNKNOWN_AGENT.to_string()
    } else {
        cleaned
    }
}

/// `<agent>_case_<id with '.' → '_'>`, the common stem of a case's JSON and HTML files.
pub fn case_file_stem(agent: &str, case_id: &str) -> Result<String, ReportError> {
    let valid = !case_id.is_empty()
        && case_id.len() <= 64
        && case_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !valid {
        return Err(ReportError::InvalidCaseId {
            id: case_id.to_string(),
        });
    }
    Ok(format!(
        "{}_case_{}",
        clean_for_filename(agent),
        case_id.replace('.', "_")
    ))
}

/// File name of a case's JSON report, e.g. `node_ws_case_1_1_1.json`.
pub fn case_json_name(agent: &str, case_id: &str) -> Result<String, ReportError> {
    Ok(case_file_stem(agent, case_id)? + ".json")
}

/// File name of a case's HTML report, e.g. `node_ws_case_1_1_1.html`.
pub fn case_html_name(agent: &str, case_id: &str) -> Result<String, ReportError> {
    Ok(case_file_stem(agent, case_id)? + ".html")
}

/// Prefix of every temporary file; a leftover one is recognisable and never a report.
pub(crate) const TEMP_PREFIX: &str = ".wsspec-tmp-";

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary name unique within the directory for this process (pid + counter); created
/// with `create_new`, so a clash with a stranger's file is an error, not an overwrite.
fn temp_path(dir: &Path, final_name: &str) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(
        "{TEMP_PREFIX}{}-{n}-{final_name}",
        std::process::id()
    ))
}

/// Write `bytes` to `dir/name` so readers see either the old file or the whole new one:
/// write a temporary file in the same directory, then rename it over the target.
///
/// No fsync: the point is that an interrupted run never leaves a half-written report, not
/// durability across power loss, and an fsync per file would dominate short runs.
pub fn atomic_write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), ReportError> {
    let target = dir.join(name);
    let tmp = temp_path(dir, name);
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.flush()));
    if let Err(source) = written {
        let _ = fs::remove_file(&tmp);
        return Err(ReportError::Write { path: tmp, source });
    }
    if let Err(source) = fs::rename(&tmp, &target) {
        let _ = fs::remove_file(&tmp);
        return Err(ReportError::Rename {
            from: tmp,
            to: target,
            source,
        });
    }
    Ok(())
}

/// Read a file of at most `limit` bytes; `Ok(None)` when it does not exist.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, ReportError> {
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ReportError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let too_large = |size| ReportError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    };
    if let Ok(meta) = file.metadata() {
        if meta.len() > limit {
            return Err(too_large(meta.len()));
        }
    }
    let mut buf = Vec::new();
    // The metadata check can race with a writer; `take` is the real bound.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|source| ReportError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if buf.len() as u64 > limit {
        return Err(too_large(buf.len() as u64));
    }
    Ok(Some(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_names_follow_autobahn() {
        assert_eq!(clean_for_filename("node-ws"), "node_ws");
        assert_eq!(
            clean_for_filename("Python/3.11 websockets/17.4"),
            "python_3_11_websockets_17_4"
        );
        // Each replaced character becomes its own underscore; only the ends are stripped.
        assert_eq!(clean_for_filename("  a--b  "), "a__b");
        assert_eq!(clean_for_filename("Ünïcode Ägent"), "n_code__gent");
        assert_eq!(
            clean_for_filename("AutobahnPython/0.10.9"),
            "autobahnpython_0_10_9"
        );
    }

    #[test]
    fn clean_names_are_safe() {
        assert_eq!(clean_for_filename(""), "unknown");
        assert_eq!(clean_for_filename("../../"), "unknown");
        assert_eq!(clean_for_filename("ÄÖÜ"), "unknown");
        let evil = clean_for_filename("../../etc/passwd\\x");
        assert_eq!(evil, "etc_passwd_x");
        let long = clean_for_filename(&"ab-".repeat(200));
        assert!(long.len() <= MAX_AGENT_FILENAME_LEN);
        assert!(!long.ends_with('_'));
        for name in [evil, long] {
            assert!(name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
        }
    }

    #[test]
    fn case_file_names() {
        assert_eq!(
            case_json_name("node-ws", "12.1.10").unwrap(),
            "node_ws_case_12_1_10.json"
        );
        assert_eq!(
            case_html_name("node-ws", "2.1").unwrap(),
            "node_ws_case_2_1.html"
        );
        for bad in ["", "1/2", "..\\x", "1.1 1", "1.1\0"] {
            assert!(
                matches!(
                    case_json_name("a", bad),
                    Err(ReportError::InvalidCaseId { .. })
                ),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        atomic_write(dir.path(), "a.json", b"one").unwrap();
        atomic_write(dir.path(), "a.json", b"two").unwrap();
        assert_eq!(fs::read(dir.path().join("a.json")).unwrap(), b"two");
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["a.json".to_string()]);
    }

    #[test]
    fn failed_atomic_write_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        // Renaming a file over a non-empty directory fails after the temp file was written.
        fs::create_dir(dir.path().join("busy")).unwrap();
        fs::write(dir.path().join("busy").join("x"), b"x").unwrap();
        let err = atomic_write(dir.path(), "busy", b"data").unwrap_err();
        assert!(matches!(err, ReportError::Rename { .. }), "{err}");
        let temps = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(TEMP_PREFIX)
            })
            .count();
        assert_eq!(temps, 0);
    }

    #[test]
    fn bounded_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        assert!(read_bounded(&p, 10).unwrap().is_none());
        fs::write(&p, b"0123456789").unwrap();
        assert_eq!(read_bounded(&p, 10).unwrap().unwrap(), b"0123456789");
        assert!(matches!(
            read_bounded(&p, 9),
            Err(ReportError::TooLarge {
                size: 10,
                limit: 9,
                ..
            })
        ));
    }
}
