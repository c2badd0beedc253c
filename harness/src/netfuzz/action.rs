//! The fuzzer's input: an opening variant and a list of actions, each a value that
//! `arbitrary` can generate, `serde` can write into a case file, and the model can judge.
//!
//! Generation is biased: mostly well-formed traffic with boundary sizes, sometimes one
//! broken field, and a third of the sequences start from a conformance case of the
//! catalogue (its frames turned into actions, maybe mutated), as AFLNet starts from
//! recorded exchanges.

use std::fmt;
use std::sync::LazyLock;

use arbitrary::{Arbitrary, Result as ArbResult, Unstructured};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use wsspec_cases::{
    opcode, Case, Chop, ClosePayload, LengthForm, Mask, Payload as CasePayload, Step,
};

/// Most octets of all payloads in one generated sequence (keeps the expected-event lists
/// and the peer's buffers small).
pub const MAX_SEQUENCE_BYTES: usize = 256 * 1024;

/// Most actions in one generated sequence.
pub const MAX_ACTIONS: usize = 10;

/// Octets, written as a hex string in case files.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = String::with_capacity(self.0.len() * 2);
        for b in &self.0 {
            out.push_str(&format!("{b:02x}"));
        }
        s.serialize_str(&out)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_hex(&text)
            .map(Bytes)
            .ok_or_else(|| serde::de::Error::custom(format!("not a hex string: {text:?}")))
    }
}

/// Decode a hex string (even length, no separators).
fn parse_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect()
}

impl<'a> Arbitrary<'a> for Bytes {
    fn arbitrary(u: &mut Unstructured<'a>) -> ArbResult<Self> {
        let len = u.int_in_range(0..=48)?;
        Ok(Bytes(u.bytes(len)?.to_vec()))
    }
}

/// One way to make text invalid UTF-8.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BadUtf8 {
    /// ED A0 80: a UTF-16 surrogate encoded as a code point.
    Surrogate,
    /// C0 AF: an overlong encoding of '/'.
    Overlong,
    /// F4 90 80 80: beyond U+10FFFF.
    BeyondMax,
    /// 80: a continuation octet with no lead.
    LoneContinuation,
    /// E2 82: a sequence cut short (invalid at once when text follows, else at the end).
    Truncated,
    /// FF: an octet that never occurs in UTF-8.
    InvalidOctet,
}

impl BadUtf8 {
    /// The invalid octets.
    pub fn octets(self) -> &'static [u8] {
        match self {
            BadUtf8::Surrogate => &[0xed, 0xa0, 0x80],
            BadUtf8::Overlong => &[0xc0, 0xaf],
            BadUtf8::BeyondMax => &[0xf4, 0x90, 0x80, 0x80],
            BadUtf8::LoneContinuation => &[0x80],
            BadUtf8::Truncated => &[0xe2, 0x82],
            BadUtf8::InvalidOctet => &[0xff],
        }
    }
}

/// A payload: readable in case files, compact when large.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Payload {
    /// Valid UTF-8 text.
    Text {
        /// The text.
        text: String,
    },
    /// Text with invalid UTF-8 in the middle.
    BadUtf8 {
        /// Valid text before the bad octets.
        before: String,
        /// The bad octets.
        bad: BadUtf8,
        /// Valid text after them.
        after: String,
    },
    /// Any octets.
    Binary {
        /// The octets.
        hex: Bytes,
    },
    /// `unit` repeated and cut to exactly `len` octets.
    Fill {
        /// The repeated octets (empty: zeros).
        unit: Bytes,
        /// Total length.
        len: u32,
    },
}

impl Payload {
    /// A text payload.
    pub fn text(t: &str) -> Self {
        Payload::Text {
            text: t.to_string(),
        }
    }

    /// These octets: as text when they are UTF-8 (readable in case files), else as hex.
    pub fn from_octets(b: &[u8]) -> Self {
        match std::str::from_utf8(b) {
            Ok(text) => Payload::text(text),
            Err(_) => Payload::Binary {
                hex: Bytes(b.to_vec()),
            },
        }
    }

    /// The empty payload.
    pub fn empty() -> Self {
        Payload::text("")
    }

