//! The hixie-75 / hixie-76 (= hybi-00) wire format: the key1/key2/key3 MD5 challenge of
//! hixie-76 and the sentinel (`00 … FF`) and length-prefixed frames both drafts share.
//! Used by the engine as a client and by the reference echo server as a server.

use md5::{Digest, Md5};
use rand::Rng;

/// Why a hixie-76 key is unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HixieKeyError {
    /// The key has no U+0020 (the drafts call this a symptom of a cross-protocol attack).
    #[error("key has no spaces")]
    NoSpaces,
    /// The key has no ASCII digit.
    #[error("key has no digits")]
    NoDigits,
    /// The key's number is not an integral multiple of its number of spaces.
    #[error("key number is not a multiple of its spaces")]
    NotDivisible,
    /// The key's number (or the quotient) does not fit in 32 bits.
    #[error("key number beyond 32 bits")]
    TooLarge,
}

/// The key's value: all ASCII digits as one base-10 number, divided by the number of spaces
/// (must divide exactly).
pub fn key_value(key: &str) -> Result<u32, HixieKeyError> {
    let mut spaces: u64 = 0;
    let mut digits = false;
    // Saturates past u32::MAX, so a key of a million digits cannot overflow anything.
    let mut number: u64 = 0;
    for b in key.bytes() {
        match b {
            b' ' => spaces += 1,
            b'0'..=b'9' => {
                digits = true;
                number = (number * 10 + u64::from(b - b'0')).min(u64::from(u32::MAX) + 1);
            }
            _ => {}
        }
    }
    if spaces == 0 {
        return Err(HixieKeyError::NoSpaces);
    }
    if !digits {
        return Err(HixieKeyError::NoDigits);
    }
    // Browsers drew the quotient at most u32::MAX / spaces, so the number always fits.
    if number > u64::from(u32::MAX) {
        return Err(HixieKeyError::TooLarge);
    }
    if number % spaces != 0 {
        return Err(HixieKeyError::NotDivisible);
    }
    u32::try_from(number / spaces).map_err(|_| HixieKeyError::TooLarge)
}

/// MD5(part1 BE ‖ part2 BE ‖ key3) from the two key values already computed.
pub fn challenge_from_parts(part1: u32, part2: u32, key3: &[u8; 8]) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(part1.to_be_bytes());
    md5.update(part2.to_be_bytes());
    md5.update(key3);
    md5.finalize().into()
}

/// MD5(part1 BE ‖ part2 BE ‖ key3): the 16 octets a hixie-76 server sends after its headers.
pub fn challenge_response(
    key1: &str,
    key2: &str,
    key3: &[u8; 8],
) -> Result<[u8; 16], HixieKeyError> {
    Ok(challenge_from_parts(
        key_value(key1)?,
        key_value(key2)?,
        key3,
    ))
}

/// A random non-digit printable ASCII character (0x21–0x2F, 0x3A–0x7E).
fn random_filler<R: Rng>(rng: &mut R) -> char {
    // 15 characters below the digits, 69 above.
    let i: u8 = rng.gen_range(0..15 + 69);
    char::from(if i < 15 { 0x21 + i } else { 0x3A + (i - 15) })
}

/// A random valid key as browsers generated them: 1..=12 spaces, number = spaces × a random
/// quotient ≤ u32::MAX / spaces, with 1..=12 random non-digit printable ASCII characters
/// (0x21–0x2F, 0x3A–0x7E) inserted at random positions and the spaces inserted at random
/// inner positions (never first or last). Returns the key and its value.
pub fn generate_key<R: Rng>(rng: &mut R) -> (String, u32) {
    let spaces: u32 = rng.gen_range(1..=12);
    let quotient: u32 = rng.gen_range(0..=u32::MAX / spaces);
    let mut key: Vec<char> = (u64::from(quotient) * u64::from(spaces))
        .to_string()
        .chars()
        .collect();
    for _ in 0..rng.gen_range(1..=12) {
        let at = rng.gen_range(0..=key.len());
        key.insert(at, random_filler(rng));
    }
    // The key has at least two characters by now, so an inner position always exists.
    for _ in 0..spaces {
        let at = rng.gen_range(1..key.len());
        key.insert(at, ' ');
    }
    (key.into_iter().collect(), quotient)
}

