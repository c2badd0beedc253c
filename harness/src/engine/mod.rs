//! The case engine: runs one declarative case over one fresh connection and judges it.

mod conn;
pub mod judge;
pub mod outbox;
pub mod target;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use wsspec_cases::{Case, CloseVerdict, Event, Verdict};
use wsspec_reports::{
    render_octets, render_payload, CaseResult, EventRecord, ExpectedCloseRecord, WireRecord,
};

pub use judge::{judge, Judgement, Observed};
pub use target::{Target, UrlError};

use crate::handshake::{self, MAX_HEAD_LEN};
use conn::{Conn, Record};

/// Timeouts and size limits of the harness endpoint (Autobahn's defaults where it has them).
#[derive(Debug, Clone)]
pub struct Limits {
    /// TCP connect timeout.
    pub connect: Duration,
    /// Opening handshake timeout (Autobahn: 5 s).
    pub open_handshake: Duration,
    /// Closing handshake timeout after the harness sent close (Autobahn: 1 s).
    pub close_handshake: Duration,
    /// Time the server has to drop TCP after the closing handshake (Autobahn: 1 s).
    pub server_drop: Duration,
    /// Largest message the harness accepts (larger ones fail with 1009).
    pub max_message: u64,
    /// Extra time beyond a case's own timers before the harness gives up on it.
    pub case_slack: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect: Duration::from_secs(5),
            open_handshake: Duration::from_secs(5),
            close_handshake: Duration::from_secs(1),
            server_drop: Duration::from_secs(1),
            max_message: 64 * 1024 * 1024,
            case_slack: Duration::from_secs(10),
        }
    }
}

/// The outcome of running one case.
#[derive(Debug)]
pub struct CaseRun {
    /// The report record.
    pub result: CaseResult,
    /// The TCP connection could not be established (the testee may be gone).
    pub unreachable: bool,
}

/// Run `case` (1-based position `index` in the run) against `target` as agent `agent`.
pub async fn run_case(
    case: &Case,
    index: usize,
    agent: &str,
    target: &Target,
    limits: &Limits,
) -> CaseRun {
    let started = now_utc();
    let mut rec = Record::default();
    let key = handshake::random_key();
    let request = handshake::client_request(&target.host_header, &target.resource, &key);

    let connect =
        tokio::time::timeout(limits.connect, TcpStream::connect(target.connect_addr())).await;
    let stream = match connect {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let reason = format!("could not connect to {}: {e}", target.connect_addr());
            return unopened(
                case,
                index,
                agent,
                started,
                rec,
                Unopened::unreachable(reason, false),
            );
        }
        Err(_) => {
            let reason = format!("connecting to {} timed out", target.connect_addr());
            return unopened(
                case,
                index,
                agent,
                started,
                rec,
                Unopened::unreachable(reason, true),
            );
        }
    };
    let _ = stream.set_nodelay(true);
    let (mut rd, mut wr) = stream.into_split();

    rec.wirelog.push(WireRecord::TxOctets {
        len: request.len(),
        hex: render_octets(request.as_bytes()),
        sync: false,
    });
    *rec.tx_octet_stats
        .entry(request.len().to_string())
        .or_insert(0) += 1;
    let deadline = Instant::now() + limits.open_handshake;
    let mut buf: Vec<u8> = Vec::new();
    let head = tokio::time::timeout_at(deadline, async {
        wr.write_all(request.as_bytes()).await?;
        let mut chunk = vec![0u8; 4096];
        loop {
            if let Some(n) = handshake::head_len(&buf) {
                return Ok::<Option<usize>, std::io::Error>(Some(n));
            }
            if buf.len() > MAX_HEAD_LEN {
                return Ok(None);
            }
            let n = rd.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "peer closed the connection during the opening handshake",
                ));
            }
            rec.wirelog.push(WireRecord::RxOctets {
                len: n,
                hex: render_octets(&chunk[..n]),
            });
            *rec.rx_octet_stats.entry(n.to_string()).or_insert(0) += 1;
            buf.extend_from_slice(&chunk[..n]);
        }
    })
    .await;
    let failure = match head {
        Ok(Ok(Some(n))) => {
            let checked =
                handshake::parse_head(&buf[..n]).and_then(|h| handshake::check_response(&h, &key));
            match checked {
                Ok(()) => Ok(n),
                Err(e) => Err((e.to_string(), false)),
            }
        }
        Ok(Ok(None)) => Err((
            format!("response head longer than {MAX_HEAD_LEN} octets"),
            false,
        )),
        Ok(Err(e)) => Err((e.to_string(), false)),
        Err(_) => Err(("opening handshake timed out".to_string(), true)),
    };
    let head_len = match failure {
        Ok(n) => n,
        Err((reason, timeout)) => {
            // The response as far as it arrived ("?" when nothing did, as Autobahn).
            let response = if buf.is_empty() {
                "?".into()
            } else {
                String::from_utf8_lossy(&buf[..handshake::head_len(&buf).unwrap_or(buf.len())])
                    .into_owned()
            };
            let failed = Unopened {
                request,
                response,
                reason,
                timeout,
                unreachable: false,
            };
            return unopened(case, index, agent, started, rec, failed);
        }
    };
    let response = String::from_utf8_lossy(&buf[..head_len]).into_owned();

    let opened_at = Instant::now();
    let mut conn = Conn::new(case, limits, rec);
    conn.drive(rd, wr, &buf[head_len..]).await;
    let duration = opened_at.elapsed().as_millis() as u64;
    let judgement = judge(case, &conn.observed());
    CaseRun {
        result: build_result(
            case, index, agent, started, duration, request, response, conn.rec, judgement,
        ),
        unreachable: false,
    }
}

