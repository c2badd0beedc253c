//! The report directory the runner writes into, case by case and index after index.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::clock::iso_utc;
use crate::error::ReportError;
use crate::files::{atomic_write, case_file_stem, read_bounded};
use crate::html_case::render_case;
use crate::html_index::render_index;
use crate::index::{merge, parse_index, Index};
use crate::json::to_json_for;
use crate::result::{CaseResult, IndexEntry};

/// Name of the summary data file.
pub const INDEX_JSON: &str = "index.json";
/// Name of the summary page.
pub const INDEX_HTML: &str = "index.html";
/// An existing index.json larger than this is refused rather than read.
pub const MAX_INDEX_BYTES: u64 = 64 * 1024 * 1024;

/// A flat, Autobahn-layout report directory.
#[derive(Debug)]
pub struct ReportDir {
    path: PathBuf,
    /// Serializes the read-merge-write of index.json between tasks of this process.
    index_lock: Mutex<()>,
}

impl ReportDir {
    /// Create the directory (and parents) and prove it is writable (probe file), before any case runs.
    pub fn create(path: impl Into<PathBuf>) -> Result<Self, ReportError> {
        let path = path.into();
        fs::create_dir_all(&path).map_err(|source| ReportError::CreateDir {
            path: path.clone(),
            source,
        })?;
        if !path.is_dir() {
            return Err(ReportError::NotADirectory { path });
        }
        let probe = path.join(format!(".wsspec-probe-{}", std::process::id()));
        fs::write(&probe, b"probe")
            .and_then(|()| fs::remove_file(&probe))
            .map_err(|source| ReportError::NotWritable {
                path: probe.clone(),
                source,
            })?;
        Ok(ReportDir {
            path,
            index_lock: Mutex::new(()),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write <agent>_case_<id>.json and .html atomically (temp file + rename); returns the JSON file name.
    pub fn write_case(&self, result: &CaseResult) -> Result<String, ReportError> {
        let stem = case_file_stem(&result.agent, &result.id)?;
        let json_name = format!("{stem}.json");
        let json = to_json_for(&json_name, result)?;
        atomic_write(&self.path, &json_name, json.as_bytes())?;
        atomic_write(
            &self.path,
            &format!("{stem}.html"),
            render_case(result).as_bytes(),
        )?;
        Ok(json_name)
    }

    /// Merge `entries` for `agent` into DIR/index.json (other agents, and this agent's other
    /// cases, are kept; same case ids replaced), then rewrite index.json and index.html
    /// atomically. Called after every case (so an interrupted run leaves a valid report) and
    /// at the end.
    pub fn write_index(
        &self,
        agent: &str,
        entries: &BTreeMap<String, IndexEntry>,
    ) -> Result<(), ReportError> {
        // A poisoned lock only means another writer panicked; the files on disk are whole.
        let _guard = self
            .index_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut index = self.read_index()?;
        merge(&mut index, agent, entries);
        let json = to_json_for(INDEX_JSON, &index)?;
        let html = render_index(
            &index,
            wsspec_cases::catalogue(),
            &iso_utc(SystemTime::now()),
        );
        atomic_write(&self.path, INDEX_JSON, json.as_bytes())?;
        atomic_write(&self.path, INDEX_HTML, html.as_bytes())
    }

    /// The current index.json (empty when there is none); a malformed one is an error.
    pub fn read_index(&self) -> Result<Index, ReportError> {
        let path = self.path.join(INDEX_JSON);
        match read_bounded(&path, MAX_INDEX_BYTES)? {
            None => Ok(Index::new()),
            Some(bytes) => parse_index(&path, &bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{sample_result, EVIL_AGENT};
    use wsspec_cases::{CloseVerdict, Verdict};

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn create_makes_parents_and_leaves_no_probe() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ReportDir::create(tmp.path().join("a/b/c")).unwrap();
        assert!(dir.path().is_dir());
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn create_refuses_a_file() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        fs::write(&file, b"x").unwrap();
        assert!(ReportDir::create(&file).is_err());
    }

    #[test]
    fn write_case_writes_json_and_html_only() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ReportDir::create(tmp.path()).unwrap();
        let r = sample_result("node-ws");
        let name = dir.write_case(&r).unwrap();
        assert_eq!(name, "node_ws_case_1_1_1.json");
        assert_eq!(
            names(dir.path()),
            vec!["node_ws_case_1_1_1.html", "node_ws_case_1_1_1.json"]
        );
        let json = fs::read_to_string(dir.path().join(&name)).unwrap();
        assert!(json.starts_with("{\n   \"agent\": \"node-ws\",\n   \"behavior\": \"OK\","));
    }

    #[test]
    fn evil_agent_stays_in_the_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ReportDir::create(tmp.path().join("out")).unwrap();
        let mut r = sample_result("../../x");
        let name = dir.write_case(&r).unwrap();
        assert_eq!(name, "x_case_1_1_1.json");
        r.agent = EVIL_AGENT.into();
        dir.write_case(&r).unwrap();
        assert_eq!(names(tmp.path()), vec!["out"]);
        r.id = "../1".into();
        assert!(matches!(
            dir.write_case(&r),
            Err(ReportError::InvalidCaseId { .. })
        ));
    }

    fn entry(agent: &str, id: &str, behavior: Verdict) -> IndexEntry {
        IndexEntry {
            behavior,
            behavior_close: CloseVerdict::Ok,
            duration: 3,
            remote_close_code: Some(1000),
            reportfile: crate::files::case_json_name(agent, id).unwrap(),
        }
    }

    #[test]
    fn index_merge_keeps_other_agents_and_cases() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ReportDir::create(tmp.path()).unwrap();
        let mut first = BTreeMap::new();
        first.insert("1.1.1".to_string(), entry("a", "1.1.1", Verdict::Ok));
        first.insert("2.1".to_string(), entry("a", "2.1", Verdict::Failed));
        dir.write_index("a", &first).unwrap();

        let mut second = BTreeMap::new();
        second.insert("1.1.1".to_string(), entry("b", "1.1.1", Verdict::NonStrict));
        dir.write_index("b", &second).unwrap();

        // A later write for "a" replaces only the same id.
        let mut again = BTreeMap::new();
        again.insert("2.1".to_string(), entry("a", "2.1", Verdict::Ok));
        dir.write_index("a", &again).unwrap();

        let index = dir.read_index().unwrap();
        assert_eq!(index.len(), 2);
        assert_eq!(index["a"].len(), 2);
        assert_eq!(index["a"]["1.1.1"].behavior, Verdict::Ok);
        assert_eq!(index["a"]["2.1"].behavior, Verdict::Ok);
        assert_eq!(index["b"]["1.1.1"].behavior, Verdict::NonStrict);
        assert_eq!(names(dir.path()), vec!["index.html", "index.json"]);
        let html = fs::read_to_string(dir.path().join(INDEX_HTML)).unwrap();
        assert!(html.contains(">a</td>") && html.contains(">b</td>"));
    }

    #[test]
    fn malformed_index_is_refused_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ReportDir::create(tmp.path()).unwrap();
        let garbage = b"{\"a\": {\"1.1.1\": \"not an entry\"}}";
        fs::write(dir.path().join(INDEX_JSON), garbage).unwrap();
        let err = dir
            .write_index(
                "a",
                &BTreeMap::from([("1.1.1".into(), entry("a", "1.1.1", Verdict::Ok))]),
            )
            .unwrap_err();
        assert!(matches!(err, ReportError::MalformedIndex { .. }));
        assert!(err.to_string().contains("index.json"), "{err}");
        assert_eq!(fs::read(dir.path().join(INDEX_JSON)).unwrap(), garbage);
        assert!(!dir.path().join(INDEX_HTML).exists());
    }

    #[test]
    fn oversized_index_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ReportDir::create(tmp.path()).unwrap();
        let f = fs::File::create(dir.path().join(INDEX_JSON)).unwrap();
        // A sparse file: the size check must fire before anything is read.
        f.set_len(MAX_INDEX_BYTES + 1).unwrap();
        let err = dir.write_index("a", &BTreeMap::new()).unwrap_err();
        assert!(matches!(err, ReportError::TooLarge { .. }), "{err}");
    }
}
