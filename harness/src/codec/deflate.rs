//! permessage-deflate (RFC 7692): the `Sec-WebSocket-Extensions` grammar, the extension's
//! parameters and their negotiation for either side, and the per-message compressor and
//! bounded inflater.
//!
//! flate2 (zlib-rs backend) takes window bits 9..=15 only and panics outside that range, so
//! every window size goes through [`zlib_window`] first: an agreed window of 8 bits is
//! compressed with stored blocks only (valid for any window) and inflated with 9 bits.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use wsspec_cases::DeflateAccept;

/// The extension token of RFC 7692.
pub const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

/// The octets a sync flush ends with, stripped by the sender and put back by the receiver
/// (RFC 7692 §7.2.1, §7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Largest inflated chunk handed to a sink, and the size of the inflater's buffer.
const CHUNK: usize = 64 * 1024;

/// Compression level used for windows of 9 bits and more: fast, so the harness is never
/// the bottleneck of a performance case.
const FAST_LEVEL: u32 = 1;

/// The window size LZ77 runs with when none is agreed (RFC 7692 §7.1.2).
const DEFAULT_WINDOW_BITS: u8 = 15;

/// One element of a `Sec-WebSocket-Extensions` value: an extension and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionItem {
    /// The extension token, as sent.
    pub name: String,
    /// The parameters in order, each with its value (unquoted) if it has one.
    pub params: Vec<(String, Option<String>)>,
}

/// Why a `Sec-WebSocket-Extensions` value does not follow RFC 6455 §9.1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionSyntaxError {
    /// The value names no extension at all.
    #[error("no extension in the value (RFC 6455 §9.1: extension-list = 1#extension)")]
    Empty,
    /// An extension name must start here but something else does.
    #[error("expected an extension token at octet {at} (RFC 6455 §9.1)")]
    ExpectedExtension {
        /// Octet offset in the value.
        at: usize,
    },
    /// A `;` is followed by no parameter: `;;`, `;,` or a trailing `;`.
    #[error(
        "empty parameter at octet {at} (RFC 6455 §9.1: extension-param = token [\"=\" value])"
    )]
    EmptyParameter {
        /// Octet offset in the value.
        at: usize,
    },
    /// A parameter name must start here but something else does.
    #[error("expected a parameter token at octet {at} (RFC 6455 §9.1)")]
    ExpectedParameter {
        /// Octet offset in the value.
        at: usize,
    },
    /// `=` is followed by neither a token nor a quoted-string.
    #[error("expected a token or quoted-string value at octet {at} (RFC 6455 §9.1)")]
    ExpectedValue {
        /// Octet offset in the value.
        at: usize,
    },
    /// A character the grammar does not allow where it stands.
    #[error("unexpected {found:?} at octet {at} (RFC 6455 §9.1)")]
    UnexpectedChar {
        /// Octet offset in the value.
        at: usize,
        /// The offending character.
        found: char,
    },
    /// A quoted-string without its closing quote.
    #[error("quoted-string opened at octet {at} is not terminated")]
    UnterminatedQuotedString {
        /// Octet offset of the opening quote.
        at: usize,
    },
    /// A quoted value that is not a token once unescaped.
    #[error("quoted value {0:?} is not a token once unescaped (RFC 6455 §9.1)")]
    QuotedValueNotToken(String),
}

