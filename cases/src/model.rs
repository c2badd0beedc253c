//! The case model: a case is a value (steps + expectation), never code.

use serde::Serialize;

use crate::compression::{Compression, Corpus};

/// The outcome vocabulary of the `behavior` verdict, spelled as Autobahn spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Verdict {
    /// The peer did what the spec requires.
    #[serde(rename = "OK")]
    Ok,
    /// The peer is conformant but misses a SHOULD or a desirable behaviour.
    #[serde(rename = "NON-STRICT")]
    NonStrict,
    /// The peer broke a MUST.
    #[serde(rename = "FAILED")]
    Failed,
    /// The spec leaves the behaviour open; recorded for information.
    #[serde(rename = "INFORMATIONAL")]
    Informational,
    /// The peer does not implement the feature under test.
    #[serde(rename = "UNIMPLEMENTED")]
    Unimplemented,
}

impl Verdict {
    /// Autobahn's spelling of this verdict.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::NonStrict => "NON-STRICT",
            Verdict::Failed => "FAILED",
            Verdict::Informational => "INFORMATIONAL",
            Verdict::Unimplemented => "UNIMPLEMENTED",
        }
    }
}

/// The outcome vocabulary of the `behaviorClose` verdict, spelled as Autobahn spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum CloseVerdict {
    /// The closing handshake went as expected.
    #[serde(rename = "OK")]
    Ok,
    /// The wrong endpoint closed, or the handshake never completed.
    #[serde(rename = "FAILED")]
    Failed,
    /// The peer sent a close code outside the allowed list.
    #[serde(rename = "WRONG CODE")]
    WrongCode,
    /// A clean close was required but the connection ended uncleanly.
    #[serde(rename = "UNCLEAN")]
    Unclean,
    /// The harness had to drop the TCP connection the server should have dropped.
    #[serde(rename = "FAILED BY CLIENT")]
    FailedByClient,
    /// The spec leaves the close behaviour open.
    #[serde(rename = "INFORMATIONAL")]
    Informational,
    /// The feature under test is not implemented by the peer.
    #[serde(rename = "UNIMPLEMENTED")]
    Unimplemented,
}

impl CloseVerdict {
    /// Autobahn's spelling of this verdict.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseVerdict::Ok => "OK",
            CloseVerdict::Failed => "FAILED",
            CloseVerdict::WrongCode => "WRONG CODE",
            CloseVerdict::Unclean => "UNCLEAN",
            CloseVerdict::FailedByClient => "FAILED BY CLIENT",
            CloseVerdict::Informational => "INFORMATIONAL",
            CloseVerdict::Unimplemented => "UNIMPLEMENTED",
        }
    }
}

/// RFC 6455 opcodes, with the reserved values representable so cases can send them.
pub mod opcode {
    /// Continuation frame.
    pub const CONTINUATION: u8 = 0x0;
    /// Text frame.
    pub const TEXT: u8 = 0x1;
    /// Binary frame.
    pub const BINARY: u8 = 0x2;
    /// Close frame.
    pub const CLOSE: u8 = 0x8;
    /// Ping frame.
    pub const PING: u8 = 0x9;
    /// Pong frame.
    pub const PONG: u8 = 0xA;
}

/// A payload, stored compactly: large payloads are a pattern repeated to a length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Exactly these bytes.
    Bytes(Vec<u8>),
    /// `pattern` repeated (and cut) to exactly `len` bytes, as Autobahn's `payload_len`.
    Repeat {
        /// The repeated unit.
        pattern: Vec<u8>,
        /// Total payload length in bytes.
        len: usize,
    },
}

impl Payload {
    /// An empty payload.
    pub fn empty() -> Self {
        Payload::Bytes(Vec::new())
    }

    /// A payload of the given bytes.
    pub fn bytes(b: impl AsRef<[u8]>) -> Self {
        Payload::Bytes(b.as_ref().to_vec())
    }

    /// `pattern` repeated to `len` bytes.
    pub fn repeat(pattern: impl AsRef<[u8]>, len: usize) -> Self {
        Payload::Repeat {
            pattern: pattern.as_ref().to_vec(),
            len,
        }
    }

