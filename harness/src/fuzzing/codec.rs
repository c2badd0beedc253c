//! Targets over the RFC 6455 codecs: frame headers, the streaming deframer, masking,
//! incremental UTF-8 and close payloads.

use arbitrary::{Arbitrary, Unstructured};
use wsspec_cases::LengthForm;

use super::{byte_string, pieces};
use crate::codec::close::{is_valid_close_code, parse_close_payload, CloseBody};
use crate::codec::frame::{encode_header, FrameHeader, MAX_HEADER_LEN};
use crate::codec::mask::{apply_mask, apply_mask_bytewise};
use crate::codec::{Deframer, Piece, Utf8Validator, Violation};

/// The length encoding a fuzzer asks the encoder for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum FormSpec {
    /// `LengthForm::Minimal`.
    Minimal,
    /// `LengthForm::Extended16`.
    Extended16,
    /// `LengthForm::Extended64`.
    Extended64,
}

impl FormSpec {
    /// From a selector octet (`% 3`).
    pub fn from_octet(b: u8) -> Self {
        match b % 3 {
            0 => FormSpec::Minimal,
            1 => FormSpec::Extended16,
            _ => FormSpec::Extended64,
        }
    }

    fn form(self) -> LengthForm {
        match self {
            FormSpec::Minimal => LengthForm::Minimal,
            FormSpec::Extended16 => LengthForm::Extended16,
            FormSpec::Extended64 => LengthForm::Extended64,
        }
    }
}

/// A frame header as the fuzzer builds it (field order = input layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub struct HeaderSpec {
    /// FIN bit.
    pub fin: bool,
    /// RSV bits (only the low 3 are encoded).
    pub rsv: u8,
    /// Opcode (only the low nibble is encoded).
    pub opcode: u8,
    /// Masking key.
    pub mask: Option<[u8; 4]>,
    /// Payload length.
    pub len: u64,
    /// Requested length encoding.
    pub form: FormSpec,
}

/// The minimal length encoding of RFC 6455 §5.2.
fn natural_form(len: u64) -> LengthForm {
    match len {
        0..=125 => LengthForm::Minimal,
        126..=0xffff => LengthForm::Extended16,
        _ => LengthForm::Extended64,
    }
}

/// The encoding `encode_header` documents for a requested form: the requested one unless
/// the length does not fit it.
fn effective_form(requested: LengthForm, len: u64) -> LengthForm {
    match requested {
        LengthForm::Minimal => natural_form(len),
        LengthForm::Extended16 if len > 0xffff => LengthForm::Extended64,
        other => other,
    }
}

fn header_octets(form: LengthForm, masked: bool) -> usize {
    let ext = match form {
        LengthForm::Minimal => 0,
        LengthForm::Extended16 => 2,
        LengthForm::Extended64 => 8,
    };
    2 + ext + if masked { 4 } else { 0 }
}

fn encode_parsed(h: &FrameHeader, form: LengthForm) -> Vec<u8> {
    let mut out = Vec::new();
    encode_header(&mut out, h.fin, h.rsv, h.opcode, h.mask, h.len, form);
    out
}

/// Oracle: a parsed header re-encodes to the same octets (in its own length form, and in
/// the minimal form exactly when it was minimal); it needs exactly `header_len` octets;
/// `None` only means "too short". Then the same input as an `Arbitrary` [`HeaderSpec`]:
/// encode → parse → the same fields.
pub fn frame_header(data: &[u8]) {
    match FrameHeader::parse(data) {
        Some(h) => {
            assert!(h.header_len <= data.len() && h.header_len <= MAX_HEADER_LEN);
            let raw = &data[..h.header_len];
            assert_eq!(
                FrameHeader::parse(raw),
                Some(h),
                "parse reads past the header"
            );
            for short in 0..h.header_len {
                assert_eq!(
                    FrameHeader::parse(&data[..short]),
                    None,
                    "header complete early"
                );
            }
            assert_eq!(
                encode_parsed(&h, h.length_form),
                raw,
                "decode → encode differs"
            );
            let minimal_bytes = encode_parsed(&h, LengthForm::Minimal) == raw;
            assert_eq!(h.minimal_length, minimal_bytes, "minimal_length is wrong");
            assert_eq!(h.minimal_length, natural_form(h.len) == h.length_form);
            assert_eq!(h.is_control(), h.opcode >= 8);
            assert!(h.rsv <= 7 && h.opcode <= 15);
        }
        None => {
            assert!(
                data.len() < MAX_HEADER_LEN,
                "no header in {} octets",
                data.len()
            );
            let mut padded = data.to_vec();
            padded.resize(MAX_HEADER_LEN, 0);
            assert!(
                FrameHeader::parse(&padded).is_some(),
                "None for a complete header"
            );
        }
    }

    let Ok(spec) = Unstructured::new(data).arbitrary::<HeaderSpec>() else {
        return;
    };
    let mut out = Vec::new();
    encode_header(
        &mut out,
        spec.fin,
        spec.rsv,
        spec.opcode,
        spec.mask,
        spec.len,
        spec.form.form(),
    );
    let form = effective_form(spec.form.form(), spec.len);
    assert_eq!(out.len(), header_octets(form, spec.mask.is_some()));
    let want = FrameHeader {
        fin: spec.fin,
        rsv: spec.rsv & 7,
        opcode: spec.opcode & 0x0f,
        mask: spec.mask,
        len: spec.len,
        length_form: form,
        minimal_length: form == natural_form(spec.len),
        header_len: out.len(),
    };
    assert_eq!(
        FrameHeader::parse(&out),
        Some(want),
        "encode → parse differs"
    );
}

