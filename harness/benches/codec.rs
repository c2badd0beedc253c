//! Codec throughput on a 16 MiB message (category 9's largest), each fast path measured
//! beside its plain reference in the same run: the word-at-a-time mask against the
//! byte-at-a-time one, the incremental SIMD UTF-8 validator (fed 64 KiB reads, as the
//! engine is) against `std::str::from_utf8` over the whole message, and the streaming
//! deframer against a plain copy of the octets.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wsspec::codec::mask::{apply_mask, apply_mask_bytewise};
use wsspec::codec::{encode_header, Deframer, Piece, Utf8Validator};
use wsspec_cases::LengthForm;

const LEN: usize = 16 * 1024 * 1024;
const READ: usize = 64 * 1024;

fn text() -> Vec<u8> {
    "BAsd7&jh23κόσμε€"
        .bytes()
        .cycle()
        .take(LEN)
        .collect::<Vec<u8>>()
}

fn masking(c: &mut Criterion) {
    let mut g = c.benchmark_group("mask_16MiB");
    g.throughput(Throughput::Bytes(LEN as u64));
    g.sample_size(20);
    let mut data = vec![0x5a; LEN];
    let key = [0x37, 0xfa, 0x21, 0x3d];
    g.bench_function(BenchmarkId::new("word", LEN), |b| {
        b.iter(|| apply_mask(black_box(&mut data), key, 0))
    });
    g.bench_function(BenchmarkId::new("bytewise", LEN), |b| {
        b.iter(|| apply_mask_bytewise(black_box(&mut data), key, 0))
    });
    g.finish();
}

fn utf8(c: &mut Criterion) {
    let mut g = c.benchmark_group("utf8_16MiB");
    g.throughput(Throughput::Bytes(LEN as u64));
    g.sample_size(20);
    let data = text();
    g.bench_function("incremental_64KiB_reads", |b| {
        b.iter(|| {
            let mut v = Utf8Validator::new();
            for piece in data.chunks(READ) {
                v.feed(black_box(piece)).ok();
            }
            v.finish().ok()
        })
    });
    g.bench_function("std_from_utf8_whole", |b| {
        b.iter(|| std::str::from_utf8(black_box(&data)).is_ok())
    });
    g.finish();
}

fn deframing(c: &mut Criterion) {
    let mut g = c.benchmark_group("deframe_16MiB_masked");
    g.throughput(Throughput::Bytes(LEN as u64));
    g.sample_size(20);
    let mut wire = Vec::with_capacity(LEN + 14);
    encode_header(
        &mut wire,
        true,
        0,
        1,
        Some([1, 2, 3, 4]),
        LEN as u64,
        LengthForm::Minimal,
    );
    wire.extend_from_slice(&text());
    let mut input = wire.clone();
    g.bench_function("deframer_64KiB_reads", |b| {
        b.iter(|| {
            input.copy_from_slice(&wire);
            let mut d = Deframer::new();
            let mut total = 0usize;
            for piece in input.chunks_mut(READ) {
                let mut at = 0;
                loop {
                    let (used, p) = d.next(&mut piece[at..]);
                    at += used;
                    match p {
                        Some(Piece::Payload { data, .. }) => total += data.len(),
                        Some(Piece::Header(_)) => {}
                        None => break,
                    }
                    if at == piece.len() {
                        break;
                    }
                }
            }
            total
        })
    });
    g.bench_function("memcpy_only", |b| {
        b.iter(|| {
            input.copy_from_slice(black_box(&wire));
            input.len()
        })
    });
    g.finish();
}

criterion_group!(benches, masking, utf8, deframing);
criterion_main!(benches);
