//! Fault injection for the reference server: `EchoConfig::fault` turns on one deliberate
//! defect, so that wsspec's own conformance cases and its network fuzzer have broken
//! servers to find. Each fault is checked at the one place in `handshake.rs` or
//! `session.rs` where the reference server enforces the rule or produces the output; the
//! default (`None`) path is the unchanged server. Faults apply to RFC 6455 (and hybi-07/-10)
//! connections only, never to hixie ones.

use std::fmt;

use wsspec_cases::opcode;

use crate::codec::{FrameHeader, Violation};

/// One deliberate defect of the reference server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// RFC 6455 §4.2.2: `Sec-WebSocket-Accept` hashes the key without the GUID.
    WrongAccept,
    /// RFC 6455 §4.2.2: an unknown `Sec-WebSocket-Version` is accepted instead of refused with 426.
    AnyVersion,
    /// RFC 6455 §5.1: unmasked frames from the client are accepted.
    AcceptUnmasked,
    /// RFC 6455 §5.1: the server masks the messages it echoes.
    MaskedEcho,
    /// RFC 6455 §5.2: RSV bits are accepted with no extension negotiated.
    AcceptRsv,
    /// RFC 6455 §5.2: frames with a reserved opcode are ignored instead of failing the connection.
    AcceptReservedOpcode,
    /// RFC 6455 §5.4: a continuation frame with no message open starts a binary message.
    AcceptOrphanContinuation,
    /// RFC 6455 §5.4: a new data frame inside a fragmented message is taken as its continuation.
    AcceptInterleavedData,
    /// RFC 6455 §5.5: control frames over 125 octets are accepted (and pongs sent as long).
    AcceptLongControl,
    /// RFC 6455 §5.5: control frames with FIN clear are accepted as if they were whole.
    AcceptFragmentedControl,
    /// RFC 6455 §5.5.3: pongs drop the ping's application data.
    EmptyPong,
    /// RFC 6455 §8.1: text messages that are not UTF-8 are echoed instead of failing with 1007.
    AcceptInvalidUtf8,
    /// RFC 6455 §7.4.1: invalid UTF-8 fails the connection with 1002 instead of 1007.
    Utf8Close1002,
    /// RFC 6455 §7.4: close codes a peer must not send are answered with a normal close.
    AcceptInvalidCloseCode,
    /// RFC 6455 §5.5.1: a close reason that is not UTF-8 is accepted.
    AcceptInvalidCloseReason,
    /// RFC 6455 §7.4.1: an empty close is answered with code 1005, which must not be sent.
    Close1005,
    /// RFC 6455 §5.5.1: a close is never answered; TCP is dropped without a close frame.
    NoCloseReply,
    /// Crash-like: a close whose reason is over 100 octets makes the server drop every connection.
    CrashOnLongCloseReason,
    /// Hang: a ping of exactly 125 octets makes the server stop reading and writing that connection.
    HangOnFullPing,
}