/// One frame as [`frame_roundtrip`] reads it: first octet (FIN, RSV, opcode), mask,
/// length-form selector, payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameInput {
    /// FIN bit, RSV bits and opcode as the first header octet carries them.
    pub b0: u8,
    /// Masking key.
    pub mask: Option<[u8; 4]>,
    /// Length form selector (`% 3`: minimal, 16-bit, 64-bit).
    pub form: u8,
    /// Unmasked payload.
    pub payload: Vec<u8>,
}

/// Most frames one `frame_roundtrip` input makes.
pub const MAX_FRAMES: usize = 16;

impl FrameInput {
    /// Read one frame from `u`.
    pub fn read(u: &mut Unstructured<'_>) -> FrameInput {
        FrameInput {
            b0: u.arbitrary().unwrap_or(0),
            mask: u.arbitrary().unwrap_or(None),
            form: u.arbitrary().unwrap_or(0),
            payload: byte_string(u).to_vec(),
        }
    }

    /// The frame on the wire, masked with the byte-at-a-time reference.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let len = self.payload.len() as u64;
        let form = FormSpec::from_octet(self.form).form();
        encode_header(
            out,
            self.b0 & 0x80 != 0,
            (self.b0 >> 4) & 7,
            self.b0 & 0x0f,
            self.mask,
            len,
            form,
        );
        let start = out.len();
        out.extend_from_slice(&self.payload);
        if let Some(key) = self.mask {
            apply_mask_bytewise(&mut out[start..], key, 0);
        }
    }
}

/// A frame as the deframer delivered it: header, unmasked payload, whether it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Deframed {
    header: FrameHeader,
    payload: Vec<u8>,
    complete: bool,
}

/// Feed `stream` to a fresh [`Deframer`] in the pieces `schedule` gives, checking every
/// step; returns the frames and the octets consumed.
fn deframe(stream: &[u8], schedule: &[u8]) -> (Vec<Deframed>, usize) {
    let mut d = Deframer::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut frames: Vec<Deframed> = Vec::new();
    let mut consumed = 0usize;
    let mut steps = 0usize;
    for piece in pieces(stream, schedule) {
        buf.extend_from_slice(piece);
        loop {
            steps += 1;
            assert!(
                steps <= 4 * stream.len() + 16,
                "the deframer makes no progress"
            );
            let available = buf.len();
            let (used, got) = d.next(&mut buf);
            assert!(used <= available, "consumed {used} of {available} octets");
            match got {
                None => {
                    assert_eq!(used, 0, "consumed octets without a piece");
                    break;
                }
                Some(Piece::Header(h)) => {
                    assert_eq!(used, h.header_len);
                    assert_eq!(
                        FrameHeader::parse(&stream[consumed..]),
                        Some(h),
                        "header differs from the octets it came from"
                    );
                    assert!(
                        frames.last().map_or(true, |f| f.complete),
                        "a header before the previous frame ended"
                    );
                    frames.push(Deframed {
                        header: h,
                        payload: Vec::new(),
                        complete: false,
                    });
                }
                Some(Piece::Payload { data, last }) => {
                    assert_eq!(data.len(), used);
                    assert!(
                        used > 0 || last,
                        "an empty piece that does not end the frame"
                    );
                    let Some(frame) = frames.last_mut() else {
                        panic!("a payload piece before any header");
                    };
                    assert!(!frame.complete, "payload after the frame ended");
                    frame.payload.extend_from_slice(data);
                    let len = frame.payload.len() as u64;
                    assert!(len <= frame.header.len, "more payload than announced");
                    assert_eq!(last, len == frame.header.len, "`last` is wrong");
                    frame.complete = last;
                }
            }
            buf.drain(..used);
            consumed += used;
        }
    }
    let open = frames.last().is_some_and(|f| !f.complete);
    assert_eq!(
        d.current().is_some(),
        open,
        "current() disagrees with the pieces"
    );
    (frames, consumed)
}

