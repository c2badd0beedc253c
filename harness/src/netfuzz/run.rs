//! The fuzz loop: generate, model, run through the engine, judge, confirm, minimize and
//! write each distinct finding once; probe the server's liveness on the way.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;
use wsspec_cases::{Case, CloseVerdict, Event, Expected, ExpectedClose, FrameSpec, Step};
use wsspec_reports::{CaseResult, EventRecord, WireRecord};

use super::action::{OpeningKind, Sequence};
use super::casefile::{CaseFile, CaseFileError};
use super::minimize::{minimize, Budget};
use super::model::{model, model_for, Meta, Modeled, PeerRole, Timing, FUZZ_CATEGORY};
use crate::engine::judge::NEVER_OPENED;
use crate::engine::{run_case, Limits, Target};
use crate::tls::ClientTls;

/// How often the server's liveness is probed while nothing else prompts it.
const PROBE_EVERY: Duration = Duration::from_secs(2);

/// Settle time of the confirming re-run, as a multiple of the normal one: a finding that
/// only comes from a peer slower than the settle time does not survive it.
const CONFIRM_SETTLE_FACTOR: u64 = 4;

/// Bytes of randomness each sequence is generated from.
const SEED_BYTES: usize = 4096;

/// Confirmations tried for one symptom before it counts as timing noise for good.
const CONFIRM_ATTEMPTS: usize = 3;

/// Recent sequences kept as crash suspects.
const SUSPECTS: usize = 8;

/// Everything a fuzz run needs.
#[derive(Debug, Clone)]
pub struct FuzzConfig {
    /// The server under test (loopback only).
    pub target: Target,
    /// How a `wss://` target is verified.
    pub tls: Option<ClientTls>,
    /// When to stop starting sequences.
    pub duration: Duration,
    /// Seed of the whole run: sequence `i` depends on (seed, i) only.
    pub seed: u64,
    /// Sequences run at once.
    pub jobs: usize,
    /// Output directory (findings go to `<out>/findings/`).
    pub out: PathBuf,
    /// Stop after this many sequences.
    pub max_sequences: Option<u64>,
    /// Timing of the generated cases.
    pub timing: Timing,
    /// Most re-runs minimizing one finding may take.
    pub minimize_runs: usize,
    /// Longest minimizing one finding may take.
    pub minimize_time: Duration,
    /// Draw a progress line on stderr.
    pub progress: bool,
    /// Stop starting sequences once this many findings are on file.
    pub stop_after: Option<usize>,
    /// Set to stop early (Ctrl-C): no new sequences start, the running ones finish.
    pub stop: Arc<AtomicBool>,
}

