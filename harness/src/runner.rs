//! Runs many cases concurrently against one target and keeps the reports current, so an
//! interrupted run still leaves a valid report of every finished case.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::{mpsc, Semaphore};
use wsspec_cases::Case;
use wsspec_reports::{CaseResult, IndexEntry, ReportDir, ReportError};

use crate::engine::{run_case, skipped_unreachable, Limits, Target};
use crate::tls::ClientTls;

/// How often the index is rewritten while cases finish.
const INDEX_FLUSH: Duration = Duration::from_millis(500);

/// Opening-handshake time-outs in a row after which the testee counts as hung.
const HUNG_AFTER: usize = 3;

/// Deliberate pauses from which a case no longer counts against `--jobs`.
const SLEEPER_WAIT: Duration = Duration::from_millis(500);

/// The sum of a case's deliberate pauses (`Step::Wait`).
fn deliberate_wait(case: &Case) -> Duration {
    let ms = case
        .steps
        .iter()
        .map(|s| match s {
            wsspec_cases::Step::Wait { ms, .. } => *ms,
            _ => 0,
        })
        .sum();
    Duration::from_millis(ms)
}

/// Everything a run needs.
pub struct RunConfig {
    /// The server under test.
    pub target: Target,
    /// The agent name results are filed under.
    pub agent: String,
    /// The cases, in catalogue order.
    pub cases: Vec<&'static Case>,
    /// Cases run at once.
    pub jobs: usize,
    /// Where the reports go.
    pub out: ReportDir,
    /// Harness timeouts and limits.
    pub limits: Limits,
    /// The dialect categories 1-10 are run over (`--draft`).
    pub draft: wsspec_cases::Dialect,
    /// How `wss://` targets are verified (`None`: the built-in roots).
    pub tls: Option<ClientTls>,
}

/// What a finished (or interrupted) run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// Index entries of the finished cases, by id.
    pub entries: BTreeMap<String, IndexEntry>,
    /// Whether Ctrl-C cut the run short.
    pub interrupted: bool,
    /// Wall time of the run.
    pub elapsed: Duration,
}

/// Why a run could not complete its reports.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A report file could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
}

