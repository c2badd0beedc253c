//! The case engine: runs one declarative case over one fresh connection and judges it.

mod conn;
pub mod judge;
pub mod opening;
pub mod outbox;
pub mod target;

use std::time::Duration;

use tokio::time::Instant;
use wsspec_cases::{
    Case, CloseVerdict, Dialect, Event, HandshakeExpect, Negotiation, Opening, Verdict,
};
use wsspec_reports::{render_payload, CaseResult, EventRecord, ExpectedCloseRecord};

pub use judge::{judge, Judgement, Observed};
pub use target::{Target, UrlError};

use crate::codec::deflate::Agreed;
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
    /// The TCP connection (or its TLS session) could not be established (the testee may
    /// be gone).
    pub unreachable: bool,
}

/// Run `case` (1-based position `index` in the run) against `target` as agent `agent`;
/// `tls` verifies `wss://` targets (the built-in roots when `None`).
pub async fn run_case(
    case: &Case,
    index: usize,
    agent: &str,
    target: &Target,
    limits: &Limits,
    draft: Dialect,
    tls: Option<&crate::tls::ClientTls>,
) -> CaseRun {
    let started = now_utc();
    let mut rec = Record::default();
    // Categories 1-10 carry no opening of their own: `--draft` picks their dialect.
    let opening = if case.opening == Opening::default() && draft != Dialect::Rfc6455 {
        Opening::dialect(draft)
    } else {
        case.opening.clone()
    };

    let stream = match crate::transport::connect(target, tls, limits).await {
        Ok(s) => s,
        Err(e) => {
            // A TLS handshake that fails once fails for every case: the testee counts as
            // unreachable, like a refused connection.
            let timeout = e.timed_out();
            return unopened(
                case,
                index,
                agent,
                started,
                rec,
                Unopened::unreachable(e.to_string(), timeout),
            );
        }
    };
    let (mut rd, mut wr) = stream.into_split();

    let hs = opening::perform(
        &opening,
        &target.host_header,
        &target.resource,
        &mut rd,
        &mut wr,
        &mut rec,
        limits.open_handshake,
    )
    .await;
    let (leftover, soft, deflate) = match hs.outcome {
        opening::Outcome::Opened {
            leftover,
            soft,
            deflate,
        } if matches!(
            opening.expect,
            HandshakeExpect::Accept | HandshakeExpect::AcceptIfSupported
        ) =>
        {
            (leftover, soft, deflate)
        }
        outcome => {
            let timeout = matches!(outcome, opening::Outcome::Broken { timeout: true, .. });
            let decided = declined_by_refusal(case, &opening, &outcome)
                .or_else(|| opening::judge_outcome(&opening.expect, opening.dialect, &outcome));
            let (mut behavior, mut behavior_close, text) = decided.unwrap_or((
                Verdict::Failed,
                CloseVerdict::Failed,
                judge::NEVER_OPENED.to_string(),
            ));
            if case.rule == wsspec_cases::VerdictRule::Informational {
                behavior = Verdict::Informational;
                behavior_close = CloseVerdict::Informational;
            }
            let opened_anyway = matches!(outcome, opening::Outcome::Opened { .. });
            rec.was_not_clean_reason = Some(text.clone());
            let j = Judgement {
                behavior,
                result: text.clone(),
                behavior_close,
                result_close: if opened_anyway || behavior == Verdict::Failed {
                    judge::NEVER_OPENED.to_string()
                } else {
                    text
                },
            };
            let mut result = build_result(
                case,
                index,
                agent,
                started,
                0,
                hs.request,
                hs.response,
                rec,
                j,
            );
            result.was_open_handshake_timeout = timeout;
            return CaseRun {
                result,
                unreachable: false,
            };
        }
    };

    let opened_at = Instant::now();
    let mut conn = Conn::new(case, limits, rec, opening.dialect, deflate);
    conn.drive(rd, wr, &leftover).await;
    let duration = opened_at.elapsed().as_millis() as u64;
    let mut seen = conn.observed();
    seen.soft = soft;
    let judgement = judge_run(case, &seen, conn.was_unimplemented());
    let mut rec = conn.rec;
    rec.preopen = (hs.request.len() as u64, hs.response.len() as u64);
    if let Some(v) = rec.violation {
        let defect = format!("peer violated RFC 6455: {v}");
        rec.was_not_clean_reason.get_or_insert(defect);
    }
    CaseRun {
        result: build_result(
            case,
            index,
            agent,
            started,
            duration,
            hs.request,
            hs.response,
            rec,
            judgement,
        ),
        unreachable: false,
    }
}

/// Run `case` as the server on an already upgraded connection of `dialect` (the caller did
/// the opening handshake; `leftover` = octets read after it). Returns the report record
/// (`isServer` true).
#[allow(clippy::too_many_arguments)]
pub async fn serve_case(
    case: &Case,
    dialect: Dialect,
    index: usize,
    agent: &str,
    rd: crate::transport::ReadHalf,
    wr: crate::transport::WriteHalf,
    leftover: Vec<u8>,
    http_request: String,
    http_response: String,
    limits: &Limits,
    deflate: Option<Agreed>,
) -> CaseResult {
    let started = now_utc();
    let opened_at = Instant::now();
    let mut conn = Conn::new(case, limits, Record::default(), dialect, deflate).into_server();
    conn.drive(rd, wr, &leftover).await;
    let duration = opened_at.elapsed().as_millis() as u64;
    let mut judgement = judge_run(case, &conn.observed(), conn.was_unimplemented());
    let mut rec = conn.rec;
    rec.preopen = (http_response.len() as u64, http_request.len() as u64);
    let sent_data = rec
        .rx_frame_stats
        .keys()
        .any(|op| matches!(op.as_str(), "0" | "1" | "2"));
    if case.tests_clients_only() && sent_data && judgement.behavior == Verdict::Ok {
        // Even a frame the harness then refused shows the connection was treated as open.
        judgement.behavior = Verdict::Failed;
        judgement.result = "The client sent data on a connection it had to refuse.".into();
    }
    if let Some(v) = rec.violation {
        rec.was_not_clean_reason
            .get_or_insert(format!("peer violated RFC 6455: {v}"));
    }
    let mut result = build_result(
        case,
        index,
        agent,
        started,
        duration,
        http_request,
        http_response,
        rec,
        judgement,
    );
    result.is_server = true;
    result
}

