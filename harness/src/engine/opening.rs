//! The opening handshake of any dialect: render the case's request, write it the way the
//! case says, read the answer and judge it against what the dialect requires.

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::time::Instant;
use wsspec_cases::{
    Delivery, Dialect, FrameSpec, HandshakeExpect, Key3, LineEnd, Mask, Opening, SplitAt,
};
use wsspec_reports::{render_octets, WireRecord};

use super::conn::Record;
use crate::codec::deflate::{self, Agreed, PmdError, PmdParams, Side};
use crate::codec::{apply_mask, encode_header, hixie};
use crate::handshake::{self, Head, MAX_HEAD_LEN};
use crate::transport::{ReadHalf, WriteHalf};

/// The request as written, with the secrets the answer is checked against.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// The head (request line, headers, blank line).
    pub head: Vec<u8>,
    /// The hixie-76 body.
    pub key3: Option<[u8; 8]>,
    /// The first `Sec-WebSocket-Key` sent.
    pub key: Option<String>,
    /// `Sec-WebSocket-Key1` and `-Key2` as sent.
    pub key12: Option<(String, String)>,
    /// The `Origin` (or `Sec-WebSocket-Origin`) sent.
    pub origin: Option<String>,
    /// Subprotocols offered.
    pub protocols: Vec<String>,
    /// Extension tokens offered.
    pub extensions: Vec<String>,
    /// Every `Sec-WebSocket-Extensions` value sent, as written.
    pub extension_values: Vec<String>,
    /// `Host` as used in templates.
    pub host: String,
    /// Request-target as used in templates.
    pub path: String,
}

/// Render the opening request of `opening` for `host` and `path`.
pub fn render(opening: &Opening, host: &str, path: &str) -> Rendered {
    let request = opening.request();
    let mut rng = rand::thread_rng();
    let key = handshake::random_key();
    let (key1, _) = hixie::generate_key(&mut rng);
    let (key2, _) = hixie::generate_key(&mut rng);
    let origin = format!("http://{host}");
    let version = opening
        .dialect
        .version()
        .map(|v| v.to_string())
        .unwrap_or_default();
    let fill = |t: &str| {
        t.replace("{path}", path)
            .replace("{host}", host)
            .replace("{key}", &key)
            .replace("{key1}", &key1)
            .replace("{key2}", &key2)
            .replace("{origin}", &origin)
            .replace("{version}", &version)
            .replace("{wsspec}", env!("CARGO_PKG_VERSION"))
    };
    let eol = match request.line_end {
        LineEnd::CrLf => "\r\n",
        LineEnd::Lf => "\n",
    };
    let mut head = fill(&request.request_line);
    // The request-target actually sent (hixie servers echo it in their Location).
    let target = head.split(' ').nth(1).unwrap_or(path).to_string();
    head.push_str(eol);
    let mut out = Rendered {
        host: host.to_string(),
        path: target,
        ..Default::default()
    };
    let mut k1 = None;
    let mut k2 = None;
    for (name, value) in &request.headers {
        let value = fill(value);
        head.push_str(name);
        head.push_str(&request.separator);
        head.push_str(&value);
        head.push_str(eol);
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "sec-websocket-key" if out.key.is_none() => out.key = Some(value.trim().to_string()),
            "sec-websocket-key1" => k1 = Some(value),
            "sec-websocket-key2" => k2 = Some(value),
            "origin" | "sec-websocket-origin" => out.origin = Some(value.trim().to_string()),
            "sec-websocket-protocol" => out.protocols.extend(tokens(&value)),
            "sec-websocket-extensions" => {
                out.extensions.extend(
                    value
                        .split(',')
                        .filter_map(|e| e.split(';').next())
                        .map(|e| e.trim().to_string())
                        .filter(|e| !e.is_empty()),
                );
                out.extension_values.push(value.clone());
            }
            _ => {}
        }
    }
    head.push_str(eol);
    out.head = head.into_bytes();
    out.key12 = k1.zip(k2);
    out.key3 = request.key3.map(|k| match k {
        Key3::Fixed(b) => b,
        Key3::Random => rand::random(),
    });
    out
}

