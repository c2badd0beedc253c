//! Category 14, Opening Handshake: what an RFC 6455 server must accept, what it must refuse,
//! and how it must answer (RFC 6455 §4.2). Autobahn has no case here.
//!
//! Every accepted handshake is judged by the engine (status 101, `Upgrade`/`Connection`
//! tokens, the right `Sec-WebSocket-Accept`, no extension or subprotocol that was not offered)
//! and then proven usable: one text message must come back and the close must be clean.
//! Refusal cases have no steps; the handshake outcome alone decides them.

use super::common::{send, HELLO};
use super::CaseBuilder;
use crate::model::{
    Case, Delivery, Dialect, Event, Expected, FrameSpec, HandshakeExpect, LineEnd, Opening,
    Request, SplitAt, Step, VerdictRule, UNKNOWN_EXTENSION,
};

/// The smallest request RFC 6455 §4.1 allows: the five required header fields.
fn base() -> Request {
    Request::new(
        "GET {path} HTTP/1.1",
        &[
            ("Host", "{host}"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "{key}"),
            ("Sec-WebSocket-Version", "{version}"),
        ],
    )
}

/// Rename every header of a request with `f`.
fn rename(mut r: Request, f: fn(&str) -> String) -> Request {
    for (n, _) in &mut r.headers {
        *n = f(n);
    }
    r
}

