//! Category 16, hixie-76 (= hybi-00): the key1/key2/key3 MD5 challenge, key3 timing (the
//! HAProxy problem), key validation, `Sec-WebSocket-Origin`/`-Location`, `00 … FF` framing and
//! the `FF 00` closing handshake.
//!
//! Every accepted handshake is judged by the engine: 101, `Sec-WebSocket-Origin` equal to the
//! Origin sent, `Sec-WebSocket-Location` equal to `ws://` + Host + request-target, and the
//! 16-octet challenge computed from the keys actually sent. A server without hixie-76 support
//! refuses, which makes the accepting cases UNIMPLEMENTED.

use super::common::{fill, hixie_length_frame, hixie_text, raw, HELLO, KOSME};
use super::CaseBuilder;
use crate::model::{
    Case, Chop, ClosePayload, Delivery, Dialect, Event, Expected, HandshakeExpect, Key3, Opening,
    Request, SplitAt, Step,
};

/// The draft's first worked example (§1.3): keys, key3; the answer is `8jKS'y:G*Co,Wxa-`.
const EX1: (&str, &str, [u8; 8]) = ("4 @1  46546xW%0l 1 5", "12998 5 Y3 1  .P00", *b"^n:ds[4U");

/// The draft's second worked example; the answer is `fQJ,fN/4F4!~K~MH`.
const EX2: (&str, &str, [u8; 8]) = (
    "18x 6]8vM;54 *(5:  {   U1]8  z [  8",
    "1_ tx7X d  <  nw  334J702) 7]o}` 0",
    *b"Tm[K T2u",
);

/// Protocol::WebSocket's test vector: one key with a single space, key3 with NUL octets.
const VTI: (&str, &str, [u8; 8]) = (
    "55 997",
    "3  3  64  98",
    [0x00, 0x09, 0x68, 0x32, 0x00, 0x78, 0xc7, 0x10],
);

/// websocket-driver's test vector: key3 with octets above 0x7F.
const FAYE: (&str, &str, [u8; 8]) = (
    "1   38 wZ3f9 23O0 3l 0r",
    "27   0E 6 2  1665:< ;U 1H",
    [0x91, 0x25, 0x3e, 0xd3, 0xa9, 0xe7, 0x6a, 0x88],
);

/// The standard hixie-76 request with these literal keys.
fn keyed(keys: (&str, &str, [u8; 8])) -> Request {
    let mut r = Request::standard(Dialect::Hixie76)
        .set("Sec-WebSocket-Key1", keys.0)
        .set("Sec-WebSocket-Key2", keys.1);
    r.key3 = Some(Key3::Fixed(keys.2));
    r
}

/// A hixie-76 opening that the server may decline.
fn opening(request: Request, delivery: Delivery) -> Opening {
    Opening {
        dialect: Dialect::Hixie76,
        request: Some(request),
        delivery,
        expect: HandshakeExpect::AcceptIfSupported,
    }
}

/// One text message, echoed, then the `FF 00` close.
fn echo_steps() -> (Vec<Step>, Vec<Event>) {
    (
        vec![raw(hixie_text(HELLO)), Step::KillAfter(2000)],
        vec![Event::text(HELLO)],
    )
}

/// Rows of (id, description, expectation, request) whose handshake the server accepts,
/// then it echoes one text message and closes.
fn echo_cases(sub: (&str, &str), rows: Vec<(&str, &str, &str, Request)>) -> Vec<Case> {
    rows.into_iter()
        .map(|(id, description, expectation, request)| {
            let (steps, events) = echo_steps();
            accepted(
                id,
                sub,
                description,
                expectation,
                "draft-hixie-76 §5.2",
                opening(request, Delivery::Whole),
                steps,
                events,
            )
        })
        .collect()
}

/// A case whose handshake the server accepts, then these steps.
#[allow(clippy::too_many_arguments)]
fn accepted(
    id: &str,
    sub: (&str, &str),
    description: &str,
    expectation: &str,
    spec: &'static str,
    opening: Opening,
    steps: Vec<Step>,
    events: Vec<Event>,
) -> Case {
    CaseBuilder::new(id, description, expectation)
        .sub(sub.0, sub.1)
        .spec(spec)
        .opening(opening)
        .steps(steps)
        .expect(Expected::ok(events))
        .build()
}