/// Whether `b` may appear in an HTTP token (RFC 7230 §3.2.6 `tchar`).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A position in the header value being parsed.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// The token starting here, if one does.
    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        // Tokens are ASCII, so both ends are character boundaries.
        self.text.get(start..self.pos).filter(|t| !t.is_empty())
    }

    fn unexpected(&self) -> ExtensionSyntaxError {
        match self
            .text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
        {
            Some(found) => ExtensionSyntaxError::UnexpectedChar {
                at: self.pos,
                found,
            },
            None => ExtensionSyntaxError::ExpectedValue { at: self.pos },
        }
    }

    /// A quoted-string starting at the opening quote, unescaped; it must hold a token.
    fn quoted(&mut self) -> Result<String, ExtensionSyntaxError> {
        let open = self.pos;
        self.pos += 1;
        let mut value = Vec::new();
        loop {
            match self.peek() {
                None => return Err(ExtensionSyntaxError::UnterminatedQuotedString { at: open }),
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        None => {
                            return Err(ExtensionSyntaxError::UnterminatedQuotedString { at: open })
                        }
                        Some(b) if b == b'\t' || b >= 0x20 && b != 0x7f => {
                            value.push(b);
                            self.pos += 1;
                        }
                        Some(_) => return Err(self.unexpected()),
                    }
                }
                // qdtext: HTAB, SP, VCHAR but '"' and '\', obs-text.
                Some(b) if b == b'\t' || b >= 0x20 && b != 0x7f => {
                    value.push(b);
                    self.pos += 1;
                }
                Some(_) => return Err(self.unexpected()),
            }
        }
        if value.is_empty() || !value.iter().copied().all(is_tchar) {
            return Err(ExtensionSyntaxError::QuotedValueNotToken(
                String::from_utf8_lossy(&value).into_owned(),
            ));
        }
        Ok(value.iter().map(|&b| char::from(b)).collect())
    }

    /// A parameter value after `=`: a token or a quoted-string holding a token.
    fn value(&mut self) -> Result<String, ExtensionSyntaxError> {
        if self.peek() == Some(b'"') {
            return self.quoted();
        }
        let at = self.pos;
        self.token()
            .map(str::to_owned)
            .ok_or(ExtensionSyntaxError::ExpectedValue { at })
    }
}

/// Parse a Sec-WebSocket-Extensions value (several header lines already joined by ", "),
/// RFC 6455 §9.1 grammar; quoted-string values are unquoted.
///
/// Optional whitespace is allowed around `,`, `;` and `=`. Empty list elements (`a, , b`,
/// or a trailing `,` from an empty header line) are skipped as RFC 7230 §7 asks; an empty
/// parameter (`a;;b`) is an error, since parameters are no list.
pub fn parse_extensions(value: &str) -> Result<Vec<ExtensionItem>, ExtensionSyntaxError> {
    let mut c = Cursor {
        text: value,
        pos: 0,
    };
    let mut items = Vec::new();
    loop {
        c.skip_ows();
        match c.peek() {
            None => break,
            Some(b',') => {
                c.pos += 1;
                continue;
            }
            Some(_) => {}
        }
        let at = c.pos;
        let name = c
            .token()
            .ok_or(ExtensionSyntaxError::ExpectedExtension { at })?
            .to_owned();
        let mut params = Vec::new();
        loop {
            c.skip_ows();
            match c.peek() {
                None => break,
                Some(b',') => {
                    c.pos += 1;
                    break;
                }
                Some(b';') => {
                    c.pos += 1;
                    c.skip_ows();
                    let at = c.pos;
                    if matches!(c.peek(), None | Some(b';' | b',')) {
                        return Err(ExtensionSyntaxError::EmptyParameter { at });
                    }
                    let param = c
                        .token()
                        .ok_or(ExtensionSyntaxError::ExpectedParameter { at })?
                        .to_owned();
                    c.skip_ows();
                    let value = if c.peek() == Some(b'=') {
                        c.pos += 1;
                        c.skip_ows();
                        Some(c.value()?)
                    } else {
                        None
                    };
                    params.push((param, value));
                }
                Some(_) => return Err(c.unexpected()),
            }
        }
        items.push(ExtensionItem { name, params });
    }
    if items.is_empty() {
        return Err(ExtensionSyntaxError::Empty);
    }
    Ok(items)
}

/// The parameters of one permessage-deflate offer or response (RFC 7692 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PmdParams {
    /// `server_no_context_takeover` (RFC 7692 §7.1.1.1).
    pub server_no_context_takeover: bool,
    /// `client_no_context_takeover` (RFC 7692 §7.1.1.2).
    pub client_no_context_takeover: bool,
    /// `server_max_window_bits=N` (RFC 7692 §7.1.2.1).
    pub server_max_window_bits: Option<u8>,
    /// `client_max_window_bits[=N]` (RFC 7692 §7.1.2.2).
    /// Some(None): named without a value (allowed in offers only).
    pub client_max_window_bits: Option<Option<u8>>,
}

/// Which handshake message a permessage-deflate element comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A client's offer (`client_max_window_bits` may come without a value).
    Offer,
    /// A server's response (every window-bits parameter needs a value).
    Response,
}

