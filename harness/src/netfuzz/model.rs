//! The oracle: what a conforming RFC 6455 server must do with a sequence, as a case.
//!
//! The model walks the frames as the server sees them and keeps one or more *worlds*: the
//! strict one (fail fast on every violation) and, where RFC 6455 leaves room, lenient ones
//! (a non-minimal length accepted; invalid UTF-8 noticed late, even asynchronously after
//! later frames were handled, as websockets' application-level decoding does). Each world
//! lists the server's outputs (echoes, pongs) and how the connection ends. The case
//! accepts the union of the worlds, with the same latitude the catalogue gives:
//!
//! - echoes and pongs may interleave in any order (a pong is due "as soon as practical",
//!   an echo whenever the application gets to it), each kind in order;
//! - of several pings, only the last one's pong is required (§5.5.3);
//! - a connection that is failed or closed may lose the echoes not yet sent and any pongs
//!   (Autobahn's "failing before the echo is NON-STRICT", 3.2, 4.1.3, 5.15, 7.1.6);
//! - the strict world's complete outputs are OK, every other acceptable outcome NON-STRICT.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use std::sync::Arc;

use wsspec_cases::{
    opcode, Case, Category, Chop, ClosePayload, Delivery, Event, Expected, ExpectedClose,
    FrameSpec, HandshakeExpect, LengthForm, LineEnd, Mask, Opening, Payload as CasePayload,
    Request, SplitAt, Step, Verdict, VerdictRule,
};

use super::action::{Action, FrameAction, LengthKind, MaskKind, OpeningKind, Sequence, Write};

/// The category fuzz cases are filed under in reports.
pub const FUZZ_CATEGORY: Category = Category {
    number: 99,
    title: "Fuzz findings",
};

/// Most acceptable event sequences a case may list.
pub const MAX_ALTERNATIVES: usize = 3000;

/// Most payload octets all alternatives together may hold.
const MAX_ALTERNATIVE_BYTES: usize = 16 * 1024 * 1024;

/// Most worlds (each lenient reading of the RFC doubles them).
const MAX_WORLDS: usize = 16;

/// Most pongs one sequence may expect (their subsets multiply the alternatives).
const MAX_PONGS: usize = 5;

/// How long the harness waits for the peer to close the connection it must fail.
pub const GUARD_MS: u64 = 1500;

/// The tag of an event that never happens (no step records tagged timeouts): an
/// alternative made of it only keeps the engine from closing as soon as the events match.
const SENTINEL: &str = "wsspec-fuzz: never";

/// The masking key of split frames, whose octets are written raw.
const SPLIT_KEY: [u8; 4] = [0x6b, 0x2d, 0xa1, 0x07];

/// Why a sequence cannot be made into a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The acceptable event sequences would be too many or too big to list.
    #[error("the sequence allows too many outcomes ({0} event sequences) to list")]
    TooManyAlternatives(usize),
    /// Too many lenient readings combine.
    #[error("the sequence has too many lenient readings ({0} worlds)")]
    TooManyWorlds(usize),
    /// Too many pings to enumerate which pongs may be skipped.
    #[error("the sequence expects {0} pongs (at most {MAX_PONGS})")]
    TooManyPongs(usize),
}

/// What the model says about a sequence, besides the case itself.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The strict world's outputs in the order the server produces them.
    pub primary: Vec<Event>,
    /// One phrase classifying the strict world's ending (part of finding signatures).
    pub expect_class: String,
    /// Number of acceptable event sequences.
    pub alternatives: usize,
    /// Number of worlds.
    pub worlds: usize,
    /// Only the peer's survival and its own protocol conformance count (an abort).
    pub informational: bool,
}

/// A sequence turned into a case, with the model's notes.
#[derive(Debug, Clone)]
pub struct Modeled {
    /// The case the engine runs and judges.
    pub case: Case,
    /// The model's notes.
    pub meta: Meta,
}

/// Which side of the connection the fuzzed peer plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeerRole {
    /// A server: the harness connects and masks its frames.
    #[default]
    Server,
    /// A client: it connects to the harness, which sends unmasked frames.
    Client,
}

/// Timing knobs of the generated cases.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Base time the peer gets to send every echo and pong before the harness closes,
    /// when the harness cannot close as soon as the events are complete (several orders
    /// are acceptable). Grows with the payload size.
    pub settle_ms: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { settle_ms: 150 }
    }
}