/// Run the cases; `interrupt` resolves when the user asks to stop.
pub async fn run(
    config: RunConfig,
    interrupt: impl std::future::Future<Output = ()>,
) -> Result<RunOutcome, RunError> {
    let started = Instant::now();
    let RunConfig {
        target,
        agent,
        cases,
        jobs,
        out,
        limits,
        draft,
        tls,
    } = config;
    let positions: BTreeMap<&str, usize> = wsspec_cases::catalogue()
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i + 1))
        .collect();
    let progress = progress_bar(cases.len() as u64);
    let (tx, mut rx) = mpsc::channel::<CaseResult>(jobs.max(1) * 2);
    let semaphore = Arc::new(Semaphore::new(jobs.max(1)));
    let target = Arc::new(target);
    let limits = Arc::new(limits);
    let agent = Arc::new(agent);
    let tls = Arc::new(tls);
    let gone = Arc::new(AtomicBool::new(false));
    let gone_reason = Arc::new(std::sync::Mutex::new(String::new()));
    let silent = Arc::new(AtomicUsize::new(0));

    let launcher = {
        let tx = tx.clone();
        let (target, limits, agent, tls) =
            (target.clone(), limits.clone(), agent.clone(), tls.clone());
        let (gone, gone_reason, silent) = (gone.clone(), gone_reason.clone(), silent.clone());
        async move {
            let mut tasks = tokio::task::JoinSet::new();
            // Cases that mostly sleep on their own timers start at once, beside the
            // `jobs` busy ones: holding a slot through a deliberate pause would only
            // stretch the run, and their verdicts do not depend on what else runs.
            let (sleepers, busy): (Vec<_>, Vec<_>) = cases
                .into_iter()
                .partition(|c| deliberate_wait(c) >= SLEEPER_WAIT);
            for case in sleepers.into_iter().chain(busy) {
                let permit = if deliberate_wait(case) >= SLEEPER_WAIT {
                    None
                } else {
                    match semaphore.clone().acquire_owned().await {
                        Ok(p) => Some(p),
                        Err(_) => break,
                    }
                };
                let index = positions.get(case.id.as_str()).copied().unwrap_or(0);
                let (tx, target, limits, agent, tls) = (
                    tx.clone(),
                    target.clone(),
                    limits.clone(),
                    agent.clone(),
                    tls.clone(),
                );
                let (gone, gone_reason, silent) =
                    (gone.clone(), gone_reason.clone(), silent.clone());
                tasks.spawn(async move {
                    let result = if gone.load(Ordering::Relaxed) {
                        let reason = gone_reason.lock().map(|r| r.clone()).unwrap_or_default();
                        skipped_unreachable(case, index, &agent, &reason)
                    } else {
                        let tls = tls.as_ref().as_ref();
                        let run = run_case(case, index, &agent, &target, &limits, draft, tls).await;
                        // Refused connections mean the testee is gone; a few opening
                        // handshakes in a row that time out mean it hangs. Either way the
                        // remaining cases fail at once instead of each waiting it out.
                        let hung = if run.result.was_open_handshake_timeout {
                            silent.fetch_add(1, Ordering::Relaxed) + 1 >= HUNG_AFTER
                        } else {
                            silent.store(0, Ordering::Relaxed);
                            false
                        };
                        if run.unreachable || hung {
                            if let Ok(mut r) = gone_reason.lock() {
                                *r = run.result.was_not_clean_reason.clone().unwrap_or_default();
                            }
                            gone.store(true, Ordering::Relaxed);
                        }
                        run.result
                    };
                    drop(permit);
                    let _ = tx.send(result).await;
                });
                // Reap finished tasks so the set stays small.
                while tasks.try_join_next().is_some() {}
            }
            while tasks.join_next().await.is_some() {}
        }
    };
    drop(tx);

    let mut entries: BTreeMap<String, IndexEntry> = BTreeMap::new();
    let mut last_flush = Instant::now();
    let mut dirty = false;
    let mut interrupted = false;
    tokio::pin!(launcher);
    tokio::pin!(interrupt);
    let mut launcher_done = false;
    loop {
        tokio::select! {
            _ = &mut launcher, if !launcher_done => launcher_done = true,
            _ = &mut interrupt => {
                interrupted = true;
                break;
            }
            received = rx.recv() => match received {
                Some(result) => {
                    let file = out.write_case(&result)?;
                    progress.set_message(format!("{} {}", result.id, result.behavior.as_str()));
                    progress.inc(1);
                    entries.insert(result.id.clone(), result.index_entry(file));
                    dirty = true;
                    if last_flush.elapsed() >= INDEX_FLUSH {
                        out.write_index(&agent, &entries)?;
                        last_flush = Instant::now();
                        dirty = false;
                    }
                }
                None => break,
            },
        }
    }
    if dirty || entries.is_empty() {
        out.write_index(&agent, &entries)?;
    }
    progress.finish_and_clear();
    Ok(RunOutcome {
        entries,
        interrupted,
        elapsed: started.elapsed(),
    })
}

fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
    {
        bar.set_style(style);
    }
    bar
}

/// Why the target cannot be tested at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach {addr}: {reason}")]
pub struct Unreachable {
    /// The address tried.
    pub addr: String,
    /// What went wrong.
    pub reason: String,
}

/// Check the target accepts connections (and for `wss://` completes the TLS handshake
/// with `tls`, the built-in roots when `None`) and learn its `Server` header (Autobahn
/// names the agent after it when none is given).
pub async fn probe(
    target: &Target,
    tls: Option<&ClientTls>,
    limits: &Limits,
) -> Result<Option<String>, Unreachable> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = crate::transport::connect(target, tls, limits)
        .await
        .map_err(|e| Unreachable {
            addr: target.connect_addr(),
            reason: e.reason(),
        })?;
    let key = crate::handshake::random_key();
    let request = crate::handshake::client_request(&target.host_header, &target.resource, &key);
    let head = tokio::time::timeout(limits.open_handshake, async {
        stream.write_flushed(request.as_bytes()).await.ok()?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(n) = crate::handshake::head_len(&buf) {
                return crate::handshake::parse_head(&buf[..n]).ok();
            }
            if buf.len() > crate::handshake::MAX_HEAD_LEN {
                return None;
            }
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .ok()
    .flatten();
    let server = head.and_then(|h| h.header("Server").map(str::to_string));
    // Say goodbye properly: a masked close 1000 (and over TLS a close_notify).
    let _ = tokio::time::timeout(limits.close_handshake, async {
        stream
            .write_flushed(&[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8])
            .await?;
        if stream.is_tls() {
            stream.shutdown().await?;
        }
        std::io::Result::Ok(())
    })
    .await;
    Ok(server)
}
