//! The server side of the opening handshake: RFC 6455 §4.2 (version 13), hybi-07/-10
//! (versions 7 and 8, same handshake), hixie-76 (key1/key2/key3) and hixie-75 (no key).

use base64::Engine as _;
use sha1::{Digest, Sha1};

use wsspec_cases::DeflateAccept;

use super::Fault;
use crate::codec::deflate::{self, Agreed, PmdParams};
use crate::codec::hixie::key_value;
use crate::handshake::{accept_key, Head};

/// Value of the `Server` header the reference server sends.
pub const SERVER_NAME: &str = concat!("wsspec-echo/", env!("CARGO_PKG_VERSION"));

/// Why a request was refused, and with which status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    /// HTTP status code (400 or 426).
    pub status: u16,
    /// Short human-readable reason, sent as the response body.
    pub reason: &'static str,
}

impl Rejection {
    fn bad(reason: &'static str) -> Self {
        Rejection {
            status: 400,
            reason,
        }
    }

    /// The complete HTTP response for this rejection.
    pub fn response(&self) -> String {
        let (phrase, extra) = match self.status {
            // RFC 6455 §4.2.2: name the versions we do speak; RFC 9110 §15.5.22: a 426
            // must carry an Upgrade header, which in turn needs a Connection: upgrade.
            426 => (
                "Upgrade Required",
                "Sec-WebSocket-Version: 13, 8, 7\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n",
            ),
            _ => ("Bad Request", "Connection: close\r\n"),
        };
        format!(
            "HTTP/1.1 {status} {phrase}\r\nServer: {SERVER_NAME}\r\n{extra}\
             Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len}\r\n\r\n{body}\n",
            status = self.status,
            len = self.reason.len() + 1,
            body = self.reason,
        )
    }
}

/// The 101 response accepting a handshake whose key yields `accept`, with a
/// `Sec-WebSocket-Extensions` header when `extensions` is given.
pub fn switching_response(accept: &str, extensions: Option<&str>) -> String {
    crate::handshake::switching_response(SERVER_NAME, accept, extensions)
}

/// The server's permessage-deflate answer to a hybi request: the first valid offer among
/// all `Sec-WebSocket-Extensions` lines, accepted as Autobahn's default answer does
/// (echoing its `server_*` parameters, asking nothing of the client). Invalid offers are
/// declined (RFC 7692 §7), a malformed header declines them all; `None`: no extension.
pub fn negotiate_deflate(head: &Head) -> Option<(PmdParams, Agreed)> {
    let offers = deflate::valid_offers(&head.values("Sec-WebSocket-Extensions"));
    deflate::accept_offer(&offers, &[DeflateAccept::default()])
}

/// Whether an HTTP version string is `HTTP/1.1` or higher.
fn http_11_or_later(version: &str) -> bool {
    let Some(rest) = version.strip_prefix("HTTP/") else {
        return false;
    };
    let Some((major, minor)) = rest.split_once('.') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return false;
    }
    match (major.parse::<u16>(), minor.parse::<u16>()) {
        (Ok(major), Ok(minor)) => (major, minor) >= (1, 1),
        _ => false,
    }
}

/// The single value of a header that must appear exactly once.
fn single<'h>(head: &'h Head, name: &str) -> Result<Option<&'h str>, ()> {
    let mut values = head
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str());
    let first = values.next();
    match values.next() {
        Some(_) => Err(()),
        None => Ok(first),
    }
}

/// The checks every dialect shares: a `GET` of HTTP/1.1 or later with one `Host`, asking
/// to upgrade to WebSocket. Returns the request-target and the host.
fn check_common(head: &Head) -> Result<(&str, &str), Rejection> {
    // RFC 9110 §5.5: a CR or NUL in a field value is invalid; echoed into the hixie
    // Location/Origin it would put a bare CR in the response (RFC 9112 §2.2).
    let bad = |s: &str| s.contains(['\r', '\0']);
    if bad(&head.start_line) || head.headers.iter().any(|(_, v)| bad(v)) {
        return Err(Rejection::bad(
            "CR or NUL in the request line or a header value",
        ));
    }
    let mut parts = head.start_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejection::bad("malformed request line"));
    };
    if method != "GET" {
        return Err(Rejection::bad("method must be GET"));
    }
    if target.is_empty() {
        return Err(Rejection::bad("empty request target"));
    }
    if !http_11_or_later(version) {
        return Err(Rejection::bad("HTTP/1.1 or later required"));
    }
    let host = match single(head, "Host") {
        Ok(Some(host)) => host,
        Ok(None) => return Err(Rejection::bad("missing Host header")),
        Err(()) => return Err(Rejection::bad("duplicate Host header")),
    };
    if !head.has_token("Upgrade", "websocket") {
        return Err(Rejection::bad("Upgrade header must contain websocket"));
    }
    if !head.has_token("Connection", "upgrade") {
        return Err(Rejection::bad("Connection header must contain upgrade"));
    }
    Ok((target, host))
}

