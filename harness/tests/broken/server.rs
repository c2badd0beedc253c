//! A deliberately breakable WebSocket echo server: the test fixture `broken.rs` points wsspec
//! at to check that each kind of fault is caught by the category meant to catch it.
//!
//! With [`Defect::None`] it is a small, correct echo server for RFC 6455 (versions 13, 8
//! and 7), hixie-76 and hixie-75. Every other [`Defect`] breaks exactly one rule and leaves
//! the rest correct. It is written from the RFC and the drafts on purpose without wsspec's
//! own codec, so a bug shared by the harness and the fixture cannot cancel itself out.
//!
//! One std thread accepts on 127.0.0.1:0, one thread serves each connection. Every read
//! and write has a timeout, nothing sleeps, and dropping the [`BrokenServer`] stops the
//! accept loop, shuts every open connection down and joins all its threads.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use base64::Engine as _;
use md5::{Digest as _, Md5};
use sha1::Sha1;

/// The RFC 6455 §1.3 GUID.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// The GUID [`Defect::WrongAccept`] uses instead: hybi-04's masking GUID, a plausible slip.
const WRONG_GUID: &str = "61AC5F19-FBBA-4540-B96F-6561F1AB40A8";
/// The subprotocol [`Defect::PicksUnofferedSubprotocol`] always selects.
const FORCED_SUBPROTOCOL: &str = "chat";
/// Versions the server speaks, in the order it lists them on a refusal.
const VERSIONS: &[u32] = &[13, 8, 7];
/// Longest request head it reads.
const MAX_HEAD: usize = 16 * 1024;
/// Largest message (and hixie frame) it buffers.
const MAX_MESSAGE: usize = 64 * 1024 * 1024;
/// Idle limit of a connection; also bounds every single read.
const IDLE_TIMEOUT: Duration = Duration::from_secs(20);
/// Bound on every write.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long it waits for the peer's EOF after its own close.
const CLOSE_LINGER: Duration = Duration::from_secs(2);
/// The masking key [`Defect::MasksServerFrames`] uses.
const SERVER_MASK: [u8; 4] = [0x5a, 0x3c, 0x96, 0xe1];

/// The one fault a [`BrokenServer`] has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Defect {
    /// No fault: a correct echo server.
    None,
    /// `Sec-WebSocket-Accept` computed from the wrong GUID.
    WrongAccept,
    /// hixie-76 challenge built with the key numbers little-endian.
    LittleEndianChallenge,
    /// hixie-76: writes nothing until key3 has arrived (breaks behind HTTP proxies).
    WaitsForKey3,
    /// hixie-76: answers a key with zero spaces (dividing by 1) instead of refusing.
    AcceptsZeroSpaceKeys,
    /// 400 unless `Connection` is exactly `Upgrade` (refuses `keep-alive, Upgrade`).
    RejectsKeepAliveUpgrade,
    /// Masks the data frames it echoes.
    MasksServerFrames,
    /// Echoes every data frame with a 64-bit length, whatever its size.
    NonMinimalLength,
    /// Echoes unmasked client frames instead of failing the connection with 1002.
    AcceptsUnmaskedClientFrames,
    /// Refuses an unsupported version with 426 but without `Sec-WebSocket-Version`.
    NoVersionListOn426,
    /// Accepts any `Sec-WebSocket-Version` (9, 99, …) with 101.
    AcceptsAnyVersion,
    /// Answers hixie-75 with `HTTP/1.1 101 Switching Protocols`.
    Hixie75WrongStatusLine,
    /// Always selects `Sec-WebSocket-Protocol: chat`, offered or not.
    PicksUnofferedSubprotocol,
    /// Answers a close frame without a code with a close frame carrying 1005.
    EchoesClose1005,
    /// Echoes data frames with RSV1 set.
    SetsRsvBits,
    /// Accepts whatever `Sec-WebSocket-Extensions` the client offers, implementing none.
    AcceptsUnknownExtension,
}

impl Defect {
    /// Every fault (not [`Defect::None`]).
    pub const FAULTS: &'static [Defect] = &[
        Defect::WrongAccept,
        Defect::LittleEndianChallenge,
        Defect::WaitsForKey3,
        Defect::AcceptsZeroSpaceKeys,
        Defect::RejectsKeepAliveUpgrade,
        Defect::MasksServerFrames,
        Defect::NonMinimalLength,
        Defect::AcceptsUnmaskedClientFrames,
        Defect::NoVersionListOn426,
        Defect::AcceptsAnyVersion,
        Defect::Hixie75WrongStatusLine,
        Defect::PicksUnofferedSubprotocol,
        Defect::EchoesClose1005,
        Defect::SetsRsvBits,
        Defect::AcceptsUnknownExtension,
    ];

    /// The defect whose [`Defect::name`] is `name`.
    pub fn from_name(name: &str) -> Option<Defect> {
        std::iter::once(&Defect::None)
            .chain(Defect::FAULTS)
            .copied()
            .find(|d| d.name() == name)
    }

    /// Kebab-case name, used in agent names (`broken-wrong-accept`).
    pub fn name(self) -> &'static str {
        match self {
            Defect::None => "none",
            Defect::WrongAccept => "wrong-accept",
            Defect::LittleEndianChallenge => "little-endian-challenge",
            Defect::WaitsForKey3 => "waits-for-key3",
            Defect::AcceptsZeroSpaceKeys => "accepts-zero-space-keys",
            Defect::RejectsKeepAliveUpgrade => "rejects-keep-alive-upgrade",
            Defect::MasksServerFrames => "masks-server-frames",
            Defect::NonMinimalLength => "non-minimal-length",
            Defect::AcceptsUnmaskedClientFrames => "accepts-unmasked-client-frames",
            Defect::NoVersionListOn426 => "no-version-list-on-426",
            Defect::AcceptsAnyVersion => "accepts-any-version",
            Defect::Hixie75WrongStatusLine => "hixie75-wrong-status-line",
            Defect::PicksUnofferedSubprotocol => "picks-unoffered-subprotocol",
            Defect::EchoesClose1005 => "echoes-close-1005",
            Defect::SetsRsvBits => "sets-rsv-bits",
            Defect::AcceptsUnknownExtension => "accepts-unknown-extension",
        }
    }
}