/// Why and how far an opening handshake got before it failed.
struct Unopened {
    request: String,
    response: String,
    reason: String,
    timeout: bool,
    unreachable: bool,
}

impl Unopened {
    /// No TCP connection at all.
    fn unreachable(reason: String, timeout: bool) -> Self {
        Unopened {
            request: "?".into(),
            response: "?".into(),
            reason,
            timeout,
            unreachable: true,
        }
    }
}

/// The result of a case whose WebSocket never opened.
fn unopened(
    case: &Case,
    index: usize,
    agent: &str,
    started: String,
    mut rec: Record,
    failed: Unopened,
) -> CaseRun {
    rec.was_not_clean_reason = Some(failed.reason);
    let judgement = judge(case, &Observed::default());
    let mut result = build_result(
        case,
        index,
        agent,
        started,
        0,
        failed.request,
        failed.response,
        rec,
        judgement,
    );
    result.was_open_handshake_timeout = failed.timeout;
    CaseRun {
        result,
        unreachable: failed.unreachable,
    }
}

#[allow(clippy::too_many_arguments)]
fn build_result(
    case: &Case,
    index: usize,
    agent: &str,
    started: String,
    duration: u64,
    request: String,
    response: String,
    rec: Record,
    j: Judgement,
) -> CaseResult {
    let expected = case
        .expected
        .alternatives
        .iter()
        .map(|(v, events)| {
            (
                v.as_str().to_string(),
                events.iter().map(event_record).collect(),
            )
        })
        .collect();
    CaseResult {
        agent: agent.to_string(),
        behavior: j.behavior,
        behavior_close: j.behavior_close,
        case: index,
        closed_by_me: rec.closed_by_me,
        create_stats: true,
        create_wirelog: true,
        description: case.description.clone(),
        dropped_by_me: rec.dropped_by_me,
        duration,
        expectation: case.expectation.clone(),
        expected,
        expected_close: ExpectedCloseRecord {
            close_code: case.expected_close.codes.clone(),
            closed_by_me: case.expected_close.closed_by_me,
            closed_by_wrong_endpoint_is_fatal: case.expected_close.wrong_endpoint_is_fatal,
            require_clean: case.expected_close.require_clean,
        },
        failed_by_me: rec.failed_by_me,
        http_request: request,
        http_response: response,
        id: case.id.clone(),
        is_server: false,
        local_close_code: rec.local_close_code,
        local_close_reason: rec.local_close_reason,
        received: rec.received.iter().map(event_record).collect(),
        remote_close_code: rec.remote_close_code,
        remote_close_reason: rec.remote_close_reason,
        report_compression_ratio: false,
        report_time: case.report_time,
        result: j.result,
        result_close: j.result_close,
        rx_frame_stats: rec.rx_frame_stats,
        rx_octet_stats: rec.rx_octet_stats,
        started,
        traffic_stats: None,
        tx_frame_stats: rec.tx_frame_stats,
        tx_octet_stats: rec.tx_octet_stats,
        was_clean: rec.was_clean,
        was_close_handshake_timeout: rec.was_close_handshake_timeout,
        was_not_clean_reason: rec.was_not_clean_reason,
        was_open_handshake_timeout: false,
        was_server_connection_drop_timeout: rec.was_server_connection_drop_timeout,
        wirelog: rec.wirelog,
    }
}

/// An event as the reports show it.
pub fn event_record(e: &Event) -> EventRecord {
    match e {
        Event::Message { payload, binary } => {
            EventRecord::Message(render_payload(payload), *binary)
        }
        Event::Ping(p) => EventRecord::Ping(render_payload(p)),
        Event::Pong(p) => EventRecord::Pong(render_payload(p)),
        Event::Timeout(t) => EventRecord::Timeout(t.to_string()),
    }
}

/// The current UTC time as Autobahn writes it: `2026-11-29T16:58:46.234Z`.
pub fn now_utc() -> String {
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    now.format(&fmt).unwrap_or_default()
}

/// The verdicts a case gets when the testee is known to be gone and it was not attempted.
pub fn skipped_unreachable(case: &Case, index: usize, agent: &str, reason: &str) -> CaseResult {
    let rec = Record {
        was_not_clean_reason: Some(format!("not attempted: {reason}")),
        ..Default::default()
    };
    let j = Judgement {
        behavior: Verdict::Failed,
        result: judge::NEVER_OPENED.to_string(),
        behavior_close: CloseVerdict::Failed,
        result_close: judge::NEVER_OPENED.to_string(),
    };
    build_result(
        case,
        index,
        agent,
        now_utc(),
        0,
        "?".into(),
        "?".into(),
        rec,
        j,
    )
}
