//! Targets over permessage-deflate: the extension grammar and parameters, and the bounded
//! inflater.

use arbitrary::Unstructured;
use wsspec_cases::DeflateAccept;

use super::{byte_string, pick, pieces};
use crate::codec::deflate::{
    accept_offer, check_response, has_invalid_offer, parse_extensions, valid_offers, Deflater,
    ExtensionItem, InflateError, Inflater, PmdParams, Side, PERMESSAGE_DEFLATE,
};

/// A valid permessage-deflate offer from the input: two flags, then the window bits
/// (`server_max_window_bits`: 0 none, else 7 + n; `client_max_window_bits`: 0 none, 1
/// without a value, else a value).
pub fn pmd_offer(u: &mut Unstructured<'_>) -> PmdParams {
    let server_no_context_takeover = u.arbitrary().unwrap_or(false);
    let client_no_context_takeover = u.arbitrary().unwrap_or(false);
    let server_max_window_bits = match pick(u, 9) {
        0 => None,
        n => Some(7 + n),
    };
    let client_max_window_bits = match pick(u, 10) {
        0 => None,
        1 => Some(None),
        n => Some(Some(6 + n)),
    };
    PmdParams {
        server_no_context_takeover,
        client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits,
    }
}

/// Whether `b` is an HTTP `tchar` (RFC 7230 §3.2.6), written here independently.
fn tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(tchar)
}

/// Items written back in the plainest form of the grammar.
fn render_items(items: &[ExtensionItem]) -> String {
    let mut out = Vec::new();
    for item in items {
        let mut s = item.name.clone();
        for (name, value) in &item.params {
            s.push_str("; ");
            s.push_str(name);
            if let Some(v) = value {
                s.push('=');
                s.push_str(v);
            }
        }
        out.push(s);
    }
    out.join(", ")
}

/// The parameters read back from their rendering, on `side`.
fn reads_back(params: &PmdParams, side: Side) {
    let text = params.render();
    let items = parse_extensions(&text);
    let Ok(items) = items else {
        panic!("rendered {text:?} does not parse: {items:?}");
    };
    assert_eq!(items.len(), 1, "{text:?}");
    assert_eq!(
        PmdParams::from_item(&items[0], side).as_ref(),
        Ok(params),
        "{text:?}"
    );
}

/// Every answer Autobahn's server gives in categories 12, 13 and 21.
fn all_accepts() -> impl Iterator<Item = DeflateAccept> {
    [false, true].into_iter().flat_map(|cnct| {
        std::iter::once(None)
            .chain((8..=15).map(Some))
            .map(move |bits| DeflateAccept {
                client_no_context_takeover: cnct,
                client_max_window_bits: bits,
            })
    })
}

/// Oracle: an `Arbitrary` valid offer renders and parses back to itself (as a response
/// too when it can be one); the input as a `Sec-WebSocket-Extensions` value parses into
/// tokens only, re-renders and parses to the same items; a response-valid element is
/// offer-valid with the same parameters, and every valid element reads back from its
/// rendering; `valid_offers`/`has_invalid_offer` agree with `from_item`; and every answer
/// `accept_offer` gives to the valid offers passes the client's `check_response` with the
/// same agreed parameters.
pub fn pmd_params(data: &[u8]) {
    let offer = pmd_offer(&mut Unstructured::new(data));
    reads_back(&offer, Side::Offer);
    if offer.client_max_window_bits != Some(None) {
        reads_back(&offer, Side::Response);
    }

    let text = String::from_utf8_lossy(data);
    let items = match parse_extensions(&text) {
        Ok(items) => items,
        Err(_) => {
            assert!(valid_offers(&[&*text]).is_empty());
            assert!(!has_invalid_offer(&[&*text]));
            return;
        }
    };
    assert!(!items.is_empty());
    for item in &items {
        assert!(token(&item.name), "{:?}", item.name);
        for (name, value) in &item.params {
            assert!(token(name), "{name:?}");
            assert!(value.as_deref().map_or(true, token), "{value:?}");
        }
    }
    let again = render_items(&items);
    assert_eq!(parse_extensions(&again).as_ref(), Ok(&items), "{again:?}");

    let mut offers = Vec::new();
    let mut invalid = false;
    for item in items
        .iter()
        .filter(|i| i.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE))
    {
        let as_offer = PmdParams::from_item(item, Side::Offer);
        let as_response = PmdParams::from_item(item, Side::Response);
        if let Ok(r) = &as_response {
            assert_eq!(as_offer.as_ref(), Ok(r), "valid response, invalid offer");
            reads_back(r, Side::Response);
        }
        match as_offer {
            Ok(p) => {
                reads_back(&p, Side::Offer);
                offers.push(p);
            }
            Err(_) => invalid = true,
        }
    }
    assert_eq!(valid_offers(&[&*text]), offers);
    assert_eq!(has_invalid_offer(&[&*text]), invalid);
    for accept in all_accepts() {
        if let Some((response, agreed)) = accept_offer(&offers, &[accept]) {
            reads_back(&response, Side::Response);
            assert_eq!(
                check_response(&offers, &response),
                Ok(agreed),
                "answer {} to {text:?}",
                response.render()
            );
        }
    }
}