    /// The octets.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Payload::Text { text } => text.as_bytes().to_vec(),
            Payload::BadUtf8 { before, bad, after } => {
                [before.as_bytes(), bad.octets(), after.as_bytes()].concat()
            }
            Payload::Binary { hex } => hex.0.clone(),
            Payload::Fill { unit, len } => fill(&unit.0, *len as usize),
        }
    }

    /// Length in octets.
    pub fn len(&self) -> usize {
        match self {
            Payload::Text { text } => text.len(),
            Payload::BadUtf8 { before, bad, after } => {
                before.len() + bad.octets().len() + after.len()
            }
            Payload::Binary { hex } => hex.0.len(),
            Payload::Fill { len, .. } => *len as usize,
        }
    }

    /// Whether the payload has no octets.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// As the case model stores it (a fill stays a compact repeat).
    pub fn to_case(&self) -> CasePayload {
        match self {
            Payload::Fill { unit, len } => CasePayload::repeat(&unit.0, *len as usize),
            other => CasePayload::Bytes(other.to_vec()),
        }
    }

    /// Smaller variants of this payload, most aggressive first (for the minimizer).
    pub fn shrunk(&self) -> Vec<Payload> {
        let mut out = Vec::new();
        if self.is_empty() {
            return out;
        }
        match self {
            Payload::Text { text } => {
                out.push(Payload::empty());
                out.push(Payload::text(&cut(text, text.len() / 2)));
                if !text.is_ascii() {
                    out.push(Payload::text(&"a".repeat(text.len())));
                }
            }
            Payload::BadUtf8 { before, bad, after } => {
                if !before.is_empty() || !after.is_empty() {
                    out.push(Payload::BadUtf8 {
                        before: String::new(),
                        bad: *bad,
                        after: String::new(),
                    });
                }
                out.push(Payload::BadUtf8 {
                    before: cut(before, before.len() / 2),
                    bad: *bad,
                    after: cut(after, after.len() / 2),
                });
            }
            Payload::Binary { hex } => {
                out.push(Payload::empty());
                out.push(Payload::Binary {
                    hex: Bytes(hex.0[..hex.0.len() / 2].to_vec()),
                });
                if hex.0.iter().any(|b| *b != b'a') {
                    out.push(Payload::Binary {
                        hex: Bytes(vec![b'a'; hex.0.len()]),
                    });
                }
            }
            Payload::Fill { unit, len } => {
                out.push(Payload::empty());
                out.push(Payload::Fill {
                    unit: unit.clone(),
                    len: len / 2,
                });
                // Lengths around the 7/16/64-bit boundaries matter; try the boundary below.
                for b in [65_536u32, 65_535, 126, 125] {
                    if *len > b {
                        out.push(Payload::Fill {
                            unit: unit.clone(),
                            len: b,
                        });
                    }
                }
                if *len <= 4096 {
                    out.push(Payload::Binary {
                        hex: Bytes(self.to_vec()),
                    });
                }
            }
        }
        out.retain(|p| p != self);
        out
    }
}

/// `unit` repeated to `len` octets (zeros for an empty unit).
fn fill(unit: &[u8], len: usize) -> Vec<u8> {
    if unit.is_empty() {
        return vec![0; len];
    }
    unit.iter().copied().cycle().take(len).collect()
}

