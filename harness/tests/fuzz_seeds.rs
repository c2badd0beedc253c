//! Replays the committed fuzz corpora on stable, without libFuzzer: every file of
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` through
//! `wsspec::fuzzing::<target>`, whose oracles panic on a bug.
//!
//! `cargo test -p wsspec --test fuzz_seeds -- --ignored generate_seed_corpora` rewrites the
//! seed corpora from the catalogue (`wsspec::fuzzing::seeds`) and the committed
//! expectations files; files are named by content hash, so regenerating is idempotent and
//! never deletes what the fuzzer added.

use std::fs;
use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};
use wsspec::fuzzing::{seeds, TARGETS};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of a directory, sorted (none when it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

#[test]
fn every_corpus_file_passes_its_target() {
    let mut replayed = 0;
    for (name, target) in TARGETS {
        let corpus = files(&fuzz_dir().join("corpus").join(name));
        assert!(
            !corpus.is_empty(),
            "fuzz/corpus/{name}/ is missing or empty: run the ignored generate_seed_corpora test"
        );
        let regressions = files(&fuzz_dir().join("regressions").join(name));
        for path in corpus.iter().chain(&regressions) {
            let data = fs::read(path).unwrap();
            let run = std::panic::catch_unwind(|| target(&data));
            assert!(run.is_ok(), "{name} fails on {}", path.display());
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} inputs");
}

#[test]
fn every_fuzz_target_file_names_a_target() {
    let dir = fuzz_dir().join("fuzz_targets");
    let mut on_disk: Vec<String> = files(&dir)
        .iter()
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "fuzz/fuzz_targets/*.rs and wsspec::fuzzing::TARGETS differ"
    );
    for name in &listed {
        let text = fs::read_to_string(dir.join(format!("{name}.rs"))).unwrap();
        assert!(
            text.contains(&format!("wsspec::fuzzing::{name}(")),
            "fuzz/fuzz_targets/{name}.rs does not call wsspec::fuzzing::{name}"
        );
    }
}

fn write_seed(dir: &Path, data: &[u8]) {
    let hash = Sha1::digest(data);
    let name: String = hash.iter().take(10).map(|b| format!("{b:02x}")).collect();
    fs::write(dir.join(format!("seed-{name}")), data).unwrap();
}

#[test]
#[ignore = "writes fuzz/corpus; run by hand after the catalogue changes"]
fn generate_seed_corpora() {
    let root = fuzz_dir().join("corpus");
    for (name, list) in seeds::seeds() {
        let dir = root.join(name);
        fs::create_dir_all(&dir).unwrap();
        for seed in &list {
            write_seed(&dir, seed);
        }
        eprintln!("{name}: {} seeds", list.len());
    }
    let expect_dir = root.join("expectations_file");
    for path in files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../ci/expectations")) {
        write_seed(&expect_dir, &fs::read(path).unwrap());
    }
}