impl FuzzConfig {
    /// A configuration with the defaults of `wsspec fuzz`.
    pub fn new(target: Target, out: PathBuf) -> Self {
        FuzzConfig {
            target,
            tls: None,
            duration: Duration::from_secs(60),
            seed: 0,
            jobs: 2,
            out,
            max_sequences: None,
            timing: Timing::default(),
            minimize_runs: 200,
            minimize_time: Duration::from_secs(90),
            progress: true,
            stop_after: None,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Why a run could not start or write its findings.
#[derive(Debug, thiserror::Error)]
pub enum FuzzError {
    /// The target is not on the loopback interface.
    #[error("refusing to fuzz {0}: only 127.0.0.0/8 and ::1 targets are allowed (or a name that resolves only to them, like localhost)")]
    NotLoopback(String),
    /// The server does not accept a connection and complete a handshake to begin with.
    #[error("cannot fuzz {addr}: {reason}")]
    Unreachable {
        /// The address tried.
        addr: String,
        /// What went wrong.
        reason: String,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A case file could not be written.
    #[error(transparent)]
    CaseFile(#[from] CaseFileError),
}

/// What a finding looks like from outside: the key findings are deduplicated by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Symptom {
    /// The server stopped accepting connections or completing handshakes.
    Crash {
        /// What the liveness probe saw.
        reason: String,
    },
    /// The server stopped answering within the harness's timeouts.
    Hang {
        /// Where: "opening handshake", "closing handshake" or "case".
        phase: String,
    },
    /// The server broke RFC 6455 itself (masked frames, invalid close codes, …).
    Violation {
        /// The rule, numbers blanked.
        rule: String,
    },
    /// The opening handshake went wrong where the model expected it to succeed (or the
    /// server accepted what it must refuse).
    Handshake {
        /// The engine's explanation, numbers blanked.
        detail: String,
    },
    /// The server did something else than the model allows.
    Divergence {
        /// How the events differ from the strict expectation, when they are not
        /// acceptable (a FAILED behaviour).
        events: Option<String>,
        /// The close verdict.
        close: String,
        /// The close code the server sent.
        remote_code: Option<u16>,
        /// The server's close reason, numbers blanked: its own name for what it saw.
        reason: String,
        /// What the model expected of the ending, when the server gave no reason.
        expected: Option<String>,
    },
}

impl Symptom {
    /// A stable short hash naming the finding's file.
    pub fn hash(&self) -> String {
        use sha1::{Digest, Sha1};
        let json = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha1::digest(&json);
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// One line for humans.
    pub fn describe(&self) -> String {
        match self {
            Symptom::Crash { reason } => format!("crash: {reason}"),
            Symptom::Hang { phase } => format!("hang in the {phase}"),
            Symptom::Violation { rule } => format!("protocol violation by the server: {rule}"),
            Symptom::Handshake { detail } => format!("opening handshake: {detail}"),
            Symptom::Divergence {
                events,
                close,
                remote_code,
                reason,
                expected,
            } => {
                let mut s = match events {
                    Some(diff) => format!("unexpected events ({diff}); close {close}"),
                    None => format!("close {close}"),
                };
                s.push_str(&format!(
                    ": close code {}",
                    remote_code.map_or("none".to_string(), |c| c.to_string())
                ));
                if !reason.is_empty() {
                    s.push_str(&format!(" \"{reason}\""));
                }
                if let Some(e) = expected {
                    s.push_str(&format!(", expected: {e}"));
                }
                s
            }
        }
    }
}

/// One finding written by a run.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The case file.
    pub path: PathBuf,
    /// The symptom.
    pub symptom: Symptom,
    /// Actions in the written reproducer.
    pub actions: usize,
    /// Actions of the sequence that first showed it.
    pub original_actions: usize,
    /// Index of that sequence in the run.
    pub sequence_index: u64,
    /// Time into the run it was first seen (ms).
    pub found_after_ms: u64,
    /// Re-runs spent confirming and minimizing it.
    pub runs: usize,
}

/// What a fuzz run did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Sequences run (not counting confirmation and minimization re-runs).
    pub sequences: u64,
    /// Wall time (ms).
    pub elapsed_ms: u64,
    /// Sequences per second.
    pub rate: f64,
    /// Distinct findings, one file each.
    pub findings: Vec<Finding>,
    /// Findings whose symptom was already on file.
    pub duplicates: u64,
    /// Findings that did not reproduce on a confirming re-run (slow peer, timing).
    pub unconfirmed: u64,
    /// The symptoms of those, with the sequence index that showed each first.
    pub unconfirmed_symptoms: Vec<(u64, String)>,
    /// Distinct peer reactions: (HTTP status, response opcodes, close code).
    pub reactions: usize,
    /// Set when the server died or hung (the run stopped there).
    pub server_gone: Option<String>,
    /// The seed.
    pub seed: u64,
}

/// The sequence number `index` of the run with `seed`, cut until the model can judge it.
pub fn sequence_for(seed: u64, index: u64) -> Sequence {
    sequence_for_peer(seed, index, PeerRole::Server)
}

/// As [`sequence_for`], for a peer of this role (a client's has the standard opening).
pub fn sequence_for_peer(seed: u64, index: u64, peer: PeerRole) -> Sequence {
    let mut rng = rand::rngs::StdRng::seed_from_u64(splitmix(seed ^ splitmix(index)));
    let mut bytes = vec![0u8; SEED_BYTES];
    rng.fill_bytes(&mut bytes);
    let mut seq = Sequence::generate(&mut Unstructured::new(&bytes)).unwrap_or(Sequence {
        opening: OpeningKind::Standard,
        actions: Vec::new(),
    });
    if peer == PeerRole::Client {
        seq.opening = OpeningKind::Standard;
    }
    while model_for(&seq, "fuzz.gen", Timing::default(), peer).is_err() && !seq.actions.is_empty() {
        seq.actions.pop();
    }
    seq
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The harness's timeouts for fuzz cases: Autobahn's close timeouts, shorter slack.
pub fn fuzz_limits() -> Limits {
    Limits {
        connect: Duration::from_secs(3),
        open_handshake: Duration::from_secs(3),
        case_slack: Duration::from_secs(3),
        ..Limits::default()
    }
}

/// Refuse targets off the loopback interface (127.0.0.0/8, ::1): fuzzing sends hostile
/// traffic. A name (`localhost`) must resolve to loopback addresses only.
pub fn check_loopback(target: &Target) -> Result<(), FuzzError> {
    use std::net::ToSocketAddrs;
    let host = target.host.trim_start_matches('[').trim_end_matches(']');
    let ok = match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => (host, target.port).to_socket_addrs().is_ok_and(|addrs| {
            let addrs: Vec<_> = addrs.collect();
            !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback())
        }),
    };
    if ok {
        Ok(())
    } else {
        Err(FuzzError::NotLoopback(target.host.clone()))
    }
}

/// Blank the numbers and quoted values of an explanation (keys, ports, lengths), so
/// findings differing only in a value dedupe.
fn blank_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut quoted = false;
    for c in s.chars() {
        if c == '"' {
            if !quoted {
                out.push_str("\"…\"");
            }
            quoted = !quoted;
            continue;
        }
        if quoted {
            continue;
        }
        let c = if c.is_ascii_digit() { '#' } else { c };
        if !(c == '#' && out.ends_with('#')) {
            out.push(c);
        }
    }
    out
}

/// The parts of a case result a finding is judged from, whether the result is live or read
/// back from a per-case report file (server mode writes those).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// `behavior`, as Autobahn spells it.
    pub behavior: String,
    /// `behaviorClose`, as Autobahn spells it.
    pub behavior_close: String,
    /// `result`.
    pub result: String,
    /// `resultClose`.
    pub result_close: String,
    /// The harness failed the connection: the peer broke a rule.
    pub failed_by_me: bool,
    /// The harness started the closing handshake.
    pub closed_by_me: bool,
    /// The reason the harness closed with.
    pub local_close_reason: Option<String>,
    /// The peer's close code.
    pub remote_close_code: Option<u16>,
    /// The peer's close reason.
    pub remote_close_reason: Option<String>,
    /// Why the connection did not end cleanly.
    pub was_not_clean_reason: Option<String>,
    /// The opening handshake timed out.
    pub was_open_handshake_timeout: bool,
    /// The closing handshake timed out.
    pub was_close_handshake_timeout: bool,
    /// Messages, pongs and pings received.
    pub received: (usize, usize, usize),
}