/// The longest prefix of `s` of at most `n` octets that ends on a character boundary.
fn cut(s: &str, n: usize) -> String {
    let mut end = n.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// Boundary lengths of the three length encodings (RFC 6455 §5.2).
const BOUNDARY_LENGTHS: [u32; 8] = [0, 1, 125, 126, 127, 65_535, 65_536, 65_537];

/// Repeated units of the fill payloads: ASCII, multi-octet UTF-8, binary.
const FILL_UNITS: [&[u8]; 5] = [
    b"*",
    b"Hello, world! ",
    "\u{3ba}\u{1f79}\u{3c3}\u{3bc}\u{3b5}".as_bytes(),
    &[0x00, 0xff, 0xfe],
    b"",
];

/// Short ASCII for readable text payloads.
fn ascii(u: &mut Unstructured<'_>, max: usize) -> ArbResult<String> {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?-";
    let n = u.int_in_range(0..=max)?;
    let mut s = String::with_capacity(n);
    for _ in 0..n {
        s.push(char::from(*u.choose(CHARS)?));
    }
    Ok(s)
}

/// Arbitrary Unicode text of at most `max` characters.
fn unicode(u: &mut Unstructured<'_>, max: usize) -> ArbResult<String> {
    let s: String = u.arbitrary()?;
    Ok(s.chars().take(max).collect())
}

impl Payload {
    /// A data payload: mostly small, boundary sizes often, occasionally large.
    pub fn data(u: &mut Unstructured<'_>) -> ArbResult<Self> {
        Ok(match u.int_in_range(0..=99u8)? {
            0..=29 => Payload::Text {
                text: ascii(u, 40)?,
            },
            30..=42 => Payload::Text {
                text: unicode(u, 32)?,
            },
            43..=56 => Payload::BadUtf8 {
                before: if u.arbitrary()? {
                    ascii(u, 12)?
                } else {
                    unicode(u, 6)?
                },
                bad: u.arbitrary()?,
                after: ascii(u, 12)?,
            },
            57..=69 => Payload::Binary {
                hex: u.arbitrary()?,
            },
            70..=84 => Payload::Fill {
                unit: Bytes(u.choose(&FILL_UNITS)?.to_vec()),
                len: *u.choose(&BOUNDARY_LENGTHS)?,
            },
            85..=95 => Payload::Fill {
                unit: Bytes(u.choose(&FILL_UNITS)?.to_vec()),
                len: u.int_in_range(0..=4096)?,
            },
            _ => Payload::Fill {
                unit: Bytes(u.choose(&FILL_UNITS)?.to_vec()),
                len: u.int_in_range(65_536..=131_072)?,
            },
        })
    }

    /// A control-frame payload: mostly within 125 octets, sometimes just over.
    pub fn control(u: &mut Unstructured<'_>) -> ArbResult<Self> {
        Ok(match u.int_in_range(0..=99u8)? {
            0..=39 => Payload::Text {
                text: ascii(u, 24)?,
            },
            40..=54 => Payload::Binary {
                hex: u.arbitrary()?,
            },
            55..=74 => Payload::Fill {
                unit: Bytes(u.choose(&FILL_UNITS)?.to_vec()),
                len: *u.choose(&[0u32, 1, 124, 125])?,
            },
            75..=89 => Payload::Fill {
                unit: Bytes(u.choose(&FILL_UNITS)?.to_vec()),
                len: u.int_in_range(0..=125)?,
            },
            _ => Payload::Fill {
                unit: Bytes(u.choose(&FILL_UNITS)?.to_vec()),
                len: u.int_in_range(126..=300)?,
            },
        })
    }
}

impl<'a> Arbitrary<'a> for Payload {
    fn arbitrary(u: &mut Unstructured<'a>) -> ArbResult<Self> {
        Payload::data(u)
    }
}

/// How a frame is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MaskKind {
    /// A fresh random key (what a client must do).
    Random,
    /// No mask: a protocol error from a client.
    Unmasked,
    /// This key (all zeros is legal too).
    Key([u8; 4]),
}

impl<'a> Arbitrary<'a> for MaskKind {
    fn arbitrary(u: &mut Unstructured<'a>) -> ArbResult<Self> {
        Ok(match u.int_in_range(0..=99u8)? {
            0..=89 => MaskKind::Random,
            90..=94 => MaskKind::Unmasked,
            95..=97 => MaskKind::Key([0; 4]),
            _ => MaskKind::Key(u.arbitrary()?),
        })
    }
}

/// How the payload length is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LengthKind {
    /// The minimal encoding.
    Minimal,
    /// Always the 16-bit form (non-minimal below 126).
    Extended16,
    /// Always the 64-bit form (non-minimal below 65536).
    Extended64,
}

impl<'a> Arbitrary<'a> for LengthKind {
    fn arbitrary(u: &mut Unstructured<'a>) -> ArbResult<Self> {
        Ok(match u.int_in_range(0..=99u8)? {
            0..=93 => LengthKind::Minimal,
            94..=96 => LengthKind::Extended16,
            _ => LengthKind::Extended64,
        })
    }
}

/// How a frame's octets are handed to TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Write {
    /// Coalesced with whatever else is queued.
    Whole,
    /// In writes of at most this many octets (1: octet-wise).
    Chop(u16),
    /// Flushed on its own before the next write.
    Sync,
}

impl Write {
    /// A write style for a payload of `len` octets: chopped writes only for small ones
    /// (octet-wise writes of a big frame take the peer seconds and prove nothing more).
    pub fn for_len(u: &mut Unstructured<'_>, len: usize) -> ArbResult<Self> {
        let w: Write = u.arbitrary()?;
        Ok(match w {
            Write::Chop(_) if len > 2048 => Write::Whole,
            other => other,
        })
    }
}

impl<'a> Arbitrary<'a> for Write {
    fn arbitrary(u: &mut Unstructured<'a>) -> ArbResult<Self> {
        Ok(match u.int_in_range(0..=99u8)? {
            0..=79 => Write::Whole,
            80..=86 => Write::Chop(1),
            87..=91 => Write::Chop(u.int_in_range(2..=9)?),
            _ => Write::Sync,
        })
    }
}

