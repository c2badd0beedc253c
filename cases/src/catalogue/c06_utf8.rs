//! Category 6, UTF-8 Handling: valid and invalid text payloads, whole, fragmented and chopped,
//! including the fail-fast cases and Markus Kuhn's UTF-8 decoder stress test.

use super::common::{frame, octet_fragments, send, unhex, KOSME};
use super::CaseBuilder;
use crate::model::{opcode, Case, Event, Expected, ExpectedClose, FrameSpec, Step, Verdict};

/// "Hello-µ@ßöäüàá-UTF-8!!": Latin-1 letters as two-byte sequences.
const HELLO_UTF8: &str = "Hello-\u{b5}@\u{df}\u{f6}\u{e4}\u{fc}\u{e0}\u{e1}-UTF-8!!";

/// ED A0 80: the surrogate U+D800 encoded as if it were a code point.
const SURROGATE: [u8; 3] = [0xed, 0xa0, 0x80];

/// The peer must fail with 1007; a close by us instead fails the behaviour.
fn invalid_close() -> ExpectedClose {
    ExpectedClose::peer_fails(&[1007]).wrong_endpoint_fatal()
}

/// "κόσμε" + U+D800 + "edited": valid except for the surrogate.
fn kosme_surrogate_edited() -> Vec<u8> {
    [&KOSME[..], &SURROGATE, b"edited"].concat()
}

/// The three parts of the fail-fast message of 6.4.1/6.4.3 and 6.4.2/6.4.4. The second part
/// makes the payload invalid (F4 90 80 80 would be U+110000).
fn fail_fast_parts(split_inside: bool) -> [Vec<u8>; 3] {
    if split_inside {
        [
            [&KOSME[..], &[0xf4]].concat(),
            vec![0x90],
            unhex("8080656469746564"),
        ]
    } else {
        [KOSME.to_vec(), unhex("f4908080"), b"edited".to_vec()]
    }
}

/// One text frame (FIN = 0) written in pieces, as a streaming sender would: the header
/// first, then each part, with a tagged pause between parts.
fn streamed(parts: &[Vec<u8>; 3]) -> Vec<Step> {
    let len: usize = parts.iter().map(Vec::len).sum();
    let mut steps = vec![Step::SendFrameHeader {
        opcode: opcode::TEXT,
        fin: false,
        len: len as u64,
    }];
    for (i, part) in parts.iter().enumerate() {
        steps.push(Step::SendPayloadPart(part.clone()));
        if i < 2 {
            steps.push(Step::Wait {
                ms: 1000,
                tag: Some(["A", "B"][i]),
            });
        }
    }
    steps
}

/// The fail-fast cases: the peer should reject the message at the first invalid byte.
fn fail_fast(id: &str, description: &str, split_inside: bool, chopped: bool) -> Case {
    let parts = fail_fast_parts(split_inside);
    let mut steps = if chopped {
        let mut s = streamed(&parts);
        s.push(send(FrameSpec::continuation("")));
        s
    } else {
        vec![
            send(frame(opcode::TEXT, &parts[0]).fin(false)),
            Step::Wait {
                ms: 1000,
                tag: Some("A"),
            },
            send(frame(opcode::CONTINUATION, &parts[1]).fin(false)),
            Step::Wait {
                ms: 1000,
                tag: Some("B"),
            },
            send(frame(opcode::CONTINUATION, &parts[2])),
        ]
    };
    steps.push(Step::KillAfter(1000));
    CaseBuilder::new(
        id,
        description,
        "The peer accepts the first part, waits, and fails with 1007 as soon as the invalid \
         second part arrives (before pause B ends). Failing only after pause B is non-strict.",
    )
    .sub("6.4", "Fail-fast on invalid UTF-8")
    .spec("RFC 6455 §8.1")
    .steps(steps)
    .expect(Expected::ok(vec![Event::Timeout("A")]).or(
        Verdict::NonStrict,
        vec![Event::Timeout("A"), Event::Timeout("B")],
    ))
    .close(invalid_close())
    .build()
}

/// A valid text message in the given frames; the peer must echo it whole.
fn valid(id: &str, sub: (&str, &str), description: &str, frames: Vec<Step>, text: &[u8]) -> Case {
    let mut steps = frames;
    steps.push(Step::CloseAfter(1000));
    CaseBuilder::new(
        id,
        description,
        "The peer echoes the reassembled text message unchanged.",
    )
    .sub(sub.0, sub.1)
    .spec("RFC 6455 §8.1")
    .steps(steps)
    .expect(Expected::ok(vec![Event::text(text)]))
    .build()
}