/// Why a permessage-deflate element is invalid, or a response does not fit the offers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PmdError {
    /// The element is another extension.
    #[error("extension {0:?} is not permessage-deflate")]
    NotPermessageDeflate(String),
    /// A parameter RFC 7692 does not define.
    #[error("unknown parameter {0:?} (RFC 7692 §7: only the four parameters of §7.1 are defined)")]
    UnknownParameter(String),
    /// A parameter named twice.
    #[error("parameter {0} appears more than once (RFC 7692 §7)")]
    DuplicateParameter(String),
    /// A window-bits value that is not 8..=15 in decimal without leading zeros.
    #[error("{name}={value:?} is not a decimal 8..15 without leading zeros (RFC 7692 §7.1.2.1, §7.1.2.2)")]
    InvalidValue {
        /// The parameter.
        name: String,
        /// Its value as sent.
        value: String,
    },
    /// `server_max_window_bits` without a value, or `client_max_window_bits` without one
    /// in a response.
    #[error("{0} needs a value here (RFC 7692 §7.1.2.1, §7.1.2.2)")]
    MissingValue(String),
    /// A `…_no_context_takeover` parameter with a value.
    #[error("{0} takes no value (RFC 7692 §7.1.1.1, §7.1.1.2)")]
    UnexpectedValue(String),
    /// The response has `client_max_window_bits` but the offer did not name it.
    #[error(
        "client_max_window_bits in the response, but the offer did not name it (RFC 7692 §7.1.2.2)"
    )]
    ClientWindowBitsNotOffered,
    /// A window-bits value in the response above the offer's.
    #[error(
        "{name}={got} in the response exceeds the offered {offered} (RFC 7692 §7.1.2.1, §7.1.2.2)"
    )]
    WindowBitsAboveOffer {
        /// The parameter.
        name: String,
        /// The offer's value.
        offered: u8,
        /// The response's value.
        got: u8,
    },
    /// The offer had `server_max_window_bits` and the response leaves it out.
    #[error("the offer had server_max_window_bits={offered} but the response leaves it out (RFC 7692 §7.1.2.1)")]
    ServerWindowBitsDropped {
        /// The offer's value.
        offered: u8,
    },
    /// The offer had `server_no_context_takeover` and the response leaves it out.
    #[error("the offer had server_no_context_takeover but the response leaves it out (RFC 7692 §7.1.1.1)")]
    ServerNoContextTakeoverDropped,
    /// A response was checked against no offer at all.
    #[error("permessage-deflate in the response, but no valid offer of it was made (RFC 7692 §5)")]
    NotOffered,
}

/// A window-bits value: decimal 8..=15 without leading zeros.
fn window_bits(name: &str, value: &str) -> Result<u8, PmdError> {
    let bits = match value {
        "8" => 8,
        "9" => 9,
        "10" => 10,
        "11" => 11,
        "12" => 12,
        "13" => 13,
        "14" => 14,
        "15" => 15,
        _ => {
            return Err(PmdError::InvalidValue {
                name: name.to_owned(),
                value: value.to_owned(),
            })
        }
    };
    Ok(bits)
}

