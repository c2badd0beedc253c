//! Server mode: wsspec is the server, a WebSocket client (a library or a browser) under
//! test connects, and the catalogue's cases run with roles reversed.
//!
//! The URL protocol is Autobahn's fuzzingserver one: `/getCaseCount`, `/getCaseInfo`,
//! `/runCase`, `/getCaseStatus`, `/updateReports`, `/stopServer`. Results are kept per
//! agent in memory and written to the report directory the moment each case finishes. A
//! plain `GET /` serves a self-contained browser page that drives the same protocol, and
//! `GET /reports/<file>` serves the reports.

pub mod http;
#[cfg(test)]
mod tests;
mod wire;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{timeout, timeout_at, Instant};
use wsspec_cases::{select, Case, Dialect, Negotiation, Opening, Patterns, ServerAnswer};

use crate::codec::deflate::{self, Agreed, PmdParams, Side};
use wsspec_reports::{case_json_name, CaseResult, IndexEntry, ReportDir, ReportError};

use crate::codec::hixie;
use crate::echo::{accept_request, is_per_connection, Upgrade};
use crate::engine::{expressible_in_hixie, not_expressible, serve_case, Limits};
use crate::handshake::{parse_head, Head};
use crate::transport::{Listener, Stream};
use http::{
    content_type, error_response, faulty_response, is_plain_file_name, read_head, response_head,
    switching_response, HeadError, RequestTarget,
};

/// Most connections served at once; further ones wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 64;
/// Time a client has to send its whole request head (also drops silent connections).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest `/getCaseStatus` waits for a case that is still running.
pub const STATUS_WAIT: Duration = Duration::from_secs(120);
/// Longest agent name accepted.
pub const MAX_AGENT_LEN: usize = 256;
/// Largest report file served over HTTP.
pub const MAX_SERVED_FILE: u64 = 64 * 1024 * 1024;
/// Time allowed for writing one HTTP response.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);

/// The browser test page served at `/`.
pub const BROWSER_PAGE: &str = include_str!("page.html");

/// Whether a case runs with roles reversed: the client-only cases (categories 20 and 21),
/// the cases with the default opening in categories 1-10, and the compression cases whose
/// offer the client makes itself (12, 13 and 21; not the invalid offers a server must
/// decline, which only a server can be tested with).
pub fn runs_as_server(case: &Case) -> bool {
    let own_offer = case
        .compression
        .as_ref()
        .is_some_and(|c| c.negotiation != Negotiation::MustDecline);
    case.tests_clients_only()
        || (case.opening == Opening::default() && case.category.number <= 10)
        || (own_offer && case.opening.dialect == Dialect::Rfc6455)
}

/// The cases server mode offers: those the patterns select that run as the server, in
/// catalogue order (`case=N` is the 1-based index into this list).
pub fn server_cases(include: &Patterns, exclude: &Patterns) -> Vec<&'static Case> {
    select(include, exclude)
        .into_iter()
        .filter(|c| runs_as_server(c))
        .collect()
}

/// Why server mode cannot start or finish.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// No case selected.
    #[error("no case to serve: the patterns selected none that runs with wsspec as the server")]
    NoCases,
    /// The report directory could not be read or written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A blocking report task failed to run.
    #[error("report writer task failed: {0}")]
    Task(String),
}

/// What server mode needs.
pub struct ServerConfig {
    /// The cases offered, in order (see [`server_cases`]).
    pub cases: Vec<&'static Case>,
    /// Where the reports go.
    pub out: ReportDir,
    /// Harness timeouts and limits for the cases.
    pub limits: Limits,
    /// Autobahn's `exclude-agent-cases`: whether (agent, case id) is left out.
    pub skip_for_agent: Option<AgentFilter>,
}

/// A predicate on (agent, case id), shared by every connection.
pub type AgentFilter = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// Why [`Server::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// A client asked for it (`/stopServer`, `/updateReports?shutdownOnComplete=true`).
    StopRequested,
    /// The `interrupt` future resolved (Ctrl-C).
    Interrupted,
}

/// Results per agent, per case id.
pub type Results = BTreeMap<String, BTreeMap<String, IndexEntry>>;