/// One output of the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Out {
    /// An echoed message.
    Msg { binary: bool, payload: Arc<[u8]> },
    /// A pong.
    Pong(Arc<[u8]>),
}

impl Out {
    fn event(&self) -> Event {
        match self {
            Out::Msg { binary, payload } => Event::Message {
                payload: payload.to_vec(),
                binary: *binary,
            },
            Out::Pong(p) => Event::Pong(p.to_vec()),
        }
    }
}

/// How a world's connection ends.
#[derive(Debug, Clone, PartialEq, Eq)]
enum End {
    /// The server must fail the connection with one of these codes (or drop TCP).
    Failed {
        codes: Vec<u16>,
        after_our_close: bool,
    },
    /// A valid close was answered: our closing handshake (`ours`) or, for a close frame
    /// sent raw, the server's reply, which the engine sees as the server closing.
    Replied { codes: Vec<u16>, ours: bool },
    /// The harness dropped TCP.
    Aborted,
}

/// A message being received.
#[derive(Debug, Clone)]
struct Message {
    opcode: u8,
    payload: Vec<u8>,
    /// Invalid UTF-8 was seen in a world that notices it late: it is never echoed.
    poisoned: bool,
}

/// One reading of the RFC and what the server does under it.
#[derive(Debug, Clone)]
struct World {
    /// Fail fast everywhere: the reading whose complete outputs are OK.
    strict: bool,
    outputs: Vec<Out>,
    open: Option<Message>,
    /// `None` while the connection is open.
    end: Option<End>,
    /// Invalid UTF-8 was deferred: the server may fail with 1007 at any moment from here.
    deferred: bool,
}

impl World {
    fn new() -> Self {
        World {
            strict: true,
            outputs: Vec::new(),
            open: None,
            end: None,
            deferred: false,
        }
    }

    fn fail(&mut self, codes: &[u16], after_our_close: bool) {
        self.open = None;
        self.end = Some(End::Failed {
            codes: codes.to_vec(),
            after_our_close,
        });
    }

    /// The closing possibilities: (harness closed first, codes, must be clean).
    fn closings(&self) -> Vec<(bool, Vec<u16>, bool)> {
        let mut out = match &self.end {
            None => vec![(true, vec![1000], true)],
            Some(End::Failed {
                codes,
                after_our_close,
            }) => vec![(*after_our_close, codes.clone(), false)],
            Some(End::Replied { codes, ours }) => vec![(*ours, codes.clone(), *ours)],
            Some(End::Aborted) => Vec::new(),
        };
        if self.deferred {
            for c in &mut out {
                c.2 = false;
            }
            out.push((false, vec![1007], false));
            out.push((true, vec![1007], false));
        }
        out
    }

    /// Whether outputs may be lost (a failed, closed or late-failing connection).
    fn lossy(&self) -> bool {
        self.deferred || self.end.is_some()
    }
}

/// A frame as the server receives it.
#[derive(Debug, Clone)]
struct Seen {
    opcode: u8,
    fin: bool,
    rsv: u8,
    /// Masked as the sender's role requires (clients mask, servers do not).
    mask_ok: bool,
    minimal: bool,
    payload: Vec<u8>,
    /// Sent by the harness's closing handshake (`Step::Close`).
    our_close: bool,
}

impl Seen {
    fn from_frame(f: &FrameAction, peer: PeerRole) -> Self {
        let len = f.payload.len();
        Seen {
            opcode: f.opcode & 0x0f,
            fin: f.fin,
            rsv: f.rsv & 7,
            mask_ok: match peer {
                // The harness is the client: a frame without a mask is the violation.
                PeerRole::Server => f.mask != MaskKind::Unmasked,
                // The harness is the server: its random mask means none; a key is masked.
                PeerRole::Client => !matches!(f.mask, MaskKind::Key(_)),
            },
            minimal: is_minimal(f.length, len),
            payload: f.payload.to_vec(),
            our_close: false,
        }
    }

    fn close(payload: Vec<u8>, our_close: bool) -> Self {
        Seen {
            opcode: opcode::CLOSE,
            fin: true,
            rsv: 0,
            mask_ok: true,
            minimal: true,
            payload,
            our_close,
        }
    }
}