impl PmdParams {
    /// Validate one permessage-deflate element (RFC 7692 §7.1): values are 8..=15 decimal
    /// without leading zeros (also accept a quoted value), no duplicates, no unknown
    /// params.
    ///
    /// The extension name is compared without regard to ASCII case, parameter names
    /// exactly.
    pub fn from_item(item: &ExtensionItem, side: Side) -> Result<Self, PmdError> {
        if !item.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE) {
            return Err(PmdError::NotPermessageDeflate(item.name.clone()));
        }
        let mut p = PmdParams::default();
        let mut seen = [false; 4];
        for (name, value) in &item.params {
            let index = match name.as_str() {
                "server_no_context_takeover" => 0,
                "client_no_context_takeover" => 1,
                "server_max_window_bits" => 2,
                "client_max_window_bits" => 3,
                _ => return Err(PmdError::UnknownParameter(name.clone())),
            };
            if std::mem::replace(&mut seen[index], true) {
                return Err(PmdError::DuplicateParameter(name.clone()));
            }
            let value = value.as_deref();
            match (index, value) {
                (0 | 1, Some(_)) => return Err(PmdError::UnexpectedValue(name.clone())),
                (0, None) => p.server_no_context_takeover = true,
                (1, None) => p.client_no_context_takeover = true,
                (2, None) => return Err(PmdError::MissingValue(name.clone())),
                (2, Some(v)) => p.server_max_window_bits = Some(window_bits(name, v)?),
                (_, None) => match side {
                    Side::Offer => p.client_max_window_bits = Some(None),
                    Side::Response => return Err(PmdError::MissingValue(name.clone())),
                },
                (_, Some(v)) => p.client_max_window_bits = Some(Some(window_bits(name, v)?)),
            }
        }
        Ok(p)
    }

    /// "permessage-deflate" plus params in this order: server_no_context_takeover,
    /// server_max_window_bits=N, client_no_context_takeover, client_max_window_bits[=N];
    /// joined with "; ".
    pub fn render(&self) -> String {
        let mut parts = vec![PERMESSAGE_DEFLATE.to_owned()];
        if self.server_no_context_takeover {
            parts.push("server_no_context_takeover".to_owned());
        }
        if let Some(bits) = self.server_max_window_bits {
            parts.push(format!("server_max_window_bits={bits}"));
        }
        if self.client_no_context_takeover {
            parts.push("client_no_context_takeover".to_owned());
        }
        match self.client_max_window_bits {
            Some(Some(bits)) => parts.push(format!("client_max_window_bits={bits}")),
            Some(None) => parts.push("client_max_window_bits".to_owned()),
            None => {}
        }
        parts.join("; ")
    }
}

/// Parameters in effect once agreed (defaults filled in: 15 bits, context takeover on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Agreed {
    /// The server resets its compression context after every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after every message.
    pub client_no_context_takeover: bool,
    /// The server compresses with at most this window (bits).
    pub server_max_window_bits: u8,
    /// The client compresses with at most this window (bits).
    pub client_max_window_bits: u8,
}

impl Agreed {
    /// The agreed set a (valid) response stands for.
    pub fn from_response(r: &PmdParams) -> Self {
        Agreed {
            server_no_context_takeover: r.server_no_context_takeover,
            client_no_context_takeover: r.client_no_context_takeover,
            server_max_window_bits: r.server_max_window_bits.unwrap_or(DEFAULT_WINDOW_BITS),
            client_max_window_bits: r
                .client_max_window_bits
                .flatten()
                .unwrap_or(DEFAULT_WINDOW_BITS),
        }
    }

    /// (window_bits, no_context_takeover) the given endpoint compresses with (is_server:
    /// the sender is the server → server_* params).
    pub fn sending(&self, is_server: bool) -> (u8, bool) {
        if is_server {
            (self.server_max_window_bits, self.server_no_context_takeover)
        } else {
            (self.client_max_window_bits, self.client_no_context_takeover)
        }
    }

    /// (window_bits, no_context_takeover) the given endpoint inflates with (is_server
    /// receives what the client compressed → client_* params).
    pub fn receiving(&self, is_server: bool) -> (u8, bool) {
        self.sending(!is_server)
    }
}

/// Whether `response` is a valid answer to `offer`.
fn fits_offer(offer: &PmdParams, response: &PmdParams) -> Result<(), PmdError> {
    if offer.server_no_context_takeover && !response.server_no_context_takeover {
        return Err(PmdError::ServerNoContextTakeoverDropped);
    }
    match (
        offer.server_max_window_bits,
        response.server_max_window_bits,
    ) {
        (Some(offered), Some(got)) if got > offered => {
            return Err(PmdError::WindowBitsAboveOffer {
                name: "server_max_window_bits".to_owned(),
                offered,
                got,
            })
        }
        (Some(offered), None) => return Err(PmdError::ServerWindowBitsDropped { offered }),
        _ => {}
    }
    match (
        offer.client_max_window_bits,
        response.client_max_window_bits,
    ) {
        (_, None) => Ok(()),
        (_, Some(None)) => Err(PmdError::MissingValue("client_max_window_bits".to_owned())),
        (None, Some(Some(_))) => Err(PmdError::ClientWindowBitsNotOffered),
        (Some(Some(offered)), Some(Some(got))) if got > offered => {
            Err(PmdError::WindowBitsAboveOffer {
                name: "client_max_window_bits".to_owned(),
                offered,
                got,
            })
        }
        (Some(_), Some(Some(_))) => Ok(()),
    }
}

