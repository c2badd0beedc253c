//! Seed inputs for every target, built from the catalogue's own wire bytes: its frames,
//! close payloads, opening requests (and the reference server's answers to them), hixie
//! frames and keys, extension offers and compression payloads. `harness/tests/fuzz_seeds.rs`
//! writes them to `fuzz/corpus/<target>/` (an ignored test) and replays the corpus.
//!
//! [`Writer`] writes the layouts the targets read, so a structured seed decodes to exactly
//! the catalogue value it was made from.

use std::collections::BTreeSet;

use wsspec_cases::{
    catalogue, Case, ClosePayload, Corpus, DeflateAccept, Delivery, Dialect, FrameSpec, Mask,
    Payload, ServerAnswer, Step,
};

use super::codec::FrameInput;
use crate::codec::deflate::{accept_offer, Deflater, PmdParams};
use crate::codec::frame::encode_header;
use crate::codec::hixie;
use crate::codec::mask::apply_mask;
use crate::echo::{accept_request, Upgrade, SERVER_NAME};
use crate::engine::opening::render;
use crate::handshake::{parse_head, switching_response};

/// Longest payload kept in a seed (libFuzzer's default `-max_len` is 4096 anyway).
const MAX_PAYLOAD: usize = 512;
/// Most seeds per target.
pub const MAX_SEEDS: usize = 300;
/// The key a `Mask::Random` frame gets in a seed (RFC 6455 §5.7's example key).
const SEED_KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Writes a target's input layout: fixed-size little-endian fields, `u16`-prefixed byte
/// strings, and the rest.
#[derive(Debug, Default, Clone)]
pub struct Writer(Vec<u8>);

impl Writer {
    /// An empty input.
    pub fn new() -> Self {
        Writer::default()
    }

    /// One octet.
    pub fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }

    /// A `bool` (one octet, 0 or 1).
    pub fn bool(self, v: bool) -> Self {
        self.u8(u8::from(v))
    }

    /// A little-endian `u16`.
    pub fn u16(mut self, v: u16) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// A little-endian `u64`.
    pub fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// Octets as they are (fixed-size arrays, or the rest of the input).
    pub fn raw(mut self, v: &[u8]) -> Self {
        self.0.extend_from_slice(v);
        self
    }

    /// An `Option<[u8; 4]>` as `Arbitrary` reads it.
    pub fn mask(self, v: Option<[u8; 4]>) -> Self {
        match v {
            Some(k) => self.u8(1).raw(&k),
            None => self.u8(0),
        }
    }

    /// A byte string: `u16` length, then the octets (at most 65535).
    pub fn bytes(self, v: &[u8]) -> Self {
        let v = &v[..v.len().min(usize::from(u16::MAX))];
        self.u16(v.len() as u16).raw(v)
    }

    /// The input.
    pub fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// At most [`MAX_PAYLOAD`] octets of a payload, without building a 16 MiB one first.
fn short_payload(p: &Payload) -> Vec<u8> {
    match p {
        Payload::Bytes(b) => b[..b.len().min(MAX_PAYLOAD)].to_vec(),
        Payload::Repeat { pattern, len } if pattern.is_empty() => vec![0; (*len).min(MAX_PAYLOAD)],
        Payload::Repeat { pattern, len } => pattern
            .iter()
            .copied()
            .cycle()
            .take((*len).min(MAX_PAYLOAD))
            .collect(),
    }
}

/// Every frame a case puts on the wire, as specified (payloads shortened).
fn frames(case: &Case) -> Vec<FrameSpec> {
    let mut out = Vec::new();
    if let Delivery::Pipelined(fs) = &case.opening.delivery {
        out.extend(fs.iter().cloned());
    }
    for step in &case.steps {
        match step {
            Step::Send(f) => out.push(f.clone()),
            Step::Close(p) => out.push(FrameSpec::new(8, Payload::Bytes(p.to_bytes()))),
            Step::SendMessage {
                opcode,
                payload,
                fragment_size,
            } => {
                let p = short_payload(payload);
                let size = if *fragment_size == 0 {
                    p.len().max(1)
                } else {
                    *fragment_size
                };
                let parts: Vec<&[u8]> = if p.is_empty() {
                    vec![&[]]
                } else {
                    p.chunks(size).collect()
                };
                let n = parts.len();
                for (i, part) in parts.into_iter().enumerate() {
                    let op = if i == 0 { *opcode } else { 0 };
                    out.push(FrameSpec::new(op, Payload::bytes(part)).fin(i + 1 == n));
                }
            }
            Step::RoundTrips {
                opcode, payload, ..
            } => out.push(FrameSpec::new(*opcode, payload.clone())),
            _ => {}
        }
    }
    out
}