/// 16.1: the challenge for the drafts' examples and for generated keys.
fn challenge() -> Vec<Case> {
    const SUB: (&str, &str) = ("16.1", "Challenge response");
    let rows: Vec<(&str, &str, &str, Request)> = vec![
        (
            "16.1.1",
            "The draft's first worked example: key1 \"4 @1  46546xW%0l 1 5\", key2 \
             \"12998 5 Y3 1  .P00\", key3 \"^n:ds[4U\", headers in the draft's shuffled order.",
            "The server answers 101 with the body 8jKS'y:G*Co,Wxa- (the MD5 of 829309203, \
             259970620 and key3), then echoes one text frame and completes the FF 00 close.",
            {
                let mut r = Request::new(
                    "GET {path} HTTP/1.1",
                    &[
                        ("Host", "{host}"),
                        ("Connection", "Upgrade"),
                        ("Sec-WebSocket-Key2", EX1.1),
                        ("Upgrade", "WebSocket"),
                        ("Sec-WebSocket-Key1", EX1.0),
                        ("Origin", "{origin}"),
                    ],
                );
                r.key3 = Some(Key3::Fixed(EX1.2));
                r
            },
        ),
        (
            "16.1.2",
            "The draft's second worked example: keys with 12 and 10 spaces, key3 \"Tm[K T2u\".",
            "The server answers 101 with the body fQJ,fN/4F4!~K~MH, then echoes one text \
             frame and completes the FF 00 close.",
            keyed(EX2),
        ),
        (
            "16.1.3",
            "Freshly generated key1, key2 and key3, sent as one write.",
            "The server answers 101 with the MD5 challenge of the keys, then echoes one text \
             frame and completes the FF 00 close.",
            Request::standard(Dialect::Hixie76),
        ),
        (
            "16.1.4",
            "A key with a single space (\"55 997\") and a key3 containing NUL octets.",
            "Key3 is eight arbitrary octets: the server answers 101 with the challenge \
             c4 15 c2 c8 … 33 ce, then echoes one text frame.",
            keyed(VTI),
        ),
        (
            "16.1.5",
            "Keys with runs of spaces and a key3 of octets above 0x7F.",
            "The server reads key3 as raw octets, not text: it answers 101 with the challenge \
             b4 9c 6e 40 … 1d f9, then echoes one text frame.",
            keyed(FAYE),
        ),
    ];
    echo_cases(SUB, rows)
}

/// 16.2: when and how key3 arrives.
fn key3_timing() -> Vec<Case> {
    const SUB: (&str, &str) = ("16.2", "Key3 delivery");
    let std = || Request::standard(Dialect::Hixie76);
    let sockjs = {
        let mut r = keyed(EX1);
        r.key3 = Some(Key3::Fixed(*b"aaaaaaaa"));
        r
    };
    let (steps, events) = echo_steps();
    let mut out = vec![
        accepted(
            "16.2.1",
            SUB,
            "The head in one write, key3 in a second write 500 ms later.",
            "The server waits for the eight octets (or answers the head early), completes \
             the handshake with the right challenge and echoes one text frame.",
            "draft-hixie-76 §5.1",
            opening(
                std(),
                Delivery::Split {
                    at: SplitAt::AfterHead,
                    pause_ms: 500,
                },
            ),
            steps.clone(),
            events.clone(),
        ),
        accepted(
            "16.2.2",
            SUB,
            "The head alone; key3 is sent only once the response head arrived or 2 s passed, \
             as HAProxy in HTTP mode forwards it (keys of the draft's example, key3 \
             \"aaaaaaaa\").",
            "The server sends the 101 head before key3 arrives, then the 16-octet challenge \
             once it has key3, and echoes one text frame. A server that waits for key3 before \
             answering deadlocks behind such proxies: NON-STRICT.",
            "draft-hixie-76 §5.2",
            opening(sockjs, Delivery::Key3Later { wait_ms: 2000 }),
            steps.clone(),
            events.clone(),
        ),
        accepted(
            "16.2.3",
            SUB,
            "The whole request including key3 written one octet per write.",
            "The server reassembles head and key3, answers 101 with the right challenge and \
             echoes one text frame.",
            "draft-hixie-76 §5.1",
            opening(std(), Delivery::Bytewise),
            steps.clone(),
            events.clone(),
        ),
        accepted(
            "16.2.4",
            SUB,
            "The head in two writes 300 ms apart, split right after the request line.",
            "The server reassembles the head, answers 101 with the right challenge and \
             echoes one text frame.",
            "draft-hixie-76 §5.1",
            opening(
                std(),
                Delivery::Split {
                    at: SplitAt::AfterRequestLine,
                    pause_ms: 300,
                },
            ),
            steps,
            events,
        ),
    ];
    out.push(accepted(
        "16.2.5",
        SUB,
        "Key3 and the first text frame in the same write as the head.",
        "The octets after key3 are frames: the server answers 101 with the right challenge \
         and echoes the pipelined message.",
        "draft-hixie-76 §5.3",
        opening(std(), Delivery::PipelinedRaw(hixie_text(HELLO))),
        vec![Step::KillAfter(2000)],
        vec![Event::text(HELLO)],
    ));
    out
}