/// Client side: validate a server's response against the permessage-deflate offers made
/// (RFC 7692 §7.1.1.1, §7.1.1.2, §7.1.2.1, §7.1.2.2: response client_max_window_bits only
/// if the offer named it and ≤ its value; server_max_window_bits ≤ offered value if offered
/// (any 8..15 if not offered); server_no_context_takeover must be echoed when offered
/// (dropping it = ServerNoContextTakeoverDropped); client_no_context_takeover may always
/// appear). Ok if valid for at least one offer; otherwise the error for the first offer.
///
/// A server that drops an offered `server_max_window_bits` fails too
/// (`ServerWindowBitsDropped`): §7.1.2.1 accepts such an offer only by including it.
/// Without any offer the result is `NotOffered`.
pub fn check_response(offers: &[PmdParams], response: &PmdParams) -> Result<Agreed, PmdError> {
    let mut first = None;
    for offer in offers {
        match fits_offer(offer, response) {
            Ok(()) => return Ok(Agreed::from_response(response)),
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    Err(first.unwrap_or(PmdError::NotOffered))
}

/// Whether Autobahn's answer `accept` fits `offer`.
fn accept_fits(accept: &DeflateAccept, offer: &PmdParams) -> bool {
    // `client_no_context_takeover` may be asked of any client (RFC 7692 §7.1.1.2), as
    // Autobahn's server does whatever the offer says.
    match (accept.client_max_window_bits, offer.client_max_window_bits) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(_), Some(None)) => true,
        (Some(want), Some(Some(offered))) => offered >= want,
    }
}

/// The valid permessage-deflate offers among `Sec-WebSocket-Extensions` header values (one
/// per line); invalid offers are left out, as a server declines them (RFC 7692 §5), and a
/// malformed header yields none.
pub fn valid_offers<S: AsRef<str>>(values: &[S]) -> Vec<PmdParams> {
    deflate_elements(values)
        .iter()
        .filter_map(|i| PmdParams::from_item(i, Side::Offer).ok())
        .collect()
}

/// Whether `Sec-WebSocket-Extensions` header values offer a permessage-deflate element
/// that a server must decline (RFC 7692 §5).
pub fn has_invalid_offer<S: AsRef<str>>(values: &[S]) -> bool {
    deflate_elements(values)
        .iter()
        .any(|i| PmdParams::from_item(i, Side::Offer).is_err())
}

/// The permessage-deflate elements of header values; none if the header is malformed.
fn deflate_elements<S: AsRef<str>>(values: &[S]) -> Vec<ExtensionItem> {
    let joined: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
    parse_extensions(&joined.join(", "))
        .unwrap_or_default()
        .into_iter()
        .filter(|i| i.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE))
        .collect()
}

/// Server side, Autobahn's accept: for each answer in `accepts` in order, the first offer
/// it fits (an answer with client_max_window_bits=Some(n) fits only an offer that names
/// client_max_window_bits, any value ≥ n or none; client_no_context_takeover fits every
/// offer); the response echoes the offer's
/// server_no_context_takeover and server_max_window_bits and adds the answer's client_*
/// params. Returns the response params and the agreed set; None if nothing fits.
pub fn accept_offer(
    offers: &[PmdParams],
    accepts: &[DeflateAccept],
) -> Option<(PmdParams, Agreed)> {
    accepts.iter().find_map(|accept| {
        let offer = offers.iter().find(|o| accept_fits(accept, o))?;
        let response = PmdParams {
            server_no_context_takeover: offer.server_no_context_takeover,
            server_max_window_bits: offer.server_max_window_bits,
            client_no_context_takeover: accept.client_no_context_takeover,
            client_max_window_bits: accept.client_max_window_bits.map(Some),
        };
        Some((response, Agreed::from_response(&response)))
    })
}