/// Oracle: `Arbitrary` frames → encode → deframe (one read) → the same headers (every
/// field, the length form included) and payloads, every octet consumed.
pub fn frame_roundtrip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut frames = Vec::new();
    while !u.is_empty() && frames.len() < MAX_FRAMES {
        frames.push(FrameInput::read(&mut u));
    }
    let mut stream = Vec::new();
    for f in &frames {
        f.encode(&mut stream);
    }
    let (got, consumed) = deframe(&stream, &[]);
    assert_eq!(consumed, stream.len(), "octets left over");
    assert_eq!(got.len(), frames.len(), "frame count differs");
    for (f, g) in frames.iter().zip(&got) {
        let len = f.payload.len() as u64;
        let form = effective_form(FormSpec::from_octet(f.form).form(), len);
        let h = g.header;
        assert_eq!(
            (h.fin, h.rsv, h.opcode, h.mask, h.len),
            (f.b0 & 0x80 != 0, (f.b0 >> 4) & 7, f.b0 & 0x0f, f.mask, len)
        );
        assert_eq!(h.length_form, form);
        assert_eq!(h.minimal_length, form == natural_form(len));
        assert_eq!(h.header_len, header_octets(form, f.mask.is_some()));
        assert!(g.complete);
        assert_eq!(g.payload, f.payload, "payload differs");
    }
}

/// Oracle: the same octets fed to the deframer in fuzzer-chosen pieces give the same
/// frames as one read, and the frames re-encode (header in its own form, payload
/// re-masked) to exactly the octets consumed. Input: schedule (byte string), then the
/// stream.
pub fn deframer_chunking(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let schedule = byte_string(&mut u);
    let stream = u.take_rest();
    let (whole, consumed) = deframe(stream, &[]);
    let (chunked, consumed_chunked) = deframe(stream, schedule);
    assert_eq!(whole, chunked, "chunking changed the frames");
    assert_eq!(consumed, consumed_chunked);
    let mut again = Vec::new();
    for f in &whole {
        let h = f.header;
        encode_header(
            &mut again,
            h.fin,
            h.rsv,
            h.opcode,
            h.mask,
            h.len,
            h.length_form,
        );
        let start = again.len();
        again.extend_from_slice(&f.payload);
        if let Some(key) = h.mask {
            apply_mask_bytewise(&mut again[start..], key, 0);
        }
    }
    assert_eq!(again, &stream[..consumed], "decode → encode differs");
}

/// Where a prefix stands: valid, a valid prefix of something longer, or never valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    Valid,
    Incomplete,
    Invalid,
}

fn prefix_state(bytes: &[u8]) -> Prefix {
    match std::str::from_utf8(bytes) {
        Ok(_) => Prefix::Valid,
        Err(e) if e.error_len().is_none() => Prefix::Incomplete,
        Err(_) => Prefix::Invalid,
    }
}

/// Longest text checked at every split point (longer ones at 257 spread points).
const EVERY_SPLIT_UP_TO: usize = 256;

/// Oracle: [`Utf8Validator`] against `std::str::from_utf8`: the same verdict with the text
/// split in two at every point, and, fed in fuzzer-chosen pieces, it fails exactly at the
/// first piece after which the text can no longer become valid (fail-fast, never early),
/// `is_complete` exactly when the text so far is valid. Input: schedule, then the text.
pub fn utf8_incremental(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let schedule = byte_string(&mut u);
    let text = u.take_rest();
    let valid = std::str::from_utf8(text).is_ok();
    let n = text.len();
    let step = (n / EVERY_SPLIT_UP_TO).max(1);
    for split in (0..=n).step_by(step).chain([n]) {
        let mut v = Utf8Validator::new();
        let got = v
            .feed(&text[..split])
            .and_then(|()| v.feed(&text[split..]))
            .and_then(|()| v.finish());
        assert_eq!(got.is_ok(), valid, "split at {split}");
    }
    let mut v = Utf8Validator::new();
    let mut fed = 0;
    for piece in pieces(text, schedule) {
        fed += piece.len();
        let state = prefix_state(&text[..fed]);
        match v.feed(piece) {
            Err(_) => {
                assert_eq!(state, Prefix::Invalid, "failed at {fed} on a valid prefix");
                assert!(!valid);
                return;
            }
            Ok(()) => {
                assert_ne!(state, Prefix::Invalid, "not failed fast by octet {fed}");
                assert_eq!(
                    v.is_complete(),
                    state == Prefix::Valid,
                    "is_complete at {fed}"
                );
            }
        }
    }
    assert_eq!(v.finish().is_ok(), valid);
    assert!(v.is_complete(), "finish leaves state behind");
}