/// Whether `kind` encodes `len` with the fewest octets (§5.2), as `encode_header` writes it.
fn is_minimal(kind: LengthKind, len: usize) -> bool {
    match kind {
        LengthKind::Minimal => true,
        LengthKind::Extended16 => len >= 126,
        LengthKind::Extended64 => len > 0xffff,
    }
}

/// Close codes a peer may send: RFC 6455 §7.4.1, the IANA additions 1012–1014, 3000–4999.
fn valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Feed one frame to a world; a lenient reading splits it in two (strict first).
fn feed(mut w: World, f: &Seen) -> Vec<World> {
    if w.end.is_some() {
        return vec![w];
    }
    let control = f.opcode & 0x8 != 0;
    let reserved = matches!(f.opcode, 0x3..=0x7 | 0xB..=0xF);
    // §5.1 masking, §5.2 RSV and opcodes, §5.5 control frames: all fail with 1002, so
    // the order in which a server checks them does not matter.
    if f.rsv != 0 || reserved || !f.mask_ok || (control && (!f.fin || f.payload.len() > 125)) {
        // No rule orders a server's checks: one that reads the whole frame first may
        // report its invalid UTF-8 instead (websockets checks a close reason first).
        let codes: &[u16] = if bad_text_too(&w, f) {
            &[1002, 1007]
        } else {
            &[1002]
        };
        w.fail(codes, f.our_close);
        return vec![w];
    }
    if !f.minimal {
        // §5.2's "MUST use the minimal number of bytes" binds the sender; a receiver may
        // fail (as the reference server does) or accept (as most do): catalogue 19.2.
        let mut strict = w.clone();
        strict.fail(&[1002], f.our_close);
        w.strict = false;
        let mut out = vec![strict];
        out.extend(accept(w, f));
        return out;
    }
    accept(w, f)
}

/// Whether text is invalid UTF-8: no continuation can make it valid, or it is final and
/// ends mid-character.
fn invalid_text(bytes: &[u8], fin: bool) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => false,
        Err(e) => e.error_len().is_some() || fin,
    }
}

/// Whether a frame also carries invalid UTF-8 where UTF-8 is due: a close reason, or the
/// text of a message (with what came before it).
fn bad_text_too(w: &World, f: &Seen) -> bool {
    match f.opcode {
        opcode::CLOSE => f.payload.len() > 2 && std::str::from_utf8(&f.payload[2..]).is_err(),
        opcode::TEXT if w.open.is_none() => invalid_text(&f.payload, f.fin),
        opcode::CONTINUATION => match &w.open {
            Some(m) if m.opcode == opcode::TEXT && !m.poisoned => {
                invalid_text(&[&m.payload[..], &f.payload[..]].concat(), f.fin)
            }
            _ => false,
        },
        _ => false,
    }
}

/// A frame with a valid header.
fn accept(mut w: World, f: &Seen) -> Vec<World> {
    match f.opcode {
        opcode::CONTINUATION | opcode::TEXT | opcode::BINARY => data(w, f),
        opcode::PING => {
            w.outputs.push(Out::Pong(f.payload.clone().into()));
            vec![w]
        }
        opcode::CLOSE => close(w, f),
        // An unsolicited pong is ignored (§5.5.3).
        _ => vec![w],
    }
}

fn data(mut w: World, f: &Seen) -> Vec<World> {
    match (&w.open, f.opcode) {
        (None, opcode::CONTINUATION) | (Some(_), opcode::TEXT | opcode::BINARY) => {
            // §5.4: nothing to continue, or a new message inside a fragmented one.
            w.fail(&[1002], false);
            return vec![w];
        }
        (None, op) => {
            w.open = Some(Message {
                opcode: op,
                payload: Vec::new(),
                poisoned: false,
            })
        }
        (Some(_), _) => {}
    }
    let Some(m) = w.open.as_mut() else {
        return vec![w];
    };
    m.payload.extend_from_slice(&f.payload);
    if m.opcode == opcode::TEXT && !m.poisoned && invalid_text(&m.payload, f.fin) {
        // §8.1: fail with 1007. A fail-fast server does it at this frame; others notice
        // when the message is complete or when the application decodes it, after later
        // frames were already handled (websockets 17): from here on the connection may
        // fail at any moment, and the bad message is never echoed.
        m.poisoned = true;
        let mut fast = w.clone();
        fast.fail(&[1007], false);
        w.strict = false;
        w.deferred = true;
        finish(&mut w, f.fin);
        return vec![fast, w];
    }
    finish(&mut w, f.fin);
    vec![w]
}

