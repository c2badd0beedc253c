#!/usr/bin/env bash
# The project's test command (CI runs it through .ci/run): installs the real peers, then
# formatting, lints, and the whole workspace's tests in release mode (the performance
# cases push 16 MiB messages; a debug build is too slow for them).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash ci/install-peers.sh

echo "== cargo fmt --all --check"
cargo fmt --all --check

echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

echo "== cargo test --release --workspace"
cargo test --release --workspace

echo "== ci/gate.sh (the gate on the real peers, as a project's CI would run it)"
bash ci/gate.sh
