//! Small helpers shared by the category tables.

use super::CaseBuilder;
use crate::model::{
    opcode, Dialect, Event, Expected, ExpectedClose, FrameSpec, Opening, Payload, Request,
    ServerAnswer, Step, VerdictRule,
};

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

/// A hixie-75/76 text frame: `00`, the UTF-8 bytes, `FF`.
pub(crate) fn hixie_text(text: impl AsRef<[u8]>) -> Vec<u8> {
    let text = text.as_ref();
    let mut out = Vec::with_capacity(text.len() + 2);
    out.push(0x00);
    out.extend_from_slice(text);
    out.push(0xff);
    out
}

/// A hixie length-prefixed frame: a type byte with the high bit set, the length in 7-bit
/// groups (big-endian, high bit = more groups follow), then the data.
pub(crate) fn hixie_length_frame(frame_type: u8, data: &[u8]) -> Vec<u8> {
    let mut groups = Vec::new();
    let mut n = data.len();
    loop {
        groups.push((n & 0x7f) as u8);
        n >>= 7;
        if n == 0 {
            break;
        }
    }
    groups.reverse();
    let last = groups.len() - 1;
    for g in &mut groups[..last] {
        *g |= 0x80;
    }
    let mut out = vec![frame_type | 0x80];
    out.extend_from_slice(&groups);
    out.extend_from_slice(data);
    out
}

/// Send these octets in one write, bypassing the frame encoder.
pub(crate) fn raw(bytes: Vec<u8>) -> Step {
    Step::SendRaw {
        bytes,
        chop: crate::model::Chop::Whole,
    }
}

/// The standard RFC 6455 opening with this `Sec-WebSocket-Extensions` offer, placed before
/// `Sec-WebSocket-Version` as Autobahn places it (its categories 12 and 13 send exactly this
/// head, apart from the key, host and user agent).
pub(crate) fn deflate_opening(offer: &str) -> Opening {
    let mut request = Request::standard(Dialect::Rfc6455);
    let at = request
        .headers
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case("Sec-WebSocket-Version"))
        .unwrap_or(request.headers.len());
    request.headers.insert(
        at,
        ("Sec-WebSocket-Extensions".to_string(), offer.to_string()),
    );
    Opening {
        request: Some(request),
        ..Opening::default()
    }
}

/// What a client that opened the connection anyway would echo (categories 20 and 21.5).
pub(crate) const PROBE: &str = "wsspec: this connection must not have opened";

/// A server-mode case whose opening answer a client must refuse: wsspec gives `answer`,
/// then sends [`PROBE`]. A conforming client fails the connection and echoes nothing.
pub(crate) fn must_refuse(id: &str, description: &str, answer: ServerAnswer) -> CaseBuilder {
    CaseBuilder::new(
        id,
        description,
        "The client must fail the connection: it never echoes the message and closes TCP \
         (any WebSocket frame from it shows it took the connection as open).",
    )
    .server_answer(answer)
    .steps(vec![
        Step::Send(FrameSpec::text(PROBE)),
        Step::KillAfter(2000),
    ])
    .expect(Expected::ok(vec![]))
    .close(ExpectedClose::peer_fails(&[]))
    .rule(VerdictRule::WrongCodeFailsBehavior)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hixie_frames_are_encoded_as_the_drafts_say() {
        assert_eq!(hixie_text("Hi"), vec![0x00, b'H', b'i', 0xff]);
        assert_eq!(hixie_length_frame(0x80, b"Hello")[..2], [0x80, 0x05]);
        let long = hixie_length_frame(0x80, &[0u8; 128]);
        assert_eq!(long[..3], [0x80, 0x81, 0x00]);
        assert_eq!(long.len(), 3 + 128);
        assert_eq!(hixie_length_frame(0x80, b"")[..], [0x80, 0x00]);
    }

    #[test]
    fn the_deflate_offer_goes_right_before_the_version() {
        let r = deflate_opening("permessage-deflate").request();
        let names: Vec<&str> = r.headers.iter().map(|(n, _)| n.as_str()).collect();
        let at = names.len() - 2;
        assert_eq!(
            names[at..],
            ["Sec-WebSocket-Extensions", "Sec-WebSocket-Version"]
        );
        assert_eq!(r.headers[at].1, "permessage-deflate");
        assert_eq!(
            names[..at],
            Request::standard(Dialect::Rfc6455).headers[..at]
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()[..]
        );
    }
}
