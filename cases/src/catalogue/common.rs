//! Small helpers shared by the category tables.

use crate::model::{opcode, Event, ExpectedClose, FrameSpec, Payload, Step};

/// The short text most framing cases send.
pub(crate) const HELLO: &str = "Hello, world!";

/// The 8-byte binary payload (not UTF-8) of several ping and RSV cases.
pub(crate) const BINARY8: [u8; 8] = [0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff];

/// "κόσμε" in UTF-8: Markus Kuhn's sample word.
pub(crate) const KOSME: [u8; 11] = [
    0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5,
];

/// Shorthand for sending one frame.
pub(crate) fn send(frame: FrameSpec) -> Step {
    Step::Send(frame)
}

/// `n` copies of `byte`, the fill of Autobahn's length cases.
pub(crate) fn fill(byte: u8, n: usize) -> Vec<u8> {
    vec![byte; n]
}

/// Decode a lowercase hex string of a table row.
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("table hex is valid"))
        .collect()
}

/// The event of receiving a message of this opcode and payload.
pub(crate) fn message(binary: bool, payload: &[u8]) -> Event {
    if binary {
        Event::binary(payload)
    } else {
        Event::text(payload)
    }
}

/// The peer must fail the connection with a protocol error (1002).
pub(crate) fn protocol_error() -> ExpectedClose {
    ExpectedClose::peer_fails(&[1002])
}

/// A frame with an arbitrary opcode and byte payload.
pub(crate) fn frame(opcode: u8, payload: impl AsRef<[u8]>) -> FrameSpec {
    FrameSpec::new(opcode, Payload::bytes(payload))
}

/// A text message sent one octet per frame, closed by the empty final frame Autobahn adds.
pub(crate) fn octet_fragments(payload: &[u8]) -> Vec<Step> {
    let mut steps: Vec<Step> = payload
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let op = if i == 0 {
                opcode::TEXT
            } else {
                opcode::CONTINUATION
            };
            send(frame(op, [*b]).fin(false))
        })
        .collect();
    steps.push(send(FrameSpec::continuation("")));
    steps
}

/// How a case's frames are handed to TCP: Autobahn's three write styles.
#[derive(Clone, Copy)]
pub(crate) enum Writes {
    /// One write per frame.
    Plain,
    /// One flushed write per frame (`sync`).
    FrameWise,
    /// One write per octet.
    OctetWise,
}

impl Writes {
    /// Apply the style to a frame.
    pub(crate) fn apply(self, f: FrameSpec) -> FrameSpec {
        match self {
            Writes::Plain => f,
            Writes::FrameWise => f.sync(true),
            Writes::OctetWise => f.chop(1),
        }
    }

    /// A sentence for the case description.
    pub(crate) fn note(self) -> &'static str {
        match self {
            Writes::Plain => "",
            Writes::FrameWise => " Each frame is written and flushed on its own.",
            Writes::OctetWise => " Every frame is written one octet at a time.",
        }
    }
}
