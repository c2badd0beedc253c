//! Targets over the opening handshake of every draft: head delimiting and parsing, the
//! reference server's request checks and the client's answer checks.

use arbitrary::Unstructured;
use base64::Engine as _;
use rand::SeedableRng;
use wsspec_cases::{DeflateAccept, Dialect};

use super::deflate::pmd_offer;
use super::{byte_string, pick};
use crate::codec::deflate::{self, Agreed, PmdParams, Side};
use crate::codec::hixie::{generate_key, key_value};
use crate::echo::{accept_request, check_request, negotiate_deflate, Upgrade, SERVER_NAME};
use crate::engine::opening::{check_answer, Rendered};
use crate::handshake::{self, accept_key, head_len, parse_head, HandshakeError, Head};

/// Oracle shared by both targets: `head_len` ends the head at its first empty line and
/// nowhere earlier, `parse_head` of the whole buffer stops exactly there (it gives what it
/// gives for the delimited head alone), and parsed lines hold no line ends. Returns the
/// head's length and the parse.
fn delimit(raw: &[u8]) -> Option<(usize, Result<Head, HandshakeError>)> {
    let Some(n) = head_len(raw) else {
        // Not a head yet: parsing it anyway must stay harmless.
        let _ = parse_head(raw);
        return None;
    };
    assert!(
        (2..=raw.len()).contains(&n),
        "head_len {n} of {}",
        raw.len()
    );
    let head = &raw[..n];
    assert!(
        head.ends_with(b"\n\n") || head.ends_with(b"\n\r\n"),
        "ends elsewhere"
    );
    assert_eq!(head_len(&raw[..n - 1]), None, "an earlier end exists");
    assert_eq!(head_len(head), Some(n));
    let parsed = parse_head(head);
    assert_eq!(parse_head(raw), parsed, "parse_head reads past the head");
    if let Ok(h) = &parsed {
        let lines = head.iter().filter(|&&b| b == b'\n').count();
        assert!(h.headers.len() < lines, "more headers than lines");
        assert!(!h.start_line.is_empty() && !h.start_line.contains('\n'));
        for (name, value) in &h.headers {
            assert!(!name.contains('\n') && !value.contains('\n'));
            assert_eq!((name.trim(), value.trim()), (name.as_str(), value.as_str()));
        }
    }
    Some((n, parsed))
}

/// A response the reference server writes: one complete head (body after it allowed),
/// without a bare CR (RFC 9112 §2.2: a sender MUST NOT generate one).
fn well_formed_response(text: &str) -> Head {
    let raw = text.as_bytes();
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\r' {
            assert_eq!(
                raw.get(i + 1),
                Some(&b'\n'),
                "bare CR in the response {text:?}"
            );
        }
    }
    let Some((_, Ok(head))) = delimit(raw) else {
        panic!("the server's response is not a head: {text:?}");
    };
    head
}

/// A rendered permessage-deflate response must read back as itself.
fn reads_back(params: &PmdParams, side: Side) {
    let text = params.render();
    let items = deflate::parse_extensions(&text);
    let Ok(items) = items else {
        panic!("{text:?} does not parse: {items:?}");
    };
    assert_eq!(items.len(), 1, "{text:?}");
    assert_eq!(PmdParams::from_item(&items[0], side).as_ref(), Ok(params));
}

