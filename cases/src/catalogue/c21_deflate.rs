//! Category 21, permessage-deflate (RFC 7692) beyond Autobahn's categories 12 and 13: every
//! negotiation parameter alone and combined, offers a server must decline, hand-built
//! compressed frames (the RFC's own examples, RSV1 where it must not be, corrupt data),
//! long-lived contexts, big messages and a decompression bomb, and, in server mode, answers a
//! client must refuse.
//!
//! Hand-built compressed payloads are sent as raw frames with RSV1 set. Each one decodes
//! without looking back into earlier messages, so it is valid whatever context and window
//! parameters were agreed. They were checked with zlib (`decompressobj(-15)` after appending
//! `00 00 ff ff`, as RFC 7692 §7.2.2 says a receiver does).

use super::common::{deflate_opening, frame, must_refuse, protocol_error, send, unhex, KOSME};
use super::CaseBuilder;
use crate::compression::{Compression, Corpus, DeflateAccept, Negotiation};
use crate::model::{
    opcode, Case, Event, Expected, ExpectedClose, FrameSpec, Payload, ServerAnswer, Step,
    VerdictRule,
};

const MIB: usize = 1 << 20;

/// The offer of the frame cases: Chrome's, accepted by nearly every server.
const OFFER: &str = "permessage-deflate; client_max_window_bits";

/// The short text the negotiation cases send twice, so that with context takeover the second
/// copy is mostly a reference back into the first.
const TWICE: &str = "wsspec permessage-deflate: the same text, sent twice";

/// "Hello" compressed from a fresh context (RFC 7692 §7.2.3.1).
const HELLO_DEFLATED: &str = "f248cdc9c90700";

/// Declining the extension leaves nothing to test.
const DECLINE_IS_UNIMPLEMENTED: &str = "Declining the extension is UNIMPLEMENTED.";

/// Needed, answered in server mode by accepting the client's first offer as it stands.
fn required() -> Compression {
    Compression::required(&[DeflateAccept::default()])
}

/// Deterministic text with (almost) no repeats: 64 symbols from a xorshift generator.
fn noise(len: usize, seed: u32) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    let mut x = seed.wrapping_mul(0x9e37_79b9) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            ALPHABET[(x >> 26) as usize]
        })
        .collect()
}

/// Length of each half of the window probe for `bits`: 64 octets more than the window.
fn probe_half(bits: u8) -> usize {
    (1 << bits) + 64
}

/// Two identical halves of noise, farther apart than a `2^bits`-byte window reaches: a
/// compressor held to that window cannot copy the second half from the first.
pub(crate) fn window_probe(bits: u8) -> Vec<u8> {
    noise(probe_half(bits), u32::from(bits)).repeat(2)
}

/// Send a message compressed by wsspec with the agreed context.
fn compressed(op: u8, payload: Payload, fragment_size: usize) -> Step {
    Step::SendCompressed {
        opcode: op,
        payload,
        fragment_size,
    }
}

/// A raw frame with RSV1 set and these (already compressed) payload octets.
fn deflated(op: u8, hex: &str) -> FrameSpec {
    frame(op, unhex(hex)).rsv(4)
}

/// The negotiation cases' messages: the short text twice, then the window probe when a
/// window below 15 bits is at stake.
fn echo_program(window: Option<u8>) -> (Vec<Step>, Vec<Event>) {
    let mut steps = vec![
        compressed(opcode::TEXT, Payload::bytes(TWICE), 0),
        compressed(opcode::TEXT, Payload::bytes(TWICE), 0),
    ];
    let mut events = vec![Event::text(TWICE), Event::text(TWICE)];
    if let Some(bits) = window.filter(|b| *b < 15) {
        let probe = window_probe(bits);
        steps.push(compressed(opcode::TEXT, Payload::bytes(&probe), 0));
        events.push(Event::text(probe));
    }
    steps.push(Step::KillAfter(2000));
    (steps, events)
}

/// The description's account of the messages `echo_program` sends.
fn echo_note(window: Option<u8>) -> String {
    match window.filter(|b| *b < 15) {
        Some(bits) => format!(
            " wsspec then sends a short text twice, compressed, and a text of two identical \
             {}-character halves, farther apart than a {}-byte window reaches.",
            probe_half(bits),
            1u32 << bits
        ),
        None => " wsspec then sends a short text twice, compressed.".to_string(),
    }
}

/// A case that offers `offer`, needs the extension agreed, and expects the echoes.
fn negotiated(
    id: &str,
    offer: &str,
    about: &str,
    expectation: &str,
    spec: &'static str,
    accepts: &[DeflateAccept],
    window: Option<u8>,
) -> Case {
    let (steps, events) = echo_program(window);
    CaseBuilder::new(
        id,
        &format!("The offer \"{offer}\"{about}.{}", echo_note(window)),
        &format!("{expectation} {DECLINE_IS_UNIMPLEMENTED}"),
    )
    .sub("21.1", "Negotiated parameters")
    .spec(spec)
    .opening(deflate_opening(offer))
    .compression(Compression::required(accepts))
    .steps(steps)
    .expect(Expected::ok(events))
    .build()
}