impl From<&CaseResult> for Outcome {
    fn from(r: &CaseResult) -> Self {
        let mut n = (0, 0, 0);
        for e in &r.received {
            match e {
                EventRecord::Message(..) => n.0 += 1,
                EventRecord::Pong(_) => n.1 += 1,
                EventRecord::Ping(_) => n.2 += 1,
                EventRecord::Timeout(_) => {}
            }
        }
        Outcome {
            behavior: r.behavior.as_str().to_string(),
            behavior_close: r.behavior_close.as_str().to_string(),
            result: r.result.clone(),
            result_close: r.result_close.clone(),
            failed_by_me: r.failed_by_me,
            closed_by_me: r.closed_by_me,
            local_close_reason: r.local_close_reason.clone(),
            remote_close_code: r.remote_close_code,
            remote_close_reason: r.remote_close_reason.clone(),
            was_not_clean_reason: r.was_not_clean_reason.clone(),
            was_open_handshake_timeout: r.was_open_handshake_timeout,
            was_close_handshake_timeout: r.was_close_handshake_timeout,
            received: n,
        }
    }
}

impl Outcome {
    /// From a per-case report file's JSON (Autobahn's field names); `None` if it is not one.
    pub fn from_report(v: &serde_json::Value) -> Option<Self> {
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let flag = |k: &str| v.get(k).and_then(|x| x.as_bool()).unwrap_or(false);
        let mut n = (0, 0, 0);
        for e in v.get("received")?.as_array()? {
            match e.get(0).and_then(|k| k.as_str()) {
                Some("message") => n.0 += 1,
                Some("pong") => n.1 += 1,
                Some("ping") => n.2 += 1,
                _ => {}
            }
        }
        Some(Outcome {
            behavior: text("behavior")?,
            behavior_close: text("behaviorClose")?,
            result: text("result").unwrap_or_default(),
            result_close: text("resultClose").unwrap_or_default(),
            failed_by_me: flag("failedByMe"),
            closed_by_me: flag("closedByMe"),
            local_close_reason: text("localCloseReason"),
            remote_close_code: v
                .get("remoteCloseCode")
                .and_then(|c| c.as_u64())
                .and_then(|c| u16::try_from(c).ok()),
            remote_close_reason: text("remoteCloseReason"),
            was_not_clean_reason: text("wasNotCleanReason"),
            was_open_handshake_timeout: flag("wasOpenHandshakeTimeout"),
            was_close_handshake_timeout: flag("wasCloseHandshakeTimeout"),
            received: n,
        })
    }
}