/// Check a hybi opening request (RFC 6455 §4.2.1, also versions 7 and 8 of hybi-07/-10,
/// whose handshake differs only in naming the origin `Sec-WebSocket-Origin`, which is not
/// checked); returns the `Sec-WebSocket-Accept` value on success. Extension and subprotocol
/// offers are not looked at here (see [`negotiate_deflate`]).
pub fn check_request(head: &Head) -> Result<String, Rejection> {
    check_request_with(head, None)
}

/// [`check_request`] of a server with `fault` injected.
fn check_request_with(head: &Head, fault: Option<Fault>) -> Result<String, Rejection> {
    check_common(head)?;
    let key = match single(head, "Sec-WebSocket-Key") {
        Ok(Some(k)) => k,
        Ok(None) => return Err(Rejection::bad("missing Sec-WebSocket-Key header")),
        Err(()) => return Err(Rejection::bad("duplicate Sec-WebSocket-Key header")),
    };
    let decoded = base64::engine::general_purpose::STANDARD.decode(key);
    if !matches!(decoded, Ok(ref k) if k.len() == 16) {
        return Err(Rejection::bad(
            "Sec-WebSocket-Key must be base64 of 16 octets",
        ));
    }
    let unsupported = Rejection {
        status: 426,
        reason: "only WebSocket versions 13, 8 and 7 are supported",
    };
    match single(head, "Sec-WebSocket-Version") {
        Ok(Some("13" | "8" | "7")) => {}
        Ok(None) => return Err(Rejection::bad("missing Sec-WebSocket-Version header")),
        Ok(Some(_)) if fault == Some(Fault::AnyVersion) => {}
        Ok(Some(_)) | Err(()) => return Err(unsupported),
    }
    if fault == Some(Fault::WrongAccept) {
        // The classic slip: SHA-1 of the key alone, the GUID forgotten.
        let digest = Sha1::digest(key.as_bytes());
        return Ok(base64::engine::general_purpose::STANDARD.encode(digest));
    }
    Ok(accept_key(key))
}

/// How the server goes on with an accepted request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upgrade {
    /// RFC 6455 or hybi-07/-10: the 101 response with this `Sec-WebSocket-Accept`, then
    /// RFC 6455 framing.
    Hybi {
        /// The `Sec-WebSocket-Accept` value.
        accept: String,
    },
    /// hixie-76: `head` at once, the challenge response once key3 is in, then hixie framing.
    Hixie76 {
        /// The complete response head, blank line included.
        head: String,
        /// Value of `Sec-WebSocket-Key1`.
        part1: u32,
        /// Value of `Sec-WebSocket-Key2`.
        part2: u32,
    },
    /// hixie-75: `head`, then hixie framing without a closing handshake.
    Hixie75 {
        /// The complete response head, blank line included.
        head: String,
    },
}

/// Tell the dialect from the request head as servers of the time did (key1 and key2 ⇒
/// hixie-76, else `Sec-WebSocket-Key` or `Sec-WebSocket-Version` ⇒ hybi by version, else
/// hixie-75), and check the request for it.
pub fn accept_request(head: &Head) -> Result<Upgrade, Rejection> {
    accept_request_with(head, None)
}

/// [`accept_request`] of a server with `fault` injected.
pub(super) fn accept_request_with(head: &Head, fault: Option<Fault>) -> Result<Upgrade, Rejection> {
    let has = |name: &str| head.header(name).is_some();
    let (key1, key2) = (has("Sec-WebSocket-Key1"), has("Sec-WebSocket-Key2"));
    if key1 && key2 {
        return hixie76(head);
    }
    // A version header without a key is a broken hybi request, not a hixie-75 one.
    if has("Sec-WebSocket-Key") || has("Sec-WebSocket-Version") {
        return check_request_with(head, fault).map(|accept| Upgrade::Hybi { accept });
    }
    if key1 || key2 {
        return Err(Rejection::bad(
            "Sec-WebSocket-Key1 and Sec-WebSocket-Key2 must both be present",
        ));
    }
    hixie75(head)
}