/// End of a data frame: a final one completes the message, echoed unless poisoned.
fn finish(w: &mut World, fin: bool) {
    if !fin {
        return;
    }
    if let Some(m) = w.open.take() {
        if !m.poisoned {
            w.outputs.push(Out::Msg {
                binary: m.opcode == opcode::BINARY,
                payload: m.payload.into(),
            });
        }
    }
}

/// A close frame with a valid header (§5.5.1, §7.4).
fn close(mut w: World, f: &Seen) -> Vec<World> {
    let p = &f.payload;
    if p.len() == 1 {
        w.fail(&[1002], f.our_close);
        return vec![w];
    }
    let code = (p.len() >= 2).then(|| u16::from_be_bytes([p[0], p[1]]));
    let reason_ok = p.len() < 2 || std::str::from_utf8(&p[2..]).is_ok();
    let answer = |mut w: World| {
        if !reason_ok {
            // Catalogue 7.5.1: 1002 or 1007.
            w.fail(&[1002, 1007], f.our_close);
        } else {
            let mut codes = vec![1000];
            if let Some(c) = code.filter(|c| *c != 1000) {
                codes.push(c);
            }
            // A fragmented message may be open: the close still gets a normal answer
            // (catalogue 7.1.5).
            w.open = None;
            w.end = Some(End::Replied {
                codes,
                ours: f.our_close,
            });
        }
        w
    };
    // An invalid code and an invalid reason: either may be reported.
    let refusal: &[u16] = if reason_ok { &[1002] } else { &[1002, 1007] };
    match code {
        Some(c) if c >= 5000 => {
            // Beyond the registry: echoing it, answering 1000 or failing with 1002 are
            // all accepted (catalogue 7.13 records them as informational).
            let mut strict = w.clone();
            strict.fail(refusal, f.our_close);
            w.strict = false;
            vec![strict, answer(w)]
        }
        Some(c) if !valid_close_code(c) => {
            w.fail(refusal, f.our_close);
            vec![w]
        }
        _ => vec![answer(w)],
    }
}

// ---- steps --------------------------------------------------------------------------------

/// The engine's frame for an action frame.
fn spec(f: &FrameAction) -> FrameSpec {
    FrameSpec {
        opcode: f.opcode & 0x0f,
        fin: f.fin,
        rsv: f.rsv & 7,
        payload: f.payload.to_case(),
        mask: match f.mask {
            MaskKind::Random => Mask::Random,
            MaskKind::Unmasked => Mask::Unmasked,
            MaskKind::Key(k) => Mask::Fixed(k),
        },
        length_form: match f.length {
            LengthKind::Minimal => LengthForm::Minimal,
            LengthKind::Extended16 => LengthForm::Extended16,
            LengthKind::Extended64 => LengthForm::Extended64,
        },
        chop: match f.write {
            Write::Chop(n) => Chop::Every(usize::from(n.max(1))),
            _ => Chop::Whole,
        },
        sync: f.write == Write::Sync,
    }
}

/// The octets of a frame written raw: header, then the payload masked with its key.
fn raw_frame(f: &FrameAction, peer: PeerRole) -> Vec<u8> {
    let payload = f.payload.to_vec();
    let key = match f.mask {
        MaskKind::Random if peer == PeerRole::Client => None,
        MaskKind::Random => Some(SPLIT_KEY),
        MaskKind::Unmasked => None,
        MaskKind::Key(k) => Some(k),
    };
    let form = match f.length {
        LengthKind::Minimal => LengthForm::Minimal,
        LengthKind::Extended16 => LengthForm::Extended16,
        LengthKind::Extended64 => LengthForm::Extended64,
    };
    let mut out = Vec::with_capacity(payload.len() + 14);
    crate::codec::encode_header(
        &mut out,
        f.fin,
        f.rsv & 7,
        f.opcode & 0x0f,
        key,
        payload.len() as u64,
        form,
    );
    let start = out.len();
    out.extend_from_slice(&payload);
    if let Some(k) = key {
        crate::codec::apply_mask(&mut out[start..], k, 0);
    }
    out
}

