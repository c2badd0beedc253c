//! Category 9, Limits/Performance: big messages, many fragments, small TCP writes and
//! round-trip latency. Judged by time: each case passes when the echo arrives in time.

use super::CaseBuilder;
use crate::model::{opcode, Case, FrameSpec, Payload, Step};

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

/// Unit of the text payloads of 9.1 and 9.5.
const TEXT_UNIT: &[u8] = b"BAsd7&jh23";
/// Unit of the binary payloads of 9.2 and 9.6.
const BINARY_UNIT: &[u8] = &[0x00, 0xfe, 0x23, 0xfa, 0xf0];

/// 9.1/9.2: (message size, seconds allowed for the echo) per case.
const SIZES_TEXT: [(usize, u64); 6] = [
    (64 * KIB, 10),
    (256 * KIB, 10),
    (MIB, 100),
    (4 * MIB, 100),
    (8 * MIB, 100),
    (16 * MIB, 100),
];
const SIZES_BINARY: [(usize, u64); 6] = [
    (64 * KIB, 10),
    (256 * KIB, 10),
    (MIB, 10),
    (4 * MIB, 10),
    (8 * MIB, 100),
    (16 * MIB, 100),
];
/// 9.3/9.4: fragment sizes of a 4 MiB message (the last one sends it unfragmented).
const FRAGMENTS: [usize; 9] = [
    64,
    256,
    KIB,
    4 * KIB,
    16 * KIB,
    64 * KIB,
    256 * KIB,
    MIB,
    4 * MIB,
];
/// 9.5/9.6: TCP write sizes for a 1 MiB message.
const CHOPS: [usize; 6] = [64, 128, 256, 512, 1024, 2048];
/// 9.7/9.8: (payload size, seconds allowed for all 1000 round trips).
const ROUND_TRIPS: [(usize, u64); 6] = [
    (0, 60),
    (16, 60),
    (64, 60),
    (256, 120),
    (1024, 240),
    (4096, 480),
];

fn kind(op: u8) -> &'static str {
    if op == opcode::BINARY {
        "binary"
    } else {
        "text"
    }
}

fn size(n: usize) -> String {
    match n {
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n >= KIB && n % KIB == 0 => format!("{} KiB", n / KIB),
        n => format!("{n} bytes"),
    }
}

fn perf(id: &str, title: &str, description: String, expectation: String, steps: Vec<Step>) -> Case {
    let sub = id.rsplit_once('.').map_or(id, |(s, _)| s);
    CaseBuilder::new(id, &description, &expectation)
        .sub(sub, title)
        .spec(if sub == "9.3" || sub == "9.4" {
            "RFC 6455 §5.4"
        } else {
            "RFC 6455 §5.2"
        })
        .steps(steps)
        .report_time()
        .build()
}

fn echo_within(op: u8, len: usize, secs: u64) -> (String, Step) {
    (
        format!("The peer echoes the {} message within {secs} s.", kind(op)),
        Step::AwaitEcho {
            opcode: op,
            len,
            within_ms: secs * 1000,
        },
    )
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let single = [
        (
            "9.1",
            "Text message size",
            opcode::TEXT,
            TEXT_UNIT,
            SIZES_TEXT,
        ),
        (
            "9.2",
            "Binary message size",
            opcode::BINARY,
            BINARY_UNIT,
            SIZES_BINARY,
        ),
    ];
    for (sub, title, op, unit, sizes) in single {
        for (i, &(len, secs)) in sizes.iter().enumerate() {
            let (expectation, wait) = echo_within(op, len, secs);
            let frame = FrameSpec::new(op, Payload::repeat(unit, len));
            let description = format!(
                "One {} message of {} in a single frame.",
                kind(op),
                size(len)
            );
            out.push(perf(
                &format!("{sub}.{}", i + 1),
                title,
                description,
                expectation,
                vec![Step::Send(frame), wait],
            ));
        }
    }
    let fragmented = [
        ("9.3", "Fragmented text message", opcode::TEXT, b'*'),
        ("9.4", "Fragmented binary message", opcode::BINARY, 0xfe),
    ];
    for (sub, title, op, byte) in fragmented {
        for (i, &frag) in FRAGMENTS.iter().enumerate() {
            let len = 4 * MIB;
            let (expectation, wait) = echo_within(op, len, 100);
            let description = format!(
                "One {} {} message sent in fragments of {}.",
                size(len),
                kind(op),
                size(frag)
            );
            let send = Step::SendMessage {
                opcode: op,
                payload: Payload::repeat([byte], len),
                fragment_size: frag,
            };
            out.push(perf(
                &format!("{sub}.{}", i + 1),
                title,
                description,
                expectation,
                vec![send, wait],
            ));
        }
    }
    let chopped = [
        (
            "9.5",
            "Text message in small TCP writes",
            opcode::TEXT,
            TEXT_UNIT,
        ),
        (
            "9.6",
            "Binary message in small TCP writes",
            opcode::BINARY,
            BINARY_UNIT,
        ),
    ];
    for (sub, title, op, unit) in chopped {
        for (i, &chop) in CHOPS.iter().enumerate() {
            let (expectation, wait) = echo_within(op, MIB, 1000);
            let frame = FrameSpec::new(op, Payload::repeat(unit, MIB)).chop(chop);
            let description = format!(
                "One 1 MiB {} message in a single frame, written to TCP {chop} octets at a time.",
                kind(op)
            );
            out.push(perf(
                &format!("{sub}.{}", i + 1),
                title,
                description,
                expectation,
                vec![Step::Send(frame), wait],
            ));
        }
    }
    let trips = [
        ("9.7", "Text round-trip time", opcode::TEXT, b'*'),
        ("9.8", "Binary round-trip time", opcode::BINARY, 0xfe),
    ];
    for (sub, title, op, byte) in trips {
        for (i, &(len, secs)) in ROUND_TRIPS.iter().enumerate() {
            let description = format!(
                "1000 {} messages of {len} bytes, each sent once the previous one came back.",
                kind(op)
            );
            let expectation =
                format!("The peer echoes all 1000 messages within {secs} s in total.");
            let steps = vec![Step::RoundTrips {
                count: 1000,
                opcode: op,
                payload: Payload::repeat([byte], len),
                within_ms: secs * 1000,
            }];
            out.push(perf(
                &format!("{sub}.{}", i + 1),
                title,
                description,
                expectation,
                steps,
            ));
        }
    }
    out
}
