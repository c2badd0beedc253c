//! RFC 6455 §4 opening handshake: request building, head parsing and checking.

use base64::Engine as _;
use sha1::{Digest, Sha1};

/// The GUID RFC 6455 §1.3 appends to the key.
pub const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Upper bound of an HTTP head (request or response) the harness will read.
pub const MAX_HEAD_LEN: usize = 16 * 1024;

/// Why an opening handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The head grew past `MAX_HEAD_LEN` without ending.
    #[error("HTTP head longer than {0} octets")]
    HeadTooLong(usize),
    /// The start line could not be parsed.
    #[error("malformed start line {0:?}")]
    MalformedStartLine(String),
    /// A header line had no colon.
    #[error("malformed header line {0:?}")]
    MalformedHeader(String),
    /// The server did not switch protocols.
    #[error("WebSocket connection upgrade failed ({status} - {reason})")]
    NotSwitching {
        /// Status code.
        status: u16,
        /// Reason phrase.
        reason: String,
    },
    /// A required header was missing or had the wrong value.
    #[error("header {name} missing or invalid: {value:?}")]
    BadHeader {
        /// Header name.
        name: &'static str,
        /// What was received (empty when absent).
        value: String,
    },
    /// Sec-WebSocket-Accept did not match the key.
    #[error("Sec-WebSocket-Accept {got:?} does not match the expected {expected:?}")]
    AcceptMismatch {
        /// The accept value received.
        got: String,
        /// The accept value the key requires.
        expected: String,
    },
    /// The peer accepted an extension the client did not offer.
    #[error("server accepted an extension that was not offered: {0:?}")]
    UnofferedExtension(String),
    /// The peer selected a subprotocol the client did not offer.
    #[error("server selected a subprotocol that was not offered: {0:?}")]
    UnofferedSubprotocol(String),
}

/// `Sec-WebSocket-Accept` for a key.
pub fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(WS_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// A fresh random `Sec-WebSocket-Key` (16 random octets, base64).
pub fn random_key() -> String {
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An HTTP head: start line and headers, in order, names as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The first line without its line end.
    pub start_line: String,
    /// Header (name, value) pairs with surrounding whitespace trimmed.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first value of a header, name compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every line's value of a header, in order.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// All values of a header, comma lists split and trimmed.
    pub fn tokens(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect()
    }

    /// Whether a comma-separated header contains `token`, case-insensitively.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.tokens(name)
            .iter()
            .any(|t| t.eq_ignore_ascii_case(token))
    }
}