/// How received events differ from the strict expectation, in counts.
fn event_difference(received: (usize, usize, usize), primary: &[Event]) -> String {
    let (rm, rp, ri) = received;
    let em = primary
        .iter()
        .filter(|e| matches!(e, Event::Message { .. }))
        .count();
    let ep = primary
        .iter()
        .filter(|e| matches!(e, Event::Pong(_)))
        .count();
    let cmp = |got: usize, want: usize| match got.cmp(&want) {
        std::cmp::Ordering::Less => "fewer",
        std::cmp::Ordering::Equal => "as many",
        std::cmp::Ordering::Greater => "more",
    };
    let mut s = format!("{} messages, {} pongs", cmp(rm, em), cmp(rp, ep));
    if ri > 0 {
        s.push_str(", unsolicited pings");
    }
    s
}

/// Whether a run result is a finding, and which.
pub fn classify(r: &CaseResult, meta: &Meta) -> Option<Symptom> {
    classify_outcome(&Outcome::from(r), meta)
}

/// Whether an outcome is a finding, and which: a protocol violation by the peer, a hang,
/// a failed handshake, or a FAILED / WRONG CODE / UNCLEAN / FAILED BY CLIENT verdict
/// (never NON-STRICT or INFORMATIONAL: those are latitude the RFC gives).
pub fn classify_outcome(r: &Outcome, meta: &Meta) -> Option<Symptom> {
    const FAILED: &str = "FAILED";
    if r.failed_by_me {
        let text = r
            .local_close_reason
            .clone()
            .filter(|_| r.closed_by_me)
            .or_else(|| r.was_not_clean_reason.clone())
            .unwrap_or_default();
        let text = text
            .trim_start_matches("I failed the connection: ")
            .trim_start_matches("peer violated RFC 6455: ");
        return Some(Symptom::Violation {
            rule: blank_numbers(text),
        });
    }
    if r.was_open_handshake_timeout {
        return Some(Symptom::Hang {
            phase: "opening handshake".into(),
        });
    }
    if r.result_close == NEVER_OPENED || r.result == NEVER_OPENED {
        return (r.behavior == FAILED).then(|| Symptom::Handshake {
            detail: blank_numbers(&r.result),
        });
    }
    if meta.informational {
        return None;
    }
    if r.was_close_handshake_timeout {
        return Some(Symptom::Hang {
            phase: "closing handshake".into(),
        });
    }
    if r.was_not_clean_reason
        .as_deref()
        .is_some_and(|w| w.contains("exceeded its time limit"))
    {
        return Some(Symptom::Hang {
            phase: "case".into(),
        });
    }
    let bad_close = [
        CloseVerdict::Failed,
        CloseVerdict::WrongCode,
        CloseVerdict::Unclean,
        CloseVerdict::FailedByClient,
    ]
    .iter()
    .any(|v| v.as_str() == r.behavior_close);
    if r.behavior == FAILED || bad_close {
        // A reason that echoes ours names nothing.
        let own = r
            .remote_close_reason
            .as_deref()
            .filter(|reason| Some(*reason) != r.local_close_reason.as_deref());
        let reason = blank_numbers(own.unwrap_or_default());
        // With the peer's own reason the finding is named by it (one bug reached by
        // several routes is one finding); without, by what the model expected.
        let expected = reason.is_empty().then(|| meta.expect_class.clone());
        return Some(Symptom::Divergence {
            events: (r.behavior == FAILED).then(|| event_difference(r.received, &meta.primary)),
            close: r.behavior_close.clone(),
            remote_code: r.remote_close_code,
            reason,
            expected,
        });
    }
    None
}

