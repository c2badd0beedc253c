#!/usr/bin/env bash
# Dogfooding: wsspec's own CI gates the real peers the way a project would gate its server
# (see ci/github/ and ci/gitlab/ for the ready-made jobs). For each of npm ws, PyPI
# websockets and npm faye-websocket: start it on a free port, run the gate with --wait
# (no sleep), the peer's committed expectations file, JUnit and the default policy; then
# compare the three reports. Reports, JUnit and compare.html land in target/gate/.
#
# Usage: bash ci/gate.sh [WSSPEC_BINARY]   (default: target/release/wsspec, built first)
# Needs the peers from ci/install-peers.sh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peers="$root/ci/peers"
out="$root/target/gate"
if [ $# -ge 1 ]; then
  wsspec="$1"
else
  wsspec="$root/target/release/wsspec"
  (cd "$root" && cargo build --release --quiet --bin wsspec)
fi

# Everything but the long compression cases: in each subcategory of 12 and 13 the messages
# up to 8 KiB (cases 1-6) run, the 16 KiB-1 MiB ones (7-18) do not.
exclude='12.*.([7-9]|1[0-9])$,13.*.([7-9]|1[0-9])$'

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rm -rf "$out"
mkdir -p "$out"
status=0
for peer in ws websockets faye; do
  port="$(free_port)"
  case "$peer" in
    ws) node "$peers/ws_echo.js" "$port" >"$out/$peer.log" 2>&1 & ;;
    websockets) "$peers/.venv/bin/python" "$peers/websockets_echo.py" "$port" >"$out/$peer.log" 2>&1 & ;;
    faye) node "$peers/faye_echo.js" "$port" --deflate >"$out/$peer.log" 2>&1 & ;;
  esac
  pids+=("$!")
  echo "== gate: $peer on ws://127.0.0.1:$port"
  # No sleep: --wait polls the port until the peer listens.
  "$wsspec" client --url "ws://127.0.0.1:$port" --agent "$peer" --wait 30s \
    --exclude "$exclude" --out "$out/$peer" \
    --expect "$root/ci/expectations/$peer.toml" --junit "$out/$peer.junit.xml" \
    >"$out/$peer.summary.txt" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "gate: $peer failed with exit code $status (reports in $out/$peer)" >&2
    exit "$status"
  fi
done

echo "== compare"
"$wsspec" compare "$out/ws" "$out/websockets" "$out/faye" --out "$out/compare.html" >"$out/compare.txt"
head -n 40 "$out/compare.txt"
echo "gate: all three peers pass their expectations; reports in $out"
