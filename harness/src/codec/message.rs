//! Message-level rules shared by the harness and the reference server: header checks for
//! a role, fragmentation state and incremental UTF-8 of text messages.

use super::frame::FrameHeader;
use super::utf8::Utf8Validator;
use super::violation::Violation;
use wsspec_cases::opcode;

/// Which side of the connection reads the frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The reader is a client: frames come from a server and must be unmasked.
    Client,
    /// The reader is a server: frames come from a client and must be masked.
    Server,
}

/// Check one header against RFC 6455 for the reading `role`, before any payload is read.
pub fn check_header(role: Role, h: &FrameHeader) -> Result<(), Violation> {
    if h.rsv != 0 {
        return Err(Violation::ReservedBits(h.rsv));
    }
    match h.opcode {
        0x3..=0x7 | 0xB..=0xF => return Err(Violation::ReservedOpcode(h.opcode)),
        _ => {}
    }
    if h.is_control() {
        if !h.fin {
            return Err(Violation::FragmentedControlFrame);
        }
        if h.len > 125 {
            return Err(Violation::ControlFrameTooLong(h.len));
        }
    }
    if h.len >> 63 != 0 {
        return Err(Violation::LengthMsbSet);
    }
    if !h.minimal_length {
        return Err(Violation::NonMinimalLength);
    }
    match (role, h.mask.is_some()) {
        (Role::Client, true) => Err(Violation::MaskedServerFrame),
        (Role::Server, false) => Err(Violation::UnmaskedClientFrame),
        _ => Ok(()),
    }
}

/// What a checked data frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFrame {
    /// First frame of a message with this opcode.
    Start(u8),
    /// A continuation of the open message.
    Continue,
}

/// Fragmentation and UTF-8 state of the message being received.
#[derive(Debug, Clone, Default)]
pub struct MessageState {
    open: Option<u8>,
    utf8: Utf8Validator,
    received: u64,
    limit: Option<u64>,
}

impl MessageState {
    /// A state with no message open and an optional size limit.
    pub fn new(limit: Option<u64>) -> Self {
        MessageState {
            limit,
            ..Default::default()
        }
    }

    /// Opcode of the message being received, if one is open.
    pub fn open_opcode(&self) -> Option<u8> {
        self.open
    }

    /// Account for a data frame header (control frames must not be passed here).
    pub fn on_data_header(&mut self, h: &FrameHeader) -> Result<DataFrame, Violation> {
        let kind = match (self.open, h.opcode) {
            (None, opcode::CONTINUATION) => return Err(Violation::UnexpectedContinuation),
            (Some(_), opcode::CONTINUATION) => DataFrame::Continue,
            (Some(_), other) => return Err(Violation::ExpectedContinuation(other)),
            (None, op) => {
                self.open = Some(op);
                self.utf8 = Utf8Validator::new();
                self.received = 0;
                DataFrame::Start(op)
            }
        };
        let total = self.received.saturating_add(h.len);
        if let Some(limit) = self.limit {
            if total > limit {
                return Err(Violation::MessageTooBig(limit));
            }
        }
        Ok(kind)
    }

    /// Account for payload octets of the open message (validates text as it arrives).
    pub fn on_data(&mut self, data: &[u8]) -> Result<(), Violation> {
        self.received += data.len() as u64;
        if self.open == Some(opcode::TEXT) {
            self.utf8.feed(data).map_err(|_| Violation::InvalidUtf8)?;
        }
        Ok(())
    }

    /// End of a data frame; returns the message opcode when the message is complete.
    pub fn on_data_end(&mut self, fin: bool) -> Result<Option<u8>, Violation> {
        if !fin {
            return Ok(None);
        }
        let op = self.open.take();
        if op == Some(opcode::TEXT) {
            self.utf8.finish().map_err(|_| Violation::InvalidUtf8)?;
        }
        Ok(op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsspec_cases::LengthForm;

    fn header(fin: bool, op: u8, len: u64, masked: bool) -> FrameHeader {
        FrameHeader {
            fin,
            rsv: 0,
            opcode: op,
            mask: masked.then_some([1, 2, 3, 4]),
            len,
            length_form: LengthForm::Minimal,
            minimal_length: true,
            header_len: 2,
        }
    }

    #[test]
    fn header_rules_per_role() {
        assert_eq!(
            check_header(Role::Client, &header(true, 1, 5, false)),
            Ok(())
        );
        assert_eq!(
            check_header(Role::Client, &header(true, 1, 5, true)),
            Err(Violation::MaskedServerFrame)
        );
        assert_eq!(
            check_header(Role::Server, &header(true, 1, 5, false)),
            Err(Violation::UnmaskedClientFrame)
        );
        assert_eq!(
            check_header(Role::Client, &header(false, 9, 0, false)),
            Err(Violation::FragmentedControlFrame)
        );
        assert_eq!(
            check_header(Role::Client, &header(true, 9, 126, false)),
            Err(Violation::ControlFrameTooLong(126))
        );
        assert_eq!(
            check_header(Role::Client, &header(true, 0xb, 0, false)),
            Err(Violation::ReservedOpcode(0xb))
        );
        let mut h = header(true, 1, 5, false);
        h.rsv = 4;
        assert_eq!(
            check_header(Role::Client, &h),
            Err(Violation::ReservedBits(4))
        );
        h.rsv = 0;
        h.minimal_length = false;
        assert_eq!(
            check_header(Role::Client, &h),
            Err(Violation::NonMinimalLength)
        );
    }

    #[test]
    fn fragmentation_rules() {
        let mut m = MessageState::new(None);
        assert_eq!(
            m.on_data_header(&header(true, 0, 1, false)),
            Err(Violation::UnexpectedContinuation)
        );
        let mut m = MessageState::new(None);
        assert_eq!(
            m.on_data_header(&header(false, 1, 2, false)),
            Ok(DataFrame::Start(1))
        );
        m.on_data(b"ab").unwrap();
        assert_eq!(m.on_data_end(false), Ok(None));
        assert_eq!(
            m.on_data_header(&header(true, 1, 2, false)),
            Err(Violation::ExpectedContinuation(1))
        );
    }

    #[test]
    fn text_is_validated_across_fragments_and_limits_apply() {
        let mut m = MessageState::new(Some(4));
        m.on_data_header(&header(false, 1, 1, false)).unwrap();
        m.on_data(&[0xce]).unwrap();
        m.on_data_end(false).unwrap();
        m.on_data_header(&header(true, 0, 1, false)).unwrap();
        m.on_data(&[0xba]).unwrap();
        assert_eq!(m.on_data_end(true), Ok(Some(1)));
        assert_eq!(
            m.on_data_header(&header(true, 2, 5, false)),
            Err(Violation::MessageTooBig(4))
        );
    }
}
