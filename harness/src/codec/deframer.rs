//! Streaming frame reader: headers and payload pieces as they arrive, so a 16 MiB frame
//! never has to sit in memory and a bad octet is seen the moment it lands.

use super::frame::FrameHeader;
use super::mask::apply_mask;

/// One piece of the incoming frame stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A complete frame header.
    Header(FrameHeader),
    /// Payload octets of the current frame, already unmasked; `last` ends the frame.
    Payload {
        /// The octets.
        data: &'a [u8],
        /// Whether this completes the frame's payload.
        last: bool,
    },
}

/// Splits a byte stream into frame headers and payload pieces.
#[derive(Debug, Default, Clone)]
pub struct Deframer {
    current: Option<FrameHeader>,
    remaining: u64,
    offset: u64,
}

impl Deframer {
    /// A deframer at a frame boundary.
    pub fn new() -> Self {
        Self::default()
    }

    /// The header of the frame whose payload is being read, if any.
    pub fn current(&self) -> Option<&FrameHeader> {
        self.current.as_ref()
    }

    /// Take the next piece from the front of `input`. Returns how many octets were consumed
    /// and the piece; `(0, None)` means more input is needed. Payload pieces are unmasked in
    /// place, so `input` is mutable.
    pub fn next<'a>(&mut self, input: &'a mut [u8]) -> (usize, Option<Piece<'a>>) {
        match self.current {
            None => match FrameHeader::parse(input) {
                None => (0, None),
                Some(h) => {
                    self.remaining = h.len;
                    self.offset = 0;
                    // Even an empty payload is reported as its own (last) piece.
                    self.current = Some(h);
                    (h.header_len, Some(Piece::Header(h)))
                }
            },
            Some(h) => {
                if self.remaining == 0 {
                    self.current = None;
                    return (
                        0,
                        Some(Piece::Payload {
                            data: &[],
                            last: true,
                        }),
                    );
                }
                if input.is_empty() {
                    return (0, None);
                }
                let take = usize::try_from(self.remaining)
                    .unwrap_or(usize::MAX)
                    .min(input.len());
                let data = &mut input[..take];
                if let Some(key) = h.mask {
                    // The payload offset only matters modulo 4.
                    apply_mask(data, key, (self.offset % 4) as usize);
                }
                self.remaining -= take as u64;
                self.offset += take as u64;
                let last = self.remaining == 0;
                if last {
                    self.current = None;
                }
                (take, Some(Piece::Payload { data, last }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feed `stream` in chunks of `n` and collect (header opcodes, full payloads).
    fn collect(stream: &[u8], n: usize) -> Vec<(u8, Vec<u8>)> {
        let mut d = Deframer::new();
        let mut buf: Vec<u8> = Vec::new();
        let mut out: Vec<(u8, Vec<u8>)> = Vec::new();
        for chunk in stream.chunks(n.max(1)) {
            buf.extend_from_slice(chunk);
            loop {
                let (used, piece) = d.next(&mut buf);
                match piece {
                    None => break,
                    Some(Piece::Header(h)) => out.push((h.opcode, Vec::new())),
                    Some(Piece::Payload { data, .. }) => {
                        if let Some(last) = out.last_mut() {
                            last.1.extend_from_slice(data);
                        }
                    }
                }
                buf.drain(..used);
            }
        }
        out
    }

    #[test]
    fn chunking_does_not_change_the_frames() {
        let mut stream = vec![
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        stream.extend_from_slice(&[0x89, 0x00]);
        stream.extend_from_slice(&[0x01, 0x03, b'H', b'e', b'l', 0x80, 0x02, b'l', b'o']);
        let whole = collect(&stream, stream.len());
        assert_eq!(
            whole,
            vec![
                (1, b"Hello".to_vec()),
                (9, vec![]),
                (1, b"Hel".to_vec()),
                (0, b"lo".to_vec())
            ]
        );
        for n in 1..stream.len() {
            assert_eq!(collect(&stream, n), whole, "chunk size {n}");
        }
    }
}