/// 21.1: each parameter alone and combined, with messages that show it is honoured.
fn negotiation() -> Vec<Case> {
    let plain = [DeflateAccept::default()];
    let reset = [DeflateAccept {
        client_no_context_takeover: true,
        client_max_window_bits: None,
    }];
    let mut out = vec![
        negotiated(
            "21.1.1",
            "permessage-deflate",
            ", without parameters: both sides keep their compression context from message \
             to message",
            "The server accepts with no parameter the offer does not allow and echoes both \
             messages.",
            "RFC 7692 §7.1.1",
            &plain,
            None,
        ),
        negotiated(
            "21.1.2",
            "permessage-deflate; server_no_context_takeover",
            ": the server is to compress every message from an empty context",
            "The server accepts and repeats server_no_context_takeover in its answer (leaving \
             it out fails the handshake), then echoes both messages.",
            "RFC 7692 §7.1.1.1",
            &plain,
            None,
        ),
        negotiated(
            "21.1.3",
            "permessage-deflate; client_no_context_takeover",
            ": the client can reset its context for every message if asked. In server mode \
             wsspec's answer asks the client for client_no_context_takeover",
            "The server accepts, with or without client_no_context_takeover in its answer, and \
             echoes both messages. In server mode the client must then compress every message \
             from an empty context: an echo that refers back into an earlier message fails.",
            "RFC 7692 §7.1.1.2",
            &reset,
            None,
        ),
        negotiated(
            "21.1.4",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            ": no context takeover in either direction. In server mode wsspec's answer asks \
             the client for client_no_context_takeover",
            "The server accepts with server_no_context_takeover in its answer and echoes both \
             messages, each compressed from an empty context. In server mode the client must \
             do the same.",
            "RFC 7692 §7.1.1",
            &reset,
            None,
        ),
    ];
    for bits in 8u8..=15 {
        let id = format!("21.1.{}", bits - 3);
        let offer = format!("permessage-deflate; server_max_window_bits={bits}");
        let mut expectation = if bits < 15 {
            format!(
                "The server answers server_max_window_bits={bits} or smaller and never refers \
                 back more than {} bytes (wsspec inflates with the agreed window, so a copy \
                 of the first half fails). All messages come back.",
                1u32 << bits
            )
        } else {
            "The server answers server_max_window_bits=15 or smaller (the largest window is \
             the default, so any server can) and echoes both messages."
                .to_string()
        };
        if bits == 8 {
            expectation.push_str(
                " Many zlib builds cannot compress with a 256-byte window, so declining is \
                 common here.",
            );
        }
        out.push(negotiated(
            &id,
            &offer,
            &format!(": the server's window is limited to {} bytes", 1u32 << bits),
            &expectation,
            "RFC 7692 §7.1.2.1",
            &plain,
            Some(bits),
        ));
    }
    out.extend([
        negotiated(
            "21.1.13",
            "permessage-deflate; client_max_window_bits",
            ", client_max_window_bits without a value: the client can limit its window if \
             asked. In server mode wsspec's answer asks the client for \
             client_max_window_bits=9",
            "The server accepts, with client_max_window_bits=8..15 in its answer or without \
             it, and echoes all messages. In server mode the client must compress with at \
             most a 512-byte window: copying the second half from the first fails (wsspec \
             declines an offer without client_max_window_bits, making the case UNIMPLEMENTED \
             for that client).",
            "RFC 7692 §7.1.2.2",
            &[DeflateAccept {
                client_no_context_takeover: false,
                client_max_window_bits: Some(9),
            }],
            Some(9),
        ),
        negotiated(
            "21.1.14",
            "permessage-deflate; client_max_window_bits=9",
            ": client_max_window_bits with a value, a hint that the client's window is at \
             most 512 bytes",
            "The server accepts, answering client_max_window_bits=9 or smaller or leaving it \
             out (wsspec compresses with at most a 512-byte window either way), and echoes \
             both messages.",
            "RFC 7692 §7.1.2.2",
            &plain,
            None,
        ),
        negotiated(
            "21.1.15",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=10",
            ": all four parameters at once. In server mode wsspec's answer asks the client for \
             client_no_context_takeover and client_max_window_bits=10",
            "The server accepts with server_no_context_takeover and server_max_window_bits=10 \
             or smaller in its answer, compresses every message from an empty context with at \
             most a 1024-byte window, and echoes all messages. In server mode the client must \
             do the same.",
            "RFC 7692 §7.1",
            &[DeflateAccept {
                client_no_context_takeover: true,
                client_max_window_bits: Some(10),
            }],
            Some(10),
        ),
        negotiated(
            "21.1.16",
            "permessage-deflate; server_max_window_bits=\"10\"",
            ": the window size as a quoted string, which RFC 6455 §9.1 allows when the \
             unquoted content is a token",
            "This is server_max_window_bits=10: the server answers server_max_window_bits=10 \
             or smaller and never refers back more than 1024 bytes. A server that rejects \
             quoted values may decline; one that ignores the parameter and uses a bigger \
             window fails.",
            "RFC 7692 §7.1.2.1, RFC 6455 §9.1",
            &plain,
            Some(10),
        ),
    ]);
    out
}

