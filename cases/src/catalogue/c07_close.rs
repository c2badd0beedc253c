//! Category 7, Close Handling: frames around our close, close payload structure, and the
//! valid, invalid and unassigned close codes.

use super::common::{fill, send, unhex};
use super::CaseBuilder;
use crate::model::{
    opcode, Case, ClosePayload, Event, Expected, ExpectedClose, FrameSpec, Payload, Step, Verdict,
    VerdictRule,
};

/// Codes the peer must accept and echo (7.7).
const VALID_CODES: [u16; 13] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
];

/// Codes that must never appear on the wire (7.9): reserved, local-only or unassigned ranges.
const INVALID_CODES: [u16; 9] = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];

/// "κόσμε" + U+D800 + "edited": an invalid UTF-8 close reason.
const BAD_REASON: &str = "cebae1bdb9cf83cebcceb5eda080656469746564";

fn close(code: u16) -> Step {
    Step::Close(ClosePayload::code(code))
}

fn close_with(code: u16, reason: impl AsRef<[u8]>) -> Step {
    Step::Close(ClosePayload::Code {
        code,
        reason: reason.as_ref().to_vec(),
    })
}

/// A case of our own close, then a kill timer.
fn ours(
    id: &str,
    sub: (&str, &str),
    description: &str,
    expectation: &str,
    mut steps: Vec<Step>,
) -> CaseBuilder {
    steps.push(Step::KillAfter(1000));
    CaseBuilder::new(id, description, expectation)
        .sub(sub.0, sub.1)
        .steps(steps)
        .expect(Expected::ok(vec![]))
        // Autobahn's 7.1.x fail the behaviour on a wrong close code (websockets 17.4
        // answers 7.1.5 with 1002: FAILED / WRONG CODE in the reference report).
        .rule(VerdictRule::WrongCodeFailsBehavior)
}

/// 7.1: what the peer does with frames sent around our close.
fn basic() -> Vec<Case> {
    const SUB: (&str, &str) = ("7.1", "Basic close behaviour (harness closes)");
    let after_close = "The peer answers our close with 1000 and ignores whatever follows it.";
    vec![
        CaseBuilder::new(
            "7.1.1",
            "A text message; once it is echoed the harness closes.",
            "The peer echoes the message and answers the close with 1000.",
        )
        .sub(SUB.0, SUB.1)
        .spec("RFC 6455 §5.5.1")
        .steps(vec![
            send(FrameSpec::text("Hello World!")),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![Event::text("Hello World!")]))
        .rule(VerdictRule::WrongCodeFailsBehavior)
        .build(),
        ours(
            "7.1.2",
            SUB,
            "Our close (1000), then a second, empty close frame.",
            after_close,
            vec![
                close(1000),
                send(FrameSpec::new(opcode::CLOSE, Payload::empty())),
            ],
        )
        .spec("RFC 6455 §5.5.1")
        .build(),
        ours(
            "7.1.3",
            SUB,
            "Our close (1000), then a ping.",
            after_close,
            vec![close(1000), send(FrameSpec::ping(""))],
        )
        .spec("RFC 6455 §5.5.1")
        .build(),
        ours(
            "7.1.4",
            SUB,
            "Our close (1000), then a text message.",
            after_close,
            vec![close(1000), send(FrameSpec::text("Hello World!"))],
        )
        .spec("RFC 6455 §5.5.1")
        .build(),
        ours(
            "7.1.5",
            SUB,
            "The first fragment of a text message, our close (1000), then the last fragment.",
            "The peer answers our close with 1000; the unfinished message is never delivered.",
            vec![
                send(FrameSpec::text("fragment1").fin(false)),
                close(1000),
                send(FrameSpec::continuation("fragment2")),
            ],
        )
        .spec("RFC 6455 §5.5.1")
        .build(),
        CaseBuilder::new(
            "7.1.6",
            "A 256 KiB text message, a short text message, our close (1000), then a ping.",
            "Open to the peer: it may echo the messages before answering the close, or answer \
             the close first. Recorded as informational.",
        )
        .sub(SUB.0, SUB.1)
        .spec("RFC 6455 §5.5.1")
        .steps(vec![
            send(FrameSpec::new(
                opcode::TEXT,
                Payload::repeat("BAsd7&jh23", 262_144),
            )),
            send(FrameSpec::text("Hello World!")),
            close(1000),
            send(FrameSpec::ping("")),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![Event::text("Hello World!")]).or(Verdict::NonStrict, vec![]))
        .rule(VerdictRule::Informational)
        .build(),
    ]
}

