//! RFC 6455 §5.5.1 and §7.4: close-frame payloads and status codes.

use super::violation::Violation;

/// Whether a peer may put this status code in a close frame: 1000–1003, 1007–1011,
/// 1012–1014 (registered with IANA after RFC 6455) and 3000–4999.
pub fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// A parsed close payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CloseBody {
    /// Status code, if the payload had one.
    pub code: Option<u16>,
    /// Reason octets (already checked to be UTF-8 by `parse_close_payload`).
    pub reason: Option<String>,
}

/// Parse and check a received close payload: empty, or a valid code plus a UTF-8 reason.
pub fn parse_close_payload(payload: &[u8]) -> Result<CloseBody, Violation> {
    match payload {
        [] => Ok(CloseBody::default()),
        [_] => Err(Violation::OneOctetClosePayload),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !is_valid_close_code(code) {
                return Err(Violation::InvalidCloseCode(code));
            }
            let reason = std::str::from_utf8(reason).map_err(|_| Violation::InvalidCloseReason)?;
            Ok(CloseBody {
                code: Some(code),
                reason: (!reason.is_empty()).then(|| reason.to_string()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_registry() {
        for ok in [1000, 1001, 1002, 1003, 1007, 1011, 1012, 1014, 3000, 4999] {
            assert!(is_valid_close_code(ok), "{ok}");
        }
        for bad in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            assert!(!is_valid_close_code(bad), "{bad}");
        }
    }

    #[test]
    fn payloads() {
        assert_eq!(parse_close_payload(b""), Ok(CloseBody::default()));
        assert_eq!(
            parse_close_payload(b"a"),
            Err(Violation::OneOctetClosePayload)
        );
        assert_eq!(
            parse_close_payload(&[0x03, 0xe8, b'o', b'k']).unwrap().code,
            Some(1000)
        );
        assert_eq!(
            parse_close_payload(&[0x03, 0xe8, 0xff]),
            Err(Violation::InvalidCloseReason)
        );
        assert_eq!(
            parse_close_payload(&[0x03, 0xed]),
            Err(Violation::InvalidCloseCode(1005))
        );
    }
}
