//! Category 17, hixie-75: the keyless handshake of Chrome 4–5 and Safari 5.0, whose answer
//! clients compare byte for byte, `00 … FF` text frames, length-prefixed frames, and closing
//! by TCP.
//!
//! The engine accepts only `HTTP/1.1 101 Web Socket Protocol Handshake`, `Upgrade: WebSocket`,
//! `Connection: Upgrade` as the first three lines, then `WebSocket-Origin` and
//! `WebSocket-Location`. A server without hixie-75 support refuses: UNIMPLEMENTED.

use super::common::{fill, hixie_length_frame, hixie_text, raw, HELLO};
use super::CaseBuilder;
use crate::model::{
    Case, Chop, ClosePayload, Delivery, Dialect, Event, Expected, HandshakeExpect, Opening,
    Request, Step,
};

/// A hixie-75 opening the server may decline.
fn opening(request: Request) -> Opening {
    Opening {
        dialect: Dialect::Hixie75,
        request: Some(request),
        delivery: Delivery::Whole,
        expect: HandshakeExpect::AcceptIfSupported,
    }
}

/// A case whose handshake the server accepts, then these steps and expected events.
#[allow(clippy::too_many_arguments)]
fn case(
    id: &str,
    sub: (&str, &str),
    description: &str,
    expectation: &str,
    spec: &'static str,
    request: Request,
    steps: Vec<Step>,
    events: Vec<Event>,
) -> Case {
    CaseBuilder::new(id, description, expectation)
        .sub(sub.0, sub.1)
        .spec(spec)
        .opening(opening(request))
        .steps(steps)
        .expect(Expected::ok(events))
        .build()
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    const HS: (&str, &str) = ("17.1", "Handshake");
    const FR: (&str, &str) = ("17.2", "Framing and closing");
    let std = || Request::standard(Dialect::Hixie75);
    let echo = || {
        (
            vec![raw(hixie_text(HELLO)), Step::KillAfter(2000)],
            vec![Event::text(HELLO)],
        )
    };
    let mut query = std();
    query.request_line = "GET {path}?wsspec=1&q=a%20b HTTP/1.1".into();
    let big = fill(b'*', 65_536);
    let texts: Vec<String> = (0..3).map(|i| format!("message {i}")).collect();
    let (s1, e1) = echo();
    let (s2, e2) = echo();
    let (s3, e3) = echo();
    vec![
        case(
            "17.1.1",
            HS,
            "The hixie-75 request exactly as Chrome 4–5 sent it (GET, Upgrade: WebSocket, \
             Connection: Upgrade, Host, Origin; no keys), then one text frame.",
            "The answer starts byte for byte with HTTP/1.1 101 Web Socket Protocol Handshake, \
             Upgrade: WebSocket, Connection: Upgrade, and carries WebSocket-Origin (the Origin \
             sent) and WebSocket-Location (ws://host:port/path); the text is echoed and the \
             server closes TCP after the harness does.",
            "draft-hixie-75 §5.2",
            std(),
            s1,
            e1,
        ),
        case(
            "17.1.2",
            HS,
            "Origin: null, as sent from file:// pages.",
            "WebSocket-Origin echoes null verbatim and the text is echoed; refusing the origin \
             is recorded as UNIMPLEMENTED.",
            "draft-hixie-75 §5.2",
            std().set("Origin", "null"),
            s2,
            e2,
        ),
        case(
            "17.1.3",
            HS,
            "A request-target with a query string (?wsspec=1&q=a%20b).",
            "WebSocket-Location repeats the resource with its query unchanged; the text is \
             echoed.",
            "draft-hixie-75 §5.2",
            query,
            s3,
            e3,
        ),
        case(
            "17.2.1",
            FR,
            "An empty text frame (00 FF).",
            "The server echoes an empty text frame.",
            "draft-hixie-75 §5.3",
            std(),
            vec![raw(hixie_text("")), Step::KillAfter(2000)],
            vec![Event::text("")],
        ),
        case(
            "17.2.2",
            FR,
            "A text frame of 65536 bytes.",
            "The server echoes the text unchanged.",
            "draft-hixie-75 §5.3",
            std(),
            vec![raw(hixie_text(&big)), Step::KillAfter(5000)],
            vec![Event::text(&big)],
        ),
        case(
            "17.2.3",
            FR,
            "Three text frames in a single TCP write.",
            "The server separates the frames and echoes the three messages in order.",
            "draft-hixie-75 §5.3",
            std(),
            vec![
                raw(texts.iter().flat_map(hixie_text).collect()),
                Step::KillAfter(2000),
            ],
            texts.iter().map(Event::text).collect(),
        ),
        case(
            "17.2.4",
            FR,
            "One text frame written one octet per write.",
            "The server reassembles the frame and echoes the text once.",
            "draft-hixie-75 §5.3",
            std(),
            vec![
                Step::SendRaw {
                    bytes: hixie_text(HELLO),
                    chop: Chop::Every(1),
                },
                Step::KillAfter(2000),
            ],
            vec![Event::text(HELLO)],
        ),
        case(
            "17.2.5",
            FR,
            "A length-prefixed frame (type 0x80, length 5) followed by a text frame, in one \
             write.",
            "The server reads the length-prefixed frame by its length and discards it, then \
             echoes only the text frame.",
            "draft-hixie-75 §5.3",
            std(),
            vec![
                raw([hixie_length_frame(0x80, b"Hello"), hixie_text("after")].concat()),
                Step::KillAfter(2000),
            ],
            vec![Event::text("after")],
        ),
        case(
            "17.2.6",
            FR,
            "The harness closes the connection (TCP half-close) right after the handshake.",
            "hixie-75 has no closing handshake: the server closes its side of the TCP \
             connection in turn.",
            "draft-hixie-75 §5.3",
            std(),
            vec![
                Step::Close(ClosePayload::Raw(vec![])),
                Step::KillAfter(2000),
            ],
            vec![],
        ),
    ]
}