fn key_of(mask: Mask) -> Option<[u8; 4]> {
    match mask {
        Mask::Random => Some(SEED_KEY),
        Mask::Unmasked => None,
        Mask::Fixed(k) => Some(k),
    }
}

/// A frame as [`FrameInput`] (payload shortened).
fn frame_input(f: &FrameSpec) -> FrameInput {
    let form = match f.length_form {
        wsspec_cases::LengthForm::Minimal => 0,
        wsspec_cases::LengthForm::Extended16 => 1,
        wsspec_cases::LengthForm::Extended64 => 2,
    };
    FrameInput {
        b0: (u8::from(f.fin) << 7) | ((f.rsv & 7) << 4) | (f.opcode & 0x0f),
        mask: key_of(f.mask),
        form,
        payload: short_payload(&f.payload),
    }
}

/// The header a frame is sent with (its real length, however long).
fn real_header(f: &FrameSpec) -> Vec<u8> {
    let mut out = Vec::new();
    let len = f.payload.len() as u64;
    encode_header(
        &mut out,
        f.fin,
        f.rsv,
        f.opcode,
        key_of(f.mask),
        len,
        f.length_form,
    );
    out
}

/// Raw octets a case sends outside the frame encoder.
fn raw_sends(case: &Case) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if let Delivery::PipelinedRaw(b) = &case.opening.delivery {
        out.push(b.clone());
    }
    for step in &case.steps {
        if let Step::SendRaw { bytes, .. } = step {
            out.push(bytes.clone());
        }
    }
    out
}

/// Collects distinct seeds, at most [`MAX_SEEDS`], in a stable order.
#[derive(Default)]
struct Set(BTreeSet<Vec<u8>>, Vec<Vec<u8>>);

impl Set {
    fn add(&mut self, seed: Vec<u8>) {
        if self.1.len() < MAX_SEEDS && self.0.insert(seed.clone()) {
            self.1.push(seed);
        }
    }
}

/// Schedules the chunking seeds use: one read, octet-wise, small odd pieces.
const SCHEDULES: &[&[u8]] = &[&[], &[1], &[3, 0], &[2, 5, 7]];

/// The draft-hixie-76 example keys and the request fields the handshake seeds share.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const KEY1: &str = "4 @1  46546xW%0l 1 5";
const KEY2: &str = "12998 5 Y3 1  .P00";
const KEY3: [u8; 8] = *b"^n:ds[4U";

/// The opening request of a case as sent to `example.com` for `/demo`, with the example
/// keys in place of the random ones (so seeds are reproducible).
fn request_of(case: &Case) -> (Vec<u8>, Vec<String>) {
    let r = render(&case.opening, "example.com", "/demo");
    let mut text = String::from_utf8_lossy(&r.head).into_owned();
    if let Some(k) = &r.key {
        text = text.replace(k.as_str(), KEY);
    }
    if let Some((k1, k2)) = &r.key12 {
        text = text.replace(k1.as_str(), KEY1).replace(k2.as_str(), KEY2);
    }
    let mut raw = text.into_bytes();
    if r.key3.is_some() {
        raw.extend_from_slice(&KEY3);
    }
    (raw, r.extension_values)
}

/// The dialect selector `handshake_response` reads for a dialect.
fn dialect_index(d: Dialect) -> u8 {
    match d {
        Dialect::Rfc6455 => 0,
        Dialect::Hybi10 => 1,
        Dialect::Hybi07 => 2,
        Dialect::Hixie76 => 3,
        Dialect::Hixie75 => 4,
    }
}