struct Shared {
    cases: Vec<&'static Case>,
    out: ReportDir,
    limits: Limits,
    skip_for_agent: Option<AgentFilter>,
    results: Mutex<Results>,
    /// Bumped after each stored result, so `/getCaseStatus` can wait.
    finished: watch::Sender<u64>,
    /// `runCase` connections per agent whose result is not stored yet, so
    /// `/updateReports` can wait for them (a client asks right after its last case closes).
    running: Mutex<BTreeMap<String, usize>>,
    /// Set once a client asks the server to stop.
    stop: watch::Sender<bool>,
}

/// A server-mode instance: the case list and the result store. Cheap to clone.
#[derive(Clone)]
pub struct Server {
    shared: Arc<Shared>,
}

impl Server {
    /// A server for `config`; fails when no case is selected or the report directory holds
    /// a malformed `index.json`.
    pub fn new(config: ServerConfig) -> Result<Self, ServerError> {
        if config.cases.is_empty() {
            return Err(ServerError::NoCases);
        }
        config.out.read_index()?;
        Ok(Server {
            shared: Arc::new(Shared {
                cases: config.cases,
                out: config.out,
                limits: config.limits,
                skip_for_agent: config.skip_for_agent,
                results: Mutex::new(BTreeMap::new()),
                finished: watch::channel(0).0,
                running: Mutex::new(BTreeMap::new()),
                stop: watch::channel(false).0,
            }),
        })
    }

    /// The cases offered.
    pub fn cases(&self) -> &[&'static Case] {
        &self.shared.cases
    }

    /// A snapshot of the results stored so far.
    pub fn results(&self) -> Results {
        self.shared.lock_results().clone()
    }

    /// Ask [`Server::run`] to stop, as `/stopServer` does.
    pub fn stop(&self) {
        self.shared.stop.send_replace(true);
    }

    /// Accept connections until a client asks to stop or `interrupt` resolves; then abort
    /// connections still open and rewrite the index of every agent seen. A `TcpListener`
    /// serves plain `ws://`/`http://`; a TLS [`Listener`] `wss://`/`https://`.
    pub async fn run(
        &self,
        listener: impl Into<Listener>,
        interrupt: impl Future<Output = ()>,
    ) -> Result<Stopped, ServerError> {
        let listener = listener.into();
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut tasks = JoinSet::new();
        let mut stop = self.shared.stop.subscribe();
        tokio::pin!(interrupt);
        let stopped = loop {
            while tasks.try_join_next().is_some() {}
            let accept = async {
                let permit = slots.clone().acquire_owned().await;
                (permit, listener.accept().await)
            };
            tokio::select! {
                _ = &mut interrupt => break Stopped::Interrupted,
                _ = async { stop.wait_for(|s| *s).await.is_ok() } => break Stopped::StopRequested,
                (permit, accepted) = accept => match accepted {
                    Ok(incoming) => {
                        let shared = self.shared.clone();
                        tasks.spawn(async move {
                            // The TLS handshake counts against the time for the head.
                            if let Some(stream) = incoming.open(HEAD_TIMEOUT).await {
                                handle(shared, stream).await;
                            }
                            drop(permit);
                        });
                    }
                    Err(e) if is_per_connection(&e) => {}
                    // Out of descriptors or memory: back off instead of spinning on accept.
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                },
            }
        };
        tasks.shutdown().await;
        self.flush().await?;
        Ok(stopped)
    }

    /// Rewrite index.json and index.html with every agent's results.
    pub async fn flush(&self) -> Result<(), ServerError> {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || shared.flush())
            .await
            .map_err(|e| ServerError::Task(e.to_string()))?
    }
}

impl Shared {
    /// Store a finished case (files first, off the reactor) and mark it no longer running.
    async fn store_result(self: &Arc<Self>, result: CaseResult, agent: &str) {
        let writer = self.clone();
        let _ = tokio::task::spawn_blocking(move || writer.store(result)).await;
        self.track_running(agent, false);
    }