    /// Length of the payload in bytes.
    pub fn len(&self) -> usize {
        match self {
            Payload::Bytes(b) => b.len(),
            Payload::Repeat { len, .. } => *len,
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The repeated unit when this is a repeated payload (the wire log shows it).
    pub fn repeat_len(&self) -> Option<usize> {
        match self {
            Payload::Bytes(_) => None,
            Payload::Repeat { len, .. } => Some(*len),
        }
    }

    /// The first bytes that identify the payload in a wire log: the bytes, or the pattern.
    pub fn shown(&self) -> &[u8] {
        match self {
            Payload::Bytes(b) => b,
            Payload::Repeat { pattern, .. } => pattern,
        }
    }

    /// The full payload bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Payload::Bytes(b) => b.clone(),
            Payload::Repeat { pattern, len } => {
                if pattern.is_empty() {
                    return vec![0; *len];
                }
                pattern.iter().copied().cycle().take(*len).collect()
            }
        }
    }
}

/// How a sent frame is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mask {
    /// A fresh random key per frame (what a correct client does).
    #[default]
    Random,
    /// No mask bit and no key.
    Unmasked,
    /// This exact key.
    Fixed([u8; 4]),
}

/// How the payload length is encoded in a sent frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LengthForm {
    /// The minimal encoding RFC 6455 §5.2 requires.
    #[default]
    Minimal,
    /// Always the 16-bit form (126 + u16), malformed for lengths under 126.
    Extended16,
    /// Always the 64-bit form (127 + u64), malformed for lengths under 65536.
    Extended64,
}

/// How the octets of one frame are handed to TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Chop {
    /// One write for the whole frame.
    #[default]
    Whole,
    /// Separate writes of at most this many octets each (1 = octet-wise chops).
    Every(usize),
}

/// One frame to put on the wire, with every field free to be wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameSpec {
    /// Opcode nibble (reserved values allowed).
    pub opcode: u8,
    /// FIN bit.
    pub fin: bool,
    /// RSV1..3 as a 3-bit number (RSV1 is 4).
    pub rsv: u8,
    /// Payload before masking.
    pub payload: Payload,
    /// Masking of the payload.
    pub mask: Mask,
    /// Payload length encoding.
    pub length_form: LengthForm,
    /// TCP chopping of the encoded frame.
    pub chop: Chop,
    /// Flush and let the peer see these octets before the next write (Autobahn's `sync`).
    pub sync: bool,
}

impl FrameSpec {
    /// A final, unreserved, randomly masked frame.
    pub fn new(opcode: u8, payload: Payload) -> Self {
        FrameSpec {
            opcode,
            fin: true,
            rsv: 0,
            payload,
            mask: Mask::Random,
            length_form: LengthForm::Minimal,
            chop: Chop::Whole,
            sync: false,
        }
    }

    /// A final text frame.
    pub fn text(payload: impl AsRef<[u8]>) -> Self {
        Self::new(opcode::TEXT, Payload::bytes(payload))
    }

    /// A final binary frame.
    pub fn binary(payload: impl AsRef<[u8]>) -> Self {
        Self::new(opcode::BINARY, Payload::bytes(payload))
    }

    /// A ping frame.
    pub fn ping(payload: impl AsRef<[u8]>) -> Self {
        Self::new(opcode::PING, Payload::bytes(payload))
    }

    /// A pong frame.
    pub fn pong(payload: impl AsRef<[u8]>) -> Self {
        Self::new(opcode::PONG, Payload::bytes(payload))
    }

    /// A continuation frame.
    pub fn continuation(payload: impl AsRef<[u8]>) -> Self {
        Self::new(opcode::CONTINUATION, Payload::bytes(payload))
    }

    /// Set the FIN bit.
    pub fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }

    /// Set the RSV bits (0..=7).
    pub fn rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv & 7;
        self
    }

    /// Set the masking.
    pub fn mask(mut self, mask: Mask) -> Self {
        self.mask = mask;
        self
    }

    /// Set the length encoding.
    pub fn length_form(mut self, form: LengthForm) -> Self {
        self.length_form = form;
        self
    }

    /// Write the encoded frame in chops of `n` octets.
    pub fn chop(mut self, n: usize) -> Self {
        self.chop = Chop::Every(n.max(1));
        self
    }

    /// Mark the frame's writes as synchronous.
    pub fn sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }
}

/// The payload of a close frame the harness starts a closing handshake with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClosePayload {
    /// A status code and a reason (the reason may be any bytes, even invalid UTF-8).
    Code {
        /// Status code.
        code: u16,
        /// Reason bytes.
        reason: Vec<u8>,
    },
    /// These exact payload bytes (empty, one byte, …).
    Raw(Vec<u8>),
}

