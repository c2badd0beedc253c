//! Targets over the hixie-75/76 codecs: the frame reader and the hixie-76 keys.

use arbitrary::Unstructured;
use md5::{Digest, Md5};
use rand::SeedableRng;

use super::{byte_string, pieces};
use crate::codec::hixie::{
    challenge_from_parts, challenge_response, encode_binary, encode_close, encode_text,
    generate_key, key_value, HixieDeframer, HixieFrame, HixieFrameError, HixieKeyError,
};

/// How reading a stream ended: more input needed (octets left), or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
enum End {
    Pending(usize),
    Failed(HixieFrameError),
}

/// Read `stream` in the pieces `schedule` gives, as the deframer's contract says (the same
/// front of the stream each call, octets only appended), checking every frame.
fn read_frames(stream: &[u8], schedule: &[u8], max: usize) -> (Vec<(u8, HixieFrame)>, End) {
    let mut d = HixieDeframer::new(max);
    let mut buf: Vec<u8> = Vec::new();
    let mut frames = Vec::new();
    for piece in pieces(stream, schedule) {
        buf.extend_from_slice(piece);
        loop {
            match d.next_typed(&buf) {
                Err(e) => return (frames, End::Failed(e)),
                Ok(None) => break,
                Ok(Some((t, frame, used))) => {
                    assert!(
                        used > 0 && used <= buf.len(),
                        "used {used} of {}",
                        buf.len()
                    );
                    assert_eq!(Some(&t), buf.first(), "frame type is not the first octet");
                    match &frame {
                        HixieFrame::Text(p) => {
                            assert!(t < 0x80 && p.len() <= max, "text frame over the bound");
                            assert!(!p.contains(&0xFF), "text payload holds the sentinel");
                            assert_eq!(used, p.len() + 2);
                        }
                        HixieFrame::Binary { frame_type, data } => {
                            assert!(t >= 0x80 && *frame_type == t && data.len() <= max);
                            assert!(!(t == 0xFF && data.is_empty()), "a close read as binary");
                        }
                        HixieFrame::Close => assert_eq!(t, 0xFF),
                    }
                    frames.push((t, frame));
                    buf.drain(..used);
                }
            }
        }
    }
    (frames, End::Pending(buf.len()))
}

/// The octets of a frame, with its own type octet.
fn encode(t: u8, frame: &HixieFrame) -> Vec<u8> {
    let mut out = Vec::new();
    match frame {
        HixieFrame::Text(p) if t == 0 => encode_text(p, &mut out),
        HixieFrame::Text(p) => {
            out.push(t);
            out.extend_from_slice(p);
            out.push(0xFF);
        }
        HixieFrame::Binary { frame_type, data } => encode_binary(*frame_type, data, &mut out),
        HixieFrame::Close => encode_close(&mut out),
    }
    out
}

/// Oracle: [`HixieDeframer`] is chunking-invariant (fuzzer-chosen pieces give the same
/// frames and the same error or leftover as one read), bounded (no payload over the limit,
/// sentinel-free text), every frame re-encodes and reads back alone as itself, and text and
/// length-prefixed frames built from the input round-trip. Input: limit (u16), schedule,
/// then the stream.
pub fn hixie_frames(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let max = usize::from(u.arbitrary::<u16>().unwrap_or(0));
    let schedule = byte_string(&mut u);
    let stream = u.take_rest();
    let whole = read_frames(stream, &[], max);
    let chunked = read_frames(stream, schedule, max);
    assert_eq!(whole, chunked, "chunking changed the frames");
    for (t, frame) in &whole.0 {
        let octets = encode(*t, frame);
        let again = HixieDeframer::new(max).next_typed(&octets);
        assert_eq!(
            again,
            Ok(Some((*t, frame.clone(), octets.len()))),
            "re-encoded frame"
        );
    }
    // Encode → decode of frames made from the input.
    let text: Vec<u8> = stream.iter().copied().filter(|&b| b != 0xFF).collect();
    let mut out = Vec::new();
    encode_text(&text, &mut out);
    let got = HixieDeframer::new(text.len()).next(&out);
    assert_eq!(got, Ok(Some((HixieFrame::Text(text), out.len()))));
    let t = schedule.first().copied().unwrap_or(0x80) | 0x80;
    let mut out = Vec::new();
    encode_binary(t, stream, &mut out);
    let want = if t == 0xFF && stream.is_empty() {
        HixieFrame::Close
    } else {
        HixieFrame::Binary {
            frame_type: t,
            data: stream.to_vec(),
        }
    };
    let got = HixieDeframer::new(stream.len()).next(&out);
    assert_eq!(got, Ok(Some((want, out.len()))));
    if stream.len() > 1 {
        let too_small = HixieDeframer::new(stream.len() - 1).next(&out);
        assert!(
            matches!(too_small, Err(HixieFrameError::TooLong(n)) if n == stream.len()),
            "{too_small:?}"
        );
    }
}