/// The origin a hixie server echoes: the request's, or `null` as for file:// pages.
fn origin(head: &Head) -> &str {
    head.header("Origin").unwrap_or("null")
}

fn hixie76(head: &Head) -> Result<Upgrade, Rejection> {
    let (target, host) = check_common(head)?;
    let part = |name: &'static str, bad: &'static str| match single(head, name) {
        Ok(Some(key)) => key_value(key).map_err(|_| Rejection::bad(bad)),
        _ => Err(Rejection::bad(bad)),
    };
    let part1 = part("Sec-WebSocket-Key1", "invalid Sec-WebSocket-Key1")?;
    let part2 = part("Sec-WebSocket-Key2", "invalid Sec-WebSocket-Key2")?;
    let protocol = head
        .header("Sec-WebSocket-Protocol")
        .map(|p| format!("Sec-WebSocket-Protocol: {p}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Origin: {origin}\r\n\
         Sec-WebSocket-Location: ws://{host}{target}\r\n{protocol}Server: {SERVER_NAME}\r\n\r\n",
        origin = origin(head),
    );
    Ok(Upgrade::Hixie76 { head, part1, part2 })
}

fn hixie75(head: &Head) -> Result<Upgrade, Rejection> {
    let (target, host) = check_common(head)?;
    let protocol = head
        .header("WebSocket-Protocol")
        .map(|p| format!("WebSocket-Protocol: {p}\r\n"))
        .unwrap_or_default();
    // Chromium's hixie-75 client compares the first three lines octet by octet.
    let head = format!(
        "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\n\
         Connection: Upgrade\r\nWebSocket-Origin: {origin}\r\n\
         WebSocket-Location: ws://{host}{target}\r\n{protocol}Server: {SERVER_NAME}\r\n\r\n",
        origin = origin(head),
    );
    Ok(Upgrade::Hixie75 { head })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::parse_head;

    const GOOD: &str = "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\n\
        Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

    fn check(raw: &str) -> Result<String, Rejection> {
        check_request(&parse_head(raw.as_bytes()).unwrap())
    }

    fn status_of(raw: String) -> u16 {
        check(&raw).map(|_| 101).unwrap_or_else(|r| r.status)
    }

    #[test]
    fn accepts_the_rfc_example_and_token_lists() {
        assert_eq!(check(GOOD).unwrap(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(status_of(GOOD.replace("HTTP/1.1", "HTTP/1.2")), 101);
    }

    #[test]
    fn rejects_each_broken_requirement() {
        for (from, to, status) in [
            ("GET /chat", "POST /chat", 400),
            ("HTTP/1.1", "HTTP/1.0", 400),
            ("GET /chat HTTP/1.1", "GET  /chat HTTP/1.1", 400),
            ("Host: h\r\n", "", 400),
            ("Host: h\r\n", "Host: h\r\nHost: i\r\n", 400),
            ("Upgrade: WebSocket", "Upgrade: h2c", 400),
            ("keep-alive, Upgrade", "keep-alive", 400),
            ("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ==", 400),
            ("dGhlIHNhbXBsZSBub25jZQ==", "not base64!", 400),
            ("Sec-WebSocket-Version: 13\r\n", "", 400),
            ("Version: 13", "Version: 9", 426),
            ("Version: 13", "Version: 0", 426),
            ("Version: 13", "Version: 13, 8", 426),
        ] {
            assert!(GOOD.contains(from), "{from}");
            assert_eq!(
                status_of(GOOD.replacen(from, to, 1)),
                status,
                "{from} -> {to}"
            );
        }
    }

    #[test]
    fn rejection_responses_are_well_formed() {
        let r = Rejection {
            status: 426,
            reason: "x",
        }
        .response();
        let head = parse_head(r.as_bytes()).unwrap();
        assert_eq!(head.start_line, "HTTP/1.1 426 Upgrade Required");
        assert_eq!(head.header("Sec-WebSocket-Version"), Some("13, 8, 7"));
        assert!(r.ends_with("\r\n\r\nx\n"));
        assert_eq!(head.header("Content-Length"), Some("2"));
    }

    fn answer(lines: &[&str]) -> Option<String> {
        let extra: String = lines
            .iter()
            .map(|l| format!("Sec-WebSocket-Extensions: {l}\r\n"))
            .collect();
        let raw = GOOD.replace("Sec-WebSocket-Extensions: permessage-deflate\r\n", &extra);
        negotiate_deflate(&parse_head(raw.as_bytes()).unwrap()).map(|(p, _)| p.render())
    }

    #[test]
    fn the_first_valid_deflate_offer_is_accepted_as_offered() {
        assert_eq!(answer(&[]), None);
        assert_eq!(
            answer(&["permessage-deflate"]).as_deref(),
            Some("permessage-deflate")
        );
        assert_eq!(
            answer(&[
                "x-foo; a=1",
                "PERMESSAGE-DEFLATE; server_max_window_bits=12"
            ])
            .as_deref(),
            Some("permessage-deflate; server_max_window_bits=12")
        );
        assert_eq!(
            answer(&["permessage-deflate; bogus, permessage-deflate; server_no_context_takeover"])
                .as_deref(),
            Some("permessage-deflate; server_no_context_takeover")
        );
        assert_eq!(answer(&["permessage-deflate; bogus"]), None);
        assert_eq!(answer(&["permessage-deflate", "x-foo;"]), None);
        let raw = GOOD.replace(
            "permessage-deflate",
            "permessage-deflate; server_max_window_bits=9; client_max_window_bits",
        );
        let (_, agreed) = negotiate_deflate(&parse_head(raw.as_bytes()).unwrap()).unwrap();
        assert_eq!(agreed.sending(true), (9, false));
        assert_eq!(agreed.receiving(true), (15, false));
        assert!(
            switching_response("x", Some("permessage-deflate")).ends_with(
                "Sec-WebSocket-Accept: x\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
            )
        );
        assert!(switching_response("x", None).ends_with("Sec-WebSocket-Accept: x\r\n\r\n"));
    }

    const HIXIE76: &str = "GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nUpgrade: WebSocket\r\n\
        Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nOrigin: http://example.com\r\n\r\n";
    const HIXIE75: &str = "GET /demo HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\
        Host: example.com\r\nOrigin: http://example.com\r\n\r\n";

    fn dialect(raw: &str) -> Result<Upgrade, u16> {
        accept_request(&parse_head(raw.as_bytes()).unwrap()).map_err(|r| r.status)
    }

    #[test]
    fn dialects_are_told_apart_by_the_head() {
        assert!(matches!(
            dialect(HIXIE76),
            Ok(Upgrade::Hixie76 {
                part1: 829309203,
                part2: 259970620,
                ..
            })
        ));
        assert!(matches!(dialect(HIXIE75), Ok(Upgrade::Hixie75 { .. })));
        for version in ["13", "8", "7"] {
            assert!(
                matches!(
                    dialect(&GOOD.replace("Version: 13", &format!("Version: {version}"))),
                    Ok(Upgrade::Hybi { .. })
                ),
                "{version}"
            );
        }
        // Key1 and key2 win over a Sec-WebSocket-Key sent alongside.
        let both = HIXIE76.replace(
            "Origin:",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin:",
        );
        assert!(matches!(dialect(&both), Ok(Upgrade::Hixie76 { .. })));
    }

    #[test]
    fn broken_draft_requests_are_refused() {
        for (raw, status) in [
            (GOOD.replace("Version: 13", "Version: 9"), 426),
            (
                GOOD.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
                400,
            ),
            (
                HIXIE76.replace("Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n", ""),
                400,
            ),
            (HIXIE76.replace("12998 5 Y3 1  .P00", "12998"), 400),
            (HIXIE76.replace("Host: example.com\r\n", ""), 400),
            (HIXIE76.replace("Upgrade: WebSocket\r\n", ""), 400),
            (
                HIXIE76.replace("Origin:", "Sec-WebSocket-Key1: 1 2\r\nOrigin:"),
                400,
            ),
            (HIXIE75.replace("Connection: Upgrade\r\n", ""), 400),
            (HIXIE75.replace("GET", "POST"), 400),
            (HIXIE75.replace("HTTP/1.1", "HTTP/1.0"), 400),
        ] {
            assert_eq!(dialect(&raw).err(), Some(status), "{raw}");
        }
    }
}
