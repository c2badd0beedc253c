//! Codec throughput on a 16 MiB message (category 9's largest), each fast path measured
//! beside its plain reference in the same run: the word-at-a-time mask against the
//! byte-at-a-time one, the incremental SIMD UTF-8 validator (fed 64 KiB reads, as the
//! engine is) against `std::str::from_utf8` over the whole message, and the streaming
//! deframer against a plain copy of the octets; and permessage-deflate on Autobahn's JSON
//! file (categories 12 and 13): wsspec's level-1 compressor against zlib's default level 6
//! (what Autobahn and most peers use), its bounded streaming inflater against inflating
//! into one growing buffer.

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

/// 1 MiB of Autobahn's JSON payload file, the way category 12 sends it.
fn json_mib() -> Vec<u8> {
    let corpus = wsspec_cases::Corpus::Json.bytes();
    corpus.iter().copied().cycle().take(1 << 20).collect()
}

/// Raw deflate at `level`, sync-flushed, as one message.
fn zlib_deflate(data: &[u8], level: u32) -> Vec<u8> {
    let mut z = flate2::Compress::new(flate2::Compression::new(level), false);
    let mut out = Vec::with_capacity(data.len() + 1024);
    z.compress_vec(data, &mut out, flate2::FlushCompress::Sync)
        .expect("deflate");
    out
}

fn deflating(c: &mut Criterion) {
    use wsspec::codec::deflate::{Deflater, Inflater};
    let data = json_mib();
    let mut g = c.benchmark_group("deflate_json_1MiB");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(20);
    g.bench_function("wsspec_deflater_level1", |b| {
        let mut d = Deflater::new(15, true);
        b.iter(|| d.message(black_box(&data)))
    });
    g.bench_function("zlib_level6", |b| {
        b.iter(|| zlib_deflate(black_box(&data), 6))
    });
    g.finish();

    let compressed = Deflater::new(15, true).message(&data);
    let mut g = c.benchmark_group("inflate_json_1MiB");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(20);
    g.bench_function("wsspec_inflater_streaming", |b| {
        let mut i = Inflater::new(15, true);
        b.iter(|| {
            let mut seen = 0usize;
            for piece in compressed.chunks(READ) {
                i.write(black_box(piece), u64::MAX, &mut |out: &[u8]| {
                    seen += out.len()
                })
                .ok();
            }
            i.finish(u64::MAX, &mut |out: &[u8]| seen += out.len()).ok();
            seen
        })
    });
    g.bench_function("flate2_into_one_buffer", |b| {
        b.iter(|| {
            let mut z = flate2::Decompress::new(false);
            let mut input = compressed.clone();
            input.extend_from_slice(&[0, 0, 0xff, 0xff]);
            let mut out = Vec::with_capacity(data.len() + 64);
            z.decompress_vec(black_box(&input), &mut out, flate2::FlushDecompress::Sync)
                .ok();
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, masking, utf8, deframing, deflating);
criterion_main!(benches);