/// Open connections: id → (a handle to shut it down, its thread).
type Registry = Arc<Mutex<HashMap<u64, (TcpStream, Option<JoinHandle<()>>)>>>;

/// A running fixture server on 127.0.0.1: stopped, with all its connections, when dropped.
pub struct BrokenServer {
    addr: SocketAddr,
    defect: Defect,
    stop: Arc<AtomicBool>,
    conns: Registry,
    accept: Option<JoinHandle<()>>,
}

impl BrokenServer {
    /// Starts a server with `defect` on an ephemeral loopback port.
    pub fn start(defect: Defect) -> io::Result<BrokenServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Registry = Arc::new(Mutex::new(HashMap::new()));
        let accept = {
            let stop = Arc::clone(&stop);
            let conns = Arc::clone(&conns);
            thread::Builder::new()
                .name(format!("broken-{}-accept", defect.name()))
                .spawn(move || accept_loop(listener, defect, stop, conns))?
        };
        Ok(BrokenServer {
            addr,
            defect,
            stop,
            conns,
            accept: Some(accept),
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `ws://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Its fault.
    pub fn defect(&self) -> Defect {
        self.defect
    }
}

impl Drop for BrokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept; it sees the flag and returns.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        let open: Vec<_> = lock(&self.conns).drain().map(|(_, v)| v).collect();
        for (stream, thread) in open {
            let _ = stream.shutdown(Shutdown::Both);
            if let Some(t) = thread {
                let _ = t.join();
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn accept_loop(listener: TcpListener, defect: Defect, stop: Arc<AtomicBool>, conns: Registry) {
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        // Register before the thread can finish, so its own removal always finds the entry.
        let mut map = lock(&conns);
        let registry = Arc::clone(&conns);
        let spawned = thread::Builder::new()
            .name(format!("broken-{}-conn", defect.name()))
            .spawn(move || {
                let _ = serve(stream, defect);
                lock(&registry).remove(&id);
            });
        match spawned {
            Ok(t) => {
                map.insert(id, (handle, Some(t)));
            }
            Err(_) => {
                let _ = handle.shutdown(Shutdown::Both);
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// One connection
// ------------------------------------------------------------------------------------------

/// A parsed request head.
struct Request {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every comma-separated token of every `name` header, trimmed.
    fn tokens(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect()
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.tokens(name)
            .iter()
            .any(|t| t.eq_ignore_ascii_case(token))
    }

    /// How many `name` header lines there are.
    fn count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    defect: Defect,
}

/// Why a connection ends early.
type Done = io::Result<()>;

fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "peer closed")
}

impl Conn {
    /// Reads more octets into the buffer; an error at EOF.
    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        // A signal can interrupt a blocking read (EINTR): that is not the peer's doing.
        let n = loop {
            match self.stream.read(&mut chunk) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        if n == 0 {
            return Err(eof());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// Makes sure at least `n` octets are buffered.
    fn need(&mut self, n: usize) -> io::Result<()> {
        while self.buf.len() < n {
            self.fill()?;
        }
        Ok(())
    }

    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Writes an HTTP refusal and ends the connection.
    fn refuse(&mut self, status: &str, extra: &[(&str, String)]) -> Done {
        let mut head = format!("HTTP/1.1 {status}\r\n");
        for (n, v) in extra {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
        let _ = self.send(head.as_bytes());
        self.linger();
        Ok(())
    }

    /// After our last octet: half-close, then wait (bounded) for the peer's EOF so it is
    /// the one that sees the close first, as RFC 6455 §7.1.1 asks of a server.
    fn linger(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
        let deadline = Instant::now() + CLOSE_LINGER;
        let mut sink = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                break;
            }
            match self.stream.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
}

fn serve(stream: TcpStream, defect: Defect) -> Done {
    stream.set_read_timeout(Some(IDLE_TIMEOUT))?;
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let _ = stream.set_nodelay(true);
    let mut c = Conn {
        stream,
        buf: Vec::new(),
        defect,
    };

    let head_end = loop {
        if let Some(end) = head_end(&c.buf) {
            break end;
        }
        if c.buf.len() > MAX_HEAD {
            return c.refuse("431 Request Header Fields Too Large", &[]);
        }
        c.fill()?;
    };
    let Some(req) = parse_request(&c.buf[..head_end]) else {
        return c.refuse("400 Bad Request", &[]);
    };
    c.buf.drain(..head_end);

    if req.method != "GET" {
        return c.refuse("405 Method Not Allowed", &[("Allow", "GET".into())]);
    }
    if !matches!(req.version.as_str(), "HTTP/1.1") || req.header("Host").is_none() {
        return c.refuse("400 Bad Request", &[]);
    }
    if req.header("Sec-WebSocket-Key1").is_some() || req.header("Sec-WebSocket-Key2").is_some() {
        hixie76(c, &req)
    } else if req.header("Sec-WebSocket-Key").is_some()
        || req.header("Sec-WebSocket-Version").is_some()
    {
        hybi(c, &req)
    } else if req.has_token("Upgrade", "websocket") {
        hixie75(c, &req)
    } else {
        c.refuse(
            "426 Upgrade Required",
            &[
                ("Upgrade", "websocket".into()),
                ("Sec-WebSocket-Version", version_list()),
            ],
        )
    }
}

fn version_list() -> String {
    VERSIONS
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Length of the head including its blank line (CRLF or bare LF line ends).
fn head_end(buf: &[u8]) -> Option<usize> {
    (0..buf.len()).find_map(|i| {
        if buf[i] != b'\n' {
            return None;
        }
        match (buf.get(i + 1), buf.get(i + 2)) {
            (Some(b'\n'), _) => Some(i + 2),
            (Some(b'\r'), Some(b'\n')) => Some(i + 3),
            _ => None,
        }
    })
}

fn parse_request(raw: &[u8]) -> Option<Request> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let mut parts = lines.next()?.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    // Origin form (`/path`), or absolute form (`http://host:port/path`, RFC 6455 §4.2.1).
    let target = match target.split_once("://") {
        Some((scheme, rest)) if !target.starts_with('/') => {
            if !matches!(scheme, "http" | "https" | "ws" | "wss") {
                return None;
            }
            rest.find('/').map_or("/", |i| &rest[i..])
        }
        _ if target.starts_with('/') => target,
        _ => return None,
    };
    let mut headers = Vec::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        if name.is_empty() || name.contains([' ', '\t']) {
            return None;
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    Some(Request {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
        headers,
    })
}

// ------------------------------------------------------------------------------------------
// RFC 6455 (and hybi-07/-10, which frame the same way)
// ------------------------------------------------------------------------------------------

/// `base64(SHA-1(key ‖ guid))`.
fn accept_for(key: &str, guid: &str) -> String {
    let mut sha = Sha1::new();
    sha1::Digest::update(&mut sha, key.as_bytes());
    sha1::Digest::update(&mut sha, guid.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha1::Digest::finalize(sha))
}

fn hybi(mut c: Conn, req: &Request) -> Done {
    let d = c.defect;
    if !req.has_token("Upgrade", "websocket") {
        return c.refuse("400 Bad Request", &[]);
    }
    let connection_ok = if d == Defect::RejectsKeepAliveUpgrade {
        req.count("Connection") == 1
            && req
                .header("Connection")
                .is_some_and(|v| v.eq_ignore_ascii_case("upgrade"))
    } else {
        req.has_token("Connection", "upgrade")
    };
    if !connection_ok {
        return c.refuse("400 Bad Request", &[]);
    }

    let version = match req.count("Sec-WebSocket-Version") {
        1 => req
            .header("Sec-WebSocket-Version")
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|v| v.parse::<u32>().ok()),
        _ => None,
    };
    let supported = version.is_some_and(|v| VERSIONS.contains(&v));
    if !supported && d != Defect::AcceptsAnyVersion {
        let list = if d == Defect::NoVersionListOn426 {
            vec![]
        } else {
            vec![("Sec-WebSocket-Version", version_list())]
        };
        return c.refuse("426 Upgrade Required", &list);
    }

    let key = match (
        req.count("Sec-WebSocket-Key"),
        req.header("Sec-WebSocket-Key"),
    ) {
        (1, Some(k)) => k,
        _ => return c.refuse("400 Bad Request", &[]),
    };
    let decoded = base64::engine::general_purpose::STANDARD.decode(key);
    if !decoded.is_ok_and(|k| k.len() == 16) {
        return c.refuse("400 Bad Request", &[]);
    }

    let guid = if d == Defect::WrongAccept {
        WRONG_GUID
    } else {
        GUID
    };
    let mut head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n",
        accept_for(key, guid)
    );
    let offered = req.tokens("Sec-WebSocket-Protocol");
    let protocol = if d == Defect::PicksUnofferedSubprotocol {
        Some(FORCED_SUBPROTOCOL)
    } else {
        offered.first().copied()
    };
    if let Some(p) = protocol {
        head.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    if d == Defect::AcceptsUnknownExtension {
        let offered = req.tokens("Sec-WebSocket-Extensions");
        if !offered.is_empty() {
            head.push_str(&format!(
                "Sec-WebSocket-Extensions: {}\r\n",
                offered.join(", ")
            ));
        }
    }
    head.push_str("\r\n");
    c.send(head.as_bytes())?;
    hybi_frames(c)
}

fn valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// The echo loop: strict server-side framing rules, close handshake, ping/pong.
fn hybi_frames(mut c: Conn) -> Done {
    // The message being reassembled: (opcode, payload).
    let mut message: Option<(u8, Vec<u8>)> = None;
    loop {
        c.need(2)?;
        let (b0, b1) = (c.buf[0], c.buf[1]);
        let fin = b0 & 0x80 != 0;
        let rsv = b0 & 0x70;
        let opcode = b0 & 0x0f;
        let masked = b1 & 0x80 != 0;
        let ext = match b1 & 0x7f {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let header_len = 2 + ext + if masked { 4 } else { 0 };
        c.need(header_len)?;
        let len = match ext {
            2 => u64::from(u16::from_be_bytes([c.buf[2], c.buf[3]])),
            8 => u64::from_be_bytes(c.buf[2..10].try_into().expect("8 octets")),
            _ => u64::from(b1 & 0x7f),
        };
        let control = opcode & 0x08 != 0;
        if rsv != 0
            || !matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10)
            || (control && (!fin || len > 125))
            || (ext == 8 && len >> 63 != 0)
            || (!masked && c.defect != Defect::AcceptsUnmaskedClientFrames)
        {
            return fail(c, 1002);
        }
        let buffered = message.as_ref().map_or(0, |(_, m)| m.len());
        if len > (MAX_MESSAGE - buffered) as u64 {
            return fail(c, 1009);
        }
        let len = len as usize;
        c.need(header_len + len)?;
        let mut payload = c.buf[header_len..header_len + len].to_vec();
        if masked {
            let k = &c.buf[header_len - 4..header_len];
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= k[i % 4];
            }
        }
        c.buf.drain(..header_len + len);

        match opcode {
            0..=2 => {
                match (opcode, message.as_mut()) {
                    (0, Some((_, m))) => m.extend_from_slice(&payload),
                    (0, None) | (1 | 2, Some(_)) => return fail(c, 1002),
                    _ => message = Some((opcode, payload)),
                }
                if fin {
                    let (op, data) = message.take().expect("a message is open");
                    if op == 1 && std::str::from_utf8(&data).is_err() {
                        return fail(c, 1007);
                    }
                    send_frame(&mut c, op, &data, true)?;
                }
            }
            8 => {
                let reply: Vec<u8> = match payload.len() {
                    0 if c.defect == Defect::EchoesClose1005 => 1005u16.to_be_bytes().to_vec(),
                    0 => Vec::new(),
                    1 => return fail(c, 1002),
                    _ => {
                        let code = u16::from_be_bytes([payload[0], payload[1]]);
                        if !valid_close_code(code) {
                            return fail(c, 1002);
                        }
                        if std::str::from_utf8(&payload[2..]).is_err() {
                            return fail(c, 1007);
                        }
                        code.to_be_bytes().to_vec()
                    }
                };
                send_frame(&mut c, 8, &reply, false)?;
                c.linger();
                return Ok(());
            }
            9 => send_frame(&mut c, 10, &payload, false)?,
            _ => {} // An unsolicited pong needs no answer.
        }
    }
}

/// Fails the connection: a close frame with `code`, then the TCP close.
fn fail(mut c: Conn, code: u16) -> Done {
    let _ = send_frame(&mut c, 8, &code.to_be_bytes(), false);
    c.linger();
    Ok(())
}

/// Writes one frame. The defects that concern echoed frames apply to data frames only.
fn send_frame(c: &mut Conn, opcode: u8, payload: &[u8], data: bool) -> io::Result<()> {
    let d = c.defect;
    let mut out = Vec::with_capacity(payload.len() + 14);
    let rsv = if data && d == Defect::SetsRsvBits {
        0x40
    } else {
        0
    };
    out.push(0x80 | rsv | opcode);
    let mask = (data && d == Defect::MasksServerFrames).then_some(SERVER_MASK);
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let len = payload.len();
    if data && d == Defect::NonMinimalLength {
        out.push(mask_bit | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    } else if len < 126 {
        out.push(mask_bit | len as u8);
    } else if len <= 0xffff {
        out.push(mask_bit | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    match mask {
        Some(k) => {
            out.extend_from_slice(&k);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    c.send(&out)
}

// ------------------------------------------------------------------------------------------
// hixie-76 and hixie-75
// ------------------------------------------------------------------------------------------

/// A hixie-76 key's number divided by its spaces; `None` when the key must be refused.
/// With `zero_spaces_ok` (the defect) a key without spaces is divided by 1 and the
/// quotient wraps to 32 bits instead of being refused.
pub fn hixie76_key_value(key: &str, zero_spaces_ok: bool) -> Option<u32> {
    let mut number: u64 = 0;
    for b in key.bytes().filter(u8::is_ascii_digit) {
        number = number.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    let spaces = key.bytes().filter(|&b| b == b' ').count() as u64;
    match spaces {
        0 if zero_spaces_ok => Some(number as u32),
        0 => None,
        s if number % s != 0 => None,
        s => u32::try_from(number / s).ok(),
    }
}

/// `MD5(part1 ‖ part2 ‖ key3)`, the parts big-endian (little-endian with the defect).
pub fn hixie76_response(part1: u32, part2: u32, key3: &[u8], little_endian: bool) -> [u8; 16] {
    let bytes = |v: u32| {
        if little_endian {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    };
    let mut md5 = Md5::new();
    md5.update(bytes(part1));
    md5.update(bytes(part2));
    md5.update(key3);
    md5.finalize().into()
}

fn hixie_checks_ok(req: &Request) -> bool {
    req.header("Upgrade")
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
        && req.has_token("Connection", "upgrade")
}

fn location(req: &Request) -> String {
    format!(
        "ws://{}{}",
        req.header("Host").unwrap_or_default(),
        req.target
    )
}

fn hixie76(mut c: Conn, req: &Request) -> Done {
    let d = c.defect;
    if !hixie_checks_ok(req) || req.count("Sec-WebSocket-Key1") != 1 {
        return c.refuse("400 Bad Request", &[]);
    }
    let zero_ok = d == Defect::AcceptsZeroSpaceKeys;
    let key = |name| req.header(name).and_then(|k| hixie76_key_value(k, zero_ok));
    let (Some(part1), Some(part2)) = (key("Sec-WebSocket-Key1"), key("Sec-WebSocket-Key2")) else {
        return c.refuse("400 Bad Request", &[]);
    };
    let mut head = String::from(
        "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n",
    );
    if let Some(origin) = req.header("Origin") {
        head.push_str(&format!("Sec-WebSocket-Origin: {origin}\r\n"));
    }
    head.push_str(&format!("Sec-WebSocket-Location: {}\r\n", location(req)));
    if let Some(p) = req.header("Sec-WebSocket-Protocol") {
        head.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    head.push_str("\r\n");

    // The HAProxy rule: the head goes out before key3 is read, because an HTTP proxy
    // forwards key3 (undeclared body) only once the server has answered.
    let wait = d == Defect::WaitsForKey3;
    if !wait {
        c.send(head.as_bytes())?;
    }
    c.need(8)?;
    let key3: Vec<u8> = c.buf.drain(..8).collect();
    let digest = hixie76_response(part1, part2, &key3, d == Defect::LittleEndianChallenge);
    let mut out = if wait { head.into_bytes() } else { Vec::new() };
    out.extend_from_slice(&digest);
    c.send(&out)?;
    hixie_frames(c, true)
}

fn hixie75(mut c: Conn, req: &Request) -> Done {
    if !hixie_checks_ok(req) {
        return c.refuse("400 Bad Request", &[]);
    }
    let status = if c.defect == Defect::Hixie75WrongStatusLine {
        "HTTP/1.1 101 Switching Protocols"
    } else {
        "HTTP/1.1 101 Web Socket Protocol Handshake"
    };
    let mut head = format!("{status}\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n");
    if let Some(origin) = req.header("Origin") {
        head.push_str(&format!("WebSocket-Origin: {origin}\r\n"));
    }
    head.push_str(&format!("WebSocket-Location: {}\r\n", location(req)));
    if let Some(p) = req.header("WebSocket-Protocol") {
        head.push_str(&format!("WebSocket-Protocol: {p}\r\n"));
    }
    head.push_str("\r\n");
    c.send(head.as_bytes())?;
    hixie_frames(c, false)
}

/// Sentinel frames (`00 … FF`) are echoed when their type is 0x00 and dropped otherwise;
/// length-prefixed frames are skipped; hixie-76's `FF 00` is answered with `FF 00`, then
/// the connection closes. hixie-75 has no closing handshake: `FF 00` is an empty frame.
fn hixie_frames(mut c: Conn, is76: bool) -> Done {
    loop {
        c.need(1)?;
        let frame_type = c.buf[0];
        if frame_type & 0x80 == 0 {
            let mut scanned = 1;
            let end = loop {
                if let Some(p) = c.buf[scanned..].iter().position(|&b| b == 0xff) {
                    break scanned + p;
                }
                scanned = c.buf.len();
                if scanned > MAX_MESSAGE {
                    c.linger();
                    return Ok(());
                }
                c.fill()?;
            };
            if frame_type == 0 {
                let frame = c.buf[..=end].to_vec();
                c.send(&frame)?;
            }
            c.buf.drain(..=end);
        } else {
            let mut at = 1;
            let mut len: usize = 0;
            loop {
                c.need(at + 1)?;
                let b = c.buf[at];
                at += 1;
                len = len * 128 + usize::from(b & 0x7f);
                if len > MAX_MESSAGE {
                    c.linger();
                    return Ok(());
                }
                if b & 0x80 == 0 {
                    break;
                }
            }
            if is76 && frame_type == 0xff && len == 0 {
                c.send(&[0xff, 0x00])?;
                c.linger();
                return Ok(());
            }
            c.need(at + len)?;
            c.buf.drain(..at + len);
        }
    }
}

// ------------------------------------------------------------------------------------------
// The fixture's own tests
// ------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    const RFC_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    const HIXIE76_HEAD: &str = "GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nSec-WebSocket-Protocol: sample\r\n\
        Upgrade: WebSocket\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n\
        Origin: http://example.com\r\n\r\n";
    const HIXIE76_KEY3: &[u8] = b"^n:ds[4U";
    const HIXIE76_ANSWER: &[u8] = b"8jKS'y:G*Co,Wxa-";
    const HIXIE75: &str = "GET /demo HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\
        Host: example.com\r\nOrigin: http://example.com\r\n\r\n";
    /// RFC 6455 §5.7's masked "Hello".
    const MASKED_HELLO: &[u8] = &[
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];

    fn request(version: &str, extra: &str) -> String {
        format!(
            "GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: {RFC_KEY}\r\n\
             Sec-WebSocket-Version: {version}\r\n{extra}\r\n"
        )
    }

    /// A raw client connection with bounded reads.
    struct Client {
        s: TcpStream,
        got: Vec<u8>,
    }

    impl Client {
        fn connect(server: &BrokenServer) -> Client {
            let s = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
            s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
            Client { s, got: Vec::new() }
        }

        fn send(&mut self, bytes: &[u8]) -> &mut Self {
            self.s.write_all(bytes).expect("write");
            self
        }

        /// Reads until `done(received)` or EOF or `limit`; returns whether `done` held.
        fn read_until(&mut self, limit: Duration, done: impl Fn(&[u8]) -> bool) -> bool {
            let deadline = Instant::now() + limit;
            let mut chunk = [0u8; 4096];
            while !done(&self.got) {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return false;
                }
                self.s.set_read_timeout(Some(left)).unwrap();
                match self.s.read(&mut chunk) {
                    Ok(0) => return done(&self.got),
                    Ok(n) => self.got.extend_from_slice(&chunk[..n]),
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        return false
                    }
                    Err(_) => return done(&self.got),
                }
            }
            true
        }

        /// The response head (waits for it), removed from the buffer.
        fn head(&mut self) -> String {
            assert!(
                self.read_until(Duration::from_secs(5), |b| head_end(b).is_some()),
                "no response head; got {:?}",
                String::from_utf8_lossy(&self.got)
            );
            let end = head_end(&self.got).unwrap();
            let head: Vec<u8> = self.got.drain(..end).collect();
            String::from_utf8(head).expect("ASCII head")
        }

        /// Exactly `n` more octets (waits for them), removed from the buffer.
        fn take(&mut self, n: usize) -> Vec<u8> {
            assert!(
                self.read_until(Duration::from_secs(5), |b| b.len() >= n),
                "wanted {n} octets, got {:?}",
                self.got
            );
            self.got.drain(..n).collect()
        }

        /// Everything until EOF (bounded).
        fn rest(&mut self) -> Vec<u8> {
            self.read_until(Duration::from_secs(5), |_| false);
            std::mem::take(&mut self.got)
        }
    }

    fn server(defect: Defect) -> BrokenServer {
        BrokenServer::start(defect).expect("start fixture server")
    }

    /// Status line of an RFC 6455 handshake with `version` and extra header lines.
    fn hybi_status(defect: Defect, version: &str, extra: &str) -> String {
        let srv = server(defect);
        let mut c = Client::connect(&srv);
        let head = c.send(request(version, extra).as_bytes()).head();
        head.lines().next().unwrap().to_string()
    }

    fn hybi_head(defect: Defect, version: &str, extra: &str) -> String {
        let srv = server(defect);
        let mut c = Client::connect(&srv);
        c.send(request(version, extra).as_bytes()).head()
    }

    /// Length of the complete frame at the start of `b`, if it is all there.
    fn frame_len(b: &[u8]) -> Option<usize> {
        let (&b1, len7) = (b.get(1)?, usize::from(b.get(1)? & 0x7f));
        let ext = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let mask = if b1 & 0x80 != 0 { 4 } else { 0 };
        let len = match ext {
            2 => usize::from(u16::from_be_bytes(b.get(2..4)?.try_into().ok()?)),
            8 => u64::from_be_bytes(b.get(2..10)?.try_into().ok()?) as usize,
            _ => len7,
        };
        let total = 2 + ext + mask + len;
        (b.len() >= total).then_some(total)
    }

    /// The server's first frame after `frame` on a version-13 connection.
    fn echo_of(defect: Defect, frame: &[u8]) -> Vec<u8> {
        let srv = server(defect);
        let mut c = Client::connect(&srv);
        let head = c.send(request("13", "").as_bytes()).head();
        assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
        c.send(frame);
        assert!(
            c.read_until(Duration::from_secs(5), |b| frame_len(b).is_some()),
            "no complete frame: {:?}",
            c.got
        );
        let n = frame_len(&c.got).unwrap();
        c.take(n)
    }

    #[test]
    fn key_values_and_challenge_vectors() {
        assert_eq!(
            hixie76_key_value("4 @1  46546xW%0l 1 5", false),
            Some(829_309_203)
        );
        assert_eq!(
            hixie76_key_value("12998 5 Y3 1  .P00", false),
            Some(259_970_620)
        );
        assert_eq!(hixie76_key_value("4@146546xW%0l15", false), None);
        assert_eq!(hixie76_key_value("4 @1  46546xW%0l 1 6", false), None);
        assert_eq!(hixie76_key_value("12345", true), Some(12345));
        let r = hixie76_response(829_309_203, 259_970_620, HIXIE76_KEY3, false);
        assert_eq!(&r, HIXIE76_ANSWER);
        assert_ne!(
            &hixie76_response(829_309_203, 259_970_620, HIXIE76_KEY3, true),
            HIXIE76_ANSWER
        );
        assert_eq!(accept_for(RFC_KEY, GUID), RFC_ACCEPT);
    }

    #[test]
    fn correct_mode_speaks_rfc6455() {
        let srv = server(Defect::None);
        let mut c = Client::connect(&srv);
        let head = c
            .send(request("13", "Connection: keep-alive, Upgrade\r\n").as_bytes())
            .head();
        assert!(
            head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
            "{head}"
        );
        assert!(head.contains(&format!("Sec-WebSocket-Accept: {RFC_ACCEPT}\r\n")));
        assert!(!head.contains("Sec-WebSocket-Protocol"));
        // Text, binary over 125 octets (16-bit length), ping, then a clean close.
        c.send(MASKED_HELLO);
        assert_eq!(c.take(7), b"\x81\x05Hello");
        let mut big = vec![0x82, 0xfe, 0x01, 0x00, 0, 0, 0, 0];
        big.extend(std::iter::repeat(0xab).take(256));
        c.send(&big);
        let echoed = c.take(4 + 256);
        assert_eq!(&echoed[..4], &[0x82, 0x7e, 0x01, 0x00]);
        c.send(&[0x89, 0x82, 0, 0, 0, 0, b'h', b'i']);
        assert_eq!(c.take(4), b"\x8a\x02hi");
        c.send(&[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);
        assert_eq!(c.rest(), vec![0x88, 0x02, 0x03, 0xe8]);
    }

    #[test]
    fn request_targets() {
        let parse = |line: &str| {
            parse_request(format!("{line}\r\nHost: h\r\n\r\n").as_bytes()).map(|r| r.target)
        };
        assert_eq!(parse("GET /a?b HTTP/1.1").as_deref(), Some("/a?b"));
        assert_eq!(parse("GET http://h:1/x HTTP/1.1").as_deref(), Some("/x"));
        assert_eq!(parse("GET http://h:1 HTTP/1.1").as_deref(), Some("/"));
        assert_eq!(parse("GET x HTTP/1.1"), None);
        assert_eq!(parse("GET  / HTTP/1.1"), None);
    }

    #[test]
    fn correct_mode_enforces_the_server_rules() {
        // Unmasked frame: 1002.
        assert_eq!(
            echo_of(Defect::None, b"\x81\x02hi"),
            vec![0x88, 0x02, 0x03, 0xea]
        );
        // Close without a code: an empty close back.
        assert_eq!(
            echo_of(Defect::None, &[0x88, 0x80, 1, 2, 3, 4]),
            vec![0x88, 0x00]
        );
        // Close 1005 on the wire is invalid: 1002.
        assert_eq!(
            echo_of(Defect::None, &[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xed]),
            vec![0x88, 0x02, 0x03, 0xea]
        );
        // 1012 is registered: echoed.
        assert_eq!(
            echo_of(Defect::None, &[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xf4]),
            vec![0x88, 0x02, 0x03, 0xf4]
        );
        // RSV1 without an extension: 1002.
        assert_eq!(
            echo_of(Defect::None, &[0xc1, 0x80, 0, 0, 0, 0]),
            vec![0x88, 0x02, 0x03, 0xea]
        );
        // Versions.
        assert!(hybi_status(Defect::None, "8", "").starts_with("HTTP/1.1 101"));
        assert!(hybi_status(Defect::None, "7", "").starts_with("HTTP/1.1 101"));
        let refused = hybi_head(Defect::None, "99", "");
        assert!(refused.starts_with("HTTP/1.1 426 "), "{refused}");
        assert!(
            refused.contains("Sec-WebSocket-Version: 13, 8, 7\r\n"),
            "{refused}"
        );
        // Subprotocol: one of those offered.
        let head = hybi_head(Defect::None, "13", "Sec-WebSocket-Protocol: foo, bar\r\n");
        assert!(head.contains("Sec-WebSocket-Protocol: foo\r\n"), "{head}");
        let head = hybi_head(
            Defect::None,
            "13",
            "Sec-WebSocket-Extensions: x-wsspec-unknown\r\n",
        );
        assert!(!head.contains("Sec-WebSocket-Extensions"), "{head}");
    }

    #[test]
    fn correct_mode_speaks_hixie76_before_key3() {
        let srv = server(Defect::None);
        let mut c = Client::connect(&srv);
        let head = c.send(HIXIE76_HEAD.as_bytes()).head();
        assert_eq!(
            head,
            "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Origin: http://example.com\r\n\
             Sec-WebSocket-Location: ws://example.com/demo\r\n\
             Sec-WebSocket-Protocol: sample\r\n\r\n"
        );
        c.send(HIXIE76_KEY3);
        assert_eq!(c.take(16), HIXIE76_ANSWER);
        c.send(b"\x00Hello\xff");
        assert_eq!(c.take(7), b"\x00Hello\xff");
        c.send(b"\xff\x00");
        assert_eq!(c.rest(), b"\xff\x00");
    }

    #[test]
    fn correct_mode_refuses_bad_hixie76_keys() {
        for key1 in ["4@146546xW%0l15", "4 @1  46546xW%0l 1 6"] {
            let srv = server(Defect::None);
            let mut c = Client::connect(&srv);
            let req = HIXIE76_HEAD.replace("4 @1  46546xW%0l 1 5", key1);
            let head = c.send(req.as_bytes()).send(HIXIE76_KEY3).head();
            assert!(head.starts_with("HTTP/1.1 400 "), "{key1:?}: {head}");
        }
    }

    #[test]
    fn correct_mode_speaks_hixie75() {
        let srv = server(Defect::None);
        let mut c = Client::connect(&srv);
        let head = c.send(HIXIE75.as_bytes()).head();
        assert_eq!(
            head,
            "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\n\
             Connection: Upgrade\r\nWebSocket-Origin: http://example.com\r\n\
             WebSocket-Location: ws://example.com/demo\r\n\r\n"
        );
        c.send(b"\x00Hello\xff");
        assert_eq!(c.take(7), b"\x00Hello\xff");
    }

    #[test]
    fn each_defect_shows() {
        // Handshake defects.
        let head = hybi_head(Defect::WrongAccept, "13", "");
        assert!(
            head.starts_with("HTTP/1.1 101 ") && !head.contains(RFC_ACCEPT),
            "{head}"
        );

        let keep_alive = "Connection: keep-alive, Upgrade\r\n";
        let req = request("13", "").replace("Connection: Upgrade\r\n", keep_alive);
        let srv = server(Defect::RejectsKeepAliveUpgrade);
        let head = Client::connect(&srv).send(req.as_bytes()).head();
        assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
        assert!(hybi_status(Defect::RejectsKeepAliveUpgrade, "13", "").starts_with("HTTP/1.1 101"));

        let head = hybi_head(Defect::NoVersionListOn426, "99", "");
        assert!(head.starts_with("HTTP/1.1 426 ") && !head.contains("Sec-WebSocket-Version"));
        assert!(hybi_status(Defect::AcceptsAnyVersion, "99", "").starts_with("HTTP/1.1 101"));
        assert!(hybi_status(Defect::AcceptsAnyVersion, "9", "").starts_with("HTTP/1.1 101"));

        let head = hybi_head(Defect::PicksUnofferedSubprotocol, "13", "");
        assert!(head.contains("Sec-WebSocket-Protocol: chat\r\n"), "{head}");
        let ext = "Sec-WebSocket-Extensions: x-wsspec-unknown\r\n";
        let head = hybi_head(Defect::AcceptsUnknownExtension, "13", ext);
        assert!(head.contains(ext), "{head}");

        // Framing defects.
        let masked = echo_of(Defect::MasksServerFrames, MASKED_HELLO);
        assert_eq!(masked[..2], [0x81, 0x85]);
        assert_eq!(echo_of(Defect::SetsRsvBits, MASKED_HELLO)[0], 0xc1);
        let long = echo_of(Defect::NonMinimalLength, MASKED_HELLO);
        assert_eq!(long[..10], [0x81, 127, 0, 0, 0, 0, 0, 0, 0, 5]);
        assert_eq!(
            echo_of(Defect::AcceptsUnmaskedClientFrames, b"\x81\x02hi"),
            b"\x81\x02hi"
        );
        assert_eq!(
            echo_of(Defect::EchoesClose1005, &[0x88, 0x80, 1, 2, 3, 4]),
            vec![0x88, 0x02, 0x03, 0xed]
        );

        // hixie defects.
        let srv = server(Defect::LittleEndianChallenge);
        let mut c = Client::connect(&srv);
        c.send(HIXIE76_HEAD.as_bytes()).head();
        c.send(HIXIE76_KEY3);
        assert_ne!(c.take(16), HIXIE76_ANSWER);

        let srv = server(Defect::WaitsForKey3);
        let mut c = Client::connect(&srv);
        c.send(HIXIE76_HEAD.as_bytes());
        assert!(
            !c.read_until(Duration::from_millis(300), |b| !b.is_empty()),
            "answered before key3"
        );
        c.send(HIXIE76_KEY3).head();
        assert_eq!(c.take(16), HIXIE76_ANSWER);

        let srv = server(Defect::AcceptsZeroSpaceKeys);
        let req = HIXIE76_HEAD.replace("4 @1  46546xW%0l 1 5", "4@146546xW%0l15");
        let mut c = Client::connect(&srv);
        let head = c.send(req.as_bytes()).send(HIXIE76_KEY3).head();
        assert!(head.starts_with("HTTP/1.1 101 "), "{head}");

        let srv = server(Defect::Hixie75WrongStatusLine);
        let head = Client::connect(&srv).send(HIXIE75.as_bytes()).head();
        assert!(
            head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
            "{head}"
        );
    }

    #[test]
    fn drop_stops_the_server_and_its_connections() {
        let srv = server(Defect::None);
        let port = srv.port();
        let mut c = Client::connect(&srv);
        c.send(request("13", "").as_bytes()).head();
        assert_eq!(srv.defect(), Defect::None);
        let started = Instant::now();
        drop(srv);
        // The open connection was shut down: EOF comes at once, not after a timeout.
        c.read_until(Duration::from_secs(5), |_| false);
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}
