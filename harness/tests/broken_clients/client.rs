//! A small blocking RFC 6455 client on raw sockets that follows Autobahn's client
//! convention (`/getCaseCount`, `/runCase?case=N&agent=A` echoing every message, then
//! `/updateReports?agent=A`), with one deliberate fault switched on by a [`Defect`].
//!
//! Every read and write is bounded by a deadline; nothing here sleeps.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine as _;
use sha1::{Digest, Sha1};

/// The fault a client has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defect {
    /// None: a correct client.
    None,
    /// Sends its frames unmasked (RFC 6455 §5.1: a client MUST mask).
    NeverMasks,
    /// Never answers a ping with a pong (§5.5.2).
    IgnoresPings,
    /// Echoes text messages back as binary messages.
    EchoesTextAsBinary,
    /// Never answers the server's close frame (§5.5.1), and waits for the server to drop.
    NoCloseReply,
    /// Does not validate UTF-8: echoes invalid text instead of failing with 1007 (§8.1).
    AcceptsBadUtf8,
    /// Takes any answer to its opening request as a success (§4.1: wrong accept value,
    /// missing headers, non-101 status, unoffered subprotocol or extension).
    SkipsHandshakeChecks,
}

/// Longest a single read or write may block before the deadline is re-checked.
const IO_STEP: Duration = Duration::from_secs(20);

const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// One frame as read from the server (payload unmasked).
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub rsv: u8,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// Encodes one frame; `mask` is the masking key (`None`: unmasked).
pub fn encode_frame(fin: bool, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(if fin { 0x80 } else { 0 } | opcode);
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= 0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// Decodes one frame from the front of `buf`: `Ok(Some((frame, consumed)))`, `Ok(None)` when
/// more bytes are needed.
pub fn decode_frame(buf: &[u8]) -> io::Result<Option<(Frame, usize)>> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let fin = buf[0] & 0x80 != 0;
    let rsv = (buf[0] >> 4) & 0x7;
    let opcode = buf[0] & 0x0F;
    let masked = buf[1] & 0x80 != 0;
    let (len, mut at) = match buf[1] & 0x7F {
        126 => {
            if buf.len() < 4 {
                return Ok(None);
            }
            (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4)
        }
        127 => {
            if buf.len() < 10 {
                return Ok(None);
            }
            let mut b = [0u8; 8];
            b.copy_from_slice(&buf[2..10]);
            (u64::from_be_bytes(b), 10)
        }
        n => (u64::from(n), 2),
    };
    if len > 64 * 1024 * 1024 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "frame too long"));
    }
    let key = if masked {
        if buf.len() < at + 4 {
            return Ok(None);
        }
        let k = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
        at += 4;
        Some(k)
    } else {
        None
    };
    let end = at + len as usize;
    if buf.len() < end {
        return Ok(None);
    }
    let mut payload = buf[at..end].to_vec();
    if let Some(k) = key {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= k[i % 4];
        }
    }
    Ok(Some((
        Frame {
            fin,
            rsv,
            opcode,
            payload,
        },
        end,
    )))
}

/// Whether `bytes` is valid UTF-8 so far: a prefix of a valid text (an incomplete last
/// sequence is fine unless `complete`).
pub fn utf8_ok(bytes: &[u8], complete: bool) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => !complete && e.error_len().is_none(),
    }
}

fn valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// What a session does with each complete message: `(connection, opcode, payload)`.
type OnMessage<'a> = dyn FnMut(&mut Conn, u8, Vec<u8>) -> io::Result<()> + 'a;

/// How a session ended.
enum Next {
    Continue,
    Done,
}

/// One WebSocket connection to the server under test.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    defect: Defect,
    deadline: Instant,
    sent_close: bool,
    /// The message being reassembled: opcode and payload so far.
    partial: Option<(u8, Vec<u8>)>,
    mask_state: u32,
}