    /// Count a `runCase` of `agent` as started (`true`) or stored (`false`).
    fn track_running(&self, agent: &str, started: bool) {
        if let Ok(mut running) = self.running.lock() {
            let n = running.entry(agent.to_string()).or_insert(0);
            *n = if started { *n + 1 } else { n.saturating_sub(1) };
        }
        if !started {
            self.finished.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// Wait (bounded) until every started `runCase` of `agent` has its result stored.
    async fn wait_until_stored(&self, agent: &str) {
        let mut changes = self.finished.subscribe();
        let deadline = tokio::time::Instant::now() + STATUS_WAIT;
        loop {
            let busy = self
                .running
                .lock()
                .map(|r| r.get(agent).copied().unwrap_or(0) > 0)
                .unwrap_or(false);
            if !busy {
                return;
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                return;
            }
        }
    }

    fn lock_results(&self) -> std::sync::MutexGuard<'_, Results> {
        // A poisoned lock only means a writer panicked between whole insertions.
        self.results.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn flush(&self) -> Result<(), ServerError> {
        let results = self.lock_results().clone();
        for (agent, entries) in &results {
            self.out.write_index(agent, entries)?;
        }
        Ok(())
    }

    /// Write a finished case's files and the agent's index, then store it and wake waiters.
    fn store(&self, result: CaseResult) {
        let reportfile = match self.out.write_case(&result) {
            Ok(name) => name,
            Err(e) => {
                eprintln!(
                    "wsspec server: cannot write the report of case {}: {e}",
                    result.id
                );
                case_json_name(&result.agent, &result.id).unwrap_or_default()
            }
        };
        let entry = result.index_entry(reportfile);
        let single = BTreeMap::from([(result.id.clone(), entry.clone())]);
        if let Err(e) = self.out.write_index(&result.agent, &single) {
            eprintln!("wsspec server: cannot update index.json: {e}");
        }
        self.lock_results()
            .entry(result.agent)
            .or_default()
            .insert(result.id, entry);
        self.finished.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn verdict(&self, agent: &str, id: &str) -> Option<&'static str> {
        self.lock_results()
            .get(agent)
            .and_then(|m| m.get(id))
            .map(|e| e.behavior.as_str())
    }
}

/// A refusal before any 101: status and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    status: u16,
    reason: String,
}

fn refuse(status: u16, reason: impl Into<String>) -> Refusal {
    Refusal {
        status,
        reason: reason.into(),
    }
}

/// What an upgrade request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Endpoint {
    CaseCount,
    CaseInfo(usize),
    RunCase {
        index: usize,
        agent: String,
    },
    CaseStatus {
        index: usize,
        agent: String,
    },
    UpdateReports {
        /// The agent whose running cases are waited for.
        agent: Option<String>,
        /// Stop the server afterwards (Autobahn's `shutdownOnComplete`).
        shutdown: bool,
    },
    Stop,
}