/// 6.1–6.4: hand-written cases around fragmentation.
fn fragmented() -> Vec<Case> {
    const EMPTY: (&str, &str) = ("6.1", "Valid UTF-8 in empty fragments");
    const SPLIT: (&str, &str) = ("6.2", "Valid UTF-8, whole and split inside code points");
    let hello = HELLO_UTF8.as_bytes();
    let mut out =
        vec![
        valid("6.1.1", EMPTY, "An empty text message.", vec![send(FrameSpec::text(""))], b""),
        valid(
            "6.1.2",
            EMPTY,
            "A text message of three empty fragments.",
            vec![
                send(FrameSpec::text("").fin(false)),
                send(FrameSpec::continuation("").fin(false)),
                send(FrameSpec::continuation("")),
            ],
            b"",
        ),
        valid(
            "6.1.3",
            EMPTY,
            "A text message of three fragments; only the middle one has a payload.",
            vec![
                send(FrameSpec::text("").fin(false)),
                send(FrameSpec::continuation("middle frame payload").fin(false)),
                send(FrameSpec::continuation("")),
            ],
            b"middle frame payload",
        ),
        valid(
            "6.2.1",
            SPLIT,
            "A valid UTF-8 text message with two-byte code points, in one frame.",
            vec![send(FrameSpec::text(hello))],
            hello,
        ),
        valid(
            "6.2.2",
            SPLIT,
            "The same message in two fragments split between code points.",
            vec![
                send(FrameSpec::text(&hello[..15]).fin(false)),
                send(FrameSpec::continuation(&hello[15..])),
            ],
            hello,
        ),
        valid(
            "6.2.3",
            SPLIT,
            "The same message in one-octet fragments, so most multi-byte code points are split.",
            octet_fragments(hello),
            hello,
        ),
        valid(
            "6.2.4",
            SPLIT,
            "\"κόσμε\" in one-octet fragments, splitting every multi-byte code point.",
            octet_fragments(&KOSME),
            &KOSME,
        ),
    ];
    let bad = kosme_surrogate_edited();
    for (id, description, mut steps) in [
        (
            "6.3.1",
            "An invalid UTF-8 text message (a surrogate in the middle) in one frame.",
            vec![send(frame(opcode::TEXT, &bad))],
        ),
        (
            "6.3.2",
            "The same invalid message in one-octet fragments.",
            octet_fragments(&bad),
        ),
    ] {
        steps.push(Step::KillAfter(1000));
        out.push(
            CaseBuilder::new(
                id,
                description,
                "The peer fails the connection with 1007 and echoes nothing.",
            )
            .sub("6.3", "Invalid UTF-8, whole and split")
            .spec("RFC 6455 §8.1")
            .steps(steps)
            .expect(Expected::ok(vec![]))
            .close(invalid_close())
            .build(),
        );
    }
    out.extend([
        fail_fast(
            "6.4.1",
            "An invalid text message in three fragments with a pause after each of the first \
             two: valid \"κόσμε\", then F4 90 80 80 (beyond U+10FFFF), then \"edited\".",
            false,
            false,
        ),
        fail_fast(
            "6.4.2",
            "As 6.4.1, but the first fragment already ends with the F4 lead byte and the second \
             is the single byte 0x90 that makes the sequence invalid.",
            true,
            false,
        ),
        fail_fast(
            "6.4.3",
            "As 6.4.1, but the three parts are TCP writes inside one frame rather than three \
             frames (an empty final fragment ends the message).",
            false,
            true,
        ),
        fail_fast(
            "6.4.4",
            "As 6.4.2, but the three parts are TCP writes inside one frame rather than three \
             frames (an empty final fragment ends the message).",
            true,
            true,
        ),
    ]);
    out
}