/// The verdicts of a run connection; a compression case without compression agreed is
/// UNIMPLEMENTED, its close judged as usual (Autobahn's categories 12 and 13).
fn judge_run(case: &Case, seen: &Observed, unimplemented: bool) -> Judgement {
    let mut j = judge(case, seen);
    if unimplemented {
        j.behavior = Verdict::Unimplemented;
        j.result = "permessage-deflate was not agreed, and this case needs it.".to_string();
    }
    j
}

/// A refused handshake that offered an invalid permessage-deflate element, which only had
/// to be declined (RFC 7692 §5): NON-STRICT rather than FAILED.
fn declined_by_refusal(
    case: &Case,
    opening: &Opening,
    outcome: &opening::Outcome,
) -> Option<(Verdict, CloseVerdict, String)> {
    let must_decline = case
        .compression
        .as_ref()
        .is_some_and(|c| c.negotiation == Negotiation::MustDecline)
        || offers_invalid_deflate(opening);
    match outcome {
        opening::Outcome::Refused { status, .. } if must_decline && *status >= 400 => Some((
            Verdict::NonStrict,
            CloseVerdict::Ok,
            format!(
                "the server refused the handshake with status {status} instead of declining \
                 the invalid permessage-deflate offer (RFC 7692 §5)"
            ),
        )),
        _ => None,
    }
}

/// Whether the request offers a permessage-deflate element a server must decline.
fn offers_invalid_deflate(opening: &Opening) -> bool {
    let request = opening.request();
    let offered: Vec<&str> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Sec-WebSocket-Extensions"))
        .map(|(_, v)| v.as_str())
        .collect();
    crate::codec::deflate::has_invalid_offer(&offered)
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
    /// No connection at all (TCP refused or timed out, or the TLS handshake failed).
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
        report_compression_ratio: case
            .steps
            .iter()
            .any(|s| matches!(s, wsspec_cases::Step::CompressedEchoes { .. })),
        report_time: case.report_time,
        result: j.result,
        result_close: j.result_close,
        rx_frame_stats: rec.rx_frame_stats,
        rx_octet_stats: rec.rx_octet_stats,
        started,
        traffic_stats: rec.traffic.as_ref().map(|t| traffic_stats(t, rec.preopen)),
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

/// Autobahn's `trafficStats` from the counters of a connection.
fn traffic_stats(t: &conn::Traffic, preopen: (u64, u64)) -> serde_json::Value {
    let counters = wsspec_reports::TrafficCounters {
        incoming_octets_app_level: t.incoming.app,
        incoming_octets_websocket_level: t.incoming.websocket,
        incoming_octets_wire_level: t.incoming.wire,
        incoming_websocket_frames: t.incoming.frames,
        incoming_websocket_messages: t.incoming.messages,
        outgoing_octets_app_level: t.outgoing.app,
        outgoing_octets_websocket_level: t.outgoing.websocket,
        outgoing_octets_wire_level: t.outgoing.wire,
        outgoing_websocket_frames: t.outgoing.frames,
        outgoing_websocket_messages: t.outgoing.messages,
        preopen_incoming_octets_wire_level: preopen.1,
        preopen_outgoing_octets_wire_level: preopen.0,
    };
    counters.to_value()
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

/// The result of a case that cannot be expressed in the client's dialect (server mode):
/// UNIMPLEMENTED, with the reason.
pub fn not_expressible(
    case: &Case,
    index: usize,
    agent: &str,
    request: String,
    response: String,
    reason: &str,
) -> CaseResult {
    let rec = Record {
        was_not_clean_reason: Some(reason.to_string()),
        ..Default::default()
    };
    let j = Judgement {
        behavior: Verdict::Unimplemented,
        result: reason.to_string(),
        behavior_close: CloseVerdict::Unimplemented,
        result_close: reason.to_string(),
    };
    let mut result = build_result(case, index, agent, now_utc(), 0, request, response, rec, j);
    result.is_server = true;
    result
}

/// Whether a case can run over hixie framing with roles reversed: only final text frames
/// of valid UTF-8, timers and closes, and only text messages expected back.
pub fn expressible_in_hixie(case: &Case) -> bool {
    use wsspec_cases::{opcode, LengthForm, Mask, Step};
    let steps_ok = case.steps.iter().all(|s| match s {
        Step::Send(f) => {
            f.opcode == opcode::TEXT
                && f.fin
                && f.rsv == 0
                && f.mask == Mask::Random
                && f.length_form == LengthForm::Minimal
                && std::str::from_utf8(&f.payload.to_vec()).is_ok()
        }
        Step::KillAfter(_) | Step::CloseAfter(_) | Step::Wait { .. } | Step::Close(_) => true,
        _ => false,
    });
    let events_ok = case.expected.alternatives.iter().all(|(_, events)| {
        events
            .iter()
            .all(|e| matches!(e, Event::Message { binary: false, .. } | Event::Timeout(_)))
    });
    steps_ok && events_ok && case.expected_close.closed_by_me && !case.is_performance()
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
