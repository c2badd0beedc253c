//! The HTTP side of server mode: a bounded request head, the request-target's path and
//! query (decoded as Python's `parse_qs` does, which Autobahn's fuzzingserver uses), and
//! plain responses.

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::time::{timeout_at, Instant};

use crate::handshake::{head_len, MAX_HEAD_LEN};

/// Value of the `Server` header server mode sends.
pub const SERVER_NAME: &str = concat!("wsspec/", env!("CARGO_PKG_VERSION"));

/// Why a request-target could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// A `%` not followed by two hex digits.
    #[error("malformed percent-encoding in the request target")]
    BadPercent,
    /// The percent-decoded octets are not UTF-8.
    #[error("percent-decoded request target is not UTF-8")]
    NotUtf8,
    /// The target is neither `/path` nor an absolute URL.
    #[error("request target must be a path starting with '/'")]
    NotAPath,
}

/// A decoded request-target: the path and the query parameters in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTarget {
    /// The percent-decoded path (`+` kept as is).
    pub path: String,
    /// Query parameters with non-empty values, decoded (`+` is a space); blank ones are
    /// dropped, as `parse_qs` drops them.
    pub query: Vec<(String, String)>,
}

impl RequestTarget {
    /// Decode an origin-form (`/p?q`) or absolute-form (`ws://h/p?q`) request-target.
    pub fn parse(target: &str) -> Result<Self, TargetError> {
        let target = target.split('#').next().unwrap_or_default();
        let target = match target.find("://") {
            Some(i) if !target.starts_with('/') => {
                let rest = &target[i + 3..];
                match rest.find(['/', '?']) {
                    Some(j) if rest[j..].starts_with('/') => &rest[j..],
                    Some(j) => return Self::parse(&format!("/{}", &rest[j..])),
                    None => "/",
                }
            }
            _ => target,
        };
        if !target.starts_with('/') {
            return Err(TargetError::NotAPath);
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let path = percent_decode(path, false)?;
        let mut params = Vec::new();
        for pair in query.split('&') {
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let value = percent_decode(value, true)?;
            if !value.is_empty() {
                params.push((percent_decode(name, true)?, value));
            }
        }
        Ok(RequestTarget {
            path,
            query: params,
        })
    }

    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Percent-decode `s` strictly (every `%` needs two hex digits, the result must be UTF-8);
/// with `plus_as_space`, `+` decodes to a space as in form-encoded queries.
pub fn percent_decode(s: &str, plus_as_space: bool) -> Result<String, TargetError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
                match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                    (Some(hi), Some(lo)) => out.push((hi * 16 + lo) as u8),
                    _ => return Err(TargetError::BadPercent),
                }
                i += 3;
            }
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| TargetError::NotUtf8)
}

/// The reason phrase of the statuses server mode sends.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// A complete response head for a body of `len` octets; `extra` holds further header
/// lines, each ending in CRLF. The connection is always closed after the response.
pub fn response_head(status: u16, content_type: &str, len: usize, extra: &str) -> String {
    format!(
        "HTTP/1.1 {status} {phrase}\r\nServer: {SERVER_NAME}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {len}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n\
         {extra}Connection: close\r\n\r\n",
        phrase = reason_phrase(status),
    )
}

/// A plain-text error response: the status and a one-line reason as the body.
pub fn error_response(status: u16, reason: &str) -> String {
    let extra = match status {
        // RFC 6455 §4.2.2: a refused version names the versions spoken.
        426 => "Sec-WebSocket-Version: 13, 8, 7\r\nUpgrade: websocket\r\n",
        405 => "Allow: GET, HEAD\r\n",
        _ => "",
    };
    let body = format!("{reason}\n");
    response_head(status, "text/plain; charset=utf-8", body.len(), extra) + &body
}

/// The 101 response accepting an RFC 6455 upgrade whose key yields `accept`.
pub fn switching_response(accept: &str, extensions: Option<&str>) -> String {
    crate::handshake::switching_response(SERVER_NAME, accept, extensions)
}