impl ClosePayload {
    /// A status code without a reason.
    pub fn code(code: u16) -> Self {
        ClosePayload::Code {
            code,
            reason: Vec::new(),
        }
    }

    /// The encoded close-frame payload.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            ClosePayload::Code { code, reason } => {
                let mut out = code.to_be_bytes().to_vec();
                out.extend_from_slice(reason);
                out
            }
            ClosePayload::Raw(b) => b.clone(),
        }
    }
}

/// One step of a case, run in order by the engine while it reads the peer concurrently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send a frame exactly as specified. A close opcode sent this way does not start the
    /// harness's closing handshake (Autobahn's raw `sendFrame`).
    Send(FrameSpec),
    /// Send raw octets, bypassing the frame encoder.
    SendRaw {
        /// The octets.
        bytes: Vec<u8>,
        /// Chopping of the write.
        chop: Chop,
    },
    /// Send a whole message split into frames of at most `fragment_size` payload octets
    /// (Autobahn's `autoFragmentSize`; 0 means one frame).
    SendMessage {
        /// Text or binary opcode.
        opcode: u8,
        /// Message payload.
        payload: Payload,
        /// Maximum payload per frame, 0 for no fragmentation.
        fragment_size: usize,
    },
    /// The header of a data frame whose payload follows in `SendPayloadPart` steps, as a
    /// streaming sender writes it; masked with a fresh key when the harness is the client.
    SendFrameHeader {
        /// Opcode.
        opcode: u8,
        /// FIN bit.
        fin: bool,
        /// Payload length announced.
        len: u64,
    },
    /// The next payload octets of the frame begun by the last `SendFrameHeader`, one write.
    SendPayloadPart(Vec<u8>),
    /// Start the closing handshake: send a close frame and wait for the peer's reply.
    Close(ClosePayload),
    /// Pause for `ms` milliseconds; with a tag, record a `timeout` event when it fires.
    Wait {
        /// Delay in milliseconds.
        ms: u64,
        /// Event tag recorded after the delay (Autobahn's `continueLater`).
        tag: Option<&'static str>,
    },
    /// Drop the TCP connection after `ms` if it is still open (Autobahn's `killAfter`).
    KillAfter(u64),
    /// Start a normal closing handshake (1000) after `ms` if still open (Autobahn's `closeAfter`).
    CloseAfter(u64),
    /// Send `count` messages one after another, each only after the previous echo arrived;
    /// the case passes only if every echo matches and all arrive within `within_ms`.
    RoundTrips {
        /// Number of round trips.
        count: u32,
        /// Text or binary opcode.
        opcode: u8,
        /// Payload of each message.
        payload: Payload,
        /// Deadline for all round trips.
        within_ms: u64,
    },
    /// Expect one echo of the message sent before this step (same type and length) within
    /// `within_ms`; the case passes when it arrives in time.
    AwaitEcho {
        /// Expected opcode of the echo.
        opcode: u8,
        /// Expected payload length.
        len: usize,
        /// Deadline for the echo.
        within_ms: u64,
    },
    /// Like `AwaitEcho`, but the peer may instead refuse the message by closing with one of
    /// the case's expected close codes (a size limit, 1009).
    AwaitEchoOrRefusal {
        /// Expected opcode of the echo.
        opcode: u8,
        /// Expected payload length.
        len: usize,
        /// Deadline for the echo or the close.
        within_ms: u64,
    },
    /// Send a message compressed with the negotiated permessage-deflate context (RSV1 on
    /// its first frame), in frames of at most `fragment_size` compressed octets (0: one).
    /// Sent uncompressed when the extension was not agreed.
    SendCompressed {
        /// Text or binary opcode.
        opcode: u8,
        /// Message payload before compression.
        payload: Payload,
        /// Maximum compressed payload per frame, 0 for no fragmentation.
        fragment_size: usize,
    },
    /// Autobahn's categories 12 and 13: `count` sequential round trips of compressed
    /// messages, each the next `len` units of `corpus`, every echo compared, all within
    /// `within_ms`.
    CompressedEchoes {
        /// The payload file.
        corpus: Corpus,
        /// Units (characters of a text file, octets of a binary one) per message.
        len: usize,
        /// Number of round trips.
        count: u32,
        /// Auto-fragmentation of the compressed payload, 0 for one frame.
        fragment_size: usize,
        /// Deadline for all round trips.
        within_ms: u64,
    },
}