/// One frame with every header field chosen.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FrameAction {
    /// Opcode nibble (reserved values allowed).
    pub opcode: u8,
    /// FIN bit.
    pub fin: bool,
    /// RSV1..3 as a 3-bit number.
    pub rsv: u8,
    /// Masking.
    pub mask: MaskKind,
    /// Length encoding.
    pub length: LengthKind,
    /// Payload before masking.
    pub payload: Payload,
    /// TCP writes.
    pub write: Write,
}

impl FrameAction {
    /// A final, masked, minimally encoded frame written whole.
    pub fn new(opcode: u8, payload: Payload) -> Self {
        FrameAction {
            opcode,
            fin: true,
            rsv: 0,
            mask: MaskKind::Random,
            length: LengthKind::Minimal,
            payload,
            write: Write::Whole,
        }
    }

    /// Whether the opcode is a control opcode (8..=15).
    pub fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }
}

impl<'a> Arbitrary<'a> for FrameAction {
    fn arbitrary(u: &mut Unstructured<'a>) -> ArbResult<Self> {
        let opcode = match u.int_in_range(0..=99u8)? {
            0..=29 => opcode::TEXT,
            30..=44 => opcode::BINARY,
            45..=59 => opcode::CONTINUATION,
            60..=72 => opcode::PING,
            73..=80 => opcode::PONG,
            81..=86 => opcode::CLOSE,
            _ => u.int_in_range(0..=15)?,
        };
        let payload = if opcode & 0x8 != 0 {
            Payload::control(u)?
        } else {
            Payload::data(u)?
        };
        let write = Write::for_len(u, payload.len())?;
        Ok(FrameAction {
            opcode,
            fin: u.ratio(6, 7)?,
            rsv: if u.ratio(1, 12)? {
                u.int_in_range(1..=7)?
            } else {
                0
            },
            mask: u.arbitrary()?,
            length: u.arbitrary()?,
            payload,
            write,
        })
    }
}

/// The payload of a close the harness sends.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CloseSpec {
    /// No payload at all.
    Empty,
    /// A single octet (too short for a code).
    OneOctet {
        /// The octet.
        octet: u8,
    },
    /// A status code and a reason (any octets, any length).
    Code {
        /// The status code, valid or not.
        code: u16,
        /// The reason.
        reason: Payload,
    },
}

impl CloseSpec {
    /// The close frame's payload.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            CloseSpec::Empty => Vec::new(),
            CloseSpec::OneOctet { octet } => vec![*octet],
            CloseSpec::Code { code, reason } => {
                let mut out = code.to_be_bytes().to_vec();
                out.extend_from_slice(&reason.to_vec());
                out
            }
        }
    }
}

/// Close codes a peer may send (RFC 6455 §7.4.1 and the IANA registry).
const VALID_CODES: [u16; 17] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4242,
    4999,
];

/// Close codes that must never be on the wire.
const INVALID_CODES: [u16; 11] = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 1];

impl<'a> Arbitrary<'a> for CloseSpec {
    fn arbitrary(u: &mut Unstructured<'a>) -> ArbResult<Self> {
        let code = match u.int_in_range(0..=99u8)? {
            0..=4 => return Ok(CloseSpec::Empty),
            5..=7 => {
                return Ok(CloseSpec::OneOctet {
                    octet: u.arbitrary()?,
                })
            }
            8..=57 => *u.choose(&VALID_CODES)?,
            58..=82 => *u.choose(&INVALID_CODES)?,
            83..=87 => u.int_in_range(5000..=u16::MAX)?,
            _ => u.arbitrary()?,
        };
        let reason = match u.int_in_range(0..=99u8)? {
            0..=54 => Payload::empty(),
            55..=79 => Payload::Text {
                text: ascii(u, 30)?,
            },
            80..=89 => Payload::BadUtf8 {
                before: ascii(u, 8)?,
                bad: u.arbitrary()?,
                after: ascii(u, 8)?,
            },
            _ => Payload::Fill {
                unit: Bytes(b"reason ".to_vec()),
                len: u.int_in_range(90..=130)?,
            },
        };
        Ok(CloseSpec::Code { code, reason })
    }
}

/// The opening request: RFC 6455's standard one, or a spelling a server must accept
/// (category 14.5/14.6), or an unsupported version it must refuse (14.2).
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpeningKind {
    /// wsspec's standard request.
    Standard,
    /// Every header name in lower case.
    LowerCaseNames,
    /// Every header name in upper case.
    UpperCaseNames,
    /// `Upgrade: WEBSOCKET`.
    UpgradeUpperCase,
    /// `Connection: keep-alive, Upgrade`.
    KeepAliveUpgrade,
    /// No space after the colons.
    NoSpace,
    /// The request written one octet at a time.
    Bytewise,
    /// The request in two writes, split after the request line, with a short pause.
    SplitAfterRequestLine,
    /// The request in two writes, split before the blank line, with a short pause.
    SplitBeforeBlankLine,
    /// `Sec-WebSocket-Version: 14`, which the server must refuse (426 with a version list).
    UnsupportedVersion,
}