/// A message's frames: `fragments` frames (at least one), the payload split evenly.
fn message_frames(binary: bool, payload: &[u8], fragments: u8, write: Write) -> Vec<FrameAction> {
    let n = usize::from(fragments.max(1));
    let len = payload.len();
    (0..n)
        .map(|i| {
            let part = &payload[i * len / n..(i + 1) * len / n];
            let op = match (i, binary) {
                (0, true) => opcode::BINARY,
                (0, false) => opcode::TEXT,
                _ => opcode::CONTINUATION,
            };
            FrameAction {
                fin: i + 1 == n,
                write,
                ..FrameAction::new(
                    op,
                    super::action::Payload::Binary {
                        hex: super::action::Bytes(part.to_vec()),
                    },
                )
            }
        })
        .collect()
}

/// The opening of a sequence.
fn opening(kind: OpeningKind) -> Opening {
    let standard = Request::standard(wsspec_cases::Dialect::Rfc6455);
    let rename = |f: fn(&str) -> String| {
        let mut r = standard.clone();
        for (n, _) in &mut r.headers {
            *n = f(n);
        }
        r
    };
    let custom = |request: Request, delivery: Delivery| Opening {
        request: Some(request),
        delivery,
        ..Opening::default()
    };
    let split = |at| Delivery::Split { at, pause_ms: 20 };
    match kind {
        OpeningKind::Standard => Opening::default(),
        OpeningKind::LowerCaseNames => custom(rename(|n| n.to_ascii_lowercase()), Delivery::Whole),
        OpeningKind::UpperCaseNames => custom(rename(|n| n.to_ascii_uppercase()), Delivery::Whole),
        OpeningKind::UpgradeUpperCase => {
            custom(standard.set("Upgrade", "WEBSOCKET"), Delivery::Whole)
        }
        OpeningKind::KeepAliveUpgrade => custom(
            standard.set("Connection", "keep-alive, Upgrade"),
            Delivery::Whole,
        ),
        OpeningKind::NoSpace => {
            let mut r = standard;
            r.separator = ":".into();
            r.line_end = LineEnd::CrLf;
            custom(r, Delivery::Whole)
        }
        OpeningKind::Bytewise => custom(standard, Delivery::Bytewise),
        OpeningKind::SplitAfterRequestLine => custom(standard, split(SplitAt::AfterRequestLine)),
        OpeningKind::SplitBeforeBlankLine => custom(standard, split(SplitAt::BeforeBlankLine)),
        OpeningKind::UnsupportedVersion => Opening {
            request: Some(standard.set("Sec-WebSocket-Version", "14")),
            expect: HandshakeExpect::RefuseVersion,
            ..Opening::default()
        },
    }
}

// ---- the case -----------------------------------------------------------------------------

/// Turn a sequence into a case judged by the model.
pub fn model(seq: &Sequence, id: &str, timing: Timing) -> Result<Modeled, ModelError> {
    model_for(seq, id, timing, PeerRole::Server)
}