/// Autobahn-style spec files of both modes.
const SPECS: &[&str] = &[
    r#"{"outdir": "./reports/servers", "servers": [{"agent": "ws", "url": "ws://127.0.0.1:9001"}], "cases": ["*"], "exclude-cases": ["9.*", "12.*", "13.*"], "exclude-agent-cases": {}}"#,
    r#"{"options": {"failByDrop": false}, "outdir": "./reports/servers", "servers": [{"agent": "AutobahnServer", "url": "ws://localhost:9001", "options": {"version": 18}}], "cases": ["1.*", "2.*", "7.1.1"], "exclude-cases": [], "exclude-agent-cases": {"Autobahn*": ["6.4.*"]}}"#,
    r#"{"url": "ws://127.0.0.1:9001", "outdir": "./reports/clients", "cases": ["*"], "exclude-cases": ["12.*.[1234]$"], "exclude-agent-cases": {}}"#,
    r#"{"url": "wss://127.0.0.1:9001", "key": "server.key", "cert": "server.crt", "options": {"versions": [8, 13]}, "webport": 8080}"#,
    r#"{"servers": [{"url": "ws://h:1", "options": {"openHandshakeTimeout": 2.5, "closeHandshakeTimeout": 1, "maxMessagePayloadSize": 0}}]}"#,
    r#"{"servers": [{"agent": "a", "url": "ws://a:1"}, {"agent": "b", "url": "ws://b:2", "options": {"version": 8}}], "cases": "x"}"#,
    r#"{"url": "ws://0.0.0.0:9002", "unknown": true}"#,
    r#"[]"#,
];

/// Expectations files (the committed `ci/expectations/*.toml` are added by the generator).
const EXPECTATIONS: &[&str] = &[
    "[[expect]]\ncases = [\"6.4.1\", \"6.4.*\"]\nbehavior = \"NON-STRICT\"\nbehaviorClose = \"OK\"\nagent = \"ws*\"\nreason = \"fails late\"\n",
    "[[expect]]\ncases = \"12.*.[1234]$\"\nbehavior = \"UNIMPLEMENTED\"\nreason = \"no deflate\"\n",
    "{\"expect\": [{\"cases\": [\"1.1.1\"], \"behavior\": \"FAILED\", \"behaviorClose\": \"WRONG CODE\", \"reason\": \"x\"}]}",
    "{\"expect\": []}",
    "[[expect]]\ncases = []\nbehavior = \"OK\"\nreason = \"\"\n",
];