/// Feed `data` to `inflater` in `schedule`'s pieces and finish the message; the output and
/// the result, checked against the inflater's bounds.
fn inflate_message(
    inflater: &mut Inflater,
    data: &[u8],
    schedule: &[u8],
    limit: u64,
) -> (Vec<u8>, Result<u64, InflateError>) {
    let mut out = Vec::new();
    let mut sink = |chunk: &[u8]| {
        assert!(
            chunk.len() <= 64 * 1024,
            "a sink chunk of {} octets",
            chunk.len()
        );
        out.extend_from_slice(chunk);
    };
    let mut result = Ok(0);
    for piece in pieces(data, schedule) {
        if let Err(e) = inflater.write(piece, limit, &mut sink) {
            result = Err(e);
            break;
        }
    }
    if result.is_ok() {
        result = inflater.finish(limit, &mut sink);
    }
    assert!(
        out.len() as u64 <= limit,
        "{} octets past the limit {limit}",
        out.len()
    );
    match result {
        Ok(n) => assert_eq!(n, out.len() as u64, "finish reports another length"),
        Err(InflateError::TooBig(l)) => assert_eq!(l, limit),
        Err(InflateError::Corrupt) => {}
    }
    (out, result)
}

/// Oracle: messages compressed by [`Deflater`] inflate back to themselves (fed in
/// fuzzer-chosen pieces, with a limit of exactly their length) for every window and both
/// context modes; arbitrary octets fed to an [`Inflater`] never give more output than the
/// limit, `finish` reports what the sink got, `TooBig` names the limit, and after an error
/// the inflater is reset and inflates a fresh stream correctly. Input: window bits
/// (8 + n % 8), no-context-takeover flag, limit (u16), schedule, then the octets.
pub fn inflate(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let bits = 8 + pick(&mut u, 8);
    let no_context_takeover: bool = u.arbitrary().unwrap_or(false);
    let limit = u64::from(u.arbitrary::<u16>().unwrap_or(0));
    let schedule = byte_string(&mut u);
    let rest = u.take_rest();

    let mut deflater = Deflater::new(bits, no_context_takeover);
    let mut inflater = Inflater::new(bits, no_context_takeover);
    let mut messages = pieces(rest, schedule);
    messages.truncate(8);
    if schedule.len() % 2 == 1 {
        messages.insert(messages.len().min(1), &[]);
    }
    for message in &messages {
        let compressed = deflater.message(message);
        let (out, result) =
            inflate_message(&mut inflater, &compressed, schedule, message.len() as u64);
        assert_eq!(result, Ok(message.len() as u64), "window {bits}");
        assert!(out == *message, "round trip differs (window {bits})");
    }

    let mut hostile = Inflater::new(bits, no_context_takeover);
    let (_, result) = inflate_message(&mut hostile, rest, schedule, limit);
    if result.is_err() {
        let probe = b"after an error the inflater starts afresh";
        let compressed = Deflater::new(bits, no_context_takeover).message(probe);
        let (out, again) = inflate_message(&mut hostile, &compressed, &[], probe.len() as u64);
        assert_eq!(again, Ok(probe.len() as u64));
        assert_eq!(out, probe);
    }
}
