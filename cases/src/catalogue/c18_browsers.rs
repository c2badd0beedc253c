//! Category 18, Browser profiles: the opening handshake of each browser generation, header
//! for header (order, casing, values, extension offers), then one text message and a clean
//! close in that generation's dialect. The report builds its browser compatibility row from
//! the `profile` of these cases.
//!
//! The Chromium request was captured on the wire (see `browser-handshakes.md`); the older
//! ones are reconstructed from the drafts, the browsers' sources and published captures.
//! Profiles that offer compression (permessage-deflate, x-webkit-deflate-frame) must also
//! work with a server that declines the offer: declining is not an error.

use super::common::{hixie_text, raw, send, HELLO};
use super::CaseBuilder;
use crate::model::{
    Case, Delivery, Dialect, Event, Expected, FrameSpec, HandshakeExpect, Key3, Opening, Request,
    Step,
};

/// One browser generation.
struct Profile {
    id: &'static str,
    name: &'static str,
    dialect: Dialect,
    what: &'static str,
    headers: &'static [(&'static str, &'static str)],
}

const PROFILES: &[Profile] = &[
    Profile {
        id: "18.1",
        name: "Chrome 4–5 / Safari 5.0",
        dialect: Dialect::Hixie75,
        what: "hixie-75 as WebKit sent it: Upgrade and Connection first, then Host and Origin, \
               no keys",
        headers: &[
            ("Upgrade", "WebSocket"),
            ("Connection", "Upgrade"),
            ("Host", "{host}"),
            ("Origin", "{origin}"),
        ],
    },
    Profile {
        id: "18.2",
        name: "Chrome 6–13 / Safari 5.0.2 / iOS 4.2",
        dialect: Dialect::Hixie76,
        what: "hixie-76 as WebKit sent it: Upgrade, Connection, Host, Origin, \
               Sec-WebSocket-Key1, Sec-WebSocket-Key2, then key3 without Content-Length",
        headers: &[
            ("Upgrade", "WebSocket"),
            ("Connection", "Upgrade"),
            ("Host", "{host}"),
            ("Origin", "{origin}"),
            ("Sec-WebSocket-Key1", "{key1}"),
            ("Sec-WebSocket-Key2", "{key2}"),
        ],
    },
    Profile {
        id: "18.3",
        name: "Firefox 4 beta",
        dialect: Dialect::Hixie76,
        what: "hixie-76 as the draft's client algorithm builds it: Upgrade and Connection \
               first, the other fields shuffled (Key2 before Host, Key1 before Origin)",
        headers: &[
            ("Upgrade", "WebSocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key2", "{key2}"),
            ("Host", "{host}"),
            ("Sec-WebSocket-Key1", "{key1}"),
            ("Origin", "{origin}"),
        ],
    },
    Profile {
        id: "18.4",
        name: "Firefox 6",
        dialect: Dialect::Hybi07,
        what: "hybi-07 through Firefox's HTTP stack: browser headers first, \
               Connection: keep-alive, Upgrade, Sec-WebSocket-Version: 7, \
               Sec-WebSocket-Origin, Upgrade: websocket last",
        headers: &[
            ("Host", "{host}"),
            (
                "User-Agent",
                "Mozilla/5.0 (X11; Linux x86_64; rv:6.0.2) Gecko/20100101 Firefox/6.0.2",
            ),
            (
                "Accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ),
            ("Accept-Language", "en-us,en;q=0.5"),
            ("Accept-Encoding", "gzip, deflate"),
            ("Accept-Charset", "ISO-8859-1,utf-8;q=0.7,*;q=0.7"),
            ("Connection", "keep-alive, Upgrade"),
            ("Sec-WebSocket-Version", "7"),
            ("Sec-WebSocket-Origin", "{origin}"),
            ("Sec-WebSocket-Key", "{key}"),
            ("Pragma", "no-cache"),
            ("Cache-Control", "no-cache"),
            ("Upgrade", "websocket"),
        ],
    },
    Profile {
        id: "18.5",
        name: "Firefox 7–10",
        dialect: Dialect::Hybi10,
        what: "hybi-10 (MozWebSocket): as Firefox 6 with Sec-WebSocket-Version: 8",
        headers: &[
            ("Host", "{host}"),
            (
                "User-Agent",
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.7; rv:10.0) Gecko/20100101 \
                 Firefox/10.0",
            ),
            (
                "Accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ),
            ("Accept-Language", "en-us,en;q=0.5"),
            ("Accept-Encoding", "gzip, deflate"),
            ("Connection", "keep-alive, Upgrade"),
            ("Sec-WebSocket-Version", "8"),
            ("Sec-WebSocket-Origin", "{origin}"),
            ("Sec-WebSocket-Key", "{key}"),
            ("Pragma", "no-cache"),
            ("Cache-Control", "no-cache"),
            ("Upgrade", "websocket"),
        ],
    },
    Profile {
        id: "18.6",
        name: "Chrome 14–15",
        dialect: Dialect::Hybi10,
        what: "hybi-10 as WebKit sent it: Upgrade: websocket, Connection: Upgrade, Host, \
               Sec-WebSocket-Origin, Sec-WebSocket-Key, Sec-WebSocket-Version: 8",
        headers: &[
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Host", "{host}"),
            ("Sec-WebSocket-Origin", "{origin}"),
            ("Sec-WebSocket-Key", "{key}"),
            ("Sec-WebSocket-Version", "8"),
        ],
    },
    Profile {
        id: "18.7",
        name: "IE 10",
        dialect: Dialect::Rfc6455,
        what: "RFC 6455 as Internet Explorer sent it: Origin and the key first, \
               Upgrade: Websocket in mixed case, Host near the end, no extension offer",
        headers: &[
            ("Origin", "{origin}"),
            ("Sec-WebSocket-Key", "{key}"),
            ("Connection", "Upgrade"),
            ("Upgrade", "Websocket"),
            ("Sec-WebSocket-Version", "13"),
            (
                "User-Agent",
                "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)",
            ),
            ("Host", "{host}"),
            ("DNT", "1"),
            ("Cache-Control", "no-cache"),
        ],
    },
    Profile {
        id: "18.8",
        name: "Firefox 11–36",
        dialect: Dialect::Rfc6455,
        what: "RFC 6455 with Firefox's Connection: keep-alive, Upgrade and no extension offer",
        headers: &[
            ("Host", "{host}"),
            (
                "User-Agent",
                "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:11.0) Gecko/20100101 Firefox/11.0",
            ),
            (
                "Accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ),
            ("Accept-Language", "en-us,en;q=0.5"),
            ("Accept-Encoding", "gzip, deflate"),
            ("Connection", "keep-alive, Upgrade"),
            ("Sec-WebSocket-Version", "13"),
            ("Origin", "{origin}"),
            ("Sec-WebSocket-Key", "{key}"),
            ("Pragma", "no-cache"),
            ("Cache-Control", "no-cache"),
            ("Upgrade", "websocket"),
        ],
    },
    Profile {
        id: "18.9",
        name: "Safari 6–10",
        dialect: Dialect::Rfc6455,
        what: "RFC 6455 as WebKit sent it, offering only Sec-WebSocket-Extensions: \
               x-webkit-deflate-frame",
        headers: &[
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Host", "{host}"),
            ("Origin", "{origin}"),
            ("Pragma", "no-cache"),
            ("Cache-Control", "no-cache"),
            ("Sec-WebSocket-Key", "{key}"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Extensions", "x-webkit-deflate-frame"),
            (
                "User-Agent",
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/602.4.8 (KHTML, \
                 like Gecko) Version/10.0.3 Safari/602.4.8",
            ),
        ],
    },
    Profile {
        id: "18.10",
        name: "Firefox 37+",
        dialect: Dialect::Rfc6455,
        what: "RFC 6455 as current Firefox sends it: Sec-Fetch headers, \
               Sec-WebSocket-Extensions: permessage-deflate without parameters, \
               Connection: keep-alive, Upgrade",
        headers: &[
            ("Host", "{host}"),
            (
                "User-Agent",
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            ),
            ("Accept", "*/*"),
            ("Accept-Language", "en-US,en;q=0.5"),
            ("Accept-Encoding", "gzip, deflate, br, zstd"),
            ("Sec-WebSocket-Version", "13"),
            ("Origin", "{origin}"),
            ("Sec-WebSocket-Extensions", "permessage-deflate"),
            ("Sec-WebSocket-Key", "{key}"),
            ("Connection", "keep-alive, Upgrade"),
            ("Sec-Fetch-Dest", "empty"),
            ("Sec-Fetch-Mode", "websocket"),
            ("Sec-Fetch-Site", "same-origin"),
            ("Pragma", "no-cache"),
            ("Cache-Control", "no-cache"),
            ("Upgrade", "websocket"),
        ],
    },
    Profile {
        id: "18.11",
        name: "Chromium 156",
        dialect: Dialect::Rfc6455,
        what: "RFC 6455 exactly as captured from headless Chromium 156: Connection before \
               Upgrade, Sec-WebSocket-Key near the end, \
               permessage-deflate; client_max_window_bits",
        headers: &[
            ("Host", "{host}"),
            ("Connection", "Upgrade"),
            ("Pragma", "no-cache"),
            ("Cache-Control", "no-cache"),
            (
                "User-Agent",
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 HeadlessChrome/156.0.0.0 Safari/537.36",
            ),
            ("Upgrade", "websocket"),
            ("Origin", "{origin}"),
            ("Sec-WebSocket-Version", "13"),
            ("Accept-Encoding", "gzip, deflate, br, zstd"),
            ("Accept-Language", "en-US,en;q=0.9"),
            ("Sec-WebSocket-Key", "{key}"),
            (
                "Sec-WebSocket-Extensions",
                "permessage-deflate; client_max_window_bits",
            ),
        ],
    },
];

/// The spec rule a profile's handshake follows.
fn spec(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Hixie75 => "draft-hixie-75 §5.2",
        Dialect::Hixie76 => "draft-hixie-76 §5.2",
        Dialect::Hybi07 => "draft-ietf-hybi-07 §5.2",
        Dialect::Hybi10 => "draft-ietf-hybi-10 §5.2",
        Dialect::Rfc6455 => "RFC 6455 §4.2",
    }
}

/// Build the case of one profile.
fn profile_case(p: &Profile) -> Case {
    let mut request = Request::new("GET {path} HTTP/1.1", p.headers);
    if p.dialect == Dialect::Hixie76 {
        request.key3 = Some(Key3::Random);
    }
    let (steps, close) = if p.dialect.is_hixie() {
        (
            vec![raw(hixie_text(HELLO)), Step::KillAfter(2000)],
            match p.dialect {
                Dialect::Hixie75 => "the harness closes TCP and the server closes its side",
                _ => "FF 00 is answered with FF 00",
            },
        )
    } else {
        (
            vec![send(FrameSpec::text(HELLO)), Step::KillAfter(1000)],
            "the close (1000) is answered cleanly",
        )
    };
    // Browsers of RFC 6455 still exist: a server must take them. Draft dialects are optional.
    let (expect, optional) = if p.dialect == Dialect::Rfc6455 {
        (HandshakeExpect::Accept, "")
    } else {
        (
            HandshakeExpect::AcceptIfSupported,
            " A server without this draft refuses: UNIMPLEMENTED.",
        )
    };
    let offers = p
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("Sec-WebSocket-Extensions"));
    let declining = if offers {
        " Declining the compression offer is fine."
    } else {
        ""
    };
    CaseBuilder::new(
        p.id,
        &format!(
            "The opening handshake of {}: {}; then one text message.",
            p.name, p.what
        ),
        &format!(
            "The server accepts the handshake with a correct {} answer, echoes the message, \
             and {close}.{declining}{optional}",
            p.dialect.name()
        ),
    )
    .spec(spec(p.dialect))
    .profile(p.name)
    .opening(Opening {
        dialect: p.dialect,
        request: Some(request),
        delivery: Delivery::Whole,
        expect,
    })
    .steps(steps)
    .expect(Expected::ok(vec![Event::text(HELLO)]))
    .build()
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    PROFILES.iter().map(profile_case).collect()
}