/// Seeds for every target, by target name.
pub fn seeds() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let cases = catalogue();
    let mut header = Set::default();
    let mut roundtrip = Set::default();
    let mut chunking = Set::default();
    let mut utf8 = Set::default();
    let mut unmask = Set::default();
    let mut close = Set::default();
    let mut hixie_frames = Set::default();
    let mut keys = Set::default();
    let mut requests = Set::default();
    let mut responses = Set::default();
    let mut pmd = Set::default();
    let mut inflate = Set::default();

    for (n, case) in cases.iter().enumerate() {
        let fs = frames(case);
        let mut stream = Vec::new();
        for f in &fs {
            header.add(real_header(f));
            let input = frame_input(f);
            input.encode(&mut stream);
            if f.opcode == 8 {
                close.add(input.payload.clone());
            }
            if f.opcode == 1 || f.opcode == 0 {
                let schedule = SCHEDULES[n % SCHEDULES.len()];
                utf8.add(Writer::new().bytes(schedule).raw(&input.payload).finish());
            }
            if let Some(k) = input.mask {
                let mut masked = input.payload.clone();
                apply_mask(&mut masked, k, 0);
                unmask.add(
                    Writer::new()
                        .raw(&k)
                        .u64(n as u64 % 5)
                        .u16(n as u16)
                        .raw(&masked)
                        .finish(),
                );
            }
        }
        if !fs.is_empty() {
            let mut w = Writer::new();
            for f in fs.iter().take(super::codec::MAX_FRAMES) {
                let i = frame_input(f);
                w = w.u8(i.b0).mask(i.mask).u8(i.form).bytes(&i.payload);
            }
            roundtrip.add(w.finish());
            stream.truncate(4096);
            let schedule = SCHEDULES[n % SCHEDULES.len()];
            chunking.add(Writer::new().bytes(schedule).raw(&stream).finish());
        }
        for mut raw in raw_sends(case) {
            raw.truncate(4096);
            if case.opening.dialect.is_hixie() {
                let schedule = SCHEDULES[n % SCHEDULES.len()];
                hixie_frames.add(Writer::new().u16(1024).bytes(schedule).raw(&raw).finish());
            } else {
                chunking.add(Writer::new().bytes(&[]).raw(&raw).finish());
            }
        }

        let (request, offers) = request_of(case);
        requests.add(request.clone());
        let request = &request[..crate::handshake::head_len(&request).unwrap_or(request.len())];
        let request_head = parse_head(request);
        for (name, value) in request_head.iter().flat_map(|h| h.headers.iter()) {
            if name.eq_ignore_ascii_case("Sec-WebSocket-Extensions") {
                pmd.add(value.clone().into_bytes());
            }
            if name.eq_ignore_ascii_case("Sec-WebSocket-Key1") {
                keys.add(
                    Writer::new()
                        .raw(&KEY3)
                        .u64(n as u64)
                        .bytes(value.as_bytes())
                        .raw(KEY2.as_bytes())
                        .finish(),
                );
            }
        }
        let offer = offers.join(", ");
        if let Ok(head) = &request_head {
            let answer = match accept_request(head) {
                Ok(Upgrade::Hybi { accept }) => {
                    let ext = crate::echo::negotiate_deflate(head).map(|(p, _)| p.render());
                    switching_response(SERVER_NAME, &accept, ext.as_deref()).into_bytes()
                }
                Ok(Upgrade::Hixie76 { head, part1, part2 }) => {
                    let mut a = head.into_bytes();
                    a.extend_from_slice(&hixie::challenge_from_parts(part1, part2, &KEY3));
                    a
                }
                Ok(Upgrade::Hixie75 { head }) => head.into_bytes(),
                Err(r) => r.response().into_bytes(),
            };
            let d = dialect_index(case.opening.dialect);
            responses.add(
                Writer::new()
                    .u8(d)
                    .bytes(offer.as_bytes())
                    .raw(&answer)
                    .finish(),
            );
        }
        if let Some(ServerAnswer::BadDeflateAnswer(v)) = case.server_answer {
            pmd.add(v.as_bytes().to_vec());
        }
    }

    // Hixie frames of every shape, and the drafts' key examples.
    let mut hx = Vec::new();
    hixie::encode_text(b"Hello", &mut hx);
    hixie::encode_text(b"", &mut hx);
    hixie::encode_binary(0x80, &[7; 300], &mut hx);
    hx.extend_from_slice(b"\x05junk\xff");
    hixie::encode_close(&mut hx);
    for (i, schedule) in SCHEDULES.iter().enumerate() {
        hixie_frames.add(
            Writer::new()
                .u16(1 << (i * 4))
                .bytes(schedule)
                .raw(&hx)
                .finish(),
        );
    }
    hixie_frames.add(Writer::new().u16(4).bytes(&[]).raw(&[0x80; 11]).finish());
    for (k1, k2, k3) in [
        (KEY1, KEY2, KEY3),
        (
            "18x 6]8vM;54 *(5:  {   U1]8  z [  8",
            "1_ tx7X d  <  nw  334J702) 7]o}` 0",
            *b"Tm[K T2u",
        ),
        (
            "55 997",
            "3  3  64  98",
            [0, 9, 0x68, 0x32, 0, 0x78, 0xc7, 0x10],
        ),
        ("12345", "a b c", [0; 8]),
        ("4294967295 ", "8589934590  ", [1; 8]),
    ] {
        keys.add(
            Writer::new()
                .raw(&k3)
                .u64(7)
                .bytes(k1.as_bytes())
                .raw(k2.as_bytes())
                .finish(),
        );
    }

    // Every answer Autobahn's server gives, to the default offer.
    let offers = [PmdParams::default()];
    for cnct in [false, true] {
        for bits in [None, Some(8), Some(15)] {
            let accept = DeflateAccept {
                client_no_context_takeover: cnct,
                client_max_window_bits: bits,
            };
            if let Some((r, _)) = accept_offer(&offers, &[accept]) {
                pmd.add(r.render().into_bytes());
            }
        }
    }

    // Compression: the payload files' first octets, plain (round trip) and compressed
    // (inflated as they are), for a few windows.
    for (i, corpus) in Corpus::ALL.iter().enumerate() {
        let (plain, _) = corpus.slice(0, 300);
        for (j, bits) in [0u8, 1, 7].into_iter().enumerate() {
            let nct = j % 2 == 1;
            let schedule: &[u8] = SCHEDULES[(i + j) % SCHEDULES.len()];
            inflate.add(
                Writer::new()
                    .u8(bits)
                    .bool(nct)
                    .u16(4096)
                    .bytes(schedule)
                    .raw(&plain)
                    .finish(),
            );
            let compressed = Deflater::new(8 + bits, nct).message(&plain);
            inflate.add(
                Writer::new()
                    .u8(bits)
                    .bool(nct)
                    .u16(200)
                    .bytes(&[])
                    .raw(&compressed)
                    .finish(),
            );
        }
    }
    for p in [&b""[..], b"Hello", &[0u8; 1000]] {
        let compressed = Deflater::new(15, false).message(p);
        inflate.add(
            Writer::new()
                .u8(7)
                .bool(false)
                .u16(100)
                .bytes(&[])
                .raw(&compressed)
                .finish(),
        );
    }

    // Close payloads that exercise every branch.
    for c in [
        ClosePayload::code(1000),
        ClosePayload::Raw(vec![3]),
        ClosePayload::code(1005),
    ] {
        close.add(c.to_bytes());
    }

    let specs: Vec<Vec<u8>> = SPECS.iter().map(|s| s.as_bytes().to_vec()).collect();
    let expectations: Vec<Vec<u8>> = EXPECTATIONS.iter().map(|s| s.as_bytes().to_vec()).collect();
    vec![
        ("frame_header", header.1),
        ("frame_roundtrip", roundtrip.1),
        ("deframer_chunking", chunking.1),
        ("utf8_incremental", utf8.1),
        ("unmask", unmask.1),
        ("close_payload", close.1),
        ("hixie_frames", hixie_frames.1),
        ("hixie76_key", keys.1),
        ("handshake_request", requests.1),
        ("handshake_response", responses.1),
        ("pmd_params", pmd.1),
        ("inflate", inflate.1),
        ("spec_file", specs),
        ("expectations_file", expectations),
        ("case_file", case_files()),
    ]
}

