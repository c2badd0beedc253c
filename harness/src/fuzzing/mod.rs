//! In-process fuzz targets over wsspec's own parsers (`fuzz/` runs them under libFuzzer,
//! `harness/tests/fuzz_seeds.rs` replays their corpora on stable).
//!
//! Every target is `fn(&[u8])` and checks an **oracle**, not only the absence of panics:
//! round trips (decode → encode → same bytes, `Arbitrary` value → encode → decode →
//! equal), chunking invariance (the same bytes fed in fuzzer-chosen pieces give the same
//! frames as one read), differentials (fast path against byte-by-byte, incremental UTF-8
//! against `std`, hixie-76 keys against an independent reading of the draft) and
//! acceptance of requests and answers built from valid parts.
//!
//! The `assert!`s and `panic!`s in this module are those oracles: a target panics only
//! when the code under test breaks one of its documented properties, which is a bug to fix
//! in that code. Nothing else in the library may panic.
//!
//! Structured targets read their input with [`arbitrary::Unstructured`]; the layouts are
//! plain (fixed-size fields, `u16`-prefixed byte strings, the rest), so [`seeds`] can write
//! inputs that decode to the catalogue's own frames, handshakes and offers.

mod casefile;
mod codec;
mod deflate;
mod gate;
mod handshake;
mod hixie;
pub mod seeds;

use arbitrary::Unstructured;

pub use casefile::case_file;
pub use codec::{
    close_payload, deframer_chunking, frame_header, frame_roundtrip, unmask, utf8_incremental,
};
pub use deflate::{inflate, pmd_params};
pub use gate::{expectations_file, spec_file};
pub use handshake::{handshake_request, handshake_response};
pub use hixie::{hixie76_key, hixie_frames};

/// One fuzz target: its name (the file under `fuzz/fuzz_targets/` and the corpus
/// directory) and its function.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by name.
pub const TARGETS: &[Target] = &[
    ("frame_header", frame_header),
    ("frame_roundtrip", frame_roundtrip),
    ("deframer_chunking", deframer_chunking),
    ("utf8_incremental", utf8_incremental),
    ("unmask", unmask),
    ("close_payload", close_payload),
    ("hixie_frames", hixie_frames),
    ("hixie76_key", hixie76_key),
    ("handshake_request", handshake_request),
    ("handshake_response", handshake_response),
    ("pmd_params", pmd_params),
    ("inflate", inflate),
    ("spec_file", spec_file),
    ("expectations_file", expectations_file),
    ("case_file", case_file),
];

/// A byte string: a little-endian `u16` length, then that many octets (fewer when the
/// input runs out). [`seeds::Writer::bytes`] writes it.
fn byte_string<'a>(u: &mut Unstructured<'a>) -> &'a [u8] {
    let want = usize::from(u.arbitrary::<u16>().unwrap_or(0));
    u.bytes(want.min(u.len())).unwrap_or_default()
}

/// A small integer in `0..n` from one octet (0 when the input ran out).
fn pick(u: &mut Unstructured<'_>, n: u8) -> u8 {
    u.arbitrary::<u8>().unwrap_or(0) % n.max(1)
}

/// Cut `data` into pieces as `schedule` says, cycling through it: octet 0 means "all that
/// remains", any other value is a piece of that many octets (uWebSockets' `makeChunked`).
/// An empty schedule gives one piece.
fn pieces<'d>(data: &'d [u8], schedule: &[u8]) -> Vec<&'d [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    let mut sizes = schedule.iter().cycle();
    while !rest.is_empty() {
        let n = match sizes.next() {
            Some(&0) | None => rest.len(),
            Some(&n) => usize::from(n).min(rest.len()),
        };
        let (piece, tail) = rest.split_at(n);
        out.push(piece);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_follow_the_schedule() {
        let data: Vec<u8> = (0..10).collect();
        let sizes = |s: &[u8]| pieces(&data, s).iter().map(|p| p.len()).collect::<Vec<_>>();
        assert_eq!(sizes(&[]), vec![10]);
        assert_eq!(sizes(&[3]), vec![3, 3, 3, 1]);
        assert_eq!(sizes(&[1, 0]), vec![1, 9]);
        assert_eq!(sizes(&[4, 200]), vec![4, 6]);
        assert!(pieces(&[], &[1]).is_empty());
    }

    #[test]
    fn byte_strings_are_length_prefixed() {
        let mut u = Unstructured::new(&[3, 0, b'a', b'b', b'c', b'd']);
        assert_eq!(byte_string(&mut u), b"abc");
        assert_eq!(u.take_rest(), b"d");
        let mut u = Unstructured::new(&[9, 0, b'a']);
        assert_eq!(byte_string(&mut u), b"a");
    }

    #[test]
    fn every_target_is_listed_once() {
        let mut names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TARGETS.len());
    }
}