/// One step of a fuzz sequence.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// One frame, any field possibly wrong.
    Frame(FrameAction),
    /// A whole text or binary message in `fragments` frames (0 and 1: unfragmented).
    Message {
        /// Binary rather than text.
        binary: bool,
        /// The message payload.
        payload: Payload,
        /// Number of frames (the payload is split evenly, even inside characters).
        fragments: u8,
        /// TCP writes of each frame.
        write: Write,
    },
    /// A ping.
    Ping {
        /// Its payload (over 125 octets is a protocol error).
        payload: Payload,
    },
    /// An unsolicited pong.
    Pong {
        /// Its payload.
        payload: Payload,
    },
    /// The harness starts the closing handshake with this payload; nothing follows it.
    Close(CloseSpec),
    /// A frame written raw in two writes, split after `at` octets, `pause_ms` apart.
    Split {
        /// The frame (a random mask becomes a fixed key, so the octets are known).
        frame: FrameAction,
        /// Octets in the first write (clamped into the frame).
        at: u16,
        /// Pause between the writes.
        pause_ms: u8,
    },
    /// A pause.
    Delay {
        /// Milliseconds.
        ms: u8,
    },
    /// Drop the TCP connection abruptly (ends the sequence; only the server's survival is
    /// judged).
    Abort {
        /// Pause before the drop, so what was queued goes out first.
        after_ms: u8,
    },
}

impl Action {
    /// Payload octets this action puts on the wire (for the size budget).
    pub fn payload_len(&self) -> usize {
        match self {
            Action::Frame(f) | Action::Split { frame: f, .. } => f.payload.len(),
            Action::Message { payload, .. }
            | Action::Ping { payload }
            | Action::Pong { payload } => payload.len(),
            Action::Close(c) => c.to_bytes().len(),
            Action::Delay { .. } | Action::Abort { .. } => 0,
        }
    }

    /// Simpler variants of this action, for the minimizer (same kind of effect, smaller).
    pub fn shrunk(&self) -> Vec<Action> {
        let mut out = Vec::new();
        match self {
            Action::Frame(f) => {
                for p in f.payload.shrunk() {
                    out.push(Action::Frame(FrameAction {
                        payload: p,
                        ..f.clone()
                    }));
                }
                let simpler = FrameAction {
                    write: Write::Whole,
                    ..f.clone()
                };
                if simpler != *f {
                    out.push(Action::Frame(simpler));
                }
                if f.mask != MaskKind::Random && f.mask != MaskKind::Unmasked {
                    out.push(Action::Frame(FrameAction {
                        mask: MaskKind::Random,
                        ..f.clone()
                    }));
                }
                if f.length != LengthKind::Minimal {
                    out.push(Action::Frame(FrameAction {
                        length: LengthKind::Minimal,
                        ..f.clone()
                    }));
                }
            }
            Action::Message {
                binary,
                payload,
                fragments,
                write,
            } => {
                if *fragments > 1 {
                    out.push(Action::Message {
                        binary: *binary,
                        payload: payload.clone(),
                        fragments: 1,
                        write: *write,
                    });
                }
                for p in payload.shrunk() {
                    out.push(Action::Message {
                        binary: *binary,
                        payload: p,
                        fragments: *fragments,
                        write: *write,
                    });
                }
                if *write != Write::Whole {
                    out.push(Action::Message {
                        binary: *binary,
                        payload: payload.clone(),
                        fragments: *fragments,
                        write: Write::Whole,
                    });
                }
            }
            Action::Ping { payload } => {
                for p in payload.shrunk() {
                    out.push(Action::Ping { payload: p });
                }
            }
            Action::Pong { payload } => {
                for p in payload.shrunk() {
                    out.push(Action::Pong { payload: p });
                }
            }
            Action::Close(CloseSpec::Code { code, reason }) => {
                for p in reason.shrunk() {
                    out.push(Action::Close(CloseSpec::Code {
                        code: *code,
                        reason: p,
                    }));
                }
            }
            Action::Close(_) => {}
            Action::Split {
                frame,
                at,
                pause_ms,
            } => {
                out.push(Action::Frame(frame.clone()));
                for p in frame.payload.shrunk() {
                    out.push(Action::Split {
                        frame: FrameAction {
                            payload: p,
                            ..frame.clone()
                        },
                        at: *at,
                        pause_ms: *pause_ms,
                    });
                }
            }
            Action::Delay { ms } if *ms > 0 => out.push(Action::Delay { ms: ms / 2 }),
            Action::Delay { .. } | Action::Abort { .. } => {}
        }
        out
    }
}