/// An observed (or expected) event, as in Autobahn's `expected` and `received` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A complete message.
    Message {
        /// Message payload.
        payload: Vec<u8>,
        /// Whether it was a binary message.
        binary: bool,
    },
    /// A ping received from the peer.
    Ping(Vec<u8>),
    /// A pong received from the peer.
    Pong(Vec<u8>),
    /// A tagged delay fired.
    Timeout(&'static str),
}

impl Event {
    /// A text message event.
    pub fn text(payload: impl AsRef<[u8]>) -> Self {
        Event::Message {
            payload: payload.as_ref().to_vec(),
            binary: false,
        }
    }

    /// A binary message event.
    pub fn binary(payload: impl AsRef<[u8]>) -> Self {
        Event::Message {
            payload: payload.as_ref().to_vec(),
            binary: true,
        }
    }

    /// A pong event.
    pub fn pong(payload: impl AsRef<[u8]>) -> Self {
        Event::Pong(payload.as_ref().to_vec())
    }
}

/// The acceptable event sequences, each with the verdict it earns (Autobahn's `expected`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expected {
    /// Alternatives in order; the first that equals the received events decides.
    pub alternatives: Vec<(Verdict, Vec<Event>)>,
}

impl Expected {
    /// No event expectation (performance cases judge by timing instead).
    pub fn none() -> Self {
        Expected::default()
    }

    /// Only this sequence is OK.
    pub fn ok(events: Vec<Event>) -> Self {
        Expected {
            alternatives: vec![(Verdict::Ok, events)],
        }
    }

    /// Add an alternative.
    pub fn or(mut self, verdict: Verdict, events: Vec<Event>) -> Self {
        self.alternatives.push((verdict, events));
        self
    }
}

/// The expected closing behaviour (Autobahn's `expectedClose`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedClose {
    /// Whether the harness must be the one that started the closing handshake.
    pub closed_by_me: bool,
    /// Close codes the peer may send; the first one is what the harness closes with.
    pub codes: Vec<u16>,
    /// Whether the connection must end cleanly.
    pub require_clean: bool,
    /// A close by the wrong endpoint fails the case's behaviour too (UTF-8 cases).
    pub wrong_endpoint_is_fatal: bool,
}

impl ExpectedClose {
    /// The harness closes with 1000 and everything ends cleanly.
    pub fn normal() -> Self {
        ExpectedClose {
            closed_by_me: true,
            codes: vec![1000],
            require_clean: true,
            wrong_endpoint_is_fatal: false,
        }
    }

    /// The peer must fail the connection with one of these codes.
    pub fn peer_fails(codes: &[u16]) -> Self {
        ExpectedClose {
            closed_by_me: false,
            codes: codes.to_vec(),
            require_clean: false,
            wrong_endpoint_is_fatal: false,
        }
    }

    /// The harness starts the close, the peer may answer with one of these codes.
    pub fn me_then(codes: &[u16], require_clean: bool) -> Self {
        ExpectedClose {
            closed_by_me: true,
            codes: codes.to_vec(),
            require_clean,
            wrong_endpoint_is_fatal: false,
        }
    }

    /// Mark a close by the wrong endpoint as fatal for the behaviour verdict.
    pub fn wrong_endpoint_fatal(mut self) -> Self {
        self.wrong_endpoint_is_fatal = true;
        self
    }
}

/// Per-case adjustments of the verdict ladder that Autobahn applies to some families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerdictRule {
    /// The plain ladder.
    #[default]
    Standard,
    /// A WRONG CODE close verdict also fails the behaviour (7.3, 7.5, 7.7, 7.9).
    WrongCodeFailsBehavior,
    /// Both verdicts are INFORMATIONAL whatever happens (7.1.6, 7.13).
    Informational,
    /// Either endpoint may start the close: the harness after a full echo, or the peer
    /// refusing the message (`AwaitEchoOrRefusal`).
    EitherEndpointCloses,
}