/// The (window bits, level) zlib runs with for an agreed window: flate2 panics outside
/// 9..=15, and zlib turns a raw 8-bit window into 9 silently, so a window of 8 (or less)
/// gets 9 bits with stored blocks only (no back-references at all).
///
/// Keep the `clamp`: rustc 1.95.0 (LLVM 22.1.2) compiles the equivalent
/// `if w <= 8 { 9 } else { w.min(15) }` to plain `w.min(15)` at any opt-level ≥ 1.
fn zlib_window(window_bits: u8, level: u32) -> (u8, u32) {
    let level = if window_bits < 9 { 0 } else { level };
    (window_bits.clamp(9, 15), level)
}

/// Compresses messages for one endpoint (raw deflate, Z_SYNC_FLUSH, tail 00 00 ff ff
/// stripped).
pub struct Deflater {
    compress: Compress,
    no_context_takeover: bool,
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflater")
            .field("no_context_takeover", &self.no_context_takeover)
            .finish_non_exhaustive()
    }
}

impl Deflater {
    /// window_bits 8..=15. Window 8 cannot be produced by zlib (it silently uses 9): use
    /// level 0 (stored blocks, no back-references) with window 9 so the stream is valid for
    /// an 8-bit window. Otherwise use a fast level (1) — the harness must not be the
    /// bottleneck of performance cases.
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Self::with_level(window_bits, no_context_takeover, FAST_LEVEL)
    }

    /// A compressor at another level (tests compare with the RFC's level-6 examples).
    fn with_level(window_bits: u8, no_context_takeover: bool, level: u32) -> Self {
        let (bits, level) = zlib_window(window_bits, level);
        Deflater {
            compress: Compress::new_with_window_bits(Compression::new(level), false, bits),
            no_context_takeover,
        }
    }

    /// Run the compressor over `input` with `flush`, growing `out` as needed.
    fn run(&mut self, mut input: &[u8], out: &mut Vec<u8>, flush: FlushCompress) {
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve((input.len() / 2).max(4096));
            }
            let (in_before, out_before) = (self.compress.total_in(), out.len());
            // Errors only come from a misused stream, never from data; stop rather than spin.
            if self.compress.compress_vec(input, out, flush).is_err() {
                return;
            }
            let consumed = usize::try_from(self.compress.total_in() - in_before).unwrap_or(0);
            input = input.get(consumed..).unwrap_or_default();
            let room_left = out.len() < out.capacity();
            if input.is_empty() && room_left {
                return;
            }
            if consumed == 0 && out.len() == out_before && room_left {
                return;
            }
        }
    }

    /// Compress more octets of the current message, appending output to `out`.
    pub fn write(&mut self, data: &[u8], out: &mut Vec<u8>) {
        if !data.is_empty() {
            self.run(data, out, FlushCompress::None);
        }
    }

    /// End the current message: sync flush, strip the trailing 00 00 ff ff, reset the
    /// context if no_context_takeover. An empty message yields [0x00].
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        self.run(&[], out, FlushCompress::Sync);
        if out.len() - start >= TAIL.len() && out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        } else if out.len() == start {
            // Nothing was written since the last flush, so zlib has nothing to flush; the
            // stream is octet-aligned, and 00 starts the empty stored block the receiver
            // completes with the tail.
            out.push(0x00);
        }
        if self.no_context_takeover {
            self.compress.reset();
        }
    }

    /// One whole message.
    pub fn message(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() / 2 + 16);
        self.write(data, &mut out);
        self.finish(&mut out);
        out
    }
}

/// Why an incoming compressed message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InflateError {
    /// The data is not a valid DEFLATE stream (RFC 7692 §7.2.2).
    #[error("compressed message data does not inflate (RFC 7692 §7.2.2)")]
    Corrupt,
    /// The message inflates to more than the limit (octets).
    #[error("message inflates to more than the limit of {0} octets")]
    TooBig(u64),
}