/// Oracle: [`apply_mask`] (a word at a time) equals [`apply_mask_bytewise`] and an
/// independent formula at every key rotation (offsets 0..8 and a fuzzer-chosen 64-bit one),
/// at every start alignment, in two pieces, and masking twice restores the input.
/// Input: key (4), offset (u64), split (u16), payload.
pub fn unmask(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let key: [u8; 4] = u.arbitrary().unwrap_or_default();
    let far: u64 = u.arbitrary().unwrap_or(0);
    let split: u16 = u.arbitrary().unwrap_or(0);
    let payload = u.take_rest();
    let far = usize::try_from(far).unwrap_or(usize::MAX);
    let reference = |offset: usize, bytes: &[u8]| -> Vec<u8> {
        bytes
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ key[(offset % 4 + i % 4) % 4])
            .collect()
    };
    for offset in (0..8).chain([far]) {
        let want = reference(offset, payload);
        let mut fast = payload.to_vec();
        apply_mask(&mut fast, key, offset);
        assert_eq!(fast, want, "word path, offset {offset}");
        let mut slow = payload.to_vec();
        apply_mask_bytewise(&mut slow, key, offset);
        assert_eq!(slow, want, "bytewise, offset {offset}");
        apply_mask(&mut fast, key, offset);
        assert_eq!(fast, payload, "masking twice, offset {offset}");
    }
    // Every start alignment of the word loop: mask a sub-slice starting at `start`.
    let want = reference(0, payload);
    for start in 0..8.min(payload.len()) {
        let mut buf = payload.to_vec();
        apply_mask(&mut buf[start..], key, start);
        assert_eq!(&buf[start..], &want[start..], "start {start}");
    }
    let at = usize::from(split) % (payload.len() + 1);
    let mut buf = payload.to_vec();
    let (a, b) = buf.split_at_mut(at);
    apply_mask(a, key, far);
    apply_mask(b, key, far.wrapping_add(at));
    // `far + at` wraps only past usize::MAX, where the offsets' residues no longer line up.
    if far.checked_add(at).is_some() {
        assert_eq!(buf, reference(far, payload), "two pieces split at {at}");
    }
}

/// RFC 6455 §7.4 read independently of `is_valid_close_code`: which codes a close frame may
/// carry.
fn rfc_close_code(code: u16) -> bool {
    match code {
        // §7.4.1: defined, and sendable.
        1000 | 1001 | 1002 | 1003 | 1007 | 1008 | 1009 | 1010 | 1011 => true,
        // Registered with IANA since (Service Restart, Try Again Later, Bad Gateway).
        1012..=1014 => true,
        // §7.4.2: 3000-3999 registered for libraries, 4000-4999 private use.
        3000..=4999 => true,
        // 0-999 unused, 1004-1006 and 1015 reserved, 1016-2999 for the protocol.
        _ => false,
    }
}

/// Oracle: [`parse_close_payload`] accepts exactly the empty payload and a valid code (by
/// an independent reading of RFC 6455 §7.4, which also checks
/// [`is_valid_close_code`]) followed by UTF-8, with the matching error otherwise; an
/// accepted payload re-encodes to the same octets.
pub fn close_payload(data: &[u8]) {
    let got = parse_close_payload(data);
    let expected = match data {
        [] => Ok(CloseBody::default()),
        [_] => Err(Violation::OneOctetClosePayload),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            assert_eq!(
                is_valid_close_code(code),
                rfc_close_code(code),
                "code {code}"
            );
            if !rfc_close_code(code) {
                Err(Violation::InvalidCloseCode(code))
            } else {
                match std::str::from_utf8(reason) {
                    Err(_) => Err(Violation::InvalidCloseReason),
                    Ok(r) => Ok(CloseBody {
                        code: Some(code),
                        reason: (!r.is_empty()).then(|| r.to_string()),
                    }),
                }
            }
        }
    };
    assert_eq!(got, expected);
    if let Ok(body) = got {
        let mut again = Vec::new();
        if let Some(code) = body.code {
            again.extend_from_slice(&code.to_be_bytes());
        }
        again.extend_from_slice(body.reason.unwrap_or_default().as_bytes());
        assert_eq!(again, data, "parse → encode differs");
    }
}