/// What the server must do with a case's request.
enum Want {
    /// Accept, then echo one text message (the RFC requires acceptance).
    Accept,
    /// Accepting is right, but the RFC (or HTTP) lets a server refuse: UNIMPLEMENTED then.
    Lenient,
    /// Refuse; these statuses are exactly right.
    Refuse(&'static [u16]),
    /// An unsupported version: 426/400 with a `Sec-WebSocket-Version` list.
    Version,
    /// Refusing is expected, accepting is not wrong either: recorded as informational.
    Open(&'static [u16]),
}

/// One row of a table: id, description, expectation, spec, request, delivery, verdict.
struct Row {
    id: &'static str,
    description: &'static str,
    expectation: &'static str,
    spec: &'static str,
    request: Request,
    delivery: Delivery,
    want: Want,
}

fn row(
    id: &'static str,
    description: &'static str,
    expectation: &'static str,
    spec: &'static str,
    request: Request,
    want: Want,
) -> Row {
    Row {
        id,
        description,
        expectation,
        spec,
        request,
        delivery: Delivery::Whole,
        want,
    }
}

/// Turn the rows of one subcategory into cases.
fn build(sub: (&str, &str), rows: Vec<Row>) -> Vec<Case> {
    rows.into_iter()
        .map(|r| {
            let expect = match r.want {
                Want::Accept => HandshakeExpect::Accept,
                Want::Lenient => HandshakeExpect::AcceptIfSupported,
                Want::Refuse(s) | Want::Open(s) => HandshakeExpect::Refuse {
                    statuses: s.to_vec(),
                },
                Want::Version => HandshakeExpect::RefuseVersion,
            };
            let accepted = matches!(r.want, Want::Accept | Want::Lenient);
            let mut b = CaseBuilder::new(r.id, r.description, r.expectation)
                .sub(sub.0, sub.1)
                .spec(r.spec)
                .opening(Opening {
                    dialect: Dialect::Rfc6455,
                    request: Some(r.request),
                    delivery: r.delivery,
                    expect,
                });
            if accepted {
                b = b
                    .steps(vec![send(FrameSpec::text(HELLO)), Step::KillAfter(1000)])
                    .expect(Expected::ok(vec![Event::text(HELLO)]));
            } else {
                b = b.steps(vec![]).expect(Expected::ok(vec![]));
            }
            if matches!(r.want, Want::Open(_)) {
                b = b.rule(VerdictRule::Informational);
            }
            b.build()
        })
        .collect()
}

/// Expectation of an accepted handshake followed by one echo.
const WORKS: &str = "The server answers 101 with a correct Sec-WebSocket-Accept, echoes one text \
     message and closes cleanly.";

/// 14.1: the accept value and a well-formed 101.
fn accept_key() -> Vec<Case> {
    let rows = vec![
        row(
            "14.1.1",
            "The smallest valid request: Host, Upgrade, Connection, a fresh Sec-WebSocket-Key \
             and Sec-WebSocket-Version: 13, no Origin.",
            WORKS,
            "RFC 6455 §4.2.2",
            base(),
            Want::Accept,
        ),
        row(
            "14.1.2",
            "The RFC's sample nonce dGhlIHNhbXBsZSBub25jZQ== as Sec-WebSocket-Key.",
            "The server answers 101 with Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=, \
             then echoes one text message.",
            "RFC 6455 §1.3",
            base().set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            Want::Accept,
        ),
        row(
            "14.1.3",
            "A second known key, x3JJHMbDL1EzLkh9GBhXDw==.",
            "The server answers 101 with Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=, \
             then echoes one text message.",
            "RFC 6455 §4.2.2",
            base().set("Sec-WebSocket-Key", "x3JJHMbDL1EzLkh9GBhXDw=="),
            Want::Accept,
        ),
        row(
            "14.1.4",
            "The Sec-WebSocket-Key value is surrounded by extra optional whitespace \
             (two spaces before, one after).",
            "Optional whitespace is not part of an HTTP field value: the server hashes the \
             bare key, answers 101 with the matching accept value and echoes one message.",
            "RFC 6455 §4.2.2",
            base().set("Sec-WebSocket-Key", " {key} "),
            Want::Accept,
        ),
        row(
            "14.1.5",
            "A browser-sized request: the required fields in reverse order among ordinary HTTP \
             fields (User-Agent, Accept, Cookie, Pragma, Cache-Control, Content-Length: 0).",
            "Fields the handshake does not use are ignored and order does not matter: the \
             server answers 101 and echoes one message.",
            "RFC 6455 §4.2.1",
            Request::new(
                "GET {path} HTTP/1.1",
                &[
                    ("User-Agent", "wsspec-handshake-probe/1.0"),
                    ("Sec-WebSocket-Version", "{version}"),
                    ("Accept", "*/*"),
                    ("Sec-WebSocket-Key", "{key}"),
                    ("Cookie", "session=0123456789abcdef; theme=dark"),
                    ("Connection", "Upgrade"),
                    ("Pragma", "no-cache"),
                    ("Upgrade", "websocket"),
                    ("Cache-Control", "no-cache"),
                    ("Content-Length", "0"),
                    ("Host", "{host}"),
                ],
            ),
            Want::Accept,
        ),
    ];
    build(("14.1", "Sec-WebSocket-Accept and the 101 response"), rows)
}

/// 14.2: versions the server does not speak.
fn versions() -> Vec<Case> {
    let refuse_text = "The server refuses with 426 Upgrade Required (or 400) and names the \
         versions it speaks in Sec-WebSocket-Version. A refusal without that list is \
         NON-STRICT; a 101 is FAILED.";
    let rows = vec![
        row(
            "14.2.1",
            "Sec-WebSocket-Version: 14, a version that does not exist.",
            refuse_text,
            "RFC 6455 §4.2.2",
            base().set("Sec-WebSocket-Version", "14"),
            Want::Version,
        ),
        row(
            "14.2.2",
            "Sec-WebSocket-Version: 9, a value the registry reserves and no draft ever used.",
            refuse_text,
            "RFC 6455 §4.4",
            base().set("Sec-WebSocket-Version", "9"),
            Want::Version,
        ),
        row(
            "14.2.3",
            "Sec-WebSocket-Version: abc, not a number.",
            refuse_text,
            "RFC 6455 §4.2.2",
            base().set("Sec-WebSocket-Version", "abc"),
            Want::Version,
        ),
        row(
            "14.2.4",
            "No Sec-WebSocket-Version header at all.",
            "The request is not a valid handshake: the server answers 400 (or 426 with its \
             version list); a 101 is FAILED.",
            "RFC 6455 §4.2.1",
            base().remove("Sec-WebSocket-Version"),
            Want::Refuse(&[400, 426]),
        ),
    ];
    build(("14.2", "Version negotiation"), rows)
}

/// 14.3: Sec-WebSocket-Key must be base64 of 16 octets, exactly once.
fn keys() -> Vec<Case> {
    let refuse = "The server refuses the handshake with 400 Bad Request; a 101 is FAILED.";
    let rows = vec![
        row(
            "14.3.1",
            "No Sec-WebSocket-Key header.",
            refuse,
            "RFC 6455 §4.2.1",
            base().remove("Sec-WebSocket-Key"),
            Want::Refuse(&[400]),
        ),
        row(
            "14.3.2",
            "An empty Sec-WebSocket-Key.",
            refuse,
            "RFC 6455 §4.2.1",
            base().set("Sec-WebSocket-Key", ""),
            Want::Refuse(&[400]),
        ),
        row(
            "14.3.3",
            "A Sec-WebSocket-Key of the right length (24 characters) that is not base64.",
            refuse,
            "RFC 6455 §4.2.1",
            base().set("Sec-WebSocket-Key", "!!!!!!!!!!!!!!!!!!!!!!=="),
            Want::Refuse(&[400]),
        ),
        row(
            "14.3.4",
            "A base64 Sec-WebSocket-Key that decodes to 15 octets.",
            refuse,
            "RFC 6455 §4.2.1",
            base().set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25j"),
            Want::Refuse(&[400]),
        ),
        row(
            "14.3.5",
            "A base64 Sec-WebSocket-Key that decodes to 17 octets.",
            refuse,
            "RFC 6455 §4.2.1",
            base().set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZSE="),
            Want::Refuse(&[400]),
        ),
        row(
            "14.3.6",
            "Two Sec-WebSocket-Key headers with different valid keys.",
            "The field may appear only once; combined, the two values are no 16-octet key. \
             The server refuses with 400; a 101 (whichever key it hashed) is FAILED.",
            "RFC 6455 §11.3.1",
            base().add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            Want::Refuse(&[400]),
        ),
    ];
    build(("14.3", "Sec-WebSocket-Key validity"), rows)
}

/// 14.4: the request line and the required fields.
fn required() -> Vec<Case> {
    let mut post = base();
    post.request_line = "POST {path} HTTP/1.1".into();
    let mut http10 = base();
    http10.request_line = "GET {path} HTTP/1.0".into();
    let mut absolute = base();
    absolute.request_line = "GET http://{host}{path} HTTP/1.1".into();
    let not_ws = "The request is no WebSocket handshake: the server answers 400 or 426 (any \
         other non-101 status is NON-STRICT); a 101 is FAILED.";
    let rows = vec![
        row(
            "14.4.1",
            "A valid handshake sent with the POST method.",
            "Only GET opens a WebSocket: the server answers 400 or 405 (another non-101 status \
             is NON-STRICT); a 101 is FAILED.",
            "RFC 6455 §4.2.1",
            post,
            Want::Refuse(&[400, 405]),
        ),
        row(
            "14.4.2",
            "A valid handshake with the request line version HTTP/1.0.",
            "The handshake needs HTTP/1.1 or later: the server answers 400, 426 or 505; a 101 \
             is FAILED.",
            "RFC 6455 §4.2.1",
            http10,
            Want::Refuse(&[400, 426, 505]),
        ),
        row(
            "14.4.3",
            "A handshake without a Host header.",
            "Host is required: the server answers 400; a 101 is FAILED.",
            "RFC 6455 §4.2.1",
            base().remove("Host"),
            Want::Refuse(&[400]),
        ),
        row(
            "14.4.4",
            "A handshake without an Upgrade header.",
            not_ws,
            "RFC 6455 §4.2.1",
            base().remove("Upgrade"),
            Want::Refuse(&[400, 426]),
        ),
        row(
            "14.4.5",
            "A handshake without a Connection header.",
            not_ws,
            "RFC 6455 §4.2.1",
            base().remove("Connection"),
            Want::Refuse(&[400, 426]),
        ),
        row(
            "14.4.6",
            "Connection: keep-alive, without the Upgrade token.",
            not_ws,
            "RFC 6455 §4.2.1",
            base().set("Connection", "keep-alive"),
            Want::Refuse(&[400, 426]),
        ),
        row(
            "14.4.7",
            "The request-target in absolute form: GET http://host:port/path HTTP/1.1.",
            "The RFC allows an absolute http URI whose host, port and path match: the server \
             answers 101 and echoes one message. A server that refuses the absolute form is \
             recorded as UNIMPLEMENTED.",
            "RFC 6455 §4.2.1",
            absolute,
            Want::Lenient,
        ),
    ];
    build(("14.4", "Request line and required fields"), rows)
}

/// 14.5: spellings a server must (or, for bare LF, may) accept.
fn syntax() -> Vec<Case> {
    let mut no_space = base();
    no_space.separator = ":".into();
    let mut tab = base();
    tab.separator = ":\t ".into();
    let mut lf = base();
    lf.line_end = LineEnd::Lf;
    let rows = vec![
        row(
            "14.5.1",
            "Every header name in lower case (host, upgrade, connection, sec-websocket-key, \
             sec-websocket-version).",
            "Header names are case-insensitive: the server answers 101 and echoes one message.",
            "RFC 6455 §4.2.1",
            rename(base(), str::to_ascii_lowercase),
            Want::Accept,
        ),
        row(
            "14.5.2",
            "Every header name in upper case (HOST, UPGRADE, CONNECTION, …).",
            "Header names are case-insensitive: the server answers 101 and echoes one message.",
            "RFC 6455 §4.2.1",
            rename(base(), str::to_ascii_uppercase),
            Want::Accept,
        ),
        row(
            "14.5.3",
            "Upgrade: WEBSOCKET in upper case.",
            "The Upgrade value is compared ASCII case-insensitively: the server answers 101 \
             and echoes one message.",
            "RFC 6455 §4.2.1",
            base().set("Upgrade", "WEBSOCKET"),
            Want::Accept,
        ),
        row(
            "14.5.4",
            "Connection: keep-alive, Upgrade (the token list Firefox sends).",
            "Connection only has to include the Upgrade token: the server answers 101 and \
             echoes one message.",
            "RFC 6455 §4.2.1",
            base().set("Connection", "keep-alive, Upgrade"),
            Want::Accept,
        ),
        row(
            "14.5.5",
            "Connection: upgrade in lower case.",
            "The Connection token is case-insensitive: the server answers 101 and echoes one \
             message.",
            "RFC 6455 §4.2.1",
            base().set("Connection", "upgrade"),
            Want::Accept,
        ),
        row(
            "14.5.6",
            "Two Connection header lines: keep-alive, then Upgrade.",
            "Repeated field lines form one token list that includes Upgrade: the server \
             answers 101 and echoes one message.",
            "RFC 6455 §4.2.1",
            base()
                .set("Connection", "keep-alive")
                .add("Connection", "Upgrade"),
            Want::Accept,
        ),
        row(
            "14.5.7",
            "No space after the colon in any header line (Host:127.0.0.1:9001).",
            "Whitespace after the colon is optional in HTTP: the server answers 101 and \
             echoes one message.",
            "RFC 6455 §4.2.1",
            no_space,
            Want::Accept,
        ),
        row(
            "14.5.8",
            "A tab and a space after the colon in every header line.",
            "Optional whitespace may be tabs and spaces: the server answers 101 and echoes one \
             message.",
            "RFC 6455 §4.2.1",
            tab,
            Want::Accept,
        ),
        row(
            "14.5.9",
            "Every line of the request ends in a bare LF instead of CRLF.",
            "HTTP lets a recipient accept a bare LF as a line end but does not require it: \
             accepting (101 and an echo) is OK, a refusal is recorded as UNIMPLEMENTED.",
            "RFC 9112 §2.2",
            lf,
            Want::Lenient,
        ),
    ];
    build(("14.5", "Header spelling and syntax"), rows)
}

/// 14.6: how the request reaches the server over TCP.
fn delivery() -> Vec<Case> {
    let split = |id, description, at| Row {
        id,
        description,
        expectation: "The server reassembles the request from both writes, answers 101 and \
             echoes one message.",
        spec: "RFC 6455 §4.2.1",
        request: base(),
        delivery: Delivery::Split { at, pause_ms: 300 },
        want: Want::Accept,
    };
    let rows = vec![
        Row {
            delivery: Delivery::Bytewise,
            ..row(
                "14.6.1",
                "The request is written one octet per TCP write.",
                "The server reassembles the request, answers 101 and echoes one message.",
                "RFC 6455 §4.2.1",
                base(),
                Want::Accept,
            )
        },
        split(
            "14.6.2",
            "The request in two writes 300 ms apart, split right after the request line.",
            SplitAt::AfterRequestLine,
        ),
        split(
            "14.6.3",
            "The request in two writes 300 ms apart, split in the middle of the first \
             header name.",
            SplitAt::InHeaderName,
        ),
        split(
            "14.6.4",
            "The request in two writes 300 ms apart, split right before the blank line that \
             ends the head.",
            SplitAt::BeforeBlankLine,
        ),
        split(
            "14.6.5",
            "The request in two writes 300 ms apart, split after the first two octets (\"GE\").",
            SplitAt::Offset(2),
        ),
        Row {
            delivery: Delivery::Pipelined(vec![FrameSpec::text(HELLO)]),
            ..row(
                "14.6.6",
                "The first text frame is sent in the same TCP write as the request, before \
                 the 101 arrived.",
                "Octets after the head belong to the WebSocket stream once the server \
                 accepts: it answers 101 and echoes the pipelined message (losing it is \
                 FAILED). The client broke its duty to wait for the 101, so a refusal is \
                 recorded as UNIMPLEMENTED.",
                "RFC 6455 §4.1",
                base(),
                Want::Lenient,
            )
        },
    ];
    let mut cases = build(("14.6", "Request delivery over TCP"), rows);
    // The pipelined case sent its message with the request: only wait for the echo.
    if let Some(c) = cases.iter_mut().find(|c| c.id == "14.6.6") {
        c.steps = vec![Step::KillAfter(1000)];
    }
    cases
}

/// 14.7: the server picks one offered subprotocol or none.
fn subprotocols() -> Vec<Case> {
    let pick = "The server answers 101 with either no Sec-WebSocket-Protocol or exactly one of \
         the offered values, then echoes one message. Naming a value that was not offered is \
         FAILED.";
    let rows = vec![
        row(
            "14.7.1",
            "Sec-WebSocket-Protocol: chat, superchat (two offers in one header).",
            pick,
            "RFC 6455 §4.2.2",
            base().add("Sec-WebSocket-Protocol", "chat, superchat"),
            Want::Accept,
        ),
        row(
            "14.7.2",
            "Two Sec-WebSocket-Protocol headers, chat and superchat.",
            "Both lines form one offer list: the server answers 101 with no subprotocol or \
             exactly one of chat and superchat, then echoes one message.",
            "RFC 6455 §4.2.2",
            base()
                .add("Sec-WebSocket-Protocol", "chat")
                .add("Sec-WebSocket-Protocol", "superchat"),
            Want::Accept,
        ),
        row(
            "14.7.3",
            "One subprotocol offer no server knows: x-wsspec-unknown-protocol.",
            "The server answers 101 with no subprotocol (or the offered one, never another \
             value) and echoes one message.",
            "RFC 6455 §4.2.2",
            base().add("Sec-WebSocket-Protocol", "x-wsspec-unknown-protocol"),
            Want::Accept,
        ),
    ];
    build(("14.7", "Subprotocol negotiation"), rows)
}

/// 14.8: extensions the server cannot implement must not be accepted.
fn extensions() -> Vec<Case> {
    let unknown_with_params = format!("{UNKNOWN_EXTENSION}; max_bits=10; mode=fast");
    let rows =
        vec![
        row(
            "14.8.1",
            "Sec-WebSocket-Extensions offers only x-wsspec-unknown-extension, which no server \
             implements.",
            "The server answers 101 without accepting the extension (no \
             Sec-WebSocket-Extensions naming it) and echoes one message; accepting it is \
             FAILED.",
            "RFC 6455 §9.1",
            base().add("Sec-WebSocket-Extensions", UNKNOWN_EXTENSION),
            Want::Accept,
        ),
        row(
            "14.8.2",
            "Two Sec-WebSocket-Extensions headers: the unknown extension with parameters, then \
             a second unknown token.",
            "The server accepts neither offer, answers 101 and echoes one message.",
            "RFC 6455 §9.1",
            base()
                .add("Sec-WebSocket-Extensions", &unknown_with_params)
                .add("Sec-WebSocket-Extensions", "x-wsspec-other-unknown-extension"),
            Want::Accept,
        ),
    ];
    build(("14.8", "Extension negotiation"), rows)
}

/// 14.9: Origin policy and head size, where the RFC leaves the server free.
fn policy() -> Vec<Case> {
    let mut big = base().add("Cookie", &format!("big={}", "c".repeat(4000)));
    for i in 0..40 {
        big = big.add(
            &format!("X-Wsspec-Filler-{i:02}"),
            "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
        );
    }
    let huge = "h".repeat(64 * 1024);
    let rows = vec![
        row(
            "14.9.1",
            "Origin: http://host:port, the server's own origin.",
            "The server answers 101 and echoes one message. Origin policy is the server's \
             choice, so a refusal is recorded as UNIMPLEMENTED.",
            "RFC 6455 §4.2.2",
            base().add("Origin", "{origin}"),
            Want::Lenient,
        ),
        row(
            "14.9.2",
            "Origin: null, as browsers send it from file:// pages and sandboxed frames.",
            "Accepting (101 and an echo) is OK; the server may refuse an origin it does not \
             trust (403), which is recorded as UNIMPLEMENTED.",
            "RFC 6455 §4.2.2",
            base().add("Origin", "null"),
            Want::Lenient,
        ),
        row(
            "14.9.3",
            "Origin: http://wsspec.invalid, a foreign origin.",
            "Accepting (101 and an echo) is OK; refusing a foreign origin (403) is the \
             server's right and is recorded as UNIMPLEMENTED.",
            "RFC 6455 §10.2",
            base().add("Origin", "http://wsspec.invalid"),
            Want::Lenient,
        ),
        row(
            "14.9.4",
            "A request head of about 7 KiB: a 4000-byte Cookie and 40 filler headers.",
            "Heads of this size are common (cookies): the server answers 101 and echoes one \
             message. HTTP sets no minimum, so a refusal is recorded as UNIMPLEMENTED.",
            "RFC 9110 §5.4",
            big,
            Want::Lenient,
        ),
        row(
            "14.9.5",
            "A request head of over 64 KiB: one header line with a 65536-byte value.",
            "A server may limit its head size: refusing with 431 (or 400, 413) is expected, \
             and accepting is not wrong either. Recorded as informational.",
            "RFC 9110 §5.4",
            base().add("X-Wsspec-Huge", &huge),
            Want::Open(&[431, 400, 413]),
        ),
    ];
    build(("14.9", "Origin and head size"), rows)
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let mut out = accept_key();
    out.extend(versions());
    out.extend(keys());
    out.extend(required());
    out.extend(syntax());
    out.extend(delivery());
    out.extend(subprotocols());
    out.extend(extensions());
    out.extend(policy());
    out
}
