//! The frame loop of one connection after the handshake: echo, pong, close, fail.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, timeout_at, Instant};
use wsspec_cases::{opcode, LengthForm};

use super::EchoConfig;
use crate::codec::{
    check_header, encode_header, parse_close_payload, DataFrame, Deframer, MessageState, Piece,
    Role, Violation,
};

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
}

/// Protocol state of one connection; the read buffer lives outside so pieces can borrow it.
struct Session {
    deframer: Deframer,
    message: MessageState,
    frame: Frame,
    /// `HEADROOM` octets, then the payload of the message being received.
    msg: Vec<u8>,
    /// Payload of the control frame being received (at most 125 octets).
    ctrl: Vec<u8>,
    /// Small frames waiting to be written; flushed before every read.
    out: Vec<u8>,
}

impl Session {
    fn new(max_message: u64) -> Self {
        Session {
            deframer: Deframer::new(),
            message: MessageState::new(Some(max_message)),
            frame: Frame::None,
            msg: vec![0; HEADROOM],
            ctrl: Vec::with_capacity(125),
            out: Vec::with_capacity(4096),
        }
    }

    fn handle(&mut self, piece: Piece<'_>) -> Result<Option<Action>, Violation> {
        match piece {
            Piece::Header(h) => {
                check_header(Role::Server, &h)?;
                if h.is_control() {
                    self.frame = Frame::Control { opcode: h.opcode };
                    self.ctrl.clear();
                } else {
                    if let DataFrame::Start(_) = self.message.on_data_header(&h)? {
                        self.msg.truncate(HEADROOM);
                    }
                    // on_data_header bounded the message by max_message, and untouched
                    // reserved pages cost nothing, so a frame is reserved at once (capped, in
                    // case max_message is huge; failure just leaves growth to extend).
                    let want = usize::try_from(h.len.min(MAX_RESERVE)).unwrap_or(0);
                    let _ = self.msg.try_reserve(want);
                    self.frame = Frame::Data { fin: h.fin };
                }
                Ok(None)
            }
            Piece::Payload { data, last } => match self.frame {
                Frame::Data { fin } => {
                    // Validating each piece as it lands is what makes UTF-8 errors fail fast.
                    self.message.on_data(data)?;
                    self.msg.extend_from_slice(data);
                    if !last {
                        return Ok(None);
                    }
                    self.frame = Frame::None;
                    Ok(self.message.on_data_end(fin)?.map(Action::Echo))
                }
                Frame::Control { opcode: op } => {
                    self.ctrl.extend_from_slice(data);
                    if !last {
                        return Ok(None);
                    }
                    self.frame = Frame::None;
                    match op {
                        opcode::PING => {
                            push_frame(&mut self.out, opcode::PONG, &self.ctrl);
                            Ok(None)
                        }
                        opcode::CLOSE => {
                            let body = parse_close_payload(&self.ctrl)?;
                            let reply = body.code.map(|c| c.to_be_bytes().to_vec());
                            Ok(Some(Action::Close(reply.unwrap_or_default())))
                        }
                        _ => Ok(None),
                    }
                }
                // The deframer only yields payload after a header.
                Frame::None => Ok(None),
            },
        }
    }

    /// Write the completed message back as one unmasked frame.
    async fn echo(&mut self, stream: &mut TcpStream, op: u8, limit: Duration) -> bool {
        let len = self.msg.len() - HEADROOM;
        if len <= SMALL_ECHO {
            push_frame(&mut self.out, op, &self.msg[HEADROOM..]);
            self.msg.truncate(HEADROOM);
            return true;
        }
        let mut header = Vec::with_capacity(HEADROOM);
        encode_header(
            &mut header,
            true,
            0,
            op,
            None,
            len as u64,
            LengthForm::Minimal,
        );
        let ok = match HEADROOM.checked_sub(header.len()) {
            Some(at) => {
                self.msg[at..HEADROOM].copy_from_slice(&header);
                self.flush(stream, limit).await && write(stream, &self.msg[at..], limit).await
            }
            None => {
                self.out.extend_from_slice(&header);
                self.flush(stream, limit).await && write(stream, &self.msg[HEADROOM..], limit).await
            }
        };
        if self.msg.capacity() > KEEP_CAPACITY {
            self.msg = vec![0; HEADROOM];
        } else {
            self.msg.truncate(HEADROOM);
        }
        ok
    }

    async fn flush(&mut self, stream: &mut TcpStream, limit: Duration) -> bool {
        if self.out.is_empty() {
            return true;
        }
        let ok = write(stream, &self.out, limit).await;
        self.out.clear();
        ok
    }
}

/// Append an unmasked final frame.
fn push_frame(out: &mut Vec<u8>, op: u8, payload: &[u8]) {
    encode_header(
        out,
        true,
        0,
        op,
        None,
        payload.len() as u64,
        LengthForm::Minimal,
    );
    out.extend_from_slice(payload);
}

/// A bounded `write_all`; false when it failed or timed out.
pub(super) async fn write(stream: &mut TcpStream, data: &[u8], limit: Duration) -> bool {
    matches!(timeout(limit, stream.write_all(data)).await, Ok(Ok(())))
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
/// octets that arrived after the handshake head.
pub(super) async fn run(
    stream: &mut TcpStream,
    buf: &mut [u8],
    mut start: usize,
    mut end: usize,
    config: &EchoConfig,
) {
    let mut s = Session::new(config.max_message);
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
                Err(v) => {
                    action = Some(failure_payload(v.close_code(), &v.to_string()));
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
    };
    push_frame(&mut s.out, opcode::CLOSE, &close_payload);
    if s.flush(stream, config.close_timeout).await {
        close(stream, buf, config.close_timeout).await;
    }
}

/// Close TCP first (as §7.1.1 wants of a server) with a FIN, then read and discard until the
/// client closes too or `limit` passes, so unread input cannot turn our close into a reset
/// that destroys the close frame still in flight.
pub(super) async fn close(stream: &mut TcpStream, buf: &mut [u8], limit: Duration) {
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