/// A deliberately wrong answer to an upgrade whose key yields `accept` (category 20).
pub fn faulty_response(answer: wsspec_cases::ServerAnswer, accept: &str) -> String {
    use wsspec_cases::ServerAnswer as A;
    // Another key's accept value: flip the first base64 character.
    let wrong_accept = match accept.as_bytes().first() {
        Some(b'A') => format!("B{}", &accept[1..]),
        Some(_) => format!("A{}", &accept[1..]),
        None => "AAAA".to_string(),
    };
    let deflate_answer;
    let (status, upgrade, connection, accept, extra) = match answer {
        A::WrongAccept => (
            "101 Switching Protocols",
            Some("websocket"),
            true,
            wrong_accept.as_str(),
            "",
        ),
        A::NoUpgrade => ("101 Switching Protocols", None, true, accept, ""),
        A::UpgradeNotWebsocket => ("101 Switching Protocols", Some("h2c"), true, accept, ""),
        A::NoConnection => (
            "101 Switching Protocols",
            Some("websocket"),
            false,
            accept,
            "",
        ),
        A::Status200 => (
            "200 OK",
            Some("websocket"),
            true,
            accept,
            "Content-Length: 0\r\n",
        ),
        A::UnofferedSubprotocol => (
            "101 Switching Protocols",
            Some("websocket"),
            true,
            accept,
            "Sec-WebSocket-Protocol: wsspec-unoffered\r\n",
        ),
        A::UnofferedExtension => (
            "101 Switching Protocols",
            Some("websocket"),
            true,
            accept,
            "Sec-WebSocket-Extensions: x-wsspec-unoffered\r\n",
        ),
        A::BadDeflateAnswer(value) => {
            deflate_answer = format!("Sec-WebSocket-Extensions: {value}\r\n");
            (
                "101 Switching Protocols",
                Some("websocket"),
                true,
                accept,
                deflate_answer.as_str(),
            )
        }
    };
    let mut out = format!("HTTP/1.1 {status}\r\nServer: {SERVER_NAME}\r\n");
    if let Some(u) = upgrade {
        out.push_str(&format!("Upgrade: {u}\r\n"));
    }
    if connection {
        out.push_str("Connection: Upgrade\r\n");
    }
    out.push_str(&format!("Sec-WebSocket-Accept: {accept}\r\n{extra}\r\n"));
    out
}

/// The content type of a report file, by extension.
pub fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("txt" | "md" | "log") => "text/plain; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// Whether `name` may be served from the report directory: one plain, visible file name.
pub fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name.contains("..")
        && !name.contains(['/', '\\', '\0'])
}

/// Why no request head was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    /// The peer closed or reset the connection first.
    #[error("connection closed before the request head ended")]
    Closed,
    /// The head did not arrive in time.
    #[error("request head timed out")]
    Timeout,
    /// The head grew past `MAX_HEAD_LEN`.
    #[error("request head longer than {MAX_HEAD_LEN} octets")]
    TooLong,
}

/// Read a request head (at most `MAX_HEAD_LEN` octets, within `limit`); returns the head
/// and the octets read after it.
pub async fn read_head(
    stream: &mut (impl tokio::io::AsyncRead + Unpin),
    limit: Duration,
) -> Result<(Vec<u8>, Vec<u8>), HeadError> {
    let deadline = Instant::now() + limit;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        // Only the new octets (plus 3 for a line end split across reads) need scanning.
        let from = buf.len().saturating_sub(3);
        match timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return Err(HeadError::Timeout),
            Ok(Ok(0)) | Ok(Err(_)) => return Err(HeadError::Closed),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(len) = head_len(&buf[from..]).map(|l| l + from) {
            if len <= MAX_HEAD_LEN {
                let leftover = buf.split_off(len);
                return Ok((buf, leftover));
            }
            return Err(HeadError::TooLong);
        }
        if buf.len() >= MAX_HEAD_LEN {
            return Err(HeadError::TooLong);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_decode_like_parse_qs() {
        let t = RequestTarget::parse("/runCase?case=3&agent=my+agent%2F1&x&empty=").unwrap();
        assert_eq!(t.path, "/runCase");
        assert_eq!(t.param("case"), Some("3"));
        assert_eq!(t.param("agent"), Some("my agent/1"));
        assert_eq!(t.param("x"), None);
        assert_eq!(t.param("empty"), None);
        let t = RequestTarget::parse("ws://h:1/getCaseInfo?casetuple=1.1.1#f").unwrap();
        assert_eq!(
            (t.path.as_str(), t.param("casetuple")),
            ("/getCaseInfo", Some("1.1.1"))
        );
        assert_eq!(RequestTarget::parse("http://h?a=1").unwrap().path, "/");
        assert_eq!(
            RequestTarget::parse("/a?agent=%zz"),
            Err(TargetError::BadPercent)
        );
        assert_eq!(RequestTarget::parse("/a%"), Err(TargetError::BadPercent));
        assert_eq!(RequestTarget::parse("/a%ff"), Err(TargetError::NotUtf8));
        assert_eq!(RequestTarget::parse("*"), Err(TargetError::NotAPath));
        assert_eq!(
            RequestTarget::parse("/x?agent=%C3%A9")
                .unwrap()
                .param("agent"),
            Some("é")
        );
    }

    #[test]
    fn only_plain_file_names_are_served() {
        assert!(is_plain_file_name("index.html"));
        assert!(is_plain_file_name("chrome_1_case_1_1_1.json"));
        for bad in ["", "..", "../x", "a/b", ".wsspec-probe", "a\\b", "x..y"] {
            assert!(!is_plain_file_name(bad), "{bad}");
        }
    }

    #[test]
    fn error_responses_are_complete() {
        let r = error_response(500, "unknown case");
        assert!(r.starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
        assert!(r.contains("Content-Length: 13\r\n"));
        assert!(r.ends_with("\r\n\r\nunknown case\n"));
        assert!(error_response(426, "v").contains("Sec-WebSocket-Version: 13, 8, 7\r\n"));
    }
}