/// 21.2: offers a server must decline (RFC 7692 §7), and lists whose first offer is invalid.
fn invalid_offers() -> Vec<Case> {
    const SUB: (&str, &str) = ("21.2", "Offers a server must decline or pass over");
    let decline: [(&str, &str, &str, &'static str); 9] = [
        (
            "21.2.1",
            "permessage-deflate; server_max_window_bits=7",
            "a window size below the range 8 to 15",
            "RFC 7692 §7.1.2.1",
        ),
        (
            "21.2.2",
            "permessage-deflate; server_max_window_bits=16",
            "a window size above the range 8 to 15",
            "RFC 7692 §7.1.2.1",
        ),
        (
            "21.2.3",
            "permessage-deflate; server_max_window_bits=abc",
            "a window size that is not a number",
            "RFC 7692 §7.1.2.1",
        ),
        (
            "21.2.4",
            "permessage-deflate; server_max_window_bits",
            "server_max_window_bits without the value it must have",
            "RFC 7692 §7.1.2.1",
        ),
        (
            "21.2.5",
            "permessage-deflate; server_max_window_bits=010",
            "a window size with a leading zero, which the syntax excludes",
            "RFC 7692 §7.1.2.1",
        ),
        (
            "21.2.6",
            "permessage-deflate; client_max_window_bits=0",
            "a client window size of 0",
            "RFC 7692 §7.1.2.2",
        ),
        (
            "21.2.7",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "the same parameter twice",
            "RFC 7692 §7",
        ),
        (
            "21.2.8",
            "permessage-deflate; x_foo",
            "a parameter permessage-deflate does not define",
            "RFC 7692 §7",
        ),
        (
            "21.2.9",
            "permessage-deflate; client_no_context_takeover=1",
            "a value on a parameter that takes none",
            "RFC 7692 §7.1.1.2",
        ),
    ];
    let mut out: Vec<Case> = decline
        .into_iter()
        .map(|(id, offer, wrong, spec)| {
            CaseBuilder::new(
                id,
                &format!(
                    "The only offer is \"{offer}\": {wrong}. Then an uncompressed text message."
                ),
                "The server must decline the offer: it answers 101 without permessage-deflate \
                 and echoes the message. Accepting the offer fails the case; refusing the \
                 whole handshake is NON-STRICT.",
            )
            .sub(SUB.0, SUB.1)
            .spec(spec)
            .opening(deflate_opening(offer))
            .compression(Compression {
                negotiation: Negotiation::MustDecline,
                server_accepts: Vec::new(),
            })
            .steps(vec![send(FrameSpec::text(TWICE)), Step::KillAfter(1000)])
            .expect(Expected::ok(vec![Event::text(TWICE)]))
            .build()
        })
        .collect();
    let (steps, events) = echo_program(None);
    for (id, offer, wrong) in [
        (
            "21.2.10",
            "permessage-deflate; server_max_window_bits=7, permessage-deflate",
            "an out-of-range window size",
        ),
        (
            "21.2.11",
            "permessage-deflate; x_foo, permessage-deflate; client_no_context_takeover",
            "an unknown parameter",
        ),
    ] {
        out.push(
            CaseBuilder::new(
                id,
                &format!(
                    "Two offers in order of preference, \"{offer}\"; the first has {wrong}.{}",
                    echo_note(None)
                ),
                &format!(
                    "The server passes over the invalid first offer, accepts the second and \
                     echoes both messages. Accepting the first offer fails. \
                     {DECLINE_IS_UNIMPLEMENTED}"
                ),
            )
            .sub(SUB.0, SUB.1)
            .spec("RFC 7692 §5, §7")
            .opening(deflate_opening(offer))
            .compression(required())
            .steps(steps.clone())
            .expect(Expected::ok(events.clone()))
            .build(),
        );
    }
    out.push(
        CaseBuilder::new(
            "21.2.12",
            &format!(
                "The offer \"x-webkit-deflate-frame, permessage-deflate\": the pre-RFC \
                 per-frame compression old Chrome and Safari offered, then \
                 permessage-deflate.{} They go out uncompressed if nothing is agreed.",
                echo_note(None)
            ),
            "The server accepts permessage-deflate or no extension and echoes both messages. \
             wsspec offers x-webkit-deflate-frame only as a decoy and does not speak it.",
        )
        .sub(SUB.0, SUB.1)
        .spec("RFC 7692 §5")
        .opening(deflate_opening(
            "x-webkit-deflate-frame, permessage-deflate",
        ))
        .compression(Compression {
            negotiation: Negotiation::Optional,
            server_accepts: vec![DeflateAccept::default()],
        })
        .steps(steps)
        .expect(Expected::ok(events))
        .build(),
    );
    out
}

/// A frame case: the frame offer, the extension needed.
fn frames_case(id: &str, description: &str, expectation: &str, spec: &'static str) -> CaseBuilder {
    CaseBuilder::new(id, description, expectation)
        .sub("21.3", "Compressed frames")
        .spec(spec)
        .opening(deflate_opening(OFFER))
        .compression(required())
}

/// A compressed message the peer must inflate and echo.
fn inflates(
    id: &str,
    description: &str,
    spec: &'static str,
    frames: Vec<FrameSpec>,
    events: Vec<Event>,
) -> Case {
    let mut steps: Vec<Step> = frames.into_iter().map(send).collect();
    steps.push(Step::KillAfter(1000));
    let expectation = match events[..] {
        [Event::Pong(_), _] => {
            "The peer answers the ping at once, uncompressed, then inflates the message and \
             echoes it (compressed or not)."
        }
        [_] => "The peer inflates the message and echoes it (compressed or not).",
        _ => "The peer inflates every message and echoes them in order (compressed or not).",
    };
    frames_case(id, description, expectation, spec)
        .steps(steps)
        .expect(Expected::ok(events))
        .build()
}

/// A frame the peer must fail the connection on, echoing nothing.
fn rejects(
    id: &str,
    description: &str,
    expectation: &str,
    spec: &'static str,
    frames: Vec<FrameSpec>,
    close: ExpectedClose,
) -> Case {
    let mut steps: Vec<Step> = frames.into_iter().map(send).collect();
    steps.push(Step::KillAfter(1000));
    frames_case(id, description, expectation, spec)
        .steps(steps)
        .expect(Expected::ok(vec![]))
        .close(close)
        .build()
}

/// 21.3: hand-built compressed messages, valid and invalid.
fn frames() -> Vec<Case> {
    let hello = || vec![Event::text("Hello")];
    let kosme: Vec<u8> = KOSME.repeat(4);
    let mut out = vec![
        inflates(
            "21.3.1",
            "\"Hello\" compressed in one text frame with RSV1: f2 48 cd c9 c9 07 00.",
            "RFC 7692 §7.2.3.1",
            vec![deflated(opcode::TEXT, HELLO_DEFLATED)],
            hello(),
        ),
        inflates(
            "21.3.2",
            "The same compressed \"Hello\" in two fragments, RSV1 on the first only: \
             f2 48 cd, then c9 c9 07 00.",
            "RFC 7692 §6, §7.2.3.1",
            vec![
                deflated(opcode::TEXT, "f248cd").fin(false),
                frame(opcode::CONTINUATION, unhex("c9c90700")),
            ],
            hello(),
        ),
        inflates(
            "21.3.3",
            "The two fragments of 21.3.2 with an uncompressed ping between them.",
            "RFC 7692 §6",
            vec![
                deflated(opcode::TEXT, "f248cd").fin(false),
                FrameSpec::ping("ping"),
                frame(opcode::CONTINUATION, unhex("c9c90700")),
            ],
            vec![Event::pong("ping"), Event::text("Hello")],
        ),
        inflates(
            "21.3.4",
            "\"Hello\" as a DEFLATE block with no compression (a stored block): \
             00 05 00 fa ff 48 65 6c 6c 6f 00.",
            "RFC 7692 §7.2.3.3",
            vec![deflated(opcode::TEXT, "000500faff48656c6c6f00")],
            hello(),
        ),
        inflates(
            "21.3.5",
            "\"Hello\" in a DEFLATE block with BFINAL set, then the empty block: \
             f3 48 cd c9 c9 07 00 00.",
            "RFC 7692 §7.2.3.4",
            vec![deflated(opcode::TEXT, "f348cdc9c9070000")],
            hello(),
        ),
        // RFC 7692 allows ending a message with a final block but never says what window
        // the next message inflates with then; zlib-based peers lose the stream. Shown, not
        // judged, as Autobahn does with 7.13.
        frames_case(
            "21.3.6",
            "The BFINAL message of 21.3.5, then \"Hello\" compressed the usual way: does the \
             peer go on inflating after a final block?",
            "The peer inflates both messages and echoes \"Hello\" twice. RFC 7692 leaves open \
             how a stream continues after a final block, so the result is INFORMATIONAL.",
            "RFC 7692 §7.2.3.4, §7.2.2",
        )
        .steps(vec![
            send(deflated(opcode::TEXT, "f348cdc9c9070000")),
            send(deflated(opcode::TEXT, HELLO_DEFLATED)),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![
            Event::text("Hello"),
            Event::text("Hello"),
        ]))
        .rule(VerdictRule::Informational)
        .build(),
        inflates(
            "21.3.7",
            "\"Hello\" in two DEFLATE blocks, \"He\" flushed, then \"llo\": \
             f2 48 05 00 00 00 ff ff ca c9 c9 07 00.",
            "RFC 7692 §7.2.3.5",
            vec![deflated(opcode::TEXT, "f24805000000ffffcac9c90700")],
            hello(),
        ),
        inflates(
            "21.3.8",
            "An empty text message, compressed: the single octet 00.",
            "RFC 7692 §7.2.3.6",
            vec![deflated(opcode::TEXT, "00")],
            vec![Event::text("")],
        ),
        inflates(
            "21.3.9",
            "\"Hello\" whose DEFLATE data ends with an extra empty stored block: \
             f2 48 cd c9 c9 07 00 00 00 ff ff 00.",
            "RFC 7692 §7.2.3.6",
            vec![deflated(opcode::TEXT, "f248cdc9c907000000ffff00")],
            hello(),
        ),
        inflates(
            "21.3.10",
            "As 21.3.9 in two fragments, the way a streaming sender ends a message: all the \
             data flushed in the first (f2 48 cd c9 c9 07 00 00 00 ff ff), the final fragment \
             the single octet 00.",
            "RFC 7692 §7.2.3.6",
            vec![
                deflated(opcode::TEXT, "f248cdc9c907000000ffff").fin(false),
                frame(opcode::CONTINUATION, [0x00]),
            ],
            hello(),
        ),
        inflates(
            "21.3.11",
            "A compressed message whose first fragment (with RSV1) is empty; the continuation \
             carries all of f2 48 cd c9 c9 07 00.",
            "RFC 7692 §6",
            vec![
                deflated(opcode::TEXT, "").fin(false),
                frame(opcode::CONTINUATION, unhex(HELLO_DEFLATED)),
            ],
            hello(),
        ),
        inflates(
            "21.3.12",
            "A compressed \"Hello\", an uncompressed text message (RSV1 clear), and the \
             compressed \"Hello\" again.",
            "RFC 7692 §6",
            vec![
                deflated(opcode::TEXT, HELLO_DEFLATED),
                FrameSpec::text("not compressed"),
                deflated(opcode::TEXT, HELLO_DEFLATED),
            ],
            vec![
                Event::text("Hello"),
                Event::text("not compressed"),
                Event::text("Hello"),
            ],
        ),
        inflates(
            "21.3.13",
            "A binary message: the octets of \"Hello\" compressed, RSV1 set.",
            "RFC 7692 §6",
            vec![deflated(opcode::BINARY, HELLO_DEFLATED)],
            vec![Event::binary("Hello")],
        ),
    ];
    out.push(
        frames_case(
            "21.3.14",
            "A text of four \"κόσμε\" compressed by wsspec and sent in fragments of one \
             compressed octet each.",
            "The peer inflates the fragments as they come, validates the UTF-8 of the whole, \
             and echoes the text.",
            "RFC 7692 §6",
        )
        .steps(vec![
            compressed(opcode::TEXT, Payload::bytes(&kosme), 1),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![Event::text(kosme)]))
        .build(),
    );
    out.extend([
        rejects(
            "21.3.15",
            "The two fragments of 21.3.2, but the continuation frame has RSV1 set too.",
            "RSV1 marks only the first frame of a compressed message: the peer fails the \
             connection with 1002 and echoes nothing.",
            "RFC 7692 §6",
            vec![
                deflated(opcode::TEXT, "f248cd").fin(false),
                deflated(opcode::CONTINUATION, "c9c90700"),
            ],
            protocol_error(),
        ),
        rejects(
            "21.3.16",
            "A ping with RSV1 set and the payload \"Hello\".",
            "Control frames are never compressed: the peer fails the connection with 1002 and \
             sends no pong.",
            "RFC 7692 §6",
            vec![frame(opcode::PING, "Hello").rsv(4)],
            protocol_error(),
        ),
        rejects(
            "21.3.17",
            "An unsolicited pong with RSV1 set and the payload \"Hello\".",
            "Control frames are never compressed: the peer fails the connection with 1002.",
            "RFC 7692 §6",
            vec![frame(opcode::PONG, "Hello").rsv(4)],
            protocol_error(),
        ),
    ]);
    out.push(
        CaseBuilder::new(
            "21.3.18",
            "No permessage-deflate offer (in server mode wsspec declines any), then a \
             compressed \"Hello\" with RSV1 set.",
            "RSV1 means nothing without the extension agreed: the peer fails the connection \
             with 1002 and echoes nothing.",
        )
        .sub("21.3", "Compressed frames")
        .spec("RFC 7692 §6, RFC 6455 §5.2")
        .compression(Compression::default())
        .steps(vec![
            send(deflated(opcode::TEXT, HELLO_DEFLATED)),
            Step::KillAfter(1000),
        ])
        .expect(Expected::ok(vec![]))
        .close(protocol_error())
        .build(),
    );
    out.extend([
        rejects(
            "21.3.19",
            "A compressed text message whose data is not DEFLATE: ff ff ff ff, a first block \
             of the reserved type 3.",
            "The peer fails the connection and echoes nothing. RFC 7692 names no close code \
             for data that does not inflate: 1002 (protocol error) and 1007 (data that does \
             not fit the message, what ws and Autobahn itself send) are both accepted.",
            "RFC 7692 §7.2.2, RFC 6455 §7.4.1",
            vec![deflated(opcode::TEXT, "ffffffff")],
            ExpectedClose::peer_fails(&[1002, 1007]),
        ),
        rejects(
            "21.3.20",
            "A compressed text message that inflates to invalid UTF-8: \"Hello\", C0 AF (an \
             overlong \"/\"), \"world\".",
            "The peer validates the inflated text and fails the connection with 1007, echoing \
             nothing.",
            "RFC 7692 §7.2.2, RFC 6455 §8.1",
            vec![deflated(opcode::TEXT, "f248cdc9c93fb0be3cbf28270500")],
            ExpectedClose::peer_fails(&[1007]).wrong_endpoint_fatal(),
        ),
    ]);
    out
}

/// A timed case of 21.4.
fn timed(
    id: &str,
    description: &str,
    expectation: &str,
    spec: &'static str,
    offer: &str,
    compression: Compression,
    steps: Vec<Step>,
) -> CaseBuilder {
    CaseBuilder::new(id, description, expectation)
        .sub("21.4", "Sizes and contexts")
        .spec(spec)
        .opening(deflate_opening(offer))
        .compression(compression)
        .steps(steps)
        .expect(Expected::none())
        .report_time()
}

fn echoes(corpus: Corpus, len: usize, count: u32, secs: u64) -> Step {
    Step::CompressedEchoes {
        corpus,
        len,
        count,
        fragment_size: 0,
        within_ms: secs * 1000,
    }
}

/// 21.4: long-lived contexts, small windows, big messages and a decompression bomb.
fn sizes() -> Vec<Case> {
    let reset = DeflateAccept {
        client_no_context_takeover: true,
        client_max_window_bits: None,
    };
    let big = 16 * MIB;
    let bomb = 256 * MIB;
    vec![
        timed(
            "21.4.1",
            "The bare offer \"permessage-deflate\" (context takeover both ways), then 500 \
             compressed round trips of 1024 characters of the JSON file, each echo awaited \
             before the next message.",
            "The peer echoes all 500 messages within 60 s, keeping its inflate and deflate \
             contexts in step with wsspec's across the whole connection. Declining is \
             UNIMPLEMENTED.",
            "RFC 7692 §7.2.2",
            "permessage-deflate",
            required(),
            vec![echoes(Corpus::Json, 1024, 500, 60)],
        )
        .build(),
        timed(
            "21.4.2",
            "The offer \"permessage-deflate; server_no_context_takeover; \
             client_no_context_takeover\", then 500 compressed round trips of 1024 characters \
             of the HTML file. In server mode wsspec's answer asks the client for \
             client_no_context_takeover.",
            "The peer echoes all 500 messages within 60 s, each compressed from an empty \
             context. Declining is UNIMPLEMENTED.",
            "RFC 7692 §7.1.1",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            Compression::required(&[reset]),
            vec![echoes(Corpus::Html, 1024, 500, 60)],
        )
        .build(),
        timed(
            "21.4.3",
            "The offer \"permessage-deflate; server_max_window_bits=8; \
             client_max_window_bits=8\" (256-byte windows both ways), then 200 compressed \
             round trips of 2048 octets of the Faust text.",
            "The peer echoes all 200 messages within 60 s, never referring back more than 256 \
             bytes. Many zlib builds cannot compress with a 256-byte window, so declining is \
             common (UNIMPLEMENTED).",
            "RFC 7692 §7.1.2",
            "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8",
            required(),
            vec![echoes(Corpus::Faust, 2048, 200, 60)],
        )
        .build(),
        timed(
            "21.4.4",
            "One 16 MiB binary message, compressed in a single frame.",
            "The peer inflates it and echoes 16 MiB within 30 s, or refuses it with 1009 \
             (message too big; RFC 6455 §10.4 lets it limit sizes). Declining the extension \
             is UNIMPLEMENTED.",
            "RFC 7692 §7.2.1",
            OFFER,
            required(),
            vec![
                compressed(
                    opcode::BINARY,
                    Payload::repeat([0x00, 0xfe, 0x23, 0xfa, 0xf0, 0x17, 0x42], big),
                    0,
                ),
                Step::AwaitEchoOrRefusal {
                    opcode: opcode::BINARY,
                    len: big,
                    within_ms: 30_000,
                },
            ],
        )
        .rule(VerdictRule::EitherEndpointCloses)
        .close(ExpectedClose::me_then(&[1000, 1009], true))
        .build(),
        timed(
            "21.4.5",
            "One 1 MiB text message (a 4096-character block of noise, repeated), compressed \
             and sent in fragments of 64 compressed octets.",
            "The peer reassembles and inflates it and echoes 1 MiB of text within 30 s, or \
             refuses the message with 1009 (a limit on size or on fragments per message; RFC \
             6455 §10.4). Declining the extension is UNIMPLEMENTED.",
            "RFC 7692 §6",
            OFFER,
            required(),
            vec![
                compressed(opcode::TEXT, Payload::repeat(noise(4096, 21), MIB), 64),
                Step::AwaitEchoOrRefusal {
                    opcode: opcode::TEXT,
                    len: MIB,
                    within_ms: 30_000,
                },
            ],
        )
        .rule(VerdictRule::EitherEndpointCloses)
        .close(ExpectedClose::me_then(&[1000, 1009], true))
        .build(),
        timed(
            "21.4.6",
            "A decompression bomb: 256 MiB of zero octets as one binary message, about \
             2.5 MiB once compressed (a 100-fold inflation).",
            "The peer either echoes all 256 MiB within 30 s or refuses the message by closing \
             with 1009 (message too big), as RFC 6455 §10.4 lets it limit message sizes. Both \
             are OK; hanging, dropping TCP or another code is not. Declining the extension is \
             UNIMPLEMENTED.",
            "RFC 6455 §10.4, RFC 7692 §7.2.2",
            OFFER,
            required(),
            vec![
                compressed(opcode::BINARY, Payload::repeat([0x00], bomb), 0),
                Step::AwaitEchoOrRefusal {
                    opcode: opcode::BINARY,
                    len: bomb,
                    within_ms: 30_000,
                },
            ],
        )
        .rule(VerdictRule::EitherEndpointCloses)
        .close(ExpectedClose::me_then(&[1000, 1009], true))
        .build(),
    ]
}

/// 21.5 (server mode only): permessage-deflate answers a client must refuse, as category 20.
fn bad_answers() -> Vec<Case> {
    let answers: [(&'static str, &str, &'static str); 11] = [
        (
            "permessage-deflate; client_max_window_bits=10",
            "client_max_window_bits=10 although the client's offer did not name \
             client_max_window_bits (for a client whose offer names it, the answer is valid \
             and the case does not apply)",
            "RFC 7692 §7.1.2.2",
        ),
        (
            "permessage-deflate; client_max_window_bits=16",
            "a client window size above the range 8 to 15",
            "RFC 7692 §7.1.2.2",
        ),
        (
            "permessage-deflate; client_max_window_bits=7",
            "a client window size below the range 8 to 15",
            "RFC 7692 §7.1.2.2",
        ),
        (
            "permessage-deflate; server_max_window_bits=7",
            "a server window size below the range 8 to 15",
            "RFC 7692 §7.1.2.1",
        ),
        (
            "permessage-deflate; server_max_window_bits=16",
            "a server window size above the range 8 to 15",
            "RFC 7692 §7.1.2.1",
        ),
        (
            "permessage-deflate; server_max_window_bits",
            "server_max_window_bits without a value",
            "RFC 7692 §7.1.2.1",
        ),
        (
            "permessage-deflate; x_foo",
            "a parameter permessage-deflate does not define",
            "RFC 7692 §7",
        ),
        (
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "the same parameter twice",
            "RFC 7692 §7",
        ),
        (
            "permessage-deflate; server_no_context_takeover=1",
            "a value on a parameter that takes none",
            "RFC 7692 §7.1.1.1",
        ),
        (
            "permessage-deflate, permessage-deflate",
            "permessage-deflate accepted twice, both claiming RSV1",
            "RFC 7692 §5",
        ),
        (
            "permessage-deflate, x-webkit-deflate-frame",
            "permessage-deflate together with x-webkit-deflate-frame, which also claims RSV1",
            "RFC 7692 §5",
        ),
    ];
    answers
        .into_iter()
        .enumerate()
        .map(|(i, (answer, wrong, spec))| {
            must_refuse(
                &format!("21.5.{}", i + 1),
                &format!(
                    "wsspec answers the client's opening request with Sec-WebSocket-Extensions: \
                     {answer}, that is {wrong}, then sends a text message."
                ),
                ServerAnswer::BadDeflateAnswer(answer),
            )
            .sub("21.5", "Answers a client must refuse")
            .spec(spec)
            .compression(Compression::default())
            .build()
        })
        .collect()
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let mut out = negotiation();
    out.extend(invalid_offers());
    out.extend(frames());
    out.extend(sizes());
    out.extend(bad_answers());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;
    use std::collections::{BTreeMap, HashSet};

    fn ours() -> Vec<&'static Case> {
        catalogue()
            .iter()
            .filter(|c| c.category.number == 21)
            .collect()
    }

    /// Just enough of RFC 1951 for the hand-built payloads: stored and fixed-Huffman blocks.
    struct Bits<'a> {
        data: &'a [u8],
        at: usize,
    }

    impl Bits<'_> {
        fn bit(&mut self) -> Result<u32, &'static str> {
            let byte = self.data.get(self.at / 8).ok_or("out of data")?;
            let b = (byte >> (self.at % 8)) & 1;
            self.at += 1;
            Ok(u32::from(b))
        }

        /// `n` bits, least significant first (header fields, extra bits).
        fn bits(&mut self, n: u32) -> Result<u32, &'static str> {
            (0..n).try_fold(0, |v, i| Ok(v | (self.bit()? << i)))
        }

        /// `n` bits, most significant first (Huffman codes).
        fn code(&mut self, n: u32) -> Result<u32, &'static str> {
            (0..n).try_fold(0, |v, _| Ok((v << 1) | self.bit()?))
        }

        fn exhausted(&self) -> bool {
            self.at.div_ceil(8) >= self.data.len()
        }
    }

    fn fixed_symbol(r: &mut Bits) -> Result<u32, &'static str> {
        let c = r.code(7)?;
        if c <= 0b001_0111 {
            return Ok(256 + c);
        }
        let c = (c << 1) | r.bit()?;
        match c {
            0b0011_0000..=0b1011_1111 => Ok(c - 0b0011_0000),
            0b1100_0000..=0b1100_0111 => Ok(280 + c - 0b1100_0000),
            _ => Ok(144 + ((c << 1) | r.bit()?) - 0b1_1001_0000),
        }
    }

    /// Inflate a message payload as RFC 7692 §7.2.2 says: append 00 00 ff ff, inflate.
    fn inflate(payload: &[u8]) -> Result<Vec<u8>, &'static str> {
        const LEN_BASE: [u32; 29] = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
            115, 131, 163, 195, 227, 258,
        ];
        const DIST_BASE: [u32; 30] = [
            1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
            1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
        ];
        let data = [payload, &[0x00, 0x00, 0xff, 0xff]].concat();
        let mut r = Bits { data: &data, at: 0 };
        let mut out = Vec::new();
        loop {
            let last = r.bit()? == 1;
            match r.bits(2)? {
                0 => {
                    r.at = r.at.div_ceil(8) * 8;
                    let len = r.bits(16)?;
                    if r.bits(16)? != !len & 0xffff {
                        return Err("invalid stored block lengths");
                    }
                    for _ in 0..len {
                        out.push(r.bits(8)? as u8);
                    }
                }
                1 => loop {
                    let sym = fixed_symbol(&mut r)?;
                    match sym {
                        0..=255 => out.push(sym as u8),
                        256 => break,
                        257..=285 => {
                            let i = (sym - 257) as usize;
                            let extra = if (8..28).contains(&i) {
                                i as u32 / 4 - 1
                            } else {
                                0
                            };
                            let len = LEN_BASE[i] + r.bits(extra)?;
                            let d = r.code(5)? as usize;
                            let dextra = if d >= 4 { d as u32 / 2 - 1 } else { 0 };
                            let dist = (*DIST_BASE.get(d).ok_or("bad distance")?
                                + r.bits(dextra)?) as usize;
                            if dist > out.len() {
                                return Err("distance too far back");
                            }
                            for _ in 0..len {
                                out.push(out[out.len() - dist]);
                            }
                        }
                        _ => return Err("bad symbol"),
                    }
                },
                2 => return Err("dynamic blocks are not needed here"),
                _ => return Err("invalid block type"),
            }
            if last || r.exhausted() {
                return Ok(out);
            }
        }
    }

    #[test]
    fn the_inflater_knows_the_rfc_examples() {
        assert_eq!(
            inflate(&unhex(HELLO_DEFLATED)).as_deref(),
            Ok(&b"Hello"[..])
        );
        // RFC 7692 §7.2.3.2: the second "Hello" refers back into the first.
        let mut two = unhex(HELLO_DEFLATED);
        two.extend([0x00, 0x00, 0xff, 0xff]);
        two.extend(unhex("f200110000"));
        assert_eq!(inflate(&two).as_deref(), Ok(&b"HelloHello"[..]));
        assert_eq!(inflate(&unhex("f200110000")), Err("distance too far back"));
        assert_eq!(
            inflate(&unhex("000500fbff48656c6c6f00")),
            Err("invalid stored block lengths")
        );
    }

    /// The messages the raw frames of a case carry: (binary, compressed, payload).
    fn raw_messages(c: &Case) -> Vec<(bool, bool, Vec<u8>)> {
        let mut out = Vec::new();
        let mut open: Option<(bool, bool, Vec<u8>)> = None;
        for step in &c.steps {
            let Step::Send(f) = step else { continue };
            if f.opcode >= 8 {
                continue;
            }
            let payload = f.payload.to_vec();
            let mut m = match (f.opcode, open.take()) {
                (opcode::CONTINUATION, Some(mut m)) => {
                    m.2.extend(payload);
                    m
                }
                (op, None) => (op == opcode::BINARY, f.rsv & 4 != 0, payload),
                _ => panic!("{}: fragments interleave", c.id),
            };
            if f.fin {
                out.push(std::mem::take(&mut m));
            } else {
                open = Some(m);
            }
        }
        assert!(open.is_none(), "{}: a message is left open", c.id);
        out
    }

    #[test]
    fn hand_built_payloads_inflate_to_the_expected_echoes() {
        let mut checked = 0;
        for c in ours() {
            let messages = raw_messages(c);
            if messages.iter().all(|m| !m.1) {
                continue;
            }
            let inflated: Vec<Result<Event, &str>> = messages
                .iter()
                .map(|(binary, compressed, payload)| {
                    let data = if *compressed {
                        inflate(payload)?
                    } else {
                        payload.clone()
                    };
                    Ok(if *binary {
                        Event::binary(data)
                    } else {
                        Event::text(data)
                    })
                })
                .collect();
            let echoes: Vec<Event> = c.expected.alternatives[0]
                .1
                .iter()
                .filter(|e| matches!(e, Event::Message { .. }))
                .cloned()
                .collect();
            if c.expected_close.closed_by_me {
                let got: Vec<Event> = inflated.into_iter().map(|m| m.expect("inflates")).collect();
                assert_eq!(got, echoes, "{}", c.id);
            } else if c.id == "21.3.19" {
                assert_eq!(inflated, [Err("invalid block type")], "{}", c.id);
            } else if c.expected_close.codes == [1007] {
                let Ok(Event::Message { payload, .. }) = &inflated[0] else {
                    panic!("{}: does not inflate", c.id);
                };
                assert!(std::str::from_utf8(payload).is_err(), "{}", c.id);
            } else {
                // RSV1 where it must not be: the data itself is fine, the bit is the fault.
                assert!(inflated.iter().all(Result::is_ok), "{}", c.id);
                assert_eq!(c.expected_close.codes, [1002], "{}", c.id);
            }
            checked += 1;
        }
        assert!(checked >= 15, "{checked}");
    }

    #[test]
    fn rsv1_appears_only_where_the_case_is_about_it() {
        for c in ours() {
            let negotiation = c.compression.as_ref().expect("compression").negotiation;
            let mut first_of_message = true;
            for step in &c.steps {
                let Step::Send(f) = step else { continue };
                let control = f.opcode >= 8;
                let misplaced = f.rsv & 4 != 0 && (control || !first_of_message);
                if f.rsv & 4 != 0 && negotiation != Negotiation::Required {
                    // Only the case about RSV1 without the extension: it offers nothing.
                    let r = c.opening.request();
                    assert!(
                        !r.headers
                            .iter()
                            .any(|(n, _)| n == "Sec-WebSocket-Extensions"),
                        "{}",
                        c.id
                    );
                    assert!(c.compression.as_ref().unwrap().server_accepts.is_empty());
                    assert_eq!(c.expected_close.codes, [1002], "{}", c.id);
                    assert!(!c.expected_close.closed_by_me, "{}", c.id);
                }
                if misplaced {
                    assert!(!c.expected_close.closed_by_me, "{}: must be refused", c.id);
                    assert_eq!(c.expected_close.codes, [1002], "{}", c.id);
                }
                if !control {
                    first_of_message = f.fin;
                }
            }
        }
    }

    #[test]
    fn every_case_sets_up_compression_and_cites_rfc_7692() {
        let cases = ours();
        assert!((50..=70).contains(&cases.len()), "{}", cases.len());
        let mut titles: BTreeMap<String, String> = BTreeMap::new();
        let mut last: Option<(String, u32)> = None;
        for c in &cases {
            assert!(c.compression.is_some(), "{}", c.id);
            assert!(c.spec.contains("RFC 7692"), "{}: {}", c.id, c.spec);
            assert!(c.spec.contains('§'), "{}", c.id);
            let sub = c.subcategory.as_ref().expect("subcategory");
            assert!(c.id.starts_with(&format!("{}.", sub.id)), "{}", c.id);
            let prev = titles.insert(sub.id.clone(), sub.title.clone());
            assert!(prev.is_none_or(|t| t == sub.title), "{}", c.id);
            // Numbered 1, 2, 3, … within each subcategory.
            let n: u32 = c.id.rsplit('.').next().unwrap().parse().unwrap();
            let want = match &last {
                Some((s, m)) if *s == sub.id => m + 1,
                _ => 1,
            };
            assert_eq!(n, want, "{}", c.id);
            last = Some((sub.id.clone(), n));
            assert_eq!(
                c.tests_clients_only(),
                sub.id == "21.5",
                "{}: wrong answers belong to 21.5",
                c.id
            );
        }
        assert_eq!(
            titles.keys().map(String::as_str).collect::<Vec<_>>(),
            ["21.1", "21.2", "21.3", "21.4", "21.5"]
        );
    }

    #[test]
    fn declined_offers_are_followed_by_plain_messages_only() {
        for c in ours() {
            let negotiation = c.compression.as_ref().expect("compression").negotiation;
            if negotiation != Negotiation::MustDecline {
                continue;
            }
            for step in &c.steps {
                match step {
                    Step::Send(f) => assert_eq!(f.rsv, 0, "{}", c.id),
                    Step::KillAfter(_) => {}
                    other => panic!("{}: {other:?} after a declined offer", c.id),
                }
            }
            assert!(!c.expected.alternatives[0].1.is_empty(), "{}", c.id);
        }
    }

    #[test]
    fn bad_answers_are_distinct_deflate_answers() {
        let mut seen = HashSet::new();
        for c in ours() {
            if let Some(answer) = c.server_answer {
                let ServerAnswer::BadDeflateAnswer(value) = answer else {
                    panic!("{}: not a deflate answer", c.id);
                };
                assert!(value.starts_with("permessage-deflate"), "{}", c.id);
                assert!(seen.insert(value), "{}: answer repeated", c.id);
                assert!(c.description.contains(value), "{}", c.id);
            }
        }
        assert!(seen.len() >= 8);
    }

    #[test]
    fn window_probes_cannot_be_shortened_inside_the_window() {
        for bits in 8..=14u8 {
            let probe = window_probe(bits);
            let half = probe.len() / 2;
            assert_eq!(half, (1 << bits) + 64);
            assert_eq!(probe[..half], probe[half..]);
            // No 8-octet run repeats inside a half: only the far copy can be referenced.
            let runs: HashSet<&[u8]> = probe[..half].windows(8).collect();
            assert_eq!(runs.len(), half - 7, "bits {bits}");
        }
        assert!(noise(64, 1).is_ascii());
    }

    #[test]
    fn the_bomb_may_be_echoed_or_refused() {
        let bomb = ours()
            .into_iter()
            .find(|c| c.id == "21.4.6")
            .expect("a bomb case");
        assert!(matches!(
            bomb.steps[..],
            [
                Step::SendCompressed { .. },
                Step::AwaitEchoOrRefusal {
                    opcode: opcode::BINARY,
                    len,
                    within_ms: 30_000,
                }
            ] if len == 256 * MIB
        ));
        assert_eq!(
            bomb.expected_close,
            ExpectedClose::me_then(&[1000, 1009], true)
        );
        assert!(bomb.report_time);
        // Every case that accepts a refusal accepts exactly a full echo or 1009.
        for c in ours()
            .iter()
            .filter(|c| c.rule == VerdictRule::EitherEndpointCloses)
        {
            assert!(matches!(
                c.steps.last(),
                Some(Step::AwaitEchoOrRefusal { .. })
            ));
            assert_eq!(c.expected_close.codes, [1000, 1009], "{}", c.id);
        }
    }
}
