//! RFC 6455 §5.2 frame headers: an encoder that writes any header (malformed ones too) and
//! a parser that reads whatever a peer sends without judging it.

use wsspec_cases::LengthForm;

/// Longest possible frame header: 2 + 8 length octets + 4 mask octets.
pub const MAX_HEADER_LEN: usize = 14;

/// A frame header as it appeared on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN bit.
    pub fin: bool,
    /// RSV1..3 as a 3-bit number.
    pub rsv: u8,
    /// Opcode nibble.
    pub opcode: u8,
    /// Masking key, when the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// Payload length.
    pub len: u64,
    /// How the length was encoded.
    pub length_form: LengthForm,
    /// Whether that encoding was the minimal one.
    pub minimal_length: bool,
    /// Octets the header took.
    pub header_len: usize,
}

impl FrameHeader {
    /// Whether the opcode is a control opcode (high bit of the nibble set).
    pub fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }

    /// Parse a header from the start of `buf`; `None` when more octets are needed.
    /// Never fails: every bit pattern is a header, judging it is the caller's job.
    pub fn parse(buf: &[u8]) -> Option<FrameHeader> {
        let (&b0, rest) = buf.split_first()?;
        let &b1 = rest.first()?;
        let masked = b1 & 0x80 != 0;
        let len7 = b1 & 0x7f;
        let (len, length_form, ext) = match len7 {
            126 => {
                let b = buf.get(2..4)?;
                (
                    u64::from(u16::from_be_bytes([b[0], b[1]])),
                    LengthForm::Extended16,
                    2,
                )
            }
            127 => {
                let b = buf.get(2..10)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                (u64::from_be_bytes(a), LengthForm::Extended64, 8)
            }
            n => (u64::from(n), LengthForm::Minimal, 0),
        };
        let minimal_length = match length_form {
            LengthForm::Minimal => true,
            LengthForm::Extended16 => len >= 126,
            LengthForm::Extended64 => len > 0xffff,
        };
        let mut header_len = 2 + ext;
        let mask = if masked {
            let k = buf.get(header_len..header_len + 4)?;
            header_len += 4;
            Some([k[0], k[1], k[2], k[3]])
        } else {
            None
        };
        Some(FrameHeader {
            fin: b0 & 0x80 != 0,
            rsv: (b0 >> 4) & 0x7,
            opcode: b0 & 0x0f,
            mask,
            len,
            length_form,
            minimal_length,
            header_len,
        })
    }
}

/// Append a frame header. The length is written in `form` even when that is not minimal
/// (a 64-bit form is always 8 octets, so lengths beyond 2^63 can be sent too).
pub fn encode_header(
    out: &mut Vec<u8>,
    fin: bool,
    rsv: u8,
    opcode: u8,
    mask: Option<[u8; 4]>,
    len: u64,
    form: LengthForm,
) {
    let b0 = (u8::from(fin) << 7) | ((rsv & 7) << 4) | (opcode & 0x0f);
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    out.push(b0);
    let form = match form {
        LengthForm::Minimal if len < 126 => LengthForm::Minimal,
        LengthForm::Minimal if len <= 0xffff => LengthForm::Extended16,
        LengthForm::Minimal => LengthForm::Extended64,
        LengthForm::Extended16 if len > 0xffff => LengthForm::Extended64,
        other => other,
    };
    match form {
        LengthForm::Minimal => out.push(mask_bit | len as u8),
        LengthForm::Extended16 => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        LengthForm::Extended64 => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    if let Some(k) = mask {
        out.extend_from_slice(&k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_examples_parse() {
        // RFC 6455 §5.7: unmasked "Hello".
        let h = FrameHeader::parse(&[0x81, 0x05, 0x48]).unwrap();
        assert!(h.fin && h.opcode == 1 && h.len == 5 && h.mask.is_none() && h.header_len == 2);
        // Masked "Hello".
        let h = FrameHeader::parse(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d]).unwrap();
        assert_eq!(h.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
        // 256 bytes binary, 16-bit length.
        let h = FrameHeader::parse(&[0x82, 0x7e, 0x01, 0x00]).unwrap();
        assert_eq!((h.len, h.minimal_length), (256, true));
        // 64 KiB binary, 64-bit length.
        let h = FrameHeader::parse(&[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]).unwrap();
        assert_eq!((h.len, h.header_len), (65536, 10));
        // Fragmented: first "Hel" not final.
        let h = FrameHeader::parse(&[0x01, 0x03]).unwrap();
        assert!(!h.fin && h.opcode == 1);
    }

    #[test]
    fn incomplete_headers_need_more() {
        assert!(FrameHeader::parse(&[]).is_none());
        assert!(FrameHeader::parse(&[0x81]).is_none());
        assert!(FrameHeader::parse(&[0x82, 0x7f, 0, 0]).is_none());
        assert!(FrameHeader::parse(&[0x81, 0x85, 1, 2, 3]).is_none());
    }

    #[test]
    fn encode_then_parse_round_trips_every_form() {
        for (len, form) in [
            (0u64, LengthForm::Minimal),
            (125, LengthForm::Minimal),
            (126, LengthForm::Minimal),
            (65536, LengthForm::Minimal),
            (5, LengthForm::Extended16),
            (5, LengthForm::Extended64),
            (u64::MAX, LengthForm::Extended64),
        ] {
            let mut out = Vec::new();
            encode_header(&mut out, false, 5, 0xb, Some([1, 2, 3, 4]), len, form);
            let h = FrameHeader::parse(&out).unwrap();
            assert_eq!((h.len, h.rsv, h.opcode, h.fin), (len, 5, 0xb, false));
            assert_eq!(h.header_len, out.len());
            assert_eq!(h.mask, Some([1, 2, 3, 4]));
        }
        let mut out = Vec::new();
        encode_header(&mut out, true, 0, 1, None, 5, LengthForm::Extended16);
        assert!(!FrameHeader::parse(&out).unwrap().minimal_length);
    }
}