/// The peer's reaction: HTTP status, opcodes of its frames, its close code.
fn reaction(r: &CaseResult) -> u64 {
    let status: Option<u16> = r
        .http_response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok());
    let opcodes: Vec<u8> = r
        .wirelog
        .iter()
        .filter_map(|w| match w {
            WireRecord::RxFrame { opcode, .. } => Some(*opcode),
            _ => None,
        })
        .collect();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (status, opcodes, r.remote_close_code).hash(&mut h);
    h.finish()
}

/// What the loop needs to run a case again (shared with the minimizer's futures).
#[derive(Debug, Clone)]
pub struct Runner {
    target: Target,
    tls: Option<ClientTls>,
    limits: Limits,
}

/// One run of a sequence: the model's notes and the engine's result.
pub struct Ran {
    /// The modeled case.
    pub modeled: Modeled,
    /// The engine's result.
    pub result: CaseResult,
    /// The connection could not be made.
    pub unreachable: bool,
}

impl Runner {
    /// A runner for this target.
    pub fn new(target: Target, tls: Option<ClientTls>) -> Self {
        Runner {
            target,
            tls,
            limits: fuzz_limits(),
        }
    }

    /// The same runner with three times the closing-handshake and TCP-drop timeouts: a
    /// confirming run, so a peer that is merely slow on a busy machine is no hang.
    pub fn patient(&self) -> Runner {
        let mut r = self.clone();
        r.limits.close_handshake *= 3;
        r.limits.server_drop *= 3;
        r
    }

    /// Model and run a sequence; `None` when the model cannot judge it.
    pub async fn run(&self, seq: &Sequence, id: &str, timing: Timing) -> Option<Ran> {
        let modeled = model(seq, id, timing).ok()?;
        Some(self.run_modeled(modeled).await)
    }

    /// Run a modeled case.
    pub async fn run_modeled(&self, modeled: Modeled) -> Ran {
        let run = run_case(
            &modeled.case,
            0,
            "wsspec-fuzz",
            &self.target,
            &self.limits,
            wsspec_cases::Dialect::Rfc6455,
            self.tls.as_ref(),
        )
        .await;
        Ran {
            modeled,
            result: run.result,
            unreachable: run.unreachable,
        }
    }

    /// The symptom a sequence shows now, if any.
    pub async fn symptom(&self, seq: &Sequence, timing: Timing) -> Option<Symptom> {
        let ran = self.run(seq, "fuzz.check", timing).await?;
        classify(&ran.result, &ran.modeled.meta)
    }

    /// Whether the server still accepts a connection and answers the opening request
    /// (probed twice before giving up on it); `Err` says how it failed.
    pub async fn alive(&self) -> Result<(), String> {
        let mut last = String::new();
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let run = run_case(
                &PROBE,
                0,
                "wsspec-fuzz",
                &self.target,
                &self.limits,
                wsspec_cases::Dialect::Rfc6455,
                self.tls.as_ref(),
            )
            .await;
            let r = &run.result;
            last = if run.unreachable {
                format!(
                    "the server no longer accepts connections ({})",
                    r.was_not_clean_reason.as_deref().unwrap_or("refused")
                )
            } else if r.was_open_handshake_timeout {
                "the server accepts connections but no longer completes the opening handshake"
                    .to_string()
            } else if r.http_response.is_empty() || r.http_response == "?" {
                "the server accepts connections but closes them without answering".to_string()
            } else {
                // It answers, rightly or wrongly: a wrong answer is a handshake finding of
                // the sequences, not a dead server.
                return Ok(());
            };
        }
        Err(last)
    }
}

/// The liveness probe: open, echo one message, close.
static PROBE: LazyLock<Case> = LazyLock::new(|| {
    let mut c = Case::new(
        "fuzz.liveness",
        FUZZ_CATEGORY,
        "Liveness probe: one text message.",
        "The server completes the opening handshake and echoes the message.",
    );
    c.steps = vec![
        Step::Send(FrameSpec::text("wsspec fuzz liveness probe")),
        Step::CloseAfter(2000),
    ];
    c.expected = Expected::ok(vec![Event::text("wsspec fuzz liveness probe")]);
    c.expected_close = ExpectedClose::normal();
    c
});

