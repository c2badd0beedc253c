#!/bin/bash -eu
# Builds every cargo-fuzz target of wsspec into $OUT with its seed corpus and dictionary,
# as ClusterFuzzLite / OSS-Fuzz expect (run by `compile` in the base-builder-rust image).
# Outside the container: SRC=/path/to/wsspec OUT=/tmp/cflite-out bash .clusterfuzzlite/build.sh
set -euo pipefail

# The repository: $SRC itself, $SRC/wsspec (the Dockerfile's copy), or where this script is.
if [ -f "${SRC:-}/fuzz/Cargo.toml" ]; then
  ROOT=$SRC
elif [ -f "${SRC:-}/wsspec/fuzz/Cargo.toml" ]; then
  ROOT=$SRC/wsspec
else
  ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fi
OUT=${OUT:-$ROOT/fuzz/out}
mkdir -p "$OUT"
cd "$ROOT"

# Release build with debug assertions and overflow checks: the oracles are plain asserts,
# and an arithmetic overflow on hostile input is a bug too. The base image's cargo wrapper
# adds the sanitizer and coverage flags for $SANITIZER; here cargo-fuzz's default is ASan.
# cargo fuzz needs nightly: the base image's default toolchain is; elsewhere use rustup's.
cargo=(cargo)
if ! rustc --version | grep -q nightly && command -v rustup > /dev/null \
  && rustup toolchain list | grep -q '^nightly'; then
  cargo=(cargo +nightly)
fi
"${cargo[@]}" fuzz build -O --debug-assertions

release=fuzz/target/x86_64-unknown-linux-gnu/release

# Which dictionary a target reads (fuzz/dict/).
dict_of() {
  case "$1" in
    handshake_*|hixie76_key|pmd_params) echo handshake ;;
    spec_file|expectations_file) echo gate ;;
    *) echo frames ;;
  esac
}

count=0
for src in fuzz/fuzz_targets/*.rs; do
  target=$(basename "$src" .rs)
  cp "$release/$target" "$OUT/"
  cp "fuzz/dict/$(dict_of "$target").dict" "$OUT/$target.dict"
  rm -f "$OUT/${target}_seed_corpus.zip"
  (cd "fuzz/corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
  count=$((count + 1))
done
echo "built $count fuzz targets into $OUT"
