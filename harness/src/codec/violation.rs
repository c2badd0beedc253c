//! Protocol violations a peer can commit, one variant per RFC 6455 rule.

/// A rule of RFC 6455 the peer broke; each maps to the close code an endpoint fails with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// §5.1: a server must not mask frames.
    #[error("server sent a masked frame")]
    MaskedServerFrame,
    /// §5.1: a client must mask every frame.
    #[error("client sent an unmasked frame")]
    UnmaskedClientFrame,
    /// §5.2: RSV bits must be 0 without a negotiated extension.
    #[error("RSV bits {0:#05b} set without a negotiated extension")]
    ReservedBits(u8),
    /// §5.2: reserved opcodes must not be used.
    #[error("reserved opcode {0:#x}")]
    ReservedOpcode(u8),
    /// §5.5: control frames must not be fragmented.
    #[error("fragmented control frame")]
    FragmentedControlFrame,
    /// §5.5: control frame payloads are at most 125 octets.
    #[error("control frame payload of {0} octets (limit 125)")]
    ControlFrameTooLong(u64),
    /// §5.2: the minimal number of octets must encode the length.
    #[error("payload length not minimally encoded")]
    NonMinimalLength,
    /// §5.2: the most significant bit of a 64-bit length must be 0.
    #[error("64-bit payload length with the most significant bit set")]
    LengthMsbSet,
    /// §5.4: a continuation frame arrived with no message to continue.
    #[error("continuation frame with nothing to continue")]
    UnexpectedContinuation,
    /// §5.4: a new data frame arrived while a fragmented message was open.
    #[error("data frame with opcode {0:#x} inside a fragmented message")]
    ExpectedContinuation(u8),
    /// §8.1: text must be valid UTF-8.
    #[error("invalid UTF-8 in a text message")]
    InvalidUtf8,
    /// §5.5.1: a close payload is empty or at least 2 octets.
    #[error("close payload of 1 octet")]
    OneOctetClosePayload,
    /// §7.4: the close code is not one a peer may send.
    #[error("invalid close code {0}")]
    InvalidCloseCode(u16),
    /// §5.5.1: the close reason must be UTF-8.
    #[error("close reason is not valid UTF-8")]
    InvalidCloseReason,
    /// RFC 7692 §7.2.2: a compressed message that does not inflate.
    #[error("compressed message data does not inflate")]
    InvalidCompressedData,
    /// §10.4: the message exceeds the endpoint's limit.
    #[error("message larger than the limit of {0} octets")]
    MessageTooBig(u64),
}

impl Violation {
    /// The status code an endpoint fails the connection with for this violation.
    pub fn close_code(self) -> u16 {
        match self {
            Violation::InvalidUtf8
            | Violation::InvalidCloseReason
            | Violation::InvalidCompressedData => 1007,
            Violation::MessageTooBig(_) => 1009,
            _ => 1002,
        }
    }
}