/// What one fuzz run sends: an opening, then actions in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sequence {
    /// The opening request variant.
    pub opening: OpeningKind,
    /// The actions after the opening handshake.
    pub actions: Vec<Action>,
}

impl fmt::Display for Sequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}:", self.opening)?;
        for a in &self.actions {
            write!(f, " {}", a.short())?;
        }
        Ok(())
    }
}

impl Action {
    /// A few words naming the action (progress and descriptions).
    pub fn short(&self) -> String {
        let frame = |f: &FrameAction| {
            let mut s = format!("op{}", f.opcode);
            if !f.fin {
                s.push_str(" fin0");
            }
            if f.rsv != 0 {
                s.push_str(&format!(" rsv{}", f.rsv));
            }
            match f.mask {
                MaskKind::Unmasked => s.push_str(" unmasked"),
                MaskKind::Key(k) => s.push_str(&format!(
                    " key{:02x}{:02x}{:02x}{:02x}",
                    k[0], k[1], k[2], k[3]
                )),
                MaskKind::Random => {}
            }
            if f.length != LengthKind::Minimal {
                s.push_str(&format!(" {:?}", f.length));
            }
            s.push_str(&format!(" {}B", f.payload.len()));
            s
        };
        match self {
            Action::Frame(f) => format!("[frame {}]", frame(f)),
            Action::Message {
                binary,
                payload,
                fragments,
                ..
            } => format!(
                "[{} {}B/{}]",
                if *binary { "binary" } else { "text" },
                payload.len(),
                fragments.max(&1)
            ),
            Action::Ping { payload } => format!("[ping {}B]", payload.len()),
            Action::Pong { payload } => format!("[pong {}B]", payload.len()),
            Action::Close(CloseSpec::Empty) => "[close]".to_string(),
            Action::Close(CloseSpec::OneOctet { .. }) => "[close 1 octet]".to_string(),
            Action::Close(CloseSpec::Code { code, reason }) => {
                format!("[close {code} +{}B]", reason.len())
            }
            Action::Split { frame: f, at, .. } => format!("[split@{at} {}]", frame(f)),
            Action::Delay { ms } => format!("[delay {ms}ms]"),
            Action::Abort { .. } => "[abort]".to_string(),
        }
    }
}

// ---- generation ---------------------------------------------------------------------------

/// The catalogue's frame-level cases as action lists: the seeds generation starts from.
pub fn seeds() -> &'static [Vec<Action>] {
    static SEEDS: LazyLock<Vec<Vec<Action>>> = LazyLock::new(|| {
        wsspec_cases::catalogue()
            .iter()
            .filter_map(case_actions)
            .filter(|a| !a.is_empty())
            .collect()
    });
    &SEEDS
}

/// A catalogue case's steps as actions, when every step has an action equivalent and the
/// case runs over the default RFC 6455 opening without extensions.
pub fn case_actions(case: &Case) -> Option<Vec<Action>> {
    if case.opening != Default::default()
        || case.compression.is_some()
        || case.is_performance()
        || case.tests_clients_only()
    {
        return None;
    }
    let mut out = Vec::new();
    for step in &case.steps {
        match step {
            Step::Send(f) => out.push(Action::Frame(FrameAction {
                opcode: f.opcode,
                fin: f.fin,
                rsv: f.rsv,
                mask: match f.mask {
                    Mask::Random => MaskKind::Random,
                    Mask::Unmasked => MaskKind::Unmasked,
                    Mask::Fixed(k) => MaskKind::Key(k),
                },
                length: match f.length_form {
                    LengthForm::Minimal => LengthKind::Minimal,
                    LengthForm::Extended16 => LengthKind::Extended16,
                    LengthForm::Extended64 => LengthKind::Extended64,
                },
                payload: from_case_payload(&f.payload)?,
                write: match (f.chop, f.sync) {
                    (Chop::Every(n), _) => Write::Chop(u16::try_from(n).ok()?),
                    (Chop::Whole, true) => Write::Sync,
                    (Chop::Whole, false) => Write::Whole,
                },
            })),
            Step::SendMessage {
                opcode: op,
                payload,
                fragment_size,
            } if matches!(*op, opcode::TEXT | opcode::BINARY) => {
                let payload = from_case_payload(payload)?;
                let fragments = if *fragment_size == 0 {
                    1
                } else {
                    payload.len().div_ceil(*fragment_size).clamp(1, 8)
                };
                out.push(Action::Message {
                    binary: *op == opcode::BINARY,
                    payload,
                    fragments: u8::try_from(fragments).ok()?,
                    write: Write::Whole,
                });
            }
            Step::Close(p) => {
                out.push(Action::Close(match p {
                    ClosePayload::Code { code, reason } => CloseSpec::Code {
                        code: *code,
                        reason: Payload::from_octets(reason),
                    },
                    ClosePayload::Raw(b) if b.is_empty() => CloseSpec::Empty,
                    ClosePayload::Raw(b) if b.len() == 1 => CloseSpec::OneOctet { octet: b[0] },
                    ClosePayload::Raw(b) => CloseSpec::Code {
                        code: u16::from_be_bytes([b[0], b[1]]),
                        reason: Payload::from_octets(&b[2..]),
                    },
                }));
                break;
            }
            Step::Wait { ms, .. } => out.push(Action::Delay {
                ms: u8::try_from((*ms).min(60)).unwrap_or(60),
            }),
            // Timers only end the case; the sequence's own ending replaces them.
            Step::KillAfter(_) | Step::CloseAfter(_) => {}
            _ => return None,
        }
    }
    Some(out)
}