impl Fault {
    /// Every fault, in declaration order.
    pub const ALL: &'static [Fault] = &[
        Fault::WrongAccept,
        Fault::AnyVersion,
        Fault::AcceptUnmasked,
        Fault::MaskedEcho,
        Fault::AcceptRsv,
        Fault::AcceptReservedOpcode,
        Fault::AcceptOrphanContinuation,
        Fault::AcceptInterleavedData,
        Fault::AcceptLongControl,
        Fault::AcceptFragmentedControl,
        Fault::EmptyPong,
        Fault::AcceptInvalidUtf8,
        Fault::Utf8Close1002,
        Fault::AcceptInvalidCloseCode,
        Fault::AcceptInvalidCloseReason,
        Fault::Close1005,
        Fault::NoCloseReply,
        Fault::CrashOnLongCloseReason,
        Fault::HangOnFullPing,
    ];

    /// The kebab-case name `wsspec echo --fault` takes.
    pub fn name(self) -> &'static str {
        match self {
            Fault::WrongAccept => "wrong-accept",
            Fault::AnyVersion => "any-version",
            Fault::AcceptUnmasked => "accept-unmasked",
            Fault::MaskedEcho => "masked-echo",
            Fault::AcceptRsv => "accept-rsv",
            Fault::AcceptReservedOpcode => "accept-reserved-opcode",
            Fault::AcceptOrphanContinuation => "accept-orphan-continuation",
            Fault::AcceptInterleavedData => "accept-interleaved-data",
            Fault::AcceptLongControl => "accept-long-control",
            Fault::AcceptFragmentedControl => "accept-fragmented-control",
            Fault::EmptyPong => "empty-pong",
            Fault::AcceptInvalidUtf8 => "accept-invalid-utf8",
            Fault::Utf8Close1002 => "utf8-close-1002",
            Fault::AcceptInvalidCloseCode => "accept-invalid-close-code",
            Fault::AcceptInvalidCloseReason => "accept-invalid-close-reason",
            Fault::Close1005 => "close-1005",
            Fault::NoCloseReply => "no-close-reply",
            Fault::CrashOnLongCloseReason => "crash-on-long-close-reason",
            Fault::HangOnFullPing => "hang-on-full-ping",
        }
    }

    /// The fault named `name` (as [`Fault::name`] spells it), if any.
    pub fn parse(name: &str) -> Option<Fault> {
        Fault::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// One line: the rule broken and how.
    pub fn defect(self) -> &'static str {
        match self {
            Fault::WrongAccept => "§4.2.2: Sec-WebSocket-Accept hashes the key without the GUID",
            Fault::AnyVersion => "§4.2.2: accepts an unknown Sec-WebSocket-Version instead of 426",
            Fault::AcceptUnmasked => "§5.1: accepts unmasked client frames",
            Fault::MaskedEcho => "§5.1: masks the messages it echoes",
            Fault::AcceptRsv => "§5.2: accepts RSV bits without a negotiated extension",
            Fault::AcceptReservedOpcode => "§5.2: ignores frames with reserved opcodes",
            Fault::AcceptOrphanContinuation => {
                "§5.4: takes a continuation with no message open as a binary message"
            }
            Fault::AcceptInterleavedData => {
                "§5.4: takes a data frame inside a fragmented message as its continuation"
            }
            Fault::AcceptLongControl => "§5.5: accepts control frames over 125 octets",
            Fault::AcceptFragmentedControl => "§5.5: accepts control frames with FIN clear",
            Fault::EmptyPong => "§5.5.3: answers a ping with an empty pong",
            Fault::AcceptInvalidUtf8 => "§8.1: echoes text that is not UTF-8 instead of 1007",
            Fault::Utf8Close1002 => "§7.4.1: fails invalid UTF-8 with 1002 instead of 1007",
            Fault::AcceptInvalidCloseCode => {
                "§7.4: answers a close with an invalid code with 1000 instead of 1002"
            }
            Fault::AcceptInvalidCloseReason => "§5.5.1: accepts a close reason that is not UTF-8",
            Fault::Close1005 => "§7.4.1: answers an empty close with code 1005",
            Fault::NoCloseReply => "§5.5.1: drops TCP instead of answering a close",
            Fault::CrashOnLongCloseReason => {
                "crash: a close reason over 100 octets makes it drop every connection"
            }
            Fault::HangOnFullPing => {
                "hang: a 125-octet ping makes it stop reading and writing that connection"
            }
        }
    }

    /// The header as this fault judges and processes it: a rule the fault ignores is
    /// satisfied by rewriting the header. `None`: the frame is skipped, payload and all.
    /// `open` is the opcode of the fragmented message being received, if any.
    pub(super) fn relax(self, h: FrameHeader, open: Option<u8>) -> Option<FrameHeader> {
        let data = !h.is_control();
        Some(match self {
            Fault::AcceptUnmasked if h.mask.is_none() => FrameHeader {
                mask: Some([0; 4]),
                ..h
            },
            Fault::AcceptRsv => FrameHeader { rsv: 0, ..h },
            Fault::AcceptReservedOpcode if matches!(h.opcode, 0x3..=0x7 | 0xB..=0xF) => {
                return None
            }
            Fault::AcceptOrphanContinuation
                if h.opcode == opcode::CONTINUATION && open.is_none() =>
            {
                FrameHeader {
                    opcode: opcode::BINARY,
                    ..h
                }
            }
            Fault::AcceptInterleavedData
                if data && h.opcode != opcode::CONTINUATION && open.is_some() =>
            {
                FrameHeader {
                    opcode: opcode::CONTINUATION,
                    ..h
                }
            }
            Fault::AcceptLongControl if !data => FrameHeader {
                len: h.len.min(125),
                ..h
            },
            Fault::AcceptFragmentedControl if !data => FrameHeader { fin: true, ..h },
            _ => h,
        })
    }

    /// Whether this fault lets `v` pass as if the rule it breaks did not exist.
    pub(super) fn excuses(self, v: Violation) -> bool {
        matches!(
            (self, v),
            (Fault::AcceptInvalidUtf8, Violation::InvalidUtf8)
        )
    }

    /// The close code the connection is failed with for `v`.
    pub(super) fn close_code(self, v: Violation) -> u16 {
        match (self, v) {
            (Fault::Utf8Close1002, Violation::InvalidUtf8) => 1002,
            _ => v.close_code(),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_round_trip_and_are_kebab_case() {
        let mut seen = HashSet::new();
        for &f in Fault::ALL {
            let name = f.name();
            assert_eq!(Fault::parse(name), Some(f), "{name}");
            assert!(seen.insert(name), "duplicate name {name}");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !name.starts_with('-')
                    && !name.ends_with('-')
                    && !name.contains("--"),
                "{name} is not kebab-case"
            );
            assert_eq!(f.to_string(), name);
            assert!(!f.defect().is_empty());
        }
        assert_eq!(seen.len(), 19);
        for bad in ["", "list", "Wrong-Accept", "wrong_accept", " wrong-accept"] {
            assert_eq!(Fault::parse(bad), None, "{bad:?}");
        }
    }
}