/// Turn a sequence into a case for a peer of `peer`'s role: a server (the harness is the
/// client, `wsspec fuzz --url`) or a client (`wsspec fuzz --listen`; the opening is the
/// client's own, so the sequence's opening variant does not apply).
pub fn model_for(
    seq: &Sequence,
    id: &str,
    timing: Timing,
    peer: PeerRole,
) -> Result<Modeled, ModelError> {
    let seq = &if peer == PeerRole::Client {
        Sequence {
            opening: OpeningKind::Standard,
            actions: seq.actions.clone(),
        }
    } else {
        seq.clone()
    };
    let mut case = Case::new(id, FUZZ_CATEGORY, &format!("Fuzz sequence: {seq}"), "");
    case.spec = "RFC 6455 (network fuzzer model)";
    case.opening = opening(seq.opening);
    if seq.opening == OpeningKind::UnsupportedVersion {
        // Only the handshake is judged: the engine stops after the expected refusal.
        case.expectation =
            "The server refuses version 14 with 426 and a Sec-WebSocket-Version list.".into();
        return Ok(Modeled {
            case,
            meta: Meta {
                primary: Vec::new(),
                expect_class: "refuse version".into(),
                alternatives: 0,
                worlds: 1,
                informational: false,
            },
        });
    }

    let mut worlds = vec![World::new()];
    let mut steps = Vec::new();
    let mut aborted = false;
    let mut bytes = 0usize;
    // Chopped writes the engine makes: the settle time starts when the steps are queued,
    // not when their last octet is out, so slow octet-wise writes add to it.
    let mut writes = 0usize;
    let mut count_writes = |f: &FrameAction| {
        if let Write::Chop(n) = f.write {
            writes += (f.payload.len() + 14) / usize::from(n.max(1)) + 1;
        }
    };
    let apply = |worlds: Vec<World>, seen: &Seen| -> Result<Vec<World>, ModelError> {
        let next: Vec<World> = worlds.into_iter().flat_map(|w| feed(w, seen)).collect();
        if next.len() > MAX_WORLDS {
            return Err(ModelError::TooManyWorlds(next.len()));
        }
        Ok(next)
    };
    for action in &seq.actions {
        bytes += action.payload_len();
        match action {
            Action::Frame(f) => {
                count_writes(f);
                steps.push(Step::Send(spec(f)));
                worlds = apply(worlds, &Seen::from_frame(f, peer))?;
            }
            Action::Message {
                binary,
                payload,
                fragments,
                write,
            } => {
                for f in message_frames(*binary, &payload.to_vec(), *fragments, *write) {
                    count_writes(&f);
                    steps.push(Step::Send(spec(&f)));
                    worlds = apply(worlds, &Seen::from_frame(&f, peer))?;
                }
            }
            Action::Ping { payload } | Action::Pong { payload } => {
                let op = if matches!(action, Action::Ping { .. }) {
                    opcode::PING
                } else {
                    opcode::PONG
                };
                let f = FrameAction::new(op, payload.clone());
                steps.push(Step::Send(spec(&f)));
                worlds = apply(worlds, &Seen::from_frame(&f, peer))?;
            }
            Action::Close(c) => {
                let payload = c.to_bytes();
                // Our closing handshake only where every world is still open: once the
                // server may have failed the connection, a close of ours would race its
                // close and make the harness "the wrong endpoint". Then the close frame
                // goes out raw, and a server still open answers it as the closer.
                let ours = worlds.iter().all(|w| w.end.is_none());
                if ours {
                    steps.push(Step::Close(ClosePayload::Raw(payload.clone())));
                } else {
                    steps.push(Step::Send(FrameSpec::new(
                        opcode::CLOSE,
                        CasePayload::Bytes(payload.clone()),
                    )));
                }
                worlds = apply(worlds, &Seen::close(payload, ours))?;
                // Nothing is sent after a close: a server that closes TCP with our octets
                // unread would reset the connection and could destroy its own close frame.
                break;
            }
            Action::Split {
                frame,
                at,
                pause_ms,
            } => {
                let octets = raw_frame(frame, peer);
                let at = usize::from(*at).clamp(1, octets.len().saturating_sub(1).max(1));
                steps.push(raw(octets[..at].to_vec()));
                if at < octets.len() {
                    steps.push(Step::Wait {
                        ms: u64::from(*pause_ms),
                        tag: None,
                    });
                    steps.push(raw(octets[at..].to_vec()));
                }
                worlds = apply(worlds, &Seen::from_frame(frame, peer))?;
            }
            Action::Delay { ms } => steps.push(Step::Wait {
                ms: u64::from(*ms),
                tag: None,
            }),
            Action::Abort { after_ms } => {
                steps.push(Step::Wait {
                    ms: u64::from((*after_ms).max(5)),
                    tag: None,
                });
                steps.push(Step::KillAfter(0));
                for w in &mut worlds {
                    if w.end.is_none() {
                        w.end = Some(End::Aborted);
                    }
                }
                aborted = true;
                break;
            }
        }
    }

    let alternatives = alternatives(&worlds)?;
    let listed = alternatives.len();
    let primary: Vec<Event> = worlds[0].outputs.iter().map(Out::event).collect();
    let running = worlds.iter().filter(|w| w.end.is_none()).count();
    let deferred = worlds.iter().any(|w| w.deferred);
    // A generous 100 µs per chopped write (each is a syscall and a wake-up of the peer).
    let settle = timing.settle_ms + (bytes / 2048) as u64 + (writes / 10) as u64;
    // Without pauses the engine queues every step at once, so a close it starts when the
    // events are complete (`finishWhenDone`) goes out after all of them. With a pause it
    // could go out in the middle (even inside a split frame): then a sentinel alternative
    // that can never match keeps the engine from closing early.
    let paused = steps.iter().any(|s| matches!(s, Step::Wait { .. }));
    let mut alternatives = alternatives;
    if !aborted {
        if running == 0 {
            steps.push(Step::KillAfter(GUARD_MS));
        } else if running == worlds.len()
            && !deferred
            && alternatives.len() == 1
            && alternatives[0].1.is_empty()
        {
            // Nothing to wait for: close after the last step.
            steps.push(Step::Close(ClosePayload::code(1000)));
        } else if running == worlds.len() && !deferred && alternatives.len() == 1 && !paused {
            // The engine closes the moment the events are complete; the timer only bounds
            // a peer that never completes them.
            steps.push(Step::CloseAfter(GUARD_MS + settle));
        } else {
            // Several outcomes are acceptable, so completeness is unknowable: give the
            // peer time to send everything, then close if it is still open.
            steps.push(Step::CloseAfter(settle.min(3000)));
        }
    }
    if paused && alternatives.len() == 1 {
        alternatives.push((Verdict::Failed, vec![Event::Timeout(SENTINEL)]));
    }

    let closings: Vec<(bool, Vec<u16>, bool)> = worlds.iter().flat_map(World::closings).collect();
    let mut codes: Vec<u16> = Vec::new();
    // An open world closes with 1000 first: `finishWhenDone` closes with the first code.
    if closings.iter().any(|c| c.0 && c.1.contains(&1000)) {
        codes.push(1000);
    }
    for c in closings.iter().flat_map(|c| c.1.iter()) {
        if !codes.contains(c) {
            codes.push(*c);
        }
    }
    let by_me = closings.iter().any(|c| c.0);
    let by_peer = closings.iter().any(|c| !c.0);
    case.steps = steps;
    case.expected = Expected {
        alternatives: alternatives.clone(),
    };
    case.expected_close = ExpectedClose {
        closed_by_me: by_me || !by_peer,
        codes,
        require_clean: !closings.is_empty() && closings.iter().all(|c| c.2),
        wrong_endpoint_is_fatal: false,
    };
    case.rule = if aborted {
        VerdictRule::Informational
    } else if by_me && by_peer {
        VerdictRule::EitherEndpointCloses
    } else {
        VerdictRule::Standard
    };
    let expect_class = class(&worlds[0]);
    case.expectation = expectation(&worlds[0], worlds.len());
    Ok(Modeled {
        case,
        meta: Meta {
            primary,
            expect_class,
            alternatives: listed,
            worlds: worlds.len(),
            informational: aborted,
        },
    })
}