/// A finished sequence, from a task.
struct Done {
    index: u64,
    seq: Sequence,
    ran: Option<Ran>,
}

/// Run the fuzzer until the duration or the sequence budget is spent, or the server dies.
pub async fn fuzz(config: FuzzConfig) -> Result<Report, FuzzError> {
    check_loopback(&config.target)?;
    let findings_dir = config.out.join("findings");
    std::fs::create_dir_all(&findings_dir).map_err(|source| FuzzError::Io {
        path: findings_dir.clone(),
        source,
    })?;
    let runner = Arc::new(Runner::new(config.target.clone(), config.tls.clone()));
    runner
        .alive()
        .await
        .map_err(|reason| FuzzError::Unreachable {
            addr: config.target.connect_addr(),
            reason,
        })?;

    let started = Instant::now();
    let deadline = started + config.duration;
    let progress = progress_bar(config.progress);
    let mut tasks: JoinSet<Done> = JoinSet::new();
    let mut next: u64 = 0;
    let mut sequences: u64 = 0;
    let mut seen: HashMap<Symptom, PathBuf> = HashMap::new();
    let mut failed_confirmations: HashMap<Symptom, usize> = HashMap::new();
    let mut unconfirmed_symptoms = Vec::new();
    let mut reactions: HashSet<u64> = HashSet::new();
    let mut findings = Vec::new();
    let mut duplicates = 0u64;
    let mut unconfirmed = 0u64;
    let mut server_gone = None;
    let mut recent: VecDeque<(u64, Sequence)> = VecDeque::new();
    let mut last_probe = Instant::now();
    let mut last_draw = Instant::now();
    let in_budget = |next: u64| config.max_sequences.map_or(true, |m| next < m);

    loop {
        while server_gone.is_none()
            && !config.stop.load(Ordering::Relaxed)
            && config.stop_after.map_or(true, |n| findings.len() < n)
            && tasks.len() < config.jobs.max(1)
            && Instant::now() < deadline
            && in_budget(next)
        {
            let index = next;
            next += 1;
            let seq = sequence_for(config.seed, index);
            let runner = runner.clone();
            let timing = config.timing;
            tasks.spawn(async move {
                let ran = runner.run(&seq, &format!("fuzz.{index}"), timing).await;
                Done { index, seq, ran }
            });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let Ok(done) = joined else { continue };
        sequences += 1;
        recent.push_back((done.index, done.seq.clone()));
        if recent.len() > SUSPECTS {
            recent.pop_front();
        }
        let Some(ran) = done.ran else { continue };
        reactions.insert(reaction(&ran.result));
        let symptom = classify(&ran.result, &ran.modeled.meta);
        let suspicious = ran.unreachable || symptom.is_some();
        if server_gone.is_none() && (suspicious || last_probe.elapsed() >= PROBE_EVERY) {
            last_probe = Instant::now();
            if let Err(reason) = runner.alive().await {
                let symptom = Symptom::Crash {
                    reason: blank_numbers(&reason),
                };
                let suspects: Vec<Sequence> = recent.iter().map(|(_, s)| s.clone()).collect();
                let path = write_crash(
                    &findings_dir,
                    &config,
                    &symptom,
                    &done.seq,
                    done.index,
                    suspects,
                    &ran,
                )?;
                progress.suspend(|| {
                    eprintln!("wsspec fuzz: {} -> {}", symptom.describe(), path.display())
                });
                findings.push(Finding {
                    path,
                    actions: done.seq.actions.len(),
                    original_actions: done.seq.actions.len(),
                    sequence_index: done.index,
                    found_after_ms: started.elapsed().as_millis() as u64,
                    runs: 0,
                    symptom,
                });
                server_gone = Some(reason);
                tasks.abort_all();
                continue;
            }
        }
        if let Some(symptom) = symptom {
            let attempts = failed_confirmations.get(&symptom).copied().unwrap_or(0);
            if seen.contains_key(&symptom) {
                duplicates += 1;
            } else if attempts >= CONFIRM_ATTEMPTS {
                unconfirmed += 1;
            } else {
                let found_after_ms = started.elapsed().as_millis() as u64;
                progress.suspend(|| {
                    eprintln!(
                        "wsspec fuzz: sequence {} shows \"{}\"; confirming and minimizing",
                        done.index,
                        symptom.describe()
                    );
                });
                match investigate(&runner, &config, &symptom, &done.seq).await {
                    Some((minimal, runs, timing)) => {
                        let path = write_finding(
                            &findings_dir,
                            &runner,
                            &config,
                            &symptom,
                            &minimal,
                            timing,
                            done.index,
                            done.seq.actions.len(),
                        )
                        .await?;
                        progress.suspend(|| {
                            eprintln!(
                                "wsspec fuzz: finding ({} actions, from {}): {} -> {}",
                                minimal.actions.len(),
                                done.seq.actions.len(),
                                symptom.describe(),
                                path.display()
                            )
                        });
                        seen.insert(symptom.clone(), path.clone());
                        findings.push(Finding {
                            path,
                            symptom,
                            actions: minimal.actions.len(),
                            original_actions: done.seq.actions.len(),
                            sequence_index: done.index,
                            found_after_ms,
                            runs,
                        });
                    }
                    None => {
                        unconfirmed += 1;
                        let tries = failed_confirmations.entry(symptom.clone()).or_insert(0);
                        if *tries == 0 {
                            unconfirmed_symptoms.push((done.index, symptom.describe()));
                        }
                        *tries += 1;
                    }
                }
            }
        }
        if last_draw.elapsed() >= Duration::from_millis(200) {
            last_draw = Instant::now();
            draw(
                &progress,
                started,
                sequences,
                findings.len(),
                reactions.len(),
            );
        }
    }
    progress.finish_and_clear();
    let elapsed = started.elapsed();
    let report = Report {
        sequences,
        elapsed_ms: elapsed.as_millis() as u64,
        rate: sequences as f64 / elapsed.as_secs_f64().max(0.001),
        findings,
        duplicates,
        unconfirmed,
        unconfirmed_symptoms,
        reactions: reactions.len(),
        server_gone,
        seed: config.seed,
    };
    write_summary(&config.out, &report)?;
    Ok(report)
}

/// Write `<out>/summary.json` whole or not at all (a reader polls for it).
pub fn write_summary(out: &Path, report: &impl Serialize) -> Result<(), FuzzError> {
    let path = out.join("summary.json");
    let tmp = out.join(".summary.json.tmp");
    let json = serde_json::to_string_pretty(report).unwrap_or_default();
    std::fs::write(&tmp, json + "\n")
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|source| FuzzError::Io { path, source })
}