/// The protocol dialect of a connection: its opening handshake and its framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// draft-hixie-thewebsocketprotocol-75: no keys, `00 … FF` frames, close by TCP.
    Hixie75,
    /// draft-hixie-thewebsocketprotocol-76 (= hybi-00): key1/key2/key3 MD5 challenge,
    /// `00 … FF` frames, `FF 00` closing handshake.
    Hixie76,
    /// draft-ietf-hybi-thewebsocketprotocol-07: `Sec-WebSocket-Version: 7`.
    Hybi07,
    /// draft-ietf-hybi-thewebsocketprotocol-08 … -12 (hybi-10): `Sec-WebSocket-Version: 8`.
    Hybi10,
    /// RFC 6455: `Sec-WebSocket-Version: 13`.
    #[default]
    Rfc6455,
}

impl Dialect {
    /// The `Sec-WebSocket-Version` this dialect sends, if any.
    pub fn version(self) -> Option<u8> {
        match self {
            Dialect::Hixie75 | Dialect::Hixie76 => None,
            Dialect::Hybi07 => Some(7),
            Dialect::Hybi10 => Some(8),
            Dialect::Rfc6455 => Some(13),
        }
    }

    /// Whether frames are the sentinel-delimited hixie frames.
    pub fn is_hixie(self) -> bool {
        matches!(self, Dialect::Hixie75 | Dialect::Hixie76)
    }

    /// Short name, e.g. "hixie-76".
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Hixie75 => "hixie-75",
            Dialect::Hixie76 => "hixie-76",
            Dialect::Hybi07 => "hybi-07",
            Dialect::Hybi10 => "hybi-10",
            Dialect::Rfc6455 => "RFC 6455",
        }
    }
}

/// Line ends of the opening request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnd {
    /// `\r\n`, as HTTP requires.
    #[default]
    CrLf,
    /// A bare `\n`, which lenient servers accept.
    Lf,
}

/// The 8 octets a hixie-76 client sends after its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key3 {
    /// Fresh random octets.
    Random,
    /// These octets (the drafts' worked examples).
    Fixed([u8; 8]),
}

/// An opening request written out line by line, so any part of it can be wrong.
///
/// Values are templates: `{path}` (request-target), `{host}` (host:port), `{key}` (a fresh
/// `Sec-WebSocket-Key`), `{key1}`/`{key2}` (fresh hixie-76 keys), `{origin}`
/// (`http://{host}`), `{version}` (the dialect's version number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The request line, e.g. `GET {path} HTTP/1.1`.
    pub request_line: String,
    /// Header lines in order, names exactly as written.
    pub headers: Vec<(String, String)>,
    /// What separates a header name from its value (`": "`, or `":"` for no space).
    pub separator: String,
    /// Line ends.
    pub line_end: LineEnd,
    /// The hixie-76 body after the blank line.
    pub key3: Option<Key3>,
}

impl Request {
    /// A request line and headers with `": "` and CRLF.
    pub fn new(request_line: &str, headers: &[(&str, &str)]) -> Self {
        Request {
            request_line: request_line.to_string(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            separator: ": ".to_string(),
            line_end: LineEnd::CrLf,
            key3: None,
        }
    }

    /// The standard request of a dialect, as wsspec sends it by default.
    pub fn standard(dialect: Dialect) -> Self {
        let hybi = |origin: &'static str| {
            vec![
                ("Host", "{host}"),
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Key", "{key}"),
                (origin, "{origin}"),
                ("Sec-WebSocket-Version", "{version}"),
            ]
        };
        match dialect {
            Dialect::Hixie75 => Request::new(
                "GET {path} HTTP/1.1",
                &[
                    ("Upgrade", "WebSocket"),
                    ("Connection", "Upgrade"),
                    ("Host", "{host}"),
                    ("Origin", "{origin}"),
                ],
            ),
            Dialect::Hixie76 => {
                let mut r = Request::new(
                    "GET {path} HTTP/1.1",
                    &[
                        ("Upgrade", "WebSocket"),
                        ("Connection", "Upgrade"),
                        ("Host", "{host}"),
                        ("Origin", "{origin}"),
                        ("Sec-WebSocket-Key1", "{key1}"),
                        ("Sec-WebSocket-Key2", "{key2}"),
                    ],
                );
                r.key3 = Some(Key3::Random);
                r
            }
            Dialect::Hybi07 | Dialect::Hybi10 => {
                Request::new("GET {path} HTTP/1.1", &hybi("Sec-WebSocket-Origin"))
            }
            Dialect::Rfc6455 => Request::new(
                "GET {path} HTTP/1.1",
                &[
                    ("User-Agent", "wsspec/{wsspec}"),
                    ("Host", "{host}"),
                    ("Upgrade", "WebSocket"),
                    ("Connection", "Upgrade"),
                    ("Pragma", "no-cache"),
                    ("Cache-Control", "no-cache"),
                    ("Sec-WebSocket-Key", "{key}"),
                    ("Sec-WebSocket-Version", "13"),
                ],
            ),
        }
    }