/// A received hixie frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HixieFrame {
    /// A sentinel frame (type 0x00..=0x7F): the payload between the type octet and 0xFF.
    Text(Vec<u8>),
    /// A length-prefixed frame (type 0x80..=0xFF, except the closing frame).
    Binary {
        /// The frame type octet.
        frame_type: u8,
        /// The payload.
        data: Vec<u8>,
    },
    /// The hixie-76 closing frame: type 0xFF with length 0 (`FF 00`).
    Close,
}

/// Why the incoming hixie stream cannot be read further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HixieFrameError {
    /// A frame payload (or a length prefix) beyond the limit; the octets seen or announced.
    #[error("hixie frame of {0} octets or more is beyond the limit")]
    TooLong(usize),
    /// A length prefix whose value does not fit in 64 bits.
    #[error("hixie frame length overflows")]
    LengthOverflow,
}

/// Most octets of a length prefix: 10 groups of 7 bits cover any 64-bit length, and longer
/// prefixes can only be runs of `0x80` that would otherwise be read forever.
pub const MAX_LENGTH_PREFIX: usize = 10;

/// Reads hixie frames from the front of a buffer; bounded by `max_frame`.
///
/// Between two frames returned, the caller must pass the same front of the stream each time
/// (octets may only be appended), so that a long sentinel frame is searched only once.
#[derive(Debug, Clone)]
pub struct HixieDeframer {
    max_frame: usize,
    /// How many octets from the front of the buffer are known to hold no terminating 0xFF.
    scanned: usize,
}

impl HixieDeframer {
    /// A deframer at a frame boundary accepting payloads of at most `max_frame` octets.
    pub fn new(max_frame: usize) -> Self {
        HixieDeframer {
            max_frame,
            scanned: 0,
        }
    }

    /// Next complete frame from the front of `buf` and the octets it used; Ok(None) = need
    /// more input.
    pub fn next(&mut self, buf: &[u8]) -> Result<Option<(HixieFrame, usize)>, HixieFrameError> {
        Ok(self.next_typed(buf)?.map(|(_, frame, used)| (frame, used)))
    }

    /// Like `next`, also giving the frame type octet (which `HixieFrame::Text` does not keep).
    pub fn next_typed(
        &mut self,
        buf: &[u8],
    ) -> Result<Option<(u8, HixieFrame, usize)>, HixieFrameError> {
        let Some(&frame_type) = buf.first() else {
            return Ok(None);
        };
        if frame_type & 0x80 == 0 {
            return self.sentinel(frame_type, buf);
        }
        let mut len: u64 = 0;
        let mut at = 1;
        loop {
            let Some(&b) = buf.get(at) else {
                return Ok(None);
            };
            at += 1;
            len = len
                .checked_mul(128)
                .map(|l| l | u64::from(b & 0x7F))
                .ok_or(HixieFrameError::LengthOverflow)?;
            if b & 0x80 == 0 {
                break;
            }
            let prefix_len = at - 1;
            if prefix_len >= MAX_LENGTH_PREFIX {
                return Err(HixieFrameError::TooLong(prefix_len));
            }
        }
        if frame_type == 0xFF && len == 0 {
            self.scanned = 0;
            return Ok(Some((frame_type, HixieFrame::Close, at)));
        }
        let len = match usize::try_from(len) {
            Ok(l) if l <= self.max_frame => l,
            _ => {
                return Err(HixieFrameError::TooLong(
                    usize::try_from(len).unwrap_or(usize::MAX),
                ))
            }
        };
        let Some(data) = buf.get(at..at + len) else {
            return Ok(None);
        };
        self.scanned = 0;
        let frame = HixieFrame::Binary {
            frame_type,
            data: data.to_vec(),
        };
        Ok(Some((frame_type, frame, at + len)))
    }

    fn sentinel(
        &mut self,
        frame_type: u8,
        buf: &[u8],
    ) -> Result<Option<(u8, HixieFrame, usize)>, HixieFrameError> {
        // The terminator of an acceptable frame sits at index max_frame + 1 at the latest.
        let window = buf.len().min(self.max_frame.saturating_add(2));
        let from = self.scanned.clamp(1, window.max(1));
        match buf[from..window].iter().position(|&b| b == 0xFF) {
            Some(i) => {
                let end = from + i;
                self.scanned = 0;
                Ok(Some((
                    frame_type,
                    HixieFrame::Text(buf[1..end].to_vec()),
                    end + 1,
                )))
            }
            None if window == self.max_frame.saturating_add(2) => {
                Err(HixieFrameError::TooLong(window - 1))
            }
            None => {
                self.scanned = window;
                Ok(None)
            }
        }
    }
}