/// Network-fuzzer case files, as `wsspec fuzz --emit N` writes them, for two seeds.
fn case_files() -> Vec<Vec<u8>> {
    use crate::netfuzz::{run::sequence_for, CaseFile, Timing};
    let mut out = Vec::new();
    for seed in [1, 7] {
        for index in [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233] {
            let file = CaseFile::new(
                &format!("fuzz.s{seed}.{index}"),
                sequence_for(seed, index),
                Timing::default(),
            );
            if let Ok(json) = serde_json::to_vec_pretty(&file) {
                out.push(json);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbitrary::Unstructured;

    #[test]
    fn frame_seeds_decode_to_the_catalogue_frames() {
        let f = FrameSpec::text("Hello").mask(Mask::Fixed([1, 2, 3, 4]));
        let i = frame_input(&f);
        let seed = Writer::new()
            .u8(i.b0)
            .mask(i.mask)
            .u8(i.form)
            .bytes(&i.payload)
            .finish();
        let mut u = Unstructured::new(&seed);
        assert_eq!(FrameInput::read(&mut u), i);
        assert!(u.is_empty());
    }

    #[test]
    fn every_target_gets_seeds() {
        let all = seeds();
        for (name, _) in super::super::TARGETS {
            let got = all
                .iter()
                .find(|(n, _)| n == name)
                .map_or(0, |(_, s)| s.len());
            assert!(got >= 3, "{name}: {got} seeds");
        }
    }
}