    /// Replace the value of every header named `name` (case-insensitive), or add it.
    pub fn set(mut self, name: &str, value: &str) -> Self {
        let mut found = false;
        for (n, v) in &mut self.headers {
            if n.eq_ignore_ascii_case(name) {
                *v = value.to_string();
                found = true;
            }
        }
        if !found {
            self.headers.push((name.to_string(), value.to_string()));
        }
        self
    }

    /// Add a header line (even a duplicate).
    pub fn add(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Remove every header named `name` (case-insensitive).
    pub fn remove(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }
}

/// Where a request is split into two TCP writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitAt {
    /// After this many octets.
    Offset(usize),
    /// Right after the request line's line end.
    AfterRequestLine,
    /// In the middle of the first header name.
    InHeaderName,
    /// Right before the blank line that ends the head.
    BeforeBlankLine,
    /// Right after the head, before any body (key3).
    AfterHead,
}

/// How the opening request is handed to TCP.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Delivery {
    /// One write.
    #[default]
    Whole,
    /// One octet per write.
    Bytewise,
    /// Two writes with a pause between them.
    Split {
        /// Where to split.
        at: SplitAt,
        /// Pause between the writes in milliseconds.
        pause_ms: u64,
    },
    /// The request and these frames in the same write (hybi frames are encoded, masked).
    Pipelined(Vec<FrameSpec>),
    /// The request and these raw octets in the same write (e.g. a hixie frame after key3).
    PipelinedRaw(Vec<u8>),
    /// hixie-76: the head first; key3 only once the response head arrived or `wait_ms`
    /// passed (a server that waits for key3 before answering breaks behind HTTP proxies).
    Key3Later {
        /// How long to wait for the response head before sending key3 anyway.
        wait_ms: u64,
    },
}

/// What the server must do with the opening request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum HandshakeExpect {
    /// It must accept (101 with a correct response for the dialect).
    #[default]
    Accept,
    /// It may not implement this dialect: a refusal makes the case UNIMPLEMENTED.
    AcceptIfSupported,
    /// It must refuse. One of `statuses` is OK, another 4xx/5xx is NON-STRICT, 101 FAILED.
    Refuse {
        /// Statuses that are exactly right.
        statuses: Vec<u16>,
    },
    /// An unsupported version: 426 or 400 with a `Sec-WebSocket-Version` list is OK,
    /// without the list NON-STRICT (RFC 6455 §4.2.2 and §4.4), 101 FAILED.
    RefuseVersion,
}

/// An extension token that no server implements. Category 14 offers it (and other names
/// starting with `x-wsspec-`); a 101 response that accepts such an extension (names it in
/// `Sec-WebSocket-Extensions`) is FAILED, since a server must not agree to an extension it
/// does not implement (RFC 6455 §9.1). See [`is_fictitious_extension`].
pub const UNKNOWN_EXTENSION: &str = "x-wsspec-unknown-extension";

/// Whether an extension name is one of wsspec's made-up ones (`x-wsspec-…`), which no server
/// can implement: accepting it is a handshake failure even though it was offered.
pub fn is_fictitious_extension(name: &str) -> bool {
    name.trim()
        .get(..9)
        .is_some_and(|p| p.eq_ignore_ascii_case("x-wsspec-"))
}

/// How a case opens its connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Opening {
    /// Handshake and framing dialect.
    pub dialect: Dialect,
    /// The request; `None` is the dialect's standard request.
    pub request: Option<Request>,
    /// How it is written to TCP.
    pub delivery: Delivery,
    /// What the server must do with it.
    pub expect: HandshakeExpect,
}

impl Opening {
    /// The standard opening of a dialect, which the server may decline (UNIMPLEMENTED).
    pub fn dialect(dialect: Dialect) -> Self {
        Opening {
            dialect,
            request: None,
            delivery: Delivery::Whole,
            expect: HandshakeExpect::AcceptIfSupported,
        }
    }