/// The reference server's verdict on a parsed request, checked for consistency.
fn server_checks(head: &Head) {
    let deflate = negotiate_deflate(head);
    if let Some((params, agreed)) = &deflate {
        reads_back(params, Side::Response);
        assert_eq!(Agreed::from_response(params), *agreed);
        let offers = deflate::valid_offers(&head.values("Sec-WebSocket-Extensions"));
        assert!(
            deflate::check_response(&offers, params).is_ok(),
            "the server's deflate answer does not fit the offers"
        );
    }
    match accept_request(head) {
        Ok(Upgrade::Hybi { accept }) => {
            assert_eq!(check_request(head), Ok(accept.clone()));
            let key = head.header("Sec-WebSocket-Key").unwrap_or_default();
            assert_eq!(accept_key(key), accept);
            let decoded = base64::engine::general_purpose::STANDARD.decode(key);
            assert!(matches!(decoded, Ok(k) if k.len() == 16), "key {key:?}");
            assert_eq!(head.values("Host").len(), 1);
            let ext = deflate.map(|(p, _)| p.render());
            let text = handshake::switching_response(SERVER_NAME, &accept, ext.as_deref());
            let answer = well_formed_response(&text);
            // What the server answers is what a client checking that key accepts.
            if ext.is_none() {
                assert_eq!(handshake::check_response(&answer, key), Ok(()));
            }
        }
        Ok(Upgrade::Hixie76 {
            head: text,
            part1,
            part2,
        }) => {
            let part = |name| key_value(head.header(name).unwrap_or_default());
            assert_eq!(part("Sec-WebSocket-Key1"), Ok(part1));
            assert_eq!(part("Sec-WebSocket-Key2"), Ok(part2));
            let answer = well_formed_response(&text);
            assert_eq!(handshake::status(&answer).map(|s| s.0), Ok(101));
            assert!(text.ends_with("\r\n\r\n"));
        }
        Ok(Upgrade::Hixie75 { head: text }) => {
            assert!(text.starts_with(
                "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
            ));
            well_formed_response(&text);
            assert!(text.ends_with("\r\n\r\n"));
        }
        Err(rejection) => {
            assert!(matches!(rejection.status, 400 | 426), "{rejection:?}");
            let text = rejection.response();
            let answer = well_formed_response(&text);
            let body = head_len(text.as_bytes()).map_or(0, |n| text.len() - n);
            assert_eq!(answer.header("Content-Length"), Some(&*body.to_string()));
        }
    }
}

/// Alphabet of the generated names, hosts and paths.
const SAFE: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";

/// One to eight characters of [`SAFE`] from the input.
fn safe(u: &mut Unstructured<'_>) -> String {
    let raw = byte_string(u);
    let mut s: String = raw
        .iter()
        .take(8)
        .map(|&b| char::from(SAFE[usize::from(b) % SAFE.len()]))
        .collect();
    if s.is_empty() {
        s.push('x');
    }
    s
}

/// `name` in one of four casings.
fn cased(name: &str, u: &mut Unstructured<'_>) -> String {
    match pick(u, 4) {
        0 => name.to_string(),
        1 => name.to_ascii_lowercase(),
        2 => name.to_ascii_uppercase(),
        _ => name
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
    }
}

