use std::time::{Duration, Instant};

use wsspec_cases::DeflateAccept;

use super::*;

/// RFC 7692 §7.2.3.1: "Hello" as one compressed block.
const HELLO: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
/// RFC 7692 §7.2.3.2: the second "Hello" of a shared LZ77 window.
const HELLO_AGAIN: [u8; 5] = [0xf2, 0x00, 0x11, 0x00, 0x00];

/// Inflate one whole message.
fn inflate(inflater: &mut Inflater, data: &[u8]) -> Result<Vec<u8>, InflateError> {
    let mut out = Vec::new();
    inflater.write(data, u64::MAX, &mut |c: &[u8]| out.extend_from_slice(c))?;
    let len = inflater.finish(u64::MAX, &mut |c: &[u8]| out.extend_from_slice(c))?;
    assert_eq!(len, out.len() as u64);
    Ok(out)
}

/// Text that compresses, with repeats near and far.
fn sample(len: usize) -> Vec<u8> {
    let words = [
        "permessage",
        "deflate",
        "window",
        "context",
        "takeover",
        "Hello",
        "κόσμε",
    ];
    let mut out = Vec::new();
    let mut i = 0usize;
    while out.len() < len {
        out.extend_from_slice(words[(i * 7 + i / 3) % words.len()].as_bytes());
        out.push(b' ');
        i += 1;
    }
    out.truncate(len);
    out
}

