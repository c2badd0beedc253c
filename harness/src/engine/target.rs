//! The server under test, from a `ws://` or `wss://` URL.

/// Why a target URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Neither a `ws://` nor a `wss://` URL.
    #[error(
        "unsupported URL scheme in {0:?} (expected ws://host:port/path or wss://host:port/path)"
    )]
    Scheme(String),
    /// The host part is empty or malformed.
    #[error("no host in URL {0:?}")]
    Host(String),
    /// The port is not a number in 1..=65535.
    #[error("invalid port in URL {0:?}")]
    Port(String),
}

/// Where and how to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host to connect to (brackets removed for IPv6).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Request-target of the opening request (path and query).
    pub resource: String,
    /// Value of the `Host` header.
    pub host_header: String,
    /// `wss://`: TLS over the TCP connection.
    pub tls: bool,
}

impl Target {
    /// Parse `ws://host[:port][/path]` (port 80 by default) or `wss://…` (port 443).
    pub fn parse(url: &str) -> Result<Target, UrlError> {
        let (rest, tls) = if let Some(rest) = url.strip_prefix("ws://") {
            (rest, false)
        } else if let Some(rest) = url.strip_prefix("wss://") {
            (rest, true)
        } else {
            return Err(UrlError::Scheme(url.to_string()));
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let resource = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| UrlError::Host(url.to_string()))?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(UrlError::Host(url.to_string())),
            };
            (h, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(UrlError::Host(url.to_string()));
        }
        let port = match port {
            None if tls => 443,
            None => 80,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| UrlError::Port(url.to_string()))?,
        };
        Ok(Target {
            host: host.to_string(),
            port,
            resource,
            host_header: authority.to_string(),
            tls,
        })
    }

    /// `ws` or `wss`.
    pub fn scheme(&self) -> &'static str {
        if self.tls {
            "wss"
        } else {
            "ws"
        }
    }

    /// `host:port` for connecting.
    pub fn connect_addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let t = Target::parse("ws://127.0.0.1:9001").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.resource.as_str()),
            ("127.0.0.1", 9001, "/")
        );
        assert_eq!(t.host_header, "127.0.0.1:9001");
        let t = Target::parse("ws://[::1]:80/a?b=c").unwrap();
        assert_eq!((t.host.as_str(), t.resource.as_str()), ("::1", "/a?b=c"));
        assert_eq!(t.connect_addr(), "[::1]:80");
        assert_eq!(Target::parse("ws://localhost").unwrap().port, 80);
        assert!(matches!(
            Target::parse("http://x"),
            Err(UrlError::Scheme(_))
        ));
        assert!(!Target::parse("ws://x").unwrap().tls);
        assert!(matches!(Target::parse("wsx://x"), Err(UrlError::Scheme(_))));
        assert!(matches!(Target::parse("WSS://x"), Err(UrlError::Scheme(_))));
        assert!(matches!(Target::parse("ws://x:0"), Err(UrlError::Port(_))));
        assert!(matches!(Target::parse("ws://:80"), Err(UrlError::Host(_))));
    }

    #[test]
    fn parses_wss_urls() {
        let t = Target::parse("wss://example.org/chat?x=1").unwrap();
        assert!(t.tls);
        assert_eq!(t.scheme(), "wss");
        assert_eq!(
            (t.host.as_str(), t.port, t.resource.as_str()),
            ("example.org", 443, "/chat?x=1")
        );
        // The Host header is the authority as written: no default port added.
        assert_eq!(t.host_header, "example.org");
        let t = Target::parse("wss://127.0.0.1:9443").unwrap();
        assert_eq!((t.port, t.host_header.as_str()), (9443, "127.0.0.1:9443"));
        let t = Target::parse("wss://[::1]").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 443));
        assert_eq!(t.connect_addr(), "[::1]:443");
        assert!(matches!(Target::parse("wss://x:0"), Err(UrlError::Port(_))));
        assert!(matches!(Target::parse("wss://"), Err(UrlError::Host(_))));
    }
}
