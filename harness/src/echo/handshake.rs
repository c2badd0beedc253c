//! The server side of the RFC 6455 §4.2 opening handshake.

use base64::Engine as _;

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
                "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n",
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

/// The 101 response accepting a handshake whose key yields `accept`.
pub fn switching_response(accept: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nServer: {SERVER_NAME}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    )
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

/// Check a client's opening request (RFC 6455 §4.2.1); returns the `Sec-WebSocket-Accept`
/// value on success. Extension and subprotocol offers are ignored: none is ever accepted.
pub fn check_request(head: &Head) -> Result<String, Rejection> {
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
    match single(head, "Host") {
        Ok(Some(_)) => {}
        Ok(None) => return Err(Rejection::bad("missing Host header")),
        Err(()) => return Err(Rejection::bad("duplicate Host header")),
    }
    if !head.has_token("Upgrade", "websocket") {
        return Err(Rejection::bad("Upgrade header must contain websocket"));
    }
    if !head.has_token("Connection", "upgrade") {
        return Err(Rejection::bad("Connection header must contain upgrade"));
    }
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
        reason: "only WebSocket version 13 is supported",
    };
    match single(head, "Sec-WebSocket-Version") {
        Ok(Some("13")) => {}
        Ok(None) => return Err(Rejection::bad("missing Sec-WebSocket-Version header")),
        Ok(Some(_)) | Err(()) => return Err(unsupported),
    }
    Ok(accept_key(key))
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
            ("Version: 13", "Version: 8", 426),
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
        assert_eq!(head.header("Sec-WebSocket-Version"), Some("13"));
        assert!(r.ends_with("\r\n\r\nx\n"));
        assert_eq!(head.header("Content-Length"), Some("2"));
    }
}