/// Map an upgrade's path and query to an endpoint (Autobahn: bad or missing params → 500).
fn route(cases: &[&'static Case], target: &RequestTarget) -> Result<Endpoint, Refusal> {
    let index = || case_index(cases, target);
    let agent = || match target.param("agent") {
        None => Err(refuse(500, "missing parameter agent")),
        Some(a) if a.chars().count() > MAX_AGENT_LEN => Err(refuse(
            400,
            format!("agent name longer than {MAX_AGENT_LEN} characters"),
        )),
        Some(a) => Ok(a.to_string()),
    };
    Ok(match target.path.as_str() {
        "/getCaseCount" => Endpoint::CaseCount,
        "/getCaseInfo" => Endpoint::CaseInfo(index()?),
        "/runCase" => Endpoint::RunCase {
            index: index()?,
            agent: agent()?,
        },
        "/getCaseStatus" => Endpoint::CaseStatus {
            index: index()?,
            agent: agent()?,
        },
        "/updateReports" => {
            agent()?;
            Endpoint::UpdateReports {
                agent: target.param("agent").map(str::to_string),
                shutdown: target.param("shutdownOnComplete") == Some("true"),
            }
        }
        "/stopServer" => Endpoint::Stop,
        _ => {
            return Err(refuse(
                404,
                "unknown path; server mode answers /getCaseCount, /getCaseInfo, /runCase, \
                 /getCaseStatus, /updateReports and /stopServer",
            ))
        }
    })
}

/// The 1-based index named by `case=N` or `casetuple=X.Y.Z`.
fn case_index(cases: &[&'static Case], target: &RequestTarget) -> Result<usize, Refusal> {
    if let Some(n) = target.param("case") {
        return match n.trim().parse::<usize>() {
            Ok(i) if (1..=cases.len()).contains(&i) => Ok(i),
            _ => Err(refuse(
                500,
                format!("case must be a number from 1 to {}", cases.len()),
            )),
        };
    }
    if let Some(id) = target.param("casetuple") {
        return cases
            .iter()
            .position(|c| c.id == id)
            .map(|p| p + 1)
            .ok_or_else(|| refuse(500, "casetuple names no case of this server"));
    }
    Err(refuse(500, "missing parameter case or casetuple"))
}

/// `{"id": ..., "description": ...}` as Autobahn sends it: the description's text before
/// any HTML tag, whitespace collapsed; Python's `json.dumps` separators and ASCII escapes.
fn case_info(case: &Case) -> String {
    let text = case.description.split('<').next().unwrap_or_default();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!(
        "{{\"id\": {}, \"description\": {}}}",
        python_json_str(&case.id),
        python_json_str(&text)
    )
}

/// A JSON string literal with every non-ASCII character escaped, as Python writes it.
fn python_json_str(s: &str) -> String {
    let quoted = serde_json::Value::String(s.to_string()).to_string();
    let mut out = String::with_capacity(quoted.len());
    for c in quoted.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// Serve one connection: read the head, then an HTTP page or a WebSocket endpoint.
async fn handle(shared: Arc<Shared>, mut stream: Stream) {
    let (raw, leftover) = match read_head(&mut stream, HEAD_TIMEOUT).await {
        Ok(read) => read,
        Err(HeadError::TooLong) => {
            return respond(stream, error_response(431, "request head too long").into()).await
        }
        Err(_) => return,
    };
    let Ok(head) = parse_head(&raw) else {
        return respond(stream, error_response(400, "malformed HTTP head").into()).await;
    };
    let mut parts = head.start_line.split(' ');
    let (Some(method), Some(target), Some(_version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return respond(stream, error_response(400, "malformed request line").into()).await;
    };
    let target = match RequestTarget::parse(target) {
        Ok(t) => t,
        Err(e) => return respond(stream, error_response(400, &e.to_string()).into()).await,
    };
    if !head.has_token("Upgrade", "websocket") {
        let response = plain_http(&shared, method, &target).await;
        return respond(stream, response).await;
    }
    let upgrade = match accept_request(&head) {
        Ok(u) => u,
        Err(r) => return respond(stream, error_response(r.status, r.reason).into()).await,
    };
    let endpoint = match route(&shared.cases, &target) {
        Ok(e) => e,
        Err(r) => return respond(stream, error_response(r.status, &r.reason).into()).await,
    };
    if let Endpoint::RunCase { index, agent } = &endpoint {
        let case = shared.cases[*index - 1];
        if let Some(skip) = &shared.skip_for_agent {
            if skip(agent, &case.id) {
                // Autobahn opens the connection and closes it at once, recording nothing:
                // the case shows as missing for this agent.
                if let Upgrade::Hybi { accept } = &upgrade {
                    let response = switching_response(accept, None);
                    let sent =
                        timeout(HEAD_TIMEOUT, stream.write_flushed(response.as_bytes())).await;
                    if let Ok(Ok(())) = sent {
                        wire::reply_and_close(stream, None, leftover).await;
                    }
                }
                return;
            }
        }
        if let Some(reason) = valid_for_this_client(&head, case) {
            // The wrong answer would be right for this client's offer: nothing to test.
            let mut response = "?".to_string();
            if let Upgrade::Hybi { accept } = &upgrade {
                response = switching_response(accept, None);
                let sent = timeout(HEAD_TIMEOUT, stream.write_flushed(response.as_bytes())).await;
                if let Ok(Ok(())) = sent {
                    wire::reply_and_close(stream, None, leftover).await;
                }
            }
            let request = String::from_utf8_lossy(&raw).into_owned();
            let result = not_expressible(case, *index, agent, request, response, &reason);
            shared.store_result(result, agent).await;
            return;
        }
    }
    let deflate = match &endpoint {
        Endpoint::RunCase { index, .. } => negotiate_deflate(&head, shared.cases[index - 1]),
        _ => None,
    };
    let answer = deflate.as_ref().map(|(answer, _)| answer.as_str());
    let Some((dialect, response, leftover)) =
        answer_upgrade(&shared, &mut stream, upgrade, &endpoint, answer, leftover).await
    else {
        return;
    };
    let agreed = deflate.map(|(_, agreed)| agreed);
    if dialect.is_hixie() {
        return hixie_endpoint(&shared, stream, dialect, endpoint, &raw, response, leftover).await;
    }
    match endpoint {
        Endpoint::CaseCount => {
            let count = shared.cases.len().to_string();
            wire::reply_and_close(stream, Some(&count), leftover).await;
        }
        Endpoint::CaseInfo(index) => {
            let info = case_info(shared.cases[index - 1]);
            wire::reply_and_close(stream, Some(&info), leftover).await;
        }
        Endpoint::RunCase { index, agent } => {
            let case = shared.cases[index - 1];
            let request = String::from_utf8_lossy(&raw).into_owned();
            let (rd, wr) = stream.into_split();
            shared.track_running(&agent, true);
            let result = serve_case(
                case,
                Dialect::Rfc6455,
                index,
                &agent,
                rd,
                wr,
                leftover,
                request,
                response,
                &shared.limits,
                agreed,
            )
            .await;
            shared.store_result(result, &agent).await;
        }
        Endpoint::CaseStatus { index, agent } => {
            let id = &shared.cases[index - 1].id;
            let verdict = wait_for_verdict(&shared, &mut stream, &agent, id).await;
            let reply = match verdict {
                Some(v) => format!("{{\"behavior\": \"{v}\"}}"),
                None => "{\"behavior\": null}".to_string(),
            };
            wire::reply_and_close(stream, Some(&reply), Vec::new()).await;
        }
        Endpoint::UpdateReports { agent, shutdown } => {
            if let Some(agent) = agent {
                shared.wait_until_stored(&agent).await;
            }
            let writer = shared.clone();
            match tokio::task::spawn_blocking(move || writer.flush()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("wsspec server: cannot write the reports: {e}"),
                Err(e) => eprintln!("wsspec server: report writer failed: {e}"),
            }
            wire::reply_and_close(stream, None, leftover).await;
            if shutdown {
                shared.stop.send_replace(true);
            }
        }
        Endpoint::Stop => {
            wire::reply_and_close(stream, None, leftover).await;
            shared.stop.send_replace(true);
        }
    }
}

/// Wait (at most `STATUS_WAIT`) until `agent` has a result for case `id`; gives up early
/// when the client hangs up.
async fn wait_for_verdict(
    shared: &Shared,
    stream: &mut Stream,
    agent: &str,
    id: &str,
) -> Option<&'static str> {
    // Subscribe before looking, so a result stored in between still wakes us.
    let mut finished = shared.finished.subscribe();
    let deadline = Instant::now() + STATUS_WAIT;
    let mut sink = [0u8; 1024];
    let mut discarded = 0usize;
    loop {
        if let Some(v) = shared.verdict(agent, id) {
            return Some(v);
        }
        tokio::select! {
            changed = timeout_at(deadline, finished.changed()) => {
                if !matches!(changed, Ok(Ok(()))) {
                    return None;
                }
            }
            read = stream.read(&mut sink) => match read {
                Ok(n) if n > 0 && discarded < 64 * 1024 => discarded += n,
                _ => return None,
            },
        }
    }
}

/// Answer a plain (non-upgrade) HTTP request.
async fn plain_http(shared: &Shared, method: &str, target: &RequestTarget) -> Vec<u8> {
    let head_only = method == "HEAD";
    if method != "GET" && !head_only {
        return error_response(405, "only GET is served").into();
    }
    let (status, ctype, body) = if target.path == "/" {
        (
            200,
            "text/html; charset=utf-8",
            BROWSER_PAGE.as_bytes().to_vec(),
        )
    } else if let Some(name) = target.path.strip_prefix("/reports/") {
        let name = if name.is_empty() { "index.html" } else { name };
        match report_file(shared, name).await {
            Some(body) => (200, content_type(name), body),
            None => return error_response(404, "no such report file").into(),
        }
    } else {
        return error_response(404, "not found; the browser test page is at /").into();
    };
    let mut out = response_head(status, ctype, body.len(), "").into_bytes();
    if !head_only {
        out.extend_from_slice(&body);
    }
    out
}

/// The contents of a plain file in the report directory, if `name` is one.
async fn report_file(shared: &Shared, name: &str) -> Option<Vec<u8>> {
    if !is_plain_file_name(name) {
        return None;
    }
    let path = shared.out.path().join(name);
    tokio::task::spawn_blocking(move || read_plain_file(&path))
        .await
        .ok()
        .flatten()
}

/// A regular file's contents (no symlink, at most `MAX_SERVED_FILE` octets).
fn read_plain_file(path: &std::path::Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_SERVED_FILE {
        return None;
    }
    let mut body = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_SERVED_FILE + 1)
        .read_to_end(&mut body)
        .ok()?;
    (body.len() as u64 <= MAX_SERVED_FILE).then_some(body)
}

/// Write a complete HTTP response, then close: our side first, then wait briefly for the
/// client's EOF so unread request octets do not turn the close into a reset.
async fn respond(mut stream: Stream, response: Vec<u8>) {
    if !matches!(
        timeout(RESPONSE_TIMEOUT, stream.write_flushed(&response)).await,
        Ok(Ok(()))
    ) {
        return;
    }
    let _ = timeout(Duration::from_secs(1), stream.shutdown()).await;
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut sink = [0u8; 4096];
    let mut drained = 0usize;
    while drained < 64 * 1024 {
        match timeout_at(deadline, stream.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => drained += n,
            _ => break,
        }
    }
}

/// The case's permessage-deflate answer to the client's offers (Autobahn's server accept):
/// the header value to send and the agreed parameters, or `None` to decline.
fn negotiate_deflate(head: &Head, case: &Case) -> Option<(String, Agreed)> {
    let compression = case.compression.as_ref()?;
    let offers = deflate_offers(head);
    let (answer, agreed) = deflate::accept_offer(&offers, &compression.server_accepts)?;
    Some((answer.render(), agreed))
}

/// For a case whose permessage-deflate answer is meant to be wrong: why that answer would
/// be right for this client's actual offer (then the case cannot test this client).
fn valid_for_this_client(head: &Head, case: &Case) -> Option<String> {
    let Some(ServerAnswer::BadDeflateAnswer(answer)) = case.server_answer else {
        return None;
    };
    let offers = deflate_offers(head);
    let items = deflate::parse_extensions(answer).ok()?;
    let [item] = items.as_slice() else {
        return None;
    };
    let params = PmdParams::from_item(item, Side::Response).ok()?;
    deflate::check_response(&offers, &params).ok()?;
    Some(format!(
        "the answer {answer:?} is valid for this client's permessage-deflate offer, so the \
         case cannot test it"
    ))
}

/// The client's valid permessage-deflate offers (invalid ones are declined).
fn deflate_offers(head: &Head) -> Vec<PmdParams> {
    deflate::valid_offers(&head.values("Sec-WebSocket-Extensions"))
}

/// Answer an accepted upgrade in its dialect: the 101 (category 20's wrong one on purpose),
/// or the hixie-76 head at once and its challenge answer once key3 is in, or the hixie-75
/// head. Returns the dialect, the response as reported, and the octets after the request.
async fn answer_upgrade(
    shared: &Shared,
    stream: &mut Stream,
    upgrade: Upgrade,
    endpoint: &Endpoint,
    extensions: Option<&str>,
    mut leftover: Vec<u8>,
) -> Option<(Dialect, String, Vec<u8>)> {
    let (dialect, head, parts) = match upgrade {
        Upgrade::Hybi { accept } => {
            let wrong = match endpoint {
                Endpoint::RunCase { index, .. } => shared.cases[index - 1].server_answer,
                _ => None,
            };
            let response = match wrong {
                Some(answer) => faulty_response(answer, &accept),
                None => switching_response(&accept, extensions),
            };
            (Dialect::Rfc6455, response, None)
        }
        Upgrade::Hixie76 { head, part1, part2 } => (Dialect::Hixie76, head, Some((part1, part2))),
        Upgrade::Hixie75 { head } => (Dialect::Hixie75, head, None),
    };
    // Headers first: a hixie-76 client behind a proxy sends key3 only after seeing them.
    timeout(HEAD_TIMEOUT, stream.write_flushed(head.as_bytes()))
        .await
        .ok()?
        .ok()?;
    let mut response = head;
    if let Some((part1, part2)) = parts {
        let deadline = Instant::now() + HEAD_TIMEOUT;
        let mut chunk = [0u8; 64];
        while leftover.len() < 8 {
            let n = timeout_at(deadline, stream.read(&mut chunk))
                .await
                .ok()?
                .ok()?;
            if n == 0 {
                return None;
            }
            leftover.extend_from_slice(&chunk[..n]);
        }
        let mut key3 = [0u8; 8];
        key3.copy_from_slice(&leftover[..8]);
        leftover.drain(..8);
        let answer = hixie::challenge_from_parts(part1, part2, &key3);
        timeout(HEAD_TIMEOUT, stream.write_flushed(&answer))
            .await
            .ok()?
            .ok()?;
        response.push_str(&format!("<challenge {}>", wsspec_reports::hex(&answer)));
    }
    Some((dialect, response, leftover))
}

/// The endpoints for a hixie client: control replies as hixie text frames, and the cases
/// hixie framing can express (the others are UNIMPLEMENTED for this client).
async fn hixie_endpoint(
    shared: &Arc<Shared>,
    mut stream: Stream,
    dialect: Dialect,
    endpoint: Endpoint,
    raw: &[u8],
    response: String,
    leftover: Vec<u8>,
) {
    let reply = match endpoint {
        Endpoint::CaseCount => Some(shared.cases.len().to_string()),
        Endpoint::CaseInfo(index) => Some(case_info(shared.cases[index - 1])),
        Endpoint::CaseStatus { index, agent } => {
            let id = &shared.cases[index - 1].id;
            let verdict = wait_for_verdict(shared, &mut stream, &agent, id).await;
            Some(match verdict {
                Some(v) => format!("{{\"behavior\": \"{v}\"}}"),
                None => "{\"behavior\": null}".to_string(),
            })
        }
        Endpoint::UpdateReports { agent, shutdown } => {
            if let Some(agent) = agent {
                shared.wait_until_stored(&agent).await;
            }
            let writer = shared.clone();
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || writer.flush()).await {
                eprintln!("wsspec server: cannot write the reports: {e}");
            }
            if shutdown {
                shared.stop.send_replace(true);
            }
            None
        }
        Endpoint::Stop => {
            shared.stop.send_replace(true);
            None
        }
        Endpoint::RunCase { index, agent } => {
            let case = shared.cases[index - 1];
            let request = String::from_utf8_lossy(raw).into_owned();
            shared.track_running(&agent, true);
            let result = if expressible_in_hixie(case) && case.server_answer.is_none() {
                let (rd, wr) = stream.into_split();
                serve_case(
                    case,
                    dialect,
                    index,
                    &agent,
                    rd,
                    wr,
                    leftover,
                    request,
                    response,
                    &shared.limits,
                    None,
                )
                .await
            } else {
                let reason = format!(
                    "case {} cannot be expressed in {} framing (only final text frames exist there)",
                    case.id,
                    dialect.name()
                );
                wire::hixie_close(stream, dialect).await;
                not_expressible(case, index, &agent, request, response, &reason)
            };
            shared.store_result(result, &agent).await;
            return;
        }
    };
    wire::hixie_reply_and_close(stream, dialect, reply.as_deref()).await;
}