/// 7.3 and 7.5: the length and content of our close payload.
fn structure() -> Vec<Case> {
    const LEN: (&str, &str) = ("7.3", "Close payload length (harness closes)");
    let clean = "The peer answers with 1000 and closes cleanly.";
    let protocol = "The peer fails the connection with 1002.";
    let bad = ExpectedClose::me_then(&[1002], false);
    let out = vec![
        ours("7.3.1", LEN, "Our close frame with an empty payload (no code, no reason).",
            "The peer answers with a close and closes cleanly.",
            vec![Step::Close(ClosePayload::Raw(Vec::new()))])
        .spec("RFC 6455 §5.5.1")
        .close(ExpectedClose::me_then(&[1000], true)),
        ours("7.3.2", LEN, "Our close frame with a 1-byte payload, too short for a status code.",
            protocol, vec![Step::Close(ClosePayload::Raw(b"a".to_vec()))])
        .spec("RFC 6455 §5.5.1")
        .close(bad.clone()),
        ours("7.3.3", LEN, "Our close frame with only the status code 1000.", clean, vec![close(1000)])
            .spec("RFC 6455 §5.5.1"),
        ours("7.3.4", LEN, "Our close frame with code 1000 and a short reason.", clean,
            vec![close_with(1000, "Hello World!")])
        .spec("RFC 6455 §5.5.1"),
        ours("7.3.5", LEN, "Our close frame with code 1000 and a 123-byte reason (125-byte payload, the maximum).",
            clean, vec![close_with(1000, fill(b'*', 123))])
        .spec("RFC 6455 §5.5"),
        ours("7.3.6", LEN, "Our close frame with code 1000 and a 124-byte reason (126-byte payload, one over the limit).",
            protocol, vec![close_with(1000, fill(b'*', 124))])
        .spec("RFC 6455 §5.5")
        .close(bad),
        ours("7.5.1", ("7.5", "Close payload content (harness closes)"),
            "Our close frame with code 1000 and a reason that is not valid UTF-8.",
            "The peer fails the connection with 1002 or 1007.",
            vec![close_with(1000, unhex(BAD_REASON))])
        .spec("RFC 6455 §5.5.1")
        .close(ExpectedClose::me_then(&[1002, 1007], false)),
    ];
    out.into_iter()
        .map(|b| b.rule(VerdictRule::WrongCodeFailsBehavior).build())
        .collect()
}

/// 7.7, 7.9 and 7.13: one close per status code.
fn codes() -> Vec<Case> {
    let mut out = Vec::new();
    for (i, &code) in VALID_CODES.iter().enumerate() {
        out.push(
            ours(
                &format!("7.7.{}", i + 1),
                ("7.7", "Valid close codes (harness closes)"),
                &format!("Our close frame with the valid status code {code}."),
                &format!("The peer answers with {code} (or 1000) and closes cleanly."),
                vec![close(code)],
            )
            .spec("RFC 6455 §7.4.1")
            .close(ExpectedClose::me_then(&[1000, code], true))
            .rule(VerdictRule::WrongCodeFailsBehavior)
            .build(),
        );
    }
    for (i, &code) in INVALID_CODES.iter().enumerate() {
        out.push(
            ours(
                &format!("7.9.{}", i + 1),
                ("7.9", "Invalid close codes (harness closes)"),
                &format!(
                    "Our close frame with status code {code}, which must not be sent on the wire."
                ),
                "The peer fails the connection with 1002.",
                vec![close(code)],
            )
            .spec("RFC 6455 §7.4.2")
            .close(ExpectedClose::me_then(&[1002], false))
            .rule(VerdictRule::WrongCodeFailsBehavior)
            .build(),
        );
    }
    for (i, code) in [5000u16, 65535].into_iter().enumerate() {
        out.push(
            ours(
                &format!("7.13.{}", i + 1),
                ("7.13", "Close codes outside the registry (informational)"),
                &format!(
                    "Our close frame with status code {code}, beyond the 4999 top of the registry."
                ),
                "Open to the peer: echoing the code, answering 1000 or failing with 1002 are all \
                 recorded as informational.",
                vec![close(code)],
            )
            .spec("RFC 6455 §7.4.2")
            .close(ExpectedClose::me_then(&[1000, code, 1002], false))
            .rule(VerdictRule::Informational)
            .build(),
        );
    }
    out
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let mut out = basic();
    out.extend(structure());
    out.extend(codes());
    out
}