/// Append a text frame: `00 payload FF`. The payload must not contain 0xFF.
pub fn encode_text(payload: &[u8], out: &mut Vec<u8>) {
    out.reserve(payload.len() + 2);
    out.push(0x00);
    out.extend_from_slice(payload);
    out.push(0xFF);
}

/// Append a length-prefixed frame: type, length in big-endian 7-bit groups, data.
pub fn encode_binary(frame_type: u8, data: &[u8], out: &mut Vec<u8>) {
    out.push(frame_type);
    let len = data.len() as u64;
    let groups = (1..MAX_LENGTH_PREFIX)
        .take_while(|&g| len >> (7 * g) != 0)
        .count()
        + 1;
    for g in (0..groups).rev() {
        let more = if g > 0 { 0x80 } else { 0 };
        out.push(((len >> (7 * g)) & 0x7F) as u8 | more);
    }
    out.extend_from_slice(data);
}

/// Append the hixie-76 closing frame: `FF 00`.
pub fn encode_close(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0xFF, 0x00]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn draft_vectors() {
        let (k1, k2) = ("4 @1  46546xW%0l 1 5", "12998 5 Y3 1  .P00");
        assert_eq!(key_value(k1), Ok(829309203));
        assert_eq!(key_value(k2), Ok(259970620));
        assert_eq!(
            &challenge_response(k1, k2, b"^n:ds[4U").unwrap(),
            b"8jKS'y:G*Co,Wxa-"
        );
        let (k1, k2) = (
            "18x 6]8vM;54 *(5:  {   U1]8  z [  8",
            "1_ tx7X d  <  nw  334J702) 7]o}` 0",
        );
        assert_eq!(key_value(k1), Ok(155712099));
        assert_eq!(key_value(k2), Ok(173347027));
        assert_eq!(
            &challenge_response(k1, k2, b"Tm[K T2u").unwrap(),
            b"fQJ,fN/4F4!~K~MH"
        );
    }

    #[test]
    fn implementation_vectors() {
        // sockjs test_haproxy.
        assert_eq!(
            &challenge_response("4 @1  46546xW%0l 1 5", "12998 5 Y3 1  .P00", b"aaaaaaaa").unwrap(),
            b"\xca4\x00\xd8\xa5\x08G\x97,\xd5qZ\xba\xbfC{"
        );
        // vti.
        let key3: [u8; 8] = hex("000968320078c710").try_into().unwrap();
        assert_eq!(key_value("55 997"), Ok(55997));
        assert_eq!(key_value("3  3  64  98"), Ok(56083));
        assert_eq!(
            challenge_response("55 997", "3  3  64  98", &key3)
                .unwrap()
                .to_vec(),
            hex("c415c2c8295c948a95b94dec5b1d33ce")
        );
        // faye.
        let key3: [u8; 8] = hex("91253ed3a9e76a88").try_into().unwrap();
        let (k1, k2) = ("1   38 wZ3f9 23O0 3l 0r", "27   0E 6 2  1665:< ;U 1H");
        assert_eq!(key_value(k1), Ok(197703290));
        assert_eq!(key_value(k2), Ok(300690739));
        assert_eq!(
            challenge_response(k1, k2, &key3).unwrap().to_vec(),
            hex("b49c6e4053040426e51bbf6cb79f1df9")
        );
        // vti's "numbers given directly", through keys built to have those values.
        let key3: [u8; 8] = hex("4730222d5a3f4758").try_into().unwrap();
        assert_eq!(
            &challenge_from_parts(777007543, 114997259, &key3),
            b"0st3Rl&q-2ZU^weu"
        );
        let k1 = "7770 07543"; // 777007543 / 1
        let k2 = "2 29x99 4518"; // 229994518 / 2 = 114997259
        assert_eq!(
            &challenge_response(k1, k2, &key3).unwrap(),
            b"0st3Rl&q-2ZU^weu"
        );
    }

    #[test]
    fn unusable_keys_are_refused() {
        assert_eq!(key_value("12345"), Err(HixieKeyError::NoSpaces));
        assert_eq!(key_value(""), Err(HixieKeyError::NoSpaces));
        assert_eq!(key_value("a b c"), Err(HixieKeyError::NoDigits));
        assert_eq!(key_value("1 0 1"), Err(HixieKeyError::NotDivisible));
        assert_eq!(key_value("4294967295 "), Ok(u32::MAX));
        assert_eq!(key_value("4294967296 "), Err(HixieKeyError::TooLarge));
        assert_eq!(key_value("8589934590  "), Err(HixieKeyError::TooLarge));
        assert_eq!(
            key_value(&format!("{} ", "9".repeat(10_000))),
            Err(HixieKeyError::TooLarge)
        );
        assert_eq!(key_value("000 0"), Ok(0));
        assert_eq!(key_value("00012 "), Ok(12));
        assert!(challenge_response("1 ", "12345", b"12345678").is_err());
    }

    #[test]
    fn generated_keys_round_trip() {
        for seed in 0..2000u64 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let (key, value) = generate_key(&mut rng);
            assert_eq!(key_value(&key), Ok(value), "{key:?}");
            assert!(!key.starts_with(' ') && !key.ends_with(' '), "{key:?}");
            let spaces = key.bytes().filter(|&b| b == b' ').count();
            assert!((1..=12).contains(&spaces), "{key:?}");
            let fillers = key
                .bytes()
                .filter(|b| !b.is_ascii_digit() && *b != b' ')
                .count();
            assert!((1..=12).contains(&fillers), "{key:?}");
            assert!(key.bytes().all(|b| (0x20..0x7F).contains(&b)), "{key:?}");
        }
    }

    /// Feed `stream` in pieces of `n` and collect the frames.
    fn collect(stream: &[u8], n: usize, max: usize) -> Result<Vec<HixieFrame>, HixieFrameError> {
        let mut d = HixieDeframer::new(max);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for chunk in stream.chunks(n.max(1)) {
            buf.extend_from_slice(chunk);
            while let Some((frame, used)) = d.next(&buf)? {
                out.push(frame);
                buf.drain(..used);
            }
        }
        assert!(buf.is_empty(), "left over {buf:?}");
        Ok(out)
    }

    #[test]
    fn every_split_point_gives_the_same_frames() {
        let mut stream = Vec::new();
        encode_text(b"Hello", &mut stream);
        encode_text(b"", &mut stream);
        encode_binary(0x80, &[7; 300], &mut stream);
        stream.extend_from_slice(b"\x05junk\xff");
        encode_text("κόσμε".as_bytes(), &mut stream);
        encode_close(&mut stream);
        let expected = vec![
            HixieFrame::Text(b"Hello".to_vec()),
            HixieFrame::Text(Vec::new()),
            HixieFrame::Binary {
                frame_type: 0x80,
                data: vec![7; 300],
            },
            HixieFrame::Text(b"junk".to_vec()),
            HixieFrame::Text("κόσμε".as_bytes().to_vec()),
            HixieFrame::Close,
        ];
        for n in 1..=stream.len() {
            assert_eq!(collect(&stream, n, 1000), Ok(expected.clone()), "{n}");
        }
        // Two-piece splits at every point, fed to one deframer.
        for split in 0..=stream.len() {
            let mut d = HixieDeframer::new(1000);
            let mut buf = stream[..split].to_vec();
            let mut out = Vec::new();
            while let Some((f, used)) = d.next(&buf).unwrap() {
                out.push(f);
                buf.drain(..used);
            }
            buf.extend_from_slice(&stream[split..]);
            while let Some((f, used)) = d.next(&buf).unwrap() {
                out.push(f);
                buf.drain(..used);
            }
            assert_eq!(out, expected, "split at {split}");
        }
    }

    #[test]
    fn frame_type_is_reported() {
        let mut d = HixieDeframer::new(10);
        assert_eq!(
            d.next_typed(b"\x7fab\xff").unwrap(),
            Some((0x7f, HixieFrame::Text(b"ab".to_vec()), 4))
        );
        assert_eq!(
            d.next_typed(b"\xfe\x01z").unwrap(),
            Some((
                0xfe,
                HixieFrame::Binary {
                    frame_type: 0xfe,
                    data: b"z".to_vec()
                },
                3
            ))
        );
    }

    #[test]
    fn huge_text_frame_in_pieces_is_scanned_once() {
        let payload: Vec<u8> = (0..1usize << 20).map(|i| (i % 255) as u8).collect();
        let mut stream = Vec::new();
        encode_text(&payload, &mut stream);
        let mut d = HixieDeframer::new(1 << 20);
        let mut buf = Vec::new();
        let mut got = None;
        for chunk in stream.chunks(64 * 1024) {
            buf.extend_from_slice(chunk);
            assert!(got.is_none());
            got = d.next(&buf).unwrap();
            // The remembered position is the whole buffer, so the next call scans only new octets.
            if got.is_none() {
                assert_eq!(d.scanned, buf.len());
            }
        }
        assert_eq!(got, Some((HixieFrame::Text(payload), stream.len())));
        assert_eq!(d.scanned, 0);
    }

    #[test]
    fn length_prefixes_use_big_endian_7_bit_groups() {
        for (len, prefix) in [
            (0usize, &[0x00][..]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (128, &[0x81, 0x00]),
            (300, &[0x82, 0x2c]),
            (16383, &[0xff, 0x7f]),
            (16384, &[0x81, 0x80, 0x00]),
        ] {
            let mut out = Vec::new();
            encode_binary(0x80, &vec![1; len], &mut out);
            assert_eq!(&out[1..1 + prefix.len()], prefix, "{len}");
            assert_eq!(out.len(), 1 + prefix.len() + len);
            let mut d = HixieDeframer::new(1 << 20);
            assert_eq!(
                d.next(&out).unwrap(),
                Some((
                    HixieFrame::Binary {
                        frame_type: 0x80,
                        data: vec![1; len]
                    },
                    out.len()
                ))
            );
        }
    }

    #[test]
    fn close_frames() {
        let mut out = Vec::new();
        encode_close(&mut out);
        assert_eq!(out, [0xff, 0x00]);
        let mut d = HixieDeframer::new(10);
        assert_eq!(d.next(b"\xff").unwrap(), None);
        assert_eq!(
            d.next(b"\xff\x00rest").unwrap(),
            Some((HixieFrame::Close, 2))
        );
        // The draft reads the length first, so a long-form zero length is a close too.
        assert_eq!(
            d.next(b"\xff\x80\x00").unwrap(),
            Some((HixieFrame::Close, 3))
        );
        assert_eq!(
            d.next(b"\xff\x01x").unwrap(),
            Some((
                HixieFrame::Binary {
                    frame_type: 0xff,
                    data: b"x".to_vec()
                },
                3
            ))
        );
    }

    #[test]
    fn bounds() {
        let mut d = HixieDeframer::new(4);
        assert_eq!(d.next(b"\x00abcd\xff").unwrap().map(|f| f.1), Some(6));
        assert_eq!(d.next(b"\x00abcd"), Ok(None));
        assert_eq!(d.next(b"\x00abcde"), Err(HixieFrameError::TooLong(5)));
        let mut d = HixieDeframer::new(4);
        assert_eq!(d.next(b"\x00abcde\xff"), Err(HixieFrameError::TooLong(5)));
        assert_eq!(d.next(b"\x80\x05"), Err(HixieFrameError::TooLong(5)));
        assert_eq!(d.next(b"\x80\x04"), Ok(None));
        // Runs of 0x80 add nothing to the length but must not be read forever.
        assert_eq!(d.next(&[0x80; 11]), Err(HixieFrameError::TooLong(10)));
        assert_eq!(d.next(&[0x80; 10]), Ok(None));
        let mut over = vec![0x80];
        over.extend_from_slice(&[0xff; 9]);
        over.push(0x7f);
        let mut d = HixieDeframer::new(usize::MAX);
        assert_eq!(d.next(&over[..10]), Ok(None));
        assert_eq!(d.next(&over), Err(HixieFrameError::LengthOverflow));
        let mut ten = vec![0x80, 0x82];
        ten.extend_from_slice(&[0x80; 8]);
        ten.push(0x00);
        assert_eq!(d.next(&ten), Err(HixieFrameError::LengthOverflow));
        assert_eq!(d.next(b""), Ok(None));
    }
}