fn raw(bytes: Vec<u8>) -> Step {
    Step::SendRaw {
        bytes,
        chop: Chop::Whole,
    }
}

/// A phrase for the strict world's ending.
fn class(w: &World) -> String {
    match &w.end {
        None if w.deferred => "open, may fail 1007".into(),
        None => "open".into(),
        Some(End::Failed {
            codes,
            after_our_close,
        }) => format!(
            "{} {}",
            if *after_our_close {
                "our close refused with"
            } else {
                "peer fails with"
            },
            join(codes)
        ),
        Some(End::Replied { ours: true, .. }) => "our close answered".into(),
        Some(End::Replied { ours: false, .. }) => "raw close answered".into(),
        Some(End::Aborted) => "aborted".into(),
    }
}

fn join(codes: &[u16]) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join("/")
}

/// The case's expectation text, from the strict world.
fn expectation(w: &World, worlds: usize) -> String {
    let msgs = w
        .outputs
        .iter()
        .filter(|o| matches!(o, Out::Msg { .. }))
        .count();
    let pongs = w.outputs.len() - msgs;
    let mut s = format!("The server echoes {msgs} message(s) and sends {pongs} pong(s), then ");
    s.push_str(&match &w.end {
        None => "stays open until the harness closes with 1000, and answers with 1000.".into(),
        Some(End::Failed { codes, .. }) => {
            format!("fails the connection with {} (or drops TCP).", join(codes))
        }
        Some(End::Replied { codes, .. }) => {
            format!("answers the close with {}.", join(codes))
        }
        Some(End::Aborted) => "the harness drops TCP; only the server's survival counts.".into(),
    });
    if worlds > 1 {
        s.push_str(&format!(
            " ({worlds} readings of RFC 6455 are accepted: lenient ones are NON-STRICT.)"
        ));
    }
    s
}

