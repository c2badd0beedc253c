//! The frame loop of one connection after the handshake: echo, pong, close, fail; with
//! permessage-deflate agreed, inflate what comes compressed and echo everything compressed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{timeout, timeout_at, Instant};
use wsspec_cases::{opcode, LengthForm};

use super::{EchoConfig, Fault};
use crate::codec::deflate::{Agreed, Deflater, InflateError, Inflater};
use crate::codec::{
    apply_mask, check_header, encode_header, parse_close_payload, DataFrame, Deframer, FrameHeader,
    MessageState, Piece, Role, Utf8Validator, Violation,
};
use crate::transport::Stream;

/// Size of the reusable read buffer.
pub(super) const READ_BUF: usize = 64 * 1024;

/// Space kept in front of a message so its (unmasked, at most 10-octet) header can be
/// written in place and the echo goes out in one write without copying the payload.
const HEADROOM: usize = 10;

/// Echoes up to this size are batched with other pending output instead of written alone.
const SMALL_ECHO: usize = 16 * 1024;

/// A message buffer bigger than this is released after its echo instead of kept for reuse.
const KEEP_CAPACITY: usize = 1024 * 1024;

/// Most octets reserved ahead for a message whose frame header announces them.
const MAX_RESERVE: u64 = 64 * 1024 * 1024;

/// Status code for closing an idle connection (§7.4.1 "going away").
const GOING_AWAY: u16 = 1001;

/// The RSV1 bit in `FrameHeader::rsv`: "Per-Message Compressed" (RFC 7692 §6).
const RSV1: u8 = 0b100;

/// Masking key of [`Fault::MaskedEcho`].
const FAULT_MASK: [u8; 4] = [0x5a, 0x17, 0xc3, 0x88];

/// A close reason longer than this fires [`Fault::CrashOnLongCloseReason`].
const CRASH_REASON_LEN: usize = 100;

/// A ping payload of this length fires [`Fault::HangOnFullPing`].
const HANG_PING_LEN: usize = 125;

/// The payload of the frame being read.
#[derive(Debug, Clone, Copy)]
enum Frame {
    /// Between frames.
    None,
    /// A data frame with this FIN bit.
    Data { fin: bool },
    /// A control frame with this opcode.
    Control { opcode: u8 },
}

/// What the loop must do after a piece.
#[derive(Debug)]
enum Action {
    /// A message is complete in `msg`: echo it with this opcode.
    Echo(u8),
    /// The client closed validly: reply with this payload and close.
    Close(Vec<u8>),
    /// A fault: drop TCP at once, without a close frame.
    Drop,
    /// A crash-like fault: drop this connection and refuse service from now on.
    Crash,
    /// A hang fault: stop reading and writing this connection.
    Hang,
}

/// permessage-deflate state of a connection that agreed it.
struct Compression {
    /// Inflates the client's messages (the client's window and context rules).
    inflater: Inflater,
    /// Compresses the echoes (the server's window and context rules).
    deflater: Deflater,
    /// The message being received came with RSV1 on its first frame.
    compressed: bool,
    /// UTF-8 state of a compressed text message's inflated octets (the message state
    /// only sees octets of uncompressed ones).
    utf8: Utf8Validator,
    /// `HEADROOM` octets, then the compressed echo being sent.
    zbuf: Vec<u8>,
}

impl Compression {
    fn new(agreed: Agreed) -> Self {
        let (bits, no_context_takeover) = agreed.receiving(true);
        let inflater = Inflater::new(bits, no_context_takeover);
        let (bits, no_context_takeover) = agreed.sending(true);
        Compression {
            inflater,
            deflater: Deflater::new(bits, no_context_takeover),
            compressed: false,
            utf8: Utf8Validator::new(),
            zbuf: vec![0; HEADROOM],
        }
    }
}

/// Protocol state of one connection; the read buffer lives outside so pieces can borrow it.
struct Session {
    deframer: Deframer,
    message: MessageState,
    frame: Frame,
    /// `HEADROOM` octets, then the payload of the message being received (inflated).
    msg: Vec<u8>,
    /// Payload of the control frame being received (at most 125 octets).
    ctrl: Vec<u8>,
    /// Small frames waiting to be written; flushed before every read.
    out: Vec<u8>,
    /// Largest message accepted, inflated or not.
    max_message: u64,
    /// Present when permessage-deflate was agreed.
    deflate: Option<Compression>,
    /// The injected defect, if any.
    fault: Option<Fault>,
}

impl Session {
    fn new(max_message: u64, agreed: Option<Agreed>, fault: Option<Fault>) -> Self {
        Session {
            deframer: Deframer::new(),
            message: MessageState::new(Some(max_message)),
            frame: Frame::None,
            msg: vec![0; HEADROOM],
            ctrl: Vec::with_capacity(125),
            out: Vec::with_capacity(4096),
            max_message,
            deflate: agreed.map(Compression::new),
            fault,
        }
    }

