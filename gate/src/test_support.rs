//! Shared fixtures for the unit and snapshot tests.

use std::path::PathBuf;

use wsspec_cases::{CloseVerdict, Verdict};
use wsspec_reports::{Index, IndexEntry};

use crate::report::LoadedReport;

/// An index entry with the given verdicts, `duration` in ms and the peer's close code.
pub(crate) fn entry(
    behavior: Verdict,
    close: CloseVerdict,
    duration: u64,
    remote_close_code: Option<u16>,
) -> IndexEntry {
    IndexEntry {
        behavior,
        behavior_close: close,
        duration,
        remote_close_code,
        reportfile: "x.json".into(),
    }
}

/// The short form for tables of cases: an entry that took 1 ms.
pub(crate) fn e(
    behavior: Verdict,
    close: CloseVerdict,
    remote_close_code: Option<u16>,
) -> IndexEntry {
    entry(behavior, close, 1, remote_close_code)
}

/// A clean pass: OK/OK, closed with 1000.
pub(crate) fn ok() -> IndexEntry {
    e(Verdict::Ok, CloseVerdict::Ok, Some(1000))
}

/// A report loaded from `dir` holding each agent's `(case id, entry)` rows.
pub(crate) fn report(dir: &str, agents: &[(&str, &[(&str, IndexEntry)])]) -> LoadedReport {
    let mut index = Index::new();
    for (agent, cases) in agents {
        index.insert(
            agent.to_string(),
            cases
                .iter()
                .map(|(id, e)| (id.to_string(), e.clone()))
                .collect(),
        );
    }
    LoadedReport {
        dir: PathBuf::from(dir),
        index,
    }
}