/// Confirm a finding with a slower re-run, then minimize it. Returns the reproducer, the
/// runs spent and the timing it reproduces with; `None` if it did not reproduce.
async fn investigate(
    runner: &Arc<Runner>,
    config: &FuzzConfig,
    symptom: &Symptom,
    seq: &Sequence,
) -> Option<(Sequence, usize, Timing)> {
    let slow = Timing {
        settle_ms: config.timing.settle_ms * CONFIRM_SETTLE_FACTOR,
    };
    let patient = runner.patient();
    if patient.symptom(seq, slow).await.as_ref() != Some(symptom) {
        return None;
    }
    let mut budget = Budget::new(config.minimize_runs, Instant::now() + config.minimize_time);
    let test = |candidate: Sequence| {
        let runner = runner.clone();
        let symptom = symptom.clone();
        let timing = config.timing;
        async move { runner.symptom(&candidate, timing).await.as_ref() == Some(&symptom) }
    };
    let minimal = minimize(seq.clone(), &mut budget, test).await;
    let mut runs = budget.used() + 1;
    // The reproducer must hold with the slow timing too, or the original is kept.
    runs += 1;
    if patient.symptom(&minimal, slow).await.as_ref() == Some(symptom) {
        Some((minimal, runs, slow))
    } else {
        Some((seq.clone(), runs, slow))
    }
}