/// Markus Kuhn's UTF-8 decoder test as Autobahn groups it: (subcategory, title, payloads in
/// hex separated by spaces). Each payload is one case, numbered in order.
const TABLE: &[(u32, &str, &str)] = &[
    (
        5,
        "Assorted valid sequences",
        "68656c6c6f24776f726c64 68656c6c6fc2a2776f726c64 68656c6c6fe282ac776f726c64 \
         68656c6c6ff0a4ada2776f726c64 cebae1bdb9cf83cebcceb5",
    ),
    (
        6,
        "Every prefix of a string of multi-byte code points",
        "ce ceba cebae1 cebae1bd cebae1bdb9 cebae1bdb9cf cebae1bdb9cf83 cebae1bdb9cf83ce \
         cebae1bdb9cf83cebc cebae1bdb9cf83cebcce cebae1bdb9cf83cebcceb5",
    ),
    (
        7,
        "Lowest code point of each sequence length",
        "00 c280 e0a080 f0908080",
    ),
    (
        8,
        "Lowest 5- and 6-byte sequences (beyond Unicode)",
        "f888808080 fc8480808080",
    ),
    (
        9,
        "Highest code point of each sequence length",
        "7f dfbf efbfbf f48fbfbf",
    ),
    (
        10,
        "Highest 4-, 5- and 6-byte sequences (beyond Unicode)",
        "f7bfbfbf fbbfbfbfbf fdbfbfbfbfbf",
    ),
    (
        11,
        "Other code point boundaries",
        "ed9fbf ee8080 efbfbd f48fbfbf f4908080",
    ),
    (
        12,
        "Stray continuation bytes",
        "80 bf 80bf 80bf80 80bf80bf 80bf80bf80 80bf80bf80bf \
         808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbe",
    ),
    (
        13,
        "Lead bytes each followed by a space",
        "c020c120c220c320c420c520c620c720c820c920ca20cb20cc20cd20ce20cf20d020d120d220d320d420d520d620d720d820d920da20db20dc20dd20de20 \
         e020e120e220e320e420e520e620e720e820e920ea20eb20ec20ed20ee20 \
         f020f120f220f320f420f520f620 f820f920fa20 fc20",
    ),
    (
        14,
        "Sequences missing their last continuation byte",
        "c0 e080 f08080 f8808080 fc80808080 df efbf f7bfbf fbbfbfbf fdbfbfbfbf",
    ),
    (
        15,
        "Truncated sequences back to back",
        "c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf",
    ),
    (
        16,
        "Bytes that never occur in UTF-8",
        "fe ff fefeffff",
    ),
    (
        17,
        "Overlong encodings of '/'",
        "c0af e080af f08080af f8808080af fc80808080af",
    ),
    (
        18,
        "Longest overlong encodings",
        "c1bf e09fbf f08fbfbf f887bfbfbf fc83bfbfbfbf",
    ),
    (
        19,
        "Overlong encodings of NUL",
        "c080 e08080 f0808080 f880808080 fc8080808080",
    ),
    (
        20,
        "Lone UTF-16 surrogates",
        "eda080 edadbf edae80 edafbf edb080 edbe80 edbfbf",
    ),
    (
        21,
        "Paired UTF-16 surrogates",
        "eda080edb080 eda080edbfbf edadbfedb080 edadbfedbfbf edae80edb080 edae80edbfbf \
         edafbfedb080 edafbfedbfbf",
    ),
    (
        22,
        "Noncharacters (valid UTF-8)",
        "efbfbe efbfbf f09fbfbe f09fbfbf f0afbfbe f0afbfbf f0bfbfbe f0bfbfbf f18fbfbe \
         f18fbfbf f19fbfbe f19fbfbf f1afbfbe f1afbfbf f1bfbfbe f1bfbfbf f28fbfbe f28fbfbf \
         f29fbfbe f29fbfbf f2afbfbe f2afbfbf f2bfbfbe f2bfbfbf f38fbfbe f38fbfbf f39fbfbe \
         f39fbfbf f3afbfbe f3afbfbf f3bfbfbe f3bfbfbf f48fbfbe f48fbfbf",
    ),
    (
        23,
        "Specials and the replacement character (valid UTF-8)",
        "efbfb9 efbfba efbfbb efbfbc efbfbd efbfbe efbfbf",
    ),
];

/// 6.5–6.23: one single-frame text message per table row; validity decides the expectation.
fn kuhn() -> Vec<Case> {
    let mut out = Vec::new();
    for &(sub, title, rows) in TABLE {
        let sub_id = format!("6.{sub}");
        for (i, hex) in rows.split_whitespace().enumerate() {
            let payload = unhex(hex);
            let builder = if std::str::from_utf8(&payload).is_ok() {
                CaseBuilder::new(
                    &format!("{sub_id}.{}", i + 1),
                    &format!("A text message whose payload 0x{hex} is valid UTF-8."),
                    "The peer echoes the message unchanged.",
                )
                .expect(Expected::ok(vec![Event::text(&payload)]))
            } else {
                CaseBuilder::new(
                    &format!("{sub_id}.{}", i + 1),
                    &format!("A text message whose payload 0x{hex} is not valid UTF-8."),
                    "The peer fails the connection with 1007 and echoes nothing.",
                )
                .expect(Expected::ok(vec![]))
                .close(invalid_close())
            };
            out.push(
                builder
                    .sub(&sub_id, title)
                    .spec("RFC 6455 §8.1")
                    .steps(vec![
                        send(frame(opcode::TEXT, &payload)),
                        Step::KillAfter(500),
                    ])
                    .build(),
            );
        }
    }
    out
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let mut out = fragmented();
    out.extend(kuhn());
    out
}