impl Conn {
    /// Opens `path` on `127.0.0.1:port` and completes the opening handshake.
    fn open(port: u16, path: &str, defect: Defect, deadline: Instant) -> io::Result<Conn> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
        stream.set_nodelay(true)?;
        let mut conn = Conn {
            stream,
            buf: Vec::new(),
            defect,
            deadline,
            sent_close: false,
            partial: None,
            mask_state: 0x9E37_79B9 ^ u32::from(port),
        };
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\
             User-Agent: wsspec-broken-client/{defect:?}\r\n\r\n"
        );
        conn.write_all(request.as_bytes())?;
        let head_end = loop {
            if let Some(i) = conn.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if conn.buf.len() > 16 * 1024 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "response head too long",
                ));
            }
            if conn.fill()? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{path}: connection closed during the handshake"),
                ));
            }
        };
        let head = String::from_utf8_lossy(&conn.buf[..head_end]).into_owned();
        conn.buf.drain(..head_end);
        let status = head.lines().next().unwrap_or("");
        if defect == Defect::SkipsHandshakeChecks {
            return Ok(conn);
        }
        if !status.starts_with("HTTP/1.1 101") {
            return Err(io::Error::other(format!("{path}: refused: {status}")));
        }
        let mut sha = Sha1::new();
        sha.update(key.as_bytes());
        sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
        let accept = base64::engine::general_purpose::STANDARD.encode(sha.finalize());
        let has_accept = head.lines().any(|l| {
            l.split_once(':').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("sec-websocket-accept") && v.trim() == accept
            })
        });
        let header = |name: &str| {
            head.lines().skip(1).find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_ascii_lowercase())
            })
        };
        let upgrade_ok = header("upgrade").is_some_and(|v| v == "websocket");
        let connection_ok =
            header("connection").is_some_and(|v| v.split(',').any(|t| t.trim() == "upgrade"));
        // This client offers neither a subprotocol nor an extension (RFC 6455 §4.1).
        let nothing_unoffered = header("sec-websocket-protocol").is_none()
            && header("sec-websocket-extensions").is_none();
        if !(has_accept && upgrade_ok && connection_ok && nothing_unoffered) {
            return Err(io::Error::other(format!(
                "{path}: bad response head:\n{head}"
            )));
        }
        Ok(conn)
    }

    fn step_timeout(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "client deadline passed",
            ));
        }
        Ok(left.min(IO_STEP))
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.set_write_timeout(Some(self.step_timeout()?))?;
        self.stream.write_all(bytes)
    }

    /// Reads more bytes into the buffer; 0 at EOF.
    fn fill(&mut self) -> io::Result<usize> {
        self.stream.set_read_timeout(Some(self.step_timeout()?))?;
        let mut chunk = [0u8; 64 * 1024];
        // A signal delivered to the test process can interrupt a blocking read (EINTR,
        // seen in CI); that is no answer from the server, so read again.
        let n = loop {
            match self.stream.read(&mut chunk) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// The next frame; `None` at EOF (or a reset, which ends the case as well).
    fn read_frame(&mut self) -> io::Result<Option<Frame>> {
        loop {
            if let Some((frame, used)) = decode_frame(&self.buf)? {
                self.buf.drain(..used);
                return Ok(Some(frame));
            }
            match self.fill() {
                Ok(0) => return Ok(None),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }

    fn next_mask(&mut self) -> [u8; 4] {
        // xorshift32: masks need not be secret here, only present and varied.
        let mut x = self.mask_state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.mask_state = x;
        x.to_be_bytes()
    }

    fn send(&mut self, opcode: u8, payload: &[u8]) -> io::Result<()> {
        let mask = if self.defect == Defect::NeverMasks {
            None
        } else {
            Some(self.next_mask())
        };
        let frame = encode_frame(true, opcode, payload, mask);
        match self.write_all(&frame) {
            // The server may already have dropped a connection it judged broken.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                ) =>
            {
                Ok(())
            }
            other => other,
        }
    }

    /// Reads (and drops) everything until the server closes the TCP connection.
    fn drain_until_eof(&mut self) -> io::Result<Next> {
        loop {
            self.buf.clear();
            match self.fill() {
                Ok(0) => return Ok(Next::Done),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(Next::Done),
                Err(e) => return Err(e),
            }
        }
    }

    /// Fails the connection (RFC 6455 §7.1.7): a close with `code`, then wait for the server
    /// to drop it.
    fn fail(&mut self, code: u16) -> io::Result<Next> {
        if !self.sent_close {
            self.sent_close = true;
            self.send(CLOSE, &code.to_be_bytes())?;
        }
        self.drain_until_eof()
    }

    fn on_close(&mut self, payload: &[u8]) -> io::Result<Next> {
        let checks_utf8 = self.defect != Defect::AcceptsBadUtf8;
        if payload.len() == 1 {
            return self.fail(1002);
        }
        if payload.len() >= 2 {
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            if !valid_close_code(code) {
                return self.fail(1002);
            }
            if checks_utf8 && !utf8_ok(&payload[2..], true) {
                return self.fail(1007);
            }
        }
        if self.defect != Defect::NoCloseReply && !self.sent_close {
            self.sent_close = true;
            let reply = payload.get(..2).unwrap_or_default().to_vec();
            self.send(CLOSE, &reply)?;
        }
        self.drain_until_eof()
    }

    /// Handles one frame; `on_message` gets each complete message (opcode, payload).
    fn on_frame(&mut self, frame: Frame, on_message: &mut OnMessage<'_>) -> io::Result<Next> {
        if frame.rsv != 0 {
            return self.fail(1002);
        }
        let checks_utf8 = self.defect != Defect::AcceptsBadUtf8;
        match frame.opcode {
            CLOSE | PING | PONG if !frame.fin || frame.payload.len() > 125 => self.fail(1002),
            CLOSE => self.on_close(&frame.payload),
            PING => {
                if self.defect != Defect::IgnoresPings && !self.sent_close {
                    self.send(PONG, &frame.payload)?;
                }
                Ok(Next::Continue)
            }
            PONG => Ok(Next::Continue),
            TEXT | BINARY | 0 => {
                let (opcode, mut data) = match (frame.opcode, self.partial.take()) {
                    (0, Some(partial)) => partial,
                    (0, None) => return self.fail(1002),
                    (_, Some(_)) => return self.fail(1002),
                    (op, None) => (op, Vec::new()),
                };
                data.extend_from_slice(&frame.payload);
                if opcode == TEXT && checks_utf8 && !utf8_ok(&data, frame.fin) {
                    return self.fail(1007);
                }
                if frame.fin {
                    if !self.sent_close {
                        on_message(self, opcode, data)?;
                    }
                } else {
                    self.partial = Some((opcode, data));
                }
                Ok(Next::Continue)
            }
            _ => self.fail(1002),
        }
    }

    /// Runs the connection until the server ends it.
    fn session(&mut self, on_message: &mut OnMessage<'_>) -> io::Result<()> {
        while let Some(frame) = self.read_frame()? {
            if let Next::Done = self.on_frame(frame, on_message)? {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// Runs Autobahn's client convention against `wsspec server` on `port` as `agent` (letters,
/// digits and `-` only), with `defect` in every runCase connection. Returns the case count.
pub fn run(port: u16, agent: &str, defect: Defect, budget: Duration) -> io::Result<usize> {
    let deadline = Instant::now() + budget;
    let mut count_text = None;
    Conn::open(port, "/getCaseCount", Defect::None, deadline)?.session(&mut |_, op, data| {
        if op == TEXT {
            count_text = Some(String::from_utf8_lossy(&data).into_owned());
        }
        Ok(())
    })?;
    let count: usize = count_text
        .as_deref()
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| io::Error::other(format!("getCaseCount sent {count_text:?}")))?;
    for case in 1..=count {
        let path = format!("/runCase?case={case}&agent={agent}");
        let mut conn = match Conn::open(port, &path, defect, deadline) {
            Ok(conn) => conn,
            // The client refused the server's handshake: that ends the case (category 20
            // tests exactly that).
            Err(e) if e.kind() == io::ErrorKind::Other => continue,
            Err(e) => return Err(e),
        };
        conn.session(&mut |conn, op, data| {
            let op = if defect == Defect::EchoesTextAsBinary {
                BINARY
            } else {
                op
            };
            conn.send(op, &data)
        })?;
    }
    let path = format!("/updateReports?agent={agent}");
    Conn::open(port, &path, Defect::None, deadline)?.session(&mut |_, _, _| Ok(()))?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        for len in [0usize, 1, 125, 126, 65535, 65536] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            for mask in [None, Some([1, 2, 3, 4])] {
                let wire = encode_frame(true, BINARY, &payload, mask);
                let (frame, used) = decode_frame(&wire).unwrap().unwrap();
                assert_eq!(used, wire.len());
                assert_eq!(frame.payload, payload);
                assert!(frame.fin);
                assert_eq!(frame.opcode, BINARY);
                assert!(decode_frame(&wire[..wire.len() - 1]).unwrap().is_none() || len == 0);
            }
        }
    }

    #[test]
    fn utf8_is_checked_as_it_arrives() {
        let euro = "€".as_bytes();
        assert!(utf8_ok(&euro[..2], false));
        assert!(!utf8_ok(&euro[..2], true));
        assert!(utf8_ok(euro, true));
        assert!(!utf8_ok(
            &[0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80],
            false
        ));
    }
}