    fn handle(&mut self, piece: Piece<'_>) -> Result<Option<Action>, Violation> {
        match piece {
            Piece::Header(h) => {
                // RSV1 is the extension's only on the first frame of a data message (RFC
                // 7692 §6.1); anywhere else check_header refuses it like any reserved bit.
                let compressed = h.rsv & RSV1 != 0
                    && self.deflate.is_some()
                    && !h.is_control()
                    && h.opcode != opcode::CONTINUATION;
                let h = if compressed {
                    FrameHeader {
                        rsv: h.rsv & !RSV1,
                        ..h
                    }
                } else {
                    h
                };
                let h = match self.fault {
                    Some(fault) => match fault.relax(h, self.message.open_opcode()) {
                        Some(h) => h,
                        None => {
                            // Skipped: its payload falls into `Frame::None`.
                            self.frame = Frame::None;
                            return Ok(None);
                        }
                    },
                    None => h,
                };
                check_header(Role::Server, &h)?;
                if h.is_control() {
                    self.frame = Frame::Control { opcode: h.opcode };
                    self.ctrl.clear();
                } else {
                    if let DataFrame::Start(_) = self.message.on_data_header(&h)? {
                        self.msg.truncate(HEADROOM);
                        if let Some(d) = &mut self.deflate {
                            d.compressed = compressed;
                            d.utf8 = Utf8Validator::new();
                        }
                    }
                    if !self.deflate.as_ref().is_some_and(|d| d.compressed) {
                        // on_data_header bounded the message by max_message, and untouched
                        // reserved pages cost nothing, so a frame is reserved at once
                        // (capped, in case max_message is huge; failure just leaves growth to
                        // extend). A compressed frame says nothing about the inflated size.
                        let want = usize::try_from(h.len.min(MAX_RESERVE)).unwrap_or(0);
                        let _ = self.msg.try_reserve(want);
                    }
                    self.frame = Frame::Data { fin: h.fin };
                }
                Ok(None)
            }
            Piece::Payload { data, last } => match self.frame {
                Frame::Data { fin } => {
                    let fault = self.fault;
                    match &mut self.deflate {
                        Some(d) if d.compressed => {
                            // The wire octets count only per frame (on_data_header); the
                            // inflater holds the message to max_message as it inflates.
                            let limit = self.max_message;
                            let start = self.msg.len();
                            let msg = &mut self.msg;
                            let mut sink = |chunk: &[u8]| msg.extend_from_slice(chunk);
                            let inflated = d.inflater.write(data, limit, &mut sink);
                            let inflated = match inflated {
                                Ok(()) if last && fin => {
                                    d.inflater.finish(limit, &mut sink).map(|_| ())
                                }
                                other => other,
                            };
                            inflated.map_err(|e| match e {
                                InflateError::TooBig(limit) => Violation::MessageTooBig(limit),
                                InflateError::Corrupt => Violation::InvalidCompressedData,
                            })?;
                            if self.message.open_opcode() == Some(opcode::TEXT) {
                                let utf8 = &mut d.utf8;
                                let new = self.msg.get(start..).unwrap_or_default();
                                if utf8.feed(new).is_err() {
                                    excuse(fault, Violation::InvalidUtf8)?;
                                }
                                if last && fin && utf8.finish().is_err() {
                                    excuse(fault, Violation::InvalidUtf8)?;
                                }
                            }
                        }
                        _ => {
                            // Validating each piece as it lands makes UTF-8 errors fail fast.
                            if let Err(v) = self.message.on_data(data) {
                                excuse(fault, v)?;
                            }
                            self.msg.extend_from_slice(data);
                        }
                    }
                    if !last {
                        return Ok(None);
                    }
                    self.frame = Frame::None;
                    let done = match self.message.on_data_end(fin) {
                        Ok(done) => done,
                        // Only a text message's UTF-8 fails at its end.
                        Err(v) => excuse(fault, v).map(|()| Some(opcode::TEXT))?,
                    };
                    Ok(done.map(Action::Echo))
                }
                Frame::Control { opcode: op } => {
                    self.ctrl.extend_from_slice(data);
                    if !last {
                        return Ok(None);
                    }
                    self.frame = Frame::None;
                    match (op, self.fault) {
                        (opcode::PING, None) => {
                            push_frame(&mut self.out, 0, opcode::PONG, None, &self.ctrl);
                            Ok(None)
                        }
                        (opcode::PING, Some(fault)) => Ok(self.faulty_pong(fault)),
                        (opcode::CLOSE, None) => close_reply(&self.ctrl),
                        (opcode::CLOSE, Some(fault)) => self.faulty_close_reply(fault),
                        _ => Ok(None),
                    }
                }
                // The deframer only yields payload after a header.
                Frame::None => Ok(None),
            },
        }
    }

