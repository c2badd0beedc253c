//! `wsspec fuzz --listen`: the fuzzer against clients that connect in, over server mode's
//! machinery and Autobahn's client convention (`/getCaseCount`, `/runCase?case=N&agent=A`,
//! `/updateReports`). The sequences are generated up front (a client asks for the count
//! first), modeled for a client peer, served as cases, and judged from the per-case
//! reports once every agent ran them all. A client runs each case once, so findings are
//! written as they first showed, deduplicated per agent and symptom, not minimized.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use wsspec_cases::Case;
use wsspec_reports::ReportDir;

use super::action::Sequence;
use super::casefile::CaseFile;
use super::model::{model_for, Meta, PeerRole, Timing};
use super::run::{
    classify_outcome, fuzz_limits, sequence_for_peer, write_summary, FuzzError, Outcome, Symptom,
};
use crate::server::{Server, ServerConfig};
use crate::transport::Listener;

/// How often the results are polled for completeness.
const POLL: Duration = Duration::from_millis(300);

/// What `wsspec fuzz --listen` needs.
#[derive(Debug, Clone)]
pub struct ListenConfig {
    /// Seed of the run.
    pub seed: u64,
    /// Number of sequences offered (the case count).
    pub sequences: u64,
    /// Output directory: `reports/` (server mode's reports), `findings/`, `summary.json`.
    pub out: PathBuf,
    /// Timing of the generated cases.
    pub timing: Timing,
    /// Longest the server waits for clients to run every case.
    pub duration: Duration,
    /// Set to stop early (Ctrl-C).
    pub stop: Arc<AtomicBool>,
}

/// One client finding.
#[derive(Debug, Clone, Serialize)]
pub struct ClientFinding {
    /// The client's agent name.
    pub agent: String,
    /// The case file.
    pub path: PathBuf,
    /// The symptom.
    pub symptom: Symptom,
    /// The case index (1-based, as in `/runCase?case=N`).
    pub case: usize,
    /// Actions of the sequence.
    pub actions: usize,
}

/// What a `--listen` run did.
#[derive(Debug, Clone, Serialize)]
pub struct ClientReport {
    /// Cases offered.
    pub cases: usize,
    /// Results per agent.
    pub agents: BTreeMap<String, usize>,
    /// Distinct findings (per agent and symptom).
    pub findings: Vec<ClientFinding>,
    /// Findings whose symptom was already on file for that agent.
    pub duplicates: u64,
    /// The seed.
    pub seed: u64,
}

/// Serve generated cases to clients until every agent that connected ran them all, the
/// duration passes, or the stop flag is set; then judge and write the findings.
pub async fn fuzz_clients(
    listener: impl Into<Listener>,
    config: ListenConfig,
) -> Result<ClientReport, FuzzError> {
    let io = |path: PathBuf| move |source| FuzzError::Io { path, source };
    let findings_dir = config.out.join("findings");
    std::fs::create_dir_all(&findings_dir).map_err(io(findings_dir.clone()))?;
    let reports_dir = config.out.join("reports");
    let reports = ReportDir::create(&reports_dir).map_err(|e| FuzzError::Io {
        path: reports_dir.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;

    let mut sequences: Vec<Sequence> = Vec::new();
    let mut metas: Vec<Meta> = Vec::new();
    let mut cases: Vec<&'static Case> = Vec::new();
    for i in 0..config.sequences {
        let seq = sequence_for_peer(config.seed, i, PeerRole::Client);
        let Ok(m) = model_for(
            &seq,
            &format!("fuzz.{}", i + 1),
            config.timing,
            PeerRole::Client,
        ) else {
            continue;
        };
        metas.push(m.meta);
        // Server mode takes `&'static Case` (the catalogue is static); these live until the
        // process ends, so leaking them once is the simplest owner.
        cases.push(&*Box::leak(Box::new(m.case)));
        sequences.push(seq);
    }
    let count = cases.len();
    let server = Server::new(ServerConfig {
        cases,
        out: reports,
        limits: fuzz_limits(),
        skip_for_agent: None,
    })
    .map_err(|e| FuzzError::Io {
        path: reports_dir.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;

    let deadline = Instant::now() + config.duration;
    let watcher = server.clone();
    let stop = config.stop.clone();
    let done = async move {
        loop {
            tokio::time::sleep(POLL).await;
            let results = watcher.results();
            let complete = !results.is_empty() && results.values().all(|r| r.len() >= count);
            if complete || stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                // A client asks for /updateReports right after its last case: let it.
                tokio::time::sleep(Duration::from_millis(500)).await;
                return;
            }
        }
    };
    server
        .run(listener, done)
        .await
        .map_err(|e| FuzzError::Io {
            path: reports_dir.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;

    let mut findings = Vec::new();
    let mut duplicates = 0;
    let mut seen: HashSet<(String, Symptom)> = HashSet::new();
    let mut agents = BTreeMap::new();
    for (agent, entries) in server.results() {
        agents.insert(agent.clone(), entries.len());
        for (id, entry) in entries {
            let Some(index) = id
                .strip_prefix("fuzz.")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| (1..=sequences.len()).contains(n))
            else {
                continue;
            };
            let path = reports_dir.join(&entry.reportfile);
            let Some(outcome) = std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| Outcome::from_report(&v))
            else {
                continue;
            };
            let Some(symptom) = classify_outcome(&outcome, &metas[index - 1]) else {
                continue;
            };
            if !seen.insert((agent.clone(), symptom.clone())) {
                duplicates += 1;
                continue;
            }
            let seq = sequences[index - 1].clone();
            let name = format!(
                "{}-{}.json",
                wsspec_reports::clean_for_filename(&agent),
                symptom.hash()
            );
            let mut file = CaseFile::new(
                &format!("fuzz.{}", symptom.hash()),
                seq.clone(),
                config.timing,
            )
            .with_finding(
                symptom.clone(),
                config.seed,
                (index - 1) as u64,
                seq.actions.len(),
            )
            .with_observed(
                std::fs::read(&path)
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok()),
            );
            file.peer = PeerRole::Client;
            let file_path = findings_dir.join(name);
            file.save(&file_path)?;
            findings.push(ClientFinding {
                agent: agent.clone(),
                path: file_path,
                symptom,
                case: index,
                actions: seq.actions.len(),
            });
        }
    }
    let report = ClientReport {
        cases: count,
        agents,
        findings,
        duplicates,
        seed: config.seed,
    };
    write_summary(&config.out, &report)?;
    Ok(report)
}