/// Every acceptable event sequence of every world, deduplicated, OK ones first.
fn alternatives(worlds: &[World]) -> Result<Vec<(Verdict, Vec<Event>)>, ModelError> {
    // Count first: the lists are built only when they fit.
    let mut count = 0usize;
    let mut octets = 0usize;
    for w in worlds {
        let (msgs, pongs) = split_outputs(w);
        if pongs.len() > MAX_PONGS {
            return Err(ModelError::TooManyPongs(pongs.len()));
        }
        let size: usize = w.outputs.iter().map(out_len).sum();
        let n = shapes(&msgs, &pongs, w.lossy())
            .iter()
            .map(|(i, subset)| binomial(i + subset.len(), subset.len()))
            .sum::<usize>();
        count = count.saturating_add(n);
        octets = octets.saturating_add(n.saturating_mul(size.max(1)));
        if count > MAX_ALTERNATIVES || octets > MAX_ALTERNATIVE_BYTES {
            return Err(ModelError::TooManyAlternatives(count));
        }
    }
    let mut seen: HashSet<Vec<Out>> = HashSet::new();
    let mut ok = Vec::new();
    let mut lenient = Vec::new();
    for w in worlds {
        let (msgs, pongs) = split_outputs(w);
        for (i, subset) in shapes(&msgs, &pongs, w.lossy()) {
            let complete = i == msgs.len() && subset.len() == pongs.len();
            let chosen: Vec<Out> = subset.iter().map(|&j| pongs[j].clone()).collect();
            let mut merged = Vec::new();
            interleave(&msgs[..i], &chosen, &mut Vec::new(), &mut merged);
            for seq in merged {
                if seen.insert(seq.clone()) {
                    let events: Vec<Event> = seq.iter().map(Out::event).collect();
                    if w.strict && complete {
                        ok.push((Verdict::Ok, events));
                    } else {
                        lenient.push((Verdict::NonStrict, events));
                    }
                }
            }
        }
    }
    ok.extend(lenient);
    Ok(ok)
}

fn out_len(o: &Out) -> usize {
    match o {
        Out::Msg { payload, .. } => payload.len(),
        Out::Pong(p) => p.len(),
    }
}

fn split_outputs(w: &World) -> (Vec<Out>, Vec<Out>) {
    w.outputs
        .iter()
        .cloned()
        .partition(|o| matches!(o, Out::Msg { .. }))
}

/// The (number of leading messages, indices of pongs) an outcome may show: all messages
/// and every pong subset that keeps the last pong (§5.5.3); when lossy, any leading run of
/// messages and any pong subset.
fn shapes(msgs: &[Out], pongs: &[Out], lossy: bool) -> Vec<(usize, Vec<usize>)> {
    let p = pongs.len();
    let subsets: Vec<Vec<usize>> = (0..(1usize << p))
        .filter(|mask| lossy || p == 0 || mask & (1 << (p - 1)) != 0)
        .map(|mask| (0..p).filter(|j| mask & (1 << j) != 0).collect())
        .collect();
    let first = if lossy { 0 } else { msgs.len() };
    let mut out = Vec::new();
    for i in first..=msgs.len() {
        for s in &subsets {
            out.push((i, s.clone()));
        }
    }
    out
}

/// Every merge of `a` and `b` that keeps each one's order.
fn interleave(a: &[Out], b: &[Out], prefix: &mut Vec<Out>, out: &mut Vec<Vec<Out>>) {
    match (a.split_first(), b.split_first()) {
        (None, None) => out.push(prefix.clone()),
        (Some((x, rest)), None) | (None, Some((x, rest))) => {
            prefix.push(x.clone());
            let (na, nb) = if a.is_empty() { (a, rest) } else { (rest, b) };
            interleave(na, nb, prefix, out);
            prefix.pop();
        }
        (Some((x, ra)), Some((y, rb))) => {
            prefix.push(x.clone());
            interleave(ra, b, prefix, out);
            prefix.pop();
            prefix.push(y.clone());
            interleave(a, rb, prefix, out);
            prefix.pop();
        }
    }
}

/// n choose k (saturating).
fn binomial(n: usize, k: usize) -> usize {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    (0..k).fold(1usize, |acc, i| acc.saturating_mul(n - i) / (i + 1))
}

#[cfg(test)]
mod tests;
