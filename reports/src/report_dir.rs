//! The report directory the runner writes into, case by case and index after index.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::SystemTime;

use serde_json::Value;
use wsspec_cases::Verdict;

use crate::clock::iso_utc;
use crate::error::ReportError;
use crate::files::{atomic_write, case_file_stem, case_json_name, read_bounded};
use crate::html_case::render_case;
use crate::html_index::{render_index_with_ratios, IndexRatios};
use crate::index::{merge, parse_index, Index};
use crate::json::to_json_for;
use crate::result::{CaseResult, IndexEntry};
use crate::traffic::CompressionRatios;

/// Name of the summary data file.
pub const INDEX_JSON: &str = "index.json";
/// Name of the summary page.
pub const INDEX_HTML: &str = "index.html";
/// An existing index.json larger than this is refused rather than read.
pub const MAX_INDEX_BYTES: u64 = 64 * 1024 * 1024;
/// A per-case JSON larger than this is not read back for its compression ratios.
pub const MAX_CASE_BYTES: u64 = 64 * 1024 * 1024;

/// Agent → case id → the ratios its index cell shows (`None`: the case reports none).
type RatioCache = HashMap<String, HashMap<String, Option<CompressionRatios>>>;

/// A flat, Autobahn-layout report directory.
#[derive(Debug)]
pub struct ReportDir {
    path: PathBuf,
    /// Serializes the read-merge-write of index.json between tasks of this process.
    index_lock: Mutex<()>,
    /// The compression ratios of the index cells. `index.json` does not hold them, so they
    /// come from the results this process wrote, else from the per-case JSON files (each
    /// read once).
    ratios: Mutex<RatioCache>,
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
            ratios: Mutex::new(RatioCache::new()),
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
        self.ratio_cache()
            .entry(result.agent.clone())
            .or_default()
            .insert(result.id.clone(), result.compression_ratios());
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
        let ratios = self.index_ratios(&index);
        let html = render_index_with_ratios(
            &index,
            wsspec_cases::catalogue(),
            &iso_utc(SystemTime::now()),
            &ratios,
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

    fn ratio_cache(&self) -> MutexGuard<'_, RatioCache> {
        // A poisoned lock only means a writer panicked between whole insertions.
        self.ratios.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The ratios of every cell of `index` that shows some.
    fn index_ratios(&self, index: &Index) -> IndexRatios {
        let mut cache = self.ratio_cache();
        let mut out = IndexRatios::new();
        for (agent, entries) in index {
            let known = cache.entry(agent.clone()).or_default();
            for (id, entry) in entries {
                // An unimplemented cell shows the verdict alone.
                if entry.behavior == Verdict::Unimplemented {
                    continue;
                }
                let ratios = match known.get(id) {
                    Some(cached) => *cached,
                    None if may_report_ratios(id) => match self.read_ratios(agent, id) {
                        Some(read) => *known.entry(id.clone()).or_insert(read),
                        // Unreadable now; try again at the next write.
                        None => None,
                    },
                    None => None,
                };
                if let Some(r) = ratios {
                    out.entry(agent.clone()).or_default().insert(id.clone(), r);
                }
            }
        }
        out
    }

    /// A case's ratios from its JSON file (written by an earlier run): `None` when the
    /// file cannot be read, `Some(None)` when it reports no ratios.
    fn read_ratios(&self, agent: &str, id: &str) -> Option<Option<CompressionRatios>> {
        // The name is rebuilt from agent and id (never `reportfile`, which the file says).
        let name = case_json_name(agent, id).ok()?;
        let bytes = read_bounded(&self.path.join(name), MAX_CASE_BYTES).ok()??;
        let Ok(value) = serde_json::from_slice::<Value>(&bytes) else {
            return Some(None);
        };
        let reports = value.get("reportCompressionRatio").and_then(Value::as_bool) == Some(true);
        Some(
            value
                .get("trafficStats")
                .filter(|_| reports)
                .and_then(CompressionRatios::from_traffic_stats),
        )
    }
}

/// Whether the catalogue case `id` can carry compression ratios (a compression case, or one
/// that reports its time as 12.x and 13.x do); only those files are read back.
fn may_report_ratios(id: &str) -> bool {
    static IDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    IDS.get_or_init(|| {
        wsspec_cases::catalogue()
            .iter()
            .filter(|c| c.compression.is_some() || c.report_time)
            .map(|c| c.id.as_str())
            .collect()
    })
    .contains(id)
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

    /// A result that reports compression ratios, under an id of the catalogue that reports
    /// its time (whose file is read back by a later run).
    fn compression_result(agent: &str, report: bool) -> CaseResult {
        let mut r = sample_result(agent);
        r.id = "9.1.1".into();
        r.report_time = true;
        r.report_compression_ratio = report;
        r.traffic_stats = Some(
            crate::TrafficCounters {
                incoming_octets_app_level: 16000,
                incoming_octets_websocket_level: 4688,
                outgoing_octets_app_level: 16000,
                outgoing_octets_websocket_level: 15763,
                ..Default::default()
            }
            .to_value(),
        );
        r
    }

    fn write_one(dir: &ReportDir, r: &CaseResult) {
        let file = dir.write_case(r).unwrap();
        dir.write_index(
            &r.agent,
            &BTreeMap::from([(r.id.clone(), r.index_entry(file))]),
        )
        .unwrap();
    }

    #[test]
    fn index_cells_show_compression_ratios_across_runs() {
        const CELL: &str = "ms [0.293/0.985]</span>";
        let tmp = tempfile::tempdir().unwrap();
        let html = || fs::read_to_string(tmp.path().join(INDEX_HTML)).unwrap();
        let dir = ReportDir::create(tmp.path()).unwrap();
        write_one(&dir, &compression_result("a", true));
        assert_eq!(html().matches(CELL).count(), 1);
        // The flag off: no ratios, even with trafficStats.
        write_one(&dir, &compression_result("b", false));
        assert_eq!(html().matches(CELL).count(), 1);

        // A later run (another process) writing another agent reads them back from the
        // per-case files, which index.json does not hold.
        let later = ReportDir::create(tmp.path()).unwrap();
        write_one(&later, &sample_result("c"));
        assert_eq!(html().matches(CELL).count(), 1);
        // And a result of this run replaces what the file said.
        let mut rerun = compression_result("a", true);
        rerun.traffic_stats = None;
        write_one(&later, &rerun);
        assert_eq!(html().matches(CELL).count(), 0);
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