    /// The answer to a complete ping in `ctrl` under `fault`.
    fn faulty_pong(&mut self, fault: Fault) -> Option<Action> {
        let payload: &[u8] = match fault {
            Fault::HangOnFullPing if self.ctrl.len() == HANG_PING_LEN => return Some(Action::Hang),
            Fault::EmptyPong => &[],
            _ => &self.ctrl,
        };
        push_frame(&mut self.out, 0, opcode::PONG, None, payload);
        None
    }

    /// The answer to a complete close in `ctrl` under `fault`.
    fn faulty_close_reply(&self, fault: Fault) -> Result<Option<Action>, Violation> {
        let payload = self.ctrl.as_slice();
        let code = payload.get(..2);
        match (fault, parse_close_payload(payload)) {
            (Fault::NoCloseReply, _) => Ok(Some(Action::Drop)),
            (Fault::CrashOnLongCloseReason, _) if payload.len() > 2 + CRASH_REASON_LEN => {
                Ok(Some(Action::Crash))
            }
            (Fault::Close1005, Ok(body)) if body.code.is_none() => {
                Ok(Some(Action::Close(1005u16.to_be_bytes().to_vec())))
            }
            (Fault::AcceptInvalidCloseCode, Err(Violation::InvalidCloseCode(_))) => {
                Ok(Some(Action::Close(1000u16.to_be_bytes().to_vec())))
            }
            (Fault::AcceptInvalidCloseReason, Err(Violation::InvalidCloseReason)) => {
                Ok(Some(Action::Close(code.unwrap_or_default().to_vec())))
            }
            _ => close_reply(payload),
        }
    }

    /// Write the completed message back as one unmasked frame, compressed (RSV1) when
    /// permessage-deflate was agreed.
    async fn echo(&mut self, stream: &mut Stream, op: u8, limit: Duration) -> bool {
        let mask = match self.fault {
            Some(Fault::MaskedEcho) => Some(FAULT_MASK),
            _ => None,
        };
        let ok = match &mut self.deflate {
            Some(d) => {
                d.deflater.write(&self.msg[HEADROOM..], &mut d.zbuf);
                d.deflater.finish(&mut d.zbuf);
                let ok = send(stream, &mut self.out, &mut d.zbuf, RSV1, op, mask, limit).await;
                release(&mut d.zbuf);
                ok
            }
            None => send(stream, &mut self.out, &mut self.msg, 0, op, mask, limit).await,
        };
        release(&mut self.msg);
        ok
    }

    async fn flush(&mut self, stream: &mut Stream, limit: Duration) -> bool {
        flush(stream, &mut self.out, limit).await
    }
}

/// The reply to a valid close payload (its code, no reason), or the violation it commits.
fn close_reply(payload: &[u8]) -> Result<Option<Action>, Violation> {
    let body = parse_close_payload(payload)?;
    let reply = body.code.map(|c| c.to_be_bytes().to_vec());
    Ok(Some(Action::Close(reply.unwrap_or_default())))
}

/// `Ok` when `fault` lets the violation `v` pass, else `Err(v)`.
fn excuse(fault: Option<Fault>, v: Violation) -> Result<(), Violation> {
    match fault {
        Some(f) if f.excuses(v) => Ok(()),
        _ => Err(v),
    }
}

/// Send `HEADROOM` octets then payload in `buf` as one final frame: small ones join the
/// pending output `out`, big ones get their header written in front and go out at once.
/// `mask` (only ever given by [`Fault::MaskedEcho`]) masks the payload in place.
async fn send(
    stream: &mut Stream,
    out: &mut Vec<u8>,
    buf: &mut [u8],
    rsv: u8,
    op: u8,
    mask: Option<[u8; 4]>,
    limit: Duration,
) -> bool {
    if let Some(key) = mask {
        apply_mask(buf.get_mut(HEADROOM..).unwrap_or_default(), key, 0);
    }
    let payload = buf.get(HEADROOM..).unwrap_or_default();
    if payload.len() <= SMALL_ECHO {
        push_frame(out, rsv, op, mask, payload);
        return true;
    }
    let mut header = Vec::with_capacity(HEADROOM);
    encode_header(
        &mut header,
        true,
        rsv,
        op,
        mask,
        payload.len() as u64,
        LengthForm::Minimal,
    );
    match HEADROOM.checked_sub(header.len()) {
        Some(at) => {
            buf[at..HEADROOM].copy_from_slice(&header);
            flush(stream, out, limit).await && write(stream, &buf[at..], limit).await
        }
        None => {
            out.extend_from_slice(&header);
            flush(stream, out, limit).await && write(stream, &buf[HEADROOM..], limit).await
        }
    }
}