fn tokens(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Encode a pipelined hybi frame (masked with its own or a random key).
fn encode_frame(f: &FrameSpec, out: &mut Vec<u8>) {
    let key = match f.mask {
        Mask::Random => Some(rand::random::<[u8; 4]>()),
        Mask::Unmasked => None,
        Mask::Fixed(k) => Some(k),
    };
    let payload = f.payload.to_vec();
    encode_header(
        out,
        f.fin,
        f.rsv,
        f.opcode,
        key,
        payload.len() as u64,
        f.length_form,
    );
    let at = out.len();
    out.extend_from_slice(&payload);
    if let Some(k) = key {
        apply_mask(&mut out[at..], k, 0);
    }
}

/// The TCP writes of a delivery: octets and the pause before the next write.
fn writes(opening: &Opening, r: &Rendered) -> Vec<(Vec<u8>, u64)> {
    let mut all = r.head.clone();
    if let Some(k3) = r.key3 {
        all.extend_from_slice(&k3);
    }
    let split = |at: usize, pause: u64| {
        let at = at.min(all.len());
        vec![(all[..at].to_vec(), pause), (all[at..].to_vec(), 0)]
    };
    match &opening.delivery {
        Delivery::Whole | Delivery::Key3Later { .. } => vec![(all, 0)],
        Delivery::Bytewise => all.iter().map(|b| (vec![*b], 0)).collect(),
        Delivery::Split { at, pause_ms } => {
            let head = &r.head;
            let first_eol = head.iter().position(|b| *b == b'\n').map_or(0, |i| i + 1);
            let offset = match at {
                SplitAt::Offset(n) => *n,
                SplitAt::AfterRequestLine => first_eol,
                SplitAt::InHeaderName => first_eol + 2,
                SplitAt::BeforeBlankLine => {
                    let blank = if head.ends_with(b"\r\n\r\n") { 2 } else { 1 };
                    head.len() - blank
                }
                SplitAt::AfterHead => head.len(),
            };
            split(offset, *pause_ms)
        }
        Delivery::Pipelined(frames) => {
            for f in frames {
                encode_frame(f, &mut all);
            }
            vec![(all, 0)]
        }
        Delivery::PipelinedRaw(raw) => {
            all.extend_from_slice(raw);
            vec![(all, 0)]
        }
    }
}

/// How the opening handshake ended.
#[derive(Debug)]
pub enum Outcome {
    /// The server accepted and the answer is right; `soft` lists SHOULD-level deviations.
    Opened {
        /// Octets read after the handshake (frames).
        leftover: Vec<u8>,
        /// SHOULD-level deviations that cap the verdict at NON-STRICT.
        soft: Vec<String>,
        /// permessage-deflate as agreed, when the server accepted it.
        deflate: Option<Agreed>,
    },
    /// The server answered with a non-101 status (or closed without answering: status 0).
    Refused {
        /// Status code (0 when the connection closed without an answer).
        status: u16,
        /// Whether a `Sec-WebSocket-Version` header came with it.
        version_list: bool,
    },
    /// The server accepted an offered extension that wsspec cannot speak.
    Unspeakable {
        /// Which extension.
        reason: String,
    },
    /// The server answered 101 but the answer is wrong, or never answered in time.
    Broken {
        /// What was wrong.
        reason: String,
        /// It was a timeout.
        timeout: bool,
    },
}

/// Everything the handshake produced for the report.
#[derive(Debug)]
pub struct Handshake {
    /// How it ended.
    pub outcome: Outcome,
    /// The request as sent (lossy text, body octets escaped).
    pub request: String,
    /// The answer as received (head, plus the challenge as hex for hixie-76).
    pub response: String,
}

/// Reads from the socket into `buf`, logging every read, until `done(buf)` or the deadline.
async fn read_until(
    rd: &mut ReadHalf,
    buf: &mut Vec<u8>,
    rec: &mut Record,
    deadline: Instant,
    done: impl Fn(&[u8]) -> bool,
) -> Result<(), ReadEnd> {
    let mut chunk = vec![0u8; 4096];
    while !done(buf) {
        if buf.len() > MAX_HEAD_LEN + 64 {
            return Err(ReadEnd::TooLong);
        }
        let n = match tokio::time::timeout_at(deadline, rd.read(&mut chunk)).await {
            Err(_) => return Err(ReadEnd::Timeout),
            Ok(Err(_)) | Ok(Ok(0)) => return Err(ReadEnd::Closed),
            Ok(Ok(n)) => n,
        };
        rec.wirelog.push(WireRecord::RxOctets {
            len: n,
            hex: render_octets(&chunk[..n]),
        });
        *rec.rx_octet_stats.entry(n.to_string()).or_insert(0) += 1;
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

/// Why reading stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadEnd {
    Timeout,
    Closed,
    TooLong,
}

/// Write (and over TLS flush) one logged chunk; false when it failed or outlived
/// `deadline` (a peer that reads nothing can hold a write back once buffers fill).
async fn write_logged(
    wr: &mut WriteHalf,
    bytes: &[u8],
    rec: &mut Record,
    deadline: Instant,
) -> bool {
    rec.wirelog.push(WireRecord::TxOctets {
        len: bytes.len(),
        hex: render_octets(bytes),
        sync: false,
    });
    *rec.tx_octet_stats
        .entry(bytes.len().to_string())
        .or_insert(0) += 1;
    matches!(
        tokio::time::timeout_at(deadline, wr.write_flushed(bytes)).await,
        Ok(Ok(()))
    )
}

/// Perform the opening handshake of `opening` on a connected socket.
pub async fn perform(
    opening: &Opening,
    host: &str,
    path: &str,
    rd: &mut ReadHalf,
    wr: &mut WriteHalf,
    rec: &mut Record,
    timeout: Duration,
) -> Handshake {
    let rendered = render(opening, host, path);
    let mut request = String::from_utf8_lossy(&rendered.head).into_owned();
    if let Some(k3) = rendered.key3 {
        request.push_str(&String::from_utf8_lossy(&k3));
    }
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::new();
    let mut soft = Vec::new();

    let broken = |reason: String, timeout: bool| Outcome::Broken { reason, timeout };
    // A failed write shows up as a failed read of the answer below.
    if let Delivery::Key3Later { wait_ms } = opening.delivery {
        // Headers first; key3 once the server answered, or after the wait.
        let ok = write_logged(wr, &rendered.head, rec, deadline).await;
        let wait = (Instant::now() + Duration::from_millis(wait_ms)).min(deadline);
        match read_until(rd, &mut buf, rec, wait, |b| handshake::head_len(b).is_some()).await {
            Ok(()) => {}
            Err(ReadEnd::Timeout) => soft.push(format!(
                "the server waited for key3 before answering (no response head within {wait_ms} ms): \
                 it deadlocks behind HTTP proxies that hold key3 back"
            )),
            Err(ReadEnd::Closed) | Err(ReadEnd::TooLong) => {}
        }
        if ok {
            if let Some(k3) = rendered.key3 {
                write_logged(wr, &k3, rec, deadline).await;
            }
        }
    } else {
        for (bytes, pause) in writes(opening, &rendered) {
            if !bytes.is_empty() && !write_logged(wr, &bytes, rec, deadline).await {
                break;
            }
            if pause > 0 {
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
        }
    }

    let head_end = match read_until(rd, &mut buf, rec, deadline, |b| {
        handshake::head_len(b).is_some()
    })
    .await
    {
        Ok(()) => handshake::head_len(&buf).unwrap_or(buf.len()),
        Err(end) => {
            let response = if buf.is_empty() {
                "?".to_string()
            } else {
                String::from_utf8_lossy(&buf).into_owned()
            };
            let outcome = match end {
                ReadEnd::Timeout => broken("opening handshake timed out".into(), true),
                ReadEnd::TooLong => broken(
                    format!("response head longer than {MAX_HEAD_LEN} octets"),
                    false,
                ),
                ReadEnd::Closed => Outcome::Refused {
                    status: 0,
                    version_list: false,
                },
            };
            return Handshake {
                outcome,
                request,
                response,
            };
        }
    };
    let mut response = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let head = match handshake::parse_head(&buf[..head_end]) {
        Ok(h) => h,
        Err(e) => {
            return Handshake {
                outcome: broken(e.to_string(), false),
                request,
                response,
            }
        }
    };
    let status = match handshake::status(&head) {
        Ok((code, _)) => code,
        Err(e) => {
            return Handshake {
                outcome: broken(e.to_string(), false),
                request,
                response,
            }
        }
    };
    if status != 101 {
        return Handshake {
            outcome: Outcome::Refused {
                status,
                version_list: head.header("Sec-WebSocket-Version").is_some(),
            },
            request,
            response,
        };
    }

    let mut body_end = head_end;
    let mut deflate = None;
    let checked = match opening.dialect {
        Dialect::Hixie75 => check_hixie75(&buf[..head_end], &head, &rendered),
        Dialect::Hixie76 => {
            body_end = head_end + 16;
            match read_until(rd, &mut buf, rec, deadline, |b| b.len() >= body_end).await {
                Err(ReadEnd::Timeout) => Err("the 16-octet challenge answer never arrived".into()),
                Err(_) => Err("the connection closed before the challenge answer".into()),
                Ok(()) => {
                    let got = &buf[head_end..body_end];
                    response.push_str(&format!("<challenge {}>", wsspec_reports::hex(got)));
                    check_hixie76(&head, &rendered, got, &mut soft)
                }
            }
        }
        Dialect::Hybi07 | Dialect::Hybi10 | Dialect::Rfc6455 => {
            match check_hybi(&head, &rendered, &mut soft) {
                Ok(agreed) => {
                    deflate = agreed;
                    Ok(())
                }
                Err(AnswerError::Unspeakable(reason)) => {
                    return Handshake {
                        outcome: Outcome::Unspeakable { reason },
                        request,
                        response,
                    }
                }
                Err(AnswerError::Wrong(reason)) => Err(reason),
            }
        }
    };
    let outcome = match checked {
        Ok(()) => Outcome::Opened {
            leftover: buf[body_end.min(buf.len())..].to_vec(),
            soft,
            deflate,
        },
        Err(reason) => broken(reason, false),
    };
    Handshake {
        outcome,
        request,
        response,
    }
}

/// The client's checks of a 101 answer in `dialect` without any I/O (the fuzz targets call
/// this): `raw` is the head as received, `challenge` the 16 octets after it (hixie-76).
/// Ok holds the agreed permessage-deflate parameters and the SHOULD-level deviations; an
/// answer wsspec cannot speak is an Err too.
pub fn check_answer(
    dialect: Dialect,
    raw: &[u8],
    head: &Head,
    r: &Rendered,
    challenge: &[u8],
) -> Result<(Option<Agreed>, Vec<String>), String> {
    let mut soft = Vec::new();
    let agreed = match dialect {
        Dialect::Hixie75 => check_hixie75(raw, head, r).map(|()| None)?,
        Dialect::Hixie76 => check_hixie76(head, r, challenge, &mut soft).map(|()| None)?,
        Dialect::Hybi07 | Dialect::Hybi10 | Dialect::Rfc6455 => {
            match check_hybi(head, r, &mut soft) {
                Ok(agreed) => agreed,
                Err(AnswerError::Wrong(e) | AnswerError::Unspeakable(e)) => return Err(e),
            }
        }
    };
    Ok((agreed, soft))
}

/// RFC 6455 §4.1 (and hybi-07/10, which share it): the client's checks of a 101.
/// Returns the agreed permessage-deflate parameters when the server accepted the extension.
/// Harmless deviations are added to `soft`.
fn check_hybi(
    head: &Head,
    r: &Rendered,
    soft: &mut Vec<String>,
) -> Result<Option<Agreed>, AnswerError> {
    if !head.has_token("Upgrade", "websocket") {
        return Err(AnswerError::Wrong(format!(
            "Upgrade header missing or not websocket: {:?}",
            head.header("Upgrade").unwrap_or_default()
        )));
    }
    if !head.has_token("Connection", "upgrade") {
        return Err(AnswerError::Wrong(format!(
            "Connection header lacks the upgrade token: {:?}",
            head.header("Connection").unwrap_or_default()
        )));
    }
    let expected = handshake::accept_key(r.key.as_deref().unwrap_or_default());
    let got = head.header("Sec-WebSocket-Accept").unwrap_or_default();
    if got != expected {
        return Err(AnswerError::Wrong(format!(
            "Sec-WebSocket-Accept {got:?} does not match the expected {expected:?}"
        )));
    }
    let deflate = check_extensions(head, r, soft)?;
    let chosen = head.tokens("Sec-WebSocket-Protocol");
    if chosen.len() > 1 {
        return Err(AnswerError::Wrong(format!(
            "server selected more than one subprotocol: {chosen:?}"
        )));
    }
    if let Some(p) = chosen.first() {
        if !r.protocols.iter().any(|o| o == p) {
            return Err(AnswerError::Wrong(format!(
                "server selected a subprotocol that was not offered: {p:?}"
            )));
        }
    }
    Ok(deflate)
}

/// Why a 101 answer cannot be used.
#[derive(Debug, PartialEq, Eq)]
enum AnswerError {
    /// It breaks a rule.
    Wrong(String),
    /// It is valid but agrees to an extension wsspec cannot speak.
    Unspeakable(String),
}

impl From<String> for AnswerError {
    fn from(reason: String) -> Self {
        AnswerError::Wrong(reason)
    }
}

/// The server's `Sec-WebSocket-Extensions` answer: only offered, real extensions, and a
/// permessage-deflate answer that fits one of the offers (RFC 7692 §7.1).
/// An answer that leaves out an offered `server_max_window_bits=15` only caps the verdict:
/// 15 is the default, so nothing changes, but strict clients refuse it.
fn check_extensions(
    head: &Head,
    r: &Rendered,
    soft: &mut Vec<String>,
) -> Result<Option<Agreed>, AnswerError> {
    let answers = head.values("Sec-WebSocket-Extensions");
    if answers.is_empty() {
        return Ok(None);
    }
    let items = deflate::parse_extensions(&answers.join(", "))
        .map_err(|e| format!("Sec-WebSocket-Extensions answer is malformed: {e}"))?;
    let mut agreed = None;
    for item in &items {
        let name = item.name.as_str();
        if !r.extensions.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            return Err(
                format!("server accepted an extension that was not offered: {name:?}").into(),
            );
        }
        if wsspec_cases::is_fictitious_extension(name) {
            return Err(format!(
                "server accepted {name:?}, an extension no server implements (RFC 6455 §9.1)"
            )
            .into());
        }
        if !name.eq_ignore_ascii_case(deflate::PERMESSAGE_DEFLATE) {
            return Err(AnswerError::Unspeakable(format!(
                "server accepted the offered extension {name:?}, which wsspec cannot speak"
            )));
        }
        if agreed.is_some() {
            return Err("server accepted permessage-deflate twice"
                .to_string()
                .into());
        }
        let answer = PmdParams::from_item(item, Side::Response)
            .map_err(|e| format!("permessage-deflate answer refused: {e}"))?;
        let offers = deflate::valid_offers(&r.extension_values);
        if offers.is_empty() {
            return Err(
                "server accepted permessage-deflate although every offer of it was invalid and \
                 had to be declined (RFC 7692 §5)"
                    .to_string()
                    .into(),
            );
        }
        let checked = match deflate::check_response(&offers, &answer) {
            Err(PmdError::ServerWindowBitsDropped { offered: 15 }) => {
                soft.push(
                    "the answer leaves out the offered server_max_window_bits=15: RFC 7692 \
                     §7.1.2.1 accepts the parameter only by including it, and strict clients \
                     (e.g. websockets) refuse such an answer; 15 is the default, so nothing \
                     else changes"
                        .into(),
                );
                let relaxed: Vec<PmdParams> = offers
                    .iter()
                    .map(|o| PmdParams {
                        server_max_window_bits: o.server_max_window_bits.filter(|b| *b != 15),
                        ..*o
                    })
                    .collect();
                deflate::check_response(&relaxed, &answer)
            }
            other => other,
        };
        let mut terms = checked.map_err(|e| format!("permessage-deflate answer refused: {e}"))?;
        // A value in the offer's client_max_window_bits is a promise (RFC 7692 §7.1.2.2).
        if let Some(promised) = offers
            .iter()
            .filter_map(|o| o.client_max_window_bits.flatten())
            .min()
        {
            terms.client_max_window_bits = terms.client_max_window_bits.min(promised);
        }
        agreed = Some(terms);
    }
    Ok(agreed)
}

fn location(r: &Rendered) -> String {
    format!("ws://{}{}", r.host, r.path)
}

/// draft-hixie-76 §5.2 and what browsers checked of the answer.
fn check_hixie76(
    head: &Head,
    r: &Rendered,
    challenge: &[u8],
    soft: &mut Vec<String>,
) -> Result<(), String> {
    if !head.has_token("Upgrade", "websocket") || !head.has_token("Connection", "upgrade") {
        return Err("Upgrade: WebSocket / Connection: Upgrade missing".into());
    }
    let (_, reason) = handshake::status(head).unwrap_or_default();
    if reason != "WebSocket Protocol Handshake" {
        soft.push(format!(
            "reason phrase {reason:?} instead of \"WebSocket Protocol Handshake\""
        ));
    }
    if let Some(origin) = &r.origin {
        let got = head.header("Sec-WebSocket-Origin").unwrap_or_default();
        if got != origin {
            return Err(format!(
                "Sec-WebSocket-Origin {got:?} does not echo the Origin {origin:?}"
            ));
        }
    }
    let want = location(r);
    let got = head.header("Sec-WebSocket-Location").unwrap_or_default();
    if got != want {
        return Err(format!(
            "Sec-WebSocket-Location {got:?} instead of {want:?}"
        ));
    }
    let (k1, k2) = r.key12.clone().unwrap_or_default();
    let expected = hixie::challenge_response(&k1, &k2, &r.key3.unwrap_or_default())
        .map_err(|e| format!("the case's own keys are invalid: {e}"))?;
    if challenge != expected {
        return Err(format!(
            "challenge answer {} instead of {}",
            wsspec_reports::hex(challenge),
            wsspec_reports::hex(&expected)
        ));
    }
    Ok(())
}

/// draft-hixie-75 §4.1 as browsers enforced it: the first three lines byte for byte.
fn check_hixie75(raw: &[u8], head: &Head, r: &Rendered) -> Result<(), String> {
    const START: &[u8] =
        b"HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n";
    if !raw.starts_with(START) {
        let shown = String::from_utf8_lossy(&raw[..raw.len().min(START.len())]).into_owned();
        return Err(format!(
            "the answer must start with exactly {:?}, got {shown:?}",
            String::from_utf8_lossy(START)
        ));
    }
    if let Some(origin) = &r.origin {
        let got = head.header("WebSocket-Origin").unwrap_or_default();
        if got != origin {
            return Err(format!(
                "WebSocket-Origin {got:?} does not echo the Origin {origin:?}"
            ));
        }
    }
    let want = location(r);
    let got = head.header("WebSocket-Location").unwrap_or_default();
    if got != want {
        return Err(format!("WebSocket-Location {got:?} instead of {want:?}"));
    }
    Ok(())
}

/// The verdict pair a handshake outcome decides by itself (when the case does not go on).
pub fn judge_outcome(
    expect: &HandshakeExpect,
    dialect: Dialect,
    outcome: &Outcome,
) -> Option<(wsspec_cases::Verdict, wsspec_cases::CloseVerdict, String)> {
    use wsspec_cases::{CloseVerdict as C, Verdict as V};
    let refused_text = |status: u16| {
        if status == 0 {
            "the server closed the connection without an HTTP answer".to_string()
        } else {
            format!("the server refused with status {status}")
        }
    };
    match (expect, outcome) {
        (HandshakeExpect::Accept | HandshakeExpect::AcceptIfSupported, Outcome::Opened { .. }) => {
            None
        }
        (HandshakeExpect::Accept, Outcome::Refused { status, .. }) => Some((
            V::Failed,
            C::Failed,
            format!("{} a request it must accept", refused_text(*status)),
        )),
        (HandshakeExpect::AcceptIfSupported, Outcome::Refused { status, .. }) => Some((
            V::Unimplemented,
            C::Unimplemented,
            format!("{}: the dialect is not implemented", refused_text(*status)),
        )),
        (_, Outcome::Unspeakable { reason }) => Some((
            V::Unimplemented,
            C::Unimplemented,
            format!("{reason}: the case cannot go on"),
        )),
        (_, Outcome::Broken { reason, .. }) => Some((
            V::Failed,
            C::Failed,
            format!("invalid opening handshake: {reason}"),
        )),
        (
            HandshakeExpect::Refuse { .. } | HandshakeExpect::RefuseVersion,
            Outcome::Opened { .. },
        ) => Some((
            V::Failed,
            C::Failed,
            "the server accepted a request it must refuse".into(),
        )),
        // The hixie drafts tell a server to abort on a bad request: closing is the answer.
        (HandshakeExpect::Refuse { .. }, Outcome::Refused { status: 0, .. })
            if dialect.is_hixie() =>
        {
            Some((
                V::Ok,
                C::Ok,
                "refused by closing the connection, as the draft says".into(),
            ))
        }
        (HandshakeExpect::Refuse { statuses }, Outcome::Refused { status, .. }) => {
            if statuses.contains(status) {
                Some((V::Ok, C::Ok, format!("refused as required ({status})")))
            } else {
                Some((
                    V::NonStrict,
                    C::Ok,
                    format!("{}; expected one of {statuses:?}", refused_text(*status)),
                ))
            }
        }
        (
            HandshakeExpect::RefuseVersion,
            Outcome::Refused {
                status,
                version_list,
            },
        ) => {
            if matches!(status, 400 | 426) && *version_list {
                Some((
                    V::Ok,
                    C::Ok,
                    format!("refused with {status} and a Sec-WebSocket-Version list"),
                ))
            } else if *version_list {
                Some((
                    V::NonStrict,
                    C::Ok,
                    format!("{} (426 or 400 expected)", refused_text(*status)),
                ))
            } else {
                Some((
                    V::NonStrict,
                    C::Ok,
                    format!(
                        "{} without a Sec-WebSocket-Version list of supported versions",
                        refused_text(*status)
                    ),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsspec_cases::{CloseVerdict as C, Request, Verdict as V};

    fn parse(raw: &[u8]) -> Head {
        handshake::parse_head(raw).expect("head")
    }

    #[test]
    fn the_default_request_is_autobahns_shape() {
        let r = render(&Opening::default(), "127.0.0.1:9001", "/");
        let text = String::from_utf8(r.head.clone()).unwrap();
        let key = r.key.clone().unwrap();
        assert_eq!(
            text,
            handshake::client_request("127.0.0.1:9001", "/", &key),
            "categories 1-10 must keep sending what Autobahn's client sends"
        );
    }

    #[test]
    fn templates_and_offers_are_recorded() {
        let mut opening = Opening::dialect(Dialect::Hixie76);
        opening.request = Some(
            Request::standard(Dialect::Hixie76).add("Sec-WebSocket-Protocol", "chat, superchat"),
        );
        let r = render(&opening, "h:1", "/p?q=1");
        let text = String::from_utf8(r.head.clone()).unwrap();
        assert!(text.starts_with("GET /p?q=1 HTTP/1.1\r\n"));
        assert!(text.contains("Host: h:1\r\n"));
        assert!(text.contains("Origin: http://h:1\r\n"));
        assert_eq!(r.protocols, vec!["chat", "superchat"]);
        let (k1, k2) = r.key12.clone().unwrap();
        assert!(hixie::key_value(&k1).is_ok() && hixie::key_value(&k2).is_ok());
        assert!(r.key3.is_some());
    }

    #[test]
    fn split_points_land_where_named() {
        let mut opening = Opening::default();
        let r = render(&opening, "h", "/");
        let first_line = r.head.iter().position(|b| *b == b'\n').unwrap() + 1;
        for (at, want) in [
            (SplitAt::AfterRequestLine, first_line),
            (SplitAt::InHeaderName, first_line + 2),
            (SplitAt::BeforeBlankLine, r.head.len() - 2),
            (SplitAt::Offset(5), 5),
        ] {
            opening.delivery = Delivery::Split { at, pause_ms: 1 };
            let w = writes(&opening, &r);
            assert_eq!(w.len(), 2);
            assert_eq!(w[0].0.len(), want, "{at:?}");
            assert_eq!([w[0].0.clone(), w[1].0.clone()].concat(), r.head);
        }
        opening.delivery = Delivery::Bytewise;
        assert_eq!(writes(&opening, &r).len(), r.head.len());
    }

    #[test]
    fn hixie76_answers_are_checked_against_the_draft_example() {
        let mut r = Rendered {
            host: "example.com".into(),
            path: "/demo".into(),
            origin: Some("http://example.com".into()),
            key12: Some(("4 @1  46546xW%0l 1 5".into(), "12998 5 Y3 1  .P00".into())),
            key3: Some(*b"^n:ds[4U"),
            ..Default::default()
        };
        let head = parse(
            b"HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Origin: http://example.com\r\nSec-WebSocket-Location: ws://example.com/demo\r\n\r\n",
        );
        let mut soft = Vec::new();
        assert_eq!(
            check_hixie76(&head, &r, b"8jKS'y:G*Co,Wxa-", &mut soft),
            Ok(())
        );
        assert!(soft.is_empty());
        assert!(check_hixie76(&head, &r, b"8jKS'y:G*Co,Wxa_", &mut soft).is_err());
        r.path = "/other".into();
        assert!(check_hixie76(&head, &r, b"8jKS'y:G*Co,Wxa-", &mut soft).is_err());
    }

    #[test]
    fn hixie75_status_line_is_byte_exact() {
        let r = Rendered {
            host: "h".into(),
            path: "/".into(),
            origin: Some("http://h".into()),
            ..Default::default()
        };
        let good = b"HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nWebSocket-Origin: http://h\r\nWebSocket-Location: ws://h/\r\n\r\n";
        assert_eq!(check_hixie75(good, &parse(good), &r), Ok(()));
        let bad = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nWebSocket-Origin: http://h\r\nWebSocket-Location: ws://h/\r\n\r\n";
        assert!(check_hixie75(bad, &parse(bad), &r).is_err());
    }

    #[test]
    fn hybi_answers_must_not_add_what_was_not_offered() {
        let r = Rendered {
            key: Some("dGhlIHNhbXBsZSBub25jZQ==".into()),
            protocols: vec!["chat".into()],
            ..Default::default()
        };
        let ok = b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n";
        let mut soft = Vec::new();
        assert_eq!(check_hybi(&parse(ok), &r, &mut soft), Ok(None));
        let other = b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: superchat\r\n\r\n";
        assert!(check_hybi(&parse(other), &r, &mut soft).is_err());
        let ext = b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
        assert!(check_hybi(&parse(ext), &r, &mut soft).is_err());
        assert!(soft.is_empty());
    }

    /// An answer that drops an offered server_max_window_bits: harmless at 15 (NON-STRICT),
    /// a failure below it (the server may then use a larger window than the client allows).
    #[test]
    fn dropping_an_offered_server_window_is_soft_only_at_15() {
        let answer = b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
        for (bits, accepted) in [(15, true), (10, false)] {
            let offer = format!("permessage-deflate; server_max_window_bits={bits}");
            let r = Rendered {
                key: Some("dGhlIHNhbXBsZSBub25jZQ==".into()),
                extensions: vec!["permessage-deflate".into()],
                extension_values: vec![offer],
                ..Default::default()
            };
            let mut soft = Vec::new();
            let got = check_hybi(&parse(answer), &r, &mut soft);
            assert_eq!(got.is_ok(), accepted, "bits {bits}: {got:?}");
            assert_eq!(soft.len(), usize::from(accepted), "bits {bits}: {soft:?}");
        }
    }

    #[test]
    fn outcomes_map_to_verdicts() {
        let opened = Outcome::Opened {
            leftover: vec![],
            soft: vec![],
            deflate: None,
        };
        let refused = |status, version_list| Outcome::Refused {
            status,
            version_list,
        };
        let v = |e: &HandshakeExpect, o: &Outcome| {
            judge_outcome(e, Dialect::Rfc6455, o).map(|(b, c, _)| (b, c))
        };
        assert_eq!(v(&HandshakeExpect::Accept, &opened), None);
        assert_eq!(
            v(&HandshakeExpect::Accept, &refused(400, false)),
            Some((V::Failed, C::Failed))
        );
        assert_eq!(
            v(&HandshakeExpect::AcceptIfSupported, &refused(426, true)),
            Some((V::Unimplemented, C::Unimplemented))
        );
        let refuse = HandshakeExpect::Refuse {
            statuses: vec![400],
        };
        assert_eq!(v(&refuse, &refused(400, false)), Some((V::Ok, C::Ok)));
        assert_eq!(
            v(&refuse, &refused(403, false)),
            Some((V::NonStrict, C::Ok))
        );
        assert_eq!(v(&refuse, &opened), Some((V::Failed, C::Failed)));
        let version = HandshakeExpect::RefuseVersion;
        assert_eq!(v(&version, &refused(426, true)), Some((V::Ok, C::Ok)));
        assert_eq!(v(&version, &refused(400, true)), Some((V::Ok, C::Ok)));
        assert_eq!(
            v(&version, &refused(426, false)),
            Some((V::NonStrict, C::Ok))
        );
        assert_eq!(v(&version, &opened), Some((V::Failed, C::Failed)));
        let broken = Outcome::Broken {
            reason: "x".into(),
            timeout: false,
        };
        assert_eq!(
            v(&HandshakeExpect::AcceptIfSupported, &broken),
            Some((V::Failed, C::Failed))
        );
    }
}