/// Inflates one endpoint's incoming messages with bounded memory.
///
/// After an error the context is reset, so the inflater can be dropped or reused; with
/// context takeover later messages then usually fail too, as they should.
///
/// The tail is not fed when it would start a DEFLATE block that can never complete: after
/// a message whose data ends exactly with a BFINAL block (RFC 7692 §7.2.3.4; the stream
/// has ended, the next message starts a new one), and after a message with no compressed
/// octets at all (taken as the empty message).
pub struct Inflater {
    decompress: Decompress,
    no_context_takeover: bool,
    /// Output buffer, allocated on first use.
    buf: Vec<u8>,
    /// Octets the current message has inflated to so far.
    total: u64,
    /// No compressed octet was consumed since the DEFLATE stream (re)started: new, reset,
    /// or ended by a BFINAL block.
    at_stream_start: bool,
    /// Compressed octets of the current message were written.
    fed: bool,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("no_context_takeover", &self.no_context_takeover)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl Inflater {
    /// window_bits 8..=15 (8 inflates with 9, the smallest flate2 allows).
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        let (bits, _) = zlib_window(window_bits, 0);
        Inflater {
            decompress: Decompress::new_with_window_bits(false, bits),
            no_context_takeover,
            buf: Vec::new(),
            total: 0,
            at_stream_start: true,
            fed: false,
        }
    }

    /// Inflate more compressed octets of the current message; inflated octets go to `sink`
    /// in chunks of at most 64 KiB (internal buffer bounded); Err(TooBig) as soon as the
    /// message's inflated total would exceed `limit` (stop work immediately — a
    /// decompression bomb must not cost time or memory).
    pub fn write(
        &mut self,
        data: &[u8],
        limit: u64,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<(), InflateError> {
        if data.is_empty() {
            return Ok(());
        }
        self.fed = true;
        let fed = self.feed(data, limit, sink);
        if fed.is_err() {
            self.reset();
        }
        fed
    }

    /// End of message: feed the 00 00 ff ff tail, drain, reset if no_context_takeover.
    /// Returns the message's inflated length.
    pub fn finish(&mut self, limit: u64, sink: &mut dyn FnMut(&[u8])) -> Result<u64, InflateError> {
        let fed = if self.fed && !self.at_stream_start {
            self.feed(&TAIL, limit, sink)
        } else {
            Ok(())
        };
        self.fed = false;
        match fed {
            Ok(()) => {
                let total = std::mem::take(&mut self.total);
                if self.no_context_takeover {
                    self.decompress.reset(false);
                    self.at_stream_start = true;
                }
                Ok(total)
            }
            Err(e) => {
                self.reset();
                Err(e)
            }
        }
    }

    fn reset(&mut self) {
        self.total = 0;
        self.fed = false;
        self.at_stream_start = true;
        self.decompress.reset(false);
    }

    /// Inflate `input` completely, never producing more than one octet beyond `limit`.
    fn feed(
        &mut self,
        mut input: &[u8],
        limit: u64,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<(), InflateError> {
        if self.buf.is_empty() {
            self.buf = vec![0; CHUNK];
        }
        loop {
            // One octet past the limit is enough to know the message is too big.
            let room = limit
                .saturating_sub(self.total)
                .saturating_add(1)
                .min(CHUNK as u64) as usize;
            let (in_before, out_before) = (self.decompress.total_in(), self.decompress.total_out());
            let status = self
                .decompress
                .decompress(input, &mut self.buf[..room], FlushDecompress::None)
                .map_err(|_| InflateError::Corrupt)?;
            let consumed = usize::try_from(self.decompress.total_in() - in_before).unwrap_or(0);
            let produced = usize::try_from(self.decompress.total_out() - out_before).unwrap_or(0);
            input = input.get(consumed..).unwrap_or_default();
            if consumed > 0 {
                self.at_stream_start = false;
            }
            if produced > 0 {
                self.total = self.total.saturating_add(produced as u64);
                if self.total > limit {
                    return Err(InflateError::TooBig(limit));
                }
                sink(&self.buf[..produced.min(room)]);
            }
            if status == Status::StreamEnd {
                // A block with BFINAL set ends the DEFLATE stream (RFC 7692 §7.2.3.4); what
                // follows, the tail included, starts a new one without the old window.
                self.decompress.reset(false);
                self.at_stream_start = true;
                if input.is_empty() {
                    return Ok(());
                }
                continue;
            }
            if input.is_empty() && produced < room {
                return Ok(());
            }
            if consumed == 0 && produced == 0 {
                // Input left, room left, and zlib does nothing with it.
                return Err(InflateError::Corrupt);
            }
        }
    }
}

#[cfg(test)]
mod tests;