/// Optional whitespace.
fn ows(u: &mut Unstructured<'_>) -> &'static str {
    ["", " ", "\t", "  "][usize::from(pick(u, 4))]
}

/// Headers that change nothing, with values from the input.
fn extras(u: &mut Unstructured<'_>, headers: &mut Vec<(String, String)>) {
    const NAMES: &[&str] = &[
        "User-Agent",
        "Pragma",
        "Cache-Control",
        "Accept-Language",
        "Cookie",
        "X-Fuzz",
    ];
    for _ in 0..pick(u, 4) {
        let name = NAMES[usize::from(pick(u, NAMES.len() as u8))];
        let value = safe(u);
        headers.push((name.to_string(), value));
    }
}

/// Write a head: start line, the headers shuffled (from `first` on), cased and padded as
/// the input says, and the blank line.
fn write_head(
    u: &mut Unstructured<'_>,
    start: &str,
    mut headers: Vec<(String, String)>,
    first: usize,
    eol: &str,
) -> Vec<u8> {
    for i in (first + 1..headers.len()).rev() {
        let j = first + usize::from(u.arbitrary::<u8>().unwrap_or(0)) % (i + 1 - first);
        headers.swap(i, j);
    }
    let mut out = format!("{start}{eol}");
    for (i, (name, value)) in headers.iter().enumerate() {
        if i < first {
            out.push_str(&format!("{name}: {value}{eol}"));
        } else {
            let name = cased(name, u);
            let (a, b, c) = (ows(u), ows(u), ows(u));
            out.push_str(&format!("{name}:{a}{b}{value}{c}{eol}"));
        }
    }
    out.push_str(eol);
    out.into_bytes()
}

const UPGRADES: &[&str] = &["websocket", "WebSocket", "WEBSOCKET", "h2c, websocket"];
const CONNECTIONS: &[&str] = &["Upgrade", "upgrade", "keep-alive, Upgrade", "Upgrade,close"];

/// A request of a random dialect made of valid parts, and what the server must make of it.
fn valid_request(u: &mut Unstructured<'_>) -> (Vec<u8>, Upgrade, Option<PmdParams>) {
    let dialect = pick(u, 5);
    let eol = if u.arbitrary().unwrap_or(false) {
        "\r\n"
    } else {
        "\n"
    };
    let path = format!("/{}", safe(u));
    let host = format!("{}:{}", safe(u), u.arbitrary::<u16>().unwrap_or(80));
    let mut headers = vec![
        ("Host".to_string(), host),
        (
            "Upgrade".to_string(),
            UPGRADES[usize::from(pick(u, 4))].to_string(),
        ),
        (
            "Connection".to_string(),
            CONNECTIONS[usize::from(pick(u, 4))].to_string(),
        ),
    ];
    let mut offer = None;
    let mut body = Vec::new();
    let expect = match dialect {
        0..=2 => {
            let key_bytes: [u8; 16] = u.arbitrary().unwrap_or_default();
            let key = base64::engine::general_purpose::STANDARD.encode(key_bytes);
            let (version, origin) = [
                ("13", "Origin"),
                ("8", "Sec-WebSocket-Origin"),
                ("7", "Sec-WebSocket-Origin"),
            ][usize::from(dialect)];
            headers.push(("Sec-WebSocket-Key".into(), key.clone()));
            headers.push(("Sec-WebSocket-Version".into(), version.into()));
            headers.push((origin.into(), "http://example.com".into()));
            if u.arbitrary().unwrap_or(false) {
                let p = pmd_offer(u);
                headers.push(("Sec-WebSocket-Extensions".into(), p.render()));
                offer = Some(p);
            }
            Upgrade::Hybi {
                accept: accept_key(&key),
            }
        }
        3 => {
            let mut rng = rand::rngs::StdRng::seed_from_u64(u.arbitrary().unwrap_or(0));
            let (key1, part1) = generate_key(&mut rng);
            let (key2, part2) = generate_key(&mut rng);
            headers.push(("Sec-WebSocket-Key1".into(), key1));
            headers.push(("Sec-WebSocket-Key2".into(), key2));
            headers.push(("Origin".into(), "http://example.com".into()));
            body = u.arbitrary::<[u8; 8]>().unwrap_or_default().to_vec();
            Upgrade::Hixie76 {
                head: String::new(),
                part1,
                part2,
            }
        }
        _ => Upgrade::Hixie75 {
            head: String::new(),
        },
    };
    extras(u, &mut headers);
    let mut raw = write_head(u, &format!("GET {path} HTTP/1.1"), headers, 0, eol);
    let head_end = raw.len();
    raw.extend_from_slice(&body);
    assert_eq!(head_len(&raw), Some(head_end), "the head ends elsewhere");
    (raw, expect, offer)
}

/// Oracle: the raw input as a request head (delimiting, parsing, and the reference
/// server's checks: consistent verdicts, well-formed responses the client side accepts,
/// deflate answers that fit the offers); then a request of any dialect built from valid
/// parts (casing, whitespace, order, line ends, extra headers, offers) must be accepted as
/// that dialect, with the right accept value or key parts and the deflate answer Autobahn
/// gives.
pub fn handshake_request(data: &[u8]) {
    if let Some((_, Ok(head))) = delimit(data) {
        server_checks(&head);
    }
    let (raw, expect, offer) = valid_request(&mut Unstructured::new(data));
    let Some((_, Ok(head))) = delimit(&raw) else {
        panic!(
            "valid request does not parse: {:?}",
            String::from_utf8_lossy(&raw)
        );
    };
    server_checks(&head);
    let got = accept_request(&head);
    let shown = String::from_utf8_lossy(&raw);
    match (&expect, &got) {
        (Upgrade::Hybi { .. }, Ok(g)) => assert_eq!(g, &expect, "{shown}"),
        (
            Upgrade::Hixie76 { part1, part2, .. },
            Ok(Upgrade::Hixie76 {
                part1: g1,
                part2: g2,
                ..
            }),
        ) => assert_eq!((part1, part2), (g1, g2), "{shown}"),
        (Upgrade::Hixie75 { .. }, Ok(Upgrade::Hixie75 { .. })) => {}
        _ => panic!("valid request {shown:?} got {got:?}"),
    }
    let want = offer.and_then(|o| deflate::accept_offer(&[o], &[DeflateAccept::default()]));
    assert_eq!(negotiate_deflate(&head), want, "{shown}");
}

/// The key of RFC 6455 §1.3's example, and its accept value.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
/// draft-hixie-76's example: keys, key3 and the challenge answer.
const KEY1: &str = "4 @1  46546xW%0l 1 5";
const KEY2: &str = "12998 5 Y3 1  .P00";
const KEY3: [u8; 8] = *b"^n:ds[4U";
const ANSWER: &[u8; 16] = b"8jKS'y:G*Co,Wxa-";
/// The first three lines hixie-75 clients compare byte for byte.
const HIXIE75_START: &str =
    "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n";

const DIALECTS: [Dialect; 5] = [
    Dialect::Rfc6455,
    Dialect::Hybi10,
    Dialect::Hybi07,
    Dialect::Hixie76,
    Dialect::Hixie75,
];

/// The request the answers are checked against: the examples' keys, an offer of `offer`.
fn rendered(offer: &str) -> Rendered {
    Rendered {
        key: Some(KEY.into()),
        key12: Some((KEY1.into(), KEY2.into())),
        key3: Some(KEY3),
        origin: Some("http://example.com".into()),
        protocols: vec!["chat".into(), "superchat".into()],
        extensions: offer
            .split(',')
            .filter_map(|e| e.split(';').next())
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect(),
        extension_values: if offer.is_empty() {
            Vec::new()
        } else {
            vec![offer.to_string()]
        },
        host: "example.com".into(),
        path: "/demo".into(),
        ..Default::default()
    }
}

/// What an accepted answer must have, whatever the input.
fn accepted_answer(dialect: Dialect, raw: &[u8], head: &Head, challenge: &[u8], r: &Rendered) {
    match dialect {
        Dialect::Hixie76 => {
            assert_eq!(challenge, ANSWER);
            assert_eq!(
                head.header("Sec-WebSocket-Location"),
                Some("ws://example.com/demo")
            );
        }
        Dialect::Hixie75 => {
            assert!(raw.starts_with(HIXIE75_START.as_bytes()));
            assert_eq!(
                head.header("WebSocket-Location"),
                Some("ws://example.com/demo")
            );
        }
        _ => {
            assert_eq!(head.header("Sec-WebSocket-Accept"), Some(ACCEPT));
            assert!(head.has_token("Upgrade", "websocket"));
            assert!(head.has_token("Connection", "upgrade"));
            let chosen = head.tokens("Sec-WebSocket-Protocol");
            assert!(chosen.len() <= 1 && chosen.iter().all(|p| r.protocols.iter().any(|o| o == p)));
        }
    }
}

/// A valid answer of a random dialect to [`rendered`]'s request and an offer made of valid
/// parts: (dialect, offer, raw answer with the hixie-76 challenge after the head, whether
/// permessage-deflate is agreed).
fn valid_answer(u: &mut Unstructured<'_>) -> (Dialect, String, Vec<u8>, bool) {
    let dialect = DIALECTS[usize::from(pick(u, 5))];
    let mut headers = Vec::new();
    let mut offer = String::new();
    let mut agreed = false;
    let (start, first, body) = match dialect {
        Dialect::Hixie76 => {
            headers.push(("Upgrade".into(), "WebSocket".into()));
            headers.push(("Connection".into(), "Upgrade".into()));
            headers.push(("Sec-WebSocket-Origin".into(), "http://example.com".into()));
            headers.push((
                "Sec-WebSocket-Location".into(),
                "ws://example.com/demo".into(),
            ));
            (
                "HTTP/1.1 101 WebSocket Protocol Handshake",
                0,
                ANSWER.to_vec(),
            )
        }
        Dialect::Hixie75 => {
            headers.push(("Upgrade".into(), "WebSocket".into()));
            headers.push(("Connection".into(), "Upgrade".into()));
            headers.push(("WebSocket-Origin".into(), "http://example.com".into()));
            headers.push(("WebSocket-Location".into(), "ws://example.com/demo".into()));
            ("HTTP/1.1 101 Web Socket Protocol Handshake", 2, Vec::new())
        }
        _ => {
            headers.push(("Upgrade".into(), UPGRADES[usize::from(pick(u, 4))].into()));
            headers.push((
                "Connection".into(),
                CONNECTIONS[usize::from(pick(u, 4))].into(),
            ));
            headers.push(("Sec-WebSocket-Accept".into(), ACCEPT.into()));
            match pick(u, 3) {
                1 => headers.push(("Sec-WebSocket-Protocol".into(), "chat".into())),
                2 => headers.push(("Sec-WebSocket-Protocol".into(), "superchat".into())),
                _ => {}
            }
            if u.arbitrary().unwrap_or(false) {
                let o = pmd_offer(u);
                offer = o.render();
                let accept = DeflateAccept {
                    client_no_context_takeover: u.arbitrary().unwrap_or(false),
                    client_max_window_bits: match pick(u, 9) {
                        0 => None,
                        n => Some(7 + n),
                    },
                };
                if let Some((response, _)) = deflate::accept_offer(&[o], &[accept]) {
                    headers.push(("Sec-WebSocket-Extensions".into(), response.render()));
                    agreed = true;
                }
            }
            ("HTTP/1.1 101 Switching Protocols", 0, Vec::new())
        }
    };
    extras(u, &mut headers);
    let mut raw = write_head(u, start, headers, first, "\r\n");
    raw.extend_from_slice(&body);
    (dialect, offer, raw, agreed)
}

/// Oracle: the raw input as an answer to a request of the chosen dialect (delimiting,
/// parsing; an answer the client checks accept has the right accept value, tokens,
/// subprotocol, challenge or byte-exact hixie-75 lines); then an answer of any dialect built
/// from valid parts must be accepted, with permessage-deflate agreed exactly when the answer
/// names it. Input: dialect selector, the offer (byte string), the answer.
pub fn handshake_response(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let dialect = DIALECTS[usize::from(pick(&mut u, 5))];
    let offer = String::from_utf8_lossy(byte_string(&mut u)).into_owned();
    let raw = u.take_rest();
    let r = rendered(&offer);
    if let Some((n, Ok(head))) = delimit(raw) {
        let challenge = raw.get(n..n + 16).unwrap_or_default();
        if let Ok((code, _)) = handshake::status(&head) {
            assert!(head.start_line.starts_with("HTTP/"));
            if handshake::check_response(&head, KEY).is_ok() {
                assert_eq!(code, 101);
                assert_eq!(head.header("Sec-WebSocket-Accept"), Some(ACCEPT));
                assert!(head.header("Sec-WebSocket-Extensions").is_none());
            }
        }
        if let Ok((agreed, _)) = check_answer(dialect, &raw[..n], &head, &r, challenge) {
            accepted_answer(dialect, &raw[..n], &head, challenge, &r);
            if let Some(a) = agreed {
                assert!(!deflate::valid_offers(&r.extension_values).is_empty());
                assert!(head.header("Sec-WebSocket-Extensions").is_some());
                for bits in [a.client_max_window_bits, a.server_max_window_bits] {
                    assert!((8..=15).contains(&bits), "window bits {bits}");
                }
            }
        }
    }

    let (dialect, offer, raw, agreed) = valid_answer(&mut Unstructured::new(data));
    let shown = String::from_utf8_lossy(&raw).into_owned();
    let Some((n, Ok(head))) = delimit(&raw) else {
        panic!("valid answer does not parse: {shown:?}");
    };
    let r = rendered(&offer);
    let challenge = raw.get(n..).unwrap_or_default();
    match check_answer(dialect, &raw[..n], &head, &r, challenge) {
        Ok((got, _)) => assert_eq!(got.is_some(), agreed, "{shown:?} to {offer:?}"),
        Err(e) => panic!("valid {dialect:?} answer {shown:?} to {offer:?} refused: {e}"),
    }
}