/// Incompressible octets (a fixed linear congruential sequence).
fn noise(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn rfc_vectors_compress_at_the_rfc_level() {
    let mut d = Deflater::with_level(15, false, 6);
    assert_eq!(d.message(b"Hello"), HELLO);
    assert_eq!(d.message(b"Hello"), HELLO_AGAIN);
    assert_eq!(d.message(b""), [0x00]);
    let mut i = Inflater::new(15, false);
    for z in [&HELLO[..], &HELLO_AGAIN, &[0x00], &d.message(b"Hello")] {
        assert_eq!(
            inflate(&mut i, z).unwrap(),
            if z.len() > 1 { &b"Hello"[..] } else { b"" }
        );
    }
}

#[test]
fn rfc_vectors_compress_at_the_fast_level() {
    let mut fresh = Deflater::new(15, false);
    assert_eq!(fresh.message(b""), [0x00]);
    assert_eq!(fresh.message(b""), [0x00]);
    let mut d = Deflater::new(15, false);
    assert_eq!(d.message(b"Hello"), HELLO);
    // Level 1 encodes the back-reference differently from the RFC; it must still be one.
    let again = d.message(b"Hello");
    assert!(again.len() < HELLO.len(), "{again:02x?}");
    assert_eq!(d.message(b""), [0x00]);
    let mut i = Inflater::new(15, false);
    assert_eq!(inflate(&mut i, &HELLO).unwrap(), b"Hello");
    assert_eq!(inflate(&mut i, &again).unwrap(), b"Hello");
    assert_eq!(inflate(&mut i, &[0x00]).unwrap(), b"");
}

#[test]
fn no_context_takeover_resets_the_compressor_after_each_message() {
    for mut d in [Deflater::new(15, true), Deflater::with_level(15, true, 6)] {
        assert_eq!(d.message(b"Hello"), HELLO);
        assert_eq!(d.message(b"Hello"), HELLO);
        assert_eq!(d.message(b""), [0x00]);
        assert_eq!(d.message(b"Hello"), HELLO);
    }
}

#[test]
fn rfc_vectors_inflate() {
    let mut i = Inflater::new(15, false);
    assert_eq!(inflate(&mut i, &HELLO).unwrap(), b"Hello");
    assert_eq!(inflate(&mut i, &HELLO_AGAIN).unwrap(), b"Hello");
    assert_eq!(inflate(&mut i, &[0x00]).unwrap(), b"");
    assert_eq!(inflate(&mut i, &HELLO_AGAIN).unwrap(), b"Hello");
    // A stored block (§7.2.3.3) and two blocks in one message (§7.2.3.5).
    let stored = [
        0x00, 0x05, 0x00, 0xfa, 0xff, b'H', b'e', b'l', b'l', b'o', 0x00,
    ];
    assert_eq!(inflate(&mut i, &stored).unwrap(), b"Hello");
    let two = [
        0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(inflate(&mut i, &two).unwrap(), b"Hello");
    // Without context takeover the back-reference points before the window's start.
    let mut i = Inflater::new(15, true);
    assert_eq!(inflate(&mut i, &HELLO).unwrap(), b"Hello");
    assert_eq!(inflate(&mut i, &HELLO_AGAIN), Err(InflateError::Corrupt));
    assert_eq!(inflate(&mut i, &HELLO).unwrap(), b"Hello");
}

#[test]
fn bfinal_block_ends_the_stream_and_the_next_message_starts_a_new_one() {
    // "Hello" in one fixed block with BFINAL set (§7.2.3.4), with and without the empty
    // stored block header after it.
    let last = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let last_padded = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    let mut i = Inflater::new(15, false);
    assert_eq!(inflate(&mut i, &last).unwrap(), b"Hello");
    assert_eq!(inflate(&mut i, &HELLO).unwrap(), b"Hello");
    assert_eq!(inflate(&mut i, &last_padded).unwrap(), b"Hello");
    assert_eq!(inflate(&mut i, &HELLO).unwrap(), b"Hello");
    assert_eq!(inflate(&mut i, &HELLO_AGAIN).unwrap(), b"Hello");
}

#[test]
fn an_empty_compressed_payload_is_the_empty_message() {
    let mut i = Inflater::new(15, false);
    assert_eq!(inflate(&mut i, &HELLO).unwrap(), b"Hello");
    assert_eq!(inflate(&mut i, b"").unwrap(), b"");
    assert_eq!(inflate(&mut i, &HELLO_AGAIN).unwrap(), b"Hello");
}

#[test]
fn garbage_is_corrupt_and_the_inflater_recovers() {
    let mut i = Inflater::new(15, true);
    // BTYPE 11 is reserved.
    assert_eq!(inflate(&mut i, &[0xff, 0xff]), Err(InflateError::Corrupt));
    assert_eq!(inflate(&mut i, &HELLO).unwrap(), b"Hello");
    // A stored block whose NLEN is not the complement of LEN.
    assert_eq!(
        inflate(&mut i, &[0x00, 0x05, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5]),
        Err(InflateError::Corrupt)
    );
}

/// Compress `msg` in two writes split at `at`.
fn split_message(d: &mut Deflater, msg: &[u8], at: usize) -> Vec<u8> {
    let mut out = Vec::new();
    d.write(&msg[..at], &mut out);
    d.write(&msg[at..], &mut out);
    d.finish(&mut out);
    out
}

#[test]
fn chunking_does_not_change_either_direction() {
    let msg = sample(700);
    // zlib-rs level 1 (deflate_quick) does depend on how the input is split; level 2 and
    // level 0 do not. Level 1 output must inflate to the message whatever the split.
    for level in [0, 2] {
        let whole = Deflater::with_level(15, false, level).message(&msg);
        for at in 0..=msg.len() {
            let mut d = Deflater::with_level(15, false, level);
            assert_eq!(
                split_message(&mut d, &msg, at),
                whole,
                "level {level} split at {at}"
            );
        }
    }
    let whole = Deflater::new(15, false).message(&msg);
    for at in 0..=msg.len() {
        let mut d = Deflater::new(15, false);
        let mut i = Inflater::new(15, false);
        let z = split_message(&mut d, &msg, at);
        assert_eq!(inflate(&mut i, &z).unwrap(), msg, "split at {at}");
        assert_eq!(
            inflate(&mut i, &d.message(&msg)).unwrap(),
            msg,
            "second after {at}"
        );
    }
    // Octet by octet, and a second message on the same context.
    let mut d = Deflater::new(15, false);
    let mut out = Vec::new();
    for b in &msg {
        d.write(std::slice::from_ref(b), &mut out);
    }
    d.finish(&mut out);
    let second = d.message(&msg);
    assert!(
        second.len() < whole.len() / 4,
        "context takeover must pay off"
    );
    let mut i = Inflater::new(15, false);
    assert_eq!(inflate(&mut i, &out).unwrap(), msg);
    assert_eq!(inflate(&mut i, &second).unwrap(), msg);

    for at in 0..=whole.len() {
        let mut i = Inflater::new(15, false);
        let mut got = Vec::new();
        let mut sink = |c: &[u8]| got.extend_from_slice(c);
        i.write(&whole[..at], u64::MAX, &mut sink).unwrap();
        i.write(&whole[at..], u64::MAX, &mut sink).unwrap();
        assert_eq!(i.finish(u64::MAX, &mut sink), Ok(msg.len() as u64));
        assert_eq!(got, msg, "inflated split at {at}");
    }
    // Octet by octet into the inflater.
    let mut i = Inflater::new(15, false);
    let mut got = Vec::new();
    let mut sink = |c: &[u8]| got.extend_from_slice(c);
    for b in &whole {
        i.write(std::slice::from_ref(b), u64::MAX, &mut sink)
            .unwrap();
    }
    assert_eq!(i.finish(u64::MAX, &mut sink), Ok(msg.len() as u64));
    assert_eq!(got, msg);
}

#[test]
fn large_messages_round_trip_in_bounded_chunks() {
    let msg = sample(3 << 20);
    for (bits, fresh) in [(15, false), (9, true), (12, false), (8, false)] {
        let mut d = Deflater::new(bits, fresh);
        let mut i = Inflater::new(bits, fresh);
        for _ in 0..2 {
            let z = d.message(&msg);
            let mut got = Vec::with_capacity(msg.len());
            let mut largest = 0;
            let mut sink = |c: &[u8]| {
                largest = largest.max(c.len());
                got.extend_from_slice(c);
            };
            for piece in z.chunks(100_000) {
                i.write(piece, msg.len() as u64, &mut sink).unwrap();
            }
            assert_eq!(i.finish(msg.len() as u64, &mut sink), Ok(msg.len() as u64));
            assert!(largest <= 64 * 1024, "{largest}");
            assert!(got == msg, "window {bits} round trip differs");
        }
    }
}

#[test]
fn window_bits_bound_the_back_reference_distance() {
    // 1000 random octets twice: only a window of more than 1000 octets finds the repeat.
    let block = noise(1000);
    let msg = [&block[..], &block[..]].concat();
    let narrow = Deflater::new(9, false).message(&msg);
    let wide = Deflater::new(15, false).message(&msg);
    assert!(
        narrow.len() > 1900,
        "window 9 found a repeat 1000 back: {}",
        narrow.len()
    );
    assert!(
        wide.len() < 1300,
        "window 15 missed the repeat: {}",
        wide.len()
    );
    // An out-of-range request is clamped instead of reaching flate2's assertion.
    let mut i = Inflater::new(16, false);
    assert_eq!(
        inflate(&mut i, &Deflater::new(16, false).message(&msg)).unwrap(),
        msg
    );
}

#[test]
fn zlib_never_sees_a_window_outside_9_to_15() {
    for bits in 0..=u8::MAX {
        let (zlib, level) = zlib_window(std::hint::black_box(bits), 1);
        assert_eq!(zlib, bits.clamp(9, 15), "{bits}");
        assert_eq!(level, u32::from(bits >= 9), "{bits}");
        // Neither constructor may reach flate2's assertion.
        let _ = (Deflater::new(bits, false), Inflater::new(bits, true));
    }
}

/// Walk a window-8 message: stored blocks only (BTYPE 00), each octet-aligned, the last
/// one the empty block whose LEN/NLEN is the stripped tail.
fn assert_stored_only(z: &[u8]) {
    let mut at = 0;
    loop {
        let header = z[at];
        assert_eq!(header & 0x06, 0, "BTYPE of the block at {at} in {z:02x?}");
        assert_eq!(header & 0x01, 0, "BFINAL");
        if at + 1 == z.len() {
            return;
        }
        let len = usize::from(u16::from_le_bytes([z[at + 1], z[at + 2]]));
        let nlen = u16::from_le_bytes([z[at + 3], z[at + 4]]);
        assert_eq!(nlen, !(len as u16));
        at += 5 + len;
        assert!(at < z.len(), "message must end with the empty block header");
    }
}

#[test]
fn window_8_is_compressed_with_stored_blocks_only() {
    let mut d = Deflater::new(8, false);
    let mut i = Inflater::new(8, false);
    for msg in [
        sample(100),
        sample(100),
        Vec::new(),
        sample(200_000),
        b"Hello".to_vec(),
    ] {
        let z = d.message(&msg);
        assert_stored_only(&z);
        assert_eq!(inflate(&mut i, &z).unwrap(), msg);
    }
    let z = Deflater::new(8, true).message(b"Hello");
    assert_eq!(
        z,
        [0x00, 0x05, 0x00, 0xfa, 0xff, b'H', b'e', b'l', b'l', b'o', 0x00]
    );
}

#[test]
fn a_gigabyte_of_zeros_is_refused_fast_without_buffering() {
    // Unoptimised zlib-rs takes a minute for the gigabyte; a debug build makes do with less.
    let (mebibytes, allowed) = if cfg!(debug_assertions) {
        (64, Duration::from_secs(20))
    } else {
        (1024, Duration::from_secs(2))
    };
    let chunk = vec![0u8; 1 << 20];
    let mut d = Deflater::new(15, false);
    let mut bomb = Vec::new();
    for _ in 0..mebibytes {
        d.write(&chunk, &mut bomb);
    }
    d.finish(&mut bomb);
    assert!(
        bomb.len() < 16 << 20,
        "1 GiB of zeros took {} octets",
        bomb.len()
    );

    let limit: u64 = 16 << 20;
    let mut i = Inflater::new(15, false);
    let (mut seen, mut largest) = (0u64, 0usize);
    let mut sink = |c: &[u8]| {
        seen += c.len() as u64;
        largest = largest.max(c.len());
    };
    let started = Instant::now();
    let mut result = Ok(());
    for piece in bomb.chunks(64 * 1024) {
        result = i.write(piece, limit, &mut sink);
        if result.is_err() {
            break;
        }
    }
    let took = started.elapsed();
    assert_eq!(result, Err(InflateError::TooBig(limit)));
    assert!(seen <= limit, "{seen} octets reached the sink");
    assert!(largest <= 64 * 1024);
    assert!(took < allowed, "took {took:?}");
    // Refused in the very write that crossed the limit: at most a few pieces were read.
    let mut i = Inflater::new(15, false);
    let mut count = 0u64;
    assert_eq!(
        i.write(&bomb, limit, &mut |c: &[u8]| count += c.len() as u64),
        Err(InflateError::TooBig(limit))
    );
    assert_eq!(count, limit, "everything up to the limit, nothing beyond");
    // The limit itself is allowed.
    let mut i = Inflater::new(15, false);
    let z = Deflater::new(15, false).message(&vec![0u8; 1000]);
    i.write(&z, 1000, &mut |_: &[u8]| {}).unwrap();
    assert_eq!(i.finish(1000, &mut |_: &[u8]| {}), Ok(1000));
    let mut i = Inflater::new(15, false);
    assert_eq!(
        i.write(&z, 999, &mut |_: &[u8]| {})
            .and_then(|()| i.finish(999, &mut |_: &[u8]| {}).map(|_| ())),
        Err(InflateError::TooBig(999))
    );
}

// --- Sec-WebSocket-Extensions grammar -------------------------------------------------

fn item(name: &str, params: &[(&str, Option<&str>)]) -> ExtensionItem {
    ExtensionItem {
        name: name.into(),
        params: params
            .iter()
            .map(|(n, v)| (n.to_string(), v.map(str::to_owned)))
            .collect(),
    }
}

#[test]
fn parses_lists_params_whitespace_and_quoted_values() {
    assert_eq!(
        parse_extensions("permessage-deflate; client_max_window_bits, permessage-deflate"),
        Ok(vec![
            item("permessage-deflate", &[("client_max_window_bits", None)]),
            item("permessage-deflate", &[]),
        ])
    );
    assert_eq!(
        parse_extensions(" foo ;a=1 ;\tb = \"1\\0\" ,bar,  , baz;c ,"),
        Ok(vec![
            item("foo", &[("a", Some("1")), ("b", Some("10"))]),
            item("bar", &[]),
            item("baz", &[("c", None)]),
        ])
    );
}

#[test]
fn syntax_errors_are_precise() {
    use ExtensionSyntaxError::*;
    for (value, err) in [
        ("", Empty),
        (" , ,", Empty),
        ("foo;", EmptyParameter { at: 4 }),
        ("foo; ;a", EmptyParameter { at: 5 }),
        ("foo;, bar", EmptyParameter { at: 4 }),
        ("foo; =1", ExpectedParameter { at: 5 }),
        (";foo", ExpectedExtension { at: 0 }),
        ("\"foo\"", ExpectedExtension { at: 0 }),
        ("foo; a=", ExpectedValue { at: 7 }),
        ("foo; a=,", ExpectedValue { at: 7 }),
        ("foo; a=\"10", UnterminatedQuotedString { at: 7 }),
        ("foo; a=\"10\\", UnterminatedQuotedString { at: 7 }),
        ("foo; a=\"1 0\"", QuotedValueNotToken("1 0".into())),
        ("foo; a=\"\"", QuotedValueNotToken(String::new())),
        ("foo bar", UnexpectedChar { at: 4, found: 'b' }),
        ("foo; a=b=c", UnexpectedChar { at: 8, found: '=' }),
        ("foo; a=1 2", UnexpectedChar { at: 9, found: '2' }),
        ("fö", UnexpectedChar { at: 1, found: 'ö' }),
        (
            "foo; a=\"1\u{1}\"",
            UnexpectedChar {
                at: 9,
                found: '\u{1}',
            },
        ),
    ] {
        assert_eq!(parse_extensions(value), Err(err), "{value:?}");
    }
}

// --- permessage-deflate parameters ----------------------------------------------------

fn params(value: &str, side: Side) -> Result<PmdParams, PmdError> {
    let items = parse_extensions(value).expect("test values are well-formed");
    PmdParams::from_item(&items[0], side)
}

fn offer(value: &str) -> PmdParams {
    params(value, Side::Offer).expect("valid offer")
}

#[test]
fn valid_elements_and_their_rendering() {
    let full = "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; \
                client_no_context_takeover; client_max_window_bits=8";
    let p = PmdParams {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: Some(10),
        client_max_window_bits: Some(Some(8)),
    };
    assert_eq!(params(full, Side::Response), Ok(p));
    assert_eq!(p.render(), full);
    // Any order in, canonical order out; quoted values; the name in any case.
    let shuffled = "Permessage-Deflate; client_max_window_bits=\"8\"; client_no_context_takeover; \
                    server_max_window_bits=\"10\"; server_no_context_takeover";
    assert_eq!(params(shuffled, Side::Offer), Ok(p));
    assert_eq!(
        offer("permessage-deflate; client_max_window_bits").render(),
        "permessage-deflate; client_max_window_bits"
    );
    assert_eq!(offer("permessage-deflate"), PmdParams::default());
    assert_eq!(PmdParams::default().render(), "permessage-deflate");
    assert_eq!(
        offer("permessage-deflate; server_max_window_bits=\"10\"").server_max_window_bits,
        Some(10)
    );
}

#[test]
fn invalid_elements_are_refused_with_the_rule() {
    use PmdError::*;
    let invalid = |name: &str, value: &str| InvalidValue {
        name: name.into(),
        value: value.into(),
    };
    for (value, side, err) in [
        (
            "x-webkit-deflate-frame",
            Side::Offer,
            NotPermessageDeflate("x-webkit-deflate-frame".into()),
        ),
        (
            "permessage-deflate; foo",
            Side::Offer,
            UnknownParameter("foo".into()),
        ),
        (
            "permessage-deflate; Server_No_Context_Takeover",
            Side::Offer,
            UnknownParameter("Server_No_Context_Takeover".into()),
        ),
        (
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            Side::Offer,
            DuplicateParameter("server_no_context_takeover".into()),
        ),
        (
            "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
            Side::Offer,
            DuplicateParameter("client_max_window_bits".into()),
        ),
        (
            "permessage-deflate; server_max_window_bits=7",
            Side::Offer,
            invalid("server_max_window_bits", "7"),
        ),
        (
            "permessage-deflate; server_max_window_bits=16",
            Side::Response,
            invalid("server_max_window_bits", "16"),
        ),
        (
            "permessage-deflate; client_max_window_bits=09",
            Side::Offer,
            invalid("client_max_window_bits", "09"),
        ),
        (
            "permessage-deflate; client_max_window_bits=7",
            Side::Response,
            invalid("client_max_window_bits", "7"),
        ),
        (
            "permessage-deflate; client_max_window_bits=16",
            Side::Offer,
            invalid("client_max_window_bits", "16"),
        ),
        (
            "permessage-deflate; client_max_window_bits=x",
            Side::Offer,
            invalid("client_max_window_bits", "x"),
        ),
        (
            "permessage-deflate; server_max_window_bits",
            Side::Offer,
            MissingValue("server_max_window_bits".into()),
        ),
        (
            "permessage-deflate; client_max_window_bits",
            Side::Response,
            MissingValue("client_max_window_bits".into()),
        ),
        (
            "permessage-deflate; client_no_context_takeover=1",
            Side::Offer,
            UnexpectedValue("client_no_context_takeover".into()),
        ),
        (
            "permessage-deflate; server_no_context_takeover=\"x\"",
            Side::Response,
            UnexpectedValue("server_no_context_takeover".into()),
        ),
    ] {
        assert_eq!(params(value, side), Err(err), "{value}");
    }
    // Every error message names its RFC section or the extension.
    assert!(invalid("a", "b").to_string().contains("RFC 7692 §7.1.2"));
}

#[test]
fn agreed_defaults_and_directions() {
    let a = Agreed::from_response(&PmdParams::default());
    assert_eq!(
        a,
        Agreed {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    );
    let a = Agreed::from_response(&PmdParams {
        server_no_context_takeover: true,
        client_no_context_takeover: false,
        server_max_window_bits: Some(9),
        client_max_window_bits: Some(Some(12)),
    });
    assert_eq!(a.sending(true), (9, true));
    assert_eq!(a.receiving(false), (9, true));
    assert_eq!(a.sending(false), (12, false));
    assert_eq!(a.receiving(true), (12, false));
}

// --- the client's check of a response -------------------------------------------------

fn response(value: &str) -> PmdParams {
    params(value, Side::Response).expect("valid response")
}

#[test]
fn check_response_applies_each_rule() {
    use PmdError::*;
    let bare = offer("permessage-deflate");
    let named = offer("permessage-deflate; client_max_window_bits");
    let client10 = offer("permessage-deflate; client_max_window_bits=10");
    let server10 = offer("permessage-deflate; server_max_window_bits=10");
    let snct = offer("permessage-deflate; server_no_context_takeover");
    let check = |offers: &[PmdParams], r: &str| check_response(offers, &response(r));
    // §7.1.2.2: client_max_window_bits only when offered, at most the offered value.
    assert_eq!(
        check(&[bare], "permessage-deflate; client_max_window_bits=10"),
        Err(ClientWindowBitsNotOffered)
    );
    let agreed = check(&[named], "permessage-deflate; client_max_window_bits=8").unwrap();
    assert_eq!(agreed.client_max_window_bits, 8);
    assert!(check(&[client10], "permessage-deflate; client_max_window_bits=10").is_ok());
    assert_eq!(
        check(&[client10], "permessage-deflate; client_max_window_bits=11"),
        Err(WindowBitsAboveOffer {
            name: "client_max_window_bits".into(),
            offered: 10,
            got: 11
        })
    );
    assert_eq!(
        check(&[client10], "permessage-deflate")
            .unwrap()
            .client_max_window_bits,
        15
    );
    // §7.1.2.1: server_max_window_bits at most the offered value, any value if not offered.
    assert_eq!(
        check(&[server10], "permessage-deflate; server_max_window_bits=11"),
        Err(WindowBitsAboveOffer {
            name: "server_max_window_bits".into(),
            offered: 10,
            got: 11
        })
    );
    assert_eq!(
        check(&[server10], "permessage-deflate"),
        Err(ServerWindowBitsDropped { offered: 10 })
    );
    let agreed = check(&[server10], "permessage-deflate; server_max_window_bits=8").unwrap();
    assert_eq!(agreed.server_max_window_bits, 8);
    assert!(check(&[bare], "permessage-deflate; server_max_window_bits=8").is_ok());
    assert!(check(&[bare], "permessage-deflate; server_max_window_bits=15").is_ok());
    // §7.1.1.1: an offered server_no_context_takeover must be echoed; adding it is fine.
    assert_eq!(
        check(&[snct], "permessage-deflate"),
        Err(ServerNoContextTakeoverDropped)
    );
    assert!(check(&[snct], "permessage-deflate; server_no_context_takeover").is_ok());
    assert!(check(&[bare], "permessage-deflate; server_no_context_takeover").is_ok());
    // §7.1.1.2: client_no_context_takeover may always appear.
    let agreed = check(&[bare], "permessage-deflate; client_no_context_takeover").unwrap();
    assert!(agreed.client_no_context_takeover);
    // A response fits if it fits any offer; otherwise the first offer's error.
    assert!(check(&[snct, bare], "permessage-deflate").is_ok());
    assert_eq!(
        check(
            &[client10, bare],
            "permessage-deflate; client_max_window_bits=12"
        ),
        Err(WindowBitsAboveOffer {
            name: "client_max_window_bits".into(),
            offered: 10,
            got: 12
        })
    );
    assert_eq!(
        check(
            &[bare, client10],
            "permessage-deflate; client_max_window_bits=9"
        )
        .unwrap()
        .client_max_window_bits,
        9
    );
    assert_eq!(check(&[], "permessage-deflate"), Err(NotOffered));
    let no_value = PmdParams {
        client_max_window_bits: Some(None),
        ..PmdParams::default()
    };
    assert_eq!(
        check_response(&[named], &no_value),
        Err(MissingValue("client_max_window_bits".into()))
    );
}

// --- the server's answer (Autobahn's accept) ------------------------------------------

const AUTOBAHN_STYLE: &str = "permessage-deflate; client_no_context_takeover; \
                              client_max_window_bits; server_max_window_bits=9";
const CHROMIUM: &str = "permessage-deflate; client_max_window_bits";
const FIREFOX: &str = "permessage-deflate";

fn accept(no_context_takeover: bool, bits: u8) -> DeflateAccept {
    DeflateAccept {
        client_no_context_takeover: no_context_takeover,
        client_max_window_bits: (bits != 0).then_some(bits),
    }
}

/// The rendered answer to one offer header value, and whether the client's check agrees.
fn answer(value: &str, accepts: &[DeflateAccept]) -> Option<String> {
    let offers: Vec<PmdParams> = parse_extensions(value)
        .unwrap()
        .iter()
        .map(|i| PmdParams::from_item(i, Side::Offer).unwrap())
        .collect();
    let (response, agreed) = accept_offer(&offers, accepts)?;
    assert_eq!(check_response(&offers, &response), Ok(agreed), "{value}");
    Some(response.render())
}

#[test]
fn accept_offer_follows_autobahns_seven_policies() {
    let pmd = |s: &str| Some(format!("permessage-deflate{s}"));
    let table: [(&[DeflateAccept], [Option<String>; 3]); 7] = [
        (&[DeflateAccept::default()], [pmd("; server_max_window_bits=9"), pmd(""), pmd("")]),
        (
            &[accept(true, 0)],
            [
                pmd("; server_max_window_bits=9; client_no_context_takeover"),
                pmd("; client_no_context_takeover"),
                pmd("; client_no_context_takeover"),
            ],
        ),
        (
            &[accept(false, 9)],
            [
                pmd("; server_max_window_bits=9; client_max_window_bits=9"),
                pmd("; client_max_window_bits=9"),
                None,
            ],
        ),
        (
            &[accept(false, 15)],
            [
                pmd("; server_max_window_bits=9; client_max_window_bits=15"),
                pmd("; client_max_window_bits=15"),
                None,
            ],
        ),
        (
            &[accept(true, 9)],
            [
                pmd("; server_max_window_bits=9; client_no_context_takeover; client_max_window_bits=9"),
                pmd("; client_no_context_takeover; client_max_window_bits=9"),
                None,
            ],
        ),
        (
            &[accept(true, 15)],
            [
                pmd("; server_max_window_bits=9; client_no_context_takeover; client_max_window_bits=15"),
                pmd("; client_no_context_takeover; client_max_window_bits=15"),
                None,
            ],
        ),
        (
            &[accept(true, 9), accept(true, 0), accept(false, 0)],
            [
                pmd("; server_max_window_bits=9; client_no_context_takeover; client_max_window_bits=9"),
                pmd("; client_no_context_takeover; client_max_window_bits=9"),
                pmd("; client_no_context_takeover"),
            ],
        ),
    ];
    for (accepts, expected) in table {
        for (value, want) in [AUTOBAHN_STYLE, CHROMIUM, FIREFOX]
            .into_iter()
            .zip(expected)
        {
            assert_eq!(answer(value, accepts), want, "{accepts:?} to {value:?}");
        }
    }
}

#[test]
fn accept_offer_takes_the_first_fitting_offer_and_fills_in_agreed() {
    // The first offer allows only 8 client bits, so an answer of 9 fits the second.
    let offers = [
        offer("permessage-deflate; server_no_context_takeover; client_max_window_bits=8"),
        offer("permessage-deflate; client_max_window_bits=12; server_max_window_bits=10"),
    ];
    let (response, agreed) = accept_offer(&offers, &[accept(false, 9)]).unwrap();
    assert_eq!(
        response.render(),
        "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9"
    );
    assert_eq!(agreed.sending(true), (10, false));
    assert_eq!(agreed.receiving(true), (9, false));
    let (response, agreed) = accept_offer(&offers, &[accept(false, 8)]).unwrap();
    assert_eq!(
        response.render(),
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=8"
    );
    assert_eq!(agreed.sending(true), (15, true));
    assert_eq!(accept_offer(&[], &[DeflateAccept::default()]), None);
    assert_eq!(accept_offer(&offers, &[]), None);
}