/// draft-hixie-thewebsocketprotocol-76 §5.2 step 4 read independently of `key_value`: the
/// digits as one decimal number (kept as text, so no length overflows), divided by the
/// number of U+0020 spaces; wsspec's additional refusals (no digit, beyond 32 bits) in the
/// same order.
fn draft_key_value(key: &str) -> Result<u32, HixieKeyError> {
    let digits: String = key.chars().filter(char::is_ascii_digit).collect();
    let spaces = key.chars().filter(|&c| c == '\u{20}').count() as u128;
    if spaces == 0 {
        return Err(HixieKeyError::NoSpaces);
    }
    if digits.is_empty() {
        return Err(HixieKeyError::NoDigits);
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 10 {
        return Err(HixieKeyError::TooLarge);
    }
    let number: u128 = if significant.is_empty() {
        0
    } else {
        significant.parse().unwrap_or(u128::MAX)
    };
    if number > u128::from(u32::MAX) {
        return Err(HixieKeyError::TooLarge);
    }
    if number % spaces != 0 {
        return Err(HixieKeyError::NotDivisible);
    }
    u32::try_from(number / spaces).map_err(|_| HixieKeyError::TooLarge)
}

/// Oracle: `key_value` and `challenge_response` against an independent reading of the
/// draft (and MD5 computed here), and keys from `generate_key` (seeded by the input) give
/// back their value. Input: key3 (8), rng seed (u64), key1 (byte string), key2 (rest).
pub fn hixie76_key(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let key3: [u8; 8] = u.arbitrary().unwrap_or_default();
    let seed: u64 = u.arbitrary().unwrap_or(0);
    let key1 = String::from_utf8_lossy(byte_string(&mut u)).into_owned();
    let key2 = String::from_utf8_lossy(u.take_rest()).into_owned();
    let v1 = key_value(&key1);
    let v2 = key_value(&key2);
    assert_eq!(v1, draft_key_value(&key1), "key1 {key1:?}");
    assert_eq!(v2, draft_key_value(&key2), "key2 {key2:?}");
    let challenge = challenge_response(&key1, &key2, &key3);
    match (v1, v2) {
        (Ok(p1), Ok(p2)) => {
            let mut md5 = Md5::new();
            md5.update(p1.to_be_bytes());
            md5.update(p2.to_be_bytes());
            md5.update(key3);
            let want: [u8; 16] = md5.finalize().into();
            assert_eq!(challenge, Ok(want));
            assert_eq!(challenge_from_parts(p1, p2, &key3), want);
        }
        (Err(e), _) | (Ok(_), Err(e)) => assert_eq!(challenge, Err(e)),
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (key, value) = generate_key(&mut rng);
    assert_eq!(key_value(&key), Ok(value), "generated {key:?}");
    assert_eq!(draft_key_value(&key), Ok(value), "generated {key:?}");
    let spaces = key.bytes().filter(|&b| b == b' ').count();
    assert!((1..=12).contains(&spaces) && !key.starts_with(' ') && !key.ends_with(' '));
}