/// Write a confirmed finding's case file; returns its path.
#[allow(clippy::too_many_arguments)]
async fn write_finding(
    dir: &Path,
    runner: &Runner,
    config: &FuzzConfig,
    symptom: &Symptom,
    seq: &Sequence,
    timing: Timing,
    index: u64,
    original: usize,
) -> Result<PathBuf, FuzzError> {
    let id = format!("fuzz.{}", symptom.hash());
    // One more run, recorded in the file: what the server did with the reproducer.
    let observed = runner
        .run(seq, &id, timing)
        .await
        .map(|ran| observed_json(&ran.result));
    let file = CaseFile::new(&id, seq.clone(), timing)
        .with_finding(symptom.clone(), config.seed, index, original)
        .with_observed(observed);
    let path = dir.join(format!("{}.json", symptom.hash()));
    file.save(&path)?;
    Ok(path)
}

/// Write a crash finding: the sequence that saw the server go, and the recent suspects
/// (a dead server cannot be re-run, so no minimization).
#[allow(clippy::too_many_arguments)]
fn write_crash(
    dir: &Path,
    config: &FuzzConfig,
    symptom: &Symptom,
    seq: &Sequence,
    index: u64,
    suspects: Vec<Sequence>,
    ran: &Ran,
) -> Result<PathBuf, FuzzError> {
    let id = format!("fuzz.{}", symptom.hash());
    let mut file = CaseFile::new(&id, seq.clone(), config.timing)
        .with_finding(symptom.clone(), config.seed, index, seq.actions.len())
        .with_observed(Some(observed_json(&ran.result)));
    file.suspects = suspects;
    let path = dir.join(format!("{}.json", symptom.hash()));
    file.save(&path)?;
    Ok(path)
}

/// The parts of a result a case file keeps: verdicts, events, close, a bounded wire log.
pub fn observed_json(r: &CaseResult) -> serde_json::Value {
    let wirelog: Vec<&WireRecord> = r.wirelog.iter().take(200).collect();
    serde_json::json!({
        "behavior": r.behavior,
        "behaviorClose": r.behavior_close,
        "result": r.result,
        "resultClose": r.result_close,
        "httpResponse": r.http_response,
        "received": r.received,
        "remoteCloseCode": r.remote_close_code,
        "remoteCloseReason": r.remote_close_reason,
        "closedByMe": r.closed_by_me,
        "wasClean": r.was_clean,
        "wasNotCleanReason": r.was_not_clean_reason,
        "wirelog": wirelog,
    })
}

fn progress_bar(show: bool) -> ProgressBar {
    let target = if show {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(None, target);
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
        bar.set_style(style);
    }
    bar
}

fn draw(bar: &ProgressBar, started: Instant, sequences: u64, findings: usize, reactions: usize) {
    let rate = sequences as f64 / started.elapsed().as_secs_f64().max(0.001);
    bar.set_message(format!(
        "{sequences} sequences ({rate:.1}/s), {findings} findings, {reactions} distinct reactions"
    ));
    bar.tick();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        for ok in [
            "ws://127.0.0.1:1",
            "ws://127.8.9.10:1",
            "ws://[::1]:1",
            "ws://localhost:1",
        ] {
            assert!(check_loopback(&Target::parse(ok).unwrap()).is_ok(), "{ok}");
        }
        for bad in [
            "ws://10.0.0.1:1",
            "ws://192.0.2.7:1",
            "ws://[::2]:1",
            "ws://0.0.0.0:1",
        ] {
            assert!(
                check_loopback(&Target::parse(bad).unwrap()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn numbers_are_blanked() {
        assert_eq!(
            blank_numbers("invalid close code 1005"),
            "invalid close code #"
        );
        assert_eq!(blank_numbers("RSV bits 0b001"), "RSV bits #b#");
        assert_eq!(
            blank_numbers(r#"Accept "abc=" does not match "xyz=""#),
            r#"Accept "…" does not match "…""#
        );
    }

    #[test]
    fn sequences_depend_on_seed_and_index_only() {
        assert_eq!(sequence_for(1, 5), sequence_for(1, 5));
        assert_ne!(sequence_for(1, 5), sequence_for(2, 5));
        for i in 0..300 {
            let s = sequence_for(7, i);
            assert!(model(&s, "x", Timing::default()).is_ok());
        }
    }

    #[test]
    fn symptom_hashes_are_stable() {
        let s = Symptom::Hang {
            phase: "case".into(),
        };
        assert_eq!(s.hash(), s.clone().hash());
        assert_eq!(s.hash().len(), 16);
    }
}
