//! The case model: a case is a value (steps + expectation), never code.

use serde::Serialize;

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
        }
    }

    /// Numeric id parts, for numeric ordering ("10.1.1" sorts after "9.8.6").
    pub fn id_key(&self) -> Vec<u32> {
        id_key(&self.id)
    }

    /// Whether this is a timing-judged (performance) case.
    pub fn is_performance(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, Step::RoundTrips { .. } | Step::AwaitEcho { .. }))
    }
}

/// Numeric sort key of a dotted case id; non-numeric parts sort last.
pub fn id_key(id: &str) -> Vec<u32> {
    id.split('.')
        .map(|p| p.parse::<u32>().unwrap_or(u32::MAX))
        .collect()
}