/// 16.3: keys the server must reject.
fn bad_keys() -> Vec<Case> {
    const SUB: (&str, &str) = ("16.3", "Invalid keys");
    let rows = [
        (
            "16.3.1",
            "Key1 without any space (\"4@146546xW%0l15\").",
            "4@146546xW%0l15",
            EX1.1,
        ),
        (
            "16.3.2",
            "Key2 without any space (\"12998_5Y31.P00\").",
            EX1.0,
            "12998_5Y31.P00",
        ),
        (
            "16.3.3",
            "Key1 whose number (4146546016) is not a multiple of its 5 spaces.",
            "4 @1  46546xW%0l 1 6",
            EX1.1,
        ),
        (
            "16.3.4",
            "Key2 whose number (1299853101) is not a multiple of its 5 spaces.",
            EX1.0,
            "12998 5 Y3 1  .P01",
        ),
    ];
    rows.into_iter()
        .map(|(id, description, key1, key2)| {
            CaseBuilder::new(
                id,
                description,
                "The draft tells the server to abort: it answers 400 (or closes the \
                 connection without a response); a 101 with any challenge is FAILED.",
            )
            .sub(SUB.0, SUB.1)
            .spec("draft-hixie-76 §5.2")
            .opening(Opening {
                dialect: Dialect::Hixie76,
                request: Some(keyed((key1, key2, EX1.2))),
                delivery: Delivery::Whole,
                expect: HandshakeExpect::Refuse {
                    statuses: vec![400, 426],
                },
            })
            .steps(vec![])
            .expect(Expected::ok(vec![]))
            .build()
        })
        .collect()
}

/// 16.4: the origin and location the server reports.
fn origin_location() -> Vec<Case> {
    const SUB: (&str, &str) = ("16.4", "Sec-WebSocket-Origin and Sec-WebSocket-Location");
    let mut query = Request::standard(Dialect::Hixie76);
    query.request_line = "GET {path}?wsspec=1&q=a%20b HTTP/1.1".into();
    let rows = vec![
        (
            "16.4.1",
            "A request-target with a query string (?wsspec=1&q=a%20b).",
            "Sec-WebSocket-Location repeats the resource with its query unchanged \
             (ws://host:port/path?wsspec=1&q=a%20b); the server then echoes one text frame.",
            query,
        ),
        (
            "16.4.2",
            "Origin: null, as sent from file:// pages.",
            "Sec-WebSocket-Origin echoes null verbatim; the server then echoes one text \
             frame. Refusing the origin is recorded as UNIMPLEMENTED.",
            Request::standard(Dialect::Hixie76).set("Origin", "null"),
        ),
        (
            "16.4.3",
            "Origin: https://host:port over a plain TCP connection.",
            "The scheme of the location follows the connection, not the origin: \
             Sec-WebSocket-Location starts with ws://, Sec-WebSocket-Origin echoes the https \
             origin, and one text frame is echoed.",
            Request::standard(Dialect::Hixie76).set("Origin", "https://{host}"),
        ),
    ];
    echo_cases(SUB, rows)
}