/// Length of the head at the start of `buf` including its blank line, if complete.
/// Accepts bare LF line ends, as lenient servers do.
pub fn head_len(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            match buf.get(i + 1) {
                Some(b'\n') => return Some(i + 2),
                Some(b'\r') if buf.get(i + 2) == Some(&b'\n') => return Some(i + 3),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// Parse a complete head (as delimited by `head_len`). Non-UTF-8 octets are replaced.
pub fn parse_head(raw: &[u8]) -> Result<Head, HandshakeError> {
    let text = String::from_utf8_lossy(raw);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start_line = lines.next().unwrap_or_default().to_string();
    if start_line.is_empty() {
        return Err(HandshakeError::MalformedStartLine(start_line));
    }
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| HandshakeError::MalformedHeader(line.to_string()))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok(Head {
        start_line,
        headers,
    })
}

/// Status code and reason phrase of a response head.
pub fn status(head: &Head) -> Result<(u16, String), HandshakeError> {
    let mut parts = head.start_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().and_then(|c| c.parse::<u16>().ok());
    match code {
        Some(code) if version.starts_with("HTTP/") => {
            Ok((code, parts.next().unwrap_or_default().to_string()))
        }
        _ => Err(HandshakeError::MalformedStartLine(head.start_line.clone())),
    }
}

/// Check a server's response to a version-13 request with `key`, offering no extensions
/// or subprotocols (RFC 6455 §4.1, the client's duties).
pub fn check_response(head: &Head, key: &str) -> Result<(), HandshakeError> {
    let (code, reason) = status(head)?;
    if code != 101 {
        return Err(HandshakeError::NotSwitching {
            status: code,
            reason,
        });
    }
    if !head.has_token("Upgrade", "websocket") {
        return Err(HandshakeError::BadHeader {
            name: "Upgrade",
            value: head.header("Upgrade").unwrap_or_default().to_string(),
        });
    }
    if !head.has_token("Connection", "upgrade") {
        return Err(HandshakeError::BadHeader {
            name: "Connection",
            value: head.header("Connection").unwrap_or_default().to_string(),
        });
    }
    let expected = accept_key(key);
    let got = head.header("Sec-WebSocket-Accept").unwrap_or_default();
    if got != expected {
        return Err(HandshakeError::AcceptMismatch {
            got: got.to_string(),
            expected,
        });
    }
    if let Some(ext) = head.header("Sec-WebSocket-Extensions") {
        return Err(HandshakeError::UnofferedExtension(ext.to_string()));
    }
    if let Some(proto) = head.header("Sec-WebSocket-Protocol") {
        return Err(HandshakeError::UnofferedSubprotocol(proto.to_string()));
    }
    Ok(())
}

/// The opening request the harness sends as a client (the shape Autobahn's client uses).
pub fn client_request(host_port: &str, resource: &str, key: &str) -> String {
    format!(
        "GET {resource} HTTP/1.1\r\n\
         User-Agent: wsspec/{version}\r\n\
         Host: {host_port}\r\n\
         Upgrade: WebSocket\r\n\
         Connection: Upgrade\r\n\
         Pragma: no-cache\r\n\
         Cache-Control: no-cache\r\n\
         Sec-WebSocket-Key: {key}\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        version = env!("CARGO_PKG_VERSION"),
    )
}

/// The 101 response of an RFC 6455 server named `server` accepting a handshake whose key
/// yields `accept`, with a `Sec-WebSocket-Extensions` header when `extensions` is given.
pub fn switching_response(server: &str, accept: &str, extensions: Option<&str>) -> String {
    let extensions = extensions
        .map(|e| format!("Sec-WebSocket-Extensions: {e}\r\n"))
        .unwrap_or_default();
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nServer: {server}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n{extensions}\r\n"
    )
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_vectors() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(
            accept_key("x3JJHMbDL1EzLkh9GBhXDw=="),
            "HSmrc0sMlYUkAGmm5OPpG2HaGWk="
        );
    }

    #[test]
    fn head_delimiting_accepts_crlf_and_bare_lf() {
        assert_eq!(head_len(b"HTTP/1.1 101 X\r\nA: b\r\n\r\nrest"), Some(24));
        assert_eq!(head_len(b"HTTP/1.1 101 X\nA: b\n\nrest"), Some(21));
        assert_eq!(head_len(b"HTTP/1.1 101 X\r\nA: b\r\n"), None);
    }

    #[test]
    fn response_checks() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let ok = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        let head = parse_head(ok).unwrap();
        assert_eq!(check_response(&head, key), Ok(()));
        let bad = parse_head(b"HTTP/1.1 400 Bad Request\r\n\r\n").unwrap();
        assert!(matches!(
            check_response(&bad, key),
            Err(HandshakeError::NotSwitching { status: 400, .. })
        ));
        let wrong = parse_head(
            b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n",
        )
        .unwrap();
        assert!(matches!(
            check_response(&wrong, key),
            Err(HandshakeError::AcceptMismatch { .. })
        ));
    }

    #[test]
    fn request_shape() {
        let r = client_request("127.0.0.1:9001", "/", "dGhlIHNhbXBsZSBub25jZQ==");
        assert!(r.starts_with("GET / HTTP/1.1\r\n"));
        assert!(r.ends_with("Sec-WebSocket-Version: 13\r\n\r\n"));
    }
}