/// A case payload as an action payload, when it is small enough to fuzz with.
fn from_case_payload(p: &CasePayload) -> Option<Payload> {
    match p {
        CasePayload::Bytes(b) if b.len() <= 64 * 1024 => Some(Payload::from_octets(b)),
        CasePayload::Repeat { pattern, len } if *len <= 131_072 => Some(Payload::Fill {
            unit: Bytes(pattern.clone()),
            len: u32::try_from(*len).ok()?,
        }),
        _ => None,
    }
}

/// What the generator tracks to keep a sequence mostly well-formed.
#[derive(Default)]
struct GenState {
    /// A fragmented message is open (its opcode).
    open: Option<u8>,
    bytes: usize,
}

impl GenState {
    /// Follow one action (only roughly: the model does the real accounting).
    fn follow(&mut self, a: &Action) {
        self.bytes += a.payload_len();
        if let Action::Frame(f) | Action::Split { frame: f, .. } = a {
            if !f.is_control() && f.rsv == 0 && f.mask != MaskKind::Unmasked {
                match (self.open, f.opcode) {
                    (None, opcode::TEXT | opcode::BINARY) if !f.fin => self.open = Some(f.opcode),
                    (Some(_), opcode::CONTINUATION) if f.fin => self.open = None,
                    _ => {}
                }
            }
        }
    }
}

impl Sequence {
    /// Generate a sequence from fuzzer bytes: biased toward well-formed traffic and the
    /// catalogue's own cases, with one or two broken fields now and then.
    pub fn generate(u: &mut Unstructured<'_>) -> ArbResult<Sequence> {
        let opening = if u.ratio(1, 10)? {
            u.arbitrary()?
        } else {
            OpeningKind::Standard
        };
        let mut actions: Vec<Action> = Vec::new();
        let mut state = GenState::default();
        let seeds = seeds();
        if !seeds.is_empty() && u.ratio(1, 3)? {
            let seed = u.choose(seeds)?;
            let take = u.int_in_range(1..=seed.len().min(MAX_ACTIONS))?;
            for a in &seed[..take] {
                state.follow(a);
                actions.push(a.clone());
            }
            if u.ratio(1, 3)? {
                let i = u.choose_index(actions.len())?;
                actions[i] = mutate(u, &actions[i])?;
            }
        }
        let extra = u.int_in_range(if actions.is_empty() { 1 } else { 0 }..=6)?;
        for _ in 0..extra {
            if actions.len() >= MAX_ACTIONS || state.bytes >= MAX_SEQUENCE_BYTES {
                break;
            }
            let a = next_action(u, &state)?;
            if state.bytes + a.payload_len() > MAX_SEQUENCE_BYTES {
                continue;
            }
            state.follow(&a);
            let ends = matches!(a, Action::Close(_) | Action::Abort { .. });
            actions.push(a);
            if ends {
                break;
            }
        }
        Ok(Sequence { opening, actions })
    }
}