/// 16.5: sentinel and length-prefixed frames.
fn framing() -> Vec<Case> {
    const SUB: (&str, &str) = ("16.5", "Framing");
    let std = || opening(Request::standard(Dialect::Hixie76), Delivery::Whole);
    let echoed = "The server echoes the text unchanged in a 00 … FF frame and completes the \
         FF 00 close.";
    let mut out = Vec::new();
    let sizes: [(&str, &str, Vec<u8>, u64); 5] = [
        ("16.5.1", "An empty text frame (00 FF).", Vec::new(), 2000),
        (
            "16.5.2",
            "A text frame with multi-byte UTF-8 (κόσμε).",
            KOSME.to_vec(),
            2000,
        ),
        (
            "16.5.3",
            "A text frame of 125 bytes.",
            fill(b'*', 125),
            2000,
        ),
        (
            "16.5.4",
            "A text frame of 65536 bytes.",
            fill(b'*', 65_536),
            5000,
        ),
        (
            "16.5.5",
            "A text frame of 1 MiB.",
            fill(b'*', 1 << 20),
            20_000,
        ),
    ];
    for (id, description, text, kill) in sizes {
        out.push(accepted(
            id,
            SUB,
            description,
            echoed,
            "draft-hixie-76 §5.3",
            std(),
            vec![raw(hixie_text(&text)), Step::KillAfter(kill)],
            vec![Event::text(&text)],
        ));
    }
    let texts: Vec<String> = (0..10).map(|i| format!("message {i}")).collect();
    out.push(accepted(
        "16.5.6",
        SUB,
        "Ten text frames in a single TCP write.",
        "The server separates the frames and echoes all ten messages in order.",
        "draft-hixie-76 §5.3",
        std(),
        vec![
            raw(texts.iter().flat_map(hixie_text).collect()),
            Step::KillAfter(2000),
        ],
        texts.iter().map(Event::text).collect(),
    ));
    out.push(accepted(
        "16.5.7",
        SUB,
        "One text frame split across two writes 200 ms apart (00 \"Hello, \" | \"world!\" FF).",
        "The server waits for the closing FF and echoes the whole text once.",
        "draft-hixie-76 §5.3",
        std(),
        vec![
            raw([&[0x00][..], b"Hello, "].concat()),
            Step::Wait { ms: 200, tag: None },
            raw([&b"world!"[..], &[0xff]].concat()),
            Step::KillAfter(2000),
        ],
        vec![Event::text(HELLO)],
    ));
    out.push(accepted(
        "16.5.8",
        SUB,
        "One text frame written one octet per write.",
        "The server reassembles the frame and echoes the text once.",
        "draft-hixie-76 §5.3",
        std(),
        vec![
            Step::SendRaw {
                bytes: hixie_text(HELLO),
                chop: Chop::Every(1),
            },
            Step::KillAfter(2000),
        ],
        vec![Event::text(HELLO)],
    ));
    out.push(accepted(
        "16.5.9",
        SUB,
        "A length-prefixed frame (type 0x80, length 5, \"Hello\") followed by a text frame, in \
         one write.",
        "Frames with the high bit set are read by their length and discarded: the server \
         echoes only the text frame that follows.",
        "draft-hixie-76 §5.3",
        std(),
        vec![
            raw([hixie_length_frame(0x80, b"Hello"), hixie_text("after")].concat()),
            Step::KillAfter(2000),
        ],
        vec![Event::text("after")],
    ));
    out.push(accepted(
        "16.5.10",
        SUB,
        "A length-prefixed frame of 200 bytes (two length octets 81 48) followed by a text \
         frame.",
        "The server decodes the 7-bit-group length, skips the 200 bytes (which contain 00 \
         and FF octets) and echoes only the text frame that follows.",
        "draft-hixie-76 §5.3",
        std(),
        vec![
            raw([
                hixie_length_frame(0x80, &[0x00, 0xff].repeat(100)),
                hixie_text("after"),
            ]
            .concat()),
            Step::KillAfter(2000),
        ],
        vec![Event::text("after")],
    ));
    out
}

/// 16.6: the FF 00 closing handshake.
fn closing() -> Vec<Case> {
    const SUB: (&str, &str) = ("16.6", "Closing handshake");
    let std = || opening(Request::standard(Dialect::Hixie76), Delivery::Whole);
    vec![
        accepted(
            "16.6.1",
            SUB,
            "The harness sends the closing frame FF 00 right after the handshake.",
            "The server answers with FF 00 and closes the TCP connection.",
            "draft-hixie-76 §5.3",
            std(),
            vec![
                Step::Close(ClosePayload::Raw(vec![])),
                Step::KillAfter(2000),
            ],
            vec![],
        ),
        accepted(
            "16.6.2",
            SUB,
            "FF 00, then a text frame the harness should no longer send.",
            "The server answers FF 00 and ignores the late frame: nothing is echoed and the \
             connection closes cleanly.",
            "draft-hixie-76 §5.3",
            std(),
            vec![
                Step::Close(ClosePayload::Raw(vec![])),
                raw(hixie_text("too late")),
                Step::KillAfter(2000),
            ],
            vec![],
        ),
    ]
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let mut out = challenge();
    out.extend(key3_timing());
    out.extend(bad_keys());
    out.extend(origin_location());
    out.extend(framing());
    out.extend(closing());
    out
}