    /// The request actually sent (the custom one or the dialect's standard one).
    pub fn request(&self) -> Request {
        self.request
            .clone()
            .unwrap_or_else(|| Request::standard(self.dialect))
    }
}

/// A deliberately wrong answer wsspec gives, as the server, to a client's opening request
/// (category 20): a conforming client must refuse to open the connection (RFC 6455 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerAnswer {
    /// `Sec-WebSocket-Accept` computed from another key.
    WrongAccept,
    /// No `Upgrade` header.
    NoUpgrade,
    /// `Upgrade: h2c` instead of websocket.
    UpgradeNotWebsocket,
    /// No `Connection` header.
    NoConnection,
    /// `200 OK` instead of `101`.
    Status200,
    /// A `Sec-WebSocket-Protocol` the client did not offer.
    UnofferedSubprotocol,
    /// A `Sec-WebSocket-Extensions` the client did not offer.
    UnofferedExtension,
    /// A permessage-deflate answer the client must refuse (RFC 7692 §7.1): this header
    /// value, e.g. a window size out of range or a parameter the offer did not name.
    BadDeflateAnswer(&'static str),
}

/// A top-level category of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    /// Number, e.g. 6.
    pub number: u32,
    /// Title, e.g. "UTF-8 Handling".
    pub title: &'static str,
}

/// A subcategory, e.g. "6.4" "Fail-fast on invalid UTF-8".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subcategory {
    /// Dotted id prefix, e.g. "6.4".
    pub id: String,
    /// Title.
    pub title: String,
}

/// One conformance case: identity, what it sends and what it expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Dotted id, e.g. "5.19" (Autobahn's numbering for its categories).
    pub id: String,
    /// Top-level category.
    pub category: Category,
    /// Subcategory, when the category has them.
    pub subcategory: Option<Subcategory>,
    /// What the case sends.
    pub description: String,
    /// What a conforming peer does.
    pub expectation: String,
    /// The spec rule checked, e.g. "RFC 6455 §5.5".
    pub spec: &'static str,
    /// The step program.
    pub steps: Vec<Step>,
    /// Acceptable event sequences.
    pub expected: Expected,
    /// Expected closing behaviour.
    pub expected_close: ExpectedClose,
    /// Verdict ladder adjustments.
    pub rule: VerdictRule,
    /// Whether the report shows the case duration (performance cases).
    pub report_time: bool,
    /// How the connection is opened (dialect, request, delivery, expected answer).
    pub opening: Opening,
    /// The browser generation this case replays (category 18), for the compatibility row.
    pub profile: Option<&'static str>,
    /// Server-mode only: the wrong answer wsspec gives the client's opening request.
    pub server_answer: Option<ServerAnswer>,
    /// permessage-deflate set-up; `None` offers and accepts nothing.
    pub compression: Option<Compression>,
}

impl Case {
    /// A case with no steps yet: no expected events, a normal close expected of the harness.
    pub fn new(id: &str, category: Category, description: &str, expectation: &str) -> Self {
        Case {
            id: id.to_string(),
            category,
            subcategory: None,
            description: description.to_string(),
            expectation: expectation.to_string(),
            spec: "RFC 6455",
            steps: Vec::new(),
            expected: Expected::none(),
            expected_close: ExpectedClose::normal(),
            rule: VerdictRule::Standard,
            report_time: false,
            opening: Opening::default(),
            profile: None,
            server_answer: None,
            compression: None,
        }
    }

    /// Whether the case tests a client (server mode only); the others test servers.
    pub fn tests_clients_only(&self) -> bool {
        self.server_answer.is_some()
    }

    /// Numeric id parts, for numeric ordering ("10.1.1" sorts after "9.8.6").
    pub fn id_key(&self) -> Vec<u32> {
        id_key(&self.id)
    }

    /// Whether this is a timing-judged (performance) case.
    pub fn is_performance(&self) -> bool {
        self.steps.iter().any(|s| {
            matches!(
                s,
                Step::RoundTrips { .. }
                    | Step::AwaitEcho { .. }
                    | Step::AwaitEchoOrRefusal { .. }
                    | Step::CompressedEchoes { .. }
            )
        })
    }
}

/// Numeric sort key of a dotted case id; non-numeric parts sort last.
pub fn id_key(id: &str) -> Vec<u32> {
    id.split('.')
        .map(|p| p.parse::<u32>().unwrap_or(u32::MAX))
        .collect()
}