/// The next action: continue an open fragmented message, or a fresh one of any kind.
fn next_action(u: &mut Unstructured<'_>, state: &GenState) -> ArbResult<Action> {
    if state.open.is_some() && u.ratio(2, 3)? {
        // Continue the message (or interleave a control frame, as 5.6-5.8 do).
        return Ok(match u.int_in_range(0..=9u8)? {
            0..=1 => Action::Ping {
                payload: Payload::control(u)?,
            },
            2 => Action::Pong {
                payload: Payload::control(u)?,
            },
            _ => Action::Frame(FrameAction {
                fin: u.ratio(2, 3)?,
                ..FrameAction::new(opcode::CONTINUATION, Payload::data(u)?)
            }),
        });
    }
    Ok(match u.int_in_range(0..=99u8)? {
        0..=29 => {
            let payload = Payload::data(u)?;
            Action::Message {
                binary: u.ratio(1, 3)?,
                fragments: if u.ratio(1, 3)? {
                    u.int_in_range(2..=5)?
                } else {
                    1
                },
                write: Write::for_len(u, payload.len())?,
                payload,
            }
        }
        30..=39 => Action::Frame(FrameAction {
            fin: false,
            ..FrameAction::new(
                *u.choose(&[opcode::TEXT, opcode::BINARY])?,
                Payload::data(u)?,
            )
        }),
        40..=51 => Action::Ping {
            payload: Payload::control(u)?,
        },
        52..=56 => Action::Pong {
            payload: Payload::control(u)?,
        },
        57..=71 => Action::Frame(u.arbitrary()?),
        72..=81 => Action::Close(u.arbitrary()?),
        82..=86 => Action::Split {
            frame: u.arbitrary()?,
            at: u.int_in_range(1..=16)?,
            pause_ms: u.int_in_range(1..=30)?,
        },
        87..=94 => Action::Delay {
            ms: u.int_in_range(0..=40)?,
        },
        95..=96 => Action::Abort {
            after_ms: u.int_in_range(0..=20)?,
        },
        _ => u.arbitrary()?,
    })
}

/// One field of a seed action changed (AFLNet-style mutation of a recorded exchange).
fn mutate(u: &mut Unstructured<'_>, a: &Action) -> ArbResult<Action> {
    let Action::Frame(f) = a else {
        return next_action(u, &GenState::default());
    };
    let mut f = f.clone();
    match u.int_in_range(0..=6u8)? {
        0 => f.fin = !f.fin,
        1 => f.rsv = u.int_in_range(0..=7)?,
        2 => f.opcode = u.int_in_range(0..=15)?,
        3 => f.mask = u.arbitrary()?,
        4 => f.length = u.arbitrary()?,
        5 => {
            f.payload = if f.is_control() {
                Payload::control(u)?
            } else {
                Payload::data(u)?
            }
        }
        _ => f.write = Write::for_len(u, f.payload.len())?,
    }
    Ok(Action::Frame(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_hex_in_json() {
        let p = Payload::Binary {
            hex: Bytes(vec![0, 0xff, 0x10]),
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"kind":"binary","hex":"00ff10"}"#);
        assert_eq!(serde_json::from_str::<Payload>(&json).unwrap(), p);
        assert!(serde_json::from_str::<Payload>(r#"{"kind":"binary","hex":"0g"}"#).is_err());
    }

    #[test]
    fn payload_octets() {
        let bad = Payload::BadUtf8 {
            before: "a".into(),
            bad: BadUtf8::Surrogate,
            after: "b".into(),
        };
        assert_eq!(bad.to_vec(), vec![b'a', 0xed, 0xa0, 0x80, b'b']);
        assert_eq!(bad.len(), 5);
        let f = Payload::Fill {
            unit: Bytes(b"ab".to_vec()),
            len: 5,
        };
        assert_eq!(f.to_vec(), b"ababa");
        assert!(f.shrunk().iter().all(|s| s.len() <= 5));
    }

    #[test]
    fn the_catalogue_gives_seeds() {
        let seeds = seeds();
        assert!(seeds.len() > 100, "{} seeds", seeds.len());
        // 5.15: four fragments of two messages.
        let c = wsspec_cases::catalogue()
            .iter()
            .find(|c| c.id == "5.15")
            .unwrap();
        assert_eq!(case_actions(c).unwrap().len(), 4);
    }

    #[test]
    fn generation_is_deterministic_and_bounded() {
        use rand::{RngCore, SeedableRng};
        for seed in 0..200u64 {
            let mut bytes = vec![0u8; 2048];
            rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
            let a = Sequence::generate(&mut Unstructured::new(&bytes)).unwrap();
            let b = Sequence::generate(&mut Unstructured::new(&bytes)).unwrap();
            assert_eq!(a, b);
            assert!(a.actions.len() <= MAX_ACTIONS);
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(serde_json::from_str::<Sequence>(&json).unwrap(), a);
        }
    }
}