/// Empty a message buffer down to its headroom, releasing it when it grew big.
fn release(buf: &mut Vec<u8>) {
    if buf.capacity() > KEEP_CAPACITY {
        *buf = vec![0; HEADROOM];
    } else {
        buf.truncate(HEADROOM);
    }
}

/// Write the pending small frames.
async fn flush(stream: &mut Stream, out: &mut Vec<u8>, limit: Duration) -> bool {
    if out.is_empty() {
        return true;
    }
    let ok = write(stream, out, limit).await;
    out.clear();
    ok
}

/// Append a final frame, unmasked unless a fault gives a `mask` (for an already masked
/// payload).
fn push_frame(out: &mut Vec<u8>, rsv: u8, op: u8, mask: Option<[u8; 4]>, payload: &[u8]) {
    encode_header(
        out,
        true,
        rsv,
        op,
        mask,
        payload.len() as u64,
        LengthForm::Minimal,
    );
    out.extend_from_slice(payload);
}

/// A bounded `write_all` (flushed over TLS); false when it failed or timed out.
pub(super) async fn write(stream: &mut Stream, data: &[u8], limit: Duration) -> bool {
    matches!(timeout(limit, stream.write_flushed(data)).await, Ok(Ok(())))
}

/// Close payload for failing the connection: the code and a short reason (≤ 123 octets).
fn failure_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(&reason.as_bytes()[..end]);
    p
}

/// Run the frame loop. `buf` is the read buffer (`READ_BUF` long) whose `start..end` holds
/// octets that arrived after the handshake head. `down` is the server's crash latch (see
/// [`Fault::CrashOnLongCloseReason`]).
pub(super) async fn run(
    stream: &mut Stream,
    buf: &mut [u8],
    mut start: usize,
    mut end: usize,
    config: &EchoConfig,
    agreed: Option<Agreed>,
    down: &AtomicBool,
) {
    let mut s = Session::new(config.max_message, agreed, config.fault);
    let io_limit = config.idle_timeout;
    let close_payload = loop {
        let mut action = None;
        while let (used, Some(piece)) = s.deframer.next(&mut buf[start..end]) {
            start += used;
            match s.handle(piece) {
                Ok(None) => {}
                Ok(Some(Action::Echo(op))) => {
                    if !s.echo(stream, op, io_limit).await {
                        return;
                    }
                }
                Ok(Some(Action::Close(reply))) => {
                    action = Some(reply);
                    break;
                }
                Ok(Some(Action::Drop)) => return,
                Ok(Some(Action::Crash)) => {
                    down.store(true, Ordering::Relaxed);
                    return;
                }
                Ok(Some(Action::Hang)) => {
                    // Neither read nor write until the idle timeout, then vanish.
                    tokio::time::sleep(config.idle_timeout).await;
                    return;
                }
                Err(v) => {
                    let code = match config.fault {
                        Some(fault) => fault.close_code(v),
                        None => v.close_code(),
                    };
                    action = Some(failure_payload(code, &v.to_string()));
                    break;
                }
            }
        }
        // After a close or a failure nothing more is processed, not even buffered pings.
        if let Some(payload) = action {
            break payload;
        }
        if !s.flush(stream, io_limit).await {
            return;
        }
        // Payload pieces consume all input, so only a partial header (< 14 octets) is left.
        if start > 0 {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        match timeout(config.idle_timeout, stream.read(&mut buf[end..])).await {
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(n)) => end += n,
            Err(_) => break failure_payload(GOING_AWAY, "idle timeout"),
        }
        if config.fault.is_some() && down.load(Ordering::Relaxed) {
            // Another connection "crashed" the server: this one dies with it.
            return;
        }
    };
    push_frame(&mut s.out, 0, opcode::CLOSE, None, &close_payload);
    if s.flush(stream, config.close_timeout).await {
        close(stream, buf, config.close_timeout).await;
    }
}

/// Close TCP first (as §7.1.1 wants of a server) with a FIN, then read and discard until the
/// client closes too or `limit` passes, so unread input cannot turn our close into a reset
/// that destroys the close frame still in flight.
pub(super) async fn close(stream: &mut Stream, buf: &mut [u8], limit: Duration) {
    let deadline = Instant::now() + limit;
    if !matches!(timeout_at(deadline, stream.shutdown()).await, Ok(Ok(()))) {
        return;
    }
    while let Ok(Ok(n)) = timeout_at(deadline, stream.read(buf)).await {
        if n == 0 {
            break;
        }
    }
}
