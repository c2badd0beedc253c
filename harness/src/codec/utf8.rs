//! Incremental UTF-8 validation that fails at the first octet that can never become valid.

/// The input can never become valid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8")]
pub struct InvalidUtf8;

/// Validates a byte stream fed in arbitrary pieces (frames, TCP reads, fragments).
#[derive(Debug, Default, Clone)]
pub struct Utf8Validator {
    /// An incomplete but so far valid sequence carried over from the previous piece.
    pending: [u8; 4],
    pending_len: usize,
}

/// Length of the sequence a valid lead octet starts.
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

impl Utf8Validator {
    /// A validator at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed the next piece; fails as soon as the stream so far cannot be a prefix of valid UTF-8.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), InvalidUtf8> {
        if self.pending_len > 0 {
            let need = sequence_len(self.pending[0]) - self.pending_len;
            let take = need.min(data.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&data[..take]);
            self.pending_len += take;
            data = &data[take..];
            match std::str::from_utf8(&self.pending[..self.pending_len]) {
                Ok(_) => self.pending_len = 0,
                Err(e) if e.error_len().is_none() => return Ok(()),
                Err(_) => return Err(InvalidUtf8),
            }
        }
        match simdutf8::compat::from_utf8(data) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                let tail = &data[e.valid_up_to()..];
                self.pending[..tail.len()].copy_from_slice(tail);
                self.pending_len = tail.len();
                Ok(())
            }
            Err(_) => Err(InvalidUtf8),
        }
    }

    /// Whether the stream ends on a complete character.
    pub fn is_complete(&self) -> bool {
        self.pending_len == 0
    }

    /// End of stream: fails if a sequence is left incomplete.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let complete = self.is_complete();
        self.pending_len = 0;
        if complete {
            Ok(())
        } else {
            Err(InvalidUtf8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_everywhere(data: &[u8]) -> Vec<Result<(), InvalidUtf8>> {
        (0..=data.len())
            .map(|i| {
                let mut v = Utf8Validator::new();
                v.feed(&data[..i])?;
                v.feed(&data[i..])?;
                v.finish()
            })
            .collect()
    }

    #[test]
    fn agrees_with_std_at_every_split_point() {
        let samples: &[&[u8]] = &[
            "κόσμε".as_bytes(),
            b"\xf0\x90\x80\x80",
            b"\xf4\x90\x80\x80",
            b"\xed\xa0\x80",
            b"\xc0\xaf",
            b"\xe0\x80\xaf",
            b"ab\xf0\x9f\x98",
            b"\xef\xbf\xbf",
            b"",
        ];
        for s in samples {
            let expected = std::str::from_utf8(s).is_ok();
            for r in split_everywhere(s) {
                assert_eq!(r.is_ok(), expected, "{s:x?}");
            }
        }
    }

    #[test]
    fn fails_fast_before_the_message_ends() {
        // Autobahn 6.4.1: "κόσμε" then F4 90 80 80 (> U+10FFFF): invalid at its second octet.
        let mut v = Utf8Validator::new();
        v.feed("κόσμε".as_bytes()).unwrap();
        assert_eq!(v.feed(b"\xf4"), Ok(()));
        assert_eq!(v.feed(b"\x90"), Err(InvalidUtf8));
    }

    #[test]
    fn incomplete_tail_fails_only_at_finish() {
        let mut v = Utf8Validator::new();
        v.feed(b"\xce").unwrap();
        assert!(!v.is_complete());
        assert_eq!(v.finish(), Err(InvalidUtf8));
    }
}
